# %% [markdown]
# # The attention example of document 001, §3.2.2 and §4.2
#
# Document 001 computes one attention step by hand (§4.2) with $x = [1, 2, 3]$, $d = 4$, two heads,
# $W_Q = \begin{bmatrix}1&2&3&4\\5&6&7&8\end{bmatrix}$, $W_K = \begin{bmatrix}9&10&11&12\\13&14&15&16\end{bmatrix}$,
# $W_V = \begin{bmatrix}17&18&19&20\\21&22&23&24\end{bmatrix}$, $W_F = \begin{bmatrix}25&26\\27&28\end{bmatrix}$
# and zero biases, with the formulas
#
# $$\mathrm{score}_i = Q_i \cdot K_j / \sqrt{d_k},\quad \mathrm{weight}_i = \mathrm{softmax}(\mathrm{score}_i),\quad
#   \mathrm{context}_i = \sum_j \mathrm{weight}_{ij} V_j,\quad \mathrm{output}_i = \mathrm{ReLU}(W_F\,\mathrm{context}_i + b_F).$$
#
# (§3.2.2 writes $\mathrm{context}_i = \sum_j \mathrm{weight}_i K_j$, weighting the *keys*; §4.2 weights the
# *values* $V_j$, which is what attention does.)
#
# **What cannot be computed as printed, and the reading this lesson takes:**
#
# 1. $Q = W_Q x$ multiplies a $2\times4$ matrix by the $3\times1$ vector $x$: the shapes do not fit, so the
#    printed $Q = [7, 15, 23]$, $K = [22, 38, 54]$, $V = [40, 62, 84]$ cannot come from $W_Q$, $W_K$, $W_V$
#    (no product of these numbers gives them). The lesson takes the printed $Q$, $K$, $V$ as given: one
#    scalar query, key and value per position, as the document's own arithmetic treats them. The two
#    heads never appear in the arithmetic; the lesson computes one head with $d_k = 4$ (the document
#    divides by $\sqrt 4$).
# 2. Attention compares *every* query with *every* key: $S_{ij} = Q_i K_j / \sqrt{d_k}$, a $3\times3$ matrix.
#    The document prints three numbers it calls $\mathrm{score}_1..\mathrm{score}_3$ and writes
#    $\mathrm{score}_1 = \mathrm{dot}(Q_1, K_1)/\sqrt4$; the lesson compares each with $S_{ii}$.
# 3. The document's $\mathrm{weight}_1..\mathrm{weight}_3$ are used as the weights of query 1 over the three
#    keys ($\mathrm{context}_1 = \sum_j \mathrm{weight}_j V_j$); the lesson compares them with row 1 of the
#    softmax, $P_{1j}$. The document then reuses them, shifted, for $\mathrm{context}_2$ and
#    $\mathrm{context}_3$; the lesson uses each query's own row.
# 4. $W_F$ is $2\times2$ but $\mathrm{context}_i$ is a scalar; the document multiplies by $W_F[0,0] = 25$, and
#    so does the lesson.

# %%
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import Row, Step, WorkedExample, claim, error_of
from lessons.i18n import domain

SUMMARY = "Scaled dot-product attention worked by hand, every printed number checked, with a heatmap"
SOURCE = "001 §3.2.2, §4.2"
_ = domain("lessons")

DOCUMENT = {
    "Q_1": "7", "Q_2": "15", "Q_3": "23", "K_1": "22", "K_2": "38", "K_3": "54", "V_1": "40", "V_2": "62", "V_3": "84",
    "score_1": "12.3750", "score_2": "24.5000", "score_3": "36.6250",
    "weight_1": "0.2344", "weight_2": "0.4600", "weight_3": "0.3056",
    "context_1": "48.1840", "context_2": "63.5680", "context_3": "78.9520",
    "output_1": "1204.6", "output_2": "1584.2", "output_3": "1973.8",
}
MATRICES = {"W_Q": [[1, 2, 3, 4], [5, 6, 7, 8]], "W_K": [[9, 10, 11, 12], [13, 14, 15, 16]], "W_V": [[17, 18, 19, 20], [21, 22, 23, 24]]}
W_F = [[25, 26], [27, 28]]
D_MODEL, HEADS = 4, 2
# a variant whose softmax does not saturate: queries and keys a tenth of the document's
VARIANT = {"Q": (0.7, 1.5, 2.3), "K": (2.2, 3.8, 5.4), "V": (40.0, 62.0, 84.0)}
GIVEN = "shape impossible: W_Q, W_K, W_V are 2x4 and x is 3x1, so W x is undefined; the printed value is taken as given"  # translated where shown

