"""Text laid out for a terminal, measured in columns: a Chinese character takes two, so ``len`` would
misalign every column after one (:func:`wcwidth.wcswidth` gives the columns a terminal uses)."""
from __future__ import annotations

import re

from wcwidth import wcswidth, wcwidth

WIDTH = 100  # what tables are wrapped to (``--wide`` keeps one line per row)
_TOKENS = re.compile(r"\s+|[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


def width(text: str) -> int:
    """The columns ``text`` takes in a terminal (a character it cannot measure counts as one)."""
    w = wcswidth(text)
    return w if w >= 0 else sum(max(wcwidth(c), 1) for c in text)


def ljust(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` columns."""
    return text + " " * max(columns - width(text), 0)


def wrap(text: str, columns: int) -> list:
    """``text`` broken into lines of at most ``columns`` columns: between words, between Chinese
    characters, and inside a word only when the word alone is wider than a line."""
    columns = max(columns, 2)
    lines, line = [], ""
    for token in _TOKENS.findall(text):
        if width(line + token) <= columns:
            line += token
            continue
        if token.isspace():
            lines.append(line)
            line = ""
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        while width(token) > columns:  # a word wider than a line: cut it where the line is full
            cut = 1
            while width(token[: cut + 1]) <= columns:
                cut += 1
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines
