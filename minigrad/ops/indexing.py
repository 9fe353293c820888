r"""Indexing: ``x[index]``, ``gather`` and ``one_hot``.

The backward of an index op scatters the output gradient into a zero tensor of
the input's shape, *adding* where an index repeats:
:math:`\bar x_j = \sum_{i : \mathrm{index}_i = j} \bar y_i`.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy

from .. import backend
from ..autograd import Function, PutPositions
from ..backend import array_module
from ..tensor import Tensor
from .common import DTypeError, ShapeError, as_operand, describe, normalize_dim


def _index_array(op: str, a: Any, x: Tensor) -> Any:
    arr = a._data if isinstance(a, Tensor) else a
    if isinstance(a, Tensor) and a.device != x.device:
        raise RuntimeError(f"{op}: the index is on {a.device} but the tensor is on {x.device}")
    if isinstance(arr, list):
        arr = numpy.asarray(arr)
        if arr.size == 0:
            arr = arr.astype(numpy.int64)
    if arr.dtype == backend.uint8:  # PyTorch reads a uint8 index as a mask (deprecated); NumPy as positions
        raise IndexError(f"{op}: a uint8 tensor is not accepted as an index (PyTorch would read it as a mask); "
                         f"use .bool() for a mask or .long() for positions")
    if arr.dtype.kind not in "iub":
        raise IndexError(
            f"{op}: tensors used as indices must be integer (int64) or bool, got {arr.dtype}; "
            f"convert a float index with .long()"
        )
    return backend.to_device(arr, x.device) if isinstance(arr, numpy.ndarray) else arr


def index_arrays(op: str, index: Any, x: Tensor) -> Any:
    """``index`` with tensors and lists turned into arrays on ``x``'s device; rejects float indices."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, (Tensor, list, numpy.ndarray)) or hasattr(p, "__cuda_array_interface__"):
            out.append(_index_array(op, p, x))
        elif isinstance(p, (float, numpy.floating)):
            raise IndexError(f"{op}: a float ({p!r}) cannot be an index; use an int")
        elif p is None or p is Ellipsis or isinstance(p, (int, numpy.integer, slice)):
            out.append(p)
        else:
            raise IndexError(f"{op}: unsupported index of type {type(p).__name__}")
    return tuple(out) if isinstance(index, tuple) else out[0]


def _as_tuple(index: Any) -> tuple:
    """PyTorch's reading of ``x[index]`` as a tuple of per-dimension indices.

    A list holding a list, tensor, slice, ``...`` or None (and shorter than 32) means a tuple of
    indices, as in old NumPy: ``t[[[0, 1], [1, 0]]]`` is ``t[[0, 1], [1, 0]]`` (PyTorch 2.13 still
    reads it so, with a deprecation warning); any other list is one integer or bool index.
    """
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(p, (list, tuple, Tensor, slice, numpy.ndarray)) or p is None or p is Ellipsis for p in index):
        return tuple(index)
    return (index,)


def _step_error(op: str, step: Any) -> ValueError:
    """PyTorch's slices step forward only (``x[::-1]`` is a ValueError there; ``flip`` reverses)."""
    if step == 0:
        return ValueError(f"{op}: slice step cannot be zero")
    return ValueError(f"{op}: step must be greater than zero, got a slice with step {step} (PyTorch has no negative "
                      f"steps: reverse with flip(dims))")


def split_index(op: str, index: Any, x: Tensor) -> tuple:
    """``x[index]`` with PyTorch's semantics as two NumPy steps: ``x[basic][advanced]``.

    PyTorch applies ints, slices, None and ``...`` first (an int, or a 0-d integer tensor, selects and
    removes its dimension: it is *not* an advanced index, unlike in NumPy), then the integer and bool
    tensors (and lists) together, on the dimensions that remain. Those advanced indices broadcast
    together; their dimensions replace theirs in place when they are adjacent, else they go first.
    On what remains after the basic step NumPy's rule is the same, so the second step is plain NumPy.
    A Python bool (or 0-d bool tensor) adds a dimension of size 1 and indexes it with ``[0]`` (True)
    or ``[]`` (False), as in PyTorch.

    Returns ``(basic, advanced)``: NumPy index tuples, either of them None when that step is not
    needed (``advanced`` None: the result is a view of ``x``).
    """
    for p in index if type(index) is tuple else (index,):  # the common case first: only ints, slices, None, ...
        if type(p) is slice:
            if p.step is not None and p.step <= 0:
                raise _step_error(op, p.step)
        elif type(p) is not int and p is not None and p is not Ellipsis:
            break
    else:
        return (index if type(index) is tuple else (index,)), None
    parts = []
    for p in _as_tuple(index):
        if isinstance(p, (list, tuple)):
            p = list(p)
        p = index_arrays(op, p, x) if not isinstance(p, bool) else p
        if hasattr(p, "dtype") and p.ndim == 0:  # a 0-d tensor: an int selects, a bool adds a dimension
            p = bool(p) if p.dtype == bool else int(p)
        parts.append(p)
    used = sum(p.ndim if hasattr(p, "dtype") and p.dtype == bool else 0 if p is None or p is Ellipsis or isinstance(p, bool)
               else 1 for p in parts)
    if sum(p is Ellipsis for p in parts) > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...'), got {index!r}")
    basic, advanced, any_basic, mask, empty = [], [], False, False, False
    for p in parts:
        if p is Ellipsis:
            n = max(x.ndim - used, 0)
            basic.extend([slice(None)] * n)
            advanced.extend([slice(None)] * n)
        elif isinstance(p, bool):
            basic.append(None)
            advanced.append(x.device.xp.zeros(int(p), dtype=backend.int64))
            any_basic = True
        elif p is None or isinstance(p, (int, numpy.integer, slice)):
            if isinstance(p, slice) and p.step is not None and p.step <= 0:
                raise _step_error(op, p.step)
            basic.append(p)
            if p is None or isinstance(p, slice):
                advanced.append(slice(None))
            any_basic = any_basic or not isinstance(p, slice) or not (p.start is None and p.stop is None and p.step is None)
        else:  # an integer or bool array: the dimensions it indexes stay for the second step
            mask = mask or p.dtype == bool
            empty = empty or not p.size
            basic.extend([slice(None)] * (p.ndim if p.dtype == bool else 1))
            advanced.append(p)
    if not any(hasattr(p, "dtype") for p in advanced):
        return tuple(basic), None
    if (any_basic or empty or 0 in x.shape) and _selects_nothing(tuple(basic) if any_basic else None, advanced, x.shape):
        # PyTorch reads no index for a result without elements, so an out-of-range one is no error there
        advanced = [x.device.xp.zeros(p.shape, dtype=backend.int64) if hasattr(p, "dtype") and p.dtype != bool else p
                    for p in advanced]
        check_bounds(op, parts, x, ranges=False)
    elif mask or x.device.type != "cpu":  # (NumPy checks integer arrays itself)
        check_bounds(op, parts, x)
    if not any_basic:
        return None, tuple(advanced)
    return tuple(basic), tuple(advanced)


class GetItem(Function):
    r"""``y = x[index]``; :math:`\bar x` is zero except at the indexed places, where the gradients add up.

    ``index`` is the pair of :func:`split_index`: ``y = x[basic][advanced]``. The index tensors are
    saved for backward (their versions are checked there, as PyTorch does).
    """

    fresh_grads = True

    saves_inputs = False

    def __init__(self, basic: Any, advanced: Any) -> None:
        self.basic, self.advanced = basic, advanced
        self.is_view = advanced is None  # basic indexing returns a view of x

    def name(self) -> str:
        """PyTorch's node: it indexes one dimension at a time (ints select, slices slice, None unsqueezes; a
        slice of a whole dimension inside a tuple does nothing) and the integer and bool tensors last, and
        its top node is the last step that did something (``AliasBackward0`` when none did)."""
        if self.torch_name is not None:
            return self.torch_name
        if not self.is_view:
            return "IndexBackward0"
        if len(self.basic) == 1 and isinstance(self.basic[0], slice):
            return "SliceBackward0"  # x[a:b]: always a slice, even of the whole dimension
        name, d = "AliasBackward0", 0
        for p in self.basic:
            if p is Ellipsis:
                d += len(self.shape) - sum(q is not None and q is not Ellipsis for q in self.basic)
            elif p is None:
                name = "UnsqueezeBackward0"
            elif isinstance(p, slice):
                if p.indices(self.shape[d]) != (0, self.shape[d], 1):
                    name = "SliceBackward0"
                d += 1
            else:
                name, d = "SelectBackward0", d + 1
        return name

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        if self.advanced is None:
            y = x[self.basic]
            if not isinstance(y, type(x)):
                # NumPy gives a scalar copy for x[i] of a 1-d array; x[i, ...] is a 0-d view, so x[0].add_(1) writes into x
                y = x[self.basic + (Ellipsis,)]
            return y
        if self.basic is not None:
            x = x[self.basic]
            self.mid_shape = x.shape
        # C-ordered, as PyTorch's result: a reshape of it is then a view in both libraries
        return array_module(x).ascontiguousarray(x[self.advanced])

    def backward(self, gy):
        xp = array_module(gy)
        gx = xp.zeros(self.shape, dtype=self.dtype)
        if self.advanced is None:
            gx[self.basic] = gy
        elif self.basic is None:
            backend.index_add(gx, self.advanced, gy)
        else:
            gm = xp.zeros(self.mid_shape, dtype=self.dtype)
            backend.index_add(gm, self.advanced, gy)
            gx[self.basic] = gm
        return gx


