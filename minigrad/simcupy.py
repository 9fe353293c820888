r"""A stand-in for CuPy that runs on NumPy: the GPU path of minigrad tested on a machine without a GPU.

:func:`minigrad.testing.simulated_cuda` makes it the array namespace of ``device="cuda"``. Its
arrays (:class:`ndarray`) hold NumPy arrays but behave like CuPy's where a framework can go wrong:

- they are not ``numpy.ndarray``, and NumPy refuses to convert them: ``numpy.asarray(a)`` raises
  CuPy's ``TypeError``, so host code that would silently copy device data fails here as on a GPU;
- an operation that mixes them with NumPy arrays raises, as CuPy does;
- out-of-range integer array indices wrap around instead of raising (CuPy does not check bounds);
- reductions return 0-d arrays, never NumPy scalars;
- the random streams are NumPy's generators, seeded apart from the CPU's (CuPy's differ too);
- every copy between host and device is counted in :data:`transfers`: the copies to the host that the
  code asks for (``.get()``) apart from the *implicit* ones, the synchronisations hidden in host code
  (``bool(a)``, ``float(a)``, ``int(a)``, ``a.item()``, ``a.tolist()``, indexing with a boolean mask,
  whose result size only the host can know), each recorded with the line of code that caused it.

Everything else is NumPy's, so results agree with the CPU to the last bit where the same kernels run.
The module is also the namespace: ``simcupy.exp``, ``simcupy.zeros``... are NumPy's functions with
their arguments and results moved in and out of :class:`ndarray`.
"""
from __future__ import annotations

import builtins
import copy
import functools
import os
import sys
import types
from typing import Any, Iterator

import numpy

device_count = 1  # set by minigrad.testing.simulated_cuda
_current = [0]  # the stack of current devices (``with cuda.Device(i):``)
_STREAM = 0xC0DA  # mixed into seeds: the simulated device's random stream is not the CPU's


class TransferLog:
    """Copies between host and device since the last :meth:`reset`.

    Attributes:
        explicit: copies to the host the code asked for (``ndarray.get()``, i.e. ``Tensor.cpu()``,
            ``.item()``, ``.tolist()``, printing, saving).
        uploads: copies from the host to the device.
        implicit: one line per hidden synchronisation, ``"what at file:line (function)"``.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.explicit = 0
        self.uploads = 0
        self.implicit: list[str] = []

    def _sync(self, what: str) -> None:
        self.implicit.append(f"{what} at {_caller()}")

    def __repr__(self) -> str:
        return f"TransferLog(explicit={self.explicit}, uploads={self.uploads}, implicit={self.implicit})"


transfers = TransferLog()


def _caller() -> str:
    """The first frame outside this module: the code that caused a transfer."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename == __file__:
        f = f.f_back
    if f is None:
        return "?"
    path = f.f_code.co_filename.replace(os.sep, "/")
    parts = path.split("/")
    return f"{'/'.join(parts[-2:])}:{f.f_lineno} ({f.f_code.co_name})"


