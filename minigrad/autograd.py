r"""Reverse-mode automatic differentiation.

Every differentiable op is a :class:`Function` subclass with a ``forward`` on
arrays and, right beside it, a ``backward`` that maps the gradient of the
output(s) to the gradients of the inputs (a vector-Jacobian product):

.. math::  \bar x_i = \sum_j \bar y_j \, \frac{\partial y_j}{\partial x_i}.

Calling an op records one node (the ``Function`` instance) whose ``inputs`` are
the input tensors; the output tensor points back to it through ``_ctx``. The
nodes form a DAG; :func:`backward` orders it with an iterative depth-first
search (so a chain of 100,000 ops needs no recursion) and visits each node
once, after every node that consumes its outputs.
"""
from __future__ import annotations

import contextlib
import gc
import weakref
from typing import TYPE_CHECKING, Any, Sequence

from . import backend

if TYPE_CHECKING:
    from .tensor import Tensor

# ------------------------------------------------------------------ grad mode
_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether new ops are recorded for backward."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Sets grad mode to ``mode`` inside a ``with`` block or a decorated function, then restores it."""

    mode = True

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self.prev

    def _recreate_cm(self) -> "_GradMode":
        # a decorated function gets a fresh manager per call, so recursive calls restore correctly
        return type(self)() if type(self) is not set_grad_enabled else set_grad_enabled(self.mode)


class no_grad(_GradMode):
    """Context manager and decorator that stops recording ops (inference, optimizer steps)."""

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator that records ops again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off; a context manager and a decorator.

    ``set_grad_enabled(False)`` takes effect immediately (as in PyTorch), and
    the previous mode is restored when a ``with`` block ends.
    """

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        self.mode = bool(mode)
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __enter__(self) -> None:
        pass  # already set by __init__; keep the mode from before it


# ------------------------------------------------------------------ Function
class Function:
    """One node of the graph: an op's forward and backward side by side.

    Subclasses implement ``forward(*arrays) -> array | tuple[array, ...]`` and
    ``backward(*grads) -> array | tuple[array | None, ...]`` (one gradient per
    input, ``None`` where an input needs none; ``self.needs_input_grad`` tells
    which are needed). Op parameters (axes, shapes) go to ``__init__``; what
    backward needs is stored on ``self`` during forward.

    Attributes:
        saves_inputs: ``False`` for ops whose backward never reads input values
            (add, reshape...): in-place changes of their inputs are then harmless
            and are not reported.
        is_view: the output may share memory with the first input (reshape,
            transpose, basic indexing), so both share one version counter.
        out_device: where the output lives, when not on the inputs' device.
        fresh_grads: backward returns newly allocated arrays, never views or one array twice,
            so a leaf may keep them as its ``.grad`` without a defensive copy.
    """

    saves_inputs = True
    fresh_grads = False
    is_view = False
    out_device: backend.Device | None = None
    inputs: tuple
    needs_input_grad: tuple
    _versions: tuple
    _retained: list | None = None
    _hooks: list | None = None
    _released = False

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError

    def backward(self, *gys: Any) -> Any:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def apply(self, *inputs: "Tensor") -> Any:
        """Run forward on the inputs' arrays and record the node when a gradient is needed."""
        dev = inputs[0].device
        arrays, requires = [], False
        for t in inputs:
            if t.device is not dev and t.device != dev:
                raise RuntimeError(
                    f"{self.name}: expected all tensors on one device, got {dev} and {t.device} "
                    f"(move them with .to(device) first)"
                )
            arrays.append(t._data)
            requires = requires or t._requires_grad
        ys = self.forward(*arrays)
        requires = requires and _grad_enabled
        make = _tensor_cls._from_op
        ctx = self if requires else None
        if self.out_device is not None:
            dev = self.out_device
        if type(ys) is tuple:
            outs = tuple([make(y, dev, ctx, i) for i, y in enumerate(ys)])
            if self.is_view:
                for o in outs:
                    o._base = inputs[0]._base if inputs[0]._base is not None else inputs[0]
        else:
            outs = make(ys, dev, ctx, 0)
            if self.is_view:
                outs._base = inputs[0]._base if inputs[0]._base is not None else inputs[0]
        if _tracer is not None:
            _tracer._record(self, inputs, outs)
        if requires:
            self.inputs = inputs
            self.needs_input_grad = tuple([t._requires_grad for t in inputs])
            if self.saves_inputs:
                self._versions = tuple([t._version for t in inputs])
        return outs

    def _check_versions(self) -> None:
        if not self.saves_inputs:
            return
        for i, (t, v) in enumerate(zip(self.inputs, self._versions)):
            if t._version != v:
                raise RuntimeError(
                    f"{self.name}: input {i} (shape {tuple(t.shape)}, {t.dtype}) was modified by an in-place "
                    f"operation after it was used (version {t._version}, expected {v}); its old value is "
                    f"needed for backward. Use an out-of-place op (x = x + 1 instead of x += 1) or .clone() it."
                )

    def release(self) -> None:
        """Free the saved arrays; keep the small metadata a second backward of a buffer-free op needs.

        As in PyTorch, running backward again through this node fails only if its backward reads a
        freed buffer. Non-leaf inputs are replaced by bare edges, so the graph no longer holds on to
        intermediate results.
        """
        arrays = backend.array_types()
        kept = {k: v for k, v in self.__dict__.items() if not isinstance(v, arrays)}
        kept["inputs"] = tuple(t if t._ctx is None else _Edge(t._ctx, t._out_index) for t in self.inputs)
        kept["_released"] = True
        self.__dict__ = kept


