r"""The marking rule, stated once: when a written number counts as right, and why not when it does not.

A worked example (:class:`lessons.common.WorkedExample`) is a list of steps, each computing one named
quantity from named earlier values with minigrad. The checker reads three things off that
computation, so no one writes marking rules by hand:

- which earlier quantities each step reads (its *dependencies*, recorded by running the step);
- the exact value of every quantity (the consistent computation, float64);
- how much every quantity moves when an earlier one is rounded (autograd through the steps).

**The rule.** Let :math:`w` be the value a student wrote for a quantity whose exact value is
:math:`x`, and :math:`\tau` the precision of what was written: half a unit in the last written
digit (``0.9511``: :math:`5\cdot10^{-5}`; ``24``: :math:`0.5`), with a floor for very short answers
(a number written with one significant digit and fewer than ``ROUNDING_DECIMALS`` decimals is held
to two significant digits: ``8`` means :math:`8 \pm 0.05`, while ``0.0003`` keeps its four decimals;
a written zero is held to two decimals: ``0`` means :math:`0 \pm 0.005`). An arithmetic expression
(``16/2``, ``2*0.9511+3``) has the precision of the decimals written in it, propagated through the
expression; whole numbers in it are exact. Then, in this order:

1. **right** when :math:`|w - x| \le \tau`;
2. **right given your earlier values (follow-through)** when an earlier value the student wrote is
   wrong and the step, recomputed from the student's own earlier values :math:`\hat x`, gives
   :math:`|w - \hat x| \le \tau + \beta`;
3. **rounding difference** when the student's earlier values are right but rounded and explain
   :math:`w` as in 2, or when :math:`|w - x| \le \tau + \beta_x`, where :math:`\beta` bounds what
   rounding the intermediate values nobody wrote down to ``ROUNDING_DECIMALS`` decimals can do:
   :math:`\beta = \sum_j |\partial q / \partial q_j|\, \tfrac12 10^{-4}` over the unwritten
   intermediates :math:`q_j` that are not already exact at 4 decimals;
4. **wrong** otherwise, with the right value, what this step gives from the student's own earlier
   values, and a likely reason (a sign, a misplaced decimal point, a function not applied, the
   value of another quantity). The first wrong answer in the order of the computation is the
   *first wrong step*.

Right, follow-through and rounding difference earn the mark. An empty, unreadable or non-finite
answer is never right.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Iterable, Mapping

import numpy

import minigrad as mg
from lessons.i18n import domain
from lessons.marking.expressions import InputError, Number, evaluate, lone_number, normalize, parse

_ = domain("check")

MIN_SIGNIFICANT = 2  # the floor: a one-digit answer is held to two significant digits
ZERO_DECIMALS = 2  # a written zero is held to two decimals
ROUNDING_DECIMALS = 4  # the rounding a student is assumed to carry through unwritten intermediates

CREDIT = ("right", "follow-through", "rounding")  # the verdicts that earn the mark


def roundoff(x: float) -> float:
    """Float64 round-off allowed on top of every tolerance."""
    return 1e-9 * max(1.0, abs(x))


@dataclass
class Answer:
    """One written answer: the text, and the value and precision read from it (or why it cannot be read)."""

    quantity: str
    text: str
    value: float | None = None
    tolerance: float = 0.0
    error: str | None = None

    @property
    def readable(self) -> bool:
        return self.error is None


def tolerance_of_number(number: Number) -> float:
    """The precision of one written number, with the floor for very short answers (see the module)."""
    if number.significant == 0:  # zero
        return min(number.half_unit, 0.5 * 10.0 ** -ZERO_DECIMALS)
    if number.significant < MIN_SIGNIFICANT and -number.last_digit < ROUNDING_DECIMALS:
        magnitude = math.floor(math.log10(abs(number.value)))
        return min(number.half_unit, 0.5 * 10.0 ** (magnitude + 1 - MIN_SIGNIFICANT))
    return number.half_unit


def read_answer(quantity: str, text: str, names: Mapping[str, float] = {}) -> Answer:  # noqa: B006 (read-only)
    """Read what a student wrote for ``quantity``; never raises (an unreadable answer carries ``error``)."""
    text = normalize(str(text)).strip()
    try:
        node = parse(text, names)
        ev = evaluate(node, names)
    except InputError as e:
        return Answer(quantity, text, error=str(e))
    if ev.is_vector:
        return Answer(quantity, text, error=_("{text!r} is a list; {quantity} is one number").format(text=text, quantity=quantity))
    lone = lone_number(node)
    tol = tolerance_of_number(lone) if lone else ev.tolerance
    return Answer(quantity, text, ev.value, tol)


@dataclass
class Verdict:
    """The mark of one answer. ``verdict`` is one of ``right``, ``follow-through``, ``rounding``,
    ``wrong``, ``invalid`` (unreadable) or ``not answered``."""

    quantity: str
    given: str
    value: float | None
    expected: float
    verdict: str
    message: str = ""
    from_yours: float | None = None
    first_wrong: bool = False
    step: str = ""  # the step written with the student's own numbers (for a wrong answer)

    @property
    def credit(self) -> bool:
        return self.verdict in CREDIT

    def as_dict(self) -> dict:
        d = asdict(self)
        d["credit"] = self.credit
        return d


def label(verdict: str) -> str:
    """A verdict as a student reads it, in the current language."""
    return {
        "right": _("right"),
        "follow-through": _("right given your earlier values (follow-through)"),
        "rounding": _("rounding difference (counts as right)"),
        "wrong": _("wrong"),
        "invalid": _("not a valid answer"),
        "not answered": _("not answered"),
    }[verdict]


def fmt(x: float) -> str:
    """A number in feedback: enough digits to compare with any rounding a student writes."""
    return f"{x:.10g}"


class _Reads(dict):
    """The values a step may read; records which ones it does."""

    def __init__(self, values: Mapping) -> None:
        super().__init__(values)
        self.read: set = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


def _t(x: Any) -> Any:
    return mg.tensor(x, dtype=mg.float64)


def _off_grid(x: float) -> bool:
    """Does rounding ``x`` to ROUNDING_DECIMALS decimals change it?"""
    return abs(x - round(x, ROUNDING_DECIMALS)) > roundoff(x)


class Checker:
    """Checks answers to one worked example (with its inputs as set) by the rule of this module."""

    def __init__(self, example: Any) -> None:
        self.example = example
        self.order = [s.name for s in example.steps]
        self.steps = {s.name: s for s in example.steps}
        self.inputs = dict(example.inputs)
        values = {k: _t(v) for k, v in self.inputs.items()}
        self.reads: dict = {}
        for step in example.steps:
            recorder = _Reads(values)
            values[step.name] = step.fn(recorder)
            self.reads[step.name] = recorder.read
        self.exact = {k: float(v.item()) for k, v in values.items()}

    # ------------------------------------------------------------ what the example holds
    @cached_property
    def ancestors(self) -> dict:
        """Every earlier quantity (step, not input) each quantity depends on."""
        out: dict = {}
        for name in self.order:
            deps = {d for d in self.reads[name] if d in self.steps}
            out[name] = deps.union(*(out[d] for d in deps))
        return out

    @cached_property
    def _traced(self) -> dict:
        """The consistent computation as :class:`minigrad.trace` writes it, step by name."""
        with mg.trace() as tr:
            self.example.evaluate(trace=tr)
        return {s.name: s for s in tr.steps}

    @cached_property
    def formulas(self) -> dict:
        """Each quantity's formula in names, as a student writes it."""
        return {name: self._traced[name].symbolic if name in self._traced else fmt(self.exact[name]) for name in self.order}

    @cached_property
    def band(self) -> dict:
        """For each quantity, how far rounding every earlier quantity to 4 decimals can move it."""
        return self._bands(written={})[1]

    # ------------------------------------------------------------ the rule
    def _bands(self, written: Mapping[str, float]) -> tuple:
        """Evaluate with the student's ``written`` values in place; for every quantity return the value
        its step gives from those values, and the rounding band of the unwritten ones before it."""
        values = {k: _t(v) for k, v in self.inputs.items()}
        deltas: dict = {}
        from_values: dict = {}
        with numpy.errstate(all="ignore"):
            for name in self.order:
                out = self.steps[name].fn(values)
                from_values[name] = out
                if name in written:
                    values[name] = _t(written[name])
                else:
                    delta = mg.zeros_like(out).requires_grad_()
                    deltas[name] = delta
                    values[name] = out + delta
        results, bands = {}, {}
        for name in self.order:
            y = from_values[name]
            value = float(y.item())
            results[name] = value if math.isfinite(value) else None
            upstream = [deltas[d] for d in self.ancestors[name] if d in deltas and _off_grid(float(values[d].item()))]
            band = 0.0
            if upstream and y.requires_grad and results[name] is not None:
                for d in upstream:
                    d.grad = None
                y.backward(retain_graph=True)
                band = sum(abs(float(d.grad.item())) for d in upstream if d.grad is not None) * 0.5 * 10.0 ** -ROUNDING_DECIMALS
            bands[name] = band
        return results, bands

    def read(self, answers: Mapping[str, str]) -> dict:
        """Read every answer (quantity -> :class:`Answer`); names in expressions are the inputs."""
        unknown = [q for q in answers if q not in self.steps]
        if unknown:
            raise KeyError(_("unknown quantities {unknown}; this example has: {known}").format(
                unknown=", ".join(unknown), known=", ".join(self.order)))
        return {q: read_answer(q, text, self.inputs) for q, text in answers.items()}

    def check(self, answers: Mapping[str, Any]) -> list:
        """Mark ``answers`` (quantity -> text, or :class:`Answer`) in the order of the computation."""
        read = {q: a if isinstance(a, Answer) else None for q, a in answers.items()}
        pending = {q: str(a) for q, a in answers.items() if read[q] is None}
        read.update(self.read(pending))
        written = {q: a.value for q, a in read.items() if a.readable}
        from_yours, band_yours = self._bands(written)
        point = {**{k: v for k, v in from_yours.items() if v is not None}, **written}
        verdicts: dict = {}
        first_found = False
        for name in self.order:
            if name not in read:
                continue
            a, x = read[name], self.exact[name]
            if not a.readable:
                verdicts[name] = Verdict(name, a.text, None, x, "invalid", a.error or "")
                continue
            v = self._verdict(a, x, from_yours[name], band_yours[name], verdicts, written, point)
            if v.verdict == "wrong" and not first_found:
                first_found = v.first_wrong = True
                v.message = _("first wrong step: {message}").format(message=v.message)
            verdicts[name] = v
        return [verdicts[q] for q in self.order if q in verdicts]

    def _verdict(self, a: Answer, x: float, y: float | None, band_y: float, earlier: dict, written: Mapping, point: Mapping) -> Verdict:
        w, tol = a.value, a.tolerance
        v = Verdict(a.quantity, a.text, w, x, "right", from_yours=y)
        if abs(w - x) <= tol + roundoff(x):
            return v
        ancestors_written = [d for d in sorted(self.ancestors[a.quantity], key=self.order.index) if d in written]
        wrong_before = [d for d in ancestors_written if earlier[d].verdict in ("wrong", "follow-through")]
        if ancestors_written and y is not None and abs(w - y) <= tol + band_y + roundoff(y):
            moved = [d for d in ancestors_written if abs(earlier[d].value - self.exact[d]) > roundoff(self.exact[d])]
            mine = ", ".join(f"{d} = {earlier[d].given}" for d in (wrong_before or moved or ancestors_written))
            if wrong_before:
                v.verdict = "follow-through"
                v.message = _("right for your earlier values ({mine}), which were not right; from the exact values it is {x}").format(mine=mine, x=fmt(x))
            else:
                v.verdict = "rounding"
                v.message = _("your rounded earlier values ({mine}) give {y}; the exact value is {x}").format(mine=mine, y=fmt(y), x=fmt(x))
            return v
        if abs(w - x) <= tol + self.band[a.quantity] + roundoff(x):
            v.verdict = "rounding"
            v.message = _("the exact value is {x}; yours differs by {d}, within what rounding the intermediate values "
                          "to {n} decimals explains (±{b})").format(x=fmt(x), d=f"{abs(w - x):.2g}", n=ROUNDING_DECIMALS,
                                                                    b=f"{tol + self.band[a.quantity]:.2g}")
            return v
        v.verdict = "wrong"
        v.step = self.step_with(a.quantity, point, inline={d for d in self.reads[a.quantity] if d in self.steps and d not in written})
        v.message = self._why(a, x, y, v.step)
        return v

    def _why(self, a: Answer, x: float, y: float | None, step: str) -> str:
        """The right value, the step from the student's earlier values, and the likeliest reason."""
        w, tol = a.value, a.tolerance
        ref = x if y is None else y
        if y is not None and abs(y - x) > roundoff(x):
            parts = [_("the answer is {x}; from your earlier values this step gives {step}").format(x=fmt(x), step=step)]
        else:
            parts = [_("the answer is {x}: {step}").format(x=fmt(x), step=step)]
        close = lambda u, v: abs(u - v) <= tol + roundoff(v)  # noqa: E731
        inner = self._inner_value(a.quantity)
        others = [q for q in self.ancestors[a.quantity] if close(w, self.exact[q])]
        if inner is not None and close(w, inner[1]):
            parts.append(_("you wrote the value inside {func}(...): apply {func}").format(func=inner[0]))
        elif len(others) == 1:
            parts.append(_("this is the value of {other}").format(other=others[0]))
        elif ref != 0 and close(w, -ref):
            parts.append(_("the sign is wrong"))
        elif ref != 0 and w != 0 and any(close(w, ref * 10.0 ** k) for k in range(-6, 7) if k):
            parts.append(_("the decimal point is in the wrong place"))
        return _("; ").join(parts)

    def _inner_value(self, quantity: str) -> tuple | None:
        """(function, value of its argument) when the quantity is a function applied to one value."""
        s = self._traced.get(quantity)
        for text in (s.inner, s.substituted) if s is not None else ():
            m = re.fullmatch(r"([A-Za-z]+)\(([^()\[\],]*)\)", text or "")
            if m:
                try:
                    return m.group(1), float(m.group(2))
                except ValueError:
                    return None
        return None

    def step_with(self, quantity: str, point: Mapping[str, float], inline: set = frozenset()) -> str:
        """The step of ``quantity`` with the values of ``point`` for the names it reads, as a student writes it.

        The quantities in ``inline`` (those the step reads that the student did not write) are
        computed, not named, so their formulas appear in the line:
        ``h_2 = ReLU(w_hh*h_1 + w_xh*x_2 + b_h) = ReLU(1*4 + 2*2 + 1) = ReLU(9) = 9``.
        """
        before = self.order[: self.order.index(quantity)]
        with mg.trace() as tr, numpy.errstate(all="ignore"):
            values = {k: tr.name(_t(v), k) for k, v in self.inputs.items()}
            values.update({n: tr.name(_t(point[n]), n) for n in before if n not in inline and n in point})
            for n in before:
                if n in inline:
                    values[n] = self.steps[n].fn(values)
            out = tr.name(self.steps[quantity].fn(values), quantity)
        if not tr.steps or tr.steps[-1].name != quantity:  # a constant: no op computed it
            return f"{quantity} = {tr.fmt(out)}"
        return " = ".join(tr.steps[-1].parts(tr.fmt))

    def score(self, verdicts: Iterable[Verdict]) -> tuple:
        """(marks earned, marks available): one mark per answer."""
        verdicts = list(verdicts)
        return sum(v.credit for v in verdicts), len(verdicts)


