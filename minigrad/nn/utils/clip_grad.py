"""Gradient clipping, in place on ``.grad``, as ``torch.nn.utils``."""
from __future__ import annotations

import math
from typing import Iterable

import numpy

from ... import backend
from ...autograd import no_grad
from ...tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def _vector_norm(xp, a, p: float):
    r""":math:`\|a\|_p` over every element, as ``torch.linalg.vector_norm``: the largest (:math:`p = \infty`)
    or smallest (:math:`p = -\infty`) magnitude, the count of nonzeros (:math:`p = 0`), else
    :math:`(\sum |a_i|^p)^{1/p}`."""
    if p == math.inf:
        return xp.abs(a).max()
    if p == -math.inf:
        return xp.abs(a).min()
    if p == 0:
        return (a != 0).sum().astype(a.dtype)
    return (xp.abs(a) ** p).sum() ** (1.0 / p)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float | Tensor, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is :math:`\|(\|g_1\|_p, \ldots, \|g_n\|_p)\|_p` for any order :math:`p`, ``inf`` and
    ``-inf`` (the largest and smallest magnitude) and 0 (the number of nonzeros) included; as PyTorch,
    the gradients' norms are stacked in their promoted dtype (float32 and float64 gradients give a
    float64 total). Every gradient is multiplied by :math:`\min(1, \mathrm{max\_norm} / (\mathrm{total} + 10^{-6}))`.
    ``max_norm`` may be a number or a 0-d tensor; ``norm_type`` a number or a string such as ``'inf'``.

    Returns:
        The total norm before clipping (a 0-d tensor), e.g. to plot gradient norms over training.
    """
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"clip_grad_norm_: norm_type must be a number or 'inf', got {norm_type!r}") from None
    params = _with_grads(parameters)
    if not params:
        return Tensor(backend.CPU.xp.zeros((), dtype=backend.get_default_dtype()), backend.CPU)
    devs = {p.device for p in params}
    if len(devs) > 1:
        raise RuntimeError(f"clip_grad_norm_: gradients are on several devices {sorted(map(str, devs))}")
    dev = params[0].device
    xp = dev.xp
    dtype = params[0].grad.dtype
    for q in params[1:]:
        dtype = backend.promote_types(dtype, q.grad.dtype)
    g = [q.grad._data for q in params if q.grad._data.size]
    # on the device throughout, as a 0-d array: a Python float per parameter would make the host wait for the GPU
    if not g:
        total = xp.zeros((), dtype=dtype)
    else:
        total = _vector_norm(xp, xp.stack([xp.asarray(_vector_norm(xp, a, p), dtype=dtype) for a in g]), p)
    total = xp.asarray(total, dtype=dtype)  # NumPy reductions give scalars; a tensor holds an array
    if error_if_nonfinite:  # asked for: the host needs the value
        value = float(backend.to_device(total, backend.CPU))
        if not math.isfinite(value):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {value}; "
                               f"pass error_if_nonfinite=False to clip anyway")
    if isinstance(max_norm, Tensor):
        max_norm = max_norm._data if max_norm.device == dev else backend.to_device(max_norm._data, dev)
    with numpy.errstate(divide="ignore"):
        coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for q in params:
            q.grad.mul_(Tensor(xp.asarray(coef, dtype=q.grad.dtype), dev))
    return Tensor(total, dev)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``."""
    with no_grad():
        for p in _with_grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)