# ---------------------------------------------------------------- devices
class Device:
    """``cupy.cuda.Device``: a context manager that makes device ``id`` current."""

    def __init__(self, device: Any = None) -> None:
        self.id = _current[-1] if device is None else int(device)
        if not 0 <= self.id < device_count:
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id} "
                               f"(the simulated machine has {device_count} device(s))")

    def __enter__(self) -> "Device":
        _current.append(self.id)
        return self

    def __exit__(self, *exc: Any) -> None:
        _current.pop()

    def synchronize(self) -> None:
        """Nothing to wait for: the simulated device computes synchronously."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


class _Runtime:
    @staticmethod
    def getDeviceCount() -> int:  # noqa: N802 (CuPy's name)
        return device_count


cuda = types.SimpleNamespace(Device=Device, runtime=_Runtime)


# ---------------------------------------------------------------- moving values in and out
def _unwrap(x: Any, devs: list) -> Any:
    """``x`` with device arrays replaced by their NumPy arrays; host arrays are refused, as CuPy does."""
    if isinstance(x, ndarray):
        devs.append(x._dev)
        return x._a
    if isinstance(x, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, devs) for v in x)
    return x


def _upload(x: Any, devs: list) -> Any:
    """Host data (a NumPy array, a number, nested lists) as a creation function reads it: a counted upload."""
    if isinstance(x, ndarray):
        devs.append(x._dev)
        return x._a
    if isinstance(x, (list, tuple)) and any(isinstance(v, ndarray) for v in x):
        return type(x)(_upload(v, devs) for v in x)
    transfers.uploads += 1
    return x


def _wrap(y: Any, dev: int) -> Any:
    if isinstance(y, numpy.ndarray):
        return ndarray._of(y, dev)
    if isinstance(y, numpy.generic):
        return ndarray._of(numpy.asarray(y), dev)  # CuPy reductions give 0-d arrays
    if isinstance(y, tuple):
        return tuple(_wrap(v, dev) for v in y)
    if isinstance(y, list):
        return [_wrap(v, dev) for v in y]
    return y


def _call(f: Any, args: tuple, kwargs: dict, dev: int | None = None) -> Any:
    devs: list = [] if dev is None else [dev]
    a = [_unwrap(x, devs) for x in args]
    kw = {k: _unwrap(v, devs) for k, v in kwargs.items()}
    y = f(*a, **kw)
    out = kwargs.get("out")
    if out is not None and y is kw["out"]:
        return out  # the caller's own array, not a second wrapper of its memory
    return _wrap(y, devs[0] if devs else _current[-1])


class _Function:
    """A NumPy function (or ufunc) seen from the device: arrays in and out are device arrays."""

    def __init__(self, f: Any) -> None:
        self._f = f
        functools.update_wrapper(self, f, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._f, args, kwargs)

    def __getattr__(self, name: str) -> Any:  # ufunc methods: reduce, outer, accumulate...
        if name == "at":  # ufunc.at(a, indices, b): out-of-bounds indices wrap around, as in every CuPy scatter
            return functools.partial(_ufunc_at, self._f)
        return _lift(getattr(self._f, name))


def _lift(obj: Any) -> Any:
    """A NumPy attribute as the device namespace shows it."""
    if isinstance(obj, type) or not callable(obj):
        return obj  # dtypes and constants are shared with NumPy, as CuPy shares them
    return _Function(obj)


class _Namespace:
    """A NumPy submodule (``linalg``, ``fft``...) seen from the device."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return _lift(getattr(self._module, name))


# ---------------------------------------------------------------- indexing
def _index(key: Any, shape: tuple, what: str) -> Any:
    """A device index as NumPy's, with CuPy's semantics: integer arrays wrap around, masks synchronise."""
    parts, devs = [], []
    for p in key if isinstance(key, tuple) else (key,):
        if isinstance(p, (list, numpy.ndarray)):
            transfers.uploads += 1  # CuPy copies a host index to the device
            p = numpy.asarray(p)
        elif isinstance(p, ndarray):
            p = _unwrap(p, devs)
        parts.append(p)
    is_mask = [isinstance(p, numpy.ndarray) and p.dtype == numpy.bool_ for p in parts]
    consumed = sum(p.ndim if m else 0 if p is None or p is Ellipsis else 1 for p, m in zip(parts, is_mask))
    out, axis = [], 0
    for p, mask in zip(parts, is_mask):
        if p is Ellipsis:
            axis += len(shape) - consumed
        elif mask:
            transfers._sync(f"{what} with a boolean mask")  # the result's size is known only on the host
            axis += p.ndim
        elif isinstance(p, numpy.ndarray):
            if p.dtype.kind in "iu" and axis < len(shape) and shape[axis]:
                p = numpy.mod(p, shape[axis])  # CuPy wraps out-of-bounds indices around
            axis += 1
        elif p is not None:
            axis += 1
        out.append(p)
    return tuple(out) if isinstance(key, tuple) else out[0]