def explain() -> str:
    """The marking rule in words, for ``--explain`` (the current language)."""
    return _(
        "How answers are marked\n"
        "  precision   A number counts to the precision it is written with: half a unit in its last digit\n"
        "              (0.9511 means 0.95105 to 0.95115). A one-digit answer is held to two significant\n"
        "              digits (8 means 7.95 to 8.05) unless it has {n} decimals (0.0003), a written 0 to two\n"
        "              decimals (-0.005 to 0.005).\n"
        "              An expression (16/2, 2*0.9511+3, tanh(10)) counts with the precision of the decimals\n"
        "              written in it; its whole numbers are exact.\n"
        "  right       the exact value, to the precision written.\n"
        "  follow-through\n"
        "              an earlier value you wrote was wrong, but this step is right for it: the step,\n"
        "              recomputed from your own earlier values, gives your answer. Earns the mark.\n"
        "  rounding difference\n"
        "              off by no more than rounding the intermediate values to {n} decimals explains\n"
        "              (computed through the steps with autograd). Earns the mark.\n"
        "  wrong       none of these: the feedback gives the right value, what the step gives from your\n"
        "              earlier values and, where it can tell, why (sign, decimal point, a function not\n"
        "              applied, another quantity's value). The first wrong answer in the order of the\n"
        "              computation is the first wrong step.\n"
        "  invalid     empty, unreadable, inf or nan: never right.\n"
        "Which earlier values a step uses comes from the example's own computation, not from hand-written rules."
    ).format(n=ROUNDING_DECIMALS)
