"""``Dropout``."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    r"""During training, zeroes each element with probability :math:`p` and scales the others by
    :math:`1/(1-p)` (Srivastava et al., 2014); in ``eval()`` mode it is the identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability must be between 0 and 1, got {p}")
        self.p = p
        self.inplace = inplace  # accepted for PyTorch compatibility; minigrad always returns a new tensor

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
