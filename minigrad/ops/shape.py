r"""Ops that move elements around without changing them: casts, device copies,
reshapes, transposes, broadcasting, concatenation and splitting, triangles.

Their backward applies the inverse rearrangement to the gradient.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy

from .. import backend
from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import ShapeError, describe, normalize_dim, sum_to_shape


class Cast(Function):
    r"""Change of dtype; the gradient is cast back to the input's dtype."""

    saves_inputs = False
    torch_name = "ToCopyBackward0"

    def __init__(self, dtype: numpy.dtype) -> None:
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


def cast(x: Tensor, dtype: numpy.dtype) -> Tensor:
    """``x`` converted to ``dtype``; differentiable between float dtypes."""
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        x = x.detach()  # an integer or bool result carries no gradient
    return Cast(dtype).apply(x)


class ToDevice(Function):
    """A copy to another device; the gradient is copied back."""

    saves_inputs = False
    torch_name = "ToCopyBackward0"

    def __init__(self, dev: backend.Device) -> None:
        self.out_device = dev

    def forward(self, x):
        self.in_device = backend.device_of(x)
        return backend.to_device(x, self.out_device)

    def backward(self, gy):
        return backend.to_device(gy, self.in_device)


def to_device(x: Tensor, dev: backend.Device) -> Tensor:
    """``x`` copied to ``dev``; differentiable."""
    return ToDevice(dev).apply(x)


class Clone(Function):
    """A copy of the data; the gradient passes through unchanged."""

    saves_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x: Tensor) -> Tensor:
    """A copy of ``x`` that stays in the graph."""
    return Clone().apply(x)


class Reshape(Function):
    """Same elements in a new shape; the gradient is reshaped back.

    A view of the input when its strides allow one (:func:`view_strides`), else a copy, as PyTorch's
    ``reshape``: a copy shares neither memory nor the version counter with the input.
    """

    saves_inputs = False
    is_view = True
    torch_name = "ViewBackward0"  # squeeze and unsqueeze name theirs

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        y = x.reshape(self.shape)
        # NumPy and CuPy view exactly when PyTorch's rule allows; else they copy
        if not x.flags.c_contiguous and y.size and not _reshaped_in_place(x, y):
            self.is_view = False
        return y

    def backward(self, gy):
        return gy.reshape(self.in_shape)


