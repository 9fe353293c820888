r"""Sequence utilities: padded batches with lengths, and truncated backpropagation through time.

Truncated BPTT trains on a long sequence in chunks of ``k`` steps. The hidden state is carried from
one chunk to the next *as a value* but detached from the graph, so each backward pass runs through at
most ``k`` steps: memory stays bounded and no gradient crosses a chunk boundary (the price: the model
cannot learn dependencies longer than ``k`` steps through the gradient)::

    state = None
    for x_chunk, y_chunk in zip(split_sequence(x, k), split_sequence(y, k)):
        optimizer.zero_grad()
        out, state = rnn(x_chunk, state)
        loss_fn(head(out), y_chunk).backward()
        optimizer.step()
        state = detach_state(state)   # keep the value, cut the graph

:func:`truncated_bptt` runs exactly this loop.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy

from ... import backend
from ...creation import zeros
from ...ops import cat
from ...tensor import Tensor
from .clip_grad import clip_grad_norm_


class PackedSequence:
    """A padded batch together with the true length of each sequence.

    minigrad keeps the padded, time-major tensor (``padded``, shape ``(T, B, *)``) and the
    ``lengths`` rather than PyTorch's interleaved ``data``/``batch_sizes`` layout; recurrent layers
    accept it as PyTorch's do, and :func:`pad_packed_sequence` turns it back into a padded tensor.
    """

    def __init__(self, padded: Tensor, lengths: Any, batch_first: bool = False) -> None:
        self.padded = padded.transpose(0, 1) if batch_first else padded
        self.lengths = numpy.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths, dtype=numpy.int64)

    def __repr__(self) -> str:
        return f"PackedSequence(padded shape {tuple(self.padded.shape)}, lengths={self.lengths.tolist()})"


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Mark the padding of a batch so recurrent layers skip it (PyTorch's signature)."""
    lens = numpy.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths, dtype=numpy.int64)
    T = input.shape[1] if batch_first else input.shape[0]
    if enforce_sorted and numpy.any(numpy.diff(lens) > 0):
        raise ValueError(f"pack_padded_sequence: lengths {lens.tolist()} are not sorted in decreasing order; "
                         f"sort the batch or pass enforce_sorted=False")
    if lens.size and (lens.min() < 1 or lens.max() > T):
        raise ValueError(f"pack_padded_sequence: lengths must be between 1 and the padded length {T}, got {lens.tolist()}")
    return PackedSequence(input, lens, batch_first)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """The padded tensor (padding set to ``padding_value``) and the lengths, as ``torch.nn.utils.rnn``."""
    out = sequence.padded
    T = int(sequence.lengths.max()) if sequence.lengths.size else 0
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"pad_packed_sequence: total_length {total_length} is shorter than the longest sequence ({T})")
        T = total_length
    if out.shape[0] > T:
        out = out[:T]
    elif out.shape[0] < T:
        out = cat([out, zeros((T - out.shape[0],) + tuple(out.shape[1:]), dtype=out.dtype, device=out.device)], dim=0)
    if padding_value != 0.0:
        keep = numpy.arange(T)[:, None] < sequence.lengths[None, :]
        shape = keep.shape + (1,) * (out.ndim - 2)
        out = out.masked_fill(Tensor(out.device.xp.asarray(~keep.reshape(shape)), out.device), padding_value)
    if batch_first:
        out = out.transpose(0, 1)
    return out, Tensor(sequence.lengths.copy(), backend.CPU)


def detach_state(state: Any) -> Any:
    """The same hidden state (a tensor, or a tuple such as LSTM's ``(h, c)``) cut from the graph."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def split_sequence(x: Tensor, k: int, dim: int = 0) -> tuple:
    """Chunks of ``k`` steps along the time dimension ``dim`` (the last may be shorter)."""
    if k < 1:
        raise ValueError(f"split_sequence: chunk length k must be at least 1, got {k}")
    return x.split(k, dim=dim)


def truncated_bptt(
    model: Callable[[Tensor, Any], tuple],
    inputs: Tensor,
    targets: Tensor,
    k: int,
    loss_fn: Callable[[Any, Tensor], Tensor],
    optimizer: Any,
    state: Any = None,
    time_dim: int = 0,
    clip_grad_norm: float | None = None,
) -> tuple:
    """Train on one long sequence in chunks of ``k`` steps, one optimizer step per chunk.

    Args:
        model: called as ``model(x_chunk, state) -> (output, new_state)`` (an ``nn.RNN``/``LSTM``/``GRU``,
            or a module wrapping one with a head).
        inputs, targets: the whole sequence, time along ``time_dim``.
        k: steps per chunk: the truncation length.
        loss_fn: ``loss_fn(output, target_chunk) -> scalar``.
        optimizer: stepped once per chunk.
        state: the initial hidden state (None for zeros).
        clip_grad_norm: if set, gradients are clipped to this norm before each step.

    Returns:
        ``(losses, state)``: the loss of every chunk and the final (detached) state.
    """
    losses = []
    params = [p for g in optimizer.param_groups for p in g["params"]]
    for x_chunk, y_chunk in zip(split_sequence(inputs, k, time_dim), split_sequence(targets, k, time_dim)):
        optimizer.zero_grad()
        out, state = model(x_chunk, state)
        loss = loss_fn(out, y_chunk)
        loss.backward()
        if clip_grad_norm is not None:
            clip_grad_norm_(params, clip_grad_norm)
        optimizer.step()
        state = detach_state(state)
        losses.append(loss.item())
    return losses, state
