"""Assignment multihead_heads: multi-head attention's heads and projections, by hand, with NumPy.

Layout as ``nn.MultiheadAttention(E, H, batch_first=True)``: query (N, L, E), key and value (N, S, E);
in_proj_weight (3E, E) = [W_q; W_k; W_v], in_proj_bias (3E,), out_proj_weight (E, E), out_proj_bias (E,).
Read README.md (or README.zh.md) for the maths. Use NumPy only. Check your work from the minigrad
repository root with ``python -m pytest THIS_FOLDER -q``; ask for a hint with
``python -m lessons assignment hint multihead_heads PART --level 1``.
"""
import numpy as np


def scaled_attention(q, k, v, mask=None):
    """Given: attention over the last two axes of (..., L, d) arrays; ``mask`` True where not allowed
    (broadcast to (..., L, S)). Returns (out, weights)."""
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, -np.inf, scores)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def split_heads(x, num_heads):
    """(N, T, E) -> (N, num_heads, T, E // num_heads): head h gets features h*d ... (h+1)*d - 1."""
    raise NotImplementedError("split_heads is not written yet")


def merge_heads(x):
    """(N, H, T, d) -> (N, T, H * d): the inverse of split_heads."""
    raise NotImplementedError("merge_heads is not written yet")


def in_projection(query, key, value, in_proj_weight, in_proj_bias):
    """(q, k, v): query, key and value projected by their slices of in_proj_weight and in_proj_bias."""
    raise NotImplementedError("in_projection is not written yet")


def multihead_attention(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                        key_padding_mask=None):
    """The layer's forward pass. key_padding_mask: (N, S) bools, True at padding, or None.

    Returns:
        (out, weights): out (N, L, E), and the attention weights averaged over the heads (N, L, S).
    """
    raise NotImplementedError("multihead_attention is not written yet")
