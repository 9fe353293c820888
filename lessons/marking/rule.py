r"""The marking rule, stated once: when a written number counts as right, and why not when it does not.

A worked example (:class:`lessons.common.WorkedExample`) is a list of steps, each computing one named
quantity from named earlier values with minigrad. The checker reads three things off that
computation, so no one writes marking rules by hand:

- which earlier quantities each step reads (its *dependencies*, recorded by running the step);
- the exact value of every quantity (the consistent computation, float64);
- the values a known mistake gives (the value inside the step's function, the document's printed
  value and arithmetic, the wrong sign, a misplaced decimal point, another quantity's value).

**What is written.** Let :math:`w` be the value a student wrote for a quantity whose exact value is
:math:`x`, and :math:`\tau` the precision of what was written: half a unit in the last written digit
(``0.9511``: :math:`5\cdot10^{-5}`; ``24``: :math:`0.5`; ``23.44%``: :math:`5\cdot10^{-7}`). The
teacher's :class:`Precision` says what is precise enough. By default (as always) an answer needs two
significant digits or ``ROUNDING_DECIMALS`` decimals (``8`` is held to :math:`8 \pm 0.05`, ``0.0003``
keeps its four decimals, a written zero is held to two decimals); ``--decimals N`` or ``--sig-figs N``
ask for more (a written zero has no significant digit: with ``--sig-figs N`` it is not precise enough
for a value that is not zero to round-off, :attr:`Checker.zero`). An arithmetic expression (``16/2``, ``0.1863*40 + ...``) is judged by its value, as if
that value had been written to the precision asked (:math:`\tfrac12 10^{-4}` by default): the
decimals in it get no slack of their own, so they must be the (rounded) values they stand for.
Comparisons are in float64 with a round-off of :math:`10^{-9}` *relative* to the numbers compared, so
an exact value near zero is judged relative to its size.

**What rounding can do.** A student rounds the intermediates they do not write down to
``ROUNDING_DECIMALS`` decimals (or the teacher's precision), or keeps them. :meth:`Checker.reach_values`
enumerates these choices exactly (each unwritten intermediate of the step, in order, kept or rounded
to nearest, either way at exactly half, every later one computed from it), with the values the student *wrote* fixed, and
returns the set :math:`Y` of the values the step takes; with no earlier value written :math:`Y` is
around :math:`x`. Only these values count, never the range between them: a value between two choices
is what no rounding gives (through ``exp`` two choices can be 1 and 148).

**The rule**, in this order:

1. a *known mistake* explains the answer: some mistake value :math:`m` that differs from the right
   one at the precision asked has :math:`|w - m| \le \tau`. Then the answer is **not credited**:
   **cannot tell** (write more digits) when the right value explains it as well, **wrong** (naming the
   mistake) when it does not;
2. **right** when :math:`|w - x| \le \tau`;
3. **right given your earlier values (follow-through)** when :math:`w` is within :math:`\tau` of
   some :math:`y \in Y` and an earlier value the student wrote is wrong; **rounding difference**
   when it is and the earlier values are right;
4. **not precise enough** when the answer is one of these at its own precision but written with
   fewer digits than asked (no mark, or ``--precision-credit F`` of one);
5. **wrong** otherwise, with the right value, what this step gives from the student's own earlier
   values, and a likely reason. The first wrong answer in the order of the computation is the
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
MAX_COMBINATIONS = 1 << 16  # rounding choices enumerated per answer; past this, later intermediates are taken rounded
# ... and where a step must be computed one choice at a time (it does not work elementwise), so that an answer
# is checked in well under a second
MAX_ONE_AT_A_TIME = 1 << 10


def _unique_rows(table: numpy.ndarray) -> numpy.ndarray:
    """The distinct rows of ``table``, in any order. Sorting rows of many columns is slow (NumPy's
    ``unique(axis=0)``), so the rows are sorted by a 64-bit hash of their bits (a fixed random linear
    combination, modulo 2**64) and the grouping is checked exactly; where two different rows share a hash,
    the exact sort decides."""
    bits = numpy.ascontiguousarray(table + 0.0).view(numpy.uint64)  # + 0.0: -0.0 and 0.0 are one value
    weights = numpy.random.default_rng(0).integers(1, 2**63, size=table.shape[1], dtype=numpy.uint64) | numpy.uint64(1)
    with numpy.errstate(over="ignore"):
        h = (bits * weights).sum(axis=1, dtype=numpy.uint64)
    _, first, inverse = numpy.unique(h, return_index=True, return_inverse=True)
    rows = table[first]
    if numpy.array_equal(rows[inverse.reshape(-1)], table):
        return rows
    return numpy.unique(table, axis=0)


class _TooManyOneAtATime(Exception):
    """A step that does not work elementwise met more choices than ``MAX_ONE_AT_A_TIME``."""
DECIMAL_SHIFTS = range(-6, 7)  # a misplaced decimal point: the value times 10^k, k != 0

CREDIT = ("right", "follow-through", "rounding")  # the verdicts that earn the mark


def roundoff(x: float, y: float = 0.0) -> float:
    """Float64 round-off allowed when comparing ``x`` with ``y``: relative to the larger, so that an
    exact value near zero is judged relative to its size (1e-20 is not 1e-25)."""
    return 1e-9 * max(abs(x), abs(y))


@dataclass(frozen=True)
class Precision:
    """What the teacher asks for (``--decimals N`` or ``--sig-figs N``), what an answer written with
    fewer digits earns (``--precision-credit F``) and whether expressions are refused
    (``--numbers-only``). The default is the rule as it always was (see the module)."""

    decimals: int | None = None
    sig_figs: int | None = None
    credit: float = 0.0
    numbers_only: bool = False

    @property
    def rounding_decimals(self) -> int:
        """The decimals unwritten intermediates are rounded to (and the key prints)."""
        return self.decimals if self.decimals is not None else ROUNDING_DECIMALS

    def round(self, x: Any) -> Any:
        """``x`` (a number or array) rounded as the teacher asks students to round intermediates: to the
        decimal written when the value is printed (``f"{x:.4f}"``), so that a key line and its rounding agree
        (0.75935 in binary is a little under, and prints and rounds as 0.7593)."""
        form = f".{self.sig_figs - 1}e" if self.sig_figs is not None else f".{self.rounding_decimals}f"
        one = numpy.vectorize(lambda v: float(format(v, form)) if math.isfinite(v) else v, otypes=[float])
        if not numpy.ndim(x):
            return float(one(x))
        values, inverse = numpy.unique(numpy.asarray(x, dtype=float), return_inverse=True)  # each value formatted once
        return one(values)[inverse.reshape(numpy.shape(x))] if values.size else numpy.asarray(x, dtype=float)

    def tie_rounding(self, x: Any, rounded: Any = None) -> numpy.ndarray:
        """``x`` (an array) rounded as :meth:`round` does, except where it lies half-way between two roundings (to
        round-off): there the other one. By hand 0.3*(-0.1355) + 0.8 is exactly 0.75935 and rounds up to 0.7594
        (in float64 it is a little under, and :meth:`round` gives 0.7593); 0.125 is a tie in binary too, and rounds
        to 0.12 or 0.13 depending on the student's rule. ``rounded`` is ``round(x)`` where already known."""
        x = numpy.asarray(x, dtype=float)
        r = numpy.asarray(self.round(x) if rounded is None else rounded, dtype=float).reshape(x.shape)
        with numpy.errstate(all="ignore"):
            if self.sig_figs is not None:
                unit = 10.0 ** (numpy.floor(numpy.log10(numpy.abs(x))) + 1 - self.sig_figs)
            else:
                unit = numpy.full(x.shape, 10.0 ** -self.rounding_decimals)
            off = x - r
            tie = (numpy.isfinite(unit) & (unit > 0) & numpy.isfinite(x)
                   & (numpy.abs(numpy.abs(off) - unit / 2) <= 1e-9 * numpy.maximum(numpy.abs(x), unit)))
        if not tie.any():
            return r
        return numpy.where(tie, numpy.asarray(self.round(numpy.where(tie, r + numpy.sign(off) * unit, r)), dtype=float).reshape(x.shape), r)

    def distinct(self, x: float) -> float:
        """Half a unit at the precision asked, at ``x``: two values closer than this are the same answer."""
        if self.sig_figs is not None and x != 0 and math.isfinite(x):
            return 0.5 * 10.0 ** (math.floor(math.log10(abs(x))) + 1 - self.sig_figs)
        return 0.5 * 10.0 ** -self.rounding_decimals

    def enough(self, number: Number) -> bool:
        """Is ``number`` written with the precision asked?"""
        decimals = -number.last_digit
        if self.decimals is not None:
            return decimals >= self.decimals
        if self.sig_figs is not None:
            return number.significant >= self.sig_figs or number.significant == 0
        return number.significant == 0 or number.significant >= MIN_SIGNIFICANT or decimals >= ROUNDING_DECIMALS

    def tolerance(self, number: Number) -> float:
        """The tolerance of a written number: its half unit, or the precision asked where it has fewer digits."""
        if number.significant == 0:  # zero
            floor = 0.5 * 10.0 ** -(self.decimals if self.decimals is not None else ZERO_DECIMALS)
            return min(number.half_unit, floor)
        if self.enough(number):
            return number.half_unit
        if self.decimals is not None:
            return 0.5 * 10.0 ** -self.decimals
        digits = self.sig_figs if self.sig_figs is not None else MIN_SIGNIFICANT
        magnitude = math.floor(math.log10(abs(number.value)))
        return min(number.half_unit, 0.5 * 10.0 ** (magnitude + 1 - digits))

    def rounding_text(self) -> str:
        """How intermediates are rounded, in words ("4 decimals")."""
        if self.sig_figs is not None:
            return _("{n} significant digits").format(n=self.sig_figs)
        return _("{n} decimals").format(n=self.rounding_decimals)

    def describe(self) -> str:
        """The precision asked, in words (for messages and the sheet)."""
        if self.decimals is not None:
            return _("{n} decimals").format(n=self.decimals)
        if self.sig_figs is not None:
            return _("{n} significant digits").format(n=self.sig_figs)
        return _("two significant digits or {n} decimals").format(n=ROUNDING_DECIMALS)


