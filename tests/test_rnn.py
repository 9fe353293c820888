"""Recurrent layers: against PyTorch (float64, identical weights), hand-derived BPTT against
autograd and finite differences, truncation, diagnostics, long sequences, bad input."""
import itertools
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.bptt import GRUSequence, LSTMSequence, RNNSequence
from minigrad.nn.utils.rnn import detach_state, pack_padded_sequence, pad_packed_sequence, truncated_bptt
from minigrad.testing import assert_close, gradcheck

KINDS = ["RNN", "RNN_relu", "LSTM", "GRU"]


def build(L, kind, **kw):
    if kind == "RNN_relu":
        return L.nn.RNN(3, 4, nonlinearity="relu", **kw)
    return getattr(L.nn, kind)(3, 4, **kw)


def final_states(kind, h):
    return list(h) if kind == "LSTM" else [h]


def run_pair(kind, layers, bidir, batch_first, lengths, bptt, device=None, bias=True):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(num_layers=layers, bidirectional=bidir, batch_first=batch_first, bias=bias)
    t = build(torch, kind, **kw).double()
    m = build(mg, kind, bptt=bptt, **kw).double().to(device or mg.get_default_device())
    m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    rng = np.random.default_rng(7)
    T, B, D = 6, 3, 2 if bidir else 1
    x = rng.standard_normal((B, T, 3) if batch_first else (T, B, 3))
    n_state = 2 if kind == "LSTM" else 1
    h0 = [rng.standard_normal((layers * D, B, 4)) for _ in range(n_state)]
    tx = torch.tensor(x, requires_grad=True)
    th0 = [torch.tensor(h, requires_grad=True) for h in h0]
    mx = mg.tensor(x, requires_grad=True, device=device)
    mh0 = [mg.tensor(h, requires_grad=True, device=device) for h in h0]
    thx = tuple(th0) if kind == "LSTM" else th0[0]
    mhx = tuple(mh0) if kind == "LSTM" else mh0[0]
    if lengths is None:
        to, th = t(tx, thx)
        mo, mh = m(mx, mhx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        tp, th = t(packed, thx)
        to, _ = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=batch_first, total_length=T)
        mo, mh = m(mx, mhx, lengths=lengths)
    return t, m, (tx, th0, to, th), (mx, mh0, mo, mh), rng


