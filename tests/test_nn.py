"""nn.Module behaviour and every layer against PyTorch with identical weights (float64)."""
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.testing import assert_close


def torch_or_skip():
    return pytest.importorskip("torch")


def copy_weights(tmodel, mmodel):
    """The teacher's workflow: a PyTorch state dict converted with .cpu().numpy() loads directly."""
    mmodel.load_state_dict({k: v.detach().cpu().numpy() for k, v in tmodel.state_dict().items()})


def make_pair(build):
    """The same architecture in both libraries (``build`` receives the library module), in float64."""
    torch = torch_or_skip()
    torch.manual_seed(0)
    t = build(torch).double()
    m = build(mg).double()
    copy_weights(t, m)
    return t, m


def compare(t, m, shape, *, input_kind="float", atol=1e-12):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    if input_kind == "float":
        x = rng.standard_normal(shape)
        tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    else:
        x = rng.integers(0, input_kind, shape)
        tx, mx = torch.tensor(x), mg.tensor(x)
    to, mo = t(tx), m(mx)
    assert_close(mo, to, rtol=1e-12, atol=atol)
    g = rng.standard_normal(tuple(to.shape))
    (to * torch.tensor(g)).sum().backward()
    (mo * mg.tensor(g)).sum().backward()
    if input_kind == "float":
        assert_close(mx.grad, tx.grad, rtol=1e-10, atol=atol)
    tparams = dict(t.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol=1e-10, atol=atol, msg=name)


MLP = lambda L: L.nn.Sequential(L.nn.Linear(5, 7), L.nn.ReLU(), L.nn.Linear(7, 7), L.nn.Tanh(), L.nn.Linear(7, 3), L.nn.LogSoftmax(dim=1))  # noqa: E731


@pytest.mark.parametrize(
    "name, build, shape, kind",
    [
        ("Linear", lambda L: L.nn.Linear(4, 3), (6, 4), "float"),
        ("Linear_nobias_3d", lambda L: L.nn.Linear(4, 3, bias=False), (2, 5, 4), "float"),
        ("Embedding", lambda L: L.nn.Embedding(10, 4), (3, 5), 10),
        ("Embedding_padding", lambda L: L.nn.Embedding(10, 4, padding_idx=0), (3, 5), 10),
        ("LayerNorm", lambda L: L.nn.LayerNorm(6), (3, 6), "float"),
        ("LayerNorm_2d_nobias", lambda L: L.nn.LayerNorm((2, 6), bias=False), (3, 2, 6), "float"),
        ("GELU", lambda L: L.nn.GELU(), (3, 6), "float"),
        ("GELU_tanh", lambda L: L.nn.GELU(approximate="tanh"), (3, 6), "float"),
        ("Sigmoid", lambda L: L.nn.Sigmoid(), (3, 6), "float"),
        ("Softmax", lambda L: L.nn.Softmax(dim=0), (3, 6), "float"),
        ("Flatten", lambda L: L.nn.Flatten(), (2, 3, 4), "float"),
        ("Identity", lambda L: L.nn.Identity(), (2, 3), "float"),
        ("Dropout_eval", lambda L: L.nn.Dropout(0.5).eval(), (4, 5), "float"),
        ("MLP", MLP, (8, 5), "float"),
    ],
)
def test_layer_matches_pytorch(name, build, shape, kind):
    t, m = make_pair(build)
    compare(t, m, shape, input_kind=kind)


def test_state_dict_keys_and_repr_match_pytorch():
    def build(L):
        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = L.nn.Embedding(10, 4, padding_idx=0)
                self.blocks = L.nn.ModuleList([L.nn.Sequential(L.nn.Linear(4, 4), L.nn.GELU()) for _ in range(2)])
                self.heads = L.nn.ModuleDict({"a": L.nn.Linear(4, 2), "b": L.nn.Linear(4, 3, bias=False)})
                self.norm = L.nn.LayerNorm(4)
                self.drop = L.nn.Dropout(0.1)
                self.register_buffer("scale", L.ones(4))
                self.register_buffer("cache", L.zeros(2), persistent=False)

            def forward(self, x):
                return x

        return Net()

    t, m = make_pair(build)
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert repr(m) == repr(t)


def test_pytorch_to_minigrad_to_pytorch_round_trip():
    torch = torch_or_skip()
    t, m = make_pair(MLP)
    t2 = MLP(torch).double()
    t2.load_state_dict({k: torch.tensor(v.cpu().numpy()) for k, v in m.state_dict().items()})
    for k, v in t.state_dict().items():
        assert torch.equal(v, t2.state_dict()[k]), k


