"""``view``, ``reshape``, ``flatten`` and ``contiguous`` as PyTorch's: a view aliases its tensor (writes and the
version counter are shared), ``view`` refuses what PyTorch's stride rule refuses, and ``reshape`` copies
where no view exists, into an independent tensor. The random layouts are in tests/fuzz/test_view_fuzz.py."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.ops.shape import view_strides
from minigrad.testing import assert_close, gradcheck


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


def test_view_refuses_what_pytorch_refuses_and_says_to_reshape():
    torch = pytest.importorskip("torch")
    for lib in (torch, mg):
        x = lib.arange(24.0).reshape(2, 3, 4)
        with pytest.raises(RuntimeError, match=r"reshape" if lib is torch else
                           r"view: a tensor of shape .*\[2, 4, 3\].* with strides \(12, 1, 4\) cannot be seen as shape "
                           r"\(2, 12\) without copying.*\.reshape\(\.\.\.\).*\.contiguous\(\)\.view"):
            x.transpose(1, 2).view(2, 12)
        with pytest.raises(RuntimeError):
            x[:, :1].expand(2, 3, 4).view(-1)
        assert x.transpose(1, 2).view(2, 4, 3, 1).shape == (2, 4, 3, 1)  # splitting a dimension is always a view
        assert x.transpose(1, 2).contiguous().view(2, 12).shape == (2, 12)


def test_a_view_aliases_both_ways_and_shares_the_version_counter():
    torch = pytest.importorskip("torch")
    for lib in (torch, mg):
        x = lib.arange(12.0).reshape(3, 4)
        v = x[:, 1:3].t().view(2, 3, 1)  # a view of a view of a strided slice: one chunk per row of x
        v[1, 2, 0] = 100.0
        assert x[2, 2].item() == 100.0
        x[0, 1] = -1.0
        assert v[0, 0, 0].item() == -1.0
        assert x._version == v._version == 2


def test_reshape_copies_into_an_independent_tensor_where_no_view_exists():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, mg):
        w = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        y = w.exp()  # its node saves y: changing y in place would fail its backward
        r = y.t().reshape(-1)  # a copy: the in-place change below is not y's
        r.mul_(2)
        assert y._version == 0 and r._version == 1
        (y.sum() + (r * lib.arange(6.0, dtype=lib.float64)).sum()).backward()
        grads.append(w.grad.numpy())
        v = w.detach().reshape(-1)  # contiguous: a view, one version counter
        v.add_(1)
        assert w._version == 1
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_contiguous_copies_only_a_non_contiguous_tensor_and_stays_in_the_graph():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((3, 4))
    grads = []
    for lib in (torch, mg):
        w = lib.tensor(a, requires_grad=True)
        y = w * 1
        assert y.contiguous() is y
        c = y.t().contiguous()
        assert c is not y and c.view(-1).shape == (12,)
        (c.view(-1) * lib.arange(12.0, dtype=lib.float64)).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=0)
    assert gradcheck(lambda x: x.t().contiguous().view(-1) * mg.arange(12.0, dtype=mg.float64), [mg.tensor(a, requires_grad=True)])


def test_writes_through_a_view_reach_the_graph_of_the_base():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).standard_normal((2, 3))
    grads = []
    for lib in (torch, mg):
        w = lib.tensor(a, requires_grad=True)
        y = w * 1
        v = y.view(3, 2)
        v.mul_(lib.tensor([[1.0, 2.0]], dtype=lib.float64))  # recorded through the view: y changes too
        (y * y).sum().backward()
        grads.append((y.detach().numpy().copy(), w.grad.numpy()))
    for (ym, gm), (yt, gt) in zip(grads[1:], grads[:1]):
        np.testing.assert_allclose(ym, yt, rtol=0)
        np.testing.assert_allclose(gm, gt, rtol=1e-12)


def test_flatten_of_nothing_is_the_tensor_and_otherwise_follows_reshape():
    torch = pytest.importorskip("torch")
    for lib in (torch, mg):
        x = lib.zeros(2, 3, 4)
        assert x.flatten(1, 1) is x
        f = x.flatten(1)
        f[0, 5] = 1.0
        assert x[0, 1, 1].item() == 1.0  # a view
        g = x.transpose(0, 2).flatten()
        g[0] = 5.0
        assert x[0, 0, 0].item() == 0.0  # a copy


def test_the_stride_rule_by_hand():
    # (2, 3, 4) transposed to (2, 4, 3), strides (12, 1, 4): the chunks are {dim 0} and {dims 1, 2}
    assert view_strides((2, 4, 3), (12, 1, 4), (2, 12)) is None
    assert view_strides((2, 4, 3), (12, 1, 4), (2, 4, 3, 1)) == (12, 1, 4, 4)
    assert view_strides((2, 3, 4), (12, 4, 1), (6, 4)) == (4, 1)
    assert view_strides((3, 2), (0, 1), (6,)) is None  # expanded: the rows share memory
    assert view_strides((1, 0), (5, 1), (0, 7)) is not None  # no elements: any shape


def test_unflatten_is_a_view_even_of_a_transposed_tensor():
    torch = pytest.importorskip("torch")
    for lib in (torch, mg):
        x = lib.arange(24.0).reshape(4, 6)
        u = x.t().unflatten(0, (2, -1))  # splitting one dimension never needs a copy
        assert tuple(u.shape) == (2, 3, 4)
        u[1, 2, 3] = -5.0
        assert x[3, 5].item() == -5.0 and x._version == u._version == 1
        assert tuple(lib.nn.Unflatten(1, (3, 2))(x).shape) == (4, 3, 2)
        with pytest.raises(RuntimeError, match="unflatten"):
            x.unflatten(1, (4, 2))
        with pytest.raises(RuntimeError, match="sizes must be non-empty"):
            x.unflatten(1, ())