DEFAULT = Precision()


@dataclass
class Answer:
    """One written answer: the text, and the value and precision read from it (or why it cannot be read).

    ``written`` is the lone number when the answer is one number (None for an expression)."""

    quantity: str
    text: str
    value: float | None = None
    tolerance: float = 0.0
    error: str | None = None
    written: Number | None = None
    half_unit: float = 0.0  # the precision as written, before the teacher's floor
    refused: bool = False  # readable, but an expression where the teacher asked for numbers only

    @property
    def readable(self) -> bool:
        return self.error is None


def tolerance_of_number(number: Number) -> float:
    """The precision of one written number, with the default floor for very short answers (see the module)."""
    return DEFAULT.tolerance(number)


_APPROXIMATELY = ("≈", "~", "∼", "约")  # "≈16" in a cell means 16


def read_answer(quantity: str, text: str, names: Mapping[str, float] = {}, precision: Precision = DEFAULT) -> Answer:  # noqa: B006
    """Read what a student wrote for ``quantity``; never raises (an unreadable answer carries ``error``)."""
    text = str(text).strip()
    while text.startswith(_APPROXIMATELY):
        text = text[1:].strip()
    text = normalize(text).strip()
    try:
        node = parse(text, names)
        ev = evaluate(node, names)
    except InputError as e:
        return Answer(quantity, text, error=str(e))
    except (RecursionError, OverflowError, ValueError, ZeroDivisionError) as e:  # never a traceback for what a student typed
        return Answer(quantity, text, error=_("{text!r} cannot be evaluated ({error})").format(text=text[:40], error=type(e).__name__))
    if ev.is_vector:
        return Answer(quantity, text, error=_("{text!r} is a list; {quantity} is one number").format(text=text, quantity=quantity))
    lone = lone_number(node)
    if lone is None and precision.numbers_only:
        return Answer(quantity, text, error=_("{text!r} is an expression; write the number it gives (the teacher asked for numbers only)").format(text=text), refused=True)
    if lone is None:  # an expression: judged by its value, as if written to the precision asked
        tol = precision.distinct(ev.value)
        return Answer(quantity, text, ev.value, tol, half_unit=tol)
    return Answer(quantity, text, ev.value, precision.tolerance(lone), written=lone, half_unit=lone.half_unit)


