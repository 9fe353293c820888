"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""
from __future__ import annotations

import itertools
import math
import weakref
from typing import Any, Callable, Iterable

from ..backend import array_module
from ..tensor import Tensor
from .optimizer import Optimizer

# Parameters up to this many elements share flat state arrays (see _Pack): for them NumPy's per-call
# overhead outweighs gathering their gradients into one array and scattering the change back.
_PACKED_MAX_SIZE = 1 << 14


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            small = []
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p._data.size <= _PACKED_MAX_SIZE:
                    small.append(p)
                else:
                    self._step_one(group, p)
            if small and not self._step_packed(group, small):
                for p in small:
                    self._step_one(group, p)
        return loss

    def _step_one(self, group: dict, p: Any) -> None:
        """One parameter's step on its own state arrays."""
        xp = p.device.xp
        st = self.state.setdefault(p, {})
        st["step"] = step = st.get("step", 0.0) + 1
        m = self._state_array(p, "exp_avg", lambda: xp.zeros_like(p._data))
        v = self._state_array(p, "exp_avg_sq", lambda: xp.zeros_like(p._data))
        vmax = self._state_array(p, "max_exp_avg_sq", lambda: xp.zeros_like(p._data)) if group["amsgrad"] else None
        scratch = self.__dict__.setdefault("_scratch", {})
        bufs = scratch.get(id(p))
        if bufs is None or bufs[0].shape != p._data.shape or bufs[0].dtype != p._data.dtype:
            bufs = scratch[id(p)] = (xp.empty_like(p._data), xp.empty_like(p._data))
        if self.decoupled:
            p._data *= 1 - float(group["lr"]) * group["weight_decay"]
        update = self._update(group, step, p.grad._data, p._data, m, v, vmax, *bufs)
        p._data += update
        p._bump_version()

    def _step_packed(self, group: dict, params: list) -> bool:
        """The step of many small parameters at once, on one flat array per state (``_Pack``): each NumPy
        call then costs its overhead once per group instead of once per parameter. False (nothing done)
        where the parameters are at different steps or of different dtypes."""
        states = [self.state.setdefault(p, {}) for p in params]
        steps = {st.get("step", 0.0) for st in states}
        if len(steps) > 1 or len({p._data.dtype for p in params}) > 1:
            return False
        keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
        packs = self.__dict__.setdefault("_packs", {})
        pack = packs.get(id(group["params"]))
        if pack is None or not pack.holds(params, states, keys):
            pack = packs[id(group["params"])] = _Pack(params, states, keys)
        step = steps.pop() + 1
        for st in states:
            st["step"] = step
        xp, wd = params[0].device.xp, group["weight_decay"]
        theta = None
        if self.decoupled:
            for p in params:
                p._data *= 1 - float(group["lr"]) * wd
        elif wd != 0:
            theta = xp.concatenate([p._data.reshape(-1) for p in params], out=pack.theta)
        g = xp.concatenate([p.grad._data.reshape(-1) for p in params], out=pack.g)
        m, v, *vmax = pack.flat
        update = self._update(group, step, g, theta, m, v, vmax[0] if vmax else None, pack.t1, pack.t2)
        for p, (lo, hi) in zip(params, pack.spans):
            p._data += update[lo:hi].reshape(p._data.shape)
            p._bump_version()
        return True

    def _update(self, group: dict, step: float, g: Any, theta: Any, m: Any, v: Any, vmax: Any, t1: Any, t2: Any) -> Any:
        """Update the moments ``m``, ``v`` (and ``vmax``) in place from the gradient ``g`` and return the
        parameters' change (in ``t2``). In place through two scratch buffers: large temporaries would cost
        page faults every step. The operations and their order are PyTorch's (lerp, addcmul, addcdiv)."""
        xp = array_module(g)
        lr, (b1, b2), eps, wd = float(group["lr"]), group["betas"], group["eps"], group["weight_decay"]  # lr may be a 0-d tensor
        if group["maximize"]:
            g = -g
        if wd != 0 and not self.decoupled:
            g = g + wd * theta
        xp.subtract(g, m, out=t1)
        t1 *= 1 - b1
        m += t1  # m + (1 - b1)(g - m)
        v *= b2
        xp.multiply(g, 1 - b2, out=t1)
        t1 *= g
        v += t1  # b2 v + ((1 - b2) g) g
        bc1 = 1 - b1**step
        bc2_sqrt = math.sqrt(1 - b2**step)
        if vmax is not None:
            xp.maximum(vmax, v, out=vmax)
            xp.sqrt(vmax, out=t1)
        else:
            xp.sqrt(v, out=t1)
        t1 /= bc2_sqrt
        t1 += eps  # denominator
        xp.multiply(m, -lr / bc1, out=t2)
        t2 /= t1
        return t2


class _Pack:
    """Adam's state for a list of small parameters as flat arrays: ``flat`` holds ``exp_avg``, ``exp_avg_sq``
    (and ``max_exp_avg_sq``) of all of them end to end, and each parameter's state tensors are views into
    them, so ``optimizer.state`` and ``state_dict`` look as with one array per parameter. ``g``, ``theta``,
    ``t1`` and ``t2`` are flat scratch buffers (gradients, parameters, temporaries)."""

    def __init__(self, params: list, states: list, keys: tuple) -> None:
        xp, dtype = params[0].device.xp, params[0].dtype
        sizes = [p._data.size for p in params]
        ends = list(itertools.accumulate(sizes))
        self.keys, self.spans = keys, [(hi - n, hi) for n, hi in zip(sizes, ends)]
        self.params = [weakref.ref(p) for p in params]
        self.flat = [xp.zeros(ends[-1], dtype=dtype) for _ in keys]
        self.views = []  # per parameter, its state arrays: views into ``flat``
        for p, st, (lo, hi) in zip(params, states, self.spans):
            views = [flat[lo:hi].reshape(p._data.shape) for flat in self.flat]
            for key, view in zip(keys, views):
                if key in st:  # state of earlier steps or of a loaded state dict moves into the pack
                    view[...] = st[key]._data
                st[key] = Tensor(view, p.device)
            self.views.append(views)
        self.g, self.theta, self.t1, self.t2 = (xp.empty(ends[-1], dtype=dtype) for _ in range(4))

    def holds(self, params: list, states: list, keys: tuple) -> bool:
        """Whether this pack is these parameters' state as they are now: the same parameters and shapes,
        and state tensors that still hold its views (``load_state_dict`` replaces them)."""
        if keys != self.keys or len(params) != len(self.params):
            return False
        for p, ref, st, (lo, hi), views in zip(params, self.params, states, self.spans, self.views):
            if ref() is not p or p._data.size != hi - lo:
                return False
            for key, view in zip(keys, views):
                t = st.get(key)
                if t is None or t._data is not view:
                    return False
        return True


class AdamW(Adam):
    r"""Adam with decoupled weight decay: :math:`\theta \leftarrow \theta (1 - \eta\lambda)` before the Adam
    step, instead of adding :math:`\lambda\theta` to the gradient. Default :math:`\lambda = 0.01`."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
