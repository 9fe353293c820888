# %% [markdown]
# # Layer normalisation by hand, on one vector
#
# Every Transformer layer of document 000 (§4.3, `nn.LayerNorm(d_model)`) normalises each token's feature
# vector, but neither document says what that computes. For one token's features $x \in \mathbb{R}^n$
# (here $n = 4$), in the symbols of the [table of symbols](../notation.md):
#
# $$\mu = \frac1n\sum_{i=1}^n x_i,\qquad d_i = x_i - \mu,\qquad \sigma^2 = \frac1n\sum_{i=1}^n d_i^2,\qquad
#   s = \sqrt{\sigma^2 + \varepsilon},\qquad \hat x_i = \frac{d_i}{s},\qquad y_i = \gamma_i\,\hat x_i + \beta_i .$$
#
# *Why each step.* Subtracting the mean $\mu$ and dividing by the spread $s$ gives $\hat x$ mean 0 and
# variance (almost) 1 whatever the scale of $x$: the next layer sees inputs of the same size at every
# depth and at every point of training, so the residual stream $x + \mathrm{sublayer}(x)$ cannot grow or
# shrink layer after layer. $\varepsilon$ (PyTorch's default $10^{-5}$) keeps the division defined when
# all features are equal ($\sigma^2 = 0$). The learned $\gamma$ and $\beta$ give the layer back the
# freedom to choose another scale and offset per feature.
#
# *Two details students get wrong.* The variance divides by $n$, not $n - 1$ (it is the variance of these
# $n$ numbers, not an estimate of a population's); and the statistics are taken over the features of
# one token, not over the batch (that would be batch normalisation).
#
# No assignment practises layer norm alone; the lesson `transformer_code` uses it inside the encoder
# layer, and `multihead_by_hand` works the attention sublayer it normalises.

# %%
from __future__ import annotations

import minigrad as mg
from lessons.common import Step, WorkedExample
from lessons.i18n import domain

SUMMARY = "Layer normalisation of one 4-feature vector by hand, against nn.LayerNorm"
SOURCE = "000 §4.3 (extension)"
_ = domain("lessons")
N = 4
IDX = range(1, N + 1)


def example(x: tuple[float, float, float, float] = (1.0, 2.0, 4.0, 5.0),
            gamma: tuple[float, float, float, float] = (1.0, 1.0, 2.0, 0.5),
            beta: tuple[float, float, float, float] = (0.0, 0.5, 0.0, -1.0), eps: float = 1e-5) -> WorkedExample:
    """Layer norm of one vector of four features, every intermediate by name."""
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    inputs = {"eps": float(eps)}
    for name, vals in (("x", x), ("gamma", gamma), ("beta", beta)):
        inputs.update({f"{name}_{i}": float(a) for i, a in zip(IDX, vals)})
    steps = [Step("mu", lambda v: (v["x_1"] + v["x_2"] + v["x_3"] + v["x_4"]) / N)]
    steps += [Step(f"d_{i}", lambda v, i=i: v[f"x_{i}"] - v["mu"]) for i in IDX]
    steps.append(Step("var", lambda v: (v["d_1"] * v["d_1"] + v["d_2"] * v["d_2"] + v["d_3"] * v["d_3"] + v["d_4"] * v["d_4"]) / N))
    steps.append(Step("s", lambda v: mg.sqrt(v["var"] + v["eps"])))
    steps += [Step(f"xhat_{i}", lambda v, i=i: v[f"d_{i}"] / v["s"]) for i in IDX]
    steps += [Step(f"y_{i}", lambda v, i=i: v[f"gamma_{i}"] * v[f"xhat_{i}"] + v[f"beta_{i}"]) for i in IDX]
    return WorkedExample(inputs, steps, {})


def draw_variant(rng) -> dict:
    """Inputs for an exam variant: whole-number features that are not all equal, gammas of 1, 2 or 0.5, betas in tenths."""
    while True:
        x = tuple(float(a) for a in rng.integers(-3, 7, size=N))
        if len(set(x)) > 2:
            return dict(x=x, gamma=tuple(float(a) for a in rng.choice([0.5, 1.0, 2.0], size=N)),
                        beta=tuple(round(float(a) / 10, 1) for a in rng.integers(-10, 11, size=N)))


def layer(values: dict):
    """``nn.LayerNorm(4)`` with the example's gamma, beta and eps, in float64."""
    ln = mg.nn.LayerNorm(N, eps=values["eps"]).double()
    with mg.no_grad():
        ln.weight.copy_(mg.tensor([values[f"gamma_{i}"] for i in IDX], dtype=mg.float64))
        ln.bias.copy_(mg.tensor([values[f"beta_{i}"] for i in IDX], dtype=mg.float64))
    return ln


