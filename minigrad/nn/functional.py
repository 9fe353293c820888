r"""``minigrad.nn.functional`` (imported as ``F``): layers and losses as functions, with PyTorch's signatures.

``linear``, ``layer_norm``, ``embedding`` and ``gelu`` are single ops whose
backward is derived by hand below (fewer graph nodes, less memory), and so are ``nll_loss`` and
``cross_entropy`` with class-index targets; the other losses are compositions of differentiable ops,
so autograd derives their gradients.
"""
from __future__ import annotations

import functools
import math
import warnings
from typing import Any, Sequence

import numpy

from .. import autograd, backend, ops
from ..autograd import Function
from ..backend import array_module
from ..ops import (  # re-exported under PyTorch's functional names
    log_softmax, one_hot, relu, sigmoid, softmax, tanh,
)
from ..ops.common import ShapeError, describe, require_float, sum_to_shape
from ..ops.linalg import matmul_rows
from ..tensor import Size, Tensor

__all__ = [
    "linear", "embedding", "layer_norm", "batch_norm", "dropout", "relu", "gelu", "tanh", "sigmoid", "softmax",
    "log_softmax", "one_hot", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "binary_cross_entropy_with_logits", "scaled_dot_product_attention", "pad", "kl_div", "smooth_l1_loss",
    "huber_loss", "softplus",
]


# ------------------------------------------------------------------ linear
def _affine(x: Any, w: Any, b: Any, out: Any = None) -> Any:
    r""":math:`x W^\top + b` on arrays (``b`` may be None), into ``out`` if given."""
    y = matmul_rows(x, w.T, out)
    if b is not None:
        y += b
    return y


def _affine_grads(gy: Any, x: Any, w: Any, need: tuple, gx_out: Any = None) -> tuple:
    r"""The gradients :math:`(\bar x, \bar W[, \bar b])` of :math:`y = x W^\top [+ b]`, None where ``need`` says none
    (:math:`\bar x` into ``gx_out`` if given)."""
    gx = matmul_rows(gy, w, gx_out) if need[0] else None
    gy2 = gy.reshape(math.prod(gy.shape[:-1]), gy.shape[-1])
    gw = gy2.T @ x.reshape(gy2.shape[0], x.shape[-1]) if need[1] else None
    if len(need) == 3:
        return gx, gw, (backend.sum_rows(gy2) if need[2] else None)
    return gx, gw


class Linear(Function):
    r""":math:`y = x W^\top + b`; :math:`\bar x = \bar y W`, :math:`\bar W = \bar y^\top x`, :math:`\bar b = \sum \bar y`
    (sums over every leading dimension of :math:`x`)."""

    fresh_grads = True

    def name(self) -> str:
        # PyTorch's linear is addmm (mm without a bias) on 2-d inputs; on others it views a 2-d addmm
        # (ViewBackward0), which this one node is not: see docs/compatibility.md
        return "AddmmBackward0" if len(self.inputs) == 3 else "MmBackward0"

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        return _affine(x, w, b)

    def backward(self, gy):
        return _affine_grads(gy, self.x, self.w, self.needs_input_grad)


class ReluFeedForward(Function):
    r"""A Transformer's feed-forward block :math:`y = h W_2^\top + b_2`, :math:`h = \max(x W_1^\top + b_1, 0)`, as
    one op. Its two largest arrays, :math:`h` and :math:`\bar h = [\lnot(h \le 0)]\,\bar y W_2` (shape
    :math:`(\ldots, d_{ff})`, 32 MiB each for a batch of 32 x 128 at :math:`d_{ff} = 2048`), are made once
    each, the ReLU and its mask applied in place, and come from reused buffers (``backend.buffer``,
    given back after backward): fresh arrays of that size cost page faults every step. Values and
    gradients are those of :class:`Linear`, ReLU, :class:`Linear` to the bit. Inputs: ``x, W1, b1, W2, b2``,
    or ``x, W1, W2`` without biases.
    """

    fresh_grads = True

    def __init__(self, bias: bool) -> None:
        self.bias = bias

    def forward(self, x, w1, *rest):
        b1, w2, b2 = rest if self.bias else (None, rest[0], None)
        xp = array_module(x)
        h = _affine(x, w1, b1, backend.buffer(xp, x.shape[:-1] + w1.shape[:1], x.dtype))
        xp.maximum(h, 0, out=h)
        self.x, self.w1, self.h, self.w2 = x, w1, h, w2
        return _affine(h, w2, b2)

    def backward(self, gy):
        need = self.needs_input_grad
        n1 = 3 if self.bias else 2  # the first layer's inputs: x, W1[, b1]
        self.gh = backend.buffer(array_module(gy), self.h.shape, self.h.dtype)
        gh, *second = _affine_grads(gy, self.h, self.w2, (True,) + need[n1:], self.gh)
        gh *= ~(self.h <= 0)  # as ReLU: a NaN passes its gradient
        first = _affine_grads(gh, self.x, self.w1, need[:n1])
        del gh
        backend.give_back(self.__dict__, ("gh",))
        return (*first, *second)

    def release(self) -> None:
        backend.give_back(self.__dict__, ("h",))
        super().release()


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Affine map :math:`y = x W^\top + b` with ``weight`` of shape ``(out_features, in_features)``."""
    xs, ws = input._data.shape, weight._data.shape  # plain tuples: the most used layer checks them on every call
    if len(ws) != 2:
        raise ShapeError(f"linear: weight must be 2-d (out_features, in_features), got shape {tuple(ws)}")
    if not xs or xs[-1] != ws[-1]:
        raise ShapeError(
            f"linear: input of shape {tuple(xs)} does not fit weight of shape {tuple(ws)}: "
            f"the input's last dimension must equal in_features = {ws[-1]}"
        )
    input, weight = ops.common.binary_operands("linear", input, weight)
    if bias is None:
        return Linear().apply(input, weight)
    if bias._data.shape != ws[:1]:
        raise ShapeError(f"linear: bias of shape {bias.shape} does not fit weight of shape {weight.shape}: expected ({weight.shape[0]},)")
    return Linear().apply(input, weight, bias.to(weight.dtype))


# ------------------------------------------------------------------ embedding
class Embedding(Function):
    r""":math:`y_{\ldots} = W_{i_{\ldots}}`: rows of the table; :math:`\bar W_r = \sum_{i = r} \bar y_i`
    (zero for ``padding_idx``, which is never trained)."""

    fresh_grads = True

    saves_inputs = False

    def __init__(self, padding_idx: int | None) -> None:
        self.padding_idx = padding_idx

    def forward(self, w, idx):
        self.idx, self.shape = idx, w.shape
        return array_module(w).take(w, idx, axis=0)  # rows in range (checked): take is ~3x faster than w[idx]

    def backward(self, gy):
        xp = array_module(gy)
        gw = xp.zeros(self.shape, dtype=gy.dtype)
        if gy.size == 0:  # no lookups, or embedding_dim = 0: nothing to scatter
            return gw, None
        backend.index_add(gw, self.idx.reshape(-1), gy.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    r"""Look up rows of ``weight`` (``(num_embeddings, embedding_dim)``) at the integer indices ``input``.

    With ``max_norm``, as PyTorch, each row looked up whose :math:`\|w_i\|_p` (``norm_type``) exceeds it is first
    rescaled in place, :math:`w_i \leftarrow w_i\,\mathrm{max\_norm} / (\|w_i\|_p + 10^{-7})` (not differentiated).
    """
    if scale_grad_by_freq or sparse:
        from .. import compat

        raise compat.UnsupportedError("embedding(scale_grad_by_freq=True or sparse=True): minigrad has dense, unscaled "
                                      "embedding gradients only; leave both False (see docs/compatibility.md)")
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer (int64) tensor, got {describe(input)}")
    n = weight.shape[0]
    ops.check_index_range(input._data, n, f"embedding: index {{}} is out of range for {n} embeddings (valid indices: 0..{n - 1})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    y = Embedding(padding_idx).apply(weight, input.detach())
    if y._ctx is not None:
        y._ctx.save_for_check(input)  # backward reads the indices: changing them in place is an error there
    return y


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, p: float) -> None:
    """Rescale, in place, the rows of ``weight`` at ``input`` whose p-norm exceeds ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    with autograd.no_grad():
        idx = Tensor(weight.device.xp.unique(input._data.reshape(-1)), weight.device)
        rows = weight[idx]
        a = rows.abs()
        norms = a.amax(1) if p == math.inf else a.pow(p).sum(1).pow(1.0 / p)
        scale = ops.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[idx] = rows * scale.unsqueeze(1)


