"""One workload, one library, alone in this process: ``python -m benchmarks.worker NAME LIBRARY [--quick]``.

Prints one JSON object: the per-call times of ``samples`` samples, the process's peak resident memory
above what it held before the first call, and (for minigrad) the peak of NumPy's allocations during
one call as ``tracemalloc`` sees them. PyTorch allocates outside Python's allocator, so ``tracemalloc``
does not see its tensors and only its resident memory is reported.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import time
import tracemalloc

from .workloads import WORKLOADS

LIBRARIES = {"minigrad": "minigrad", "pytorch": "torch"}


def resident_bytes() -> int:
    """The process's resident memory now (Linux ``/proc/self/statm``; 0 where it is not available)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def peak_resident_bytes() -> int:
    """The process's peak resident memory so far (``ru_maxrss``: kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure(step, samples: int, min_sample_s: float) -> list:
    """Seconds per call of ``step`` in ``samples`` samples, each long enough (``min_sample_s``) to time."""
    t0 = time.perf_counter()
    step()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(min_sample_s / once))
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        times.append((time.perf_counter() - t0) / number)
    return times


def run(name: str, library: str, quick: bool, samples: int, min_sample_s: float) -> dict:
    L = importlib.import_module(LIBRARIES[library])
    step = WORKLOADS[name].build(L, quick)
    base = resident_bytes()
    step()  # warm-up: first-call costs (imports, caches, kernel selection) are not timed
    times = measure(step, samples, min_sample_s)
    result = {"workload": name, "library": library, "times": times,
              "rss_step_bytes": max(peak_resident_bytes() - base, 0), "rss_peak_bytes": peak_resident_bytes(),
              "traced_peak_bytes": None}
    if library == "minigrad":
        tracemalloc.start()
        step()
        result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("library", choices=sorted(LIBRARIES))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--min-sample-s", type=float, default=0.1)
    args = p.parse_args(argv)
    print(json.dumps(run(args.workload, args.library, args.quick, args.samples, args.min_sample_s)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
