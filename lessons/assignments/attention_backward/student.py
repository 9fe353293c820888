"""Assignment: the backward pass of scaled dot-product attention.

Fill in ``backward`` below. Forward is given:

    S = scale * Q K^T,   P = softmax(S) over the last axis,   O = P V.

``backward`` receives dL/dO and must return (dL/dQ, dL/dK, dL/dV), arrays of the shapes of Q, K, V.
Use only array operations (``xp`` is numpy or cupy); do not call minigrad's attention op.

Check your work from the minigrad repository root: python -m pytest THIS_FOLDER -q (after
``python -m lessons assignment student attention_backward THIS_FOLDER``).
"""
from minigrad.autograd import Function
from minigrad.backend import array_module


class MyAttention(Function):
    def __init__(self, scale: float) -> None:
        self.scale = scale

    def forward(self, q, k, v):
        xp = array_module(q)
        s = self.scale * (q @ xp.swapaxes(k, -1, -2))
        e = xp.exp(s - s.max(axis=-1, keepdims=True))
        self.p = e / e.sum(axis=-1, keepdims=True)
        self.q, self.k, self.v = q, k, v
        return self.p @ v

    def backward(self, grad_out):
        # TODO: dL/dV = ..., dL/dP = ..., dL/dS = ... (the softmax backward), dL/dQ = ..., dL/dK = ...
        raise NotImplementedError("MyAttention.backward is not written yet")


def attention(q, k, v):
    """Your attention as a differentiable minigrad function."""
    return MyAttention(1.0 / q.shape[-1] ** 0.5).apply(q, k, v)
