"""``python -m lessons mark NAME FILE.csv [--set ...] [--seed N] [--decimals N | --sig-figs N] [--precision-credit F]
[--numbers-only] [--json] [--out DIR] [--lang en|zh]``: mark a class.

The CSV has a ``student`` column and one column per quantity (blank: not answered). Exit status 0
when the class is marked, 2 for a usage error (one line on stderr).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from lessons.cli.options import Parser, add_example_options, add_precision_options, checker, fail, lesson, precision, safely, set_language
from lessons.i18n import domain
from lessons.marking.classroom import mark, questions_summary, read_csv, summary_text, write_outputs
from lessons.marking.variants import UsageError

_ = domain("check")
PROG = "python -m lessons mark"


def _parser() -> Parser:
    p = Parser(prog=PROG, description=_(
        "Mark a class: a CSV with a student column (student, name, 姓名 or 学号), an optional seed column (each student's "
        "variant) and one column per quantity (a blank cell is not answered); UTF-8 or GBK, separated by commas, "
        "semicolons or tabs. One mark per answer; follow-through and rounding differences earn it. No cell ever stops the class."))
    p.add_argument("name", metavar="NAME", help=_("the lesson whose worked example was set"))
    p.add_argument("csv", type=Path, metavar="FILE.csv", help=_("the class's answers"))
    add_example_options(p)
    add_precision_options(p)
    p.add_argument("--json", action="store_true", help=_("print a machine-readable report"))
    p.add_argument("--out", type=Path, metavar="DIR", help=_(
        "also write a feedback file per student, a class summary, the marks as CSV and a figure of the right-rate per question"))
    return p


def main(argv: list) -> int:
    return safely(PROG, _main, argv)


def _main(argv: list) -> int:
    set_language(argv)
    args = _parser().parse_intermixed_args(argv)
    try:
        prec = precision(args)
        module = lesson(args.name)
        base = checker(module, args, prec)
        table = read_csv(args.csv, base)
        for note in table.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
        per_student = _per_seed(module, args, prec, base) if table.has_seed else base
        students = mark(per_student, table.questions, table.rows)
        questions = table.questions
        summary = questions_summary(students, questions)
        written = write_outputs(args.out, students, questions, summary) if args.out is not None else []
    except UsageError as e:
        return fail(PROG, e)
    if args.json:
        print(json.dumps({"lesson": args.name, "seed": args.seed, "inputs": base.inputs, "students": [s.as_dict(questions) for s in students],
                          "questions": summary}, ensure_ascii=False, indent=2))
        return 0
    print(summary_text(students, questions, summary))
    for s in students:
        print(_("{name}: {score} of {total}").format(name=s.name, score=s.score, total=len(questions)))
    if written:
        print("\n" + _("wrote {n} files to {folder}").format(n=len(written), folder=args.out))
    return 0


def _per_seed(module, args, prec, base) -> Callable:
    """A student's checker from their seed cell (a blank cell: the command line's variant)."""
    cache: dict = {}

    def for_seed(cell: str) -> tuple:
        if not cell.strip():
            return base, args.seed
        try:
            seed = int(cell.strip())
        except ValueError:
            raise UsageError(_("seed {cell!r} is not a whole number").format(cell=cell[:20])) from None
        if seed not in cache:
            cache[seed] = checker(module, argparse.Namespace(seed=seed, set=args.set), prec)
        return cache[seed], seed

    return for_seed
