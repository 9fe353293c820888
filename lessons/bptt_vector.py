# %% [markdown]
# # Backpropagation through time with vectors: a loss at every step, truncation, and why gradients vanish
#
# `bptt_by_hand` works on the scalars of document 001 §4.1, where the loss reads only the last output.
# A real recurrent network has a hidden *vector* and a loss at *every* step, and then the gradient that
# reaches a hidden state comes by two roads: from its own step's output, and from the next step. This
# lesson works that out by hand on the smallest such network (hidden size 2, three steps), then cuts the
# second road (truncated BPTT) and measures why, over many steps, the gradient vanishes or explodes.
#
# **The network** (symbols as in the [table of symbols](../notation.md)): for $t = 1, 2, 3$,
#
# $$a_t = W h_{t-1} + u\,x_t + b,\qquad h_t = \tanh(a_t),\qquad y_t = v^\top h_t,\qquad
#   L = \sum_t \ell_t,\quad \ell_t = \tfrac12 (y_t - r_t)^2,$$
#
# with $h_t, a_t, u, b, v \in \mathbb{R}^2$, $W \in \mathbb{R}^{2\times2}$, a scalar input $x_t$ and a
# target $r_t$. Component $i$ of $h_t$ is written `h_t_i` (so `h_2_1` is $h_{2,1}$), and $W_{ij}$ is `W_ij`.
#
# **The backward recursion.** Write $g_q = \partial L/\partial q$ for any quantity $q$, and
# $\delta_t = \partial L/\partial h_t$ for the *total* gradient reaching the hidden state. Going backwards
# from $t = 3$:
#
# $$g_{y_t} = y_t - r_t,\qquad
#   \delta_t = \underbrace{v\,g_{y_t}}_{\text{own output}} + \underbrace{W^\top g_{a_{t+1}}}_{\text{next step}}
#   \ (\text{no next step at } t = 3),\qquad
#   g_{a_t} = \delta_t \odot (1 - h_t^2),$$
#
# and every weight collects one term per step, because the same weight is used at every step:
#
# $$g_W = \sum_t g_{a_t} h_{t-1}^\top,\quad g_u = \sum_t g_{a_t} x_t,\quad g_b = \sum_t g_{a_t},\quad
#   g_v = \sum_t g_{y_t} h_t .$$
#
# *Why $1 - h_t^2$:* $\tanh'(a) = 1 - \tanh^2(a)$, and $h_t = \tanh(a_t)$ is already computed. *Why
# $W^\top$:* $a_{t+1,k} = \sum_i W_{ki} h_{t,i} + \dots$, so $h_{t,i}$ reaches every $a_{t+1,k}$ through
# $W_{ki}$: summing over $k$ is a product with the transpose.
#
# **Truncated BPTT** keeps the forward pass but drops the "next step" term every $k$ steps (in code:
# `h.detach()`), so no gradient crosses a chunk boundary. It is cheaper and stores less, and it is
# biased: whatever a weight does to losses more than $k$ steps later is not in its gradient.
#
# **Why gradients vanish or explode.** From the recursion, the part of $\delta_s$ that comes from the loss
# at a later step $t$ is
#
# $$\delta_s \leftarrow \Big(\prod_{\tau = s+1}^{t} W^\top \mathrm{diag}(1 - h_\tau^2)\Big)\, v\,g_{y_t},\qquad
#   \big\lVert W^\top \mathrm{diag}(1 - h_\tau^2) \big\rVert_2 \le \sigma_{\max}(W)\cdot\max_i (1 - h_{\tau,i}^2)
#   \le \sigma_{\max}(W),$$
#
# where $\sigma_{\max}(W)$ is the largest singular value (the spectral norm) of $W$. If
# $\sigma_{\max}(W) < 1$, the gradient from $t - s$ steps away shrinks at least like
# $\sigma_{\max}(W)^{t-s}$: it *vanishes* geometrically. If $\sigma_{\max}(W) > 1$ it *can* grow like
# $\sigma_{\max}^{t-s}$ (it explodes if the tanh is not saturated). The lesson measures both on this
# network's own $W$ and on $W$ scaled up.
#
# The assignment `rnn_bptt` practises exactly this, with matrices and batches:
# `python -m lessons assignment student rnn_bptt handout/rnn_bptt`.

