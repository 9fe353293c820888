# %% [markdown]
# # The recurrent network of document 001, §3.1.2, §3.1.3 and §4.1
#
# Document 001 (递归神经网络 vs Transformer) describes a recurrent network with a hidden state
# $h_t$ and a "cell state" $c_t$ (§3.1.2, pseudocode in §3.1.3) and works one example by hand (§4.1):
#
# $$h_t = \sigma(W_h h_{t-1} + W_x x_t + b_h),\qquad c_t = \tanh(W_c c_{t-1} + W_x x_t + b_c),\qquad
#   o_t = \sigma(W_o c_t + b_o),$$
#
# with $\sigma = \mathrm{ReLU}$, $x = [1, 2, 3]$, $h_0 = c_0 = 0$,
# $W_h = \begin{bmatrix}1&2&3\\4&5&6\end{bmatrix}$, $W_c = \begin{bmatrix}7&8&9\\10&11&12\end{bmatrix}$,
# $W_o = \begin{bmatrix}13&14\\15&16\end{bmatrix}$, $b_h = 1$, $b_c = 2$, $b_o = 3$.
#
# **The example as printed cannot be computed.** $x_t$, $h_t$ and $c_t$ are scalars, but $W_h$ and
# $W_c$ are $2\times3$ and $W_o$ is $2\times2$: no matrix product of these shapes gives a scalar, and
# $W_x$ is never given. The document's own arithmetic shows how it reads them, and this lesson takes
# that reading: the recurrent weight is $W_h[0,0] = 1$, the input weight is $W_h[0,1] = 2$ (for $h$)
# and $W_c[0,1] = 8$ (for $c$), $W_c[0,0] = 7$ multiplies $c_{t-1}$, and $W_o[0,0] = 13$ multiplies
# $c_t$. For the output the document's arithmetic adds $15$ ($= W_o[1,0]$) where the formula says
# $b_o = 3$; the lesson follows the formula and marks the difference.
#
# Note also what the model is not: $c_t$ never sees $h_t$ and the output never sees $h_t$, so the
# "hidden state" plays no part in $o_t$. This is two independent one-unit RNNs, not an LSTM (whose
# cell state is gated by the hidden state; see `nn.LSTM` and `docs/bptt.md`).

# %%
from __future__ import annotations

import minigrad as mg
import math

from lessons import figures
from lessons.common import Row, Step, WorkedExample, claim, error_of
from lessons.i18n import domain

SUMMARY = "The hidden/cell-state recurrence worked by hand, every printed number checked"
SOURCE = "001 §3.1.2, §3.1.3, §4.1"
_ = domain("lessons")
MATRICES = {"W_h": [[1, 2, 3], [4, 5, 6]], "W_c": [[7, 8, 9], [10, 11, 12]], "W_o": [[13, 14], [15, 16]]}
PSEUDOCODE = """
def RNN(input_sequence):
  h = 0
  c = 0
  for x in input_sequence:
    h = activation(W_h * h + W_x * x + b_h)
    c = tanh(W_c * c + W_x * x + b_c)
    o = activation(W_o * c + b_o)
    yield o
"""

# %% [markdown]
# ## The example, as a function of its inputs
#
# `example()` takes every input of the example as an argument, with the document's values as defaults,
# so a teacher can change them to make an exam variant. Each step is a minigrad computation; the
# pre-activations $a_t$ (inside ReLU/tanh) are steps of their own because the document prints them.

# %%
DOCUMENT = {
    # what §4.1 prints, exactly as printed (pre-activations appear inside ReLU(...) and tanh(...))
    "a_h1": "3", "h_1": "3", "a_h2": "7", "h_2": "7", "a_h3": "12", "h_3": "12",
    "a_c1": "10", "c_1": "0.9511", "a_c2": "15.9511", "c_2": "0.9950", "a_c3": "19.9850", "c_3": "0.9999",
    "a_o1": "24.1533", "o_1": "24.1533", "a_o2": "24.9850", "o_2": "24.9850", "a_o3": "25.9997", "o_3": "25.9997",
}


