# %% [markdown]
# # The training program of document 001, §5.2 and §5.3
#
# §5.2 trains a recurrent classifier and a Transformer classifier on random data: 100 sequences of 20
# tokens from a vocabulary of 10, 5 classes, hidden size 20, 2 heads, Adam with learning rate 1e-3,
# 100 epochs. §5.3 describes it. As printed, the program stops on its first training step. This lesson
# runs it to show the real errors, explains each, and then runs the corrected program, with the same
# hyperparameters, on minigrad and (where installed) on PyTorch from the same initial weights, printing
# the losses side by side.
#
# **What fails, and why**
#
# 1. `RNNModel` feeds the integer token ids `x` of shape (100, 20) straight into `nn.RNN(10, 20)`,
#    which expects float vectors of `input_size = 10` features per step. The Transformer model has an
#    `nn.Embedding`; the RNN model needs one too (`Embedding(10, 20)`, then `RNN(20, 20)`).
# 2. With `batch_first=True` the output has shape (batch, time, hidden), so `out[-1, :, :]` is the last
#    *sequence in the batch*, not the last *time step*: the logits get shape (20, 5) for 100 labels.
#    It must be `out[:, -1, :]`.
# 3. The Transformer model returns one prediction per token, shape (100, 20, 5), for one label per
#    sequence: the loss cannot compare them. It needs a pooling over time (the mean over tokens), and
#    `batch_first=True` in its encoder layer: without it the layer reads (100, 20, 20) as
#    (sequence 100, batch 20) and attends across the batch.
# 4. (§5.3) The text says the program shows "parallel computation accelerating training": it times
#    nothing. The parallelism lesson and `python -m benchmarks` measure it.

# %%
from __future__ import annotations

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import optional_torch, run_snippet
from lessons.i18n import domain

SUMMARY = "The RNN-vs-Transformer training program: its errors shown, then fixed and run on both libraries"
SOURCE = "001 §5.2, §5.3"
_ = domain("lessons")

ORIGINAL = '''
import {lib} as torch
import {lib}.nn as nn
import {lib}.optim as optim

class RNNModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNNModel, self).__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(input_size, hidden_size, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        h0 = torch.zeros(1, x.size(0), self.hidden_size)
        out, _ = self.rnn(x, h0)
        out = self.fc(out[-1, :, :])
        return out

rnn_model = RNNModel(10, 20, 5)
x = torch.randint(0, 10, (100, 20))
y = torch.randint(0, 5, (100,))
loss = nn.CrossEntropyLoss()(rnn_model(x), y)
'''

# each bug on its own, the others fixed, to show every error message
BUG_SNIPPETS = {
    "1. token ids into nn.RNN": ORIGINAL,
    "2. out[-1] is the last sequence, not the last step": '''
import {lib} as torch
import {lib}.nn as nn
emb, rnn, fc = nn.Embedding(10, 20), nn.RNN(20, 20, batch_first=True), nn.Linear(20, 5)
x = torch.randint(0, 10, (100, 20))
y = torch.randint(0, 5, (100,))
out, _ = rnn(emb(x))
loss = nn.CrossEntropyLoss()(fc(out[-1, :, :]), y)
''',
    "3. one prediction per token for one label per sequence": '''
import {lib} as torch
import {lib}.nn as nn
emb = nn.Embedding(10, 20)
encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model=20, nhead=2), num_layers=1)
fc = nn.Linear(20, 5)
x = torch.randint(0, 10, (100, 20))
y = torch.randint(0, 5, (100,))
loss = nn.CrossEntropyLoss()(fc(encoder(emb(x))), y)
''',
}

FIXED = '''
import {lib} as torch
import {lib}.nn as nn
import {lib}.optim as optim

class RNNModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)           # fix 1: tokens -> vectors
        self.rnn = nn.RNN(hidden_size, hidden_size, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.fc(out[:, -1, :])                                     # fix 2: the last time step

class TransformerModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, num_heads):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        layer = nn.TransformerEncoderLayer(d_model=hidden_size, nhead=num_heads, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.decoder = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.decoder(self.encoder(self.embedding(x)).mean(dim=1))  # fix 3: one output per sequence

rnn_model = RNNModel(10, 20, 5)
transformer_model = TransformerModel(10, 20, 5, 2)
rnn_model.load_state_dict({{k: torch.tensor(v) for k, v in INIT["rnn"].items()}})
transformer_model.load_state_dict({{k: torch.tensor(v) for k, v in INIT["transformer"].items()}})
rnn_optimizer = optim.Adam(rnn_model.parameters(), lr=0.001)
transformer_optimizer = optim.Adam(transformer_model.parameters(), lr=0.001)
x, y = torch.tensor(X), torch.tensor(Y)
criterion = nn.CrossEntropyLoss()
history = []
for epoch in range(EPOCHS):
    rnn_model.train()
    rnn_optimizer.zero_grad()
    rnn_loss = criterion(rnn_model(x), y)
    rnn_loss.backward()
    rnn_optimizer.step()
    transformer_model.train()
    transformer_optimizer.zero_grad()
    transformer_loss = criterion(transformer_model(x), y)
    transformer_loss.backward()
    transformer_optimizer.step()
    history.append((rnn_loss.item(), transformer_loss.item()))
rnn_model.eval()
transformer_model.eval()
with torch.no_grad():
    rnn_accuracy = (rnn_model(x).argmax(dim=1) == y).float().mean().item()
    transformer_accuracy = (transformer_model(x).argmax(dim=1) == y).float().mean().item()
'''




