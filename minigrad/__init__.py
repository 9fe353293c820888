"""minigrad: a small reverse-mode autograd engine over n-d arrays, with PyTorch's API.

``import minigrad as torch`` runs much PyTorch teaching code unchanged. Data
lives in NumPy arrays (``device="cpu"``, the default) or CuPy arrays
(``device="cuda"``); see :mod:`minigrad.backend`.
"""
from . import analysis, autograd, backend, ops, testing
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device,
    Generator,
    bool_,
    cuda_is_available,
    device,
    float32,
    float64,
    get_default_device,
    get_default_dtype,
    int32,
    int64,
    manual_seed,
    set_default_device,
    set_default_dtype,
)
from .creation import (
    arange, as_tensor, empty, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand, rand_like,
    randint, randn, randn_like, tensor, zeros, zeros_like,
)
from .ops import (
    ShapeError, abs, add, all, amax, amin, any, argmax, argmin, bmm, broadcast_to, cat, chunk, clamp, clip, cos,
    clone, div, eq, exp, flatten, gather, ge, gt, isfinite, isnan, le, log, log1p, log_softmax, logical_and,
    logical_not, logical_or, logical_xor, logsumexp, lt, masked_fill, matmul, max, maximum, mean, min,
    minimum, mm, mul, ne, neg, one_hot, permute, pow, relu, reshape, sigmoid, sin, softmax, split, sqrt,
    squeeze, stack, std, sub, sum, tanh, transpose, tril, triu, unsqueeze, var, where,
)
from .serialization import CheckpointError, load, save
from .tensor import Tensor
from .tracing import trace

from . import nn, optim, utils  # noqa: E402  (they build on everything above)

float = float32  # noqa: A001 (PyTorch's aliases)
double = float64
long = int64
bool = bool_  # noqa: A001


class cuda:  # noqa: N801 (mirrors the torch.cuda namespace)
    """``minigrad.cuda.is_available()``, as ``torch.cuda.is_available()``."""

    is_available = staticmethod(cuda_is_available)


__version__ = "0.1.0"