def vector(values: dict, name: str):
    return mg.tensor([values[f"{name}_{i}"] for i in IDX], dtype=mg.float64)


# %%
def run(ctx) -> dict:
    ex = example()
    values = ex.evaluate()
    ctx.section(_("Layer norm of x = (1, 2, 4, 5), by hand"))
    ctx.show(ex.steps_text())
    ln = layer(values)
    x = vector(values, "x")
    with mg.no_grad():
        ref = ln(x)
    hand = vector(values, "y")
    diff = float((ref - hand).abs().amax().item())
    ctx.section(_("Checked against nn.LayerNorm"))
    ctx.show(_("nn.LayerNorm(4) with these gamma, beta: {ref}; by hand: {hand}; largest difference {diff:.1e}").format(
        ref=[round(float(a), 6) for a in ref.cpu().numpy()], hand=[round(float(a), 6) for a in hand.cpu().numpy()], diff=diff))
    xhat = vector(values, "xhat")
    ctx.show(_("x̂ has mean {mean:.2e} and variance (dividing by n) {var:.6f} = var / (var + eps)").format(
        mean=float(xhat.mean().item()), var=float(((xhat - xhat.mean()) ** 2).mean().item())))
    ctx.section(_("What layer norm ignores: the scale and offset of its input"))
    with mg.no_grad():
        moved = ln(3 * x + 7)
    ctx.show(_("LN(3x + 7) = {moved}: the same as LN(x) up to {diff:.1e} (only eps tells them apart)").format(
        moved=[round(float(a), 6) for a in moved.cpu().numpy()], diff=float((moved - ref).abs().amax().item())))
    var_n1 = float(((x - x.mean()) ** 2).sum().item()) / (N - 1)
    ctx.show(_("With the n - 1 divisor the variance would be {n1:.4f} instead of {n:.4f}, and y_3 = {y3:.4f} instead of "
               "{y3ok:.4f}: not what nn.LayerNorm computes.").format(
        n1=var_n1, n=values["var"], y3=values["gamma_3"] * values["d_3"] / (var_n1 + values["eps"]) ** 0.5 + values["beta_3"],
        y3ok=values["y_3"]))
    return {"values": values, "example": ex, "difference": diff}


# %% [markdown]
# ## Exercises
#
# 1. Compute $\mu$, $\sigma^2$, $s$ and $y$ by hand and check them: `python -m lessons check layer_norm_by_hand mu=... var=... y_1=...`.
# 2. Show that $\mathrm{LN}(c\,x + a) = \mathrm{LN}(x)$ for every $c > 0$ when $\varepsilon = 0$. What does
#    $c < 0$ do?
# 3. All features equal, $x = (2, 2, 2, 2)$: what is $y$, and what would happen with $\varepsilon = 0$?
# 4. Why does layer norm average over the features of one token and not over the batch, in a Transformer
#    that processes sequences of different lengths?


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    v = example().evaluate()
    neg = example(x=tuple(-3 * v[f"x_{i}"] + 1 for i in IDX), eps=0.0).evaluate()
    flat = example(x=(2.0, 2.0, 2.0, 2.0)).evaluate()
    return [
        _("μ = {mu:g}, σ² = {var:g}, s = √(σ² + ε) = {s:.6f}, y = ({y}).").format(
            mu=v["mu"], var=v["var"], s=v["s"], y=", ".join(f"{v[f'y_{i}']:.4f}" for i in IDX)),
        _("With x' = c x + a: μ' = c μ + a, so d'_i = c d_i, σ'² = c² σ², s' = |c| s (ε = 0), and x̂'_i = c d_i / (|c| s) = x̂_i "
          "for c > 0. For c < 0 every x̂_i changes sign: with x' = -3x + 1, x̂' = ({xh}).").format(
            xh=", ".join(f"{neg[f'xhat_{i}']:.4f}" for i in IDX)),
        _("Every d_i = 0 and σ² = 0, so x̂ = 0 and y = β = ({y}); with ε = 0 it would be 0/0 = NaN: ε keeps the division defined.").format(
            y=", ".join(f"{flat[f'y_{i}']:g}" for i in IDX)),
        _("Each token is normalised on its own, so the result does not depend on which other sequences, or how much "
          "padding, are in the batch, and it is the same in training and at inference with a batch of one."),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
