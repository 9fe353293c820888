"""The op table shared by the op tests: each case runs the same lambda on minigrad and on PyTorch.

``fn(m, *xs)`` receives the library module (``minigrad`` or ``torch``) and its tensors, so
one line states the op for both; ``ref(*arrays)`` is an independent NumPy computation of
the forward value.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Case:
    name: str
    fn: Callable
    ref: Callable
    shapes: list
    kind: list = field(default_factory=list)  # per input: "any", "pos", "away0"; "pos-const" needs no gradient
    finite_differences: bool = True  # False where the op's gradient is defined to differ (padding_idx)

    def requires_grad(self):
        return [not k.endswith("-const") for k in (self.kind or ["any"] * len(self.shapes))]

    def arrays(self, rng):
        kinds = self.kind or ["any"] * len(self.shapes)
        out = []
        for shape, k in zip(self.shapes, kinds):
            a = rng.standard_normal(shape)
            if k.startswith("pos"):
                a = np.abs(a) + 0.5
            elif k == "away0":
                a = np.sign(a) * (np.abs(a) + 0.3)
            out.append(a)
        return out


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x, axis, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    r = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return r if keepdims else np.squeeze(r, axis=axis)


IDX = [[0, 2], [1, 0], [2, 2]]
SCATTER_IDX = [[2, 0], [1, 3], [0, 2]]  # distinct places in each row: the gradient is the derivative


def _scatter(a, s, add):
    """``a`` with ``s[i, j]`` written (or added) at column ``SCATTER_IDX[i][j]``, element by element."""
    out = a.copy()
    for i, row in enumerate(SCATTER_IDX):
        for j, col in enumerate(row):
            out[i, col] = out[i, col] + s[i, j] if add else s[i, j]
    return out

CASES = [
    # elementwise binary, with broadcasting
    Case("add", lambda m, a, b: m.add(a, b), np.add, [(3, 4), (4,)]),
    Case("add_broadcast_both", lambda m, a, b: a + b, np.add, [(2, 1, 3), (4, 1)]),
    Case("add_scalar", lambda m, a: 2.5 + a, lambda a: 2.5 + a, [(3,)]),
    Case("sub", lambda m, a, b: a - b, np.subtract, [(2, 3), (2, 1)]),
    Case("rsub_scalar", lambda m, a: 1 - a, lambda a: 1 - a, [(3,)]),
    Case("mul", lambda m, a, b: a * b, np.multiply, [(2, 3), (3,)]),
    Case("div", lambda m, a, b: a / b, np.divide, [(2, 3), (2, 3)], ["any", "away0"]),
    Case("rdiv_scalar", lambda m, a: 3 / a, lambda a: 3 / a, [(4,)], ["away0"]),
    Case("pow_scalar", lambda m, a: a**3, lambda a: a**3, [(2, 3)]),
    Case("pow_frac", lambda m, a: a**0.5, np.sqrt, [(5,)], ["pos"]),
    Case("pow_tensor", lambda m, a, b: a**b, np.power, [(2, 3), (3,)], ["pos", "any"]),
    Case("rpow", lambda m, a: 2**a, lambda a: 2.0**a, [(4,)]),
    Case("maximum", lambda m, a, b: m.maximum(a, b), np.maximum, [(3, 4), (4,)]),
    Case("minimum", lambda m, a, b: m.minimum(a, b), np.minimum, [(3, 4), (3, 1)]),
    # unary
    Case("neg", lambda m, a: -a, np.negative, [(2, 3)]),
    Case("exp", lambda m, a: m.exp(a), np.exp, [(2, 3)]),
    Case("log", lambda m, a: m.log(a), np.log, [(2, 3)], ["pos"]),
    Case("log1p", lambda m, a: m.log1p(a), np.log1p, [(2, 3)], ["pos"]),
    Case("sin", lambda m, a: m.sin(a), np.sin, [(2, 3)]),
    Case("cos", lambda m, a: a.cos(), np.cos, [(2, 3)]),
    Case("sinh", lambda m, a: m.sinh(a), np.sinh, [(2, 3)]),
    Case("cosh_method", lambda m, a: a.cosh(), np.cosh, [(2, 3)]),
    Case("sqrt", lambda m, a: a.sqrt(), np.sqrt, [(2, 3)], ["pos"]),
    Case("abs", lambda m, a: a.abs(), np.abs, [(2, 3)], ["away0"]),
    Case("tanh", lambda m, a: m.tanh(a), np.tanh, [(2, 3)]),
    Case("sigmoid", lambda m, a: m.sigmoid(a), lambda a: 1 / (1 + np.exp(-a)), [(2, 3)]),
    Case("relu", lambda m, a: m.relu(a), lambda a: np.maximum(a, 0), [(2, 3)], ["away0"]),
    Case("clamp", lambda m, a: m.clamp(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), [(3, 4)]),
    Case("clamp_min", lambda m, a: a.clamp(min=0.1), lambda a: np.maximum(a, 0.1), [(3, 4)]),
    # reductions
    Case("sum_all", lambda m, a: a.sum(), np.sum, [(2, 3, 4)]),
    Case("sum_dim", lambda m, a: a.sum(1), lambda a: a.sum(1), [(2, 3, 4)]),
    Case("sum_dims_keep", lambda m, a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True), [(2, 3, 4)]),
    Case("sum_neg_dim", lambda m, a: m.sum(a, dim=-1), lambda a: a.sum(-1), [(2, 3)]),
    Case("mean_all", lambda m, a: a.mean(), np.mean, [(3, 4)]),
    Case("mean_dim", lambda m, a: a.mean(dim=0, keepdim=True), lambda a: a.mean(0, keepdims=True), [(3, 4)]),
    Case("var", lambda m, a: a.var(), lambda a: a.var(ddof=1), [(3, 4)]),
    Case("var_dim_biased", lambda m, a: a.var(1, unbiased=False), lambda a: a.var(1), [(3, 4)]),
    Case("var_correction", lambda m, a: m.var(a, dim=(0, 1), correction=2, keepdim=True), lambda a: a.var((0, 1), ddof=2, keepdims=True), [(3, 4, 2)]),
    Case("std", lambda m, a: a.std(0), lambda a: a.std(0, ddof=1), [(4, 3)]),
    Case("amax", lambda m, a: a.amax(), np.max, [(3, 4)]),
    Case("amax_dims", lambda m, a: m.amax(a, dim=(0, 2)), lambda a: a.max((0, 2)), [(2, 3, 4)]),
    Case("amin_keep", lambda m, a: a.amin(1, keepdim=True), lambda a: a.min(1, keepdims=True), [(3, 4)]),
    Case("max_all", lambda m, a: a.max(), np.max, [(3, 4)]),
    Case("max_dim_values", lambda m, a: a.max(dim=1).values, lambda a: a.max(1), [(3, 4)]),
    Case("min_dim_values", lambda m, a: m.min(a, 0, keepdim=True)[0], lambda a: a.min(0, keepdims=True), [(3, 4)]),
    Case("max_binary", lambda m, a, b: m.max(a, b), np.maximum, [(3,), (3,)]),
    Case("logsumexp", lambda m, a: m.logsumexp(a, dim=1), lambda a: _lse(a, 1), [(3, 5)]),
    Case("logsumexp_keep", lambda m, a: a.logsumexp(0, keepdim=True), lambda a: _lse(a, 0, True), [(3, 5)]),
    Case("softmax", lambda m, a: m.softmax(a, dim=-1), lambda a: _softmax(a, -1), [(3, 5)]),
    Case("softmax_dim0", lambda m, a: a.softmax(0), lambda a: _softmax(a, 0), [(3, 5)]),
    Case("log_softmax", lambda m, a: m.log_softmax(a, dim=1), lambda a: np.log(_softmax(a, 1)), [(2, 4, 3)]),
    # shapes
    Case("reshape", lambda m, a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [(2, 3, 2)]),
    Case("view", lambda m, a: a.view((3, 4)), lambda a: a.reshape(3, 4), [(2, 6)]),
    Case("flatten", lambda m, a: m.flatten(a, 1), lambda a: a.reshape(2, -1), [(2, 3, 4)]),
    Case("transpose", lambda m, a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), [(2, 3, 4)]),
    Case("permute", lambda m, a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)]),
    Case("T", lambda m, a: a.T, lambda a: a.T, [(2, 3)]),
    Case("mT", lambda m, a: a.mT, lambda a: a.swapaxes(-1, -2), [(4, 2, 3)]),
    Case("squeeze", lambda m, a: a.squeeze(), np.squeeze, [(2, 1, 3, 1)]),
    Case("squeeze_dim", lambda m, a: a.squeeze(1), lambda a: a.squeeze(1), [(2, 1, 3, 1)]),
    Case("unsqueeze", lambda m, a: a.unsqueeze(-1), lambda a: a[..., None], [(2, 3)]),
    Case("expand", lambda m, a: a.expand(2, 3, -1), lambda a: np.broadcast_to(a, (2, 3, 4)), [(1, 4)]),
    Case("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)]),
    Case("cat", lambda m, a, b: m.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1), [(2, 3), (2, 2)]),
    Case("stack", lambda m, a, b: m.stack([a, b], dim=-1), lambda a, b: np.stack([a, b], -1), [(2, 3), (2, 3)]),
    Case("split", lambda m, a: a.split(2, dim=1), lambda a: tuple(np.split(a, [2, 4], 1)), [(3, 5)]),
    Case("split_sections", lambda m, a: m.split(a, [1, 3], dim=0), lambda a: tuple(np.split(a, [1], 0)), [(4, 2)]),
    Case("split_unused_piece", lambda m, a: a.split(2)[1], lambda a: a[2:4], [(5, 2)]),
    Case("chunk", lambda m, a: a.chunk(3, dim=1), lambda a: tuple(np.split(a, [2, 4], 1)), [(2, 5)]),
    Case("tril", lambda m, a: a.tril(), np.tril, [(4, 4)]),
    Case("triu_batched", lambda m, a: m.triu(a, diagonal=1), lambda a: np.triu(a, 1), [(2, 3, 4)]),
    # indexing
    Case("getitem_int", lambda m, a: a[1], lambda a: a[1], [(3, 4)]),
    Case("getitem_slices", lambda m, a: a[:, 1:3, ::2], lambda a: a[:, 1:3, ::2], [(2, 4, 5)]),
    Case("getitem_none_ellipsis", lambda m, a: a[None, ..., -1], lambda a: a[None, ..., -1], [(2, 3)]),
    Case("getitem_repeated", lambda m, a: a[m.tensor([0, 2, 0, 0])], lambda a: a[[0, 2, 0, 0]], [(3, 2)]),
    Case("getitem_list", lambda m, a: a[[1, 1], [0, 2]], lambda a: a[[1, 1], [0, 2]], [(3, 4)]),
    Case("getitem_bool", lambda m, a: a[a > 0], lambda a: a[a > 0], [(3, 4)]),
    Case("gather", lambda m, a: a.gather(1, m.tensor(IDX)), lambda a: np.take_along_axis(a, np.array(IDX), 1), [(3, 4)]),
    Case("gather_smaller", lambda m, a: m.gather(a, 0, m.tensor([[2, 0, 2]])), lambda a: np.take_along_axis(a[:, :3], np.array([[2, 0, 2]]), 0), [(3, 4)]),
    Case("scatter", lambda m, a, s: a.scatter(1, m.tensor(SCATTER_IDX), s), lambda a, s: _scatter(a, s, add=False), [(3, 4), (3, 2)]),
    Case("scatter_add", lambda m, a, s: m.scatter_add(a, 1, m.tensor(SCATTER_IDX), s), lambda a, s: _scatter(a, s, add=True),
         [(3, 4), (3, 2)]),
    Case("where", lambda m, a, b: m.where(a > b, a, b * 2), lambda a, b: np.where(a > b, a, b * 2), [(3, 4), (4,)]),
    Case("masked_fill", lambda m, a: a.masked_fill(a > 0.5, -1.0), lambda a: np.where(a > 0.5, -1.0, a), [(3, 4)]),
    # matmul, every rank combination
    Case("matmul_1d_1d", lambda m, a, b: a @ b, np.matmul, [(4,), (4,)]),
    Case("matmul_2d_1d", lambda m, a, b: m.matmul(a, b), np.matmul, [(3, 4), (4,)]),
    Case("matmul_1d_2d", lambda m, a, b: a @ b, np.matmul, [(3,), (3, 4)]),
    Case("matmul_2d_2d", lambda m, a, b: a @ b, np.matmul, [(2, 3), (3, 4)]),
    Case("matmul_3d_2d", lambda m, a, b: a @ b, np.matmul, [(2, 3, 4), (4, 5)]),
    Case("matmul_1d_3d", lambda m, a, b: a @ b, np.matmul, [(3,), (2, 3, 4)]),
    Case("matmul_batch_broadcast", lambda m, a, b: a @ b, np.matmul, [(2, 1, 3, 4), (5, 4, 2)]),
    Case("mm", lambda m, a, b: m.mm(a, b), np.matmul, [(2, 3), (3, 2)]),
    Case("bmm", lambda m, a, b: m.bmm(a, b), np.matmul, [(2, 2, 3), (2, 3, 2)]),
    # compositions students write
    Case("mse", lambda m, a, b: ((a - b) ** 2).mean(), lambda a, b: ((a - b) ** 2).mean(), [(4, 3), (4, 3)]),
    Case("linear_tanh", lambda m, x, w, b: m.tanh(x @ w.T + b), lambda x, w, b: np.tanh(x @ w.T + b), [(5, 3), (4, 3), (4,)]),
    Case("clone", lambda m, a: a.clone() * 2, lambda a: a * 2, [(3,)]),
]


def _np_layer_norm(x, w, b, axes):
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def _np_ce(x, t, axis=1):
    logp = x - _lse(x, axis, True)
    return -np.take_along_axis(logp, np.expand_dims(t, axis), axis).mean()


def _erf(x):
    import math

    return np.vectorize(math.erf)(x)


T3 = [2, 0, 1, 2]
PROBS = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]]

# nn.functional: the fused layers (hand-derived backward) and the losses
NN_CASES = [
    Case("F.linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b), lambda x, w, b: x @ w.T + b, [(5, 3), (4, 3), (4,)]),
    Case("F.linear_3d_nobias", lambda m, x, w: m.nn.functional.linear(x, w), lambda x, w: x @ w.T, [(2, 5, 3), (4, 3)]),
    Case("F.linear_1d_input", lambda m, x, w, b: m.nn.functional.linear(x, w, b), lambda x, w, b: x @ w.T + b, [(3,), (4, 3), (4,)]),
    Case("F.linear_4d", lambda m, x, w, b: m.nn.functional.linear(x, w, b), lambda x, w, b: x @ w.T + b, [(2, 3, 2, 3), (4, 3), (4,)]),
    Case("F.layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(x, (4,), w, b), lambda x, w, b: _np_layer_norm(x, w, b, (-1,)), [(3, 4), (4,), (4,)]),
    Case("F.layer_norm_2d", lambda m, x, w, b: m.nn.functional.layer_norm(x, (3, 4), w, b), lambda x, w, b: _np_layer_norm(x, w, b, (-2, -1)), [(2, 3, 4), (3, 4), (3, 4)]),
    Case("F.layer_norm_noaffine", lambda m, x: m.nn.functional.layer_norm(x, (5,)), lambda x: _np_layer_norm(x, 1, 0, (-1,)), [(3, 5)]),
    Case("F.gelu", lambda m, x: m.nn.functional.gelu(x), lambda x: x * 0.5 * (1 + _erf(x / np.sqrt(2))), [(3, 4)]),
    Case("F.gelu_tanh", lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
         lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), [(3, 4)]),
    Case("F.embedding", lambda m, w: m.nn.functional.embedding(m.tensor([[0, 2, 2], [4, 0, 1]]), w),
         lambda w: w[np.array([[0, 2, 2], [4, 0, 1]])], [(5, 3)]),
    Case("F.embedding_padding", lambda m, w: m.nn.functional.embedding(m.tensor([0, 2, 2, 1]), w, padding_idx=2),
         lambda w: w[[0, 2, 2, 1]], [(4, 3)], finite_differences=False),
    Case("F.cross_entropy", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(T3)), lambda x: _np_ce(x, np.array(T3)), [(4, 3)]),
    Case("F.cross_entropy_sum_ignore", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([2, -100, 1, 2]), reduction="sum"),
         lambda x: -(x - _lse(x, 1, True))[[0, 2, 3], [2, 1, 2]].sum(), [(4, 3)]),
    Case("F.cross_entropy_none_weight", lambda m, x, w: m.nn.functional.cross_entropy(x, m.tensor(T3), weight=w, reduction="none"),
         lambda x, w: -(x - _lse(x, 1, True))[range(4), T3] * w[T3], [(4, 3), (3,)], ["any", "pos-const"]),
    Case("F.cross_entropy_weight_ignore_mean", lambda m, x, w: m.nn.functional.cross_entropy(x, m.tensor([2, 0, 7, 2]), weight=w, ignore_index=7),
         lambda x, w: (-(x - _lse(x, 1, True))[[0, 1, 3], [2, 0, 2]] * w[[2, 0, 2]]).sum() / w[[2, 0, 2]].sum(), [(4, 3), (3,)], ["any", "pos-const"]),
    Case("F.cross_entropy_smoothing", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(T3), label_smoothing=0.1),
         lambda x: 0.9 * _np_ce(x, np.array(T3)) - 0.1 / 3 * (x - _lse(x, 1, True)).sum(1).mean(), [(4, 3)]),
    Case("F.cross_entropy_smoothing_weight_ignore", lambda m, x, w: m.nn.functional.cross_entropy(x, m.tensor([2, -100, 1, 0]), weight=w, label_smoothing=0.2),
         None, [(4, 3), (3,)], ["any", "pos-const"]),
    Case("F.cross_entropy_probs", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(PROBS, dtype=m.float64)),
         lambda x: -(np.array(PROBS) * (x - _lse(x, 1, True))).sum(1).mean(), [(4, 3)]),
    Case("F.cross_entropy_probs_smoothing_weight", lambda m, x, w: m.nn.functional.cross_entropy(x, m.tensor(PROBS, dtype=m.float64), weight=w, label_smoothing=0.3),
         None, [(4, 3), (3,)], ["any", "pos-const"]),
    Case("F.cross_entropy_kdim", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([[0, 2], [1, 1]])),
         lambda x: _np_ce(x, np.array([[0, 2], [1, 1]])), [(2, 3, 2)]),
    Case("F.cross_entropy_1d", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(1)),
         lambda x: -(x - _lse(x, 0, True))[1], [(4,)]),
    Case("F.nll_loss", lambda m, x: m.nn.functional.nll_loss(x, m.tensor(T3)), lambda x: -x[range(4), T3].mean(), [(4, 3)]),
    Case("F.mse_loss", lambda m, a, b: m.nn.functional.mse_loss(a, b), lambda a, b: ((a - b) ** 2).mean(), [(3, 4), (3, 4)]),
    Case("F.l1_loss_sum", lambda m, a, b: m.nn.functional.l1_loss(a, b, reduction="sum"), lambda a, b: np.abs(a - b).sum(), [(3, 4), (3, 4)]),
    Case("F.bce_with_logits", lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x, m.sigmoid(y)),
         lambda x, y: np.mean(np.logaddexp(0, x) - x / (1 + np.exp(-y))), [(3, 4), (3, 4)]),
    Case("F.bce_with_logits_weights", lambda m, x, y, w, p: m.nn.functional.binary_cross_entropy_with_logits(x, m.sigmoid(y), weight=w, pos_weight=p, reduction="none"),
         None, [(3, 4), (3, 4), (4,), (4,)], ["any", "any", "pos-const", "pos-const"]),
]

# the APIs course code uses (docs/compatibility.md)
KL_TARGET = [[0.0, 0.25, 0.75], [0.5, 0.5, 0.0]]
COURSE_CASES = [
    Case("flip", lambda m, a: m.flip(a, (0, 2)), lambda a: a[::-1, :, ::-1], [(2, 3, 4)]),
    Case("flip_method_varargs", lambda m, a: a.flip(-1), lambda a: a[:, ::-1], [(3, 4)]),
    Case("narrow", lambda m, a: a.narrow(1, 1, 2), lambda a: a[:, 1:3], [(3, 4)]),
    Case("narrow_negative_start", lambda m, a: m.narrow(a, 0, -2, 2), lambda a: a[-2:], [(3, 4)]),
    Case("topk", lambda m, a: a.topk(2, dim=1).values, None, [(3, 5)]),
    Case("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), lambda a, b: tuple(np.meshgrid(a, b, indexing="ij")), [(3,), (2,)]),
    Case("meshgrid_xy", lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"), lambda a, b, c: tuple(np.meshgrid(a, b, c)), [(3,), (2,), (4,)]),
    Case("sort_descending", lambda m, a: m.sort(a, dim=1, descending=True).values, lambda a: -np.sort(-a, 1), [(3, 5)]),
    Case("sort_method_dim0", lambda m, a: a.sort(0)[0], lambda a: np.sort(a, 0), [(4, 3)]),
    Case("topk_smallest_dim0", lambda m, a: m.topk(a, 3, 0, largest=False)[0], None, [(4, 2)]),
    Case("mm_method", lambda m, a, b: a.mm(b), np.matmul, [(2, 3), (3, 4)]),
    Case("repeat", lambda m, a: a.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), [(2, 3)]),
    Case("repeat_interleave_dim", lambda m, a: a.repeat_interleave(2, dim=1), lambda a: np.repeat(a, 2, axis=1), [(2, 3)]),
    Case("repeat_interleave_counts_flat", lambda m, a: m.repeat_interleave(a, m.tensor([1, 0, 3, 2])),
         lambda a: np.repeat(a.reshape(-1), [1, 0, 3, 2]), [(2, 2)]),
    Case("index_select_repeats", lambda m, a: m.index_select(a, 1, m.tensor([2, 0, 2])), lambda a: a[:, [2, 0, 2]], [(3, 4)]),
    Case("masked_select_broadcast", lambda m, a: a.masked_select(m.tensor([True, False, True])), lambda a: a[:, [0, 2]].reshape(-1), [(2, 3)]),
    Case("cumsum", lambda m, a: a.cumsum(1), lambda a: np.cumsum(a, 1), [(3, 4)]),
    Case("cumsum_dim0", lambda m, a: m.cumsum(a, dim=0), lambda a: np.cumsum(a, 0), [(3, 2)]),
    Case("remainder", lambda m, a, b: a % b, np.remainder, [(3, 4), (4,)], ["any", "away0"]),
    Case("remainder_scalar", lambda m, a: m.remainder(a * 3, 0.7), lambda a: np.remainder(a * 3, 0.7), [(5,)]),
    Case("F.pad", lambda m, a: m.nn.functional.pad(a, (1, 2)), lambda a: np.pad(a, ((0, 0), (1, 2))), [(2, 3)]),
    Case("F.pad_two_dims_value_crop", lambda m, a: m.nn.functional.pad(a, (0, -1, 2, 1), value=0.5),
         lambda a: np.pad(a[:, :-1], ((2, 1), (0, 0)), constant_values=0.5), [(2, 3)]),
    Case("F.smooth_l1_loss", lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b), None, [(3, 4), (3, 4)]),
    Case("F.smooth_l1_loss_beta_sum", lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b, reduction="sum", beta=0.5), None, [(3, 4), (3, 4)]),
    Case("F.huber_loss", lambda m, a, b: m.nn.functional.huber_loss(a, b, delta=0.7), None, [(3, 4), (3, 4)]),
    Case("F.kl_div_batchmean", lambda m, x, y: m.nn.functional.kl_div(m.log_softmax(x, 1), m.softmax(y, 1), reduction="batchmean"),
         None, [(2, 3), (2, 3)]),
    Case("F.kl_div_zero_targets_sum", lambda m, x: m.nn.functional.kl_div(m.log_softmax(x, 1), m.tensor(KL_TARGET, dtype=m.float64), reduction="sum"),
         None, [(2, 3)]),
    Case("F.kl_div_log_target_none", lambda m, x, y: m.nn.functional.kl_div(x, y, reduction="none", log_target=True), None, [(2, 3), (2, 3)]),
]
CASES += NN_CASES + COURSE_CASES
