"""The teacher's solution of ``rnn_bptt`` (never handed out: ``python -m lessons assignment student`` leaves it out)."""
import numpy as np


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, hs = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        hs.append(h)
    return np.stack(hs)


def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, dhs, truncate=None):
    hs = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    prev = np.concatenate([h0[None], hs[:-1]])
    dx = np.zeros_like(x)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b_ih)
    carry = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        da = (dhs[t] + carry) * (1 - hs[t] ** 2)  # g_(a_t): the total gradient delta_t = dhs[t] + carry, times tanh'
        dW_ih += da.T @ x[t]
        dW_hh += da.T @ prev[t]
        db += da.sum(axis=0)
        dx[t] = da @ W_ih
        carry = da @ W_hh
        if truncate is not None and t > 0 and t % truncate == 0:
            carry = np.zeros_like(carry)
    return dx, carry, dW_ih, dW_hh, db, db.copy()
