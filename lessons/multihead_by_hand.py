# %% [markdown]
# # Multi-head attention by hand: splitting into heads and merging them back
#
# Document 001 §4.2 announces two heads and never uses them; document 000 §4.3 calls
# `nn.MultiheadAttention(d_model, n_heads)` without saying what the heads are. This lesson works two heads
# by hand on a sequence of $T = 2$ tokens with $d_{model} = 4$, so each head has width
# $d_k = d_{model}/h = 2$. It starts from the projected queries, keys and values $Q, K, V$ ($T \times
# d_{model}$; the projections $W^Q, W^K, W^V$ are ordinary linear layers, see `attention_by_hand`).
# In the symbols of the [table of symbols](../notation.md):
#
# 1. **Split.** Head $h$ takes its own $d_k$ columns: $Q^{(1)} = Q_{:,1:2}$, $Q^{(2)} = Q_{:,3:4}$, and the same
#    for $K$ and $V$. No arithmetic: each head looks at a different part of every token's features.
# 2. **Attend, per head.** $S^{(h)} = Q^{(h)}K^{(h)\top}/\sqrt{d_k}$, $P^{(h)} = \mathrm{softmax}(S^{(h)})$ by
#    rows, $O^{(h)} = P^{(h)}V^{(h)}$, exactly as with one head but on width $d_k$. The names are
#    `S1_12` for $S^{(1)}_{12}$ (head 1, query 1, key 2), `O2_21` for $O^{(2)}_{21}$.
# 3. **Merge.** Concatenate the heads' outputs along the features, head 1 first:
#    $Y = [O^{(1)}\ O^{(2)}]$ ($T \times d_{model}$), so `Y_13` is `O2_11`.
# 4. **Mix.** The output projection $Z = Y W_O^\top$ (`out_proj`, $Z_{ic} = \sum_k W_{O,ck} Y_{ik}$) lets
#    every output feature use every head.
#
# *Why heads.* One softmax row can only put its weight in one pattern; $h$ heads of width $d/h$ cost
# the same arithmetic as one head of width $d$ and give $h$ independent patterns (one head may look at the
# previous token, another at a matching one). The example is chosen so the two heads of token 1 attend
# differently.
#
# In code the split is a reshape and a transpose, $(B, T, d_{model}) \to (B, T, h, d_k) \to (B, h, T,
# d_k)$, and the merge undoes it; the lesson prints the shape after each step. The assignment
# `multihead_heads` practises exactly this: `python -m lessons assignment student multihead_heads handout/multihead_heads`.

# %%
from __future__ import annotations

import minigrad as mg
from lessons.common import Step, WorkedExample
from lessons.i18n import domain

SUMMARY = "Two attention heads by hand on two tokens: split, attend, merge, out_proj, against nn.MultiheadAttention"
SOURCE = "001 §4.2; 000 §4.3 (extension)"
_ = domain("lessons")
T, D, HEADS = 2, 4, 2
DK = D // HEADS
POS, HS, SUB, FEAT = range(1, T + 1), range(1, HEADS + 1), range(1, DK + 1), range(1, D + 1)


def _col(h: int, c: int) -> int:
    """The column of the d_model-wide matrix that is column c of head h (both from 1)."""
    return (h - 1) * DK + c


