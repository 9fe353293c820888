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

import functools
import gc
import inspect
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


def _in_mode(mode: bool, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with grad mode ``mode``; the mode from before is restored afterwards."""
    global _grad_enabled
    prev, _grad_enabled = _grad_enabled, mode
    try:
        return fn(*args, **kwargs)
    finally:
        _grad_enabled = prev


class _GradMode:
    """Sets grad mode to ``mode`` inside a ``with`` block or a decorated function, then restores it.

    As a decorator it works bare (``@no_grad``) or called (``@no_grad()``). A decorated generator
    function runs each of its steps (``next``, ``send``, ``throw``, ``close``) in the mode and gives the
    caller back the caller's mode at every ``yield``, as PyTorch does.
    """

    mode = True

    def __new__(cls, func: Any = None) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        if not callable(func):
            raise TypeError(f"{cls.__name__}: expected no argument, or a function to decorate, got {type(func).__name__}")
        return self(func)  # bare @no_grad: the decorated function, not a manager

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, func: Any) -> Any:
        mode = self.mode
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator(*args: Any, **kwargs: Any) -> Any:
                gen = _in_mode(mode, func, *args, **kwargs)
                reply = _in_mode(mode, next, gen)  # StopIteration ends this generator too, with its value
                while True:
                    try:
                        sent = yield reply
                    except GeneratorExit:
                        _in_mode(mode, gen.close)
                        raise
                    except BaseException as exc:  # thrown in by the caller: pass it on inside the mode
                        try:
                            reply = _in_mode(mode, gen.throw, exc)
                        except StopIteration as stop:
                            return stop.value
                        continue
                    try:
                        reply = _in_mode(mode, gen.send, sent)
                    except StopIteration as stop:
                        return stop.value
            return generator

        @functools.wraps(func)
        def function(*args: Any, **kwargs: Any) -> Any:
            return _in_mode(mode, func, *args, **kwargs)
        return function


class no_grad(_GradMode):
    """Context manager and decorator (bare or called) that stops recording ops (inference, optimizer steps)."""

    mode = False


class enable_grad(_GradMode):
    """Context manager and decorator (bare or called) that records ops again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off; a context manager and a decorator.

    ``set_grad_enabled(False)`` takes effect immediately (as in PyTorch), and the previous mode is
    restored when a ``with`` block ends. Used as a decorator (``@set_grad_enabled(False)``), it
    leaves the mode as it was and sets it only while the decorated function runs.
    """

    def __new__(cls, mode: bool) -> "set_grad_enabled":
        return super().__new__(cls)

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: expected a bool, got {type(mode).__name__}")
        self.mode = mode
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __enter__(self) -> None:
        pass  # already set by __init__; keep the mode from before it

    def __call__(self, func: Any) -> Any:
        global _grad_enabled
        _grad_enabled = self.prev  # decorating is not a mode change
        return super().__call__(func)


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
        saves_input_for_other: each input's value is needed only for the other input's gradient (mul,
            matmul): as PyTorch, a changed input is an error only when the other one needs a gradient.
        saves_output: backward reads the output's values (exp, sigmoid, softmax...), as
            PyTorch's node saves its result: an in-place change of the output (or of a view
            of it) before backward is an error there.
        is_view: the output may share memory with the first input (reshape,
            transpose, basic indexing), so both share one version counter.
        out_device: where the output lives, when not on the inputs' device.
        fresh_grads: backward returns newly allocated arrays, never views or one array twice,
            so a leaf may keep them as its ``.grad`` without a defensive copy.
    """

    saves_inputs = True
    saves_input_for_other = False
    saves_output = False
    fresh_grads = False
    is_view = False
    out_device: backend.Device | None = None
    inputs: tuple
    needs_input_grad: tuple
    _versions: tuple
    _retained: list | None = None
    _hooks: list | None = None
    _released = False
    n_outputs = 1  # ops with several outputs set their count
    _seq = 0  # when the node was recorded (see _clock)
    _checked: tuple = ()  # (tensor, version) of other tensors backward reads (index tensors)
    _output_changed: tuple | None = None  # (output index, shape, dtype, version) once an output was changed in place
    _extra_checks = False  # whether either of the two above is set (one test on the common path)

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError

    def backward(self, *gys: Any) -> Any:
        raise NotImplementedError

    # PyTorch's name for this node where it is not the class name + "Backward0": a class attribute, or set on a
    # node by the function that knows which of PyTorch's ops it stands for (``t()`` and ``transpose`` both record
    # a Permute: ``TBackward0``, ``TransposeBackward0``). Only printing reads it, so the ops' hot paths do no work.
    torch_name: str | None = None

    @property
    def op_name(self) -> str:
        """The op's own name, its class name (``Add``, ``MatMul``), as minigrad's messages and tools call it."""
        return type(self).__name__

    def name(self) -> str:
        """The name PyTorch gives this node, as ``grad_fn.name()`` returns it: ``AddBackward0``, ``MmBackward0``."""
        return self.torch_name or type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def apply(self, *inputs: "Tensor") -> Any:
        """Run forward on the inputs' arrays and record the node when a gradient is needed."""
        dev = inputs[0].device
        arrays, requires = [], False
        rebased = _rebased
        if rebased:
            for t in inputs:
                if t._ctx is None and t._hist is None and t._base is not None and t._base._hist is not None:
                    refresh_view(t)
        for t in inputs:
            if t.device is not dev and t.device != dev:
                raise RuntimeError(
                    f"{self.op_name}: expected all tensors on one device, got {dev} and {t.device} "
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
            if rebased:  # order nodes only once histories can change (until then every _seq is 0)
                global _clock
                _clock += 1
                self._seq = _clock
            self.inputs = inputs
            self.needs_input_grad = tuple([t._requires_grad for t in inputs])
            if self.saves_inputs:  # Tensor._version, inlined: this runs on every recorded op
                self._versions = tuple([t._v if t._base is None else t._base._v for t in inputs])
        return outs

    def save_for_check(self, *tensors: "Tensor") -> None:
        """Record the versions of tensors other than the inputs whose values backward reads (index tensors)."""
        self._checked = tuple([(t, t._version) for t in tensors])
        self._extra_checks = True

    def _check_versions(self) -> None:
        if self._extra_checks:
            if self._output_changed is not None:
                i, shape, dtype, v = self._output_changed
                raise _modified_error(self, f"output {i}", shape, dtype, v, 0)
            for t, v in self._checked:
                if t._version != v:
                    raise _modified_error(self, "an index tensor", t.shape, t.dtype, t._version, v)
        if not self.saves_inputs:
            return
        for t, v in zip(self.inputs, self._versions):
            if (t._v if t._base is None else t._base._v) != v:  # Tensor._version, inlined: the common case is none
                self._input_changed()
                return

    def _input_changed(self) -> None:
        """Raise for the first saved input changed in place since this node was recorded, unless its value is
        needed only for the gradient of another input that needs none (mul, matmul: as PyTorch)."""
        for i, (t, v) in enumerate(zip(self.inputs, self._versions)):
            if t._version != v:
                if self.saves_input_for_other and not any(n for j, n in enumerate(self.needs_input_grad) if j != i):
                    continue
                raise _modified_error(self, f"input {i}", t.shape, t.dtype, t._version, v)

    def release(self) -> None:
        """Free the saved arrays; keep the small metadata a second backward of a buffer-free op needs.

        As in PyTorch, running backward again through this node fails only if its backward reads a
        freed buffer. Non-leaf inputs are replaced by bare edges, so the graph no longer holds on to
        intermediate results.
        """
        arrays = backend.array_types()
        kept = {k: v for k, v in self.__dict__.items() if not isinstance(v, arrays)}
        if _rebased:  # the edges as they were when this node was recorded
            kept["inputs"] = tuple(_Edge(*edge) if (edge := _edge(t, self))[0] is not None else t for t in self.inputs)
        else:
            kept["inputs"] = tuple(t if t._ctx is None else _Edge(t._ctx, t._out_index) for t in self.inputs)
        kept["_released"] = True
        self.__dict__ = kept


def _modified_error(node: Function, what: str, shape: tuple, dtype: Any, now: int, expected: int) -> RuntimeError:
    return RuntimeError(
        f"backward: one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} of {node.name()} (shape {tuple(shape)}, {dtype}) is at version {now}; expected version "
        f"{expected} instead. Its old value is needed for backward: use an out-of-place op (x = x * 2 instead "
        f"of x *= 2), or change a .clone() of it."
    )


class _Edge:
    """What a released node keeps of a non-leaf input: where its gradient goes."""

    __slots__ = ("_ctx", "_out_index")
    _hist = None
    _base = None

    def __init__(self, ctx: Function, index: int) -> None:
        self._ctx, self._out_index = ctx, index


_tensor_cls: Any = None  # set by minigrad.tensor once Tensor exists (breaks the import cycle)
_clock = 0  # the sequence number of the last recorded node: orders nodes and in-place changes
_rebased = False  # whether a recorded in-place op has changed a tensor's history yet (until then edges are plain)
_tracer: Any = None  # the active minigrad.trace, if any


# ------------------------------------------------------------------ in-place ops under autograd
def _edge(t: Any, node: Function) -> tuple:
    """Where the gradient of input ``t`` of ``node`` goes: ``t``'s (node, output index) when ``node`` was recorded.

    A differentiable in-place op gives a tensor a new history (PyTorch's rebase); nodes recorded
    before it keep the old one, kept in ``t._hist`` as ``(clock at the change, node, index)``.
    """
    base = t._base
    if base is not None and base._hist is not None and t._ctx is not None:
        made = t._hist[-1][0] if t._hist else t._ctx._seq
        if base._hist[-1][0] > made:
            _regenerate(t, made)
    hist = t._hist
    if hist is not None:
        seq = node._seq
        for changed, ctx, index in hist:
            if seq <= changed:
                return ctx, index
    return t._ctx, t._out_index


def producer(t: Any, node: Function) -> Function | None:
    """The node that made input ``t`` of ``node``, as it was when ``node`` was recorded (None for a leaf): the
    edge of the graph that backward follows. After a recorded in-place change ``t._ctx`` is ``t``'s new history,
    which nodes recorded before it did not use. (Backward inlines this test for speed.)"""
    if not _rebased or (t._hist is None and (t._base is None or t._base._hist is None)):
        return t._ctx
    return _edge(t, node)[0]


def _regenerate(t: Any, made: float) -> None:
    """Give view ``t`` the history PyTorch regenerates for a view whose base a recorded in-place op changed
    after the view was made: from each such change on, ``t`` is its positions in the base as it was then."""
    base = t._base
    positions = _view_positions(t._data, base._data)
    if positions is None:  # a copy, not a view: the base's changes do not reach it, its history stays
        t._hist = (t._hist or []) + [(base._hist[-1][0], t._ctx, t._out_index)]
        return
    for changed, _, _ in list(base._hist):
        if changed > made:
            take = TakePositions(positions)
            # recorded just after the change: its input, the base, resolves to the base's history from then on
            take.shape, take.inputs, take.needs_input_grad, take._seq = base.shape, (base,), (True,), changed + 0.5
            _set_history(t, take, 0, True, changed)


def refresh_view(t: Any) -> None:
    """A view made while its base required no grad, of a base that a recorded in-place op has since given
    a history (``out[0] = h`` into a buffer of zeros): from that change on the view is part of the graph,
    as in PyTorch. A ``detach()``ed alias (its base had a history already) stays out of it."""
    first = next((changed for changed, ctx, _ in t._base._hist if ctx is None), None)
    if first is not None:
        _regenerate(t, first - 1)


def _view_positions(view: Any, base: Any) -> Any:
    """For each element of array ``view`` (a view of array ``base``), its flat C-order position in ``base``;
    None when ``view`` is not inside ``base``'s memory (a reshape that had to copy)."""
    xp = backend.array_module(base)
    isz = base.itemsize
    if any(s % isz for s in view.strides + base.strides) or any(s == 0 and n > 1 for s, n in zip(view.strides, view.shape)):
        raise RuntimeError(
            f"unsupported operation: more than one element of the written-to tensor (shape {tuple(view.shape)}) "
            f"refers to a single memory location; clone() it before the in-place op"
        )

    def offsets(a: Any, start: int) -> Any:  # memory offset (in elements) of every element of a
        off = xp.full(a.shape, start, dtype=backend.int64)
        for d, (n, st) in enumerate(zip(a.shape, a.strides)):
            off = off + (xp.arange(n, dtype=backend.int64) * (st // isz)).reshape([-1 if k == d else 1 for k in range(a.ndim)])
        return off

    start = backend.data_pointer(view) - backend.data_pointer(base)
    if start % isz:
        return None
    mem = offsets(view, start // isz)
    if base.flags.c_contiguous:
        return mem if not mem.size or (int(mem.min()) >= 0 and int(mem.max()) < base.size) else None
    layout = offsets(base, 0).reshape(-1)  # memory offset of each flat position of base: invert it
    order = xp.argsort(layout)
    found = xp.minimum(xp.searchsorted(layout[order], mem), base.size - 1)
    return order[found] if bool((layout[order][found] == mem).all()) else None


class PutPositions(Function):
    r"""``y = base`` with the elements at flat ``positions`` replaced by ``v`` (PyTorch's CopySlices):
    :math:`\bar{base} = \bar y` with zeros at the positions, :math:`\bar v = \bar y` at the positions."""

    saves_inputs = False
    fresh_grads = True

    def __init__(self, positions: Any) -> None:
        self.positions = positions

    def forward(self, base, v):
        y = base.copy()
        y.reshape(-1)[self.positions.reshape(-1)] = v.reshape(-1)
        return y

    def backward(self, gy):
        flat = backend.array_module(gy).ascontiguousarray(gy).reshape(-1)
        gv = flat[self.positions]
        gb = flat.copy()
        gb[self.positions.reshape(-1)] = 0
        return gb.reshape(gy.shape), gv


class TakePositions(Function):
    r"""``y`` = the elements of ``base`` at flat ``positions`` (the history of a view after an in-place
    change of its base); :math:`\bar{base}` is :math:`\bar y` scattered to the positions."""

    saves_inputs = False
    fresh_grads = True

    def __init__(self, positions: Any) -> None:
        self.positions = positions

    def forward(self, base):
        self.shape = base.shape
        return base.reshape(-1)[self.positions]

    def backward(self, gy):
        g = backend.array_module(gy).zeros(self.shape, dtype=gy.dtype)
        g.reshape(-1)[self.positions.reshape(-1)] = gy.reshape(-1)
        return g


def _set_history(t: Any, ctx: Function | None, index: int, requires_grad: bool, changed: float) -> None:
    """Give ``t`` the history (``ctx``, ``index``) from now on; nodes recorded up to ``changed`` keep the old one."""
    old = t._ctx
    t._hist = (t._hist or []) + [(changed, old, t._out_index)]
    t._ctx, t._out_index, t._requires_grad = ctx, index, requires_grad
    if old is not None and old._retained and any(r() is t for _, r in old._retained):
        old._retained = [(i, r) for i, r in old._retained if r() is not t]  # .grad follows the new value, as PyTorch
        retain(t._ctx, t._out_index, t)


def _snapshot(t: Any) -> Any:
    """A copy of ``t``'s values with ``t``'s present history: the input of the op an in-place change records."""
    s = _tensor_cls._from_op(t._data.copy(), t.device, t._ctx, t._out_index)
    s._requires_grad = t._requires_grad
    return s


def record_inplace(t: Any, compute: Any) -> Any:
    """Change ``t`` in place to ``compute(old)`` (an out-of-place, differentiable function of a copy of
    ``t``'s old values), recorded for backward as PyTorch does.

    ``t`` takes the new history; when it is a view of a tensor ``base``, ``base`` also does (the new
    values put into its old ones at the view's positions) and ``t`` becomes those positions of it.
    Nodes recorded before keep the old histories (see :func:`_edge`). A node that saved ``t``'s old
    values (or ``base``'s) then fails at backward, by the version counter.
    """
    global _rebased
    _rebased = True
    base = t._base
    through_base = base is not None and (t._ctx is not None or not base._requires_grad)
    if through_base:
        positions = _view_positions(t._data, base._data)
        through_base = positions is not None  # else a copy (reshape of a non-contiguous array): base is not changed
    if through_base:
        base_old = _snapshot(base)
    old = _snapshot(t)
    if _tracer is not None:  # a hand-calculation trace writes the old value as t was written
        _tracer._alias(old, t)
    new = compute(old)
    if new.dtype != t.dtype:
        new = new.to(t.dtype)
    if tuple(new.shape) != tuple(t.shape):
        new = new.expand(t.shape)
    if through_base:
        base_new = PutPositions(positions).apply(base_old, new)
    t.device.xp.copyto(t._data, new._data)
    t._bump_version()
    if _tracer is not None:
        _tracer._alias(t, new)
    changed = _clock
    if through_base:
        _set_history(base, base_new._ctx, base_new._out_index, base_new._requires_grad, changed)
        view = TakePositions(positions).apply(base)
        _set_history(t, view._ctx, 0, True, changed)
    else:
        _set_history(t, new._ctx, new._out_index, new._requires_grad, changed)
    return t


# ------------------------------------------------------------------ backward
def _topological_order(root: Function) -> list[Function]:
    """Nodes reachable from ``root``, each before every node it depends on.

    Iterative depth-first post-order, reversed: linear in the graph size and
    with no recursion, so arbitrarily long chains (BPTT over 100k steps) work.
    """
    order: list[Function] = []
    visited = {id(root)}
    stack: list = [(root, iter(root.inputs))]
    plain = not _rebased
    while stack:
        node, it = stack[-1]
        for t in it:
            parent = t._ctx if plain or (t._hist is None and (t._base is None or t._base._hist is None)) else _edge(t, node)[0]
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
        f"backward: trying to backward through {node.name()} a second time, but its saved buffers were "
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
    leaves: dict | None = None  # id -> [hooked leaf, summed gradient, whether backward allocated it]
    plain = not _rebased
    for node in order:
        gys = grads.pop(id(node), None)
        if gys is None:  # no path from root carries a gradient here
            continue
        if (node.saves_inputs or node._extra_checks) and not node._released:
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
        n_out = node.n_outputs
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
            if plain or (t._hist is None and (t._base is None or t._base._hist is None)):
                parent = t._ctx
                index = t._out_index
            else:
                parent, index = _edge(t, node)
            if parent is None:
                if t._hooks is None:
                    t._accumulate_grad(gx, owned=node.fresh_grads)
                    continue
                # a hooked leaf's gradients are summed over all its uses first: its hooks then run once, on
                # the sum, before .grad receives it (PyTorch's AccumulateGrad)
                if leaves is None:
                    leaves = {}
                entry = leaves.get(id(t))
                if entry is None:
                    leaves[id(t)] = [t, gx, node.fresh_grads]
                else:
                    entry[1], entry[2] = entry[1] + gx, True
            else:
                slot = grads.get(id(parent))
                if slot is None:
                    grads[id(parent)] = {index: gx}
                else:
                    prev = slot.get(index)
                    # out of place: backward functions may return views of their inputs
                    slot[index] = gx if prev is None else prev + gx
        if not retain_graph:
            node.release()
    if leaves:
        for t, g, owned in leaves.values():
            t._accumulate_grad(g, owned=owned)


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