# the document's own arithmetic, where it differs from its formulas
_SCORE_AS_WRITTEN = {1: ((1, 1), (2, 2), (3, 3)), 2: ((1, 2), (2, 3), (3, None)), 3: ((1, 3), (2, None), (3, 1))}
_V_ORDER = {1: (1, 2, 3), 2: (2, 3, 1), 3: (3, 1, 2)}


def _score_written(i: int):
    # score_1 = (7*22 + 15*38 + 23*54)/2: a dot product over positions; score_2 and score_3 use a 16
    # that is no key at all (it is W_K[1,3])
    def f(v):
        terms = [v[f"Q_{q}"] * (v[f"K_{k}"] if k is not None else 16.0) for q, k in _SCORE_AS_WRITTEN[i]]
        return (terms[0] + terms[1] + terms[2]) / 2

    return f


def _score_fails(i: int):
    def why(earlier: dict) -> str:
        t = {k: mg.tensor(x, dtype=mg.float64) for k, x in earlier.items()}
        written = _score_written(i)(t).item()
        own = earlier[f"Q_{i}"] * earlier[f"K_{i}"] / math.sqrt(earlier["d_k"])
        return _("the formula fails on shapes before any arithmetic: Q = W_Q x multiplies a 2x4 matrix by the 3-vector "
                 "x = [1, 2, 3], which is undefined (4 columns, 3 entries), so no Q_i or K_j exists to take dot(Q_{i}, K_{i}) of; "
                 "the expression it writes is a dot product over positions, not that formula, and gives {written:g}; with the "
                 "printed Q, K taken as given, Q_{i} K_{i} / sqrt({d_k:g}) = {own:g}").format(i=i, written=written, d_k=earlier["d_k"], own=own)

    return why


def _weights_fail(earlier: dict) -> str:
    scores = [earlier[f"score_{j}"] for j in (1, 2, 3)]
    weights = [float(DOCUMENT[f"weight_{j}"]) for j in (1, 2, 3)]
    z = [math.exp(x - max(scores)) for x in scores]
    soft = ", ".join(f"{x / sum(z):.3g}" for x in z)
    order = lambda xs: sorted(range(3), key=lambda j: xs[j])  # noqa: E731
    if order(scores) != order(weights):
        return _("cannot be derived from the printed scores at all: softmax keeps the order of its inputs at any temperature, "
                 "the printed scores are ordered {scores} but the printed weights {weights}; the softmax of the printed scores "
                 "is ({soft})").format(scores=" < ".join(f"score_{j + 1}" for j in order(scores)),
                                       weights=" < ".join(f"weight_{j + 1}" for j in order(weights)), soft=soft)
    return _("not the softmax of the printed scores, which is ({soft})").format(soft=soft)


def _softmax_of_printed_scores(j: int):
    def f(v):
        m = mg.stack([v["score_1"], v["score_2"], v["score_3"]]).amax()
        e = [mg.exp(v[f"score_{k}"] - m) for k in (1, 2, 3)]
        return e[j - 1] / (e[0] + e[1] + e[2])

    return f


def _printed_weight_sum() -> float:
    return sum(float(DOCUMENT[f"weight_{j}"]) for j in (1, 2, 3))


def _context(weights: str, order: tuple):
    return lambda v: v[weights.format(1)] * v[f"V_{order[0]}"] + v[weights.format(2)] * v[f"V_{order[1]}"] + v[weights.format(3)] * v[f"V_{order[2]}"]


