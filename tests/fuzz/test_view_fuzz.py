"""``view``, ``reshape``, ``flatten`` and ``contiguous`` on tensors of random layouts, against PyTorch.

Each program permutes and slices (with steps) a tensor, then asks for a new shape that regroups,
merges or splits its dimensions. ``view`` must raise exactly where PyTorch's stride rule refuses
(RuntimeError), and otherwise alias the tensor: a write through either is seen by the other, and both
count it in one version counter. ``reshape`` and ``flatten`` alias when a view exists, else copy (an
independent tensor with its own version counter). Drawn from ``--fuzz-seed``; ``pytest -m fuzz`` draws
``MINIGRAD_FUZZ_EXAMPLES`` (default 300) times as many.
"""
import os

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


FAST = 300
LONG = int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", "300")) * 30


def _program(rng):
    nd = int(rng.integers(1, 5))
    shape = tuple(int(n) for n in rng.integers(0 if rng.random() < 0.05 else 1, 4, size=nd))
    perm = [int(i) for i in rng.permutation(nd)]
    idx = tuple(slice(int(rng.integers(0, 2)), None, int(rng.integers(1, 3))) if rng.random() < 0.3 else slice(None)
                for _ in range(nd))
    expand = rng.random() < 0.1
    op = ["view", "reshape", "flatten", "contiguous"][int(rng.integers(0, 4))]
    order = [int(i) for i in rng.permutation(nd)]
    merge = rng.random() < 0.6
    rng_shuffle = rng.random() < 0.3
    one = int(rng.integers(0, nd + 1)) if rng.random() < 0.3 else None
    minus = rng.random() < 0.3
    span = sorted(int(d) for d in rng.integers(0, nd, size=2))

    def make(lib):
        base = lib.arange(float(np.prod(shape)), dtype=lib.float64).reshape(shape)
        x = base.permute(*perm)[idx]
        if expand and x.ndim and x.shape[0]:
            x = x[:1].expand(3, *x.shape[1:])
        return base, x

    def new_shape(x):
        new = [x.shape[d] for d in order] if rng_shuffle else list(x.shape)
        if merge and len(new) >= 2:
            new = [new[0] * new[1]] + new[2:]
        if one is not None:
            new.insert(min(one, len(new)), 1)
        if minus and new:
            new[0] = -1
        return tuple(new)

    what = f"shape {shape}, permute {perm}, index {idx}, expand {expand}, {op}"
    return make, new_shape, op, span, what


def _apply(lib, x, op, new, span):
    if op == "view":
        return x.view(*new)
    if op == "reshape":
        return x.reshape(new)
    if op == "flatten":
        return x.flatten(*span) if x.ndim else x.flatten()
    return x.contiguous()


def _aliases(lib, x, y):
    """Whether a write through ``y`` reaches ``x``, checking that ``x``'s version counter agrees."""
    before, v0 = x.clone(), x._version
    first = (0,) * y.ndim
    with lib.no_grad():
        y[first] = y[first] + 1000.0
    changed = not bool((x == before).all())
    assert changed == (x._version != v0), f"{lib.__name__}: a write through the result changed x: {changed}, x's version did not agree"
    return changed


def _check(seed, n):
    for k in range(n):
        rng = np.random.default_rng([seed, 26, k])
        make, new_shape, op, span, what = _program(rng)
        outcome = {}
        for lib in (torch, mg):
            base, x = make(lib)
            new = new_shape(x)
            try:
                y = _apply(lib, x, op, new, span)
            except RuntimeError:
                outcome[lib] = "error"
                continue
            values = np.asarray(y.tolist(), dtype=float).tolist()
            same = y is x
            aliased = y.numel() > 0 and _aliases(lib, x, y)
            outcome[lib] = (tuple(y.shape), values, aliased, same)
        m, t = outcome[mg], outcome[torch]
        assert (m == "error") == (t == "error"), f"{what}: minigrad {m}, PyTorch {t}"
        if m == "error":
            continue
        assert m[:2] == t[:2], f"{what}: minigrad {m[:2]}, PyTorch {t[:2]}"
        if op == "view":
            assert m[2] or not np.size(m[1]), f"{what}: the view does not alias its tensor"
        assert m[2:] == t[2:], f"{what}: minigrad aliases {m[2]} (the same tensor: {m[3]}), PyTorch {t[2]} ({t[3]})"


def test_view_reshape_flatten_contiguous_agree_with_pytorch(fuzz_seed):
    _check(fuzz_seed, FAST)


@pytest.mark.fuzz
def test_view_reshape_flatten_contiguous_agree_with_pytorch_long(fuzz_seed):
    _check(fuzz_seed, LONG)
