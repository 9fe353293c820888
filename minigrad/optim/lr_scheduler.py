"""Learning-rate schedules: ``StepLR``, ``LambdaLR`` and the warm-up schedule of "Attention Is All You Need"."""
from __future__ import annotations

from typing import Callable

from .optimizer import Optimizer


class LRScheduler:
    """Base class: ``step()`` once per epoch (or per iteration) sets every group's ``lr`` from ``get_lr()``.

    As in PyTorch, constructing a scheduler performs step 0, so the optimizer's first step uses the
    schedule's first value.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, g in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                g.setdefault("initial_lr", g["lr"])
            elif "initial_lr" not in g:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (and, as in PyTorch, not the lambdas of ``LambdaLR``)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs: :math:`\eta_t = \eta_0\,\gamma^{\lfloor t/s \rfloor}`."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        # chained, as PyTorch computes it, so the values agree to the last bit
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    r""":math:`\eta_t = \eta_0 \cdot \lambda(t)` for a function (or one function per group) :math:`\lambda`."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list, last_epoch: int = -1) -> None:
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class NoamLR(LRScheduler):
    r"""The warm-up schedule of Vaswani et al. (2017), Eq. 3, scaled by the optimizer's ``lr``:

    .. math:: \eta_s = \eta_0 \cdot d_{\mathrm{model}}^{-1/2} \cdot \min\!\big(s^{-1/2},\ s \cdot w^{-3/2}\big), \quad s = t + 1,

    rising linearly for :math:`w` = ``warmup_steps`` steps, then decaying as :math:`1/\sqrt s`.
    Give the optimizer ``lr=1.0`` for the paper's values. Not in PyTorch (which spells it as a
    ``LambdaLR``); step it once per training step.
    """

    def __init__(self, optimizer: Optimizer, d_model: int, warmup_steps: int = 4000, last_epoch: int = -1) -> None:
        if d_model <= 0 or warmup_steps <= 0:
            raise ValueError(f"NoamLR: d_model and warmup_steps must be positive, got {d_model} and {warmup_steps}")
        self.d_model, self.warmup_steps = d_model, warmup_steps
        super().__init__(optimizer, last_epoch)

    def factor(self, step: int) -> float:
        """The multiplier of the base learning rate at optimizer step ``step`` (counted from 1)."""
        return self.d_model**-0.5 * min(step**-0.5, step * self.warmup_steps**-1.5)

    def get_lr(self) -> list:
        return [base * self.factor(self.last_epoch + 1) for base in self.base_lrs]