def test_load_state_dict_reports_missing_unexpected_and_mismatched_keys():
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    other = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2), nn.Linear(2, 2))
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(other.state_dict())
    msg = str(err.value)
    assert 'Unexpected key(s) in state_dict: "3.weight", "3.bias".' in msg
    assert "size mismatch for 0.weight: copying a value of shape (5, 4) from the checkpoint, the shape in the current model is (3, 4)" in msg
    sd = m.state_dict()
    del sd["2.bias"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "2.bias"'):
        m.load_state_dict(sd)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == []


def test_load_state_dict_copies_into_the_same_parameter_objects():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    assert m.weight is w and m.weight.dtype == mg.float32
    assert m.weight.tolist() == [[1, 0], [0, 1]]


def test_registration_rules():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.w = nn.Parameter(mg.ones(3))
            self.plain = mg.ones(3)  # a plain tensor attribute is not a parameter

    n = Net()
    assert [k for k, _ in n.named_parameters()] == ["w", "fc.weight", "fc.bias"]  # own parameters first, as PyTorch
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'w'"):
        n.w = mg.ones(3)
    n.w = None
    assert [k for k, _ in n.named_parameters()] == ["fc.weight", "fc.bias"]

    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="call super\\(\\).__init__\\(\\) first"):
        Early()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2


def test_train_eval_zero_grad_apply_and_to():
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    m.train()
    m(mg.ones(2, 3)).sum().backward()
    assert m[0].weight.grad is not None
    m.zero_grad()
    assert m[0].weight.grad is None
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Dropout", "Sequential"]
    w = m[0].weight
    m.double()
    assert m[0].weight is w and w.dtype == mg.float64
    assert m(mg.ones(1, 3, dtype=mg.float64)).dtype == mg.float64


def test_dropout_training_zeroes_and_rescales():
    mg.manual_seed(0)
    d = nn.Dropout(0.25)
    x = mg.ones(200, 200, requires_grad=True)
    y = d(x)
    vals = np.unique(y.detach().cpu().numpy())
    assert_close(vals, [0.0, 1 / 0.75])
    assert abs((y.detach().cpu().numpy() == 0).mean() - 0.25) < 0.01
    y.sum().backward()
    assert_close(x.grad, y.detach().cpu().numpy())  # the gradient passes exactly where the value did
    assert nn.Dropout(1.0)(x).detach().cpu().numpy().max() == 0
    with pytest.raises(ValueError, match="between 0 and 1, got 1.5"):
        nn.Dropout(1.5)


def test_layer_bad_input_names_layer_and_shapes():
    with pytest.raises(mg.ShapeError, match=r"Linear\(in_features=4, out_features=3, bias=True\): expected input with last dimension 4, got shape \(2, 5\)"):
        nn.Linear(4, 3)(mg.ones(2, 5))
    # on a GPU the check runs on the device and is reported by the next copy to the host, outside the layer
    on_host = mg.get_default_device() == "cpu"
    with pytest.raises(IndexError, match=(r"Embedding\(10, 3\): " if on_host else "") + "embedding: index 12 is out of range for 10 embeddings"):
        nn.Embedding(10, 3)(mg.tensor([1, 12])).tolist()
    with pytest.raises(TypeError, match="indices must be an integer"):
        nn.Embedding(10, 3)(mg.ones(2))
    with pytest.raises(mg.ShapeError, match=r"LayerNorm\(\(4,\), .*expected input whose last dimensions are \(4,\), got shape \(2, 5\)"):
        nn.LayerNorm(4)(mg.ones(2, 5))


def test_cross_entropy_bad_targets():
    x = mg.randn(3, 5)
    with pytest.raises(IndexError, match=r"cross_entropy: target class 7 is out of range for 5 classes \(valid: 0..4, or ignore_index=-100\)"):
        nn.CrossEntropyLoss()(x, mg.tensor([0, 7, 1])).item()  # on a GPU reported by the copy to the host
    with pytest.raises(mg.ShapeError, match=r"target must have shape torch\.Size\(\[3\]\), got torch\.Size\(\[2\]\)"):
        nn.CrossEntropyLoss()(x, mg.tensor([0, 1]))
    with pytest.raises(mg.ShapeError, match=r"mse_loss: input of shape torch\.Size\(\[3, 1\]\) and target of shape torch\.Size\(\[3\]\) differ"):
        nn.MSELoss()(mg.ones(3, 1), mg.ones(3))