# %%
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import Step, WorkedExample, add_up
from lessons.i18n import domain
from minigrad.testing import gradcheck

SUMMARY = "BPTT with a hidden vector and a loss at every step: the full recursion by hand, truncation, the spectral norm"
SOURCE = "001 §3.1, §8.2, §9.1 (extension)"
_ = domain("lessons")
H = 2  # hidden size
LONG_SCALES = (1.0, 2.2)  # sigma_max(W) below 1, and above 1 with a spectral radius above 1
WEIGHTS = ("W_11", "W_12", "W_21", "W_22", "u_1", "u_2", "b_1", "b_2", "v_1", "v_2")


def example(x: tuple[float, ...] = (1.0, 0.5, -1.0), r: tuple[float, ...] = (0.5, -0.2, 0.1),
            W: tuple[float, float, float, float] = (0.5, -0.3, 0.2, 0.4), u: tuple[float, float] = (1.0, -0.5),
            b: tuple[float, float] = (0.0, 0.1), v: tuple[float, float] = (1.0, -1.0),
            h_0: tuple[float, float] = (0.0, 0.0)) -> WorkedExample:
    """The forward pass, the loss and every gradient of the hidden-size-2 tanh RNN, one scalar per step.

    ``W`` is given row by row (W_11, W_12, W_21, W_22); ``x`` and ``r`` (inputs and targets) have one
    number per step and the same length.
    """
    if len(x) != len(r) or not x:
        raise ValueError(f"x and r need one number per step and the same length; got {len(x)} inputs and {len(r)} targets")
    if len(W) != 4 or len(u) != H or len(b) != H or len(v) != H or len(h_0) != H:
        raise ValueError("W takes 4 numbers (row by row); u, b, v and h_0 take 2")
    T = len(x)
    inputs = {f"W_{i}{j}": float(W[2 * (i - 1) + (j - 1)]) for i in (1, 2) for j in (1, 2)}
    inputs.update({f"u_{i}": float(u[i - 1]) for i in (1, 2)})
    inputs.update({f"b_{i}": float(b[i - 1]) for i in (1, 2)})
    inputs.update({f"v_{i}": float(v[i - 1]) for i in (1, 2)})
    inputs.update({f"h_0_{i}": float(h_0[i - 1]) for i in (1, 2)})
    inputs.update({f"x_{t}": float(a) for t, a in enumerate(x, 1)})
    inputs.update({f"r_{t}": float(a) for t, a in enumerate(r, 1)})
    units, times = (1, 2), range(1, T + 1)
    steps = []
    for t in times:  # forward
        for i in units:
            steps.append(Step(f"a_{t}_{i}", lambda v, t=t, i=i: v[f"W_{i}1"] * v[f"h_{t - 1}_1"] + v[f"W_{i}2"] * v[f"h_{t - 1}_2"]
                              + v[f"u_{i}"] * v[f"x_{t}"] + v[f"b_{i}"]))
        for i in units:
            steps.append(Step(f"h_{t}_{i}", lambda v, t=t, i=i: mg.tanh(v[f"a_{t}_{i}"])))
        steps.append(Step(f"y_{t}", lambda v, t=t: v["v_1"] * v[f"h_{t}_1"] + v["v_2"] * v[f"h_{t}_2"]))
        steps.append(Step(f"l_{t}", lambda v, t=t: 0.5 * (v[f"y_{t}"] - v[f"r_{t}"]) ** 2))
    steps.append(Step("L", lambda v: add_up(v[f"l_{t}"] for t in times)))
    for t in reversed(times):  # backward: own output, then the next step
        steps.append(Step(f"g_y_{t}", lambda v, t=t: v[f"y_{t}"] - v[f"r_{t}"]))
        for i in units:
            if t == T:
                steps.append(Step(f"delta_{t}_{i}", lambda v, t=t, i=i: v[f"v_{i}"] * v[f"g_y_{t}"]))
            else:
                steps.append(Step(f"delta_{t}_{i}", lambda v, t=t, i=i: v[f"v_{i}"] * v[f"g_y_{t}"]
                                  + v[f"W_1{i}"] * v[f"g_a_{t + 1}_1"] + v[f"W_2{i}"] * v[f"g_a_{t + 1}_2"]))
        for i in units:
            steps.append(Step(f"g_a_{t}_{i}", lambda v, t=t, i=i: v[f"delta_{t}_{i}"] * (1 - v[f"h_{t}_{i}"] * v[f"h_{t}_{i}"])))
    for i in units:
        for j in units:
            steps.append(Step(f"g_W_{i}{j}", lambda v, i=i, j=j: add_up(v[f"g_a_{t}_{i}"] * v[f"h_{t - 1}_{j}"] for t in times)))
    for i in units:
        steps.append(Step(f"g_u_{i}", lambda v, i=i: add_up(v[f"g_a_{t}_{i}"] * v[f"x_{t}"] for t in times)))
    for i in units:
        steps.append(Step(f"g_b_{i}", lambda v, i=i: add_up(v[f"g_a_{t}_{i}"] for t in times)))
    for i in units:
        steps.append(Step(f"g_v_{i}", lambda v, i=i: add_up(v[f"g_y_{t}"] * v[f"h_{t}_{i}"] for t in times)))
    return WorkedExample(inputs, steps, {})


