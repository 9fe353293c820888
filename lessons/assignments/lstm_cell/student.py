"""Assignment lstm_cell: one LSTM step, forward and backward, by hand, with NumPy.

Shapes (PyTorch's layout, gates in the order i, f, g, o): x (N, D); h, c (N, H); W_ih (4H, D);
W_hh (4H, H); b_ih, b_hh (4H,). Read README.md (or README.zh.md) for the maths. Use NumPy only.
Check your work from the minigrad repository root with ``python -m pytest THIS_FOLDER -q``; ask for a
hint with ``python -m lessons assignment hint lstm_cell PART --level 1``.
"""
import numpy as np


def sigmoid(z):
    """Given: the logistic function."""
    return 1 / (1 + np.exp(-z))


def lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step: returns ``(h_new, c_new)``, each (N, H)."""
    # TODO: the four gates from one product, then c_new = f * c + i * g and h_new = o * tanh(c_new)
    raise NotImplementedError("lstm_cell_forward is not written yet")


def lstm_cell_backward(x, h, c, W_ih, W_hh, b_ih, b_hh, dh_new, dc_new):
    """Gradients of L = <dh_new, h_new> + <dc_new, c_new>.

    Returns:
        (dx, dh, dc, dW_ih, dW_hh, db_ih, db_hh), each of the shape of its input.
    """
    # TODO: recompute the gates, then go backwards: dc_total, the gate gradients dz (N, 4H), then products
    raise NotImplementedError("lstm_cell_backward is not written yet")
