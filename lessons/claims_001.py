# %% [markdown]
# # Every other claim of document 001, with a verdict, and its Transformer pseudocode run
#
# The worked examples of document 001 (递归神经网络 vs Transformer:并行计算的优势) are checked number by
# number in `rnn_worked_example` (§3.1, §4.1) and `attention_worked_example` (§3.2.2, §4.2), its program in
# `training_programs` (§5), its claims about parallelism in `parallelism` and about gradients in
# `vanishing_gradients`. This lesson gives a row to everything else it asserts, and runs the Transformer
# pseudocode of §3.2.3: as printed it stops on names it never defines; once they are defined it runs, and
# what it computes is not an encoder-decoder.

# %%
from __future__ import annotations

import minigrad as mg
from lessons.common import claim, error_of
from lessons.i18n import domain
from minigrad import nn

SUMMARY = "Every remaining claim of document 001 with a verdict; its Transformer pseudocode run as printed and repaired"
SOURCE = "001 abstract, §1-§3, §6-§10"
_ = domain("lessons")

PSEUDOCODE = """
def Transformer(input_sequence, hidden_size, num_heads):
  # 嵌入
  x = embed(input_sequence, hidden_size)

  # 编码器
  for i in range(num_layers):
    x = MultiHeadAttention(x, x, x, num_heads, hidden_size)
    x = FeedForward(x, hidden_size)

  # 解码器
  for i in range(num_layers):
    x = MultiHeadAttention(x, encoder_output, x, num_heads, hidden_size)
    x = FeedForward(x, hidden_size)

  # 生成输出
  y = softmax(x)
  return y
"""


def _building_blocks(seed: int = 0) -> dict:
    """The functions §3.2.3 calls, written with minigrad (new weights at every call, from one seed)."""
    mg.manual_seed(seed)

    def embed(tokens, hidden_size):
        return nn.Embedding(max(tokens) + 1, hidden_size)(mg.tensor(tokens))

    def MultiHeadAttention(q, k, v, num_heads, hidden_size):  # noqa: N802 (the pseudocode's name)
        return nn.MultiheadAttention(hidden_size, num_heads)(q, k, v)[0]

    def FeedForward(x, hidden_size):  # noqa: N802
        return nn.Linear(4 * hidden_size, hidden_size)(mg.relu(nn.Linear(hidden_size, 4 * hidden_size)(x)))

    return {"embed": embed, "MultiHeadAttention": MultiHeadAttention, "FeedForward": FeedForward,
            "softmax": lambda x: mg.softmax(x, dim=-1)}


def run_pseudocode(tokens=(1, 2, 3), hidden_size: int = 8, num_heads: int = 2) -> dict:
    """§3.2.3 as printed (its first error), with ``num_layers`` defined (its next), and with the encoder's
    output kept (it runs): the output's shape and row sums."""
    steps = {}
    env = _building_blocks()
    exec(PSEUDOCODE, env)
    steps["as printed"] = error_of(lambda: env["Transformer"](list(tokens), hidden_size, num_heads))
    env = {**_building_blocks(), "num_layers": 2}
    exec(PSEUDOCODE, env)
    steps["num_layers = 2"] = error_of(lambda: env["Transformer"](list(tokens), hidden_size, num_heads))
    env = {**_building_blocks(), "num_layers": 2}
    exec(PSEUDOCODE.replace("  # 解码器\n", "  encoder_output = x\n  # 解码器\n"), env)
    y = env["Transformer"](list(tokens), hidden_size, num_heads)
    steps["encoder_output = x"] = _("runs: y has shape {shape}, each row sums to {total:.6f} over the {width} features").format(
        shape=tuple(y.shape), total=float(y.sum(-1)[0].item()), width=hidden_size)
    return steps


