"""Hypothesis property tests: random shapes, broadcasting and size-1 axes, checked against
finite differences and (when installed) PyTorch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.testing import assert_close, gradcheck

SETTINGS = settings(max_examples=25, deadline=None)
BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 0.5),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "where": lambda m, a, b: m.where(a > 0, a, b),
}


def _leaf(module, arr):
    return module.tensor(arr, dtype=module.float64, requires_grad=True)


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_binary_ops(shapes, op, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    fn = BINARY[op]
    ma, mb = _leaf(mg, a), _leaf(mg, b)
    out = fn(mg, ma, mb)
    assert out.shape == shapes.result_shape
    gradcheck(lambda x, y: fn(mg, x, y), [ma, mb])
    assert ma.grad.shape == sa and mb.grad.shape == sb  # summed back to each operand's shape


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3),
    data=st.data(),
    keepdim=st.booleans(),
    op=st.sampled_from(["sum", "mean", "amax", "logsumexp", "var"]),
)
def test_reductions_over_random_dims(shape, data, keepdim, op):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    if op == "var" and np.prod([shape[d] for d in dims]) < 2:
        dims = list(range(len(shape)))
        if np.prod(shape) < 2:
            return
    rng = np.random.default_rng(len(shape) * 31 + sum(dims))
    a = rng.standard_normal(shape)
    fn = lambda m, x: getattr(x, op)(tuple(dims), keepdim=keepdim)  # noqa: E731
    x = _leaf(mg, a)
    gradcheck(lambda t: fn(mg, t), [x])
    torch = pytest.importorskip("torch")
    t = _leaf(torch, a)
    assert_close(fn(mg, x), fn(torch, t), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_softmax_rows_sum_to_one_and_match_log_softmax(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = np.random.default_rng(0).standard_normal(shape) * 10
    x = mg.tensor(a, dtype=mg.float64)
    p = x.softmax(dim)
    assert_close(p.sum(dim), np.ones(p.sum(dim).shape), rtol=1e-12, atol=1e-12)
    assert_close(x.log_softmax(dim), np.log(p.cpu().numpy()), rtol=1e-10, atol=1e-10)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3), seed=st.integers(0, 100))
def test_reshape_and_permute_round_trip_gradients(shape, seed):
    perm = list(np.random.default_rng(seed).permutation(len(shape)))
    a = np.random.default_rng(seed).standard_normal(shape)
    x = _leaf(mg, a)
    gradcheck(lambda t: t.permute(*perm).reshape(-1) * mg.arange(int(np.prod(shape)), dtype=mg.float64), [x])


@SETTINGS
@given(
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2),
    n=st.integers(1, 3), k=st.integers(1, 3), p=st.integers(1, 3),
)
def test_batched_matmul_with_broadcasting(batch, n, k, p):
    ba, bb = batch.input_shapes
    rng = np.random.default_rng(n * 9 + k * 3 + p)
    a, b = rng.standard_normal(ba + (n, k)), rng.standard_normal(bb + (k, p))
    ma, mb = _leaf(mg, a), _leaf(mg, b)
    assert_close(ma @ mb, np.matmul(a, b), rtol=1e-12, atol=1e-12)
    gradcheck(lambda x, y: x @ y, [ma, mb])


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
    idx=st.lists(st.integers(0, 3), min_size=1, max_size=6),
)
def test_advanced_indexing_accumulates_repeated_indices(shape, idx):
    idx = [i % shape[0] for i in idx]
    a = np.random.default_rng(0).standard_normal(shape)
    x = _leaf(mg, a)
    x[mg.tensor(idx)].sum().backward()
    counts = np.bincount(idx, minlength=shape[0]).astype(float)
    assert_close(x.grad, np.broadcast_to(counts.reshape((-1,) + (1,) * (len(shape) - 1)), shape), rtol=0, atol=0)
