r"""What a computation costs, read off its graph: ops, floating-point operations, memory saved for
backward, and the critical path.

The critical path is the longest chain of ops that depend on each other: the number of steps that must
run one after another however much hardware is available. It is the "sequential operations" column of
Vaswani et al. (2017), Table 1. An op that runs a loop inside (the recurrent layers' whole-sequence ops)
counts its steps (``Function.sequential_steps``).

FLOP counts are the forward pass's: :math:`2mnk` for an :math:`(m\times k)(k\times n)` product, one per
output element for elementwise ops, one per input element for reductions; an op without a rule counts
one per output element. Backward costs about twice the forward for products.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from . import backend
from .autograd import Function, functions_in, producer
from .tensor import Tensor


@dataclass
class GraphReport:
    """Costs of the graph that produced some tensors (see :func:`analyze`)."""

    ops: int
    flops: int
    saved_bytes: int
    critical_path: int
    ops_by_type: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"{self.ops} ops, {self.flops:,} forward FLOPs, {self.saved_bytes / 2**20:.2f} MiB saved for backward, "
                f"critical path {self.critical_path} ops")


def _numel(shape: Sequence[int]) -> int:
    return math.prod(shape) if shape else 1


def _broadcast(*shapes: tuple) -> tuple:
    return tuple(backend.numpy.broadcast_shapes(*shapes))


def flops(node: Function) -> int:
    """Forward floating-point operations of one node, from its inputs' shapes."""
    shapes = [tuple(t.shape) for t in node.inputs if hasattr(t, "shape")]
    name = node.op_name
    if name in ("MatMul", "Linear"):
        a, b = shapes[0], shapes[1]
        if name == "Linear":  # x (..., k) with W (n, k)
            n, k = b
            out = 2 * _numel(a[:-1]) * k * n
            return out + (_numel(a[:-1]) * n if len(shapes) > 2 else 0)
        a2 = (1,) + a if len(a) == 1 else a
        b2 = b + (1,) if len(b) == 1 else b
        batch = _broadcast(a2[:-2], b2[:-2])
        return 2 * _numel(batch) * a2[-2] * a2[-1] * b2[-1]
    if name == "ReluFeedForward":  # Linear (x (..., k), W1 (h, k)), ReLU, Linear (W2 (n, h)), as those three ops
        rows, bias = _numel(shapes[0][:-1]), len(shapes) == 5
        (h, k), (n, _) = shapes[1], shapes[-2 if bias else -1]
        return rows * (2 * k * h + 2 * h * n + h + ((h + n) if bias else 0))
    if name in ("ScaledDotProductAttention", "TiledAttention"):
        q, k, v = shapes
        batch = _broadcast(q[:-2], k[:-2], v[:-2])
        L, S = q[-2], k[-2]
        return _numel(batch) * (2 * L * S * q[-1] + 2 * L * S * v[-1] + 5 * L * S)
    if name in ("RNNSequence", "LSTMSequence", "GRUSequence"):
        T, B, I = shapes[0]
        G_H, H = shapes[-3] if len(shapes) >= 6 else shapes[-1]  # W_hh: before the two biases, or last
        return 2 * T * B * G_H * (I + H) + 10 * T * B * G_H
    if name in ("Sum", "Mean", "Amax", "Amin", "Logsumexp", "Var", "Softmax", "LogSoftmax", "LayerNorm"):
        per = {"Softmax": 5, "LogSoftmax": 5, "Logsumexp": 4, "Var": 3, "LayerNorm": 8}.get(name, 1)
        return per * _numel(shapes[0])
    if name in ("Reshape", "Permute", "BroadcastTo", "GetItem", "Split", "Cat", "Clone", "Cast", "ToDevice", "Embedding", "Gather"):
        return 0  # data movement
    return _numel(_broadcast(*shapes)) if shapes else 0


def _saved_arrays(node: Function) -> list:
    arrays = backend.array_types()
    return [v for k, v in vars(node).items() if isinstance(v, arrays) and k != "inputs"]


def analyze(*outputs: Tensor) -> GraphReport:
    """Count the ops, forward FLOPs, bytes saved for backward (each array once) and the critical path
    of the graph that produced ``outputs``. Run it before ``backward()``, which frees the saved arrays."""
    nodes = functions_in(outputs)
    depth: dict = {}
    for node in _producers_first(nodes):
        parents = [depth[id(p)] for p in (producer(t, node) for t in node.inputs) if p is not None and id(p) in depth]
        depth[id(node)] = (max(parents) if parents else 0) + getattr(node, "sequential_steps", 1)
    seen, saved = set(), 0
    for node in nodes:
        for a in _saved_arrays(node):
            owner = a.base if a.base is not None else a
            if id(owner) not in seen:
                seen.add(id(owner))
                saved += owner.nbytes
    by_type: dict = {}
    for node in nodes:
        by_type[node.op_name] = by_type.get(node.op_name, 0) + 1
    return GraphReport(
        ops=len(nodes),
        flops=sum(flops(n) for n in nodes),
        saved_bytes=saved,
        critical_path=max(depth.values()) if depth else 0,
        ops_by_type=dict(sorted(by_type.items())),
    )


def _producers_first(nodes: list) -> list:
    """The nodes ordered so that every node comes after the nodes that produced its inputs."""
    ids = {id(n) for n in nodes}
    done: set = set()
    out: list = []
    for start in nodes:
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                out.append(node)
                continue
            stack.append((node, True))
            for t in node.inputs:
                p = producer(t, node)
                if p is not None and id(p) in ids and id(p) not in done:
                    stack.append((p, False))
    return out