def test_cross_entropy_is_finite_for_huge_logits():
    x = mg.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=mg.float32, requires_grad=True)
    loss = nn.CrossEntropyLoss()(x, mg.tensor([1, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(2e4)
    assert np.isfinite(x.grad.cpu().numpy()).all()


def test_losses_match_pytorch_modules():
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    tgt = np.array([0, 2, 1, 1])
    pairs = [
        (lambda L: L.nn.CrossEntropyLoss(label_smoothing=0.1), x, tgt),
        (lambda L: L.nn.NLLLoss(reduction="sum"), x, tgt),
        (lambda L: L.nn.MSELoss(), x, y),
        (lambda L: L.nn.L1Loss(reduction="none"), x, y),
        (lambda L: L.nn.BCEWithLogitsLoss(), x, 1 / (1 + np.exp(-y))),
    ]
    for build, a, b in pairs:
        assert_close(build(mg)(mg.tensor(a), mg.tensor(b)), build(torch)(torch.tensor(a), torch.tensor(b)), rtol=1e-12, atol=1e-12)


def test_init_functions():
    mg.manual_seed(0)
    w = mg.empty(200, 300)
    nn.init.uniform_(w, -2, 3)
    assert -2 <= w.min().item() and w.max().item() < 3
    nn.init.normal_(w, 1.0, 2.0)
    assert abs(w.mean().item() - 1) < 0.05 and abs(w.std().item() - 2) < 0.05
    nn.init.xavier_uniform_(w)
    a = math.sqrt(6 / 500)
    assert w.abs().max().item() <= a and w.abs().max().item() > 0.99 * a
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w.std().item() - 2 * math.sqrt(2 / 500)) < 0.01
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    b = math.sqrt(2) * math.sqrt(3 / 300)
    assert w.abs().max().item() <= b and w.abs().max().item() > 0.99 * b
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2 / 200)) < 0.01
    nn.init.zeros_(w)
    assert w.abs().max().item() == 0
    nn.init.constant_(w, 0.5)
    assert w.min().item() == 0.5
    nn.init.ones_(w)
    assert w.min().item() == 1


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3), (2, 3, 4)])
def test_orthogonal_init(shape):
    w = nn.init.orthogonal_(mg.empty(*shape, dtype=mg.float64), gain=2.0).cpu().numpy().reshape(shape[0], -1)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    assert_close(gram, 4 * np.eye(small), rtol=1e-10, atol=1e-10)


def test_calculate_gain_matches_pytorch():
    torch = torch_or_skip()
    for nl, p in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("sigmoid", None), ("selu", None)]:
        assert nn.init.calculate_gain(nl, p) == pytest.approx(torch.nn.init.calculate_gain(nl, p), rel=1e-12)


def test_default_initialisation_follows_pytorch():
    mg.manual_seed(0)
    lin = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert p.abs().max().item() <= bound and p.abs().max().item() > 0.9 * bound
    emb = nn.Embedding(1000, 20, padding_idx=3)
    assert abs(emb.weight.std().item() - 1) < 0.05 and emb.weight[3].abs().max().item() == 0
    ln = nn.LayerNorm(5)
    assert ln.weight.tolist() == [1] * 5 and ln.bias.tolist() == [0] * 5


def test_embedding_padding_row_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1)
    emb(mg.tensor([1, 1, 2])).sum().backward()
    assert emb.weight.grad[1].tolist() == [0, 0]
    assert emb.weight.grad[2].tolist() == [1, 1]


@pytest.mark.parametrize("n, size, high", [(5, 40, 5), (300, 4096, 300), (300, 2000, 3), (400, 500, 400)],
                         ids=["one-hot table", "short runs", "long runs", "mostly distinct"])
def test_embedding_gradient_sums_every_lookup(n, size, high):
    """The table's gradient is the sum of the output gradients of the lookups of each row, whichever of
    index_add's paths (one-hot product, runs summed k-th row by k-th row, reduceat for long runs) runs."""
    rng = np.random.default_rng(2)
    idx = rng.integers(0, high, (size // 4, 4))
    gy = rng.standard_normal((size // 4, 4, 3))
    emb = nn.Embedding(n, 3).double()
    emb(mg.tensor(idx)).backward(mg.tensor(gy))
    expected = np.zeros((n, 3))
    np.add.at(expected, idx.reshape(-1), gy.reshape(-1, 3))
    assert_close(emb.weight.grad, expected, rtol=1e-12, atol=1e-12)


def test_sequential_with_ordered_dict_and_indexing():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(s.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(s[0], nn.Linear) and len(s) == 2 and isinstance(s[-1], nn.ReLU)
    assert len(s[:1]) == 1
    assert "Parameter containing" in repr(s.fc.weight)



@pytest.mark.parametrize("batch, n_in, n_out", [(0, 3, 4), (2, 3, 0), (2, 0, 4)])
def test_linear_with_a_zero_size_dimension(batch, n_in, n_out):
    # as PyTorch: initialising an empty weight warns and does nothing; forward and backward still work
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = nn.Linear(n_in, n_out)
    assert any("zero-element" in str(w.message) for w in caught) == (0 in (n_in, n_out))
    x = mg.randn(batch, n_in, requires_grad=True)
    y = layer(x)
    assert y.shape == (batch, n_out)
    y.sum().backward()
    assert x.grad.shape == (batch, n_in) and layer.weight.grad.shape == (n_out, n_in)
    assert_close(x.grad, np.ones((batch, n_out)) @ layer.weight.detach().cpu().numpy().astype(np.float64), rtol=1e-6, atol=1e-6)
    assert layer.bias.grad.tolist() == [float(batch)] * n_out
