"""The inputs of a worked example, as a teacher changes them: ``--set PARAM=V[,V...]`` and ``--seed N``.

A worked-example lesson has ``example(**inputs) -> WorkedExample``; its type hints say what each
input takes (``float``: one number; ``tuple[float, ...]``: a sequence of any length;
``tuple[float, float, float]``: exactly three numbers). A lesson may also have
``draw_variant(rng) -> dict``: inputs good for hand work, drawn from a NumPy generator.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy

from lessons.i18n import domain
from lessons.marking.expressions import InputError, evaluate, normalize, parse

_ = domain("check")


class UsageError(ValueError):
    """A command line that cannot be carried out (exit status 2); the message names what was expected."""


@dataclass(frozen=True)
class Parameter:
    """One input of a worked example: its default and how many numbers it takes (None: any number)."""

    name: str
    default: Any
    length: int | None  # 1 for a scalar, n for exactly n numbers, None for any sequence

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.default, tuple)

    def shape(self) -> str:
        """What the parameter takes, in words."""
        if not self.is_sequence:
            return _("one number")
        if self.length is None:
            return _("a sequence of numbers, e.g. {example}").format(example=",".join(f"{v:g}" for v in self.default))
        return _("exactly {n} numbers, e.g. {example}").format(n=self.length, example=",".join(f"{v:g}" for v in self.default))


def parameters(module: Any) -> dict:
    """The inputs of ``module.example`` by name, read from its signature and type hints."""
    out = {}
    for p in inspect.signature(module.example).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        hint = str(p.annotation)
        if isinstance(p.default, tuple):
            length = None if "..." in hint else hint.count("float") or len(p.default)
        else:
            length = 1
        out[p.name] = Parameter(p.name, p.default, length)
    return out


def parse_sets(module: Any, sets: list) -> dict:
    """``["x=2,0,1", "w_hh=0.5"]`` as keyword arguments of ``module.example``; raises :class:`UsageError`."""
    params = parameters(module)
    kwargs: dict = {}
    for item in sets:
        text = normalize(item)
        name, eq, values = text.partition("=")
        name = name.strip()
        if not eq or not name:
            raise UsageError(_("--set {item!r}: expected PARAM=VALUE or PARAM=V1,V2,...").format(item=item))
        if name not in params:
            raise UsageError(_("--set {name}: no such input; the inputs are: {known}").format(
                name=name, known="; ".join(f"{p.name} ({p.shape()})" for p in params.values())))
        p = params[name]
        numbers = []
        for piece in values.split(","):
            try:
                numbers.append(float(evaluate(parse(piece.strip()), {}).value))
            except (InputError, TypeError) as e:
                raise UsageError(_("--set {name}: {error}").format(name=name, error=e)) from None
        if p.is_sequence:
            if p.length is not None and len(numbers) != p.length:
                raise UsageError(_("--set {name}: got {n} numbers; {name} takes {shape}").format(name=name, n=len(numbers), shape=p.shape()))
            kwargs[name] = tuple(numbers)
        else:
            if len(numbers) != 1:
                raise UsageError(_("--set {name}: got {n} numbers ({values}); {name} takes one number (write a decimal with a point: 0.5)").format(
                    name=name, n=len(numbers), values=values))
            kwargs[name] = numbers[0]
    return kwargs


MAX_DRAWS = 2000  # redraws before a lesson's variants are declared too often degenerate


def draw(module: Any, seed: int) -> dict:
    """A reproducible variant for hand work (``--seed``): the lesson's ``draw_variant``, drawn again from
    the same seeded generator while the variant is degenerate (:func:`degenerate`)."""
    if not hasattr(module, "draw_variant"):
        raise UsageError(_("this lesson has no variants to draw; use --set"))
    if not 0 <= seed < 2**63:
        raise UsageError(_("--seed {seed}: expected a whole number from 0 to 2^63 - 1").format(seed=seed))
    from lessons.marking.rule import Checker

    rng = numpy.random.default_rng(seed)
    for _attempt in range(MAX_DRAWS):
        kwargs = module.draw_variant(rng)
        if degenerate(Checker(module.example(**kwargs))) is None:
            return kwargs
    raise UsageError(_("--seed {seed}: no variant of this lesson that tests every step was found in {n} draws").format(seed=seed, n=MAX_DRAWS))


def kind(quantity: str) -> str:
    """The kind of a quantity: its name without the trailing index (``h_2`` -> ``h_``, ``P_13`` -> ``P_``)."""
    return quantity.rstrip("0123456789")


def degenerate(checker: Any) -> str | None:
    """Why a variant does not test every step, or None. A variant is degenerate when every quantity of a
    kind is 0 (the three outputs, every output gradient), when two quantities of one kind share their value
    at 4 decimals, other than 0 and +-1 (an all-equal softmax row, two equal hidden states), when
    a quantity is not finite, or when a tanh is saturated (its argument beyond +-2.5, its value 1.0000)."""
    if checker.not_finite:
        return _("{q} is not finite").format(q=checker.not_finite[0])
    groups: dict = {}
    for q in checker.order:
        groups.setdefault(kind(q), []).append(q)
    for k, members in groups.items():
        values = [checker.exact[q] for q in members]
        if all(abs(v) < 1e-12 for v in values):
            return _("every {kind}* is 0").format(kind=k)
        seen: dict = {}
        for q in members:
            key = round(checker.exact[q], 4)
            if key in (0.0, 1.0, -1.0):  # a ReLU that is off, exp(0) at a row's maximum, a gradient of 1: by design
                continue
            if key in seen:
                return _("{a} and {b} are both {value}").format(a=seen[key], b=q, value=f"{key:g}")
            seen.setdefault(key, q)
    for q in checker.order:
        inner = checker._inner_value(q, checker.exact)
        if inner is not None and inner[0] == "tanh" and abs(inner[1]) > 2.5:
            return _("{q} = tanh({value}) is saturated").format(q=q, value=f"{inner[1]:.4g}")
    return None
