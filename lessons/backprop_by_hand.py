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
    for name, key in (("w_1", "g_w1"), ("w_2", "g_w2"), ("b", "g_b")):
        ctx.show(_("dL/d{name}: by hand {hand:.12f}   autograd {auto:.12f}").format(name=name, hand=hand[key], auto=auto[name]))
    ctx.show(_("central finite differences agree: {fd}").format(fd=fd))
    return {"values": hand, "autograd": auto}


# %% [markdown]
# ## Exercises
#
# 1. Replace tanh by the sigmoid and redo the backward steps ($\sigma' = \sigma(1-\sigma)$).
# 2. Use $x_1$ twice ($z = w_1 x_1 + w_2 x_1 + b$): where do the two gradient paths add up?
# 3. `python -m lessons check backprop_by_hand g_z=...` checks your own numbers.

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
