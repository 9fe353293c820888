# %% [markdown]
# # What attention heads learn: heatmaps of a small trained model
#
# The documents describe attention weights as "how much each position attends to the others" (001 §3.2,
# 000 §2.3) without ever showing them. This lesson trains a one-layer, two-head self-attention model on a
# task whose answer is known: at every position, output the token one place to the left (the first
# position outputs a start symbol). A model that solves it must attend from position $i$ to $i-1$; the
# heatmaps of `MultiheadAttention(need_weights=True, average_attn_weights=False)` show whether it does.

# %%
from __future__ import annotations

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.i18n import domain
from minigrad import nn

SUMMARY = "Train a two-head attention layer to shift a sequence and look at each head's weights"
SOURCE = "001 §3.2, 000 §2.3 (extension)"
_ = domain("lessons")
VOCAB, T, D = 8, 8, 32


class Shifter(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB + 1, D)  # token VOCAB is the start symbol
        self.pos = nn.PositionalEncoding(D, dropout=0.0, max_len=T, batch_first=True)
        self.attn = nn.MultiheadAttention(D, 2, batch_first=True)
        self.out = nn.Linear(D, VOCAB + 1)

    def forward(self, x, need_weights=False):
        h = self.pos(self.emb(x))
        a, w = self.attn(h, h, h, need_weights=need_weights, average_attn_weights=False)
        return self.out(a), w


def train(steps: int = 300, seed: int = 0, device: str = "cpu") -> tuple:
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Shifter().to(device)
    opt = mg.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        x = rng.integers(0, VOCAB, (32, T))
        y = np.concatenate([np.full((32, 1), VOCAB), x[:, :-1]], axis=1)
        logits, _ = model(mg.tensor(x, device=device))
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB + 1), mg.tensor(y.reshape(-1), device=device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


# %%
def run(ctx) -> dict:
    steps = 40 if ctx.quick else 300
    model, losses = train(steps, device=ctx.device)
    x = np.random.default_rng(1).integers(0, VOCAB, (1, T))
    model.eval()
    with mg.no_grad():
        logits, w = model(mg.tensor(x, device=ctx.device), need_weights=True)
    weights = w.cpu().numpy()[0]  # (heads, T, T)
    pred = logits.argmax(dim=-1).cpu().numpy()[0]
    ctx.section(_("Training ({steps} Adam steps)").format(steps=steps))
    ctx.machine_dependent(_("The digits of a float32 training run (the order of the sums in the BLAS)"))
    ctx.show(_("loss: first {first:.3f}, last {last:.3f}").format(first=losses[0], last=losses[-1]))
    ctx.show(_("input      {x}\nprediction {pred}   (expected {expected})").format(
        x=x[0].tolist(), pred=pred.tolist(), expected=[VOCAB] + x[0, :-1].tolist()))
    on_prev = [float(np.mean([weights[h, i, i - 1] for i in range(1, T)])) for h in range(2)]
    ctx.show(_("mean weight from position i to i-1: ") + ", ".join(_("head {h}: {p:.2f}").format(h=h, p=p) for h, p in enumerate(on_prev)))
    plt = ctx.pyplot()
    if plt is None:
        return {"losses": losses, "weights": weights.tolist()}
    fig, axes = figures.subplots(1, 3)
    for h in range(2):
        im = axes[h].imshow(weights[h], vmin=0, vmax=1, cmap=figures.CMAP)
        axes[h].set_title(figures.label("head {h}").format(h=h))
        axes[h].set_xlabel(figures.label("key position j"))
        axes[h].set_ylabel(figures.label("query position i"))
        axes[h].grid(False)
    fig.colorbar(im, ax=axes[:2], shrink=0.6, location="bottom", label=figures.label("attention weight"))
    axes[2].plot(np.arange(1, len(losses) + 1), losses)
    axes[2].set_xlabel(figures.label("training step"))
    axes[2].set_ylabel(figures.label("cross-entropy"))
    axes[2].set_title(figures.label("training loss"))
    fig.suptitle(figures.label("Shifting by one: the weights gather on the diagonal below the main one (i attends to i-1)"))
    ctx.figure(fig, "attention_heatmaps")
    plt.close(fig)
    return {"losses": losses, "weights": weights.tolist()}


# %% [markdown]
# ## Exercises
#
# 1. Remove the positional encoding and retrain: why can the model no longer solve the task?
# 2. Change the task to "output the token two places to the left" and predict the heatmaps first.
# 3. With one head instead of two, does the pattern change?
#
# The assignment `multihead_heads` practises the heads of `nn.MultiheadAttention` (`python -m lessons
# assignment student multihead_heads handout/multihead_heads`); `multihead_by_hand` works two heads by hand.


def answers() -> list:
    """Worked answers of the exercises; the first measured on an untrained model without positional encoding."""
    mg.manual_seed(0)
    model = Shifter()
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (1, T))
    perm = rng.permutation(T)
    with mg.no_grad():
        def no_positions(tokens):
            h = model.emb(mg.tensor(tokens))
            return model.out(model.attn(h, h, h, need_weights=False)[0]).cpu().numpy()[0]
        diff = float(np.abs(no_positions(x[:, perm]) - no_positions(x)[perm]).max())
    return [
        _("Without positions, self-attention is permutation-equivariant: permuting the tokens permutes the outputs "
          "in the same way (measured on this model without its positional encoding: largest difference {diff:.1e}). "
          "So the output at position i depends on the token there and on the set of all tokens, never on which token is "
          "to its left: no weights can solve the task.").format(diff=diff),
        _("Each query i attends to key i - 2: the bright diagonal moves one place further below the main diagonal. "
          "Positions 1 and 2 have no token two places to the left; they output the start symbol and their weights "
          "can be anywhere."),
        _("It need not: the task needs one pattern (i attends to i - 1), and one head can hold it, since the positional "
          "encoding lets a query prefer the key one place to its left. A one-head model that solves the task must show that "
          "diagonal; with two heads the pattern may be held by one head or shared, so the two heatmaps can differ from it. "
          "Retrain with nn.MultiheadAttention(D, 1, batch_first=True) to see which your run finds."),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
