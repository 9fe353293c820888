# %% [markdown]
# # Backpropagation by hand on a tiny graph
#
# Before recurrences and attention: one neuron and a squared error,
#
# $$z = w_1 x_1 + w_2 x_2 + b,\qquad a = \tanh z,\qquad L = (a - y)^2 .$$
#
# The chain rule, applied from the loss backwards, one local derivative at a time
# ($g_q = \partial L/\partial q$):
#
# $$g_a = 2(a - y),\quad g_z = g_a\,(1 - a^2),\quad g_{w_1} = g_z\,x_1,\quad g_{w_2} = g_z\,x_2,\quad g_b = g_z .$$
#
# This is exactly what `Tensor.backward()` does: it visits the graph's nodes in reverse order, and each
# node's `backward` multiplies the incoming gradient by its local derivative. The lesson writes every step,
# then compares with autograd, finite differences and the graph minigrad recorded.

# %%
from __future__ import annotations

import math

import minigrad as mg
from lessons.common import Step, WorkedExample
from lessons.i18n import domain
from minigrad.testing import gradcheck

SUMMARY = "The chain rule step by step on one neuron, next to autograd and finite differences"
SOURCE = "course material (before 001 §3.1)"
_ = domain("lessons")


def example(x_1: float = 0.5, x_2: float = -1.0, w_1: float = 0.8, w_2: float = 0.3, b: float = 0.1, y: float = 1.0) -> WorkedExample:
    """Forward and backward steps of the neuron; every intermediate by name."""
    inputs = dict(x_1=x_1, x_2=x_2, w_1=w_1, w_2=w_2, b=b, y=y)
    steps = [
        Step("z", lambda v: v["w_1"] * v["x_1"] + v["w_2"] * v["x_2"] + v["b"]),
        Step("a", lambda v: mg.tanh(v["z"])),
        Step("L", lambda v: (v["a"] - v["y"]) ** 2),
        Step("g_a", lambda v: 2 * (v["a"] - v["y"])),
        Step("g_z", lambda v: v["g_a"] * (1 - v["a"] * v["a"])),
        Step("g_w1", lambda v: v["g_z"] * v["x_1"]),
        Step("g_w2", lambda v: v["g_z"] * v["x_2"]),
        Step("g_b", lambda v: v["g_z"] * 1.0),
    ]
    return WorkedExample(inputs, steps, {})


def draw_variant(rng) -> dict:
    """Inputs for an exam variant: one-decimal numbers, and a tanh that is not saturated (|z| <= 1.5)."""
    while True:
        kw = {k: round(float(rng.integers(-10, 11)) / 10, 1) for k in ("x_1", "x_2", "w_1", "w_2", "b")}
        kw["y"] = float(rng.choice([-1.0, 1.0]))
        if 0.1 <= abs(example(**kw).evaluate()["z"]) <= 1.5:
            return kw


def autograd(ex: WorkedExample) -> tuple:
    """The loss through minigrad's graph with the weights as leaves, and their gradients."""
    v = {k: mg.tensor(val, dtype=mg.float64, requires_grad=k in ("w_1", "w_2", "b")) for k, val in ex.inputs.items()}
    for step in ex.steps[:3]:
        v[step.name] = step.fn(v)
    loss = v["L"]
    nodes = [repr(f) for f in mg.autograd.functions_in([loss])]
    loss.backward()
    return {k: v[k].grad.item() for k in ("w_1", "w_2", "b")}, nodes


EPS = 1e-6


def central_differences(ex: WorkedExample) -> dict:
    """(L(w + ε) - L(w - ε)) / 2ε for each weight, from the forward steps alone (float64)."""
    out = {}
    for name in ("w_1", "w_2", "b"):
        up = ex.with_inputs(**{name: ex.inputs[name] + EPS}).evaluate()["L"]
        down = ex.with_inputs(**{name: ex.inputs[name] - EPS}).evaluate()["L"]
        out[name] = (up - down) / (2 * EPS)
    return out