@dataclass
class Verdict:
    """The mark of one answer. ``verdict`` is one of ``right``, ``follow-through``, ``rounding``,
    ``ambiguous`` (cannot tell it from a known mistake), ``imprecise`` (fewer digits than asked),
    ``wrong``, ``invalid`` (unreadable) or ``not answered``. ``points`` is what it earns."""

    quantity: str
    given: str
    value: float | None
    expected: float
    verdict: str
    message: str = ""
    from_yours: float | None = None
    first_wrong: bool = False
    step: str = ""  # the step written with the student's own numbers (for a wrong answer)
    points: float = 0.0
    mistake: str = ""  # the known mistake the answer matches, if any

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
        "ambiguous": _("cannot tell — write more digits"),
        "imprecise": _("not precise enough"),
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


class _Arrays(dict):
    """Values as NumPy arrays (one entry per rounding choice), handed to a step as minigrad tensors."""

    def __getitem__(self, key: str) -> Any:
        return _t(super().__getitem__(key))


def _float(t: Any) -> float:
    return float(t.item()) if isinstance(t, mg.Tensor) else float(t)


@dataclass(frozen=True)
class Mistake:
    """A value a known mistake gives for a quantity: ``reason`` says it to a student whose answer is
    this value, ``cause`` names it where the answer cannot be told apart from the right one."""

    value: float
    kind: str  # inside, document, arithmetic, other, sign, decimal point
    reason: str
    cause: str


