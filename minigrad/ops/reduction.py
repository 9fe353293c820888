r"""Reductions over one or more dimensions, and the softmax family.

``dim`` is an int, a tuple of ints, or None (all dimensions); ``keepdim`` keeps
reduced dimensions with size 1. A reduction's backward re-inserts the reduced
axes into the output gradient and broadcasts it over the input's shape.
"""
from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

import numpy

from .. import backend
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import DTypeError, cast, describe, float_or_promote, normalize_dim, normalize_dims, require_float

MaxMin = namedtuple("MaxMin", ["values", "indices"])
MaxMin.__doc__ = "The result of ``max(dim)`` / ``min(dim)``: the values and the index where each was found."


_PAIRWISE_BLOCK = 128  # NumPy's pairwise summation adds blocks of up to this many elements one by one


def _accumulator(x: Any, axes: tuple) -> Any:
    r"""The wider dtype a sum of ``x`` over ``axes`` accumulates in (None: ``x``'s own), to be as accurate as PyTorch.

    PyTorch sums float16 in float32 and float32 by cascades of partial sums (error :math:`O(\log n)`
    roundings). NumPy sums pairwise only along the trailing axes of a C-contiguous array (there float32
    stays float32, so the benchmarks' losses cost nothing more); over a strided axis it adds one row at
    a time (error :math:`O(n)`: a float32 mean of a million 0.1s is 0.101), so there a float32 sum of
    more than one block accumulates in float64. The rule is the same on CuPy (one code path; its sums
    are trees, so there the widening is only extra accuracy).
    """
    kind = x.dtype.char  # a character test first: this runs on every sum
    if kind == "e":
        return backend.float32
    if kind != "f" or (x.flags.c_contiguous and (len(axes) == x.ndim or axes == tuple(range(x.ndim - len(axes), x.ndim)))):
        return None
    n = 1
    for a in axes:
        n *= x.shape[a]
    return backend.float64 if n > _PAIRWISE_BLOCK else None


def _sum(x: Any, axes: tuple, keepdim: bool) -> Any:
    """``x.sum`` over ``axes`` with :func:`_accumulator`'s accuracy, in ``x``'s dtype."""
    acc = _accumulator(x, axes)
    if acc is None:
        return x.sum(axis=axes, keepdims=keepdim)
    with numpy.errstate(over="ignore"):  # a sum beyond the dtype's range is inf, as PyTorch's
        return x.sum(axis=axes, dtype=acc, keepdims=keepdim).astype(x.dtype)


def _expand_back(gy: Any, axes: tuple, keepdim: bool, shape: tuple) -> Any:
    # a 0-d gradient (a full reduction, the usual loss) broadcasts as it is; a reshape is cheaper than expand_dims
    if not keepdim and axes and gy.ndim:
        gy = gy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return array_module(gy).broadcast_to(gy, shape)


class Sum(Function):
    r""":math:`y = \sum_{i \in \text{dims}} x_i`; :math:`\bar x_i = \bar y` (broadcast back)."""

    saves_inputs = False

    def __init__(self, axes: tuple, keepdim: bool) -> None:
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        self.shape = x.shape
        return _sum(x, self.axes, self.keepdim)

    def backward(self, gy):
        return _expand_back(gy, self.axes, self.keepdim, self.shape)


class Mean(Sum):
    r""":math:`y = \frac1N \sum_{i \in \text{dims}} x_i` over the :math:`N` elements of the dims; :math:`\bar x_i = \bar y / N`
    (broadcast back). The mean of no elements is NaN, as in PyTorch."""

    def __init__(self, axes: tuple, keepdim: bool, n: int) -> None:
        super().__init__(axes, keepdim)
        self.n = n

    def forward(self, x):
        y = super().forward(x)
        return y / self.n if self.n else y * float("nan")

    def backward(self, gy):
        return super().backward(gy / self.n if self.n else gy * float("nan"))