def _placed(parts: Any, shape: tuple) -> Any:
    """Each index part with the first dimension of ``x`` (of ``shape``) it indexes: ``(part, dim)``
    (None, a Python bool and ``...`` index no dimension of their own)."""
    used = sum(p.ndim if getattr(p, "dtype", None) == bool else 0 if p is None or p is Ellipsis or isinstance(p, bool) else 1
               for p in parts)
    d = 0
    for p in parts:
        if p is Ellipsis:
            d += max(len(shape) - used, 0)
        elif p is None or isinstance(p, bool):
            continue
        else:
            yield p, d
            d += p.ndim if getattr(p, "dtype", None) == bool else 1


def _range_message(op: str, value: Any, d: int, n: int, shape: tuple) -> str:
    expected = f"expected {-n}..{n - 1}" if n else "no index is in range of an empty dimension"
    return f"{op}: index {value} is out of range for dimension {d} of size {n} ({expected}; indexing a tensor of shape {shape})"


def _selects_nothing(basic: Any, advanced: Any, shape: tuple) -> bool:
    """Whether ``x[basic][advanced]`` (of an ``x`` of ``shape``) has no elements while every dimension that an
    integer array indexes has some (a slice or another dimension is empty, or an index array is): PyTorch's
    kernel then reads no index, so an out-of-range one is no error (NumPy would raise). Shapes only."""
    probe = numpy.broadcast_to(numpy.zeros((), bool), shape)  # no memory: only its shape is indexed
    try:
        mid = probe if basic is None else probe[basic]
    except IndexError:
        return False  # an int out of range: the error is the basic step's
    arrays, rest, d = [], [], 0
    for p, d in _placed(advanced, mid.shape):
        if d >= mid.ndim:
            return False
        if not hasattr(p, "dtype"):
            rest.append(mid.shape[d])
        elif p.dtype == bool or mid.shape[d] == 0:
            return False  # a mask's count is known only from its values; an index into an empty dimension fails
        else:
            arrays.append(p.shape)
    try:
        return 0 in rest or 0 in mid.shape[d + 1:] or 0 in numpy.broadcast_shapes(*arrays)
    except ValueError:
        return False


def check_bounds(op: str, parts: tuple, x: Tensor, ranges: bool = True) -> None:
    """Check the integer arrays and masks of an index (PyTorch's rules) before NumPy or CuPy sees it.

    A mask must have the shape of the dimensions it indexes (a host-side test of shapes). An integer
    array must lie in ``[-size, size)`` of its dimension: NumPy checks that itself (its IndexError is
    turned into minigrad's message by :func:`index_error`), but CuPy does not: it wraps an out-of-range
    index around and returns or writes another element, silently. On a GPU the check is therefore
    minigrad's own, one pass over the index array that stays on the device (:func:`check_index_range`:
    the host does not wait for it, the error comes at the next copy to the host).
    """
    host = x.device.type == "cpu"
    for p, d in _placed(parts, x.shape):
        if not hasattr(p, "dtype") or d >= x.ndim:
            continue  # too many indices: NumPy's error, reported by index_error
        if p.dtype == bool:
            dims = tuple(x.shape[d:d + p.ndim])
            for k, (m, n) in enumerate(zip(p.shape, dims)):
                if m != n:
                    raise IndexError(f"{op}: the shape of the mask {list(p.shape)} at index {k} does not match the "
                                     f"shape of the indexed tensor {list(x.shape)} at index {d + k}")
        elif ranges and not host:
            n = x.shape[d]
            check_index_range(p, n, _range_message(op, "{}", d, n, x.shape), low=-n)


def _out_of_range(op: str, parts: tuple, shape: tuple) -> str | None:
    """Which integer index (an int or an element of an integer array on the host) is out of range."""
    for p, d in _placed(parts, shape):
        if d >= len(shape):
            return None
        n = shape[d]
        if isinstance(p, (int, numpy.integer)) and not -n <= p < n:
            return _range_message(op, p, d, n, shape)
        if isinstance(p, numpy.ndarray) and p.dtype.kind in "iu" and p.size:
            flat = p.reshape(-1)
            bad = flat[(flat < -n) | (flat >= n)]
            if bad.size:
                return _range_message(op, bad[0], d, n, shape)
    return None


