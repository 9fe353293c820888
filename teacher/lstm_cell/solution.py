"""The teacher's solution of ``lstm_cell`` (never handed out)."""
import numpy as np


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _gates(x, h, W_ih, W_hh, b_ih, b_hh):
    zi, zf, zg, zo = np.split(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, 4, axis=1)
    return _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)


def lstm_cell_forward(x, h, c, W_ih, W_hh, b_ih, b_hh):
    i, f, g, o = _gates(x, h, W_ih, W_hh, b_ih, b_hh)
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_cell_backward(x, h, c, W_ih, W_hh, b_ih, b_hh, dh_new, dc_new):
    i, f, g, o = _gates(x, h, W_ih, W_hh, b_ih, b_hh)
    tc = np.tanh(f * c + i * g)
    dc_total = dc_new + dh_new * o * (1 - tc ** 2)
    dz = np.concatenate([dc_total * g * i * (1 - i), dc_total * c * f * (1 - f),
                         dc_total * i * (1 - g ** 2), dh_new * tc * o * (1 - o)], axis=1)
    db = dz.sum(axis=0)
    return dz @ W_ih, dz @ W_hh, dc_total * f, dz.T @ x, dz.T @ h, db, db.copy()
