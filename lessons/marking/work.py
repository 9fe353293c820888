"""A whole written solution, checked line by line and step by step (``check --work FILE``).

One line per quantity, as a student writes it by hand::

    h_1 = ReLU(w_hh*h_0 + w_xh*x_1 + b_h) = ReLU(1*0 + 2*1 + 1) = 3
    h_2 = ReLU(1*3 + 2*2 + 1) = ReLU(9) = 8
    [weight_1, weight_2, weight_3] = softmax([0.5, 1, 1.5]) = [0.1863, 0.3072, 0.5065]

Names in a line are the example's inputs and the quantities of earlier lines (the student's own
values). Every ``=`` is checked on its own: the two sides must agree within the rounding written on
them (:func:`lessons.marking.expressions.evaluate`). The last value of each line is marked by the
rule of :mod:`lessons.marking.rule`, with follow-through from the student's earlier lines. Blank
lines and lines starting with ``#`` are skipped; ``≈`` counts as ``=``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lessons.i18n import domain
from lessons.marking.expressions import InputError, evaluate, lone_number, normalize, parse
from lessons.marking.rule import DEFAULT, Answer, Checker, Precision, Verdict, roundoff

_ = domain("check")

_EQUALS = re.compile(r"(?<![<>=!])=(?!=)")  # "=" but not inside <=, >=, ==, !=
_HEAD = re.compile(r"^\s*(?:\[\s*([A-Za-z_0-9\s,]+)\]|([A-Za-z_][A-Za-z_0-9]*))\s*$")


@dataclass
class StepCheck:
    """One ``=`` of a line: the expressions on its two sides, their values, and whether they agree."""

    left: str
    right: str
    left_value: Any
    right_value: Any
    ok: bool


@dataclass
class Line:
    """One line of a written solution and what the checker found in it."""

    number: int
    text: str
    quantities: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    error: str = ""  # the line cannot be read
    verdicts: list = field(default_factory=list)

    @property
    def first_bad_step(self) -> StepCheck | None:
        return next((s for s in self.steps if not s.ok), None)

    @property
    def right(self) -> bool:
        return not self.error and self.first_bad_step is None and bool(self.verdicts) and all(v.credit for v in self.verdicts)

    def as_dict(self) -> dict:
        return {"line": self.number, "text": self.text, "quantities": self.quantities, "error": self.error,
                "steps": [vars(s) for s in self.steps], "verdicts": [v.as_dict() for v in self.verdicts], "right": self.right}


def _evaluated(text: str, names: dict, precision: Precision = DEFAULT) -> tuple:
    """(value, tolerance) of one side of an ``=``: a lone number, and each number of a written list
    (``[0.2, 0.3, 0.5]``), has the rule's precision (two significant digits at least, by default);
    an expression has the precision its decimals carry."""
    node = parse(text, names)
    ev = evaluate(node, names)
    lone = lone_number(node)
    if lone is not None:
        return ev.value, precision.tolerance(lone)
    if node.kind == "list":
        items = [lone_number(child) for child in node.children]
        return ev.value, [precision.tolerance(n) if n is not None else t for n, t in zip(items, ev.tolerance)]
    return ev.value, ev.tolerance


def _agree(a: Any, ta: Any, b: Any, tb: Any) -> bool:
    if isinstance(a, list) != isinstance(b, list):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_agree(x, tx, y, ty) for x, tx, y, ty in zip(a, ta, b, tb))
    return abs(a - b) <= ta + tb + roundoff(b)


def check_work(checker: Checker, text: str) -> list:
    """Check a written solution; returns its :class:`Line` s (skipped lines left out)."""
    names = dict(checker.inputs)
    lines: list = []
    answers: dict = {}
    owner: dict = {}  # quantity -> its line
    for number, raw in enumerate(text.splitlines(), 1):
        body = normalize(raw).strip()
        if not body or body.startswith("#"):
            continue
        line = Line(number, raw.strip())
        lines.append(line)
        parts = _EQUALS.split(body)
        head = _HEAD.match(parts[0])
        if len(parts) < 2 or head is None:
            line.error = _("expected QUANTITY = expression = ... = value, got {text!r}").format(text=body)
            continue
        quantities = [q.strip() for q in head.group(1).split(",")] if head.group(1) else [head.group(2)]
        unknown = [q for q in quantities if q not in checker.steps]
        if unknown:
            line.error = _("{names} is not a quantity of this example; it has: {known}").format(
                names=", ".join(unknown), known=", ".join(checker.order))
            continue
        twice = [q for q in quantities if q in owner]
        if twice:
            line.error = _("{names} is already written on line {line}").format(names=", ".join(twice), line=owner[twice[0]].number)
            continue
        line.quantities = quantities
        try:
            sides = [(p.strip(), *_evaluated(p.strip(), names, checker.precision)) for p in parts[1:]]
        except InputError as e:
            line.error = str(e)
            continue
        except (RecursionError, OverflowError, ValueError, ZeroDivisionError) as e:
            line.error = _("{text!r} cannot be evaluated ({error})").format(text=body[:40], error=type(e).__name__)
            continue
        line.steps = [StepCheck(a[0], b[0], a[1], b[1], _agree(a[1], a[2], b[1], b[2])) for a, b in zip(sides, sides[1:])]
        value, tol = sides[-1][1], sides[-1][2]
        values = value if isinstance(value, list) else [value]
        tols = tol if isinstance(tol, list) else [tol]
        if len(values) != len(quantities):
            line.error = _("{n} quantities on the left but {m} values on the right").format(n=len(quantities), m=len(values))
            continue
        last = parse(sides[-1][0], names)
        # a list written out gives each quantity its item; a function of a list (softmax([...])) gives each its element
        items = last.children if last.kind == "list" and len(quantities) > 1 else (last,) * len(quantities)
        for q, v, t, item in zip(quantities, values, tols, items):
            names[q] = v
            owner[q] = line
            lone = lone_number(item)
            if lone is None:  # an expression: judged by its value, to the precision asked (see lessons.marking.rule)
                t = checker.precision.distinct(v)
            if lone is None and checker.precision.numbers_only:
                answers[q] = Answer(q, item.text, error=_("{text!r} is an expression; write the number it gives (the teacher asked for numbers only)").format(text=item.text), refused=True)
                continue
            answers[q] = Answer(q, item.text if len(quantities) > 1 else sides[-1][0], v, t, written=lone, half_unit=lone.half_unit if lone else t)
    for v in checker.check(answers):
        owner[v.quantity].verdicts.append(v)
    return lines


def first_error(lines: list) -> tuple | None:
    """(line, what) for the first line that goes wrong: unreadable, a wrong ``=`` step, or a wrong value."""
    for line in lines:
        if line.error:
            return line, line.error
        bad = line.first_bad_step
        if bad is not None:
            return line, _("{left} is not {right}").format(left=bad.left, right=bad.right)
        wrong: list = [v for v in line.verdicts if not v.credit]
        if wrong:
            return line, wrong[0].message
    return None


def verdicts_of(lines: list) -> list:
    """Every marked answer of a solution, in the order of the lines."""
    out: list[Verdict] = []
    for line in lines:
        out.extend(line.verdicts)
    return out
