"""The PyTorch APIs that course code uses (docs/compatibility.md), each against PyTorch itself.

Differentiable ops (flip, narrow, topk, pad, the new losses) are also in the op table (op_cases.py),
where forward and backward are checked against NumPy, finite differences and PyTorch.
"""
import importlib
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import compat
from minigrad.testing import assert_close

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# ------------------------------------------------------------------ tensors
def test_format_of_a_0d_tensor_as_pytorch(torch):
    for lib in (mg, torch):
        loss = lib.tensor(2.0 / 3.0, dtype=lib.float64)
        assert f"{loss:.4f}" == "0.6667" and f"{loss:>8.2e}" == "6.67e-01"
        assert f"{lib.tensor(7):03d}" == "007"
        assert f"{lib.tensor([1.0, 2.0])}" == str(lib.tensor([1.0, 2.0]))
        with pytest.raises(TypeError):
            f"{lib.tensor([1.0, 2.0]):.2f}"


def test_topk_values_and_indices_as_pytorch(torch, rng):
    a = rng.standard_normal((4, 6))
    for kw in ({}, {"dim": 0}, {"largest": False}, {"dim": 0, "largest": False}):
        m, t = mg.tensor(a).topk(3, **kw), torch.tensor(a).topk(3, **kw)
        assert_close(m.values, t.values, rtol=0, atol=0)
        assert m.indices.tolist() == t.indices.tolist() and m.indices.dtype == mg.int64
    ints = mg.tensor([3, 9, 1, 9, 5])  # ties: the lower index first
    assert ints.topk(3).indices.tolist() == [1, 3, 4] and ints.topk(2, largest=False).values.tolist() == [1, 3]
    assert mg.tensor([2.0, float("nan"), 1.0]).topk(1).indices.tolist() == [1]  # NaN counts as the largest
    with pytest.raises(RuntimeError, match=r"topk: k \(7\) is out of range"):
        mg.tensor(a).topk(7)


def test_multinomial_draws_with_the_given_weights():
    mg.manual_seed(0)
    w = mg.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 1.0, 1.0]])
    draws = mg.multinomial(w, 4000, replacement=True)
    assert draws.shape == (2, 4000) and draws.dtype == mg.int64
    freq = np.bincount(draws[0].cpu().numpy(), minlength=4) / 4000
    assert abs(freq - np.array([0.1, 0.0, 0.6, 0.3])).max() < 0.03
    once = w[1].multinomial(4)
    assert sorted(once.tolist()) == [0, 1, 2, 3]  # without replacement every category once
    g = mg.Generator().manual_seed(5)
    assert mg.multinomial(w[1], 3, generator=g).tolist() == mg.multinomial(w[1], 3, generator=mg.Generator().manual_seed(5)).tolist()
    with pytest.raises(RuntimeError, match="without replacement"):
        mg.multinomial(w[1], 5)
    with pytest.raises(RuntimeError, match="fewer than 4 categories"):
        mg.multinomial(w[0], 4)
    with pytest.raises(RuntimeError, match="element < 0"):
        mg.multinomial(mg.tensor([0.5, -0.1]), 1)


def test_type_and_the_typed_tensor_classes_as_pytorch(torch):
    mg.set_default_device("cpu")  # the CPU's classes; a CUDA tensor is a torch.cuda.FloatTensor
    for lib in (mg, torch):
        x = lib.tensor([1.5, 2.5])
        assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
        assert x.type(lib.LongTensor).tolist() == [1, 2] and x.type(lib.LongTensor).dtype == lib.int64
        assert x.type("torch.DoubleTensor").dtype == lib.float64 and x.type(lib.float64).dtype == lib.float64
        assert isinstance(x, lib.FloatTensor) and not isinstance(x, lib.LongTensor)
        assert lib.LongTensor([1, 2]).dtype == lib.int64 and lib.FloatTensor(2, 3).shape == (2, 3)
        assert lib.tensor([1], dtype=lib.uint8).type() == "torch.ByteTensor"
    with pytest.raises(ValueError, match="invalid type"):
        mg.tensor([1.0]).type("torch.NoSuchTensor")


