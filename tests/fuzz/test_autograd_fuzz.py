"""Randomized programs run under minigrad and PyTorch: autograd and indexing semantics (issue 26).

Four generators, each drawing whole programs from a NumPy generator seeded by ``--fuzz-seed``:

- mixed advanced indexing, getting, setting and ``y[i] += v`` (ints, slices, None, ``...``, lists, lists of lists,
  integer and bool tensors, Python bools, 0-d tensors), values and gradients; some indices out of range and
  some masks of the wrong length, also on the simulated CUDA device, whose CuPy wraps an out-of-range index
  around (so there only minigrad's own check raises);
- hooks on leaves and non-leaves of random graphs with fan-out (nonlinear hooks show whether a hook
  runs once on the summed gradient), with ``retain_grad``;
- in-place changes after forward, of saved outputs, saved inputs, views, detached aliases and index
  tensors, under ``no_grad`` and recorded by autograd: the same error, or the same gradients;
- grad-mode decorators (bare or called, on functions and generators, nested): the same modes seen.

The normal test run draws a few programs of each with the fixed seed (seconds); ``pytest -m fuzz``
draws ``MINIGRAD_FUZZ_EXAMPLES`` (default 300); ``--fuzz-seed random`` draws new ones.
"""
import os
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import simulated_cuda

torch = pytest.importorskip("torch")

FAST = 25
LONG = int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", "300"))


def _np(t):
    return None if t is None else np.asarray(t.detach().cpu().numpy() if hasattr(t, "detach") else t, dtype=float)


