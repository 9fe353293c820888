"""The workloads. Each returns ``(description, minigrad_fn, torch_fn or None, notes)``, the functions
doing the same work on the same data; ``quick`` selects small sizes for the test suite."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import minigrad as mg

try:
    import torch
except ImportError:  # the suite still runs, minigrad alone
    torch = None


def op_overhead(quick: bool) -> tuple:
    """Per-op engine overhead: forward+backward of (a + b).sum() on (4, 4) float32 tensors."""
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((4, 4), dtype=np.float32), rng.standard_normal((4, 4), dtype=np.float32)
    a, b = mg.tensor(a0, requires_grad=True), mg.tensor(b0, requires_grad=True)

    def run_mg():
        a.grad = b.grad = None
        (a + b).sum().backward()

    run_torch = None
    if torch is not None:
        ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)

        def run_torch():
            ta.grad = tb.grad = None
            (ta + tb).sum().backward()

    return "forward+backward of `(a + b).sum()`, a, b of shape (4, 4), float32 (2 ops)", run_mg, run_torch, {}


def _chain(n: int) -> Callable[[], tuple]:
    def build(quick: bool) -> tuple:
        n_ops = n // 100 if quick else n

        def run_mg():
            x = mg.tensor(1.0, requires_grad=True)
            y = x
            for _ in range(n_ops):
                y = y * 1.0
            y.backward()

        run_torch = None
        if torch is not None:

            def run_torch():
                x = torch.tensor(1.0, requires_grad=True)
                y = x
                for _ in range(n_ops):
                    y = y * 1.0
                y.backward()

        return f"build and backward a chain of {n_ops:,} multiplications (scalar float32)", run_mg, run_torch, {"ops": n_ops}

    build.__doc__ = f"A chain of {n:,} ops: backward must be iterative and linear in the length."
    return build


def mlp_step(quick: bool) -> tuple:
    """A full training step of an MLP 784-256-256-10 (zero_grad, forward, loss, backward, Adam step)."""
    batch = 16 if quick else 128
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((batch, 784), dtype=np.float32)
    y0 = rng.integers(0, 10, batch)

    def setup(L):
        model = L.nn.Sequential(L.nn.Linear(784, 256), L.nn.ReLU(), L.nn.Linear(256, 256), L.nn.ReLU(), L.nn.Linear(256, 10))
        return model, L.optim.Adam(model.parameters(), lr=1e-3), L.nn.CrossEntropyLoss(), L.tensor(x0), L.tensor(y0)

    def step_fn(L):
        model, opt, crit, x, y = setup(L)
        if L is torch:
            _same_weights(model, mg_model)

        def step():
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()

        return model, step

    mg_model, run_mg = step_fn(mg)
    run_torch = step_fn(torch)[1] if torch is not None else None
    flops = 6 * batch * (784 * 256 + 256 * 256 + 256 * 10)  # forward 2, backward 4 per multiply-add
    return f"training step of an MLP 784-256-256-10, batch {batch}, float32, Adam", run_mg, run_torch, {"flops": flops}


def _same_weights(dst, src) -> None:
    """Copy a minigrad model's weights into its PyTorch twin."""
    dst.load_state_dict({k: torch.tensor(v.cpu().numpy()) for k, v in src.state_dict().items()})


