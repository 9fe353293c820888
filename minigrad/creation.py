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
    if target.kind in "iu" and arr.dtype.kind == "f" and arr.size and not bool(numpy.isfinite(backend.to_device(arr, backend.CPU)).all()):
        raise RuntimeError(f"tensor: NaN or infinity cannot be converted to {target} (it has no such value)")
    if from_python and target.kind in "iu" and arr.dtype.kind in "iuf" and arr.size:
        _check_int_range("tensor", [arr.min(), arr.max()], target)
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


def _shape(op: str, args: tuple, size: Any) -> tuple:
    """The shape of a factory: ``f(2, 3)``, ``f((2, 3))`` or, as in PyTorch, ``f(size=(2, 3))``."""
    if size is not None:
        if args:
            raise TypeError(f"{op}: pass the shape either as arguments or as size=, not both (got {args} and size={size})")
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{op}: size must be a tuple of ints, got {type(size).__name__} {size!r}")
        args = (size,)
    return size_args(args, op)


def _filled(fill: Any, size: tuple, dtype: DTypeLike, device: DeviceLike, requires_grad: bool, default: Any = None) -> Tensor:
    dev = backend.as_device(device)
    dt = _dtype(dtype, default)
    if any(n < 0 for n in size):
        raise ValueError(f"expected a shape of non-negative sizes, got {size}")
    if dt.kind in "iu" and isinstance(fill, (int, float)) and not isinstance(fill, bool):
        finite = isinstance(fill, int) or math.isfinite(fill)
        _check_int_range("full", [fill] if finite else [], dt, finite)
    return Tensor(dev.xp.full(size, fill, dtype=dt), dev, requires_grad)


def _check_int_range(op: str, values: Any, dtype: numpy.dtype, finite: bool = True) -> None:
    """Python numbers must fit an integer dtype, as PyTorch's factories check (arithmetic wraps instead)."""
    info = numpy.iinfo(dtype)
    bad = [v for v in values if not int(info.min) <= v <= int(info.max)]
    if bad or not finite:
        raise RuntimeError(f"{op}: value {bad[0] if bad else 'inf or NaN'} cannot be converted to {dtype} without overflow")


