"""Assignment attention_masks: scaled dot-product attention forward, with masks, by hand, with NumPy.

Shapes: q (N, L, d), k (N, S, d), v (N, S, dv); key_padding_mask (N, S) of bools, True at a padded
key, or None; causal: whether query i may only attend to keys j <= i. Read README.md (or README.zh.md)
for the maths. Use NumPy only. Check your work from the minigrad repository root with
``python -m pytest THIS_FOLDER -q``; ask for a hint with
``python -m lessons assignment hint attention_masks PART --level 1``.
"""
import numpy as np  # noqa: F401 (for your code)


def attention(q, k, v, key_padding_mask=None, causal=False):
    """softmax(q k^T / sqrt(d) + mask) v.

    Returns:
        (out, weights): out (N, L, dv) and the attention weights (N, L, S), each row summing to 1.
    """
    # TODO: scores, masks (-inf where not allowed), a softmax that does not overflow, then the weighted sum
    raise NotImplementedError("attention is not written yet")
