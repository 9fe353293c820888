"""The teacher's solution of the attention-backward assignment (keep it out of the students' copy)."""
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
        xp = array_module(grad_out)
        q, k, v, p = self.q, self.k, self.v, self.p
        dv = xp.swapaxes(p, -1, -2) @ grad_out
        dp = grad_out @ xp.swapaxes(v, -1, -2)
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
        return self.scale * ds @ k, self.scale * xp.swapaxes(ds, -1, -2) @ q, dv


def attention(q, k, v):
    return MyAttention(1.0 / q.shape[-1] ** 0.5).apply(q, k, v)
