"""Making tensors: from data (:func:`tensor`) and the factory functions.

Every factory takes PyTorch's keyword arguments ``dtype``, ``device`` and
``requires_grad``. Random factories draw from the generator of the target
device, seeded by :func:`minigrad.manual_seed`.
"""
from __future__ import annotations

import math
from typing import Any, Union

import numpy

from . import backend
from .backend import Device, DTypeLike
from .ops.common import size_args
from .tensor import Tensor

DeviceLike = Union[str, Device, None]


def _dtype(dtype: DTypeLike, default: numpy.dtype | None = None) -> numpy.dtype:
    if dtype is None:
        return default if default is not None else backend.get_default_dtype()
    try:
        return numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}; use minigrad.float32, float64, int64 or bool") from None


def _contains_tensor(data: Any) -> bool:
    return isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) or _contains_tensor(d) for d in data)


def tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    ``data`` is a number, a (nested) list/tuple, a NumPy or CuPy array, or a
    Tensor. Without ``dtype``: Python floats give the default dtype
    (float32), ints give int64, bools give bool, arrays keep their dtype.
    """
    dev = backend.as_device(device) if device is not None else (
        data.device if isinstance(data, Tensor) else backend.get_default_device()
    )
    if isinstance(data, Tensor):
        arr = data._data
    elif _contains_tensor(data):
        arr = numpy.asarray(_tolist(data))
    elif hasattr(data, "__cuda_array_interface__"):
        arr = data
    else:
        try:
            arr = numpy.asarray(data)
        except ValueError as e:
            raise ValueError(f"tensor: data is not rectangular (every row must have the same length): {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor: cannot make a tensor from data of dtype {arr.dtype}; expected numbers or booleans")
    from_python = not isinstance(data, (Tensor, numpy.ndarray, numpy.generic)) and not hasattr(data, "__cuda_array_interface__")
    if dtype is not None:
        target = _dtype(dtype)
    elif from_python and arr.dtype.kind == "f":
        target = backend.get_default_dtype()
    elif from_python and arr.dtype.kind in "iu":
        target = backend.int64
    else:
        target = arr.dtype
    arr = backend.to_device(arr, dev)
    arr = arr.astype(target, copy=True)
    return Tensor(arr, dev, requires_grad)


def _tolist(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_tolist(d) for d in data]
    return data


def as_tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """Like :func:`tensor`, but a Tensor already of that dtype and device is returned as is."""
    if isinstance(data, Tensor) and (dtype is None or numpy.dtype(dtype) == data.dtype) and (
        device is None or backend.as_device(device) == data.device
    ):
        return data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array, backend.CPU)


def _filled(fill: Any, size: tuple, dtype: DTypeLike, device: DeviceLike, requires_grad: bool, default: Any = None) -> Tensor:
    dev = backend.as_device(device)
    dt = _dtype(dtype, default)
    if any(n < 0 for n in size):
        raise ValueError(f"expected a shape of non-negative sizes, got {size}")
    return Tensor(dev.xp.full(size, fill, dtype=dt), dev, requires_grad)


def zeros(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape."""
    return _filled(0, size_args(size), dtype, device, requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape."""
    return _filled(1, size_args(size), dtype, device, requires_grad)


def empty(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape (minigrad fills it with zeros, so it never holds garbage)."""
    return _filled(0, size_args(size), dtype, device, requires_grad)


def full(size: Any, fill_value: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape filled with ``fill_value`` (its dtype follows the value, as PyTorch)."""
    default = backend.bool_ if isinstance(fill_value, bool) else backend.int64 if isinstance(fill_value, int) else None
    return _filled(fill_value, size_args((size,)), dtype, device, requires_grad, default)


def _like(fill: Any, x: Tensor, dtype: DTypeLike, device: DeviceLike, requires_grad: bool) -> Tensor:
    return _filled(fill, x.shape, dtype if dtype is not None else x.dtype, device if device is not None else x.device, requires_grad)


def zeros_like(x: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``x``."""
    return _like(0, x, dtype, device, requires_grad)


def ones_like(x: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``x``."""
    return _like(1, x, dtype, device, requires_grad)


def full_like(x: Tensor, fill_value: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    return _like(fill_value, x, dtype, device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``[start, start+step, ...)`` up to ``end`` (exclusive); int64 if all arguments are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    ints = all(isinstance(v, int) for v in (start, end, step))
    dt = _dtype(dtype, backend.int64 if ints else None)
    dev = backend.as_device(device)
    n = max(math.ceil((end - start) / step), 0)
    data = (dev.xp.arange(n, dtype=numpy.float64) * step + start).astype(dt) if not ints else dev.xp.arange(start, end, step).astype(dt)
    return Tensor(data, dev, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    dev = backend.as_device(device)
    return Tensor(dev.xp.linspace(start, end, steps).astype(_dtype(dtype)), dev, requires_grad)


def eye(n: int, m: int | None = None, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity matrix (``m`` defaults to ``n``)."""
    dev = backend.as_device(device)
    return Tensor(dev.xp.eye(n, m, dtype=_dtype(dtype)), dev, requires_grad)


def rand(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on ``[0, 1)``."""
    dev = backend.as_device(device)
    dt = _dtype(dtype)
    return Tensor(backend.generator(dev).random(size_args(size), dtype=dt), dev, requires_grad)


def randn(*size: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples :math:`\\mathcal N(0, 1)`."""
    dev = backend.as_device(device)
    dt = _dtype(dtype)
    return Tensor(backend.generator(dev).standard_normal(size_args(size), dtype=dt), dev, requires_grad)


def randint(*args: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: uniform integers in ``[low, high)``."""
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    dev = backend.as_device(device)
    data = backend.generator(dev).integers(low, high, size=size_args((size,)), dtype=numpy.int64)
    return Tensor(data.astype(_dtype(dtype, backend.int64), copy=False), dev, requires_grad)


def rand_like(x: Tensor, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device)


def randn_like(x: Tensor, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device)
