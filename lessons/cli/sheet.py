"""``python -m lessons sheet NAME [--set ...] [--seed N] [--class FILE.csv [--key-file FILE]] [--key]
[--decimals N | --sig-figs N] [--lang en|zh] [--format text|md]``: a question sheet for a worked example,
and with ``--key`` its answer key. With ``--class``, one sheet per student (their name and seed on the
page; seed ``N + k`` for the student on row ``k``, or the class file's ``seed`` column) and their keys in
one key file."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lessons.cli.options import (Parser, add_example_options, add_precision_options, checker, fail, lesson, precision, safely,
                                 set_language)
from lessons.i18n import domain
from lessons.marking.classroom import read_roster
from lessons.marking.sheet import render
from lessons.marking.variants import UsageError

_ = domain("check")
PROG = "python -m lessons sheet"
PAGE_BREAK = "\f"  # a printer starts a new page here; Markdown gets a rule instead


def _parser() -> Parser:
    p = Parser(prog=PROG, description=_(
        "Print a question sheet for a lesson's worked example; with --key, its answer key with every intermediate "
        "step, each line computed from the rounded values printed before it. With --class, a sheet per student, "
        "each with their own variant, and a key file."))
    p.add_argument("name", metavar="NAME", help=_("the lesson"))
    add_example_options(p)
    add_precision_options(p)
    p.add_argument("--class", dest="roster", type=Path, metavar="FILE.csv", help=_(
        "print one sheet per student of this class file (student, name, 姓名 or 学号 column; an optional seed column), each "
        "with its own variant: the seed column's, or --seed N (default 0) plus the student's row number from 0"))
    p.add_argument("--key-file", type=Path, metavar="FILE", help=_(
        "with --class: where to write every student's answer key (default: NAME-keys.txt or .md in the current folder)"))
    p.add_argument("--key", action="store_true", help=_("add the answer key"))
    p.add_argument("--format", choices=("text", "md"), default="text", help=_("plain text or Markdown"))
    return p


def main(argv: list) -> int:
    return safely(PROG, _main, argv)


def _main(argv: list) -> int:
    set_language(argv)
    args = _parser().parse_intermixed_args(argv)
    try:
        prec = precision(args)
        module = lesson(args.name)
        if args.roster is not None:
            return _class(args, module, prec)
        if args.key_file is not None:
            raise UsageError(_("--key-file goes with --class"))
        c = checker(module, args, prec)
    except UsageError as e:
        return fail(PROG, e)
    print(render(c, _title(args), module.SOURCE, _variant(args, args.seed), args.key, args.format), end="")
    return 0


def _title(args: argparse.Namespace) -> str:
    return _("Worked example: {name}").format(name=args.name)


def _variant(args: argparse.Namespace, seed: int | None) -> str:
    if seed is not None:
        text = _("Variant drawn with --seed {seed}.").format(seed=seed)
        return text + (" " + _("Changed: {changes}.").format(changes=", ".join(args.set)) if args.set else "")
    if args.set:
        return _("The document's example with {changes}.").format(changes=", ".join(args.set))
    return _("The document's numbers.")


def _class(args: argparse.Namespace, module, prec) -> int:
    """A sheet per student on standard output, every key in the key file."""
    students = read_roster(args.roster)
    first = args.seed if args.seed is not None else 0
    sheets, keys = [], []
    for k, (name, student_id, seed_cell) in enumerate(students):
        try:
            seed = int(seed_cell) if seed_cell.strip() else first + k
        except ValueError:
            raise UsageError(_("{path}: {name}: seed {cell!r} is not a whole number").format(path=args.roster, name=name, cell=seed_cell[:20])) from None
        c = checker(module, argparse.Namespace(seed=seed, set=args.set), prec)
        who = _("Student: {name}").format(name=name) + (f" ({student_id})" if student_id else "") + " · " + _("seed {seed}").format(seed=seed)
        sheets.append(render(c, _title(args), module.SOURCE, _variant(args, seed), args.key, args.format, who))
        keys.append(render(c, _title(args), module.SOURCE, _variant(args, seed), True, args.format, who))
    separator = "\n---\n\n" if args.format == "md" else PAGE_BREAK
    path = args.key_file or Path(f"{args.name}-keys.{'md' if args.format == 'md' else 'txt'}")
    try:
        path.write_text(separator.join(keys), encoding="utf-8")
    except OSError as e:
        raise UsageError(_("--key-file {path}: cannot write it ({error})").format(path=path, error=e.strerror or type(e).__name__)) from None
    print(separator.join(sheets), end="")
    print(_("wrote the answer keys of {n} students to {path}").format(n=len(sheets), path=path), file=sys.stderr)
    return 0
