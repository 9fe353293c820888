"""Running the workloads: each library alone in its own process, alternating, ``pairs`` pairs per workload.

For every pair of a workload, a minigrad process and a PyTorch process run one after the other (the
order flips from pair to pair, so neither always runs first), so that the two see the same machine
load. Each process reports the median of its samples; the harness reports, per library, the median
over pairs of those medians and their spread (lowest to highest), and the ratio as the median over
pairs of minigrad's time / PyTorch's time in the same pair.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    """One library's runs of one workload: one entry per pair (the process's median time, its memory)."""

    times: list = field(default_factory=list)
    rss_step: list = field(default_factory=list)
    traced: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> tuple:
        return min(self.times), max(self.times)

    def to_json(self) -> dict:
        return {"median_s": self.median, "min_s": self.spread[0], "max_s": self.spread[1], "per_pair_s": self.times,
                "rss_step_bytes": max(self.rss_step),
                "traced_peak_bytes": max(self.traced) if self.traced and None not in self.traced else None}


@dataclass
class Result:
    workload: str
    description: str
    flops: float | None
    series: str | None
    T: int | None
    libs: dict  # library -> Measured

    @property
    def ratio(self) -> float | None:
        """Median over pairs of minigrad's time / PyTorch's time in the same pair."""
        mg, th = self.libs.get("minigrad"), self.libs.get("pytorch")
        if not mg or not th or not th.times:
            return None
        return statistics.median(a / b for a, b in zip(mg.times, th.times))


def has_torch() -> bool:
    """Whether PyTorch can be imported (asked of a subprocess, so this one never imports it)."""
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MINIGRAD_NUM_THREADS")


def worker_env(threads: int | None) -> dict:
    """The environment of a worker: this one, with every thread pool set to ``threads`` if given."""
    env = dict(os.environ)
    if threads:
        env.update({v: str(threads) for v in THREAD_VARIABLES})
    return env


def run_one(name: str, library: str, quick: bool, samples: int, min_sample_s: float, threads: int | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.worker", name, library, "--samples", str(samples),
           "--min-sample-s", str(min_sample_s)] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=worker_env(threads))
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark {name} ({library}) failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(names: list, libraries: list, pairs: int, quick: bool, samples: int, min_sample_s: float,
        threads: int | None = None) -> list:
    """Every workload of ``names``, ``pairs`` times per library, alternating; a tqdm bar shows progress."""
    from tqdm import tqdm

    results = []
    with tqdm(total=len(names) * pairs * len(libraries), unit="run", file=sys.stderr, dynamic_ncols=True,
              bar_format="{desc} |{bar}| {n_fmt}/{total_fmt} runs, {elapsed} elapsed") as bar:
        for name in names:
            w = WORKLOADS[name]
            measured = {lib: Measured() for lib in libraries}
            for k in range(pairs):
                for lib in (libraries if k % 2 == 0 else libraries[::-1]):
                    bar.set_description_str(f"{name}: pair {k + 1} of {pairs}, {lib}")
                    r = run_one(name, lib, quick, samples, min_sample_s, threads)
                    m = measured[lib]
                    m.times.append(statistics.median(r["times"]))
                    m.rss_step.append(r["rss_step_bytes"])
                    m.traced.append(r["traced_peak_bytes"])
                    bar.update()
            res = Result(name, w.describe(quick), w.flops(quick) if w.flops else None, w.series,
                         w.T(quick) if w.T else None, measured)
            results.append(res)
            line = "  ".join(f"{lib} {fmt_time(m.median)}" for lib, m in measured.items())
            bar.write(f"{name}: {line}" + (f"  ratio {res.ratio:.2f}" if res.ratio is not None else ""))
    return results


def gemm_peak(results: list) -> float | None:
    """The matrix-multiply peak of this run: the faster library's median GFLOP/s on the ``gemm`` workload."""
    for r in results:
        if r.workload == "gemm":
            return max(r.flops / m.median for m in r.libs.values()) / 1e9
    return None


def machine(threads: int | None = None) -> dict:
    """The machine, library versions and load, for the report's header."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__}
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__, torch.get_num_threads())"],
                           capture_output=True, text=True, env=worker_env(threads))
    if probe.returncode == 0:
        version, torch_threads = probe.stdout.split()
        info["torch"] = f"{version} ({torch_threads} threads)"
    info["blas"] = numpy_blas(worker_env(threads))
    # OpenBLAS's OPENBLAS_* variables (OPENBLAS_CORETYPE picks its kernels) change NumPy's matrix products
    info["blas_env"] = {k: v for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS_")}
    if "OPENBLAS_CORETYPE" in os.environ:
        env = {k: v for k, v in worker_env(threads).items() if k != "OPENBLAS_CORETYPE"}
        info["blas_detected"] = numpy_blas(env).get("architecture")
    return info


def numpy_blas(env: dict) -> dict:
    """NumPy's BLAS as a process with ``env`` loads it: library, version and the kernels it runs
    (threadpoolctl's report), or an empty dict where that cannot be found out."""
    code = ("import json, numpy, threadpoolctl; "
            "print(json.dumps([{k: i.get(k) for k in ('internal_api', 'version', 'architecture')} "
            "for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'][:1]))")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    try:
        found = json.loads(probe.stdout) if probe.returncode == 0 else []
    except ValueError:
        found = []
    return found[0] if found else {}


def load_average() -> list | None:
    """The 1, 5 and 15-minute load averages (runnable processes), where the system reports them."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def run_suite(names: list, pairs: int, quick: bool, samples: int, min_sample_s: float, threads: int | None = None) -> dict:
    """Run the suite and return everything the report needs, as plain data (what the JSON file holds).

    ``threads`` sets every thread pool of both libraries (OpenBLAS's, OpenMP's, MKL's) in each process;
    None leaves the libraries' defaults, as a user gets them.
    """
    libraries = ["minigrad"] + (["pytorch"] if has_torch() else [])
    start, load_before = time.time(), load_average()
    results = run(names, libraries, pairs, quick, samples, min_sample_s, threads)
    peak = gemm_peak(results)
    return {
        "command": "python -m benchmarks" + (" --quick" if quick else "") + f" --pairs {pairs}"
                   + (f" --threads {threads}" if threads else ""),
        "machine": machine(threads),
        "threads": threads,
        "load_average": {"start": load_before, "end": load_average()},
        "started_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime(start)),
        "duration_s": round(time.time() - start, 1),
        "pairs": pairs, "samples": samples, "quick": quick,
        "gemm_peak_gflops": peak,
        "workloads": {r.workload: {"description": r.description, "flops": r.flops, "series": r.series, "T": r.T,
                                   "ratio": r.ratio,
                                   "floor_s": r.flops / (peak * 1e9) if r.flops and peak else None,
                                   **{lib: m.to_json() for lib, m in r.libs.items()}}
                      for r in results},
    }


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "—"
    if n < 1 << 20:
        return f"{n / 1024:.0f} KiB"
    return f"{n / (1 << 20):.1f} MiB"
