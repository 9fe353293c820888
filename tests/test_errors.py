"""Bad input gets an exception that names the op, the shapes/dtypes/devices and what was expected."""
import pytest

import minigrad as mg
from minigrad.backend import Device
from minigrad.tensor import Tensor


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(mg.ShapeError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast together.*equal or one of them 1"):
        mg.ones(2, 3) + mg.ones(4)
    with pytest.raises(mg.ShapeError, match=r"mul: shapes \(2,\) and \(3,\)"):
        mg.ones(2) * mg.ones(3)


def test_shape_error_is_both_runtime_and_value_error():
    with pytest.raises(RuntimeError):
        mg.ones(2) - mg.ones(3)
    with pytest.raises(ValueError):
        mg.ones(2) - mg.ones(3)


def test_matmul_inner_dimension_mismatch():
    with pytest.raises(mg.ShapeError, match=r"matmul: cannot multiply shapes torch\.Size\(\[2, 3\]\) and torch\.Size\(\[4, 5\]\): the last dimension of the first \(3\) must equal the second-to-last dimension of the second \(4\)"):
        mg.ones(2, 3) @ mg.ones(4, 5)
    with pytest.raises(mg.ShapeError, match=r"matmul: cannot multiply shapes torch\.Size\(\[3\]\) and torch\.Size\(\[2\]\)"):
        mg.ones(3) @ mg.ones(2)


def test_matmul_batch_mismatch_and_scalars():
    with pytest.raises(mg.ShapeError, match=r"matmul: the batch dimensions of shapes torch\.Size\(\[2, 3, 4\]\) and torch\.Size\(\[5, 4, 2\]\)"):
        mg.ones(2, 3, 4) @ mg.ones(5, 4, 2)
    with pytest.raises(mg.ShapeError, match="at least 1 dimension"):
        mg.tensor(2.0) @ mg.ones(2)
    with pytest.raises(mg.ShapeError, match=r"mm: expects two 2-d tensors, got shapes torch\.Size\(\[2, 3, 4\]\)"):
        mg.mm(mg.ones(2, 3, 4), mg.ones(4, 2))


def test_float_index_is_rejected():
    x = mg.ones(3)
    with pytest.raises(IndexError, match=r"getitem: tensors used as indices must be integer \(int64\) or bool, got float32"):
        x[mg.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match=r"a float \(1.0\) cannot be an index"):
        x[1.0]


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of range for dimension 0 of size 3 .*shape torch\.Size\(\[3\]\)"):
        mg.ones(3)[5]
    with pytest.raises(IndexError, match=r"getitem: index -3 is out of range for dimension 1 of size 2 .*shape torch\.Size\(\[2, 2\]\)"):
        mg.ones(2, 2)[:, None, -3]


def test_device_mixing_names_both_devices():
    a = mg.ones(2, device="cpu")
    fake_gpu = Tensor(a._data.copy(), Device("cuda:0"))  # the check looks at devices, not memory
    with pytest.raises(RuntimeError, match=r"Add: expected all tensors on one device, got cpu and cuda:0"):
        a + fake_gpu


def test_reshape_with_wrong_number_of_elements():
    with pytest.raises(mg.ShapeError, match=r"reshape: cannot view a tensor of shape torch\.Size\(\[2, 3\]\) \(6 elements\) as shape \(4,\)"):
        mg.ones(2, 3).reshape(4)


def test_dims_out_of_range():
    with pytest.raises(IndexError, match=r"sum: dim 2 is out of range for a tensor with 2 dimensions \(expected -2..1\)"):
        mg.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="softmax: dim -3"):
        mg.ones(2, 3).softmax(-3)
    with pytest.raises(ValueError, match="permute: dims"):
        mg.ones(2, 3).permute(0, 0)


def test_cat_and_stack_mismatches():
    with pytest.raises(mg.ShapeError, match=r"cat: tensor 1 has shape torch\.Size\(\[3, 2\]\) but tensor 0 has shape torch\.Size\(\[2, 2\]\); along dim 1"):
        mg.cat([mg.ones(2, 2), mg.ones(3, 2)], dim=1)
    with pytest.raises(mg.ShapeError, match=r"stack: expects tensors of one shape"):
        mg.stack([mg.ones(2), mg.ones(3)])
    with pytest.raises(mg.ShapeError, match=r"split: sections \[1, 1\] add up to 2, but dim 0 of shape torch\.Size\(\[3\]\) has size 3"):
        mg.ones(3).split([1, 1])


def test_gather_errors():
    x = mg.ones(3, 4)
    with pytest.raises(TypeError, match="gather: index must be an int64 tensor, got torch.float32"):
        x.gather(1, mg.zeros(3, 1))
    with pytest.raises(RuntimeError, match=r"gather: index values must be in \[0, 4\) for dim 1"):
        x.gather(1, mg.tensor([[4]])).tolist()  # on a GPU reported by the copy to the host
    with pytest.raises(mg.ShapeError, match=r"gather: index of shape torch\.Size\(\[3\]\) does not fit input of shape torch\.Size\(\[3, 4\]\)"):
        x.gather(1, mg.tensor([0, 1, 2]))


def test_mask_errors():
    x = mg.ones(2, 3)
    with pytest.raises(TypeError, match="masked_fill: the condition/mask must be a bool tensor, got torch.float32"):
        x.masked_fill(mg.ones(2, 3), 0.0)
    with pytest.raises(mg.ShapeError, match=r"masked_fill: mask of shape \(3, 3\) does not broadcast with the tensor's shape torch\.Size\(\[2, 3\]\)"):
        x.masked_fill(mg.ones(3, 3) > 0, 0.0)
    with pytest.raises(mg.ShapeError, match=r"where: shapes \(2,\) and \(2, 3\) and \(2, 3\)"):
        mg.where(mg.tensor([True, False]), x, x)


def test_float_only_ops_reject_integers():
    # a dtype error is a RuntimeError (PyTorch's kind) and a TypeError
    with pytest.raises(mg.DTypeError, match=r"softmax: expected a floating-point tensor, got torch.int64"):
        mg.softmax(mg.tensor([1, 2]), 0)
    with pytest.raises(RuntimeError, match=r"mean: expected a floating-point tensor.*\.float\(\)"):
        mg.tensor([1, 2]).mean()
    with pytest.raises(TypeError, match=r"mean: expected a floating-point tensor"):
        mg.tensor([1, 2]).mean()


def test_tensor_from_bad_data():
    with pytest.raises(ValueError, match="tensor: data is not rectangular"):
        mg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="cannot make a tensor from data of dtype <U1"):
        mg.tensor(["a"])


def test_unsupported_operand_type():
    with pytest.raises(TypeError, match="add: unsupported operand of type str"):
        mg.ones(2) + "a"


def test_empty_reductions():
    with pytest.raises(RuntimeError, match=r"amax: cannot reduce over an empty dimension"):  # PyTorch's kinds
        mg.zeros(0).amax()
    with pytest.raises(IndexError, match=r"amax: cannot reduce over an empty dimension"):
        mg.zeros(0, 2).amax(0)
    with pytest.raises(IndexError, match=r"argmax: cannot take argmax of an empty tensor"):
        mg.zeros(0).argmax()
