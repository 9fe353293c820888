r"""Hand-calculation traces: record the ops a computation runs and write its steps as a student would.

Inside ``with minigrad.trace() as tr:``, every op records how its output was made. Naming a tensor
with ``tr.name(t, "h_2")`` writes one step: the formula in names, the same formula with the numbers
substituted, and the result::

    h_2 = ReLU(w_hh*h_1 + w_xh*x_2 + b_h) = ReLU(1*3 + 2*2 + 1) = ReLU(8) = 8

Later formulas then refer to the tensor by its name. Name the inputs first (``tr.name(x, "x_2")``):
naming a tensor that no op inside the trace produced writes no step. An in-place change recorded for
backward (``y.mul_(2)`` on a tensor in the graph) is written like the op it stands for; one that is not
(under ``no_grad``, or of a tensor outside the graph) leaves no formula: the tensor is then a number. ``tr.render("text" | "markdown"
| "latex")`` returns all steps. It works on any minigrad code, a student's own included.
"""
from __future__ import annotations

import math

import re
from dataclasses import dataclass
from typing import Any

import numpy

from . import autograd, backend
from .tensor import Tensor

# how each op is written: a template over its operands and the binding strength of the result
_INFIX = {"Add": (" + ", 1), "Sub": (" - ", 1), "Mul": ("*", 2), "Div": ("/", 2), "MatMul": (" @ ", 2)}
_FUNCTIONS = {
    "Relu": "ReLU", "Tanh": "tanh", "Sigmoid": "sigmoid", "Exp": "exp", "Log": "ln", "Log1p": "log1p",
    "Sqrt": "sqrt", "Abs": "abs", "Softmax": "softmax", "LogSoftmax": "log_softmax", "Sum": "sum",
    "Amax": "max", "Amin": "min", "Logsumexp": "logsumexp", "Gelu": "GELU",
}
_COMPARISONS = {"Gt": ">", "Ge": ">=", "Lt": "<", "Le": "<=", "Eq": "==", "Ne": "!="}
_TRANSPARENT = {"Reshape", "Clone", "Cast", "ToDevice"}  # do not change what a student writes
_ATOM = 9


@dataclass
class _Expr:
    sym: str  # in names
    num: str  # with the numbers substituted
    prec: int  # binding strength: 1 sums, 2 products, 3 unary minus, 4 powers, 9 atoms
    func: str | None = None  # the outermost function, to show its argument's value as one more step
    arg: Any = None


@dataclass
class Step:
    """One line of a hand calculation."""

    name: str
    symbolic: str
    substituted: str
    inner: str | None  # e.g. "ReLU(8)": the function applied to its evaluated argument
    value: Any

    def parts(self, fmt_value: Any) -> list:
        out = [self.name, self.symbolic]
        for p in (self.substituted, self.inner, fmt_value(self.value)):
            if p is not None and p != out[-1]:
                out.append(p)
        return out


