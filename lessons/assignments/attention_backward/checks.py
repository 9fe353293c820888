r"""The graded parts of ``attention_backward``: the backward pass of scaled dot-product attention, written
as a ``minigrad.autograd.Function`` whose forward is given.

The student's function runs on minigrad tensors; backward of :math:`\sum \langle G, O\rangle` gives
dL/dQ, dL/dK, dL/dV, compared with minigrad's own attention (its hand-derived backward, itself checked
against finite differences and PyTorch in minigrad's tests).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minigrad as mg
from lessons.assignments.grading import N_, Part, backward_call, expect

TITLE = N_("The backward pass of attention (a minigrad Function)")
FUNCTIONS = ("attention",)
ALLOWS = ("minigrad",)  # the template is a minigrad Function: the sandbox has minigrad for this assignment
SHAPES = (((3, 4), (5, 4), (5, 2)), ((2, 3, 4), (2, 5, 4), (2, 5, 3)), ((2, 2, 4, 8), (2, 2, 6, 8), (2, 2, 6, 8)))


def reference(arrays: list, grad: np.ndarray) -> dict:
    leaves = [mg.tensor(a, requires_grad=True) for a in arrays]
    out = mg.nn.functional.scaled_dot_product_attention(*leaves)
    (out * mg.tensor(grad)).sum().backward()
    return {"out": out.detach().cpu().numpy(), **{f"d{n}": t.grad.cpu().numpy() for n, t in zip("QKV", leaves)}}


def _forward_cases(rng: np.random.Generator) -> list:
    cases = []
    for shapes in SHAPES:
        arrays = [rng.standard_normal(s) for s in shapes]
        out = reference(arrays, np.zeros(shapes[0][:-1] + shapes[2][-1:]))["out"]
        cases.append(expect(f"Q {shapes[0]}, K {shapes[1]}, V {shapes[2]}", backward_call("attention", arrays, None, [False] * 3),
                            {"out": out}))
    return cases


def _gradient_cases(name: str) -> Callable:
    def cases(rng: np.random.Generator) -> list:
        out = []
        for shapes in SHAPES:
            arrays = [rng.standard_normal(s) for s in shapes]
            grad = rng.standard_normal(shapes[0][:-1] + shapes[2][-1:])
            expected = reference(arrays, grad)
            out.append(expect(f"Q {shapes[0]}, K {shapes[1]}, V {shapes[2]}", backward_call("attention", arrays, grad, [True] * 3),
                              expected, rtol=1e-7, atol=1e-10, only=(name,)))
        return out

    return cases


PARTS = [
    Part("forward", N_("the given forward pass still works"), 1, _forward_cases,
         (N_("The forward pass is given: if this part fails, undo your changes to forward."),
          N_("S = scale Q K^T, P = softmax(S) over the last axis, O = P V, with scale = 1/sqrt(d)."),
          N_("def forward(self, q, k, v):  # as given\n    ...\n    self.p = e / e.sum(axis=-1, keepdims=True)\n"
             "    self.q, self.k, self.v = q, k, v\n    return self.p @ v"))),
    Part("grad_v", N_("dL/dV"), 1, _gradient_cases("dV"),
         (N_("V enters only through O = P V: a matrix product."),
          N_("dL/dV = P^T dL/dO (transpose the last two axes of P)."),
          N_("dv = xp.swapaxes(p, -1, -2) @ grad_out"))),
    Part("grad_q", N_("dL/dQ (through the softmax)"), 2, _gradient_cases("dQ"),
         (N_("Go back through O = P V to dP, then through the softmax to dS, then through S = scale Q K^T."),
          N_("dP = dL/dO V^T; dS = P * (dP - rowsum(dP * P)); dL/dQ = scale dS K."),
          N_("dp = grad_out @ xp.swapaxes(v, -1, -2)\nds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))\n"
             "dq = self.scale * ds @ k"))),
    Part("grad_k", N_("dL/dK"), 2, _gradient_cases("dK"),
         (N_("K enters S = scale Q K^T transposed: its gradient needs dS transposed."),
          N_("dL/dK = scale dS^T Q, with dS from the softmax backward as for dL/dQ."),
          N_("dk = self.scale * xp.swapaxes(ds, -1, -2) @ q\nreturn dq, dk, dv"))),
]
