# %% [markdown]
# # Attention by hand with real query vectors, and why the scores are divided by $\sqrt{d_k}$
#
# In document 001 §4.2 every query, key and value is one number, so the structure of attention cannot be
# seen: $QK^\top$ is then an outer product of two lists. Here three tokens each have a query, a key and a
# value vector of width $d_k = 2$, and every query is different, so each row of the weights is its own
# distribution over the keys. In the symbols of the [table of symbols](../notation.md):
#
# $$S = \frac{QK^\top}{\sqrt{d_k}},\qquad S_{ij} = \frac{1}{\sqrt{d_k}}\sum_{c=1}^{d_k} Q_{ic}K_{jc},\qquad
#   P_{ij} = \frac{e^{S_{ij} - m_i}}{z_i},\quad m_i = \max_j S_{ij},\quad z_i = \sum_j e^{S_{ij} - m_i},\qquad
#   O_{ic} = \sum_j P_{ij} V_{jc}.$$
#
# $S_{ij}$ is how well query $i$ matches key $j$; row $i$ of $P$ is a probability distribution over the
# keys (positive, summing to 1); output row $i$ is the average of the value rows, weighted by it.
# *Why subtract $m_i$:* $e^{S_{ij}}$ overflows for large scores; subtracting the row's maximum changes
# nothing mathematically (it cancels between numerator and $z_i$) and keeps every exponent $\le 0$.
#
# **Why divide by $\sqrt{d_k}$.** If the entries of a query $q$ and a key $k$ are independent with mean 0
# and variance 1, then $q\cdot k = \sum_{c=1}^{d_k} q_c k_c$ is a sum of $d_k$ independent terms of mean 0
# and variance $\mathrm{Var}(q_c k_c) = \mathrm{E}[q_c^2]\,\mathrm{E}[k_c^2] = 1$, so
# $\mathrm{Var}(q\cdot k) = d_k$: the scores' spread grows like $\sqrt{d_k}$. Softmax of scores that
# differ by many units is nearly one-hot: one weight near 1, the others near 0, and then its gradient
# ($\partial P_{ij}/\partial S_{ik} = P_{ij}([j = k] - P_{ik})$, where the Iverson bracket $[j = k]$ is 1 if
# $j = k$ and 0 otherwise) is nearly zero, so the layer stops learning. Dividing by $\sqrt{d_k}$ brings
# the variance back to 1 at every width. The lesson measures both. (With one number per query and key, as
# in document 001, $d_k$ does nothing of this: dividing by $\sqrt{d_k}$ is then only a *temperature*
# that makes every row of weights flatter.)
#
# The assignment `attention_masks` practises this with masks and scores near $10^4$:
# `python -m lessons assignment student attention_masks handout/attention_masks`.

# %%
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import Step, WorkedExample
from lessons.i18n import domain

SUMMARY = "Attention by hand with a 3x2 query matrix, and the variance argument for dividing by sqrt(d_k), measured"
SOURCE = "001 §3.2.2, §4.2; 000 §4.2 (extension)"
_ = domain("lessons")
N, D_K = 3, 2  # tokens, width of queries and keys
POS, COLS = range(1, N + 1), range(1, D_K + 1)


