# %% [markdown]
# # Vanishing and exploding gradients
#
# Document 001 (§1.2) and document 000 (§1.2) name vanishing and exploding gradients as a weakness of
# recurrent networks without showing them. Backpropagation through time multiplies one Jacobian per step
# (`docs/bptt.md`): for a tanh RNN, $\delta_{t-1} = \delta_t\,\mathrm{diag}(1 - h_t^2)\,W_{hh}$, so
# $\lVert\delta_t\rVert$ shrinks or grows roughly geometrically in the distance to the loss, depending on
# the size of $W_{hh}$. The LSTM's cell state is carried by the forget gate alone, and the GRU's state by
# $z$, which lets gradients travel further.
#
# The lesson measures $\lVert\partial L/\partial h_t\rVert$ for every $t$ with `record_step_grads` and
# `step_grads()`, for a loss on the last step only, and then trains a tanh RNN with large recurrent weights,
# with and without `clip_grad_norm_`, plotting the gradient norm at every step.

# %%
from __future__ import annotations

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.i18n import domain
from minigrad import nn

SUMMARY = "Norms of dL/dh_t against t for RNN, LSTM and GRU; gradient clipping during training"
SOURCE = "001 §1.2, 000 §1.2 (extension)"
_ = domain("lessons")


def step_gradient_norms(T: int = 100, hidden: int = 32, seed: int = 0) -> dict:
    """``||dL/dh_t||`` (mean over the batch) for every t, with L the sum of the last step's output."""
    curves = {}
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.standard_normal((T, 4, 8)), dtype=mg.float64)
    configs = {
        "tanh RNN, W_hh scaled 0.5": ("RNN", 0.5),
        "tanh RNN, W_hh scaled 3": ("RNN", 3.0),
        "LSTM": ("LSTM", 1.0),
        "GRU": ("GRU", 1.0),
    }
    for label, (kind, scale) in configs.items():
        mg.manual_seed(seed)
        model = getattr(nn, kind)(8, hidden).double()
        if kind == "RNN":
            with mg.no_grad():
                nn.init.orthogonal_(model.weight_hh_l0, gain=scale)  # spectral radius = scale
        model.record_step_grads = True
        out, _ = model(x)
        out[-1].sum().backward()
        g = model.step_grads()[0].cpu().numpy()  # (T, B, H)
        curves[label] = np.linalg.norm(g, axis=-1).mean(axis=1)
    return curves


def clipping_run(steps: int = 60, T: int = 40, clip: float | None = None, seed: int = 0) -> dict:
    """Train a tanh RNN with large recurrent weights to predict a running sum; gradient norms and losses."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = nn.RNN(1, 16).double()
    head = nn.Linear(16, 1).double()
    with mg.no_grad():
        nn.init.orthogonal_(model.weight_hh_l0, gain=2.5)
    params = list(model.parameters()) + list(head.parameters())
    opt = mg.optim.SGD(params, lr=0.1)
    x = mg.tensor(rng.standard_normal((T, 8, 1)))
    y = mg.tensor(np.cumsum(x.cpu().numpy(), axis=0) / np.sqrt(np.arange(1, T + 1))[:, None, None])
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


# %%
def run(ctx) -> dict:
    T = 30 if ctx.quick else 100
    curves = step_gradient_norms(T=T)
    ctx.section(_("||dL/dh_t|| for a loss on step {T} (every 10th step shown)").format(T=T))
    labels = list(curves)
    ctx.show("t      " + "  ".join(f"{k:>26s}" for k in labels))
    for t in list(range(0, T, 10)) + [T - 1]:
        ctx.show(f"{t + 1:<6d} " + "  ".join(f"{curves[k][t]:26.3e}" for k in labels))
    ratio = {k: (v[0] / v[-1]) for k, v in curves.items()}
    ctx.show("\n||dL/dh_1|| / ||dL/dh_T||: " + ", ".join(f"{k}: {r:.1e}" for k, r in ratio.items()))
    steps = 15 if ctx.quick else 60
    runs = {"no clipping": clipping_run(steps=steps), "clip_grad_norm_(1.0)": clipping_run(steps=steps, clip=1.0)}
    ctx.section(_("Training a tanh RNN with large recurrent weights (SGD, lr 0.1)"))
    ctx.show(_("clip_grad_norm_ returns the norm *before* clipping; the update actually applied has norm min(norm, 1)."))
    for k, r in runs.items():
        applied = max(min(n, 1.0) for n in r["norms"]) if k != "no clipping" else max(r["norms"])
        ctx.show(_("{run:22s} largest gradient norm {largest:10.3e}   largest applied {applied:10.3e}   final loss {loss:.4f}").format(
            run=_(k), largest=max(r["norms"]), applied=applied, loss=r["losses"][-1]))
    plt = ctx.pyplot()
    if plt is None:
        return {"curves": curves, "runs": runs}
    fig, axes = figures.subplots(1, 2)
    for k, v in curves.items():
        axes[0].semilogy(np.arange(1, T + 1), v, label=k)
    axes[0].set_xlabel(figures.label("time step t"))
    axes[0].set_ylabel(r"$\Vert\partial L/\partial h_t\Vert$")
    axes[0].set_title(figures.label("Far from the loss, the tanh RNN's gradient\nvanishes or explodes"))
    axes[0].legend(fontsize=12)
    for (k, r), colour in zip(runs.items(), figures.PALETTE):
        axes[1].semilogy(np.arange(1, len(r["norms"]) + 1), r["norms"], color=colour, label=figures.label("{run}: gradient norm").format(run=figures.label(k)))
        axes[1].semilogy(np.arange(1, len(r["losses"]) + 1), r["losses"], "--", color=colour, label=figures.label("{run}: loss").format(run=figures.label(k)))
    axes[1].set_xlabel(figures.label("training step"))
    axes[1].set_title(figures.label("Clipping bounds the update,\nnot the gradient"))
    axes[1].legend(fontsize=12, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)  # below: the curves fill the axes
    ctx.figure(fig, "vanishing_gradients")
    plt.close(fig)
    return {"curves": {k: v.tolist() for k, v in curves.items()}, "runs": runs}


# %% [markdown]
# ## Exercises
#
# 1. For the tanh RNN, find the recurrent-weight scale at which the gradient neither vanishes nor
#    explodes over 100 steps. Relate it to $\mathrm{diag}(1 - h_t^2)$.
# 2. Initialise the LSTM's forget-gate bias to 1 (`bias_hh_l0[H:2H]`) and compare its curve.
# 3. Truncated BPTT (`nn.utils.rnn.truncated_bptt`) cuts these curves at every chunk boundary: plot it.

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
