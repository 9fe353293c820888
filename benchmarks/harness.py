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


def machine(device: str = "cpu") -> dict:
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
    if device != "cpu":
        import minigrad as mg

        cp = mg.backend.cupy_module()
        props = cp.cuda.runtime.getDeviceProperties(mg.backend.as_device(device).index)
        info["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        info["cupy"] = cp.__version__
    return info


def matmul_peak(device: str = "cpu", n: int = 2048, repeats: int = 5) -> dict:
    """Achieved float32 GFLOP/s of an n x n matrix product: minigrad's array library's and PyTorch's."""
    import minigrad as mg

    dev = mg.backend.as_device(device)
    a = dev.xp.asarray(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))
    lib = "numpy" if dev.type == "cpu" else "cupy"
    peaks = {lib: 2 * n**3 / min(measure([synced(lambda: a @ a, device)], repeats, 0.0)[0].samples) / 1e9}
    try:
        import torch

        ta = torch.tensor(np.asarray(mg.backend.to_device(a, mg.backend.CPU)), device="cuda" if dev.type == "cuda" else "cpu")
        peaks["torch"] = 2 * n**3 / min(measure([synced(lambda: ta @ ta, device, torch_too=True)], repeats, 0.0)[0].samples) / 1e9
    except ImportError:
        pass
    return peaks


def synced(fn: Callable[[], object] | None, device: str, torch_too: bool = False) -> Callable[[], object] | None:
    """``fn`` followed by waiting for the GPU, so that a time covers the work and not only its launch."""
    if fn is None or device == "cpu":
        return fn
    import minigrad as mg

    dev = mg.backend.as_device(device)

    def run():
        fn()
        mg.backend.synchronize(dev)
        if torch_too:
            import torch

            torch.cuda.synchronize()

    return run


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"
