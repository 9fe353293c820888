"""A question sheet for a worked example, and its answer key (``python -m lessons sheet``).

The key is written the way a careful student works: every value that is not exact at the precision
the teacher asks (``ROUNDING_DECIMALS`` decimals by default, ``--decimals N`` or ``--sig-figs N``) is
rounded, and every later line is computed from the rounded values *as printed*, so each line adds up on
its own (``check --work`` accepts the key line by line). A value that is not a whole number is printed
with all its digits (``1.0000``, not ``1``; ``1.6000``, not ``1.6``), so no one reads a rounding as exact
and no answer is mistaken for a known mistake that rounds to fewer digits.
"""
from __future__ import annotations

from typing import Any

import minigrad as mg
from lessons.i18n import domain
from lessons.marking.rule import Checker, Precision, roundoff

_ = domain("check")


def _shown(x: float, precision: Precision) -> str:
    """A rounded (or exact, not whole) value with all the digits the teacher asks for."""
    if precision.sig_figs is not None:
        return f"{x:#.{precision.sig_figs}g}".rstrip(".")
    return f"{x:.{precision.rounding_decimals}f}"


class _KeyTrace(mg.trace):
    """A trace that prints rounded values with all their digits."""

    def __init__(self, precision: Precision) -> None:
        super().__init__(precision=precision.rounding_decimals)
        self.key_precision = precision
        self.rounded: set = set()  # ids of the rounded tensors (kept alive by the trace)

    def fmt(self, value: Any) -> str:
        if isinstance(value, mg.Tensor) and id(value) in self.rounded:
            return _shown(value.item(), self.key_precision)
        return super().fmt(value)


def key_lines(checker: Checker) -> list:
    """The answer key: ``[(quantity, "q = formula = numbers = ... = value"), ...]`` in order."""
    precision = checker.precision
    tr = _KeyTrace(precision)
    rounded_names: set = set()
    with tr:
        values = {k: tr.name(mg.tensor(v, dtype=mg.float64), k) for k, v in checker.inputs.items()}
        for name in checker.order:
            out = tr.name(checker.steps[name].fn(values), name)
            exact = float(out.item())
            r = float(precision.round(exact))
            if abs(exact - r) > roundoff(exact):
                r = mg.tensor(r, dtype=mg.float64)
                tr.rounded.add(id(r))
                rounded_names.add(name)
                values[name] = tr.name(r, name)
            else:
                values[name] = out
    written = {step.name: step for step in tr.steps}
    lines = []
    for name in checker.order:
        step = written.get(name)
        if step is None:  # a constant, not computed by any op: "k_h3 = 1"
            lines.append((name, f"{name} = {tr.fmt(values[name])}"))
            continue
        # a value that is not a whole number shows all its digits, rounded or exact (1.6000): it is the answer
        show = (lambda v: _shown(float(v.item()), precision)) if name in rounded_names or float(values[name].item()) % 1 else tr.fmt
        lines.append((name, " = ".join(step.parts(show))))
    return lines


def _inputs_text(checker: Checker) -> list:
    return [f"{k} = {v:g}" for k, v in checker.inputs.items()]


def render(checker: Checker, title: str, source: str, variant: str, key: bool, fmt: str = "text", student: str = "") -> str:
    """The sheet (and with ``key`` its answer key) as plain text or Markdown; ``student`` (name and seed)
    heads the page of a class's sheet."""
    md = fmt == "md"
    out = [f"# {title}", ""] if md else [title, "=" * len(title), ""]
    if student:
        out += [f"**{student}**" if md else student, ""]
    # the lesson's source in the reader's language where the catalog has it ("course material (before 001 §3.1)")
    out += [_("Source: {source}. {variant}").format(source=_(source), variant=variant), ""]
    heading = (lambda t: "## " + t.rstrip(":：")) if md else (lambda t: t)  # noqa: E731
    out += [heading(_("Given:")), ""]
    given = "; ".join(_inputs_text(checker))
    out.append(f"`{given}`" if md else "  " + given)
    out += ["", heading(_("Compute:")), ""]
    out += [_("Work through the steps in order; round values that are not exact to {n} and carry on "
              "with the rounded values.").format(n=checker.precision.rounding_text()), ""]
    for i, name in enumerate(checker.order, 1):
        line = f"{name} = {checker.formulas[name]}"
        out.append(f"{i}. `{line}` = ________" if md else f"  {i:>2}. {line} = ________")
    if key:
        out += ["", heading(_("Answer key:")), ""]
        out += [_("Every line is computed from the rounded values printed above it, so each adds up as printed."), ""]
        for _name, text in key_lines(checker):
            out.append(f"- `{text}`" if md else f"  {text}")
    return "\n".join(out) + "\n"