def example(Q: tuple[float, float, float, float, float, float] = (1.0, 0.0, 1.0, 1.0, 0.0, 2.0),
            K: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 1.0, 1.0, 1.0),
            V: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 2.0, 3.0, 1.0)) -> WorkedExample:
    """Scaled dot-product attention of three tokens with d_k = 2, every intermediate by name.

    ``Q``, ``K`` and ``V`` are 3x2 matrices given row by row (``Q_ic`` is row i, column c).
    """
    for name, m in (("Q", Q), ("K", K), ("V", V)):
        if len(m) != N * D_K:
            raise ValueError(f"{name} takes {N * D_K} numbers, a {N}x{D_K} matrix row by row; got {len(m)}")
    inputs = {"d_k": float(D_K)}
    for name, m in (("Q", Q), ("K", K), ("V", V)):
        inputs.update({f"{name}_{i}{c}": float(m[D_K * (i - 1) + (c - 1)]) for i in POS for c in COLS})
    steps = [Step(f"S_{i}{j}", lambda v, i=i, j=j: (v[f"Q_{i}1"] * v[f"K_{j}1"] + v[f"Q_{i}2"] * v[f"K_{j}2"]) / mg.sqrt(v["d_k"]))
             for i in POS for j in POS]
    for i in POS:
        steps.append(Step(f"m_{i}", lambda v, i=i: mg.stack([v[f"S_{i}{j}"] for j in POS]).amax()))
        steps += [Step(f"e_{i}{j}", lambda v, i=i, j=j: mg.exp(v[f"S_{i}{j}"] - v[f"m_{i}"])) for j in POS]
        steps.append(Step(f"z_{i}", lambda v, i=i: v[f"e_{i}1"] + v[f"e_{i}2"] + v[f"e_{i}3"]))
        steps += [Step(f"P_{i}{j}", lambda v, i=i, j=j: v[f"e_{i}{j}"] / v[f"z_{i}"]) for j in POS]
    steps += [Step(f"O_{i}{c}", lambda v, i=i, c=c: v[f"P_{i}1"] * v[f"V_1{c}"] + v[f"P_{i}2"] * v[f"V_2{c}"] + v[f"P_{i}3"] * v[f"V_3{c}"])
              for i in POS for c in COLS]
    return WorkedExample(inputs, steps, {})


def draw_variant(rng) -> dict:
    """Inputs for an exam variant: numbers with one decimal from -2 to 2 (with whole numbers, two of the nine
    scores are almost always equal, and a variant must give distinct quantities distinct values), every query
    row different, and weights that are neither uniform nor saturated (between 0.03 and 0.9)."""
    while True:
        kw = {name: tuple(float(a) / 10 for a in rng.integers(-20, 21, size=N * D_K)) for name in "QKV"}
        q = np.array(kw["Q"]).reshape(N, D_K)
        if len({tuple(r) for r in q}) < N:
            continue
        values = example(**kw).evaluate()
        weights = [values[f"P_{i}{j}"] for i in POS for j in POS]
        if all(0.03 <= w <= 0.9 for w in weights) and max(weights) > 0.45:
            return kw


def matrices(values: dict) -> tuple:
    """Q, K, V of the example as 3x2 minigrad tensors."""
    return tuple(mg.tensor([[values[f"{n}_{i}{c}"] for c in COLS] for i in POS], dtype=mg.float64) for n in "QKV")


# %% [markdown]
# ## Measuring the variance of $q\cdot k$ and the saturation it causes
#
# For each width $d_k$, `variance_table` draws 20,000 pairs of vectors with independent standard-normal
# entries (seeded), and measures the variance of $q\cdot k$ and of $q\cdot k/\sqrt{d_k}$. `saturation`
# takes rows of 8 keys and measures the mean largest softmax weight of a row, and the mean size
# $\lVert \partial P/\partial S\rVert$ (the Frobenius norm of the softmax's Jacobian
# $\mathrm{diag}(P) - PP^\top$, the factor every gradient through the softmax is multiplied by), with and
# without the division.

# %%
WIDTHS = (1, 4, 16, 64, 256, 1024)


def variance_table(widths=WIDTHS, pairs: int = 20000, seed: int = 0) -> list:
    """``[(d_k, Var(q.k), Var(q.k / sqrt(d_k))), ...]`` measured on random unit-variance vectors."""
    mg.manual_seed(seed)
    out = []
    for d in widths:
        q = mg.randn(pairs, d, dtype=mg.float64)
        k = mg.randn(pairs, d, dtype=mg.float64)
        dots = (q * k).sum(dim=1)
        scaled = dots / math.sqrt(d)
        out.append((d, float(dots.var().item()), float(scaled.var().item())))
    return out