def index_error(op: str, x: Tensor, index: Any) -> IndexError:
    """The error for an index that does not fit ``x`` (too many indices, out of range, a mask of another shape)."""
    try:
        parts = _as_tuple(index_arrays(op, index, x)) if not isinstance(index, list) else _as_tuple(index)
    except IndexError as e:
        return e
    try:
        parts = tuple(numpy.asarray(p) if isinstance(p, list) else p for p in parts)
    except ValueError:  # a ragged list: no array to look into
        pass
    used = sum(1 if getattr(p, "dtype", None) != bool else p.ndim for p in parts
               if p is not None and p is not Ellipsis and not isinstance(p, bool))
    if used <= x.ndim:
        found = _out_of_range(op, parts, x.shape)
        if found:
            return IndexError(found)
    why = (f"too many indices: {used} for {x.ndim} dimensions" if used > x.ndim else
           "an index is out of range: an integer index must lie in [-size, size) of its dimension, a bool "
           "mask must have the shape of the dimensions it indexes")
    return IndexError(f"{op}: {why} (indexing a tensor of shape {x.shape} with {index!r})")


def getitem(x: Tensor, index: Any) -> Tensor:
    """PyTorch indexing: ints, slices, None, ``...``, integer and bool tensors or lists (see :func:`split_index`)."""
    return _getitem(x, index, None)


def _getitem(x: Tensor, index: Any, torch_name: str | None) -> Tensor:
    """:func:`getitem`, its node named ``torch_name`` where the op is one PyTorch names (``IndexSelectBackward0``)."""
    basic, advanced = split_index("getitem", index, x)
    node = GetItem(basic, advanced)
    if torch_name is not None:
        node.torch_name = torch_name
    try:
        y = node.apply(x)
    except IndexError:
        raise index_error("getitem", x, index) from None
    if advanced is not None and node is y._ctx:
        node.save_for_check(*[p for p in _as_tuple(index) if isinstance(p, Tensor)])
    return y


def _select(a: Any, basic: Any, advanced: Any) -> Any:
    """``a[basic][advanced]`` (the two steps of :func:`split_index`)."""
    if basic is not None:
        a = a[basic]
    return a if advanced is None else a[advanced]


def put_array(op: str, a: Any, basic: Any, advanced: Any, v: Any, index: Any) -> None:
    """``a[basic][advanced] = v`` in place; ``v`` must broadcast to the indexed shape (extra leading 1s are
    dropped, as PyTorch does)."""
    def put(v: Any) -> None:
        if advanced is None:
            a[basic] = v
        else:
            (a if basic is None else a[basic])[advanced] = v

    try:
        put(v)
        return
    except (ValueError, TypeError, IndexError):
        try:
            target = numpy.shape(_select(a, basic, advanced))
        except IndexError:
            raise IndexError(f"{op}: index {index!r} is out of range for a tensor of shape {a.shape}") from None
    vshape = tuple(getattr(v, "shape", ()))
    lead = len(vshape) - len(target)
    if lead > 0 and all(n == 1 for n in vshape[:lead]):
        try:
            put(v.reshape(vshape[lead:]))
            return
        except (ValueError, TypeError):
            pass
    raise RuntimeError(
        f"{op}: cannot assign a value of shape {vshape} to tensor{list(a.shape)}[{index!r}] of shape "
        f"{tuple(target)}: the value must broadcast to it"
    )


def check_put_dtype(op: str, x: Tensor, index: Any, advanced: Any, value: Any) -> None:
    """As PyTorch: a tensor put at advanced indices must have ``x``'s dtype (a Python number is cast);
    only ``x[mask] = 0-d tensor`` (PyTorch's ``masked_fill_``) casts a tensor."""
    if advanced is None or not isinstance(value, Tensor) or value.dtype == x.dtype:
        return
    if value.ndim == 0 and isinstance(index, Tensor) and index.dtype == backend.bool_:
        return
    raise RuntimeError(f"{op}: Index put requires the source and destination dtypes match, got {x.dtype} for the "
                       f"destination and {value.dtype} for the source; convert the value with .to({x.dtype})")


