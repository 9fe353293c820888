r"""Elementwise ops. Binary ops broadcast as NumPy does, and the gradient of a
broadcast operand is summed back to its shape (:func:`sum_to_shape`)."""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy

from .. import backend
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import (
    DTypeError,
    ShapeError,
    as_operand,
    binary_operands,
    broadcast_error,
    cast,
    describe,
    float_or_promote,
    refuse_bool,
    result_type,
    sum_to_shape,
)


class _Binary(Function):
    """A broadcasting binary op: keeps the operand shapes for the gradient reduction."""

    def apply(self, a: Tensor, b: Tensor) -> Tensor:  # type: ignore[override]
        try:
            return super().apply(a, b)
        except ValueError:
            if a.shape != b.shape:
                raise broadcast_error(self.op_name.lower(), a, b) from None
            raise


class Add(_Binary):
    r""":math:`y = a + b`; :math:`\bar a = \bar y,\ \bar b = \bar y`."""

    saves_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        return sum_to_shape(gy, sa), sum_to_shape(gy, sb)


class Sub(_Binary):
    r""":math:`y = a - b`; :math:`\bar a = \bar y,\ \bar b = -\bar y`."""

    saves_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        return sum_to_shape(gy, sa), (sum_to_shape(-gy, sb) if self.needs_input_grad[1] else None)