def draw_variant(rng) -> dict:
    """Inputs for an exam variant: one-decimal weights, tanh arguments between -1.5 and 1.5 (not saturated)."""
    while True:
        tenth = lambda n: tuple(round(float(a) / 10, 1) for a in rng.integers(-8, 9, size=n))  # noqa: E731
        kw = dict(x=tuple(float(a) for a in rng.choice([-1.0, -0.5, 0.5, 1.0], size=3)), r=tenth(3), W=tenth(4), u=tenth(2), b=tenth(2),
                  v=tuple(float(a) for a in rng.choice([-1.0, 1.0], size=2)))
        values = example(**kw).evaluate()
        pre = [values[f"a_{t}_{i}"] for t in (1, 2, 3) for i in (1, 2)]
        if all(0.1 <= abs(a) <= 1.5 for a in pre):
            return kw


def _weights(values: dict) -> tuple:
    W = mg.tensor([[values["W_11"], values["W_12"]], [values["W_21"], values["W_22"]]], dtype=mg.float64)
    vec = lambda name: mg.tensor([values[f"{name}_1"], values[f"{name}_2"]], dtype=mg.float64)  # noqa: E731
    return W, vec("u"), vec("b"), vec("v"), vec("h_0")


def autograd_gradients(values: dict, truncate: int | None = None) -> dict:
    """The gradients of L from minigrad's autograd, on the same network in vector form; with ``truncate = k``
    the hidden state is detached after every k steps (truncated BPTT), as ``nn.utils.rnn.truncated_bptt`` does."""
    W, u, b, v, h = _weights(values)
    for p in (W, u, b, v):
        p.requires_grad_()
    T = sum(1 for k in values if k.startswith("x_"))
    loss = None
    for t in range(1, T + 1):
        h = mg.tanh(W @ h + u * values[f"x_{t}"] + b)
        term = 0.5 * ((v * h).sum() - values[f"r_{t}"]) ** 2
        loss = term if loss is None else loss + term
        if truncate is not None and t % truncate == 0:
            h = h.detach()
    loss.backward()
    out = {f"g_W_{i}{j}": W.grad[i - 1, j - 1].item() for i in (1, 2) for j in (1, 2)}
    for name, p in (("u", u), ("b", b), ("v", v)):
        out.update({f"g_{name}_{i}": p.grad[i - 1].item() for i in (1, 2)})
    return out