def index_put(x: Tensor, index: Any, value: Any) -> Tensor:
    r"""``x`` with ``x[index] = value`` done out of place (PyTorch's ``index_put``), differentiable:
    :math:`\bar x` is :math:`\bar y` with zeros at the indexed places, :math:`\bar v` is :math:`\bar y` there
    (summed over the places ``value`` was broadcast to). ``x[i] = v`` under autograd records this."""
    basic, advanced = split_index("index_put", index, x)
    xp = x.device.xp
    positions = xp.arange(x._data.size, dtype=backend.int64).reshape(x.shape)  # flat position of each element
    try:
        positions = xp.asarray(_select(positions, basic, advanced))
    except IndexError:
        raise index_error("index_put", x, index) from None
    check_put_dtype("index_put", x, index, advanced, value)
    v = as_operand("index_put", value, x)
    if v.device != x.device:
        raise RuntimeError(f"index_put: the value is on {v.device} but the tensor is on {x.device}")
    if v.dtype != x.dtype:
        v = v.to(x.dtype)
    if v.shape != positions.shape:
        lead = v.ndim - positions.ndim
        if lead > 0 and all(n == 1 for n in v.shape[:lead]):  # as PyTorch: extra leading 1s are dropped
            v = v.reshape(v.shape[lead:])
        try:
            fits = numpy.broadcast_shapes(v.shape, positions.shape) == positions.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"index_put: cannot assign a value of shape {tuple(v.shape)} to tensor{list(x.shape)}"
                               f"[{index!r}] of shape {tuple(positions.shape)}: the value must broadcast to it")
        v = v.expand(positions.shape)
    return PutPositions(positions).apply(x, v)


class Gather(Function):
    r""":math:`y_{ijk} = x_{\mathrm{idx}_{ijk}, j, k}` (for ``dim=0``); the gradient is scattered back with addition."""

    fresh_grads = True

    saves_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x, idx):
        self.shape, self.dtype, self.idx = x.shape, x.dtype, idx
        # PyTorch lets index be smaller than x in the other dims: only that corner is read
        corner = tuple(slice(None) if d == self.axis else slice(0, n) for d, n in enumerate(idx.shape))
        return array_module(x).take_along_axis(x[corner], idx, axis=self.axis)

    def backward(self, gy):
        xp = array_module(gy)
        idx = self.idx
        full = tuple(
            idx if d == self.axis else xp.arange(n).reshape([-1 if k == d else 1 for k in range(idx.ndim)])
            for d, n in enumerate(idx.shape)
        )
        gx = xp.zeros(self.shape, dtype=self.dtype)
        backend.index_add(gx, full, gy)
        return gx, None


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """Pick ``x`` values along ``dim`` at the positions in ``index`` (PyTorch's ``gather``)."""
    d = normalize_dim("gather", dim, x.ndim)
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an int64 tensor, got {getattr(index, 'dtype', type(index).__name__)}")
    if x.ndim == 0:  # as PyTorch: a 0-d tensor gathers like one of shape (1,), into the index's shape
        if index.ndim > 1:
            raise ShapeError(f"gather: a 0-d input takes an index of at most 1 dimension, got {describe(index)}")
        check_index_range(index._data, 1, "gather: index values must be in [0, 1) for a 0-d input, got {}", error=RuntimeError)
        return Gather(0).apply(x.reshape(1), index.detach().reshape(-1)).reshape(index.shape)
    if index.ndim != x.ndim or any(i > n for k, (i, n) in enumerate(zip(index.shape, x.shape)) if k != d):
        raise ShapeError(
            f"gather: index of shape {index.shape} does not fit input of shape {x.shape}: it needs "
            f"{x.ndim} dimensions, each no larger than the input's (except dim {dim})"
        )
    n = x.shape[d]
    check_index_range(index._data, n, f"gather: index values must be in [0, {n}) for dim {dim} of shape {x.shape}, got {{}}",
                      error=RuntimeError)  # PyTorch's kind for gather
    y = Gather(d).apply(x, index.detach())
    if y._ctx is not None:
        y._ctx.save_for_check(index)  # backward reads the index: changing it in place is an error there
    return y


