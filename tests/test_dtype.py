"""minigrad's dtypes (issue #27): PyTorch's names and attributes, and NumPy's dtype underneath.

``x.dtype`` is one ``minigrad.dtype`` object per type (``x.dtype is minigrad.float32``) that prints as
``torch.float32``; NumPy and CuPy take it wherever they take a dtype, and it equals (and hashes as) the NumPy
dtype, so code written when minigrad's dtypes were NumPy's keeps working.
"""
import copy
import pickle
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", DTYPES)
def test_attributes_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(mg, name), getattr(torch, name)
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert (ours.is_floating_point, ours.is_complex, ours.is_signed, ours.itemsize) == (
        theirs.is_floating_point, theirs.is_complex, theirs.is_signed, theirs.itemsize)
    assert str(ours.to_real()) == str(theirs.to_real())
    if theirs.is_floating_point and theirs.itemsize >= 4:
        assert str(ours.to_complex()) == str(theirs.to_complex())
    elif theirs.is_floating_point:  # PyTorch's complex32: NumPy has none
        with pytest.raises(RuntimeError, match="no complex32"):
            ours.to_complex()
    else:
        with pytest.raises(RuntimeError):
            theirs.to_complex()
        with pytest.raises(RuntimeError, match="to_complex"):
            ours.to_complex()
    # as PyTorch's: no string or Python type is a dtype's equal
    assert (ours == name) == (theirs == name) and (ours == float) == (theirs == float)


@pytest.mark.parametrize("name", DTYPES)
def test_one_object_per_dtype(name):
    d = getattr(mg, name)
    x = mg.zeros(2, dtype=d)
    assert x.dtype is d and mg.tensor(x.cpu().numpy()).dtype is d and x.cpu().dtype is d  # on every device
    assert pickle.loads(pickle.dumps(d)) is d
    assert copy.copy(d) is d and copy.deepcopy({"d": d})["d"] is d
    assert backend.as_dtype(np.dtype(name)) is d and backend.as_dtype(name) is d


@pytest.mark.parametrize("name", DTYPES)
def test_numpy_takes_and_compares_it_as_its_own(name):
    d, nd = getattr(mg, name), np.dtype(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning from NumPy's dtype protocols
        assert np.dtype(d) == nd and np.zeros(3, dtype=d).dtype == nd and np.ones(2).astype(d).dtype == nd
        assert np.issubdtype(d, np.floating) == (nd.kind == "f")
        assert np.result_type(d, nd) == nd and np.can_cast(d, nd)
    assert d == nd and nd == d and d == nd.type and nd.type == d and not d != nd
    assert hash(d) == hash(nd) and {nd: 1}[d] == 1 and {d: 1}[nd] == 1
    assert d.dtype is nd  # the NumPy dtype, for code that needs NumPy's own object
    assert d.name == nd.name and d.kind == nd.kind and d.char == nd.char  # NumPy's attributes are forwarded
    with pytest.raises(AttributeError):
        d.not_an_attribute


def test_dtypes_given_as_numpy_types_or_names_are_accepted():
    for spec in (np.float64, np.dtype("float64"), "float64", mg.float64):
        assert mg.tensor([1, 2], dtype=spec).dtype is mg.float64
        assert mg.zeros(2, dtype=spec).dtype is mg.float64
        if not isinstance(spec, str):  # as PyTorch's, to("...") takes a string as a device
            assert mg.ones(2).to(spec).dtype is mg.float64
    assert mg.tensor(np.ones(2, np.float32)).dtype is mg.float32
    with pytest.raises(TypeError, match="not a dtype"):
        mg.zeros(2, dtype=object())


def test_default_dtype_is_a_minigrad_dtype():
    assert mg.get_default_dtype() is mg.float32
    try:
        mg.set_default_dtype(np.float64)
        assert mg.get_default_dtype() is mg.float64 and mg.tensor([1.0]).dtype is mg.float64
        with pytest.raises(TypeError, match="expected torch.float32 or torch.float64, got torch.int64"):
            mg.set_default_dtype(mg.int64)
    finally:
        mg.set_default_dtype(mg.float32)


def test_checkpoints_store_dtypes_as_numpy_names(tmp_path):
    """A dtype in a checkpoint is written as before (its NumPy name), so files of older minigrads load, and loads
    as minigrad's dtype."""
    import json

    path = tmp_path / "c.npz"
    mg.save({"dtype": mg.int64, "old": np.dtype("float16"), "t": mg.zeros(2, dtype=mg.int32)}, path)
    with np.load(path) as arrays:
        structure = str(arrays["__structure__"])
    assert json.dumps({"__dtype__": np.dtype("int64").str}) in structure
    loaded = mg.load(path)
    assert loaded["dtype"] is mg.int64 and loaded["old"] is mg.float16 and loaded["t"].dtype is mg.int32


def test_error_messages_name_dtypes_as_pytorch():
    with pytest.raises(TypeError, match="got torch.float32"):
        mg.ones(3, 4).gather(1, mg.zeros(3, 1))


def test_an_unnamed_numpy_dtype_gets_one_object_too():
    x = mg.tensor(np.array([1, 2], dtype=np.uint16))
    assert str(x.dtype) == "torch.uint16" and x.dtype is mg.tensor(np.zeros(1, np.uint16)).dtype