def finite_differences(values: dict) -> tuple:
    """``minigrad.testing.gradcheck`` of L with respect to W, u, b, v, and central differences of g_W_12 by hand."""
    W, u, b, v, h0 = _weights(values)
    T = sum(1 for k in values if k.startswith("x_"))

    def loss(W, u, b, v):
        h, total = h0, None
        for t in range(1, T + 1):
            h = mg.tanh(W @ h + u * values[f"x_{t}"] + b)
            term = 0.5 * ((v * h).sum() - values[f"r_{t}"]) ** 2
            total = term if total is None else total + term
        return total

    ok = gradcheck(loss, [p.requires_grad_() for p in (W, u, b, v)], atol=1e-8, rtol=1e-6)
    eps = 1e-6
    with mg.no_grad():
        plus, minus = W.detach().clone(), W.detach().clone()
        plus[0, 1] += eps
        minus[0, 1] -= eps
        fd = (loss(plus, u.detach(), b.detach(), v.detach()).item() - loss(minus, u.detach(), b.detach(), v.detach()).item()) / (2 * eps)
    return ok, fd, eps


def spectral_norm(W) -> float:
    r"""The largest singular value of a 2x2 matrix: :math:`\sqrt{\lambda_{\max}(W^\top W)}`, with
    :math:`\lambda_{\max} = \tfrac{p + q}2 + \sqrt{(\tfrac{p - q}2)^2 + s^2}` for :math:`W^\top W = [[p, s], [s, q]]`."""
    M = W.T @ W
    p, q, s = M[0, 0], M[1, 1], M[0, 1]
    return float(mg.sqrt((p + q) / 2 + mg.sqrt(((p - q) / 2) ** 2 + s * s)).item())


def spectral_radius(W) -> float:
    r"""The largest :math:`|\lambda|` over the eigenvalues of a 2x2 matrix: :math:`\lambda = \tfrac{\mathrm{tr}}2 \pm
    \sqrt{(\tfrac{\mathrm{tr}}2)^2 - \det}`; for a complex pair :math:`|\lambda| = \sqrt{\det}`."""
    tr = float((W[0, 0] + W[1, 1]).item())
    det = float((W[0, 0] * W[1, 1] - W[0, 1] * W[1, 0]).item())
    disc = (tr / 2) ** 2 - det
    return math.sqrt(det) if disc < 0 else abs(tr / 2) + math.sqrt(disc)


def long_run(values: dict, scale: float, T: int = 40, seed: int = 0) -> dict:
    """The same network with W multiplied by ``scale``, no bias and small random inputs (so tanh stays in its
    linear part, 1 - h^2 close to 1), T steps, a loss on the last step only: ``||delta_t||`` for every t
    (autograd, ``retain_grad``), and the bound ``sigma_max(W)^(T-t) ||delta_T||``."""
    W, u, _b, v, h = _weights(values)
    W = (W * scale).requires_grad_()  # a leaf, so that the states require grad and keep theirs
    rng = np.random.default_rng(seed)
    xs = 1e-3 * rng.standard_normal(T)
    states = []
    for t in range(T):
        h = mg.tanh(W @ h + u * float(xs[t]))
        h.retain_grad()
        states.append(h)
    loss = 0.5 * ((v * h).sum() - 0.0) ** 2
    loss.backward()
    norms = [float(mg.sqrt((s.grad * s.grad).sum()).item()) for s in states]
    sigma = spectral_norm(W)
    bound = [norms[-1] * sigma ** (T - 1 - t) for t in range(T)]
    ratios = [norms[t] / norms[t + 1] for t in range(T - 1) if norms[t + 1] > 0]
    return {"scale": scale, "sigma": sigma, "rho": spectral_radius(W), "norms": norms, "bound": bound,
            "ratio": float(np.exp(np.mean(np.log(ratios)))) if ratios else 0.0}


