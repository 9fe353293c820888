"""``sort`` and ``argsort``: an order along one dimension, and the values gathered in it."""
from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import backend
from ..backend import array_module
from ..tensor import Tensor
from .common import normalize_dim
from .indexing import gather

Sort = namedtuple("Sort", ["values", "indices"])
Sort.__doc__ = "The result of ``sort``: the sorted values and where each came from."


def _order(op: str, x: Tensor, dim: int, descending: bool) -> Any:
    """The stable order of ``x`` along ``dim``: ties keep their index order, NaN counts as the largest value."""
    d = normalize_dim(op, dim, x.ndim)
    a = x._data if x.ndim else x._data.reshape(1)
    xp = array_module(a)
    if a.dtype == backend.bool_:
        a = a.view(backend.uint8)
    if not descending:
        return xp.argsort(a, axis=d, kind="stable")
    # descending, ties still in ascending index order: sort the reversed array stably and map back
    n = a.shape[d]
    return n - 1 - xp.flip(xp.argsort(xp.flip(a, axis=d), axis=d, kind="stable"), axis=d)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Sort:
    r"""``x`` sorted along ``dim`` (ascending, or ``descending``), and the indices it came from.

    The sort is always stable (equal values keep their order, which PyTorch promises with ``stable=True``)
    and NaN sorts as the largest value, as in PyTorch. The values are ``gather(x, dim, indices)``, so the
    gradient goes back to where each value came from: :math:`\bar x_{\mathrm{indices}_i} = \bar y_i`.
    """
    order = _order("sort", x, dim, descending)
    idx = Tensor(order.astype(backend.int64).reshape(x.shape), x.device)
    if not x.ndim:
        return Sort(x.clone(), idx)
    return Sort(gather(x, normalize_dim("sort", dim, x.ndim), idx), idx)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (int64; stable, as :func:`sort`)."""
    return Tensor(_order("argsort", x, dim, descending).astype(backend.int64).reshape(x.shape), x.device)
