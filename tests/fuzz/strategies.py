"""Hypothesis strategies for the differential fuzzer: shapes (0-d, size-0 dimensions, broadcasting),
dtypes (bool, int32, int64, float32, float64) and values, with edge values (±0, ±inf, NaN, huge, tiny)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from oracle import Input

INF, NAN = float("inf"), float("nan")
FLOATS = ("float32", "float64")
INTS = ("int32", "int64")
DTYPES = ("bool",) + INTS + FLOATS

EDGES = {
    "float32": [0.0, -0.0, INF, -INF, NAN, 3e38, -3e38, 1e-45, -1e-45, 1e-38, 1.0, -1.0, 0.5],
    "float64": [0.0, -0.0, INF, -INF, NAN, 1e308, -1e308, 5e-324, -5e-324, 1e-300, 1.0, -1.0, 0.5],
    "int32": [0, 1, -1, 2**31 - 1, -(2**31)],
    "int64": [0, 1, -1, 2**63 - 1, -(2**63)],
}


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def array(data: st.DataObject, dtype: str, shape: tuple, edgy: bool, lo: float = -3, hi: float = 3) -> np.ndarray:
    """An array of ``dtype``; when ``edgy``, a share of its elements are edge values."""
    if dtype == "bool":
        elements = st.booleans()
    elif dtype in INTS:
        elements = st.integers(int(lo), int(hi))
        if edgy:
            elements = st.one_of(elements, st.sampled_from(EDGES[dtype]))
    else:
        elements = st.floats(lo, hi, width=32 if dtype == "float32" else 64)
        if edgy:
            elements = st.one_of(elements, st.sampled_from(EDGES[dtype]))
    return data.draw(hnp.arrays(np.dtype(dtype), shape, elements=elements), label=f"{dtype}{shape}")


def tensor(data: st.DataObject, shape: tuple | None = None, dtypes: tuple = DTYPES, edgy: bool | None = None,
           grad: bool = True, **kw) -> Input:
    """An input: random dtype among ``dtypes``, random shape unless given; float inputs require grad."""
    dtype = data.draw(st.sampled_from(dtypes), label="dtype")
    if shape is None:
        shape = data.draw(shapes(), label="shape")
    if edgy is None:
        edgy = data.draw(st.booleans(), label="edgy")
    return Input(array(data, dtype, tuple(shape), edgy, **kw), grad and dtype in FLOATS)


def broadcast_pair(data: st.DataObject, max_dims: int = 3) -> tuple:
    s = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims, min_side=0, max_side=4))
    return s.input_shapes


def dim(data: st.DataObject, ndim: int, out_of_range: bool = True) -> int:
    """A dimension index, sometimes one out of range (which must raise an IndexError)."""
    n = max(ndim, 1)
    lo, hi = (-n - 1, n) if out_of_range else (-n, n - 1)
    return data.draw(st.integers(lo, hi), label="dim")


def dims(data: st.DataObject, ndim: int) -> object:
    """None, one dimension, or a tuple of distinct dimensions."""
    choice = data.draw(st.sampled_from(["none", "int", "tuple"]), label="dims kind")
    if choice == "none":
        return None
    if choice == "int" or ndim == 0:
        return dim(data, ndim)
    return tuple(data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim, unique_by=lambda d: d % ndim)))


def scalar(data: st.DataObject, edgy: bool = True) -> object:
    """A Python number operand: bool, int or float (with edge values)."""
    options = [st.booleans(), st.integers(-3, 3), st.floats(-3, 3)]
    if edgy:
        options.append(st.sampled_from([0.0, -0.0, INF, -INF, NAN, 1e300, 1e-300]))
    return data.draw(st.one_of(*options), label="scalar")
