"""What every worked-example lesson shares: the steps of a hand calculation and the check table of the
document's printed numbers (a student's numbers are checked by :mod:`lessons.marking`).

A worked example is an ordered list of :class:`Step` s. Each step computes one named quantity from
named earlier ones with minigrad ops, so the same function gives

- the fully consistent computation (every step from the correct earlier values),
- the value "from the document's steps" (from the numbers the document printed before it, so one early
  slip does not mark every later step wrong),
- and, for a student, the value from *their* earlier numbers (:mod:`lessons.marking` tells a slip from a
  carried error).
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import minigrad as mg
from lessons import terminal
from lessons.i18n import domain

_ = domain("lessons")


@dataclass
class Printed:
    """A number as the document prints it: its value and how many decimals it shows."""

    value: float
    decimals: int
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> "Printed":
        t = text.strip()
        decimals = len(t.split(".")[1]) if "." in t else 0
        return cls(float(t), decimals, t)


@dataclass
class Step:
    """One quantity of a worked example.

    Attributes:
        name: the quantity's name (as in the check table and the checker, e.g. ``h_2``).
        fn: computes it (a minigrad tensor) from a dict of earlier values (tensors by name): the
            consistent computation.
        doc_fn: the formula the document states for it, when the lesson's consistent reading differs
            (used for the "from the document's steps" column); defaults to ``fn``.
        written: the document's own arithmetic, when it differs from its stated formula, so that
            a "formula differs" mistake is recognised.
        note: what the document does differently (shown with a wrong verdict).
        fails: when the document's formula cannot produce the printed number at all (shapes that do
            not fit, a result no input could give), a function of the document's earlier numbers that
            says why; the verdict is then "not derivable", decided before any arithmetic.
    """

    name: str
    fn: Callable[[dict], Any]
    doc_fn: Callable[[dict], Any] | None = None
    written: Callable[[dict], Any] | None = None
    note: str = ""
    fails: Callable[[dict], str] | None = None


NUMBER_VERDICTS = ("agrees", "agrees within the document's rounding", "rounding difference", "wrong", "not derivable",
                   "taken as given")
CLAIM_VERDICTS = ("holds", "holds with a condition", "wrong", "not testable", "not decided")
KINDS = ("number", "claim", "code")


@dataclass
class Row:
    """One line of a check table (the fields of the JSON report).

    Attributes:
        quantity: the short name of what is checked (``h_2``, ``parameters of the RNN model``).
        document: what the document prints or asserts, as printed.
        from_document_steps: for a number, the value from the document's own earlier numbers.
        recomputed: the value of the consistent computation, or for a claim or code sample the
            measurement behind the verdict (a number or a short text).
        verdict: for a number one of :data:`NUMBER_VERDICTS`, for a claim or code one of
            :data:`CLAIM_VERDICTS`.
        reason: why.
        source: the document and section, ``"001 §4.1"``.
        kind: ``"number"``, ``"claim"`` or ``"code"``.
    """

    quantity: str
    document: str
    from_document_steps: float | None
    recomputed: float | str | None
    verdict: str
    reason: str
    source: str = ""
    kind: str = "number"

    def as_dict(self) -> dict:
        return {"quantity": self.quantity, "document": self.document, "from_document_steps": self.from_document_steps,
                "recomputed": self.recomputed, "verdict": self.verdict, "reason": self.reason,
                "source": self.source, "kind": self.kind}


def add_up(terms: Any) -> Any:
    """``t_1 + t_2 + ... + t_n``, added left to right, so that a traced step reads as a student writes the sum
    (Python's ``sum`` would start from 0 and write ``0 + t_1 + ...``)."""
    terms = list(terms)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def claim(source: str, quantity: str, document: str, verdict: str, measured: Any, reason: str, kind: str = "claim") -> Row:
    """A row for a claim or code sample of a document: its verdict and the measurement behind it."""
    if verdict not in CLAIM_VERDICTS:
        raise ValueError(f"claim {quantity!r}: verdict must be one of {CLAIM_VERDICTS}, got {verdict!r}")
    return Row(quantity, document, None, measured, verdict, reason, source, kind)


def _close(a: float, b: float, decimals: int) -> bool:
    """Does ``a`` round to the printed ``b`` (half a unit in the last printed digit, plus round-off)?"""
    return abs(a - b) <= 0.5 * 10.0 ** (-decimals) + 1e-9 * max(1.0, abs(b))


def _scalar(t: Any) -> float:
    return float(t.item()) if isinstance(t, mg.Tensor) else float(t)


@dataclass
class WorkedExample:
    """A hand calculation: its inputs, its steps in order, and what the document printed."""

    inputs: dict
    steps: list
    document: dict = field(default_factory=dict)  # quantity -> printed text
    given: dict = field(default_factory=dict)  # printed inputs that cannot be derived -> why they are taken as given

    def evaluate(self, overrides: dict | None = None, trace: mg.trace | None = None) -> dict:
        """Every quantity by name (floats), each step from the earlier ones (``overrides`` replace them)."""
        values = {k: mg.tensor(v, dtype=mg.float64) for k, v in self.inputs.items()}
        if trace is not None:
            for k, v in values.items():
                trace.name(v, k)
        for step in self.steps:
            if overrides and step.name in overrides:
                v = mg.tensor(overrides[step.name], dtype=mg.float64)
                values[step.name] = trace.name(v, step.name) if trace is not None else v
                continue
            v = step.fn(values)
            values[step.name] = trace.name(v, step.name) if trace is not None else v
        return {k: _scalar(v) if v.numel() == 1 else v.cpu().numpy() for k, v in values.items()}

    def steps_text(self, fmt: str = "text", **inputs: Any) -> str:
        """The consistent computation, step by step, as a student writes it."""
        ex = self.with_inputs(**inputs) if inputs else self
        with mg.trace() as tr:
            ex.evaluate(trace=tr)
        return tr.render(fmt)

    def with_inputs(self, **inputs: Any) -> "WorkedExample":
        unknown = set(inputs) - set(self.inputs)
        if unknown:
            raise KeyError(f"unknown inputs {sorted(unknown)}; this example's inputs are {sorted(self.inputs)}")
        return WorkedExample({**self.inputs, **inputs}, self.steps, self.document, self.given)

    def check_table(self, source: str = "") -> list:
        """A :class:`Row` for every number the document prints (``source``: its document and section)."""
        consistent = self.evaluate()
        doc = {k: Printed.parse(v) for k, v in self.document.items()}
        rows = [Row(k, doc[k].text, None, consistent[k], "taken as given", why, source) for k, why in self.given.items() if k in doc]
        earlier_doc = dict(self.inputs)
        for step in self.steps:
            if step.name not in doc:
                earlier_doc[step.name] = consistent[step.name]
                continue
            p = doc[step.name]
            from_doc = self._one_step(earlier_doc, step.doc_fn or step.fn)
            verdict, reason = self._verdict(step, p, consistent[step.name], from_doc, earlier_doc)
            rows.append(Row(step.name, p.text, from_doc, consistent[step.name], verdict, reason, source))
            earlier_doc[step.name] = p.value
        return rows

    def _one_step(self, earlier: dict, fn: Callable[[dict], Any]) -> float:
        values = {k: mg.tensor(v, dtype=mg.float64) for k, v in earlier.items()}
        return _scalar(fn(values))

    def _verdict(self, step: Step, p: Printed, recomputed: float, from_doc: float, earlier_doc: dict) -> tuple:
        note = _("; {note}").format(note=step.note) if step.note else ""
        if recomputed == p.value:
            return "agrees", ""
        if _close(recomputed, p.value, p.decimals):
            return "agrees within the document's rounding", _("{value} rounds to {printed}").format(value=f"{recomputed:.10g}", printed=p.text)
        if step.fails is not None:
            return "not derivable", step.fails(earlier_doc)
        if _close(from_doc, p.value, p.decimals):
            return "wrong", _("carried error: right given the document's earlier numbers, but those were wrong; "
                              "the consistent value is {value}{note}").format(value=f"{recomputed:.10g}", note=note)
        unit = 10.0 ** (-p.decimals)
        for value, what in ((from_doc, _("the document's formula on its own earlier numbers")), (recomputed, _("the consistent computation"))):
            if p.decimals > 0 and abs(value - p.value) <= unit * (1 + 1e-9):  # one unit in the last digit: no arithmetic slip
                how = _("cut off instead of rounded") if abs(p.value) < abs(value) else _("rounded up one unit too many")
                return "rounding difference", _("{what} gives {value}, which rounds to {rounded}; the document prints {printed}, "
                                                "one unit off in the last digit ({how})").format(
                    what=what, value=f"{value:.10g}", rounded=f"{value:.{p.decimals}f}", printed=p.text, how=how)
        if step.written is not None:
            as_written = self._one_step(earlier_doc, step.written)
            if _close(as_written, p.value, p.decimals):
                return "wrong", _("formula differs: the document's arithmetic gives {value}{note}").format(
                    value=f"{as_written:.10g}", note=note)
            if _close(as_written, from_doc, p.decimals):
                return "wrong", _("arithmetic slip: the document's own expression gives {value}, not {printed}{note}").format(
                    value=f"{as_written:.10g}", printed=p.text, note=note)
            return "wrong", _("arithmetic slip: the document's formula on its own earlier numbers gives {value} (the column "
                              "'from doc. steps'), the expression it writes out gives {written}; neither is {printed}{note}").format(
                value=f"{from_doc:.10g}", written=f"{as_written:.10g}", printed=p.text, note=note)
        return "wrong", _("arithmetic slip: the document's formula on its own earlier numbers gives {value}, not {printed}{note}").format(
            value=f"{from_doc:.10g}", printed=p.text, note=note)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not math.isnan(v):
        return f"{v:.10g}"
    return str(v)


def _shown(text: Any) -> str:
    """A text cell in the reader's language: the lessons' catalog translates the quantities of claims and
    the cells written in English (``"RNN pseudocode"``, ``"2 and 8"``); numbers, code and what the
    catalog lacks are shown as they are."""
    return _(text) if isinstance(text, str) and text else _fmt(text)


_ERROR = re.compile(r"^[A-Z]\w*(?:Error|Exception|Warning): ")  # a library's own error message: program output


def format_table(rows: list, columns: int | None = terminal.WIDTH) -> str:
    """A check table as fixed-width text, at most ``columns`` wide (None: one line per row, as wide as
    its longest cell, for scripts). Widths are terminal columns, so Chinese text aligns; a cell too
    long for its column wraps inside it, and each row's reason is written under the row, wrapped."""
    head = (_("source"), _("quantity"), _("document"), _("from doc. steps"), _("recomputed"), _("verdict"))
    body = [(r.source, r.quantity if r.kind == "number" else _shown(r.quantity), _shown(r.document), _fmt(r.from_document_steps),
             _shown(r.recomputed), _(r.verdict)) for r in rows]
    widths = [max(terminal.width(str(x)) for x in col) for col in zip(head, *body)]
    if columns is not None:  # narrow the widest column, one column at a time, until the row fits
        floor = [min(w, 10) for w in widths]
        while sum(widths) + 2 * (len(widths) - 1) > columns and any(w > f for w, f in zip(widths, floor)):
            i = max(range(len(widths)), key=lambda k: widths[k] - floor[k])
            widths[i] -= 1

    def lines(cells: tuple) -> list:
        wrapped = [terminal.wrap(str(c), w) if columns is not None else [str(c)] for c, w in zip(cells, widths)]
        return ["  ".join(terminal.ljust(cell[k] if k < len(cell) else "", w) for cell, w in zip(wrapped, widths)).rstrip()
                for k in range(max(len(cell) for cell in wrapped))]

    out = lines(head) + ["  ".join("-" * w for w in widths)]
    indent = " " * (widths[0] + 2)
    for r, b in zip(rows, body):
        out += lines(b)
        if r.reason:
            reason = terminal.wrap(r.reason, columns - len(indent) - 2) if columns is not None else [r.reason]
            out += [indent + ("↳ " if k == 0 else "  ") + part for k, part in enumerate(reason)]
    return "\n".join(out)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>$~|#])")


def _cell(v: Any) -> str:
    """A table cell shown as written: Markdown's and MyST's special characters escaped, so that
    ``\\text{context}_i`` keeps its underscores instead of turning into italics."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _fmt(v)).replace("\n", " ")


def _code(text: str) -> str:
    """Inline code in a table cell (code as the document prints it, a program's error message)."""
    text = text.replace("\n", " ").replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" or text.startswith("`") else f"`{text}`"


def _text_cell(text: Any, code: bool = False) -> str:
    shown = _shown(text)
    if isinstance(text, str) and (code or _ERROR.match(text) or (shown == text and "\\" in text)):
        return _code(shown)  # code, an error message, or LaTeX source as the document prints it
    return _cell(shown)


def markdown_table(rows: list) -> str:
    """A check table as a Markdown table, in a ``check-table`` container.

    The site's stylesheet (``docs/_static/minigrad.css``) lays each row of such a table out as a grid:
    the numbers and the verdict on one line, the reason on a line of its own under them, so that every
    row fits the width of the page (and a phone's, where the cells wrap). A table of claims and code
    samples only (no "from the document's steps" values) is a ``claims`` table: the measurement, often
    a sentence, gets a line of its own too.
    """
    head = (_("source"), _("kind"), _("quantity"), _("document"), _("from document's steps"), _("recomputed"), _("verdict"), _("reason"))
    layout = "check-table claims" if all(r.from_document_steps is None for r in rows) else "check-table"
    out = [f"```{{container}} {layout}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        quantity = f"`{r.quantity}`" if r.kind == "number" else _text_cell(r.quantity)
        out.append(f"| {_cell(r.source)} | {_(r.kind)} | {quantity} | {_text_cell(r.document, code=r.kind == 'code')} | "
                   f"{_cell(r.from_document_steps)} | {_text_cell(r.recomputed)} | {_(r.verdict)} | {_cell(r.reason)} |")
    out += ["", "```"]
    return "\n".join(out)


def optional_torch() -> Any:
    """PyTorch if it is installed (lessons compare with it when they can), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def run_snippet(code: str, lib: str) -> str:
    """Run a program written for ``{lib}`` on "minigrad" or "torch"; return the error it raises, or "ran without error"."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # library advice (e.g. on nested tensors) is beside the point here
            exec(code.format(lib=lib), {})
    except Exception as e:  # each library's own message is what the lesson shows
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return "ran without error"


def error_of(fn: Callable[[], Any]) -> str:
    """Call ``fn``; the error it raises as ``"Kind: first line"``, or "no error"."""
    try:
        fn()
    except Exception as e:  # the library's own message is the measurement
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return "no error"


def machine(device: str = "cpu") -> str:
    """The machine a measurement comes from, for the label of machine-dependent numbers (timings)."""
    import os
    import platform

    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:  # the model name is more telling than the architecture, where the system tells it
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    text = f"{cpu}, {os.cpu_count()} CPUs, {platform.system()}, Python {platform.python_version()}, NumPy {np.__version__}"
    if device != "cpu":
        from minigrad import backend

        dev = backend.as_device(device)
        props = backend.cupy_module().cuda.runtime.getDeviceProperties(dev.index or 0)
        text += f", {props['name'].decode() if isinstance(props['name'], bytes) else props['name']}"
    return text