# %% [markdown]
# ## Step by step, then checked three ways
#
# The steps below are generated from what minigrad computed (`minigrad.trace`). The hand gradients are
# then compared with minigrad's autograd on the same network written with vectors and matrices, and
# with central finite differences (the numbers compared are printed).

# %%
def run(ctx) -> dict:
    ex = example()
    ctx.section(_("Forward, loss at every step, and the backward recursion, by hand"))
    ctx.show(ex.steps_text())
    hand = ex.evaluate()
    auto = autograd_gradients(hand)
    ctx.section(_("Hand against autograd and finite differences"))
    lines = ["{:8s} {:>16s} {:>16s} {:>10s}".format(_("weight"), _("by hand"), _("autograd"), _("|diff|"))]
    worst = 0.0
    for name, a in auto.items():
        d = abs(hand[name] - a)
        worst = max(worst, d)
        lines.append(f"{name:8s} {hand[name]:16.12f} {a:16.12f} {d:10.1e}")
    ctx.show("\n".join(lines))
    ok, fd, eps = finite_differences(hand)
    ctx.show(_("largest |hand - autograd| = {worst:.1e}; central difference (L(W_12 + {eps:g}) - L(W_12 - {eps:g})) / {two_eps:g} "
               "= {fd:.10f} against g_W_12 = {g:.10f} by hand; minigrad.testing.gradcheck of all of W, u, b, v: {ok}").format(
        worst=worst, eps=eps, two_eps=2 * eps, fd=fd, g=hand["g_W_12"], ok=_("agrees") if ok else _("DIFFERS")))
    ctx.section(_("Truncated BPTT against full BPTT"))
    T = sum(1 for k in hand if k.startswith("x_"))
    runs = {_("full"): auto, **{_("truncated, k = {k}").format(k=k): autograd_gradients(hand, truncate=k) for k in (2, 1)}}
    names = ("g_W_11", "g_W_12", "g_W_21", "g_W_22", "g_u_1", "g_u_2")
    lines = ["{:22s} ".format("") + " ".join(f"{n:>11s}" for n in names)]
    for label, g in runs.items():
        lines.append(f"{label:22s} " + " ".join(f"{g[n]:11.6f}" for n in names))
    ctx.show("\n".join(lines))
    same_v = all(abs(runs[label]["g_v_1"] - auto["g_v_1"]) < 1e-15 for label in runs)
    ctx.show(_("With k = 1 no gradient crosses a step: each g_a_t is v g_y_t (1 - h_t^2) alone, and what W does through "
               "h_(t-1) to later losses is lost. g_v is the same in all three ({same}): v acts on each step's output "
               "directly, with no road through time.").format(same=_("yes") if same_v else _("no")))
    ctx.section(_("Why gradients vanish or explode: the spectral norm of W"))
    sigma = spectral_norm(_weights(hand)[0])
    ctx.show(_("sigma_max(W) = {sigma:.4f} for this W. Each step back multiplies the gradient by W^T diag(1 - h_t^2), whose "
               "norm is at most sigma_max(W) (since 0 < 1 - h^2 <= 1).").format(sigma=sigma))
    long = [long_run(hand, s, T=12 if ctx.quick else 40) for s in LONG_SCALES]
    ctx.show(_("Over {T} steps, with the loss on the last step only, no bias and inputs of size 0.001 (so tanh stays "
               "nearly linear):").format(T=len(long[0]["norms"])))
    for r in long:
        ctx.show(_("W scaled by {scale:g}: sigma_max = {sigma:.4f}, spectral radius {rho:.4f}; ||delta_1|| = {first:.3e}, "
                   "||delta_T|| = {last:.3e}; mean factor per step back {ratio:.4f}; bound sigma_max^(T-1) ||delta_T|| = "
                   "{bound:.3e}").format(scale=r["scale"], sigma=r["sigma"], rho=r["rho"], first=r["norms"][0],
                                         last=r["norms"][-1], ratio=r["ratio"], bound=r["bound"][0]))
    ctx.show(_("The measured norms stay under the bound. Below 1 the gradient vanishes geometrically; above 1 it grows "
               "(explodes) as long as tanh is not saturated. Over many steps the factor per step approaches the "
               "spectral radius (the largest |eigenvalue|), which is at most sigma_max."))
    plt = ctx.pyplot()
    if plt is not None:
        fig, ax = figures.subplots()
        for k, r in enumerate(long):
            ts = np.arange(1, len(r["norms"]) + 1)
            ax.semilogy(ts, r["norms"], "-o", color=figures.PALETTE[k], label=figures.label("||δ_t||, W × {scale:g} (σ_max = {sigma:.2f})").format(
                scale=r["scale"], sigma=r["sigma"]))
            ax.semilogy(ts, r["bound"], "--", color=figures.PALETTE[k], label=figures.label("bound σ_max^(T−t) ||δ_T||"))
        ax.set_xlabel(figures.label("time step t (the loss is at the last step)"))
        ax.set_ylabel(figures.label("gradient norm ||∂L/∂h_t|| (log scale)"))
        ax.set_title(figures.label("||δ_t|| stays under σ_max(W)^(T−t) ||δ_T||:\nit vanishes when σ_max < 1 and can grow when σ_max > 1"))
        ax.legend()
        ctx.figure(fig, "bptt_vector_spectral_norm")
        plt.close(fig)
    return {"values": hand, "autograd": auto, "truncated": runs, "long": long, "example": ex, "sigma": sigma, "T": T}


