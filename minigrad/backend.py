"""The one place where minigrad meets NumPy and CuPy.

A tensor's data is an array of one *array namespace* ``xp``: :mod:`numpy` for
``device="cpu"`` and :mod:`cupy` for ``device="cuda"`` / ``"cuda:N"``. Every op
asks this module for the namespace of its data (:func:`array_module`) and then
writes ``xp.exp(x)``, ``xp.matmul(a, b)``..., so one code path serves both
devices (the idea Chainer calls ``xp``). CuPy is imported only when a CUDA
device is first used.

This module also owns dtypes (the default dtype and PyTorch's promotion rules)
and the random generators behind :func:`manual_seed`, one stream per backend.
"""
from __future__ import annotations

import math
import os
import sys
from typing import Any, Union

import numpy

# ---------------------------------------------------------------- dtypes
class dtype:  # noqa: N801 (PyTorch's name: torch.dtype)
    """A tensor's element type, as PyTorch's ``torch.dtype``: prints as ``torch.float32``.

    One object per type (``x.dtype is minigrad.float32``), wrapping the NumPy dtype of the data in the
    attribute ``dtype``. NumPy and CuPy read that attribute wherever they take a dtype
    (``numpy.zeros(3, dtype=minigrad.float32)``, ``a.astype(...)``, ``numpy.dtype(...)``), so the arrays
    underneath never see this class. It compares equal to its NumPy dtype and NumPy scalar type
    (``minigrad.float32 == numpy.float32``) and hashes as the NumPy dtype, so code written against
    NumPy dtypes, and dicts keyed by either, keep working.
    """

    # NumPy 2.4 looks for ``__numpy_dtype__`` first (older NumPy and CuPy for ``dtype``): as a slot it makes
    # ``numpy_dtype == minigrad.float32`` and ``numpy.empty(n, dtype=minigrad.float32)`` nearly as fast as
    # with the NumPy dtype. ``kind`` is a slot rather than a forwarded attribute (below): the ops read
    # ``x.dtype.kind`` on every call.
    __slots__ = ("dtype", "__numpy_dtype__", "kind", "_name", "_hash", "__weakref__")

    def __init__(self, np_dtype: numpy.dtype) -> None:
        self.dtype = self.__numpy_dtype__ = np_dtype
        self.kind = np_dtype.kind
        self._name = "torch." + np_dtype.name
        self._hash = hash(np_dtype)  # equal to the NumPy dtype's, so dicts find either by the other

    def __repr__(self) -> str:
        return self._name

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if other.__class__ is dtype:  # one object per type
            return self is other
        if isinstance(other, numpy.dtype) or (isinstance(other, type) and issubclass(other, numpy.generic)):
            return self.dtype == other
        return NotImplemented  # PyTorch's dtypes equal no string or Python type (torch.float32 != "float32")

    def __ne__(self, other: object) -> bool:  # (Python's default would call __eq__: twice the time, and ops compare often)
        if other.__class__ is dtype:
            return self is not other
        if isinstance(other, numpy.dtype) or (isinstance(other, type) and issubclass(other, numpy.generic)):
            return self.dtype != other
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple:  # pickled as a call that returns the one object of this type
        return as_dtype, (self.dtype.str,)

    def __copy__(self) -> "dtype":
        return self

    def __deepcopy__(self, memo: dict) -> "dtype":
        return self

    def __getattr__(self, name: str) -> Any:
        # Any other NumPy attribute (name, itemsize is below, char, type, str...) comes from the NumPy dtype:
        # minigrad's dtypes were NumPy's before they printed as PyTorch's, and code written then (lessons,
        # students' notebooks: ``x.dtype.name``) keeps working. PyTorch code never reaches this.
        if name.startswith("__") or name in dtype.__slots__:  # (unpickling and copying probe dunders first)
            raise AttributeError(name)
        return getattr(self.dtype, name)

    # PyTorch's attributes of a dtype
    @property
    def is_floating_point(self) -> bool:
        return self.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.kind == "c"

    @property
    def is_signed(self) -> bool:
        """Whether the type holds negative numbers (every float; ``bool`` and ``uint8`` do not)."""
        return self.kind in "ifc"

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def to_real(self) -> "dtype":
        """The real type of a complex type (``complex64 -> float32``); any other type itself."""
        return as_dtype(numpy.empty(0, self.dtype).real.dtype) if self.kind == "c" else self

    def to_complex(self) -> "dtype":
        """The complex type of a floating-point type (``float32 -> complex64``); complex types themselves."""
        if self.kind not in "fc" or self.itemsize < 4:
            raise RuntimeError(f"to_complex: {self} has no complex counterpart (only floating-point types do, and "
                               f"NumPy has no complex32 for float16)")
        return as_dtype(numpy.result_type(self.dtype, numpy.complex64))