def example(Q: tuple[float, float, float] = (7.0, 15.0, 23.0), K: tuple[float, float, float] = (22.0, 38.0, 54.0),
            V: tuple[float, float, float] = (40.0, 62.0, 84.0), d_k: float = 4.0, w_F: float = 25.0, b_F: float = 0.0) -> WorkedExample:
    """The §4.2 example with its printed Q, K, V as inputs (three positions); every intermediate by name."""
    if not len(Q) == len(K) == len(V) == 3:
        raise ValueError("the §4.2 example has three positions: give three queries, keys and values")
    if not d_k > 0:
        raise ValueError(_("d_k must be positive (scores are divided by sqrt(d_k)); got {d_k:g}").format(d_k=d_k))
    inputs = {"d_k": d_k, "w_F": w_F, "b_F": b_F}
    for name, vals in (("Q", Q), ("K", K), ("V", V)):
        inputs.update({f"{name}_{i}": float(x) for i, x in enumerate(vals, 1)})
    pos = (1, 2, 3)
    steps = [Step(f"S_{i}{j}", lambda v, i=i, j=j: v[f"Q_{i}"] * v[f"K_{j}"] / mg.sqrt(v["d_k"])) for i in pos for j in pos]
    steps += [Step(f"score_{i}", lambda v, i=i: v[f"S_{i}{i}"].clone(), written=_score_written(i),
                   note=_("its expression multiplies Q with shifted K's over all positions instead of dot(Q_i, K_i), "
                          "and uses 16, which is not a key"), fails=_score_fails(i)) for i in pos]
    for i in pos:  # softmax of row i by hand: subtract the row maximum, exponentiate, normalise
        steps.append(Step(f"m_{i}", lambda v, i=i: mg.stack([v[f"S_{i}{j}"] for j in pos]).amax()))
        steps += [Step(f"e_{i}{j}", lambda v, i=i, j=j: mg.exp(v[f"S_{i}{j}"] - v[f"m_{i}"])) for j in pos]
        steps.append(Step(f"z_{i}", lambda v, i=i: v[f"e_{i}1"] + v[f"e_{i}2"] + v[f"e_{i}3"]))
        steps += [Step(f"P_{i}{j}", lambda v, i=i, j=j: v[f"e_{i}{j}"] / v[f"z_{i}"]) for j in pos]
    steps += [Step(f"weight_{j}", lambda v, j=j: v[f"P_1{j}"].clone(), doc_fn=_softmax_of_printed_scores(j),
                   note=_("the printed weights sum to {total:g} but are not the softmax of the printed scores").format(
                       total=_printed_weight_sum()),
                   fails=_weights_fail)
              for j in pos]
    steps += [Step(f"context_{i}", _context(f"P_{i}{{}}", pos), doc_fn=_context("weight_{}", pos),
                   written=_context("weight_{}", _V_ORDER[i]),
                   note=_("the document reuses query 1's weights for every query")) for i in pos]
    steps += [Step(f"output_{i}", lambda v, i=i: mg.relu(v["w_F"] * v[f"context_{i}"] + v["b_F"])) for i in pos]
    given = {f"{n}_{i}": _(GIVEN) for n in "QKV" for i in pos}
    return WorkedExample(inputs, steps, DOCUMENT, given)


def draw_variant(rng) -> dict:
    """Inputs for an exam variant worked by hand: one-decimal queries and keys, whole-number values,
    and attention weights that are not saturated (every weight between 0.02 and 0.9)."""
    while True:
        tenths = lambda: tuple(round(float(v) / 10, 1) for v in rng.integers(-20, 21, size=3))  # noqa: E731
        kw = dict(Q=tenths(), K=tenths(), V=tuple(float(v) for v in rng.integers(-5, 10, size=3)), d_k=float(rng.choice([1, 4])),
                  w_F=float(rng.integers(1, 4)), b_F=float(rng.integers(-2, 3)))
        values = example(**kw).evaluate()
        weights = [values[f"P_{i}{j}"] for i in (1, 2, 3) for j in (1, 2, 3)]
        if all(0.02 <= w <= 0.9 for w in weights) and max(weights) > 0.45:
            return kw


# %% [markdown]
# ## What else §3.2.2 and §4.2 print
#
# The weight matrices are multiplied by minigrad to show where the shapes fail; the per-head size is read
# off minigrad's `nn.MultiheadAttention(4, 2)`; and §3.2.2's context (a sum of *keys*) is computed beside
# §4.2's (a sum of *values*).

