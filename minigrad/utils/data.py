"""``Dataset``, ``TensorDataset`` and ``DataLoader``, as in ``torch.utils.data``."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Sequence

import numpy

from .. import backend
from ..creation import tensor as make_tensor
from ..ops import stack
from ..tensor import Tensor


class Dataset:
    """Anything with ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the ``i``-th rows of the given tensors, which must share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same first dimension, got shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples: tensors along a new first dimension, numbers into a tensor, tuples element-wise."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch))
    if isinstance(first, (int, float, bool, numpy.number)):
        return make_tensor(list(batch))
    if isinstance(first, numpy.ndarray):
        return make_tensor(numpy.stack(batch))
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(items)) for items in zip(*batch))
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    raise TypeError(f"default_collate: don't know how to batch samples of type {type(first).__name__}")


class DataLoader:
    """Iterates over a dataset in batches.

    Args:
        dataset: a :class:`Dataset` (or any object with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: a new random order every epoch, drawn from ``generator`` (a seeded
            :class:`minigrad.Generator` makes it reproducible) or else from the global CPU stream.
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default: :func:`default_collate`).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator: backend.Generator | None = None, collate_fn: Callable[[list], Any] | None = None) -> None:
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.generator, self.collate_fn = generator, collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> numpy.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n)
        rng = self.generator.rng if self.generator is not None else backend.generator(backend.CPU)
        return numpy.asarray(rng.permutation(n))

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            if self.collate_fn is None and isinstance(self.dataset, TensorDataset):
                # one indexing op per tensor instead of stacking single rows
                yield self.dataset[idx]
            else:
                yield (self.collate_fn or default_collate)([self.dataset[int(j)] for j in idx])
