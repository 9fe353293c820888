r"""The graded parts of ``lstm_cell``: one LSTM step forward and backward, by hand.

The forward pass is compared with ``minigrad.nn.LSTMCell`` (PyTorch's gate order and weight layout),
the gradients with minigrad's autograd over the cell composed of its ops.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minigrad as mg
from lessons.assignments.grading import N_, Part, call, expect, expect_each

TITLE = N_("LSTM cell: forward and backward by hand")
FUNCTIONS = ("lstm_cell_forward", "lstm_cell_backward")
GRADS = ("dx", "dh", "dc", "dW_ih", "dW_hh", "db_ih", "db_hh")


def inputs(rng: np.random.Generator, N: int, D: int, H: int) -> list:
    """x, h, c, W_ih, W_hh, b_ih, b_hh."""
    s = 1 / np.sqrt(H)
    return [rng.standard_normal((N, D)), rng.standard_normal((N, H)) * 0.5, rng.standard_normal((N, H)),
            rng.uniform(-s, s, (4 * H, D)), rng.uniform(-s, s, (4 * H, H)), rng.uniform(-s, s, 4 * H), rng.uniform(-s, s, 4 * H)]


def forward_reference(arrays: list) -> dict:
    """``h'`` and ``c'`` from ``minigrad.nn.LSTMCell`` with these weights."""
    x, h, c, W_ih, W_hh, b_ih, b_hh = arrays
    cell = mg.nn.LSTMCell(x.shape[1], h.shape[1], dtype=mg.float64)
    for p, a in ((cell.weight_ih, W_ih), (cell.weight_hh, W_hh), (cell.bias_ih, b_ih), (cell.bias_hh, b_hh)):
        p.data[...] = a
    with mg.no_grad():
        h1, c1 = cell(mg.tensor(x), (mg.tensor(h), mg.tensor(c)))
    return {"h_new": h1.cpu().numpy(), "c_new": c1.cpu().numpy()}


def backward_reference(arrays: list, dh_new: np.ndarray, dc_new: np.ndarray) -> dict:
    r"""Gradients of :math:`L = \langle dh', h'\rangle + \langle dc', c'\rangle` by autograd."""
    leaves = [mg.tensor(a, dtype=mg.float64, requires_grad=True) for a in arrays]
    x, h, c, W_ih, W_hh, b_ih, b_hh = leaves
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
    c1 = i.sigmoid() * g.tanh() + f.sigmoid() * c
    h1 = o.sigmoid() * c1.tanh()
    ((h1 * mg.tensor(dh_new)).sum() + (c1 * mg.tensor(dc_new)).sum()).backward()
    return {n: t.grad.cpu().numpy() for n, t in zip(GRADS, leaves)}


def _forward_cases(rng: np.random.Generator) -> list:
    cases = []
    for N, D, H in ((2, 3, 4), (1, 2, 1), (3, 5, 2)):
        arrays = inputs(rng, N, D, H)
        cases.append(expect(f"N={N}, D={D}, H={H}", call("lstm_cell_forward", *arrays), forward_reference(arrays)))
    arrays = inputs(rng, 2, 3, 3)
    arrays[1], arrays[2] = np.zeros_like(arrays[1]), np.zeros_like(arrays[2])
    cases.append(expect("h = c = 0", call("lstm_cell_forward", *arrays), forward_reference(arrays)))
    return cases


def _backward_cases(names: tuple) -> Callable:
    def cases(rng: np.random.Generator) -> list:
        out = []
        for N, D, H, which in ((2, 3, 4, "both"), (3, 2, 2, "dh'"), (2, 2, 3, "dc'"), (1, 1, 1, "both")):
            arrays = inputs(rng, N, D, H)
            dh_new, dc_new = rng.standard_normal((N, H)), rng.standard_normal((N, H))
            if which == "dh'":
                dc_new[:] = 0
            elif which == "dc'":
                dh_new[:] = 0
            grads = backward_reference(arrays, dh_new, dc_new)
            label = f"N={N}, D={D}, H={H}" + ("" if which == "both" else f", only {which} nonzero")
            out.append(expect_each(label, call("lstm_cell_backward", *arrays, dh_new, dc_new), grads, only=names))
        return out

    return cases


PARTS = [
    Part("forward", N_("the gates (i, f, g, o) and the new state (h', c')"), 3, _forward_cases,
         (N_("One matrix product gives all four gates at once; the rows of W_ih come in the order i, f, g, o."),
          N_("z = x W_ih^T + b_ih + h W_hh^T + b_hh, split into four blocks of H columns: i = sigmoid(z_i), f = sigmoid(z_f), "
             "g = tanh(z_g), o = sigmoid(z_o); c' = f * c + i * g; h' = o * tanh(c')."),
          N_("z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh\nzi, zf, zg, zo = np.split(z, 4, axis=1)\n"
             "i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)\nc_new = f * c + i * g\nh_new = o * np.tanh(c_new)"))),
    Part("backward_states", N_("the gradients of the input and of the incoming states (dx, dh, dc)"), 3,
         _backward_cases(("dx", "dh", "dc")),
         (N_("Go backwards through the forward pass: first dc' in total (it also receives a share of dh'), then each gate."),
          N_("dc_total = dc' + dh' * o * (1 - tanh(c')^2); do = dh' * tanh(c'); di = dc_total * g; dg = dc_total * i; "
             "df = dc_total * c; dc = dc_total * f; dz = [di * i(1-i), df * f(1-f), dg * (1-g^2), do * o(1-o)]; "
             "dx = dz W_ih; dh = dz W_hh."),
          N_("tc = np.tanh(c_new)\ndc_total = dc_new + dh_new * o * (1 - tc ** 2)\n"
             "dz = np.concatenate([dc_total * g * i * (1 - i), dc_total * c * f * (1 - f),\n"
             "                     dc_total * i * (1 - g ** 2), dh_new * tc * o * (1 - o)], axis=1)\n"
             "dx, dh, dc = dz @ W_ih, dz @ W_hh, dc_total * f"))),
    Part("backward_weights", N_("the gradients of the weights and biases (dW_ih, dW_hh, db_ih, db_hh)"), 3,
         _backward_cases(("dW_ih", "dW_hh", "db_ih", "db_hh")),
         (N_("Once you have dz, the gradient of the pre-activations (N, 4H), the weights are one product each."),
          N_("dW_ih = dz^T x (shape (4H, D)); dW_hh = dz^T h (shape (4H, H)); db_ih = db_hh = the sum of dz over the batch."),
          N_("dW_ih = dz.T @ x\ndW_hh = dz.T @ h\ndb_ih = dz.sum(axis=0)\ndb_hh = db_ih.copy()\n"
             "return dx, dh, dc, dW_ih, dW_hh, db_ih, db_hh"))),
]
