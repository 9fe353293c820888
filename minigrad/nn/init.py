r"""Weight initialisation, in place and without recording gradients, with PyTorch's formulas.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``,
:math:`\mathrm{fan_{in}} = \mathrm{in}\cdot\prod\mathrm{kernel}`,
:math:`\mathrm{fan_{out}} = \mathrm{out}\cdot\prod\mathrm{kernel}`.
Random draws come from the tensor's device generator (see :func:`minigrad.manual_seed`).
"""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor


def _fill(t: Tensor, data: object) -> Tensor:
    with no_grad():
        t.copy_(Tensor(data, t.device))
    return t


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The gain that keeps activations' variance: 1 for linear/sigmoid, 5/3 for tanh, :math:`\sqrt2` for ReLU,
    :math:`\sqrt{2/(1+a^2)}` for leaky ReLU with slope :math:`a` (default 0.01)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + a**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(t: Tensor) -> tuple:
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape {t.shape})")
    receptive = 1
    for n in t.shape[2:]:
        receptive *= n
    return t.shape[1] * receptive, t.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of :math:`\\mathcal U(a, b)`."""
    g = backend.generator(tensor.device)
    return _fill(tensor, g.random(tensor.shape, dtype=backend.float64) * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of :math:`\\mathcal N(\\mathrm{mean}, \\mathrm{std}^2)`."""
    g = backend.generator(tensor.device)
    return _fill(tensor, g.standard_normal(tensor.shape, dtype=backend.float64) * std + mean)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r""":math:`\mathcal U(-a, a)` with :math:`a = \mathrm{gain}\sqrt{6/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r""":math:`\mathcal N(0, \sigma^2)` with :math:`\sigma = \mathrm{gain}\sqrt{2/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _no_elements(tensor: Tensor) -> bool:
    """A tensor with a zero dimension has no fan to scale by: PyTorch warns and leaves it, and so do we."""
    if tensor._data.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    r""":math:`\mathcal U(-b, b)` with :math:`b = \mathrm{gain}\sqrt{3/\mathrm{fan}}` (He et al., 2015)."""
    if _no_elements(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    r""":math:`\mathcal N(0, \sigma^2)` with :math:`\sigma = \mathrm{gain}/\sqrt{\mathrm{fan}}`."""
    if _no_elements(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    r"""A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix, signs fixed so the
    distribution is uniform (Saxe et al., 2013); dimensions after the first are flattened."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {tensor.shape}")
    rows = tensor.shape[0]
    cols = tensor._data.size // rows
    xp = tensor.device.xp
    flat = backend.generator(tensor.device).standard_normal((rows, cols), dtype=backend.float64)
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))
