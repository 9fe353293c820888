"""The gettext catalogs: every compiled ``.mo`` says what its ``.po`` says, and every message has a translation."""
import gettext
import io

import pytest

from lessons import i18n

babel = pytest.importorskip("babel")
from babel.messages.pofile import read_po  # noqa: E402

CATALOGS = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def test_there_are_catalogs():
    assert CATALOGS, "no .po catalogs under lessons/locale"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_mo_matches_po_and_is_complete(po):
    catalog = read_po(io.BytesIO(po.read_bytes()))
    with po.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"{po.name}: no translation for {message.id!r}"
        assert not message.fuzzy, f"{po.name}: fuzzy translation for {message.id!r}"
        assert compiled.gettext(message.id) == message.string, f"{po.name}: .mo out of date for {message.id!r} (run python -m lessons.i18n)"


def test_language_follows_the_environment(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.from_environment() == "zh"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert i18n.from_environment() == "en"
    monkeypatch.setenv("LANGUAGE", "zh_TW:en")
    assert i18n.from_environment() == "zh"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.use("fr")


def test_every_message_of_the_lessons_is_in_their_catalog():
    """What the lessons print and draw through ``_()`` and ``figures.label()``, and each lesson's summary."""
    from babel.messages.extract import extract_from_file

    from lessons.runner import LESSONS, load

    catalog = read_po(io.BytesIO((i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "lessons.po").read_bytes()))
    package = i18n.LOCALE_DIR.parent
    sources = [p for p in sorted(package.glob("*.py")) + sorted(package.glob("cli/*.py"))
               if 'domain("lessons")' in p.read_text(encoding="utf-8") or "figures.label(" in p.read_text(encoding="utf-8")]
    assert len(sources) > len(LESSONS)
    wanted = []
    for path in sources:
        for _line, message, _comments, _context in extract_from_file("python", str(path), keywords={"_": None, "label": None}):
            wanted.append((path.name, message if isinstance(message, str) else message[0]))
    wanted += [(f"{name}.SUMMARY", load(name).SUMMARY) for name in LESSONS]
    untranslated = [f"{where}: {msgid!r}" for where, msgid in wanted if not (catalog.get(msgid) and catalog.get(msgid).string)]
    assert not untranslated, "add these to lessons/locale/zh_CN/LC_MESSAGES/lessons.po:\n" + "\n".join(untranslated)


def test_lessons_speak_chinese():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "lessons", "rnn_worked_example", "--lang", "zh"], cwd=i18n.LOCALE_DIR.parent.parent,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "逐一核对文档印出的每个数" in proc.stdout and "传递误差" in proc.stdout and "错误" in proc.stdout
    assert "Check of every number" not in proc.stdout


DOC_CATALOGS = sorted((i18n.LOCALE_DIR.parent.parent / "docs" / "locale").glob("*/LC_MESSAGES/*.po"))
SPANS = __import__("re").compile(r"\$[^$]+\$|`[^`]+`|\]\([^)]+\)")  # inline maths, inline code, link targets


@pytest.mark.parametrize("po", DOC_CATALOGS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_doc_translations_keep_maths_code_and_links(po):
    """A translation changes the words only: the same maths, code and link targets (in the order Chinese needs)."""
    catalog = read_po(io.BytesIO(po.read_bytes()))
    entries = [m for m in catalog if m.id]
    assert entries, f"{po.name} translates nothing"
    for message in entries:
        assert message.string and not message.fuzzy, f"{po.name}: {message.id[:60]!r} has no translation"
        assert sorted(SPANS.findall(message.string)) == sorted(SPANS.findall(message.id)), f"{po.name}: maths, code or links changed in {message.id[:60]!r}"
