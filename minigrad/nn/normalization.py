"""``LayerNorm`` and ``BatchNorm1d``."""
from __future__ import annotations

from typing import Any, Sequence

from .. import backend, creation
from ..ops.common import ShapeError
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter


class LayerNorm(Module):
    r""":math:`y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \odot \gamma + \beta` over the trailing
    ``normalized_shape`` dimensions; :math:`\gamma` (``weight``) starts at 1, :math:`\beta` (``bias``) at 0."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine, self.has_bias = eps, elementwise_affine, bias
        if elementwise_affine:
            self.weight = Parameter(creation.ones(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(creation.zeros(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        shape = input._data.shape  # a plain tuple (Size's slicing runs in Python)
        if shape[len(shape) - n:] != self.normalized_shape or len(shape) < n:
            raise ShapeError(f"{self!r}: expected input whose last dimensions are {self.normalized_shape}, got shape {tuple(input.shape)}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, bias={self.has_bias}"


class BatchNorm1d(Module):
    r"""Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input (:func:`~minigrad.nn.functional.batch_norm`).

    In training mode it normalises with the batch's statistics and updates ``running_mean`` and
    ``running_var`` (buffers, saved in the ``state_dict`` with ``num_batches_tracked``, as PyTorch) by
    ``momentum`` (``None``: the cumulative average, :math:`m = 1/\text{batches}`); in eval mode it uses them.
    ``weight`` (:math:`\gamma`) starts at 1 and ``bias`` (:math:`\beta`) at 0 when ``affine`` (and ``bias``).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self.has_bias = affine, track_running_stats, affine and bias
        kw = dict(device=device, dtype=dtype)
        if affine:
            self.weight = Parameter(creation.ones(num_features, **kw))
        else:
            self.register_parameter("weight", None)
        if self.has_bias:
            self.bias = Parameter(creation.zeros(num_features, **kw))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **kw))
            self.register_buffer("running_var", creation.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked", creation.zeros((), dtype=backend.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data.zero_()
            self.running_var.data.fill_(1)
            self.num_batches_tracked.data.zero_()

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (2, 3):
            raise ValueError(f"{self!r}: expected 2D or 3D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ShapeError(f"{self!r}: expected input with {self.num_features} channels on dim 1, got shape {tuple(input.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data.add_(1)
            if self.momentum is None:
                momentum = 1.0 / int(self.num_batches_tracked.item())
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.has_bias}, track_running_stats={self.track_running_stats}")
