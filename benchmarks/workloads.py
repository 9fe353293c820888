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


def mlp_step(quick: bool) -> tuple:
    """A full training step of an MLP 784-256-256-10 (zero_grad, forward, loss, backward, Adam step)."""
    batch = 16 if quick else 128
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((batch, 784), dtype=np.float32)
    y0 = rng.integers(0, 10, batch)

    def setup(L):
        model = L.nn.Sequential(L.nn.Linear(784, 256), L.nn.ReLU(), L.nn.Linear(256, 256), L.nn.ReLU(), L.nn.Linear(256, 10))
        return model, L.optim.Adam(model.parameters(), lr=1e-3), L.nn.CrossEntropyLoss(), L.tensor(x0), L.tensor(y0)

    def step_fn(L):
        model, opt, crit, x, y = setup(L)
        if L is torch:
            model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in mg_model.state_dict().items()})

        def step():
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()

        return model, step

    mg_model, run_mg = step_fn(mg)
    run_torch = step_fn(torch)[1] if torch is not None else None
    flops = 6 * batch * (784 * 256 + 256 * 256 + 256 * 10)  # forward 2, backward 4 per multiply-add
    return f"training step of an MLP 784-256-256-10, batch {batch}, float32, Adam", run_mg, run_torch, {"flops": flops}


WORKLOADS: dict = {
    "op_overhead": op_overhead,
    "chain_10k": _chain(10_000),
    "chain_100k": _chain(100_000),
    "mlp_step": mlp_step,
}
