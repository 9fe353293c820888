"""``python -m lessons [NAME | --all] [--json] [--plots DIR] [--markdown DIR] [--lang en|zh] [--answers] ...``: run lessons."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from lessons import i18n
from lessons.runner import LESSONS, Context, errata_page, exercise_answers, load, markdown_page

_ = i18n.domain("lessons")


def _list() -> None:
    print(_("Lessons (run one with: python -m lessons NAME):") + "\n")
    for name in LESSONS:
        mod = load(name)
        print(f"  {name:28s} {_(mod.SUMMARY)}  [{mod.SOURCE}]")


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _make_folder(path: Path, option: str) -> bool:
    """Create an output folder up front, so that a bad path is one line on stderr, not a traceback later."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(_("python -m lessons: {option}: cannot create the folder {path}: {reason}").format(
            option=option, path=path, reason=e.strerror or e), file=sys.stderr)
        return False
    return True


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m lessons", description="Run minigrad's lessons.")
    p.add_argument("name", nargs="?", help="the lesson to run (omit to list them)")
    p.add_argument("--all", action="store_true", help="run every lesson")
    p.add_argument("--json", action="store_true", help="print a machine-readable report instead of the text")
    p.add_argument("--plots", type=Path, help="save figures as PNG files in this folder")
    p.add_argument("--device", default="cpu", help="cpu or cuda, where a lesson computes on a device")
    p.add_argument("--quick", action="store_true", help="small sizes (for tests)")
    p.add_argument("--markdown", type=Path,
                   help="write one documentation page per lesson, errata.md and the figures (figures/) in this folder")
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help="language of the output (default: the environment's)")
    p.add_argument("--answers", action="store_true", help="after each lesson, print the worked answers of its exercises")
    args = p.parse_args(argv)
    i18n.use(args.lang)
    if args.markdown is not None and args.plots is None:
        args.plots = args.markdown / "figures"
    names = LESSONS if args.all else ([args.name] if args.name else [])
    if not names:
        _list()
        return 0
    if args.name and args.name not in LESSONS:
        print(_("no lesson named {name!r}; the lessons are: {names}").format(name=args.name, names=", ".join(LESSONS)),
              file=sys.stderr)
        return 2
    for option, folder in (("--markdown", args.markdown), ("--plots", args.plots)):
        if folder is not None and not _make_folder(folder, option):
            return 2
    if args.plots is not None and not _importable("matplotlib"):
        print(_("matplotlib not installed: --plots draws no figures (pip install matplotlib)"), file=sys.stderr)
    report, tables = {}, {}
    for i, name in enumerate(names, 1):
        mod = load(name)
        ctx = Context(plots=args.plots, device=args.device, quick=args.quick, quiet=args.json)
        if not args.json:
            print(f"\n# [{i}/{len(names)}] {name}: {_(mod.SUMMARY)} ({mod.SOURCE})", flush=True)
        result = mod.run(ctx)
        answers = exercise_answers(mod) if args.answers else []
        if answers and not args.json:
            print("\n## " + _("Answers to the exercises") + "\n")
            for k, text in enumerate(answers, 1):
                print(f"{k}. {text}\n", flush=True)
        if args.markdown is not None:
            (args.markdown / f"{name}.md").write_text(markdown_page(name, mod, ctx), encoding="utf-8")
            if result.get("rows"):
                tables[name] = (mod, result["rows"])
        report[name] = {
            "summary": mod.SUMMARY,
            "source": mod.SOURCE,
            "checks": [r.as_dict() for r in result.get("rows", [])],
            "figures": [str(f) for f in ctx.figures],
            "missing": [item for kind, item in ctx.log if kind == "note"],
            **{k: v for k, v in result.items() if k in ("runs", "failures", "records")},
            **({"answers": answers} if args.answers else {}),
        }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, default=float))
    if args.markdown is not None and args.all:
        (args.markdown / "errata.md").write_text(errata_page(tables), encoding="utf-8")
    return 0
