"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from .optimizer import Optimizer


class Adam(Optimizer):
    r"""Adam, step :math:`t` for each parameter, with :math:`g = \nabla_\theta + \lambda\theta`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2, \\
        \theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    (``amsgrad`` uses the running maximum of :math:`v_t`). The floating-point operations are done in
    PyTorch's order, so float64 trajectories agree to round-off.
    """

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False) -> None:
        name = type(self).__name__
        if lr < 0:
            raise ValueError(f"{name}: invalid learning rate {lr} (must be >= 0)")
        if eps < 0:
            raise ValueError(f"{name}: invalid epsilon {eps} (must be >= 0)")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"{name}: invalid betas {betas} (each must be in [0, 1))")
        if weight_decay < 0:
            raise ValueError(f"{name}: invalid weight_decay {weight_decay} (must be >= 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))

    def _scratch(self, p: Any) -> tuple:
        bufs = self.__dict__.setdefault("_buffers", {})
        pair = bufs.get(id(p))
        if pair is None or pair[0].shape != p._data.shape or pair[0].dtype != p._data.dtype:
            xp = p.device.xp
            pair = bufs[id(p)] = (xp.empty_like(p._data), xp.empty_like(p._data))
        return pair

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp = p.device.xp
                g = -p.grad._data if group["maximize"] else p.grad._data
                if self.decoupled:
                    p._data *= 1 - lr * wd
                elif wd != 0:
                    g = g + wd * p._data
                st = self.state.setdefault(p, {})
                st["step"] = step = st.get("step", 0.0) + 1
                m = self._state_array(p, "exp_avg", lambda: xp.zeros_like(p._data))
                v = self._state_array(p, "exp_avg_sq", lambda: xp.zeros_like(p._data))
                # In place through two scratch buffers: large temporaries would cost page faults every
                # step. The operations and their order are PyTorch's (lerp, addcmul, addcdiv).
                t1, t2 = self._scratch(p)
                xp.subtract(g, m, out=t1)
                t1 *= 1 - b1
                m += t1  # m + (1 - b1)(g - m)
                v *= b2
                xp.multiply(g, 1 - b2, out=t1)
                t1 *= g
                v += t1  # b2 v + ((1 - b2) g) g
                bc1 = 1 - b1**step
                bc2_sqrt = math.sqrt(1 - b2**step)
                if group["amsgrad"]:
                    vmax = self._state_array(p, "max_exp_avg_sq", lambda: xp.zeros_like(p._data))
                    xp.maximum(vmax, v, out=vmax)
                    xp.sqrt(vmax, out=t1)
                else:
                    xp.sqrt(v, out=t1)
                t1 /= bc2_sqrt
                t1 += eps  # denominator
                xp.multiply(m, -lr / bc1, out=t2)
                t2 /= t1
                p._data += t2
                p._bump_version()
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay: :math:`\theta \leftarrow \theta (1 - \eta\lambda)` before the Adam
    step, instead of adding :math:`\lambda\theta` to the gradient. Default :math:`\lambda = 0.01`."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
