"""How a tensor prints: PyTorch's layout, so that a student's output reads like the book's.

The rules (those of PyTorch's ``torch._tensor_str`` at its default print options):

- floats: if every finite non-zero value is an integer, ``1.`` style (``{:.0f}.``); otherwise 4 decimals
  (``{:.4f}``); either switches to ``{:.4e}`` when the largest finite non-zero magnitude exceeds 1e8 or is
  more than 1000 times the smallest (or, with decimals, the smallest is under 1e-4). Every value is
  right-aligned to the widest finite non-zero value; integers and bools print as ``str`` of the value.
- more than 1000 elements: only the first and last 3 of each dimension, with ``...`` between; the
  format is chosen from the values shown.
- lines end before 80 columns; nested dimensions are separated by ``dim - 1`` blank lines.
- suffixes ``device=``, ``size=`` (empty tensors that are not 1-d), ``dtype=torch.float64`` (unless the
  dtype is the default float dtype, int64 or bool), then ``grad_fn=<MulBackward0>`` (the node's
  :meth:`~minigrad.autograd.Function.name`, PyTorch's) or ``requires_grad=True``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy

from . import backend

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


class _Formatter:
    """The format of every element of one tensor, chosen from the values shown (see the module doc)."""

    def __init__(self, values: numpy.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        shown = numpy.abs(flat[numpy.isfinite(flat) & (flat != 0)].astype(numpy.float64))
        if not shown.size:
            return
        lo, hi = float(shown.min()), float(shown.max())
        self.int_mode = bool((shown == numpy.ceil(shown)).all())
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
            texts = [f"{v:.{PRECISION}e}" if self.sci_mode else f"{v:.0f}." for v in flat[numpy.isfinite(flat) & (flat != 0)].tolist()]
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            fmt = f".{PRECISION}e" if self.sci_mode else f".{PRECISION}f"
            texts = [format(v, fmt) for v in flat[numpy.isfinite(flat) & (flat != 0)].tolist()]
        self.width = max([self.width] + [len(t) for t in texts])

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return " " * (self.width - len(text)) + text


def _summarized(a: numpy.ndarray) -> numpy.ndarray:
    """The values a summarized print shows: the first and last ``EDGEITEMS`` along every dimension."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = numpy.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    if a.ndim == 1:
        return a
    return numpy.stack([_summarized(x) for x in a])


def _vector(a: numpy.ndarray, indent: int, summarize: bool, f: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (f.width + 2))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        items = [f.format(v) for v in a[:EDGEITEMS].tolist()] + [" ..."] + [f.format(v) for v in a[-EDGEITEMS:].tolist()]
    else:
        items = [f.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: numpy.ndarray, indent: int, summarize: bool, f: _Formatter) -> str:
    if a.ndim == 0:
        return f.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, f)
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        parts = ([_nested(a[i], indent + 1, summarize, f) for i in range(EDGEITEMS)] + ["..."]
                 + [_nested(a[i], indent + 1, summarize, f) for i in range(a.shape[0] - EDGEITEMS, a.shape[0])])
    else:
        parts = [_nested(x, indent + 1, summarize, f) for x in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(a: numpy.ndarray, device: Any, grad_fn: str | None, requires_grad: bool, prefix: str = "tensor(") -> str:
    """``tensor([...], <suffixes>)`` for the CPU array ``a`` (see the module doc)."""
    indent = len(prefix)
    suffixes = []
    if device.type != "cpu":
        suffixes.append(f"device='{device}'")
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != backend.get_default_dtype():
            suffixes.append(f"dtype={backend.as_dtype(a.dtype)}")
    else:
        summarize = a.size > THRESHOLD
        body = _nested(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))
        if a.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
            suffixes.append(f"dtype={backend.as_dtype(a.dtype)}")
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    head = prefix + body
    out, last = [head], len(head) - head.rfind("\n") + 1  # as PyTorch counts the last line
    for s in suffixes:
        if last + len(s) + 2 > LINEWIDTH:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"
