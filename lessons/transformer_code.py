# %% [markdown]
# # The Transformer code of document 000, §4.2, §4.3 and §5.2 to §5.4
#
# Document 000 gives the attention formula (§4.2), a hand-written `TransformerEncoderLayer` (§4.3), an
# encoder-decoder `TransformerModel` built from it (§5.2, §5.3) and a run with two source and two target
# sequences of 4 tokens, $d_{model} = 512$, 8 heads, $d_{ff} = 2048$ and 6 layers (§5.4).
#
# **§4.2** $\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$ is right; the lesson
# computes it step by step on a small example and checks it against minigrad's attention op.
#
# **What fails in the code, and why**
#
# 1. (§4.3) The feed-forward part is one `Linear(d_model, d_ff)`: its output has $d_{ff} = 2048$ features
#    and cannot be added to the $d_{model} = 512$-feature residual. The block needs a second
#    `Linear(d_ff, d_model)` and a ReLU between them (Vaswani et al., 2017, Eq. 2); dropout belongs on
#    both sublayers.
# 2. (§5.2) `src_vocab_size` and `tgt_vocab_size` are never defined: building the model raises `NameError`.
# 3. (§5.2) The "decoder" is made of *encoder* layers and calls `layer(tgt_emb, src_emb)`, which takes one
#    input: `TypeError`. A decoder layer needs masked self-attention and attention over the encoder's
#    output (memory), i.e. `nn.TransformerDecoderLayer`, with a causal mask on the target.
# 4. (§5.2, §5.4) `nn.MultiheadAttention` defaults to sequence-first input, but `src` is
#    (batch 2, sequence 4): the layers would attend across the batch. `batch_first=True` fixes it, and
#    `tgt_emb[-1]` (meant as the last position) must then be `tgt_emb[:, -1]`.
# 5. There is no positional encoding: without it attention cannot tell the order of the tokens.

# %%
from __future__ import annotations

import warnings

import numpy as np

import minigrad as mg
from lessons.common import Row, claim, error_of, optional_torch, run_snippet
from lessons.i18n import domain

SUMMARY = "The attention formula step by step, the encoder layer and encoder-decoder code fixed and run on both libraries"
SOURCE = "000 §4.1-§4.3, §5.1-§5.4"
_ = domain("lessons")

LAYER_4_3 = '''
import {lib} as torch
import {lib}.nn as nn

class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff):
        super(TransformerEncoderLayer, self).__init__()
        self.attention = nn.MultiheadAttention(d_model, n_heads)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(0.1)

    def forward(self, src):
        src2 = self.attention(src, src, src)[0]
        src = self.norm1(src + src2)
        src2 = self.fc(src)
        src = self.norm2(src + self.dropout(src2))
        return src
'''

MODEL_5_2 = '''
class TransformerModel(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, num_layers):
        super(TransformerModel, self).__init__()
        self.encoder = nn.ModuleList([TransformerEncoderLayer(d_model, n_heads, d_ff) for _ in range(num_layers)])
        self.decoder = nn.ModuleList([TransformerEncoderLayer(d_model, n_heads, d_ff) for _ in range(num_layers)])
        self.src_emb = nn.Embedding(src_vocab_size, d_model)
        self.tgt_emb = nn.Embedding(tgt_vocab_size, d_model)
        self.fc_out = nn.Linear(d_model, tgt_vocab_size)

    def forward(self, src, tgt):
        src_emb = self.src_emb(src)
        tgt_emb = self.tgt_emb(tgt)
        for layer in self.encoder:
            src_emb = layer(src_emb)
        for layer in self.decoder:
            tgt_emb = layer(tgt_emb, src_emb)
        output = self.fc_out(tgt_emb[-1])
        return output
'''

RUN_5_4 = '''
src = torch.tensor([[1, 2, 3, 4], [2, 3, 4, 5]])
tgt = torch.tensor([[5, 4, 3, 2], [4, 3, 2, 1]])
'''

