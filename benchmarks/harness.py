"""Timing and reporting: medians and spread over repeats, ratios to PyTorch, machine details."""
from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Timing:
    """Seconds per call: the median and the interquartile range over ``len(samples)`` repeats."""

    samples: list

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def iqr(self) -> float:
        q = np.percentile(self.samples, [25, 75])
        return float(q[1] - q[0])


@dataclass
class Result:
    workload: str
    description: str
    minigrad: Timing
    torch: Timing | None = None
    notes: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """The median over repeats of minigrad's time / PyTorch's time in the same repeat (paired samples)."""
        if not self.torch:
            return None
        return statistics.median(a / b for a, b in zip(self.minigrad.samples, self.torch.samples))


def _calls_per_sample(fn: Callable[[], object], min_sample_s: float) -> int:
    fn()  # warm-up
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(min_sample_s / once))


def _sample(fn: Callable[[], object], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def measure(fns: list, repeats: int, min_sample_s: float = 0.02) -> list:
    """Time each function of ``fns`` (None is skipped): ``repeats`` samples each, taken in turn.

    Interleaving the samples (a, b, a, b, ...) exposes the functions to the same machine
    conditions, so their ratio is steadier than that of two separate runs.
    """
    live = [(i, f, _calls_per_sample(f, min_sample_s)) for i, f in enumerate(fns) if f is not None]
    samples: dict = {i: [] for i, _, _ in live}
    for _ in range(repeats):
        for i, f, number in live:
            samples[i].append(_sample(f, number))
    return [Timing(samples[i]) if i in samples else None for i in range(len(fns))]


def machine() -> dict:
    """The machine and library versions, for the report's header."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        import torch

        info["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        info["torch"] = "not installed"
    return info


def matmul_peak(n: int = 2048, repeats: int = 5) -> dict:
    """Achieved float32 GFLOP/s of an n x n matrix product: NumPy's (minigrad's engine) and PyTorch's."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    peaks = {"numpy": 2 * n**3 / min(measure([lambda: a @ a], repeats, 0.0)[0].samples) / 1e9}
    try:
        import torch

        ta = torch.from_numpy(a)
        peaks["torch"] = 2 * n**3 / min(measure([lambda: ta @ ta], repeats, 0.0)[0].samples) / 1e9
    except ImportError:
        pass
    return peaks


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"
