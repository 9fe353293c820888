"""Every op with a hand-written backward, on inputs of every memory layout, against PyTorch.

A backward that assumes its arrays are C-contiguous can be silently wrong: writing through
``a.reshape(-1)[i]`` writes into a *copy* when ``a`` is transposed, so the write is lost (issue #27:
``F.cross_entropy(pred.permute(0, 2, 1), y)`` trained d2l's seq2seq to ten times PyTorch's loss). So each
case of the op table (``op_cases.CASES``, plus the fused layers below) runs with its inputs made, from a
leaf, as

- ``permuted`` (every dimension reversed), ``transposed`` (the last two swapped),
- ``strided`` (every other element, from an offset), ``negative`` (negative strides: ``a[::-1]``),
- ``expanded`` (stride 0 along the first dimension), ``broadcast`` (stride 0 along the last),

and with the gradient that reaches the op itself non-contiguous (through a permute, a negative-stride
flip, or the stride-0 gradient of ``sum``). Values and the leaves' gradients are compared with PyTorch
running the same lambda; without PyTorch, the gradient is checked against finite differences.
"""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function, functions_in
from minigrad.ops.indexing import GetItem
from minigrad.testing import assert_close, gradcheck

from op_cases import CASES, Case

try:
    import torch
except ImportError:  # the finite-difference check below still runs
    torch = None


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


def _ffn(m, x, w1, b1, w2, b2):
    """Linear, ReLU, Linear: minigrad's fused op (what nn.TransformerEncoderLayer runs), PyTorch's composition."""
    if m is mg:
        return mg.nn.functional.ReluFeedForward(True).apply(x, w1, b1, w2, b2)
    return m.nn.functional.linear(m.relu(m.nn.functional.linear(x, w1, b1)), w2, b2)


def _sdpa(m, q, k, v, **kw):
    """Attention; ``impl`` (minigrad only) picks the hand-derived or the tiled op."""
    impl = kw.pop("impl", None)
    if m is mg and impl:
        kw.update(impl=impl, block_size=2)
    return m.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


def _inplace_through_view(m, x, v):
    """An in-place change of a view of a non-leaf: recorded on the base (PutPositions), the view rebuilt (TakePositions)."""
    y = x * 1.0
    t = y[:, 1]
    t.mul_(v)
    return y, t


MASK = [[True, False, True, True], [True, True, False, True], [False, True, True, True]]

LAYER_CASES = [
    Case("relu_feed_forward", _ffn, None, [(2, 3, 4), (5, 4), (5,), (3, 5), (3,)], ["away0"] * 5),
    Case("softplus", lambda m, x: m.nn.functional.softplus(x, beta=2.0), None, [(3, 4)]),
    Case("sdpa", lambda m, q, k, v: _sdpa(m, q, k, v), None, [(2, 3, 4), (2, 4, 4), (2, 4, 3)]),
    Case("sdpa_causal", lambda m, q, k, v: _sdpa(m, q, k, v, is_causal=True), None, [(2, 4, 3), (2, 4, 3), (2, 4, 2)]),
    Case("sdpa_mask", lambda m, q, k, v: _sdpa(m, q, k, v, attn_mask=m.tensor(MASK)), None, [(2, 3, 2), (2, 4, 2), (2, 4, 3)]),
    Case("sdpa_tiled_causal", lambda m, q, k, v: _sdpa(m, q, k, v, is_causal=True, impl="tiled"), None,
         [(2, 5, 3), (2, 5, 3), (2, 5, 2)]),
    Case("cross_entropy_3d_classes_dim1", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([[0, 2, 1], [3, 3, 0]]), reduction="sum"),
         None, [(2, 4, 3)]),
    Case("cross_entropy_3d_smoothing_none", lambda m, x: m.nn.functional.cross_entropy(
        x, m.tensor([[0, 2, 1], [3, 3, 0]]), reduction="none", label_smoothing=0.1), None, [(2, 4, 3)]),
    Case("nll_loss_3d", lambda m, x: m.nn.functional.nll_loss(x, m.tensor([[0, 2, 1], [3, 3, 0]])), None, [(2, 4, 3)]),
    Case("clamp_tensor_bounds", lambda m, x, lo, hi: m.clamp(x, lo - 0.5, hi + 0.5), None, [(3, 4), (3, 4), (4,)]),
    Case("inplace_through_view", _inplace_through_view, None, [(3, 4), (3,)]),
    Case("where_scalar_other", lambda m, a: m.where(a > 0, a * a, 0.5), None, [(3, 4)]),
    # float32 rounding (1e-7) swamps finite differences; PyTorch checks it
    Case("cast_float32", lambda m, a: (a.float() * 2).double(), None, [(3, 4)], finite_differences=False),
]

# minigrad's view accepts every layout (it does not track memory layout, docs/compatibility.md), where PyTorch
# refuses a view across non-contiguous strides; reshape, the same op, is in the table.
ALL_CASES = [c for c in CASES if c.name != "view"] + LAYER_CASES