class Checker:
    """Checks answers to one worked example (with its inputs as set) by the rule of this module."""

    def __init__(self, example: Any, precision: Precision = DEFAULT) -> None:
        self.example = example
        self.precision = precision
        self.order = [s.name for s in example.steps]
        self.steps = {s.name: s for s in example.steps}
        self.inputs = dict(example.inputs)
        values = {k: _t(v) for k, v in self.inputs.items()}
        self.reads: dict = {}
        with numpy.errstate(all="ignore"):
            for step in example.steps:
                recorder = _Reads(values)
                values[step.name] = step.fn(recorder)
                self.reads[step.name] = recorder.read
        self.exact = {k: _float(v) for k, v in values.items()}
        self._batchable: dict = {}
        self._reach_cache: dict = {}

    @property
    def not_finite(self) -> list:
        """The quantities whose exact value is inf or nan with these inputs (such a variant cannot be marked)."""
        return [q for q in self.order if not math.isfinite(self.exact[q])]

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
    def zero(self) -> dict:
        """Whether each quantity's exact value is zero to round-off: within 64 float64 epsilons of the largest value
        it is computed from (``-0.1974 + 0.1974`` gives 1.1e-16; ``exp(-112)`` = 2e-49 from scores near 100)."""
        scale: dict = {}
        for name in self.order:
            scale[name] = max([abs(self.exact[name])] + [scale[d] if d in scale else abs(self.exact[d]) for d in self.reads[name] if d in self.exact])
        return {name: abs(self.exact[name]) <= 64 * numpy.finfo(float).eps * scale[name] for name in self.order}

    # ------------------------------------------------------------ what rounding can do
    def reach(self, name: str, written: Mapping[str, float]) -> tuple | None:
        """The range ``(low, high)`` of the values of ``name`` over every way of rounding the unwritten
        intermediates it depends on (:meth:`reach_values`); None when no choice gives a finite value."""
        values = self.reach_values(name, written)
        return None if values is None else (float(values[0]), float(values[-1]))

    def reach_values(self, name: str, written: Mapping[str, float]) -> numpy.ndarray | None:
        """The distinct values of ``name``, sorted, over every way of rounding the unwritten
        intermediates it depends on (each kept, or rounded as :attr:`precision` asks, in the order of
        the computation), with the ``written`` values fixed; None when no choice gives a finite value.
        An answer is held to these values, not to the range between them: a value between two choices
        is what no rounding gives (through ``exp`` two choices can be 1 and 148).

        The enumeration is exact: every choice is computed, each later step from the values the choice
        gives (with NumPy arrays through the steps' own minigrad code). Choices that give the same
        values are merged, and past ``MAX_COMBINATIONS`` later intermediates are taken rounded (past
        ``MAX_ONE_AT_A_TIME`` where a step on the way cannot be computed for all choices at once). The cap
        only ever leaves choices out: a value it leaves out is judged by the written value and the exact one."""
        key = (name, tuple(sorted((q, written[q]) for q in self.ancestors[name] if q in written)))
        if key not in self._reach_cache:
            chain = [d for d in self.order if d in self.ancestors[name]] + [name]
            cap = MAX_ONE_AT_A_TIME if any(self._batchable.get(q) is False for q in chain) else MAX_COMBINATIONS
            try:
                self._reach_cache[key] = self._enumerate(name, dict(key[1]), cap)
            except _TooManyOneAtATime:  # found out on the way: again, with the smaller cap
                self._reach_cache[key] = self._enumerate(name, dict(key[1]), MAX_ONE_AT_A_TIME)
        return self._reach_cache[key]

    def _enumerate(self, name: str, written: Mapping[str, float], cap: int) -> numpy.ndarray | None:
        arrays = _Arrays({k: numpy.full(1, v, dtype=float) for k, v in self.inputs.items()})
        n = 1
        with numpy.errstate(all="ignore"):
            for q in [d for d in self.order if d in self.ancestors[name]]:
                if q in written:
                    dict.__setitem__(arrays, q, numpy.full(n, written[q], dtype=float))
                    continue
                out = self._batch(q, arrays, n)
                r = numpy.asarray(self.precision.round(out), dtype=float)
                moved = numpy.abs(r - out) > 1e-9 * numpy.abs(out)
                other = self.precision.tie_rounding(out, r)  # a tie rounds either way: both are choices
                options = [out, r] + ([other] if numpy.any(other != r) else [])
                if not moved.any():
                    dict.__setitem__(arrays, q, out)
                elif len(options) * n > cap:
                    dict.__setitem__(arrays, q, r)
                else:
                    for k in list(arrays):
                        dict.__setitem__(arrays, k, numpy.concatenate([dict.__getitem__(arrays, k)] * len(options)))
                    dict.__setitem__(arrays, q, numpy.concatenate(options))
                    table = _unique_rows(numpy.stack([dict.__getitem__(arrays, k) for k in arrays], axis=1))
                    for i, k in enumerate(list(arrays)):
                        dict.__setitem__(arrays, k, table[:, i].copy())
                    n = len(table)
            out = self._batch(name, arrays, n)
        out = numpy.unique(out[numpy.isfinite(out)] + 0.0)
        return out if out.size else None

    def _batch(self, q: str, arrays: _Arrays, n: int) -> Any:
        """The step ``q`` for all ``n`` choices at once; a step that does not work elementwise (a maximum
        over a stacked row) is computed one choice at a time."""
        def one(i: int) -> float:
            return _float(self.steps[q].fn(_Arrays({k: v[i] for k, v in dict.items(arrays)})))

        if n > 1 and self._batchable.get(q, True):
            out = numpy.asarray(self.steps[q].fn(arrays).detach().cpu().numpy(), dtype=float)
            varying = any(numpy.ptp(dict.__getitem__(arrays, k)) > 0 for k in self.reads[q] if k in arrays)
            if out.ndim == 0 and varying:  # a reduction over the choices (a maximum over a stacked row): not elementwise
                self._batchable[q] = False
            elif out.ndim == 0:
                return numpy.full(n, float(out))
            elif q not in self._batchable:  # checked once: elementwise, the batch's ends match one at a time
                self._batchable[q] = out.shape == (n,) and all(
                    numpy.allclose(out[i], one(i), rtol=1e-12, atol=0, equal_nan=True) for i in (0, n - 1))
            if self._batchable[q]:
                return out
        if n == 1:
            return numpy.full(1, one(0))
        if n > MAX_ONE_AT_A_TIME:
            raise _TooManyOneAtATime(q)
        return numpy.array([one(i) for i in range(n)], dtype=float)

    def point(self, written: Mapping[str, float]) -> tuple:
        """``(from_yours, point)``: what each step gives from the student's written values (unrounded,
        None where not finite), and every value with the written ones in place."""
        values = {k: _t(v) for k, v in self.inputs.items()}
        from_yours: dict = {}
        with numpy.errstate(all="ignore"):
            for name in self.order:
                value = _float(self.steps[name].fn(values))
                from_yours[name] = value if math.isfinite(value) else None
                values[name] = _t(written[name] if name in written else value)
        point = {k: _float(v) for k, v in values.items()}
        return from_yours, point

    # ------------------------------------------------------------ known mistakes
    def mistakes(self, quantity: str, point: Mapping[str, float], y: float | None) -> list:
        """The values known mistakes give for ``quantity``, from the exact values and from the
        student's own (``point``, ``y``): the value inside its function, the document's printed value
        and arithmetic, another quantity's value (an earlier one, or one of the same kind), the wrong
        sign and a misplaced decimal point."""
        x = self.exact[quantity]
        out: list = []
        for values in (self.exact, point):
            inner = self._inner_value(quantity, values)
            if inner is not None:
                func, value = inner
                out.append(Mistake(value, "inside", _("you wrote the value inside {func}(...): apply {func}").format(func=func),
                                   _("forgetting to apply {func}").format(func=func)))
        printed = self.example.document.get(quantity)
        try:
            printed_value = float(printed) if printed is not None else None
        except ValueError:
            printed_value = None
        if printed_value is not None and math.isfinite(printed_value):
            out.append(Mistake(printed_value, "document", _("this is the value the document prints ({printed})").format(printed=printed),
                               _("copying the document's printed value")))
        step = self.steps[quantity]
        if step.written is not None:
            with numpy.errstate(all="ignore"):
                try:
                    value = _float(step.written({k: _t(v) for k, v in self.exact.items()}))
                except (KeyError, ValueError, TypeError, IndexError):
                    value = math.nan
            if math.isfinite(value):
                reason = _("this is what the document's own arithmetic gives")
                out.append(Mistake(value, "arithmetic", reason + (_("; ") + step.note if step.note else ""), _("the document's own arithmetic")))
        kind = quantity.rstrip("0123456789")
        for other in self.order:
            if other != quantity and (other in self.ancestors[quantity] or other.rstrip("0123456789") == kind):
                out.append(Mistake(self.exact[other], "other", _("this is the value of {other}").format(other=other),
                                   _("the value of {other}").format(other=other)))
        for ref in (x, y):
            if ref is None or ref == 0:
                continue
            out.append(Mistake(-ref, "sign", _("the sign is wrong"), _("a wrong sign")))
            out += [Mistake(ref * 10.0 ** k, "decimal point", _("the decimal point is in the wrong place"), _("a misplaced decimal point"))
                    for k in DECIMAL_SHIFTS if k]
        return [m for m in out if math.isfinite(m.value)]

    def _inner_value(self, quantity: str, values: Mapping[str, float]) -> tuple | None:
        """(function, value of its argument) when the step applies a function to one value."""
        with mg.trace(precision=17) as tr, numpy.errstate(all="ignore"):
            named = {k: tr.name(_t(v), k) for k, v in values.items() if k in self.inputs or k in self.reads[quantity]}
            tr.name(self.steps[quantity].fn(named), quantity)
        s = tr.steps[-1] if tr.steps and tr.steps[-1].name == quantity else None
        for text in (s.inner, s.substituted) if s is not None else ():
            m = re.fullmatch(r"([A-Za-z]+)\(([^()\[\],]*)\)", text or "")
            if m:
                try:
                    return m.group(1), float(m.group(2))
                except ValueError:
                    return None
        return None

    # ------------------------------------------------------------ the rule
    def read(self, answers: Mapping[str, str]) -> dict:
        """Read every answer (quantity -> :class:`Answer`); names in expressions are the inputs."""
        unknown = [q for q in answers if q not in self.steps]
        if unknown:
            raise KeyError(_("unknown quantities {unknown}; this example has: {known}").format(
                unknown=", ".join(unknown), known=", ".join(self.order)))
        return {q: read_answer(q, text, self.inputs, self.precision) for q, text in answers.items()}

    def check(self, answers: Mapping[str, Any]) -> list:
        """Mark ``answers`` (quantity -> text, or :class:`Answer`) in the order of the computation."""
        read = {q: a if isinstance(a, Answer) else None for q, a in answers.items()}
        pending = {q: str(a) for q, a in answers.items() if read[q] is None}
        read.update(self.read(pending))
        written = {q: a.value for q, a in read.items() if a.readable}
        from_yours, point = self.point(written)
        verdicts: dict = {}
        first_found = False
        for name in self.order:
            if name not in read:
                continue
            a, x = read[name], self.exact[name]
            if not a.readable:
                verdicts[name] = Verdict(name, a.text, None, x, "invalid", a.error or "")
                continue
            v = self._verdict(a, x, from_yours[name], self.reach_values(name, written), verdicts, written, point)
            v.points = 1.0 if v.credit else (self.precision.credit if v.verdict == "imprecise" else 0.0)
            if v.verdict == "wrong" and not first_found:
                first_found = v.first_wrong = True
                v.message = _("first wrong step: {message}").format(message=v.message)
            verdicts[name] = v
        return [verdicts[q] for q in self.order if q in verdicts]

    def _verdict(self, a: Answer, x: float, y: float | None, reach: numpy.ndarray | None, earlier: dict, written: Mapping, point: Mapping) -> Verdict:
        w, tol = a.value, a.tolerance
        v = Verdict(a.quantity, a.text, w, x, "right", from_yours=y)
        ancestors_written = [d for d in sorted(self.ancestors[a.quantity], key=self.order.index) if d in written]
        # the values rounding can give: each choice's value, never the range between them
        choices = [reach if reach is not None else numpy.array([x])]
        if y is not None:  # keeping every unwritten intermediate is one of the choices, even past the enumeration's cap
            choices.append(numpy.array([y]))
        if ancestors_written and all(earlier[d].verdict == "right" for d in ancestors_written):
            # earlier values written right but short (P_11 = 0.19) may have been carried on with more digits
            choices += [r for r in (self.reach_values(a.quantity, {}),) if r is not None]
        reached = numpy.unique(numpy.concatenate(choices))
        lo, hi = float(reached[0]), float(reached[-1])
        near = lambda u, t: abs(w - u) <= t + roundoff(w, u)  # noqa: E731
        within = lambda t: bool(numpy.any(numpy.abs(reached - w) <= t + 1e-9 * numpy.maximum(numpy.abs(reached), abs(w))))  # noqa: E731
        distinct = self.precision.distinct(x)
        # a mistake counts where it gives another answer at the precision asked; a written 0 is no sign or decimal-point slip
        relevant = [m for m in self.mistakes(a.quantity, point, y)
                    if abs(m.value - x) > distinct + roundoff(m.value, x)
                    and not numpy.any(numpy.abs(reached - m.value) <= distinct)
                    and not (w == 0 and m.kind in ("sign", "decimal point"))]
        matched = next((m for m in relevant if near(m.value, tol)), None)
        # the exact value written as exact (a whole number, an expression, or all the decimals asked) is right
        # whatever else rounds to it; 1.6 for an exact 1.6 could also be 1.62 rounded, 1.6000 cannot
        exact = near(x, 0.0) and (a.written is None or not a.written.has_point or -a.written.last_digit >= self.precision.rounding_decimals)
        # a zero (written, or an expression's value) has no significant digit: for a value that is not zero,
        # fewer than --sig-figs asks
        zero = a.written.significant == 0 if a.written is not None else w == 0
        short = not exact and (a.written is not None and not self.precision.enough(a.written) or (
            self.precision.sig_figs is not None and zero and not self.zero[a.quantity]))
        if matched is not None and not exact:
            v.mistake = matched.kind
            if near(x, tol) or within(tol) or short and (near(x, a.half_unit) or within(a.half_unit)):
                v.verdict = "ambiguous"
                v.message = _("{given} is also what {cause} gives ({m}); the right value is {x}: write more digits so that "
                              "the two can be told apart").format(given=a.text, cause=matched.cause, m=fmt(matched.value), x=fmt(x))
                return v
            v.verdict = "wrong"
            v.step = self.step_with(a.quantity, point, inline={d for d in self.reads[a.quantity] if d in self.steps and d not in written})
            v.message = self._why(x, y, v.step, matched.reason)
            return v
        # the teacher's precision (--decimals, --sig-figs) is a requirement: fewer digits are never "right"
        teacher = self.precision.decimals is not None or self.precision.sig_figs is not None
        if near(x, tol) and not (short and teacher):
            return v
        if within(tol) and not (short and teacher):
            wrong_before = [d for d in ancestors_written if earlier[d].verdict not in ("right", "rounding", "imprecise")]
            moved = [d for d in ancestors_written if abs(earlier[d].value - self.exact[d]) > roundoff(self.exact[d])]
            mine = ", ".join(f"{d} = {earlier[d].given}" for d in (wrong_before or moved))
            if wrong_before:
                v.verdict = "follow-through"
                v.message = _("right for your earlier values ({mine}), which were not right; from the exact values it is {x}").format(mine=mine, x=fmt(x))
            elif mine:
                v.verdict = "rounding"
                v.message = _("your rounded earlier values ({mine}) give {y}; the exact value is {x}").format(mine=mine, y=fmt(y if y is not None else lo), x=fmt(x))
            else:
                v.verdict = "rounding"
                nearest = float(reached[numpy.argmin(numpy.abs(reached - w))])
                v.message = _("the exact value is {x}; rounding the intermediate values to {n} gives values from {lo} to {hi}, "
                              "and one of them is {y}, yours to the digits written").format(
                    x=fmt(x), n=self.precision.rounding_text(), lo=fmt(lo), hi=fmt(hi), y=fmt(nearest))
            return v
        if short and a.half_unit > tol or short and teacher:
            half = max(a.half_unit, tol)
            if near(x, half) or within(half):
                if any(near(m.value, half) for m in relevant):
                    v.verdict = "ambiguous"
                    v.message = _("{given} has too few digits to tell the right value ({x}) from a known mistake; "
                                  "write {precision}").format(given=a.text, x=fmt(x), precision=self.precision.describe())
                else:
                    v.verdict = "imprecise"
                    v.message = _("{given} rounds the right value ({x}) but has fewer digits than asked; write {precision}").format(
                        given=a.text, x=fmt(x), precision=self.precision.describe())
                return v
        v.verdict = "wrong"
        v.step = self.step_with(a.quantity, point, inline={d for d in self.reads[a.quantity] if d in self.steps and d not in written})
        reason = next((m.reason for m in self.mistakes(a.quantity, point, y) if near(m.value, tol) and abs(m.value - x) > roundoff(m.value, x)), "")
        v.message = self._why(x, y, v.step, reason)
        return v

    def _why(self, x: float, y: float | None, step: str, reason: str) -> str:
        """One story: the right value, what the step gives from the student's own earlier values, the reason."""
        if y is not None and abs(y - x) > roundoff(x, y):
            parts = [_("the answer is {x}; from your earlier values this step gives {step}").format(x=fmt(x), step=step)]
        else:
            parts = [_("the answer is {x}: {step}").format(x=fmt(x), step=step)]
        if reason:
            parts.append(reason)
        return _("; ").join(parts)

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
        """(marks earned, marks available): one mark per answer, part of one for an answer not precise enough
        where the teacher allows it."""
        verdicts = list(verdicts)
        earned = sum(v.points for v in verdicts)
        return int(earned) if earned == int(earned) else earned, len(verdicts)


