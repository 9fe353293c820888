"""The workloads. Each returns ``(description, minigrad_fn, torch_fn or None, notes)``, the functions
doing the same work on the same data; ``quick`` selects small sizes for the test suite."""
from __future__ import annotations

from typing import Callable

import numpy as np

import minigrad as mg

try:
    import torch
except ImportError:  # the suite still runs, minigrad alone
    torch = None


def op_overhead(quick: bool) -> tuple:
    """Per-op engine overhead: forward+backward of (a + b).sum() on (4, 4) float32 tensors."""
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((4, 4), dtype=np.float32), rng.standard_normal((4, 4), dtype=np.float32)
    a, b = mg.tensor(a0, requires_grad=True), mg.tensor(b0, requires_grad=True)

    def run_mg():
        a.grad = b.grad = None
        (a + b).sum().backward()

    run_torch = None
    if torch is not None:
        ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)

        def run_torch():
            ta.grad = tb.grad = None
            (ta + tb).sum().backward()

    return "forward+backward of `(a + b).sum()`, a, b of shape (4, 4), float32 (2 ops)", run_mg, run_torch, {}


def _chain(n: int) -> Callable[[], tuple]:
    def build(quick: bool) -> tuple:
        n_ops = n // 100 if quick else n

        def run_mg():
            x = mg.tensor(1.0, requires_grad=True)
            y = x
            for _ in range(n_ops):
                y = y * 1.0
            y.backward()

        run_torch = None
        if torch is not None:

            def run_torch():
                x = torch.tensor(1.0, requires_grad=True)
                y = x
                for _ in range(n_ops):
                    y = y * 1.0
                y.backward()

        return f"build and backward a chain of {n_ops:,} multiplications (scalar float32)", run_mg, run_torch, {"ops": n_ops}

    build.__doc__ = f"A chain of {n:,} ops: backward must be iterative and linear in the length."
    return build


WORKLOADS: dict = {
    "op_overhead": op_overhead,
    "chain_10k": _chain(10_000),
    "chain_100k": _chain(100_000),
}
