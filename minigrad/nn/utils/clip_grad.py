"""Gradient clipping, in place on ``.grad``, as ``torch.nn.utils``."""
from __future__ import annotations

import math
from typing import Iterable

from ... import backend
from ...autograd import no_grad
from ...tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is :math:`\|(\|g_1\|_p, \ldots, \|g_n\|_p)\|_p`; every gradient is multiplied by
    :math:`\min(1, \mathrm{max\_norm} / (\mathrm{total} + 10^{-6}))`.

    Returns:
        The total norm before clipping (a 0-d tensor), e.g. to plot gradient norms over training.
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor(backend.CPU.xp.zeros((), dtype=backend.get_default_dtype()), backend.CPU)
    devs = {p.device for p in params}
    if len(devs) > 1:
        raise RuntimeError(f"clip_grad_norm_: gradients are on several devices {sorted(map(str, devs))}")
    dev, dtype = params[0].device, params[0].grad.dtype
    xp = dev.xp
    g = [p.grad._data for p in params if p.grad._data.size]
    # on the device throughout, as a 0-d array: a Python float per parameter would make the host wait for the GPU
    if not g:
        total = xp.zeros((), dtype=dtype)
    elif norm_type == math.inf:
        total = xp.stack([xp.abs(a).max() for a in g]).max()
    else:
        total = xp.stack([(xp.abs(a) ** norm_type).sum() for a in g]).sum() ** (1.0 / norm_type)
    total = xp.asarray(total, dtype=dtype)  # NumPy reductions give scalars; a tensor holds an array
    if error_if_nonfinite:  # asked for: the host needs the value
        value = float(backend.to_device(total, backend.CPU))
        if not math.isfinite(value):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {value}; "
                               f"pass error_if_nonfinite=False to clip anyway")
    coef = Tensor(xp.asarray(xp.minimum(max_norm / (total + 1e-6), 1.0), dtype=dtype), dev)
    with no_grad():
        for p in params:
            p.grad.mul_(coef)
    return Tensor(total, dev)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``."""
    with no_grad():
        for p in _with_grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)
