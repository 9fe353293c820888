r"""Recurrent layers with PyTorch's arguments, parameter names and gate order.

``RNNCell``, ``LSTMCell`` and ``GRUCell`` compute one step with ordinary differentiable ops.
``RNN``, ``LSTM`` and ``GRU`` run whole sequences, with two implementations of backpropagation
through time, chosen with ``bptt=``:

- ``"hand"`` (default): one op per layer and direction whose backward is the BPTT recursion
  written out (:mod:`minigrad.nn.bptt`, derivation in ``docs/bptt.md``);
- ``"autograd"``: the cell's ops unrolled over time, differentiated by the engine.

Both give the same numbers (to float64 round-off). Variable-length batches: pass ``lengths``
(or a :class:`~minigrad.nn.utils.rnn.PackedSequence`); padded steps keep the state, output zeros
and receive no gradient. For gradient diagnostics set ``record_step_grads = True`` and read
:meth:`RNNBase.step_grads` after ``backward()``: :math:`\partial L/\partial h_t` for every step.
"""
from __future__ import annotations

import math
from typing import Any

import numpy

from .. import backend, creation, ops
from ..ops.common import ShapeError
from ..tensor import Tensor
from . import functional as F
from . import init
from .bptt import GRUSequence, LSTMSequence, RNNSequence
from .module import Module, Parameter
from .utils.rnn import PackedSequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ------------------------------------------------------------------ one step, as ops
def rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    r""":math:`h_t = \phi(x W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})`, with ``xw`` the input part."""
    a = xw + F.linear(h, w_hh, b_hh)
    return ops.relu(a) if relu else ops.tanh(a)


def lstm_step(xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> tuple:
    r""":math:`c_t = f c_{t-1} + i g`, :math:`h_t = o \tanh c_t`, gates :math:`(i, f, g, o)` from ``xw`` + :math:`h W_{hh}^\top + b_{hh}`."""
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c), c


def gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    r""":math:`h_t = (1 - z) n + z h_{t-1}`, :math:`n = \tanh(a^n_x + r\, a^n_h)`, gates :math:`(r, z, n)`."""
    xr, xz, xn = xw.chunk(3, dim=-1)
    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r, z = ops.sigmoid(xr + hr), ops.sigmoid(xz + hz)
    n = ops.tanh(xn + r * hn)
    return n + z * (h - n)