# ------------------------------------------------------------------ layouts
def _make(m, leaf: object, layout: str, shape: tuple) -> object:
    """The op's input of ``shape``, made from ``leaf`` (see ``_leaf_array``) so that it has ``layout``."""
    nd = len(shape)
    if layout == "permuted":
        return leaf.permute(*reversed(range(nd)))
    if layout == "transposed":
        return leaf.transpose(-1, -2)
    if layout == "strided":
        return leaf[(slice(1, None, 2),) * nd]
    if layout == "negative":  # as PyTorch, no public op makes negative strides (x[::-1] is refused, flip copies),
        # but NumPy's own results and gradients can have them: minigrad's node for x[::-1] makes one here
        if m is not mg:
            return leaf.flip(tuple(range(nd)))  # the same values
        return GetItem((slice(None, None, -1),) * nd, None).apply(leaf)
    return leaf.expand(*shape)  # expanded, broadcast: stride 0 along the leaf's size-1 dimension


def _leaf_array(a: np.ndarray, layout: str) -> np.ndarray:
    """The leaf's values, so that ``_make(leaf, layout)`` holds ``a`` (or, for stride-0 layouts, a's first slice)."""
    if layout == "permuted":
        return np.ascontiguousarray(a.transpose(*reversed(range(a.ndim))))
    if layout == "transposed":
        return np.ascontiguousarray(a.swapaxes(-1, -2))
    if layout == "strided":
        big = np.random.default_rng(7).standard_normal(tuple(2 * n + 1 for n in a.shape))
        big[(slice(1, None, 2),) * a.ndim] = a
        return big
    if layout == "negative":
        return np.ascontiguousarray(a[(slice(None, None, -1),) * a.ndim])
    if layout == "expanded":
        return a[:1].copy()
    if layout == "broadcast":
        return a[..., :1].copy()
    raise ValueError(layout)


def _fits(shape: tuple, layout: str) -> bool:
    """Whether ``layout`` gives an input of ``shape`` a layout other than the plain one."""
    if layout in ("permuted", "transposed"):
        return len(shape) >= 2
    if layout == "expanded":
        return len(shape) >= 1 and shape[0] > 1
    if layout == "broadcast":
        return len(shape) >= 2 and shape[-1] > 1
    return len(shape) >= 1


LAYOUTS = ["permuted", "transposed", "strided", "negative", "expanded", "broadcast"]
# The gradient reaching the op: through a permute, a flip (negative strides), or sum's stride-0 array.
GRAD_PATHS = ["permuted", "flipped", "sum"]

# Cases whose values on stride-0 (repeated) inputs have ties or a singular point, where the gradient is a
# convention (amax and topk between equal values; a repeated row is an ``a > 0`` mask of one pattern).
_TIES = {"amax", "amax_dims", "max_all", "min_dim_values", "amin_keep", "max_dim_values", "topk", "topk_smallest_dim0"}

PARAMS = [
    pytest.param(case, layout, id=f"{case.name}-{layout}")
    for case in ALL_CASES for layout in LAYOUTS
    if any(_fits(s, layout) for s in case.shapes) and not (layout in ("expanded", "broadcast") and case.name in _TIES)
]


def _inputs(m, case: Case, arrays: list, layout: str) -> tuple:
    """The leaves (in ``m``) and the op's inputs made from them."""
    leaves, inputs = [], []
    for a, grad, shape in zip(arrays, case.requires_grad(), case.shapes):
        use = _fits(shape, layout)
        leaf = m.tensor(_leaf_array(a, layout) if use else a, dtype=m.float64, requires_grad=grad)
        leaves.append(leaf)
        inputs.append(_make(m, leaf, layout, shape) if use else leaf)
    return leaves, inputs


def _outputs(out) -> list:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if o.is_floating_point()]


def _loss(m, outs: list, path: str, weights: list):
    """A scalar of the outputs whose gradient reaches the op through ``path``."""
    total = 0
    for o, w in zip(outs, weights):
        if path == "sum" or o.ndim == 0:
            total = total + o.sum() * float(w.reshape(-1)[0])
        elif path == "permuted":
            total = total + (o.permute(*reversed(range(o.ndim))) * m.tensor(w.transpose(), dtype=m.float64)).sum()
        else:  # flipped: PyTorch's flip backward flips the gradient; minigrad's gives a negative-stride view
            total = total + (o.flip(tuple(range(o.ndim))) * m.tensor(w, dtype=m.float64)).sum()
    return total


