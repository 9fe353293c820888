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
from lessons.common import optional_torch, run_snippet
from lessons.i18n import domain

SUMMARY = "The attention formula step by step, the encoder layer and encoder-decoder code fixed and run on both libraries"
SOURCE = "000 §4.2, §4.3, §5.2-§5.4"
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
            Q = tr.name(mg.tensor([[1.0, 0.0], [0.0, 1.0]]), "Q")
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
    return {"runs": {k: v.tolist() for k, v in outputs.items()}, "failures": failures}


# %% [markdown]
# ## Exercises
#
# 1. Count the parameters of the corrected model at the §5.4 size (`sum(p.numel() for p in model.parameters())`).
#    Which part dominates?
# 2. Remove the causal mask: which target positions can now see the future, and why does that break training?
# 3. Replace the positional encoding by zeros and show that permuting the source tokens no longer
#    changes the encoder's output (up to the same permutation).

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