# %%
def run(ctx) -> dict:
    ex = example()
    ctx.section(_("Forward, then backward, by hand"))
    ctx.show(ex.steps_text())
    hand = ex.evaluate()
    auto, nodes = autograd(ex)
    ctx.section(_("The graph minigrad recorded (a node before the nodes it consumes)"))
    ctx.show(" -> ".join(nodes))
    ctx.section(_("Hand against autograd and finite differences"))
    leaves = [mg.tensor(ex.inputs[k], dtype=mg.float64, requires_grad=True) for k in ("w_1", "w_2", "b")]
    fd = gradcheck(lambda w1, w2, b: (mg.tanh(w1 * ex.inputs["x_1"] + w2 * ex.inputs["x_2"] + b) - ex.inputs["y"]) ** 2, leaves)
    differences = central_differences(ex)
    for name, key in (("w_1", "g_w1"), ("w_2", "g_w2"), ("b", "g_b")):
        ctx.show(_("dL/d{name}: by hand {hand:.12f}   autograd {auto:.12f}   (L({name} + ε) - L({name} - ε)) / 2ε {fd:.12f}").format(
            name=name, hand=hand[key], auto=auto[name], fd=differences[name]))
    worst = max(abs(hand[key] - differences[name]) for name, key in (("w_1", "g_w1"), ("w_2", "g_w2"), ("b", "g_b")))
    ctx.show(_("ε = {eps:g}; largest |by hand - central difference| = {worst:.1e} (the difference itself is off by about ε² from truncation and 10⁻¹⁶/ε from round-off); "
               "minigrad.testing.gradcheck: {fd}").format(eps=EPS, worst=worst, fd=_("agrees") if fd else _("DIFFERS")))
    return {"values": hand, "autograd": auto, "differences": differences}


# %% [markdown]
# ## Exercises
#
# 1. Replace tanh by the sigmoid and redo the backward steps ($\sigma' = \sigma(1-\sigma)$).
# 2. Use $x_1$ twice ($z = w_1 x_1 + w_2 x_1 + b$): where do the two gradient paths add up?
# 3. `python -m lessons check backprop_by_hand g_z=...` checks your own numbers.
#
# The assignment `lstm_cell` practises backward passes written by hand (`python -m lessons assignment
# student lstm_cell handout/lstm_cell`).


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    v = example().evaluate()
    x1, x2, w1, w2, b, y = (mg.tensor(v[k], dtype=mg.float64, requires_grad=k in ("w_1", "w_2", "b")) for k in ("x_1", "x_2", "w_1", "w_2", "b", "y"))
    a = mg.sigmoid(w1 * x1 + w2 * x2 + b)
    loss = (a - y) ** 2
    loss.backward()
    g_a = 2 * (a.item() - v["y"])
    g_z = g_a * a.item() * (1 - a.item())
    x = mg.tensor(v["x_1"], dtype=mg.float64, requires_grad=True)
    twice = (mg.tanh(v["w_1"] * x + v["w_2"] * x + v["b"]) - v["y"]) ** 2
    twice.backward()
    z2 = v["w_1"] * v["x_1"] + v["w_2"] * v["x_1"] + v["b"]
    gz2 = 2 * (math.tanh(z2) - v["y"]) * (1 - math.tanh(z2) ** 2)
    return [
        _("a = σ(z) = {a:.6f}, g_a = 2(a - y) = {g_a:.6f}, g_z = g_a σ(z)(1 - σ(z)) = {g_z:.6f}, so g_w1 = g_z x_1 = {g_w1:.6f}, "
          "g_w2 = {g_w2:.6f}, g_b = {g_b:.6f}; autograd gives {auto}.").format(
            a=a.item(), g_a=g_a, g_z=g_z, g_w1=g_z * v["x_1"], g_w2=g_z * v["x_2"], g_b=g_z,
            auto=", ".join(f"{t.grad.item():.6f}" for t in (w1, w2, b))),
        _("At x_1: it reaches z by two edges, through w_1 and through w_2, and the chain rule adds them: "
          "g_x1 = g_z w_1 + g_z w_2 = {hand:.6f}; autograd, which accumulates a leaf's gradient over its uses, gives {auto:.6f}.").format(
            hand=gz2 * (v["w_1"] + v["w_2"]), auto=x.grad.item()),
        _("g_z = {g_z:.6f} (g_a = {g_a:.6f}, 1 - a² = {slope:.6f}).").format(g_z=v["g_z"], g_a=v["g_a"], slope=1 - v["a"] ** 2),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