@pytest.mark.parametrize(
    "kind, layers, bidir, batch_first, lengths, bptt",
    [
        (k, l, b, bf, ln, bp)
        for k, l, b, bf, ln, bp in itertools.product(KINDS, [1, 2], [False, True], [False, True], [None, [6, 2, 4]], ["hand", "autograd"])
    ],
)
def test_matches_pytorch(kind, layers, bidir, batch_first, lengths, bptt):
    torch = pytest.importorskip("torch")
    t, m, (tx, th0, to, th), (mx, mh0, mo, mh), rng = run_pair(kind, layers, bidir, batch_first, lengths, bptt)
    assert_close(mo, to, rtol=1e-12, atol=1e-12, msg="output")
    for a, b in zip(final_states(kind, mh), final_states(kind, th)):
        assert_close(a, b, rtol=1e-12, atol=1e-12, msg="final state")
    g_out = rng.standard_normal(tuple(to.shape))
    g_states = [rng.standard_normal(tuple(s.shape)) for s in final_states(kind, th)]
    (sum((s * torch.tensor(g)).sum() for s, g in zip(final_states(kind, th), g_states)) + (to * torch.tensor(g_out)).sum()).backward()
    (sum((s * mg.tensor(g)).sum() for s, g in zip(final_states(kind, mh), g_states)) + (mo * mg.tensor(g_out)).sum()).backward()
    assert_close(mx.grad, tx.grad, rtol=1e-10, atol=1e-12, msg="d input")
    for a, b in zip(mh0, th0):
        assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12, msg="d initial state")
    tp = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, rtol=1e-10, atol=1e-12, msg=f"d {name}")


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_matches_pytorch(kind):
    pytest.importorskip("torch")
    t, m, (tx, th0, to, th), (mx, mh0, mo, mh), rng = run_pair(kind, 2, True, True, [6, 2, 4], "hand", device="cuda")
    assert_close(mo, to, rtol=1e-12, atol=1e-12)
    mo.sum().backward()
    to.sum().backward()
    assert_close(mx.grad, tx.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lengths", [None, [5, 1, 3]])
def test_hand_derived_equals_autograd_to_1e10(kind, lengths):
    rng = np.random.default_rng(3)
    mg.manual_seed(0)
    hand = build(mg, kind, num_layers=2, bidirectional=True, bias=(kind != "GRU")).double()
    auto = build(mg, kind, num_layers=2, bidirectional=True, bias=(kind != "GRU"), bptt="autograd").double()
    auto.load_state_dict(hand.state_dict())
    x = rng.standard_normal((5, 3, 3))
    g = rng.standard_normal((5, 3, 8))
    grads = []
    for model in (hand, auto):
        xt = mg.tensor(x, requires_grad=True)
        out, _ = model(xt, lengths=lengths)
        (out * mg.tensor(g)).sum().backward()
        grads.append([xt.grad] + [p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        assert_close(a, b, rtol=1e-10, atol=1e-13)


SEQ_OPS = {
    "rnn_tanh": (lambda mask: RNNSequence("tanh", mask), 1, 1),
    "rnn_relu": (lambda mask: RNNSequence("relu", mask), 1, 1),
    "lstm": (lambda mask: LSTMSequence(mask), 2, 4),
    "gru": (lambda mask: GRUSequence(mask), 1, 3),
}


@pytest.mark.parametrize("name", sorted(SEQ_OPS))
@pytest.mark.parametrize("masked", [False, True])
def test_hand_derived_ops_against_finite_differences(name, masked):
    make, n_states, gates = SEQ_OPS[name]
    rng = np.random.default_rng(5)
    T, B, I, H = 4, 2, 3, 3
    mask = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], dtype=bool) if masked else None
    mask = None if mask is None else mg.tensor(mask)._data  # the op's mask lives on the data's device
    leaf = lambda *s: mg.tensor(rng.standard_normal(s) * 0.7, dtype=mg.float64, requires_grad=True)  # noqa: E731
    inputs = [leaf(T, B, I)] + [leaf(B, H) for _ in range(n_states)] + [leaf(gates * H, I), leaf(gates * H, H), leaf(gates * H), leaf(gates * H)]
    gradcheck(lambda *xs: make(mask).apply(*xs), inputs)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_pytorch(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = getattr(torch.nn, kind)(3, 4).double()
    m = getattr(nn, kind)(3, 4).double()
    m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    if kind == "LSTMCell":
        th, tc = t(tx, (torch.tensor(h), torch.tensor(h)))
        mh, mc = m(mx, (mg.tensor(h), mg.tensor(h)))
        to, mo = th + 2 * tc, mh + 2 * mc
    else:
        to, mo = t(tx, torch.tensor(h)), m(mx, mg.tensor(h))
    assert_close(mo, to, rtol=1e-12, atol=1e-12)
    to.sum().backward()
    mo.sum().backward()
    assert_close(mx.grad, tx.grad, rtol=1e-10, atol=1e-12)
    for name, p in m.named_parameters():
        assert_close(p.grad, dict(t.named_parameters())[name].grad, rtol=1e-10, atol=1e-12, msg=name)


def test_unbatched_input_and_cells_without_state():
    rnn = nn.GRU(3, 4)
    out, h = rnn(mg.randn(5, 3))
    assert out.shape == (5, 4) and h.shape == (1, 4)
    h1, c1 = nn.LSTMCell(3, 4)(mg.randn(3))
    assert h1.shape == (4,) and c1.shape == (4,)


def test_packed_sequence_round_trip_matches_lengths_argument():
    mg.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    x = mg.randn(3, 6, 3)
    out_l, (h_l, _) = lstm(x, lengths=[6, 4, 2])
    packed = pack_padded_sequence(x, [6, 4, 2], batch_first=True)
    out_p, (h_p, _) = lstm(packed)
    padded, lens = pad_packed_sequence(out_p, batch_first=True)
    assert lens.tolist() == [6, 4, 2]
    assert_close(padded, out_l)
    assert_close(h_p, h_l)
    assert padded[2, 2:].abs().max().item() == 0  # padded steps output zeros
    with pytest.raises(ValueError, match="not sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4, 6], batch_first=True)


def test_padded_steps_receive_no_gradient():
    rnn = nn.RNN(3, 4)
    x = mg.randn(6, 2, 3, requires_grad=True)
    out, h = rnn(x, lengths=[6, 3])
    (out.sum() + h.sum()).backward()
    assert x.grad[3:, 1].abs().max().item() == 0
    assert x.grad[:3, 1].abs().max().item() > 0


def test_truncated_bptt_no_gradient_crosses_a_chunk_boundary():
    mg.manual_seed(0)
    mg.set_default_dtype(mg.float64)
    rnn = nn.RNN(2, 3)
    x = mg.randn(8, 1, 2, requires_grad=True)
    y = mg.randn(8, 1, 3)
    opt = mg.optim.SGD(rnn.parameters(), lr=0.0)  # lr 0: the weights stay fixed, only gradients are compared
    losses, state = truncated_bptt(rnn, x, y, 4, lambda out, tgt: ((out - tgt) ** 2).sum(), opt)
    assert len(losses) == 2 and not state.requires_grad
    # reference: the first chunk alone gives the gradient of the first four inputs
    x1 = x.detach()[:4].clone().requires_grad_()
    out1, _ = rnn(x1)
    ((out1 - y[:4]) ** 2).sum().backward()
    assert_close(x.grad[:4], x1.grad, rtol=1e-12, atol=1e-14)
    # and the second chunk's gradient is that of a run started from the detached state
    _, h_mid = rnn(x.detach()[:4])
    x2 = x.detach()[4:].clone().requires_grad_()
    out2, _ = rnn(x2, h_mid.detach())
    ((out2 - y[4:]) ** 2).sum().backward()
    assert_close(x.grad[4:], x2.grad, rtol=1e-12, atol=1e-14)


def test_detach_state_handles_tuples():
    h = mg.ones(2, requires_grad=True) * 2
    a, b = detach_state((h, h))
    assert not a.requires_grad and not b.requires_grad


@pytest.mark.parametrize("kind", KINDS)
def test_step_grads_hand_equal_autograd_and_the_recursion(kind):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((7, 2, 3))
    results = []
    mg.manual_seed(1)
    ref = build(mg, kind, bidirectional=True).double()
    for bptt in ("hand", "autograd"):
        model = build(mg, kind, bidirectional=True, bptt=bptt).double()
        model.load_state_dict(ref.state_dict())
        model.record_step_grads = True
        out, _ = model(mg.tensor(x), lengths=[7, 5])
        out[-1].sum().backward()  # the loss reads only the last output step
        results.append([g.cpu().numpy() for g in model.step_grads()])
    for a, b in zip(*results):
        assert a.shape == (7, 2, 4)
        assert_close(a, b, rtol=1e-10, atol=1e-13)
    fwd = results[0][0]
    assert np.abs(fwd[-1, 0]).max() > 0  # the gradient enters at the last step...
    assert np.abs(fwd[:, 0]).max() > 0


def test_step_grads_needs_recording():
    with pytest.raises(RuntimeError, match="record_step_grads = True"):
        nn.RNN(2, 2).step_grads()


def test_ten_thousand_steps_train_without_recursion_and_memory_is_linear_in_t():
    def peak(T):
        mg.manual_seed(0)
        rnn = nn.RNN(4, 16)
        opt = mg.optim.SGD(rnn.parameters(), lr=0.01)
        x = mg.randn(T, 2, 4)
        tracemalloc.start()
        out, h = rnn(x)
        (out ** 2).mean().backward()
        opt.step()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    for bptt_mode in ("hand",):
        p5, p10 = peak(5_000), peak(10_000)
        assert 1.6 < p10 / p5 < 2.4, (p5, p10)
    rnn = nn.LSTM(4, 8, bptt="autograd")
    out, _ = rnn(mg.randn(10_000, 1, 4))
    out[-1].sum().backward()
    assert rnn.weight_hh_l0.grad is not None


def test_bad_input_messages():
    rnn = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(mg.ShapeError, match=r"LSTM: expected input of 3 dimensions \(seq, batch, 3\) or 2 \(seq, 3\), got shape torch\.Size\(\[2, 3, 4, 3\]\)"):
        rnn(mg.ones(2, 3, 4, 3))
    with pytest.raises(mg.ShapeError, match=r"LSTM: input has 5 features in its last dimension, expected input_size=3"):
        rnn(mg.ones(6, 2, 5))
    with pytest.raises(mg.ShapeError, match=r"LSTM: expected h_0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        rnn(mg.ones(6, 2, 3), (mg.zeros(1, 2, 4), mg.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match=r"lengths must be between 1 and the sequence length 6, got values in \[2, 9\]"):
        rnn(mg.ones(6, 2, 3), lengths=[9, 2])
    with pytest.raises(mg.ShapeError, match="expected 2 lengths"):
        rnn(mg.ones(6, 2, 3), lengths=[3])
    with pytest.raises(mg.ShapeError, match=r"GRUCell: expected hidden state of shape \(2, 4\), got torch\.Size\(\[2, 5\]\)"):
        nn.GRUCell(3, 4)(mg.ones(2, 3), mg.ones(2, 5))
    with pytest.raises(ValueError, match="bptt must be 'hand' or 'autograd'"):
        nn.RNN(3, 4, bptt="fast")


def test_parameter_names_shapes_and_repr_match_pytorch():
    torch = pytest.importorskip("torch")
    for kind in ("RNN", "LSTM", "GRU"):
        t = getattr(torch.nn, kind)(3, 5, num_layers=2, bidirectional=True, batch_first=True, dropout=0.1)
        m = getattr(nn, kind)(3, 5, num_layers=2, bidirectional=True, batch_first=True, dropout=0.1)
        assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
        assert repr(m) == repr(t)


def test_dropout_between_layers_only_in_training():
    mg.manual_seed(0)
    rnn = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = mg.randn(5, 2, 3)
    rnn.eval()
    a, _ = rnn(x)
    b, _ = rnn(x)
    assert_close(a, b, rtol=0, atol=0)
    rnn.train()
    c, _ = rnn(x)
    assert (c - a).abs().max().item() > 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bptt", ["hand", "autograd"])
def test_weight_changed_in_place_before_backward_is_an_error(kind, bptt):
    """As in PyTorch: the backward reads the weights of the forward, so changing one in between raises."""
    m = build(mg, kind, bptt=bptt)
    out = m(mg.randn(5, 2, 3))[0].sum()
    with mg.no_grad():
        m.weight_hh_l0.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


@pytest.mark.parametrize("kind", KINDS)
def test_reused_buffers_give_the_same_gradients_and_are_reused(kind, monkeypatch):
    """The recurrent ops hand their large arrays back after backward and take them again on the next call."""
    from minigrad import backend

    monkeypatch.setattr(backend, "_spare", {})
    # on the CPU (CuPy keeps its own memory pool); batch_first: the input is copied once into a buffer too
    m = build(mg, kind, batch_first=True, device="cpu").double()
    x = mg.tensor(np.random.default_rng(1).standard_normal((3, 5, 3)), requires_grad=True, device="cpu")

    def grads():
        m.zero_grad()
        x.grad = None
        out = m(x)[0]
        (out * out).sum().backward()
        return [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in m.parameters()]

    first = grads()
    kept = {id(a) for free in backend._spare.values() for a in free}
    assert kept  # given back after backward
    second = grads()  # runs on the arrays the first call gave back, which hold its old values
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert kept & {id(a) for free in backend._spare.values() for a in free}


def test_give_back_keeps_only_arrays_nothing_else_refers_to(monkeypatch):
    from minigrad import backend

    monkeypatch.setattr(backend, "_spare", {})
    owner = {"free": np.zeros((7, 3)), "viewed": np.zeros((7, 3)), "named": np.zeros((7, 3))}
    view, named = owner["viewed"][1:], owner["named"]
    backend.give_back(owner, ["free", "viewed", "named"])
    assert owner == {}
    assert len(backend._spare[(7, 3), np.dtype("float64")]) == 1  # the view and the other name keep theirs
    again = backend.buffer(np, (7, 3), np.float64)
    assert again is not named and again.base is not view.base
    assert backend.buffer(np, (7, 3), np.float64) is not again  # each array is handed out once


def test_kept_buffers_are_bounded_oldest_shapes_dropped(monkeypatch):
    from minigrad import backend

    monkeypatch.setattr(backend, "_spare", {})
    monkeypatch.setattr(backend, "_SPARE_TOTAL_BYTES", 2 * 8 * 100 * 40)  # room for the last two arrays
    for n in (10, 20, 30, 40):  # sequence lengths that change from batch to batch
        backend.give_back({"a": np.zeros((n, 100)), "b": np.zeros((n, 100))}, ["a", "b"])
    kept = {shape: len(free) for (shape, _), free in backend._spare.items()}
    assert kept == {(40, 100): 2}
    assert sum(a.nbytes for free in backend._spare.values() for a in free) <= backend._SPARE_TOTAL_BYTES