# ---------------------------------------------------------------- the array
class ndarray:  # noqa: N801 (CuPy's name)
    """A device array: a NumPy array that host code can reach only through :meth:`get`."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def _of(cls, a: numpy.ndarray, dev: int) -> "ndarray":
        self = object.__new__(cls)
        self._a, self._dev = a, dev
        return self

    def __init__(self, shape: Any, dtype: Any = float) -> None:
        self._a, self._dev = numpy.zeros(shape, dtype), _current[-1]

    # -- what the host may read without a copy
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    device = property(lambda self: Device(self._dev))
    T = property(lambda self: ndarray._of(self._a.T, self._dev))

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (id(self._a), False), "version": 3}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs, dev=self._dev)
        return _wrap(attr, self._dev)

    # -- copies to the host
    def get(self, stream: Any = None) -> numpy.ndarray:
        """A NumPy copy on the host (an explicit transfer)."""
        transfers.explicit += 1
        return self._a.copy()

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def _scalar(self, what: str, exc: type, message: str) -> Any:
        if self._a.size != 1:
            raise exc(message)
        transfers._sync(what)
        return self._a.reshape(()).item()

    def item(self) -> Any:
        return self._scalar("ndarray.item()", ValueError, "can only convert an array of size 1 to a Python scalar")

    def tolist(self) -> Any:
        transfers._sync("ndarray.tolist()")
        return self._a.tolist()

    def __bool__(self) -> bool:
        return bool(self._scalar("bool()", ValueError, "The truth value of an array with more than one element is ambiguous."))

    def __float__(self) -> float:
        return float(self._scalar("float()", TypeError, "only size-1 arrays can be converted to Python scalars"))

    def __int__(self) -> int:
        return int(self._scalar("int()", TypeError, "only size-1 arrays can be converted to Python scalars"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex()", TypeError, "only size-1 arrays can be converted to Python scalars"))

    def __index__(self) -> int:
        if self._a.dtype.kind not in "iu":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._scalar("operator.index()", TypeError, "only integer scalar arrays can be converted to a scalar index"))

    def __repr__(self) -> str:
        transfers.explicit += 1  # printing copies the data to the host
        return repr(self._a)

    def __str__(self) -> str:
        transfers.explicit += 1
        return str(self._a)

    def __format__(self, spec: str) -> str:
        return format(self._scalar("format()", TypeError, "unsupported format string passed to cupy.ndarray.__format__") if spec else str(self), spec)

    # -- container protocol, on the device
    def __len__(self) -> int:
        if not self._a.ndim:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self) -> Iterator["ndarray"]:
        if not self._a.ndim:
            raise TypeError("iteration over a 0-d array")
        return (ndarray._of(self._a[i], self._dev) for i in range(len(self._a)))

    def __getitem__(self, key: Any) -> "ndarray":
        idx = _index(key, self._a.shape, "getitem")
        out = self._a[idx]
        if not isinstance(out, numpy.ndarray):  # CuPy's x[i] is a 0-d view, where NumPy gives a scalar copy
            out = self._a[(idx if isinstance(idx, tuple) else (idx,)) + (Ellipsis,)]
        return ndarray._of(out, self._dev)

    def __setitem__(self, key: Any, value: Any) -> None:
        idx = _index(key, self._a.shape, "setitem")
        if isinstance(value, (numpy.ndarray, list)):
            transfers.uploads += 1
        self._a[idx] = value._a if isinstance(value, ndarray) else value

    def __copy__(self) -> "ndarray":
        return ndarray._of(self._a.copy(), self._dev)

    def __deepcopy__(self, memo: dict) -> "ndarray":
        return ndarray._of(copy.deepcopy(self._a, memo), self._dev)

    def __reduce__(self) -> tuple:
        return (ndarray._of, (self._a, self._dev))

    # -- NumPy's functions applied to device arrays run on the device (CuPy supports both protocols)
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return _call(func, args, kwargs)


def _operand(x: Any) -> Any:
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return x


def _binary(name: str) -> Any:
    def op(self: ndarray, other: Any) -> Any:
        y = getattr(self._a, name)(_operand(other))
        return y if y is NotImplemented else _wrap(y, self._dev)
    return op


def _inplace(name: str) -> Any:
    def op(self: ndarray, other: Any) -> Any:
        y = getattr(self._a, name)(_operand(other))
        return y if y is NotImplemented else self
    return op


def _unary(name: str) -> Any:
    return lambda self: _wrap(getattr(self._a, name)(), self._dev)


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor", "lshift", "rshift"):
    setattr(ndarray, f"__{_n}__", _binary(f"__{_n}__"))
    setattr(ndarray, f"__r{_n}__", _binary(f"__r{_n}__"))
    setattr(ndarray, f"__i{_n}__", _inplace(f"__i{_n}__"))
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_n}__", _binary(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_n}__", _unary(f"__{_n}__"))
del _n


# ---------------------------------------------------------------- the namespace
def _creation(f: Any) -> Any:
    """A function that makes a device array from data (``asarray``...): host data is a counted upload."""

    def create(obj: Any, *args: Any, **kwargs: Any) -> ndarray:
        devs: list = []
        y = f(_upload(obj, devs), *[_unwrap(a, devs) for a in args], **{k: _unwrap(v, devs) for k, v in kwargs.items()})
        return ndarray._of(numpy.asarray(y), _current[-1])  # on the current device, as CuPy

    return functools.wraps(f)(create)


asarray = _creation(numpy.asarray)
array = _creation(numpy.array)
asanyarray = _creation(numpy.asanyarray)
ascontiguousarray = _creation(numpy.ascontiguousarray)


def take_along_axis(a: ndarray, indices: ndarray, axis: int) -> ndarray:
    """CuPy's ``take_along_axis``: out-of-bounds indices wrap around."""
    n = a.shape[axis]
    return _call(numpy.take_along_axis, (a, indices % n if n else indices), {"axis": axis})


def take(a: ndarray, indices: Any, axis: int | None = None) -> ndarray:
    """CuPy's ``take``: out-of-bounds indices wrap around."""
    return _call(numpy.take, (a, indices), {"axis": axis, "mode": "wrap"})


def get_array_module(*args: Any) -> Any:
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


class _Generator:
    """``cupy.random.Generator``: a NumPy generator whose draws land on the device."""

    def __init__(self, seed: Any = None) -> None:
        self._g = numpy.random.default_rng(None if seed is None else [int(seed), _STREAM])

    def __getattr__(self, name: str) -> Any:
        return _lift(getattr(self._g, name))


random = types.SimpleNamespace(default_rng=_Generator, Generator=_Generator)


def _ufunc_at(f: Any, a: ndarray, indices: Any, *b: Any) -> None:
    """``f.at(a, indices, b)`` on the device: indices wrap around as CuPy's scatter kernels do."""
    f.at(a._a, _index(indices, a.shape, f"{f.__name__}.at"), *[_operand(v) for v in b])


def _scatter_add(a: ndarray, slices: Any, value: Any) -> None:
    """``cupyx.scatter_add``: ``a[slices] += value``, adding once per occurrence of a repeated index."""
    numpy.add.at(a._a, _index(slices, a.shape, "scatter_add"), _operand(value))


def _erf(x: ndarray) -> ndarray:
    from . import backend  # noqa: PLC0415 (backend does not import this module; no cycle at load time)

    return ndarray._of(numpy.asarray(backend.erf(x._a)), x._dev)


cupyx = types.SimpleNamespace(
    scatter_add=_scatter_add,
    scipy=types.SimpleNamespace(special=types.SimpleNamespace(erf=_erf)),
)


def __getattr__(name: str) -> Any:
    """Every other name is NumPy's, lifted to the device (``simcupy.exp``, ``simcupy.float32``...)."""
    obj = getattr(numpy, name)  # AttributeError for names NumPy lacks, as for a module
    lifted = _Namespace(obj) if isinstance(obj, types.ModuleType) else _lift(obj)
    if not hasattr(builtins, name):  # cached as a global, ``sum``, ``max``... would hide the builtins used here
        globals()[name] = lifted
    return lifted
