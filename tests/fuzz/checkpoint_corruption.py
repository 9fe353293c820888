"""Generators of damaged and crafted checkpoints, for tests/fuzz/test_checkpoint_fuzz.py.

A checkpoint is an ``.npz`` (zip) archive whose ``__structure__`` member is JSON text; these build
archives from any structure and arrays, flip bytes of real checkpoints, and say whether what
``minigrad.load`` returned is the saved object.
"""
import io
import json
import zipfile

import numpy as np
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn

MARKERS = ["__array__", "__ref__", "__tuple__", "__set__", "__dict__", "__device__", "__dtype__", "__global__",
           "__object__", "tensor", "device", "id", "state", "ordered", "parameter", "requires_grad", "format", "root"]
# names a crafted file may give: harmless to look up (loading never calls what it finds), some missing
GLOBALS = ["builtins:int", "builtins:dict", "collections:OrderedDict", "numpy:float32", "minigrad.nn:Linear",
           "no.such:module", "bad", "a:b:c", ""]
ARRAYS = {
    "a0": np.arange(6, dtype=np.float32).reshape(2, 3), "a1": np.array([1, 2], dtype=np.int64),
    "a2": np.array(["2020-01-01"], dtype="datetime64[D]"), "a3": np.array(["text"]), "a4": np.array([b"raw"]),
    "a5": np.zeros(2, dtype="V3"), "a6": np.array([1.5], dtype=">f8"), "a7": np.array([1 + 2j]),
    "a8": np.array([3], dtype=np.timedelta64),
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True),
                    st.sampled_from(list(ARRAYS) + GLOBALS + ["cpu", "cuda:99", "xyz", "<f4", "O", "M8"]),
                    st.text(max_size=5))


def _node(children):
    keys = st.sampled_from(MARKERS) | st.text(max_size=4)
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4),
                     st.builds(lambda k, v: {k: v}, st.sampled_from(MARKERS), children))


structures = st.recursive(scalars, _node, max_leaves=20)


def archive(structure, arrays=None, raw=None) -> bytes:
    """An ``.npz`` whose ``__structure__`` is ``structure`` as JSON (or the text ``raw``) beside ``arrays``."""
    buf = io.BytesIO()
    text = raw if raw is not None else json.dumps(structure)
    np.savez(buf, __structure__=np.array(text), **(ARRAYS if arrays is None else arrays))
    return buf.getvalue()


def checkpoint(structure) -> bytes:
    """``structure`` wrapped as minigrad.save's format."""
    return archive({"format": "minigrad-checkpoint-1", "root": structure})


def real_checkpoint() -> tuple:
    """The bytes of a real checkpoint (a model's and an optimizer's state, tied weights, containers), and the object."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 2))
    opt = mg.optim.Adam(model.parameters())
    model(mg.tensor([[1, 2]])).sum().backward()
    opt.step()
    obj = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3, "note": ("x", 1.5, None),
           "tied": [model[0].weight, model[0].weight], "mask": mg.tensor([True, False])}
    buf = io.BytesIO()
    mg.save(obj, buf)
    return buf.getvalue(), obj


def same(a, b) -> bool:
    """Whether a loaded object equals the saved one (values, dtypes, container types)."""
    if isinstance(a, mg.Tensor) or isinstance(b, mg.Tensor):
        return (isinstance(a, mg.Tensor) and isinstance(b, mg.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape and a.requires_grad == b.requires_grad
                and np.array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy(), equal_nan=a.dtype.kind == "f"))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def flip(data: bytes, positions: list, masks: list) -> bytes:
    out = bytearray(data)
    for p, m in zip(positions, masks):
        out[p % len(out)] ^= m
    return bytes(out)


def compression_method_offsets(data: bytes) -> tuple:
    """Offsets of the compression-method fields of the local and of the central zip headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        local = [info.header_offset + 8 for info in z.infolist()]
    central, i = [], data.find(b"PK\x01\x02")
    while i >= 0:
        central.append(i + 10)
        i = data.find(b"PK\x01\x02", i + 4)
    assert central and len(central) == len(local)
    return local, central