SNIPPETS = {
    "1. §4.3 layer: d_ff features added to a d_model residual": LAYER_4_3 + "\nTransformerEncoderLayer(512, 8, 2048)(torch.randn(4, 2, 512))\n",
    "2. §5.2 model: undefined vocabulary sizes": LAYER_4_3 + MODEL_5_2 + RUN_5_4 + "\nmodel = TransformerModel(d_model=512, n_heads=8, d_ff=2048, num_layers=6)\n",
    "3. §5.2 model: an encoder layer called as a decoder layer": LAYER_4_3.replace("self.fc = nn.Linear(d_model, d_ff)", "self.fc = nn.Linear(d_model, d_model)")
    + "\nsrc_vocab_size = tgt_vocab_size = 10\n" + MODEL_5_2 + RUN_5_4 + "\nTransformerModel(d_model=16, n_heads=2, d_ff=32, num_layers=1)(src, tgt)\n",
}

# §4.3's class repaired in place: the feed-forward block becomes Linear, ReLU, Linear back to d_model
LAYER_4_3_REPAIRED = LAYER_4_3.replace(
    "self.fc = nn.Linear(d_model, d_ff)",
    "self.fc = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))")

FIXED = '''
import math
import {lib} as torch
import {lib}.nn as nn

class PositionalEncoding(nn.Module):          # fix 5: token order (Vaswani et al., 2017, Section 3.5)
    def __init__(self, d_model, max_len=64):
        super().__init__()
        pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe.float())

    def forward(self, x):                     # x: (batch, sequence, d_model)
        return x + self.pe[: x.shape[1]].unsqueeze(0)

class TransformerModel(nn.Module):
    def __init__(self, src_vocab_size, tgt_vocab_size, d_model, n_heads, d_ff, num_layers):   # fix 2
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab_size, d_model)
        self.tgt_emb = nn.Embedding(tgt_vocab_size, d_model)
        self.pos = PositionalEncoding(d_model)
        enc = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, batch_first=True)             # fixes 1, 4
        dec = nn.TransformerDecoderLayer(d_model, n_heads, d_ff, batch_first=True)             # fix 3
        self.encoder = nn.TransformerEncoder(enc, num_layers, enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(dec, num_layers)
        self.fc_out = nn.Linear(d_model, tgt_vocab_size)

    def forward(self, src, tgt):
        memory = self.encoder(self.pos(self.src_emb(src)))
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        out = self.decoder(self.pos(self.tgt_emb(tgt)), memory, tgt_mask=mask, tgt_is_causal=True)
        return self.fc_out(out[:, -1])          # fix 4: the last target position of every sequence

src = torch.tensor([[1, 2, 3, 4], [2, 3, 4, 5]])
tgt = torch.tensor([[5, 4, 3, 2], [4, 3, 2, 1]])
model = TransformerModel(10, 10, d_model=D_MODEL, n_heads=HEADS, d_ff=D_FF, num_layers=LAYERS)
if INIT is not None:
    model.load_state_dict({{k: torch.tensor(v) for k, v in INIT.items()}})
model.eval()
with torch.no_grad():
    output = model(src, tgt)
'''




def run_fixed(d_model: int = 512, heads: int = 8, d_ff: int = 2048, layers: int = 6, seed: int = 0) -> dict:
    """The corrected §5.4 run on minigrad and (if installed) PyTorch with the same weights; the outputs."""
    mg.manual_seed(seed)
    sizes = {"D_MODEL": d_model, "HEADS": heads, "D_FF": d_ff, "LAYERS": layers}
    env = {"INIT": None, **sizes}
    exec(FIXED.format(lib="minigrad"), env)
    init = {k: v.cpu().numpy() for k, v in env["model"].state_dict().items()}
    outputs = {"minigrad": env["output"].cpu().numpy()}
    if optional_torch() is not None:
        tenv = {"INIT": init, **sizes}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(FIXED.format(lib="torch"), tenv)
        outputs["torch"] = tenv["output"].cpu().numpy()
    return outputs