def test_new_tensors_take_dtype_and_device_from_self(torch):
    for lib in (mg, torch):
        x = lib.tensor([1, 2], dtype=lib.float64)
        assert x.new_zeros(2, 3).dtype == lib.float64 and x.new_zeros((2, 3)).shape == (2, 3)
        assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_full((2,), 7).tolist() == [7.0, 7.0]
        assert x.new_tensor([1, 2]).dtype == lib.float64
        assert x.new_zeros(2, dtype=lib.int64).dtype == lib.int64
        assert not x.new_zeros(2).requires_grad and x.new_ones(2, requires_grad=True).requires_grad
        assert x.nelement() == 2 and lib.zeros(3, 4).nelement() == 12


def test_randperm_and_randint_forms():
    mg.manual_seed(1)
    p = mg.randperm(10)
    assert p.dtype == mg.int64 and sorted(p.tolist()) == list(range(10))
    assert mg.randperm(0).shape == (0,)
    for r in (mg.randint(5, size=(300,)), mg.randint(2, 5, size=(300,)), mg.randint(low=2, high=5, size=(300,)),
              mg.randint(2, 5, (300,))):
        assert r.shape == (300,) and r.dtype == mg.int64 and 0 <= r.min().item() and r.max().item() < 5
    assert mg.randint(2, 5, size=(300,)).min().item() == 2
    with pytest.raises(RuntimeError, match="low < high"):
        mg.randint(5, 5, size=(2,))
    with pytest.raises(TypeError, match="randint"):
        mg.randint(5)


def test_nonzero_as_pytorch(torch, rng):
    a = (rng.standard_normal((3, 4)) > 0.3).astype(np.int64)
    assert mg.tensor(a).nonzero().tolist() == torch.tensor(a).nonzero().tolist()
    assert [t.tolist() for t in mg.nonzero(mg.tensor(a), as_tuple=True)] == [t.tolist() for t in torch.nonzero(torch.tensor(a), as_tuple=True)]
    assert mg.tensor([0.0, 2.0, 0.0]).nonzero().shape == (1, 1)


def test_scatter_and_index_fill_in_place_as_pytorch(torch, rng):
    src = rng.standard_normal((2, 5))
    idx = [[0, 3, 1], [2, 2, 4]]
    for call in (lambda lib, z: z.scatter_(1, lib.tensor(idx), lib.tensor(src)),
                 lambda lib, z: z.scatter_(1, lib.tensor([[1], [3]]), 1.0),
                 lambda lib, z: z.scatter_(0, lib.tensor([[1, 0, 2, 0, 1]]), lib.tensor(src), reduce="add"),
                 lambda lib, z: z.index_fill_(1, lib.tensor([0, 4]), -2.0),
                 lambda lib, z: z.index_fill_(0, lib.tensor(2), 3.0)):
        m, t = mg.zeros(3, 5, dtype=mg.float64), torch.zeros(3, 5, dtype=torch.float64)
        assert call(mg, m) is m and call(torch, t) is t
        assert_close(m, t, rtol=0, atol=0)
    one_hot = mg.zeros(4, 3).scatter_(1, mg.tensor([2, 0, 1, 2]).view(-1, 1), 1)
    assert one_hot.tolist() == np.eye(3)[[2, 0, 1, 2]].tolist()
    with pytest.raises(RuntimeError, match=r"scatter_: index 3 is out of range for dimension 1 of size 3"):
        mg.zeros(2, 3).scatter_(1, mg.tensor([[3]]), 1.0).tolist()  # on a GPU reported by the copy to the host
    with pytest.raises(RuntimeError, match="does not fit"):
        mg.zeros(2, 3).scatter_(1, mg.tensor([[0, 1]]), mg.ones(1, 1))
    with pytest.raises(RuntimeError, match="in-place"):
        mg.zeros(2, 3, requires_grad=True).scatter_(1, mg.tensor([[0]]), 1.0)


def test_uniform_normal_and_masked_fill_in_place(torch):
    mg.manual_seed(3)
    w = mg.empty(1000).uniform_(-0.1, 0.1)
    assert -0.1 <= w.min().item() and w.max().item() < 0.1 and abs(w.mean().item()) < 0.01
    n = mg.empty(4000, dtype=mg.float64).normal_(2.0, 0.5)
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    for lib in (mg, torch):
        with pytest.raises(RuntimeError):
            lib.zeros(2, dtype=lib.int64).uniform_()
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        x.masked_fill_(x > 2, 0.0)
        assert x.tolist() == [[1.0, 2.0], [0.0, 0.0]]


