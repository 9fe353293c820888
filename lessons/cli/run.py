"""``python -m lessons [NAME | --all] [--json] [--plots DIR] [--device cpu|cuda]``: run lessons."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lessons.runner import LESSONS, Context, errata_page, load, markdown_page


def _list() -> None:
    print("Lessons (run one with: python -m lessons NAME):\n")
    for name in LESSONS:
        mod = load(name)
        print(f"  {name:28s} {mod.SUMMARY}  [{mod.SOURCE}]")


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m lessons", description="Run minigrad's lessons.")
    p.add_argument("name", nargs="?", help="the lesson to run (omit to list them)")
    p.add_argument("--all", action="store_true", help="run every lesson")
    p.add_argument("--json", action="store_true", help="print a machine-readable report instead of the text")
    p.add_argument("--plots", type=Path, help="save figures as PNG files in this folder")
    p.add_argument("--device", default="cpu", help="cpu or cuda, where a lesson computes on a device")
    p.add_argument("--quick", action="store_true", help="small sizes (for tests)")
    p.add_argument("--markdown", type=Path, help="write one documentation page per lesson (and errata.md beside it) in this folder")
    args = p.parse_args(argv)
    if args.markdown is not None and args.plots is None:
        args.plots = args.markdown / "figures"
    names = LESSONS if args.all else ([args.name] if args.name else [])
    if not names:
        _list()
        return 0
    report, tables = {}, {}
    for i, name in enumerate(names, 1):
        try:
            mod = load(name)
        except KeyError as e:
            print(e.args[0], file=sys.stderr)
            return 2
        ctx = Context(plots=args.plots, device=args.device, quick=args.quick, quiet=args.json)
        if not args.json:
            print(f"\n# [{i}/{len(names)}] {name}: {mod.SUMMARY} ({mod.SOURCE})", flush=True)
        result = mod.run(ctx)
        if args.markdown is not None:
            args.markdown.mkdir(parents=True, exist_ok=True)
            (args.markdown / f"{name}.md").write_text(markdown_page(name, mod, ctx, result.get("rows", []), args.markdown), encoding="utf-8")
            if result.get("rows"):
                tables[name] = (mod, result["rows"])
        report[name] = {
            "summary": mod.SUMMARY,
            "source": mod.SOURCE,
            "checks": [r.as_dict() for r in result.get("rows", [])],
            "figures": [str(f) for f in ctx.figures],
            **{k: v for k, v in result.items() if k in ("runs", "failures", "records")},
        }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, default=float))
    if args.markdown is not None and args.all:
        (args.markdown.parent / "errata.md").write_text(errata_page(tables), encoding="utf-8")
    return 0