class trace:
    """Context manager that records ops and renders named results as hand-written steps.

    Args:
        precision: decimals shown for non-integer numbers.
    """

    def __init__(self, precision: int = 4) -> None:
        self.precision = precision
        self.steps: list[Step] = []
        # id(tensor) -> (tensor, _Expr, the tensor's version then); the tensor is kept so ids stay unique, and an
        # in-place change the trace did not record (under no_grad, of a tensor outside the graph) makes it stale
        self._exprs: dict = {}

    def __enter__(self) -> "trace":
        self._prev = autograd._tracer
        autograd._tracer = self
        return self

    def __exit__(self, *exc: Any) -> None:
        autograd._tracer = self._prev

    # ------------------------------------------------------------ formatting
    def fmt(self, value: Any) -> str:
        """A number or array as a student would write it (integers without decimals)."""
        a = numpy.asarray(backend.to_device(value._data if isinstance(value, Tensor) else value, backend.CPU))
        if a.ndim == 0:
            return self._fmt_scalar(a.item())
        return numpy.array2string(a, separator=", ", max_line_width=10**9, formatter={"all": lambda v: self._fmt_scalar(v.item() if hasattr(v, "item") else v)})

    def _fmt_scalar(self, v: Any) -> str:
        if isinstance(v, (bool, numpy.bool_)):
            return str(bool(v))
        v = float(v)
        if not math.isfinite(v):  # nan, inf, -inf: as Python writes them (int() of them would raise)
            return str(v)
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        if v != 0 and abs(v) < 10 ** (-self.precision):
            return f"{v:.3g}"
        s = f"{v:.{self.precision}f}"
        # 0.99999999587 shows as 1.0000, not 1: a student must see that it is not exactly an integer
        return s if float(s) == int(float(s)) else s.rstrip("0")

    def _entry(self, t: Tensor) -> "_Expr | None":
        """How ``t`` was written, if it still holds the value that was written so."""
        entry = self._exprs.get(id(t))
        if entry is not None and entry[0] is t and entry[2] == t._version:
            return entry[1]
        return None

    def _set(self, t: Tensor, expr: _Expr) -> None:
        self._exprs[id(t)] = (t, expr, t._version)

    def _alias(self, dst: Tensor, src: Tensor) -> None:
        """``dst`` now holds what ``src`` holds (a recorded in-place change: the old value, then the new one)."""
        expr = self._entry(src)
        if expr is not None:
            self._set(dst, expr)
        else:
            self._exprs.pop(id(dst), None)

    def _expr(self, t: Tensor) -> _Expr:
        entry = self._entry(t)
        if entry is not None:
            return entry
        text = self.fmt(t)
        return _Expr(text, text, _ATOM if not text.startswith("-") else 3)

    # ------------------------------------------------------------ recording
    def _record(self, fn: autograd.Function, inputs: tuple, outputs: Any) -> None:
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        args = [self._expr(t) for t in inputs]
        name = fn.op_name
        if name in _TRANSPARENT:
            expr = args[0]
        elif name in _INFIX and len(args) == 2:
            op, prec = _INFIX[name]
            a, b = args
            # the right operand of - and / needs brackets at equal strength: a - (b + c)
            left = lambda e: e if e.prec >= prec else _wrap(e)  # noqa: E731
            right = lambda e: e if e.prec > prec or (e.prec == prec and name in ("Add", "Mul", "MatMul")) else _wrap(e)  # noqa: E731
            la, rb = left(a), right(b)
            if rb.num.startswith("-"):  # a negative number after an operator is written (-1)
                rb = _Expr(rb.sym, f"({rb.num})", rb.prec)
            expr = _Expr(la.sym + op + rb.sym, la.num + op + rb.num, prec)
        elif name in _COMPARISONS and len(args) == 2:  # an Iverson bracket: 1 if true, else 0
            op = _COMPARISONS[name]
            expr = _Expr(f"[{args[0].sym} {op} {args[1].sym}]", f"[{args[0].num} {op} {args[1].num}]", _ATOM)
        elif name == "Neg":
            a = args[0] if args[0].prec >= 3 else _wrap(args[0])
            expr = _Expr("-" + a.sym, "-" + a.num, 3)
        elif name == "Pow":
            a = args[0] if args[0].prec > 4 else _wrap(args[0])
            b = args[1] if args[1].prec > 4 else _wrap(args[1])
            expr = _Expr(f"{a.sym}^{b.sym}", f"{a.num}^{b.num}", 4)
        elif name == "Cat" and all(t.ndim <= 1 and t._data.size == 1 for t in inputs):
            expr = _Expr("[" + ", ".join(e.sym for e in args) + "]", "[" + ", ".join(e.num for e in args) + "]", _ATOM)
        elif name == "Permute" and inputs[0].ndim == 2:
            a = args[0] if args[0].prec >= _ATOM else _wrap(args[0])
            expr = _Expr(a.sym + "^T", a.num + "^T", _ATOM)
        else:
            fname = _FUNCTIONS.get(name, name.lower())
            syms = ", ".join(e.sym for e in args)
            nums = ", ".join(e.num for e in args)
            arg_value = inputs[0] if len(inputs) == 1 else None
            expr = _Expr(f"{fname}({syms})", f"{fname}({nums})", _ATOM, fname if arg_value is not None else None, arg_value)
        for t in outs:
            self._set(t, expr)

    # ------------------------------------------------------------ public
    def name(self, t: Tensor, name: str) -> Tensor:
        """Give ``t`` a name; if an op in this trace produced it, write its step. Returns ``t``."""
        e = self._entry(t)
        if e is not None:
            inner = f"{e.func}({self.fmt(e.arg)})" if e.func is not None and e.arg is not None and e.num != f"{e.func}({self.fmt(e.arg)})" else None
            self.steps.append(Step(name, e.sym, e.num, inner, t.detach()))
        self._set(t, _Expr(name, self.fmt(t), _ATOM))
        return t

    def render(self, fmt: str = "text") -> str:
        """All steps as plain text, Markdown (one bullet per step) or LaTeX (an ``aligned`` block)."""
        lines = [step.parts(self.fmt) for step in self.steps]
        if fmt == "text":
            return "\n".join(" = ".join(p) for p in lines)
        if fmt == "markdown":
            return "\n".join("- " + " = ".join(f"`{x}`" if i == 0 else x for i, x in enumerate(p)) for p in lines)
        if fmt == "latex":
            body = " \\\\\n".join(to_latex(p[0]) + " &= " + " = ".join(to_latex(x) for x in p[1:]) for p in lines)
            return "\\begin{aligned}\n" + body + "\n\\end{aligned}"
        raise ValueError(f"trace.render: fmt must be 'text', 'markdown' or 'latex', got {fmt!r}")

    def __str__(self) -> str:
        return self.render()


def _wrap(e: _Expr) -> _Expr:
    return _Expr(f"({e.sym})", f"({e.num})", _ATOM)


_LATEX_FUNCS = {"ReLU": r"\mathrm{ReLU}", "tanh": r"\tanh", "sigmoid": r"\sigma", "exp": r"\exp", "ln": r"\ln",
                "sqrt": r"\sqrt", "softmax": r"\mathrm{softmax}", "sum": r"\sum", "max": r"\max", "min": r"\min"}


def to_latex(text: str) -> str:
    """Turn a step written by :class:`trace` into LaTeX (subscripts, \\cdot, function names)."""
    out = re.sub(r"\b([A-Za-z]+)_([A-Za-z0-9]+)\b", r"\1_{\2}", text)
    out = out.replace("*", r" \cdot ").replace(" @ ", " ").replace("^T", "^{\\top}")
    for k, v in _LATEX_FUNCS.items():
        out = re.sub(rf"\b{k}\(", lambda _m, v=v: v + "(", out)
    return out