def example(x: tuple[float, ...] = (1.0, 2.0, 3.0), w_hh: float = 1.0, w_xh: float = 2.0, b_h: float = 1.0,
            w_cc: float = 7.0, w_xc: float = 8.0, b_c: float = 2.0, w_oc: float = 13.0, b_o: float = 3.0,
            h_0: float = 0.0, c_0: float = 0.0) -> WorkedExample:
    """The §4.1 example; the arguments are its inputs (defaults: the document's reading of its matrices).

    ``x`` is a sequence of any length (the document's has three steps); the type hints say what each
    input takes (``python -m lessons check ... --set`` reads them).
    """
    inputs = {"w_hh": w_hh, "w_xh": w_xh, "b_h": b_h, "w_cc": w_cc, "w_xc": w_xc, "b_c": b_c,
              "w_oc": w_oc, "b_o": b_o, "h_0": h_0, "c_0": c_0}
    inputs.update({f"x_{t}": float(v) for t, v in enumerate(x, start=1)})
    steps = []
    for t in range(1, len(x) + 1):
        steps += [
            Step(f"a_h{t}", lambda v, t=t: v["w_hh"] * v[f"h_{t - 1}"] + v["w_xh"] * v[f"x_{t}"] + v["b_h"]),
            Step(f"h_{t}", lambda v, t=t: mg.relu(v[f"a_h{t}"])),
        ]
    for t in range(1, len(x) + 1):
        steps += [
            Step(f"a_c{t}", lambda v, t=t: v["w_cc"] * v[f"c_{t - 1}"] + v["w_xc"] * v[f"x_{t}"] + v["b_c"]),
            Step(f"c_{t}", lambda v, t=t: mg.tanh(v[f"a_c{t}"])),
        ]
    for t in range(1, len(x) + 1):
        steps += [
            Step(f"a_o{t}", lambda v, t=t: v["w_oc"] * v[f"c_{t}"] + v["b_o"],
                 written=lambda v, t=t: v["w_oc"] * v[f"c_{t}"] + 15.0,
                 note=_("the document adds 15 (W_o[1,0]) where its formula W_o c_t + b_o adds b_o = 3")),
            Step(f"o_{t}", lambda v, t=t: mg.relu(v[f"a_o{t}"])),
        ]
    return WorkedExample(inputs, steps, DOCUMENT)


def draw_variant(rng) -> dict:
    """Inputs for an exam variant worked by hand: small whole numbers and tenths, tanh arguments between
    -2 and 2 (not saturated) and no ReLU argument at 0, so that every step needs a real computation."""
    while True:
        whole = lambda *c: float(rng.choice(c))  # noqa: E731
        tenth = lambda: float(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])) / 10  # noqa: E731
        kw = dict(x=tuple(float(v) for v in rng.integers(-2, 3, size=3)), w_hh=whole(1, 2), w_xh=whole(-2, -1, 1, 2),
                  b_h=whole(-1, 1, 2), w_cc=tenth(), w_xc=tenth(), b_c=tenth(), w_oc=whole(1, 2, 3), b_o=whole(-1, 1, 2))
        values = example(**kw).evaluate()
        pre = [values[f"a_c{t}"] for t in (1, 2, 3)]
        relu_args = [values[f"a_{s}{t}"] for s in "ho" for t in (1, 2, 3)]  # none at ReLU's kink, where its slope is a convention
        if all(0.1 <= abs(a) <= 2 for a in pre) and all(a != 0 for a in relu_args) and len({values[f"h_{t}"] for t in (1, 2, 3)}) > 1:
            return kw


# %% [markdown]
# ## What else §3.1 and §4.1 print
#
# Besides the computed numbers, the example prints its weights, and §3.1.2 and §3.1.3 state the model
# and its pseudocode. Each gets a row: the weight matrices are multiplied by minigrad to show where the
# shapes fail, the pseudocode is run, and "the output depends on the hidden state" is tested by changing
# the hidden state's weights.

# %%
def _pseudocode(x, **weights) -> list:
    env = {"activation": lambda a: max(a, 0.0), "tanh": math.tanh, **weights}
    exec(PSEUDOCODE, env)
    return list(env["RNN"](x))


