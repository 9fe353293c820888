"""The class-index losses, ``nll_loss`` and ``cross_entropy``, each one op with a hand-derived backward:
finite differences in float64 and PyTorch over every option (weights, ignored targets, reductions,
label smoothing, K-dimensional inputs) and at the edges (every target ignored, zero weights,
infinite and NaN logits, empty batches), on each device."""
import itertools

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.testing import assert_close, gradcheck

INF, NAN = float("inf"), float("nan")

# (input shape, target) pairs: one sample, a batch, K-dimensional (N, C, d1) and (N, C, d1, d2)
SHAPES = [
    ((4,), np.array(2)),
    ((5, 4), np.array([2, -100, 0, 3, 3])),
    ((3, 4, 2), np.array([[1, 3], [-100, 0], [2, 2]])),
    ((2, 3, 2, 2), np.array([[[0, 2], [1, -100]], [[2, 2], [0, 1]]])),
]
OPTIONS = list(itertools.product(["mean", "sum", "none"], [False, True], [0.0, 0.2]))  # reduction, weight, smoothing


def _call(L, loss, x, t, weight, reduction, smoothing, ignore_index=-100):
    kw = dict(weight=weight, ignore_index=ignore_index, reduction=reduction)
    if loss == "cross_entropy":
        return L.nn.functional.cross_entropy(x, t, label_smoothing=smoothing, **kw)
    return L.nn.functional.nll_loss(x, t, **kw)


def _cases():
    for (shape, target), (reduction, weighted, smoothing), loss in itertools.product(SHAPES, OPTIONS, ["cross_entropy", "nll_loss"]):
        if loss == "nll_loss" and smoothing:
            continue
        yield pytest.param(loss, shape, target, reduction, weighted, smoothing,
                           id=f"{loss}-{shape}-{reduction}-{'w' if weighted else 'now'}-{smoothing}")


@pytest.mark.parametrize("loss, shape, target, reduction, weighted, smoothing", list(_cases()))
def test_gradient_matches_finite_differences(loss, shape, target, reduction, weighted, smoothing, rng):
    x = mg.tensor(rng.standard_normal(shape), dtype=mg.float64, requires_grad=True)
    w = mg.tensor(rng.uniform(0.5, 2.0, shape[1] if len(shape) > 1 else shape[0]), dtype=mg.float64) if weighted else None
    gradcheck(lambda x: _call(mg, loss, x, mg.tensor(target), w, reduction, smoothing), [x])


def _both(torch, loss, x, target, weight, reduction, smoothing, device, ignore_index=-100, dtype="float64"):
    """The loss and the input's gradient (under a random upstream gradient) in minigrad and PyTorch."""
    up = np.random.default_rng(7).standard_normal(target.shape) if reduction == "none" else np.array(1.5)
    out = []
    for L, kw in ((mg, {"device": device}), (torch, {})):
        xt = L.tensor(x, dtype=getattr(L, dtype), requires_grad=True, **kw)
        wt = None if weight is None else L.tensor(weight, dtype=getattr(L, dtype), **kw)
        y = _call(L, loss, xt, L.tensor(target, **kw), wt, reduction, smoothing, ignore_index)
        (y * L.tensor(up, dtype=getattr(L, dtype), **kw)).sum().backward()
        out.append((y, xt.grad))
    return out


