"""Helpers shared by the ops: turning operands into tensors, axes, broadcasting."""
from __future__ import annotations

import functools
import inspect
import math
from typing import Any, Sequence

import numpy

from .. import backend
from ..tensor import Tensor


class ShapeError(RuntimeError, ValueError):
    """Operands whose shapes do not fit the op (a RuntimeError, as in PyTorch, and a ValueError, as in NumPy)."""


class DTypeError(RuntimeError, TypeError):
    """An operand whose dtype the op does not support (PyTorch raises a RuntimeError; a TypeError for Python)."""


def describe(t: Tensor) -> str:
    return f"shape {tuple(t.shape)} {t.dtype} on {t.device}"


def constant(value: Any, dtype: numpy.dtype, dev: backend.Device) -> Tensor:
    """A Python number as a 0-d tensor (a constant of the graph).

    Constants are shared: nothing writes to them, and a long chain such as ``y = y * 0.5``
    then adds no Python object per op for the garbage collector to rescan (and, on a GPU,
    no host-to-device copy). ``-0.0`` is not shared, since it equals ``0.0`` as a key.
    """
    if value == 0 and type(value) is float:
        return _new_constant(value, dtype, dev)
    return _shared_constant(value, dtype, dev)


def _new_constant(value: Any, dtype: numpy.dtype, dev: backend.Device) -> Tensor:
    return Tensor._from_op(dev.xp.asarray(value, dtype=dtype), dev, None, 0)


_shared_constant = functools.lru_cache(maxsize=1024, typed=True)(_new_constant)