# %% [markdown]
# ## Exercises
#
# 1. Which of $\delta_{3,1}$, $\delta_{2,1}$, $\delta_{1,1}$ has a "next step" term, and why does
#    $\delta_{3,1}$ not? Check your numbers: `python -m lessons check bptt_vector delta_3_1=... delta_2_1=...`.
# 2. Truncate with $k = 1$ by hand: which terms of $g_{W_{12}}$ change, and what is its value?
# 3. Scale $W$ by $1/2$: what does the spectral-norm bound say about $\lVert\delta_1\rVert / \lVert\delta_T\rVert$
#    over 40 steps, and what is measured?
# 4. Work the whole example on paper from `python -m lessons sheet bptt_vector --seed 1` and check it with
#    `--work`.


def answers() -> list:
    """Worked answers of the exercises, computed from the example."""
    ex = example()
    v = ex.evaluate()
    k1 = autograd_gradients(v, truncate=1)
    half = long_run(v, 0.5)
    return [
        _("δ_2 and δ_1 have one: h_2 and h_1 feed a_3 and a_2, so they receive W^T g_(a_(t+1)). δ_3 has none, because h_3 "
          "feeds no later step; its only road to L is its own output y_3. Here δ_(3,1) = v_1 g_(y_3) = {d3:.6f}, "
          "δ_(2,1) = {d2:.6f}, δ_(1,1) = {d1:.6f}.").format(d3=v["delta_3_1"], d2=v["delta_2_1"], d1=v["delta_1_1"]),
        _("With k = 1 each δ_t keeps only its own-output term v g_(y_t), so every g_(a_t) changes except g_(a_3); "
          "g_W_12 = Σ_t g_(a_t,1) h_(t-1,2) is then {k1:.6f} instead of the full {full:.6f}.").format(
            k1=k1["g_W_12"], full=v["g_W_12"]),
        _("σ_max(W/2) = {sigma:.4f}, so over 39 steps back the bound is {bound:.3e} times ||δ_T||; measured: "
          "||δ_1|| / ||δ_T|| = {ratio:.3e}, under the bound: the gradient of a loss 40 steps away is gone.").format(
            sigma=half["sigma"], bound=half["sigma"] ** 39, ratio=half["norms"][0] / half["norms"][-1]),
        _("The sheet's answer key (`--key`) lists every line; `python -m lessons check bptt_vector --work FILE` marks yours "
          "line by line."),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