def attention_by_hand():
    """§4.2 on two tokens with d_k = 2: every step written out, and minigrad's attention op."""
    mg.set_default_dtype(mg.float64)
    try:
        with mg.trace(precision=4) as tr:
            Q = tr.name(mg.tensor([[1.0, 0.5], [0.5, -1.0]]), "Q")  # not the identity: each query weighs the keys' features differently
            K = tr.name(mg.tensor([[1.0, 2.0], [3.0, 1.0]]), "K")
            V = tr.name(mg.tensor([[1.0, 1.0], [2.0, 0.0]]), "V")
            d_k = tr.name(mg.tensor(2.0), "d_k")
            S = tr.name(Q @ K.T / mg.sqrt(d_k), "S")
            P = tr.name(mg.softmax(S, dim=-1), "P")
            O = tr.name(P @ V, "O")
        reference = mg.nn.functional.scaled_dot_product_attention(Q, K, V)
    finally:
        mg.set_default_dtype(mg.float32)
    return tr, O, reference


def repaired_layer(d_model: int = 512, heads: int = 8, d_ff: int = 2048, seed: int = 0) -> dict:
    """§4.3's class as printed (its error), repaired in place, and compared with nn.TransformerEncoderLayer
    carrying the same weights (eval mode: no dropout)."""
    mg.manual_seed(seed)
    x = mg.randn(4, 2, d_model)  # (sequence, batch, features): the layout the printed class expects
    env: dict = {}
    exec(LAYER_4_3.format(lib="minigrad"), env)
    printed = env["TransformerEncoderLayer"](d_model, heads, d_ff)
    as_printed = error_of(lambda: printed(x))
    exec(LAYER_4_3_REPAIRED.format(lib="minigrad"), env)
    layer = env["TransformerEncoderLayer"](d_model, heads, d_ff).eval()
    reference = mg.nn.TransformerEncoderLayer(d_model, heads, d_ff).eval()
    names = {"attention.": "self_attn.", "fc.0.": "linear1.", "fc.2.": "linear2."}
    state = {}
    for k, v in layer.state_dict().items():
        for old, new in names.items():
            k = k.replace(old, new) if k.startswith(old) else k
        state[k] = v
    reference.load_state_dict(state)
    with mg.no_grad():
        out, ref = layer(x), reference(x)
    return {"as_printed": as_printed, "shape": tuple(out.shape), "difference": float((out - ref).abs().max().item())}


def formula_4_1(d_model: int = 16, heads: int = 2, seed: int = 0) -> dict:
    r"""§4.1's :math:`\mathrm{FFN}(\mathrm{Attention}(X))` against an encoder layer with the same weights, and the
    layer rebuilt with its residual connections and layer norms, :math:`\mathrm{LN}(h + \mathrm{FFN}(h))`,
    :math:`h = \mathrm{LN}(X + \mathrm{Attention}(X))`."""
    mg.manual_seed(seed)
    layer = mg.nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, batch_first=True).eval()
    x = mg.randn(2, 5, d_model)
    with mg.no_grad():
        attn = lambda z: layer.self_attn(z, z, z, need_weights=False)[0]  # noqa: E731
        ffn = lambda z: layer.linear2(mg.relu(layer.linear1(z)))  # noqa: E731
        full = layer(x)
        as_printed = ffn(attn(x))
        h = layer.norm1(x + attn(x))
        rebuilt = layer.norm2(h + ffn(h))
    return {"formula": float((as_printed - full).abs().max().item()), "with_residuals": float((rebuilt - full).abs().max().item())}


