"""``python -m lessons [NAME | --all] [--json] [--wide] [--plots DIR] [--markdown DIR] [--device D] [--lang en|zh] [--answers] ...``: run lessons."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from lessons import i18n
from minigrad import backend
from lessons.cli.options import set_language
from lessons.runner import DEVICE_LESSONS, LESSONS, Context, device_error, errata_page, exercise_answers, load, markdown_page

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


SUBCOMMANDS = (  # (usage, what it does): listed by --help, each has its own --help
    ("check NAME QUANTITY=VALUE ...", "check a hand calculation of a worked example"),
    ("check NAME --work FILE", "check a whole written solution, step by step"),
    ("sheet NAME [--seed N] [--key]", "an exam variant of a worked example, with its answer key"),
    ("mark NAME FILE.csv [--out DIR]", "mark a class's answers with follow-through"),
    ("assignment list|student|grade|hint", "graded assignments: hand out, grade, give hints"),
    ("notebooks DIR [NAME ...]", "one Jupyter notebook per lesson"),
)


def _parser() -> argparse.ArgumentParser:
    epilog = _("other commands (each has its own --help):") + "\n" + "\n".join(
        f"  python -m lessons {usage:38s} {_(what)}" for usage, what in SUBCOMMANDS)
    p = argparse.ArgumentParser(prog="python -m lessons", description=_("Run minigrad's lessons."), epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", help=_("the lesson to run (omit to list them)"))
    p.add_argument("--all", action="store_true", help=_("run every lesson"))
    p.add_argument("--json", action="store_true", help=_("print a machine-readable report instead of the text"))
    p.add_argument("--wide", action="store_true", help=_("print check tables one line per row, however wide (for scripts)"))
    p.add_argument("--plots", type=Path, help=_("save figures as PNG files in this folder"))
    p.add_argument("--device", default="cpu", help=_("cpu, cuda or cuda:N, for the lessons that compute on a device ({lessons})").format(
        lessons=", ".join(DEVICE_LESSONS)))
    p.add_argument("--quick", action="store_true", help=_("small sizes (for tests)"))
    p.add_argument("--markdown", type=Path,
                   help=_("write one documentation page per lesson, errata.md and the figures (figures/) in this folder"))
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help=_("language of the output (default: the environment's)"))
    p.add_argument("--answers", action="store_true", help=_("after each lesson, print the worked answers of its exercises"))
    return p


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    set_language(argv)
    args = _parser().parse_args(argv)
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
    error = device_error(args.device)
    if error is not None:
        print(f"python -m lessons: --device {args.device}: {error}", file=sys.stderr)
        return 2
    if backend.as_device(args.device).type != "cpu":
        cpu_only = [n for n in names if n not in DEVICE_LESSONS]
        if args.name and cpu_only:
            print(_("python -m lessons: {name} runs on the CPU only (a hand calculation in float64); --device applies to: {lessons}").format(
                name=args.name, lessons=", ".join(DEVICE_LESSONS)), file=sys.stderr)
            return 2
        if cpu_only:
            print(_("--device {device}: {lessons} run on the CPU only").format(device=args.device, lessons=", ".join(cpu_only)),
                  file=sys.stderr)
    for option, folder in (("--markdown", args.markdown), ("--plots", args.plots)):
        if folder is not None and not _make_folder(folder, option):
            return 2
    if args.plots is not None and not _importable("matplotlib"):
        print(_("matplotlib not installed: --plots draws no figures (pip install matplotlib)"), file=sys.stderr)
    report, tables = {}, {}
    for i, name in enumerate(names, 1):
        mod = load(name)
        device = args.device if name in DEVICE_LESSONS else "cpu"
        ctx = Context(plots=args.plots, device=device, quick=args.quick, quiet=args.json, wide=args.wide)
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
