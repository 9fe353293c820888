"""``minigrad.amp``: mixed precision is not supported; its disabled forms are accepted so that code which
turns it off (nanoGPT on a CPU: ``GradScaler(enabled=False)``, ``autocast(..., enabled=False)``) runs.

A disabled :class:`GradScaler` passes everything through (``scale(loss)`` is ``loss``, ``step(opt)`` is
``opt.step()``); a disabled or float32/float64 :func:`autocast` changes nothing. Asking for float16 or
bfloat16 autocasting, or an enabled scaler, raises :class:`~minigrad.compat.UnsupportedError`.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy

from .compat import DOC, UnsupportedError


def _refuse(what: str) -> UnsupportedError:
    return UnsupportedError(
        f"minigrad.amp.{what}: mixed precision is not supported by minigrad; compute in float32 or float64 "
        f"(pass enabled=False, as code meant for CPUs does). See {DOC}."
    )


class GradScaler:
    """PyTorch's loss scaler, accepted only with ``enabled=False`` (then every method passes through)."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        if enabled:
            raise _refuse("GradScaler(enabled=True)")

    def scale(self, outputs: Any) -> Any:
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        pass

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        pass

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return False

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass


@contextlib.contextmanager
def autocast(device_type: str = "cuda", dtype: Any = None, enabled: bool = True, cache_enabled: Any = None) -> Iterator[None]:
    """Accepted when it would change nothing: ``enabled=False``, or ``dtype`` float32/float64."""
    if enabled and (dtype is None or numpy.dtype(dtype) not in (numpy.float32, numpy.float64)):
        raise _refuse(f"autocast(dtype={dtype})")
    yield
