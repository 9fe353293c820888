"""Out-of-range indices raise PyTorch's kind of error on every advanced-index path, on every backend.

NumPy checks the indices of fancy indexing itself; CuPy does not (an out-of-range index wraps around,
``take`` mode "wrap"), so on a GPU minigrad checks them itself (:func:`minigrad.ops.check_index_range`,
reported at the next copy to the host). The simulated CuPy wraps as CuPy does, so the tests on it
exercise minigrad's own check: without it they would read a wrapped-around value and pass silently.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.testing import simulated_cuda


def _mask(lib, dev, values):
    return lib.tensor(values, device=dev)


# each case: (lib, device) -> the result, with an index out of range (or a mask of the wrong shape)
CASES = {
    "getitem tensor": lambda L, d: L.arange(6., device=d).reshape(2, 3)[L.tensor([1, 5], device=d)],
    "getitem list": lambda L, d: L.arange(6., device=d).reshape(2, 3)[:, [0, 3]],
    "getitem negative": lambda L, d: L.arange(6., device=d).reshape(2, 3)[:, L.tensor([-4], device=d)],
    "getitem int and list": lambda L, d: L.arange(24., device=d).reshape(2, 3, 4)[0, :, [1, 9]],
    "getitem two tensors": lambda L, d: L.arange(6., device=d).reshape(2, 3)[L.tensor([0, 1], device=d), L.tensor([2, 3], device=d)],
    "setitem tensor": lambda L, d: L.zeros(2, 3, device=d).__setitem__(L.tensor([2], device=d), 1.0),
    "setitem list": lambda L, d: L.zeros(2, 3, device=d).__setitem__((slice(None), [0, 7]), L.ones(2, 2, device=d)),
    "index_put_ recorded": lambda L, d: (L.ones(3, device=d, requires_grad=True) * 1).__setitem__(L.tensor([3], device=d), 2.0),
    "index_select": lambda L, d: L.arange(6., device=d).reshape(2, 3).index_select(1, L.tensor([0, 3], device=d)),
    "index_select dim 0": lambda L, d: L.arange(6., device=d).reshape(2, 3).index_select(0, L.tensor([2], device=d)),
    "index_select dim 2": lambda L, d: L.zeros(2, 2, 3, device=d).index_select(2, L.tensor([2, 3], device=d)),
    "gather": lambda L, d: L.arange(6., device=d).reshape(2, 3).gather(1, L.tensor([[0], [3]], device=d)),
    "gather negative": lambda L, d: L.arange(3., device=d).gather(0, L.tensor([-1], device=d)),
    "scatter_": lambda L, d: L.zeros(3, device=d).scatter_(0, L.tensor([0, 5], device=d), L.ones(2, device=d)),
    "scatter_ value": lambda L, d: L.zeros(3, device=d).scatter_(0, L.tensor([-1], device=d), 1.0),
    "index_fill_": lambda L, d: L.zeros(3, device=d).index_fill_(0, L.tensor([3], device=d), 1.0),
    "embedding": lambda L, d: L.nn.functional.embedding(L.tensor([0, 3], device=d), L.ones(3, 2, device=d)),
    "embedding negative": lambda L, d: L.nn.functional.embedding(L.tensor([-1], device=d), L.ones(3, 2, device=d)),
    "nn.Embedding": lambda L, d: L.nn.Embedding(3, 2).to(d)(L.tensor([[1, 4]], device=d)),
    "one_hot": lambda L, d: L.nn.functional.one_hot(L.tensor([0, 3], device=d), 3),
    "one_hot negative": lambda L, d: L.nn.functional.one_hot(L.tensor([-1], device=d), 3),
    "cross_entropy": lambda L, d: L.nn.functional.cross_entropy(L.ones(2, 3, device=d), L.tensor([0, 3], device=d)),
    "cross_entropy negative": lambda L, d: L.nn.functional.cross_entropy(L.ones(2, 3, device=d), L.tensor([0, -1], device=d)),
    "nll_loss": lambda L, d: L.nn.functional.nll_loss(L.ones(2, 3, device=d), L.tensor([5, 0], device=d)),
}

MASK_CASES = {
    "getitem mask": lambda L, d: L.arange(6., device=d).reshape(2, 3)[L.tensor([True, False, True], device=d)],
    "setitem mask": lambda L, d: L.zeros(2, 3, device=d).__setitem__(L.tensor([[True, False]], device=d), 1.0),
    "masked_fill": lambda L, d: L.zeros(3, device=d).masked_fill(L.tensor([True, False], device=d), 1.0),
    "masked_fill_": lambda L, d: L.zeros(3, device=d).masked_fill_(L.tensor([True, False], device=d), 1.0),
    "masked_select": lambda L, d: L.zeros(3, device=d).masked_select(L.tensor([True, False], device=d)),
}


def _torch_error(torch, case):
    with pytest.raises(Exception) as info:
        case(torch, "cpu")
    return info.type


@pytest.mark.parametrize("name", list(CASES))
def test_an_out_of_range_index_raises_pytorchs_kind_on_the_cpu_and_on_a_gpu(name):
    torch = pytest.importorskip("torch")
    kind = _torch_error(torch, CASES[name])
    with pytest.raises(kind) as info:
        CASES[name](mg, "cpu")
    message = str(info.value)
    assert "numpy" not in message.lower() and "out of bounds for axis" not in message
    with simulated_cuda() as transfers:
        out = CASES[name](mg, "cuda")  # the device wraps the index around; minigrad's check is pending
        assert transfers.implicit == []  # the check does not make the host wait for the device
        with pytest.raises(kind, match=r"checked on cuda:0") as on_gpu:
            (out if out is not None else mg.zeros(1, device="cuda")).sum().item()
        found = str(on_gpu.value).replace("cuda:0", "cpu").split(" (checked on cpu")[0]
        assert message.endswith(found)  # the CPU's message (a module's name may come first there)


@pytest.mark.parametrize("name", list(MASK_CASES))
def test_a_mask_of_the_wrong_shape_raises_pytorchs_kind_at_once(name):
    torch = pytest.importorskip("torch")
    kind = _torch_error(torch, MASK_CASES[name])
    for dev in ("cpu", "cuda"):
        with simulated_cuda():
            with pytest.raises(kind, match=r"mask") as info:
                MASK_CASES[name](mg, dev)
        assert "numpy" not in str(info.value).lower() and "broadcast to a single shape" not in str(info.value)


def test_the_message_names_the_index_the_dimension_and_its_size():
    x = mg.arange(24., device="cpu").reshape(2, 3, 4)  # on the host the error comes at once
    with pytest.raises(IndexError, match=r"getitem: index 9 is out of range for dimension 2 of size 4 \(expected -4..3"):
        x[0, :, [1, 9]]
    with pytest.raises(IndexError, match=r"__setitem__: index -3 is out of range for dimension 0 of size 2"):
        x[mg.tensor([0, -3], device="cpu")] = 0.0
    with pytest.raises(IndexError, match=r"getitem: the shape of the mask \[3\] at index 0 does not match the shape of "
                                         r"the indexed tensor \[2, 3, 4\] at index 0"):
        x[mg.tensor([True, False, True], device="cpu")]


def test_in_range_indices_give_pytorchs_values_on_both_devices():
    torch = pytest.importorskip("torch")
    a = np.arange(24.).reshape(2, 3, 4)
    idx = ([0, -1], [-3, 2])
    want = torch.tensor(a)[:, idx[0], idx[1]].numpy()
    with simulated_cuda() as transfers:
        for dev in ("cpu", "cuda"):
            x = mg.tensor(a, device=dev)
            transfers.reset()
            got = x[:, mg.tensor(idx[0], device=dev), mg.tensor(idx[1], device=dev)]
            assert transfers.implicit == []
            np.testing.assert_array_equal(got.cpu().numpy(), want)
            y = mg.zeros(2, 3, 4, device=dev)
            y[:, mg.tensor(idx[0], device=dev), mg.tensor(idx[1], device=dev)] = 1.0
            assert y.sum().item() == 4.0


def test_the_simulated_device_wraps_scatters_as_cupy_does():
    # the stand-in must not check bounds itself, else the tests above would not exercise minigrad's check
    with simulated_cuda():
        a = mg.zeros(3, device="cuda")._data
        xp = mg.backend.array_module(a)
        idx = mg.tensor([4, -1], device="cuda")._data
        a[idx] = 1.0
        xp.add.at(a, idx, 1.0)
        assert a.get().tolist() == [0.0, 2.0, 2.0]
