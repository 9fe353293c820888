# %% [markdown]
# # Vanishing and exploding gradients
#
# Document 001 (§9.1) and document 000 (§1.2) name vanishing and exploding gradients as a weakness of
# recurrent networks without showing them. Backpropagation through time multiplies one Jacobian per step
# (`docs/bptt.md`): with $\delta_t = \partial L/\partial h_t$ (a row vector) and a loss on the last step only, for a
# tanh RNN $\delta_{t-1} = \delta_t\,\mathrm{diag}(1 - h_t^2)\,W_{hh}$, so
# $\lVert\delta_t\rVert$ shrinks or grows roughly geometrically in the distance to the loss, depending on
# the size of $W_{hh}$. The LSTM's cell state is carried by the forget gate, $c_{t-1}$'s gradient is
# multiplied by $f_t$; the GRU's state by its update gate $z_t$. Gating *can* carry gradients far, but
# only where the gates are open: with PyTorch's default initialisation $f_t$ and $z_t$ sit near
# $\sigma(0) = 1/2$ and the gradient still shrinks geometrically: more slowly than the tanh RNN's (the
# factors per step are measured below), but it vanishes all the same. Biasing the gates to
# remember (forget-gate bias 3, Jozefowicz et al. 2015 use 1) is what makes the difference.
#
# The lesson measures $\lVert\partial L/\partial h_t\rVert$ for every $t$ with `record_step_grads` and
# `step_grads()`, for a loss on the last step only, for each model from the same seed; one attention layer
# is measured beside them ($\lVert\partial L/\partial x_t\rVert$, a path of one step from every position).
# It then trains a tanh RNN with SGD at a learning rate where the first large gradient throws the
# weights away, with and without `clip_grad_norm_`. Everything is seeded and in float64: the numbers are
# the same at every run.

# %%
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import claim
from lessons.i18n import domain
from minigrad import nn

SUMMARY = "Norms of dL/dh_t against t for RNN, LSTM, GRU and attention; gradient clipping where it matters"
SOURCE = "001 §8.2, §9.1; 000 §1.2"
_ = domain("lessons")
GATE_BIAS = 3.0  # "remember" bias of the LSTM's forget gate and the GRU's update gate


def inputs(T: int = 100, seed: int = 0):
    """The seeded input sequence every curve is measured on: (T, batch 4, features 8)."""
    rng = np.random.default_rng(seed)
    return mg.tensor(rng.standard_normal((T, 4, 8)), dtype=mg.float64)


def step_norms(kind: str, value: float, x, hidden: int = 32, seed: int = 0) -> np.ndarray:
    """``||dL/dh_t||`` (mean over the batch) for every t of one model, L the sum of the last step's output.
    ``value`` is the recurrent-weight scale for ``"RNN"`` and the remembering gate's bias for ``"LSTM"``/``"GRU"``."""
    mg.manual_seed(seed)
    model = getattr(nn, kind)(8, hidden).double()
    with mg.no_grad():
        if kind == "RNN":
            nn.init.orthogonal_(model.weight_hh_l0, gain=value)  # every singular value = value
        elif value:  # gate order (i, f, g, o) and (r, z, n): the second block is the gate that keeps the state
            model.bias_ih_l0[hidden:2 * hidden] = value
    model.record_step_grads = True
    out, _h = model(x)
    out[-1].sum().backward()
    g = model.step_grads()[0].cpu().numpy()  # (T, B, H)
    return np.linalg.norm(g, axis=-1).mean(axis=1)


def step_gradient_norms(T: int = 100, hidden: int = 32, seed: int = 0) -> dict:
    """``||dL/dh_t||`` (mean over the batch) for every t, with L the sum of the last step's output; for the
    attention layer ``||dL/dx_t||``."""
    x = inputs(T, seed)
    configs = {
        "tanh RNN, W_hh scaled 0.5": ("RNN", 0.5),
        "tanh RNN, W_hh scaled 3": ("RNN", 3.0),
        "LSTM, default init": ("LSTM", 0.0),
        f"LSTM, forget bias {GATE_BIAS:g}": ("LSTM", GATE_BIAS),
        "GRU, default init": ("GRU", 0.0),
        f"GRU, update bias {GATE_BIAS:g}": ("GRU", GATE_BIAS),
    }
    curves = {label: step_norms(kind, value, x, hidden, seed) for label, (kind, value) in configs.items()}
    mg.manual_seed(seed)
    attn = nn.MultiheadAttention(8, 2).double()
    xa = mg.tensor(x.cpu().numpy(), requires_grad=True)
    attn(xa, xa, xa, need_weights=False)[0][-1].sum().backward()
    curves["self-attention, 1 layer (dL/dx_t)"] = np.linalg.norm(xa.grad.cpu().numpy(), axis=-1).mean(axis=1)
    return curves


