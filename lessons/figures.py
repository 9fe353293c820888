"""One figure style for every lesson, drawn to be read from the back of a classroom.

A lesson's figure is 16:9 (1920 x 1080 pixels: 12.8 x 7.2 inches at 150 dpi), its axis labels and tick
labels are at least 14 pt, its colours are the Okabe-Ito palette (told apart with every common colour-vision
deficiency) and its colour maps are viridis (perceptually uniform, readable in grey). Chinese labels need a
font with CJK glyphs: the first one installed of :data:`CJK_FONTS` is put behind the Latin font, so
matplotlib takes each glyph from the first font that has it. With none installed, the labels stay in English
and :func:`cjk_font` says so once on stderr (install one with ``apt-get install fonts-noto-cjk``).

Usage in a lesson::

    plt = ctx.pyplot()                      # None when no figure is wanted or matplotlib is missing
    if plt is not None:
        fig, ax = figures.subplots()
        ax.set_title(figures.label("what to see"))
        ctx.figure(fig, "name")
"""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from lessons.i18n import current, domain

WIDTH, HEIGHT, DPI = 12.8, 7.2, 150
# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, reddish purple,
# sky blue, black, and yellow last: a yellow line is faint on white, on a projector most of all.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
WRONG = PALETTE[3]  # what marks a wrong number
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # with the colours, so that coinciding curves stay visible
CMAP = "viridis"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei", "Noto Serif CJK SC", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC")
CJK_FILES = ("cjk", "wqy", "sourcehan", "simhei", "msyh", "pingfang", "uming")  # how their files are named
STYLE = {
    "font.size": 16,
    "axes.titlesize": 18,
    "axes.labelsize": 16,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "figure.titlesize": 20,
    "lines.linewidth": 2.5,
    "lines.markersize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "image.cmap": CMAP,
    "figure.figsize": (WIDTH, HEIGHT),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "axes.unicode_minus": False,  # CJK fonts often lack U+2212
}

_ = domain("lessons")


@lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None (said once on stderr)."""
    from matplotlib import font_manager

    def first_installed() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = first_installed()
    if found is None:  # matplotlib's font cache predates a font installed since: look at the system's fonts once
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name.lower() for key in CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot read: skip it
                    continue
        found = first_installed()
    if found is None:
        print(_("no Chinese font found (e.g. apt-get install fonts-noto-cjk): figure labels stay in English"),
              file=sys.stderr)
    return found


def label(message: str) -> str:
    """A figure's text in the reader's language, or in English where no font could draw the Chinese."""
    if current() == "en" or cjk_font() is None:
        return message
    return _(message)


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend with the lessons' style, or None without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    from cycler import cycler

    if "matplotlib.pyplot" not in sys.modules:  # a notebook keeps the backend it chose
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(STYLE)
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)
    fonts = ["DejaVu Sans"] + ([cjk_font()] if current() != "en" and cjk_font() else [])
    matplotlib.rcParams["font.family"] = fonts
    return plt


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple:
    """``plt.subplots`` at the projector size, laid out so that nothing is clipped."""
    plt = pyplot()
    kwargs.setdefault("figsize", (WIDTH, HEIGHT))
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, **kwargs)