class Var(Function):
    r""":math:`y = \frac{1}{N - c}\sum_i (x_i - \bar x)^2`; :math:`\bar x_i = \bar y\,\frac{2 (x_i - \bar x)}{N - c}`.

    As in PyTorch, :math:`N - c` is taken as :math:`\max(N - c, 0)`: with no degrees of freedom left
    the variance is :math:`+\infty` (NaN when every :math:`x_i` is equal, or :math:`N = 0`).
    """

    saves_inputs = True  # as PyTorch: changing the input in place fails at backward

    def __init__(self, axes: tuple, keepdim: bool, correction: float) -> None:
        self.axes, self.keepdim, self.correction = axes, keepdim, correction

    def forward(self, x):
        v = self._var(x)
        with numpy.errstate(over="ignore"):  # a variance beyond the dtype's range is inf, as PyTorch's
            return v.astype(x.dtype, copy=False)

    def _var(self, x):
        """The variance in the accumulation dtype: float64 for float16 and float32 inputs, as PyTorch's
        CPU kernel (so the squares of values near 1e30 do not overflow float32)."""
        n = 1
        for a in self.axes:
            n *= x.shape[a]
        self.denom = builtins.max(n - self.correction, 0)
        if x.dtype in (backend.float16, backend.float32):
            x = x.astype(backend.float64)
        with numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):  # N = 0 or N <= c: NaN or inf, as PyTorch
            # shifted by one (finite) element first, so equal elements give exactly 0 (and a zero std gradient)
            xp = array_module(x)
            shift = x[tuple(slice(0, 1) if i in self.axes else slice(None) for i in range(x.ndim))] if n else x.dtype.type(0)
            shifted = x - xp.where(xp.isfinite(shift), shift, 0).astype(x.dtype, copy=False)
            self.centered = shifted - shifted.sum(axis=self.axes, keepdims=True) / x.dtype.type(n)
            sq = (self.centered * self.centered).sum(axis=self.axes, keepdims=self.keepdim)
            return sq / x.dtype.type(self.denom)

    def backward(self, gy):
        g = self._grad(gy.astype(self.centered.dtype, copy=False))
        with numpy.errstate(over="ignore"):
            return g.astype(gy.dtype, copy=False)

    def _grad(self, gy):
        g = _expand_back(gy, self.axes, self.keepdim, self.centered.shape)
        with numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return g * self.centered * (2 / gy.dtype.type(self.denom))


class Std(Var):
    r""":math:`s = \sqrt{\operatorname{var}(x)}`; :math:`\bar x_i = \frac{\bar s}{2 s}\,\frac{2 (x_i - \bar x)}{N - c}`,
    and 0 where :math:`s = 0` (as PyTorch: every :math:`x_i` equal, so every :math:`x_i - \bar x` is 0 too)."""

    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def forward(self, x):
        self.s = array_module(x).sqrt(self._var(x))
        return self.s.astype(x.dtype, copy=False)

    def backward(self, gy):
        xp = array_module(gy)
        gy = gy.astype(self.s.dtype, copy=False)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            gvar = xp.where(self.s == 0, 0, gy / (2 * self.s)).astype(gy.dtype, copy=False)
        return super().backward(gvar)


class _Extreme(Function):
    """amax/amin: the gradient is split evenly among the elements that attain the extreme (as PyTorch).

    ``nan_is_extreme``: a NaN result counts as attained by the NaN elements (PyTorch's ``max()`` and
    ``min()`` of a whole tensor); otherwise, as PyTorch's ``amax``/``amin``, no element attains a NaN
    and the gradient is NaN.
    """

    saves_output = True  # as PyTorch, which saves input and result: changing either in place fails at backward
    kind = "max"

    def __init__(self, axes: tuple, keepdim: bool, nan_is_extreme: bool = False) -> None:
        self.axes, self.keepdim, self.nan_is_extreme = axes, keepdim, nan_is_extreme

    def name(self) -> str:
        # max() and min() of a whole tensor are PyTorch's MaxBackward1/MinBackward1; amax/amin keep their names
        return f"{self.kind.capitalize()}Backward1" if self.nan_is_extreme else super().name()

    def forward(self, x):
        xp = array_module(x)
        y = (xp.amax if self.kind == "max" else xp.amin)(x, axis=self.axes, keepdims=True)
        self.mask = x == y
        if self.nan_is_extreme and x.dtype.kind == "f":
            self.mask |= xp.isnan(x) & xp.isnan(y)
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        count = self.mask.sum(axis=self.axes, keepdims=True)
        g = _expand_back(gy, self.axes, self.keepdim, self.mask.shape)
        with numpy.errstate(divide="ignore", invalid="ignore"):  # a NaN extreme: no element attains it
            if self.nan_is_extreme:  # max()/min(): the others get an exact 0, even from a NaN or inf gradient
                return array_module(gy).where(self.mask, g / count, 0).astype(gy.dtype, copy=False)
            return g * self.mask / count  # amax/amin: PyTorch's product, NaN everywhere from a NaN gradient


