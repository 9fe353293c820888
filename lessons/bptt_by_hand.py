# %% [markdown]
# # Backpropagation through time by hand, on the example of document 001, §4.1
#
# The worked example of 001 §4.1 (see the lesson `rnn_worked_example`) runs three steps of
#
# $$h_t = \mathrm{ReLU}(w_{hh} h_{t-1} + w_{xh} x_t + b_h),\quad c_t = \tanh(w_{cc} c_{t-1} + w_{xc} x_t + b_c),\quad
#   o_t = \mathrm{ReLU}(w_{oc} c_t + b_o),$$
#
# and its final output is $y = o_3$ (§3.1.2). This lesson computes the gradient of $y$ with respect to
# every weight by hand, backwards through time, writing $g_q = \partial y / \partial q$ (here the
# "loss" is $y$ itself; the [table of symbols](../notation.md) uses $g_q = \partial L/\partial q$ for
# whatever is being differentiated). $[P]$ is the Iverson bracket: 1 if the statement $P$ is true, 0 if
# it is false; so $\mathrm{ReLU}'(a) = [a > 0]$ (at $a = 0$ ReLU has no slope, and $[0 > 0] = 0$ is the
# convention PyTorch uses):
#
# $$g_{a_{o3}} = [a_{o3} > 0],\quad g_{c_3} = g_{a_{o3}}\,w_{oc},\quad
#   g_{a_{ct}} = g_{c_t}\,(1 - c_t^2),\quad g_{c_{t-1}} = g_{a_{ct}}\,w_{cc},$$
# $$\frac{\partial y}{\partial w_{cc}} = \sum_t g_{a_{ct}}\,c_{t-1},\quad
#   \frac{\partial y}{\partial w_{xc}} = \sum_t g_{a_{ct}}\,x_t,\quad
#   \frac{\partial y}{\partial b_c} = \sum_t g_{a_{ct}},\quad
#   \frac{\partial y}{\partial w_{oc}} = g_{a_{o3}}\,c_3,\quad \frac{\partial y}{\partial b_o} = g_{a_{o3}}.$$
#
# *Why each step:* $o_3 = \mathrm{ReLU}(a_{o3})$ passes a gradient only where $a_{o3} > 0$; $c_3$ reaches
# $a_{o3}$ through $w_{oc}$; $\tanh'(a) = 1 - \tanh^2 a = 1 - c_t^2$; and $c_{t-1}$ reaches $a_{ct}$ through
# $w_{cc}$. A weight used at every step collects one term per step, hence the sums.
#
# The output never reads $h_t$, so $\partial y/\partial w_{hh} = \partial y/\partial w_{xh} = \partial y/\partial b_h = 0$.
# To still show the recursion for $h$, the lesson takes $h_3$ as a second function to differentiate and
# writes $k_q = \partial h_3/\partial q$ for its gradients (`k_h3` = 1, `k_ah3` = $k_{h3}[a_{h3} > 0]$,
# `k_h2` = $k_{ah3} w_{hh}$, ...). Every hand value is checked against minigrad's autograd and against
# central finite differences in float64. With a loss at every step and a hidden vector, where the
# recursion gets its second term, see `bptt_vector`.
#
# With the document's numbers $\tanh$ is saturated ($a_{c1} = 10$: $1 - c_1^2 \approx 8\cdot10^{-9}$), so the
# gradients through $c$ *vanish*: a preview of the vanishing-gradient lesson. The lesson repeats the
# computation with every input and weight ten times smaller, where they do not.

# %%
from __future__ import annotations

import inspect

import numpy as np

import minigrad as mg
from lessons.common import Step, WorkedExample, add_up
from lessons.rnn_worked_example import draw_variant as draw_forward_variant
from lessons.rnn_worked_example import example as forward_example
from lessons.i18n import domain
from minigrad.testing import gradcheck

SUMMARY = "BPTT on the §4.1 recurrence by hand, checked against autograd and finite differences"
SOURCE = "001 §4.1 (extension)"
_ = domain("lessons")
WEIGHTS = ("w_hh", "w_xh", "b_h", "w_cc", "w_xc", "b_c", "w_oc", "b_o")


def example(x: tuple[float, ...] = (1.0, 2.0, 3.0), **weights: float) -> WorkedExample:
    """The forward steps of §4.1 followed by the backward steps for y = o_T and for h_T.

    Takes the inputs of :func:`lessons.rnn_worked_example.example` (its signature is this one's).
    """
    fwd = forward_example(x=x, **weights)
    T = len(x)
    steps = list(fwd.steps)
    steps += [Step(f"g_ao{T}", lambda v: (v[f"a_o{T}"] > 0) * 1.0),
              Step(f"g_c{T}", lambda v: v[f"g_ao{T}"] * v["w_oc"])]
    for t in range(T, 0, -1):
        steps.append(Step(f"g_ac{t}", lambda v, t=t: v[f"g_c{t}"] * (1 - v[f"c_{t}"] * v[f"c_{t}"])))
        steps.append(Step(f"g_c{t - 1}", lambda v, t=t: v[f"g_ac{t}"] * v["w_cc"]))
    steps += [
        Step("dy_dw_oc", lambda v: v[f"g_ao{T}"] * v[f"c_{T}"]),
        Step("dy_db_o", lambda v: v[f"g_ao{T}"] * 1.0),
        Step("dy_dw_cc", lambda v: add_up(v[f"g_ac{t}"] * v[f"c_{t - 1}"] for t in range(1, T + 1))),
        Step("dy_dw_xc", lambda v: add_up(v[f"g_ac{t}"] * v[f"x_{t}"] for t in range(1, T + 1))),
        Step("dy_db_c", lambda v: add_up(v[f"g_ac{t}"] for t in range(1, T + 1))),
    ]
    # the loss h_T: the ReLU recursion
    steps.append(Step(f"k_h{T}", lambda v: mg.tensor(1.0, dtype=mg.float64)))  # k_q = d h_T / d q; k_hT = 1
    for t in range(T, 0, -1):
        steps.append(Step(f"k_ah{t}", lambda v, t=t: v[f"k_h{t}"] * (v[f"a_h{t}"] > 0)))
        steps.append(Step(f"k_h{t - 1}", lambda v, t=t: v[f"k_ah{t}"] * v["w_hh"]))
    steps += [
        Step("dhT_dw_hh", lambda v: add_up(v[f"k_ah{t}"] * v[f"h_{t - 1}"] for t in range(1, T + 1))),
        Step("dhT_dw_xh", lambda v: add_up(v[f"k_ah{t}"] * v[f"x_{t}"] for t in range(1, T + 1))),
        Step("dhT_db_h", lambda v: add_up(v[f"k_ah{t}"] for t in range(1, T + 1))),
    ]
    return WorkedExample(fwd.inputs, steps, {})


example.__signature__ = inspect.signature(forward_example)
draw_variant = draw_forward_variant


def autograd_gradients(x=(1.0, 2.0, 3.0), **weights: float) -> dict:
    """The same gradients from minigrad's autograd (the forward steps as a graph, then backward)."""
    fwd = forward_example(x=x, **weights)
    T = len(x)
    results = {}
    for loss_name in (f"o_{T}", f"h_{T}"):
        values = {k: mg.tensor(v, dtype=mg.float64, requires_grad=k in WEIGHTS) for k, v in fwd.inputs.items()}
        for step in fwd.steps:
            values[step.name] = step.fn(values)
        values[loss_name].backward()
        results[loss_name] = {w: (values[w].grad.item() if values[w].grad is not None else 0.0) for w in WEIGHTS}
    return results


def central_differences(x=(1.0, 2.0, 3.0), eps: float = 1e-6, **weights: float) -> dict:
    """(y(w + eps) - y(w - eps)) / 2 eps for y = o_T and for h_T, each weight in turn, from the forward steps alone."""
    fwd = forward_example(x=x, **weights)
    T = len(x)
    out: dict = {f"o_{T}": {}, f"h_{T}": {}}
    for w in WEIGHTS:
        up = fwd.with_inputs(**{w: fwd.inputs[w] + eps}).evaluate()
        down = fwd.with_inputs(**{w: fwd.inputs[w] - eps}).evaluate()
        for loss in out:
            out[loss][w] = (up[loss] - down[loss]) / (2 * eps)
    return out


def finite_difference_check(x=(1.0, 2.0, 3.0), **weights: float) -> bool:
    """``minigrad.testing.gradcheck`` of both losses with respect to all weights at once."""
    fwd = forward_example(x=x, **weights)
    T = len(x)
    leaves = [mg.tensor(fwd.inputs[w], dtype=mg.float64, requires_grad=True) for w in WEIGHTS]

    def losses(*ws):
        values = {k: mg.tensor(v, dtype=mg.float64) for k, v in fwd.inputs.items()}
        values.update(dict(zip(WEIGHTS, ws)))
        for step in fwd.steps:
            values[step.name] = step.fn(values)
        return values[f"o_{T}"], values[f"h_{T}"]

    return gradcheck(losses, leaves, atol=1e-7, rtol=1e-6)


# every input and weight of the document divided by ten (h_0 = c_0 = 0 stay 0)
SMALL = dict(x=(0.1, 0.2, 0.3), w_hh=0.1, w_xh=0.2, b_h=0.1, w_cc=0.7, w_xc=0.8, b_c=0.2, w_oc=1.3, b_o=0.3)


# %%
def run(ctx) -> dict:
    tables = {}
    for label, args in (("the document's numbers", {}), ("every input and weight ten times smaller (no saturation)", SMALL)):
        ex = example(**args)
        ctx.section(_("By hand, with {label}").format(label=_(label)))
        ctx.show(ex.steps_text())
        hand = ex.evaluate()
        auto = autograd_gradients(**args)
        T = len(args.get("x", (1, 2, 3)))
        rows = []
        for w in WEIGHTS:
            h_y = hand.get(f"dy_d{w}", 0.0)
            h_h = hand.get(f"dhT_d{w}", 0.0)
            rows.append((w, h_y, auto[f"o_{T}"][w], h_h, auto[f"h_{T}"][w]))
        fd = finite_difference_check(**args)
        central = central_differences(**args)
        ok = all(np.isclose(a, b, rtol=1e-12, atol=1e-15) and np.isclose(c, d, rtol=1e-12, atol=1e-15) for _w, a, b, c, d in rows)
        head = (_("weight"), _("dy/dw by hand"), _("dy/dw autograd"), _("dy/dw differences"), _("dh_T/dw by hand"), _("dh_T/dw autograd"),
                _("dh_T/dw differences"))
        lines = ["{:8s} {:>16s} {:>16s} {:>18s} {:>16s} {:>17s} {:>20s}".format(*head)]
        lines += [f"{w:8s} {a:16.10g} {b:16.10g} {central[f'o_{T}'][w]:18.10g} {c:16.10g} {d:17.10g} {central[f'h_{T}'][w]:20.10g}"
                  for w, a, b, c, d in rows]
        ctx.show("\n".join(lines))
        worst = max(max(abs(a - central[f"o_{T}"][w]), abs(c - central[f"h_{T}"][w])) for w, a, _b, c, _d in rows)
        ctx.show(_("hand = autograd to 1e-12: {ok}; largest |by hand - central difference (eps = 1e-6)| = {worst:.1e}; "
                   "minigrad.testing.gradcheck: {fd}").format(ok=_("yes") if ok else _("no"), worst=worst,
                                                              fd=_("agrees") if fd else _("DIFFERS")))
        tables[label] = rows
    return {"gradients": tables}


