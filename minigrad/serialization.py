"""``minigrad.save`` / ``minigrad.load``: checkpoints as NumPy ``.npz`` files that never unpickle.

A checkpoint holds nested dicts, lists and tuples of tensors, arrays, numbers, strings, booleans and
None (a model's or an optimizer's ``state_dict``). Arrays are stored as ``.npz`` members; the nesting
is stored as JSON text in the member ``__structure__``. Loading uses ``allow_pickle=False``, so a
crafted file cannot run code, and every malformed or truncated file gives a :class:`CheckpointError`.
Saving writes a temporary file beside the target and renames it over the target only when complete,
so a crash mid-save never leaves a half-written checkpoint under the target name.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import numpy

from . import backend
from .tensor import Tensor

FORMAT = "minigrad-checkpoint-1"


class CheckpointError(ValueError):
    """A file that is not a readable minigrad checkpoint."""


def _encode(obj: Any, arrays: dict, where: str) -> Any:
    if isinstance(obj, Tensor) or isinstance(obj, numpy.ndarray) or hasattr(obj, "__cuda_array_interface__"):
        arr = obj._data if isinstance(obj, Tensor) else obj
        key = f"a{len(arrays)}"
        arrays[key] = numpy.asarray(backend.to_device(arr, backend.CPU))
        return {"__array__": key, "tensor": isinstance(obj, Tensor), "device": str(obj.device) if isinstance(obj, Tensor) else "cpu"}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, numpy.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays, where), _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"save: cannot store {where} of type {type(obj).__name__}; checkpoints hold tensors, arrays, "
                    f"numbers, strings, None and dicts/lists/tuples of them")


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()``) to the file ``f``, atomically."""
    arrays: dict = {}
    structure = _encode(obj, arrays, "obj")
    arrays["__structure__"] = numpy.array(json.dumps({"format": FORMAT, "root": structure}))
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".minigrad-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            numpy.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _decode(node: Any, arrays: Any, dev: backend.Device | None, path: str) -> Any:
    if isinstance(node, list):
        return [_decode(v, arrays, dev, path) for v in node]
    if not isinstance(node, dict):
        return node
    if "__array__" in node:
        key = node["__array__"]
        if not isinstance(key, str) or key not in arrays.files:
            raise CheckpointError(f"load: {path} refers to a missing array {key!r} (the file is damaged)")
        arr = arrays[key]
        if not node.get("tensor", False):
            return arr
        target = dev if dev is not None else backend.as_device(node.get("device", "cpu"))
        return Tensor(backend.to_device(arr, target), target)
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, dev, path) for v in node["__tuple__"])
    if "__dict__" in node:
        out = {}
        for pair in node["__dict__"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise CheckpointError(f"load: {path} has a malformed dictionary entry (the file is damaged)")
            out[_decode(pair[0], arrays, dev, path)] = _decode(pair[1], arrays, dev, path)
        return out
    raise CheckpointError(f"load: {path} contains an unknown entry {sorted(node)} (not written by minigrad.save)")


def load(f: str | os.PathLike, map_location: Any = None) -> Any:
    """Read a checkpoint written by :func:`save`; ``map_location`` puts every tensor on one device.

    Raises:
        CheckpointError: the file is missing pieces, truncated, not an ``.npz`` archive, or holds
            pickled objects (which are never loaded).
        FileNotFoundError: there is no such file.
    """
    path = os.fspath(f)
    dev = backend.as_device(map_location) if map_location is not None else None
    try:
        with numpy.load(path, allow_pickle=False) as arrays:
            if not isinstance(arrays, numpy.lib.npyio.NpzFile) or "__structure__" not in arrays.files:
                raise CheckpointError(f"load: {path} is not a minigrad checkpoint (no __structure__ entry)")
            meta = json.loads(str(arrays["__structure__"]))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise CheckpointError(f"load: {path} has format {meta.get('format') if isinstance(meta, dict) else meta!r}, expected {FORMAT!r}")
            return _decode(meta["root"], arrays, dev, path)
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"load: {path} is not a readable minigrad checkpoint (truncated or damaged?): {e}") from None
    except ValueError as e:  # numpy refuses object (pickled) arrays when allow_pickle=False
        raise CheckpointError(f"load: {path} holds data minigrad will not load (pickled objects are refused): {e}") from None
