"""The PyTorch APIs that d2l-zh's chapters 8-10 use (issue #27), each against PyTorch's own answer.

``sinh``/``cosh`` and ``sort``'s gradient are also in the op table (op_cases.py: values, finite differences,
PyTorch, every memory layout); the recurrent, attention and Transformer programs are in tests/course/.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_close, gradcheck, simulated_cuda

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


# ------------------------------------------------------------------ torch.cuda
def test_device_count_is_zero_without_cupy_and_counts_gpus_with_it():
    if not mg.cuda.is_available():
        assert mg.cuda.device_count() == 0  # d2l.try_gpu() then falls back to the CPU
    with simulated_cuda():
        assert mg.cuda.is_available()
        assert mg.cuda.device_count() == mg.backend.cupy_module().cuda.runtime.getDeviceCount() >= 1


def test_d2l_try_gpu_picks_the_cpu_without_a_gpu():
    def try_gpu(i=0):  # d2l/torch.py
        if mg.cuda.device_count() >= i + 1:
            return mg.device(f"cuda:{i}")
        return mg.device("cpu")

    if not mg.cuda.is_available():
        assert try_gpu() == mg.device("cpu")


# ------------------------------------------------------------------ creators
@pytest.mark.parametrize("name", ["rand", "randn", "zeros", "ones", "empty"])
def test_size_keyword(name):
    for size in [(2, 3), [4], ()]:
        t = getattr(torch, name)(size=size)
        m = getattr(mg, name)(size=size)
        assert tuple(m.shape) == tuple(t.shape)
        assert m.dtype == mg.float32
    with pytest.raises(TypeError, match=name):
        getattr(mg, name)(size=5)
    with pytest.raises(TypeError):
        getattr(torch, name)(size=5)
    with pytest.raises(TypeError, match=name):
        getattr(mg, name)(2, size=(2,))
    with pytest.raises(TypeError):
        getattr(torch, name)(2, size=(2,))


def test_size_keyword_draws_the_same_numbers_as_positional():
    mg.manual_seed(3)
    a = mg.normal(0, 0.01, size=(3, 4))  # d2l's normal(shape): torch.randn(size=shape) * 0.01
    mg.manual_seed(3)
    b = mg.randn(size=(3, 4))
    mg.manual_seed(3)
    c = mg.randn(3, 4)
    assert b.tolist() == c.tolist()
    assert a.shape == b.shape


# ------------------------------------------------------------------ axis= and keepdims=
AXIS_CASES = [
    ("cat", lambda m, x: m.cat([x, x], axis=1)),
    ("stack", lambda m, x: m.stack([x, x], axis=0)),
    ("sum", lambda m, x: m.sum(x, axis=0)),
    ("sum_keepdims", lambda m, x: x.sum(axis=1, keepdims=True)),
    ("mean", lambda m, x: m.mean(x, axis=1)),
    ("mean_method", lambda m, x: x.mean(axis=0, keepdims=True)),
    ("max", lambda m, x: m.max(x, axis=1).values),
    ("amax", lambda m, x: x.amax(axis=0)),
    ("argmax", lambda m, x: x.argmax(axis=1)),
    ("softmax", lambda m, x: m.softmax(x, axis=1)),
    ("var", lambda m, x: x.var(axis=1)),
    ("cumsum", lambda m, x: x.cumsum(axis=0)),
    ("logsumexp", lambda m, x: m.logsumexp(x, axis=1)),
    ("unsqueeze", lambda m, x: x.unsqueeze(axis=0)),
]


@pytest.mark.parametrize("name,fn", AXIS_CASES, ids=[c[0] for c in AXIS_CASES])
def test_axis_aliases(name, fn, rng):
    a = rng.standard_normal((3, 4))
    m, t = fn(mg, mg.tensor(a)), fn(torch, torch.tensor(a))
    assert tuple(m.shape) == tuple(t.shape)
    assert_close(m, t, rtol=1e-12, atol=1e-12)


def test_dim_and_axis_together_are_refused():
    x = mg.ones(2, 3)
    with pytest.raises(TypeError, match="sum"):
        mg.sum(x, dim=0, axis=0)
    with pytest.raises(TypeError, match="mean"):
        x.mean(dim=0, axis=1)


# ------------------------------------------------------------------ sort, argsort
SORT_DATA = np.array([[3.0, 1.0, 2.0, 1.0, np.nan, 2.0, -0.0, 0.0], [0.0, 0.0, -1.0, 5.0, 5.0, 1.0, np.inf, -np.inf]])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_sort_matches_pytorch_stable(descending, dim):
    m = mg.sort(mg.tensor(SORT_DATA), dim=dim, descending=descending)
    t = torch.sort(torch.tensor(SORT_DATA), dim=dim, descending=descending, stable=True)
    np.testing.assert_array_equal(m.values.numpy(), t.values.numpy())
    assert m.indices.tolist() == t.indices.tolist()
    assert m.indices.dtype == mg.int64
    mi = mg.tensor(SORT_DATA).argsort(dim=dim, descending=descending)
    assert mi.tolist() == torch.argsort(torch.tensor(SORT_DATA), dim=dim, descending=descending, stable=True).tolist()
    values, indices = mg.tensor(SORT_DATA).sort(dim, descending)  # a (values, indices) pair, as PyTorch
    assert indices.tolist() == m.indices.tolist()


def test_sort_ints_bools_and_scalars():
    ints = [[3, 1, 2, 1], [0, -5, 7, 7]]
    assert mg.sort(mg.tensor(ints), descending=True).values.tolist() == torch.sort(torch.tensor(ints), descending=True).values.tolist()
    bools = [True, False, True, False]
    m, t = mg.tensor(bools).sort(), torch.tensor(bools).sort(stable=True)
    assert m.values.tolist() == t.values.tolist() and m.indices.tolist() == t.indices.tolist()
    s = mg.sort(mg.tensor(2.5))
    assert s.values.item() == 2.5 and s.indices.item() == 0 and s.indices.shape == ()


def test_sort_gradient_goes_back_to_where_each_value_came_from(rng):
    a = rng.standard_normal((3, 5))
    w = rng.standard_normal((3, 5))
    xm, xt = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (mg.sort(xm, 1, descending=True).values * mg.tensor(w)).sum().backward()
    (torch.sort(xt, 1, descending=True).values * torch.tensor(w)).sum().backward()
    assert_close(xm.grad, xt.grad, rtol=0, atol=0)
    gradcheck(lambda x: x.sort(0).values, [mg.tensor(a, requires_grad=True)])


def test_sort_errors_name_the_op():
    with pytest.raises(IndexError, match="sort"):
        mg.sort(mg.ones(2, 3), dim=2)
    with pytest.raises(IndexError, match="argsort"):
        mg.argsort(mg.ones(2, 3), dim=-3)


def test_nadaraya_watson_sorts_training_inputs(rng):
    """d2l 10.2: x_train, _ = torch.sort(torch.rand(n_train) * 5)."""
    mg.manual_seed(0)
    x_train, _ = mg.sort(mg.rand(50) * 5)
    assert (x_train[1:] >= x_train[:-1]).all()


# ------------------------------------------------------------------ recurrent modules
@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False, num_layers=3)])
def test_flat_weights_names(mode, kw):
    m, t = getattr(mg.nn, mode)(3, 4, **kw), getattr(torch.nn, mode)(3, 4, **kw)
    assert m._flat_weights_names == t._flat_weights_names
    assert [tuple(p.shape) for p in m._flat_weights] == [tuple(p.shape) for p in t._flat_weights]
    assert all(a is b for a, b in zip(m._flat_weights, [m._parameters[n] for n in m._flat_weights_names]))


def test_d2l_xavier_init_weights_reaches_every_gru_weight():
    """d2l's train_seq2seq: ``for param in m._flat_weights_names: if "weight" in param: xavier_uniform_(...)``."""
    gru = mg.nn.GRU(3, 4, num_layers=2)
    with mg.no_grad():
        for p in gru.parameters():
            p.fill_(0.0)
    for param in gru._flat_weights_names:
        if "weight" in param:
            mg.nn.init.xavier_uniform_(gru._parameters[param])
    for name, p in gru.named_parameters():
        assert bool((p != 0).any()) == name.startswith("weight"), name


