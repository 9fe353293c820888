r"""``MultiheadAttention`` with PyTorch's arguments, parameter names and mask conventions.

Shapes (``batch_first=False``; swap the first two for ``batch_first=True``):
query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)``. Per head :math:`h` with
:math:`d = E / H`:

.. math::
    Q_h = X_q W^Q_h{}^\top + b^Q_h,\quad K_h = X_k W^K_h{}^\top + b^K_h,\quad V_h = X_v W^V_h{}^\top + b^V_h,\\
    \mathrm{head}_h = \mathrm{softmax}\!\big(Q_h K_h^\top / \sqrt d + M\big)\, V_h,\qquad
    \mathrm{out} = [\mathrm{head}_1, \ldots, \mathrm{head}_H]\, W^O{}^\top + b^O.

Unlike ``scaled_dot_product_attention``, a boolean ``attn_mask`` or ``key_padding_mask`` marks with
True the positions that may **not** be attended to (PyTorch's convention for this module), and a
query whose keys are all masked gets NaN, as in PyTorch.
"""
from __future__ import annotations

import math
from typing import Any

import numpy

from .. import backend, creation
from ..ops.common import ShapeError
from ..tensor import Tensor
from . import init
from .functional import ScaledDotProductAttention, linear
from .linear import NonDynamicallyQuantizableLinear
from .module import Module, Parameter


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017, Section 3.2.2).

    Parameters (PyTorch's names and layout): ``in_proj_weight`` ``(3E, E)`` holding :math:`W^Q; W^K; W^V`
    (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from E),
    ``in_proj_bias`` ``(3E,)``, and ``out_proj`` (a ``Linear(E, E)``).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, add_bias_kv: bool = False,
                 add_zero_attn: bool = False, kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be positive, got {embed_dim} and {num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported by minigrad")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        kw = dict(device=device, dtype=dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Xavier-uniform projections and zero biases, as PyTorch."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    # ------------------------------------------------------------ helpers
    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple:
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
        if self._qkv_same_embed_dim:
            if query is key and key is value:  # self-attention: one product for Q, K and V
                return linear(query, self.in_proj_weight, b).chunk(3, dim=-1)
            w = self.in_proj_weight
            return linear(query, w[:E], bq), linear(key, w[E : 2 * E], bk), linear(value, w[2 * E :], bv)
        return (linear(query, self.q_proj_weight, bq), linear(key, self.k_proj_weight, bk), linear(value, self.v_proj_weight, bv))

    def _float_mask(self, name: str, mask: Tensor | None, expected: list, dtype: Any) -> Any:
        """A mask as an additive float array (-inf where a bool mask is True)."""
        if mask is None:
            return None
        if tuple(mask.shape) not in [tuple(e) for e in expected]:
            raise ShapeError(f"MultiheadAttention: {name} of shape {tuple(mask.shape)} does not fit; expected "
                             + " or ".join(str(tuple(e)) for e in expected))
        if mask.dtype == numpy.bool_:
            xp = mask.device.xp
            return xp.where(mask._data, -xp.inf, 0).astype(dtype)
        if mask.dtype.kind == "f":
            return mask._data.astype(dtype, copy=False)
        raise TypeError(f"MultiheadAttention: {name} must be bool (True = not allowed) or float (added to the scores), got {mask.dtype}")

    # ------------------------------------------------------------ forward
    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            key_padding_mask: ``(N, S)``; True (or -inf) marks padding keys to ignore.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; True (or -inf) marks forbidden pairs.
            need_weights: also return the attention weights (after dropout, as PyTorch).
            average_attn_weights: average the returned weights over heads (``(N, L, S)``) or not
                (``(N, num_heads, L, S)``).
            is_causal: a hint that ``attn_mask`` is the causal mask; ``attn_mask`` must still be given.

        Returns:
            ``(attn_output, attn_weights or None)``.
        """
        E, H, d = self.embed_dim, self.num_heads, self.head_dim
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: need attn_mask if specifying the is_causal hint")
        batched = query.ndim == 3
        for name, t, size in (("query", query, E), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.ndim != query.ndim or t.ndim not in (2, 3):
                raise ShapeError(f"MultiheadAttention: query, key and value must all be 3-d (batched) or 2-d (unbatched), got "
                                 f"shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
            if t._data.shape[-1] != size:  # plain tuples below: Size's indexing runs in Python
                raise ShapeError(f"MultiheadAttention: expected {name} with last dimension {size}, got shape {tuple(t.shape)}")
        # Work in the layout given (batch-first or sequence-first): transposing the (N, T, E) inputs and
        # the output would copy them and hand the projections strided arrays.
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        seq, bat = (1, 0) if batched and self.batch_first else (0, 1)
        qs, ks, vs = query._data.shape, key._data.shape, value._data.shape
        L, N, S = qs[seq], qs[bat], ks[seq]
        if vs[seq] != S or ks[bat] != N or vs[bat] != N:
            layout = "batch-first" if seq else "sequence-first"
            raise ShapeError(f"MultiheadAttention: key {tuple(key.shape)} and value {tuple(value.shape)} must share the "
                             f"sequence length and the batch size of the query {tuple(query.shape)} ({layout} here)")
        q, k, v = self._project(query, key, value)
        # (T, N, E) or (N, T, E) -> (N, H, T, d)
        heads = (1, 2, 0, 3) if seq == 0 else (0, 2, 1, 3)
        q = q.reshape(*q._data.shape[:2], H, d).permute(*heads)
        k = k.reshape(*k._data.shape[:2], H, d).permute(*heads)
        v = v.reshape(*v._data.shape[:2], H, d).permute(*heads)
        dtype = q.dtype
        am = self._float_mask("attn_mask", attn_mask, [(L, S), (N * H, L, S)], dtype)
        if am is not None and am.ndim == 3:
            am = am.reshape(N, H, L, S)
        kpm = self._float_mask("key_padding_mask", key_padding_mask, [(N, S)], dtype)
        if kpm is not None:
            kpm = kpm.reshape(N, 1, 1, S)
        additive = kpm if am is None else (am if kpm is None else am + kpm)
        keep = None
        if self.training and self.dropout > 0:
            g = backend.generator(q.device)
            keep = (g.random((N, H, L, S), dtype=dtype) >= self.dropout).astype(dtype) / (1 - self.dropout)
        # need_weights=False is PyTorch's scaled_dot_product_attention (a fully masked query attends to
        # nothing: zeros); need_weights=True its explicit softmax (NaN there)
        out, weights = ScaledDotProductAttention(1 / math.sqrt(d), additive, None, keep, safe=not need_weights).apply(q, k, v)
        # concatenate the heads, back in the input's layout
        out = out.permute(2, 0, 1, 3).reshape(L, N, E) if seq == 0 else out.permute(0, 2, 1, 3).reshape(N, L, E)
        out = linear(out, self.out_proj.weight, self.out_proj.bias)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights
