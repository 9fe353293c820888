# %% [markdown]
# # Backpropagation through time by hand, on the example of document 001, §4.1
#
# The worked example of 001 §4.1 (see the lesson `rnn_worked_example`) runs three steps of
#
# $$h_t = \mathrm{ReLU}(w_{hh} h_{t-1} + w_{xh} x_t + b_h),\quad c_t = \tanh(w_{cc} c_{t-1} + w_{xc} x_t + b_c),\quad
#   o_t = \mathrm{ReLU}(w_{oc} c_t + b_o),$$
#
# and its final output is $y = o_3$ (§3.1.2). This lesson computes the gradient of $y$ with respect to
# every weight by hand, backwards through time, writing $g_q = \partial y / \partial q$:
#
# $$g_{a_{o3}} = [a_{o3} > 0],\quad g_{c_3} = g_{a_{o3}}\,w_{oc},\quad
#   g_{a_{ct}} = g_{c_t}\,(1 - c_t^2),\quad g_{c_{t-1}} = g_{a_{ct}}\,w_{cc},$$
# $$\frac{\partial y}{\partial w_{cc}} = \sum_t g_{a_{ct}}\,c_{t-1},\quad
#   \frac{\partial y}{\partial w_{xc}} = \sum_t g_{a_{ct}}\,x_t,\quad
#   \frac{\partial y}{\partial b_c} = \sum_t g_{a_{ct}},\quad
#   \frac{\partial y}{\partial w_{oc}} = g_{a_{o3}}\,c_3,\quad \frac{\partial y}{\partial b_o} = g_{a_{o3}}.$$
#
# The output never reads $h_t$, so $\partial y/\partial w_{hh} = \partial y/\partial w_{xh} = \partial y/\partial b_h = 0$.
# The same recursion for $h$ is shown with the loss $h_3$. Every hand value is checked against minigrad's
# autograd and against central finite differences in float64.
#
# With the document's numbers $\tanh$ is saturated ($a_{c1} = 10$: $1 - c_1^2 \approx 8\cdot10^{-9}$), so the
# gradients through $c$ *vanish*: a preview of the vanishing-gradient lesson. The lesson repeats the
# computation with inputs ten times smaller, where they do not.

# %%
from __future__ import annotations

import inspect

import numpy as np

import minigrad as mg
from lessons.common import Step, WorkedExample
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
        Step("dy_dw_cc", lambda v: _sum(v[f"g_ac{t}"] * v[f"c_{t - 1}"] for t in range(1, T + 1))),
        Step("dy_dw_xc", lambda v: _sum(v[f"g_ac{t}"] * v[f"x_{t}"] for t in range(1, T + 1))),
        Step("dy_db_c", lambda v: _sum(v[f"g_ac{t}"] for t in range(1, T + 1))),
    ]
    # the loss h_T: the ReLU recursion
    steps.append(Step(f"k_h{T}", lambda v: mg.tensor(1.0, dtype=mg.float64)))  # k_q = d h_T / d q; k_hT = 1
    for t in range(T, 0, -1):
        steps.append(Step(f"k_ah{t}", lambda v, t=t: v[f"k_h{t}"] * (v[f"a_h{t}"] > 0)))
        steps.append(Step(f"k_h{t - 1}", lambda v, t=t: v[f"k_ah{t}"] * v["w_hh"]))
    steps += [
        Step("dhT_dw_hh", lambda v: _sum(v[f"k_ah{t}"] * v[f"h_{t - 1}"] for t in range(1, T + 1))),
        Step("dhT_dw_xh", lambda v: _sum(v[f"k_ah{t}"] * v[f"x_{t}"] for t in range(1, T + 1))),
        Step("dhT_db_h", lambda v: _sum(v[f"k_ah{t}"] for t in range(1, T + 1))),
    ]
    return WorkedExample(fwd.inputs, steps, {})


example.__signature__ = inspect.signature(forward_example)
draw_variant = draw_forward_variant


def _sum(terms):
    terms = list(terms)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


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
    for label, args in (("the document's numbers", {}), ("inputs and weights ten times smaller (no saturation)", SMALL)):
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
        ok = all(np.isclose(a, b, rtol=1e-12, atol=1e-15) and np.isclose(c, d, rtol=1e-12, atol=1e-15) for _w, a, b, c, d in rows)
        head = (_("weight"), _("dy/dw by hand"), _("dy/dw autograd"), _("dh_T/dw by hand"), _("dh_T/dw autograd"))
        lines = ["{:8s} {:>16s} {:>16s} {:>16s} {:>17s}".format(*head)]
        lines += [f"{w:8s} {a:16.10g} {b:16.10g} {c:16.10g} {d:17.10g}" for w, a, b, c, d in rows]
        ctx.show("\n".join(lines))
        ctx.show(_("hand = autograd to 1e-12: {ok};  central finite differences (minigrad.testing.gradcheck) agree: {fd}").format(ok=ok, fd=fd))
        tables[label] = rows
    return {"gradients": tables}


# %% [markdown]
# ## Exercises
#
# 1. Derive $\partial y/\partial x_1$ by hand and check it with `x.requires_grad_()`.
# 2. With the document's numbers, by how many orders of magnitude does $g_{c_t}$ shrink per step? Relate
#    it to $1 - \tanh^2(a_{ct})$.
# 3. Replace ReLU by tanh in the $h$ recursion and redo the $h_T$ gradients.

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
