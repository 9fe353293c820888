r"""The graded parts of ``rnn_bptt``: an Elman RNN's forward pass and its backward through time, full and truncated.

Expected values come from minigrad: the recurrence composed of its ops, so that autograd derives the
gradients (the hand-derived ``nn.RNN`` is not used), with ``detach()`` at every chunk boundary for the
truncated case; the last part compares the student's gradient with central finite differences of the
student's own forward pass (which must first be right: an all-zero forward and backward agree with
each other, and earn nothing). Each gradient is a check of its own.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from lessons.assignments.grading import N_, Case, Part, _, call, compare, expect, expect_each

TITLE = N_("Elman RNN: forward and backpropagation through time (full and truncated)")
FUNCTIONS = ("rnn_forward", "rnn_backward")
GRADS = ("dx", "dh0", "dW_ih", "dW_hh", "db_ih", "db_hh")


def inputs(rng: np.random.Generator, T: int, N: int, D: int, H: int) -> list:
    """x, h0, W_ih, W_hh, b_ih, b_hh (weights small enough that tanh does not saturate)."""
    s = 1 / np.sqrt(H)
    return [rng.standard_normal((T, N, D)), rng.standard_normal((N, H)) * 0.5, rng.uniform(-s, s, (H, D)),
            rng.uniform(-s, s, (H, H)), rng.uniform(-s, s, H), rng.uniform(-s, s, H)]


def reference(arrays: list, dhs: np.ndarray | None = None, truncate: int | None = None) -> tuple:
    r"""``hs`` and, given ``dhs``, the gradients of :math:`L = \sum_t \langle dh_t, h_t\rangle` by minigrad's autograd."""
    x, h0, W_ih, W_hh, b_ih, b_hh = leaves = [mg.tensor(a, dtype=mg.float64, requires_grad=True) for a in arrays]
    h, hs = h0, []
    for t in range(x.shape[0]):
        if truncate is not None and t > 0 and t % truncate == 0:
            h = h.detach()  # the chunk boundary: the state is carried as a value, not through the graph
        h = (x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh).tanh()
        hs.append(h)
    hs = mg.stack(hs)
    if dhs is None:
        return hs.detach().cpu().numpy(), None
    (hs * mg.tensor(dhs)).sum().backward()
    return hs.detach().cpu().numpy(), {n: t.grad.cpu().numpy() for n, t in zip(GRADS, leaves)}


def _forward_cases(rng: np.random.Generator) -> list:
    cases = []
    for T, N, D, H in ((3, 2, 3, 4), (1, 1, 2, 3), (6, 3, 2, 5)):
        arrays = inputs(rng, T, N, D, H)
        hs, _g = reference(arrays)
        cases.append(expect(f"T={T}, N={N}, D={D}, H={H}", call("rnn_forward", *arrays), {"hs": hs}))
    arrays = inputs(rng, 4, 2, 3, 3)
    arrays[1] = np.zeros_like(arrays[1])
    cases.append(expect("h0 = 0", call("rnn_forward", *arrays), {"hs": reference(arrays)[0]}))
    return cases


def _backward_case(rng: np.random.Generator, T: int, N: int, D: int, H: int, truncate: int | None, last_only: bool = False) -> Case:
    arrays = inputs(rng, T, N, D, H)
    dhs = rng.standard_normal((T, N, H))
    if last_only:  # a loss on the last state only: every gradient travels back through the recurrence
        dhs[:-1] = 0
    grads = reference(arrays, dhs, truncate)[1]
    label = f"T={T}, N={N}, D={D}, H={H}" + (f", truncate={truncate}" if truncate else "") + (", dL/dh_T only" if last_only else "")
    return expect_each(label, call("rnn_backward", *arrays, dhs, truncate=truncate), grads)


def _full_cases(rng: np.random.Generator) -> list:
    return [_backward_case(rng, 4, 2, 3, 3, None), _backward_case(rng, 5, 1, 2, 3, None, last_only=True),
            _backward_case(rng, 1, 2, 2, 2, None)]


def _truncated_cases(rng: np.random.Generator) -> list:
    """Every case has a chunk of two steps or more, so that the carry within a chunk counts, and a boundary
    (but for k >= T, where truncated BPTT is full BPTT)."""
    return [_backward_case(rng, 6, 2, 2, 3, 2), _backward_case(rng, 6, 2, 3, 3, 3, last_only=True),
            _backward_case(rng, 5, 1, 2, 2, 3), _backward_case(rng, 3, 2, 2, 3, 10)]


FD_EPS = 1e-6