def rows() -> list:
    """A row for each claim of 001 that no other lesson checks."""
    rnn, lstm = nn.RNN(4, 4), nn.LSTM(4, 4)
    x = mg.randn(3, 1, 4)
    rnn_state, lstm_state = rnn(x)[1], lstm(x)[1]
    dec = nn.TransformerDecoderLayer(8, 2)
    attn_parts = sorted(n for n, m in dec.named_children() if isinstance(m, nn.MultiheadAttention))
    pseudo = run_pseudocode()
    return [
        claim("001 abstract", "the article shows the importance of parallel computation through theory, math and a project",
              "揭示了并行计算在提升神经网络性能上的重要性", "wrong", _("its program times nothing (001 §5.3)"),
              _("nothing in the article measures parallel computation; the parallelism lesson does")),
        claim("001 §1.1", "purpose: compare RNN and Transformer parallel performance", "对比分析递归神经网络（RNN）与Transformer架构在并行计算方面的性能优劣",
              "not testable", "—", _("a statement of intent (no comparison of performance follows)")),
        claim("001 §1.2", "readers: intermediate and advanced developers and researchers", "本文适合具有深度学习和神经网络基础的中高级开发者、研究者",
              "not testable", "—", _("an audience")),
        claim("001 §1.3", "the article has ten parts", "本文分为十个部分", "holds", _("sections 1 to 10"), _("the outline matches the sections")),
        claim("001 §1.4.1", "definitions: RNN (feedback loop), parallel computing, deep learning", "递归神经网络（RNN）：一种能够处理序列数据的神经网络，具有反馈循环结构",
              "holds with a condition", "—", _("right, except that deep learning 'simulating how the brain processes "
                "information' is a metaphor, not a definition")),
        claim("001 §1.4.2", "definitions: self-attention, multi-head attention, Seq2Seq", "自注意力; 多头注意力; 序列到序列（Seq2Seq）模型",
              "holds", "—", _("standard definitions")),
        claim("001 §1.4.3", "abbreviations: GPU, CPU, CNN, DNN, RNN", "RNN：递归神经网络（Recurrent Neural Network）", "holds with a condition", "—",
              _("the English expansions are right, but the Chinese name does not match: Recurrent Neural Network is 循环神经网络; "
                "递归神经网络 usually names recursive neural networks (over trees), another model")),
        claim("001 §2.1", "the feedback loop passes the hidden layer's output to the previous layer", "反馈循环：将隐藏层的输出作为输入传递到前一层",
              "wrong", _("nn.RNN weight_hh_l0 {shape}: hidden to the same hidden layer").format(shape=tuple(rnn.weight_hh_l0.shape)),
              _("the hidden state goes back into the same layer at the next time step, not to a previous layer")),
        claim("001 §2.1", "an RNN initialises and updates a hidden state h and a cell state c", "将隐藏状态h_0和细胞状态c_0初始化为0 ... 计算细胞状态",
              "wrong", _("nn.RNN returns state {rnn}; nn.LSTM returns {lstm} of {n} (h, c)").format(
                  rnn=type(rnn_state).__name__, lstm=type(lstm_state).__name__, n=len(lstm_state)),
              _("a cell state belongs to the LSTM; a plain RNN carries only h (see 001 §3.1.2)")),
        claim("001 §2.1", "diagram: Hidden -> Cell -> Output -> Hidden", "Hidden->>Cell: 计算隐藏状态; Cell->>Output: 生成输出; Output->>Hidden: 反馈隐藏状态",
              "wrong", "—", _("the diagram feeds the output back into the hidden state; in an RNN the hidden state is fed back")),
        claim("001 §2.2", "the Transformer was proposed by Vaswani et al. in 2017", "最早由Vaswani等人于2017年提出", "holds", "—",
              _("Attention Is All You Need, NeurIPS 2017")),
        claim("001 §2.2", "the decoder's multi-head attention attends to the encoder's output",
              "解码器：多头注意力：计算编码器输出的注意力得分", "holds with a condition",
              _("attention blocks of nn.TransformerDecoderLayer: {parts}").format(parts=attn_parts),
              _("it has two: masked self-attention over the target, then attention over the encoder's output")),
        claim("001 §3.1.1", "RNN steps: initialise h and c, update both, output at the last step", "初始化隐藏状态h_0和细胞状态c_0 ... 生成最终的预测结果",
              "wrong", _("see 001 §3.1.2"), _("the same model as §3.1.2: a cell state the RNN does not have")),
        claim("001 §3.2.1", "Transformer steps: embedding, encoder (attention, FFN), decoder (attention, FFN, output)",
              "嵌入（Embedding）：将输入序列转换为向量表示; 编码器（Encoder）; 解码器（Decoder）", "holds with a condition", _("see 001 §3.2.3"),
              _("leaves out positional encoding, residual connections, layer norms and the decoder's mask")),
        claim("001 §3.2.2", "score_i = dot(Q_i, K_j)/sqrt(d_k), weight_i = softmax(score_i)",
              r"\text{score}_i = \text{dot}(Q_i, K_j) / \sqrt{d_k}; \text{weight}_i = \text{softmax}(\text{score}_i)", "holds with a condition", _("see 001 §4.2"),
              _("the score depends on i and j (a T x T matrix) and the softmax runs over j for each i; the formulas drop j")),
        claim("001 §3.2.2", "output_i = ReLU(FWNN(context_i))", r"\text{output}_i = \text{ReLU}(\text{FWNN}(\text{context}_i))", "wrong",
              _("nn.TransformerEncoderLayer: linear2(relu(linear1(x))) inside a residual and a layer norm"),
              _("the feed-forward block is Linear, ReLU, Linear; a ReLU after it would zero every negative feature before the "
                "residual sum")),
        claim("001 §3.2.2", "y = softmax(output_T)", r"y = \text{softmax}(\text{output}_T)", "holds with a condition", _("see 001 §3.2.3"),
              _("a distribution over the vocabulary needs a linear projection to the vocabulary before the softmax")),
        claim("001 §3.2.3", "Transformer pseudocode", "def Transformer(input_sequence, hidden_size, num_heads): ...", "wrong",
              "; ".join(f"{k}: {v}" for k, v in pseudo.items()),
              _("num_layers and encoder_output are never defined; once they are, it runs, but the decoder starts from the "
                "encoder's output instead of a target sequence, takes keys from the encoder and values from x, has no "
                "residuals, norms, masks or positions, and the softmax runs over hidden features, not a vocabulary"), kind="code"),
        claim("001 §6.1", "Google Translate uses a Transformer-based model", "如Google翻译使用的基于Transformer的模型", "holds with a condition",
              _("see 000 §1.3 (parallelism: generation)"),
              _("Google reported (2020) a hybrid: a Transformer encoder with an RNN decoder; and a translation is generated one "
                "token after another whatever the decoder, so the 'efficient parallel computation' is the encoder's and "
                "training's, not generation's")),
        claim("001 §6.1", "parallel computation speeds up large-scale text classification", "并行计算能够加速大规模文本数据的处理", "holds", "—",
              _("independent documents are processed in parallel (batches)")),
        claim("001 §6.2", "image classification: CNNs combined with RNNs, e.g. ImageNet", "深度卷积神经网络（CNN）和递归神经网络（RNN）结合，用于图像分类任务，如ImageNet挑战赛",
              "wrong", "—", _("ImageNet classifiers (AlexNet, VGG, ResNet) are CNNs without recurrence; CNN+RNN pairs are used for "
                              "captioning and video")),
        claim("001 §6.2", "parallel computation speeds up training YOLO and SSD", "并行计算可以提高目标检测模型的训练速度，如YOLO、SSD等模型",
              "holds", "—", _("they are trained on GPUs; both are CNNs, not RNNs or Transformers")),
        claim("001 §6.3", "Google speech recognition uses a Transformer", "如Google语音识别模型使用Transformer架构", "not testable", "—",
              _("a product claim without a reference")),
        claim("001 §6.4", "recommender systems use parallel computation", "协同过滤; 基于内容的推荐", "not testable", "—", _("generic")),
        claim("001 §6.5", "medical image analysis and genomics use parallel computation", "医学图像分析; 基因分析", "not testable", "—", _("generic")),
        claim("001 §7.1.1", "Deep Learning by Goodfellow, Bengio and Courville", "《深度学习》（Deep Learning）：Goodfellow, Bengio, Courville著",
              "holds", "—", _("MIT Press, 2016")),
        claim("001 §7.1.1", "Recurrent Neural Networks: Theory and Practice by Sameh Abouelmagd", "《递归神经网络：理论与实践》...Sameh Abouelmagd著",
              "not testable", "—", _("we could not identify this book; no publisher or year is given")),
        claim("001 §7.1.1", "Attention is All You Need listed as a book", "《Transformer：深度学习的自注意力机制》（Attention is All You Need）：Vaswani等著",
              "wrong", "—", _("it is a conference paper (NeurIPS 2017), and its title is not the Chinese title given")),
        claim("001 §7.1.2", "online courses: Deep Learning Specialization (Coursera); two Udacity courses",
              "吴恩达（Andrew Ng）在Coursera上开设的系列课程; Udacity上关于RNN的专项课程", "holds with a condition", "—",
              _("the Coursera specialisation exists; the Udacity course titles are not specific enough to check")),
        claim("001 §7.1.3", "ArXiv, Medium, Fast.ai", "ArXiv; Medium; Fast.ai", "holds", "—", _("they exist and serve as described")),
        claim("001 §7.2.1", "Jupyter Notebook, PyCharm, Visual Studio Code", "Jupyter Notebook; PyCharm; Visual Studio Code", "holds", "—", _("as described")),
        claim("001 §7.2.2", "debugging and profiling: TensorBoard, PyTorch Lightning, NVIDIA Nsight",
              "TensorBoard; PyTorch Lightning; NVIDIA Nsight", "holds with a condition", "—",
              _("TensorBoard and Nsight are; PyTorch Lightning is a training framework, not a debugging or profiling tool")),
        claim("001 §7.2.3", "TensorFlow (Google), PyTorch (Facebook), Keras (on TensorFlow and PyTorch)",
              "TensorFlow：Google开发; PyTorch：Facebook开发; Keras：基于TensorFlow和PyTorch的高级神经网络API", "holds with a condition", "—",
              _("Keras runs on PyTorch only since Keras 3 (2023, also JAX); before that on TensorFlow (and Theano, CNTK)")),
        claim("001 §7.3.1", "Bengio et al. 2013, \"A Theoretical Analysis of Recurrent Neural Networks for Sequence Processing\", "
                            "raised vanishing and exploding gradients and proposed remedies",
              "“A Theoretical Analysis of Recurrent Neural Networks for Sequence Processing”：Bengio等，2013年。本文提出了RNN梯度消失和梯度爆炸问题",
              "wrong", _("see vanishing_gradients"),
              _("we know no paper of this title; the problem was shown by Hochreiter (1991) and Bengio, Simard and Frasconi "
                "(1994, 'Learning long-term dependencies with gradient descent is difficult'); the 2013 paper is Pascanu, "
                "Mikolov and Bengio, 'On the difficulty of training recurrent neural networks' (ICML 2013), which proposes "
                "gradient norm clipping, the remedy the vanishing_gradients lesson measures")),
        claim("001 §7.3.1", "Vaswani et al. 2017, Attention Is All You Need", "“Attention Is All You Need”：Vaswani等，2017年", "holds", "—", _("NeurIPS 2017")),
        claim("001 §7.3.2", "Devlin et al. 2019, BERT; Brown et al. 2020, GPT-3", "BERT...Devlin等，2019年; GPT-3: Language Models are Few-Shot Learners：Brown等，2020年",
              "holds", "—", _("NAACL 2019; NeurIPS 2020 (its title is 'Language Models are Few-Shot Learners', without 'GPT-3:')")),
        claim("001 §7.3.3", "Google Translate and OpenAI GPT-3 as case studies", "Google Translate; OpenAI GPT-3", "not testable", "—",
              _("products, not publications")),
        claim("001 §8", "parallel computation will matter more with better hardware", "随着计算资源的不断提升，并行计算在神经网络优化中的应用前景愈发广阔",
              "not testable", "—", _("a forecast")),
        claim("001 §8.1", "trends: efficiency with GPUs and TPUs, compression, few-shot learning", "计算效率提升; 模型压缩与加速; 少样本学习",
              "not testable", "—", _("forecasts")),
        claim("001 §8.2", "challenges: interpretability, resource allocation", "可解释性; 计算资源分配", "not testable", "—",
              _("fair concerns, not measured here (gradient stability, the third, is in vanishing_gradients)")),
        claim("001 §9.1", "an RNN is a network for sequences with a feedback loop (Q1)", "递归神经网络（RNN）是一种专门用于处理序列数据的神经网络，具有反馈循环结构",
              "holds", "—", _("as nn.RNN computes")),
        claim("001 §9.1", "the answer to Q3 is labelled A2", "**Q3**: 如何解决RNN的梯度消失和梯度爆炸问题？ A2: ...", "wrong", "—",
              _("a numbering slip, also in §9.2")),
        claim("001 §9.2", "the Transformer was proposed by Vaswani et al. in 2017 (Q1)", "最早由Vaswani等人于2017年提出", "holds", "—", _("NeurIPS 2017")),
        claim("001 §9.2", "the Transformer handles long sequences well through self-attention (Q2)", "这使得Transformer在处理长序列数据时具有较好的性能",
              "holds with a condition", _("see 000 §3.3 (parallelism)"), _("every position reaches every other in one step, but "
                "work and memory grow with the square of the length")),
        claim("001 §9.2", "the Transformer simplifies the model structure and suits many tasks (Q3)", "简化模型结构; 适用于多种序列任务",
              "holds with a condition", "—", _("it removes the recurrence but adds attention, positions, residuals and norms; it "
                                                   "does excel in translation and classification")),
        claim("001 §10.1", "Bengio et al. 2013, \"A Theoretical Analysis of Recurrent Neural Networks for Sequence Processing\"",
              "“A Theoretical Analysis of Recurrent Neural Networks for Sequence Processing”：Bengio等，2013年", "wrong", _("see 001 §7.3.1"),
              _("the same citation as §7.3.1: no paper of this title is known; see Pascanu, Mikolov and Bengio (2013)")),
        claim("001 §10.1", "Vaswani et al. 2017", "“Attention Is All You Need”：Vaswani等，2017年", "holds", "—", _("NeurIPS 2017")),
        claim("001 §10.2", "Devlin et al. 2019; Brown et al. 2020", "BERT...Devlin等，2019年; GPT-3...Brown等，2020年", "holds", "—", _("see 001 §7.3.2")),
        claim("001 §10.3", "TensorFlow and PyTorch tutorials", "https://www.tensorflow.org/tutorials; https://pytorch.org/tutorials", "holds", "—",
              _("official tutorial pages")),
        claim("001 §10.4", "Kaggle, GitHub", "https://www.kaggle.com; https://github.com", "holds", "—", _("as described")),
    ]


# %%
def run(ctx) -> dict:
    ctx.section(_("§3.2.3: the Transformer pseudocode, run"))
    for step, outcome in run_pseudocode().items():
        ctx.show(f"{step:20s} {outcome}")
    table = rows()
    ctx.section(_("Every remaining claim of 001"))
    ctx.table(table)
    return {"rows": table}


# %% [markdown]
# ## Exercises
#
# 1. Repair the §3.2.3 decoder: give it a target sequence, masked self-attention, and attention whose keys
#    *and* values come from the encoder. Which shapes change when source and target lengths differ?
# 2. Add residual connections and layer norms to the pseudocode and compare with `nn.Transformer`.

# %%
if __name__ == "__main__":
    from lessons.runner import Context

    run(Context())