class Scatter(Function):
    r"""``y = x`` with the elements of ``src`` written (``reduce=None``) or added (``"add"``) at ``index`` along
    ``dim``: for ``dim = 1``, :math:`y_{i,\,\mathrm{idx}_{ij}} = \mathrm{src}_{ij}` (or :math:`\mathrel{+}=`).

    :math:`\bar x = \bar y` with zeros at the written places (all of :math:`\bar y` for ``add``), and
    :math:`\bar{\mathrm{src}}_{ij} = \bar y_{i,\,\mathrm{idx}_{ij}}`: as in PyTorch, every ``src`` element gets the
    gradient of the place it went to, even where another one written there later won (zeros outside the
    index's corner of ``src``). ``reduce="multiply"``, and any ``reduce`` given to ``scatter_``, have no
    derivative in PyTorch: backward raises there, as it does.
    """

    saves_inputs = False
    fresh_grads = True

    def __init__(self, full: tuple, corner: tuple, reduce: str | None, differentiable: bool) -> None:
        self.full, self.corner, self.reduce, self.differentiable = full, corner, reduce, differentiable

    def forward(self, x, src):
        self.src_shape = src.shape
        y = x.copy()
        write_scatter(y, self.full, src[self.corner], self.reduce)
        return y

    def backward(self, gy):
        if not self.differentiable:
            raise RuntimeError(f"backward: the derivative of scatter_ with reduce={self.reduce!r} is not implemented "
                               f"(as in PyTorch); use scatter_add_ for a differentiable sum, or where/index arithmetic")
        xp = array_module(gy)
        gy = xp.asarray(gy)  # (a 0-d gradient may come as a NumPy scalar)
        gsrc = None
        if self.needs_input_grad[1]:
            gsrc = xp.zeros(self.src_shape, dtype=gy.dtype)
            gsrc[self.corner] = gy[self.full]
        gx = gy.copy()
        if self.reduce is None:
            gx[self.full] = 0
        return gx, gsrc


def write_scatter(a: Any, full: tuple, vals: Any, reduce: str | None) -> None:
    """``a[full] = vals`` in place (``reduce`` ``"add"``/``"multiply"``: combined, once per repeated place)."""
    if reduce == "add":
        backend.index_add(a, full, vals)
    elif reduce == "multiply":
        array_module(a).multiply.at(a, full, vals)
    else:
        a[full] = vals


def scatter_plan(op: str, x: Tensor, dim: int, index: Any, src: Any, reduce: str | None) -> tuple:
    """Check a scatter's arguments as PyTorch does; return ``(full, corner, src)``: ``full`` the index arrays that
    place each element of ``index`` in ``x``, ``corner`` the slices of ``src`` that ``index`` covers, and ``src``
    as a tensor (a number becomes a constant tensor of ``index``'s shape in ``x``'s dtype)."""
    if src is None:
        raise TypeError(f"{op}: expected a src tensor or a value")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"{op}: reduce must be 'add' or 'multiply', got {reduce!r}")
    d = normalize_dim(op, dim, x.ndim)
    if not isinstance(index, Tensor) or index.dtype != backend.int64:
        raise RuntimeError(f"{op}: expected an int64 index tensor, got {getattr(index, 'dtype', type(index).__name__)}")
    if index.device != x.device:
        raise RuntimeError(f"{op}: the index is on {index.device} but the tensor is on {x.device}")
    if isinstance(src, Tensor) and src.ndim == 0:  # a 0-d tensor is a value, as in PyTorch (no gradient to it)
        src = src.detach()
    elif isinstance(src, Tensor) and src.dtype != x.dtype:
        raise RuntimeError(f"{op}: expected src of the tensor's dtype {x.dtype}, got {src.dtype}; convert it with "
                           f".to({x.dtype})")
    too_big = index.ndim != x.ndim or any(i > n for k, (i, n) in enumerate(zip(index.shape, x.shape)) if k != d)
    if isinstance(src, Tensor) and src.ndim:
        too_big = too_big or src.ndim != index.ndim or any(i > n for i, n in zip(index.shape, src.shape))
    if too_big:
        raise RuntimeError(
            f"{op}: index of shape {index.shape} does not fit self of shape {x.shape}"
            + (f" and src of shape {src.shape}" if isinstance(src, Tensor) else "")
            + f": it needs as many dimensions, each no larger (except dim {dim} for self)"
        )
    idx = index._data
    n = x.shape[d] if x.ndim else 1
    check_index_range(idx, n, f"{op}: index {{}} is out of range for dimension {dim} of size {n} (expected 0..{n - 1})",
                      error=RuntimeError)
    xp = x.device.xp
    full = tuple(idx if k == d else xp.arange(m).reshape([-1 if j == k else 1 for j in range(idx.ndim)])
                 for k, m in enumerate(idx.shape))
    corner = tuple(slice(0, m) for m in idx.shape)
    if isinstance(src, Tensor) and src.device != x.device:
        raise RuntimeError(f"{op}: src is on {src.device} but the tensor is on {x.device}")
    if isinstance(src, Tensor) and src.ndim == 0:
        src = Tensor(xp.broadcast_to(src._data.astype(x.dtype), idx.shape), x.device)
    elif not isinstance(src, Tensor):
        from .elementwise import fill_value  # noqa: PLC0415 (elementwise imports this module's neighbours)

        src = Tensor(xp.full(idx.shape, fill_value(op, src, x), dtype=x.dtype), x.device)
    return full, corner, src