@pytest.mark.parametrize("loss, shape, target, reduction, weighted, smoothing", list(_cases()))
def test_matches_pytorch(loss, shape, target, reduction, weighted, smoothing, rng, device):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape)
    w = rng.uniform(0.5, 2.0, shape[1] if len(shape) > 1 else shape[0]) if weighted else None
    (my, mg_grad), (ty, t_grad) = _both(torch, loss, x, target, w, reduction, smoothing, device)
    assert tuple(my.shape) == tuple(ty.shape) and my.dtype == mg.float64
    assert_close(my, ty.detach(), rtol=1e-12, atol=1e-12)
    assert_close(mg_grad, t_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("case", [
    "all ignored", "all ignored, weighted", "zero weights", "weights summing to zero", "inf and NaN logits",
    "inf and NaN logits, ignored rows", "empty batch", "empty K-dim", "float32",
])
def test_edges_match_pytorch(loss, reduction, smoothing, case, device):
    torch = pytest.importorskip("torch")
    if loss == "nll_loss" and smoothing:
        pytest.skip("nll_loss has no label smoothing")
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0], [0.2, 0.1, 4.0]])
    t, w, ignore, dtype = np.array([0, 2, 1]), None, -100, "float64"
    if case.startswith("all ignored"):
        t = np.array([1, 1, 1])
        ignore = 1
        w = np.array([1.0, 2.0, 3.0]) if "weighted" in case else None
    elif case == "zero weights":
        w = np.array([0.0, 0.0, 0.0])
    elif case == "weights summing to zero":
        w = np.array([1.0, 2.0, -1.0])
        t = np.array([0, 2, 2])
    elif case.startswith("inf and NaN"):
        x = np.array([[INF, 1.0, 0.0], [-INF, -INF, -INF], [NAN, 0.0, 1.0], [-INF, 2.0, 1.0], [1.0, 2.0, 3.0]])
        t = np.array([1, 0, 2, 0, 1]) if "ignored" not in case else np.array([-100, -100, -100, 0, 1])
    elif case == "empty batch":
        x, t = np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    elif case == "empty K-dim":
        x, t = np.zeros((2, 3, 0)), np.zeros((2, 0), dtype=np.int64)
    elif case == "float32":
        dtype = "float32"
    if loss == "nll_loss" and not case.startswith("inf"):
        x = x - np.log(np.exp(x).sum(1, keepdims=True)) if x.size else x
    (my, mg_grad), (ty, t_grad) = _both(torch, loss, x, t, w, reduction, smoothing, device, ignore, dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    assert my.dtype == getattr(mg, dtype)
    assert tuple(my.shape) == tuple(ty.shape)
    assert_close(my, ty.detach(), rtol=tol, atol=tol, equal_nan=True)
    assert_close(mg_grad, t_grad, rtol=tol, atol=tol, equal_nan=True)


def test_the_losses_are_single_ops():
    x = mg.randn(4, 3, requires_grad=True)
    t = mg.tensor([0, 2, 1, 1])
    assert F.cross_entropy(x, t).grad_fn.op_name == "CrossEntropy"
    assert F.nll_loss(x, t).grad_fn.op_name == "NLL"
    assert F.cross_entropy(x, t).grad_fn.inputs == (x,)  # no graph of gathers, masks and divisions behind it


def test_bad_input_is_refused_clearly():
    x = mg.randn(4, 3)
    t = mg.tensor([0, 2, 1, 1])
    for op in (F.cross_entropy, F.nll_loss):
        name = op.__name__
        with pytest.raises(mg.ShapeError, match=rf"{name}: weight must have one entry per class, shape \(3,\), got shape \(4,\)"):
            op(x, t, weight=mg.ones(4))
        with pytest.raises(RuntimeError, match=rf"{name}: weight \(shape \(3,\) torch.float64 on [\w:]+\) must have the input.s dtype and device"):
            op(x, t, weight=mg.ones(3, dtype=mg.float64))
        with pytest.raises(RuntimeError, match=rf"{name}: not differentiable with respect to weight"):
            op(x, t, weight=mg.ones(3, requires_grad=True))
        with pytest.raises(ValueError, match=rf"{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
            op(x, t, reduction="avg")
        with pytest.raises(TypeError, match=rf"{name}: target must hold class indices"):
            op(x, mg.tensor([True, False, True, True]))
        with pytest.raises(mg.ShapeError, match=rf"{name}: input must have a class dimension"):
            op(mg.tensor(1.0), mg.tensor(0))
        with pytest.raises(IndexError, match=rf"{name}: target class -1 is out of range for 3 classes"):
            op(x, mg.tensor([0, -1, 1, 1])).item()
    with mg.no_grad():  # a weight that requires grad is fine where no graph is recorded
        assert np.isfinite(F.cross_entropy(x, t, weight=mg.ones(3, requires_grad=True)).item())


def test_the_gradient_survives_a_second_backward():
    x = mg.randn(5, 4, requires_grad=True)
    loss = F.cross_entropy(x, mg.tensor([0, 3, -100, 2, 1]), label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = x.grad.cpu().numpy().copy()
    loss.backward()
    assert_close(x.grad, 2 * first, rtol=1e-6, atol=1e-7)