def clipping_run(steps: int = 40, T: int = 40, clip: float | None = None, seed: int = 0, lr: float = 0.5) -> dict:
    """Train a tanh RNN (recurrent weights orthogonal, gain 1.5) to predict a scaled running sum with SGD;
    the gradient norm before clipping and the loss at every step."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = nn.RNN(1, 16).double()
    head = nn.Linear(16, 1).double()
    with mg.no_grad():
        nn.init.orthogonal_(model.weight_hh_l0, gain=1.5)
    params = list(model.parameters()) + list(head.parameters())
    opt = mg.optim.SGD(params, lr=lr)
    x = mg.tensor(rng.standard_normal((T, 8, 1)), dtype=mg.float64)
    y = mg.tensor(np.cumsum(x.cpu().numpy(), axis=0) / np.sqrt(np.arange(1, T + 1))[:, None, None], dtype=mg.float64)
    norms, losses = [], []
    for _ in range(steps):
        opt.zero_grad()
        out, _ = model(x)
        loss = ((head(out) - y) ** 2).mean()
        loss.backward()
        total = nn.utils.clip_grad_norm_(params, clip if clip is not None else float("inf"))
        opt.step()
        norms.append(total.item())
        losses.append(loss.item())
    return {"norms": norms, "losses": losses}


def per_step_factor(curve: np.ndarray) -> float:
    """The average factor by which the gradient norm changes per step away from the loss (a log-linear fit
    over every step but the last, which the loss touches directly)."""
    t = np.arange(len(curve) - 1)
    return float(np.exp(-np.polyfit(t, np.log(curve[:-1]), 1)[0]))


def claim_rows(curves: dict, runs: dict) -> list:
    """Verdicts for the documents' claims about vanishing and exploding gradients, from the measurements."""
    ratio = {k: float(v[0] / v[-1]) for k, v in curves.items()}
    small, big = ratio["tanh RNN, W_hh scaled 0.5"], ratio["tanh RNN, W_hh scaled 3"]
    lstm, lstm_b = ratio["LSTM, default init"], ratio[f"LSTM, forget bias {GATE_BIAS:g}"]
    gru, gru_b = ratio["GRU, default init"], ratio[f"GRU, update bias {GATE_BIAS:g}"]
    factor = {k: per_step_factor(v) for k, v in curves.items()}
    att = factor["self-attention, 1 layer (dL/dx_t)"]
    plain, clipped = runs["no clipping"], runs["clip_grad_norm_(1.0)"]
    T = len(curves["LSTM, default init"])
    gates = _("||dL/dh_1|| / ||dL/dh_T||: LSTM {lstm:.1e} (forget bias {bias:g}: {lstm_b:.1e}), GRU {gru:.1e} (update bias {bias:g}: "
              "{gru_b:.1e}), tanh RNN (W_hh scaled 0.5) {small:.1e}; factor per step: LSTM {f_lstm:.3f}, GRU {f_gru:.3f}, "
              "tanh RNN {f_rnn:.3f}").format(lstm=lstm, lstm_b=lstm_b, gru=gru, gru_b=gru_b, bias=GATE_BIAS, small=small,
                                             f_lstm=factor["LSTM, default init"], f_gru=factor["GRU, default init"],
                                             f_rnn=factor["tanh RNN, W_hh scaled 0.5"])
    return [
        claim("000 §1.2", "an RNN's gradients can vanish or explode through the chain rule", "RNN单元的梯度可能因为链式法则而迅速消失或爆炸",
              "holds" if small < 1e-6 and big > 1e6 else "holds with a condition",
              _("||dL/dh_1|| / ||dL/dh_{T}||: {small:.1e} (W_hh scaled 0.5), {big:.1e} (scaled 3)").format(T=T, small=small, big=big),
              _("one Jacobian per step: the product shrinks or grows geometrically with the distance to the loss")),
        claim("001 §9.1", "vanishing and exploding gradients are the common problems of RNNs (Q2)", "RNN常见问题包括梯度消失和梯度爆炸",
              "holds" if small < 1e-6 and big > 1e6 else "holds with a condition",
              _("{small:.1e} and {big:.1e} over {T} steps").format(small=small, big=big, T=T),
              _("measured on a tanh RNN with small and large recurrent weights")),
        claim("001 §9.1", "use a higher-order optimiser such as Adam (Q3)", "使用更高阶的优化算法，如Adam", "wrong",
              _("Adam uses first derivatives only"), _("Adam is a first-order method (running means of the gradient and its square); "
                                                      "it rescales steps but cannot restore a gradient that has vanished to 1e-20")),
        claim("001 §9.1", "introduce gating: LSTM and GRU (Q3)", "引入门控机制，如长短期记忆网络（LSTM）和门控循环单元（GRU）",
              "holds with a condition", gates,
              _("with the default initialisation the gradient still vanishes geometrically, by a factor {f_lstm:.3f} (LSTM) "
                "and {f_gru:.3f} (GRU) per step, though more slowly than the tanh RNN's {f_rnn:.3f}: {lstm:.1e} and {gru:.1e} "
                "against {small:.1e} over {T} steps; gates biased to remember carry it much further ({lstm_b:.1e}, "
                "{gru_b:.1e})").format(f_lstm=factor["LSTM, default init"], f_gru=factor["GRU, default init"],
                                       f_rnn=factor["tanh RNN, W_hh scaled 0.5"], lstm=lstm, gru=gru, small=small, T=T,
                                       lstm_b=lstm_b, gru_b=gru_b)),
        claim("001 §9.1", "use a proper initialisation method, such as gradient clipping (Q3)", "使用恰当的初始化方法，如梯度裁剪", "wrong",
              _("largest loss without clipping {plain:.2e}, with clipping {clipped:.3g}").format(
                  plain=max(plain["losses"]), clipped=max(clipped["losses"])),
              _("gradient clipping is no initialisation: it bounds each update, which stops the exploding run above, and does "
                "nothing for a vanishing gradient")),
        claim("001 §8.2", "RNNs and Transformers may meet vanishing and exploding gradients on long sequences",
              "RNN和Transformer模型可能面临梯度消失和梯度爆炸等问题", "holds with a condition",
              _("per step away from the loss the gradient norm changes by a factor {att:.3f} through one attention layer, "
                "{small:.3f} and {big:.3f} through the RNNs").format(
                  att=att, small=factor["tanh RNN, W_hh scaled 0.5"], big=factor["tanh RNN, W_hh scaled 3"]),
              _("true of RNNs over long sequences; one attention layer reaches every position in one step, so its gradient does "
                "not decay with distance (deep Transformers have their own depth-wise problems, which residuals and layer norms "
                "address)")),
    ]


