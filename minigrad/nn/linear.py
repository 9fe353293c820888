"""``Identity``, ``Linear``, and ``NonDynamicallyQuantizableLinear`` (at PyTorch's path, ``torch.nn.modules.linear``)."""
from __future__ import annotations

import math
from typing import Any

from .. import creation
from ..ops.common import ShapeError
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder that keeps a model's structure)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    r"""Affine map :math:`y = x W^\top + b`.

    ``weight`` has shape ``(out_features, in_features)`` (PyTorch's layout) and, like ``bias``, starts
    from :math:`\mathcal U(-1/\sqrt{\mathrm{in}}, 1/\sqrt{\mathrm{in}})`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(-1/sqrt(in), 1/sqrt(in))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        shape = input._data.shape  # a plain tuple (Tensor.shape builds a Size): this runs on every call
        if not shape or shape[-1] != self.in_features:
            raise ShapeError(f"{self!r}: expected input with last dimension {self.in_features}, got shape {tuple(input.shape)}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear``; the name is PyTorch's for ``MultiheadAttention.out_proj`` (kept so that ``repr`` and
    ``torch.serialization.add_safe_globals([torch.nn.modules.linear.NonDynamicallyQuantizableLinear])`` match)."""
