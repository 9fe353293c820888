"""A seeded generator of low-precision reductions at size and magnitude, for tests/fuzz/test_reduction_fuzz.py.

Each case is float16 or float32 data (constant, positive, or centred far from 0; magnitudes from 1e-3 up
to near the dtype's range), a reduction (``sum``, ``mean``, ``cumsum``, ``var``, ``std``) and the dims it
runs over. :func:`errors` gives minigrad's and PyTorch's largest error against the float64 result of the
same (rounded) inputs.
"""
from dataclasses import dataclass

import numpy as np

OPS = ("sum", "mean", "cumsum", "var", "std")
LOG10_MAX = {np.float16: 4.0, np.float32: 33.0}


@dataclass
class Case:
    op: str
    data: np.ndarray
    dim: object

    def __repr__(self) -> str:
        return f"Case({self.op}, {self.data.dtype} {self.data.shape}, dim={self.dim}, max |x| {np.abs(self.data).max():.3g})"


def draw(rng: np.random.Generator, max_size: int) -> Case:
    dtype = [np.float16, np.float32][rng.integers(2)]
    op = OPS[rng.integers(len(OPS))]
    n = int(10 ** rng.uniform(1, np.log10(max_size)))
    shape = [(n,), (n, 2), (2, n), (max(1, n // 64), 8, 8)][rng.integers(4)]
    scale = 10 ** rng.uniform(-3, LOG10_MAX[dtype])
    kind = rng.integers(3)
    if kind == 0:
        a = np.full(shape, scale)
    elif kind == 1:
        a = rng.uniform(0, scale, shape)
    else:
        a = scale * (1 + 1e-2 * rng.standard_normal(shape))
    a = a.astype(dtype)
    if op == "cumsum":
        dim = int(rng.integers(len(shape)))
    else:
        dims = [None, 0, -1, tuple(range(len(shape))), ()]
        if len(shape) == 3:
            dims.append((0, 1))
        dim = dims[rng.integers(len(dims))]
    return Case(op, a, dim)


def _apply(L, t, case):
    if case.op == "cumsum":
        return t.cumsum(case.dim)
    kwargs = {} if case.dim is None else {"dim": case.dim}
    return getattr(t, case.op)(**kwargs)


def truth(case) -> np.ndarray:
    a = case.data.astype(np.float64)
    dim = None if case.dim in (None, ()) else case.dim
    if case.op == "cumsum":
        return np.cumsum(a, axis=case.dim)
    if case.op in ("var", "std"):
        return getattr(np, case.op)(a, axis=dim, ddof=1)
    return getattr(np, case.op)(a, axis=dim)


def errors(mg, torch, case) -> tuple:
    """(minigrad's, PyTorch's) largest error where the float64 result fits the dtype, and whether the
    two agree on which results overflow."""
    m = np.asarray(_apply(mg, mg.tensor(case.data), case).cpu().numpy(), dtype=np.float64)
    t = np.asarray(_apply(torch, torch.tensor(case.data), case).cpu().numpy(), dtype=np.float64)
    exact = truth(case)
    fits = np.abs(exact) <= np.finfo(case.data.dtype).max * (1 - 2 ** -8)
    overflow_agrees = bool(np.array_equal(np.isinf(m) & ~fits, np.isinf(t) & ~fits))
    if not fits.any():
        return 0.0, 0.0, 0.0, overflow_agrees
    rounding = float(np.abs(exact[fits]).max()) * np.finfo(case.data.dtype).eps
    with np.errstate(invalid="ignore"):
        merr = float(np.nanmax(np.where(fits, np.abs(m - exact), 0))) if np.isfinite(m[fits]).all() else np.inf
        terr = float(np.nanmax(np.where(fits, np.abs(t - exact), 0))) if np.isfinite(t[fits]).all() else np.inf
    return merr, terr, rounding, overflow_agrees
