"""PyTorch 2.13's answers at the edges named in issue 26 ("Also"): gradient clipping of every order and
mixed dtypes, default_collate's dtypes, max() with a NaN upstream gradient, x ** 0.5 at -0.0."""
import collections
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, gradcheck
from minigrad.utils.data import DataLoader, default_collate


# ------------------------------------------------------------------ clip_grad_norm_
@pytest.mark.parametrize("norm_type", [-math.inf, math.inf, "inf", 2.0, 1, 0, 3.5, 0.5])
@pytest.mark.parametrize("max_norm", [1.0, 100.0, "tensor"])
def test_clip_grad_norm_every_order_and_mixed_dtypes_like_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    grads = [np.array([3.0, -4.0, 0.0], np.float32), np.array([0.5, -2.0]), np.array([[1e-3]], np.float32)]
    out = []
    for L in (mg, torch):
        ps = []
        for g in grads:
            p = L.nn.Parameter(L.zeros(g.shape, dtype=L.float64 if g.dtype == np.float64 else L.float32))
            p.grad = L.tensor(g)
            ps.append(p)
        mn = L.tensor(1.0) if max_norm == "tensor" else max_norm
        out.append((L.nn.utils.clip_grad_norm_(ps, mn, norm_type=norm_type), ps))
    (mt, mps), (tt, tps) = out
    assert mt.dtype == mg.float64 and tt.dtype == torch.float64  # float32 and float64 norms stack to float64
    assert_close(mt, tt, rtol=1e-6, atol=0)
    for a, b in zip(mps, tps):
        assert a.grad.dtype == a.dtype
        assert_close(a.grad, b.grad, rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_minus_inf_is_the_smallest_magnitude():
    p = mg.nn.Parameter(mg.zeros(3))
    p.grad = mg.tensor([-0.25, 2.0, 7.0])
    assert mg.nn.utils.clip_grad_norm_([p], 1.0, norm_type=-math.inf).item() == 0.25
    with pytest.raises(ValueError, match="norm_type"):
        mg.nn.utils.clip_grad_norm_([p], 1.0, norm_type="two")


# ------------------------------------------------------------------ default_collate
Point = collections.namedtuple("Point", "x y")
BATCHES = [
    [1.5, 2.5], [1, 2], [True, False], [1, 2.5], ["a", "b"], [b"a", b"b"], [(1.5, "x"), (2.5, "y")], [[1, 2], [3, 4]],
    [{"a": 1.0, "b": (1, "s")}, {"a": 2.0, "b": (2, "t")}], [Point(1, 2.0), Point(3, 4.0)],
    [np.float32(1), np.float32(2)], [np.array([1, 2], np.int32), np.array([3, 4], np.int32)], [np.bool_(True), np.bool_(False)],
]


def _same(m, t, torch):
    if isinstance(t, torch.Tensor):
        assert isinstance(m, mg.Tensor) and str(m.dtype) == str(t.dtype), (m, t)
        assert m.tolist() == t.tolist()
    else:
        assert type(m) is type(t), (m, t)
        if isinstance(t, dict):
            assert list(m) == list(t)
            for k in t:
                _same(m[k], t[k], torch)
        elif isinstance(t, (list, tuple)):
            assert len(m) == len(t)
            for a, b in zip(m, t):
                _same(a, b, torch)
        else:
            assert m == t


@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: repr(b)[:30])
def test_default_collate_matches_pytorch(batch):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    _same(default_collate(batch), torch_collate(batch), torch)


def test_dataloader_of_python_floats_is_float64_like_pytorch():
    (batch,) = list(DataLoader([1.5, 2.5], batch_size=2))
    assert batch.dtype == mg.float64 and batch.tolist() == [1.5, 2.5]


@pytest.mark.parametrize("batch, kind", [([[1, 2], [3]], RuntimeError), ([np.array(["a"]), np.array(["b"])], TypeError),
                                         ([object(), object()], TypeError)])
def test_default_collate_refuses_what_pytorch_refuses(batch, kind):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises(kind):
        torch_collate(batch)
    with pytest.raises(kind, match="default_collate"):
        default_collate(batch)


