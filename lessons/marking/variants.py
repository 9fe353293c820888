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


def draw(module: Any, seed: int) -> dict:
    """A reproducible variant for hand work (``--seed``): the lesson's ``draw_variant``."""
    if not hasattr(module, "draw_variant"):
        raise UsageError(_("this lesson has no variants to draw; use --set"))
    return module.draw_variant(numpy.random.default_rng(seed))
