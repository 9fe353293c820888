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
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import minigrad as mg
from lessons.i18n import domain

_ = domain("lessons")
AGREES = ("agrees", "agrees within the document's rounding")  # the verdicts of a number printed rightly


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
    """

    name: str
    fn: Callable[[dict], Any]
    doc_fn: Callable[[dict], Any] | None = None
    written: Callable[[dict], Any] | None = None
    note: str = ""


@dataclass
class Row:
    """One line of a check table (the fields of the JSON report)."""

    quantity: str
    document: str
    from_document_steps: float | None
    recomputed: float
    verdict: str
    reason: str

    def as_dict(self) -> dict:
        return {"quantity": self.quantity, "document": self.document, "from_document_steps": self.from_document_steps,
                "recomputed": self.recomputed, "verdict": self.verdict, "reason": self.reason}


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

    def check_table(self) -> list:
        """A :class:`Row` for every number the document prints."""
        consistent = self.evaluate()
        doc = {k: Printed.parse(v) for k, v in self.document.items()}
        rows = [Row(k, doc[k].text, None, consistent[k], "taken as given", why) for k, why in self.given.items() if k in doc]
        earlier_doc = dict(self.inputs)
        for step in self.steps:
            if step.name not in doc:
                earlier_doc[step.name] = consistent[step.name]
                continue
            p = doc[step.name]
            from_doc = self._one_step(earlier_doc, step.doc_fn or step.fn)
            verdict, reason = self._verdict(step, p, consistent[step.name], from_doc, earlier_doc)
            rows.append(Row(step.name, p.text, from_doc, consistent[step.name], verdict, reason))
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
        if _close(from_doc, p.value, p.decimals):
            return "wrong", _("carried error: right given the document's earlier numbers, but those were wrong; "
                              "the consistent value is {value}{note}").format(value=f"{recomputed:.10g}", note=note)
        if step.written is not None:
            as_written = self._one_step(earlier_doc, step.written)
            if _close(as_written, p.value, p.decimals):
                return "wrong", _("formula differs: the document's arithmetic gives {value}{note}").format(
                    value=f"{as_written:.10g}", note=note)
            return "wrong", _("arithmetic slip: the document's own expression gives {value}, not {printed}{note}").format(
                value=f"{as_written:.10g}", printed=p.text, note=note)
        return "wrong", _("arithmetic slip: the document's formula on its own earlier numbers gives {value}, not {printed}{note}").format(
            value=f"{from_doc:.10g}", printed=p.text, note=note)


def format_table(rows: list) -> str:
    """A check table as fixed-width text."""
    head = (_("quantity"), _("document"), _("from doc. steps"), _("recomputed"), _("verdict"))
    fmt = lambda v: "—" if v is None else (f"{v:.10g}" if isinstance(v, float) and not math.isnan(v) else str(v))  # noqa: E731
    body = [(r.quantity, r.document, fmt(r.from_document_steps), fmt(r.recomputed), _(r.verdict)) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    out = [line(head), line("-" * w for w in widths)]
    for r, b in zip(rows, body):
        out.append(line(b))
        if r.reason:
            out.append(" " * (widths[0] + 2) + "↳ " + r.reason)
    return "\n".join(out)


def markdown_table(rows: list) -> str:
    """A check table as a Markdown table."""
    head = (_("quantity"), _("document"), _("from document's steps"), _("recomputed"), _("verdict"), _("reason"))
    out = ["| " + " | ".join(head) + " |", "|---|---|---|---|---|---|"]
    fmt = lambda v: "—" if v is None else f"{v:.10g}"  # noqa: E731
    for r in rows:
        out.append(f"| `{r.quantity}` | {r.document} | {fmt(r.from_document_steps)} | {fmt(r.recomputed)} | {_(r.verdict)} | {r.reason} |")
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