class _Dtypes(dict):
    """NumPy dtype -> its one minigrad :class:`dtype`, made on first use for the types not named below."""

    def __missing__(self, np_dtype: numpy.dtype) -> dtype:
        d = self[np_dtype] = dtype(np_dtype)
        return d


_dtypes = _Dtypes()


def as_dtype(spec: Any) -> dtype:
    """The minigrad :class:`dtype` of anything NumPy takes as a dtype (a minigrad or NumPy dtype, ``numpy.float32``,
    ``"float32"``); raises TypeError for anything else."""
    if type(spec) is dtype:
        return spec
    return _dtypes[numpy.dtype(spec)]


float32 = as_dtype("float32")
float64 = as_dtype("float64")
int64 = as_dtype("int64")
int32 = as_dtype("int32")
int16 = as_dtype("int16")
int8 = as_dtype("int8")
uint8 = as_dtype("uint8")
float16 = as_dtype("float16")
bool_ = as_dtype("bool")

DTypeLike = Union[dtype, numpy.dtype, type, str, None]

# PyTorch's typed tensor classes by name (``torch.LongTensor``...), for ``Tensor.type``.
LEGACY_TYPE_NAMES = {
    "FloatTensor": float32, "DoubleTensor": float64, "HalfTensor": float16, "LongTensor": int64,
    "IntTensor": int32, "ShortTensor": int16, "CharTensor": int8, "ByteTensor": uint8, "BoolTensor": bool_,
}

_default_dtype = float32


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the floating-point dtype of new float tensors (``float32`` or ``float64``)."""
    global _default_dtype
    d = as_dtype(dtype)
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: expected torch.float32 or torch.float64, got {d}")
    _default_dtype = d


def get_default_dtype() -> dtype:
    """Return the dtype that Python floats and factory functions produce."""
    return _default_dtype


def is_floating(dtype: numpy.dtype) -> bool:
    return dtype.kind == "f"


def promote_types(a: numpy.dtype, b: numpy.dtype) -> numpy.dtype:
    """PyTorch's promotion of two tensor dtypes.

    Differs from NumPy in one case that matters: integer with float keeps the
    float's width (``int64 + float32 -> float32``), where NumPy widens to float64.
    """
    if a == b:
        return a
    fa, fb = a.kind == "f", b.kind == "f"
    if fa and not fb:
        return a
    if fb and not fa:
        return b
    return numpy.promote_types(a, b)


def scalar_dtype(tensor_dtype: numpy.dtype, value: Any) -> numpy.dtype:
    """The dtype of ``tensor <op> python_scalar`` (a scalar never widens a tensor)."""
    if isinstance(value, bool):
        return tensor_dtype
    if isinstance(value, int):
        return tensor_dtype if tensor_dtype != bool_ else int64
    if isinstance(value, float):
        return tensor_dtype if tensor_dtype.kind == "f" else _default_dtype
    raise TypeError(f"expected a Python number, got {type(value).__name__}")


# ---------------------------------------------------------------- devices
class Device:
    """A device: ``cpu`` (NumPy) or ``cuda``/``cuda:N`` (CuPy).

    Compares equal to its string form, so ``t.device == "cpu"`` works.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: Union[str, "Device"] = "cpu", index: int | None = None):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device {spec!r}; expected 'cpu', 'cuda' or 'cuda:N'")
        if idx:
            if not idx.isdigit():
                raise ValueError(f"device: bad device index in {spec!r}")
            index = int(idx)
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"device: cpu has no index {index}")
        self.type = kind
        self.index = (index or 0) if kind == "cuda" else None

    @property
    def xp(self):
        """The array namespace of this device."""
        return numpy if self.type == "cpu" else cupy_module()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except (ValueError, TypeError):
                return False
        return isinstance(other, Device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"


device = Device
CPU = Device("cpu")
_devices: dict = {}


def as_device(spec: Union[str, Device, None]) -> Device:
    """Parse a device spec (``None`` means the default device), reusing Device objects."""
    if spec is None:
        return _default_device
    if isinstance(spec, Device):
        return spec
    d = _devices.get(spec)
    if d is None:
        d = _devices[spec] = Device(spec)
    return d


_cupy = None  # the namespace of CUDA devices: CuPy once loaded, or minigrad.simcupy under simulated_cuda()
_cupyx = None  # its companion with scatter_add and scipy.special (cupyx)


def cupy_module():
    """Import CuPy on first use, with an error that says what to install."""
    global _cupy, _cupyx
    if _cupy is None:
        try:
            import cupy  # noqa: PLC0415 (optional dependency, imported on demand)
            import cupyx.scipy.special  # noqa: PLC0415,F401 (part of CuPy: erf)
        except ImportError as e:
            raise RuntimeError(
                "device 'cuda' needs CuPy, which is not installed. Install the extra that matches "
                "your CUDA toolkit: pip install 'minigrad[gpu-cuda12]' or 'minigrad[gpu-cuda13]'"
            ) from e
        try:
            n = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CuPy raises its own CUDARuntimeError without a driver
            raise RuntimeError(f"device 'cuda': CuPy is installed but no usable GPU was found ({e})") from e
        if n == 0:
            raise RuntimeError("device 'cuda': CuPy is installed but no GPU is present")
        _cupy, _cupyx = cupy, cupyx
    return _cupy


def _use_cuda_backend(xp: Any, xpx: Any) -> tuple:
    """Make ``xp`` (with its ``cupyx``) the namespace of CUDA devices; returns the previous pair.

    For :func:`minigrad.testing.simulated_cuda`, which installs :mod:`minigrad.simcupy`. The CUDA
    random streams and pending device checks belong to the namespace, so they start afresh.
    """
    global _cupy, _cupyx
    previous = (_cupy, _cupyx)
    _cupy, _cupyx = xp, xpx
    for dev in [d for d in _generators if d.type == "cuda"]:
        del _generators[dev]
    _failed.clear()
    return previous


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        cupy_module()
    except RuntimeError:
        return False
    return True


def cuda_device_count() -> int:
    """How many GPUs CuPy sees: 0 without CuPy or without a GPU (``torch.cuda.device_count()``)."""
    if not cuda_is_available():
        return 0
    return int(_cupy.cuda.runtime.getDeviceCount())


def array_types() -> tuple:
    """The array classes in use: NumPy's, and CuPy's once CuPy is loaded."""
    return (numpy.ndarray,) if _cupy is None else (numpy.ndarray, _cupy.ndarray)


def array_module(array: Any):
    """The namespace (numpy or cupy) that owns ``array``."""
    if isinstance(array, numpy.ndarray):
        return numpy
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return numpy


# ------------------------------------------------------------------ reused buffers
# Large NumPy arrays come straight from the operating system, which hands out zeroed pages and takes
# them back when the array is freed: an op that allocates and frees the same large buffers on every
# call (the recurrent ops' gates and states) then spends much of its time in page faults. Such an op
# takes its buffers here and gives them back when it is done, so the next call of the same shape
# reuses them. CuPy keeps its own memory pool, so only NumPy arrays are kept.
_spare: dict = {}  # (shape, dtype) -> arrays given back; oldest shapes first
_SPARE_PER_SHAPE = 4  # enough for a few layers and directions of one shape
_SPARE_MAX_BYTES = 1 << 25  # above 32 MiB per array the arithmetic dwarfs the page faults
# all kept arrays together (sequence lengths vary from batch to batch); one LSTM(256, 256) step over 128
# steps of 64 sequences takes 150 MB of buffers, and a total below that would drop and refetch some every call
_SPARE_TOTAL_BYTES = 1 << 28


def buffer(xp: Any, shape: tuple, dtype: Any) -> Any:
    """An uninitialised array of ``shape``: one given back by :func:`give_back` if any, else a new one."""
    if xp is numpy:
        free = _spare.get((shape, numpy.dtype(dtype)))
        if free:
            try:
                return free.pop()
            except IndexError:  # another thread took the last one
                pass
    return xp.empty(shape, dtype=dtype)


def give_back(owner: dict, names: Any) -> None:
    """Pop ``names`` from ``owner`` (an object's ``__dict__``) and keep for :func:`buffer` the arrays
    nothing else refers to (no other name, no view of them). When the kept arrays exceed
    ``_SPARE_TOTAL_BYTES``, those of the shapes given back longest ago are dropped."""
    for name in names:
        a = owner.pop(name, None)
        # two references: the name ``a`` and getrefcount's argument
        if type(a) is numpy.ndarray and a.base is None and a.nbytes <= _SPARE_MAX_BYTES and sys.getrefcount(a) == 2:
            key = (a.shape, a.dtype)
            free = _spare.pop(key, [])  # re-inserted last: the most recently used shape
            if len(free) < _SPARE_PER_SHAPE:
                free.append(a)
            _spare[key] = free
    total = sum(x.nbytes for free in list(_spare.values()) for x in free)
    for key in list(_spare):
        if total <= _SPARE_TOTAL_BYTES:
            break
        total -= sum(x.nbytes for x in _spare.pop(key, ()))


# ------------------------------------------------------------------ threads
# NumPy runs each elementwise ufunc (exp, subtract, multiply, sums) on one core; only BLAS uses them
# all. An op whose work splits into independent slices (tiled attention: one per batch x head) can
# hand the slices to a few threads, since NumPy releases the GIL inside ufuncs and BLAS calls. BLAS
# is then held to one thread per call: two callers each starting BLAS's own threads oversubscribe
# the cores and made tiled attention 1.3x slower than no threads at all, while one BLAS thread per
# slice made it 1.3x faster (2 cores, (2, 8, 2048, 64) float32). On a GPU the device is already
# parallel, so CuPy's work stays on the calling thread, in order.
_num_threads: int | None = None  # None: the CPUs this process may run on
_pool: Any = None  # the worker threads (a ThreadPoolExecutor), made on first use
_pool_size = 0
_blas: Any = None  # threadpoolctl's handle on the BLAS libraries loaded (NumPy's), made on first use


def get_num_threads() -> int:
    """The number of threads :func:`parallel_slices` splits CPU work over (PyTorch's name):
    ``set_num_threads``, else the environment variable ``MINIGRAD_NUM_THREADS``, else the CPUs this
    process may run on."""
    if _num_threads is not None:
        return _num_threads
    env = os.environ.get("MINIGRAD_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"MINIGRAD_NUM_THREADS must be a positive integer, got {env!r}") from None
        if n < 1:
            raise ValueError(f"MINIGRAD_NUM_THREADS must be a positive integer, got {env!r}")
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def set_num_threads(n: int | None) -> None:
    """Split CPU work over ``n`` threads (1: all on the calling thread); ``None`` restores the default."""
    global _num_threads
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads: expected a positive integer or None, got {n!r}")
    _num_threads = n


def parallel_slices(xp: Any, n: int, fn: Any) -> None:
    """Call ``fn(slice)`` on contiguous slices that cover ``range(n)``, one per thread.

    On NumPy the slices go to ``min(get_num_threads(), n)`` threads, the first on the calling thread;
    ``fn`` must only write to its own slice of shared arrays. On CuPy, one call on the whole range.
    The first exception raised by any slice is raised here, after all slices have finished.
    """
    global _pool, _pool_size, _blas
    parts = min(get_num_threads(), n) if xp is numpy else 1
    if parts <= 1:
        fn(slice(0, n))
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    if _pool_size < parts - 1:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 (only CPU runs with threads need it)

        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(parts - 1, thread_name_prefix="minigrad"), parts - 1
    if _blas is None:
        from threadpoolctl import ThreadpoolController  # noqa: PLC0415 (3 ms to scan the loaded libraries)

        _blas = ThreadpoolController().select(user_api="blas")
    with _blas.limit(limits=1):
        futures = [_pool.submit(fn, slice(a, b)) for a, b in zip(bounds[1:-1], bounds[2:])]
        try:
            fn(slice(bounds[0], bounds[1]))
        finally:
            errors = [f.exception() for f in futures]  # waits for every slice
    for e in errors:
        if e is not None:
            raise e


def sum_rows(a: Any) -> Any:
    r"""Column sums :math:`\mathbf 1^\top A` of a 2-d floating-point array (the bias gradient of a layer).

    One BLAS matrix-vector product: 1.5-12x faster than ``a.sum(axis=0)`` on shapes from
    (100, 20) to (4096, 2048) in float32 (NumPy then adds row after row, in strided passes).
    """
    return array_module(a).ones(a.shape[0], dtype=a.dtype) @ a


_RUN_LOOP_MAX = 32  # index_add: runs of repeated rows up to this long are summed k-th row by k-th row


def index_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` in place, adding once per occurrence of a repeated index."""
    if isinstance(target, numpy.ndarray):
        if isinstance(index, numpy.ndarray) and index.ndim == 1 and index.dtype.kind in "iu" and target.ndim > 1 and index.size:
            # rows (an embedding's backward): numpy.add.at is slow here
            index = numpy.where(index < 0, index + target.shape[0], index)  # -1 and n-1 are one row
            n = target.shape[0]
            if n * index.size <= 1 << 16:  # a small table: one matrix product with the one-hot matrix
                onehot = numpy.zeros((n, index.size), dtype=target.dtype)
                onehot[index, numpy.arange(index.size)] = 1
                target += (onehot @ values.reshape(index.size, -1)).reshape(target.shape)
                return
            # else sort the indices and sum runs of equal ones; a stable sort keeps each row's order
            # (take: faster than fancy indexing for whole rows)
            order = numpy.argsort(index, kind="stable")
            sorted_idx = index.take(order)
            starts = numpy.flatnonzero(numpy.r_[True, sorted_idx[1:] != sorted_idx[:-1]])
            rows = values.take(order, axis=0)
            lengths = numpy.diff(numpy.r_[starts, index.size])
            if lengths.max() > _RUN_LOOP_MAX:  # a few long runs: one reduceat call
                target[sorted_idx[starts]] += numpy.add.reduceat(rows, starts, axis=0)
                return
            # short runs: the k-th row of every run at once, k = 0, 1, ... (distinct rows each time, so
            # += adds each once); 5-7x faster than reduceat, which adds one short run after another
            for k in range(lengths.max()):
                live = starts if k == 0 else starts[lengths > k]
                target[sorted_idx[live]] += rows.take(live + k, axis=0)
        else:
            numpy.add.at(target, index, values)
    else:
        _cupyx.scatter_add(target, index, values)


def erf(x: Any) -> Any:
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}dt`, elementwise.

    NumPy has none: SciPy's is used when installed, else the C library's ``erf``
    element by element (exact, slower). CuPy ships its own.
    """
    if array_module(x) is not numpy:  # (a NumPy scalar, from a 0-d array, stays on the CPU)
        return _cupyx.scipy.special.erf(x)
    try:
        from scipy.special import erf as scipy_erf  # noqa: PLC0415 (optional speed-up)
    except ImportError:
        return _erf_libm(x).astype(x.dtype, copy=False)
    return scipy_erf(x)


_erf_libm = numpy.vectorize(math.erf, otypes=[numpy.float64])


def data_pointer(array: Any) -> int:
    """The address of ``array``'s first element (views of one array differ by their offsets)."""
    if isinstance(array, numpy.ndarray):
        return array.__array_interface__["data"][0]
    inner = getattr(array, "_a", None)  # minigrad.simcupy's device array wraps a NumPy array
    if isinstance(inner, numpy.ndarray):
        return inner.__array_interface__["data"][0]
    return array.data.ptr  # CuPy


def device_of(array: Any) -> Device:
    """The device that holds ``array``."""
    if isinstance(array, numpy.ndarray):
        return CPU
    return as_device(f"cuda:{array.device.id}")


def to_device(array: Any, dev: Device):
    """Copy ``array`` to ``dev`` (no copy when it is already there).

    A copy from a GPU to the host first raises the error of any failed :func:`check` on that GPU.
    """
    if dev.type == "cpu":
        if isinstance(array, (numpy.ndarray, numpy.generic)):
            return numpy.asarray(array)  # NumPy reductions give scalars
        raise_failed_checks(device_of(array))
        return array.get()
    cp = cupy_module()
    with cp.cuda.Device(dev.index):
        return cp.asarray(array)


def synchronize(dev: Device) -> None:
    """Wait until the device has finished its queued work (GPU kernels run asynchronously); needed for timing.

    Raises the error of any failed :func:`check` on the device.
    """
    if dev.type == "cuda":
        cupy_module().cuda.Device(dev.index).synchronize()
        raise_failed_checks(dev)


# ---------------------------------------------------------------- checks of device data
# Per device: the 0-d arrays (code, value) of the first failed check, code 0 while none has failed.
_failed: dict = {}
_checks: list = []  # code - 1 -> (exception class, message); one entry per distinct message
_check_codes: dict = {}


def check(ok: Any, error: type, message: str, value: Any = None) -> None:
    """Raise ``error(message)`` unless the 0-d boolean array ``ok`` holds True.

    ``message`` may contain ``{}``, replaced by ``value`` (a 0-d array, e.g. the offending index).
    On the CPU the error is raised at once. On a GPU, reading ``ok`` would make the host wait for
    every queued kernel (a synchronisation per call, which stalls a training loop); instead the
    first failure is recorded on the device and raised at the next copy to the host (``.item()``,
    ``.cpu()``, printing, saving) or :func:`synchronize`, as CUDA reports a device-side assert:
    later than the op, but before anything computed after it can be seen.
    """
    if isinstance(ok, (bool, numpy.bool_, numpy.ndarray)):
        if not ok:
            raise error(message.format(_format_value(value)))
        return
    key = (error, message)
    code = _check_codes.get(key)
    if code is None:
        _checks.append(key)
        code = _check_codes[key] = len(_checks)
    xp, dev = array_module(ok), device_of(ok)
    value = xp.zeros((), dtype=float64) if value is None else value.astype(float64)
    prev = _failed.get(dev)
    if prev is None:
        _failed[dev] = (xp.where(ok, 0, code), value)
    else:
        first = prev[0] != 0
        _failed[dev] = (xp.where(first | ok, prev[0], code), xp.where(first, prev[1], value))


def raise_failed_checks(dev: Device | None = None) -> None:
    """Raise the error of the first failed :func:`check` on ``dev`` (every device if None) since the last call, if any."""
    if dev is None:
        for d in list(_failed):
            raise_failed_checks(d)
        return
    state = _failed.pop(dev, None)
    if state is None:
        return
    code, value = (float(v) for v in _cupy.stack([state[0].astype(float64), state[1]]).get())
    if code:
        error, message = _checks[int(code) - 1]
        raise error(message.format(_format_value(value)) + f" (checked on {dev}, where the error is reported at "
                    f"the next copy to the host, after the op that caused it)")


def _format_value(v: Any) -> Any:
    if v is None:
        return ""
    v = float(v)
    return int(v) if v.is_integer() else v


def _device_from_env() -> Device:
    spec = os.environ.get("MINIGRAD_DEVICE", "cpu")
    try:
        return Device(spec)
    except (ValueError, TypeError) as e:
        raise ValueError(f"MINIGRAD_DEVICE={spec!r} is not a device: {e}") from None


_default_device = _device_from_env()


def set_default_device(dev: Union[str, Device]) -> None:
    """Set the device of new tensors (also settable with the ``MINIGRAD_DEVICE`` variable)."""
    global _default_device
    d = as_device(dev)
    if d.type == "cuda":
        cupy_module()  # fail now, not at the first tensor
    _default_device = d


def get_default_device() -> Device:
    return _default_device


# ---------------------------------------------------------------- randomness
_seed: int | None = None
_generators: dict = {}


def manual_seed(seed: int) -> None:
    """Seed every backend's generator; each device gets its own reproducible stream."""
    global _seed
    if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: expected an int, got {type(seed).__name__}")
    _seed = int(seed)
    _generators.clear()


class Generator:
    """A random stream of its own, as ``torch.Generator`` (for ``DataLoader(shuffle=True, generator=g)``)."""

    def __init__(self, device: Union[str, Device] = "cpu") -> None:
        self.device = as_device(device)
        self._seed: int | None = None
        self._rng = None

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._rng = None
        return self

    def initial_seed(self) -> int | None:
        return self._seed

    @property
    def rng(self):
        """The NumPy/CuPy ``Generator`` behind this stream."""
        if self._rng is None:
            self._rng = numpy.random.default_rng(self._seed) if self.device.type == "cpu" else cupy_module().random.default_rng(self._seed)
        return self._rng


def generator(dev: Device):
    """The random generator for ``dev`` (NumPy's or CuPy's ``Generator`` API)."""
    g = _generators.get(dev)
    if g is None:
        if dev.type == "cpu":
            g = numpy.random.default_rng(_seed)
        else:
            cp = cupy_module()
            with cp.cuda.Device(dev.index):
                g = cp.random.default_rng(_seed)
        _generators[dev] = g
    return g
