"""The graph: accumulation, deep chains, buffer release, grad modes, retain_grad, in-place safety."""
import gc
import re
import sys
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.testing import assert_close


def test_gradients_accumulate_into_leaves_across_backward_calls():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert_close(x.grad, [3 + 2 * 1.0, 3 + 2 * 2.0])
    x.grad = None
    (x * 3).sum().backward()
    assert_close(x.grad, [3.0, 3.0])


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    (y * y).backward()  # d/dx y^2 = 2 y (2x + 1)
    assert x.grad.item() == pytest.approx(2 * 6.0 * 5.0)


def test_leaf_grads_are_independent_arrays():
    a = mg.ones(3, requires_grad=True)
    b = mg.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.data[0] = 100.0  # would corrupt b.grad if both held the same array
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_backward_through_a_chain_of_100k_ops_has_no_recursion():
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = x
    limit = sys.getrecursionlimit()
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert sys.getrecursionlimit() == limit


def test_topological_order_visits_each_node_once_in_a_diamond_lattice():
    # 2^30 paths through 60 nodes: a path enumeration would never finish
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = x
    for _ in range(30):
        y = y * 0.5 + y * 0.5
    y.backward()
    assert x.grad.item() == pytest.approx(1.0)


def test_nonscalar_backward_needs_a_gradient():
    x = mg.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"backward: the gradient can be implied only for a one-element output.*torch\.Size\(\[2, 3\]\)"):
        y.backward()
    y.backward(mg.ones(2, 3))
    assert_close(x.grad, np.full((2, 3), 2.0))
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape \(2, 3\)"):
        (x * 2).backward(mg.ones(3))


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mg.ones(2) * 2).sum().backward()


def test_second_backward_through_a_freed_graph_raises_and_retain_graph_allows_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))), rtol=1e-6)
    with pytest.raises(RuntimeError, match="a second time.*retain_graph=True"):
        y.backward()


def test_a_shared_subgraph_freed_by_one_backward_cannot_be_used_by_another():
    x = mg.tensor([1.0], requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2).sum().backward()


def test_saved_buffers_are_released_after_backward():
    x = mg.randn(50, 50, requires_grad=True)
    h = x.tanh()  # saves its output array
    saved = weakref.ref(h._ctx.y)
    loss = (h * h).sum()
    del h
    gc.collect()
    assert saved() is not None
    loss.backward()
    gc.collect()
    assert saved() is None


def test_retain_graph_keeps_buffers():
    x = mg.randn(4, requires_grad=True)
    h = x.tanh()
    node = h._ctx
    h.sum().backward(retain_graph=True)
    assert node.y is not None


def test_no_grad_context_and_decorator():
    x = mg.ones(2, requires_grad=True)
    with mg.no_grad():
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @mg.no_grad()
    def f(t):
        return t * 2

    @mg.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with mg.no_grad():
        assert g(x).requires_grad
    assert mg.is_grad_enabled()


def test_set_grad_enabled():
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    assert not (mg.ones(1, requires_grad=True) * 2).requires_grad
    mg.set_grad_enabled(True)


def test_retain_grad_keeps_gradient_of_intermediate_tensors():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    y = (h * h).sum()
    y.backward()
    assert_close(h.grad, [6.0, -12.0])
    other = x * 2
    other.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf tensor"):  # as PyTorch
        assert other.grad is None  # not retained: only leaves keep .grad


def test_retain_grad_on_every_step_of_a_recurrence():
    # the pattern the vanishing-gradient lesson uses: dL/dh_t for every t
    w = mg.tensor(0.5, dtype=mg.float64, requires_grad=True)
    h = mg.tensor(1.0, dtype=mg.float64)
    states = []
    for _ in range(5):
        h = mg.tanh(w * h + 0.1)
        h.retain_grad()
        states.append(h)
    states[-1].backward()
    grads = [s.grad.item() for s in states]
    assert grads[-1] == 1.0
    for t in range(4):  # dL/dh_t = dL/dh_{t+1} * w * (1 - h_{t+1}^2)
        expected = grads[t + 1] * 0.5 * (1 - states[t + 1].item() ** 2)
        assert grads[t] == pytest.approx(expected, rel=1e-12)


def test_leaf_properties():
    x = mg.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert mg.ones(2).is_leaf
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn)) and y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    d = y.detach()
    assert d.is_leaf and not d.requires_grad


def test_only_float_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients, this one is torch.int64"):
        mg.tensor([1, 2], requires_grad=True)


def test_inplace_on_a_tensor_that_requires_grad_is_refused_outside_no_grad():
    w = mg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="add_: a leaf Variable that requires grad is being used in an in-place operation"):
        w += 1
    with mg.no_grad():
        w -= 0.5  # how an optimizer updates parameters
    assert w.tolist() == [0.5, 0.5, 0.5]
    assert w.requires_grad and w.is_leaf


def test_inplace_change_of_a_saved_input_is_detected_at_backward():
    x = mg.tensor([1.0, 2.0])
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()  # backward needs x
    x += 1
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: input 0 of MulBackward0 \(shape \(2,\), torch.float32\) is at version 1; expected version 0"):
        y.backward()


def test_inplace_change_through_a_view_is_detected():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = mg.tensor([1.0, 1.0], requires_grad=True)
    y = (x[0] * w).sum()
    x[0, 1] = 10.0  # writes the memory the view x[0] shares
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_change_of_an_input_not_needed_for_backward_is_fine():
    x = mg.tensor([1.0, 2.0])
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    y = (x + w).sum()  # add's backward does not read x
    x += 1
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_multi_output_op_with_unused_outputs():
    x = mg.arange(6, dtype=mg.float64).requires_grad_()
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    assert x.grad.tolist() == [0, 0, 3, 3, 0, 0]


def test_custom_function():
    class Cube(Function):
        """y = x^3, dy/dx = 3x^2."""

        def forward(self, x):
            self.x = x
            return x**3

        def backward(self, gy):
            return gy * 3 * self.x**2

    x = mg.tensor([2.0], dtype=mg.float64, requires_grad=True)
    Cube().apply(x).sum().backward()
    assert x.grad.item() == 12.0
    from minigrad.testing import gradcheck

    gradcheck(lambda t: Cube().apply(t), [mg.randn(3, dtype=mg.float64, requires_grad=True)])


def test_grad_dtype_matches_leaf_under_promotion():
    a = mg.ones(2, requires_grad=True)  # float32
    b = mg.ones(2, dtype=mg.float64, requires_grad=True)
    y = a * b
    assert y.dtype == mg.float64
    y.sum().backward()
    assert a.grad.dtype == mg.float32 and b.grad.dtype == mg.float64


def test_second_backward_through_ops_that_saved_nothing_works_as_in_pytorch():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x + 1).sum()  # add and sum keep no buffers
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    pieces = x.split(1)  # one split node shared by two later graphs (truncated BPTT does this)
    (pieces[0] * 2).sum().backward()
    (pieces[2] * 3).sum().backward()
    assert x.grad.tolist() == [4.0, 2.0, 5.0]


def test_backward_frees_intermediate_results_even_if_the_loss_is_kept():
    x = mg.randn(100, 100, requires_grad=True)
    h = x.tanh()
    loss = (h * 2).sum()
    ref = weakref.ref(h)
    del h
    loss.backward()
    gc.collect()
    assert ref() is None and loss is not None


def test_row_gradients_add_up_for_aliased_negative_indices():
    x = mg.zeros(3, 2, requires_grad=True)
    x[[-1, 2, 0, -1]].sum().backward()
    assert x.grad.tolist() == [[1, 1], [0, 0], [3, 3]]
