"""Printed tensors and shapes read like PyTorch's (issue #27): a student compares their output with the book's."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


def _cases(L):
    yield L.tensor([1.0, 2.5, -3.0])
    yield L.tensor([[1.0, 2.0], [3.0, 4.0]])
    yield L.tensor([0.1, 0.25, 1e-5])
    yield L.tensor([1e10, 1.0])
    yield L.tensor([1.0, 2.0], dtype=L.float64)
    yield L.tensor([1, 2, 3])
    yield L.tensor([1, 2], dtype=L.int32)
    yield L.tensor([True, False])
    yield L.tensor(3.5)
    yield L.tensor(3)
    yield L.tensor([1.0, 2.0], requires_grad=True)
    yield L.tensor([1.0, 2.0], requires_grad=True) * 2
    yield L.tensor([[1.0, 2.0]], requires_grad=True).sum()
    yield L.arange(2000.0)
    yield L.arange(2000).reshape(40, 50)
    yield L.arange(3000.0, dtype=L.float64).reshape(10, 3, 100) / 7
    yield L.zeros(0)
    yield L.zeros(2, 0)
    yield L.zeros(0, dtype=L.int64)
    yield L.tensor([float("nan"), float("inf"), -1.0])
    yield L.tensor([float("nan"), 2.0])
    yield L.tensor([1.123456789, 2.0])
    yield L.tensor([123456.0, 0.001])
    yield L.tensor([-0.0, 0.0])
    yield L.tensor(2.0, dtype=L.float64)
    yield L.tensor([[1.5]], dtype=L.float64, requires_grad=True)
    yield L.ones(2, 3, 4) / 3
    yield L.ones(30, 2) * L.arange(30.0).reshape(30, 1)
    # the nodes course output prints most: a classification loss, a layer norm
    yield L.nn.functional.cross_entropy(L.tensor([[1.0, 2.0], [0.5, 0.1]], requires_grad=True), L.tensor([1, 0]))
    yield L.nn.LayerNorm(2)(L.tensor([[1.0, 2.0], [2.0, 3.0]]))
    yield L.tensor([1.0, 2.0], requires_grad=True).double()
    # the other dtypes, 0-d and empty ones, and the nodes a course prints (grad_fn names as PyTorch's)
    yield L.tensor([1.0, 2.5], dtype=L.float16)
    yield L.tensor([[1e-3, 5e4]], dtype=L.float16)
    yield L.tensor([1.0, 2.0], dtype=L.float16, requires_grad=True) * 2
    yield L.tensor([[1, 2], [3, 4]], dtype=L.uint8)
    yield L.tensor([-1, 2], dtype=L.int8)
    yield L.tensor([-1, 2], dtype=L.int16)
    yield L.tensor(True)
    yield L.arange(-1500, 1500)
    yield (L.arange(2000) % 3) == 0
    yield L.zeros(0, 3, requires_grad=True)
    yield L.zeros(2, 0, dtype=L.float16)
    yield L.tensor(0.0, requires_grad=True)
    yield L.tensor([1.0, 2.0, 3.0], requires_grad=True).mean()
    yield L.tensor([[1.0, 2.0]], requires_grad=True) @ L.tensor([[1.0], [2.0]])
    yield L.tensor([[1.0, 2.0]], requires_grad=True).t()
    yield L.tensor([[1.0, 2.0]], requires_grad=True)[0]
    yield L.nn.functional.linear(L.tensor([[1.0, 2.0]], requires_grad=True), L.tensor([[1.0, 2.0]]), L.tensor([0.5]))


@pytest.mark.parametrize("i", range(len(list(_cases(mg)))))
def test_repr_matches_pytorch(i):
    ours, theirs = list(_cases(mg))[i], list(_cases(torch))[i]
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def test_random_tensors_print_as_pytorch():
    rng = np.random.default_rng(0)
    for _ in range(300):
        shape = tuple(int(n) for n in rng.integers(0, 14, size=rng.integers(0, 4)))
        kind = rng.integers(0, 5)
        a = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 10)
        if kind == 1:
            a = np.round(a)
        elif kind == 2:
            a = rng.integers(-1000, 1000, size=shape)
        elif kind == 3:
            a = rng.random(shape) > 0.5
        elif kind == 4 and a.size:
            a.reshape(-1)[::3] = np.nan
            a.reshape(-1)[1::5] = np.inf
        if a.dtype.kind == "f":
            a = a.astype([np.float32, np.float64][rng.integers(0, 2)])
        grad = a.dtype.kind == "f" and rng.random() < 0.3
        assert repr(mg.tensor(a, requires_grad=grad)) == repr(torch.tensor(a, requires_grad=grad)), a


def test_shapes_print_as_torch_size():
    x, t = mg.ones(2, 3), torch.ones(2, 3)
    for f in (lambda v: v.shape, lambda v: v.size(), lambda v: v.shape[1:], lambda v: v.shape + (4,), lambda v: v[0, 0].shape):
        assert repr(f(x)) == repr(f(t)) and str(f(x)) == str(f(t))
    assert x.shape == (2, 3) and isinstance(x.shape, tuple) and isinstance(x.shape, mg.Size)
    assert x.shape.numel() == 6 and x.size(1) == 3 and type(x.size(1)) is int
    assert f"{x.shape}" == "torch.Size([2, 3])"


def test_cuda_tensors_name_their_device_as_pytorch():
    from minigrad.testing import simulated_cuda

    with simulated_cuda():
        t = mg.tensor([1.0, 2.0], device="cuda", requires_grad=True) * 2
        assert repr(t) == "tensor([2., 4.], device='cuda:0', grad_fn=<MulBackward0>)"


def test_dtypes_devices_and_gradients_print_as_pytorch():
    names = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
             "float", "double", "half", "long", "int", "short"]
    for name in names:
        ours, theirs = getattr(mg, name), getattr(torch, name)
        assert (str(ours), repr(ours), f"{ours}") == (str(theirs), repr(theirs), f"{theirs}"), name
    assert str(mg.get_default_dtype()) == str(torch.get_default_dtype()) == "torch.float32"
    x, t = mg.tensor([[1.0, 2.0]], requires_grad=True), torch.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()
    (t * t).sum().backward()
    for f in (lambda v: v.grad, lambda v: v.dtype, lambda v: v.device, lambda v: v.shape, lambda v: v.long().dtype,
              lambda v: (v > 1).dtype, lambda v: v.type()):
        assert (str(f(x)), repr(f(x))) == (str(f(t)), repr(f(t)))
    assert f"{x.dtype} on {x.device}" == "torch.float32 on cpu"