def example(Q: tuple[float, float, float, float, float, float, float, float] = (1.0, 0.0, 0.0, 2.0, 0.0, 1.0, 1.0, 0.0),
            K: tuple[float, float, float, float, float, float, float, float] = (1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0),
            V: tuple[float, float, float, float, float, float, float, float] = (1.0, 2.0, 0.0, 1.0, 3.0, 0.0, 2.0, -1.0),
            W_O: tuple[float, ...] = (1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0)) -> WorkedExample:
    """Two-head attention of two tokens with d_model = 4, every intermediate by name.

    ``Q``, ``K``, ``V`` are 2x4 matrices row by row (one row per token); ``W_O`` is the 4x4 output
    projection row by row (``out_proj.weight``: Z = Y W_O^T).
    """
    for name, m, n in (("Q", Q, T * D), ("K", K, T * D), ("V", V, T * D), ("W_O", W_O, D * D)):
        if len(m) != n:
            raise ValueError(f"{name} takes {n} numbers (row by row); got {len(m)}")
    inputs = {"d_k": float(DK)}
    for name, m in (("Q", Q), ("K", K), ("V", V)):
        inputs.update({f"{name}_{i}{c}": float(m[D * (i - 1) + (c - 1)]) for i in POS for c in FEAT})
    inputs.update({f"W_O_{r}{c}": float(W_O[D * (r - 1) + (c - 1)]) for r in FEAT for c in FEAT})
    steps = []
    for h in HS:
        q = lambda v, i, c, h=h: v[f"Q_{i}{_col(h, c)}"]  # noqa: E731
        k = lambda v, j, c, h=h: v[f"K_{j}{_col(h, c)}"]  # noqa: E731
        steps += [Step(f"S{h}_{i}{j}", lambda v, i=i, j=j, q=q, k=k: (q(v, i, 1) * k(v, j, 1) + q(v, i, 2) * k(v, j, 2)) / mg.sqrt(v["d_k"]))
                  for i in POS for j in POS]
        for i in POS:
            steps.append(Step(f"m{h}_{i}", lambda v, i=i, h=h: mg.stack([v[f"S{h}_{i}{j}"] for j in POS]).amax()))
            steps += [Step(f"e{h}_{i}{j}", lambda v, i=i, j=j, h=h: mg.exp(v[f"S{h}_{i}{j}"] - v[f"m{h}_{i}"])) for j in POS]
            steps.append(Step(f"z{h}_{i}", lambda v, i=i, h=h: v[f"e{h}_{i}1"] + v[f"e{h}_{i}2"]))
            steps += [Step(f"P{h}_{i}{j}", lambda v, i=i, j=j, h=h: v[f"e{h}_{i}{j}"] / v[f"z{h}_{i}"]) for j in POS]
        steps += [Step(f"O{h}_{i}{c}", lambda v, i=i, c=c, h=h: v[f"P{h}_{i}1"] * v[f"V_1{_col(h, c)}"] + v[f"P{h}_{i}2"] * v[f"V_2{_col(h, c)}"])
                  for i in POS for c in SUB]
    steps += [Step(f"Y_{i}{_col(h, c)}", lambda v, i=i, c=c, h=h: v[f"O{h}_{i}{c}"].clone()) for i in POS for h in HS for c in SUB]
    steps += [Step(f"Z_{i}{r}", lambda v, i=i, r=r: v[f"W_O_{r}1"] * v[f"Y_{i}1"] + v[f"W_O_{r}2"] * v[f"Y_{i}2"]
                   + v[f"W_O_{r}3"] * v[f"Y_{i}3"] + v[f"W_O_{r}4"] * v[f"Y_{i}4"]) for i in POS for r in FEAT]
    return WorkedExample(inputs, steps, {})


def draw_variant(rng) -> dict:
    """Inputs for an exam variant: whole numbers from -2 to 2 and an output projection of 0s and 1s; the two heads
    of token 1 put their largest weight on different keys."""
    while True:
        kw = {name: tuple(float(a) for a in rng.integers(-2, 3, size=T * D)) for name in "QKV"}
        kw["W_O"] = tuple(float(a) for a in rng.integers(0, 2, size=D * D))
        v = example(**kw).evaluate()
        if all(abs(v[f"P{h}_11"] - 0.5) > 0.1 for h in HS) and (v["P1_11"] > 0.5) != (v["P2_11"] > 0.5):
            return kw


def matrix(values: dict, name: str, rows: int, cols: int):
    return mg.tensor([[values[f"{name}_{i}{c}"] for c in range(1, cols + 1)] for i in range(1, rows + 1)], dtype=mg.float64)


def with_tensors(values: dict) -> tuple:
    """The same computation with reshapes and transposes, the shape after each step; and nn.MultiheadAttention's output."""
    Q, K, V = (matrix(values, n, T, D).unsqueeze(0) for n in "QKV")  # (B = 1, T, d_model)
    shapes = [("Q", tuple(Q.shape))]
    split = lambda x: x.reshape(1, T, HEADS, DK).transpose(1, 2)  # noqa: E731
    q, k, v = split(Q), split(K), split(V)
    shapes.append(("Q.reshape(B, T, h, d_k)", (1, T, HEADS, DK)))
    shapes.append(("... .transpose(1, 2)", tuple(q.shape)))
    S = q @ k.transpose(-2, -1) / mg.sqrt(mg.tensor(float(DK), dtype=mg.float64))
    shapes.append(("S = q k^T / sqrt(d_k)", tuple(S.shape)))
    P = mg.softmax(S, dim=-1)
    O = P @ v
    shapes.append(("O = P v", tuple(O.shape)))
    Y = O.transpose(1, 2).reshape(1, T, D)
    shapes.append(("Y = O.transpose(1, 2).reshape(B, T, d_model)", tuple(Y.shape)))
    W_O = matrix(values, "W_O", D, D)
    Z = Y @ W_O.T
    shapes.append(("Z = Y W_O^T", tuple(Z.shape)))
    mha = mg.nn.MultiheadAttention(D, HEADS, bias=False, batch_first=True).double()
    with mg.no_grad():
        mha.in_proj_weight.copy_(mg.cat([mg.eye(D, dtype=mg.float64)] * 3, dim=0))  # W^Q = W^K = W^V = I: the inputs are Q, K, V
        mha.out_proj.weight.copy_(W_O)
        ref, weights = mha(Q, K, V, need_weights=True, average_attn_weights=False)
    return shapes, Z[0], P[0], ref[0], weights[0]


