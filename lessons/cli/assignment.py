"""``python -m lessons assignment list | student | grade | hint``: classroom assignments.

- ``list``: the name, title and points of each assignment;
- ``student NAME DIR``: the student's copy (template, guides, public tests; nothing of the solution);
- ``grade NAME PATH... [--seed S] [-j N] [--out DIR] [--roster FILE] [--json] [--gradescope]
  [--timeout S] [--memory MB] [--solutions DIR] [--no-sandbox]``: grade submissions, each in a
  bubblewrap sandbox of its own (:mod:`lessons.assignments.grading`, :mod:`lessons.assignments.sandbox`);
- ``hint NAME PART [--level 1|2|3]``: a nudge, the formula, the shape of the code.

Every subcommand takes ``--lang en|zh``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from lessons import i18n
from lessons.assignments import grading, report, sandbox
from lessons.cli.options import Parser, set_language

_ = i18n.domain("assignments")
STUDENT_FILES = ("student.py", "README.md", "README.zh.md")
INSTALL = "apt-get install -y bubblewrap"


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
    g.add_argument("--visibility", choices=("visible", "hidden", "after_due_date", "after_published"), default="visible",
                   help=_("Gradescope's visibility of the results (default visible)"))
    g.add_argument("--out", type=Path, metavar="DIR", help=_("write a feedback file per submission and class.csv into this folder"))
    g.add_argument("--roster", type=Path, metavar="FILE", help=_("a CSV with the columns submission and student_id, for class.csv"))
    g.add_argument("--timeout", type=float, default=60.0, metavar="S", help=_("seconds each submission may run (default 60)"))
    g.add_argument("--memory", type=int, default=1024, metavar="MB",
                   help=_("memory each submission may use, all its processes together (default 1024)"))
    g.add_argument("--seed", type=int, metavar="S",
                   help=_("the seed that draws the graded inputs (default: MINIGRAD_GRADING_SEED, else a random one)"))
    g.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help=_("grade N submissions at once (default 1)"))
    g.add_argument("--solutions", type=Path, metavar="DIR",
                   help=_("a course's own solutions and cases, laid out as NAME/solution.py and NAME/checks.py "
                          "(default: the repository's teacher/ folder)"))
    g.add_argument("--no-sandbox", action="store_true",
                   help=_("grade without the bubblewrap sandbox (every result is marked not isolated)"))
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


def _usage(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _grade(args: argparse.Namespace) -> int:
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        return _usage(_("no such file or folder: {paths}").format(paths=", ".join(missing)))
    if args.timeout <= 0 or args.memory <= 0 or args.jobs <= 0:
        return _usage(_("--timeout, --memory and --jobs must be positive"))
    solutions = args.solutions or grading.TEACHER
    if args.solutions is not None and not args.solutions.is_dir():
        return _usage(_("--solutions {path}: no such folder").format(path=args.solutions))
    grading.load(args.name, solutions)
    try:
        seed, source = grading.grading_seed(args.seed)
        roster = report.read_roster(args.roster) if args.roster else None
    except (ValueError, OSError) as e:
        return _usage(str(e))
    if not args.no_sandbox and (why := sandbox.unavailable()) is not None:
        return _usage(_("cannot grade in a sandbox ({why}): install bubblewrap ({install}) or pass --no-sandbox").format(
            why=why, install=INSTALL))
    if source == "random":
        print(_("grading with a random seed, {seed}: keep it (not the students) to regrade the same inputs with --seed {seed}").format(
            seed=seed), file=sys.stderr)
    options = {"timeout": args.timeout, "memory_mb": args.memory, "seed": seed, "isolated": not args.no_sandbox, "solutions": solutions}
    reference = solutions / args.name / "solution.py" if solutions is not None else None
    if reference is not None and reference.is_file():  # graded first, on the same inputs: the checks must give it full marks
        (ref,) = grading.grade(args.name, [reference], progress=False, **options)
        if ref.score < ref.max:
            return _usage(_("the reference solution {path} scores {score:g} / {max:g} on these inputs: fix it or the checks "
                            "before grading").format(path=reference, score=ref.score, max=ref.max))
    results = grading.grade(args.name, args.paths, jobs=args.jobs, **options)
    if args.no_sandbox:
        print(_("graded without the sandbox: every result is marked not isolated"), file=sys.stderr)
    if args.json:
        print(report.as_json(results))
    else:
        print("\n\n".join(report.text(r) for r in results))
    if args.out is not None:
        try:
            path = report.write_class_report(results, args.out, roster)
        except ValueError as e:
            return _usage(str(e))
        print(_("wrote the feedback files, {path} and its summary").format(path=path), file=sys.stderr)
    if args.gradescope:
        for path in report.write_gradescope(results, args.out or Path.cwd(), args.visibility):
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