# ------------------------------------------------------------------ max() with a NaN gradient
@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("upstream", [math.nan, math.inf])
@pytest.mark.parametrize("values", [[1.0, 3.0, 2.0], [3.0, 3.0, 1.0], [1.0, math.nan, 2.0]])
def test_whole_tensor_extremes_with_a_nan_or_inf_upstream_gradient_like_pytorch(op, upstream, values):
    torch = pytest.importorskip("torch")
    mx, tx = mg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    getattr(mx, op)().backward(mg.tensor(upstream))
    getattr(tx, op)().backward(torch.tensor(upstream))
    assert_close(mx.grad, tx.grad, equal_nan=True)


# ------------------------------------------------------------------ x ** 0.5 at -0.0
def _signs(t):
    """The sign bits of a tensor's numbers (a NaN's sign means nothing)."""
    a = t.detach().cpu().numpy()
    return [None if np.isnan(v) else bool(np.signbit(v)) for v in a.ravel()]


@pytest.mark.parametrize("exponent", [0.5, -0.5, 1.5, -1.5, 2, 3, -1, 0.0])
@pytest.mark.parametrize("value", [-0.0, 0.0, -math.inf, math.inf, 4.0, -4.0])
def test_pow_with_a_python_exponent_at_signed_zero_and_infinity_like_pytorch(exponent, value):
    torch = pytest.importorskip("torch")
    mx, tx = mg.tensor([value], requires_grad=True), torch.tensor([value], requires_grad=True)
    my, ty = mx**exponent, tx**exponent
    assert_close(my, ty, equal_nan=True)
    assert _signs(my) == _signs(ty)
    my.backward(mg.ones(1))
    ty.backward(torch.ones(1))
    assert_close(mx.grad, tx.grad, equal_nan=True)
    assert _signs(mx.grad) == _signs(tx.grad)


@pytest.mark.parametrize("exponent", [0.5, -0.5, 1.5])
def test_pow_with_a_half_integer_exponent_passes_gradcheck(exponent):
    x = mg.tensor([0.3, 1.7, 4.0], dtype=mg.float64, requires_grad=True)
    assert gradcheck(lambda a: a**exponent, [x])


# ------------------------------------------------------------------ LBFGS state from PyTorch
def _lbfgs(L, w0, A, b):
    w = L.nn.Parameter(L.tensor(w0.copy()))
    opt = L.optim.LBFGS([w], lr=0.5, max_iter=3, history_size=2)
    At, bt = L.tensor(A), L.tensor(b)

    def closure():
        opt.zero_grad()
        loss = ((At @ w - bt) ** 2).sum()
        loss.backward()
        return loss

    return w, opt, closure


@pytest.mark.parametrize("through_file", [False, True])
def test_lbfgs_continues_from_pytorchs_state_like_pytorch(through_file, tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    A, b = rng.standard_normal((6, 3)), rng.standard_normal(6)
    tw, topt, tclosure = _lbfgs(torch, np.zeros(3), A, b)
    topt.step(tclosure)
    state = topt.state_dict()  # holds torch tensors, lists of them, and 0-d tensors for H_diag and ro
    if through_file:  # as arrays, the way a converted checkpoint carries it
        convert = lambda v: v.numpy() if isinstance(v, torch.Tensor) else [convert(x) for x in v] if isinstance(v, list) else v  # noqa: E731
        state = {"state": {0: {k: convert(v) for k, v in state["state"][0].items()}}, "param_groups": state["param_groups"]}
        mg.save(state, tmp_path / "lbfgs.ckpt")
        state = mg.load(tmp_path / "lbfgs.ckpt")
    mw, mopt, mclosure = _lbfgs(mg, tw.detach().cpu().numpy(), A, b)
    mopt.load_state_dict(state)
    for _ in range(2):
        assert_close(mopt.step(mclosure), topt.step(tclosure), rtol=1e-10, atol=1e-12)
        assert_close(mw, tw, rtol=1e-10, atol=1e-12)