class _Edge:
    """What a released node keeps of a non-leaf input: where its gradient goes."""

    __slots__ = ("_ctx", "_out_index")

    def __init__(self, ctx: Function, index: int) -> None:
        self._ctx, self._out_index = ctx, index


_tensor_cls: Any = None  # set by minigrad.tensor once Tensor exists (breaks the import cycle)
_tracer: Any = None  # the active minigrad.trace, if any


# ------------------------------------------------------------------ backward
def _topological_order(root: Function) -> list[Function]:
    """Nodes reachable from ``root``, each before every node it depends on.

    Iterative depth-first post-order, reversed: linear in the graph size and
    with no recursion, so arbitrarily long chains (BPTT over 100k steps) work.
    """
    order: list[Function] = []
    visited = {id(root)}
    stack: list = [(root, iter(root.inputs))]
    while stack:
        node, it = stack[-1]
        for t in it:
            parent = t._ctx
            if parent is not None and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _freed_error(node: Function) -> RuntimeError:
    return RuntimeError(
        f"backward: trying to backward through {node!r} a second time, but its saved buffers were "
        f"freed after the first backward. Pass retain_graph=True to the first backward() if you "
        f"need to backward through the graph twice."
    )


def backward(root: "Tensor", gradient: Any, retain_graph: bool = False) -> None:
    """Accumulate ``d(root)/d(leaf) * gradient`` into the ``.grad`` of every leaf."""
    # The graph has no reference cycles (outputs are not referenced by their node), so reference
    # counting frees it; pausing the cyclic collector spares it rescanning a 100k-node graph.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _backward(root, gradient, retain_graph)
    finally:
        if was_enabled:
            gc.enable()


def _backward(root: "Tensor", gradient: Any, retain_graph: bool) -> None:
    node = root._ctx
    order = _topological_order(node)
    grads: dict = {id(node): {root._out_index: gradient}}
    for node in order:
        gys = grads.pop(id(node), None)
        if gys is None:  # no path from root carries a gradient here
            continue
        if not node._released:
            node._check_versions()
        if node._hooks:  # before retain_grad, which sees the hooked gradient (as PyTorch)
            for idx, hook in node._hooks:
                if idx in gys:
                    gys[idx] = run_hooks([hook], gys[idx], None)
        if node._retained:
            for idx, ref in node._retained:
                t = ref()
                if t is not None and idx in gys:
                    t._accumulate_grad(gys[idx])
        n_out = getattr(node, "n_outputs", 1)
        try:
            if n_out == 1:
                gxs = node.backward(gys[0])
            else:
                gxs = node.backward(*[gys.get(i) for i in range(n_out)])
        except AttributeError:
            if node._released:  # its backward reads a buffer that the first backward freed
                raise _freed_error(node) from None
            raise
        if type(gxs) is not tuple:
            gxs = (gxs,)
        for t, gx, need in zip(node.inputs, gxs, node.needs_input_grad):
            if not need or gx is None:
                continue
            parent = t._ctx
            if parent is None:
                t._accumulate_grad(gx, owned=node.fresh_grads)
            else:
                slot = grads.get(id(parent))
                if slot is None:
                    grads[id(parent)] = {t._out_index: gx}
                else:
                    prev = slot.get(t._out_index)
                    # out of place: backward functions may return views of their inputs
                    slot[t._out_index] = gx if prev is None else prev + gx
        if not retain_graph:
            node.release()