def train(epochs: int = 100, seed: int = 0) -> dict:
    """The corrected program on minigrad and, when installed, PyTorch: same data, same initial weights.

    Returns ``{"minigrad": {...}, "torch": {...}}`` with each run's ``history`` (RNN and Transformer
    loss per epoch) and final accuracies.
    """
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 10, (100, 20))
    Y = rng.integers(0, 5, 100)
    mg.manual_seed(seed)
    init_env = {"INIT": None}
    exec(FIXED.split("rnn_model.load_state_dict")[0].format(lib="minigrad"), init_env)  # build models only
    init = {"rnn": {k: v.cpu().numpy() for k, v in init_env["rnn_model"].state_dict().items()},
            "transformer": {k: v.cpu().numpy() for k, v in init_env["transformer_model"].state_dict().items()}}
    runs = {}
    libs = ["minigrad"] + (["torch"] if optional_torch() is not None else [])
    for lib in libs:
        if lib == "torch":
            optional_torch().manual_seed(seed)  # dropout masks differ between the libraries anyway
        env = {"INIT": init, "X": X, "Y": Y, "EPOCHS": epochs}
        exec(FIXED.format(lib=lib), env)
        runs[lib] = {k: env[k] for k in ("history", "rnn_accuracy", "transformer_accuracy")}
    return runs


# %%
def run(ctx) -> dict:
    torch = ctx.torch()
    ctx.section(_("What fails (each error with the other bugs fixed)"))
    failures = {}
    for title, code in BUG_SNIPPETS.items():
        failures[title] = {"minigrad": run_snippet(code, "minigrad")}
        if torch is not None:
            failures[title]["torch"] = run_snippet(code, "torch")
        ctx.show(f"{_(title)}\n" + "\n".join(f"    {lib:8s} {_(msg)}" for lib, msg in failures[title].items()))
    epochs = 3 if ctx.quick else 100
    ctx.section(_("The corrected program, {epochs} epochs (dropout 0.1 is active in the Transformer, so the two libraries' "
                  "Transformer losses differ slightly: their random masks differ)").format(epochs=epochs))
    runs = train(epochs)
    libs = list(runs)
    header = _("epoch").ljust(5) + "  " + "  ".join(f"{lib + ' RNN':>14s}  {lib + ' Transformer':>22s}" for lib in libs)
    ctx.machine_dependent(_("The last digits of these float32 losses (the order of the sums in the BLAS)"))
    ctx.show(header)
    for e in range(epochs):
        if e < 3 or (e + 1) % 10 == 0 or e == epochs - 1:
            ctx.show(f"{e + 1:5d}  " + "  ".join(f"{runs[lib]['history'][e][0]:14.6f}  {runs[lib]['history'][e][1]:22.6f}" for lib in libs))
    for lib in libs:
        ctx.show(_("{lib}: RNN accuracy {rnn:.2f}, Transformer accuracy {transformer:.2f}").format(
            lib=lib, rnn=runs[lib]["rnn_accuracy"], transformer=runs[lib]["transformer_accuracy"]))
    ctx.show("\n" + _("The labels are random, so accuracy above 1/5 only measures memorising 100 sequences."))
    plt = ctx.pyplot()
    if plt is None:
        return {"runs": runs, "failures": failures}
    fig, ax = figures.subplots()
    for lib, style in zip(libs, ("-", "--")):
        h = np.array(runs[lib]["history"])
        ax.plot(np.arange(1, epochs + 1), h[:, 0], style, color=figures.PALETTE[0], label=f"{lib} RNN")
        ax.plot(np.arange(1, epochs + 1), h[:, 1], style, color=figures.PALETTE[1], label=f"{lib} Transformer")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(figures.label("epoch"))
    ax.set_ylabel(figures.label("training loss (cross-entropy)"))
    ax.set_title(figures.label("001 §5.2, corrected: the training loss of both models falls"))
    ax.legend()
    ctx.figure(fig, "training_programs_loss")
    plt.close(fig)
    return {"runs": runs, "failures": failures}


# %% [markdown]
# ## Exercises
#
# 1. Replace `nn.RNN` by `nn.LSTM` and `nn.GRU` (mind the LSTM's `(h, c)` state). Which learns fastest?
# 2. Evaluate on fresh random sequences: what accuracy do you expect, and why?
# 3. Time one epoch of each model on your machine (`python -m benchmarks --only seed_rnn_step
#    seed_transformer_ff2048`) and explain the result with the parallelism lesson.

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