def as_operand(op: str, x: Any, like: Tensor) -> Tensor:
    """``x`` as a tensor usable with ``like``: Python numbers and arrays become constants."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float)):
        dtype = backend.scalar_dtype(like._data.dtype, x)  # (NumPy's dtype: the ops' hot path)
        if type(x) is int and dtype.kind in "iu":
            x = wrap_int(op, x, dtype)
        return constant(x, dtype, like.device)
    if isinstance(x, numpy.generic):
        return as_operand(op, x.item(), like)
    if isinstance(x, numpy.ndarray) or hasattr(x, "__cuda_array_interface__"):
        return Tensor(backend.to_device(x, like.device), like.device)
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__}; expected a Tensor or a number")


def wrap_int(op: str, value: int, dtype: numpy.dtype) -> int:
    """A Python int in an integer dtype as PyTorch's arithmetic converts it: through 64 bits, wrapping
    around (``int8_tensor + 300`` adds 44, ``uint8_tensor * -1`` multiplies by 255); beyond 64 bits an
    OverflowError."""
    if not -(2**63) <= value < 2**64:
        raise OverflowError(f"{op}: the Python int {value} does not fit in 64 bits")
    with numpy.errstate(over="ignore"):
        return int(numpy.asarray(value if value < 2**63 else value - 2**64, dtype=numpy.int64).astype(dtype))


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def result_type(a: Any, b: Any) -> numpy.dtype:
    """PyTorch's promotion of two tensors (or arrays): a 0-d tensor (like a Python number) does not widen a
    tensor with dimensions unless its category (bool < integer < float) is higher: ``int32 + int64 scalar``
    stays int32 and ``float32 + float64 scalar`` stays float32, but ``int32 + float64 scalar`` is float64."""
    if (a.ndim == 0) != (b.ndim == 0):
        dims, zero = (b, a) if a.ndim == 0 else (a, b)
        if _CATEGORY[zero.dtype.kind] <= _CATEGORY[dims.dtype.kind]:
            return dims.dtype
    return backend.promote_types(a.dtype, b.dtype)


def binary_operands(op: str, a: Any, b: Any) -> tuple:
    """Both operands as tensors of one dtype (PyTorch's promotion; Python numbers never widen)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
        a = as_operand(op, a, b)
    elif not isinstance(b, Tensor):
        b = as_operand(op, b, a)
    if a._data.dtype != b._data.dtype:
        dt = result_type(a, b)
        if a._data.dtype != dt:
            a = cast(a, dt)
        if b._data.dtype != dt:
            b = cast(b, dt)
    return a, b


def operand_array(op: str, x: Any, like: Tensor) -> Any:
    """The array of ``x`` on ``like``'s device, for in-place ops (no graph)."""
    if isinstance(x, Tensor):
        if x.device != like.device:
            raise RuntimeError(f"{op}: the operand is on {x.device} but the tensor is on {like.device}")
        return x._data
    return as_operand(op, x, like)._data


def sum_to_shape(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``.

    The gradient of a broadcast operand is the sum of the output gradient over
    every position the operand was copied to.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes and axes == tuple(range(len(axes))) and g.dtype.kind == "f" and g.flags.c_contiguous:
        # only leading axes (a bias added to every row): a matrix-vector product
        k = len(axes)
        return backend.sum_rows(g.reshape(math.prod(g.shape[:k]), math.prod(g.shape[k:]))).reshape(shape)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def broadcast_error(op: str, *ts: Tensor) -> ShapeError:
    shapes = " and ".join(str(tuple(t.shape)) for t in ts)
    return ShapeError(
        f"{op}: shapes {shapes} cannot be broadcast together: aligned from the right, each pair of "
        f"dimensions must be equal or one of them 1"
    )


def normalize_dim(op: str, dim: int, ndim: int) -> int:
    """A dimension index in ``[0, ndim)``; negative counts from the end (a 0-d tensor accepts 0 and -1)."""
    n = max(ndim, 1)
    if not isinstance(dim, (int, numpy.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions (expected {-n}..{n - 1})")
    return int(dim) % n


def normalize_dims(op: str, dim: Any, ndim: int, empty_is_all: bool = True) -> tuple:
    """``dim`` (None, int or sequence) as a sorted tuple of distinct axes; None means all.

    An empty sequence (``dim=()`` or ``dim=[]``) also means all for PyTorch's arithmetic reductions
    (``sum``, ``mean``, ``amax``, ``var``...); ``all`` and ``any`` pass ``empty_is_all=False``, since
    PyTorch 2.13 reduces nothing there.
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, numpy.integer)) else tuple(dim)
    if not dims and empty_is_all:
        return tuple(range(ndim))
    out = tuple(sorted({normalize_dim(op, d, ndim) for d in dims}))
    if len(out) != len(dims):
        raise ValueError(f"{op}: dim {dim} names a dimension twice")
    return tuple(d for d in out if d < ndim)


_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}


def numpy_names(f: Any) -> Any:
    """``f`` accepting PyTorch's NumPy-style keyword names, ``axis=`` for ``dim=`` and ``keepdims=`` for
    ``keepdim=`` (``torch.cat(xs, axis=1)``, ``x.sum(axis=0, keepdims=True)``), as PyTorch's own ops do."""
    params = inspect.signature(f).parameters
    renames = {alias: name for alias, name in _NUMPY_NAMES.items() if name in params}
    if not renames:
        return f

    @functools.wraps(f)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not kwargs:  # the usual call: nothing to rename
            return f(*args)
        for alias, name in renames.items():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{f.__name__}: got both {name}= and its alias {alias}=; pass one")
                kwargs[name] = kwargs.pop(alias)
        return f(*args, **kwargs)

    return call


def size_args(args: Sequence[Any], op: str | None = None) -> tuple:
    """Accept both ``f(2, 3)`` and ``f((2, 3))`` for a shape; a method ``op`` (``x.view()``) needs one, as PyTorch."""
    if not args and op is not None:
        raise TypeError(f"{op}: missing the sizes or dims (pass them as ints or as one tuple)")
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, (int, numpy.integer)) or isinstance(a, bool):
            raise TypeError(f"{op or 'size'}: expected a shape of ints, got {tuple(args)}")
        out.append(int(a))
    return tuple(out)


def require_float(op: str, t: Tensor) -> None:
    if t.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating-point tensor, got {t.dtype} ({describe(t)})")


def refuse_bool(op: str, *ts: Any, hint: str = "") -> None:
    """PyTorch refuses arithmetic such as ``-``, ``abs`` and ``relu`` on bool tensors (and Python bools)."""
    for t in ts:
        if isinstance(t, bool) or (isinstance(t, Tensor) and t.dtype == backend.bool_):
            raise DTypeError(f"{op}: not supported on bool operands (got {describe(t) if isinstance(t, Tensor) else t!r}){hint}")


def float_or_promote(x: Tensor) -> Tensor:
    """``x`` itself if floating point, else ``x`` cast to the default float dtype (PyTorch's rule for ``exp``, ``sqrt``...)."""
    return x if x.dtype.kind == "f" else cast(x, backend.get_default_dtype())


from .shape import cast  # noqa: E402  (promotion needs the differentiable cast)
