"""Low-precision reductions fuzzed against PyTorch (issue 26): float16/float32 ``sum``, ``mean``, ``cumsum``,
``var`` and ``std`` over up to a million elements and magnitudes up to near the dtype's range must be
within PyTorch's own error of the exact result (or one rounding of it), and overflow where PyTorch does.

Cases come from ``--fuzz-seed`` (default 0, as CI runs it; ``--fuzz-seed random`` for a new draw): a
few in the normal run, many more under ``pytest -m fuzz``.
"""
import os

import numpy as np
import pytest

import minigrad as mg
from reduction_cases import draw, errors

torch = pytest.importorskip("torch")

FAST, LONG = 12, int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", "300"))


def _run(seed: int, count: int, max_size: int) -> None:
    rng = np.random.default_rng(seed)
    for i in range(count):
        case = draw(rng, max_size)
        merr, terr, rounding, overflow_agrees = errors(mg, torch, case)
        where = f"case {i} of seed {seed}: {case!r}"
        assert overflow_agrees, f"overflow differs from PyTorch's, {where}"
        assert merr <= 1.01 * max(terr, rounding), f"error {merr:.3g} beyond PyTorch's {terr:.3g} (one rounding: {rounding:.3g}), {where}"


def test_low_precision_reductions_within_pytorchs_error(fuzz_seed):
    _run(fuzz_seed, FAST, 200_000)


@pytest.mark.fuzz
def test_low_precision_reductions_within_pytorchs_error_long(fuzz_seed):
    _run(fuzz_seed, LONG, 1_000_000)
