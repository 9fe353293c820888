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
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import DTypeError, ShapeError, describe, normalize_dim


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


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(hasattr(p, "dtype") for p in parts)


class GetItem(Function):
    """``y = x[index]``; :math:`\\bar x` is zero except at the indexed places, where the gradients add up."""

    fresh_grads = True

    saves_inputs = False

    def __init__(self, index: Any) -> None:
        self.index = index
        self.advanced = _is_advanced(index)
        self.is_view = not self.advanced  # basic indexing returns a view of x

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        y = x[self.index]
        if not self.advanced and not isinstance(y, type(x)):
            # NumPy gives a scalar copy for x[i] of a 1-d array; x[i, ...] is a 0-d view, so x[0].add_(1) writes into x
            parts = self.index if isinstance(self.index, tuple) else (self.index,)
            y = x[parts + (Ellipsis,)]
        return y

    def backward(self, gy):
        gx = array_module(gy).zeros(self.shape, dtype=self.dtype)
        if self.advanced:
            backend.index_add(gx, self.index, gy)
        else:
            gx[self.index] = gy
        return gx


def _out_of_range(parts: tuple, shape: tuple) -> str | None:
    """Which integer index is out of range, when the index is plain ints, slices and None."""
    if any(p is Ellipsis or hasattr(p, "dtype") for p in parts):
        return None
    d = 0
    for p in parts:
        if p is None:
            continue
        if isinstance(p, (int, numpy.integer)) and not -shape[d] <= p < shape[d]:
            return f"index {p} is out of range for dimension {d} of size {shape[d]} (expected {-shape[d]}..{shape[d] - 1})"
        d += 1
    return None


def getitem(x: Tensor, index: Any) -> Tensor:
    """NumPy/PyTorch indexing: ints, slices, None, ``...``, integer and bool tensors or lists."""
    idx = index_arrays("getitem", index, x)
    try:
        return GetItem(idx).apply(x)
    except IndexError:
        parts = idx if isinstance(idx, tuple) else (idx,)
        used = sum(1 if getattr(p, "dtype", None) != bool else p.ndim for p in parts if p is not None and p is not Ellipsis)
        why = (f"too many indices: {used} for {x.ndim} dimensions" if used > x.ndim else _out_of_range(parts, x.shape) or
               "an index is out of range: an integer index must lie in [-size, size) of its dimension, a bool "
               "mask must have the shape of the dimensions it indexes")
        raise IndexError(f"getitem: {why} (indexing a tensor of shape {x.shape} with {index!r})") from None


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
        check_index_range(index._data, 1, "gather: index values must be in [0, 1) for a 0-d input, got {}")
        return Gather(0).apply(x.reshape(1), index.detach().reshape(-1)).reshape(index.shape)
    if index.ndim != x.ndim or any(i > n for k, (i, n) in enumerate(zip(index.shape, x.shape)) if k != d):
        raise ShapeError(
            f"gather: index of shape {index.shape} does not fit input of shape {x.shape}: it needs "
            f"{x.ndim} dimensions, each no larger than the input's (except dim {dim})"
        )
    n = x.shape[d]
    check_index_range(index._data, n, f"gather: index values must be in [0, {n}) for dim {dim} of shape {x.shape}, got {{}}")
    return Gather(d).apply(x, index.detach())


def check_index_range(index: Any, n: int, message: str, ignore: int | None = None, error: type = IndexError) -> None:
    """Raise ``error(message)`` (``{}``: the first offending value) unless every index is in ``[0, n)``.

    Values equal to ``ignore`` are allowed. The test runs where the indices are: on a GPU it is
    recorded there and reported at the next copy to the host (:func:`minigrad.backend.check`),
    so a training step does not wait for the device at every lookup.
    """
    if not index.size:
        return
    flat = index.reshape(-1)
    bad = (flat < 0) | (flat >= n)
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
                      f"indices must lie in [0, {n}): as in PyTorch, index_select takes no negative ones")
    if not x.ndim:
        if index._data.size != 1:
            raise RuntimeError(f"index_select: a 0-d tensor takes an index of exactly one value, got {describe(index)}")
        return getitem(x.reshape(1), index.reshape(-1)).reshape(())  # as PyTorch: 0-d in, 0-d out
    return getitem(x, (slice(None),) * d + (index.reshape(-1),))


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The elements where the bool ``mask`` (broadcast with ``x``) is true, as a 1-d tensor."""
    if not isinstance(mask, Tensor) or mask.dtype != backend.bool_:
        raise RuntimeError(f"masked_select: mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
    shape = numpy.broadcast_shapes(x.shape, mask.shape)
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
