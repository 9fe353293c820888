"""``python -m lessons assignment list | student | grade | hint``: classroom assignments.

- ``list``: the name, title and points of each assignment;
- ``student NAME DIR``: the student's copy (template, guides, public tests; nothing of the solution);
- ``grade NAME PATH... [--json] [--gradescope] [--out DIR] [--timeout S] [--memory MB]``: grade
  submissions, each in a process of its own (:mod:`lessons.assignments.grading`);
- ``hint NAME PART [--level 1|2|3]``: a nudge, the formula, the shape of the code.

Every subcommand takes ``--lang en|zh``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from lessons import i18n
from lessons.assignments import grading, report
from lessons.cli.options import Parser, set_language

_ = i18n.domain("assignments")
STUDENT_FILES = ("student.py", "README.md", "README.zh.md")


def _parser() -> Parser:
    p = Parser(prog="python -m lessons assignment", description=_("Classroom assignments: hand out, grade, give hints."))
    sub = p.add_subparsers(dest="command", required=True, metavar="{list,student,grade,hint}")
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help=_("language of the messages (default: from the locale)"))
    sub.add_parser("list", parents=[lang], help=_("the assignments, their titles and points"))
    s = sub.add_parser("student", parents=[lang], help=_("write the student's copy of an assignment into a folder"))
    s.add_argument("name", metavar="NAME")
    s.add_argument("dir", type=Path, metavar="DIR")
    g = sub.add_parser("grade", parents=[lang], help=_("grade submissions (files or student folders)"))
    g.add_argument("name", metavar="NAME")
    g.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    g.add_argument("--json", action="store_true", help=_("print the results as JSON"))
    g.add_argument("--gradescope", action="store_true", help=_("write Gradescope's results.json (into --out, else here)"))
    g.add_argument("--out", type=Path, metavar="DIR", help=_("write a feedback file per submission and class.csv into this folder"))
    g.add_argument("--timeout", type=float, default=60.0, metavar="S", help=_("seconds each submission may run (default 60)"))
    g.add_argument("--memory", type=int, default=1024, metavar="MB", help=_("memory each submission may use (default 1024)"))
    h = sub.add_parser("hint", parents=[lang], help=_("a hint for one part of an assignment"))
    h.add_argument("name", metavar="NAME")
    h.add_argument("part", metavar="PART")
    h.add_argument("--level", type=int, choices=(1, 2, 3), default=1, help=_("1: a nudge, 2: the formula, 3: the shape of the code"))
    return p


def _list() -> int:
    unit = _("points")
    for name in grading.ASSIGNMENTS:
        print(f"{name:20s} {grading.points(name):4g} {unit:6s} {_(grading.load(name).TITLE)}")
    return 0


def _student(name: str, folder: Path) -> int:
    grading.load(name)  # an unknown name: KeyError naming the assignments
    if (folder / "student.py").exists():
        print(_("{path} already exists: not overwriting a student's work").format(path=folder / "student.py"), file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    source = grading.HERE / name
    for f in STUDENT_FILES:
        shutil.copyfile(source / f, folder / f)
    test = (grading.HERE / "public_test.py").read_text(encoding="utf-8")
    (folder / "test_public.py").write_text(test.replace("ASSIGNMENT = None", f"ASSIGNMENT = {name!r}", 1), encoding="utf-8")
    print(_("wrote {files} into {folder}").format(files=", ".join((*STUDENT_FILES, "test_public.py")), folder=folder))
    return 0


def _grade(args: argparse.Namespace) -> int:
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(_("no such file or folder: {paths}").format(paths=", ".join(missing)), file=sys.stderr)
        return 2
    if args.timeout <= 0 or args.memory <= 0:
        print(_("--timeout and --memory must be positive"), file=sys.stderr)
        return 2
    grading.load(args.name)
    results = grading.grade(args.name, args.paths, timeout=args.timeout, memory_mb=args.memory)
    if args.json:
        print(report.as_json(results))
    else:
        print("\n\n".join(report.text(r) for r in results))
    if args.out is not None:
        path = report.write_class_report(args.name, results, args.out)
        print(_("wrote the feedback files and {path}").format(path=path), file=sys.stderr)
    if args.gradescope:
        for path in report.write_gradescope(args.name, results, args.out or Path.cwd()):
            print(_("wrote {path}").format(path=path), file=sys.stderr)
    return 0 if all(r.score == r.max for r in results) else 1


def _hint(name: str, part_name: str, level: int) -> int:
    p = grading.part(name, part_name)
    kinds = {1: _("a nudge"), 2: _("the formula"), 3: _("the shape of the code")}
    print(_("{name} / {part}, hint {level} of 3 ({kind}):").format(name=name, part=part_name, level=level, kind=kinds[level]))
    print(_(p.hints[level - 1]))
    return 0


def main(argv: list) -> int:
    set_language(argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _list()
        if args.command == "student":
            return _student(args.name, args.dir)
        if args.command == "grade":
            return _grade(args)
        return _hint(args.name, args.part, args.level)
    except KeyError as e:  # an unknown assignment or part: the message names the choices
        print(e.args[0], file=sys.stderr)
        return 2