def document_rows(ex: WorkedExample) -> list:
    """Rows for what §3.1 and §4.1 print besides the steps: weights, the output vector, the model, the code."""
    v = ex.evaluate()
    T = sum(1 for k in v if k.startswith("x_"))
    x = [v[f"x_{t}"] for t in range(1, T + 1)]
    vec = lambda xs: "[" + ", ".join(f"{a:.4f}" for a in xs) + "]"  # noqa: E731
    rows = [Row("y", "[24.1533, 24.9850, 25.9997]", None, vec(v[f"o_{t}"] for t in range(1, T + 1)), "wrong",
                _("y = [o_1, o_2, o_3]: its three numbers are the printed o_t, each wrong above; §3.1.2 defines y = o_T "
                  "(one number), §4.1 prints the whole sequence"), "001 §4.1")]
    h = mg.tensor([[v["h_0"]]], dtype=mg.float64)
    for name, m in MATRICES.items():
        W = mg.tensor(m, dtype=mg.float64)
        used = {"W_h": _("W_h[0,0] = 1 (times h_{t-1}) and W_h[0,1] = 2 (times x_t)"),
                "W_c": _("W_c[0,0] = 7 (times c_{t-1}) and W_c[0,1] = 8 (times x_t)"),
                "W_o": _("W_o[0,0] = 13 (times c_t) and W_o[1,0] = 15 (added in place of b_o)")}[name]
        rows.append(Row(name, str(m), None, error_of(lambda W=W: W @ h), "wrong",
                        _("{rows}x{cols} matrix, but the state it multiplies is a scalar: the product is undefined "
                          "(minigrad's error above); the arithmetic uses only {used}").format(rows=W.shape[0], cols=W.shape[1], used=used),
                        "001 §4.1"))
    rows.append(Row("W_x", "2 and 8", None, f"w_xh = {v['w_xh']:g}, w_xc = {v['w_xc']:g}", "wrong",
                    _("the formulas for h_t and c_t share one input weight W_x, which is never printed; the arithmetic "
                      "multiplies x_t by {w_xh:g} for h_t and by {w_xc:g} for c_t: two different weights").format(
                        w_xh=v["w_xh"], w_xc=v["w_xc"]), "001 §4.1"))
    rows.append(Row("b_o", "3", None, v["b_o"], "wrong",
                    _("the arithmetic adds 15 where the formula adds b_o = 3 (rows a_o1 to a_o3)"), "001 §4.1"))
    rows.append(Row("x, h_0, c_0, b_h, b_c", "[1, 2, 3], 0, 0, 1, 2", None,
                    f"{[round(a, 6) for a in x]}, {v['h_0']:g}, {v['c_0']:g}, {v['b_h']:g}, {v['b_c']:g}", "agrees",
                    _("used as printed"), "001 §4.1"))
    changed = ex.with_inputs(w_hh=5.0, w_xh=-3.0, b_h=10.0).evaluate()
    same = all(changed[f"o_{t}"] == v[f"o_{t}"] for t in range(1, T + 1))
    rows.append(claim("001 §3.1.2", "c_t is the cell state of the RNN; y = o_T is its hidden state",
                      r"c_t = \text{tanh}(W_c c_{t-1} + W_x x_t + b_c)（计算细胞状态）; o_t = \sigma(W_o c_t + b_o)（生成输出）; y = o_T（隐藏状态）", "wrong",
                      _("o_T with w_hh, w_xh, b_h changed to 5, -3, 10: {now:.6g} (was {was:.6g})").format(
                          now=changed[f"o_{T}"], was=v[f"o_{T}"]),
                      (_("the outputs do not change when every weight of h_t changes: ") if same else _("the outputs change: "))
                      + _("h_t never reaches o_t, and c_t never sees h_t. This is two independent one-unit RNNs, not an RNN "
                          "with a cell state (only an LSTM has one, gated by h_t); and o_T is the output, not the hidden state")))
    as_printed = error_of(lambda: _pseudocode(x, W_h=mg.tensor(MATRICES["W_h"]), W_c=mg.tensor(MATRICES["W_c"]),
                                              W_o=mg.tensor(MATRICES["W_o"]), b_h=1.0, b_c=2.0, b_o=3.0))
    runs = {w: _pseudocode(x, W_h=v["w_hh"], W_x=w, b_h=v["b_h"], W_c=v["w_cc"], b_c=v["b_c"], W_o=v["w_oc"], b_o=v["b_o"])
            for w in (v["w_xh"], v["w_xc"])}
    rows.append(claim("001 §3.1.3", "RNN pseudocode", "def RNN(input_sequence): ... yield o", "holds with a condition",
                      _("with §4.1's matrices: {as_printed}; with scalar weights: {runs}").format(
                          as_printed=as_printed, runs="; ".join(f"W_x = {w:g} → o = {vec(o)}" for w, o in runs.items())),
                      _("it runs once every weight is a scalar, but W_x is never given, and with one shared W_x it cannot "
                        "reproduce §4.1, which uses two different input weights; its h is computed and never used"), kind="code"))
    return rows