# ------------------------------------------------------------------ BatchNorm1d
def _pair(rng, momentum=0.1, affine=True, track=True, bias=True):
    kw = dict(momentum=momentum, affine=affine, track_running_stats=track, bias=bias)
    m, t = mg.nn.BatchNorm1d(3, **kw).double(), torch.nn.BatchNorm1d(3, **kw).double()
    if affine:
        with torch.no_grad():
            t.weight.copy_(torch.tensor(rng.standard_normal(3)))
            if bias:
                t.bias.copy_(torch.tensor(rng.standard_normal(3)))
    m.load_state_dict({k: mg.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return m, t


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6)])
@pytest.mark.parametrize("momentum,affine,track,bias", [(0.1, True, True, True), (None, True, True, True),
                                                        (0.3, False, True, True), (0.1, True, False, True), (0.1, True, True, False)])
def test_batchnorm1d_matches_pytorch(shape, momentum, affine, track, bias, rng):
    m, t = _pair(rng, momentum, affine, track, bias)
    assert list(m.state_dict()) == list(t.state_dict())
    for step in range(3):
        x, w = rng.standard_normal(shape) * 2 + 1, rng.standard_normal(shape)
        xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ym, yt = m(xm), t(xt)
        assert_close(ym, yt, rtol=1e-12, atol=1e-12, msg=f"train step {step}")
        (ym * mg.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        assert_close(xm.grad, xt.grad, rtol=1e-10, atol=1e-12, msg="input gradient")
        for (name, pm), pt in zip(m.named_parameters(), t.parameters()):
            assert_close(pm.grad, pt.grad, rtol=1e-10, atol=1e-12, msg=f"gradient of {name}")
    for (name, bm), bt in zip(m.state_dict().items(), t.state_dict().values()):
        assert bm.dtype == mg.tensor(bt.numpy()).dtype, name
        assert_close(bm, bt, rtol=1e-12, atol=1e-12, msg=f"buffer {name}")
    m.eval()
    t.eval()
    x = rng.standard_normal(shape)
    assert_close(m(mg.tensor(x)), t(torch.tensor(x)), rtol=1e-12, atol=1e-12, msg="eval")
    assert repr(m) == repr(t)


def test_batchnorm1d_gradcheck(rng):
    m = mg.nn.BatchNorm1d(3).double()
    gradcheck(lambda x: m(x), [mg.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)])


