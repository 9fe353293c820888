"""Every printed number, claim and code sample of both source documents has a row in the lessons' report.

``NUMBERS`` and ``CLAIMS`` are an inventory of the documents, section by section, written from reading them:
each entry must match a row of ``python -m lessons --all --json``. Where the documents themselves are
available (``../shared/seeds/``), the inventory is checked against them too: its quotes are the documents'
words, every numbered section has rows, every decimal number of the worked examples and every code block
has a row.
"""
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from lessons import parallelism, transformer_code, vanishing_gradients
from lessons.common import CLAIM_VERDICTS, KINDS, NUMBER_VERDICTS

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
SOURCE = re.compile(r"^(000|001) (abstract|§\d+(\.\d+)*)$")

# (source, quantity, as printed)
NUMBERS = [
    ('001 §4.1', 'a_h1', '3'),
    ('001 §4.1', 'h_1', '3'),
    ('001 §4.1', 'a_h2', '7'),
    ('001 §4.1', 'h_2', '7'),
    ('001 §4.1', 'a_h3', '12'),
    ('001 §4.1', 'h_3', '12'),
    ('001 §4.1', 'a_c1', '10'),
    ('001 §4.1', 'c_1', '0.9511'),
    ('001 §4.1', 'a_c2', '15.9511'),
    ('001 §4.1', 'c_2', '0.9950'),
    ('001 §4.1', 'a_c3', '19.9850'),
    ('001 §4.1', 'c_3', '0.9999'),
    ('001 §4.1', 'a_o1', '24.1533'),
    ('001 §4.1', 'o_1', '24.1533'),
    ('001 §4.1', 'a_o2', '24.9850'),
    ('001 §4.1', 'o_2', '24.9850'),
    ('001 §4.1', 'a_o3', '25.9997'),
    ('001 §4.1', 'o_3', '25.9997'),
    ('001 §4.1', 'y', '[24.1533, 24.9850, 25.9997]'),
    ('001 §4.1', 'W_h', '[[1, 2, 3], [4, 5, 6]]'),
    ('001 §4.1', 'W_c', '[[7, 8, 9], [10, 11, 12]]'),
    ('001 §4.1', 'W_o', '[[13, 14], [15, 16]]'),
    ('001 §4.1', 'W_x', '2 and 8'),
    ('001 §4.1', 'b_o', '3'),
    ('001 §4.1', 'x, h_0, c_0, b_h, b_c', '[1, 2, 3], 0, 0, 1, 2'),
    ('001 §4.2', 'Q_1', '7'),
    ('001 §4.2', 'Q_2', '15'),
    ('001 §4.2', 'Q_3', '23'),
    ('001 §4.2', 'K_1', '22'),
    ('001 §4.2', 'K_2', '38'),
    ('001 §4.2', 'K_3', '54'),
    ('001 §4.2', 'V_1', '40'),
    ('001 §4.2', 'V_2', '62'),
    ('001 §4.2', 'V_3', '84'),
    ('001 §4.2', 'score_1', '12.3750'),
    ('001 §4.2', 'score_2', '24.5000'),
    ('001 §4.2', 'score_3', '36.6250'),
    ('001 §4.2', 'weight_1', '0.2344'),
    ('001 §4.2', 'weight_2', '0.4600'),
    ('001 §4.2', 'weight_3', '0.3056'),
    ('001 §4.2', 'context_1', '48.1840'),
    ('001 §4.2', 'context_2', '63.5680'),
    ('001 §4.2', 'context_3', '78.9520'),
    ('001 §4.2', 'output_1', '1204.6'),
    ('001 §4.2', 'output_2', '1584.2'),
    ('001 §4.2', 'output_3', '1973.8'),
    ('001 §4.2', 'y', '[1204.6, 1584.2, 1973.8]'),
    ('001 §4.2', 'W_Q', '[[1, 2, 3, 4], [5, 6, 7, 8]]'),
    ('001 §4.2', 'W_K', '[[9, 10, 11, 12], [13, 14, 15, 16]]'),
    ('001 §4.2', 'W_V', '[[17, 18, 19, 20], [21, 22, 23, 24]]'),
    ('001 §4.2', 'd_k', '4 (divides by sqrt(4))'),
    ('001 §4.2', 'W_F', '25 (W_F = [[25, 26], [27, 28]])'),
    ('001 §4.2', 'b_A, b_F', '0, 0'),
    ('001 §5.2', 'input_size', '10'),
    ('001 §5.2', 'hidden_size', '20'),
    ('001 §5.2', 'output_size', '5'),
    ('001 §5.2', 'num_heads', '2'),
    ('001 §5.2', 'lr', '0.001'),
    ('001 §5.2', 'epochs', '100'),
    ('001 §5.2', 'x, y', 'torch.randint(0, input_size, (100, 20)); torch.randint(0, output_size, (100,))'),
    ('000 §5.4', 'd_model, n_heads, d_ff, num_layers', '512, 8, 2048, 6'),
    ('000 §5.4', 'src, tgt', '[[1, 2, 3, 4], [2, 3, 4, 5]], [[5, 4, 3, 2], [4, 3, 2, 1]]'),
]

