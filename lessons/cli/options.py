"""What the checking subcommands (``check``, ``mark``, ``sheet``) share: one-line usage errors,
``--lang``, and the worked example of a lesson with its inputs as ``--set``."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, NoReturn

from lessons import i18n
from lessons.marking.rule import Checker, Precision
from lessons.marking.variants import UsageError, draw, parse_sets
from lessons.runner import LESSONS, load

_ = i18n.domain("check")


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr with exit status 2 (its help is in the
    reader's language, argparse's own words included: :mod:`lessons.i18n`)."""

    def parse_intermixed_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        # argparse cuts len("usage: ") characters off the usage line here, which would cut into a
        # translated "usage:" of another length; give it the usage without the word instead
        if self.usage is not None:
            return super().parse_intermixed_args(args, namespace)
        formatter = self._get_formatter()
        formatter.add_usage(None, self._actions, self._mutually_exclusive_groups, prefix="")
        self.usage = formatter.format_help().strip()
        try:
            return super().parse_intermixed_args(args, namespace)
        finally:
            self.usage = None

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def set_language(argv: list) -> None:
    """Apply ``--lang`` before the parser is built, so that its help is in that language too."""
    for i, a in enumerate(argv):
        lang = a.partition("=")[2] if a.startswith("--lang=") else (argv[i + 1] if a == "--lang" and i + 1 < len(argv) else None)
        if lang in i18n.LANGUAGES:
            i18n.use(lang)
            return
    i18n.use(None)


def add_example_options(p: argparse.ArgumentParser, seed: bool = True) -> None:
    p.add_argument("--set", action="append", default=[], metavar="PARAM=V[,V...]",
                   help=_("change an input of the worked example (repeatable): a number, or numbers separated by commas "
                          "for a sequence, e.g. --set x=2,0,1 --set w_hh=0.5"))
    if seed:
        p.add_argument("--seed", type=int, metavar="N", help=_(
            "the variant drawn with this seed (as sheet --seed N prints it; a whole number, 0 or more); --set applies on top"))
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help=_("language of every message (default: from the locale, e.g. LANG=zh_CN.UTF-8)"))


def add_precision_options(p: argparse.ArgumentParser) -> None:
    """The teacher's precision and rules (``check``, ``mark`` and ``sheet``)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--decimals", type=int, metavar="N", help=_(
        "answers must have N decimals (and intermediates are rounded to N); fewer is \"not precise enough\""))
    group.add_argument("--sig-figs", type=int, metavar="N", help=_(
        "answers must have N significant digits (and intermediates are rounded to N); fewer is \"not precise enough\""))
    p.add_argument("--precision-credit", type=float, metavar="F", default=0.0, help=_(
        "the fraction of a mark an answer that is not precise enough earns (0 to 1; default 0)"))
    p.add_argument("--numbers-only", action="store_true", help=_("refuse expressions and functions in answers: a number each"))


def precision(args: argparse.Namespace) -> Precision:
    """The teacher's :class:`~lessons.marking.rule.Precision` from the command line; raises :class:`UsageError`."""
    for flag, value, low, high in (("--decimals", args.decimals, 0, 12), ("--sig-figs", args.sig_figs, 1, 15)):
        if value is not None and not low <= value <= high:
            raise UsageError(_("{flag} {value}: expected a whole number from {low} to {high}").format(flag=flag, value=value, low=low, high=high))
    if not (0.0 <= args.precision_credit <= 1.0):
        raise UsageError(_("--precision-credit {value}: expected a fraction from 0 to 1").format(value=args.precision_credit))
    return Precision(args.decimals, args.sig_figs, args.precision_credit, args.numbers_only)


def worked_lessons() -> list:
    """The lessons that have a worked example to check."""
    return [n for n in LESSONS if hasattr(load(n), "example")]


def lesson(name: str | None) -> Any:
    """The lesson module ``name``, which must have a worked example; raises :class:`UsageError`."""
    if not name:
        raise UsageError(_("give a lesson name; the lessons with a worked example are: {known}").format(known=", ".join(worked_lessons())))
    try:
        module = load(name)
    except KeyError:
        raise UsageError(_("no lesson named {name!r}; the lessons with a worked example are: {known}").format(
            name=name, known=", ".join(worked_lessons()))) from None
    if not hasattr(module, "example"):
        raise UsageError(_("lesson {name!r} has no hand calculation to check; the lessons with one are: {known}").format(
            name=name, known=", ".join(worked_lessons())))
    return module


def example(module: Any, sets: list, base: dict | None = None) -> Any:
    """The module's worked example with ``base`` inputs, then ``--set`` values on top."""
    kwargs = {**(base or {}), **parse_sets(module, sets)}
    try:
        return module.example(**kwargs)
    except ValueError as e:
        raise UsageError(_("--set: {error}").format(error=e)) from None


def checker(module: Any, args: argparse.Namespace, prec: Precision | None = None) -> Checker:
    """The checker of the module's worked example with ``--seed`` and ``--set`` applied; a variant whose
    exact values are not all finite (``d_k=0``) is refused: it cannot be marked."""
    seed = getattr(args, "seed", None)
    base = draw(module, seed) if seed is not None else {}
    c = Checker(example(module, args.set, base), prec or Precision())
    bad = c.not_finite
    if bad:
        raise UsageError(_("with these inputs {q} is {value}, not a finite number; choose other inputs").format(q=bad[0], value=c.exact[bad[0]]))
    return c


def safely(prog: str, main: Callable[[list], int], argv: list) -> int:
    """Run a subcommand's ``main``; whatever goes wrong ends in one line on stderr (exit status 2), never a traceback."""
    try:
        return main(argv)
    except UsageError as e:
        return fail(prog, e)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BrokenPipeError:  # the reader went away (| head): nothing to report, and nothing more to print
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:  # noqa: BLE001 - the last resort: one line instead of a traceback
        return fail(prog, _("internal error ({kind}: {error}); please report it with the command line").format(kind=type(e).__name__, error=e))


def fail(prog: str, error: Exception) -> int:
    """Report a usage error on one line; the exit status 2."""
    print(f"{prog}: {error}", file=sys.stderr)
    return 2
