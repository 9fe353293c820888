"""``minigrad.optim``: optimizers and learning-rate schedules with PyTorch's API."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LBFGS", "lr_scheduler"]


def __getattr__(name: str) -> object:
    # PyTorch names left out on purpose get an error that says why (see minigrad.compat)
    from .. import compat as _compat

    raise _compat.unsupported(__name__, name)
