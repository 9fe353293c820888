"""Messages in the reader's language, through Python's :mod:`gettext` catalogs.

Each area of the lessons keeps its messages in a gettext *domain* of its own (``check`` for the
hand-calculation checker, ``assignments`` for the grader, ``lessons`` for the lessons' output,
``argparse`` for argparse's own words in every command's help and errors), so
that each catalog stays next to one piece of code. The catalogs are
``lessons/locale/<language>/LC_MESSAGES/<domain>.po`` (edited by hand) and the compiled ``.mo``
beside each (``python -m lessons.i18n`` recompiles them with Babel; a test checks they are in step).

The language is ``--lang`` where a command has it, else the locale of the environment
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext reads them): ``LANG=zh_CN.UTF-8``
gives Chinese. Usage in a module::

    from lessons.i18n import domain
    _ = domain("check")
    print(_("right"))
"""
from __future__ import annotations

import datetime
import gettext
import os
from functools import lru_cache
from pathlib import Path
from typing import Callable

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = {"en": None, "zh": "zh_CN"}  # the --lang choices and the catalog each reads
_current: str | None = None  # set by use(); None: follow the environment


def from_environment() -> str:
    """``"zh"`` when the first language the environment asks for is Chinese, else ``"en"``."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            first = value.split(":")[0].lower()
            return "zh" if first.startswith("zh") else "en"
    return "en"


def use(lang: str | None) -> str:
    """Make ``lang`` (``"en"``, ``"zh"``, or None for the environment's) the language of every message."""
    global _current
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    _current = lang
    return current()


def current() -> str:
    """The language messages are given in now."""
    return _current or from_environment()


@lru_cache(maxsize=None)
def _catalog(name: str, lang: str) -> gettext.NullTranslations:
    code = LANGUAGES[lang]
    if code is None:
        return gettext.NullTranslations()
    return gettext.translation(name, localedir=LOCALE_DIR, languages=[code], fallback=True)


def domain(name: str) -> Callable[[str], str]:
    """The ``_`` function of a gettext domain: translates a message into the current language."""

    def _(message: str) -> str:
        return _catalog(name, current()).gettext(message)

    return _


def _speak_argparse() -> None:
    """Route argparse's own words ("usage:", "error:", "options", ...) through the gettext domain
    ``argparse`` in the current language: argparse looks its messages up with the module-level
    ``_``/``ngettext`` it imported from :mod:`gettext`, which would read the environment's locale only."""
    import argparse

    argparse._ = lambda message: _catalog("argparse", current()).gettext(message)
    argparse.ngettext = lambda singular, plural, n: _catalog("argparse", current()).ngettext(singular, plural, n)


_speak_argparse()
_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def compile_catalogs() -> list:
    """Compile every ``.po`` catalog into its ``.mo`` (needs Babel: ``pip install babel``)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        catalog.creation_date = _EPOCH  # Babel would stamp "now" into the header: keep the .mo reproducible
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        written.append(po.with_suffix(".mo"))
    return written


if __name__ == "__main__":
    for path in compile_catalogs():
        print(path.relative_to(LOCALE_DIR.parent.parent))