def document_rows(attention_diff: float, failures: dict, repaired: dict, formula: dict, outputs: dict, size: dict) -> list:
    """Rows for 000 §4.1 to §5.4: the formulas, the code samples and what the text says of them."""
    fixed = FIXED
    rows = [
        claim("000 §4.1", "Transformer(X) = FFN(Attention(X))", r"\text{Transformer}(\mathbf{X}) = \text{FFN}(\text{Attention}(\mathbf{X}))", "wrong",
              _("max |FFN(Attention(X)) - encoder layer| = {formula:.3g}; with residuals and layer norms: {with_residuals:.3g}").format(
                  formula=formula["formula"], with_residuals=formula["with_residuals"]),
              _("the formula drops the residual connections and the layer norms (and the decoder); rebuilt as "
                "LN(h + FFN(h)), h = LN(X + Attention(X)) it matches nn.TransformerEncoderLayer")),
        claim("000 §4.2", "Attention(Q, K, V) = softmax(QK^T / sqrt(d_k)) V", r"\text{Attention}(\mathbf{Q}, \mathbf{K}, \mathbf{V}) = \text{softmax}(\frac{\mathbf{QK}^T}{\sqrt{d_k}}) \mathbf{V}", "holds",
              _("max |by hand - scaled_dot_product_attention| = {diff:.3g}").format(diff=attention_diff),
              _("the formula of Vaswani et al. (2017), Eq. 1; d_k is the width of queries and keys")),
        claim("000 §4.3", "TransformerEncoderLayer(d_model, n_heads, d_ff)", "class TransformerEncoderLayer(nn.Module): ...", "wrong",
              _("as printed: {as_printed}; repaired in place: output {shape}, max |difference| from "
                "nn.TransformerEncoderLayer with the same weights {difference:.3g}").format(
                  as_printed=repaired["as_printed"], shape=repaired["shape"], difference=repaired["difference"]),
              _("the feed-forward block is one Linear(d_model, d_ff), whose d_ff-wide output is added to the d_model-wide "
                "residual and normalised over d_model: it fails; with Linear(d_model, d_ff), ReLU, Linear(d_ff, d_model) the "
                "class is the standard post-norm encoder layer"), kind="code"),
        claim("000 §4.3", "the layer contains self-attention, a feed-forward network and normalisation",
              "包含了自注意力机制、前馈神经网络和归一化层", "wrong", repaired["as_printed"],
              _("its 'feed-forward network' is a single linear map with no activation, so that part is linear (the block "
                "as a whole is not: softmax attention and layer norm are nonlinear), and its d_ff-wide output cannot even be "
                "added back to its d_model-wide input")),
        claim("000 §5.1", "Python 3.x, PyTorch 1.8.x, NumPy 1.19.x", "Python 3.x; PyTorch 1.8.x; Numpy 1.19.x", "holds with a condition",
              _("the corrected code passes batch_first: {batch_first}, tgt_is_causal: {causal}").format(
                  batch_first="batch_first=True" in fixed, causal="tgt_is_causal" in fixed),
              _("the printed code only uses what PyTorch 1.8 has, but attends across the batch; making it right needs "
                "batch_first (PyTorch 1.9 and later) or transposes, and the causal hint tgt_is_causal needs PyTorch 2.1; "
                "NumPy 1.19 and PyTorch 1.8 have no wheels for Python 3.10 and later, so 'Python 3.x' means 3.6 to 3.9")),
    ]
    titles = list(failures)
    rows.append(claim("000 §5.2", "TransformerModel(d_model, n_heads, d_ff, num_layers)", "class TransformerModel(nn.Module): ...",
                      "wrong", failures[titles[1]]["minigrad"],
                      _("src_vocab_size and tgt_vocab_size are never defined: building the model raises NameError"), kind="code"))
    rows.append(claim("000 §5.2", "the decoder calls layer(tgt_emb, src_emb)", "tgt_emb = layer(tgt_emb, src_emb)", "wrong",
                      failures[titles[2]]["minigrad"],
                      _("the 'decoder' is built from encoder layers, whose forward takes one argument: two arguments raise "
                        "TypeError; a decoder layer needs masked self-attention and attention over the encoder output"), kind="code"))
    rows.append(claim("000 §5.2", "output = fc_out(tgt_emb[-1])", "output = self.fc_out(tgt_emb[-1])", "wrong",
                      _("tgt_emb has shape (batch 2, sequence 4, d_model): index -1 is the last sequence"),
                      _("with (batch, sequence) input, as §5.4 passes it, [-1] takes the last sequence of the batch, not the last "
                        "position; and nn.MultiheadAttention, sequence-first by default, attends across the batch")))
    rows.append(claim("000 §5.3", "encoder and decoder both use TransformerEncoderLayer", "编码器和解码器都使用了TransformerEncoderLayer",
                      "holds with a condition", failures[titles[2]]["minigrad"],
                      _("true of the code, and the reason it cannot work: a decoder needs a causal mask and cross-attention "
                        "(nn.TransformerDecoderLayer); there is no positional encoding either")))
    d_model, heads, d_ff, layers = (size.get(k, v) for k, v in (("d_model", 512), ("heads", 8), ("d_ff", 2048), ("layers", 6)))
    rows.append(Row("d_model, n_heads, d_ff, num_layers", "512, 8, 2048, 6", None, f"{d_model}, {heads}, {d_ff}, {layers}",
                    "agrees", _("the base model of Vaswani et al. (2017), Table 3") if not size
                    else _("the base model of Vaswani et al. (2017), Table 3 (this run is small: --quick)"),
                    "000 §5.4"))
    src, tgt = mg.tensor([[1, 2, 3, 4], [2, 3, 4, 5]]), mg.tensor([[5, 4, 3, 2], [4, 3, 2, 1]])
    rows.append(Row("src, tgt", "[[1, 2, 3, 4], [2, 3, 4, 5]], [[5, 4, 3, 2], [4, 3, 2, 1]]", None,
                    f"{tuple(src.shape)}, {tuple(tgt.shape)}", "agrees", _("two sequences of four tokens each: batch 2, length 4"), "000 §5.4"))
    rows.append(claim("000 §5.4", "model(src, tgt); print(output)", "output = model(src, tgt)", "wrong",
                      failures[titles[1]]["minigrad"], _("the run stops where building the model does (NameError)"), kind="code"))
    out = outputs["minigrad"]
    rows.append(claim("000 §5.4", "the example translates a sequence to a sequence", "这个示例展示了如何使用Transformer模型进行序列到序列的翻译",
                      "wrong", _("corrected output: shape {shape}, untrained").format(shape=out.shape),
                      _("one forward pass of untrained weights with the target given (teacher forcing) yields one vector of "
                        "vocabulary scores per sequence; nothing is trained, decoded token by token or translated")))
    return rows


