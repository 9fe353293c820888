"""Every op three ways: forward against NumPy, backward against finite differences
(float64 gradcheck) and both against PyTorch with the same lambda."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, gradcheck

from op_cases import CASES

IDS = [c.name for c in CASES]


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _leaves(module, case, arrays, device=None):
    kw = {"device": device} if device else {}
    return [module.tensor(a, dtype=module.float64, requires_grad=g, **kw) for a, g in zip(arrays, case.requires_grad())]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy(case, rng, device):
    if case.ref is None:
        pytest.skip("no independent NumPy formula for this case; checked against PyTorch and finite differences")
    arrays = case.arrays(rng)
    outs = _as_tuple(case.fn(mg, *_leaves(mg, case, arrays, device)))
    refs = _as_tuple(case.ref(*arrays))
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        assert o.device == device
        assert o.dtype == mg.float64
        assert_close(o, np.asarray(r), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_matches_finite_differences(case, rng):
    if not case.finite_differences:
        pytest.skip("the gradient is defined not to be the derivative here (as in PyTorch); checked against PyTorch")
    gradcheck(lambda *xs: case.fn(mg, *xs), _leaves(mg, case, case.arrays(rng)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_pytorch(case, rng, device):
    torch = pytest.importorskip("torch")
    arrays = case.arrays(rng)
    mx, tx = _leaves(mg, case, arrays, device), _leaves(torch, case, arrays)
    mo, to = _as_tuple(case.fn(mg, *mx)), _as_tuple(case.fn(torch, *tx))
    upstream = [rng.standard_normal(tuple(o.shape)) for o in to]
    for m_out, t_out in zip(mo, to):
        assert tuple(m_out.shape) == tuple(t_out.shape)
        assert_close(m_out, t_out, rtol=1e-12, atol=1e-12)
    sum(((o * mg.tensor(u, device=device)).sum() for o, u in zip(mo, upstream)), mg.zeros((), dtype=mg.float64, device=device)).backward()
    sum((o * torch.tensor(u)).sum() for o, u in zip(to, upstream)).backward()
    for i, (m, t) in enumerate(zip(mx, tx)):
        if t.grad is None:
            assert m.grad is None or not m.grad.data.any(), f"input {i}"
        else:
            assert m.grad is not None, f"input {i} got no gradient"
            assert_close(m.grad, t.grad, rtol=1e-10, atol=1e-12, msg=f"gradient of input {i}")
