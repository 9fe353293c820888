# %% [markdown]
# # Every other claim of document 000, with a verdict
#
# Document 000 (递归神经网络vs Transformer: 并行计算的优势) works no example by hand; it asserts. Its code
# (§4.3, §5) is run in the `transformer_code` lesson, its claims about parallelism and $O(n^2)$ are decided
# by the `parallelism` lesson's measurements, and those about vanishing gradients by `vanishing_gradients`.
# This lesson gives a row to each remaining claim. Where a claim can be computed it is: the gates of an
# RNN unit are counted on `nn.RNN` and `nn.LSTM`, "more parameters" is counted on the layers at
# $d = 512$, "more heads" is counted on `nn.MultiheadAttention`. The rest (applications, reading lists,
# forecasts) gets the verdict a reader can check in the literature, or "not testable".

# %%
from __future__ import annotations

import minigrad as mg
from lessons.common import claim
from lessons.i18n import domain
from minigrad import nn

SUMMARY = "Every remaining claim of document 000 with a verdict; parameter counts and gates counted on the models"
SOURCE = "000 abstract, §1-§3, §6-§9"
_ = domain("lessons")
D = 512  # the width 000 §5.4 uses


def count(module) -> int:
    """The number of parameters of a module."""
    return sum(p.numel() for p in module.parameters())


def gate_blocks(layer) -> int:
    """How many blocks of ``hidden_size`` rows the input weight has: one per gate (and candidate)."""
    return layer.weight_ih_l0.shape[0] // layer.hidden_size


def _run_order(layer, d: int) -> list:
    """The attention and linear submodules of ``layer`` in the order a forward pass calls them (each one's
    ``forward`` wrapped for one call to note its name)."""
    order: list = []
    watched = [m for _name, m in layer.named_children() if isinstance(m, (nn.MultiheadAttention, nn.Linear))]

    def noting(name, forward):
        return lambda *a, **k: order.append(name) or forward(*a, **k)

    for name, m in layer.named_children():
        if m in watched:
            object.__setattr__(m, "forward", noting(name, m.forward))
    try:
        layer(mg.randn(3, 1, d))
    finally:
        for m in watched:
            del m.__dict__["forward"]
    return order


