"""Samplers, as in ``torch.utils.data.sampler``: which dataset indices a :class:`~minigrad.utils.data.DataLoader`
visits, and in which order and groups."""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy

from .. import backend


class Sampler:
    """Yields dataset indices; subclasses define ``__iter__`` and usually ``__len__``."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _rng(generator: backend.Generator | None) -> Any:
    return generator.rng if generator is not None else backend.generator(backend.CPU)


class RandomSampler(Sampler):
    """A new random order every pass, from ``generator`` (or the global CPU stream).

    Without ``replacement`` each index appears once per ``len(data_source)`` draws (a ``num_samples``
    larger than the dataset chains several permutations); with it, ``num_samples`` independent uniform draws.
    """

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: backend.Generator | None = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got replacement={replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, but got num_samples={num_samples!r}")
        self.data_source, self.replacement, self._num_samples, self.generator = data_source, replacement, num_samples, generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        # drawn lazily, a chunk at a time: minGPT asks for num_samples=int(1e10) and stops early
        n, rng, left = len(self.data_source), _rng(self.generator), self.num_samples
        while left > 0 and n > 0:
            chunk = numpy.asarray(rng.integers(0, n, size=min(left, 4096)) if self.replacement else rng.permutation(n))[:left]
            left -= len(chunk)
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order every pass."""

    def __init__(self, indices: Sequence[int], generator: backend.Generator | None = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        order = numpy.asarray(_rng(self.generator).permutation(len(self.indices)))
        return iter([self.indices[i] for i in order.tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list]:
        batch: list = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