class Mul(_Binary):
    r""":math:`y = a b`; :math:`\bar a = \bar y\, b,\ \bar b = \bar y\, a`."""

    saves_input_for_other = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = sum_to_shape(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(gy * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(_Binary):
    r""":math:`y = a / b`; :math:`\bar a = \bar y / b,\ \bar b = -\bar y\, (a / b) / b` (not :math:`a / b^2`,
    whose :math:`b^2` underflows to 0 for a tiny :math:`b`)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        a, b = self.a, self.b
        ga = sum_to_shape(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(-gy * (a / b) / b, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Pow(_Binary):
    r""":math:`y = a^b`; :math:`\bar a = \bar y\, b\, a^{b-1},\ \bar b = \bar y\, y \ln a`.

    As in PyTorch, :math:`\bar a` is 0 where :math:`b = 0` (:math:`a^0 = 1` is constant, even at
    :math:`a = 0` where :math:`0 \cdot 0^{-1}` would be NaN), and :math:`\bar b` is 0 where
    :math:`a = 0` and :math:`b \ge 0` (the limit of :math:`a^b \ln a`), instead of NaN.
    """

    def __init__(self, exponent: float | None = None) -> None:
        self.exponent = exponent  # a Python number given as the exponent, else None

    def _power(self, a, b, exponent):
        r"""``a ** b``; a Python-number exponent of :math:`\pm 1/2` is ``sqrt``/``1 / sqrt``, as PyTorch computes
        it: :math:`(-0)^{1/2} = -0` and :math:`(-\infty)^{1/2}` is NaN (C's ``pow`` gives 0 and inf)."""
        if exponent in (0.5, -0.5):
            with numpy.errstate(divide="ignore", invalid="ignore"):  # NaN below 0 and inf at 0 are the answers
                r = array_module(a).sqrt(a)
                return r if exponent > 0 else 1 / r
        return a**b

    @property
    def saves_output(self) -> bool:  # type: ignore[override]
        return self.needs_input_grad[1]  # as PyTorch: the result is saved for the exponent's gradient

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = self._power(a, b, self.exponent)
        return self.y

    def backward(self, gy):
        a, b, xp = self.a, self.b, array_module(self.a)
        ga = gb = None
        if self.needs_input_grad[0]:
            with numpy.errstate(divide="ignore", invalid="ignore"):
                e = None if self.exponent is None else self.exponent - 1
                ga = xp.where(b == 0, 0, gy * b * self._power(a, b - 1, e)).astype(gy.dtype, copy=False)
            ga = sum_to_shape(ga, a.shape)
        if self.needs_input_grad[1]:
            safe = xp.where((a == 0) & (b >= 0), 1, a)
            gb = sum_to_shape(gy * self.y * xp.log(safe), b.shape)
        return ga, gb


class Maximum(_Binary):
    r""":math:`y = \max(a, b)`; the gradient goes to the larger operand, split in half on ties (as PyTorch)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return array_module(a).maximum(a, b)

    def backward(self, gy):
        return _select_grads(self, gy, self.a < self.b, self.a > self.b)


class Minimum(_Binary):
    r""":math:`y = \min(a, b)`; the gradient goes to the smaller operand, split in half on ties (as PyTorch)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return array_module(a).minimum(a, b)

    def backward(self, gy):
        return _select_grads(self, gy, self.a > self.b, self.a < self.b)


class Remainder(_Binary):
    r""":math:`y = a - b\lfloor a / b \rfloor` (the sign of :math:`b`, as Python's ``%``);
    :math:`\bar a = \bar y,\ \bar b = -\bar y \lfloor a / b \rfloor`, with :math:`\lfloor a / b \rfloor` as
    ``floor_divide`` computes it, :math:`(a - \operatorname{fmod}(a, b)) / b` (NaN for an infinite :math:`a`, where
    ``floor(a / b)`` would be infinite), as PyTorch's backward."""

    def forward(self, a, b):
        self.a, self.b = a, b
        with numpy.errstate(divide="ignore", invalid="ignore"):  # x % 0 and inf % x are NaN, silently as in PyTorch
            return array_module(a).remainder(a, b)

    def backward(self, gy):
        ga = sum_to_shape(gy, self.a.shape) if self.needs_input_grad[0] else None
        if not self.needs_input_grad[1]:
            return ga, None
        with numpy.errstate(divide="ignore", invalid="ignore"):
            gb = sum_to_shape(-gy * array_module(gy).floor_divide(self.a, self.b), self.b.shape)
        return ga, gb


def _select_grads(fn: Function, gy: Any, a_loses: Any, b_loses: Any) -> tuple:
    # PyTorch's rule: each operand gets the gradient unless it loses; a tie splits it in half. Where a NaN
    # is involved no comparison holds, so both operands get the whole gradient.
    xp = array_module(gy)
    g = xp.where(fn.a == fn.b, gy / 2, gy)
    ga = sum_to_shape(xp.where(a_loses, 0, g).astype(gy.dtype, copy=False), fn.a.shape) if fn.needs_input_grad[0] else None
    gb = sum_to_shape(xp.where(b_loses, 0, g).astype(gy.dtype, copy=False), fn.b.shape) if fn.needs_input_grad[1] else None
    return ga, gb


def _scaled(op: str, b: Tensor, alpha: Any) -> Tensor:
    r""":math:`\alpha b` in ``b``'s dtype, already the result's: ``alpha`` takes no part in the promotion (as PyTorch,
    which refuses a float ``alpha`` for integer results and a bool one for non-bool results)."""
    if isinstance(alpha, bool) and b.dtype != backend.bool_:
        raise DTypeError(f"{op}: a bool alpha needs bool operands, got {describe(b)}")
    if isinstance(alpha, float) and b.dtype.kind != "f":
        raise DTypeError(f"{op}: alpha={alpha!r} is a float, but the result is {b.dtype}; for integer tensors alpha "
                         f"must be an integer")
    if alpha == 1 and not isinstance(alpha, float):
        return b
    if b.dtype == backend.bool_:  # a + alpha*b in bool arithmetic: b itself, or nothing when alpha is 0
        return b if alpha else mul(b, False)
    return mul(b, alpha)


def add(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    r"""Elementwise :math:`a + \alpha b` with broadcasting."""
    a, b = binary_operands("add", a, b)
    return Add().apply(a, _scaled("add", b, alpha))


_BOOL_SUB_HINT = "; to invert a mask use ~ or logical_not(), to compare two masks use ^ or logical_xor()"


def sub(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    r"""Elementwise :math:`a - \alpha b` with broadcasting (not on bool tensors, as PyTorch)."""
    refuse_bool("sub", a, b, hint=_BOOL_SUB_HINT)
    a, b = binary_operands("sub", a, b)
    return Sub().apply(a, _scaled("sub", b, alpha))


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise :math:`a \\cdot b` with broadcasting."""
    return Mul().apply(*binary_operands("mul", a, b))


def div(a: Any, b: Any) -> Tensor:
    """Elementwise true division :math:`a / b`; integer operands give the default float dtype."""
    a, b = binary_operands("div", a, b)
    if a.dtype.kind != "f":
        a, b = a.to(backend.get_default_dtype()), b.to(backend.get_default_dtype())
    return Div().apply(a, b)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (PyTorch's name)
    """Elementwise :math:`a^b`; an integer tensor to a bool or integer power stays integer."""
    if isinstance(a, Tensor) and a.dtype == backend.bool_ and isinstance(b, bool):
        return a.detach() if b else Tensor(a.device.xp.ones(a.shape, dtype=bool), a.device)  # x**True, x**False
    exponent = b if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, Tensor) else None
    # PyTorch's three overloads: tensor ** number, tensor ** tensor, number ** tensor
    torch_name = "PowBackward1" if isinstance(a, Tensor) and isinstance(b, Tensor) else "PowBackward2" if isinstance(b, Tensor) else None
    a, b = binary_operands("pow", a, b)
    if a.dtype == backend.bool_:
        raise DTypeError(f"pow: not supported for two bool operands ({describe(a)}); convert one with .long() or .float()")
    if a.dtype.kind in "iu" and b._data.size and bool((b._data < 0).any()):
        raise DTypeError(f"pow: integers to negative integer powers are not allowed ({describe(a)}); use a float base")
    node = Pow(exponent if a.dtype.kind == "f" else None)
    node.torch_name = torch_name
    return node.apply(a, b)


def _check_divisor(op: str, a: Tensor, b: Tensor) -> None:
    """An integer division by 0 is a RuntimeError (as PyTorch) unless the result is empty; on a GPU it is
    checked there and reported at the next copy to the host."""
    if b.dtype.kind not in "iu":
        return
    try:
        empty = 0 in numpy.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return  # the op reports the shapes
    if not empty:
        backend.check(~(b._data == 0).any(), RuntimeError, f"{op}: integer division by zero")


def remainder(a: Any, b: Any) -> Tensor:
    """Elementwise ``a % b`` with the sign of ``b`` (Python's and PyTorch's ``%``); not on bools, as PyTorch."""
    a, b = binary_operands("remainder", a, b)
    if a.dtype == backend.bool_:
        raise DTypeError(f"remainder: not supported for bool tensors ({describe(a)})")
    _check_divisor("remainder", a, b)
    return Remainder().apply(a, b)


def floor_divide(a: Any, b: Any) -> Tensor:
    """Elementwise ``a // b`` rounded toward minus infinity (not differentiable, as in PyTorch)."""
    a, b = binary_operands("floor_divide", a, b)
    if a.dtype == backend.bool_:
        raise DTypeError(f"floor_divide: not supported for bool tensors ({describe(a)})")
    _check_divisor("floor_divide", a, b)
    return _elementwise_result(array_module(a._data).floor_divide(a._data, b._data), a)


def _both_tensors(op: str, a: Any, b: Any) -> None:
    """PyTorch's ``maximum``/``minimum`` take two tensors: a Python number is a TypeError (use ``clamp``)."""
    for pos, t in ((1, a), (2, b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: argument {pos} must be a Tensor, not {type(t).__name__} "
                            f"(for a number, use clamp({'min' if op == 'maximum' else 'max'}=...))")


def maximum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise :math:`\\max(a, b)` of two tensors."""
    _both_tensors("maximum", a, b)
    return Maximum().apply(*binary_operands("maximum", a, b))


def minimum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise :math:`\\min(a, b)` of two tensors."""
    _both_tensors("minimum", a, b)
    return Minimum().apply(*binary_operands("minimum", a, b))


# ------------------------------------------------------------------ unary
class Neg(Function):
    r""":math:`y = -x`; :math:`\bar x = -\bar y`."""

    saves_inputs = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Exp(Function):
    r""":math:`y = e^x`; :math:`\bar x = \bar y\, y`."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def forward(self, x):
        self.y = array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    r""":math:`y = \ln x`; :math:`\bar x = \bar y / x`."""

    def forward(self, x):
        self.x = x
        return array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x


class Log1p(Function):
    r""":math:`y = \ln(1 + x)`, accurate for tiny :math:`x`; :math:`\bar x = \bar y / (1 + x)`."""

    torch_name = "Log1PBackward0"

    def forward(self, x):
        self.x = x
        return array_module(x).log1p(x)

    def backward(self, gy):
        return gy / (1 + self.x)


class Sin(Function):
    r""":math:`y = \sin x`; :math:`\bar x = \bar y \cos x`."""

    def forward(self, x):
        self.x = x
        return array_module(x).sin(x)

    def backward(self, gy):
        return gy * array_module(gy).cos(self.x)


class Cos(Function):
    r""":math:`y = \cos x`; :math:`\bar x = -\bar y \sin x`."""

    def forward(self, x):
        self.x = x
        return array_module(x).cos(x)

    def backward(self, gy):
        return -gy * array_module(gy).sin(self.x)


class Sinh(Function):
    r""":math:`y = \sinh x`; :math:`\bar x = \bar y \cosh x`."""

    def forward(self, x):
        self.x = x
        return array_module(x).sinh(x)

    def backward(self, gy):
        return gy * array_module(gy).cosh(self.x)


class Cosh(Function):
    r""":math:`y = \cosh x`; :math:`\bar x = \bar y \sinh x`."""

    def forward(self, x):
        self.x = x
        return array_module(x).cosh(x)

    def backward(self, gy):
        return gy * array_module(gy).sinh(self.x)


class Sqrt(Function):
    r""":math:`y = \sqrt x`; :math:`\bar x = \bar y / (2y)`."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def forward(self, x):
        self.y = array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Abs(Function):
    r""":math:`y = |x|`; :math:`\bar x = \bar y\,\operatorname{sign}(x)` (0 at :math:`x = 0`, as PyTorch)."""

    def forward(self, x):
        self.x = x
        return array_module(x).abs(x)

    def backward(self, gy):
        # sign as (x > 0) - (x < 0): 0 at a NaN too, as PyTorch (NumPy's sign(NaN) is NaN)
        return gy * ((self.x > 0).astype(gy.dtype) - (self.x < 0))


class Tanh(Function):
    r""":math:`y = \tanh x`; :math:`\bar x = \bar y\,(1 - y^2)`."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def forward(self, x):
        self.y = array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


def sigmoid_array(x: Any) -> Any:
    """:math:`1/(1+e^{-x})` of an array, PyTorch's formula; for :math:`x < -709` the exponential
    overflows to inf and the result is the correct limit 0."""
    xp = array_module(x)
    with numpy.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


class Sigmoid(Function):
    r""":math:`y = \sigma(x) = 1/(1+e^{-x})`; :math:`\bar x = \bar y\, y (1-y)`."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def forward(self, x):
        self.y = sigmoid_array(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class Relu(Function):
    r""":math:`y = \max(x, 0)`; :math:`\bar x = \bar y\,[\lnot(x \le 0)]`: as PyTorch, a NaN input passes its gradient."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def forward(self, x):
        self.mask = ~(x <= 0)
        return array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask


class Clamp(Function):
    r""":math:`y = \min(\max(x, lo), hi)`; :math:`\bar x = \bar y\,[lo \le x \le hi]` (as PyTorch, bounds included)."""

    torch_name = "ClampBackward1"  # PyTorch's overload with number bounds

    saves_inputs = True  # backward reads a mask only, but as PyTorch a changed input fails at backward

    def __init__(self, lo: Any, hi: Any) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = array_module(x)
        self.mask = xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            self.mask &= x >= self.lo
        if self.hi is not None:
            self.mask &= x <= self.hi
        return xp.clip(x, self.lo, self.hi).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.mask


def _unary(fn_cls: type, op: str, x: Tensor) -> Tensor:
    """A float op: integer and bool tensors are promoted to the default float dtype first, as PyTorch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return fn_cls().apply(float_or_promote(x))


def neg(x: Tensor) -> Tensor:
    """:math:`-x` (not on bool tensors, as PyTorch: use ``~`` to invert a mask)."""
    refuse_bool("neg", x, hint="; to invert a mask use ~ or logical_not()")
    return Neg().apply(x)


def exp(x: Tensor) -> Tensor:
    """:math:`e^x` elementwise."""
    return _unary(Exp, "exp", x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm :math:`\\ln x` elementwise (``-inf`` at 0, NaN below, as PyTorch)."""
    return _unary(Log, "log", x)


def log1p(x: Tensor) -> Tensor:
    r""":math:`\ln(1 + x)` elementwise, without the rounding loss of ``log(1 + x)`` for small ``x``."""
    return _unary(Log1p, "log1p", x)


def sin(x: Tensor) -> Tensor:
    """:math:`\\sin x` elementwise."""
    return _unary(Sin, "sin", x)


def cos(x: Tensor) -> Tensor:
    """:math:`\\cos x` elementwise."""
    return _unary(Cos, "cos", x)


def sinh(x: Tensor) -> Tensor:
    """:math:`\\sinh x = (e^x - e^{-x})/2` elementwise."""
    return _unary(Sinh, "sinh", x)


def cosh(x: Tensor) -> Tensor:
    """:math:`\\cosh x = (e^x + e^{-x})/2` elementwise."""
    return _unary(Cosh, "cosh", x)


def sqrt(x: Tensor) -> Tensor:
    """:math:`\\sqrt{x}` elementwise."""
    return _unary(Sqrt, "sqrt", x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    """:math:`|x|` elementwise (not on bool tensors, as PyTorch)."""
    refuse_bool("abs", x)
    return Abs().apply(x)


def tanh(x: Tensor) -> Tensor:
    """:math:`\\tanh x = (e^x - e^{-x})/(e^x + e^{-x})` elementwise."""
    return _unary(Tanh, "tanh", x)


def sigmoid(x: Tensor) -> Tensor:
    """:math:`\\sigma(x) = 1/(1 + e^{-x})` elementwise."""
    return _unary(Sigmoid, "sigmoid", x)


def relu(x: Tensor) -> Tensor:
    """:math:`\\max(x, 0)` elementwise (not on bool tensors, as PyTorch)."""
    refuse_bool("relu", x)
    return Relu().apply(x)


class ClampBounds(Function):
    r""":math:`y = \min(\max(x, lo), hi)` with tensor bounds (all three broadcast), as PyTorch's:
    :math:`\bar x = \bar y\,[lo \le x \le hi]`, :math:`\overline{lo} = \bar y\,[x < lo][lo < hi]`,
    :math:`\overline{hi} = \bar y\,([x > hi] \lor [hi < lo])` (with ``lo > hi`` every element is ``hi``).
    Either bound may be absent; the inputs are ``x`` and the bounds given, in order."""

    torch_name = "ClampBackward0"  # PyTorch's overload with tensor bounds

    def __init__(self, has_lo: bool, has_hi: bool) -> None:
        self.has_lo, self.has_hi = has_lo, has_hi

    def forward(self, x, *bounds):
        xp = array_module(x)
        self.x = x
        self.lo = bounds[0] if self.has_lo else None
        self.hi = bounds[-1] if self.has_hi else None
        y = x if self.lo is None else xp.maximum(x, self.lo)
        return y if self.hi is None else xp.minimum(y, self.hi)

    def backward(self, gy):
        xp = array_module(gy)
        x, lo, hi = self.x, self.lo, self.hi
        zero = xp.zeros((), dtype=gy.dtype)
        inside = (x >= lo) if lo is not None else True
        if hi is not None:
            inside = inside & (x <= hi)
        grads = [sum_to_shape(xp.where(inside, gy, zero), x.shape)]
        if lo is not None:
            below = (x < lo) if hi is None else (x < lo) & (lo < hi)
            grads.append(sum_to_shape(xp.where(below, gy, zero), lo.shape))
        if hi is not None:
            above = (x > hi) if lo is None else (x > hi) | (hi < lo)
            grads.append(sum_to_shape(xp.where(above, gy, zero), hi.shape))
        return tuple(grads)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch's names)
    """Clip every element to ``[min, max]``; either bound may be None, a number or a tensor (broadcast with
    ``x``, and differentiable). As PyTorch, the result has the promoted dtype: an integer tensor clamped
    to a float bound is a float tensor."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of min and max must be given")
    bounds = [b for b in (min, max) if b is not None]
    if not any(isinstance(b, Tensor) for b in bounds):
        if x.dtype.kind in "biu" and any(isinstance(b, float) for b in bounds):
            x = cast(x, backend.get_default_dtype())
        return Clamp(min, max).apply(x)
    ts = [x] + [as_operand("clamp", b, x) for b in bounds]
    dtype = x.dtype
    for t in ts[1:]:
        dtype = result_type(x, t) if dtype == x.dtype else backend.promote_types(dtype, result_type(x, t))
    try:
        numpy.broadcast_shapes(*(tuple(t.shape) for t in ts))
    except ValueError:
        raise broadcast_error("clamp", *ts) from None
    return ClampBounds(min is not None, max is not None).apply(*(t if t.dtype == dtype else cast(t, dtype) for t in ts))


clip = clamp


# ------------------------------------------------------------------ selection
class Where(Function):
    r""":math:`y = c\,?\,a : b`; :math:`\bar a = \bar y\,[c]`, :math:`\bar b = \bar y\,[\lnot c]` (no gradient to :math:`c`)."""

    saves_inputs = False

    def apply(self, c: Tensor, a: Tensor, b: Tensor) -> Tensor:  # type: ignore[override]
        y = super().apply(c, a, b)
        if y._ctx is self:
            self.save_for_check(c)  # backward reads the condition: as PyTorch, changing it in place is an error there
        return y

    def forward(self, c, a, b):
        self.c, self.shapes = c, (a.shape, b.shape)
        return array_module(a).where(c, a, b)

    def backward(self, gy):
        xp = array_module(gy)
        sa, sb = self.shapes
        zero = xp.zeros((), dtype=gy.dtype)
        ga = sum_to_shape(xp.where(self.c, gy, zero), sa) if self.needs_input_grad[1] else None
        gb = sum_to_shape(xp.where(self.c, zero, gy), sb) if self.needs_input_grad[2] else None
        return None, ga, gb


def _as_mask(op: str, mask: Any, like: Tensor) -> Tensor:
    m = as_operand(op, mask, like) if not isinstance(mask, Tensor) else mask
    if m.dtype != backend.bool_:
        raise TypeError(f"{op}: the condition/mask must be a bool tensor, got {m.dtype} ({describe(m)})")
    return m


def where(condition: Tensor, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input if condition else other``, all three broadcast together. Either may be a Python
    number (two numbers give a tensor of their promoted dtype: ``where(c, 1, 1.5)`` is float); a number
    that the other operand's integer dtype cannot hold is a RuntimeError, as in PyTorch."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor) and isinstance(condition, Tensor):
        input, other = (_number_tensor("where", v, condition.device) for v in (input, other))
    for v, t in ((input, other), (other, input)):
        if isinstance(t, Tensor) and isinstance(v, (int, float)) and not isinstance(v, bool) \
                and backend.scalar_dtype(t.dtype, v) == t.dtype and not _fits(v, t.dtype):
            raise RuntimeError(f"where: value {v!r} cannot be converted to {t.dtype} without overflow")
    a, b = binary_operands("where", input, other)
    c = _as_mask("where", condition, a)
    try:
        return Where().apply(c, a, b)
    except ValueError:
        raise broadcast_error("where", c, a, b) from None


def _number_tensor(op: str, value: Any, dev: backend.Device) -> Tensor:
    """A Python number as a 0-d tensor of its own dtype (bool, int64, or the default float), as PyTorch."""
    if isinstance(value, bool):
        dtype = backend.bool_
    elif isinstance(value, int):
        dtype = backend.int64
    elif isinstance(value, float):
        dtype = backend.get_default_dtype()
    else:
        raise TypeError(f"{op}: expected a Tensor or a number, got {type(value).__name__}")
    return Tensor(dev.xp.asarray(value, dtype=dtype), dev)


def _fits(value: Any, dtype: numpy.dtype) -> bool:
    """Whether a Python number converts to ``dtype`` without overflow (NaN and inf fit a float dtype only)."""
    if isinstance(value, bool) or dtype == backend.bool_:
        return True
    if dtype.kind == "f":
        return math.isnan(value) or math.isinf(value) or builtins.abs(value) <= float(numpy.finfo(dtype).max)
    if isinstance(value, float) and not math.isfinite(value):
        return False
    info = numpy.iinfo(dtype)
    return int(info.min) <= value <= int(info.max)


def fill_value(op: str, value: Any, like: Tensor) -> Any:
    """A fill value (a number or a 0-d tensor) as a 0-d array of ``like``'s dtype, as PyTorch's ``fill_`` and
    ``masked_fill_`` take it: a float truncates toward 0 into an integer tensor, and a value outside the
    dtype's range is a RuntimeError (arithmetic wraps instead; see :func:`minigrad.ops.common.as_operand`)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{op}: only supports a 0-dimensional value tensor, got shape {tuple(value.shape)}")
        value = value.item()
    elif isinstance(value, numpy.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"{op}: the value must be a number or a 0-d tensor, got {type(value).__name__}")
    if not _fits(value, like.dtype):
        raise RuntimeError(f"{op}: value {value!r} cannot be converted to {like.dtype} without overflow")
    if like.dtype.kind in "iu" and isinstance(value, float):
        value = math.trunc(value)
    return like.device.xp.asarray(value, dtype=like.dtype)


def masked_fill(x: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, ``x`` elsewhere; ``mask`` and ``x`` broadcast together (as PyTorch)."""
    m = _as_mask("masked_fill", mask, x)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
        value = value.to(x.dtype)
    else:
        if not _fits(value, x.dtype):
            raise RuntimeError(f"masked_fill: value {value!r} cannot be converted to {x.dtype} without overflow")
        value = as_operand("masked_fill", value, x).to(x.dtype)
    try:
        numpy.broadcast_shapes(m.shape, x.shape)
    except ValueError:
        raise ShapeError(f"masked_fill: mask of shape {tuple(m.shape)} does not broadcast with the tensor's shape "
                         f"{x.shape}: aligned from the right, each pair of dimensions must be equal or one of them 1") from None
    node = Where()
    node.torch_name = "MaskedFillBackward0"
    return node.apply(m, value, x)


# ------------------------------------------------------------------ comparisons (no gradient)
class _Compare(_Binary):
    saves_inputs = False
    ufunc = ""

    def forward(self, a, b):
        return getattr(array_module(a), self.ufunc)(a, b)


def _comparison(name: str, ufunc: str) -> Any:
    cls = type(name, (_Compare,), {"ufunc": ufunc, "__doc__": f"Elementwise ``{ufunc}``; a bool tensor, not differentiable."})

    def compare(a: Any, b: Any) -> Tensor:
        a, b = binary_operands(name.lower(), a, b)
        return cls().apply(a.detach(), b.detach())

    compare.__name__ = compare.__qualname__ = name.lower()
    compare.__doc__ = f"Elementwise ``a {ufunc.replace('_', ' ')} b`` as a bool tensor (not differentiable)."
    return compare


eq = _comparison("Eq", "equal")
ne = _comparison("Ne", "not_equal")
lt = _comparison("Lt", "less")
le = _comparison("Le", "less_equal")
gt = _comparison("Gt", "greater")
ge = _comparison("Ge", "greater_equal")
logical_and = _comparison("Logical_and", "logical_and")
logical_or = _comparison("Logical_or", "logical_or")
logical_xor = _comparison("Logical_xor", "logical_xor")


class _Bitwise(_Compare):
    """An integer/bool op on the bits (``&``, ``|``, ``^``): logical on bools, refused on floats (as PyTorch)."""


def _bitwise(name: str, ufunc: str, symbol: str) -> Any:
    cls = type(name, (_Bitwise,), {"ufunc": ufunc, "__doc__": f"Elementwise ``{ufunc}`` of integer or bool arrays; not differentiable."})

    def bitwise(a: Any, b: Any) -> Tensor:
        op = name.lower()
        a, b = binary_operands(op, a, b)
        if a.dtype.kind not in "biu":
            raise DTypeError(f"{op} ({symbol}): expected integer or bool tensors, got {describe(a)} and {describe(b)}; "
                             f"for masks compare first (x > 0), or use logical_{op.split('_')[1]}")
        return cls().apply(a.detach(), b.detach())

    bitwise.__name__ = bitwise.__qualname__ = name.lower()
    bitwise.__doc__ = f"Elementwise ``a {symbol} b`` on the bits of integer tensors; logical on bool tensors."
    return bitwise


bitwise_and = _bitwise("Bitwise_and", "bitwise_and", "&")
bitwise_or = _bitwise("Bitwise_or", "bitwise_or", "|")
bitwise_xor = _bitwise("Bitwise_xor", "bitwise_xor", "^")


def bitwise_not(x: Tensor) -> Tensor:
    """Elementwise ``~x``: the bits flipped for an integer tensor (``~3 = -4``), logical not for a bool tensor."""
    if x.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not (~): only defined for integer and bool tensors, got {describe(x)}; "
                        f"for a float mask use x == 0 or logical_not(x)")
    return _elementwise_result(array_module(x._data).invert(x._data), x)


def _elementwise_result(y: Any, x: Tensor) -> Tensor:
    # NumPy gives a scalar for a 0-d array; a tensor always holds an array
    return Tensor(array_module(x._data).asarray(y), x.device)


def logical_not(x: Tensor) -> Tensor:
    """Elementwise logical not (a bool tensor)."""
    return _elementwise_result(array_module(x._data).logical_not(x._data), x)


def isnan(x: Tensor) -> Tensor:
    """Elementwise ``x != x`` (a bool tensor)."""
    return _elementwise_result(array_module(x._data).isnan(x._data), x)


def isfinite(x: Tensor) -> Tensor:
    """Elementwise: neither infinite nor NaN (a bool tensor)."""
    return _elementwise_result(array_module(x._data).isfinite(x._data), x)


def equal(a: Tensor, b: Tensor) -> bool:
    """True when both tensors have the same shape and the same values (a Python bool)."""
    if a.shape != b.shape:
        return False
    a, b = binary_operands("equal", a, b)
    return bool(backend.to_device((a._data == b._data).all(), backend.CPU))  # a host answer: one explicit copy


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    r"""True when :math:`|a - b| \le \mathrm{atol} + \mathrm{rtol}\,|b|` everywhere (broadcast; a Python bool)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        raise DTypeError(f"allclose: the tensors' dtypes differ ({describe(a)} and {describe(b)}); convert one first")
    a, b = binary_operands("allclose", a, b)
    close = array_module(a._data).allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return bool(backend.to_device(array_module(a._data).asarray(close), backend.CPU))  # a host answer: one explicit copy
