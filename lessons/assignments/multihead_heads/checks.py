r"""The graded parts of ``multihead_heads``: multi-head attention's split and merge of heads and its
projections in PyTorch's layout, against ``minigrad.nn.MultiheadAttention`` (batch first).
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from lessons.assignments.grading import N_, Part, call, expect

TITLE = N_("Multi-head attention: splitting and merging heads, projections in PyTorch's layout")
FUNCTIONS = ("split_heads", "merge_heads", "in_projection", "multihead_attention")


def weights(rng: np.random.Generator, E: int) -> list:
    """in_proj_weight (3E, E), in_proj_bias (3E,), out_proj_weight (E, E), out_proj_bias (E,)."""
    s = 1 / np.sqrt(E)
    return [rng.uniform(-s, s, (3 * E, E)), rng.uniform(-s, s, 3 * E), rng.uniform(-s, s, (E, E)), rng.uniform(-s, s, E)]


def module(E: int, H: int, params: list) -> mg.nn.MultiheadAttention:
    m = mg.nn.MultiheadAttention(E, H, batch_first=True, dtype=mg.float64)
    for p, a in zip((m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias), params):
        p.data[...] = a
    return m


def _split_cases(rng: np.random.Generator) -> list:
    cases = []
    for N, T, E, H in ((2, 3, 8, 2), (1, 4, 6, 3), (2, 2, 4, 1), (1, 3, 4, 4)):
        x = rng.standard_normal((N, T, E))
        heads = mg.tensor(x).reshape(N, T, H, E // H).permute(0, 2, 1, 3).cpu().numpy()
        cases.append(expect(f"x (N={N}, T={T}, E={E}), num_heads={H}", call("split_heads", x, H), {"heads": heads}))
    return cases


def _merge_cases(rng: np.random.Generator) -> list:
    cases = []
    for N, H, T, d in ((2, 2, 3, 4), (1, 3, 4, 2), (2, 1, 2, 4), (3, 4, 1, 1)):
        x = rng.standard_normal((N, H, T, d))
        merged = mg.tensor(x).permute(0, 2, 1, 3).reshape(N, T, H * d).cpu().numpy()
        cases.append(expect(f"x (N={N}, H={H}, T={T}, d={d})", call("merge_heads", x), {"merged": merged}))
    return cases


def _projection_cases(rng: np.random.Generator) -> list:
    cases = []
    for N, L, S, E in ((2, 3, 3, 4), (1, 2, 5, 6)):
        query, key, value = rng.standard_normal((N, L, E)), rng.standard_normal((N, S, E)), rng.standard_normal((N, S, E))
        w, b = weights(rng, E)[:2]
        F = mg.nn.functional
        expected = {name: F.linear(mg.tensor(t), mg.tensor(w[i * E : (i + 1) * E]), mg.tensor(b[i * E : (i + 1) * E])).cpu().numpy()
                    for i, (name, t) in enumerate((("q", query), ("k", key), ("v", value)))}
        cases.append(expect(f"N={N}, L={L}, S={S}, E={E}", call("in_projection", query, key, value, w, b), expected))
    return cases


def _forward_cases(rng: np.random.Generator) -> list:
    cases = []
    for N, L, S, E, H, padded in ((2, 3, 3, 8, 2, False), (1, 2, 4, 6, 3, False), (2, 4, 5, 4, 2, True), (3, 3, 3, 4, 4, True)):
        query = rng.standard_normal((N, L, E))
        key = query if L == S and not padded else rng.standard_normal((N, S, E))
        value = key if L == S and not padded else rng.standard_normal((N, S, E))
        params = weights(rng, E)
        mask = None
        if padded:
            lengths = np.maximum(1, rng.integers(1, S + 1, size=N))
            lengths[0] = S - 1
            mask = np.arange(S)[None, :] >= lengths[:, None]
        with mg.no_grad():
            out, avg = module(E, H, params)(mg.tensor(query), mg.tensor(key), mg.tensor(value),
                                            key_padding_mask=None if mask is None else mg.tensor(mask))
        label = f"N={N}, L={L}, S={S}, E={E}, num_heads={H}" + (", key_padding_mask" if padded else "")
        cases.append(expect(label, call("multihead_attention", query, key, value, H, *params, key_padding_mask=mask),
                            {"out": out.cpu().numpy(), "weights": avg.cpu().numpy()}))
    return cases


PARTS = [
    Part("split_heads", N_("split the embedding into heads: (N, T, E) -> (N, H, T, E/H)"), 2, _split_cases,
         (N_("Head h owns the columns h*d ... (h+1)*d - 1 of the embedding (d = E / H): first cut the last axis, then move the head axis forward."),
          N_("reshape (N, T, E) to (N, T, H, d), then transpose to (N, H, T, d); a reshape alone to (N, H, T, d) would mix time steps into heads."),
          N_("N, T, E = x.shape\nreturn x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)"))),
    Part("merge_heads", N_("merge the heads back: (N, H, T, d) -> (N, T, H*d)"), 2, _merge_cases,
         (N_("merge_heads undoes split_heads: merge_heads(split_heads(x, H)) must give x back."),
          N_("transpose (N, H, T, d) to (N, T, H, d), then reshape to (N, T, H*d): the heads are concatenated along the features."),
          N_("N, H, T, d = x.shape\nreturn x.transpose(0, 2, 1, 3).reshape(N, T, H * d)"))),
    Part("in_projection", N_("the input projections from in_proj_weight (3E, E) and in_proj_bias (3E,)"), 2, _projection_cases,
         (N_("PyTorch stacks the three projection matrices in one (3E, E) parameter: W_q on top, then W_k, then W_v."),
          N_("q = query W_q^T + b_q with W_q = in_proj_weight[0:E] and b_q = in_proj_bias[0:E]; k uses rows E:2E, v rows 2E:3E. "
             "A Linear layer's weight is (out, in), hence the transpose."),
          N_("E = query.shape[-1]\nW_q, W_k, W_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]\n"
             "b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]\n"
             "return query @ W_q.T + b_q, key @ W_k.T + b_k, value @ W_v.T + b_v"))),
    Part("forward", N_("the whole layer, as nn.MultiheadAttention(batch_first=True): output and head-averaged weights"), 4,
         _forward_cases,
         (N_("Project, split into heads, attend in every head at once (the given scaled_attention works on (N, H, L, d)), merge, "
             "and apply the output projection."),
          N_("out = merge(attention(split(q), split(k), split(v))) W_out^T + b_out, with scale 1/sqrt(d) for d = E/H (not E); "
             "the weights returned are the mean over the heads, (N, L, S); a padded key is masked in every head."),
          N_("q, k, v = in_projection(query, key, value, in_proj_weight, in_proj_bias)\n"
             "q, k, v = (split_heads(t, num_heads) for t in (q, k, v))\n"
             "mask = None if key_padding_mask is None else key_padding_mask[:, None, None, :]\n"
             "out, w = scaled_attention(q, k, v, mask)\n"
             "return merge_heads(out) @ out_proj_weight.T + out_proj_bias, w.mean(axis=1)"))),
]