class Amax(_Extreme):
    r""":math:`y = \max_{i \in \text{dims}} x_i`; ties share the gradient equally."""

    kind = "max"


class Amin(_Extreme):
    r""":math:`y = \min_{i \in \text{dims}} x_i`; ties share the gradient equally."""

    kind = "min"


class Logsumexp(Function):
    r""":math:`y = m + \ln\sum_i e^{x_i - m}` with :math:`m = \max_i x_i`; :math:`\bar x_i = \bar y\, e^{x_i - y}`."""

    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def __init__(self, axes: tuple, keepdim: bool) -> None:
        self.axes, self.keepdim = axes, keepdim

    def forward(self, x):
        xp = array_module(x)
        if x.size:
            m = xp.amax(x, axis=self.axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or an inf) must not produce inf - inf
        else:  # an empty sum: the result is log(0) = -inf (or an empty tensor)
            m = xp.zeros([1 if i in self.axes else n for i, n in enumerate(x.shape)], dtype=x.dtype)
        with numpy.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf is the right answer for all -inf
            y = m + xp.log(xp.exp(x - m).sum(axis=self.axes, keepdims=True))
        self.x, self.y = x, y
        return y if self.keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, gy):
        g = _expand_back(gy, self.axes, self.keepdim, self.x.shape)
        with numpy.errstate(invalid="ignore"):  # inf - inf where an input is +inf: NaN, as PyTorch
            return g * array_module(gy).exp(self.x - self.y)


class Softmax(Function):
    r""":math:`y_i = e^{x_i - m} / \sum_j e^{x_j - m}`; :math:`\bar x = y \odot (\bar y - \sum_j \bar y_j y_j)`."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x):
        xp = array_module(x)
        if x.size == 0:
            self.y = x.copy()
            return self.y
        with numpy.errstate(invalid="ignore"):  # a +inf or an all -inf row gives NaN, as PyTorch
            e = xp.exp(x - xp.amax(x, axis=self.axis, keepdims=True))
            self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    r""":math:`y_i = x_i - \operatorname{logsumexp}_j x_j`; :math:`\bar x = \bar y - e^{y} \sum_j \bar y_j`."""

    saves_inputs = False
    saves_output = True  # as PyTorch, which saves the result: changing it in place fails at backward
    fresh_grads = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x):
        xp = array_module(x)
        if x.size == 0:
            self.y = x.copy()
            return self.y
        # As PyTorch, the max is subtracted even when it is infinite: a +inf logit or an all -inf
        # row has no finite log-probabilities, and gives NaN rather than a half-right answer.
        with numpy.errstate(invalid="ignore", divide="ignore"):
            y = x - xp.amax(x, axis=self.axis, keepdims=True)  # in place from here: each temporary is large
            e = xp.exp(y)
            y -= xp.log(e.sum(axis=self.axis, keepdims=True))
        self.y = y
        return y

    def backward(self, gy):
        xp = array_module(gy)
        g = xp.exp(self.y)
        g *= gy.sum(axis=self.axis, keepdims=True)
        xp.subtract(gy, g, out=g)
        return g


# ------------------------------------------------------------------ public functions
def _as_dtype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype`` first: PyTorch's ``dtype=`` argument (sum ints as floats, or accumulate wider)."""
    return x if dtype is None or numpy.dtype(dtype) == x.dtype else cast(x, numpy.dtype(dtype))


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001 (PyTorch's name)
    r""":math:`\sum` over ``dim`` (all dimensions when None). Bool and int tensors sum to int64; ``dtype``
    casts the input first, as PyTorch."""
    x = _as_dtype(x, dtype)
    axes = normalize_dims("sum", dim, x.ndim)
    if x.dtype.kind in "bui":
        x = x.to(backend.int64) if x.dtype != backend.int64 else x
    node = Sum(axes, keepdim)
    if dim is not None:
        node.torch_name = "SumBackward1"  # PyTorch's overload with dims
    return node.apply(x)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    r"""Arithmetic mean :math:`\frac1N\sum_i x_i` over ``dim`` (``dtype``: cast the input first, as PyTorch)."""
    x = _as_dtype(x, dtype)
    if x.dtype.kind != "f":
        raise DTypeError(f"mean: expected a floating-point tensor, got {describe(x)}; convert it with .float() first")
    axes = normalize_dims("mean", dim, x.ndim)
    if x.dtype == backend.float16:  # as PyTorch: summed and divided in float32 (the mean of [60000, 60000] is 60000)
        return mean(x.to(backend.float32), axes, keepdim).to(backend.float16)
    n = 1
    for a in axes:
        n *= x.shape[a]
    node = Mean(axes, keepdim, n)
    if dim is not None:
        node.torch_name = "MeanBackward1"  # PyTorch's overload with dims
    return node.apply(x)


def _correction(unbiased: bool | None, correction: float | None) -> float:
    if correction is not None:
        if unbiased is not None:
            raise ValueError("var: give either unbiased or correction, not both")
        return correction
    return 0 if unbiased is False else 1


def var(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None) -> Tensor:
    r"""Variance :math:`\frac{1}{N - c}\sum_i (x_i - \bar x)^2`, with Bessel's correction :math:`c = 1` by default."""
    require_float("var", x)
    axes = normalize_dims("var", dim, x.ndim)
    return Var(axes, keepdim, _correction(unbiased, correction)).apply(x)


def std(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None) -> Tensor:
    r"""Standard deviation :math:`\sqrt{\operatorname{var}(x)}`; its gradient is 0 where it is 0 (as PyTorch)."""
    require_float("std", x)
    axes = normalize_dims("std", dim, x.ndim)
    return Std(axes, keepdim, _correction(unbiased, correction)).apply(x)


def _nonempty(op: str, x: Tensor, axes: tuple, dim: Any) -> None:
    """max/min have no identity: an empty reduction is an IndexError for a given dim, else a RuntimeError (as PyTorch)."""
    if builtins.any(x.shape[a] == 0 for a in axes) or (x.ndim and x._data.size == 0 and not axes):
        kind = RuntimeError if dim is None else IndexError
        raise kind(f"{op}: cannot reduce over an empty dimension ({describe(x)}, dim={dim}); the reduction has no identity")


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    r""":math:`\max` over ``dim``; the gradient is shared equally by tied maxima."""
    axes = normalize_dims("amax", dim, x.ndim)
    _nonempty("amax", x, axes, dim)
    return Amax(axes, keepdim).apply(x)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    r""":math:`\min` over ``dim``; the gradient is shared equally by tied minima."""
    axes = normalize_dims("amin", dim, x.ndim)
    _nonempty("amin", x, axes, dim)
    return Amin(axes, keepdim).apply(x)


def _extreme_with_index(op: str, x: Tensor, dim: Any, keepdim: bool, arg: Any) -> Any:
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from .elementwise import maximum, minimum

        return (maximum if op == "max" else minimum)(x, dim)
    if dim is None:
        axes = normalize_dims(op, None, x.ndim)
        _nonempty(op, x, axes, None)
        return (Amax if op == "max" else Amin)(axes, False, nan_is_extreme=True).apply(x)
    d = normalize_dim(op, dim, x.ndim)
    if x.ndim == 0:  # a 0-d tensor is its own extreme, at index 0
        r = _extreme_with_index(op, x.reshape(1), 0, False, arg)
        return MaxMin(r.values.reshape(()), r.indices.reshape(()))
    idx = arg(x if x.dtype != backend.bool_ else x.long(), d, keepdim=True)
    from .indexing import gather

    values = gather(x, d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return MaxMin(values, idx)


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max(x)``: the largest element; ``max(x, dim)``: ``(values, indices)`` along ``dim``
    (the gradient goes to the returned index); ``max(x, other)``: the elementwise maximum."""
    return _extreme_with_index("max", x, dim, keepdim, argmax)


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``min(x)``, ``min(x, dim) -> (values, indices)`` or ``min(x, other)``, like :func:`max`."""
    return _extreme_with_index("min", x, dim, keepdim, argmin)


def _arg(op: str, x: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    xp = array_module(x._data)
    if x.dtype == backend.bool_:
        raise DTypeError(f"{op}: not supported for bool tensors ({describe(x)}); convert with .long() first")
    if dim is not None:
        normalize_dim(op, dim, x.ndim)
    if x._data.size == 0 and (dim is None or x.shape[normalize_dim(op, dim, x.ndim)] == 0):
        raise IndexError(f"{op}: cannot take {op} of an empty tensor ({describe(x)}) along "
                         f"{'all dimensions' if dim is None else f'dim {dim}'}: there is no element to pick")
    if dim is None:
        i = (xp.argmax if op == "argmax" else xp.argmin)(x._data)
        out = xp.asarray(i, dtype=backend.int64)
        if keepdim:
            out = out.reshape((1,) * x.ndim)
    else:
        d = normalize_dim(op, dim, x.ndim)
        out = (xp.argmax if op == "argmax" else xp.argmin)(x._data.reshape(x.shape or (1,)), axis=d, keepdims=keepdim)
        out = xp.asarray(out, dtype=backend.int64).reshape(out.shape if x.ndim else ())
    return Tensor(out, x.device)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None); the first one on ties."""
    return _arg("argmax", x, dim, keepdim)


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element; the first one on ties."""
    return _arg("argmin", x, dim, keepdim)


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    r""":math:`\ln \sum_i e^{x_i}` over ``dim``, computed as :math:`m + \ln\sum_i e^{x_i - m}` so it never overflows."""
    axes = normalize_dims("logsumexp", dim, x.ndim)
    return Logsumexp(axes, keepdim).apply(float_or_promote(x))


def softmax(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    r""":math:`\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}` along ``dim`` (max-shifted, so it never overflows);
    ``dtype`` casts the input first, as PyTorch."""
    x = _as_dtype(x, dtype)
    d = normalize_dim("softmax", dim, x.ndim)
    require_float("softmax", x)
    if x.ndim == 0:  # one element: softmax 1
        return Softmax(0).apply(x.reshape(1)).reshape(())
    return Softmax(d).apply(x)


def log_softmax(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    r""":math:`x_i - \ln\sum_j e^{x_j}` along ``dim``; stays finite where ``log(softmax(x))`` underflows to ``-inf``
    (``dtype``: cast the input first)."""
    x = _as_dtype(x, dtype)
    d = normalize_dim("log_softmax", dim, x.ndim)
    require_float("log_softmax", x)
    if x.ndim == 0:  # one element: log-probability 0
        return LogSoftmax(0).apply(x.reshape(1)).reshape(())
    return LogSoftmax(d).apply(x)


def all(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element along ``dim`` is nonzero (not differentiable)."""
    axes = normalize_dims("all", dim, x.ndim, empty_is_all=False)
    return Tensor(array_module(x._data).asarray(x._data.astype(bool).all(axis=axes, keepdims=keepdim)), x.device)


def any(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element along ``dim`` is nonzero (not differentiable)."""
    axes = normalize_dims("any", dim, x.ndim, empty_is_all=False)
    return Tensor(array_module(x._data).asarray(x._data.astype(bool).any(axis=axes, keepdims=keepdim)), x.device)


class CumSum(Function):
    r""":math:`y_i = \sum_{j \le i} x_j` along one axis; :math:`\bar x_j = \sum_{i \ge j} \bar y_i` (a reversed cumulative sum)."""

    saves_inputs = False
    torch_name = "CumsumBackward0"

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x):
        return _cumsum(x, self.axis)

    def backward(self, gy):
        xp = array_module(gy)
        return xp.flip(_cumsum(xp.flip(gy, axis=self.axis), self.axis), axis=self.axis)


def _cumsum(x: Any, axis: int) -> Any:
    """Running sums in PyTorch's CPU accumulation dtype (float32 for float16, float64 for float32), so a
    float32 running sum of a million elements is off by float32's rounding, not by 1%."""
    acc = {backend.float16: backend.float32, backend.float32: backend.float64}.get(x.dtype)
    xp = array_module(x)
    if acc is None:
        return xp.cumsum(x, axis=axis)
    with numpy.errstate(over="ignore"):
        return xp.cumsum(x, axis=axis, dtype=acc).astype(x.dtype)


def cumsum(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim`` (integer and bool inputs sum in int64, as in PyTorch; ``dtype`` casts first)."""
    x = _as_dtype(x, dtype)
    d = normalize_dim("cumsum", dim, x.ndim)
    if x.dtype.kind in "biu":
        x = x.to(backend.int64)
    return CumSum(d).apply(x) if x.ndim else x.clone()
