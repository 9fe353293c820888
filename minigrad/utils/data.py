"""``Dataset``, ``TensorDataset``, ``DataLoader`` and the samplers, as in ``torch.utils.data``.

PyTorch's submodule paths (``torch.utils.data.dataloader``, ``.dataset``, ``.sampler``) name this module
(the samplers' own file for ``.sampler``), so ``from torch.utils.data.dataloader import DataLoader`` works.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Iterator, Sequence

import numpy

from .. import backend
from ..creation import tensor as make_tensor
from ..ops import stack
from ..tensor import Tensor
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler


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
    """Stack a list of samples as PyTorch's ``default_collate``: tensors and NumPy arrays along a new first
    dimension; Python floats into a float64 tensor, ints (and bools) into an int64 (bool) tensor, NumPy
    scalars keeping their dtype; strings and bytes stay a list; dicts and named tuples field by field;
    other sequences (tuples included) become a list of their collated positions."""
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch))
    if isinstance(first, numpy.ndarray):
        if first.dtype.kind in "SUOV":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found an array of dtype {first.dtype}")
        return stack([make_tensor(b) for b in batch])
    if isinstance(first, numpy.generic) and not isinstance(first, (numpy.str_, numpy.bytes_)):
        return make_tensor(numpy.asarray(batch))
    if isinstance(first, float):
        return make_tensor(list(batch), dtype=backend.float64)
    if isinstance(first, int):  # bool too, as in Python and PyTorch: a bool tensor if every sample is a bool
        return make_tensor(list(batch))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple
        return type(first)(*(default_collate(items) for items in zip(*batch)))
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(items) for items in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(first).__name__}")


class DataLoader:
    """Iterates over a dataset in batches, with PyTorch's arguments.

    Args:
        dataset: a :class:`Dataset` (or any object with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch; ``None`` yields single samples, not collated.
        shuffle: a new random order every epoch, drawn from ``generator`` (a seeded
            :class:`minigrad.Generator` makes it reproducible) or else from the global CPU stream.
        sampler: the indices to visit, in order (excludes ``shuffle``).
        batch_sampler: yields whole lists of indices (excludes ``batch_size``, ``shuffle``, ``sampler``
            and ``drop_last``).
        num_workers: accepted for compatibility; batches are always loaded in the calling process.
        collate_fn: turns a list of samples into a batch (default: :func:`default_collate`).
        pin_memory: accepted and ignored (there is no pinned host memory).
        drop_last: drop the last batch if it is smaller than ``batch_size``.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers: accepted for
            compatibility; they concern worker processes, which minigrad does not start.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None, sampler: Any = None,
                 batch_sampler: Any = None, num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None, generator: backend.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False, pin_memory_device: str = "") -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("DataLoader: timeout option should be non-negative")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        elif not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.dataset, self.batch_size, self.drop_last, self.generator = dataset, batch_size, bool(drop_last), generator
        self.sampler, self.batch_sampler, self.collate_fn = sampler, batch_sampler, collate_fn
        self.num_workers, self.pin_memory = num_workers, pin_memory

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            for i in self.sampler:
                yield self.dataset[i] if self.collate_fn is None else self.collate_fn(self.dataset[i])
            return
        for idx in self.batch_sampler:
            if self.collate_fn is None and isinstance(self.dataset, TensorDataset):
                # one indexing op per tensor instead of stacking single rows
                yield self.dataset[numpy.asarray(idx, dtype=numpy.int64)]
            else:
                yield (self.collate_fn or default_collate)([self.dataset[int(j)] for j in idx])


def __getattr__(name: str) -> object:
    # PyTorch names left out on purpose get an error that says why (see minigrad.compat)
    from .. import compat as _compat

    raise _compat.unsupported(__name__, name)


sys.modules[__name__ + ".dataloader"] = sys.modules[__name__ + ".dataset"] = sys.modules[__name__]
sys.modules[__name__ + ".sampler"] = sys.modules[__package__ + ".sampler"]
dataloader = dataset = sys.modules[__name__]