# %%
def run(ctx) -> dict:
    ctx.section(_("§4.2: the attention formula, step by step"))
    tr, O, reference = attention_by_hand()
    ctx.show(tr.render())
    same = np.allclose(O.cpu().numpy(), reference.cpu().numpy(), rtol=0, atol=1e-15)
    ctx.show(_("minigrad.nn.functional.scaled_dot_product_attention gives {result}: {verdict}").format(
        result=reference.cpu().numpy().tolist(), verdict=_("the same") if same else _("DIFFERENT")))
    ctx.section(_("What fails (each error with the earlier bugs removed)"))
    failures = {}
    torch = ctx.torch()
    for title, code in SNIPPETS.items():
        failures[title] = {"minigrad": run_snippet(code, "minigrad")}
        if torch is not None:
            failures[title]["torch"] = run_snippet(code, "torch")
        ctx.show(f"{_(title)}\n" + "\n".join(f"    {lib:8s} {_(msg)}" for lib, msg in failures[title].items()))
    size = dict(d_model=32, heads=4, d_ff=64, layers=2) if ctx.quick else {}
    ctx.section(_("The corrected §5.4 run (eval mode, same weights in both libraries)") + (_(" at small size") if ctx.quick else ""))
    outputs = run_fixed(**size)
    ctx.machine_dependent(_("The last digits of these float32 outputs (the order of the sums in the BLAS)"))
    for lib, out in outputs.items():
        ctx.show(_("{lib}: output shape {shape}, first row [{row}]").format(lib=lib, shape=out.shape, row=", ".join(f"{v:.4f}" for v in out[0])))
    if "torch" in outputs:
        diff = float(np.abs(outputs["minigrad"] - outputs["torch"]).max())
        ctx.show(_("largest difference between the libraries: {diff:.2e} (float32 round-off)").format(diff=diff))
    ctx.section(_("§4.3's class repaired in place, and §4.1's formula against an encoder layer"))
    layer_size = dict(d_model=32, heads=4, d_ff=64) if ctx.quick else {}
    repaired = repaired_layer(**layer_size)
    formula = formula_4_1()
    ctx.show(_("as printed: {as_printed}\nrepaired (Linear, ReLU, Linear): output {shape}, largest difference "
               "from nn.TransformerEncoderLayer with the same weights {difference:.2e}\n"
               "§4.1, FFN(Attention(X)) against the layer: {formula:.3g}; with residuals and layer norms: "
               "{with_residuals:.2e}").format(as_printed=repaired["as_printed"], shape=repaired["shape"],
                                              difference=repaired["difference"], formula=formula["formula"],
                                              with_residuals=formula["with_residuals"]))
    attention_diff = float(np.abs(O.cpu().numpy() - reference.cpu().numpy()).max())
    rows = document_rows(attention_diff, failures, repaired, formula, outputs, size)
    ctx.section(_("Check of every formula, code sample and claim of §4 and §5"))
    ctx.table(rows)
    return {"runs": {k: v.tolist() for k, v in outputs.items()}, "failures": failures, "rows": rows}


