"""Assignment rnn_bptt: an Elman RNN's forward pass and backpropagation through time, by hand, with NumPy.

Shapes (PyTorch's layout): x (T, N, D) — T steps, a batch of N, D inputs; h0 (N, H); W_ih (H, D);
W_hh (H, H); b_ih, b_hh (H,). Read README.md (or README.zh.md) for the maths. Use NumPy only: no
minigrad, no autograd. Check your work from the minigrad repository root with

    python -m pytest THIS_FOLDER -q

and ask for a hint with ``python -m lessons assignment hint rnn_bptt PART --level 1``.
"""
import numpy as np  # noqa: F401 (for your code)


def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    """Every hidden state: ``hs[t] = tanh(x[t] @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)``.

    Returns:
        hs, an array of shape (T, N, H): h_1 ... h_T (h0 is not included).
    """
    # TODO: loop over the T steps
    raise NotImplementedError("rnn_forward is not written yet")


def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, dhs, truncate=None):
    """Backpropagation through time for L = sum over t of <dhs[t], h_t>.

    Args:
        dhs: (T, N, H), the gradient of the loss with respect to each h_t from the layers above
            (not the part that flows back from later steps: that is yours to add).
        truncate: None for full BPTT; k for truncated BPTT in chunks of k steps (no gradient flows
            from step t into h_(t-1) when t is a positive multiple of k).

    Returns:
        (dx, dh0, dW_ih, dW_hh, db_ih, db_hh), each of the shape of its input.
    """
    # TODO: run the forward pass, then walk back from t = T-1 to 0 carrying dL/dh_t
    raise NotImplementedError("rnn_backward is not written yet")