@pytest.mark.parametrize("case,layout", PARAMS)
def test_values_and_gradients_in_every_layout(case, layout, rng):
    arrays = case.arrays(rng)
    if torch is None:
        if not case.finite_differences:
            pytest.skip("finite differences cannot check this case (see its entry); PyTorch checks it")
        leaves, _ = _inputs(mg, case, arrays, layout)
        gradcheck(lambda *ls: case.fn(mg, *[_make(mg, x, layout, s) if _fits(s, layout) else x
                                              for x, s in zip(ls, case.shapes)]), leaves)
        return
    for path in GRAD_PATHS:
        m_leaves, m_in = _inputs(mg, case, arrays, layout)
        t_leaves, t_in = _inputs(torch, case, arrays, layout)
        m_out, t_out = _outputs(case.fn(mg, *m_in)), _outputs(case.fn(torch, *t_in))
        for mo, to in zip(m_out, t_out):
            assert tuple(mo.shape) == tuple(to.shape)
            assert_close(mo, to, rtol=1e-12, atol=1e-12, msg=f"value ({layout} inputs)")
        weights = [rng.standard_normal(tuple(o.shape)) for o in t_out]
        _loss(mg, m_out, path, weights).backward()
        _loss(torch, t_out, path, weights).backward()
        for i, (ml, tl) in enumerate(zip(m_leaves, t_leaves)):
            if tl.grad is None:
                assert ml.grad is None or not ml.grad.data.any(), f"input {i}"
                continue
            assert ml.grad is not None, f"input {i} ({layout}) got no gradient"
            assert_close(ml.grad, tl.grad, rtol=1e-10, atol=1e-12,
                         msg=f"gradient of input {i}: {layout} inputs, output gradient by {path}")


def test_the_issue_example():
    """Issue #27's reproduction: the gradient of cross_entropy on transposed logits, against the formula."""
    x = mg.zeros(2, 3, requires_grad=True)
    mg.nn.functional.cross_entropy(x.t(), mg.tensor([0, 1, 0]), reduction="sum").backward()
    # softmax of equal logits is 1/2 each; the target class subtracts 1
    assert x.grad.tolist() == [[-0.5, 0.5, -0.5], [0.5, -0.5, 0.5]]


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("layout", ["batch_first", "permuted", "strided", "negative", "expanded"])
def test_recurrent_layers_in_every_layout(mode, layout, rng):
    """The fused recurrences (hand-written BPTT) with non-contiguous sequences and states."""
    torch_ = pytest.importorskip("torch")
    T, B, I, H = 4, 3, 2, 5
    kw = dict(num_layers=2, bidirectional=True, batch_first=layout == "batch_first")
    m_mod, t_mod = getattr(mg.nn, mode)(I, H, **kw).double(), getattr(torch_.nn, mode)(I, H, **kw).double()
    with torch_.no_grad():
        for name, p in t_mod.named_parameters():
            p.copy_(torch_.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    m_mod.load_state_dict({k: mg.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((4, B, H))
    results = []
    for m, mod in ((mg, m_mod), (torch_, t_mod)):
        if layout == "batch_first":
            xl = m.tensor(x.transpose(1, 0, 2).copy(), requires_grad=True)
            xin = xl
        else:
            xl = m.tensor(_leaf_array(x, layout), requires_grad=True)
            xin = _make(m, xl, layout, x.shape)
        hl = m.tensor(_leaf_array(h0, "permuted"), requires_grad=True)
        hin = _make(m, hl, "permuted", h0.shape)
        state = (hin, hin * 0.5) if mode == "LSTM" else hin
        out, _ = mod(xin, state)
        w = m.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)) % 7 - 3)
        (out.transpose(0, 1) * w.transpose(0, 1)).sum().backward()
        results.append((out.detach(), xl.grad, hl.grad, [p.grad for p in mod.parameters()]))
    (mo, mx, mh, mp), (to, tx, th, tp) = results
    assert_close(mo, to, rtol=1e-12, atol=1e-12)
    assert_close(mx, tx, rtol=1e-10, atol=1e-12, msg="input gradient")
    assert_close(mh, th, rtol=1e-10, atol=1e-12, msg="initial state gradient")
    for a, b in zip(mp, tp):
        assert_close(a, b, rtol=1e-10, atol=1e-12, msg="parameter gradient")


def _hand_written() -> set:
    """Every Function subclass in minigrad that has its own backward."""
    seen, todo = set(), [Function]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return {c for c in seen if c.__module__.startswith("minigrad.") and "backward" in vars(c)}


# Ops checked elsewhere, and why: they have no layout-dependent array code to get wrong here.
ELSEWHERE = {
    "ToDevice": "moves an array between devices (tests/test_cuda.py)",
}


def test_every_hand_written_backward_is_in_the_layout_table(rng):
    """The table above reaches every op with a hand-written backward (a new op must join it)."""
    reached = set()
    for case in ALL_CASES:
        leaves = [mg.tensor(a, dtype=mg.float64, requires_grad=g) for a, g in zip(case.arrays(rng), case.requires_grad())]
        outs = _outputs(case.fn(mg, *leaves))
        reached |= {type(f) for f in functions_in([o for o in outs if o.requires_grad])}
    for mode in ("RNN", "GRU", "LSTM"):
        out, _ = getattr(mg.nn, mode)(2, 3)(mg.randn(4, 1, 2))
        reached |= {type(f) for f in functions_in([out])}
    # a base class's backward (_Extreme, _Triangle) is reached through its subclasses (Amax, Tril)
    missing = {c.__name__ for c in _hand_written() if not any(issubclass(r, c) for r in reached)} - set(ELSEWHERE)
    assert not missing, f"ops with a hand-written backward missing from the layout table: {sorted(missing)}"