def zeros(*args: Any, size: Any = None, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape."""
    return _filled(0, _shape("zeros", args, size), dtype, device, requires_grad)


def ones(*args: Any, size: Any = None, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape."""
    return _filled(1, _shape("ones", args, size), dtype, device, requires_grad)


def empty(*args: Any, size: Any = None, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape (minigrad fills it with zeros, so it never holds garbage)."""
    return _filled(0, _shape("empty", args, size), dtype, device, requires_grad)


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
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: the range from {start} to {end} runs against the step {step}; "
                           f"use a step of the other sign")
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


def rand(*args: Any, size: Any = None, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on ``[0, 1)``."""
    dev = backend.as_device(device)
    dt = _dtype(dtype)
    return Tensor(backend.generator(dev).random(_shape("rand", args, size), dtype=dt), dev, requires_grad)


def randn(*args: Any, size: Any = None, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples :math:`\\mathcal N(0, 1)`."""
    dev = backend.as_device(device)
    dt = _dtype(dtype)
    return Tensor(backend.generator(dev).standard_normal(_shape("randn", args, size), dtype=dt), dev, requires_grad)


def _rng(generator: backend.Generator | None, dev: Device) -> Any:
    if generator is None:
        return backend.generator(dev)
    if generator.device != dev:
        raise RuntimeError(f"expected a generator on {dev}, got one on {generator.device}")
    return generator.rng


def require_float_fill(op: str, t: Tensor) -> None:
    """Random fills draw real numbers: refuse integer and bool tensors, as PyTorch does."""
    if t.dtype.kind != "f":
        raise RuntimeError(f"{op}: expects a floating-point tensor, got {t.dtype} (shape {t.shape})")


def randint(*args: Any, size: Any = None, low: int | None = None, high: int | None = None,
            generator: backend.Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
            requires_grad: bool = False) -> Tensor:
    """Uniform integers in ``[low, high)``: ``randint(high, size)``, ``randint(low, high, size)``, or with
    ``size=`` (and ``low=``/``high=``) as keywords, as in PyTorch; ``low`` defaults to 0."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args or size is None or high is None:
        raise TypeError("randint: expected randint(high, size), randint(low, high, size) or randint(low, high, size=...)")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dev = backend.as_device(device)
    data = _rng(generator, dev).integers(low, high, size=size_args((size,)), dtype=numpy.int64)
    return Tensor(data.astype(_dtype(dtype, backend.int64), copy=False), dev, requires_grad)


def randperm(n: int, *, generator: backend.Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    if not isinstance(n, (int, numpy.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    dev = backend.as_device(device)
    data = _rng(generator, dev).permutation(int(n))
    return Tensor(data.astype(_dtype(dtype, backend.int64)), dev, requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: backend.Generator | None = None) -> Tensor:
    r"""Draw ``num_samples`` category indices from each row of non-negative weights ``input`` (1-d or 2-d).

    Row :math:`i` picks category :math:`j` with probability :math:`w_{ij} / \sum_k w_{ik}`; without
    ``replacement`` a category is drawn at most once per row. The result is int64, of shape
    ``(num_samples,)`` or ``(rows, num_samples)``; it carries no gradient. The draws come from the CPU
    stream (or ``generator``, which must be a CPU one) whatever the input's device.
    """
    if not isinstance(input, Tensor) or input.ndim not in (1, 2) or input.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial: expected a 1-d or 2-d floating-point tensor of weights, got "
            f"{f'shape {input.shape} {input.dtype}' if isinstance(input, Tensor) else type(input).__name__}"
        )
    rows = backend.to_device(input._data, backend.CPU).reshape(-1, input.shape[-1]).astype(numpy.float64)
    n = rows.shape[1]
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples}")
    if not replacement and num_samples > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample ({num_samples}) > prob_dist.size(-1) ({n}) samples without replacement")
    if not numpy.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and ((rows > 0).sum(axis=1) < num_samples).any():
        raise RuntimeError(
            f"multinomial: invalid multinomial distribution (with replacement=False, a row has fewer than "
            f"{num_samples} categories of non-zero weight to sample)"
        )
    rng = _rng(generator, backend.CPU)  # drawn on the CPU (one small choice per row), then moved
    out = numpy.stack([
        numpy.asarray(rng.choice(n, size=num_samples, replace=replacement, p=r / r.sum())) for r in rows
    ]).astype(backend.int64)
    out = out.reshape(input.shape[:-1] + (num_samples,))
    return Tensor(backend.to_device(out, input.device), input.device)


def normal(mean: Any, std: Any, size: Any = None, *, generator: backend.Generator | None = None,
           dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    r"""Samples of :math:`\mathcal N(\mathrm{mean}, \mathrm{std}^2)`: ``normal(0.0, 1.0, size=(2, 3))`` with
    numbers, or ``normal(mean_tensor, std_tensor)`` elementwise (broadcast), as in PyTorch."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = numpy.broadcast_shapes(numpy.shape(m), numpy.shape(s))
        z = _rng(generator, like.device).standard_normal(shape, dtype=like.dtype if like.dtype.kind == "f" else None)
        return Tensor((m + s * z).astype(like.dtype, copy=False), like.device)
    if size is None:
        raise TypeError("normal: with a number as mean and std, pass size=(...)")
    if std < 0:
        raise RuntimeError(f"normal: expects std >= 0.0, but found std {std}")
    dev = backend.as_device(device)
    dt = _dtype(dtype)
    z = _rng(generator, dev).standard_normal(size_args((size,)), dtype=dt)
    return Tensor((z * std + mean).astype(dt, copy=False), dev, requires_grad)


def rand_like(x: Tensor, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device)


def randn_like(x: Tensor, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device)


def legacy_tensor(args: tuple, dtype: numpy.dtype, device: DeviceLike = None) -> Tensor:
    """PyTorch's legacy constructors (``torch.Tensor``, ``torch.LongTensor``...): ``(data)`` copies data
    (a list or tuple is data, as in PyTorch), ``(*size)`` makes a zero-filled tensor (PyTorch leaves it
    uninitialised)."""
    if len(args) == 1 and not isinstance(args[0], (int, numpy.integer)):
        return tensor(args[0], dtype=dtype, device=device)
    return empty(*(args or (0,)), dtype=dtype, device=device)  # no arguments: an empty 1-d tensor


class _LegacyTensorType(type):
    """PyTorch's typed tensor classes (``torch.LongTensor``...): a factory and an ``isinstance`` test."""

    dtype: numpy.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args: Any, device: DeviceLike = None) -> Tensor:  # type: ignore[override]
        """``LongTensor([1, 2])`` copies data; ``LongTensor(2, 3)`` is a new (zero-filled) tensor of that shape."""
        return legacy_tensor(args, cls.dtype, device)


def _legacy(name: str, dtype: numpy.dtype) -> type:
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": f"Makes {dtype} tensors, as ``torch.{name}``.", "__module__": __name__})


LEGACY_TYPES = {name: _legacy(name, dt) for name, dt in backend.LEGACY_TYPE_NAMES.items()}
