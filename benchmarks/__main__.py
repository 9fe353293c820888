"""``python -m benchmarks [--quick] [--pairs N] [--threads N] [--only NAME ...] [--write-docs | --out DIR] [--from-json FILE]``

Without ``--write-docs`` or ``--out`` the results are printed and nothing is written, so a run on a
fresh clone leaves the tracked ``docs/performance.*`` files alone. ``--from-json`` writes the page and
figures again from the data of an earlier run (``performance.json``) without measuring anything.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .harness import ROOT, fmt_time, run_suite
from .report import GOALS, write
from .workloads import WORKLOADS


def main(argv: list | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="Time minigrad against PyTorch (CPU), each library alone in its own process.")
    p.add_argument("--only", nargs="+", choices=sorted(WORKLOADS), metavar="NAME",
                   help=f"run only these workloads (of: {', '.join(WORKLOADS)}); gemm gives the floor column")
    p.add_argument("--pairs", type=int, help="alternating minigrad/PyTorch pairs per workload (default 3; 1 with --quick)")
    p.add_argument("--samples", type=int, help="timed samples per process (default 5; 3 with --quick)")
    p.add_argument("--threads", type=int, help="threads of every pool of both libraries (default: the libraries' own "
                   "defaults); 1 makes a comparison that other processes on a shared machine disturb far less")
    p.add_argument("--quick", action="store_true", help="small sizes, short samples: the whole suite in under 2 minutes")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--write-docs", action="store_true",
                       help="write docs/performance.md, docs/performance.json and the figures docs/performance-*.png")
    where.add_argument("--out", type=Path, help="write the same files into this folder instead")
    p.add_argument("--from-json", type=Path, metavar="FILE", help="measure nothing: report the data of an earlier run")
    args = p.parse_args(argv)
    pairs = args.pairs if args.pairs is not None else (1 if args.quick else 3)
    samples = args.samples if args.samples is not None else (3 if args.quick else 5)
    if pairs < 1 or samples < 1 or (args.threads is not None and args.threads < 1):
        p.error("--pairs, --samples and --threads must be at least 1")
    names = args.only or list(WORKLOADS)
    if args.from_json:
        try:
            data = json.loads(args.from_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"python -m benchmarks: cannot read {args.from_json}: {e}", file=sys.stderr)
            return 2
    else:
        data = run_suite(names, pairs, args.quick, samples, min_sample_s=0.02 if args.quick else 0.1, threads=args.threads)
    if data["gemm_peak_gflops"]:
        print(f"matrix-multiply peak {data['gemm_peak_gflops']:.0f} GFLOP/s")
    for g in GOALS:
        met, what = g.check(data)
        if met is not None:
            print(f"goal {g.text()}: {what}: {'met' if met else 'NOT met'}")
    out = ROOT / "docs" if args.write_docs else args.out
    if out is not None:
        for path in write(data, out):
            print(f"written {path}")
    print(f"{len(data['workloads'])} workloads, {data['pairs']} pair(s) each, measured in {fmt_time(data['duration_s'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