def _run(program, lib):
    """``program(lib)``: ("ok", arrays) or ("error", kind name); warnings of PyTorch's deprecations are quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", [_np(v) for v in program(lib)]
        except (RuntimeError, IndexError, TypeError, ValueError) as e:
            return "error", type(e).__name__


def _run_simulated(program):
    """``_run(program, mg)`` with the default device on the simulated CUDA device."""
    with simulated_cuda():
        mg.set_default_device("cuda")
        try:
            return _run(program, mg)
        finally:
            mg.set_default_device("cpu")
            try:  # a check the program failed before it read anything back: not for a later test
                mg.backend.raise_failed_checks()
            except (IndexError, RuntimeError):
                pass


def _agree(program, what, m=None):
    m, t = m or _run(program, mg), _run(program, torch)
    assert m[0] == t[0], f"{what}: minigrad {m}, PyTorch {t}"
    if m[0] == "error":
        assert m[1] == t[1] or {m[1], t[1]} <= {"IndexError", "RuntimeError"}, f"{what}: minigrad raises {m[1]}, PyTorch {t[1]}"
        return
    assert len(m[1]) == len(t[1]), what
    for a, b in zip(m[1], t[1]):
        if a is None or b is None:
            assert a is None and b is None, f"{what}: a gradient is None in one library only"
            continue
        assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=what)


def _cases(fuzz_seed, n, salt):
    for k in range(n):
        yield np.random.default_rng([fuzz_seed, salt, k])


# ------------------------------------------------------------------ indexing
def _index_spec(rng, shape, wild=False):
    """A random index for a tensor of ``shape``: a list of part specs (built per library by _build).
    With ``wild``, integer arrays may hold indices out of range and a mask may have the wrong length."""
    ndim = len(shape)
    k = int(rng.integers(1, ndim + 1))  # dimensions the parts index; the rest are left to "..." or implied
    ellipsis = "none" if k == ndim or rng.random() < 0.5 else ["front", "end"][int(rng.integers(0, 2))]
    if ellipsis == "front":  # "..." first: the parts index the last k dimensions
        shape = shape[ndim - k:]
    parts, d, mask_used = [], 0, False
    bshape = tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(1, 3)))  # advanced indices' broadcast shape
    while d < k:
        r = rng.random()
        n = shape[d]
        if r < 0.07:
            parts.append(("none",))
            continue
        if r < 0.12:
            parts.append(("bool", bool(rng.random() < 0.8)))
            continue
        if r < 0.3:
            parts.append(("int", int(rng.integers(-n, n))))
        elif r < 0.5:
            start, stop = sorted(rng.integers(-n - 1, n + 2, size=2).tolist())
            parts.append(("slice", start, stop, int(rng.integers(1, 3))))
        elif r < 0.58:
            parts.append(("int0d", int(rng.integers(-n, n))))
        elif r < 0.68 and not mask_used and len(bshape) == 1:
            m = n + int(rng.integers(-1, 2)) if wild else n
            parts.append(("mask", rng.random(max(m, 0)) < 0.6))  # the only advanced index then (its length is drawn)
            mask_used, bshape = True, None
        elif bshape is not None:
            shp = bshape if rng.random() < 0.7 else bshape[-1:]
            lo, hi = (-n - 2, n + 2) if wild else (-n, n)
            parts.append(("list" if rng.random() < 0.5 else "tensor", rng.integers(lo, hi, size=shp).tolist()))
        else:
            parts.append(("slice", None, None, 1))
        d += 1
    if ellipsis != "none":
        parts.insert(0 if ellipsis == "front" else len(parts), ("ellipsis",))
    return parts


def _build(lib, parts, as_list=False):
    out = []
    for p in parts:
        kind = p[0]
        if kind == "int":
            out.append(p[1])
        elif kind == "slice":
            out.append(slice(p[1], p[2], p[3]))
        elif kind == "none":
            out.append(None)
        elif kind == "ellipsis":
            out.append(Ellipsis)
        elif kind == "bool":
            out.append(p[1])
        elif kind == "int0d":
            out.append(lib.tensor(p[1]))
        elif kind == "mask":
            out.append(lib.tensor(p[1].tolist()))
        elif kind == "list":
            out.append(p[1])
        else:
            out.append(lib.tensor(p[1]))
    if as_list and any(isinstance(p, list) for p in out):
        return out  # a list holding a list: PyTorch reads it as a tuple (deprecated, still so in 2.13)
    return tuple(out)


def _indexing_program(rng):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 5)))
    wild = rng.random() < 0.2
    parts = _index_spec(rng, shape, wild)
    as_list = rng.random() < 0.15
    x0 = rng.standard_normal(shape)
    mode = ["get", "set", "augment"][int(rng.integers(0, 3))]  # augment: y[idx] += v (a get, an add_, a set)
    cut = rng.random()  # how many leading dimensions of the indexed shape the value leaves to broadcasting

    def program(lib):
        x = lib.tensor(x0, requires_grad=True)
        idx = _build(lib, parts, as_list)
        if mode == "get":
            y = x[idx]
            g = np.random.default_rng(0).standard_normal(tuple(y.shape))
            (y * lib.tensor(g)).sum().backward()
            return y, x.grad
        target = tuple(x[idx].shape)
        if lib is mg:  # PyTorch leaves the order of writes to one place open: draw only distinct places
            positions = _np(mg.arange(x0.size, dtype=mg.float64).reshape(shape)[idx]).ravel()
            if len(set(positions.tolist())) != positions.size:
                raise ValueError("repeated places")
        vshape = target[int(cut * (len(target) + 1)):]
        v = lib.tensor(np.random.default_rng(1).standard_normal(vshape), requires_grad=True)
        y = x * 2
        if mode == "set":
            y[idx] = v * 3
        else:
            y[idx] += v * 3
        w = np.random.default_rng(2).standard_normal(shape)
        (y * lib.tensor(w)).sum().backward()
        return y, x.grad, v.grad

    return program, f"shape {shape}, index {parts}, {mode}{' as a list' if as_list else ''}", wild


def _check_indexing(seed, n):
    for rng in _cases(seed, n, 1):
        program, what, wild = _indexing_program(rng)
        m = _run(program, mg)
        if m == ("error", "ValueError"):  # repeated places drawn for a set: not a comparison
            continue
        _agree(program, what, m)
        if wild or rng.random() < 0.1:
            _agree(program, what + " on the simulated CUDA device", _run_simulated(program))


def test_mixed_advanced_indexing_get_and_set_agree_with_pytorch(fuzz_seed):
    _check_indexing(fuzz_seed, FAST * 4)


@pytest.mark.fuzz
def test_mixed_advanced_indexing_get_and_set_agree_with_pytorch_long(fuzz_seed):
    _check_indexing(fuzz_seed, LONG * 4)


# ------------------------------------------------------------------ hooks on random graphs
HOOKS = [
    lambda calls, k: (lambda g: calls.append(k)),  # observes only
    lambda calls, k: (lambda g: calls.append(k) or g * 2),
    lambda calls, k: (lambda g: calls.append(k) or g * g),  # nonlinear: once on the sum differs from once per use
    lambda calls, k: (lambda g: calls.append(k) or g.clamp(-0.5, 0.5)),  # a clipping hook
]
UNARY = [lambda t: t.tanh(), lambda t: t.sin(), lambda t: t * 1.5, lambda t: t.exp() * 0.1]


def _hooks_program(rng):
    n_leaves = int(rng.integers(1, 4))
    leaves0 = [rng.standard_normal(3) for _ in range(n_leaves)]
    steps = []
    for i in range(int(rng.integers(2, 8))):
        pool = n_leaves + i
        if rng.random() < 0.5:
            steps.append(("unary", int(rng.integers(0, len(UNARY))), int(rng.integers(0, pool))))
        else:
            steps.append(("mul" if rng.random() < 0.5 else "add", int(rng.integers(0, pool)), int(rng.integers(0, pool))))
    total = n_leaves + len(steps)
    hooks = [(int(rng.integers(0, total)), int(rng.integers(0, len(HOOKS)))) for _ in range(int(rng.integers(1, 5)))]
    retained = [int(i) for i in rng.integers(n_leaves, total, size=2)] if len(steps) else []
    loss_terms = sorted(set(int(i) for i in rng.integers(0, total, size=3)))

    def program(lib):
        ts = [lib.tensor(a, requires_grad=True) for a in leaves0]
        for kind, a, b in steps:
            ts.append(UNARY[a](ts[b]) if kind == "unary" else ts[a] * ts[b] if kind == "mul" else ts[a] + ts[b])
        calls = []
        for k, (i, h) in enumerate(hooks):
            ts[i].register_hook(HOOKS[h](calls, k))
        for i in retained:
            ts[i].retain_grad()
        loss = sum((ts[i] * (j + 1)).sum() for j, i in enumerate(loss_terms))
        loss.backward()
        counts = np.bincount(np.array(calls, dtype=int), minlength=len(hooks)).astype(float)
        return [t.grad for t in ts[:n_leaves]] + [ts[i].grad for i in sorted(set(retained))] + [counts]

    return program, f"leaves {n_leaves}, steps {steps}, hooks {hooks}, retained {retained}, loss {loss_terms}"


def _check_hooks(seed, n):
    for rng in _cases(seed, n, 2):
        program, what = _hooks_program(rng)
        _agree(program, what)


def test_hooks_on_random_graphs_with_fan_out_agree_with_pytorch(fuzz_seed):
    _check_hooks(fuzz_seed, FAST)


@pytest.mark.fuzz
def test_hooks_on_random_graphs_with_fan_out_agree_with_pytorch_long(fuzz_seed):
    _check_hooks(fuzz_seed, LONG)


# ------------------------------------------------------------------ in-place after forward
FORWARD = {  # every op whose node PyTorch makes save its output, and some that save their input
    "exp": lambda z: z.exp(), "sigmoid": lambda z: z.sigmoid(), "tanh": lambda z: z.tanh(), "sqrt": lambda z: z.sqrt(),
    "relu": lambda z: z.relu(), "softmax": lambda z: z.softmax(-1), "log_softmax": lambda z: z.log_softmax(-1),
    "max": lambda z: z.max(), "min": lambda z: z.min(), "amax": lambda z: z.amax(-1), "amin": lambda z: z.amin(0),
    "logsumexp": lambda z: z.logsumexp(-1), "std": lambda z: z.std(), "pow_tensor": lambda z: 1.5 ** z,
    "log": lambda z: z.log(), "var": lambda z: z.var(0), "mul": lambda z: z * z, "clamp": lambda z: z.clamp(0.3, 1.2),
    "sum": lambda z: z.sum(0), "add": lambda z: z + 1, "max_dim": lambda z: z.max(-1)[0],
    "index": None, "gather": None,
}
CHANGES = ["no_grad mul_", "view fill_", "detach mul_", "clamp_", "recorded add_", "setitem", "scatter_", "scatter_add_",
           "index_fill_", "masked_fill_", "none"]


def _inplace_program(rng):
    op = sorted(FORWARD)[int(rng.integers(0, len(FORWARD)))]
    change = CHANGES[int(rng.integers(0, len(CHANGES)))]
    target = "output" if rng.random() < 0.6 else "input"
    w0 = rng.uniform(0.2, 1.5, size=(2, 3))
    g0 = rng.standard_normal(3)
    retain = rng.random() < 0.3  # retain_grad on the output before the change: .grad follows the tensor

    def program(lib):
        w = lib.tensor(w0, requires_grad=True)
        z = w * 1
        if op == "index" or op == "gather":
            i = lib.tensor([[0, 2, 1], [1, 1, 0]])
            y = z[:, i[0]] if op == "index" else z.gather(1, i)
            t = i if target == "input" else y
        else:
            y = FORWARD[op](z)
            t = z if target == "input" else y
        if retain:
            y.retain_grad()
        if change == "none":
            pass
        elif change == "no_grad mul_":
            with lib.no_grad():
                t.mul_(2)
        elif change == "view fill_":
            with lib.no_grad():
                t.reshape(-1)[0].fill_(1)
        elif change == "detach mul_":
            t.detach().mul_(2)
        elif change == "clamp_":
            with lib.no_grad():
                t.clamp_(0, 1)
        elif change == "recorded add_":  # under grad mode: recorded for a non-leaf, a plain change for an index
            t.add_(1)
        elif change in ("scatter_", "scatter_add_"):  # recorded, with a src in the graph (a dtype error for an index)
            k = lib.zeros(tuple(t.shape[:-1]) + (1,), dtype=lib.int64) if t.ndim else lib.tensor(0)
            src = (w * 3).reshape(-1)[: max(k.numel(), 1)].reshape(k.shape)
            getattr(t, change)(t.ndim - 1 if t.ndim else 0, k, src)
        elif change == "index_fill_":
            t.index_fill_(t.ndim - 1 if t.ndim else 0, lib.tensor([0]), 0)
        elif change == "masked_fill_":
            t.masked_fill_(t > 1 if t.dtype == w.dtype else t > 0, 0)
        else:
            t.reshape(-1)[0] = 0
        (y * lib.tensor(g0[: y.shape[-1]] if y.ndim else g0[0])).sum().backward()
        return w.grad, y, y.grad if retain else None

    return program, f"{op}, change {change} of the {target}{', retain_grad' if retain else ''}"


def _check_inplace(seed, n):
    for rng in _cases(seed, n, 3):
        program, what = _inplace_program(rng)
        _agree(program, what)


def test_inplace_changes_after_forward_agree_with_pytorch(fuzz_seed):
    _check_inplace(fuzz_seed, FAST * 4)


@pytest.mark.fuzz
def test_inplace_changes_after_forward_agree_with_pytorch_long(fuzz_seed):
    _check_inplace(fuzz_seed, LONG * 4)


# ------------------------------------------------------------------ grad-mode decorators
def _decorate(lib, kind, called, fn, seen):
    """``fn`` decorated by ``kind`` (bare or called); set_grad_enabled must leave the mode as it was."""
    if kind == "no_grad":
        return (lib.no_grad() if called else lib.no_grad)(fn)
    if kind == "enable_grad":
        return (lib.enable_grad() if called else lib.enable_grad)(fn)
    prev = lib.is_grad_enabled()
    out = lib.set_grad_enabled(kind == "set_true")(fn)
    seen.append(lib.is_grad_enabled() == prev)
    return out


def _modes_program(rng):
    depth = int(rng.integers(1, 4))
    layers = [(["no_grad", "enable_grad", "set_true", "set_false"][int(rng.integers(0, 4))], bool(rng.random() < 0.5),
               bool(rng.random() < 0.5)) for _ in range(depth)]
    outer = ["none", "no_grad", "enable_grad"][int(rng.integers(0, 3))]

    def program(lib):
        seen = []

        def fn():
            seen.append(lib.is_grad_enabled())
            return 0

        for kind, called, generator in layers:
            if generator:
                def body(inner=fn):  # a generator calling the layer inside it between its steps
                    seen.append(lib.is_grad_enabled())
                    yield inner()
                    seen.append(lib.is_grad_enabled())
                    yield 1

                def fn(body=_decorate(lib, kind, called, body, seen)):
                    out = list(body())  # each step in the decorator's mode, the caller's mode in between
                    seen.append(lib.is_grad_enabled())
                    return len(out)
            else:
                fn = _decorate(lib, kind, called, fn, seen)
        if outer == "none":
            fn()
        else:
            with (lib.no_grad() if outer == "no_grad" else lib.enable_grad()):
                fn()
        seen.append(lib.is_grad_enabled())
        return [np.array(seen, dtype=float)]

    return program, f"layers {layers}, outer {outer}"


def _check_modes(seed, n):
    for rng in _cases(seed, n, 4):
        program, what = _modes_program(rng)
        try:
            _agree(program, what)
        finally:
            mg.set_grad_enabled(True)
            torch.set_grad_enabled(True)


def test_grad_mode_decorators_agree_with_pytorch(fuzz_seed):
    _check_modes(fuzz_seed, FAST)


@pytest.mark.fuzz
def test_grad_mode_decorators_agree_with_pytorch_long(fuzz_seed):
    _check_modes(fuzz_seed, LONG)