def _finite_difference_case(rng: np.random.Generator) -> Case:
    r"""The student's gradient of :math:`L = \sum_t\langle G_t, h_t\rangle` against central differences of
    the student's own ``rnn_forward``, for every element of ``h0``, ``W_ih`` and ``W_hh``."""
    arrays = inputs(rng, 4, 2, 2, 3)
    G = rng.standard_normal((4, 2, 3))
    probes = [(arg, idx) for arg in (1, 2, 3) for idx in np.ndindex(arrays[arg].shape)]
    hs = reference(arrays)[0]
    calls = [call("rnn_backward", *arrays, G), call("rnn_forward", *arrays)]
    for arg, idx in probes:
        for sign in (1, -1):
            moved = [a.copy() for a in arrays]
            moved[arg][idx] += sign * FD_EPS
            calls.append(call("rnn_forward", *moved))

    def judge(outcomes: list) -> str | None:
        backward, forwards = outcomes[0], outcomes[2:]
        wrong = compare({"hs": hs}, outcomes[1])
        if wrong is not None:
            return _("rnn_forward must work first: {error}").format(error=wrong)
        for o in forwards:
            if o.error is not None or len(o.outputs) != 1 or o.outputs[0].shape != G.shape:
                return _("rnn_forward must work first: {error}").format(error=o.error or _("it returned no (T, N, H) array"))
        if backward.error is not None:
            return backward.error
        if len(backward.outputs) != len(GRADS):
            return compare(dict.fromkeys(GRADS, np.zeros(0)), backward)
        for k, (arg, idx) in enumerate(probes):
            plus, minus = (float((forwards[2 * k + j].outputs[0] * G).sum()) for j in (0, 1))
            numeric = (plus - minus) / (2 * FD_EPS)
            name, grad = GRADS[arg], backward.outputs[arg]
            if grad.shape != arrays[arg].shape:
                return _("{name} has shape {got}, expected {want}").format(name=name, got=grad.shape, want=arrays[arg].shape)
            if not abs(grad[idx] - numeric) <= 1e-6 + 1e-4 * abs(numeric):
                return _("{name}{index} = {got:.6g}, but the finite difference of your rnn_forward gives {want:.6g}").format(
                    name=name, index=list(idx), got=grad[idx], want=numeric)
        return None

    return Case("T=4, N=2, D=2, H=3", calls, judge)


PARTS = [
    Part("forward", N_("the forward pass h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)"), 2, _forward_cases,
         (N_("Loop over t, keeping the previous state; the batch dimension N rides along in every product."),
          N_("h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh), with x_t of shape (N, D) and h_(t-1) of shape (N, H); "
             "stack h_1 ... h_T into an array of shape (T, N, H)."),
          N_("h = h0; hs = []\nfor t in range(T):\n    h = np.tanh(x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)\n    hs.append(h)\n"
             "return np.stack(hs)"))),
    Part("bptt_full", N_("backpropagation through time over the whole sequence"), 3, _full_cases,
         (N_("Run the forward pass again to have every h_t, then walk t from T down to 1 carrying dL/dh_t."),
          N_("da_t = (dhs_t + carry) * (1 - h_t^2) is the pre-activation gradient (dhs_t + carry is delta_t = dL/dh_t); "
             "dW_ih += da_t^T x_t; dW_hh += da_t^T h_(t-1); db_ih += sum over N of da_t (db_hh the same); dx_t = da_t W_ih; "
             "carry = da_t W_hh; at the end dh0 = carry."),
          N_("hs = rnn_forward(...); prev = np.concatenate([h0[None], hs[:-1]])\ncarry = np.zeros_like(h0)\n"
             "for t in reversed(range(T)):\n    da = (dhs[t] + carry) * (1 - hs[t] ** 2)\n    dW_ih += da.T @ x[t]; dW_hh += da.T @ prev[t]\n"
             "    db_ih += da.sum(0); dx[t] = da @ W_ih\n    carry = da @ W_hh\ndh0 = carry"))),
    Part("bptt_truncated", N_("truncated backpropagation through time (chunks of k steps)"), 3, _truncated_cases,
         (N_("Truncation cuts the gradient where a chunk of k steps begins: the state is carried forward, but not differentiated through."),
          N_("Same recursion as the full BPTT, except that the carry dL/dh_t is set to zero when t is a multiple of k (t > 0, "
             "counting steps from 0): no gradient flows from step t into h_(t-1) there. dh0 only gets the gradient of the first chunk."),
          N_("for t in reversed(range(T)):\n    da = (dhs[t] + carry) * (1 - hs[t] ** 2)\n    ...  # as in full BPTT\n"
             "    carry = da @ W_hh\n    if truncate is not None and t % truncate == 0 and t > 0:\n        carry = np.zeros_like(carry)"))),
    Part("finite_differences", N_("your gradients agree with finite differences of your forward pass"), 2,
         lambda rng: [_finite_difference_case(rng)],
         (N_("The grader nudges each weight by a tiny eps, runs your rnn_forward twice and compares the slope with your rnn_backward."),
          N_("dL/dw is approximately (L(w + eps) - L(w - eps)) / (2 eps), with L = sum over t of <dhs_t, h_t>; this part passes when "
             "rnn_backward differentiates exactly the function rnn_forward computes."),
          N_("def L(W_hh):\n    return (rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh) * dhs).sum()\nE = np.zeros_like(W_hh); E[i, j] = 1e-6\n"
             "numeric = (L(W_hh + E) - L(W_hh - E)) / 2e-6   # compare with dW_hh[i, j]"))),
]
