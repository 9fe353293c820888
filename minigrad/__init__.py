"""minigrad: a small reverse-mode autograd engine over n-d arrays, with PyTorch's API.

``import minigrad as torch`` runs much PyTorch teaching code unchanged. Data
lives in NumPy arrays (``device="cpu"``, the default) or CuPy arrays
(``device="cuda"``); see :mod:`minigrad.backend`.
"""
import builtins

from . import analysis, autograd, backend, compat, creation, ops, testing
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device,
    Generator,
    bool_,
    cuda_device_count,
    cuda_is_available,
    device,
    dtype,
    float16,
    float32,
    float64,
    get_default_device,
    get_default_dtype,
    get_num_threads,
    int8,
    int16,
    int32,
    int64,
    manual_seed,
    set_default_device,
    set_default_dtype,
    set_num_threads,
    uint8,
)
from .creation import (
    arange, as_tensor, empty, eye, from_numpy, full, full_like, linspace, multinomial, normal, ones, ones_like, rand,
    rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .ops import (
    DTypeError, ShapeError, abs, add, all, allclose, amax, amin, any, argmax, argmin, bitwise_and, bitwise_not,
    bitwise_or, bitwise_xor, bmm, broadcast_to, cat, chunk, clamp,
    clip, cos, clone, cumsum, div, eq, equal, exp, flatten, flip, floor_divide, gather, ge, gt, index_select, isfinite, isnan, le,
    log, log1p, log_softmax, logical_and, logical_not, logical_or, logical_xor, logsumexp, lt, masked_fill, masked_select,
    matmul, max, maximum, mean, min, minimum, mm, mul, narrow, ne, neg, nonzero, one_hot, permute, pow, relu,
    remainder, repeat_interleave, reshape, scatter, scatter_add, sigmoid, sin, sinh, cosh, softmax, split, sqrt, squeeze, stack, std, sub, sum, tanh, topk,
    transpose, tril, triu, unflatten, unsqueeze, var, where, sort, argsort, meshgrid,
)
from .serialization import CheckpointError, load, save
from .tensor import Size, Tensor, is_tensor, numel
from .tracing import trace

from . import amp, backends, nn, onnx, optim, utils  # noqa: E402  (they build on everything above)

import inspect as _inspect  # noqa: E402

# PyTorch's ops take axis= for dim= and keepdims= for keepdim= (torch.cat(xs, axis=1), x.sum(axis=0))
for _name, _f in list(globals().items()):
    if _inspect.isfunction(_f) and _f.__module__.startswith("minigrad.ops"):
        globals()[_name] = ops.common.numpy_names(_f)
for _name, _f in list(vars(Tensor).items()):
    if _inspect.isfunction(_f) and not _name.startswith("_"):
        setattr(Tensor, _name, ops.common.numpy_names(_f))
del _name, _f, _inspect

autocast = amp.autocast
globals().update(creation.LEGACY_TYPES)  # FloatTensor, LongTensor, ... (PyTorch's typed tensor classes)

concat = concatenate = cat  # PyTorch's aliases (d2l's ``concat = torch.cat``)
float = float32  # noqa: A001 (PyTorch's aliases)
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
bool = bool_  # noqa: A001


class cuda:  # noqa: N801 (mirrors the torch.cuda namespace)
    """``minigrad.cuda.is_available()``, ``device_count()``, ``manual_seed``/``manual_seed_all``, as in ``torch.cuda``."""

    is_available = staticmethod(cuda_is_available)
    device_count = staticmethod(cuda_device_count)

    @staticmethod
    def manual_seed(seed: builtins.int) -> None:
        """Seed the CUDA streams: :func:`minigrad.manual_seed` seeds every device at once, so this calls it."""
        manual_seed(seed)

    manual_seed_all = manual_seed


cuda.amp = amp  # torch.cuda.amp.GradScaler(enabled=False) in course code

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # PyTorch names left out on purpose get an error that says why (see minigrad.compat)
    raise compat.unsupported(__name__, name)
