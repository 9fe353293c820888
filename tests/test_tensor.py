"""The Tensor surface: creation, dtypes, devices, conversions, operators, in-place updates."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

import minigrad as mg
from minigrad.testing import assert_close, simulated_cuda


def test_tensor_infers_dtype_like_pytorch():
    assert mg.tensor([1.0, 2.0]).dtype == mg.float32
    assert mg.tensor([1, 2]).dtype == mg.int64
    assert mg.tensor([True, False]).dtype == mg.bool
    assert mg.tensor(np.zeros(2)).dtype == mg.float64  # arrays keep their dtype
    assert mg.tensor([1, 2], dtype=mg.float64).dtype == mg.float64
    assert mg.tensor(3.5).shape == ()


def test_tensor_copies_its_data_but_from_numpy_shares_it():
    a = np.zeros(3)
    t = mg.tensor(a)
    a[0] = 1
    assert t.tolist() == [0, 0, 0]
    s = mg.from_numpy(a)
    a[1] = 2
    assert s.tolist() == [1, 2, 0]


def test_tensor_from_a_list_of_tensors():
    t = mg.tensor([mg.tensor(1.0), mg.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0]


def test_set_default_dtype():
    mg.set_default_dtype(mg.float64)
    assert mg.tensor([1.0]).dtype == mg.float64
    assert mg.zeros(2).dtype == mg.float64
    assert mg.randn(2).dtype == mg.float64
    assert mg.get_default_dtype() == mg.float64
    with pytest.raises(TypeError, match="expected torch.float32 or torch.float64, got torch.int64"):
        mg.set_default_dtype(mg.int64)


def test_factories():
    assert mg.zeros(2, 3).tolist() == [[0, 0, 0], [0, 0, 0]]
    assert mg.ones((2,)).tolist() == [1, 1]
    assert mg.full((2,), 7).dtype == mg.int64
    assert mg.full((2,), 0.5).tolist() == [0.5, 0.5]
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(5).dtype == mg.int64
    assert_close(mg.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75])
    assert_close(mg.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1])
    assert mg.eye(2).tolist() == [[1, 0], [0, 1]]
    assert mg.eye(2, 3).shape == (2, 3)
    x = mg.ones(2, 3, dtype=mg.float64)
    assert mg.zeros_like(x).dtype == mg.float64 and mg.ones_like(x).shape == (2, 3)
    assert mg.empty(4).shape == (4,)
    assert mg.zeros(2, requires_grad=True).requires_grad


def test_random_factories_ranges():
    mg.manual_seed(0)
    u = mg.rand(1000)
    assert 0 <= u.min().item() and u.max().item() < 1
    n = mg.randn(10000, dtype=mg.float64)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    r = mg.randint(3, 7, (1000,))
    assert r.dtype == mg.int64 and r.min().item() == 3 and r.max().item() == 6
    assert mg.randint(5, (2, 2)).shape == (2, 2)


def test_manual_seed_gives_reproducible_streams():
    mg.manual_seed(42)
    a = [mg.randn(3).tolist(), mg.rand(2).tolist(), mg.randint(10, (4,)).tolist()]
    mg.manual_seed(42)
    b = [mg.randn(3).tolist(), mg.rand(2).tolist(), mg.randint(10, (4,)).tolist()]
    assert a == b
    mg.manual_seed(43)
    assert mg.randn(3).tolist() != a[0]


def test_manual_seed_is_reproducible_across_processes():
    code = "import minigrad as mg; mg.manual_seed(7); print(mg.randn(3).tolist())"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    assert len(outs) == 1


def test_attributes():
    mg.set_default_device("cpu")  # about host tensors, also when the suite runs on a GPU
    x = mg.zeros(2, 3)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size() == (2, 3) and x.size(-1) == 3
    assert x.dim() == 2 and x.numel() == 6
    assert x.device == "cpu" and str(x.device) == "cpu"
    assert x.T.shape == (3, 2)
    assert not x.requires_grad and x.grad is None and x.is_leaf


def test_conversions():
    mg.set_default_device("cpu")  # about host tensors, also when the suite runs on a GPU
    x = mg.tensor([[1.5, 2.0]])
    assert x.tolist() == [[1.5, 2.0]]
    assert mg.tensor([3.0]).item() == 3.0
    assert isinstance(x.numpy(), np.ndarray)
    assert x.double().dtype == mg.float64 and x.long().tolist() == [[1, 2]]
    assert x.to(mg.float64).dtype == mg.float64 and x.to("cpu") is x
    assert float(mg.tensor(2.5)) == 2.5 and int(mg.tensor(3)) == 3
    assert np.asarray(mg.ones(2, requires_grad=True)).tolist() == [1, 1]
    with pytest.raises(RuntimeError, match=r"use tensor.detach\(\).numpy\(\)"):
        mg.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match=r"item: only one-element tensors.*\[1, 2\]"):
        x.item()


def test_clone_is_a_copy_in_the_graph_and_detach_shares_data():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    d = x.detach()
    with mg.no_grad():
        d[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


def test_cast_to_int_drops_the_graph():
    x = mg.tensor([1.7], requires_grad=True)
    assert not x.long().requires_grad


def test_python_operators_and_reflections():
    x = mg.tensor([1.0, 2.0, 4.0])
    assert (x + 1).tolist() == [2, 3, 5]
    assert (1 + x).tolist() == [2, 3, 5]
    assert (10 - x).tolist() == [9, 8, 6]
    assert (2 * x).tolist() == [2, 4, 8]
    assert (4 / x).tolist() == [4, 2, 1]
    assert (x**2).tolist() == [1, 4, 16]
    assert (2**x).tolist() == [2, 4, 16]
    assert (-x).tolist() == [-1, -2, -4]
    assert (np.ones(3) + x).dtype == mg.float64  # numpy defers to Tensor.__radd__
    m = mg.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert (m @ mg.tensor([1.0, 1.0])).tolist() == [1, 2]


def test_shared_scalar_constants_keep_type_and_sign():
    i, f = mg.tensor([3]), mg.tensor([3.0])
    # 2 and 2.0 are equal dict keys, but i * 2 stays int64 and i * 2.0 becomes float32
    assert (i * 2).dtype == mg.int64 and (i * 2.0).dtype == mg.float32 and (i * 2).dtype == mg.int64
    assert (f * 2).dtype == mg.float32 and (f.double() * 2).dtype == mg.float64
    # 0.0 and -0.0 are equal keys too, but give zeros of opposite sign
    assert np.signbit((f * 0.0).cpu().numpy()).tolist() == [False]
    assert np.signbit((f * -0.0).cpu().numpy()).tolist() == [True]
    assert np.signbit((f * 0.0).cpu().numpy()).tolist() == [False]


def test_comparisons_return_bool_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert r.dtype == mg.bool and not r.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]


def test_type_promotion_follows_pytorch():
    i = mg.tensor([1, 2])
    f = mg.tensor([0.5, 0.5])
    assert (i + f).dtype == mg.float32  # NumPy alone would give float64
    assert (i * 1.5).dtype == mg.float32
    assert (f + 1).dtype == mg.float32
    assert (i + 1).dtype == mg.int64
    assert (i / 2).dtype == mg.float32
    assert (f.double() + f).dtype == mg.float64


def test_inplace_operators_on_plain_tensors():
    x = mg.tensor([1.0, 2.0])
    x += 1
    x *= mg.tensor([2.0, 3.0])
    x -= 1
    x /= 2
    assert x.tolist() == [1.5, 4.0]
    x.add_(1, alpha=2).mul_(2)
    assert x.tolist() == [7.0, 12.0]
    x.zero_()
    assert x.tolist() == [0, 0]
    x.fill_(3).clamp_(max=2)
    assert x.tolist() == [2, 2]
    x.copy_(mg.tensor([5, 6]))
    assert x.tolist() == [5.0, 6.0] and x.dtype == mg.float32
    x[0] = 9
    assert x.tolist() == [9.0, 6.0]


def test_inplace_errors_name_the_shapes():
    x = mg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"add_: an operand of shape \(4,\) does not broadcast to the tensor's shape torch\.Size\(\[2, 3\]\)"):
        x += mg.ones(4)
    i = mg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="mul_: the result type torch.float32 .*dtype torch.int64"):
        i *= 1.5


def test_repr_looks_like_pytorch():
    mg.set_default_device("cpu")  # about host tensors, also when the suite runs on a GPU
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(mg.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(mg.tensor([1.0], dtype=mg.float64)) == "tensor([1.], dtype=torch.float64)"
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"
    assert "grad_fn=<MulBackward0>" in repr(mg.tensor([1.0], requires_grad=True) * 2)


def test_len_iter_bool():
    x = mg.tensor([[1, 2], [3, 4]])
    assert len(x) == 2
    assert [r.tolist() for r in x] == [[1, 2], [3, 4]]
    assert bool(mg.tensor([1]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_argmax_argmin_one_hot():
    x = mg.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    assert x.argmax().item() == 3
    assert x.argmax(dim=1).tolist() == [1, 0]  # first of tied maxima, as PyTorch
    assert x.argmin(dim=0, keepdim=True).tolist() == [[0, 1, 0]]
    v, i = x.max(dim=1)
    assert v.tolist() == [5.0, 7.0] and i.tolist() == [1, 0]
    oh = mg.one_hot(mg.tensor([0, 2, 1]), num_classes=4)
    assert oh.dtype == mg.int64 and oh.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert mg.one_hot(mg.tensor([1, 3])).shape == (2, 4)


def test_amax_ties_share_the_gradient_as_pytorch():
    x = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.amax().backward()
    assert x.grad.tolist() == [0, 0.5, 0.5]
    y = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    y.max(dim=0).values.backward()
    assert y.grad.tolist() == [0, 1, 0]  # max(dim) sends it to the returned index


def test_softmax_and_logsumexp_are_stable_for_huge_inputs():
    x = mg.tensor([1e4, 0.0, -1e4], dtype=mg.float64, requires_grad=True)
    assert np.isfinite(mg.softmax(x, 0).detach().cpu().numpy()).all()
    ls = mg.log_softmax(x, 0).detach().cpu().numpy()
    assert ls[0] == 0.0 and ls[2] == -2e4
    assert mg.logsumexp(x, 0).item() == 1e4
    neg_inf = mg.tensor([-np.inf, -np.inf])
    assert mg.logsumexp(neg_inf, 0).item() == -np.inf


def test_default_device_and_environment_variable():
    mg.set_default_device("cpu")
    assert mg.zeros(1).device == "cpu"
    env = dict(os.environ, MINIGRAD_DEVICE="cpu")
    out = subprocess.run([sys.executable, "-c", "import minigrad as mg; print(mg.zeros(1).device)"], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "cpu"
    env["MINIGRAD_DEVICE"] = "tpu"
    out = subprocess.run([sys.executable, "-c", "import minigrad"], env=env, capture_output=True, text=True)
    assert "MINIGRAD_DEVICE='tpu' is not a device" in out.stderr


@pytest.fixture
def restore_threads():
    yield
    mg.set_num_threads(None)


def test_num_threads_setting_and_environment_variable(restore_threads, monkeypatch):
    mg.set_num_threads(3)
    assert mg.get_num_threads() == 3
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"set_num_threads: expected a positive integer or None, got"):
            mg.set_num_threads(bad)
    mg.set_num_threads(None)
    monkeypatch.setenv("MINIGRAD_NUM_THREADS", "5")
    assert mg.get_num_threads() == 5
    for bad in ("0", "two"):
        monkeypatch.setenv("MINIGRAD_NUM_THREADS", bad)
        with pytest.raises(ValueError, match=f"MINIGRAD_NUM_THREADS must be a positive integer, got '{bad}'"):
            mg.get_num_threads()
    monkeypatch.delenv("MINIGRAD_NUM_THREADS")
    assert mg.get_num_threads() >= 1


def test_parallel_slices_cover_the_range_once_at_the_same_time(restore_threads):
    mg.set_num_threads(3)
    together = threading.Barrier(3, timeout=10)  # broken (an error) unless all three slices run at once
    seen, blas = [], []
    info = ThreadpoolController().select(user_api="blas")

    def fn(part):
        seen.append(part)
        blas.append([lib["num_threads"] for lib in info.info()])
        together.wait()

    before = [lib["num_threads"] for lib in info.info()]
    mg.backend.parallel_slices(np, 7, fn)
    assert sorted((s.start, s.stop) for s in seen) == [(0, 2), (2, 4), (4, 7)]
    assert all(n == [1] * len(before) for n in blas)  # BLAS on one thread per slice
    assert [lib["num_threads"] for lib in info.info()] == before  # and as it was afterwards
    seen.clear()
    mg.backend.parallel_slices(np, 2, lambda part: seen.append(part))  # fewer items than threads
    assert sorted((s.start, s.stop) for s in seen) == [(0, 1), (1, 2)]


def test_parallel_slices_raise_a_slices_error_after_all_have_run(restore_threads):
    mg.set_num_threads(2)
    done = []

    def fn(part):
        if part.start == 0:
            raise KeyError("first slice")
        time.sleep(0.05)
        done.append(part)

    with pytest.raises(KeyError, match="first slice"):
        mg.backend.parallel_slices(np, 4, fn)
    assert done == [slice(2, 4)]


def test_parallel_slices_on_a_gpu_make_one_call_on_the_calling_thread(restore_threads):
    mg.set_num_threads(4)
    calls = []
    with simulated_cuda():
        xp = mg.backend.cupy_module()
        mg.backend.parallel_slices(xp, 10, lambda part: calls.append((part, threading.get_ident())))
    assert calls == [(slice(0, 10), threading.get_ident())]


def test_device_objects():
    assert mg.device("cuda") == "cuda:0"
    assert mg.device("cuda:1").index == 1
    assert mg.device("cpu") == mg.device("cpu")
    assert repr(mg.device("cuda:1")) == "device(type='cuda', index=1)"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.device("tpu")


@pytest.mark.skipif(mg.cuda_is_available(), reason="checks the message shown when CUDA is missing")
def test_cuda_without_cupy_or_gpu_says_what_to_install():
    with pytest.raises(RuntimeError, match=r"pip install 'minigrad\[gpu-cuda12\]'|no usable GPU|no GPU"):
        mg.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="cuda"):
        mg.set_default_device("cuda")
    assert not mg.cuda.is_available()


@pytest.mark.gpu
def test_cuda_round_trip_and_gradient():
    mg.set_default_device("cpu")  # about host tensors, also when the suite runs on a GPU
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.device == "cuda:0" and y.is_cuda
    (y * y).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [2.0, 4.0]
    mg.manual_seed(3)
    a = mg.randn(4, device="cuda").tolist()
    mg.manual_seed(3)
    assert mg.randn(4, device="cuda").tolist() == a


def test_data_is_a_tensor_sharing_memory_without_history():
    torch = pytest.importorskip("torch")
    for lib in (mg, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (w * w).sum()
        d = w.data
        assert isinstance(d, lib.Tensor) and not d.requires_grad and d.grad_fn is None
        d.add_(lib.tensor([1.0, 1.0, 1.0]), alpha=-0.5)  # the classic hand-written SGD step
        assert w.tolist() == [0.5, 1.5, 2.5]
        y.backward()  # hidden from autograd, as in PyTorch: no version error, the new values are used
        assert w.grad.tolist() == [1.0, 3.0, 5.0]
        assert y.data.item() == 14.0


def test_data_assignment_replaces_the_memory():
    torch = pytest.importorskip("torch")
    for lib in (mg, torch):
        w = lib.zeros(2, requires_grad=True)
        w.data = lib.ones(3)
        assert w.shape == (3,) and w.requires_grad and w.tolist() == [1.0, 1.0, 1.0]
    w = mg.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="data: expected a Tensor"):
        w.data = np.ones(2)
    with pytest.raises(RuntimeError, match="int64 tensor to .data"):
        w.data = mg.ones(2, dtype=mg.int64)