def explain(precision: Precision = DEFAULT) -> str:
    """The marking rule in words, for ``--explain`` (the current language)."""
    return _(
        "How answers are marked\n"
        "  precision   A number counts to the precision it is written with: half a unit in its last digit\n"
        "              (0.9511 means 0.95105 to 0.95115). Precise enough: {precision}. By default a\n"
        "              one-digit answer is held to two significant digits (8 means 7.95 to 8.05) unless it\n"
        "              has {n} decimals (0.0003), a written 0 to two decimals (-0.005 to 0.005).\n"
        "              An expression (16/2, 0.1863*40 + 0.3072*62, tanh(10)) is judged by its value; the\n"
        "              decimals in it get no slack of their own.\n"
        "  known mistakes\n"
        "              an answer that a known mistake gives (the value inside tanh or ReLU, the document's\n"
        "              printed value, a wrong sign, a misplaced decimal point, another quantity's value)\n"
        "              is never credited: wrong, or \"cannot tell\" when the right value rounds to it too\n"
        "              (then write more digits).\n"
        "  right       the exact value, to the precision written.\n"
        "  follow-through\n"
        "              an earlier value you wrote was wrong, but this step is right for it: the step,\n"
        "              recomputed from your own earlier values, gives your answer. Earns the mark.\n"
        "  rounding difference\n"
        "              your answer is what the step gives when the intermediate values you did not write\n"
        "              are rounded to {n} decimals or kept (every way of doing so is computed, with the\n"
        "              values you wrote as you wrote them). Earns the mark.\n"
        "  not precise enough\n"
        "              right to the digits written, but fewer digits than asked. No mark unless the teacher\n"
        "              gives part of one.\n"
        "  wrong       none of these: the feedback gives the right value, what the step gives from your\n"
        "              earlier values and, where it can tell, why. The first wrong answer in the order of\n"
        "              the computation is the first wrong step.\n"
        "  invalid     empty, unreadable, inf or nan: never right.\n"
        "Which earlier values a step uses comes from the example's own computation, not from hand-written rules."
    ).format(n=precision.rounding_decimals, precision=precision.describe())