# ------------------------------------------------------------------ layer norm
class LayerNorm(Function):
    r"""Normalise over the last dimensions :math:`D`: :math:`\hat x = (x - \mu)\,/\sqrt{\sigma^2 + \epsilon}`,
    :math:`y = \hat x \odot \gamma + \beta`, with :math:`\mu, \sigma^2` the (biased) mean and variance over :math:`D`.

    Backward, with :math:`g = \bar y \odot \gamma` and means over :math:`D`:
    :math:`\bar x = \frac{1}{\sqrt{\sigma^2+\epsilon}}\big(g - \overline{g} - \hat x\,\overline{g \hat x}\big)`,
    :math:`\bar\gamma = \sum \bar y \odot \hat x`, :math:`\bar\beta = \sum \bar y` (sums over the other dimensions).
    """

    saves_inputs = True  # backward reads the weight's array, and as PyTorch any changed input is an error there
    torch_name = "NativeLayerNormBackward0"

    def __init__(self, axes: tuple, eps: float, affine: tuple) -> None:
        self.axes, self.eps, self.affine = axes, eps, affine

    # The normalised dimensions are the trailing ones, so everything runs on an (N, D) view with
    # few full-size temporaries: at a Transformer's (32, 128, 512) each one costs about a millisecond.
    def forward(self, x, *params):
        xp = array_module(x)
        self.pshape = x.shape[x.ndim - len(self.axes):]
        d = math.prod(self.pshape)
        x2 = x.reshape(-1, d)
        xhat = x2 - x2.mean(axis=1, keepdims=True)
        var = xp.einsum("ij,ij->i", xhat, xhat)[:, None] / d
        self.rstd = 1 / xp.sqrt(var + self.eps)
        xhat *= self.rstd
        self.xhat, self.d = xhat, d
        self.w = params[0].reshape(d) if self.affine[0] else None
        y = xhat * self.w if self.w is not None else xhat.copy()
        if self.affine[1]:
            y += params[-1].reshape(d)
        return y.reshape(x.shape)

    def backward(self, gy):
        xp = array_module(gy)
        xhat, w, d = self.xhat, self.w, self.d
        gy2 = gy.reshape(-1, d)
        gyx = gy2 * xhat
        grads = []
        if self.affine[0]:
            grads.append(backend.sum_rows(gyx).reshape(self.pshape))
        if self.affine[1]:
            grads.append(backend.sum_rows(gy2).reshape(self.pshape))
        # with g = gy * w: mean(g) = gy . w / D and mean(g * xhat) = (gy * xhat) . w / D, matrix-vector products
        if w is not None:
            mean_g, mean_gx, g = (gy2 @ w)[:, None] / d, (gyx @ w)[:, None] / d, gy2 * w
        else:
            mean_g, mean_gx, g = gy2.mean(axis=1, keepdims=True), gyx.mean(axis=1, keepdims=True), gy2
        gx = gyx  # reused: (gy * xhat) is no longer needed
        xp.multiply(xhat, mean_gx, out=gx)
        xp.subtract(g, gx, out=gx)
        gx -= mean_g
        gx *= self.rstd
        return (gx.reshape(gy.shape), *grads)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dimensions (Ba et al., 2016)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    require_float("layer_norm", input)
    if input._data.shape[input.ndim - len(shape):] != shape or input.ndim < len(shape):  # plain tuples: Size's slicing runs in Python
        raise ShapeError(f"layer_norm: normalized_shape {shape} must match the last dimensions of the input, got input of shape {input.shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ShapeError(f"layer_norm: {name} of shape {p.shape} must have normalized_shape {shape}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    params = [p for p in (weight, bias) if p is not None]
    return LayerNorm(axes, eps, (weight is not None, bias is not None)).apply(input, *params)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Batch normalisation (Ioffe and Szegedy, 2015) of ``(N, C)`` or ``(N, C, L)`` input, per channel :math:`c`:

    .. math:: y = \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}\,\gamma_c + \beta_c

    over the batch (and length) dimensions. With ``training``, :math:`\mu, \sigma^2` are the batch's mean and
    biased variance, and the running statistics (when given) move in place towards the batch's:
    :math:`r \leftarrow (1 - m)\,r + m\,s`, with the *unbiased* variance for ``running_var``, as PyTorch.
    Otherwise the running statistics are used. Composed of ops, so autograd derives the backward.
    """
    op = "batch_norm"
    require_float(op, input)
    if input.ndim < 2:
        raise ShapeError(f"{op}: expected input of shape (N, C) or (N, C, L), got {describe(input)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(f"{op}: {name} must have shape ({c},) for input with {c} channels, got {t.shape}")
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    count = input.numel() // c if c else 0
    if training:
        if count == 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got input size {input.shape}")
        if count == 0:  # an empty batch: an empty output, and zero gradients for the parameters
            mean, var = input.new_zeros(shape), input.new_ones(shape)
        else:
            mean = input.mean(dims, keepdim=True)
            var = ((input - mean) ** 2).mean(dims, keepdim=True)
        if count and running_mean is not None or running_var is not None:
            with autograd.no_grad():
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean.detach().reshape(c).to(running_mean.dtype) * momentum)
                if running_var is not None:
                    unbiased = var.detach().reshape(c) * (count / (count - 1))
                    running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean and running_var are needed when not training")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    # as PyTorch's kernel: y = x * a + (b - mu * a) with a = gamma / sqrt(var + eps), so that non-finite
    # parameters give PyTorch's NaN and infinities
    scale = 1 / (var + eps).sqrt()
    if weight is not None:
        scale = scale * weight.reshape(shape)
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias.reshape(shape)
    return input * scale + shift


# ------------------------------------------------------------------ activations
class Gelu(Function):
    r""":math:`y = x\,\Phi(x)`, :math:`\Phi` the standard normal CDF; :math:`\bar x = \bar y\,(\Phi(x) + x\,\varphi(x))`.

    ``approximate="tanh"``: :math:`y = \tfrac12 x\,(1 + \tanh u)`, :math:`u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)`.
    """

    def __init__(self, approximate: str) -> None:
        self.approximate = approximate

    def forward(self, x):
        xp = array_module(x)
        self.x = x
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.t = xp.tanh(k * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + backend.erf(x / math.sqrt(2)))
        return x * self.cdf

    def backward(self, gy):
        xp, x = array_module(gy), self.x
        if self.approximate == "tanh":
            k, t = math.sqrt(2 / math.pi), self.t
            return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (self.cdf + x * pdf)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit :math:`x\\,\\Phi(x)` (Hendrycks & Gimpel, 2016)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    require_float("gelu", input)
    return Gelu(approximate).apply(input)


class Softplus(Function):
    r""":math:`y = \frac1\beta \ln(1 + e^{\beta x})`, and :math:`y = x` where :math:`\beta x > t` (the threshold);
    :math:`\bar x = \bar y\,\sigma(\beta x)` (1 above the threshold). Computed as
    :math:`\frac1\beta\big(\ln(1 + e^{-|\beta x|}) + \max(\beta x, 0)\big)`, which never overflows."""

    def __init__(self, beta: float, threshold: float) -> None:
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = array_module(x)
        bx = x * self.beta
        self.linear = bx > self.threshold
        self.sig = ops.elementwise.sigmoid_array(bx)
        y = (xp.log1p(xp.exp(-xp.abs(bx))) + xp.maximum(bx, 0)) / self.beta
        return xp.where(self.linear, x, y).astype(x.dtype, copy=False)

    def backward(self, gy):
        return array_module(gy).where(self.linear, gy, gy * self.sig).astype(gy.dtype, copy=False)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""A smooth ReLU :math:`\frac1\beta \ln(1 + e^{\beta x})`; linear above ``threshold`` (as PyTorch)."""
    require_float("softplus", input)
    return Softplus(beta, threshold).apply(input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    r"""Zero each element with probability :math:`p` and scale the rest by :math:`1/(1-p)` (identity when not training)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability must be between 0 and 1, got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = backend.generator(input.device).random(input.shape, dtype=input.dtype) >= p
    return input * Tensor(keep.astype(input.dtype) / (1 - p), input.device)


# ------------------------------------------------------------------ padding
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad with ``value`` (0 by default): ``pad = (left, right)`` for the last dimension, then
    ``(top, bottom)`` for the one before, and so on; negative amounts crop. Only ``mode="constant"``."""
    if mode != "constant":
        raise NotImplementedError(
            f"pad: mode {mode!r} is not supported by minigrad, only 'constant' (see docs/compatibility.md)"
        )
    return ops.pad(input, pad, 0.0 if value is None else value)


# ------------------------------------------------------------------ losses
def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(op: str, loss: Tensor, reduction: str) -> Tensor:
    _check_reduction(op, reduction)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _same_shape(op: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"{op}: input of shape {input.shape} and target of shape {target.shape} differ; they must have the same "
            f"shape (PyTorch would broadcast them with a warning, which is almost always a bug)"
        )


# ------------------------------------------------------------------ class-index losses
def _quiet(f: Any) -> Any:
    """``f`` with NumPy's warnings about NaN, infinite and 0/0 results silenced (they are the answer)."""

    @functools.wraps(f)
    def run(*args: Any) -> Any:
        with numpy.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return f(*args)

    return run


class NLL(Function):
    r"""The negative log-likelihood at class indices, one op. Classes are on dim 1 of the input (dim 0 for
    one sample); a *position* :math:`i` is a sample with its trailing indices :math:`(n, d_1, \ldots)`.
    With :math:`w_i = w_{t_i}` (1 without class weights, 0 where :math:`t_i` is ``ignore_index``):

    .. math:: \ell_i = -w_i\,x_{i, t_i}, \qquad
              \text{sum: } L = \sum_i \ell_i, \qquad \text{mean: } L = \frac{\sum_i \ell_i}{\sum_i w_i}.

    Backward: :math:`\bar x_{i,c} = -[c = t_i]\,w_i\,\bar\ell_i`, where :math:`\bar\ell_i` is the output
    gradient at :math:`i` (``none``), the output gradient (``sum``) or the output gradient over
    :math:`\sum_i w_i` (``mean``). Ignored positions give exactly 0 forward and backward, whatever the
    input holds there, so ``mean`` over no counted position is :math:`0/0 = \mathrm{NaN}` with a zero
    gradient, as in PyTorch.
    """

    saves_inputs = False
    fresh_grads = True
    # also for CrossEntropy, one node for PyTorch's log_softmax and nll_loss: named after the last, as PyTorch's top node
    torch_name = "NllLossBackward0"

    def __init__(self, target: Any, weight: Any, ignore_index: int, reduction: str) -> None:
        self.target, self.weight, self.ignore_index, self.reduction = target, weight, ignore_index, reduction

    def _positions(self, x: Any) -> Any:
        r"""Set up, per position as ``(N, 1, K)`` arrays beside the ``(N, C, K)`` view of ``x``: whether it is
        ignored, its weight :math:`w_i` and the flat index of :math:`x_{i, t_i}` in a C-ordered ``(N, C, K)``
        array (a class in range, 0, where ignored). Returns the flat indices. ``a.reshape(-1)[flat]`` reads
        right from any layout (the reshape copies a strided array); a write through ``reshape(-1)`` reaches
        the array only when it is C-contiguous (else it lands in the copy), so backward writes into C-ordered
        arrays only (a transposed or permuted input gives strided ones)."""
        xp = array_module(x)
        n, c = (x.shape[0], x.shape[1]) if x.ndim > 1 else (1, x.shape[0])
        k = math.prod(x.shape[2:])
        t = self.target.reshape(n, 1, k)
        self.ignored = t == self.ignore_index
        safe = xp.where(self.ignored, 0, t)
        if self.weight is None:
            self.w = (~self.ignored).astype(x.dtype)
        else:
            self.w = xp.where(self.ignored, 0, self.weight[safe]).astype(x.dtype, copy=False)
        self.flat = (xp.arange(n).reshape(n, 1, 1) * c + safe) * k + xp.arange(k).reshape(1, 1, k)
        self.view_shape, self.x_shape, self.dtype = (n, c, k), x.shape, x.dtype
        return self.flat

    def _reduce(self, xp: Any, loss: Any) -> Any:
        """The per-position losses (0 where ignored) reduced; ``mean`` keeps its divisor for backward."""
        loss = xp.where(self.ignored, 0, loss).astype(self.dtype, copy=False)
        if self.reduction == "none":
            return loss.reshape(self.target.shape)
        total = loss.sum()
        if self.reduction == "mean":
            self.denom = self.w.sum()
            total = total / self.denom  # 0/0 = NaN when every target is ignored
        return xp.asarray(total)

    def _output_grads(self, gy: Any) -> Any:
        r""":math:`\bar\ell_i` as an ``(N, 1, K)`` array, 0 where ignored."""
        xp = array_module(gy)
        if self.reduction == "none":
            g = gy.reshape(self.ignored.shape)
        else:
            g = gy / self.denom if self.reduction == "mean" else gy
        return xp.where(self.ignored, 0, g).astype(self.dtype, copy=False)

    # Non-finite values (NaN inputs, 0/0 means, zero weights times an infinite gradient) give NaN as in
    # PyTorch; NumPy is not to warn about them.
    @_quiet
    def forward(self, x):
        xp = array_module(x)
        flat = self._positions(x)
        picked = x.reshape(-1)[flat] if x.size else xp.zeros(flat.shape, dtype=x.dtype)
        return self._reduce(xp, -(picked * self.w))

    @_quiet
    def backward(self, gy):
        xp = array_module(gy)
        gx = xp.zeros(self.x_shape, dtype=self.dtype)  # C-ordered: the write below reaches it
        if gx.size:
            gx.reshape(-1)[self.flat] = -(self._output_grads(gy) * self.w)
        return gx


class CrossEntropy(NLL):
    r"""Cross-entropy of logits :math:`z` at class indices, one op: :math:`\log p = \log\mathrm{softmax}(z)` over
    the classes, then :class:`NLL` with label smoothing :math:`\varepsilon` over :math:`C` classes. With
    :math:`w_i` as in :class:`NLL` and :math:`W = \sum_c w_c`:

    .. math:: \ell_i = -(1-\varepsilon)\,w_i \log p_{i,t_i} - \frac{\varepsilon}{C} \sum_c w_c \log p_{i,c}

    (0 where ignored), reduced as in :class:`NLL` (``mean`` divides by :math:`\sum_i w_i`, as PyTorch).
    Forward keeps :math:`e_{i,c} = e^{z_{i,c} - m_i}` (:math:`m_i` the row maximum) and
    :math:`S_i = \sum_c e_{i,c}`, so that :math:`p = e / S`. Backward, with :math:`\bar\ell_i` as in :class:`NLL`:

    .. math:: \bar z_{i,c} = \bar\ell_i \Big(p_{i,c}\big((1-\varepsilon)w_i + \tfrac{\varepsilon}{C} W\big)
              - (1-\varepsilon)\,w_i\,[c = t_i] - \tfrac{\varepsilon}{C}\, w_c\Big):

    one pass over the logits and one write per position, where separate log-softmax and gather ops
    would make several full-size temporaries.
    """

    def __init__(self, target: Any, weight: Any, ignore_index: int, reduction: str, label_smoothing: float) -> None:
        super().__init__(target, weight, ignore_index, reduction)
        self.smoothing = label_smoothing

    def _smoothing_weights(self) -> tuple:
        r""":math:`w_c` shaped ``(1, C, 1)`` (1 without class weights) and :math:`W = \sum_c w_c`."""
        n, c, k = self.view_shape
        if self.weight is None:
            return 1, c
        return self.weight.reshape(1, c, 1), self.weight.sum()

    @_quiet
    def forward(self, z):
        xp = array_module(z)
        flat = self._positions(z)
        n, c, k = self.view_shape
        eps = self.smoothing
        # As log_softmax, the maximum is subtracted even when it is infinite: a +inf logit or an all -inf row
        # gives NaN, as in PyTorch. The shifted logits z - m are read before exp turns them into e in place.
        if z.size:
            e = z.reshape(n, c, k) - xp.amax(z.reshape(n, c, k), axis=1, keepdims=True)
            shifted_t = e.reshape(-1)[flat]
        else:
            e, shifted_t = xp.zeros((n, c, k), dtype=z.dtype), xp.zeros(flat.shape, dtype=z.dtype)
        if eps:
            w_c, total_w = self._smoothing_weights()
            shifted_sum = (e * w_c).sum(axis=1, keepdims=True)  # sum_c w_c (z_c - m)
        xp.exp(e, out=e)
        self.e, self.s = e, e.sum(axis=1, keepdims=True)
        log_s = xp.log(self.s)
        loss = (log_s - shifted_t) * self.w  # -w_i log p_{i, t_i}, as log p = z - m - log S
        if eps:
            loss *= 1 - eps
            loss += (log_s * total_w - shifted_sum) * (eps / c)
        return self._reduce(xp, loss)

    @_quiet
    def backward(self, gy):
        g = self._output_grads(gy)
        n, c, k = self.view_shape
        eps = self.smoothing
        target_coef = g * self.w * (1 - eps) if eps else g * self.w
        if eps:
            w_c, total_w = self._smoothing_weights()
            gz = self.e * ((target_coef + g * (total_w * eps / c)) / self.s)
            gz -= (g * (eps / c)) * w_c
        else:
            gz = self.e * (target_coef / self.s)
        if gz.size:
            gz = array_module(gz).ascontiguousarray(gz)  # strided after a transposed input: see _positions
            gz.reshape(-1)[self.flat] -= target_coef
        return gz.reshape(self.x_shape)


def _check_class_targets(op: str, input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int) -> Any:
    """Check class-index targets and the class weights against ``input``; return the weights' array (or None)."""
    if input.ndim == 0:
        raise ShapeError(f"{op}: input must have a class dimension (shape (C,), (N, C) or (N, C, d1, ...)), got a 0-d tensor")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (int64), got {describe(target)}")
    shape = input._data.shape  # plain tuples (Size's indexing runs in Python): this runs on every loss
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    expected = (shape[:1] + shape[2:]) if len(shape) > 1 else ()
    if target._data.shape != expected:
        raise ShapeError(
            f"{op}: for input of shape {input.shape} (classes on dim {1 if input.ndim > 1 else 0}) the class-index "
            f"target must have shape {Size(expected)}, got {target.shape}"
        )
    if target.device != input.device:
        raise RuntimeError(f"{op}: the target is on {target.device} but the input is on {input.device}")
    ops.check_index_range(target._data, n_classes, f"{op}: target class {{}} is out of range for {n_classes} classes "
                          f"(valid: 0..{n_classes - 1}, or ignore_index={ignore_index})", ignore=ignore_index)
    if weight is None:
        return None
    if tuple(weight.shape) != (n_classes,):
        raise ShapeError(f"{op}: weight must have one entry per class, shape ({n_classes},), got {describe(weight)}")
    if weight.dtype != input.dtype or weight.device != input.device:
        raise RuntimeError(f"{op}: weight ({describe(weight)}) must have the input's dtype and device ({describe(input)})")
    if weight.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{op}: not differentiable with respect to weight (as in PyTorch); pass weight.detach()")
    return weight._data


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    r"""Negative log-likelihood of log-probabilities ``input`` at the class indices ``target``:
    :math:`\ell_i = -w_{t_i}\,x_{i, t_i}`; ``mean`` divides by :math:`\sum_i w_{t_i}` over non-ignored samples
    (one op, :class:`NLL`)."""
    require_float("nll_loss", input)
    _check_reduction("nll_loss", reduction)
    w = _check_class_targets("nll_loss", input, target, weight, ignore_index)
    return NLL(target._data, w, ignore_index, reduction).apply(input)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Cross-entropy between logits ``input`` (classes on dim 1, or dim 0 for one sample) and ``target``.

    ``target`` holds class indices (int64) or class probabilities (float, the shape of ``input``).
    Computed from :math:`\log\mathrm{softmax}` (log-sum-exp), so logits of magnitude 1e4 stay finite.
    With label smoothing :math:`\varepsilon` and :math:`C` classes the target becomes
    :math:`(1-\varepsilon)\,\mathrm{onehot} + \varepsilon / C`, as in PyTorch. Class-index targets take one
    op (:class:`CrossEntropy`); class probabilities are composed of ops.
    """
    require_float("cross_entropy", input)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    _check_reduction("cross_entropy", reduction)
    if target.dtype.kind in "iu":
        w = _check_class_targets("cross_entropy", input, target, weight, ignore_index)
        return CrossEntropy(target._data, w, ignore_index, reduction, label_smoothing).apply(input)
    if target.dtype.kind != "f":
        raise TypeError(f"cross_entropy: target must hold class indices (int64) or class probabilities (float), got {describe(target)}")
    if ignore_index != -100:  # PyTorch refuses it: no class of a probability target can be ignored
        raise RuntimeError(f"cross_entropy: ignore_index={ignore_index} is not supported for class-probability (float) "
                           f"targets, as in PyTorch; leave it at -100, or zero those rows' weight")
    _same_shape("cross_entropy", input, target)
    cdim = 1 if input.ndim > 1 else 0
    n = input.shape[cdim]
    logp = log_softmax(input, cdim)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n
    if weight is not None:
        wshape = [1] * input.ndim
        wshape[cdim] = n
        logp = logp * weight.reshape(wshape)
    if reduction == "mean":
        return -(logp * target).sum() / (input._data.size / n)
    return _reduce("cross_entropy", -(logp * target).sum(cdim), reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean squared error :math:`\frac1N\sum_i (x_i - y_i)^2`."""
    _same_shape("mse_loss", input, target)
    d = input - target
    return _reduce("mse_loss", d * d, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    r"""Mean absolute error :math:`\frac1N\sum_i |x_i - y_i|`."""
    _same_shape("l1_loss", input, target)
    return _reduce("l1_loss", (input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    r"""Smooth L1 loss: with :math:`d = x - y`, :math:`\ell = \frac{d^2}{2\beta}` where :math:`|d| < \beta`,
    else :math:`|d| - \frac\beta2` (``beta=0`` is the L1 loss); the gradient is :math:`d/\beta` or :math:`\operatorname{sign} d`."""
    _same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: does not support negative values for beta, got {beta}")
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce("smooth_l1_loss", ad, reduction)
    big = ad >= beta  # False at NaN: the quadratic branch carries the NaN, as PyTorch
    near = ops.where(big, 0.0, d)  # so the unused quadratic branch gives 0, not inf * 0, at an infinite d
    return _reduce("smooth_l1_loss", ops.where(big, ad - 0.5 * beta, near * near * (0.5 / beta)), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    r"""Huber loss :math:`\ell = \frac{d^2}2` where :math:`|d| < \delta`, else :math:`\delta(|d| - \frac\delta2)`:
    :math:`\delta` times the smooth L1 loss with :math:`\beta = \delta`."""
    _same_shape("huber_loss", input, target)
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    ad = d.abs()
    big = ad >= delta  # False at NaN: the quadratic branch carries the NaN, as PyTorch
    near = ops.where(big, 0.0, d)  # so the unused quadratic branch gives 0, not inf * 0, at an infinite d
    return _reduce("huber_loss", ops.where(big, (ad - 0.5 * delta) * delta, near * near * 0.5), reduction)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    r"""Kullback-Leibler divergence of ``target`` from the distribution whose log-probabilities are ``input``:
    pointwise :math:`\ell = y\,(\ln y - x)` (0 where :math:`y = 0`), or :math:`e^{y}(y - x)` with ``log_target``.

    ``reduction="batchmean"`` divides the sum by the batch size (the mathematical KL divergence);
    ``"mean"`` divides by the number of elements and warns, as PyTorch does.
    """
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction 'mean' divides the total loss by both the batch size and the support size; "
            "'batchmean' divides only by the batch size, and aligns with the KL divergence's definition",
            UserWarning, stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # y ln y is 0 at y = 0; taking the log of 1 there keeps the value and the gradient finite
        safe = ops.where(target == 0, 1.0, target)  # (a negative target still gives NaN, as PyTorch)
        loss = target * safe.log() - target * input  # PyTorch's order: y ln y - y x (NaN, not inf, at y = inf, x = 0)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce("kl_div", loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    r"""Binary cross-entropy of :math:`\sigma(x)` against :math:`y \in [0, 1]`, computed stably from the logit:
    :math:`\ell = (1 - y)\,x + (1 + (p - 1)\,y)\,\mathrm{softplus}(-x)`, with :math:`p` the ``pos_weight``;
    :math:`\partial\ell/\partial x = (1 - y) - (1 + (p - 1)\,y)\,\sigma(-x)` (one :func:`softplus` op,
    so the gradient is right at :math:`x = 0`, where :math:`|x|` and :math:`\max(-x, 0)` have kinks)."""
    _same_shape("binary_cross_entropy_with_logits", input, target)
    softplus_neg = Softplus(1.0, math.inf).apply(-input)
    log_weight = (pos_weight - 1) * target + 1 if pos_weight is not None else 1
    loss = (1 - target) * input + log_weight * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce("binary_cross_entropy_with_logits", loss, reduction)



# ------------------------------------------------------------------ attention
class ScaledDotProductAttention(Function):
    r"""Attention with its backward derived by hand (``docs/attention.md``).

    Forward, over the last two dimensions (batch dimensions broadcast):
    :math:`S = s\,Q K^\top + M`, :math:`P = \mathrm{softmax}_{\text{row}}(S)`, :math:`O = \tilde P V`, where
    :math:`M` is the mask (0 or :math:`-\infty` for boolean masks) and :math:`\tilde P` is :math:`P` after dropout.

    Backward: :math:`\bar V = \tilde P^\top \bar O`, :math:`\bar{\tilde P} = \bar O V^\top`,
    :math:`\bar P = \bar{\tilde P} \odot D`, :math:`\bar S = P \odot (\bar P - \mathrm{rowsum}(\bar P \odot P))`,
    :math:`\bar Q = s\,\bar S K`, :math:`\bar K = s\,\bar S^\top Q`; the row sum is computed as
    :math:`\mathrm{rowsum}(\bar O \odot O)`, equal because :math:`O = \tilde P V`.

    Outputs ``(O, P̃)``: the weights are a second, differentiable output. Rows whose keys are all masked
    give zero weights when ``safe`` (as PyTorch's ``scaled_dot_product_attention``) and NaN otherwise
    (as PyTorch's ``MultiheadAttention``).
    """

    n_outputs = 2
    saves_inputs = True
    fresh_grads = True

    def __init__(self, scale: float, additive: Any = None, allowed: Any = None, keep: Any = None, safe: bool = True) -> None:
        self.scale, self.additive, self.allowed, self.keep, self.safe = scale, additive, allowed, keep, safe

    def forward(self, q, k, v):
        xp = array_module(q)
        # The scores are made transposed, S^T = K (s Q)^T of shape (..., S, L), and the weights returned as
        # its transposed view: the softmax's max and sum over the keys then run over the outer axis, which
        # NumPy does as whole-row vector operations (several times faster than per-row reductions over
        # the last axis at L, S = 128). In place on that one buffer: at long sequences it dominates.
        pt = k @ xp.swapaxes(q * self.scale, -1, -2)  # scaling Q is cheaper than scaling the L x S scores
        if self.additive is not None:
            pt += xp.swapaxes(self.additive, -1, -2)
        if self.allowed is not None:
            xp.copyto(pt, -xp.inf, where=~xp.swapaxes(self.allowed, -1, -2))
        with numpy.errstate(invalid="ignore"):  # a fully masked row is -inf - (-inf) when not safe
            if pt.shape[-2]:
                m = pt.max(axis=-2, keepdims=True)
            else:  # no keys at all: no weights, and a zero output, as in PyTorch
                m = xp.zeros(pt.shape[:-2] + (1, pt.shape[-1]), dtype=pt.dtype)
            # A row with no finite score (fully masked) gets m = 0, so its weights are exp(-inf) = 0 and its sum
            # z = 0, set to 1: the row stays 0. Only there is z = 0 (elsewhere the maximum weighs exp(0) = 1).
            # On the CPU one test skips both fixes in the usual case; on a GPU the test would wait for the
            # device, so the masked writes (not m[mask] = 0, a boolean index: the same wait) always run.
            fix = self.safe and (xp is not numpy or not numpy.isfinite(m).all())
            if fix:
                xp.copyto(m, 0, where=~xp.isfinite(m))
            pt -= m
            xp.exp(pt, out=pt)
            z = pt.sum(axis=-2, keepdims=True)
            if fix:
                xp.copyto(z, 1, where=z == 0)
            pt /= z
        pdt = pt * xp.swapaxes(self.keep, -1, -2) if self.keep is not None else pt
        pd = xp.swapaxes(pdt, -1, -2)
        o = pd @ v
        self.q, self.k, self.v, self.pt, self.pdt, self.o = q, k, v, pt, pdt, o.copy()
        return o, pd

    def backward(self, go, gp):
        xp = array_module(self.q)
        q, k, v, pt, pdt = self.q, self.k, self.v, self.pt, self.pdt
        need = self.needs_input_grad
        dv = sum_to_shape(pdt @ go, v.shape) if (need[2] and go is not None) else None
        # dS^T, as the scores: built in place in the fresh array of dP~^T = V dO^T
        dst = v @ xp.swapaxes(go, -1, -2) if go is not None else xp.zeros_like(pt)
        # rowsum(dP * P) = rowsum(dO * O) because O = P~ V: an (L, E) product instead of an (L, S) one;
        # kept as a (1, L) row, to subtract from dS^T's rows
        rowsum = xp.swapaxes((go * self.o).sum(axis=-1, keepdims=True), -1, -2) if go is not None else 0
        if gp is not None:
            gpt = xp.swapaxes(gp, -1, -2)
            dst += gpt
            rowsum = rowsum + (gpt * pdt).sum(axis=-2, keepdims=True)
        if self.keep is not None:
            dst *= xp.swapaxes(self.keep, -1, -2)
        dst -= rowsum
        dst *= pt  # dS^T
        dq = sum_to_shape((xp.swapaxes(dst, -1, -2) @ k) * self.scale, q.shape) if need[0] else None
        dk = sum_to_shape((dst @ q) * self.scale, k.shape) if need[1] else None
        return dq, dk, dv


class TiledAttention(Function):
    r"""Attention computed block by block over the keys with an online softmax (the FlashAttention idea,
    Dao et al., 2022), so the :math:`L \times S` weights are never stored: extra memory is
    :math:`O(L \cdot \text{block})`, linear in the sequence length.

    With scores :math:`S = s\,QK^\top`, forward keeps per query a shift :math:`m` and a normaliser
    :math:`\ell` and, for each key block :math:`j`, adds :math:`P_j = e^{S_j - m}` into
    :math:`\ell \mathrel{+}= \mathrm{rowsum}\,P_j` and :math:`O \mathrel{+}= P_j V_j`. When the
    block's scores exceed :math:`m` by more than ``_lag``, :math:`m` rises by
    :math:`\delta = \max(\mathrm{rowmax}\,S_j - m, 0)` first and :math:`O, \ell` are scaled by
    :math:`e^{-\delta}`: the weights stay below :math:`e^{\text{lag}}`, and the result :math:`O / \ell`
    does not depend on :math:`m`. Finally :math:`\mathrm{lse} = m + \ln \ell` is kept for backward.

    Backward recomputes each block's weights :math:`P_j = e^{S_j - \mathrm{lse}}` and, with
    :math:`D = \mathrm{rowsum}(\bar O \odot O)`: :math:`\bar V_j = P_j^\top \bar O`,
    :math:`\bar S_j = P_j \odot (\bar O V_j^\top - D)`, :math:`\bar Q \mathrel{+}= s\,\bar S_j K_j`,
    :math:`\bar K_j = s\,\bar S_j^\top Q`.

    Laid out for a CPU, where the matrix products are most of the time (80% at (2, 8, 2048, 64) float32
    on 2 cores) and NumPy's elementwise passes the rest; each choice was measured there:

    - The batch dimensions are flattened into one whose slices are split over
      :func:`minigrad.backend.parallel_slices`' threads (NumPy's ufuncs use one core each), and each
      thread takes a few slices at a time, so that a block of scores stays in its core's cache.
    - A block is held transposed, :math:`S_j^\top` of shape (block, L): the maxima over keys
      are then reductions over the outer axis, which NumPy vectorises (6x faster than over the inner
      one); the matrix products read the transposed views without copies.
    - Shifts and sums come out of the matrix products, by one more column on each side:
      :math:`S_j - m = [sQ, -m]\,[K_j, \mathbf 1]^\top` (``m`` becomes
      :math:`\mathrm{lse}` at the end of forward), :math:`P_j[V_j, \mathbf 1] = [P_jV_j, \mathrm{rowsum}\,P_j]`
      and :math:`\bar O V_j^\top - D = [\bar O, -D]\,[V_j, \mathbf 1]^\top`: an inner size of 65
      instead of 64 costs 2%, a pass over the block costs more.
    - ``exp``, not ``exp2`` with :math:`\log_2 e` folded into the scale: NumPy's ``exp2`` is 1.5x
      faster on ordinary arguments but 10-35x slower on :math:`-\infty` (the causal mask) and on
      arguments below -126, whose results underflow (sharply peaked weights).
    - With ``causal``, key block :math:`j` only meets the queries from its first key on, and only its
      leading (block x block) square needs the mask: half the work, and every query in a block has at
      least one key, so no row of scores is all :math:`-\infty`.
    """

    fresh_grads = True
    _SCRATCH_BYTES = 1 << 21  # scores of a few slices at a time: a block for one core's cache (2 MiB L2)

    def __init__(self, scale: float, causal: bool, block: int) -> None:
        self.scale, self.causal, self.block = scale, causal, block

    def _blocks(self, L: int, S: int) -> list:
        """Key blocks ``(j0, j1, c0)``: keys ``j0:j1`` meet the queries ``c0:`` (with ``causal``, the
        queries from ``j0`` on; blocks whose keys all come after the last query are left out). The
        first block meets every query."""
        if self.causal:
            return [(j0, min(j0 + self.block, S), j0) for j0 in range(0, min(S, L), self.block)]
        return [(j0, min(j0 + self.block, S), 0) for j0 in range(0, S, self.block)]

    def _group(self, L: int, itemsize: int) -> int:
        """How many slices a thread takes at a time: their (block x L) scores fit ``_SCRATCH_BYTES``."""
        return max(1, self._SCRATCH_BYTES // (self.block * max(L, 1) * itemsize))

    @staticmethod
    def _lag(dtype: Any) -> float:
        r"""How far forward's shift may trail the scores: an eighth of the dtype's exponent range
        (:math:`16 \ln 2 \approx 11` for float32), so that sums of weights up to :math:`e^{\text{lag}}`
        stay finite."""
        return numpy.finfo(dtype).maxexp // 8 * math.log(2)

    @staticmethod
    def _flatten(a: Any, batch: tuple) -> Any:
        """``a`` broadcast to ``batch`` and reshaped to ``(prod(batch), n, d)``: a view unless broadcast."""
        return array_module(a).broadcast_to(a, batch + a.shape[-2:]).reshape((math.prod(batch),) + a.shape[-2:])

    @staticmethod
    def _scratch(xp: Any, scratch: dict, part: slice, dtype: Any) -> Any:
        """``take(name, shape)``: a reused uninitialised array for the thread of ``part``, recorded in
        ``scratch`` so that the calling thread gives them all back (:func:`minigrad.backend.give_back`)
        once the threads are done: fresh large arrays cost page faults on every call."""

        def take(name: str, shape: tuple) -> Any:
            a = scratch[part.start, name] = backend.buffer(xp, shape, dtype)
            return a

        return take

    def release(self) -> None:
        """Keep the saved arrays for the next call's :func:`minigrad.backend.buffer`, then release."""
        backend.give_back(self.__dict__, ("qa", "o"))
        super().release()

    def _scores(self, xp: Any, keys: Any, qt: Any, c0: int, out: Any) -> Any:
        r"""``keys @ qt[..., c0:]`` into ``out`` (slices, keys, queries from ``c0``). With ``causal``,
        ``c0`` is the block's first key, so key ``c0 + row`` comes after query ``c0 + column`` where
        row > column: :math:`-\infty` there."""
        s = xp.matmul(keys, qt[..., c0:], out=out)
        if self.causal:
            w = min(s.shape[-2], s.shape[-1])  # queries past the block's last key see all of it
            xp.copyto(s[..., :w], -xp.inf, where=xp.arange(s.shape[-2])[:, None] > xp.arange(w))
        return s

    def forward(self, q, k, v):
        xp = array_module(q)
        batch = tuple(numpy.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]))
        kf, vf = self._flatten(k, batch), self._flatten(v, batch)
        G, L, S, E, Ev = kf.shape[0], q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
        dtype, lag = q.dtype, self._lag(q.dtype)
        # [sQ, -m]: Q scaled once (L x E), not each block of scores; the last column ends as -lse. It and
        # O are saved for backward in reused buffers, given back by release()
        qa = self.qa = backend.buffer(xp, (G, L, E + 1), dtype)
        xp.multiply(q, dtype.type(self.scale), out=qa.reshape(batch + (L, E + 1))[..., :E])
        o = self.o = backend.buffer(xp, (G, L, Ev), dtype)
        out = xp.empty((G, L, Ev), dtype=dtype)  # the caller may change its output in place; backward reads o
        blocks, step = self._blocks(L, S), self._group(L, dtype.itemsize)
        scratch: dict = {}

        def run(part: slice) -> None:
            n_max = min(step, part.stop - part.start)
            take = self._scratch(xp, scratch, part, dtype)
            scores = take("scores", (n_max * self.block * L,))
            acc_all = take("acc", (n_max, L, Ev + 1))  # [O, l], before dividing by l
            products = take("products", (acc_all.size,))
            ka_all = take("ka", (n_max, self.block, E + 1))  # [K_j, 1]
            va_all = take("va", (n_max, self.block, Ev + 1))  # [V_j, 1]
            ka_all[..., E] = va_all[..., Ev] = 1
            for g0 in range(part.start, part.stop, step):
                g = slice(g0, min(g0 + step, part.stop))
                n = g.stop - g.start
                qg, kg, vg, acc = qa[g], kf[g], vf[g], acc_all[:n]
                qt, shift = xp.swapaxes(qg, -1, -2), qg[:, None, :, E]  # shift: -m, a row per slice
                shift[...] = 0
                for i, (j0, j1, c0) in enumerate(blocks):
                    w, Lc = j1 - j0, L - c0
                    ka, va = ka_all[:n, :w], va_all[:n, :w]
                    ka[..., :E] = kg[:, j0:j1]
                    va[..., :Ev] = vg[:, j0:j1]
                    p = self._scores(xp, ka, qt, c0, scores[: n * w * Lc].reshape(n, w, Lc))  # (S - m)^T
                    top = p.max(axis=-2, keepdims=True)
                    if i == 0:  # m starts at the first block's maxima
                        lift = top
                    elif xp is numpy and not (top > lag).any():  # (a host check: CPU only)
                        lift = None
                    else:
                        lift = xp.maximum(top, 0)
                    if lift is not None:
                        p -= lift
                        shift[..., c0:] -= lift
                        if i:
                            acc[:, c0:] *= xp.swapaxes(xp.exp(-lift), -1, -2)
                    xp.exp(p, out=p)
                    if i == 0:  # c0 = 0: every query
                        xp.matmul(xp.swapaxes(p, -1, -2), va, out=acc)
                    else:
                        acc[:, c0:] += xp.matmul(xp.swapaxes(p, -1, -2), va, out=products[: n * Lc * (Ev + 1)].reshape(n, Lc, Ev + 1))
                if blocks:
                    ell = acc[..., Ev:]
                    xp.divide(acc[..., :Ev], ell, out=o[g])
                    shift -= xp.swapaxes(xp.log(ell), -1, -2)  # -lse
                else:  # no key at all: a zero output, as PyTorch gives
                    o[g] = 0
                out[g] = o[g]

        backend.parallel_slices(xp, G, run)
        backend.give_back(scratch, list(scratch))
        self.q_shape, self.k, self.v = q.shape, k, v
        return out.reshape(batch + (L, Ev))

    def backward(self, go):
        xp = array_module(go)
        qa, o = self.qa, self.o
        batch = tuple(numpy.broadcast_shapes(self.q_shape[:-2], self.k.shape[:-2], self.v.shape[:-2]))
        kf, vf, gf = self._flatten(self.k, batch), self._flatten(self.v, batch), self._flatten(go, batch)
        G, L, S, E, Ev = qa.shape[0], qa.shape[1], kf.shape[1], qa.shape[2] - 1, vf.shape[2]
        dtype = qa.dtype
        dq = xp.empty((G, L, E), dtype=dtype)
        dk = xp.empty((G, S, E), dtype=dtype)
        dv = xp.empty((G, S, Ev), dtype=dtype)
        blocks, step = self._blocks(L, S), self._group(L, dtype.itemsize)
        seen = blocks[-1][1] if blocks else 0  # keys from here on meet no query (causal, S > L)
        scratch: dict = {}

        def run(part: slice) -> None:
            n_max = min(step, part.stop - part.start)
            take = self._scratch(xp, scratch, part, dtype)
            scores = take("scores", (n_max * self.block * L,))
            grads = take("grads", (scores.size,))
            products = take("products", (n_max * L * E,))
            ga_all = take("ga", (n_max, L, Ev + 1))  # [dO, -D]
            ka_all = take("ka", (n_max, self.block, E + 1))  # [K_j, 1]
            va_all = take("va", (n_max, self.block, Ev + 1))  # [V_j, 1]
            ka_all[..., E] = va_all[..., Ev] = 1
            for g0 in range(part.start, part.stop, step):
                g = slice(g0, min(g0 + step, part.stop))
                n = g.stop - g.start
                qg, kg, vg, ga = qa[g], kf[g], vf[g], ga_all[:n]
                ga[..., :Ev] = gf[g]
                # (not negated in place: NumPy 2.4's float32 negative from one strided view to another is wrong)
                xp.negative((ga[..., :Ev] * o[g]).sum(axis=-1), out=ga[..., Ev])
                qt, gt = xp.swapaxes(qg, -1, -2), xp.swapaxes(ga, -1, -2)
                dqg, dkg, dvg = dq[g], dk[g], dv[g]
                dkg[:, seen:] = 0
                dvg[:, seen:] = 0
                if not blocks:
                    dqg[...] = 0
                for i, (j0, j1, c0) in enumerate(blocks):
                    w, Lc = j1 - j0, L - c0
                    ka, va = ka_all[:n, :w], va_all[:n, :w]
                    ka[..., :E] = kg[:, j0:j1]
                    va[..., :Ev] = vg[:, j0:j1]
                    p = self._scores(xp, ka, qt, c0, scores[: n * w * Lc].reshape(n, w, Lc))  # (S - lse)^T
                    xp.exp(p, out=p)  # P_j^T
                    xp.matmul(p, ga[:, c0:, :Ev], out=dvg[:, j0:j1])
                    ds = xp.matmul(va, gt[..., c0:], out=grads[: n * w * Lc].reshape(n, w, Lc))  # (dO V^T - D)^T
                    ds *= p
                    if i == 0:  # c0 = 0: every query
                        xp.matmul(xp.swapaxes(ds, -1, -2), kg[:, j0:j1], out=dqg)
                    else:
                        dqg[:, c0:] += xp.matmul(xp.swapaxes(ds, -1, -2), kg[:, j0:j1], out=products[: n * Lc * E].reshape(n, Lc, E))
                    xp.matmul(ds, qg[:, c0:, :E], out=dkg[:, j0:j1])  # s dS^T Q: the scale is in qa
                dqg *= dtype.type(self.scale)  # the scale of S = s Q K^T, applied once to the sums

        backend.parallel_slices(xp, G, run)
        backend.give_back(scratch, list(scratch))
        return (sum_to_shape(dq.reshape(batch + (L, E)), self.q_shape), sum_to_shape(dk.reshape(batch + (S, E)), self.k.shape),
                sum_to_shape(dv.reshape(batch + (S, Ev)), self.v.shape))


def _attention_mask(op: str, attn_mask: Any, L: int, S: int, batch: tuple, dtype: Any) -> tuple:
    """Split a mask into (boolean 'take part' array, additive float array), checking its shape."""
    if attn_mask is None:
        return None, None
    try:
        numpy.broadcast_shapes(tuple(attn_mask.shape), batch + (L, S))
    except ValueError:
        raise ShapeError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} does not broadcast to the attention "
                         f"weights' shape {batch + (L, S)} (batch..., L, S)") from None
    if attn_mask.dtype == numpy.bool_:
        return attn_mask._data, None
    if attn_mask.dtype.kind == "f":
        return None, attn_mask._data.astype(dtype, copy=False)
    raise TypeError(f"{op}: attn_mask must be bool (True = take part) or float (added to the scores), got {attn_mask.dtype}")


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    return_weights: bool = False,
    impl: str = "hand",
    block_size: int = 256,
) -> Tensor | tuple:
    r""":math:`\mathrm{softmax}(Q K^\top / \sqrt{d} + M)\,V` with PyTorch's semantics.

    Args:
        query, key, value: ``(..., L, E)``, ``(..., S, E)``, ``(..., S, Ev)``; batch dimensions broadcast.
        attn_mask: bool (True = the key takes part) or float (added to the scores), broadcastable
            to ``(..., L, S)``.
        dropout_p: dropout on the attention weights.
        is_causal: mask out keys after the query position (``tril`` of an ``(L, S)`` matrix of ones).
        scale: the score scale, :math:`1/\sqrt E` by default.
        return_weights: (minigrad) also return the attention weights, for heatmaps and hand checks.
        impl: (minigrad) ``"hand"``: one op with the hand-derived backward (default); ``"autograd"``:
            composed of matmul/softmax ops, for teaching; ``"tiled"``: key blocks of ``block_size``
            with an online softmax, memory linear in the sequence length (no mask but ``is_causal``;
            on the CPU its batch slices run on :func:`minigrad.get_num_threads` threads).
            All agree to float64 round-off.

    Rows whose keys are all masked give zero weights and a zero output, as in PyTorch 2.13.
    """
    op = "scaled_dot_product_attention"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ShapeError(f"{op}: query, key and value need at least 2 dimensions, got {query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(f"{op}: query and key must have the same feature size, got query {query.shape} and key {key.shape}")
    if key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{op}: key and value must have the same sequence length, got key {key.shape} and value {value.shape}")
    if impl not in ("hand", "autograd", "tiled"):
        raise ValueError(f"{op}: impl must be 'hand', 'autograd' or 'tiled', got {impl!r}")
    if impl == "tiled" and (isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1):
        raise ValueError(f"{op}: block_size must be a positive integer, got {block_size!r}")
    if impl == "tiled" and (attn_mask is not None or dropout_p > 0 or return_weights):
        raise ValueError(f"{op}: impl='tiled' supports is_causal but not attn_mask, dropout or return_weights "
                         f"(it never forms the weights)")
    L, S = query.shape[-2], key.shape[-2]
    batch = tuple(numpy.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2]))
    if is_causal and impl != "tiled":
        if attn_mask is not None:
            raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
        attn_mask = Tensor(query.device.xp.tril(query.device.xp.ones((L, S), dtype=bool)), query.device)
    allowed, additive = _attention_mask(op, attn_mask, L, S, batch, query.dtype)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    keep = None
    if dropout_p > 0:
        g = backend.generator(query.device)
        keep = (g.random(batch + (L, S), dtype=query.dtype) >= dropout_p).astype(query.dtype) / (1 - dropout_p)
    q, k = ops.common.binary_operands(op, query, key)
    q, v = ops.common.binary_operands(op, q, value)
    if impl == "tiled":
        return TiledAttention(scale, is_causal, block_size).apply(q, k, v)
    if impl == "hand":
        out, weights = ScaledDotProductAttention(scale, additive, allowed, keep, safe=True).apply(q, k, v)
    else:
        out, weights = _attention_composed(q, k, v, scale, additive, allowed, keep)
    return (out, weights) if return_weights else out


def _attention_composed(q: Tensor, k: Tensor, v: Tensor, scale: float, additive: Any, allowed: Any, keep: Any) -> tuple:
    """The same attention written with ordinary ops, so autograd derives its backward (for teaching)."""
    dev = q.device
    s = (q @ k.transpose(-2, -1)) * scale
    if additive is not None:
        s = s + Tensor(additive, dev)
    if allowed is not None:
        s = s.masked_fill(~Tensor(allowed, dev), float("-inf"))
    dead = ops.all(s == float("-inf"), dim=-1, keepdim=True)  # rows with no key to attend to
    p = softmax(ops.where(dead, 0.0, s), -1).masked_fill(dead, 0.0)
    if keep is not None:
        p = p * Tensor(keep, dev)
    return p @ v, p


def __getattr__(name: str) -> object:
    # PyTorch names left out on purpose get an error that says why (see minigrad.compat)
    from .. import compat as _compat

    raise _compat.unsupported(__name__, name)