# %% [markdown]
# ## Step by step
#
# Every line below is generated from what minigrad computed (`minigrad.trace`), written the way a
# student writes it: the formula, the formula with the numbers, and the result.

# %%
def run(ctx) -> dict:
    ex = example()
    ctx.section(_("Step by step (the consistent computation)"))
    ctx.show(ex.steps_text())
    rows = ex.check_table(source="001 §4.1")
    figure_rows = list(rows)
    rows += document_rows(ex)
    ctx.section(_("Check of every number the document prints"))
    ctx.table(rows)
    values = ex.evaluate()
    ctx.section(_("Result"))
    ctx.show(_("y = [o_1, o_2, o_3] = [{o_1:.4f}, {o_2:.4f}, {o_3:.4f}]   (the document prints y = [24.1533, 24.9850, 25.9997])")
             .format(o_1=values["o_1"], o_2=values["o_2"], o_3=values["o_3"]))
    T = sum(1 for k in values if k.startswith("x_"))
    ctx.show(_("tanh saturates: a_c1 = {a_c1:g} already gives 1 - c_1 = {gap:.2e}, so every c_t is 1 to four decimals "
               "and every o_t is w_oc + b_o = {w_oc:g} + {b_o:g} = {o_T:.4f}.").format(
        a_c1=values["a_c1"], gap=1 - values["c_1"], w_oc=values["w_oc"], b_o=values["b_o"], o_T=values[f"o_{T}"]))
    plt = ctx.pyplot()
    if plt is not None:
        fig, (ax, zoom) = figures.subplots(1, 2, width_ratios=(3, 1))
        xs = range(len(figure_rows))
        ax.bar([x - 0.2 for x in xs], [float(r.document) for r in figure_rows], width=0.4, label=figures.label("printed by the document"))
        ax.bar([x + 0.2 for x in xs], [r.recomputed for r in figure_rows], width=0.4, label=figures.label("consistent computation"))
        for x, r in zip(xs, figure_rows):
            if r.verdict == "wrong":
                ax.annotate("✗", (x, max(float(r.document), r.recomputed)), ha="center", va="bottom", color=figures.WRONG,
                            fontsize=18, fontweight="bold")
        ax.margins(y=0.12)
        ax.set_xticks(list(xs), [r.quantity for r in figure_rows], rotation=60)
        ax.set_ylabel(figures.label("value"))
        wrong = sum(r.verdict == "wrong" for r in figure_rows)
        ax.set_title(figures.label("001 §4.1: {wrong} of {total} printed numbers are wrong (✗)").format(wrong=wrong, total=len(figure_rows)))
        ax.legend(loc="upper left")
        # the cell states differ in the second decimal (0.9511 printed, 1.0000 computed): invisible on the axis
        # to 33, so they get a panel of their own on a zoomed axis, each bar labelled with its value
        cells = [r for r in figure_rows if r.quantity.startswith("c_")]
        cx = range(len(cells))
        for offset, values, colour, what in ((-0.2, [float(r.document) for r in cells], figures.PALETTE[0], "document"),
                                             (0.2, [r.recomputed for r in cells], figures.PALETTE[1], "consistent")):
            zoom.bar([x + offset for x in cx], values, width=0.4, color=colour)
            for x, value in zip(cx, values):
                zoom.annotate(f"{value:.4f}", (x + offset, value), ha="center", va="bottom", rotation=90, fontsize=14)
        zoom.set_ylim(0.9, 1.035)
        zoom.set_xticks(list(cx), [r.quantity for r in cells])
        zoom.set_title(figures.label("cell states, zoomed\n(axis from 0.9)"), fontsize=16)
        ctx.figure(fig, "rnn_worked_example_check")
        plt.close(fig)
    return {"rows": rows, "values": values, "example": ex}