def scatter(x: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:
    """``x`` with ``src`` (a tensor, or a number: ``value``) written at ``index`` along ``dim``, out of place
    (PyTorch's ``scatter``): for ``dim=1``, ``y[i][index[i][j]] = src[i][j]``; differentiable (see :class:`Scatter`)."""
    return _scatter("scatter", x, dim, index, value if src is None else src, reduce, differentiable=reduce is None)


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``x`` with ``src`` added at ``index`` along ``dim`` (repeated places add up), out of place; differentiable."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a tensor, got {type(src).__name__}")
    return _scatter("scatter_add", x, dim, index, src, "add", differentiable=True)


def _scatter(op: str, x: Tensor, dim: int, index: Tensor, src: Any, reduce: str | None, differentiable: bool) -> Tensor:
    full, corner, src = scatter_plan(op, x, dim, index, src, reduce)
    y = Scatter(full, corner, reduce, differentiable).apply(x, src)
    if y._ctx is not None:
        y._ctx.save_for_check(index)  # backward reads the index: changing it in place is an error there
    return y


def check_index_range(index: Any, n: int, message: str, ignore: int | None = None, error: type = IndexError,
                      low: int = 0) -> None:
    """Raise ``error(message)`` (``{}``: the first offending value) unless every index is in ``[low, n)``.

    Values equal to ``ignore`` are allowed. The test runs where the indices are: on a GPU it is
    recorded there and reported at the next copy to the host (:func:`minigrad.backend.check`),
    so a training step does not wait for the device at every lookup. It is needed there: CuPy does
    not check the indices of a gather or scatter, it wraps them around. Its cost is one pass over the
    index array (two comparisons and an ``argmax``), never a synchronisation.
    """
    if not index.size:
        return
    flat = index.reshape(-1)
    bad = (flat < low) | (flat >= n)
    if ignore is not None:
        bad &= flat != ignore
    first = bad.argmax()  # the first offending position (0 when there is none)
    backend.check(~bad[first], error, message, flat[first])


def one_hot(x: Tensor, num_classes: int = -1) -> Tensor:
    """``(..., num_classes)`` int64 tensor with a 1 at each class index (not differentiable)."""
    if x.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer (int64) tensor of class indices, got {describe(x)}")
    xp = array_module(x._data)
    if num_classes == -1:  # the output's shape depends on the data: the host must read it (as in PyTorch)
        if not x._data.size:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(backend.to_device(x._data.max(), backend.CPU)) + 1
    check_index_range(x._data, num_classes, f"one_hot: class values must be in [0, {num_classes}), got {{}}", error=RuntimeError)
    out = (x._data[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return Tensor(out, x.device)


TopK = namedtuple("TopK", ["values", "indices"])
TopK.__doc__ = "The result of ``topk``: the ``k`` selected values and their indices along ``dim``."


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopK:  # noqa: A002
    r"""The ``k`` largest (or smallest) elements along ``dim``, in order, and where they were.

    The values are ``gather(x, dim, indices)``, so the gradient goes to the selected places:
    :math:`\bar x_j = \bar y_i` where :math:`\mathrm{indices}_i = j`, else 0. Ties keep the lower index first
    (PyTorch does not promise an order among ties).
    """
    d = normalize_dim("topk", dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not isinstance(k, (int, numpy.integer)) or isinstance(k, bool) or not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {n} (shape {x.shape})")
    if x.dtype == backend.bool_:
        raise DTypeError(f"topk: not implemented for bool tensors ({describe(x)})")
    if not x.ndim:
        v, i = topk(x.reshape(1), k, 0, largest, sorted)
        return TopK(v.reshape(()), i.reshape(())) if k else TopK(v, i)
    a, xp = x._data, array_module(x._data)
    if largest:  # descending, ties in ascending index order: sort the reversed array and map back
        order = n - 1 - xp.flip(xp.argsort(xp.flip(a, axis=d), axis=d, kind="stable"), axis=d)
    else:
        order = xp.argsort(a, axis=d, kind="stable")
    idx = Tensor(xp.take(order, xp.arange(k), axis=d).astype(backend.int64), x.device)
    return TopK(gather(x, d, idx), idx)


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or with ``as_tuple`` one 1-d tensor per dimension."""
    a = x._data if x.ndim else x._data.reshape(1)
    where = array_module(a).nonzero(a)
    if as_tuple:
        return tuple(Tensor(w.astype(backend.int64), x.device) for w in where)
    xp = array_module(a)
    out = xp.stack(where, axis=1).astype(backend.int64) if x.ndim else xp.zeros((len(where[0]), 0), dtype=backend.int64)
    return Tensor(out, x.device)


def _along(x: Tensor, dim: int, positions: Any) -> Tensor:
    """``x`` indexed by the int64 array ``positions`` along ``dim``: a gather whose backward adds repeats up."""
    return getitem(x, (slice(None),) * dim + (Tensor(positions, x.device),))


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries at ``index`` (a 1-d int64 tensor) along ``dim``; gradients of repeated entries add up."""
    d = normalize_dim("index_select", dim, x.ndim)
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu" or index.ndim > 1:
        raise IndexError(f"index_select: index must be an integer tensor of at most 1 dimension, got "
                         f"{describe(index) if isinstance(index, Tensor) else type(index).__name__}")
    if x.ndim and x.shape[d] == 0 and index._data.size:
        kind = IndexError if x.ndim == 1 else RuntimeError  # PyTorch's kinds
        raise kind(f"index_select: cannot pick entries of dim {dim}, which has size 0 ({describe(x)})")
    n = x.shape[d] if x.ndim else 1
    check_index_range(index._data, n, f"index_select: index {{}} is out of range for dim {dim} of size {n} ({describe(x)}); "
                      f"indices must lie in [0, {n}): as in PyTorch, index_select takes no negative ones",
                      error=RuntimeError if d == 1 and x.ndim > 1 else IndexError)  # PyTorch's kinds (its dim-1 kernel's)
    if not x.ndim:
        if index._data.size != 1:
            raise RuntimeError(f"index_select: a 0-d tensor takes an index of exactly one value, got {describe(index)}")
        return getitem(x.reshape(1), index.reshape(-1)).reshape(())  # as PyTorch: 0-d in, 0-d out
    return _getitem(x, (slice(None),) * d + (index.reshape(-1),), "IndexSelectBackward0")


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The elements where the bool ``mask`` (broadcast with ``x``) is true, as a 1-d tensor."""
    if not isinstance(mask, Tensor) or mask.dtype != backend.bool_:
        raise RuntimeError(f"masked_select: mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
    try:
        shape = numpy.broadcast_shapes(x.shape, mask.shape)
    except ValueError:
        raise ShapeError(f"masked_select: the mask of shape {tuple(mask.shape)} does not broadcast with the tensor's shape "
                         f"{tuple(x.shape)}: aligned from the right, each pair of dimensions must be equal or one of "
                         f"them 1") from None
    return getitem(x.expand(shape) if x.shape != shape else x, mask.expand(shape) if mask.shape != shape else mask)


def repeat_interleave(x: Tensor, repeats: Any, dim: int | None = None) -> Tensor:
    """Each entry repeated ``repeats`` times (an int, or a 1-d tensor of counts) along ``dim``
    (``None``: of the flattened tensor); ``[a, b]`` twice is ``[a, a, b, b]``."""
    if dim is None:
        x, dim = x.reshape(-1), 0
    d = normalize_dim("repeat_interleave", dim, x.ndim)
    counts = repeats._data if isinstance(repeats, Tensor) else repeats
    xp = array_module(x._data)
    n = x.shape[d] if x.ndim else 1
    try:
        positions = xp.repeat(xp.arange(n), backend.to_device(numpy.asarray(counts), x.device) if not hasattr(counts, "device") else counts)
    except ValueError:
        raise RuntimeError(f"repeat_interleave: repeats must be one count or {n} counts for dimension {dim} of shape {x.shape}, "
                           f"got {numpy.shape(counts)}") from None
    return _along(x if x.ndim else x.reshape(1), d, positions)


def repeat(x: Tensor, sizes: tuple) -> Tensor:
    """``x`` tiled ``sizes[i]`` times along each dimension (leading sizes add dimensions), as ``Tensor.repeat``."""
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: number of repeat dimensions ({len(sizes)}) can not be smaller than the number "
                           f"of dimensions of the tensor ({x.ndim})")
    x = x.reshape((1,) * (len(sizes) - x.ndim) + x.shape)
    xp = array_module(x._data)
    for d, r in enumerate(sizes):
        if r < 0:
            raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
        if r != 1:
            x = _along(x, d, xp.tile(xp.arange(x.shape[d]), r))
    return x