# %% [markdown]
# ## Exercises
#
# 1. Count the parameters of the corrected model at the §5.4 size (`sum(p.numel() for p in model.parameters())`).
#    Which part dominates?
# 2. Remove the causal mask: which target positions can now see the future, and why does that break training?
# 3. Replace the positional encoding by zeros and show that permuting the source tokens no longer
#    changes the encoder's output (up to the same permutation).
#
# The assignments `multihead_heads` and `attention_masks` practise the attention inside these layers;
# the lessons `multihead_by_hand` and `layer_norm_by_hand` work its two less obvious parts by hand.


def answers() -> list:
    """Worked answers of the exercises, counted and measured with minigrad's layers."""
    d, heads, d_ff, layers, vocab = 512, 8, 2048, 6, 10
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    enc = count(mg.nn.TransformerEncoderLayer(d, heads, d_ff))
    dec = count(mg.nn.TransformerDecoderLayer(d, heads, d_ff))
    ffn = 2 * d * d_ff + d_ff + d
    emb_out = 2 * vocab * d + d * vocab + vocab
    total = layers * (enc + dec) + emb_out
    mg.manual_seed(0)
    layer = mg.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True).eval()
    src = mg.randn(1, 5, 16)
    perm = [3, 0, 4, 1, 2]
    with mg.no_grad():
        diff = float((layer(src[:, perm]) - layer(src)[:, perm]).abs().amax().item())
    return [
        _("{total:,} parameters: each encoder layer has {enc:,} and each decoder layer {dec:,} (six of each), the embeddings "
          "and output layer {emb:,}. The feed-forward blocks dominate: {ffn:,} per layer, {share:.0%} of all, because "
          "d_ff = 4 d_model.").format(total=total, enc=enc, dec=dec, emb=emb_out, ffn=ffn, share=2 * layers * ffn / total),
        _("Every target position t sees the positions after it, including t + 1, the token it is trained to predict: "
          "the model learns to copy it, the training loss falls, and at inference, where the future tokens do not exist "
          "yet, the model has learnt nothing it can use."),
        _("Attention and the position-wise layers treat every position alike, so without positional encoding permuting "
          "the inputs permutes the outputs: measured on a small encoder layer, largest difference {diff:.1e} "
          "(float32 round-off).").format(diff=diff),
    ]


# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