# (source, kind, words of the document, whitespace removed, that the row's "document" quotes)
CLAIMS = [
    ('001 §3.1.2', 'claim', 'c_t=\\text{tanh}(W_cc_{t-'),
    ('001 §3.1.3', 'code', 'defRNN(input_sequence):'),
    ('001 §3.2.2', 'claim', '\\text{context}_i=\\sum_{j'),
    ('001 §5.1', 'code', 'pipinstallpython'),
    ('001 §5.1', 'code', 'pipinstalltorchtorchvision'),
    ('001 §5.1', 'claim', 'PyTorch1.8或更高版本'),
    ('001 §5.1', 'claim', 'GPU（推荐NVIDIAGPU）'),
    ('001 §5.1', 'code', 'print(torch.__version__)'),
    ('001 §5.2', 'claim', 'self.rnn=nn.RNN(input_si'),
    ('001 §5.2', 'claim', 'nn.TransformerEncoder(nn'),
    ('001 §5.2', 'claim', 'nn.TransformerEncoderLay'),
    ('001 §5.3', 'claim', 'Transformer模型'),
    ('001 §5.2', 'code', 'out,_=self.rnn(x,h0)'),
    ('001 §5.2', 'code', 'out=self.fc(out[-1,:,:])'),
    ('001 §5.2', 'code', 'transformer_loss=nn.Cros'),
    ('001 §5.3', 'claim', '生成一个大小为100，长度为20的随机输入序列'),
    ('001 §5.3', 'claim', '一个嵌入层、一个Transformer编码器和一'),
    ('001 §5.3', 'claim', '使用交叉熵损失函数计算损失，并使用反向传播计算梯'),
    ('001 §5.3', 'claim', '在测试阶段，分别计算RNN模型和Transformer模型的准确率'),
    ('001 §5.3', 'claim', '通过上述代码，我们可以看到并行计算在神经网络训练中的应用'),
    ('001 §5.3', 'claim', 'RNN模型和Transformer模型在不同的训练阶段都能够通过并行计算加速训练过程'),
    ('000 §4.1', 'claim', '\\text{Transformer}(\\math'),
    ('000 §4.2', 'claim', '\\text{Attention}(\\mathbf'),
    ('000 §4.3', 'code', 'classTransformerEncoderL'),
    ('000 §4.3', 'claim', '包含了自注意力机制、前馈神经网络和归一化层'),
    ('000 §5.1', 'claim', 'PyTorch1.8.x'),
    ('000 §5.2', 'code', 'classTransformerModel(nn'),
    ('000 §5.2', 'code', 'tgt_emb=layer(tgt_emb,src_emb)'),
    ('000 §5.2', 'claim', 'output=self.fc_out(tgt_emb[-1])'),
    ('000 §5.3', 'claim', '编码器和解码器都使用了TransformerEncoderLayer'),
    ('000 §5.4', 'code', 'output=model(src,tgt)'),
    ('000 §5.4', 'claim', '这个示例展示了如何使用Transformer模型进行序列到序列的翻译'),
    ('000 §1.2', 'claim', 'RNN单元的梯度可能因为链式法则而迅速消失或爆炸'),
    ('001 §9.1', 'claim', 'RNN常见问题包括梯度消失和梯度爆炸'),
    ('001 §9.1', 'claim', '使用更高阶的优化算法，如Adam'),
    ('001 §9.1', 'claim', '引入门控机制，如长短期记忆网络（LSTM）和门控循环单元（GRU）'),
    ('001 §9.1', 'claim', '使用恰当的初始化方法，如梯度裁剪'),
    ('001 §8.2', 'claim', 'RNN和Transformer模型可能面临梯度消失和梯度爆炸等问题'),
    ('000 §1.2', 'claim', 'RNN单元的计算顺序必须遵循序列的顺序，限制了并行计算的可能性'),
    ('000 §1.2', 'claim', 'RNN在并行计算方面存在以下局限性'),
    ('000 §3.2', 'claim', '前馈神经网络'),
    ('000 §1.3', 'claim', 'Transformer利用自注意力机制'),
    ('000 §3.1', 'claim', '这种机制使得模型能够并行处理序列数据，从而提高了计算效率'),
    ('000 §3.3', 'claim', '并行计算：自注意力机制允许并行计算，从而提高了模型的计算效率'),
    ('000 §3.3', 'claim', '自注意力机制的计算复杂度为O(n^2)，在处理长序列时可能成为瓶颈'),
    ('000 §8.1', 'claim', 'Transformer在并行计算方面的优势使其在处理大规模序列数据时更加高效'),
    ('000 §9', 'claim', 'Transformer使用自注意力机制并行处理序列数据，摆脱了顺序依赖性'),
    ('001 §1.4.1', 'claim', '：一种基于自注意力机制的序列模型，适用于处理长序'),
    ('001 §2.2', 'claim', 'Transformer在处理长序列数据时具有更好的并行计算性能'),
    ('001 §9.2', 'claim', '并行计算性能优越：Transformer可以并行处理序列数据，提高计算效率'),
    ('000 abstract', 'claim', '和Transformer是当前深度学习领域中最流'),
    ('000 abstract', 'claim', 'RNN在并行计算方面的局限性导致了其性能和效率上的瓶颈'),
    ('000 §1.1', 'claim', '语言模型、机器翻译、语音识别、图像序列分析等任务都需要使用序列模型'),
    ('000 §1.2', 'claim', '传统的递归神经网络（RNN）通过循环神经网络单元（RNNUnit）来处理序列数据'),
    ('000 §2.1', 'claim', '每个单元包含一个输入门、一个遗忘门和一个输出门'),
    ('000 §2.1', 'claim', 'RNNUnit的输入包括当前时间步的输入序列值和上一个时间步的隐藏状态'),
    ('000 §2.2', 'claim', '编码器和解码器都使用多头自注意力机制（Multi'),
    ('000 §2.3', 'claim', '允许模型关注序列中与当前元素关系最紧密的元素'),
    ('000 §3.2', 'claim', '：将自注意力机制扩展到多个子空间'),
    ('000 §3.2', 'claim', '：对自注意力机制的结果进行非线性变换，得到最终的'),
    ('000 §3.3', 'claim', 'Transformer架构可以通过增加层数和注意力头数来提高性能'),
    ('000 §3.3', 'claim', 'Transformer架构的参数量通常比RNN架构更大'),
    ('000 §3.4', 'claim', '计算机视觉：图像分类、目标检测、视频分析'),
    ('000 §6.1', 'claim', '语言模型：BERT、GPT-3等'),
    ('000 §6.2', 'claim', '图像分类：ResNet、EfficientNet等'),
    ('000 §6.2', 'claim', '目标检测：YOLO、FasterR-CNN等'),
    ('000 §6.2', 'claim', '视频分析：动作识别、视频分类等'),
    ('000 §7.1', 'claim', '《AttentionisAllYouNeed》：Transformer架构的原论文'),
    ('000 §7.1', 'claim', '《DeepLearningwithPyTorch'),
    ('000 §7.2', 'claim', 'HuggingFaceTransformers'),
    ('000 §7.3', 'claim', 'Vaswanietal.,"Attentioni'),
    ('000 §7.3', 'claim', 'Vaswanietal.,"Transforme'),
    ('000 §8.1', 'claim', 'RNN和Transformer是两种重要的序列模'),
    ('000 §8.2', 'claim', '可解释的Transformer'),
    ('000 §8.3', 'claim', '数据隐私和安全'),
    ('000 §8.4', 'claim', 'Transformer架构将在序列建模领域发挥越来越重要的作用'),
    ('000 §9', 'claim', 'Transformer架构的主要优势包括并行计算、扩展性好、性能优越等'),
    ('000 §9', 'claim', 'Transformer架构在自然语言处理、计算机视觉、时间序列分析等领域得到了广泛应用'),
    ('000 §9', 'claim', '需要根据具体任务和数据特点进行综合考虑，包括模型大小、层数、注意力头数等'),
    ('000 §9', 'claim', '可以通过可视化注意力权重、解释模型决策过程等方法实现'),
    ('001 abstract', 'claim', '揭示了并行计算在提升神经网络性能上的重要性'),
    ('001 §1.1', 'claim', '对比分析递归神经网络（RNN）与Transformer架构在并行计算方面的性能优劣'),
    ('001 §1.2', 'claim', '本文适合具有深度学习和神经网络基础的中高级开发者、研究者'),
    ('001 §1.3', 'claim', '本文分为十个部分'),
    ('001 §1.4.1', 'claim', '：一种能够处理序列数据的神经网络，具有反馈循环结'),
    ('001 §1.4.2', 'claim', '序列到序列（Seq2Seq）模型'),
    ('001 §1.4.3', 'claim', '：递归神经网络（RecurrentNeuralN'),
    ('001 §2.1', 'claim', '：将隐藏层的输出作为输入传递到前一层'),
    ('001 §2.1', 'claim', '计算细胞状态'),
    ('001 §2.1', 'claim', 'Output->>Hidden:反馈隐藏状态'),
    ('001 §2.2', 'claim', '最早由Vaswani等人于2017年提出'),
    ('001 §2.2', 'claim', '：计算编码器输出的注意力得分'),
    ('001 §3.1.1', 'claim', '生成最终的预测结果'),
    ('001 §3.2.1', 'claim', '嵌入（Embedding）'),
    ('001 §3.2.2', 'claim', '\\text{score}_i=\\text{dot'),
    ('001 §3.2.2', 'claim', '\\text{output}_i=\\text{Re'),
    ('001 §3.2.2', 'claim', 'y=\\text{softmax}(\\text{output}_T)'),
    ('001 §3.2.3', 'code', 'defTransformer(input_seq'),
    ('001 §6.1', 'claim', '如Google翻译使用的基于Transformer的模型'),
    ('001 §6.1', 'claim', '并行计算能够加速大规模文本数据的处理'),
    ('001 §6.2', 'claim', '深度卷积神经网络（CNN）和递归神经网络（RNN'),
    ('001 §6.2', 'claim', '并行计算可以提高目标检测模型的训练速度，如YOLO、SSD等模型'),
    ('001 §6.3', 'claim', '如Google语音识别模型使用Transformer架构'),
    ('001 §6.4', 'claim', '基于内容的推荐'),
    ('001 §6.5', 'claim', '医学图像分析'),
    ('001 §7.1.1', 'claim', '：Goodfellow,Bengio,Courv'),
    ('001 §7.1.1', 'claim', 'SamehAbouelmagd著'),
    ('001 §7.1.1', 'claim', '《Transformer：深度学习的自注意力机制'),
    ('001 §7.1.2', 'claim', '吴恩达（AndrewNg）在Coursera上开'),
    ('001 §7.1.3', 'claim', 'Fast.ai'),
    ('001 §7.2.1', 'claim', 'VisualStudioCode'),
    ('001 §7.2.2', 'claim', 'PyTorchLightning'),
    ('001 §7.2.3', 'claim', '：基于TensorFlow和PyTorch的高级'),
    ('001 §7.3.1', 'claim', '“ATheoreticalAnalysisofR'),
    ('001 §7.3.1', 'claim', '“AttentionIsAllYouNeed”'),
    ('001 §7.3.2', 'claim', 'GPT-3:LanguageModelsareF'),
    ('001 §7.3.3', 'claim', 'GoogleTranslate'),
    ('001 §8', 'claim', '随着计算资源的不断提升，并行计算在神经网络优化中的应用前景愈发广阔'),
    ('001 §8.1', 'claim', '模型压缩与加速'),
    ('001 §8.2', 'claim', '计算资源分配'),
    ('001 §9.1', 'claim', '递归神经网络（RNN）是一种专门用于处理序列数据的神经网络，具有反馈循环结构'),
    ('001 §9.1', 'claim', '**Q3**:如何解决RNN的梯度消失和梯度爆炸'),
    ('001 §9.2', 'claim', '最早由Vaswani等人于2017年提出'),
    ('001 §9.2', 'claim', '这使得Transformer在处理长序列数据时具有较好的性能'),
    ('001 §9.2', 'claim', '适用于多种序列任务'),
    ('001 §10.1', 'claim', '“ATheoreticalAnalysisofR'),
    ('001 §10.1', 'claim', '“AttentionIsAllYouNeed”'),
    ('001 §10.2', 'claim', 'Devlin等，2019年'),
    ('001 §10.3', 'claim', 'https://www.tensorflow.o'),
    ('001 §10.4', 'claim', 'https://www.kaggle.com'),
]


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def rows():
    proc = subprocess.run([sys.executable, "-m", "lessons", "--all", "--quick", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return report, [r for lesson in report.values() for r in lesson["checks"]]


def _seed(doc: str) -> str:
    found = sorted(SEEDS.glob(f"{doc}_*.txt"))
    if not found:
        pytest.skip(f"the source document {doc} is not in {SEEDS}")
    return found[0].read_text(encoding="utf-8")


def test_every_row_has_a_source_a_kind_and_a_verdict_of_its_kind(rows):
    _, all_rows = rows
    assert len(all_rows) >= len(NUMBERS) + len(CLAIMS)
    for r in all_rows:
        assert SOURCE.match(r["source"]), r
        assert r["kind"] in KINDS, r
        assert r["verdict"] in (NUMBER_VERDICTS if r["kind"] == "number" else CLAIM_VERDICTS), r
        assert r["reason"] or r["verdict"] == "agrees", r


@pytest.mark.parametrize("source, quantity, printed", NUMBERS)
def test_every_printed_number_has_a_row(rows, source, quantity, printed):
    _, all_rows = rows
    match = [r for r in all_rows if r["source"] == source and r["quantity"] == quantity and r["kind"] == "number"]
    assert match, f"no row for {quantity} ({source})"
    assert match[0]["document"] == printed


@pytest.mark.parametrize("source, kind, quote", CLAIMS)
def test_every_claim_and_code_sample_has_a_row(rows, source, kind, quote):
    _, all_rows = rows
    assert any(r["source"] == source and r["kind"] == kind and quote in _norm(r["document"]) for r in all_rows), \
        f"no {kind} row quoting {quote!r} in {source}"


def test_the_inventory_quotes_the_documents():
    text = {doc: _norm(_seed(doc)) for doc in ("000", "001")}
    for source, kind, quote in CLAIMS:
        assert quote in text[source[:3]], (source, quote)
    for source, quantity, printed in NUMBERS:
        for number in re.findall(r"\d+(?:\.\d+)?", printed):
            assert number in text[source[:3]], (source, quantity, number)


def _sections(text: str) -> dict:
    """Numbered section -> its text, for the headings of a document (``## 3.`` or ``#### 3.1.2``)."""
    out, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", line)
        if m:
            current = m.group(1)
            out[current] = ""
        elif current:
            out[current] += line + "\n"
    return out


@pytest.mark.parametrize("doc", ["000", "001"])
def test_every_section_of_the_documents_has_rows(rows, doc):
    _, all_rows = rows
    covered = {r["source"] for r in all_rows if r["source"].startswith(doc)}
    sections = _sections(_seed(doc))
    for number, body in sections.items():
        if any(s.startswith(number + ".") for s in sections) and not body.strip():
            continue  # only a heading over its subsections
        if any(s.startswith(number + ".") for s in sections) and f"{doc} §{number}" not in covered:
            assert any(c.startswith(f"{doc} §{number}.") for c in covered), number
            continue
        assert f"{doc} §{number}" in covered, f"{doc} §{number} has no row"


def test_every_decimal_number_of_the_worked_examples_has_a_row(rows):
    _, all_rows = rows
    sections = _sections(_seed("001"))
    for number in ("4.1", "4.2"):
        printed = {r["document"] for r in all_rows if r["source"] == f"001 §{number}"}
        for value in set(re.findall(r"\d+\.\d+", sections[number])):
            assert any(value in p for p in printed), f"001 §{number} prints {value}, which no row checks"


@pytest.mark.parametrize("doc", ["000", "001"])
def test_every_code_block_has_a_code_row(rows, doc):
    _, all_rows = rows
    for number, body in _sections(_seed(doc)).items():
        blocks = len(re.findall(r"^```(?:python|shell)", body, flags=re.M))
        code_rows = [r for r in all_rows if r["source"] == f"{doc} §{number}" and r["kind"] == "code"]
        assert len(code_rows) >= blocks, f"{doc} §{number} has {blocks} code blocks and {len(code_rows)} code rows"


def test_parameter_counts_are_computed_from_the_models_as_pytorch_counts_them(rows):
    torch = pytest.importorskip("torch")
    from lessons import training_programs

    _, all_rows = rows
    env = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's advice on nested tensors is beside the point
        exec(training_programs.PRINTED_MODELS.format(lib="torch"), env)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    layer = env["transformer_model"].encoder.layers[0]
    expected = {"parameters of RNNModel(10, 20, 5)": count(env["rnn_model"]),
                "parameters of TransformerModel(10, 20, 5, 2)": count(env["transformer_model"]),
                "parameters in the Transformer's feed-forward block": count(layer.linear1) + count(layer.linear2)}
    got = {r["quantity"]: r["recomputed"] for r in all_rows if r["quantity"] in expected}
    assert got == expected
    table = {r["quantity"]: r for r in all_rows if r["source"] == "000 §3.3"}
    measured = table["the Transformer usually has more parameters than an RNN"]["recomputed"]
    for n in (count(torch.nn.RNN(512, 512)), count(torch.nn.LSTM(512, 512)), count(torch.nn.TransformerEncoderLayer(512, 8))):
        assert f"{n:,}" in measured


def test_parallelism_records_measure_the_critical_path(rows):
    report, _ = rows
    records = report["parallelism"]["records"]
    by = {}
    for r in records:
        assert {"experiment", "model", "critical_path_ops", "seconds", "seconds_min", "seconds_max", "repeats", "load_average",
                "cpus", "device", "threads"} <= set(r), r
        assert r["seconds_min"] <= r["seconds"] <= r["seconds_max"] and r["repeats"] >= 3 and r["critical_path_ops"] > 0
        by.setdefault((r["experiment"], r["model"], r["threads"]), []).append(r)
    lengths = {k: v for k, v in by.items() if k[0] == "length"}
    assert {k[2] for k in lengths} == {1, parallelism.all_cores()}  # one thread and all cores, both reported
    for (_e, name, _th), rs in lengths.items():
        paths = [r["critical_path_ops"] for r in sorted(rs, key=lambda r: r["T"])]
        if name in ("tanh RNN", "LSTM"):
            assert len(paths) >= 3 and all(b > a for a, b in zip(paths, paths[1:])), (name, paths)
        elif name.startswith("attention") or name.startswith("multi-head") or name == "encoder layer":
            assert len(set(paths)) == 1, (name, paths)
    hand = by[("length", parallelism.BY_HAND, 1)][0]["critical_path_ops"]
    fused = by[("length", parallelism.ATT, 1)][0]["critical_path_ops"]
    assert hand >= fused + 8  # QK^T, scale, mask, max, subtract, exp, sum, divide, PV: one op each, not one fused op
    for name in ("Transformer decoder, KV cache", "tanh RNN"):
        rs = sorted((r for r in records if r["experiment"] == "decoding" and r["model"] == name), key=lambda r: r["N"])
        assert [r["sequential_steps"] for r in rs] == [r["N"] for r in rs]
        assert all(b["critical_path_ops"] > a["critical_path_ops"] for a, b in zip(rs, rs[1:])), name
        assert len({r["known_sequence_critical_path_ops"] for r in rs if "known_sequence_critical_path_ops" in r}) <= 1
    batch = [r for r in records if r["experiment"] == "batch"]
    for name in {r["model"] for r in batch}:
        assert len({r["critical_path_ops"] for r in batch if r["model"] == name}) == 1, name  # flat in the batch size


def test_parallelism_verdicts_survive_a_rerun():
    """Two runs on the same (loaded) machine: the same verdict for every row; time comparisons that cannot be
    decided say so."""
    verdicts = []
    for _run in range(2):
        proc = subprocess.run([sys.executable, "-m", "lessons", "parallelism", "--json", "--quick"], cwd=ROOT,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
        checks = json.loads(proc.stdout)["parallelism"]["checks"]
        verdicts.append([(r["source"], r["quantity"], r["verdict"]) for r in checks])
        for r in checks:
            if r["verdict"] == "not decided":
                assert "not decided" in r["recomputed"], r
    assert verdicts[0] == verdicts[1]


def test_timing_verdict_decides_only_beyond_the_noise():
    steady = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0]
    assert parallelism.timing_verdict([3 * t for t in steady], steady, 0.5, 2)[0] == "slower"
    assert parallelism.timing_verdict([t / 3 for t in steady], steady, 0.5, 2)[0] == "faster"
    assert parallelism.timing_verdict([t * 1.1 for t in steady], steady, 0.5, 2)[0] == "not decided"  # under MIN_EFFECT
    assert parallelism.timing_verdict([3 * t for t in steady][:3], steady[:3], 0.5, 2)[0] == "not decided"  # too few repeats
    noisy = [1.0, 8.0, 1.1, 0.9, 1.0, 1.0, 9.0]
    decision, median, why = parallelism.timing_verdict([3 * t for t in steady], noisy, 0.5, 2)
    assert decision == "not decided" and "spread" in why  # one repeat disturbed by a factor 8 > the effect 3
    decision, _m, why = parallelism.timing_verdict([3 * t for t in steady], steady, 8.0, 2)
    assert decision == "not decided" and "load" in why  # 4 runnable programs per CPU > the effect 3
    assert parallelism.timing_verdict([5 * t for t in steady], steady, 8.0, 2)[0] == "slower"


def test_parallelism_crossing_follows_the_ratios():
    pts = lambda rs: [(T, "slower" if r > 2 else "not decided", r, "") for T, r in zip((16, 64, 256, 1024), rs)]  # noqa: E731
    c = parallelism.crossing(pts((0.5, 0.8, 3.0, 9.0)))
    assert 64 < c["crossing_T"] < 256 and c["slower_from_T"] == 256
    assert parallelism.crossing(pts((0.5, 0.6, 0.7, 0.8))) == {"crossing_T": None, "slower_from_T": None}
    assert parallelism.crossing(pts((1.5, 3.0, 3.0, 9.0)))["crossing_T"] == 16


def test_attention_by_hand_is_attention_and_the_cached_decoder_is_the_causal_layer():
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((2, 5, 8)), dtype=mg.float64)
    fused = mg.nn.functional.scaled_dot_product_attention(x, x, x, is_causal=True)
    assert np.allclose(parallelism.attention_by_hand(x, x, x).cpu().numpy(), fused.cpu().numpy(), atol=1e-12)
    mg.manual_seed(0)
    dec = parallelism.CachedDecoder(8).double()
    whole = dec(x).detach().cpu().numpy()  # every position at once (training on a known sequence)
    cache, steps = None, []
    for t in range(5):  # one position at a time, attending to the cache
        y, cache = dec.step(x[:, t:t + 1], cache)
        steps.append(y.detach().cpu().numpy()[:, 0])
    assert np.allclose(np.stack(steps, 1), whole, atol=1e-12) and cache[0].shape == (2, 5, 8)


def test_mha_projections_and_scores_are_split_by_the_counts():
    split = parallelism.projection_split(32)
    d = parallelism.D
    assert split["projections"] == 8 * parallelism.B * 32 * d * d + 4 * parallelism.B * 32 * d  # 4 products and biases
    assert split["rest"] > 4 * parallelism.B * 32 * 32 * d  # QK^T and PV, plus the softmax
    assert 0.7 * 2 * d < split["equal_at"] < 2 * d


_VERSION = re.compile(r"(Python|PyTorch|NumPy|Keras|TensorFlow|CUDA) $")
_QUOTED = re.compile(r"(?<![\w.§])-?\d+\.\d+(?:e[-+]?\d+)?")
# what a number row's reason says a number is, and the column of the row that holds it
_PHRASES = ((re.compile(r"the document's formula on its own earlier numbers gives (-?[\d.e+-]+)"), "from_document_steps"),
            (re.compile(r"the consistent value is (-?[\d.e+-]+)"), "recomputed"),
            (re.compile(r"the consistent computation gives (-?[\d.e+-]+)"), "recomputed"),
            (re.compile(r"^(-?[\d.e+-]+) rounds to"), "recomputed"))


def _agrees(quoted: str, value) -> bool:
    digits = len(quoted.split("e")[0].split(".")[1]) if "." in quoted else 0
    exp = int(quoted.split("e")[1]) if "e" in quoted else 0
    return abs(float(quoted) - float(value)) <= 0.5 * 10.0 ** (exp - digits) + 1e-12 * abs(float(value))


def test_every_number_a_reason_quotes_agrees_with_its_row(rows):
    """A reason that names the number of a column quotes that column's number; a claim's reason quotes only
    measured numbers (two decimals or more) that its row shows."""
    _, all_rows = rows
    checked = 0
    for r in all_rows:
        if r["kind"] == "number":
            for phrase, column in _PHRASES:
                for quoted in phrase.findall(r["reason"]):
                    quoted = quoted.rstrip(".,;")
                    if isinstance(r[column], (int, float)):
                        assert _agrees(quoted, r[column]), (r["source"], r["quantity"], quoted, column, r[column], r["reason"])
                        checked += 1
        else:
            for m in _QUOTED.finditer(r["reason"]):
                quoted, before = m.group(0), r["reason"][max(0, m.start() - 12):m.start()]
                if len(quoted.split("e")[0].split(".")[1]) < 2 or _VERSION.search(before):
                    continue  # a section number (§3.1) or a version (NumPy 1.19) is not a measurement
                assert quoted in str(r["recomputed"]) + str(r["document"]), (r["source"], r["quantity"], quoted, r["recomputed"])
                checked += 1
    assert checked >= 10


def test_a_reason_that_contradicts_its_row_is_caught():
    """The check above, attacked with the defects it was written for."""
    row = {"reason": "arithmetic slip: the document's formula on its own earlier numbers gives 65.3968 (the column)",
           "from_document_steps": 63.5664}
    assert not _agrees(_PHRASES[0][0].search(row["reason"]).group(1), row["from_document_steps"])
    assert _agrees("63.5664", 63.56640001) and not _agrees("0.50", 0.621)
    assert "0.500" not in "factor per step: LSTM 0.621, GRU 0.620"


def test_the_encoder_layer_runs_attention_before_the_feed_forward_block():
    from lessons import claims_000

    layer = mg.nn.TransformerEncoderLayer(16, 2)
    assert claims_000._run_order(layer, 16) == ["self_attn", "linear1", "linear2"]
    assert "forward" not in layer.self_attn.__dict__  # the wrapper that noted the order is gone
    assert claims_000._run_order(layer, 16) == ["self_attn", "linear1", "linear2"]


def test_vanishing_gradients_are_seeded_and_gates_compared_honestly():
    a, b = vanishing_gradients.step_gradient_norms(T=20), vanishing_gradients.step_gradient_norms(T=20)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    ratio = {k: v[0] / v[-1] for k, v in a.items()}
    assert ratio["LSTM, forget bias 3"] > 100 * ratio["LSTM, default init"]
    assert ratio["GRU, update bias 3"] > 100 * ratio["GRU, default init"]


def test_clipping_matters_in_the_clipping_demo():
    device = mg.get_default_device()
    mg.set_default_device("cpu")  # the seeded draw the lesson shows: a device's generator draws other weights
    try:
        plain = vanishing_gradients.clipping_run(steps=10)
        clipped = vanishing_gradients.clipping_run(steps=10, clip=1.0)
        assert plain == vanishing_gradients.clipping_run(steps=10)  # seeded: the same numbers at every run
    finally:
        mg.set_default_device(device)
    assert max(plain["losses"]) > 100 * max(clipped["losses"])
    assert clipped["losses"][-1] < plain["losses"][0]


def test_encoder_layer_of_000_fails_then_is_repaired_in_place():
    repaired = transformer_code.repaired_layer(d_model=16, heads=2, d_ff=32)
    assert repaired["as_printed"].startswith("ShapeError") and "(4, 2, 32)" in repaired["as_printed"]
    assert repaired["shape"] == (4, 2, 16) and repaired["difference"] < 1e-5
    formula = transformer_code.formula_4_1()
    assert formula["formula"] > 0.1 and formula["with_residuals"] < 1e-5


def test_errata_lists_rows_by_document_and_section_in_numeric_order():
    from lessons.common import Row
    from lessons.runner import errata_page

    rows = [Row(q, "1", None, 2.0, "wrong", "why", s) for q, s in (("a", "001 §10.1"), ("b", "001 §4.2"), ("c", "000 §3.3"), ("d", "001 §4.1"))]
    page = errata_page({"some_lesson": (None, rows)})
    heads = [line for line in page.splitlines() if line.startswith("#")]
    assert heads[1:] == ["## 000", "### 000 §3.3", "## 001", "### 001 §4.1", "### 001 §4.2", "### 001 §10.1"]
    assert "[some_lesson](some_lesson.md)" in page and "3 rows: 3 wrong" in page
