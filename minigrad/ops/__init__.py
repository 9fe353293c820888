"""Every differentiable op, grouped by kind; each module keeps forward and backward together.

- :mod:`.elementwise`: arithmetic, unary math, comparisons, ``where``/``masked_fill``
- :mod:`.reduction`: sums, means, variances, extrema, ``logsumexp`` and softmax
- :mod:`.shape`: casts, device copies, reshapes, transposes, ``cat``/``split``, triangles, ``flip``, ``narrow``, ``pad``
- :mod:`.indexing`: ``x[index]``, ``gather``, ``scatter``, ``one_hot``, ``topk``, ``nonzero``, ``index_select``, ``repeat``
- :mod:`.linalg`: ``matmul``
- :mod:`.sorting`: ``sort``, ``argsort``
"""
from .common import DTypeError, ShapeError, normalize_dim, operand_array, size_args
from .elementwise import (
    abs, add, allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, clamp, clip, cos, div, eq, equal, exp, floor_divide, ge, gt, isfinite, isnan, le, log, log1p, logical_and,
    logical_not, logical_or, logical_xor, lt, masked_fill, maximum, minimum, mul, ne, neg, pow, relu, remainder,
    sigmoid, sin, sinh, cosh, sqrt, sub, tanh, where,
)
from .indexing import (
    TopK, check_index_range, gather, getitem, index_arrays, index_select, masked_select, nonzero, one_hot, repeat,
    repeat_interleave, scatter, scatter_add, topk,
)
from .linalg import bmm, matmul, mm
from .reduction import (
    all, amax, amin, any, argmax, argmin, cumsum, log_softmax, logsumexp, max, mean, min, softmax, std, sum, var,
)
from .sorting import argsort, sort
from .shape import (
    broadcast_to, cast, cat, chunk, clone, expand, flatten, flip, meshgrid, narrow, pad, permute, reshape, split, squeeze,
    stack, to_device, transpose, tril, triu, unflatten, unsqueeze, view,
)