# ------------------------------------------------------------------ cells
class _CellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int, device: Any, dtype: Any) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(creation.empty(gates * hidden_size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gates * hidden_size, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gates * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from :math:`\\mathcal U(-1/\\sqrt H, 1/\\sqrt H)`, as PyTorch."""
        bound = 1 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _check(self, input: Tensor, hx: Tensor | None) -> tuple:
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{type(self).__name__}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), got {input.shape}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size)
        if hx is not None and tuple(hx.shape) != (expected if batched else expected[1:]):
            raise ShapeError(f"{type(self).__name__}: expected hidden state of shape {expected if batched else expected[1:]}, got {hx.shape}")
        h = (hx if batched else hx.unsqueeze(0)) if hx is not None else creation.zeros(expected, dtype=x.dtype, device=x.device)
        return x, h, batched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    r"""One step of an Elman RNN: :math:`h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})` (or ReLU)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._check(input, hx)
        h = rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity=relu")


class LSTMCell(_CellBase):
    r"""One LSTM step, gates :math:`(i, f, g, o)`: returns :math:`(h', c')`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        x, h, batched = self._check(input, hx[0] if hx is not None else None)
        c = self._check(input, hx[1])[1] if hx is not None else creation.zeros(h.shape, dtype=h.dtype, device=h.device)
        h, c = lstm_step(F.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    r"""One GRU step, gates :math:`(r, z, n)`: :math:`h' = (1 - z) n + z h`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._check(input, hx)
        h = gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


# ------------------------------------------------------------------ sequences
def _stack(states: list) -> Tensor:
    """The final states of all layers and directions as one ``(layers * directions, B, H)`` tensor."""
    return states[0].unsqueeze(0) if len(states) == 1 else ops.stack(states)  # one state: a view, not a copy


def _reverse_index(lengths: numpy.ndarray | None, T: int, B: int) -> Any:
    """Time indices that reverse each sequence within its own length (padding stays in place)."""
    if lengths is None:
        return None
    t = numpy.arange(T)[:, None]
    return numpy.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


class RNNBase(Module):
    """The shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    Attributes:
        bptt: ``"hand"`` (the hand-derived whole-sequence ops, the default) or ``"autograd"``.
        record_step_grads: when True, the next forward keeps what :meth:`step_grads` needs.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None, bptt: str = "hand") -> None:
        super().__init__()
        name = type(self).__name__
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1, got {num_layers}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout}")
        if bptt not in ("hand", "autograd"):
            raise ValueError(f"{name}: bptt must be 'hand' or 'autograd', got {bptt!r}")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), bidirectional
        self.bptt = bptt
        self.record_step_grads = False
        self._trace: list = []
        gates = _GATES[mode]
        dirs = 2 if bidirectional else 1
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                setattr(self, "weight_ih" + sfx, Parameter(creation.empty(gates * hidden_size, n_in, device=device, dtype=dtype)))
                setattr(self, "weight_hh" + sfx, Parameter(creation.empty(gates * hidden_size, hidden_size, device=device, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(creation.empty(gates * hidden_size, device=device, dtype=dtype)))
                    setattr(self, "bias_hh" + sfx, Parameter(creation.empty(gates * hidden_size, device=device, dtype=dtype)))
        self.reset_parameters()

    reset_parameters = _CellBase.reset_parameters

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch packs the weights into one buffer for cuDNN; minigrad's layout is already final."""

    @property
    def _flat_weights_names(self) -> list:
        """The parameters' names in PyTorch's order: layer by layer, the forward direction before the reverse,
        ``weight_ih, weight_hh, bias_ih, bias_hh`` in each (d2l's ``xavier_init_weights`` walks them)."""
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [n + f"_l{layer}" + ("_reverse" if d else "")
                for layer in range(self.num_layers) for d in range(self.num_directions) for n in names]

    @property
    def _flat_weights(self) -> list:
        """The parameters themselves, in the order of :attr:`_flat_weights_names`."""
        return [getattr(self, n) for n in self._flat_weights_names]

    def _params(self, layer: int, d: int) -> list:
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [getattr(self, n + sfx) for n in names]

    # ------------------------------------------------------------ checks
    def _check_input(self, x: Tensor, hx: Any, lengths: Any, batch_first: bool) -> tuple:
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ShapeError(f"{name}: expected input of 3 dimensions ({'batch, seq' if batch_first else 'seq, batch'}, "
                             f"{self.input_size}) or 2 (seq, {self.input_size}), got shape {x.shape}")
        if x._data.shape[-1] != self.input_size:  # the array's plain tuple: Size's indexing runs in Python
            raise ShapeError(f"{name}: input has {x.shape[-1]} features in its last dimension, expected input_size={self.input_size} (shape {x.shape})")
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif batch_first:
            x = x.transpose(0, 1)
        T, B = x._data.shape[:2]
        n_state = self.num_layers * self.num_directions
        expected = (n_state, B, self.hidden_size) if batched else (n_state, self.hidden_size)
        states = None
        if hx is not None:
            parts = tuple(hx) if self.mode == "LSTM" else (hx,)
            if self.mode == "LSTM" and len(parts) != 2:
                raise ShapeError(f"{name}: expected the initial state as a tuple (h_0, c_0)")
            for label, s in zip(("h_0", "c_0"), parts):
                if tuple(s.shape) != expected:
                    raise ShapeError(f"{name}: expected {label} of shape {expected}, got {tuple(s.shape)}")
            states = [s if batched else s.unsqueeze(1) for s in parts]
        lens = None
        if lengths is not None:
            lens = numpy.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths, dtype=numpy.int64).reshape(-1)
            if lens.shape != (B,):
                raise ShapeError(f"{name}: expected {B} lengths (one per sequence), got {lens.shape[0]}")
            if lens.min() < 1 or lens.max() > T:
                raise ValueError(f"{name}: lengths must be between 1 and the sequence length {T}, got values in [{lens.min()}, {lens.max()}]")
        return x, states, lens, batched

    # ------------------------------------------------------------ forward
    def forward(self, input: Any, hx: Any = None, lengths: Any = None) -> tuple:
        """Run the sequence.

        Args:
            input: ``(T, B, input_size)`` (``(B, T, input_size)`` with ``batch_first``), ``(T, input_size)``
                unbatched, or a :class:`PackedSequence`.
            hx: initial state ``(num_layers * num_directions, B, hidden_size)`` (LSTM: a tuple ``(h_0, c_0)``);
                zeros when omitted.
            lengths: the true length of each sequence in the batch (padded steps are ignored).

        Returns:
            ``(output, h_n)``, or ``(output, (h_n, c_n))`` for LSTM; ``output`` holds the last layer's
            hidden state at every step (both directions concatenated).
        """
        packed = isinstance(input, PackedSequence)
        if packed:
            if lengths is not None:
                raise ValueError(f"{type(self).__name__}: pass lengths either in the PackedSequence or as an argument, not both")
            input, lengths = input.padded, input.lengths
        x, states, lens, batched = self._check_input(input, hx, lengths, self.batch_first and not packed)
        T, B = x._data.shape[:2]
        mask = None if lens is None else numpy.arange(T)[:, None] < lens[None, :]
        rev = _reverse_index(lens, T, B)
        if mask is not None and x.device.type != "cpu":
            mask, rev = backend.to_device(mask, x.device), backend.to_device(rev, x.device)
        zeros = creation.zeros(self.num_layers * self.num_directions, B, self.hidden_size, dtype=x.dtype, device=x.device)
        h0 = states[0] if states else zeros
        c0 = (states[1] if states else zeros) if self.mode == "LSTM" else None
        self._trace = []
        h_n, c_n = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                seq = layer_in if d == 0 else self._reverse(layer_in, rev)
                out, h, c = self._run(seq, h0[k], c0[k] if c0 is not None else None, self._params(layer, d), mask)
                outs.append(out if d == 0 else self._reverse(out, rev))
                h_n.append(h)
                c_n.append(c)
                self._trace[-1].update(reverse=bool(d), rev=rev)
            layer_in = outs[0] if len(outs) == 1 else ops.cat(outs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        output, h_n = layer_in, _stack(h_n)
        c_n = _stack(c_n) if self.mode == "LSTM" else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first and not packed:
            output = output.transpose(0, 1)
        if packed:
            output = PackedSequence(output, lens, batch_first=False)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _reverse(self, seq: Tensor, rev: Any) -> Tensor:
        if rev is None:
            return seq.flip(0)
        B = seq._data.shape[1]
        return seq[rev, seq.device.xp.arange(B)[None, :]]

    def _run(self, seq: Tensor, h0: Tensor, c0: Tensor | None, params: list, mask: Any) -> tuple:
        if self.bptt == "hand":
            sink: dict = {}  # the op's backward leaves delta_t here when recording
            record = sink if self.record_step_grads else None
            if self.mode == "LSTM":
                out, h, c = LSTMSequence(mask, record).apply(seq, h0, c0, *params)
            else:
                fn = GRUSequence(mask, record) if self.mode == "GRU" else RNNSequence("relu" if self.mode == "RNN_RELU" else "tanh", mask, record)
                (out, h), c = fn.apply(seq, h0, *params), None
            self._trace.append({"sink": sink})
            return out, h, c
        return self._unrolled(seq, h0, c0, params, mask)

    def _unrolled(self, seq: Tensor, h: Tensor, c: Tensor | None, params: list, mask: Any) -> tuple:
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        xw = F.linear(seq, w_ih, b_ih)
        outs, steps = [], []
        for t in range(seq.shape[0]):
            if self.mode == "LSTM":
                h_new, c_new = lstm_step(xw[t], h, c, w_hh, b_hh)
            elif self.mode == "GRU":
                h_new, c_new = gru_step(xw[t], h, w_hh, b_hh), None
            else:
                h_new, c_new = rnn_step(xw[t], h, w_hh, b_hh, self.mode == "RNN_RELU"), None
            if mask is not None:
                m = Tensor(mask[t][:, None], seq.device)
                h_new = ops.where(m, h_new, h)
                c_new = ops.where(m, c_new, c) if c_new is not None else None
                outs.append(ops.where(m, h_new, 0.0))
            else:
                outs.append(h_new)
            h, c = h_new, c_new
            if self.record_step_grads and h.requires_grad:
                h.retain_grad()
                steps.append(h)
        self._trace.append({"steps": steps if self.record_step_grads else None})
        return ops.stack(outs), h, c

    def step_grads(self) -> list:
        r"""After ``backward()``: :math:`\partial L/\partial h_t` for every step of the last forward.

        Needs ``record_step_grads = True`` before that forward. Returns one ``(T, B, hidden_size)``
        tensor per layer and direction (order: layer 0 forward, layer 0 reverse, layer 1, ...),
        time-major and in the original time order.
        """
        if not self.record_step_grads or not self._trace:
            raise RuntimeError(f"{type(self).__name__}.step_grads: set record_step_grads = True before the forward pass")
        result = []
        for tr in self._trace:
            if "sink" in tr:
                if "deltas" not in tr["sink"]:
                    raise RuntimeError("step_grads: call backward() first")
                arr = tr["sink"]["deltas"]
            else:
                steps = tr["steps"]
                if any(s.grad is None for s in steps):
                    raise RuntimeError("step_grads: call backward() first")
                arr = steps[0].device.xp.stack([s.grad._data for s in steps])
            if tr["reverse"]:  # recorded in the reversed sequence's time order
                rev = tr["rev"]
                arr = arr[::-1] if rev is None else arr[rev, backend.array_module(arr).arange(arr.shape[1])[None, :]]
            result.append(Tensor(arr, self.weight_ih_l0.device))
        return result

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    r"""Elman RNN over a sequence: :math:`h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`
    (``nonlinearity="relu"`` for ReLU), stacked ``num_layers`` deep, optionally bidirectional."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh", bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, bptt: str = "hand") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or 'relu')")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype, bptt)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity=relu")


class LSTM(RNNBase):
    r"""Long short-term memory (Hochreiter & Schmidhuber, 1997) over a sequence, gates :math:`(i, f, g, o)`;
    returns ``output, (h_n, c_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None, dtype: Any = None, bptt: str = "hand") -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype, bptt)


class GRU(RNNBase):
    r"""Gated recurrent unit (Cho et al., 2014) over a sequence, gates :math:`(r, z, n)`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None, dtype: Any = None, bptt: str = "hand") -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype, bptt)
