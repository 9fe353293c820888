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
