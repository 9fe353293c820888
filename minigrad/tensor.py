"""The :class:`Tensor`: an n-d array plus the bookkeeping of reverse-mode autograd.

A tensor holds ``_data`` (a NumPy or CuPy array), its ``device``, and, when it
was produced by a recorded op, ``_ctx`` (the :class:`~minigrad.autograd.Function`
node that made it). Every method that computes something delegates to
:mod:`minigrad.ops`, where each op's forward and backward live together.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterator, Sequence, Union

import numpy

from . import autograd, backend, compat, printing
from .autograd import Function, is_grad_enabled
from .backend import Device

Scalar = Union[int, float, bool]


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple of ints that prints as ``torch.Size([2, 3])``; slices and sums
    with tuples stay sizes, and :meth:`numel` is the product."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index: Any) -> Any:
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other: Any) -> "Size":
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        n = 1
        for d in self:
            n *= d
        return n


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    Create tensors with :func:`minigrad.tensor` or the factories (:func:`minigrad.zeros`,
    :func:`minigrad.randn`, ...). As PyTorch's legacy constructor, ``Tensor([1, 2])`` copies data and
    ``Tensor(2, 3)`` makes a (zero-filled) tensor of that shape, in the default float dtype. The NumPy/CuPy
    array is ``_data`` (internal); :attr:`data` is, as in PyTorch, a tensor sharing it, and :attr:`grad`
    the accumulated gradient.
    """

    __slots__ = ("_data", "device", "_grad", "_requires_grad", "_ctx", "_out_index", "_base", "_v", "_hooks", "_hist",
                 "__weakref__")
    # NumPy defers to Tensor's reflected operators (ndarray + tensor -> Tensor.__radd__).
    __array_ufunc__ = None

    def __init__(self, *args: Any, device: Any = None, requires_grad: bool = False) -> None:
        if len(args) >= 2 and isinstance(args[1], Device):  # minigrad's own: Tensor(array, device[, requires_grad])
            data, device = args[0], args[1]
            if len(args) == 3:
                requires_grad = args[2]
        else:  # PyTorch's legacy constructor: torch.Tensor(data) or torch.Tensor(*size), default float dtype
            legacy = creation.legacy_tensor(args, backend.get_default_dtype(), device)
            data, device = legacy._data, legacy.device
        self._data = data
        self.device = device
        self._grad: Tensor | None = None
        self._hooks: list | None = None  # gradient hooks of a leaf (a non-leaf's live on its node)
        self._ctx: Function | None = None
        self._out_index = 0
        self._base: Tensor | None = None  # the tensor whose memory this one views (as PyTorch's ._base)
        self._v = 0  # in-place change count; views count on their base
        self._hist: Any = None  # histories before recorded in-place changes (autograd.record_inplace); () if detached
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _from_op(cls, y: Any, dev: Device, ctx: Function | None, index: int) -> "Tensor":
        # the hot path of every op: skip __init__'s checks
        t = cls.__new__(cls)
        if type(y) is not numpy.ndarray and isinstance(y, numpy.generic):
            y = numpy.asarray(y)  # NumPy reductions return scalars, a tensor always holds an array
        t._data = y
        t.device = dev
        t._grad = None
        t._hooks = None
        t._ctx = ctx
        t._out_index = index
        t._requires_grad = ctx is not None
        t._base = None
        t._v = 0
        t._hist = None
        return t

    # ------------------------------------------------------------ attributes
    @property
    def shape(self) -> "Size":
        """The size of each dimension: a :class:`Size` (a tuple that prints as ``torch.Size([2, 3])``)."""
        return Size(self._data.shape)

    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's memory, with no autograd history (PyTorch's ``.data``).

        Changes made through it (``p.data.add_(g, alpha=-lr)``, ``w.data.uniform_(-r, r)``) change
        this tensor and, as in PyTorch, are hidden from autograd: they do not count as in-place
        changes of this tensor, so backward cannot detect them. :meth:`detach` is the checked
        alternative. Assigning ``t.data = other`` makes ``t`` hold ``other``'s memory (any shape).
        """
        return Tensor(self._data, self.device)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor to assign to .data, got {type(value).__name__}")
        if self._requires_grad and value.dtype.kind != "f":
            raise RuntimeError(
                f"data: cannot assign a {value.dtype} tensor to .data of a tensor that requires grad "
                "(only floating-point tensors can require gradients)"
            )
        self._data, self.device = value._data, value.device

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> backend.dtype:
        """The element type, as PyTorch prints it (``torch.float32``); ``self._data.dtype`` is NumPy's."""
        return backend._dtypes[self._data.dtype]

    @property
    def grad(self) -> "Tensor | None":
        """After :meth:`backward`, the accumulated gradient (a Tensor) of a leaf that requires grad, or of a
        non-leaf after :meth:`retain_grad`; as PyTorch, reading it on a non-leaf without it warns."""
        if self._ctx is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a tensor that is not a leaf tensor is being accessed. Its .grad attribute "
                "won't be populated during backward(). If you want the gradient of a non-leaf tensor, call "
                ".retain_grad() on it before backward; if you meant a leaf, use .detach() where it was made.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:  # as PyTorch: backward adds into this tensor, so it must fit
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value is self:
                raise RuntimeError("grad: can't assign a tensor as its own gradient")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"grad: attempting to assign a gradient of shape {tuple(value.shape)} to a tensor of "
                                   f"shape {tuple(self.shape)}; the gradient and the tensor must have the same shape")
            if value.dtype != self.dtype:
                raise RuntimeError(f"grad: attempting to assign a gradient of dtype {value.dtype} to a tensor of dtype "
                                   f"{self.dtype}; the gradient must have the tensor's dtype")
            if value.device != self.device:
                raise RuntimeError(f"grad: attempting to assign a gradient on {value.device} to a tensor on {self.device}")
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        if self._base is not None and self._ctx is None and self._hist is None and self._base._hist is not None:
            autograd.refresh_view(self)  # a view of a buffer that an in-place op put into the graph
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._ctx is not None:
            raise RuntimeError(
                "requires_grad: you can only change requires_grad flags of leaf tensors; this one was produced by "
                f"{self._ctx.name()}. Use .detach() to get a leaf."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad: only floating-point tensors can require gradients, this one is {self.dtype}"
            )
        self._requires_grad = bool(value)

    @property
    def _version(self) -> int:
        """How many in-place changes the memory of this tensor has seen (shared by all its views)."""
        return self._v if self._base is None else self._base._v

    def _bump_version(self) -> None:
        b = self if self._base is None else self._base
        b._v += 1
        ctx = b._ctx
        if ctx is not None and ctx.saves_output:  # the node that made b kept b's values for backward
            ctx._output_changed = (b._out_index, b.shape, b.dtype, b._v)
            ctx._extra_checks = True

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or requires_grad=False)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The node that produced this tensor, or None for a leaf."""
        return self._ctx

    @property
    def T(self) -> "Tensor":
        """All dimensions reversed (the matrix transpose for 2-d tensors)."""
        return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> "Tensor":
        """The last two dimensions swapped (a batch of matrix transposes)."""
        if self.ndim < 2:
            raise RuntimeError(f"mT: only defined for matrices or batches of matrices, got shape {self.shape}")
        return ops.transpose(self, -2, -1)

    def size(self, dim: int | None = None) -> Union["Size", int]:
        """The shape, or the size of dimension ``dim``."""
        return self.shape if dim is None else self._data.shape[ops.normalize_dim("size", dim, self.ndim)]

    def dim(self) -> int:
        """The number of dimensions."""
        return self.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    nelement = numel

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Union[str, "Tensor"]:
        """Without ``dtype``: PyTorch's type name (``'torch.FloatTensor'``); with one (a dtype, a typed
        class such as ``minigrad.LongTensor`` or its name): ``to(dtype)``."""
        if dtype is None:
            name = next((n for n, d in backend.LEGACY_TYPE_NAMES.items() if d == self.dtype), f"{self.dtype}Tensor")
            return f"torch.{'cuda.' if self.device.type == 'cuda' else ''}{name}"
        if isinstance(dtype, str):
            *prefix, name = dtype.split(".")
            if name not in backend.LEGACY_TYPE_NAMES or prefix not in (["torch"], ["torch", "cuda"], ["minigrad"], []):
                raise ValueError(f"type: invalid type {dtype!r}; expected a dtype or a name such as 'torch.LongTensor'")
            t = self.to(backend.LEGACY_TYPE_NAMES[name])
            return t.cuda() if "cuda" in prefix else t
        return self.to(getattr(dtype, "dtype", dtype))

    def __format__(self, spec: str) -> str:
        # as PyTorch: a 0-d tensor formats as its number (f"{loss:.4f}"), other tensors only with an empty spec
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point one."""
        return self.dtype.kind == "f"

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    # ------------------------------------------------------------ conversion
    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"item: only one-element tensors can be converted, this one has shape {self.shape}")
        return backend.to_device(self._data, backend.CPU).reshape(()).item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        return backend.to_device(self._data, backend.CPU).tolist()

    def numpy(self) -> numpy.ndarray:
        """The data as a NumPy array (shared, not copied, as in PyTorch)."""
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()")
        if self.device.type != "cpu":
            raise TypeError(f"numpy: can't convert a {self.device} tensor to a NumPy array; "
                            f"use tensor.cpu() to copy it to host memory first")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        # friendlier than PyTorch: plotting or np.asarray works on tensors that require grad
        if self.device.type != "cpu":  # as PyTorch: a copy from the device is asked for, never implied
            raise TypeError(f"__array__: can't convert a {self.device} tensor to a NumPy array implicitly; "
                            f"use tensor.cpu() to copy it to host memory first")
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut off from the graph."""
        t = Tensor(self._data, self.device)
        t._base = self._base if self._base is not None else self  # one version counter, but never its base's graph:
        t._hist = ()  # unlike a view, it does not join the graph when its base does (autograd.refresh_view)
        return t

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph in place: it becomes a leaf that does not require grad."""
        self._ctx = None
        self._requires_grad = False
        return self

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (gradient flows back unchanged)."""
        return ops.clone(self)

    def is_contiguous(self) -> bool:
        """Whether the memory is laid out in C order (row-major), so that every ``view`` of the same number of
        elements exists (dimensions of size 1 may have any stride, as in PyTorch). minigrad's ops do not always
        lay out their results as PyTorch's do, so this may differ from PyTorch's answer for an op's result."""
        return bool(self._data.flags.c_contiguous)

    def contiguous(self) -> "Tensor":
        """This tensor when its memory is laid out in C order (row-major), else a copy that is (in the graph),
        as PyTorch: ``x.transpose(0, 1).contiguous().view(-1)`` works where ``view`` alone cannot."""
        return self if self._data.flags.c_contiguous else ops.clone(self)

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``; differentiable."""
        dev, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dev, dtype = a.device, a.dtype
            elif isinstance(a, (str, Device)):
                dev = a
            else:
                dtype = a
        t = self
        if dtype is not None and numpy.dtype(dtype) != t._data.dtype:
            t = ops.cast(t, numpy.dtype(dtype))
        if dev is not None and backend.as_device(dev) != t.device:
            t = ops.to_device(t, backend.as_device(dev))
        return t

    def cpu(self) -> "Tensor":
        """A copy on the CPU (or this tensor if it is there); differentiable."""
        return self.to("cpu")

    def cuda(self, device: Union[int, str, None] = None) -> "Tensor":
        """A copy on a CUDA device (``cuda:N`` for ``device=N``); differentiable."""
        return self.to(f"cuda:{device}" if isinstance(device, int) else (device or "cuda"))

    def float(self) -> "Tensor":
        """A float32 copy (``to(float32)``); differentiable."""
        return self.to(backend.float32)

    def double(self) -> "Tensor":
        """A float64 copy (``to(float64)``); differentiable."""
        return self.to(backend.float64)

    def long(self) -> "Tensor":
        """An int64 copy (no gradient)."""
        return self.to(backend.int64)

    def int(self) -> "Tensor":
        """An int32 copy (no gradient)."""
        return self.to(backend.int32)

    def bool(self) -> "Tensor":
        """A bool copy (no gradient)."""
        return self.to(backend.bool_)

    def byte(self) -> "Tensor":
        """A uint8 copy (no gradient)."""
        return self.to(backend.uint8)

    # ------------------------------------------------------------ new tensors like this one
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> "Tensor":
        """A copy of ``data`` with this tensor's dtype and device unless given."""
        return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> "Tensor":
        """Zeros of shape ``size`` with this tensor's dtype and device unless given."""
        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> "Tensor":
        """Ones of shape ``size`` with this tensor's dtype and device unless given."""
        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> "Tensor":
        """A new tensor of shape ``size`` (zero-filled) with this tensor's dtype and device unless given."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Scalar, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> "Tensor":
        """``fill_value`` in shape ``size`` with this tensor's dtype and device unless given."""
        return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def type_as(self, other: "Tensor") -> "Tensor":
        """A copy with the dtype of ``other``."""
        return self.to(other.dtype)

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return this tensor.

        As in PyTorch, a non-leaf (which always requires grad) accepts ``requires_grad_(True)`` and
        refuses ``requires_grad_(False)``.
        """
        if self._ctx is not None and requires_grad:
            return self
        self.requires_grad = requires_grad
        return self

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]) -> autograd.RemovableHandle:
        """Call ``hook(grad)`` once per backward, on the gradient of this tensor summed over all its uses.

        The hook may return a tensor to use instead of ``grad`` (for a leaf: before it is added to
        ``.grad``; for a non-leaf: before it flows on to the inputs). Returns a handle whose
        ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        if not callable(hook):
            raise TypeError(f"register_hook: expected a callable, got {type(hook).__name__}")
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return autograd.RemovableHandle(self._hooks, hook)
        return autograd.add_hook(self._ctx, self._out_index, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves keep it anyway)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that does not require grad")
        if self._ctx is not None and not self.retains_grad:  # a second call changes nothing, as PyTorch
            autograd.retain(self._ctx, self._out_index, self)

    @property
    def retains_grad(self) -> bool:
        ctx = self._ctx
        return bool(ctx is not None and ctx._retained and any(r() is self for _, r in ctx._retained))

    def backward(self, gradient: Union["Tensor", None] = None, retain_graph: bool | None = False, create_graph: bool = False,
                 inputs: Any = None) -> None:
        r"""Accumulate :math:`\partial\,\mathrm{self} / \partial\,\mathrm{leaf}` into every leaf's ``.grad``.

        Args:
            gradient: :math:`\partial L / \partial\,\mathrm{self}`, of this tensor's shape;
                may be omitted only for a one-element tensor (then it is 1).
            retain_graph: keep the graph's saved buffers so backward can run again.
            create_graph: not supported (first-order gradients only; an UnsupportedError).
            inputs: accumulate only into these tensors' ``.grad`` (leaves, or non-leaves as if
                ``retain_grad()``); every other ``.grad`` stays as it was.
        """
        if create_graph:
            raise compat.UnsupportedError("backward(create_graph=True): minigrad computes first-order gradients only; "
                                          "see docs/compatibility.md")
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            if not inputs or not all(isinstance(t, Tensor) and t.requires_grad for t in inputs):
                raise RuntimeError("backward: inputs must be a non-empty sequence of tensors that require grad")
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad: none of the tensors it was computed from "
                "has requires_grad=True (or it was computed under no_grad())"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward: the gradient can be implied only for a one-element output, this one has shape "
                    f"{self.shape}; pass gradient= of that shape, or reduce first (e.g. loss = out.sum())"
                )
            g = self.device.xp.ones(self.shape, dtype=self._data.dtype)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else gradient
            g = autograd.grad_ready(g, self, "backward")
        if self._ctx is None:
            if inputs is None or any(t is self for t in inputs):
                self._accumulate_grad(g)
        elif inputs is not None:
            autograd.backward_into(self, g, bool(retain_graph), inputs, fresh=False)
        else:
            autograd.backward(self, g, bool(retain_graph))

    def _accumulate_grad(self, g: Any, owned: bool = False) -> None:
        """Add gradient array ``g`` (after this tensor's hooks) to ``.grad``, in place when it exists.

        As PyTorch: the ``.grad`` tensor keeps its identity across backward calls (``g = x.grad`` sees
        later additions, a user-assigned ``x.grad = buf`` receives them).
        """
        if self._hooks:
            h = autograd.run_hooks(self._hooks, g, self)
            owned, g = owned and h is g, h
        data = self._data  # the array's own shape and dtype: this runs once per leaf and backward
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        grad = self._grad
        if grad is None:
            # a copy unless the array is ours alone: backward may hand one array to several tensors
            g = g.reshape(data.shape) if owned else g.reshape(data.shape).copy()
            self._grad = Tensor._from_op(g, self.device, None, 0)
        else:
            into = grad._data
            into += g if g.shape == into.shape else g.reshape(into.shape)
            grad._bump_version()

    # ------------------------------------------------------------ display
    def __repr__(self) -> str:
        """As PyTorch prints it (see :mod:`minigrad.printing`)."""
        grad_fn = self._ctx.name() if self._ctx is not None else None
        return printing.tensor_repr(numpy.asarray(backend.to_device(self._data, backend.CPU)), self.device, grad_fn, self.requires_grad)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __getattr__(self, name: str) -> Any:
        # reached only when normal lookup fails: PyTorch methods left out on purpose say why
        raise compat.unsupported("Tensor", name)

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self._data.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def _scalar(self, op: str) -> Scalar:
        if self._data.size != 1:  # a ValueError here, as PyTorch (item() raises a RuntimeError)
            raise ValueError(f"{op}: only one-element tensors can be converted to Python scalars, got shape {self.shape}")
        return self.item()

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors of a single element can be used as an index, got {self.dtype}")
        return int(self.item())

    # ------------------------------------------------------------ operators
    def __add__(self, o: Any) -> "Tensor":
        return ops.add(self, o)

    def __radd__(self, o: Any) -> "Tensor":
        return ops.add(o, self)

    def __sub__(self, o: Any) -> "Tensor":
        return ops.sub(self, o)

    def __rsub__(self, o: Any) -> "Tensor":
        return ops.sub(o, self)

    def __mul__(self, o: Any) -> "Tensor":
        return ops.mul(self, o)

    def __rmul__(self, o: Any) -> "Tensor":
        return ops.mul(o, self)

    def __truediv__(self, o: Any) -> "Tensor":
        return ops.div(self, o)

    def __rtruediv__(self, o: Any) -> "Tensor":
        return ops.div(o, self)

    def __mod__(self, o: Any) -> "Tensor":
        return ops.remainder(self, o)

    def __rmod__(self, o: Any) -> "Tensor":
        return ops.remainder(o, self)

    def __floordiv__(self, o: Any) -> "Tensor":
        return ops.floor_divide(self, o)

    def __rfloordiv__(self, o: Any) -> "Tensor":
        return ops.floor_divide(o, self)

    def __pow__(self, o: Any) -> "Tensor":
        return ops.pow(self, o)

    def __rpow__(self, o: Any) -> "Tensor":
        return ops.pow(o, self)

    def __matmul__(self, o: Any) -> "Tensor":
        return ops.matmul(self, o)

    def __rmatmul__(self, o: Any) -> "Tensor":
        return ops.matmul(o, self)

    def __neg__(self) -> "Tensor":
        return ops.neg(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return ops.abs(self)

    def __lt__(self, o: Any) -> "Tensor":
        return ops.lt(self, o)

    def __le__(self, o: Any) -> "Tensor":
        return ops.le(self, o)

    def __gt__(self, o: Any) -> "Tensor":
        return ops.gt(self, o)

    def __ge__(self, o: Any) -> "Tensor":
        return ops.ge(self, o)

    def __eq__(self, o: Any) -> "Tensor":  # type: ignore[override]
        return ops.eq(self, o)

    def __ne__(self, o: Any) -> "Tensor":  # type: ignore[override]
        return ops.ne(self, o)

    def __and__(self, o: Any) -> "Tensor":
        return ops.bitwise_and(self, o)

    def __rand__(self, o: Any) -> "Tensor":
        return ops.bitwise_and(o, self)

    def __or__(self, o: Any) -> "Tensor":
        return ops.bitwise_or(self, o)

    def __ror__(self, o: Any) -> "Tensor":
        return ops.bitwise_or(o, self)

    def __xor__(self, o: Any) -> "Tensor":
        return ops.bitwise_xor(self, o)

    def __rxor__(self, o: Any) -> "Tensor":
        return ops.bitwise_xor(o, self)

    def __invert__(self) -> "Tensor":
        return ops.bitwise_not(self)

    def __getitem__(self, index: Any) -> "Tensor":
        return ops.getitem(self, index)

    # ------------------------------------------------------------ in place
    def _check_writable(self, op: str) -> None:
        """An expand()ed view repeats memory: as PyTorch, only a single value may be written into it (``fill_``,
        ``zero_``, ``masked_fill_``, item assignment); other in-place ops raise, never with NumPy's message."""
        a = self._data
        if not a.size:
            return
        overlap = any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape))
        if (overlap and op not in ("fill_", "masked_fill_", "__setitem__")) or not getattr(a.flags, "writeable", True):
            raise RuntimeError(f"{op}: unsupported operation: more than one element of the written-to tensor (shape "
                               f"{self.shape}, an expand()ed or broadcast view) refers to a single memory location; "
                               f"clone() the tensor before writing to it" if overlap else
                               f"{op}: the tensor's memory is read-only (shape {self.shape}); clone() it first")

    def _inplace_recorded(self, op: str, *operands: Any) -> bool:
        """Whether an in-place op must be recorded for backward (PyTorch's rule), after refusing what PyTorch refuses.

        Under grad mode, a change of a leaf that requires grad (or of a view of one) is an error; a change
        of a non-leaf that requires grad, or with an operand that requires grad, is recorded
        (:func:`minigrad.autograd.record_inplace`). Anything else only counts in the version counter.
        """
        self._check_writable(op)
        if not is_grad_enabled():
            return False
        if self.requires_grad:  # (the property: a view of a buffer put into the graph joins it)
            base = self._base
            if self._ctx is None:
                raise RuntimeError(
                    f"{op}: a leaf Variable that requires grad is being used in an in-place operation: changing it "
                    f"in place would make its gradient wrong; write x = x + y instead, or wrap the update in "
                    f"minigrad.no_grad() (as an optimizer does)"
                )
            if base is not None and base._ctx is None and base._requires_grad:
                raise RuntimeError(
                    f"{op}: a view of a leaf Variable that requires grad is being used in an in-place operation; "
                    f"change a .clone() of it, or wrap the update in minigrad.no_grad()"
                )
            return True
        return self.dtype.kind == "f" and any(isinstance(o, Tensor) and o._requires_grad for o in operands)

    def _inplace(self, op: str, ufunc: Any, other: Any, result_dtype: Any = None,
                 graph: Callable[["Tensor"], "Tensor"] | None = None) -> "Tensor":
        """``self = ufunc(self, other)`` in place, with PyTorch's rules: ``other`` broadcasts to this
        tensor's shape (never beyond it), and the result's dtype (``result_dtype``, else the promotion of
        both) must cast to this tensor's within its kind (float to int, or int to bool, is refused).
        When autograd must record the change, ``graph(old)`` computes the new value out of place."""
        recorded = self._inplace_recorded(op, other)
        o = ops.operand_array(op, other, self)
        oshape = tuple(o.shape)
        rt = result_dtype or ops.common.result_type(self._data, o)
        if not numpy.can_cast(rt, self._data.dtype, "same_kind"):
            raise RuntimeError(f"{op}: the result type {backend.as_dtype(rt)} can't be cast to the tensor's dtype {self.dtype} in place "
                               f"(shape {self.shape}); use an out-of-place op, or convert the tensor first")
        try:
            fits = numpy.broadcast_shapes(oshape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{op}: an operand of shape {oshape} does not broadcast to the tensor's shape "
                               f"{self.shape} (an in-place result keeps the tensor's shape)")
        if recorded:
            return autograd.record_inplace(self, graph)
        if o.dtype.kind == "f" and o.dtype != rt:  # in the result's precision, as PyTorch (float32 /= a float64 0-d: float32)
            o = o.astype(rt)
        ufunc(self._data, o, out=self._data, casting="unsafe")
        self._bump_version()
        return self

    def _overwrite(self, value: Any, mask: "Tensor | None" = None) -> Callable[["Tensor"], "Tensor"]:
        """``graph`` of an in-place op that writes ``value`` (where ``mask``): no gradient to the old values there."""
        def graph(old: "Tensor") -> "Tensor":
            keep = mask if mask is not None else Tensor(self.device.xp.ones((), dtype=backend.bool_), self.device)
            v = value.to(self.dtype) if isinstance(value, Tensor) else value
            return ops.where(keep, v, old)
        return graph

    def __iadd__(self, o: Any) -> "Tensor":
        return self._inplace("add_", self.device.xp.add, o, graph=lambda old: ops.add(old, o))

    def __isub__(self, o: Any) -> "Tensor":
        return self.sub_(o)

    def __imul__(self, o: Any) -> "Tensor":
        return self._inplace("mul_", self.device.xp.multiply, o, graph=lambda old: ops.mul(old, o))

    def __itruediv__(self, o: Any) -> "Tensor":
        return self.div_(o)

    def add_(self, other: Any, *, alpha: Scalar = 1) -> "Tensor":
        """In place :math:`x \\leftarrow x + \\alpha\\,y` (refused on a leaf that requires grad outside ``no_grad``;
        recorded for backward on a non-leaf, as every in-place op, see ``_inplace_recorded``)."""
        return self._inplace("add_", self.device.xp.add, other if alpha == 1 else self._times_alpha("add_", other, alpha),
                             graph=lambda old: ops.add(old, other, alpha=alpha))

    def sub_(self, other: Any, *, alpha: Scalar = 1) -> "Tensor":
        """In place :math:`x \\leftarrow x - \\alpha\\,y` (not with bool tensors, as PyTorch)."""
        ops.common.refuse_bool("sub_", self, other)
        return self._inplace("sub_", self.device.xp.subtract, other if alpha == 1 else self._times_alpha("sub_", other, alpha),
                             graph=lambda old: ops.sub(old, other, alpha=alpha))

    def _times_alpha(self, op: str, other: Any, alpha: Scalar) -> Any:
        # in the result's dtype, as PyTorch: an int32 operand times alpha must not wrap around for a float tensor
        o = ops.operand_array(op, other, self)
        return o.astype(ops.common.result_type(self._data, o), copy=False) * alpha

    def mul_(self, other: Any) -> "Tensor":
        """In place :math:`x \\leftarrow x\\,y`."""
        return self._inplace("mul_", self.device.xp.multiply, other, graph=lambda old: ops.mul(old, other))

    def div_(self, other: Any) -> "Tensor":
        """In place :math:`x \\leftarrow x / y` (true division: refused on integer tensors, as PyTorch)."""
        o = ops.operand_array("div_", other, self)
        rt = ops.common.result_type(self._data, o)
        return self._inplace("div_", self.device.xp.divide, o, rt if rt.kind == "f" else backend.get_default_dtype(),
                             graph=lambda old: ops.div(old, other))

    def copy_(self, src: Any) -> "Tensor":
        """Overwrite the data with ``src`` (broadcast, cast and moved to this tensor's device)."""
        if isinstance(src, Tensor) and src.device != self.device:
            src = Tensor(backend.to_device(src._data, self.device), self.device)
        return self._inplace("copy_", lambda a, b, out, casting: self.device.xp.copyto(out, b, casting="unsafe"), src,
                             self.dtype, graph=self._overwrite(src))

    def fill_(self, value: Scalar) -> "Tensor":
        """Set every element to ``value`` (a number or a 0-d tensor; RuntimeError if the dtype cannot hold it), in place."""
        v = value if isinstance(value, Tensor) and value.requires_grad else ops.elementwise.fill_value("fill_", value, self)
        return self._inplace("fill_", lambda a, b, out, casting: out.fill(b), v, self.dtype, graph=self._overwrite(value))

    def zero_(self) -> "Tensor":
        """Set every element to 0, in place."""
        return self.fill_(0)

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        """Clip every element to ``[min, max]`` (numbers, or tensors that broadcast to this one's shape), in place."""
        if self._inplace_recorded("clamp_", min, max):
            return autograd.record_inplace(self, lambda old: ops.clamp(old, min, max))
        lo, hi = (ops.operand_array("clamp_", b, self) if isinstance(b, Tensor) else b for b in (min, max))
        for b in (lo, hi):
            if b is not None and not isinstance(b, (int, float)) and numpy.broadcast_shapes(b.shape, self.shape) != self.shape:
                raise RuntimeError(f"clamp_: a bound of shape {tuple(b.shape)} does not broadcast to the tensor's shape {self.shape}")
        self.device.xp.clip(self._data, lo, hi, out=self._data)
        self._bump_version()
        return self

    def masked_fill_(self, mask: "Tensor", value: Scalar) -> "Tensor":
        """Set the elements where ``mask`` is true to ``value``, in place (``mask`` broadcasts)."""
        if not isinstance(mask, Tensor) or mask.dtype != backend.bool_:
            raise RuntimeError(f"masked_fill_: mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
        if self._inplace_recorded("masked_fill_", value):
            ops.masked_fill(self.detach(), mask, value)  # the checks of the op (broadcasting, value), without a graph
            return autograd.record_inplace(self, lambda old: ops.masked_fill(old, mask, value))
        v = ops.elementwise.fill_value("masked_fill_", value, self)
        return self._inplace("masked_fill_", lambda a, m, out, casting: self.device.xp.copyto(out, v, where=m), mask)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> "Tensor":
        """Fill with samples of the uniform distribution on ``[a, b)``, in place (floating-point tensors)."""
        creation.require_float_fill("uniform_", self)
        rng = creation._rng(generator, self.device)
        return self.copy_(Tensor(rng.random(self.shape) * (b - a) + a, self.device))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> "Tensor":
        """Fill with samples of :math:`\\mathcal N(\\mathrm{mean}, \\mathrm{std}^2)`, in place."""
        creation.require_float_fill("normal_", self)
        rng = creation._rng(generator, self.device)
        return self.copy_(Tensor(rng.standard_normal(self.shape) * std + mean, self.device))

    def scatter_(self, dim: int, index: "Tensor", src: Any = None, *, value: Any = None, reduce: str | None = None) -> "Tensor":
        """Write ``src`` (a tensor, or a number) at ``index`` along ``dim``, in place: for ``dim=1``,
        ``self[i][index[i][j]] = src[i][j]``; ``reduce='add'``/``'multiply'`` combines instead of overwriting.
        Recorded for backward on a tensor in the graph, as PyTorch (with ``reduce``, backward raises, as there)."""
        src = value if src is None else src
        recorded = self._inplace_recorded("scatter_", src)
        full, corner, src = ops.indexing.scatter_plan("scatter_", self, dim, index, src, reduce)
        if recorded:
            return autograd.record_inplace(
                self, lambda old: ops.indexing._scatter("scatter_", old, dim, index, src, reduce, differentiable=reduce is None))
        ops.indexing.write_scatter(self._data, full, src._data[corner], reduce)
        self._bump_version()
        return self

    def scatter(self, dim: int, index: "Tensor", src: Any = None, *, value: Any = None, reduce: str | None = None) -> "Tensor":
        return ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """Add ``src`` at ``index`` along ``dim``, in place (repeated places add up); recorded for backward on a
        tensor in the graph."""
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter_add_: src must be a tensor, got {type(src).__name__}")
        recorded = self._inplace_recorded("scatter_add_", src)
        full, corner, src = ops.indexing.scatter_plan("scatter_add_", self, dim, index, src, "add")
        if recorded:
            return autograd.record_inplace(self, lambda old: ops.scatter_add(old, dim, index, src))
        ops.indexing.write_scatter(self._data, full, src._data[corner], "add")
        self._bump_version()
        return self

    def scatter_add(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        return ops.scatter_add(self, dim, index, src)

    def index_fill_(self, dim: int, index: "Tensor", value: Scalar) -> "Tensor":
        """Set every element whose position along ``dim`` is in ``index`` (an int64 tensor of at most 1 dimension) to ``value``, in place."""
        recorded = self._inplace_recorded("index_fill_", value)
        d = ops.normalize_dim("index_fill_", dim, self.ndim)
        if not isinstance(index, Tensor) or index.dtype != backend.int64 or index.ndim > 1:
            raise RuntimeError(f"index_fill_: expected an int64 index tensor of at most 1 dimension, got "
                               f"{f'shape {index.shape} {index.dtype}' if isinstance(index, Tensor) else type(index).__name__}")
        n = self.shape[d] if self.ndim else 1
        idx = index._data.reshape(-1)
        ops.check_index_range(idx, n, f"index_fill_: index {{}} is out of range for dimension {dim} of size {n} "
                                      f"(expected {-n}..{n - 1})", low=-n)
        if recorded:
            def graph(old: "Tensor") -> "Tensor":
                flat = old if old.ndim else old.reshape(1)
                return ops.indexing.index_put(flat, (slice(None),) * d + (index.reshape(-1),), value).reshape(old.shape)
            return autograd.record_inplace(self, graph)
        target = self._data if self.ndim else self._data.reshape(1)
        target[(slice(None),) * d + (idx,)] = ops.operand_array("index_fill_", value, self)
        self._bump_version()
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """``self[index] = value`` with PyTorch's indexing rules (see :func:`minigrad.ops.indexing.split_index`);
        recorded for backward as PyTorch's ``index_put_`` when ``self`` or ``value`` requires grad."""
        if self._inplace_recorded("__setitem__", value):
            autograd.record_inplace(self, lambda old: ops.indexing.index_put(old, index, value))
            return
        basic, advanced = ops.indexing.split_index("__setitem__", index, self)
        ops.indexing.check_put_dtype("__setitem__", self, index, advanced, value)
        # a number is range-checked as PyTorch's (an int8 tensor cannot hold 300), where arithmetic wraps
        v = (ops.elementwise.fill_value("__setitem__", value, self) if isinstance(value, (bool, int, float))
             else ops.operand_array("__setitem__", value, self))
        try:
            ops.indexing.put_array("__setitem__", self._data, basic, advanced, v, index)
        except IndexError:
            raise ops.indexing.index_error("__setitem__", self, index) from None
        self._bump_version()

    # ------------------------------------------------------------ op methods
    def exp(self) -> "Tensor":
        return ops.exp(self)

    def log(self) -> "Tensor":
        return ops.log(self)

    def log1p(self) -> "Tensor":
        return ops.log1p(self)

    def sqrt(self) -> "Tensor":
        return ops.sqrt(self)

    def sin(self) -> "Tensor":
        return ops.sin(self)

    def cos(self) -> "Tensor":
        return ops.cos(self)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return ops.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        return ops.argsort(self, dim, descending, stable)

    def sinh(self) -> "Tensor":
        return ops.sinh(self)

    def cosh(self) -> "Tensor":
        return ops.cosh(self)

    def abs(self) -> "Tensor":
        return ops.abs(self)

    def neg(self) -> "Tensor":
        return ops.neg(self)

    def tanh(self) -> "Tensor":
        return ops.tanh(self)

    def sigmoid(self) -> "Tensor":
        return ops.sigmoid(self)

    def relu(self) -> "Tensor":
        return ops.relu(self)

    def pow(self, exponent: Any) -> "Tensor":
        return ops.pow(self, exponent)

    def add(self, other: Any, *, alpha: Scalar = 1) -> "Tensor":
        return ops.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Scalar = 1) -> "Tensor":
        return ops.sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> "Tensor":
        return ops.mul(self, other)

    def div(self, other: Any) -> "Tensor":
        return ops.div(self, other)

    def matmul(self, other: "Tensor") -> "Tensor":
        return ops.matmul(self, other)

    def remainder(self, other: Any) -> "Tensor":
        return ops.remainder(self, other)

    def floor_divide(self, other: Any) -> "Tensor":
        return ops.floor_divide(self, other)

    def mm(self, other: "Tensor") -> "Tensor":
        return ops.mm(self, other)

    def bmm(self, other: "Tensor") -> "Tensor":
        return ops.bmm(self, other)

    def eq(self, other: Any) -> "Tensor":
        return ops.eq(self, other)

    def ne(self, other: Any) -> "Tensor":
        return ops.ne(self, other)

    def maximum(self, other: "Tensor") -> "Tensor":
        return ops.maximum(self, other)

    def minimum(self, other: "Tensor") -> "Tensor":
        return ops.minimum(self, other)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        return ops.clamp(self, min, max)

    clip = clamp

    # ``axis=``/``keepdims=`` (PyTorch's NumPy-style aliases, d2l's ``y_hat.argmax(axis=1)``) are accepted by
    # every method with ``dim``/``keepdim``: see ops.common.numpy_names, applied in minigrad/__init__.py
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> "Tensor":
        return ops.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> "Tensor":
        return ops.mean(self, dim, keepdim, dtype=dtype)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None) -> "Tensor":
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: int | None = None) -> "Tensor":
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return ops.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return ops.min(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return ops.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return ops.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return ops.argmin(self, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> "Tensor":
        return ops.logsumexp(self, dim, keepdim)

    def softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        return ops.softmax(self, dim, dtype)

    def log_softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        return ops.log_softmax(self, dim, dtype)

    def all(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return ops.all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return ops.any(self, dim, keepdim)

    def reshape(self, *shape: Any) -> "Tensor":
        return ops.reshape(self, ops.size_args(shape, "reshape"))

    def view(self, *shape: Any) -> "Tensor":
        return ops.view(self, ops.size_args(shape, "view"))

    def view_as(self, other: "Tensor") -> "Tensor":
        """The same elements in the shape of ``other`` (a view, as :meth:`view`)."""
        return ops.view(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        return ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> "Tensor":
        if not len(sizes):  # as PyTorch's method: before the dim
            raise RuntimeError("unflatten: sizes must be non-empty")
        return ops.unflatten(self, dim, sizes)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        return ops.transpose(self, dim0, dim1)

    def t(self) -> "Tensor":
        """The transpose of a tensor with at most 2 dimensions."""
        return ops.shape.t(self)

    def permute(self, *dims: Any) -> "Tensor":
        return ops.permute(self, ops.size_args(dims, "permute"))

    def squeeze(self, dim: Any = None) -> "Tensor":
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> "Tensor":
        return ops.unsqueeze(self, dim)

    def expand(self, *sizes: Any) -> "Tensor":
        return ops.expand(self, ops.size_args(sizes, "expand"))

    def expand_as(self, other: "Tensor") -> "Tensor":
        """Broadcast to the shape of ``other`` (a view; as PyTorch, only a single value may be written into it)."""
        return ops.expand(self, other.shape)

    def broadcast_to(self, shape: Sequence[int]) -> "Tensor":
        return ops.broadcast_to(self, shape)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return ops.chunk(self, chunks, dim)

    def masked_fill(self, mask: "Tensor", value: Scalar) -> "Tensor":
        return ops.masked_fill(self, mask, value)

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        return ops.gather(self, dim, index)

    def index_select(self, dim: int, index: "Tensor") -> "Tensor":
        return ops.index_select(self, dim, index)

    def masked_select(self, mask: "Tensor") -> "Tensor":
        return ops.masked_select(self, mask)

    def repeat_interleave(self, repeats: Any, dim: int | None = None) -> "Tensor":
        return ops.repeat_interleave(self, repeats, dim)

    def repeat(self, *sizes: Any) -> "Tensor":
        """``x`` tiled ``sizes[i]`` times along each dimension (leading sizes add dimensions)."""
        return ops.repeat(self, ops.size_args(sizes))

    def cumsum(self, dim: int, *, dtype: Any = None) -> "Tensor":
        return ops.cumsum(self, dim, dtype=dtype)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        return ops.topk(self, k, dim, largest, sorted)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return ops.nonzero(self, as_tuple=as_tuple)

    def flip(self, *dims: Any) -> "Tensor":
        return ops.flip(self, dims[0] if len(dims) == 1 else dims)

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        return ops.narrow(self, dim, start, length)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator: Any = None) -> "Tensor":
        return creation.multinomial(self, num_samples, replacement, generator=generator)

    def tril(self, diagonal: int = 0) -> "Tensor":
        return ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> "Tensor":
        return ops.triu(self, diagonal)

    def where(self, condition: "Tensor", other: Any) -> "Tensor":
        return ops.where(condition, self, other)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a minigrad tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return input.numel()


autograd._tensor_cls = Tensor
from . import ops  # noqa: E402  (ops needs Tensor defined; Tensor's methods need ops)
from . import creation  # noqa: E402  (likewise, for new_zeros and the random fills)

# A method that calls the op of the same name documents what that op computes.
for _name, _method in list(vars(Tensor).items()):
    if callable(_method) and not _name.startswith("_") and _method.__doc__ is None:
        _op = getattr(ops, _name, None) or getattr(creation, _name, None)
        if callable(_op):
            _method.__doc__ = _op.__doc__
del _name, _method, _op