def rows() -> list:
    """A row for each claim of 000 that no other lesson checks."""
    rnn, lstm, gru = nn.RNN(D, D), nn.LSTM(D, D), nn.GRU(D, D)
    enc = nn.TransformerEncoderLayer(D, 8)  # dim_feedforward 2048, as 000 §5.4
    dec = nn.TransformerDecoderLayer(D, 8)
    heads = {h: count(nn.MultiheadAttention(D, h)) for h in (1, 8, 16)}
    attn_parts = sorted(n for n, m in dec.named_children() if isinstance(m, nn.MultiheadAttention))
    run_order = _run_order(enc, D)
    return [
        claim("000 abstract", "RNN and Transformer are the two most popular sequence architectures",
              "RNN和Transformer是当前深度学习领域中最流行的两种序列模型架构", "not testable", "—",
              _("a statement of popularity; it also omits convolutional and state-space sequence models")),
        claim("000 abstract", "the RNN's limited parallelism bottlenecks its performance and efficiency",
              "RNN在并行计算方面的局限性导致了其性能和效率上的瓶颈", "holds with a condition", _("see 000 §1.2 (parallelism)"),
              _("its critical path grows with the length (measured in the parallelism lesson); whether that bottlenecks time "
                "depends on the hardware, and there the lesson's measurements decide")),
        claim("000 §1.1", "language modelling, translation, speech recognition and image-sequence analysis need sequence models",
              "语言模型、机器翻译、语音识别、图像序列分析等任务都需要使用序列模型", "holds", "—",
              _("their inputs or outputs are sequences")),
        claim("000 §1.2", "the traditional RNN processes sequences with a recurrent unit", "传统的递归神经网络（RNN）通过循环神经网络单元（RNN Unit）来处理序列数据",
              "holds", _("nn.RNN({d}, {d}): {blocks} block of weights applied at every step").format(d=D, blocks=gate_blocks(rnn)), _("one cell, applied step after step")),
        claim("000 §2.1", "each RNN unit has an input gate, a forget gate and an output gate",
              "每个单元包含一个输入门、一个遗忘门和一个输出门", "wrong",
              _("weight blocks per unit: nn.RNN {rnn}, nn.GRU {gru} (reset, update, candidate), "
                "nn.LSTM {lstm} (input, forget, candidate, output)").format(rnn=gate_blocks(rnn), gru=gate_blocks(gru), lstm=gate_blocks(lstm)),
              _("input, forget and output gates are the LSTM's; a plain RNN unit has no gate: h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)")),
        claim("000 §2.1", "the unit's inputs are the current input and the previous hidden state",
              "RNN Unit的输入包括当前时间步的输入序列值和上一个时间步的隐藏状态", "holds",
              _("nn.RNN weights: W_ih {w_ih}, W_hh {w_hh}").format(w_ih=tuple(rnn.weight_ih_l0.shape), w_hh=tuple(rnn.weight_hh_l0.shape)),
              _("x_t enters through W_ih, h_{t-1} through W_hh")),
        claim("000 §2.2", "encoder and decoder both use multi-head self-attention and a feed-forward network",
              "编码器和解码器都使用多头自注意力机制（Multi-Head Self-Attention）和前馈神经网络（FFN）", "holds with a condition",
              _("attention blocks of nn.TransformerDecoderLayer: {parts}").format(parts=attn_parts),
              _("the decoder's self-attention is masked (causal), and it has a second attention over the encoder's output "
                "(cross-attention), which the description leaves out; both also have residual connections and layer norms")),
        claim("000 §2.3", "attention lets the model focus on the elements most related to the current one",
              "注意力机制...允许模型关注序列中与当前元素关系最紧密的元素", "holds with a condition",
              _("see 001 §4.2 (attention_worked_example)"),
              _("the weights are a softmax of learned query-key similarities: 'most related' means most similar under the "
                "learned projections, and when the scores saturate one element takes all the weight")),
        claim("000 §3.2", "multi-head attention extends self-attention to several subspaces", "多头注意力：将自注意力机制扩展到多个子空间",
              "holds", f"nn.MultiheadAttention({D}, 8).head_dim = {nn.MultiheadAttention(D, 8).head_dim}",
              _("each head attends in its own d_model/h-dimensional projection")),
        claim("000 §3.2", "the steps in order: self-attention, feed-forward network, multi-head attention",
              "1. 自注意力机制 ... 2. 前馈神经网络 ... 3. 多头注意力：将自注意力机制扩展到多个子空间", "wrong",
              _("submodules of nn.TransformerEncoderLayer in the order they run: {order}").format(order=run_order),
              _("multi-head attention is not a third step after the feed-forward network: it is the self-attention step itself, "
                "computed in h heads at once, and the feed-forward block follows it")),
        claim("000 §3.2", "the feed-forward network transforms the attention result into the final output",
              "前馈神经网络：对自注意力机制的结果进行非线性变换，得到最终的输出", "holds with a condition",
              _("encoder layer: feed-forward {ff:,} of {total:,} parameters").format(ff=count(enc.linear1) + count(enc.linear2), total=count(enc)),
              _("position by position, after a residual connection and a layer norm (see 000 §4.1); the final output of the "
                "model comes after all layers and an output projection")),
        claim("000 §3.3", "scalable: more layers and more heads improve performance", "Transformer架构可以通过增加层数和注意力头数来提高性能",
              "holds with a condition", _("parameters of nn.MultiheadAttention({d}, h): {counts}").format(d=D, counts=", ".join(f"h = {h}: {n:,}" for h, n in heads.items())),
              _("more layers add capacity; more heads at the same width add none (the count is the same for every h), they "
                "only split the width; gains from either must be measured on a task")),
        claim("000 §3.3", "the Transformer usually has more parameters than an RNN", "Transformer架构的参数量通常比RNN架构更大",
              "holds with a condition",
              _("at d = {d}: RNN layer {rnn:,}, LSTM layer {lstm:,}, encoder layer (d_ff = 2048) {enc:,}").format(
                  d=D, rnn=count(rnn), lstm=count(lstm), enc=count(enc)),
              _("per layer at the same width, an encoder layer has {vs_rnn:.1f}x the parameters of an RNN layer "
                "and {vs_lstm:.1f}x those of an LSTM layer, {ff:,} of them in "
                "the feed-forward block; neither count grows with the sequence length").format(
                  vs_rnn=count(enc) / count(rnn), vs_lstm=count(enc) / count(lstm), ff=count(enc.linear1) + count(enc.linear2))),
        claim("000 §3.4", "applications: language, vision, time series", "自然语言处理...计算机视觉：图像分类、目标检测、视频分析...时间序列分析：股票预测、天气预报",
              "holds", "—", _("e.g. BERT and GPT (language), ViT (Dosovitskiy et al. 2021) and DETR (Carion et al. 2020) for "
                              "vision, the Temporal Fusion Transformer (Lim et al. 2021) for time series")),
        claim("000 §6.1", "NLP results: BERT and GPT-3, translation, summarisation, sentiment analysis",
              "语言模型：BERT、GPT-3等; 机器翻译; 文本摘要; 情感分析", "holds", "—", _("BERT and GPT-3 are Transformers")),
        claim("000 §6.2", "image classification: ResNet, EfficientNet", "图像分类：ResNet、EfficientNet等", "wrong", "—",
              _("ResNet and EfficientNet are convolutional networks, not Transformers; Transformer image classifiers are e.g. "
                "ViT, DeiT, Swin")),
        claim("000 §6.2", "object detection: YOLO, Faster R-CNN", "目标检测：YOLO、Faster R-CNN等", "wrong", "—",
              _("YOLO and Faster R-CNN are convolutional detectors; Transformer detectors are e.g. DETR")),
        claim("000 §6.2", "video analysis: action recognition, video classification", "视频分析：动作识别、视频分类等", "holds", "—",
              _("e.g. TimeSformer (Bertasius et al. 2021), ViViT (Arnab et al. 2021)")),
        claim("000 §7.1", "Attention Is All You Need is the original Transformer paper", "《Attention is All You Need》：Transformer架构的原论文",
              "holds", "—", _("Vaswani et al., NeurIPS 2017")),
        claim("000 §7.1", "books: Deep Learning for NLP; Deep Learning with PyTorch", "《Deep Learning for NLP》; 《Deep Learning with PyTorch》",
              "not testable", "—", _("no authors or editions are given, so the titles cannot be pinned to one book")),
        claim("000 §7.2", "tools: PyTorch, TensorFlow, Hugging Face Transformers support RNNs and Transformers",
              "PyTorch; TensorFlow; Hugging Face Transformers", "holds", _("minigrad, with PyTorch's API, has nn.RNN and nn.Transformer: {has}").format(
                  has=hasattr(nn, "RNN") and hasattr(nn, "Transformer")), _("all three provide both (Hugging Face mostly pretrained Transformers)")),
        claim("000 §7.3", "Vaswani et al., Attention is All You Need; Devlin et al., BERT", "Vaswani et al., \"Attention is All You Need\"; Devlin et al., \"BERT...\"",
              "holds", "—", _("NeurIPS 2017; NAACL 2019")),
        claim("000 §7.3", "Vaswani et al., \"Transformers: State-of-the-Art NLP through Attention\"",
              "Vaswani et al., \"Transformers: State-of-the-Art NLP through Attention\"", "wrong", "—",
              _("no such paper by Vaswani et al.; the nearest title is Wolf et al. (2020), \"Transformers: State-of-the-Art "
                "Natural Language Processing\" (EMNLP, system demonstrations), the Hugging Face library")),
        claim("000 §8.1", "RNN and Transformer are both important sequence architectures with notable results",
              "RNN和Transformer是两种重要的序列模型架构，它们在处理序列数据方面取得了显著的成果", "holds", "—", _("a summary")),
        claim("000 §8.2", "future trends: efficient attention, multimodal and interpretable Transformers",
              "更高效的注意力机制; 多模态Transformer; 可解释的Transformer", "not testable", "—",
              _("forecasts (efficient attention is the tiled attention of the parallelism lesson, already here)")),
        claim("000 §8.3", "challenges: compute, interpretability, privacy and security", "计算资源消耗; 模型可解释性; 数据隐私和安全",
              "holds with a condition", _("encoder layer at d = {d}: {total:,} parameters").format(d=D, total=count(enc)),
              _("compute grows with size and with the square of the length (parallelism lesson); interpretability and "
                "privacy are fair concerns but not measured here")),
        claim("000 §8.4", "the Transformer will matter more and more in sequence modelling", "Transformer架构将在序列建模领域发挥越来越重要的作用",
              "not testable", "—", _("a forecast")),
        claim("000 §9", "the Transformer's advantages: parallel computation, scalability, better performance (Q2)",
              "Transformer架构的主要优势包括并行计算、扩展性好、性能优越等", "holds with a condition", _("see 000 §3.3"),
              _("the critical path is shorter (measured); speed and accuracy depend on the hardware and the task")),
        claim("000 §9", "application fields: NLP, vision, time series (Q3)", "Transformer架构在自然语言处理、计算机视觉、时间序列分析等领域得到了广泛应用",
              "holds", "—", _("see 000 §3.4")),
        claim("000 §9", "choose model size, layers and heads for the task and data (Q4)", "需要根据具体任务和数据特点进行综合考虑，包括模型大小、层数、注意力头数等",
              "not testable", "—", _("advice without a method")),
        claim("000 §9", "interpretability through attention visualisation (Q5)", "可以通过可视化注意力权重、解释模型决策过程等方法实现",
              "holds with a condition", _("see attention_heatmaps"), _("attention maps show where a layer looks, not why the model "
                "decides (Jain and Wallace 2019, 'Attention is not Explanation')")),
    ]


# %%
def run(ctx) -> dict:
    table = rows()
    ctx.section(_("Every remaining claim of 000"))
    ctx.table(table)
    verdicts = {v: sum(r.verdict == v for r in table) for v in ("holds", "holds with a condition", "wrong", "not testable")}
    ctx.show("\n" + ", ".join(f"{n} {_(v)}" for v, n in verdicts.items()))
    return {"rows": table}


# %% [markdown]
# ## Exercises
#
# 1. Count the parameters of `nn.GRU(512, 512)` and place it between the RNN and the LSTM.
# 2. Build `nn.MultiheadAttention(512, h)` for h = 1, 2, 4, 8: why is the count the same? What changes?
# 3. Find one claim above marked "not testable" that you could test with minigrad, and test it.

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
