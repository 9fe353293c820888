"""minigrad.testing: its checks must catch wrong gradients and say where they are wrong."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.testing import GradcheckError, assert_close, gradcheck


class WrongSquare(Function):
    """Forward x^2, but a backward that forgets the factor 2 on the last element."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        g = 2 * gy * self.x
        g[..., -1] /= 2
        return g


def test_gradcheck_passes_on_correct_ops():
    x = mg.randn(3, 2, dtype=mg.float64, requires_grad=True)
    w = mg.randn(2, 4, dtype=mg.float64, requires_grad=True)
    assert gradcheck(lambda a, b: (a @ b).tanh(), [x, w])


def test_gradcheck_reports_the_worst_element():
    x = mg.tensor([[1.0, 2.0, 3.0]], dtype=mg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda t: WrongSquare().apply(t), [x])
    msg = str(err.value)
    assert "WrongSquare" in msg
    assert "input 0 (shape (1, 3)): 1 of 3 elements disagree; worst at index (0, 2)" in msg
    assert "analytic" in msg and "numeric" in msg


def test_gradcheck_without_raise_returns_false():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    assert gradcheck(lambda t: WrongSquare().apply(t), [x], raise_exception=False) is False


def test_gradcheck_requires_float64_and_an_input_that_requires_grad():
    with pytest.raises(TypeError, match="finite differences need float64"):
        gradcheck(lambda t: t * 2, [mg.ones(2, requires_grad=True)])
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        gradcheck(lambda t: t * 2, [mg.ones(2, dtype=mg.float64)])


def test_gradcheck_leaves_inputs_unchanged():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    gradcheck(lambda t: t.exp(), [x])
    assert x.tolist() == [1.0, 2.0]


def test_assert_close_passes_and_uses_dtype_tolerances():
    assert_close(mg.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-6])
    assert_close(np.float64(1.0), 1.0)
    with pytest.raises(AssertionError):
        assert_close(mg.tensor([1.0], dtype=mg.float64), [1.0 + 1e-6])


def test_assert_close_message_names_the_mismatches():
    with pytest.raises(AssertionError) as err:
        assert_close(mg.tensor([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.5, 4.0]], msg="h_2")
    msg = str(err.value)
    assert msg.startswith("h_2\nTensors are not close: 1 of 4 elements (25.0%)")
    assert "Greatest absolute difference: 0.5 at index (1, 0) (actual 3, expected 3.5)" in msg


def test_assert_close_shape_mismatch():
    with pytest.raises(AssertionError, match=r"shapes differ: actual \(2,\), expected \(3,\)"):
        assert_close(mg.ones(2), np.ones(3))


def test_assert_close_nan_handling():
    with pytest.raises(AssertionError):
        assert_close([np.nan], [np.nan])
    assert_close([np.nan], [np.nan], equal_nan=True)
