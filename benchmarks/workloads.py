"""The workloads. Each one builds, for one library (``minigrad`` or ``torch``, passed as the module
``L``), a function that runs the timed work once. Data come from a seeded NumPy generator and a
PyTorch model gets the weights of the seeded minigrad model, so both libraries do the same work on
the same numbers, each in its own process (a minigrad process never imports PyTorch).

``quick`` selects small sizes, for the test suite and ``python -m benchmarks --quick``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import minigrad as mg


@dataclass(frozen=True)
class Workload:
    """One benchmark: how to build its step for a library, what it does, and its arithmetic.

    Attributes:
        name: the key in :data:`WORKLOADS`.
        describe: ``quick -> str``, what one timed call does.
        build: ``(L, quick) -> step``, the step for library module ``L``.
        flops: ``quick -> float``, floating-point operations of one step (for the floor), or None.
        series: the figure a workload is a point of (``"rnn"``, ``"attention"``), with ``T`` its x value.
    """

    name: str
    describe: Callable[[bool], str]
    build: Callable[[Any, bool], Callable[[], None]]
    flops: Callable[[bool], float] | None = None
    series: str | None = None
    T: Callable[[bool], int] | None = None
    notes: dict = field(default_factory=dict)


def _twin(make: Callable[[Any], Any], L: Any) -> Any:
    """``make(L)``'s model; for PyTorch, with the weights of the model ``make(minigrad)`` draws after seed 0."""
    mg.manual_seed(0)
    model = make(mg)
    if L is mg:
        return model
    twin = make(L)
    twin.load_state_dict({k: L.tensor(np.asarray(v)) for k, v in model.state_dict().items()})
    return twin


# ------------------------------------------------------------------ engine overhead
def _op_overhead(L: Any, quick: bool) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    a = L.tensor(rng.standard_normal((4, 4), dtype=np.float32), requires_grad=True)
    b = L.tensor(rng.standard_normal((4, 4), dtype=np.float32), requires_grad=True)

    def step():
        a.grad = b.grad = None
        (a + b).sum().backward()

    return step


def _chain(n: int) -> Callable[[Any, bool], Callable[[], None]]:
    def build(L: Any, quick: bool) -> Callable[[], None]:
        n_ops = n // 100 if quick else n

        def step():
            x = L.tensor(1.0, requires_grad=True)
            y = x
            for _ in range(n_ops):
                y = y * 1.0
            y.backward()

        return step

    return build


# ------------------------------------------------------------------ training steps
def _mlp_batch(quick: bool) -> int:
    return 16 if quick else 128


def _mlp_step(L: Any, quick: bool) -> Callable[[], None]:
    batch = _mlp_batch(quick)
    rng = np.random.default_rng(0)
    x, y = L.tensor(rng.standard_normal((batch, 784), dtype=np.float32)), L.tensor(rng.integers(0, 10, batch))
    model = _twin(lambda M: M.nn.Sequential(M.nn.Linear(784, 256), M.nn.ReLU(), M.nn.Linear(256, 256), M.nn.ReLU(),
                                            M.nn.Linear(256, 10)), L)
    return _classifier_step(L, model, x, y)


def _classifier_step(L: Any, model: Any, x: Any, y: Any) -> Callable:
    """One Adam step of a classifier on cross entropy: what the MLP and seed-classifier workloads time."""
    opt, crit = L.optim.Adam(model.parameters(), lr=1e-3), L.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()

    return step


def _seed_sizes(quick: bool) -> tuple:
    return (10, 5) if quick else (100, 20)


