"""The CUDA path on the simulated device (minigrad.testing.simulated_cuda): CuPy's behaviour where
it matters, no hidden host synchronisation in a training step, and the CPU's numbers."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
import minigrad.nn.functional as F
from minigrad import simcupy
from minigrad.testing import assert_close, simulated_cuda
from minigrad.utils.data import DataLoader, TensorDataset


# ------------------------------------------------------------------ the stand-in behaves like CuPy
def test_simulated_cuda_is_available_only_inside_the_block():
    before = mg.cuda.is_available()
    with simulated_cuda():
        assert mg.cuda.is_available()
        x = mg.ones(2, 3, device="cuda")
        assert x.device == "cuda:0" and x.is_cuda
        assert isinstance(x._data, simcupy.ndarray) and not isinstance(x._data, np.ndarray)
    assert mg.cuda.is_available() == before


def test_implicit_conversions_raise_as_cupy_does():
    with simulated_cuda():
        a = mg.arange(6, device="cuda").float().reshape(2, 3)
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            np.asarray(a._data)
        with pytest.raises(TypeError, match=r"can't convert a cuda:0 tensor to a NumPy array implicitly; use tensor\.cpu\(\)"):
            np.asarray(a)
        with pytest.raises(TypeError, match="only size-1 arrays"):
            float(a._data)
        with pytest.raises(TypeError, match=r"Unsupported type"):
            a._data + np.ones(3)  # CuPy refuses host arrays in device operations


def test_numpy_of_a_device_tensor_says_to_call_cpu_first():
    with simulated_cuda():
        x = mg.ones(3, device="cuda")
        with pytest.raises(TypeError, match=r"numpy: can't convert a cuda:0 tensor to a NumPy array; use tensor\.cpu\(\)"):
            x.numpy()
        assert x.cpu().numpy().tolist() == [1.0, 1.0, 1.0]


def test_explicit_transfers_work_and_are_counted():
    with simulated_cuda() as transfers:
        x = mg.tensor([1.0, 2.0, 3.0], device="cuda")
        assert transfers.uploads == 1
        y = x * 2
        assert transfers.explicit == 0 and transfers.implicit == []
        assert y.cpu().numpy().tolist() == [2.0, 4.0, 6.0]
        assert y.sum().item() == 12.0
        assert y.tolist() == [2.0, 4.0, 6.0]
        assert transfers.explicit == 3 and transfers.implicit == []
        assert float(y._data[1]) == 4.0  # a hidden synchronisation: recorded with its line
        assert len(transfers.implicit) == 1 and "test_cuda.py" in transfers.implicit[0]


def test_reductions_give_device_arrays_and_integer_indices_wrap_as_in_cupy():
    with simulated_cuda():
        a = mg.arange(4, device="cuda")._data
        assert isinstance(a.sum(), simcupy.ndarray) and a.sum().ndim == 0
        idx = mg.tensor([5, -1], device="cuda")._data
        assert a[idx].get().tolist() == [1, 3]  # CuPy wraps out-of-bounds indices instead of checking


def test_namespace_functions_named_like_builtins_leave_indexing_alone():
    with simulated_cuda():
        a = mg.arange(6, device="cuda").float().reshape(2, 3)._data
        xp = mg.backend.array_module(a)
        assert xp.sum(a).get() == 15 and xp.max(a).get() == 5  # numpy.sum, numpy.max on the device
        assert a[1, None, :].get().tolist() == [[3.0, 4.0, 5.0]]  # the index parser uses the builtin sum


def test_device_random_stream_is_its_own():
    with simulated_cuda():
        mg.manual_seed(0)
        on_device = mg.randn(4, device="cuda").cpu().numpy()
        mg.manual_seed(0)
        on_device_again = mg.randn(4, device="cuda").cpu().numpy()
    mg.manual_seed(0)
    on_cpu = mg.randn(4, device="cpu").numpy()
    assert np.array_equal(on_device, on_device_again) and not np.allclose(on_device, on_cpu)


# ------------------------------------------------------------------ checks without synchronisation
@pytest.mark.parametrize("op, error", [("embedding", IndexError), ("cross_entropy", IndexError), ("nll_loss", IndexError),
                                       ("gather", RuntimeError), ("one_hot", RuntimeError)])
def test_index_checks_are_reported_at_the_next_transfer_on_a_gpu(op, error):
    def run(dev):
        w = mg.randn(4, 3, device=dev)
        bad = mg.tensor([1, 7, 2], device=dev)
        if op == "embedding":
            return F.embedding(bad, w)
        if op in ("cross_entropy", "nll_loss"):
            return getattr(F, op)(mg.randn(3, 4, device=dev), bad)
        if op == "one_hot":
            return mg.one_hot(bad, num_classes=4)
        return w.gather(0, bad.reshape(3, 1))

    with pytest.raises(error, match=rf"{op}: .*\b7\b"):
        run("cpu")  # where the data is on the host, at once
    with simulated_cuda() as transfers:
        out = run("cuda")  # on the device: recorded, no waiting for the GPU
        assert transfers.implicit == []
        with pytest.raises(error, match=rf"{op}: .*\b7\b.*checked on cuda:0.*at the next copy to the host"):
            out.sum().item()
        out.sum().item()  # reported once


def test_a_valid_check_costs_no_transfer_until_the_host_reads():
    with simulated_cuda() as transfers:
        w = mg.randn(4, 3, device="cuda")
        y = F.embedding(mg.tensor([0, 3], device="cuda"), w).sum()
        transfers.reset()
        y.item()
        assert transfers.implicit == []
        assert transfers.explicit == 2  # the value, and the flags of the pending checks


def test_clip_grad_norm_stays_on_the_device():
    with simulated_cuda() as transfers:
        ps = [mg.randn(3, 4, device="cuda", requires_grad=True) for _ in range(3)]
        (sum((p * p).sum() for p in ps)).backward()
        expected = math.sqrt(sum(float(((2 * p.detach().cpu().numpy().astype(np.float64)) ** 2).sum()) for p in ps))
        transfers.reset()
        total = nn.utils.clip_grad_norm_(ps, max_norm=1.0)
        assert transfers.implicit == [] and transfers.explicit == 0
        assert total.device == "cuda:0"
        assert total.item() == pytest.approx(expected, rel=1e-5)
        joint = math.sqrt(sum(float((p.grad.cpu().numpy().astype(np.float64) ** 2).sum()) for p in ps))
        assert joint == pytest.approx(1.0, rel=1e-5)


def test_data_loader_keeps_device_batches_on_the_device():
    class Pairs:
        def __init__(self, x, y):
            self.x, self.y = x, y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i], self.y[i]

    with simulated_cuda() as transfers:
        x = mg.randn(10, 3, device="cuda")
        y = mg.arange(10, device="cuda")
        for ds in (TensorDataset(x, y), Pairs(x, y)):
            transfers.reset()
            batches = list(DataLoader(ds, batch_size=4))
            assert transfers.implicit == [] and transfers.explicit == 0
            assert [tuple(b.shape) for b, _ in batches] == [(4, 3), (4, 3), (2, 3)]
            assert all(b.device == "cuda:0" and t.device == "cuda:0" for b, t in batches)
            assert_close(mg.cat([b for b, _ in batches]).cpu(), x.cpu())


# ------------------------------------------------------------------ training steps
class _Tagger(nn.Module):
    """Embedding -> recurrent layer or Transformer encoder -> per-token class scores."""

    def __init__(self, kind, vocab=11, d=8, classes=5):
        super().__init__()
        self.kind = kind
        self.emb = nn.Embedding(vocab, d)
        if kind == "Transformer":
            layer = nn.TransformerEncoderLayer(d, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
            self.body = nn.TransformerEncoder(layer, 2)
        else:
            self.body = getattr(nn, kind)(d, d, num_layers=2, batch_first=True)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        h = self.emb(tokens)
        if self.kind == "Transformer":
            causal = nn.Transformer.generate_square_subsequent_mask(tokens.shape[1], device=tokens.device)
            h = self.body(h, mask=causal)
        else:
            h, _ = self.body(h)
        return self.head(h)


def _data(seed=0, batch=4, steps=6, vocab=11, classes=5):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, (batch, steps)), rng.integers(0, classes, (batch, steps))


def _train(kind, device, n_steps=3, on_step=None):
    mg.manual_seed(0)
    mg.set_default_dtype(mg.float64)
    model = _Tagger(kind).to(device)  # made on the CPU, then moved: one set of weights for both devices
    opt = mg.optim.Adam(model.parameters(), lr=1e-2)
    tokens, labels = (mg.tensor(a, device=device) for a in _data())
    losses = []
    for step in range(n_steps):
        if on_step is not None:
            on_step(step)
        opt.zero_grad()
        loss = F.cross_entropy(model(tokens).reshape(-1, 5), labels.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        losses.append(loss)
    if on_step is not None:
        on_step(n_steps)
    return [l.item() for l in losses], {k: v.cpu().numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "Transformer"])
def test_a_training_step_makes_no_implicit_transfer(kind):
    with simulated_cuda() as transfers:
        seen = []

        def on_step(step):  # called before each step and at the end
            if step >= 2:  # the first step creates the optimizer state; look at the ones after it
                seen.append(list(transfers.implicit))
            transfers.reset()

        _train(kind, "cuda", n_steps=3, on_step=on_step)
        assert seen == [[], []], f"{kind}: host synchronisations inside a training step: {seen}"


@pytest.mark.parametrize("kind", ["LSTM", "Transformer"])
def test_training_on_the_device_gives_the_cpu_numbers(kind):
    cpu_losses, cpu_state = _train(kind, "cpu")
    with simulated_cuda():
        dev_losses, dev_state = _train(kind, "cuda")
    assert dev_losses == pytest.approx(cpu_losses, rel=1e-12, abs=1e-12)
    assert cpu_losses[-1] < cpu_losses[0]  # it learns
    for k in cpu_state:
        assert_close(dev_state[k], cpu_state[k], rtol=1e-12, atol=1e-12, msg=k)
