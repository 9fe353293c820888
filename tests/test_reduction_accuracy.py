"""Reductions as PyTorch 2.13 computes them: ``dim=()`` / ``dim=[]`` (every dimension for the arithmetic
reductions, none for ``all``/``any``), and float16/float32 sums, means, running sums and variances
accumulated as accurately as PyTorch's (issue 26)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, gradcheck

RNG = np.random.default_rng(26)


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "var", "std"])
@pytest.mark.parametrize("empty", [(), []])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape", [(2, 3), (4,), (2, 1, 3)])
def test_empty_dim_reduces_every_dimension_like_pytorch(op, empty, keepdim, shape):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape)
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mo, to = getattr(mx, op)(dim=empty, keepdim=keepdim), getattr(tx, op)(dim=empty, keepdim=keepdim)
    assert tuple(mo.shape) == tuple(to.shape)
    assert_close(mo, to, rtol=1e-12, atol=1e-12)
    g = RNG.standard_normal(tuple(to.shape))
    (mo * mg.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    assert_close(mx.grad, tx.grad, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a: getattr(mg, op)(a, dim=empty, keepdim=keepdim), [mg.tensor(x, requires_grad=True)])


@pytest.mark.parametrize("op", ["all", "any"])
def test_empty_dim_reduces_nothing_for_all_and_any_like_pytorch(op):
    torch = pytest.importorskip("torch")
    x = RNG.random((2, 3)) > 0.5
    for empty in ((), []):
        assert_close(getattr(mg, op)(mg.tensor(x), dim=empty), getattr(torch, op)(torch.tensor(x), dim=empty))


def test_logsumexp_with_empty_dim_reduces_every_dimension():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3))
    # PyTorch 2.13 reduces every dimension with keepdim=True and fails (an internal shape error) without it
    assert_close(mg.logsumexp(mg.tensor(x), (), keepdim=True), torch.logsumexp(torch.tensor(x), (), keepdim=True))
    assert_close(mg.logsumexp(mg.tensor(x), []), torch.logsumexp(torch.tensor(x), (0, 1)))


# ------------------------------------------------------------------ low precision
def _pair(a):
    torch = pytest.importorskip("torch")
    return torch, mg.tensor(a), torch.tensor(a)


def test_float16_sum_accumulates_in_float32_like_pytorch():
    torch, m, t = _pair(np.full(3000, 0.1, np.float16))
    assert m.sum().item() == t.sum().item() == 300.0  # a float16 accumulator stops at 256
    assert m.sum().dtype == mg.float16


def test_float16_mean_divides_before_rounding_to_float16_like_pytorch():
    torch, m, t = _pair(np.array([60000, 60000], np.float16))
    assert m.mean().item() == t.mean().item() == 60000.0
    assert m.mean().dtype == mg.float16
    x = mg.tensor(np.array([60000, 60000], np.float16), requires_grad=True)
    x.mean().backward()
    assert x.grad.dtype == mg.float16 and x.grad.tolist() == [0.5, 0.5]


@pytest.mark.parametrize("shape, dim", [((1_000_000, 2), 0), ((2, 1_000_000), 1), ((1000, 1000), None), ((64, 128, 256), (0, 1))])
def test_float32_mean_and_sum_over_a_million_elements_are_within_pytorchs_error(shape, dim):
    torch, m, t = _pair(np.full(shape, 0.1, np.float32))
    exact = np.full(shape, np.float32(0.1), np.float64).sum(axis=dim)
    for op in ("sum", "mean"):
        mo, to = getattr(m, op)(dim), getattr(t, op)(dim)
        truth = exact if op == "sum" else exact / (np.prod(shape) // exact.size)
        merr = np.abs(mo.cpu().numpy().astype(np.float64) - truth).max()
        terr = np.abs(to.cpu().numpy().astype(np.float64) - truth).max()
        # PyTorch's own error, or one float32 rounding of the result: whichever is larger
        assert merr <= max(terr, np.abs(truth).max() * 2 ** -23), (op, merr, terr)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_cumsum_accumulates_like_pytorch(dtype):
    n = 1_000_000 if dtype == np.float32 else 100_000
    torch, m, t = _pair(np.full(n, 0.1, dtype))
    assert_close(m.cumsum(0), t.cumsum(0), rtol=0, atol=0)  # PyTorch rounds each running sum of a wider accumulator
    x = mg.tensor(np.full(n, 0.1, dtype), requires_grad=True)
    x.cumsum(0).sum().backward()
    tx = torch.tensor(np.full(n, 0.1, dtype), requires_grad=True)
    tx.cumsum(0).sum().backward()
    assert_close(x.grad, tx.grad, rtol=0, atol=0)


def test_float32_std_of_huge_values_is_finite_and_float16_var_overflows_like_pytorch():
    torch, m, t = _pair(np.array([1e30, 2e30, 3e30], np.float32))
    assert_close(m.std(), t.std(), rtol=1e-6, atol=0)
    assert np.isinf(m.var().item()) and np.isinf(t.var().item())
    torch, m, t = _pair(np.array([60000, 50000, 40000], np.float16))
    assert m.std().item() == t.std().item() == 10000.0
    assert np.isinf(m.var().item()) and np.isinf(t.var().item())


@pytest.mark.parametrize("op", ["var", "std"])
def test_float32_variance_of_a_large_offset_sample_is_as_accurate_as_pytorchs(op):
    a = (1e4 + RNG.standard_normal(1_000_000)).astype(np.float32)
    torch, m, t = _pair(a)
    truth = getattr(np, op)(a.astype(np.float64), ddof=1)
    merr, terr = abs(getattr(m, op)().item() - truth), abs(getattr(t, op)().item() - truth)
    assert merr <= max(terr, truth * 2 ** -23)


def test_float64_sums_are_unchanged():
    a = RNG.standard_normal((300, 200))
    for dim in (0, 1, None):
        assert mg.tensor(a).sum(dim).cpu().numpy().tobytes() == a.sum(axis=dim).tobytes()
