"""In-place index ops on tensors in the graph (``scatter_``, ``scatter_add_``, ``index_fill_``, ``masked_fill_``) are
recorded for backward as PyTorch records them, with gradients to ``self`` and to ``src``; and the out-of-place
``scatter``/``scatter_add``. Checked three ways: PyTorch, finite differences, and the formula by hand."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import gradcheck


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


IDX = [[0, 0, 2], [1, 1, 1]]  # repeated places: the gradient to src is read at the place each element went
DISTINCT = [[0, 2, 1], [1, 0, 2]]  # for finite differences: a src element overwritten by another has no effect
W = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
S = np.linspace(0.5, 2.0, 6).reshape(2, 3)
G = np.arange(6.0).reshape(2, 3) - 2.5  # the upstream gradient

CHANGES = {
    "scatter_": lambda L, y, s, i: y.scatter_(1, L.tensor(i), s),
    "scatter_ value": lambda L, y, s, i: y.scatter_(1, L.tensor(IDX), 2.5),
    "scatter_add_": lambda L, y, s, i: y.scatter_add_(1, L.tensor(i), s),
    "scatter_ dim 0": lambda L, y, s, i: y.scatter_(0, L.tensor([[1, 0, 1]]), s[:1]),
    "scatter_ of a row view": lambda L, y, s, i: y[1].scatter_(0, L.tensor([2, 0]), s[0, :2]),
    "index_fill_": lambda L, y, s, i: y.index_fill_(1, L.tensor([2, 0]), -1.0),
    "masked_fill_": lambda L, y, s, i: y.masked_fill_(L.tensor([[True, False, True], [False, False, True]]), 0.5),
    "masked_fill_ tensor value": lambda L, y, s, i: y.masked_fill_(L.tensor([True, False, True]), (s * s).sum()),
    "scatter_ then mul_": lambda L, y, s, i: y.scatter_(1, L.tensor(i), s).mul_(s),
}


def _run(L, change):
    w = L.tensor(W, requires_grad=True)
    s = L.tensor(S, requires_grad=True)
    y = w * 1.5  # a non-leaf in the graph
    CHANGES[change](L, y, s, IDX)
    (y * L.tensor(G)).sum().backward()
    return y.detach().numpy(), w.grad.numpy(), None if s.grad is None else s.grad.numpy()


@pytest.mark.parametrize("change", list(CHANGES))
def test_recorded_in_place_index_ops_agree_with_pytorch(change):
    torch = pytest.importorskip("torch")
    for m, t in zip(_run(mg, change), _run(torch, change)):
        assert (m is None) == (t is None)
        if m is not None:
            np.testing.assert_allclose(m, t, rtol=1e-12, atol=0)


@pytest.mark.parametrize("change", list(CHANGES))
def test_recorded_in_place_index_ops_pass_gradcheck(change):
    def f(w, s):
        y = w * 1.5
        CHANGES[change](mg, y, s, DISTINCT)
        return y
    assert gradcheck(f, [mg.tensor(W, requires_grad=True), mg.tensor(S, requires_grad=True)])


def test_the_scatter_gradient_by_hand():
    w, s = mg.tensor(W, requires_grad=True), mg.tensor(S, requires_grad=True)
    y = w * 1
    y.scatter_(1, mg.tensor(IDX), s)
    (y * mg.tensor(G)).sum().backward()
    written = np.zeros((2, 3), bool)
    written[[0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 1]] = True
    np.testing.assert_array_equal(w.grad.numpy(), np.where(written, 0.0, G))  # overwritten places get nothing
    np.testing.assert_array_equal(s.grad.numpy(), np.take_along_axis(G, np.array(IDX), 1))  # each src: G where it went


def test_scatter_into_a_tensor_without_grad_with_a_src_in_the_graph():
    torch = pytest.importorskip("torch")
    out = []
    for L in (torch, mg):
        s = L.tensor(S, requires_grad=True)
        z = L.zeros(2, 3, dtype=L.float64)
        z.scatter_(1, L.tensor(IDX), s)
        assert z.requires_grad and z.grad_fn is not None
        (z * z).sum().backward()
        out.append(s.grad.numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12)


def test_out_of_place_scatter_and_scatter_add_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    out = []
    for L in (torch, mg):
        w, s = L.tensor(W, requires_grad=True), L.tensor(S, requires_grad=True)
        a = L.scatter(w, 1, L.tensor([[2, 0, 1], [0, 1, 2]]), s)
        b = w.scatter_add(0, L.tensor([[1, 1, 0]]), s[:1])
        c = w.scatter(1, L.tensor([[1], [0]]), 7.0)
        ((a + b * b + c) * L.tensor(G)).sum().backward()
        out.append([a.detach().numpy(), b.detach().numpy(), c.detach().numpy(), w.grad.numpy(), s.grad.numpy()])
        assert w._version == 0  # out of place
    for m, t in zip(out[1], out[0]):
        np.testing.assert_allclose(m, t, rtol=1e-12)


def test_a_reduce_has_no_derivative_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for L in (torch, mg):
        w = L.tensor(W, requires_grad=True)
        y = w * 1
        y.scatter_(1, L.tensor(IDX), L.tensor(S), reduce="add")  # forward works
        with pytest.raises(RuntimeError, match="derivative .*scatter_.* not implemented"):
            y.sum().backward()


def test_changing_the_index_after_a_recorded_scatter_is_caught():
    torch = pytest.importorskip("torch")
    for L in (torch, mg):
        s = L.tensor(S, requires_grad=True)
        i = L.tensor(IDX)
        y = L.zeros(2, 3, dtype=L.float64).scatter(1, i, s)
        i[0, 0] = 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_scatter_refuses_what_pytorch_refuses():
    torch = pytest.importorskip("torch")
    for L in (torch, mg):
        with pytest.raises(RuntimeError):  # src of another dtype
            L.zeros(3).scatter_(0, L.tensor([0]), L.ones(1, dtype=L.float64))
        with pytest.raises(RuntimeError, match="leaf"):
            L.zeros(3, requires_grad=True).scatter_(0, L.tensor([0]), 1.0)
        assert L.zeros(3).scatter_(0, L.tensor([1]), L.tensor(4.0)).tolist() == [0.0, 4.0, 0.0]  # a 0-d src is a value
