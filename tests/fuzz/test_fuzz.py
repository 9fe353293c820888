"""Differential fuzzing of every public op against PyTorch.

Two profiles of the same test:

- fast (the normal test run): a few derandomized examples per op, a few seconds in all;
- long (``pytest -m fuzz``): ``MINIGRAD_FUZZ_EXAMPLES`` random examples per op (default 300), minutes.

Each example draws shapes (0-d, size-0 dimensions, broadcasting), dtypes (bool, int32, int64,
float32, float64), edge values (±0, ±inf, NaN, huge, tiny) and the op's parameters, and
:func:`oracle.compare` checks values, dtypes, gradients, and that minigrad raises where PyTorch raises,
with an error of PyTorch's kind that names the op and shows no NumPy internals. A mismatch that a
deliberate difference (``known_differences.py``, listed in ``docs/api.md``) explains is not a failure.
"""
import os
import pathlib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from known_differences import KNOWN_DIFFERENCES, explaining
from ops_table import SPECS
from oracle import Mismatch, PyTorchBug, compare, load_torch

torch = load_torch()

FAST_EXAMPLES = 10
LONG_EXAMPLES = int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", "300"))
COMMON = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _scale(case) -> float:
    """How much an op may amplify rounding: (largest finite input)^k times the element count."""
    if not case.amplification:
        return case.conditioning
    big, n = 1.0, 1
    for i in case.inputs:
        a = i.array
        if a.dtype.kind == "f" and a.size:
            finite = np.abs(a[np.isfinite(a)])
            if finite.size:
                big = max(big, float(finite.max()))
        n = max(n, a.size)
    return min(big, 1e150) ** case.amplification * n * case.conditioning


def _may_overflow(case) -> bool:
    """Inputs so large that products of two of them overflow (or infinite, for ops that sum products)."""
    if case.sums_products and any(i.array.dtype.kind == "f" and np.isinf(i.array).any() for i in case.inputs):
        return True
    for i in case.inputs:
        a = i.array
        if a.dtype.kind == "f" and a.size and np.any(np.abs(a[np.isfinite(a)]) > np.sqrt(np.finfo(a.dtype).max)):
            return True
    return False


def _check(op: str, data: st.DataObject) -> None:
    case = SPECS[op](data)
    try:
        compare(op, case.fn, case.inputs, scale=_scale(case), check_grad=case.check_grad, overflow=_may_overflow(case))
    except Mismatch as m:
        kd = explaining(op, case, m)
        if kd is None:
            shown = ", ".join(f"{i.array.dtype}{list(i.array.shape)}={i.array.tolist()!r}"[:300] for i in case.inputs)
            raise AssertionError(f"{op}: {m}\n  inputs: {shown}\n  params: {case.params}") from None
        event(f"known difference: {kd.key}")
    except PyTorchBug:
        event("PyTorch internal assertion (no reference answer)")


@settings(max_examples=FAST_EXAMPLES, derandomize=True, **COMMON)
@given(data=st.data())
def _fast(op, data):
    _check(op, data)


@settings(max_examples=LONG_EXAMPLES, **COMMON)
@given(data=st.data())
def _long(op, data):
    _check(op, data)


@pytest.mark.parametrize("op", sorted(SPECS))
def test_op_agrees_with_pytorch(op):
    _fast(op)


@pytest.mark.fuzz
@pytest.mark.parametrize("op", sorted(SPECS))
def test_op_agrees_with_pytorch_long(op):
    _long(op)


def test_every_public_op_is_fuzzed():
    """Each op of ``minigrad.ops`` and ``nn.functional`` appears in some fuzz case's code."""
    import inspect

    import minigrad as mg
    from minigrad.nn import functional as F

    import ops_table

    source = inspect.getsource(ops_table)
    public = {n for n in dir(mg.ops) if not n.startswith("_") and callable(getattr(mg.ops, n))}
    internal = {"ShapeError", "DTypeError", "TopK", "check_index_range", "normalize_dim", "operand_array", "size_args", "index_arrays", "cast",
                "to_device", "getitem", "clip", "expand", "view", "isfinite"}
    missing = sorted(n for n in public - internal if not re.search(rf"\b{n}\b", source))
    missing += sorted(n for n in F.__all__ if n not in source)
    assert not missing, f"ops with no fuzz case: {missing}"


DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_known_differences_match_the_docs():
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- known-differences:begin -->\n(.*?)<!-- known-differences:end -->", text, re.S)
    assert block, "docs/api.md has no known-differences block"
    listed = re.findall(r"^- `(?P<key>[\w-]+)`: (?P<doc>.*?)(?=^- `|\Z)", block.group(1), re.S | re.M)
    documented = {k: " ".join(d.split()) for k, d in listed}
    in_code = {kd.key: kd.doc for kd in KNOWN_DIFFERENCES}
    assert documented == in_code
