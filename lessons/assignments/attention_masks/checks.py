r"""The graded parts of ``attention_masks``: scaled dot-product attention forward, with padding and causal
masks, and numerically stable at large scores.

Expected values come from ``minigrad.nn.functional.scaled_dot_product_attention`` (PyTorch's semantics)
with a boolean mask that allows key ``j`` for query ``i`` when ``j`` is not padding and, if causal,
``j <= i``.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from lessons.assignments.grading import N_, Part, call, expect

TITLE = N_("Scaled dot-product attention: padding and causal masks, stable softmax")
FUNCTIONS = ("attention",)


def reference(q: np.ndarray, k: np.ndarray, v: np.ndarray, key_padding_mask: np.ndarray | None = None, causal: bool = False) -> dict:
    L, S = q.shape[1], k.shape[1]
    allowed = np.ones((q.shape[0], L, S), dtype=bool)
    if key_padding_mask is not None:
        allowed &= ~key_padding_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones((L, S), dtype=bool))
    out, weights = mg.nn.functional.scaled_dot_product_attention(mg.tensor(q), mg.tensor(k), mg.tensor(v), attn_mask=mg.tensor(allowed),
                                                                 return_weights=True)
    return {"out": out.cpu().numpy(), "weights": weights.cpu().numpy()}


def _qkv(rng: np.random.Generator, N: int, L: int, S: int, d: int, dv: int, scale: float = 1.0) -> list:
    return [rng.standard_normal((N, L, d)) * scale, rng.standard_normal((N, S, d)) * scale, rng.standard_normal((N, S, dv))]


def _padding(rng: np.random.Generator, N: int, S: int) -> np.ndarray:
    """True marks padding; each sequence keeps at least its first key (a row with no key is not asked)."""
    lengths = rng.integers(1, S + 1, size=N)
    lengths[0] = max(1, S - 2)  # at least one sequence really padded
    return np.arange(S)[None, :] >= lengths[:, None]


def _case(rng: np.random.Generator, label: str, N: int, L: int, S: int, d: int, dv: int, padded: bool = False,
          causal: bool = False, scale: float = 1.0) -> object:
    q, k, v = _qkv(rng, N, L, S, d, dv, scale)
    mask = _padding(rng, N, S) if padded else None
    kwargs = {"key_padding_mask": mask, "causal": causal}
    return expect(label, call("attention", q, k, v, **kwargs), reference(q, k, v, mask, causal), rtol=1e-7, atol=1e-10)


def _plain(rng: np.random.Generator) -> list:
    return [_case(rng, "N=2, L=3, S=5, d=4, dv=6", 2, 3, 5, 4, 6), _case(rng, "N=1, L=1, S=1, d=2, dv=3", 1, 1, 1, 2, 3),
            _case(rng, "N=3, L=4, S=4, d=8, dv=2", 3, 4, 4, 8, 2)]


def _padded(rng: np.random.Generator) -> list:
    return [_case(rng, "N=3, L=4, S=5, padding", 3, 4, 5, 4, 3, padded=True),
            _case(rng, "N=2, L=2, S=6, padding", 2, 2, 6, 3, 2, padded=True)]


def _causal(rng: np.random.Generator) -> list:
    return [_case(rng, "N=2, L=S=5, causal", 2, 5, 5, 4, 3, causal=True),
            _case(rng, "N=1, L=3, S=5, causal", 1, 3, 5, 2, 2, causal=True),
            _case(rng, "N=3, L=S=4, causal and padding", 3, 4, 4, 4, 2, padded=True, causal=True)]


def _stable(rng: np.random.Generator) -> list:
    return [_case(rng, "scores near 1e4", 2, 3, 5, 4, 3, scale=100.0),
            _case(rng, "scores near 1e4, causal and padding", 2, 4, 4, 4, 3, padded=True, causal=True, scale=100.0)]


PARTS = [
    Part("unmasked", N_("attention without a mask: out = softmax(Q K^T / sqrt(d)) V"), 2, _plain,
         (N_("Scores first, (N, L, S): one batched matrix product of Q with K transposed on its last two axes."),
          N_("S = Q K^T / sqrt(d); P = softmax of S over the last axis (the keys); out = P V. Return (out, P)."),
          N_("scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])\nweights = softmax(scores)   # over axis -1\n"
             "return weights @ v, weights"))),
    Part("padding", N_("a key padding mask: padded keys get weight 0"), 2, _padded,
         (N_("A padded key must get exactly zero weight; set its score to -inf before the softmax."),
          N_("key_padding_mask has shape (N, S), True at padding; broadcast it to (N, 1, S) over the queries and set those "
             "scores to -inf: exp(-inf) = 0, so the other weights still sum to 1."),
          N_("if key_padding_mask is not None:\n    scores = np.where(key_padding_mask[:, None, :], -np.inf, scores)"))),
    Part("causal", N_("a causal mask: query i attends to keys j <= i"), 2, _causal,
         (N_("A query must not see the future: the keys after its own position are masked, like padding."),
          N_("Allowed pairs are the lower triangle of an (L, S) matrix, j <= i (np.tril, aligned at the top left as PyTorch's "
             "is_causal); combine it with the padding mask: a key is masked if either mask says so."),
          N_("if causal:\n    future = ~np.tril(np.ones((L, S), dtype=bool))\n    scores = np.where(future, -np.inf, scores)"))),
    Part("stability", N_("numerical stability at large scores (no overflow in exp)"), 2, _stable,
         (N_("exp(1000) is inf in float64, and inf / inf is nan: softmax must never exponentiate a large number."),
          N_("softmax(s) = softmax(s - m) for any constant m; take m = the largest score of the row, so every exponent is <= 0 "
             "and the largest term is exactly 1."),
          N_("m = scores.max(axis=-1, keepdims=True)\ne = np.exp(scores - m)\nweights = e / e.sum(axis=-1, keepdims=True)"))),
]