# %% [markdown]
# ## Exercises
#
# 1. Derive $\partial y/\partial x_1$ by hand and check it with `x.requires_grad_()`.
# 2. With the document's numbers, by how many orders of magnitude does $g_{c_t}$ shrink per step? Relate
#    it to $1 - \tanh^2(a_{ct})$.
# 3. Replace ReLU by tanh in the $h$ recursion and redo the $h_T$ gradients.
# 4. Check your own numbers: `python -m lessons check bptt_by_hand g_ac3=... k_ah2=...`.
#
# The assignment `rnn_bptt` practises BPTT with matrices, in full and truncated (`python -m lessons
# assignment student rnn_bptt handout/rnn_bptt`).


def answers() -> list:
    """Worked answers of the exercises, computed from the example (exercises 1 and 3 on the unsaturated ``SMALL``
    inputs, where the gradients are not zero)."""
    v = example().evaluate()
    small = example(**SMALL).evaluate()
    fwd = forward_example(**SMALL)
    values = {k: mg.tensor(a, dtype=mg.float64, requires_grad=k == "x_1") for k, a in fwd.inputs.items()}
    for step in fwd.steps:
        values[step.name] = step.fn(values)
    values["o_3"].backward()
    slopes = [1 - v[f"c_{t}"] ** 2 for t in (3, 2, 1)]
    h = {k: mg.tensor(a, dtype=mg.float64, requires_grad=k in WEIGHTS) for k, a in fwd.inputs.items()}
    state = h["h_0"]
    for t in (1, 2, 3):  # the h recursion with tanh in place of ReLU
        state = mg.tanh(h["w_hh"] * state + h["w_xh"] * h[f"x_{t}"] + h["b_h"])
    state.backward()
    return [
        _("x_1 reaches y only through a_c1 = w_cc c_0 + w_xc x_1 + b_c (its road through h never reaches y), so "
          "∂y/∂x_1 = g_ac1 w_xc. With the document's numbers g_ac1 = {g_doc:.3g}, so it is {doc:.3g}; with every input and weight "
          "ten times smaller, g_ac1 w_xc = {hand:.6g} and autograd gives {auto:.6g}.").format(
            g_doc=v["g_ac1"], doc=v["g_ac1"] * v["w_xc"], hand=small["g_ac1"] * small["w_xc"], auto=values["x_1"].grad.item()),
        _("g_c3 = {g3:.4g}, g_c2 = {g2:.4g}, g_c1 = {g1:.4g}, g_c0 = {g0:.4g}: each step back multiplies by w_cc (1 - c_t²), and "
          "1 - c_t² is {s3:.3g}, {s2:.3g}, {s1:.3g} for t = 3, 2, 1. tanh is saturated (c_t rounds to 1 in float64 at t = 2 "
          "and 3), so the gradient is gone after one step: a factor 1 - tanh²(a) of about 4 e^(-2a) per step, "
          "8 orders of magnitude at a = 10.").format(
            g3=v["g_c3"], g2=v["g_c2"], g1=v["g_c1"], g0=v["g_c0"], s3=slopes[0], s2=slopes[1], s1=slopes[2]),
        _("k_ah_t = k_h_t (1 - h_t²) replaces k_h_t [a_ht > 0]. With every input and weight ten times smaller: "
          "∂h_3/∂w_hh = {w_hh:.6g}, ∂h_3/∂w_xh = {w_xh:.6g}, ∂h_3/∂b_h = {b_h:.6g} (autograd on the tanh recursion), against "
          "{r_hh:.6g}, {r_xh:.6g}, {r_b:.6g} with ReLU: each term shrinks by 1 - h_t², which is below 1.").format(
            w_hh=h["w_hh"].grad.item(), w_xh=h["w_xh"].grad.item(), b_h=h["b_h"].grad.item(),
            r_hh=small["dhT_dw_hh"], r_xh=small["dhT_dw_xh"], r_b=small["dhT_db_h"]),
        _("With the document's numbers g_ac3 = {g:.6g} and k_ah2 = {k:g}.").format(g=v["g_ac3"], k=v["k_ah2"]),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
