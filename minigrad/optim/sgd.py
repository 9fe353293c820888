"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, required


class SGD(Optimizer):
    r"""PyTorch's SGD. With :math:`g = \nabla_\theta + \lambda\theta` (weight decay :math:`\lambda`):

    .. math::
        b_t = \mu\, b_{t-1} + (1 - \tau)\, g \quad (b_1 = g), \qquad
        \theta \leftarrow \theta - \eta \cdot \begin{cases} g + \mu b_t & \text{nesterov} \\ b_t & \text{otherwise}\end{cases}

    and plain :math:`\theta \leftarrow \theta - \eta g` when :math:`\mu = 0`.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        if lr is not required and lr < 0:
            raise ValueError(f"SGD: invalid learning rate {lr} (must be >= 0)")
        if momentum < 0:
            raise ValueError(f"SGD: invalid momentum {momentum} (must be >= 0)")
        if weight_decay < 0:
            raise ValueError(f"SGD: invalid weight_decay {weight_decay} (must be >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, mu, tau, wd = float(group["lr"]), group["momentum"], group["dampening"], group["weight_decay"]  # lr may be a 0-d tensor
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad._data if group["maximize"] else p.grad._data
                if wd != 0:
                    g = g + wd * p._data
                if mu != 0:
                    st = self.state.setdefault(p, {})
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        st["momentum_buffer"] = buf = Tensor(g.copy(), p.device)
                    else:
                        buf._data *= mu
                        buf._data += (1 - tau) * g
                    g = g + mu * buf._data if group["nesterov"] else buf._data
                p._data -= lr * g
                p._bump_version()
        return loss