def test_uint8_and_the_dtype_aliases(torch):
    for lib in (mg, torch):
        b = lib.tensor([250, 3], dtype=lib.uint8)
        assert (b + 10).tolist() == [4, 13] and (b + 10).dtype == lib.uint8  # wraps around, as in C
        assert (b + lib.tensor([1, 1])).dtype == lib.int64 and lib.tensor([1.0]).byte().dtype == lib.uint8
        assert lib.half == lib.float16 and lib.int == lib.int32 and lib.short == lib.int16


def test_index_and_mm_methods(torch, rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    assert_close(mg.tensor(a).mm(mg.tensor(b)), torch.tensor(a).mm(torch.tensor(b)), rtol=1e-12, atol=1e-12)
    x = mg.tensor([1, 2, 3])
    assert x.eq(2).tolist() == [False, True, False] and x.ne(2).tolist() == [True, False, True]


# ------------------------------------------------------------------ nn
def test_loss_modules_match_the_functions_and_pytorch(torch, rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    pairs = [(lambda lib: lib.nn.SmoothL1Loss(beta=0.5)(lib.tensor(x), lib.tensor(y)), None),
             (lambda lib: lib.nn.HuberLoss(reduction="sum", delta=2.0)(lib.tensor(x), lib.tensor(y)), None),
             (lambda lib: lib.nn.KLDivLoss(reduction="batchmean")(lib.log_softmax(lib.tensor(x), 1), lib.softmax(lib.tensor(y), 1)), None),
             (lambda lib: lib.nn.KLDivLoss(reduction="sum", log_target=True)(lib.tensor(x), lib.tensor(y)), None)]
    for f, _ in pairs:
        assert_close(f(mg), f(torch), rtol=1e-12, atol=1e-12)
    with pytest.warns(UserWarning, match="batchmean"):
        mg.nn.KLDivLoss()(mg.tensor(x), mg.tensor(y))
    with pytest.raises(ValueError, match="reduction"):
        mg.nn.KLDivLoss(reduction="avg")
    with pytest.raises(RuntimeError, match="negative values for beta"):
        mg.nn.functional.smooth_l1_loss(mg.tensor(x), mg.tensor(y), beta=-1.0)


def test_pad_modes_other_than_constant_say_so():
    with pytest.raises(NotImplementedError, match=r"pad: mode 'reflect' is not supported.*compatibility.md"):
        mg.nn.functional.pad(mg.ones(2, 3), (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="even number"):
        mg.nn.functional.pad(mg.ones(2, 3), (1,))
    with pytest.raises(RuntimeError, match="crop more"):
        mg.nn.functional.pad(mg.ones(2, 3), (-2, -2))


def test_flatten_parameters_is_accepted_on_every_recurrent_layer():
    for layer in (mg.nn.RNN(2, 3), mg.nn.LSTM(2, 3), mg.nn.GRU(2, 3)):
        before = [p.tolist() for p in layer.parameters()]
        assert layer.flatten_parameters() is None
        assert [p.tolist() for p in layer.parameters()] == before


PATHS = [("nn.modules.module", "Module"), ("nn.modules.container", "Sequential"), ("nn.modules.linear", "Linear"),
         ("nn.modules.sparse", "Embedding"), ("nn.modules.rnn", "LSTM"), ("nn.modules.activation", "MultiheadAttention"),
         ("nn.modules.activation", "ReLU"), ("nn.modules.loss", "CrossEntropyLoss"),
         ("nn.modules.transformer", "TransformerEncoderLayer"), ("nn.modules.dropout", "Dropout"),
         ("nn.modules.normalization", "LayerNorm"), ("nn.modules", "Linear"), ("nn.parameter", "Parameter"),
         ("utils.data.dataloader", "DataLoader"), ("utils.data.dataloader", "default_collate"),
         ("utils.data.dataset", "TensorDataset"), ("utils.data.sampler", "RandomSampler"), ("utils.data.sampler", "BatchSampler")]


@pytest.mark.parametrize("path,name", PATHS, ids=[f"{p}.{n}" for p, n in PATHS])
def test_pytorch_import_paths(torch, path, name):
    assert hasattr(importlib.import_module(f"torch.{path}"), name)  # the path is PyTorch's
    public = mg.nn if path.startswith("nn") else mg.utils.data  # where minigrad's users meet the same object
    assert getattr(importlib.import_module(f"minigrad.{path}"), name) is getattr(public, name)


def test_custom_losses_subclass_the_loss_base_class():
    from minigrad.nn.modules.loss import _Loss

    class Scaled(_Loss):
        def forward(self, x, y):
            return mg.nn.functional.mse_loss(x, y, self.reduction) * 2

    assert Scaled(reduction="sum")(mg.ones(2), mg.zeros(2)).item() == 4.0


# ------------------------------------------------------------------ data
def test_samplers_as_pytorch(torch):
    data = list(range(10))
    for lib in (mg, torch):
        d = lib.utils.data
        assert list(d.SequentialSampler(data)) == data
        assert list(d.BatchSampler(d.SequentialSampler(data), 4, drop_last=False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        assert len(d.BatchSampler(range(10), 4, drop_last=True)) == 2
        assert sorted(d.RandomSampler(data)) == data
        r = list(d.RandomSampler(data, replacement=True, num_samples=25))
        assert len(r) == 25 and set(r) <= set(data)
        chained = list(d.RandomSampler(data, num_samples=15))  # more than the data: permutations one after another
        assert sorted(chained[:10]) == data and len(chained) == 15 and len(set(chained[10:])) == 5
        with pytest.raises(ValueError):
            d.BatchSampler(range(3), 0, False)
    g = mg.Generator().manual_seed(2)
    assert list(mg.utils.data.RandomSampler(data, generator=g)) != list(mg.utils.data.RandomSampler(data, generator=g))
    assert list(mg.utils.data.RandomSampler(data, generator=mg.Generator().manual_seed(7))) == \
        list(mg.utils.data.RandomSampler(data, generator=mg.Generator().manual_seed(7)))


def test_dataloader_keyword_arguments_as_pytorch(torch):
    for lib in (mg, torch):
        d = lib.utils.data
        ds = d.TensorDataset(lib.arange(10), lib.arange(10) * 2)
        dl = d.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True, drop_last=True, persistent_workers=False)
        assert [b[0].tolist() for b in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dl) == 2
        dl = d.DataLoader(ds, batch_size=3, sampler=d.SequentialSampler(range(7)))
        assert [b[0].tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]]
        dl = d.DataLoader(ds, batch_sampler=[[9, 0], [5]])
        assert [b[1].tolist() for b in dl] == [[18, 0], [10]]
        dl = d.DataLoader(ds, batch_size=5, collate_fn=lambda batch: sum(int(x) for x, _ in batch))
        assert list(dl) == [10, 35]
        assert [int(x) for x, _ in d.DataLoader(ds, batch_size=None)][:3] == [0, 1, 2]
        for bad in (dict(sampler=range(3), shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
                    dict(batch_sampler=[[0]], drop_last=True), dict(num_workers=-1)):
            with pytest.raises(ValueError):
                d.DataLoader(ds, **bad)


# ------------------------------------------------------------------ runtime
def test_cuda_manual_seed_all_reseeds_every_stream():
    mg.cuda.manual_seed_all(11)
    a = mg.randn(3).tolist()
    mg.cuda.manual_seed(11)
    assert mg.randn(3).tolist() == a


def test_onnx_export_says_it_is_not_supported():
    with pytest.raises(NotImplementedError, match=r"onnx.export: exporting to ONNX is not supported.*compatibility.md"):
        mg.onnx.export(mg.nn.Linear(2, 2), mg.ones(1, 2), "model.onnx")


# ------------------------------------------------------------------ what is left out
NAMESPACE_OBJECTS = {"minigrad": lambda: mg, "minigrad.nn": lambda: mg.nn, "minigrad.nn.functional": lambda: mg.nn.functional,
                     "minigrad.optim": lambda: mg.optim, "minigrad.utils.data": lambda: mg.utils.data, "Tensor": lambda: mg.ones(1)}
MISSING = [(ns, name) for ns, names in compat.UNSUPPORTED.items() for name in names]


@pytest.mark.parametrize("namespace,name", MISSING, ids=[f"{ns}.{n}" for ns, n in MISSING])
def test_a_missing_api_names_itself_and_the_page(namespace, name):
    obj = NAMESPACE_OBJECTS[namespace]()
    with pytest.raises(compat.UnsupportedError) as e:
        getattr(obj, name)
    assert f"{namespace}.{name}" in str(e.value) and "docs/compatibility.md" in str(e.value)
    assert not hasattr(obj, name)  # still an AttributeError, so feature tests keep working
    page = (ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
    assert re.search(rf"`(?:[\w.]+\.)?{re.escape(name)}`", page), f"{name} is not in the table of docs/compatibility.md"


def test_the_missing_names_are_pytorch_names(torch):
    where = {"minigrad": torch, "minigrad.nn": torch.nn, "minigrad.nn.functional": torch.nn.functional,
             "minigrad.optim": torch.optim, "minigrad.utils.data": torch.utils.data, "Tensor": torch.Tensor}
    for namespace, name in MISSING:
        assert hasattr(where[namespace], name), f"{namespace}.{name} is not a PyTorch name"


def test_unknown_names_still_give_the_plain_error():
    with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'") as e:
        mg.no_such_thing  # noqa: B018
    assert not isinstance(e.value, compat.UnsupportedError)
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'no_such_method'"):
        mg.ones(1).no_such_method  # noqa: B018


def test_every_supported_api_of_the_issue_exists():
    """The list of issue #13: present in minigrad (their behaviour is tested above and in op_cases.py)."""
    for name in ("topk", "multinomial", "randperm", "nonzero", "flip", "narrow", "randint", "uint8", "LongTensor", "FloatTensor"):
        assert hasattr(mg, name), name
    for name in ("topk", "multinomial", "type", "narrow", "new_zeros", "new_ones", "new_full", "new_tensor", "mm",
                 "nelement", "flip", "nonzero", "scatter_", "index_fill_", "__format__", "data"):
        assert hasattr(mg.Tensor, name), name
    assert all(hasattr(mg.nn, n) for n in ("KLDivLoss", "SmoothL1Loss", "modules"))
    assert all(hasattr(mg.nn.functional, n) for n in ("pad", "kl_div", "smooth_l1_loss"))
    assert hasattr(mg.optim, "LBFGS") and hasattr(mg.cuda, "manual_seed_all") and hasattr(mg.onnx, "export")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.nn.functional.kl_div(mg.zeros(2, 2), mg.ones(2, 2) / 2, reduction="batchmean")  # no warning here


def test_floor_division_and_remainder_of_integers_as_pytorch(torch):
    for lib in (mg, torch):
        a, b = lib.tensor([7, -7, 7, -7]), lib.tensor([2, 2, -2, -2])
        assert (a // b).tolist() == [3, -4, -4, 3] and (a % b).tolist() == [1, 1, -1, -1]
        assert (a % 3).dtype == lib.int64 and (7.5 // lib.tensor([2.0])).tolist() == [3.0]
    with pytest.raises(RuntimeError, match="floor_divide: integer division by zero"):  # PyTorch's kind
        (mg.tensor([1]) // 0).tolist()  # on a GPU reported by the copy to the host


def test_normal_equal_allclose_and_friends_as_pytorch(torch):
    mg.manual_seed(0)
    z = mg.normal(2.0, 0.5, size=(4000,))
    assert z.dtype == mg.float32 and abs(z.mean().item() - 2.0) < 0.05 and abs(z.std().item() - 0.5) < 0.05
    e = mg.normal(mg.tensor([0.0, 100.0], dtype=mg.float64), mg.tensor([1e-9, 1e-9], dtype=mg.float64))
    assert e.dtype == mg.float64 and abs(e - mg.tensor([0.0, 100.0], dtype=mg.float64)).max().item() < 1e-6
    with pytest.raises(RuntimeError, match="std >= 0"):
        mg.normal(0.0, -1.0, size=(2,))
    for lib in (mg, torch):
        a = lib.tensor([1.0, 2.0])
        assert lib.equal(a, a.clone()) and not lib.equal(a, lib.tensor([1.0, 2.0, 3.0])) and not lib.equal(a, a + 1)
        assert lib.allclose(a, a + 1e-9) and not lib.allclose(a, a + 1e-3)
        assert lib.is_tensor(a) and not lib.is_tensor([1.0]) and lib.numel(lib.ones(2, 3)) == 6


def test_backends_switches_are_accepted():
    mg.backends.cudnn.deterministic = True
    mg.backends.cudnn.benchmark = False
    mg.backends.cuda.matmul.allow_tf32 = True
    assert mg.backends.mps.is_available() is False


def test_random_sampler_draws_lazily():
    it = iter(mg.utils.data.RandomSampler(range(5), replacement=True, num_samples=int(1e10)))  # as minGPT's trainer
    assert all(0 <= next(it) < 5 for _ in range(10000))


def test_axis_is_an_alias_of_dim_and_uint8_indices_are_refused(torch):
    for lib in (mg, torch):
        y = lib.tensor([[0.1, 0.9], [0.8, 0.2]])
        assert y.argmax(axis=1).tolist() == [1, 0] and y.sum(axis=0).tolist() == y.sum(0).tolist()
        assert y.mean(axis=1).tolist() == y.mean(1).tolist() and y.argmin(axis=0).tolist() == [0, 1]
    with pytest.raises(IndexError, match=r"uint8.*\.bool\(\)"):
        mg.ones(3)[mg.tensor([1, 0, 1], dtype=mg.uint8)]


def test_old_variable_wrapper_returns_the_tensor(torch):
    from minigrad.autograd import Variable

    x = mg.ones(2)
    assert Variable(x) is x and not x.requires_grad
    assert Variable(x, requires_grad=True) is x and x.requires_grad
    assert torch.autograd.Variable(torch.ones(2), requires_grad=True).requires_grad  # PyTorch's behaves alike


def test_mixed_precision_is_accepted_only_when_disabled(torch):
    w = mg.nn.Parameter(mg.ones(2))
    opt = mg.optim.SGD([w], lr=0.5)
    for scaler in (mg.cuda.amp.GradScaler(enabled=False), mg.amp.GradScaler("cpu", enabled=False)):
        with mg.autocast(device_type="cpu", enabled=False):
            loss = (w * w).sum()
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
    assert w.tolist() == [0.0, 0.0]  # two plain SGD steps: 1 - 0.5 * 2 = 0, then 0
    with mg.amp.autocast("cpu", dtype=mg.float32):
        pass
    with pytest.raises(compat.UnsupportedError, match="mixed precision"):
        mg.cuda.amp.GradScaler()
    with pytest.raises(compat.UnsupportedError, match="mixed precision"):
        with mg.autocast("cpu", dtype=mg.float16):
            pass
    assert not torch.amp.GradScaler("cpu", enabled=False).is_enabled()  # PyTorch accepts the same calls


def test_the_legacy_tensor_constructor_as_pytorch(torch):
    for lib in (mg, torch):
        t = lib.Tensor([1, 2])
        assert t.dtype == lib.float32 and t.tolist() == [1.0, 2.0]
        assert lib.Tensor(2, 3).shape == (2, 3) and lib.Tensor((4,)).tolist() == [4.0] and lib.Tensor().shape == (0,)
        assert lib.LongTensor(2).shape == (2,) and lib.LongTensor((2, 5)).tolist() == [2, 5]
        w = lib.nn.Parameter(lib.Tensor(3, 2))
        lib.nn.init.kaiming_uniform_(w, a=5 ** 0.5)
        assert w.requires_grad and w.shape == (3, 2)
    mg.set_default_dtype(mg.float64)
    assert mg.Tensor([1]).dtype == mg.float64


def test_repeat_interleave_of_lengths_as_d2l_masks_do(torch):
    for lib in (mg, torch):
        valid = lib.tensor([2, 3])
        assert lib.repeat_interleave(valid, 2).tolist() == [2, 2, 3, 3]  # d2l's masked_softmax
        assert lib.tensor([1, 2, 3]).cumsum(0).dtype == lib.int64 and lib.tensor([True, True]).cumsum(0).tolist() == [1, 2]
        assert lib.ones(2, 3).repeat(2, 1).shape == (4, 3) and lib.tensor(5.0).repeat(3).tolist() == [5.0, 5.0, 5.0]
        assert lib.tensor([[1, 2], [3, 4]]).index_select(0, lib.tensor(1)).tolist() == [[3, 4]]
    with pytest.raises(RuntimeError, match="repeats must be one count or 2 counts"):
        mg.repeat_interleave(mg.ones(2), mg.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match="can not be smaller"):
        mg.ones(2, 3).repeat(2)