def test_batchnorm1d_errors():
    bn = mg.nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(mg.ones(1, 3))
    with pytest.raises(ValueError, match="2D or 3D"):
        bn(mg.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="3 channels"):
        bn(mg.ones(2, 4))
    bn.eval()
    assert bn(mg.ones(1, 3)).shape == (1, 3)  # eval mode needs no batch


def test_d2l_layer_norm_versus_batch_norm():
    """d2l 10.7: the same X through LayerNorm(2) and BatchNorm1d(2), in training mode."""
    x = [[1.0, 2.0], [2.0, 3.0]]
    m = mg.nn.BatchNorm1d(2)(mg.tensor(x))
    t = torch.nn.BatchNorm1d(2)(torch.tensor(x))
    assert_close(m, t, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ d2l/torch.py's alias block
ALIASES = ["ones", "zeros", "zeros_like", "ones_like", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh",
           "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "int64", "float32", "cat",
           "concat", "stack", "abs", "eye", "sort", "argsort"]


@pytest.mark.parametrize("name", ALIASES)
def test_d2l_alias_block_names_resolve(name):
    """d2l's helper module binds ``sinh = torch.sinh``, ``meshgrid = torch.meshgrid``, ``concat = torch.cat``, ...
    at import: one missing name stops the whole module."""
    assert callable(getattr(mg, name)) or isinstance(getattr(mg, name), mg.dtype)
    assert hasattr(torch, name)


def test_meshgrid_gradient_matches_pytorch(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(2)
    w = rng.standard_normal((2, 3))
    outs = []
    for lib in (mg, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        gx, gy = lib.meshgrid(x, y, indexing="xy")
        (gx * gy * lib.tensor(w)).sum().backward()
        outs.append((gx.detach().numpy(), x.grad.numpy(), y.grad.numpy()))
    for o, t in zip(*outs):
        np.testing.assert_allclose(o, t, rtol=1e-12)
    with pytest.raises(RuntimeError, match="meshgrid"):
        mg.meshgrid(mg.ones(2, 2))


# ------------------------------------------------------------------ import paths
def test_non_dynamically_quantizable_linear_at_pytorchs_path():
    import minigrad.nn.modules.linear as linear

    cls = mg.nn.modules.linear.NonDynamicallyQuantizableLinear
    assert cls is linear.NonDynamicallyQuantizableLinear
    assert type(mg.nn.MultiheadAttention(4, 2).out_proj) is cls
    assert issubclass(cls, mg.nn.Linear)


# ------------------------------------------------------------------ the Transformer's 7e-8 (issue #27)
def _d2l_positional_encoding(lib, dtype, max_len=1000, num_hiddens=32):
    """d2l 10.6's table: P in the default dtype, X from ``torch.arange(..., dtype=float32)`` in the book."""
    P = lib.zeros((1, max_len, num_hiddens), dtype=lib.float64)
    X = lib.arange(max_len, dtype=dtype).reshape(-1, 1) / lib.pow(10000, lib.arange(0, num_hiddens, 2, dtype=dtype) / num_hiddens)
    P[:, :, 0::2] = lib.sin(X)
    P[:, :, 1::2] = lib.cos(X)
    return P.numpy()


def test_the_transformers_float64_gap_is_d2ls_float32_positional_encoding():
    """Why the d2l Transformer in float64 agrees with PyTorch only to ~7e-8: its positional encoding is built in
    float32 (``torch.arange(..., dtype=torch.float32)``). Float32 ``pow``, division, ``sin`` and ``cos`` round
    to 24 bits, and NumPy's and PyTorch's float32 kernels round some values differently, so the two tables
    differ within float32 rounding (an argument ``x`` rounded by ``eps32 |x|`` moves ``sin x`` by as much), and
    that difference enters the float64 model. Built in float64, the tables agree to float64 round-off (the
    course program prog_d2l_attention.py does that, and then agrees with PyTorch to 1e-8 or better)."""
    ours, theirs = _d2l_positional_encoding(mg, mg.float32), _d2l_positional_encoding(torch, torch.float32)
    pos = np.arange(1000.0).reshape(-1, 1)
    x = pos / np.power(10000.0, np.arange(0, 32, 2) / 32)
    exact = np.zeros((1, 1000, 32))
    exact[0, :, 0::2], exact[0, :, 1::2] = np.sin(x), np.cos(x)
    bound = 4 * 2.0 ** -24 * (1 + np.repeat(x, 2, axis=1))[None]  # a few float32 roundings of x, and of the result
    assert (np.abs(ours - exact) <= bound).all() and (np.abs(theirs - exact) <= bound).all()
    assert np.abs(ours - theirs).max() > 0  # they do differ: by float32 rounding, nothing else
    ours64, theirs64 = _d2l_positional_encoding(mg, mg.float64), _d2l_positional_encoding(torch, torch.float64)
    assert np.abs(ours64 - theirs64).max() < 1e-12