def saturation(widths=WIDTHS, rows: int = 2000, keys: int = 8, seed: int = 1) -> list:
    """``[(d_k, max weight unscaled, max weight scaled, ||dP/dS|| unscaled, ||dP/dS|| scaled), ...]`` (means over rows)."""
    mg.manual_seed(seed)
    out = []
    for d in widths:
        q = mg.randn(rows, 1, d, dtype=mg.float64)
        k = mg.randn(rows, keys, d, dtype=mg.float64)
        scores = (q * k).sum(dim=2)
        row = []
        for s in (scores, scores / math.sqrt(d)):
            P = mg.softmax(s, dim=1)
            J = mg.eye(keys, dtype=mg.float64) * P.unsqueeze(2) - P.unsqueeze(2) * P.unsqueeze(1)  # diag(P) - P P^T, per row
            jac = mg.sqrt((J * J).sum(dim=(1, 2)))
            row.append((float(P.amax(dim=1).mean().item()), float(jac.mean().item())))
        out.append((d, row[0][0], row[1][0], row[0][1], row[1][1]))
    return out


# %%
def run(ctx) -> dict:
    ex = example()
    values = ex.evaluate()
    ctx.section(_("Attention of three tokens with d_k = 2, by hand"))
    ctx.show(ex.steps_text())
    Q, K, V = matrices(values)
    out, w = mg.nn.functional.scaled_dot_product_attention(Q, K, V, return_weights=True)
    hand_O = mg.tensor([[values[f"O_{i}{c}"] for c in COLS] for i in POS], dtype=mg.float64)
    hand_P = mg.tensor([[values[f"P_{i}{j}"] for j in POS] for i in POS], dtype=mg.float64)
    diff = max(float((out - hand_O).abs().amax().item()), float((w - hand_P).abs().amax().item()))
    ctx.section(_("The same with minigrad's attention op"))
    ctx.show(_("weights P =") + "\n" + str(np.round(w.cpu().numpy(), 6)) + "\n" + _("outputs O =") + "\n" + str(np.round(out.cpu().numpy(), 6)))
    ctx.show(_("largest |by hand - scaled_dot_product_attention| = {diff:.1e}").format(diff=diff))
    ctx.show(_("Each row of P is a different distribution because each query is different: query 3 = (0, 2) matches "
               "the keys with a large second entry (keys 2 and 3), query 1 = (1, 0) those with a large first entry."))
    ctx.section(_("Why divide by sqrt(d_k): the variance of q.k, measured"))
    pairs = 2000 if ctx.quick else 20000
    table = variance_table(pairs=pairs)
    lines = ["{:>6s} {:>14s} {:>22s}".format("d_k", "Var(q·k)", "Var(q·k / sqrt(d_k))")]
    lines += [f"{d:6d} {a:14.3f} {b:22.4f}" for d, a, b in table]
    ctx.show("\n".join(lines))
    ctx.show(_("Var(q·k) grows like d_k ({pairs} random pairs per width, unit-variance entries); divided by sqrt(d_k) "
               "it stays near 1 at every width.").format(pairs=pairs))
    sat = saturation(rows=400 if ctx.quick else 2000)
    lines = ["{:>6s} {:>18s} {:>18s} {:>18s} {:>18s}".format("d_k", _("max P, unscaled"), _("max P, scaled"),
                                                              _("||dP/dS||, unscaled"), _("||dP/dS||, scaled"))]
    lines += [f"{d:6d} {a:18.4f} {b:18.4f} {c:18.4f} {e:18.4f}" for d, a, b, c, e in sat]
    ctx.show("\n".join(lines))
    ctx.show(_("Without the division the largest weight of a row of 8 keys tends to 1 as d_k grows (softmax "
               "saturates) and the softmax's Jacobian, through which every gradient flows, tends to 0; with it both "
               "stay where they are at d_k = 1."))
    plt = ctx.pyplot()
    if plt is not None:
        fig, (a1, a2) = figures.subplots(1, 2)
        ds = [d for d, *_r in table]
        a1.loglog(ds, [a for _d, a, _b in table], "o-", color=figures.PALETTE[0], label=figures.label("Var(q·k)"))
        a1.loglog(ds, [b for _d, _a, b in table], "s-", color=figures.PALETTE[1], label=figures.label("Var(q·k / √d_k)"))
        a1.loglog(ds, ds, ":", color="grey", label=figures.label("d_k"))
        a1.set_xlabel(figures.label("d_k"))
        a1.set_ylabel(figures.label("variance (log scale)"))
        a1.legend()
        a2.semilogx(ds, [a for _d, a, _b, _c, _e in sat], "o-", color=figures.PALETTE[0], label=figures.label("max weight, unscaled"))
        a2.semilogx(ds, [b for _d, _a, b, _c, _e in sat], "s-", color=figures.PALETTE[1], label=figures.label("max weight, scaled"))
        a2.semilogx(ds, [c for _d, _a, _b, c, _e in sat], "o--", color=figures.PALETTE[2], label=figures.label("||∂P/∂S||, unscaled"))
        a2.semilogx(ds, [e for _d, _a, _b, _c, e in sat], "s--", color=figures.PALETTE[3], label=figures.label("||∂P/∂S||, scaled"))
        a2.set_xlabel(figures.label("d_k"))
        a2.set_ylim(0, 1.05)
        a2.legend()
        fig.suptitle(figures.label("Var(q·k) = d_k: without 1/√d_k softmax saturates and its gradient vanishes"))
        ctx.figure(fig, "attention_by_hand_scaling")
        plt.close(fig)
    return {"values": values, "example": ex, "difference": diff, "variance": table, "saturation": sat}