def retain(node: Function, index: int, t: "Tensor") -> None:
    """Make backward store the gradient of non-leaf ``t`` (output ``index`` of ``node``)."""
    if node._retained is None:
        node._retained = []
    node._retained.append((index, weakref.ref(t)))


class RemovableHandle:
    """What ``Tensor.register_hook`` returns: ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, entry: Any) -> None:
        self._hooks, self._entry = hooks, entry

    def remove(self) -> None:
        if any(h is self._entry for h in self._hooks):
            self._hooks.remove(self._entry)


def add_hook(node: Function, index: int, hook: Any) -> RemovableHandle:
    """Make backward call ``hook`` on the gradient of output ``index`` of ``node`` (a non-leaf's hook)."""
    if node._hooks is None:
        node._hooks = []
    entry = (index, hook)
    node._hooks.append(entry)
    return RemovableHandle(node._hooks, entry)


def run_hooks(hooks: list, g: Any, like: "Tensor | None") -> Any:
    """Pass gradient array ``g`` through each hook in turn; a hook returning a tensor replaces it."""
    for hook in list(hooks):
        dev = backend.device_of(g)
        out = hook(_tensor_cls(g, dev))
        if out is not None:
            if not isinstance(out, _tensor_cls):
                raise TypeError(f"register_hook: a hook must return a Tensor or None, got {type(out).__name__}")
            if tuple(out.shape) != tuple(g.shape):
                raise RuntimeError(f"register_hook: the hook returned a gradient of shape {tuple(out.shape)}, "
                                   f"expected {tuple(g.shape)}")
            g = out._data.astype(g.dtype, copy=False)
    return g


def grad_ready(x: Any, like: "Tensor", what: str) -> Any:
    """Check an incoming gradient array against the tensor it belongs to."""
    if tuple(x.shape) != tuple(like.shape):
        raise RuntimeError(
            f"{what}: gradient has shape {tuple(x.shape)} but the tensor has shape {tuple(like.shape)}"
        )
    if backend.array_module(x) is not like.device.xp:
        raise RuntimeError(f"{what}: gradient is on another device than the tensor ({like.device})")
    return x.astype(like.dtype, copy=False)


def functions_in(roots: Sequence["Tensor"]) -> list[Function]:
    """Every node that the given tensors depend on (for graph analysis and tests)."""
    seen: dict = {}
    for r in roots:
        if r._ctx is not None and id(r._ctx) not in seen:
            for n in _topological_order(r._ctx):
                seen[id(n)] = n
    return list(seen.values())



def backward_into(root: "Tensor", gradient: Any, retain_graph: bool, inputs: Sequence["Tensor"], fresh: bool) -> list:
    """Backward from ``root`` whose gradients reach only ``inputs`` (leaves or not): the ``.grad`` of every
    other leaf is left as it was. With ``fresh`` (``autograd.grad``) the inputs' own ``.grad`` are left
    as they were too, and their gradients from this pass are returned (None where none arrived); without
    it (``backward(inputs=...)``) the gradients accumulate into the inputs' ``.grad``, as PyTorch."""
    targets = {id(t) for t in inputs}
    keep: dict = {}  # id -> (tensor, its .grad before): put back afterwards
    for node in functions_in([root]):
        for t, need in zip(node.inputs, node.needs_input_grad):
            if need and t._ctx is None and (fresh or id(t) not in targets):
                keep[id(t)] = (t, t._grad)
    retained = []
    for t in inputs:
        if fresh:
            keep[id(t)] = (t, t._grad)
        if t._ctx is not None:  # a non-leaf receives its gradient the way retain_grad() does
            entry = (t._out_index, weakref.ref(t))
            if t._ctx._retained is None:
                t._ctx._retained = []
            t._ctx._retained.append(entry)
            retained.append((t._ctx, entry))
    for t, _ in keep.values():
        t._grad = None
    try:
        backward(root, gradient, retain_graph)
        return [t._grad for t in inputs]
    finally:
        for t, g in keep.values():
            if fresh or id(t) not in targets:
                t._grad = g
        for node, entry in retained:
            if node._retained:
                node._retained = [e for e in node._retained if e is not entry] or None


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple:
    r"""The gradients :math:`\sum_i g_i^\top\, \partial y_i / \partial x_j` of ``outputs`` :math:`y_i` with respect to each of
    ``inputs`` :math:`x_j`, as a tuple, without touching any ``.grad`` (PyTorch's ``torch.autograd.grad``, first order).

    Args:
        grad_outputs: the :math:`g_i` (None for a one-element output: 1).
        retain_graph: keep the graph for another backward (default: ``create_graph``, i.e. False).
        allow_unused: an input no output depends on gets None instead of an error;
            ``materialize_grads`` gives zeros instead.
        create_graph, is_grads_batched: higher-order and batched gradients are not supported
            (:class:`~minigrad.compat.UnsupportedError`).
    """
    from .compat import UnsupportedError

    if create_graph:
        raise UnsupportedError("autograd.grad(create_graph=True): minigrad's backward functions work on arrays, so a "
                               "gradient has no graph of its own; compute second derivatives by finite differences "
                               "of first ones (see docs/compatibility.md)")
    if is_grads_batched:
        raise UnsupportedError("autograd.grad(is_grads_batched=True): call grad once per grad_outputs row "
                               "(with retain_graph=True); see docs/compatibility.md")
    single = isinstance(outputs, _tensor_cls)
    outs = [outputs] if single else list(outputs)
    ins = [inputs] if isinstance(inputs, _tensor_cls) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, _tensor_cls):
        gouts = [grad_outputs] * len(outs) if grad_outputs is None else [grad_outputs]
    else:
        gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise RuntimeError(f"grad: got {len(gouts)} grad_outputs for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, _tensor_cls) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad (differentiate with respect to tensors made "
                               f"with requires_grad=True, or results computed from them)")
    arrays = []
    for i, (y, g) in enumerate(zip(outs, gouts)):
        if not isinstance(y, _tensor_cls) or not y.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and does not have a grad_fn")
        if g is None:
            if y._data.size != 1:
                raise RuntimeError(f"grad: the gradient can be implied only for one-element outputs; output {i} has "
                                   f"shape {tuple(y.shape)}: pass grad_outputs")
            arrays.append(y.device.xp.ones(y.shape, dtype=y.dtype))
        else:
            arrays.append(grad_ready(g._data if isinstance(g, _tensor_cls) else g, y, "grad"))
    if len(outs) == 1:
        root, g0 = outs[0], arrays[0]
    else:  # one root whose gradient reaches each output y_i as exactly g_i
        with enable_grad():
            root = None
            for y, g in zip(outs, arrays):
                term = (y * _tensor_cls(g, y.device)).sum()
                root = term if root is None else root + term
        g0 = root.device.xp.ones((), dtype=root.dtype)
    if root._ctx is None:  # the output is an input itself
        found = [g0.copy() if t is root else None for t in ins]
    else:
        found = backward_into(root, g0, bool(retain_graph), ins, fresh=True)
    result = []
    for i, (t, g) in enumerate(zip(ins, found)):
        if g is None:
            if materialize_grads:
                g = _tensor_cls(t.device.xp.zeros(t.shape, dtype=t.dtype), t.device)
            elif not allow_unused:
                raise RuntimeError(f"grad: input {i} was not used in the graph of the outputs; pass allow_unused=True "
                                   f"to get None for it")
        elif not isinstance(g, _tensor_cls):
            g = _tensor_cls(g, t.device)
        result.append(g)
    return tuple(result)


def Variable(tensor: "Tensor", requires_grad: bool = False, volatile: bool = False) -> "Tensor":  # noqa: N802
    """PyTorch's old wrapper (``from torch.autograd import Variable``), kept for old course code:
    the tensor itself, made to require grad when asked (since PyTorch 0.4 a Variable is a Tensor)."""
    if requires_grad and not tensor.requires_grad:
        tensor.requires_grad_(True)
    return tensor