def _seed_classifier(label: str, encode: Callable[[Any], Callable], description: str) -> Callable[[bool], tuple]:
    """The seed documents' classifier (001 §5.2, corrected): Embedding(10, 20) -> ``encode`` -> Linear(20, 5),
    a full Adam training step on 100 sequences of 20 tokens; ``encode(L)`` builds the middle part."""

    def build(quick: bool) -> tuple:
        batch, T = (10, 5) if quick else (100, 20)
        rng = np.random.default_rng(0)
        tokens, labels = rng.integers(0, 10, (batch, T)), rng.integers(0, 5, batch)

        def make(L):
            class Classifier(L.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.embedding = L.nn.Embedding(10, 20)
                    self.encoder = encode(L)
                    self.fc = L.nn.Linear(20, 5)

                def forward(self, x):
                    return self.fc(self.encoder(self.embedding(x)))

            model = Classifier()
            opt = L.optim.Adam(model.parameters(), lr=1e-3)
            crit = L.nn.CrossEntropyLoss()
            x, y = L.tensor(tokens), L.tensor(labels)

            def step():
                opt.zero_grad()
                crit(model(x), y).backward()
                opt.step()

            return model, step

        mg_model, run_mg = make(mg)
        run_torch = None
        if torch is not None:
            t_model, run_torch = make(torch)
            _same_weights(t_model, mg_model)
        return f"seed documents' {description}, batch {batch} x {T} tokens, cross-entropy, Adam: full training step", run_mg, run_torch, {}

    build.__doc__ = f"The seed documents' {label} training step (001 §5.2)."
    return build


def _last_step(L, kind: str):
    class LastStep(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(L.nn, kind)(20, 20, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[0][:, -1, :]

    return LastStep()


def _mean_encoder(L, dim_feedforward: int):
    class MeanEncoder(L.nn.Module):
        def __init__(self):
            super().__init__()
            layer = L.nn.TransformerEncoderLayer(20, 2, dim_feedforward=dim_feedforward, batch_first=True)
            self.encoder = L.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)

        def forward(self, x):
            return self.encoder(x).mean(dim=1)

    return MeanEncoder()


def _seed_recurrent(kind: str) -> Callable[[bool], tuple]:
    return _seed_classifier(kind, lambda L: _last_step(L, kind),
                            f"{kind} classifier: Embedding(10,20) -> {kind}(20,20) -> last step -> Linear(20,5)")


def _seed_transformer(dim_feedforward: int) -> Callable[[bool], tuple]:
    return _seed_classifier(f"Transformer (dim_feedforward={dim_feedforward})", lambda L: _mean_encoder(L, dim_feedforward),
                            "Transformer classifier: Embedding(10,20) -> TransformerEncoder(1 layer, d_model=20, nhead=2, "
                            f"dim_feedforward={dim_feedforward}) -> mean -> Linear(20,5)")


def _rnn_over_t(T: int) -> Callable[[bool], tuple]:
    def build(quick: bool) -> tuple:
        n = max(T // 16, 4) if quick else T
        batch, d = 8, 256
        rng = np.random.default_rng(0)
        x0 = rng.standard_normal((n, batch, d), dtype=np.float32)
        m_rnn = mg.nn.RNN(d, d)
        mx = mg.tensor(x0)

        def run_mg():
            m_rnn.zero_grad()
            out, _ = m_rnn(mx)
            out.sum().backward()

        run_torch = None
        if torch is not None:
            t_rnn = torch.nn.RNN(d, d)
            _same_weights(t_rnn, m_rnn)
            tx = torch.tensor(x0)

            def run_torch():
                t_rnn.zero_grad()
                out, _ = t_rnn(tx)
                out.sum().backward()

        return f"tanh RNN forward+backward, batch {batch}, d={d}, T={n}", run_mg, run_torch, {"T": n, "series": "rnn"}

    build.__doc__ = f"A single-layer tanh RNN over T={T} steps."
    return build


def transformer_512(quick: bool) -> tuple:
    """A training step of one d_model=512 encoder layer with an embedding and a token-level head."""
    batch, T, d, ff, vocab = (4, 16, 64, 256, 100) if quick else (32, 128, 512, 2048, 1000)
    rng = np.random.default_rng(0)
    tokens, targets = rng.integers(0, vocab, (batch, T)), rng.integers(0, vocab, (batch, T))

    def make(L):
        class LM(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = L.nn.Embedding(vocab, d)
                self.layer = L.nn.TransformerEncoderLayer(d, 8, dim_feedforward=ff, dropout=0.0, batch_first=True)
                self.head = L.nn.Linear(d, vocab)

            def forward(self, x):
                return self.head(self.layer(self.embedding(x)))

        model = LM()
        opt = L.optim.Adam(model.parameters(), lr=1e-4)
        x, y = L.tensor(tokens), L.tensor(targets.reshape(-1))

        def step():
            opt.zero_grad()
            L.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y).backward()
            opt.step()

        return model, step

    mg_model, run_mg = make(mg)
    run_torch = None
    if torch is not None:
        t_model, run_torch = make(torch)
        _same_weights(t_model, mg_model)
    n = batch * T
    macs = n * (4 * d * d + 2 * d * ff + d * vocab) + batch * 2 * T * T * d  # projections, FFN, head; attention
    return (f"training step of Embedding({vocab},{d}) -> TransformerEncoderLayer(d_model={d}, nhead=8, dim_feedforward={ff}) "
            f"-> Linear({d},{vocab}), batch {batch} x {T}, Adam"), run_mg, run_torch, {"flops": 6 * macs}


def _attention_over_t(T: int) -> Callable[[bool], tuple]:
    def build(quick: bool) -> tuple:
        n = max(T // 16, 4) if quick else T
        batch, d = 8, 256
        rng = np.random.default_rng(0)
        x0 = rng.standard_normal((batch, n, d), dtype=np.float32)
        mx = mg.tensor(x0, requires_grad=True)

        def run_mg():
            mx.grad = None
            mg.nn.functional.scaled_dot_product_attention(mx, mx, mx).sum().backward()

        run_torch, extra = None, {}
        if torch is not None:
            tx = torch.tensor(x0, requires_grad=True)

            def run_torch():  # the naive formula, as minigrad computes it
                tx.grad = None
                p = torch.softmax(tx @ tx.transpose(1, 2) / d**0.5, dim=-1)
                (p @ tx).sum().backward()

            def run_torch_sdpa():
                tx.grad = None
                torch.nn.functional.scaled_dot_product_attention(tx, tx, tx).sum().backward()

            extra = {"PyTorch scaled_dot_product_attention": run_torch_sdpa}
        return (f"single-head self-attention forward+backward, batch {batch}, d={d}, T={n} (PyTorch: the naive formula)",
                run_mg, run_torch, {"T": n, "series": "attention", "extra": extra, "flops": 12 * batch * n * n * d})

    build.__doc__ = f"Single-head self-attention over T={T} steps."
    return build


WORKLOADS: dict = {
    "op_overhead": op_overhead,
    "chain_10k": _chain(10_000),
    "chain_100k": _chain(100_000),
    "mlp_step": mlp_step,
    "seed_rnn_step": _seed_recurrent("RNN"),
    "seed_lstm_step": _seed_recurrent("LSTM"),
    "seed_gru_step": _seed_recurrent("GRU"),
    **{f"rnn_T{T}": _rnn_over_t(T) for T in (16, 64, 256, 1024, 2048)},
    "seed_transformer_ff2048": _seed_transformer(2048),
    "seed_transformer_ff80": _seed_transformer(80),
    "transformer_512_step": transformer_512,
    **{f"attention_T{T}": _attention_over_t(T) for T in (16, 64, 256, 1024, 2048)},
}
