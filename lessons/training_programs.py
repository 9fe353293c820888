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
#    which expects at every step a vector of `input_size = 10` features. A 2-D input is read as **one
#    unbatched sequence** (100 time steps of 20 features each): `batch_first` only applies to 3-D
#    input. PyTorch checks the initial state first: for an unbatched sequence `h0` must be 2-D
#    (layers, hidden), and the program passes the 3-D `h0` of shape (1, 100, 20), hence its message "For
#    unbatched 2-D input, hx should also be 2-D". minigrad checks the features first (20, not 10).
#    Both messages come from the same mistake: token ids are not feature vectors. The Transformer model
#    has an `nn.Embedding`; the RNN model needs one too (`Embedding(10, 20)` turns (100, 20) ids into
#    (100, 20, 20) vectors, then `RNN(20, 20)`).
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

import math

import numpy as np

import minigrad as mg
from lessons import figures
from lessons.common import Row, claim, optional_torch, run_snippet
from lessons.i18n import domain

SUMMARY = "The RNN-vs-Transformer training program: its errors shown, then fixed and run on both libraries"
SOURCE = "001 §5.1-§5.3"
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

# §5.2's two models exactly as printed (building them works; their forward passes are what fail)
PRINTED_MODELS = '''
import {lib} as torch
import {lib}.nn as nn

class RNNModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNNModel, self).__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.RNN(input_size, hidden_size, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

class TransformerModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, num_heads):
        super(TransformerModel, self).__init__()
        self.hidden_size = hidden_size
        self.num_heads = num_heads
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model=hidden_size, nhead=num_heads), num_layers=1)
        self.decoder = nn.Linear(hidden_size, output_size)

input_size = 10
hidden_size = 20
output_size = 5
num_heads = 2
rnn_model = RNNModel(input_size, hidden_size, output_size)
transformer_model = TransformerModel(input_size, hidden_size, output_size, num_heads)
x = torch.randint(0, input_size, (100, 20))
y = torch.randint(0, output_size, (100,))
'''
# §5.1's installation and check, as printed
SETUP_5_1 = "pip install python\npip install torch torchvision"
# the printed line where each bug strikes
FAILING_LINE = {
    "1. token ids into nn.RNN": "out, _ = self.rnn(x, h0)",
    "2. out[-1] is the last sequence, not the last step": "out = self.fc(out[-1, :, :])",
    "3. one prediction per token for one label per sequence": "transformer_loss = nn.CrossEntropyLoss()(transformer_output, y)",
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


def count(module) -> int:
    """The number of parameters of a model."""
    return sum(p.numel() for p in module.parameters())


def document_rows(failures: dict, runs: dict, epochs: int) -> list:
    """Rows for §5.1 (environment), §5.2 (settings, models, program) and §5.3 (what the text says of it)."""
    env: dict = {}
    exec(PRINTED_MODELS.format(lib="minigrad"), env)
    rnn_m, tr_m = env["rnn_model"], env["transformer_model"]
    layer = tr_m.encoder.layers[0]
    ff = count(layer.linear1) + count(layer.linear2)
    n_rnn, n_tr = count(rnn_m), count(tr_m)
    program = ORIGINAL + PRINTED_MODELS  # what §5.2 prints (the corrected FIXED is the lesson's)
    uses_gpu = any(k in program for k in ("cuda", ".to(", "device"))
    rows = [
        claim("001 §5.1", "pip install python", SETUP_5_1.splitlines()[0], "wrong", _("not run (it needs the network)"),
              _("pip installs packages into a Python that is already installed; it cannot install Python itself, and no "
                "package of that name provides an interpreter"), kind="code"),
        claim("001 §5.1", "pip install torch torchvision", SETUP_5_1.splitlines()[1], "holds with a condition",
              f"'torchvision' in the program: {'torchvision' in program}",
              _("installs PyTorch; torchvision is never imported by the program") if "torchvision" not in program
              else _("installs PyTorch and torchvision, which the program imports"), kind="code"),
        claim("001 §5.1", "Python 3.7 or later, PyTorch 1.8 or later", "Python 3.7或更高版本; PyTorch 1.8或更高版本", "holds with a condition",
              _("the corrected program passes batch_first=True to nn.TransformerEncoderLayer"),
              _("the printed program uses only APIs PyTorch 1.8 has, but it cannot be made right there without transposes: "
                "batch_first on nn.TransformerEncoderLayer came with PyTorch 1.9")),
        claim("001 §5.1", "a GPU (NVIDIA recommended)", "GPU（推荐NVIDIA GPU）", "wrong",
              _("the program moves something to a device: {uses_gpu}").format(uses_gpu=uses_gpu),
              _("recommended, but the program never moves a model or a tensor to a GPU: it would run on the CPU alone")),
        claim("001 §5.1", "print(torch.__version__) checks the installation", "import torch; print(torch.__version__)", "holds",
              run_snippet("import {lib} as torch\nassert isinstance(torch.__version__, str)", "minigrad"),
              _("it prints the installed version (minigrad has one too)"), kind="code"),
    ]
    settings = {"input_size": 10, "hidden_size": 20, "output_size": 5, "num_heads": 2}
    uses = {"input_size": _("the RNN's input features and the Transformer's vocabulary: the same number means two different things"),
            "hidden_size": _("the width of both models; the encoder layer's feed-forward width is not set and defaults to "
                             "{width}").format(width=layer.linear1.out_features),
            "output_size": _("the number of classes of the random labels"),
            "num_heads": _("heads of size hidden_size / num_heads = {size}").format(size=layer.self_attn.head_dim)}
    for name, value in settings.items():
        rows.append(Row(name, str(value), None, env[name], "agrees", uses[name], "001 §5.2"))
    rows += [
        Row("lr", "0.001", None, 0.001, "agrees", _("Adam's default learning rate, the same for both models"), "001 §5.2"),
        Row("epochs", "100", None, 100, "agrees",
            _("(this run: {epochs}) 100 full-batch steps: the 100 sequences are one batch, so an 'epoch' is one update").format(
                epochs=epochs), "001 §5.2"),
        Row("x, y", "torch.randint(0, input_size, (100, 20)); torch.randint(0, output_size, (100,))", None,
            f"x {tuple(env['x'].shape)}, y {tuple(env['y'].shape)}", "agrees",
            _("100 random sequences of 20 tokens and 100 random labels: there is nothing to learn but the training set itself"),
            "001 §5.2"),
        claim("001 §5.2", "parameters of RNNModel(10, 20, 5)", "self.rnn = nn.RNN(input_size, hidden_size, num_layers=1, batch_first=True)",
              "holds", n_rnn, _("built as printed and counted: nn.RNN {rnn}, nn.Linear {linear}").format(
                  rnn=count(rnn_m.rnn), linear=count(rnn_m.fc))),
        claim("001 §5.2", "parameters of TransformerModel(10, 20, 5, 2)",
              "nn.Embedding + nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model=hidden_size, nhead=num_heads)) + nn.Linear",
              "holds", n_tr, _("built as printed and counted: embedding {embedding}, attention {attention}, feed-forward {ff}, "
                               "layer norms {norms}, output {output}").format(
                  embedding=count(tr_m.embedding), attention=count(layer.self_attn), ff=ff,
                  norms=count(layer.norm1) + count(layer.norm2), output=count(tr_m.decoder))),
        claim("001 §5.2", "parameters in the Transformer's feed-forward block", "nn.TransformerEncoderLayer(d_model=hidden_size, nhead=num_heads)", "holds with a condition",
              ff, _("{ff} of {total} parameters ({share:.1f}%) sit in the feed-forward block, because dim_feedforward "
                    "defaults to {width} = {ratio:.1f} x hidden_size; the usual ratio is 4 x hidden_size").format(
                  ff=ff, total=n_tr, share=100 * ff / n_tr, width=layer.linear1.out_features, ratio=layer.linear1.out_features / 20)),
        claim("001 §5.3", "the RNN and the Transformer are compared like for like", "RNN模型 ... Transformer模型 ... 分别计算准确率",
              "wrong", _("{rnn} vs {transformer} parameters ({ratio:.0f}x)").format(rnn=n_rnn, transformer=n_tr, ratio=n_tr / n_rnn),
              _("same data, optimiser and epochs, but the Transformer has over a hundred times the parameters, almost all in its "
                "default-sized feed-forward block, and the RNN model cannot even read token ids (below)")),
    ]
    for title, errors in failures.items():
        why = _("the program stops here") + (_("; PyTorch says {error}").format(error=errors["torch"]) if "torch" in errors else "")
        if title == "1. token ids into nn.RNN":
            why += _("; the 2-D ids of shape (100, 20) are read as one unbatched sequence of 100 steps with 20 features "
                     "(batch_first applies to 3-D input only), so PyTorch wants a 2-D h0 and minigrad 10 features; "
                     "an nn.Embedding makes them (100, 20, 20) vectors")
        rows.append(claim("001 §5.2", f"program: {title}", FAILING_LINE[title], "wrong", errors["minigrad"], why, kind="code"))
    lib = "torch" if "torch" in runs else "minigrad"
    r = runs[lib]
    rows += [
        claim("001 §5.3", "the data: 100 sequences of length 20, and 100 labels", "生成一个大小为100，长度为20的随机输入序列x和一个大小为100，长度为1的随机输出序列y",
              "holds", f"x {tuple(env['x'].shape)}, y {tuple(env['y'].shape)}", _("as the program builds them")),
        claim("001 §5.3", "the models: an RNN layer and a linear layer; an embedding, a Transformer encoder and a linear layer",
              "RNN模型...一个RNN层和一个全连接层; Transformer模型...一个嵌入层、一个Transformer编码器和一个全连接层", "holds",
              f"RNNModel: {[n for n, _ in rnn_m.named_children()]}; TransformerModel: {[n for n, _ in tr_m.named_children()]}",
              _("the printed classes have these parts (the RNN model lacks the embedding it needs)")),
        claim("001 §5.3", "both trained with Adam, cross-entropy and backpropagation", "使用Adam优化器; 使用交叉熵损失函数计算损失，并使用反向传播计算梯度",
              "holds", _("{epochs} epochs run after the fixes").format(epochs=epochs), _("as the corrected program does")),
        claim("001 §5.3", "testing the models", "在测试阶段，分别计算RNN模型和Transformer模型的准确率", "wrong",
              _("{lib}: RNN {rnn:.2f}, Transformer {transformer:.2f} on the training data (chance: 0.20)").format(
                  lib=lib, rnn=r["rnn_accuracy"], transformer=r["transformer_accuracy"]),
              _("the 'test' reuses the training sequences and their random labels: accuracy above chance measures memorisation, "
                "not generalisation; there is no held-out data")),
        claim("001 §5.3", "the code shows parallel computation accelerating training", "通过上述代码，我们可以看到并行计算在神经网络训练中的应用",
              "wrong", _("the program times nothing and uses no device"),
              _("nothing in the program measures or uses parallelism; the parallelism lesson measures it (rows of 001 §2.2)")),
    ]
    return rows


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
    rows = document_rows(failures, runs, epochs)
    ctx.section(_("Check of every setting and claim of §5"))
    ctx.table(rows)
    plt = ctx.pyplot()
    if plt is None:
        return {"runs": runs, "failures": failures, "rows": rows}
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
    return {"runs": runs, "failures": failures, "rows": rows}


# %% [markdown]
# ## Exercises
#
# 1. Replace `nn.RNN` by `nn.LSTM` and `nn.GRU` (mind the LSTM's `(h, c)` state). Which learns fastest?
# 2. Evaluate on fresh random sequences: what accuracy do you expect, and why?
# 3. Time one epoch of each model on your machine (`python -m benchmarks --only seed_rnn_step
#    seed_transformer_step`) and explain the result with the parallelism lesson.
#
# The assignments `rnn_bptt` and `lstm_cell` practise what `nn.RNN` and `nn.LSTM` compute inside.


def answers() -> list:
    """Worked answers of the exercises."""
    chance, n = 1 / 5, 100
    return [
        _("Measure it: `nn.LSTM(20, 20, batch_first=True)` returns (out, (h, c)) and `nn.GRU` (out, h), and `out[:, -1, :]` "
          "stays the same. Compare the training losses after 100 epochs from the same seed; the data are random, so "
          "'fastest' means memorising 100 sequences fastest, not generalising."),
        _("About {chance:.0%}: the labels are drawn independently of the sequences, so nothing learnt predicts them; on "
          "{n} fresh sequences the accuracy is a binomial proportion around {chance:g} with standard deviation "
          "√(0.2·0.8/{n}) = {sd:.2f}.").format(chance=chance, n=n, sd=math.sqrt(chance * (1 - chance) / n)),
        _("The RNN must run its 20 steps one after another, the Transformer processes the 20 positions at once; which is "
          "faster per epoch depends on the sizes and the hardware (the parallelism lesson and docs/performance.md "
          "measure it): at this tiny size the Transformer's larger feed-forward block can outweigh its parallelism."),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
