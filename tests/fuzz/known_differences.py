"""The deliberate differences from PyTorch at the edges, in one list: the fuzzer skips a mismatch that
one of them explains, and ``docs/api.md`` shows the same list (``test_known_differences_match_the_docs``)."""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class KnownDifference:
    key: str
    doc: str  # the sentence in docs/api.md, verbatim
    ops: tuple  # fuzz-table op names it concerns
    applies: Callable  # (case, mismatch) -> bool: does it explain this mismatch?


def _empty_input(case) -> bool:
    return any(i.array.size == 0 for i in case.inputs)


def _subnormal_input(case) -> bool:
    return any(a.dtype.kind == "f" and np.any((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny))
               for a in (i.array for i in case.inputs))


KNOWN_DIFFERENCES = [
    KnownDifference(
        "int-negative-power",
        "An integer tensor to a negative integer power raises a `RuntimeError` (PyTorch raises for a Python "
        "exponent but computes `1 ** -3 == 1` and truncates `2 ** -1` to 0 for a tensor exponent).",
        ("pow", "pow_scalar", "rpow_scalar"),
        lambda case, m: m.what == "raises" and "negative integer powers" in m.detail,
    ),
    KnownDifference(
        "var-no-dof-gradient",
        "`var` with `correction >= N` (no degrees of freedom left): the value is `inf` or NaN as in PyTorch, "
        "and the gradient is `±inf` with the sign of `x - mean` (PyTorch gives `+inf` everywhere).",
        ("var",),
        lambda case, m: m.what == "gradient" and case.params.get("dof", 1) <= 0,
    ),
    KnownDifference(
        "empty-dtype-check",
        "Ops check their operands' dtypes even when a tensor is empty (`softmax` of an empty integer tensor, "
        "`matmul` of an empty int64 and a float64 tensor raise; PyTorch returns an empty result).",
        ("softmax", "log_softmax", "F.softmax", "matmul", "mm", "bmm"),
        lambda case, m: m.what == "raises" and "DTypeError" in m.detail and _empty_input(case),
    ),
    KnownDifference(
        "cat-legacy-empty",
        "`cat` checks `dim` against every tensor; PyTorch skips 1-d empty tensors (shape `(0,)`) entirely, "
        "so it accepts any `dim` when all of them are such.",
        ("cat",),
        lambda case, m: m.what == "raises" and all(i.array.shape == (0,) for i in case.inputs),
    ),
    KnownDifference(
        "pow-bool-exponent",
        "A bool exponent counts as 0 or 1 in the gradient of `x ** e` too (PyTorch's backward fails for a "
        "bool tensor exponent, subtracting 1 from it, and gives NaN at `x = 0` for `x ** False`).",
        ("pow", "pow_scalar"),
        lambda case, m: ((m.what == "no error" and "Subtraction" in m.detail and case.inputs[1].array.dtype == bool)
                         or (m.what == "gradient" and isinstance(case.params.get("scalar"), bool))),
    ),
    KnownDifference(
        "pow-int-exponent-overflow",
        "The gradient of `x ** n` for an integer tensor `n` is computed in floating point (PyTorch computes "
        "`n - 1` in the integer dtype, which wraps around at the smallest int32/int64).",
        ("pow",),
        lambda case, m: m.what == "gradient" and any(
            i.array.dtype.kind == "i" and (i.array == np.iinfo(i.array.dtype).min).any() for i in case.inputs),
    ),
    KnownDifference(
        "div-grad-underflow",
        "The gradient of `a / b` with respect to `b` is computed as `-(a / b) / b`, which stays finite where "
        "PyTorch's `-a / (b * b)` (or the reciprocal's `-1 / b**2`) underflows `b * b` to 0 for a tiny `b`.",
        ("div", "div_scalar", "rdiv_scalar"),
        lambda case, m: m.what == "gradient" and any(
            i.array.dtype.kind == "f" and np.any((i.array != 0) & (np.abs(i.array) < np.sqrt(np.finfo(i.array.dtype).tiny)))
            for i in case.inputs),
    ),
    KnownDifference(
        "kl-div-zero-target",
        "`kl_div` with a zero target probability: the loss term `0 * log 0` is 0 as in PyTorch, and so is its "
        "gradient with respect to the target (PyTorch's is NaN).",
        ("kl_div",),
        lambda case, m: m.what == "gradient" and m.detail.startswith("input 1") and (case.inputs[1].array == 0).any(),
    ),
    KnownDifference(
        "floor-divide-no-grad",
        "`floor_divide` (`//`) of a tensor that requires grad returns a result without gradient (it is "
        "piecewise constant); PyTorch refuses in backward (no derivative for floor_divide).",
        ("floor_divide",),
        lambda case, m: m.what == "no error" and "derivative for aten::floor_divide" in m.detail,
    ),
    KnownDifference(
        "topk-ties",
        "`topk` returns tied values in index order; PyTorch does not promise an order among ties, so the "
        "indices (not the values) may differ there.",
        ("topk",),
        lambda case, m: m.what == "value" and m.detail.startswith("output 1"),
    ),
    KnownDifference(
        "std-underflow",
        "`std` whose variance underflows to 0 (subnormal inputs) has gradient 0 there, as at an exact zero "
        "variance (PyTorch's is NaN).",
        ("std",),
        lambda case, m: m.what == "gradient" and _subnormal_input(case),
    ),
    KnownDifference(
        "gelu-inf",
        "`F.gelu(+inf)` is `+inf` (PyTorch's vectorized CPU kernel gives NaN, its scalar path `+inf`).",
        ("gelu",),
        lambda case, m: any(np.isposinf(i.array).any() for i in case.inputs),
    ),
    KnownDifference(
        "scalar-precision",
        "A Python number or a 0-d tensor meets a tensor in the result's dtype, as PyTorch's type promotion "
        "says; PyTorch's kernels and backward formulas sometimes keep it at its own precision (`1e-300 ** x` "
        "in float32 has a finite gradient there) or divide by multiplying with a reciprocal (`1e-300 / x` "
        "overflows for a subnormal `x`).",
        ("pow_scalar", "rpow_scalar", "rdiv_scalar", "div_scalar", "mul_scalar", "add_scalar", "radd_scalar",
         "sub_scalar", "rsub_scalar", "eq_scalar", "lt_scalar", "ge_scalar", "pow", "div"),
        lambda case, m: (m.what in ("value", "gradient")
                         and (_subnormal_input(case) or _unrepresentable(case.params.get("scalar"), case)
                              or _zero_dim_precision(case))),
    ),
]


def _zero_dim_precision(case) -> bool:
    """A float64 0-d input that float32 cannot hold, beside a float32 tensor with dimensions."""
    arrays = [i.array for i in case.inputs]
    if not any(a.dtype == np.float32 and a.ndim for a in arrays):
        return False
    return any(a.dtype == np.float64 and a.ndim == 0 and _unrepresentable(float(a), case) for a in arrays)


def _unrepresentable(s, case) -> bool:
    if not isinstance(s, float) or not np.isfinite(s):
        return False
    with np.errstate(over="ignore"):
        return any(i.array.dtype != np.float64 and float(np.float32(s)) != s for i in case.inputs)


def explaining(op: str, case, mismatch) -> KnownDifference | None:
    """The known difference that explains this mismatch of ``op``, if any."""
    for kd in KNOWN_DIFFERENCES:
        if op in kd.ops and kd.applies(case, mismatch):
            return kd
    return None