def _seed_classifier(encode: Callable[[Any], Any]) -> Callable[[Any, bool], Callable[[], None]]:
    """The seed documents' classifier (001 §5.2, corrected): Embedding(10, 20) -> ``encode(L)`` -> Linear(20, 5),
    a full Adam training step on ``batch`` sequences of ``T`` tokens."""

    def build(L: Any, quick: bool) -> Callable[[], None]:
        batch, T = _seed_sizes(quick)
        rng = np.random.default_rng(0)
        x, y = L.tensor(rng.integers(0, 10, (batch, T))), L.tensor(rng.integers(0, 5, batch))

        def make(M):
            class Classifier(M.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.embedding = M.nn.Embedding(10, 20)
                    self.encoder = encode(M)
                    self.fc = M.nn.Linear(20, 5)

                def forward(self, tokens):
                    return self.fc(self.encoder(self.embedding(tokens)))

            return Classifier()

        model = _twin(make, L)
        return _classifier_step(L, model, x, y)

    return build


def _last_step(kind: str) -> Callable[[Any], Any]:
    def encode(M):
        class LastStep(M.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = getattr(M.nn, kind)(20, 20, batch_first=True)

            def forward(self, x):
                return self.rnn(x)[0][:, -1, :]

        return LastStep()

    return encode


def _mean_encoder(dim_feedforward: int) -> Callable[[Any], Any]:
    def encode(M):
        class MeanEncoder(M.nn.Module):
            def __init__(self):
                super().__init__()
                layer = M.nn.TransformerEncoderLayer(20, 2, dim_feedforward=dim_feedforward, batch_first=True)
                self.encoder = M.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)

            def forward(self, x):
                return self.encoder(x).mean(dim=1)

        return MeanEncoder()

    return encode


def _seed_describe(middle: str) -> Callable[[bool], str]:
    def describe(quick: bool) -> str:
        batch, T = _seed_sizes(quick)
        return f"seed classifier: Embedding(10,20) -> {middle} -> Linear(20,5), batch {batch} x {T} tokens, Adam training step"

    return describe


def _lm_sizes(quick: bool) -> tuple:
    return (4, 16, 64, 256, 100) if quick else (32, 128, 512, 2048, 1000)  # batch, T, d, ff, vocab


def _lm_step(L: Any, quick: bool) -> Callable[[], None]:
    batch, T, d, ff, vocab = _lm_sizes(quick)
    rng = np.random.default_rng(0)
    x, y = L.tensor(rng.integers(0, vocab, (batch, T))), L.tensor(rng.integers(0, vocab, batch * T))

    def make(M):
        class LM(M.nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = M.nn.Embedding(vocab, d)
                self.layer = M.nn.TransformerEncoderLayer(d, 8, dim_feedforward=ff, dropout=0.0, batch_first=True)
                self.head = M.nn.Linear(d, vocab)

            def forward(self, tokens):
                return self.head(self.layer(self.embedding(tokens)))

        return LM()

    model = _twin(make, L)
    opt = L.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        L.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y).backward()
        opt.step()

    return step


def _lm_flops(quick: bool) -> float:
    batch, T, d, ff, vocab = _lm_sizes(quick)
    macs = batch * T * (4 * d * d + 2 * d * ff + d * vocab) + batch * 2 * T * T * d  # projections, FFN, head; attention
    return 6.0 * macs  # forward 2, backward 4 per multiply-add


# ------------------------------------------------------------------ sequences
def _recurrent(kind: str, sizes: Callable[[bool], tuple]) -> Callable[[Any, bool], Callable[[], None]]:
    """Forward and backward of ``kind``(d, d) over a (T, B, d) sequence, loss ``output.sum()``."""

    def build(L: Any, quick: bool) -> Callable[[], None]:
        T, batch, d = sizes(quick)
        x = L.tensor(np.random.default_rng(0).standard_normal((T, batch, d), dtype=np.float32))
        rnn = _twin(lambda M: getattr(M.nn, kind)(d, d), L)

        def step():
            rnn.zero_grad()
            rnn(x)[0].sum().backward()

        return step

    return build


def _rnn_sizes(T: int) -> Callable[[bool], tuple]:
    return lambda quick: (max(T // 16, 4) if quick else T, 8, 256)


def _lstm_large_sizes(quick: bool) -> tuple:
    return (8, 4, 32) if quick else (128, 64, 256)


def _lstm_large_flops(quick: bool) -> float:
    # per step and row, 2 flops per multiply-add: forward W_ih x and W_hh h (8 d^2); backward their weight
    # gradients (8 d^2) and the recurrent delta (4 d^2); the input needs no gradient
    T, B, d = _lstm_large_sizes(quick)
    return 2.0 * T * B * 20 * d * d


def _attention_sizes(T: int) -> Callable[[bool], tuple]:
    return lambda quick: (1, 2, max(T // 16, 8), 16) if quick else (2, 8, T, 64)  # batch, heads, T, head dim


def _attention(T: int) -> Callable[[Any, bool], Callable[[], None]]:
    """Self-attention forward and backward on (B, heads, T, E) inputs: minigrad's tiled attention,
    PyTorch's ``scaled_dot_product_attention`` (both as a user calls them)."""

    def build(L: Any, quick: bool) -> Callable[[], None]:
        shape = _attention_sizes(T)(quick)
        x = L.tensor(np.random.default_rng(0).standard_normal(shape, dtype=np.float32), requires_grad=True)
        extra = {"impl": "tiled"} if L is mg else {}

        def step():
            x.grad = None
            L.nn.functional.scaled_dot_product_attention(x, x, x, **extra).sum().backward()

        return step

    return build


def _attention_flops(T: int) -> Callable[[bool], float]:
    def flops(quick: bool) -> float:
        B, heads, n, E = _attention_sizes(T)(quick)
        return 2.0 * B * heads * n * n * E * 2 * 3  # QK^T and PV, forward 1x and backward 2x

    return flops


def _gemm_size(quick: bool) -> int:
    return 256 if quick else 2048


def _gemm(L: Any, quick: bool) -> Callable[[], None]:
    n = _gemm_size(quick)
    a = L.tensor(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))

    def step():
        a @ a

    return step


# ------------------------------------------------------------------ the list
def _fixed(text: str) -> Callable[[bool], str]:
    return lambda quick: text


_WORKLOADS = [
    Workload("gemm", lambda q: f"float32 matrix product {_gemm_size(q)} x {_gemm_size(q)} (the matrix-multiply peak)",
             _gemm, flops=lambda q: 2.0 * _gemm_size(q) ** 3),
    Workload("op_overhead", _fixed("forward+backward of `(a + b).sum()`, a, b of shape (4, 4), float32 (2 ops)"), _op_overhead),
    Workload("chain_10k", lambda q: f"build and backward a chain of {10_000 // (100 if q else 1):,} scalar multiplications",
             _chain(10_000)),
    Workload("chain_100k", lambda q: f"build and backward a chain of {100_000 // (100 if q else 1):,} scalar multiplications",
             _chain(100_000)),
    Workload("mlp_step", lambda q: f"MLP 784-256-256-10, batch {_mlp_batch(q)}, Adam training step", _mlp_step,
             flops=lambda q: 6.0 * _mlp_batch(q) * (784 * 256 + 256 * 256 + 256 * 10)),
    Workload("seed_rnn_step", _seed_describe("RNN(20,20) -> last step"), _seed_classifier(_last_step("RNN"))),
    Workload("seed_lstm_step", _seed_describe("LSTM(20,20) -> last step"), _seed_classifier(_last_step("LSTM"))),
    Workload("seed_gru_step", _seed_describe("GRU(20,20) -> last step"), _seed_classifier(_last_step("GRU"))),
    Workload("seed_transformer_step", _seed_describe("TransformerEncoder(1 layer, d_model 20, 2 heads, ff 2048) -> mean"),
             _seed_classifier(_mean_encoder(2048))),
    Workload("encoder_d512_step",
             lambda q: "Embedding({4},{2}) -> TransformerEncoderLayer(d_model {2}, 8 heads, ff {3}) -> Linear({2},{4}), "
                       "batch {0} x {1}, Adam training step".format(*_lm_sizes(q)),
             _lm_step, flops=_lm_flops),
    Workload("lstm_large", lambda q: "LSTM({2},{2}) forward+backward, T {0}, batch {1}, loss output.sum()".format(*_lstm_large_sizes(q)),
             _recurrent("LSTM", _lstm_large_sizes),
             flops=_lstm_large_flops),
    *[Workload(f"rnn_T{T}", lambda q, T=T: "tanh RNN({2},{2}) forward+backward, T {0}, batch {1}".format(*_rnn_sizes(T)(q)),
               _recurrent("RNN", _rnn_sizes(T)), series="rnn", T=lambda q, T=T: _rnn_sizes(T)(q)[0])
      for T in (16, 64, 256, 1024)],
    *[Workload(f"attention_T{T}",
               lambda q, T=T: "self-attention forward+backward, (B, heads, T, E) = ({}, {}, {}, {}); minigrad impl='tiled', "
                              "PyTorch scaled_dot_product_attention".format(*_attention_sizes(T)(q)),
               _attention(T), flops=_attention_flops(T), series="attention", T=lambda q, T=T: _attention_sizes(T)(q)[2])
      for T in (128, 512, 2048)],
]
WORKLOADS: dict = {w.name: w for w in _WORKLOADS}