# %%
def document_rows(values: dict) -> list:
    """Rows for the weights, the head size, the output vector and §3.2.2's formulas."""
    vec = lambda xs: "[" + ", ".join(f"{a:.6g}" for a in xs) + "]"  # noqa: E731
    rows = [Row("y", "[1204.6, 1584.2, 1973.8]", None, vec(values[f"output_{i}"] for i in (1, 2, 3)), "wrong",
                _("y = [output_1, output_2, output_3]: the printed outputs, each wrong above"), "001 §4.2")]
    x = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64)
    for name, m in MATRICES.items():
        rows.append(Row(name, str(m), None, error_of(lambda m=m: mg.tensor(m, dtype=mg.float64) @ x), "wrong",
                        _("a 2x4 matrix times the 3 inputs x = [1, 2, 3]: the shapes do not fit (minigrad's error above), so "
                          "the printed Q, K, V (rows Q_1 to V_3) cannot come from it"), "001 §4.2"))
    head_dim = mg.nn.MultiheadAttention(D_MODEL, HEADS).head_dim
    rows.append(Row("d_k", "4 (divides by sqrt(4))", None, head_dim, "wrong",
                    _("with hidden size d = {d} and h = {h} heads each head has d_k = d/h = {d_k} "
                      "(nn.MultiheadAttention({d}, {h}).head_dim), so the scale is 1/sqrt({d_k}); the example "
                      "divides by sqrt(4), the scale of one head of width 4, and never uses its two heads").format(
                        d=D_MODEL, h=HEADS, d_k=head_dim), "001 §4.2"))
    wf = mg.tensor(W_F, dtype=mg.float64) * mg.tensor(values["context_1"], dtype=mg.float64)
    rows.append(Row("W_F", "25 (W_F = [[25, 26], [27, 28]])", None, _("W_F * context_1 has shape {shape}").format(shape=tuple(wf.shape)), "wrong",
                    _("W_F is 2x2 and context_i a scalar: their product is a 2x2 matrix, not one number; the arithmetic "
                      "uses W_F[0,0] = 25 alone"), "001 §4.2"))
    rows.append(Row("b_A, b_F", "0, 0", None, f"{values['b_F']:g}", "agrees", _("zero biases, as used"), "001 §4.2"))
    P = mg.tensor([[values[f"P_{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)], dtype=mg.float64)
    K = mg.tensor([values[f"K_{j}"] for j in (1, 2, 3)], dtype=mg.float64)
    V = mg.tensor([values[f"V_{j}"] for j in (1, 2, 3)], dtype=mg.float64)
    rows.append(claim("001 §3.2.2", "context_i = sum_j weight_i K_j", r"\text{context}_i = \sum_{j=1}^{T} \text{weight}_i \cdot K_j", "wrong",
                      f"P K = {vec((P @ K).cpu().numpy())}, P V = {vec((P @ V).cpu().numpy())}",
                      _("attention sums the values V_j, as §4.2 does; §3.2.2 (encoder and decoder) sums the keys, which "
                        "gives other numbers; it also writes weight_i where the weight depends on i and j")))
    return rows


def saturation(values: dict) -> float:
    """The largest attention weight of each query, smallest over the queries: 1 means one-hot rows."""
    return min(max(values[f"P_{i}{j}"] for j in (1, 2, 3)) for i in (1, 2, 3))


# %% [markdown]
# ## Step by step, the check table, and the attention weights as a heatmap
#
# The document's scores differ by tens, so its softmax is one-hot to many digits: each query copies one
# value, and the example shows nothing of what softmax does. A variant with queries and keys a tenth as
# large (`VARIANT`) is worked beside it: there every weight matters.
#
# The steps name the parts of each row's softmax, as in the [table of symbols](../notation.md): the row
# maximum $m_i = \max_j S_{ij}$, $e_{ij} = e^{S_{ij} - m_i}$ (subtracting $m_i$ keeps every exponent
# $\le 0$, so nothing overflows, and cancels in the ratio), their sum $z_i = \sum_j e_{ij}$, and the weight
# $P_{ij} = e_{ij}/z_i$.

# %%
def run(ctx) -> dict:
    ex = example()
    values = ex.evaluate()
    ctx.section(_("Step by step (the consistent computation)"))
    ctx.show(ex.steps_text())
    ctx.section(_("The same with minigrad's attention op"))
    q = mg.tensor([[values["Q_1"]], [values["Q_2"]], [values["Q_3"]]], dtype=mg.float64)
    k = mg.tensor([[values["K_1"]], [values["K_2"]], [values["K_3"]]], dtype=mg.float64)
    v = mg.tensor([[values["V_1"]], [values["V_2"]], [values["V_3"]]], dtype=mg.float64)
    out, w = mg.nn.functional.scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(4), return_weights=True)
    ctx.show(_("weights P =") + "\n" + str(w.cpu().numpy()) + "\n" + _("contexts =") + " " + str(out.cpu().numpy().ravel()))
    rows = ex.check_table(source="001 §4.2") + document_rows(values)
    ctx.section(_("Check of every number the document prints"))
    ctx.table(rows)
    printed = [float(DOCUMENT[f"score_{j}"]) for j in (1, 2, 3)]
    weights_sum = _printed_weight_sum()
    gap = printed[2] - printed[1]
    ctx.show("\n" + _("The printed weights sum to {total:g} but are not the softmax of anything printed: scores that "
                      "differ by {gap:g} put almost all weight on the largest one (e^{gap:g} = {ratio:.3g}).").format(
        total=weights_sum, gap=gap, ratio=math.exp(gap)))
    variant = example(**VARIANT)
    vvalues = variant.evaluate()
    ctx.section(_("A variant that does not saturate: Q and K a tenth of the document's"))
    ctx.show(variant.steps_text())
    ctx.show("\n" + _("Smallest row maximum of the weights: document's example {example:.12f} (one-hot rows), "
                      "variant {variant:.4f}.").format(example=saturation(values), variant=saturation(vvalues)))
    plt = ctx.pyplot()
    result = {"rows": rows, "values": values, "example": ex, "variant": vvalues}
    if plt is None:
        return result
    fig, axes = figures.subplots(1, 3)
    vw = [[vvalues[f"P_{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)]
    for ax, mat, title in ((axes[0], w.cpu().numpy(), figures.label("the example, consistent:\nsoftmax(Q Kᵀ / 2), one-hot")),
                           (axes[1], vw, figures.label("variant, Q and K / 10:\nweights spread out")),
                           (axes[2], [[float(DOCUMENT[f"weight_{j}"]) for j in (1, 2, 3)]] * 3,
                            figures.label("as the document uses them:\nquery 1's row for all"))):
        im = ax.imshow(mat, vmin=0, vmax=1, cmap=figures.CMAP, aspect="auto")  # fill the height of the 16:9 figure
        ax.set_title(title, fontsize=16)
        ax.set_xlabel(figures.label("key j"))
        ax.set_ylabel(figures.label("query i"))
        ax.set_xticks([0, 1, 2], ["1", "2", "3"])
        ax.set_yticks([0, 1, 2], ["1", "2", "3"])
        ax.grid(False)
        for (i, j), value in np.ndenumerate(np.asarray(mat, dtype=float)):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=14, color="white" if value < 0.6 else "black")
    fig.colorbar(im, ax=axes, shrink=0.6, label=figures.label("attention weight"))
    fig.suptitle(figures.label("001 §4.2: the scores put all the weight on the last key; the printed weights do not"))
    ctx.figure(fig, "attention_worked_example_weights")
    plt.close(fig)
    return result


# %% [markdown]
# ## Exercises
#
# 1. Scale the queries down (`example(Q=(0.7, 1.5, 2.3))`): how spread out do the weights become?
# 2. Why does attention divide by $\sqrt{d_k}$? Compute the weights of this example with $d_k = 400$. (Here
#    each query and key is one number, so $d_k$ only acts as a temperature; the lesson `attention_by_hand`
#    measures the real reason, with vectors.)
# 3. Write the $3\times3$ weights for a causal mask (query $i$ sees keys $j \le i$).
# 4. Check your own numbers: `python -m lessons check attention_worked_example score_1=77 weight_3=1`.
#
# The assignment `attention_masks` practises attention with masks (`python -m lessons assignment student
# attention_masks handout/attention_masks`).


def _rows(P) -> str:
    return "; ".join("(" + ", ".join(f"{a:.4f}" for a in row) + ")" for row in P)


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    base = example().evaluate()
    small = example(Q=(0.7, 1.5, 2.3)).evaluate()
    hot = example(d_k=400.0).evaluate()
    P = lambda v: [[v[f"P_{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)]  # noqa: E731
    q = mg.tensor([[base[f"Q_{i}"]] for i in (1, 2, 3)], dtype=mg.float64)
    k = mg.tensor([[base[f"K_{j}"]] for j in (1, 2, 3)], dtype=mg.float64)
    causal = mg.tensor([[j > i for j in range(3)] for i in range(3)])
    masked = mg.softmax((q @ k.T / 2).masked_fill(causal, float("-inf")), dim=-1)
    return [
        _("The rows of P become {rows}: the smallest row maximum only falls from {before:.4f} to {after:.4f}. Dividing the "
          "queries by 10 divides the scores by 10, but they still differ by several units, and softmax turns a difference "
          "of 5 into a factor e^5 ≈ 148. Scaling the keys as well (the lesson's variant) gives {variant}: now every value "
          "contributes.").format(rows=_rows(P(small)), before=saturation(base), after=saturation(small),
                                 variant=_rows(P(example(**VARIANT).evaluate()))),
        _("With d_k = 400 the scores are divided by 20 instead of 2 and the weights become {rows}: the same as dividing the "
          "queries by 10 (a higher temperature), and still nearly one-hot. With vectors the reason to divide is that Var(q·k) = d_k for "
          "unit-variance entries: without it softmax saturates as d_k grows (measured in attention_by_hand).").format(rows=_rows(P(hot))),
        _("Set S_ij = -∞ for j > i before the softmax (e^-∞ = 0): the rows become {rows}. Query 1 sees only key 1; the "
          "later queries are still one-hot on their last visible key, because the scores differ by tens.").format(
            rows=_rows(masked.cpu().numpy())),
        _("score_1 = S_11 = Q_1 K_1 / 2 = {s:g}, so 77 is right; weight_3 = P_13 = {w:.6f}, so 1 is right to the precision "
          "written.").format(s=base["S_11"], w=base["P_13"]),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