# %% [markdown]
# ## Exercises
#
# 1. Compute row 3 of $S$, $P$ and $O$ by hand and check it: `python -m lessons check attention_by_hand S_31=... P_31=... O_31=...`.
# 2. Make every query the same (`--set Q=1,0,1,0,1,0`): what happens to the rows of $P$, and why?
# 3. Show that $\mathrm{Var}(q\cdot k) = d_k$ for independent entries of mean 0 and variance 1, and find the
#    variance of $q\cdot k$ when the entries have variance $\sigma^2$.
# 4. Divide the scores of this example by 10 instead of $\sqrt 2$: how do the weights of row 3 change?


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    v = example().evaluate()
    same = example(Q=(1.0, 0.0) * N).evaluate()
    mg.manual_seed(2)
    d, sigma = 64, 0.5
    q, k = sigma * mg.randn(20000, d, dtype=mg.float64), sigma * mg.randn(20000, d, dtype=mg.float64)
    measured = float((q * k).sum(dim=1).var().item())
    Q, K, V = matrices(v)
    P10 = mg.softmax(Q @ K.T / 10, dim=-1)
    row = lambda name, i: ", ".join(f"{v[f'{name}_{i}{j}']:.4f}" for j in (POS if name in "SP" else COLS))  # noqa: E731
    return [
        _("S_3j = (Q_31 K_j1 + Q_32 K_j2)/√2 = ({S}); P_3j = ({P}); O_3c = ({O}).").format(S=row("S", 3), P=row("P", 3), O=row("O", 3)),
        _("Every row of P becomes the same, ({P}): the weights depend on the query only through q_i·k_j, so equal "
          "queries give equal rows, and every output row is the same average of the values.").format(
            P=", ".join(f"{same[f'P_1{j}']:.4f}" for j in POS)),
        _("E[q_c k_c] = E[q_c] E[k_c] = 0 and Var(q_c k_c) = E[q_c²] E[k_c²] = 1 by independence; the d_k terms are "
          "independent, so their variances add: Var(q·k) = d_k. With variance σ² each term has variance σ⁴, so "
          "Var(q·k) = d_k σ⁴: for d_k = {d}, σ = {sigma:g} that is {expected:g}; measured on 20,000 pairs: {measured:.3f}.").format(
            d=d, sigma=sigma, expected=d * sigma ** 4, measured=measured),
        _("Row 3 goes from ({before}) to ({after}): a larger divisor is a higher temperature, and the weights move "
          "towards uniform (1/3 each).").format(before=row("P", 3), after=", ".join(f"{x:.4f}" for x in P10.cpu().numpy()[2])),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