# %%
def run(ctx) -> dict:
    T = 30 if ctx.quick else 100
    curves = step_gradient_norms(T=T)
    ctx.section(_("||dL/dh_t|| for a loss on step {T} (every 10th step shown)").format(T=T))
    labels = list(curves)
    ctx.show("t      " + "  ".join(f"{k:>34s}" for k in labels))
    for t in list(range(0, T, 10)) + [T - 1]:
        ctx.show(f"{t + 1:<6d} " + "  ".join(f"{curves[k][t]:34.3e}" for k in labels))
    ratio = {k: (v[0] / v[-1]) for k, v in curves.items()}
    ctx.show("\n||dL/dh_1|| / ||dL/dh_T||: " + ", ".join(f"{k}: {r:.1e}" for k, r in ratio.items()))
    ctx.show(_("factor per step away from the loss: {factors}").format(
        factors=", ".join(f"{k}: {per_step_factor(v):.3f}" for k, v in curves.items())))
    steps = 15 if ctx.quick else 40
    runs = {"no clipping": clipping_run(steps=steps), "clip_grad_norm_(1.0)": clipping_run(steps=steps, clip=1.0)}
    ctx.section(_("Training a tanh RNN with SGD, learning rate 0.5, with and without clipping"))
    ctx.show(_("clip_grad_norm_ returns the norm *before* clipping; the update actually applied has norm min(norm, 1)."))
    for k, r in runs.items():
        jump = next((i for i, n in enumerate(r["norms"]) if n > 10), None)
        ctx.show(_("{run:22s} largest gradient norm {largest:10.3e}   first norm above 10 at step {jump}   "
                   "largest loss {loss_max:10.3e}   final loss {loss:.4g}").format(
            run=_(k), largest=max(r["norms"]), jump=jump if jump is not None else "—", loss_max=max(r["losses"]),
            loss=r["losses"][-1]))
    rows = claim_rows(curves, runs)
    ctx.section(_("The documents' claims about vanishing and exploding gradients"))
    ctx.table(rows)
    plt = ctx.pyplot()
    result = {"curves": {k: v.tolist() for k, v in curves.items()}, "runs": runs, "rows": rows}
    if plt is None:
        return result
    fig, axes = figures.subplots(1, 2)
    for (k, v), marker in zip(curves.items(), figures.MARKERS):
        axes[0].semilogy(np.arange(1, T + 1), v, label=figures.label(k), marker=marker, markevery=max(1, T // 10))
    axes[0].set_xlabel(figures.label("time step t"))
    axes[0].set_ylabel(r"$\Vert\partial L/\partial h_t\Vert$")
    axes[0].set_title(figures.label("Gradient reaching each step\n(loss at the last step)"))
    axes[0].legend(fontsize=14, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)
    for (k, r), colour in zip(runs.items(), figures.PALETTE):
        axes[1].semilogy(np.arange(1, len(r["norms"]) + 1), r["norms"], color=colour, label=figures.label("{run}: gradient norm").format(run=figures.label(k)))
        axes[1].semilogy(np.arange(1, len(r["losses"]) + 1), r["losses"], "--", color=colour, label=figures.label("{run}: loss").format(run=figures.label(k)))
    axes[1].set_xlabel(figures.label("training step"))
    axes[1].set_title(figures.label("Clipping bounds the update,\nnot the gradient"))
    axes[1].legend(fontsize=14, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=1)  # below: the curves fill the axes
    ctx.figure(fig, "vanishing_gradients")
    plt.close(fig)
    return result


# %% [markdown]
# ## Exercises
#
# 1. For the tanh RNN, find the recurrent-weight scale at which the gradient neither vanishes nor
#    explodes over 100 steps. Relate it to $\mathrm{diag}(1 - h_t^2)$.
# 2. Try the LSTM's forget-gate bias at 1 (`bias_ih_l0[H:2H]`), as Jozefowicz et al. (2015) advise: how far
#    does the gradient get now?
# 3. Truncated BPTT (`nn.utils.rnn.truncated_bptt`) cuts these curves at every chunk boundary: what does the
#    curve of $\lVert\delta_t\rVert$ look like with chunks of 20 steps?
#
# Here $\delta_t = \partial L/\partial h_t$ (see the [table of symbols](../notation.md)). The lesson
# `bptt_vector` works the recursion and the spectral-norm bound by hand; the assignment `rnn_bptt`
# practises BPTT, full and truncated (`python -m lessons assignment student rnn_bptt handout/rnn_bptt`).


SWEEP = (0.5, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 2.0, 3.0)


def answers() -> list:
    """Worked answers of the exercises, measured on the lesson's seeded input (float64)."""
    x = inputs()
    sweep = {s: step_norms("RNN", s, x) for s in SWEEP}
    forget1 = step_norms("LSTM", 1.0, x)
    default = step_norms("LSTM", 0.0, x)
    ratio = lambda c: float(c[0] / c[-1])  # noqa: E731
    return [
        _("||δ_1|| / ||δ_100|| for recurrent-weight scales {scales}: {ratios}. The ratio is closest to 1 at s = {best:g}. "
          "Each step back multiplies by W_hh^T diag(1 - h_t²); with orthogonal W_hh every singular value is s, and "
          "1 - h_t² < 1 takes a little off at every step, so the balance lies above s = 1: below it the gradient "
          "vanishes, above it it explodes.").format(
            scales=", ".join(f"{s:g}" for s in SWEEP), ratios=", ".join(f"{ratio(c):.2e}" for c in sweep.values()),
            best=min(SWEEP, key=lambda s: abs(math.log(ratio(sweep[s]))))),
        _("With forget bias 1: ||δ_1|| / ||δ_100|| = {b1:.2e}, against {b0:.2e} with the default and the bias-3 curve "
          "above: σ(1) ≈ 0.73 of the cell gradient is kept per step instead of σ(0) = 0.5.").format(b1=ratio(forget1), b0=ratio(default)),
        _("The detach at each chunk boundary sets the gradient from later chunks to zero, so with the loss on the last "
          "step δ_t is exactly 0 for every t before the last chunk (t <= 80 of 100), and inside the last chunk it follows "
          "the full curve."),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