# %%
def run(ctx) -> dict:
    ex = example()
    values = ex.evaluate()
    ctx.section(_("Two heads of two tokens, by hand"))
    ctx.show(ex.steps_text())
    shapes, Z, P, ref, weights = with_tensors(values)
    ctx.section(_("The same with tensors: the shape after each step"))
    ctx.show("\n".join(f"{what:48s} {shape}" for what, shape in shapes))
    hand = matrix(values, "Z", T, D)
    diff = max(float((hand - ref).abs().amax().item()), float((Z - ref).abs().amax().item()), float((P - weights).abs().amax().item()))
    ctx.show(_("nn.MultiheadAttention(4, 2, bias=False, batch_first=True) with W^Q = W^K = W^V = I and out_proj.weight = W_O "
               "gives {ref}; largest difference from the hand values and the reshape version: {diff:.1e}").format(
        ref=[[round(float(a), 6) for a in row] for row in ref.cpu().numpy()], diff=diff))
    ctx.show(_("Token 1's weights: head 1 ({p1}), head 2 ({p2}): the two heads look at different keys.").format(
        p1=", ".join(f"{values[f'P1_1{j}']:.4f}" for j in POS), p2=", ".join(f"{values[f'P2_1{j}']:.4f}" for j in POS)))
    return {"values": values, "example": ex, "difference": diff, "shapes": shapes}


# %% [markdown]
# ## Exercises
#
# 1. Which columns of $Q$, $K$ and $V$ does head 2 use? Compute its weights for token 1 and check them:
#    `python -m lessons check multihead_by_hand P2_11=... P2_12=...`.
# 2. In the merge, where does $O^{(2)}_{21}$ go? Check with `Y_23=...`.
# 3. Merge by stacking the heads the wrong way (`O.reshape(B, T, d_model)` without the transpose): which entries of
#    $Y$ are wrong?
# 4. One head of width 4 on the same $Q$, $K$, $V$: is the output the same as the two heads merged? Why not?


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    v = example().evaluate()
    Q, K, V = (matrix(v, n, T, D).unsqueeze(0) for n in "QKV")
    O = mg.softmax(Q.reshape(1, T, HEADS, DK).transpose(1, 2) @ K.reshape(1, T, HEADS, DK).transpose(1, 2).transpose(-2, -1)
                   / mg.sqrt(mg.tensor(float(DK), dtype=mg.float64)), dim=-1) @ V.reshape(1, T, HEADS, DK).transpose(1, 2)
    right = O.transpose(1, 2).reshape(1, T, D)[0].cpu().numpy()
    wrong = O.reshape(1, T, D)[0].cpu().numpy()
    bad = [f"Y_{i + 1}{c + 1}" for i in range(T) for c in range(D) if abs(right[i, c] - wrong[i, c]) > 1e-12]
    one = mg.softmax(Q @ K.transpose(-2, -1) / mg.sqrt(mg.tensor(float(D), dtype=mg.float64)), dim=-1) @ V
    return [
        _("Columns 3 and 4. S2_1j = (Q_13 K_j3 + Q_14 K_j4)/√2 = ({s}), so P2_1j = ({p}).").format(
            s=", ".join(f"{v[f'S2_1{j}']:.4f}" for j in POS), p=", ".join(f"{v[f'P2_1{j}']:.4f}" for j in POS)),
        _("Head 2's columns come after head 1's, so O2_21 (token 2, head 2, column 1) is Y_23 = {y:.4f}.").format(y=v["Y_23"]),
        _("Without the transpose the reshape reads O in the order (head, token, column), so row 1 of Y gets both tokens of "
          "head 1 and row 2 both tokens of head 2: wrong entries {bad}.").format(bad=", ".join(bad)),
        _("No: one head of width 4 gives Y = ({one}) against the two heads' ({two}). One softmax row mixes the tokens with "
          "one set of weights for all four columns, and the scale is 1/√4; two heads choose their weights separately.").format(
            one="; ".join(", ".join(f"{a:.4f}" for a in row) for row in one[0].cpu().numpy()),
            two="; ".join(", ".join(f"{a:.4f}" for a in row) for row in right)),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