def _reshaped_in_place(x: Any, y: Any) -> bool:
    """Whether array ``y``, a reshape of ``x``, is a view of it (a view keeps the first element's address)."""
    if type(y) is numpy.ndarray:
        # a NumPy view's base is x, or the array x views (NumPy points views at the memory's owner); a copy's
        # base is the copy. Two attribute reads instead of two __array_interface__ dicts: this runs on every
        # reshape of a strided array (attention's heads)
        return y.base is x or (x.base is not None and y.base is x.base)
    return backend.data_pointer(y) == backend.data_pointer(x)


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` with shape ``shape`` (one entry may be -1: inferred from the number of elements): a view of
    ``x`` when its strides allow one, else a copy (PyTorch's rule, :func:`view_strides`)."""
    return _reshape(x, tuple(shape), None)


def _reshape(x: Tensor, shape: tuple, torch_name: str | None) -> Tensor:
    """:func:`reshape`, its node named ``torch_name`` when that is not ``ViewBackward0`` (``SqueezeBackward0``)."""
    node = Reshape(shape)
    if torch_name is not None:
        node.torch_name = torch_name
    try:
        return node.apply(x)
    except ValueError:
        raise ShapeError(
            f"reshape: cannot view a tensor of shape {x.shape} ({x._data.size} elements) as shape {shape}: "
            f"the number of elements must stay the same (at most one -1 may stand for the rest)"
        ) from None


def view_strides(shape: Sequence[int], strides: Sequence[int], new: Sequence[int]) -> tuple | None:
    """The strides (in elements) under which memory laid out with ``strides`` holds the same elements in
    shape ``new``, or None when there are none (PyTorch's rule for ``view``).

    Going from the last dimension to the first, the old dimensions fall into chunks that are contiguous
    among themselves (dimension ``d - 1`` steps over exactly the elements of dimensions ``d...`` of the chunk;
    a dimension of size 1 never breaks a chunk). A view exists when the new dimensions, also from the
    last, can be grouped into runs of the same sizes as the chunks: within a chunk any regrouping is a
    view, but a new dimension may not span two chunks. With one element or none, any shape is a view.
    """
    new = tuple(new)
    numel = 1
    for n in shape:
        numel *= n
    out = [0] * len(new)
    if numel <= 1:
        step = 1
        for d in range(len(new) - 1, -1, -1):
            out[d], step = step, step * max(new[d], 1)
        return tuple(out)
    v = len(new) - 1
    base, chunk, covered = strides[-1], 1, 1
    for d in range(len(shape) - 1, -1, -1):
        chunk *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != chunk * base):  # the chunk ends at d
            while v >= 0 and (covered < chunk or new[v] == 1):
                out[v] = covered * base
                covered *= new[v]
                v -= 1
            if covered != chunk:
                return None
            if d > 0:
                base, chunk, covered = strides[d - 1], 1, 1
    return tuple(out) if v == -1 else None


def view(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x``'s memory seen in shape ``shape`` (one entry may be -1): always a view, sharing memory and the
    version counter with ``x``; a RuntimeError, as in PyTorch, when ``x``'s strides allow none
    (:func:`view_strides`: after a ``transpose`` or ``permute``, ``reshape`` or ``contiguous().view`` copy)."""
    shape = tuple(shape)
    a = x._data
    if a.flags.c_contiguous:  # every shape of as many elements is a view (reshape raises for another count)
        return reshape(x, shape)
    known = 1
    for n in shape:
        known *= n if n != -1 else 1
    target = tuple(a.size // known if n == -1 and known else n for n in shape)
    size = 1
    for n in target:
        size *= n
    isz = a.itemsize
    strides = tuple(s // isz for s in a.strides)
    # a wrong number of elements (or several -1) is reshape's error
    if size == a.size and shape.count(-1) <= 1 and view_strides(a.shape, strides, target) is None:
        raise RuntimeError(
            f"view: a tensor of shape {x.shape} with strides {strides} cannot be seen as shape {shape} without "
            f"copying: a new dimension would span two blocks of memory that do not follow each other (the "
            f"tensor was transposed, permuted, expanded or sliced). Use .reshape(...), which copies here, "
            f"or .contiguous().view(...)"
        )
    return reshape(x, shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` (inclusive) into one: a view when the strides allow, else a copy
    (as :func:`reshape`)."""
    s, e = normalize_dim("flatten", start_dim, x.ndim), normalize_dim("flatten", end_dim, x.ndim)
    if x.ndim == 0:
        return reshape(x, (1,))
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    if s == e:
        return x  # nothing to merge: the tensor itself, as PyTorch
    n = 1
    for d in x.shape[s : e + 1]:
        n *= d
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1 :])


def unflatten(x: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one of them may be -1): always a view of ``x`` (PyTorch's
    ``unflatten``), since any strides allow one dimension to be split."""
    sizes = tuple(int(n) for n in sizes)
    d = normalize_dim("unflatten", dim, x.ndim)  # (PyTorch's function checks dim first, its method sizes first)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if x.ndim == 0:
        raise RuntimeError(f"unflatten: a 0-d tensor has no dimension {dim} to split")
    n = x.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError(f"unflatten: only one of the sizes {list(sizes)} may be -1")
    known = 1
    for k in sizes:
        known *= k if k != -1 else 1
    fits = (known and n % known == 0) if -1 in sizes else known == n
    if not fits:
        raise RuntimeError(f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) "
                           f"of a tensor of shape {tuple(x.shape)}")
    sizes = tuple(n // known if k == -1 else k for k in sizes)
    return view(x, x.shape[:d] + sizes + x.shape[d + 1:])


class Permute(Function):
    """Reorder dimensions; the gradient is permuted by the inverse permutation."""

    saves_inputs = False
    is_view = True

    def __init__(self, dims: tuple) -> None:
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, gy):
        return gy.transpose(tuple(numpy.argsort(self.dims)))


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    """Reorder dimensions: output dimension ``i`` is input dimension ``dims[i]``."""
    dims = tuple(dims)
    if len(dims) != x.ndim:
        raise ShapeError(f"permute: got {len(dims)} dims {dims} for a tensor with {x.ndim} dimensions (shape {x.shape})")
    nd = tuple(normalize_dim("permute", d, x.ndim) for d in dims) if x.ndim else ()
    if sorted(nd) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} must name every dimension of shape {x.shape} exactly once")
    return Permute(nd).apply(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions ``dim0`` and ``dim1``."""
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    a, b = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    dims = list(range(x.ndim))
    dims[a], dims[b] = b, a
    node = Permute(tuple(dims))
    node.torch_name = "TransposeBackward0"
    return node.apply(x)


def t(x: Tensor) -> Tensor:
    """The transpose of a tensor with at most 2 dimensions (``Tensor.t``)."""
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got shape {x.shape}; use transpose")
    node = Permute(tuple(range(x.ndim - 1, -1, -1)))
    node.torch_name = "TBackward0"
    return node.apply(x)


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or those in ``dim`` that have size 1)."""
    if dim is None:
        axes = [i for i, n in enumerate(x.shape) if n == 1]
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = [a for a in (normalize_dim("squeeze", d, x.ndim) for d in dims) if x.ndim and x.shape[a] == 1]
    # PyTorch's overloads: squeeze(), squeeze(int), squeeze(tuple)
    name = "SqueezeBackward0" if dim is None else "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    return _reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes), name)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at position ``dim`` (``-1`` appends)."""
    d = normalize_dim("unsqueeze", dim, x.ndim + 1)
    shape = x._data.shape  # a plain tuple (Size's slicing runs in Python)
    return _reshape(x, shape[:d] + (1,) + shape[d:], "UnsqueezeBackward0")


class BroadcastTo(Function):
    """Repeat size-1 (or missing leading) dimensions; the gradient is summed back."""

    saves_inputs = False
    is_view = True
    torch_name = "ExpandBackward0"

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        xp = array_module(x)
        y = xp.broadcast_to(x, self.shape)
        if xp is numpy and x.flags.writeable:
            # writable, as PyTorch's expand() (and CuPy's broadcast_to): fill_, masked_fill_ and item assignment
            # write one value through it; other in-place ops refuse it (Tensor._check_writable)
            y = numpy.lib.stride_tricks.as_strided(x, y.shape, y.strides, writeable=True)
        return y

    def backward(self, gy):
        return sum_to_shape(gy, self.in_shape)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape``: a view, repeating memory along the broadcast dimensions (as PyTorch's, only
    ``fill_``, ``masked_fill_`` and item assignment may write into it)."""
    shape = tuple(shape)
    try:
        return BroadcastTo(shape).apply(x)
    except ValueError:
        raise ShapeError(
            f"broadcast_to: cannot broadcast shape {x.shape} to {shape}: aligned from the right, each "
            f"dimension of the tensor must be 1 or equal to the target's"
        ) from None


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 0-d or 1-d tensors :math:`t_1, \\ldots, t_n`: output :math:`k` has shape
    :math:`(|t_1|, \\ldots, |t_n|)` and holds :math:`t_k` along dimension :math:`k` (``indexing="ij"``; with
    ``"xy"`` the first two dimensions are swapped, as NumPy's default). Broadcast views, so the gradient of
    :math:`t_k` sums over the other dimensions."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError("meshgrid: expected one or more tensors")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-d or 1-d tensors, got one of shape {tuple(t.shape)}")
        if t.dtype != tensors[0].dtype or t.device != tensors[0].device:
            raise RuntimeError(f"meshgrid: expects all tensors to have the same dtype and device, got "
                               f"{', '.join(describe(u) for u in tensors)}")
    n = len(tensors)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for t, p in zip(tensors, pos):
        shape[p] = t.numel()
    out = []
    for t, p in zip(tensors, pos):
        view = [1] * n
        view[p] = t.numel()
        out.append(broadcast_to(t.reshape(view), shape))
    return tuple(out)


def expand(x: Tensor, sizes: Sequence[int]) -> Tensor:
    """PyTorch's ``expand``: like :func:`broadcast_to`, where -1 keeps a dimension's size."""
    sizes = tuple(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: the target {sizes} has fewer dimensions than the tensor's shape {x.shape}")
    shape = tuple(x.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes))
    if any(n < 0 for n in shape):
        raise ShapeError(f"expand: -1 is not allowed for the new leading dimensions in {sizes}")
    return broadcast_to(x, shape)


class Cat(Function):
    """Concatenation along ``axis``; the gradient is split at the same boundaries."""

    saves_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs):
        self.sizes = tuple(x.shape[self.axis] for x in xs)
        return array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        bounds = numpy.cumsum(self.sizes)[:-1].tolist()
        return tuple(array_module(gy).split(gy, bounds, axis=self.axis))


def _same_kind(op: str, tensors: Sequence[Tensor]) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    if not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{op}: expected a sequence of Tensors, got {[type(t).__name__ for t in tensors]}")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = backend.promote_types(dt, t.dtype)
    return [t if t.dtype == dt else cast(t, dt) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension; all other dimensions must match."""
    tensors = _same_kind("cat", tensors)
    ref = tensors[0]
    d = normalize_dim("cat", dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(a != b for k, (a, b) in enumerate(zip(t.shape, ref.shape)) if k != d):
            raise ShapeError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has shape {ref.shape}; along dim {dim} sizes "
                f"may differ, every other dimension must match"
            )
    return Cat(d).apply(*tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``."""
    tensors = _same_kind("stack", tensors)
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: expects tensors of one shape, but tensor 0 has shape {tensors[0].shape} and tensor {i} has {t.shape}")
    d = normalize_dim("stack", dim, tensors[0].ndim + 1)
    node = Cat(d)
    node.torch_name = "StackBackward0"  # the concatenation of the inputs, each with the new dimension: a stack
    return node.apply(*[unsqueeze(t, d) for t in tensors])


class Split(Function):
    """Cut along ``axis`` into pieces (one output each); the gradients are concatenated back."""

    saves_inputs = False
    is_view = True

    def __init__(self, axis: int, sizes: list) -> None:
        self.axis, self.sizes = axis, tuple(sizes)
        self.n_outputs = len(sizes)

    def forward(self, x):
        self.shape, self.dtype = x.shape, x.dtype
        bounds = numpy.cumsum(self.sizes)[:-1].tolist()
        return tuple(array_module(x).split(x, bounds, axis=self.axis))

    def backward(self, *gys):
        xp = array_module(next(g for g in gys if g is not None))
        parts = []
        for g, n in zip(gys, self.sizes):
            if g is None:  # an unused piece contributes zero gradient
                shape = list(self.shape)
                shape[self.axis] = n
                g = xp.zeros(shape, dtype=self.dtype)
            parts.append(g)
        return xp.concatenate(parts, axis=self.axis)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes."""
    if x.ndim == 0:
        raise RuntimeError("split: expects at least a 1-dimensional tensor, got a 0-d one (reshape(1) it first)")
    d = normalize_dim("split", dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0:
            raise ValueError(f"split: split_size must be positive, got {s}")
        sizes = [s] * (n // s) + ([n % s] if n % s else [])
        if not sizes:  # as PyTorch: a size-0 dimension is one empty piece
            sizes = [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if sum(sizes) != n or any(v < 0 for v in sizes):
            raise ShapeError(f"split: sections {sizes} add up to {sum(sizes)}, but dim {dim} of shape {x.shape} has size {n} "
                             f"(each section must be >= 0)")
        if not sizes:
            return ()
    node = Split(d, sizes)
    if not isinstance(split_size_or_sections, int):
        node.torch_name = "SplitWithSizesBackward0"  # PyTorch's op for listed sizes
    return node.apply(x)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of size ``ceil(n / chunks)`` (fewer pieces if n is small), as PyTorch;
    a size-0 dimension gives ``chunks`` empty pieces."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    if x.ndim == 0:
        raise RuntimeError("chunk: expects at least a 1-dimensional tensor, got a 0-d one (reshape(1) it first)")
    d = normalize_dim("chunk", dim, x.ndim)
    n = x.shape[d]
    if n == 0:
        return split(x, [0] * chunks, d)
    return split(x, -(-n // chunks), d)


class _Triangle(Function):
    saves_inputs = False
    lower = True

    def __init__(self, k: int) -> None:
        self.k = k

    def forward(self, x):
        xp = array_module(x)
        return (xp.tril if self.lower else xp.triu)(x, self.k)

    def backward(self, gy):
        xp = array_module(gy)
        return (xp.tril if self.lower else xp.triu)(gy, self.k)


class Tril(_Triangle):
    """Keep elements on and below diagonal ``k`` of the last two dimensions; zero the rest."""

    lower = True


class Triu(_Triangle):
    """Keep elements on and above diagonal ``k`` of the last two dimensions; zero the rest."""

    lower = False


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle (``j <= i + diagonal``) of the last two dimensions."""
    if x.ndim < 2:
        raise ShapeError(f"tril: expects at least 2 dimensions, got {describe(x)}")
    return Tril(diagonal).apply(x)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle (``j >= i + diagonal``) of the last two dimensions."""
    if x.ndim < 2:
        raise ShapeError(f"triu: expects at least 2 dimensions, got {describe(x)}")
    return Triu(diagonal).apply(x)


class Flip(Function):
    r"""Reverse the order of elements along ``dims``; the gradient is flipped back: :math:`\bar x = \mathrm{flip}(\bar y)`."""

    saves_inputs = False

    def __init__(self, dims: tuple) -> None:
        self.dims = dims

    def forward(self, x):
        return array_module(x).flip(x, axis=self.dims).copy()  # PyTorch's flip copies

    def backward(self, gy):
        return array_module(gy).flip(gy, axis=self.dims)


def flip(x: Tensor, dims: Any) -> Tensor:
    """``x`` with the order of elements reversed along each dimension in ``dims`` (an int or a sequence)."""
    dims = (dims,) if isinstance(dims, (int, numpy.integer)) else tuple(dims)
    axes = tuple(normalize_dim("flip", d, x.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"flip: dims {dims} name a dimension twice (shape {x.shape})")
    return Flip(axes).apply(x) if x.ndim else clone(x)


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice ``start:start + length`` of dimension ``dim`` (a view; ``start`` may be negative)."""
    if x.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-d tensor")
    d = normalize_dim("narrow", dim, x.ndim)
    n = x.shape[d]
    if isinstance(start, Tensor):
        start = int(start.item())
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of size {n} (shape {x.shape})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n}) of dim {dim} (shape {x.shape})"
        )
    return x[(slice(None),) * d + (slice(start, start + length),)]


class Pad(Function):
    r"""Constant padding; negative amounts crop. The gradient is the inner slice of :math:`\bar y`."""

    saves_inputs = False
    torch_name = "ConstantPadNdBackward0"

    def __init__(self, widths: tuple, value: float) -> None:
        self.widths, self.value = widths, value  # one (before, after) per dimension, may be negative

    def forward(self, x):
        xp = array_module(x)
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(self.widths, x.shape))
        grow = tuple((max(b, 0), max(a, 0)) for b, a in self.widths)
        self.inner = tuple(slice(b, b + s.stop - s.start) for (b, _), s in zip(grow, crop))
        self.in_shape, self.crop = x.shape, crop
        return xp.pad(x[crop], grow, mode="constant", constant_values=self.value)

    def backward(self, gy):
        gx = array_module(gy).zeros(self.in_shape, dtype=gy.dtype)
        gx[self.crop] = gy[self.inner]
        return gx


def pad(x: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Constant padding, PyTorch's order: ``pad = (left, right)`` of the last dimension, then the one before."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: expected an even number of amounts, at most two per dimension, got {len(pad)} for shape {x.shape}"
        )
    if not pad:
        return clone(x)
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for (b, a), n in zip(widths, x.shape):
        if n + b + a < 0 or max(-b, 0) + max(-a, 0) > n:
            raise RuntimeError(f"pad: amounts {pad} crop more than the size of a dimension of shape {x.shape}")
    return Pad(tuple(widths), value).apply(x)
