"""What the checking subcommands (``check``, ``mark``, ``sheet``) share: one-line usage errors,
``--lang``, and the worked example of a lesson with its inputs as ``--set``."""
from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from lessons import i18n
from lessons.marking.variants import UsageError, parse_sets
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


def add_example_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="PARAM=V[,V...]",
                   help=_("change an input of the worked example (repeatable): a number, or numbers separated by commas "
                          "for a sequence, e.g. --set x=2,0,1 --set w_hh=0.5"))
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help=_("language of every message (default: from the locale, e.g. LANG=zh_CN.UTF-8)"))


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


def fail(prog: str, error: Exception) -> int:
    """Report a usage error on one line; the exit status 2."""
    print(f"{prog}: {error}", file=sys.stderr)
    return 2