# %% [markdown]
# ## Exercises
#
# 1. Redo the example with $W_x$ taken from the second *row* instead ($w_{xh} = 4$, $w_{xc} = 10$):
#    `example(w_xh=4, w_xc=10)`. Which printed numbers change?
# 2. With $\sigma = \mathrm{ReLU}$, a constant input $x_t = x$ and $c = w_{xh}x + b_h > 0$: show that $h_t$
#    grows without bound when $w_{hh} \ge 1$ (how fast?), and that it stays bounded when $0 \le w_{hh} < 1$,
#    tending to $c/(1 - w_{hh})$. Try `example(x=(1,) * 30, w_hh=0.5, w_xh=1, b_h=0)`.
# 3. Make the model an LSTM cell with one unit (`nn.LSTMCell(1, 1)`) and explain which of its gates
#    would let $h_t$ influence the output.
# 4. Use `python -m lessons check rnn_worked_example h_2=8 c_1=1.0 o_1=16` on your own answers.
#
# The assignment `rnn_bptt` practises the recurrence with matrices (`python -m lessons assignment student
# rnn_bptt handout/rnn_bptt`); the lessons `bptt_by_hand` and `bptt_vector` take its gradients.


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    base = example().evaluate()
    row2 = example(w_xh=4.0, w_xc=10.0).evaluate()
    changed = [k for k in DOCUMENT if abs(row2[k] - base[k]) > 0.5e-4]
    same = [k for k in DOCUMENT if k not in changed]
    T = 30
    runs = {w: example(x=(1.0,) * T, w_hh=w, w_xh=1.0, b_h=0.0).evaluate() for w in (0.5, 1.0, 2.0)}
    return [
        _("To four decimals these change: {changed}; these do not: {same} (tanh is saturated, so every c_t is still 1.0000 "
          "and every o_t is w_oc + b_o).").format(changed=", ".join(changed), same=", ".join(same)),
        _("With c = w_xh x + b_h > 0 every pre-activation is positive, so ReLU does nothing and h_t = w_hh h_(t-1) + c = "
          "c (1 + w_hh + ... + w_hh^(t-1)). For w_hh = 1 that is c t (linear growth), for w_hh > 1 it is "
          "c (w_hh^t - 1)/(w_hh - 1) (geometric growth), and for 0 <= w_hh < 1 it is below c/(1 - w_hh) and tends to it. "
          "With c = 1 and {T} steps: w_hh = 0.5 gives h_{T} = {h05:.6f} (limit 2), w_hh = 1 gives {h1:g}, w_hh = 2 gives {h2:.6g}.").format(
            T=T, h05=runs[0.5][f"h_{T}"], h1=runs[1.0][f"h_{T}"], h2=runs[2.0][f"h_{T}"]),
        _("In an LSTM, h_t = o_t ⊙ tanh(c_t): the output gate o_t decides how much of the cell reaches h_t and the output, "
          "and h_(t-1) enters all four gates (input, forget, cell candidate, output), so the hidden state steers what the "
          "cell keeps and shows. In the document's model c_t never sees h_t, and no gate exists."),
        _("h_2 = {h2:g}, c_1 = tanh(10) = {c1:.10f} (1.0 is right to the precision written), o_1 = 13 c_1 + 3 = {o1:.6f} "
          "(16 is right to the precision written).").format(h2=base["h_2"], c1=base["c_1"], o1=base["o_1"]),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
