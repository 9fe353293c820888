"""``python -m lessons mark NAME FILE.csv [--set ...] [--json] [--out DIR] [--lang en|zh]``: mark a class.

The CSV has a ``student`` column and one column per quantity (blank: not answered). Exit status 0
when the class is marked, 2 for a usage error (one line on stderr).
"""
from __future__ import annotations

import json
from pathlib import Path

from lessons.cli.options import Parser, add_example_options, example, fail, lesson, set_language
from lessons.i18n import domain
from lessons.marking.classroom import mark, questions_summary, read_csv, summary_text, write_outputs
from lessons.marking.rule import Checker
from lessons.marking.variants import UsageError

_ = domain("check")
PROG = "python -m lessons mark"


def _parser() -> Parser:
    p = Parser(prog=PROG, description=_(
        "Mark a class: a CSV with a student column and one column per quantity (a blank cell is not answered). "
        "One mark per answer; follow-through and rounding differences earn it. A blank or unreadable cell never "
        "stops the class."))
    p.add_argument("name", metavar="NAME", help=_("the lesson whose worked example was set"))
    p.add_argument("csv", type=Path, metavar="FILE.csv", help=_("the class's answers"))
    add_example_options(p)
    p.add_argument("--json", action="store_true", help=_("print a machine-readable report"))
    p.add_argument("--out", type=Path, metavar="DIR", help=_(
        "also write a feedback file per student, a class summary, the marks as CSV and a figure of the right-rate per question"))
    return p


def main(argv: list) -> int:
    set_language(argv)
    args = _parser().parse_intermixed_args(argv)
    try:
        checker = Checker(example(lesson(args.name), args.set))
        questions, rows = read_csv(args.csv, checker)
        students = mark(checker, questions, rows)
        summary = questions_summary(students, questions)
        written = write_outputs(args.out, students, questions, summary) if args.out is not None else []
    except UsageError as e:
        return fail(PROG, e)
    if args.json:
        print(json.dumps({"lesson": args.name, "inputs": checker.inputs, "students": [s.as_dict(questions) for s in students],
                          "questions": summary}, ensure_ascii=False, indent=2))
        return 0
    print(summary_text(students, questions, summary))
    for s in students:
        print(_("{name}: {score} of {total}").format(name=s.name, score=s.score, total=len(questions)))
    if written:
        print("\n" + _("wrote {n} files to {folder}").format(n=len(written), folder=args.out))
    return 0
