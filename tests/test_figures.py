"""The lessons' figure style: 16:9 at 150 dpi or more, text of 14 pt or more, a colour-blind-safe palette,
Chinese labels drawn with a CJK font (or kept in English, said on stderr, where there is none)."""
import warnings

import pytest

from lessons import figures, i18n

pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    i18n.use(None)


def test_projector_size_and_text():
    fig, ax = figures.subplots()
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx(16 / 9) and fig.dpi >= 150
    assert width * figures.DPI >= 1920
    import matplotlib

    for key in ("axes.labelsize", "xtick.labelsize", "ytick.labelsize", "legend.fontsize", "axes.titlesize"):
        assert matplotlib.font_manager.FontProperties(size=matplotlib.rcParams[key]).get_size_in_points() >= 14, key
    assert [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]][: len(figures.PALETTE)] == list(figures.PALETTE)
    figures.pyplot().close(fig)


def test_chinese_labels_have_glyphs():
    i18n.use("zh")
    if figures.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    label = figures.label("attention weight")
    assert label != "attention weight"
    fig, ax = figures.subplots()
    ax.set_xlabel(label)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]
    figures.pyplot().close(fig)


def test_without_a_cjk_font_labels_stay_english(monkeypatch):
    i18n.use("zh")
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    assert figures.label("attention weight") == "attention weight"
    i18n.use("en")
    assert figures.label("attention weight") == "attention weight"
