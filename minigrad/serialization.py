"""``minigrad.save`` / ``minigrad.load``: checkpoints as NumPy ``.npz`` files that never unpickle.

A checkpoint holds nested dicts, lists, tuples and sets of tensors, arrays, numbers, strings, booleans
and None (a model's or an optimizer's ``state_dict``), and, as in PyTorch, may hold whole objects such
as a model (``save(model, f)``). Arrays are stored as ``.npz`` members; the nesting is stored as JSON text
in the member ``__structure__``. An object is stored as the name of its class and its attributes
(``__dict__``); a tensor or object met twice (tied weights, a shared layer) is stored once and
referenced. ``f`` is a path or a binary file object (``io.BytesIO``).

Loading uses ``allow_pickle=False`` and never calls anything a file names: an object is rebuilt with
``object.__new__`` and given its attributes, and its class is looked up among the modules already
imported (never imported because a file says so). As PyTorch's ``weights_only=True`` default, a file
that names classes or functions loads only if the caller passes ``weights_only=False`` (trusting the
file) or has allowed them with :func:`add_safe_globals`. Every malformed or truncated file gives a
:class:`CheckpointError`. Saving to a path writes a temporary file beside the target and renames it
over the target only when complete, so a crash mid-save never leaves a half-written checkpoint under
the target name.
The temporary file's name holds the target's name and the saving process's id; a process killed
mid-save cannot remove its own, so the next ``save`` to that target, or a ``load`` of it, removes those
whose process is gone.
"""
from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import sys
import tempfile
import types
from collections import OrderedDict
from typing import Any, BinaryIO, Iterable, Iterator, Union

import numpy

from . import backend
from .tensor import Tensor

FORMAT = "minigrad-checkpoint-1"
FileLike = Union[str, os.PathLike, BinaryIO]


class CheckpointError(ValueError):
    """A file that is not a readable minigrad checkpoint."""


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """A file names a class or function that loading with ``weights_only=True`` does not allow
    (an ``UnpicklingError``, as PyTorch's)."""


_safe_globals: list = []


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allow these classes (and functions) in files loaded with ``weights_only=True``, as PyTorch's function.

    Allow every class of a saved model: your own and the minigrad layers it uses
    (``add_safe_globals([Net, nn.Linear, nn.LSTM])``); the error of :func:`load` names what is missing.
    """
    for g in safe_globals:
        if not callable(g):
            raise TypeError(f"add_safe_globals: expected classes or functions, got {g!r}")
        if g not in _safe_globals:
            _safe_globals.append(g)


def get_safe_globals() -> list:
    """The classes and functions allowed by :func:`add_safe_globals`."""
    return list(_safe_globals)


def clear_safe_globals() -> None:
    """Forget every class and function allowed by :func:`add_safe_globals`."""
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: Iterable[Any]) -> Iterator[None]:
    """Allow these classes and functions inside a ``with`` block only."""
    before = list(_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = before


def _global_name(obj: Any) -> str | None:
    """``module:qualname`` under which ``obj`` (a class or function) can be found again, else None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:  # lambdas and local definitions cannot be found by name
        return None
    return f"{module}:{qualname}" if _lookup(module, qualname) is obj else None


def _lookup(module: str, qualname: str) -> Any:
    target: Any = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return target


class _Encoder:
    """The JSON structure of an object, with its arrays set aside for the ``.npz`` members."""

    def __init__(self) -> None:
        self.arrays: dict = {}
        self.ids: dict = {}  # id(object) -> its number in the file, for tensors and objects met again
        self.keep: list = []  # the objects numbered, so their ids stay unique while saving

    def _number(self, obj: Any) -> tuple:
        n = self.ids.get(id(obj))
        if n is not None:
            return n, False
        self.ids[id(obj)] = n = len(self.ids)
        self.keep.append(obj)
        return n, True

    def encode(self, obj: Any, where: str) -> Any:
        if isinstance(obj, Tensor):
            n, new = self._number(obj)
            if not new:
                return {"__ref__": n}
            node = self._array(obj._data, where)
            node.update(tensor=True, device=str(obj.device), id=n)
            if obj.requires_grad:
                node["requires_grad"] = True
            if type(obj) is not Tensor:
                node["parameter"] = True
            return node
        if isinstance(obj, numpy.ndarray) or hasattr(obj, "__cuda_array_interface__"):
            node = self._array(obj, where)
            node.update(tensor=False, device="cpu")
            return node
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, numpy.generic):
            return obj.item()
        if isinstance(obj, backend.Device):
            return {"__device__": str(obj)}
        if isinstance(obj, (backend.dtype, numpy.dtype)):  # by NumPy's name of the type, as files always held it
            return {"__dtype__": numpy.dtype(obj).str}
        if isinstance(obj, dict):
            node = {"__dict__": [[self.encode(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]}
            if type(obj) is OrderedDict:
                node["ordered"] = True
            return node
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            return {"__set__": [self.encode(v, f"{where}{{...}}") for v in obj]}
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            name = _global_name(obj)
            if name is None:
                raise TypeError(f"save: cannot store {where}, {obj!r}: only classes and functions defined at the top "
                                f"level of a module can be stored (by name), not lambdas or local definitions")
            return {"__global__": name}
        name = _global_name(type(obj))
        if name is None or not hasattr(obj, "__dict__"):
            raise TypeError(f"save: cannot store {where} of type {type(obj).__name__}; checkpoints hold tensors, arrays, "
                            f"numbers, strings, None, dicts/lists/tuples/sets of them, and objects of classes defined "
                            f"at the top level of a module (stored by their attributes)")
        n, new = self._number(obj)
        if not new:
            return {"__ref__": n}
        return {"__object__": name, "id": n, "state": self.encode(dict(vars(obj)), f"{where}.__dict__")}

    def _array(self, arr: Any, where: str) -> dict:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = numpy.asarray(backend.to_device(arr, backend.CPU))
        return {"__array__": key}


def _temp_prefix(path: str) -> str:
    return f".{os.path.basename(path)}.minigrad-"


def _process_is_gone(pid: int) -> bool:
    if os.name != "posix":  # no harmless liveness probe (os.kill would terminate): keep the file
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False


def _remove_stale_temps(path: str) -> None:
    """Remove the temporary files that saves to ``path`` left behind when their process was killed."""
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(re.escape(_temp_prefix(path)) + r"(\d+)-.*\.tmp\Z")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if m and int(m.group(1)) != os.getpid() and _process_is_gone(int(m.group(1))):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:  # removed meanwhile, or a read-only folder: nothing to do
                pass


def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` (``model.state_dict()``, a dict of them, or a whole model) to ``f``: a path (written
    atomically) or a binary file object such as ``io.BytesIO``."""
    enc = _Encoder()
    structure = enc.encode(obj, "obj")
    arrays = enc.arrays
    arrays["__structure__"] = numpy.array(json.dumps({"format": FORMAT, "root": structure}))
    if hasattr(f, "write"):
        numpy.savez(f, **arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}-", suffix=".tmp", dir=folder)
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


class _DeviceUnavailable(Exception):
    """Carries the error of moving a loaded tensor to its device out of :func:`load`'s net for damaged files."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Decoder:
    def __init__(self, arrays: Any, dev: backend.Device | None, name: str, weights_only: bool) -> None:
        self.arrays, self.dev, self.name, self.weights_only = arrays, dev, name, weights_only
        self.objects: dict = {}  # number -> tensor or object already rebuilt

    def _global(self, name: Any) -> Any:
        if not isinstance(name, str) or name.count(":") != 1:
            raise CheckpointError(f"load: {self.name} names a malformed global {name!r} (the file is damaged)")
        module, qualname = name.split(":")
        target = _lookup(module, qualname)
        allowed = any(g is target for g in _safe_globals) if target is not None else False
        if self.weights_only and not allowed:
            raise WeightsOnlyError(
                f"load: weights only load failed: {self.name} names {module}.{qualname}, which is not an allowed "
                f"global. If you trust this file, pass weights_only=False, or allow it with "
                f"minigrad.serialization.add_safe_globals([{qualname}]) (loading never runs code from the file)"
            )
        if target is None:
            raise CheckpointError(
                f"load: {self.name} names {module}.{qualname}, which is not defined in the modules imported so far; "
                f"import (or define) it before loading: minigrad never imports a module because a file names it"
            )
        return target

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "__array__" in node:
            return self._tensor(node)
        if "__ref__" in node:
            if node["__ref__"] not in self.objects:
                raise CheckpointError(f"load: {self.name} refers to an object before it is defined (the file is damaged)")
            return self.objects[node["__ref__"]]
        if "__tuple__" in node:
            return tuple(self.decode(v) for v in node["__tuple__"])
        if "__set__" in node:
            return set(self.decode(v) for v in node["__set__"])
        if "__dict__" in node:
            out = OrderedDict() if node.get("ordered") else {}
            for pair in node["__dict__"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise CheckpointError(f"load: {self.name} has a malformed dictionary entry (the file is damaged)")
                out[self.decode(pair[0])] = self.decode(pair[1])
            return out
        if "__device__" in node:
            return backend.as_device(node["__device__"])
        if "__dtype__" in node:
            return backend.as_dtype(node["__dtype__"])
        if "__global__" in node:
            return self._global(node["__global__"])
        if "__object__" in node:
            cls = self._global(node["__object__"])
            if not isinstance(cls, type) or issubclass(cls, Tensor):
                raise CheckpointError(f"load: {self.name} asks for an instance of {node['__object__']}, which is not a class")
            obj = object.__new__(cls)  # no __init__, __new__ or __setstate__ of the class runs
            self.objects[node.get("id")] = obj
            state = self.decode(node["state"])
            if not isinstance(state, dict):
                raise CheckpointError(f"load: {self.name} has malformed attributes for {node['__object__']} (the file is damaged)")
            obj.__dict__.update(state)
            return obj
        raise CheckpointError(f"load: {self.name} contains an unknown entry {sorted(node)} (not written by minigrad.save)")

    def _tensor(self, node: dict) -> Any:
        key = node["__array__"]
        if not isinstance(key, str) or key == "__structure__" or key not in self.arrays.files:
            raise CheckpointError(f"load: {self.name} refers to a missing array {key!r} (the file is damaged)")
        arr = self.arrays[key]
        # save writes tensors of numbers and booleans, and plain arrays of those or of text; never dates,
        # raw bytes (void) or objects
        kinds = "biuf" if node.get("tensor", False) else "biufcUS"
        if not isinstance(arr, numpy.ndarray) or arr.dtype.kind not in kinds:
            what = "a tensor" if node.get("tensor", False) else "an array"
            raise CheckpointError(f"load: {self.name} holds {what} {key!r} of dtype {getattr(arr, 'dtype', type(arr).__name__)}, "
                                  f"which minigrad.save never writes (the file is damaged or crafted)")
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        if not node.get("tensor", False):
            return arr
        target = self.dev if self.dev is not None else backend.as_device(node.get("device", "cpu"))
        try:
            data = backend.to_device(arr, target)
        except Exception as e:  # a well-formed file for a device this machine lacks: PyTorch's RuntimeError
            raise _DeviceUnavailable(e) from e
        t = Tensor(data, target)
        if node.get("parameter"):
            from .nn import Parameter  # noqa: PLC0415 (nn builds on this module's package)

            t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
        elif node.get("requires_grad"):
            t.requires_grad_(True)
        self.objects[node.get("id")] = t
        return t


def load(f: FileLike, map_location: Any = None, *, weights_only: bool | None = None) -> Any:
    """Read a checkpoint written by :func:`save` from a path or a binary file object.

    Args:
        map_location: put every tensor on this device (else each goes where it was saved).
        weights_only: ``True`` (the default when None, as in PyTorch) loads only tensors, arrays, numbers,
            strings and containers, plus the classes and functions allowed by :func:`add_safe_globals`;
            ``False`` also rebuilds objects of any class already imported (a whole saved model).

    Raises:
        WeightsOnlyError: with ``weights_only``, the file names a class or function not allowed.
        CheckpointError: the file is missing pieces, truncated, not an ``.npz`` archive, holds pickled
            objects (which are never loaded), or names a class that is not imported.
        FileNotFoundError: there is no such file.
    """
    if callable(map_location) and not isinstance(map_location, (str, backend.Device)):
        raise TypeError("load: map_location must be a device (such as 'cpu'); functions and dicts are not supported")
    name = getattr(f, "name", type(f).__name__) if hasattr(f, "read") else os.fspath(f)
    dev = backend.as_device(map_location) if map_location is not None else None
    if hasattr(f, "read"):
        pos = f.tell()
        head = f.read(6)
        f.seek(pos)
    else:
        _remove_stale_temps(name)
        with open(name, "rb") as fh:
            head = fh.read(6)
    if not head.startswith(b"PK"):  # every .npz is a zip archive
        kind = ("a single NumPy array (.npy)" if head.startswith(b"\x93NUMPY") else
                "a pickle (an old torch.save file?)" if head.startswith(b"\x80") else
                "empty" if not head else f"not a zip archive (it starts with {head!r})")
        raise CheckpointError(f"load: {name} is not a minigrad checkpoint: the file is {kind}; "
                              f"minigrad.save writes .npz (zip) archives")
    try:
        with numpy.load(f if hasattr(f, "read") else name, allow_pickle=False) as arrays:
            if not isinstance(arrays, numpy.lib.npyio.NpzFile) or "__structure__" not in arrays.files:
                raise CheckpointError(f"load: {name} is not a minigrad checkpoint (no __structure__ entry)")
            meta = json.loads(str(arrays["__structure__"]))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise CheckpointError(f"load: {name} has format {meta.get('format') if isinstance(meta, dict) else meta!r}, expected {FORMAT!r}")
            return _Decoder(arrays, dev, name, weights_only is not False).decode(meta["root"])
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except _DeviceUnavailable as e:
        raise e.error from None
    except RecursionError:
        raise CheckpointError(f"load: {name} nests its containers too deeply to be a checkpoint minigrad.save wrote "
                              f"(the file is damaged or crafted)") from None
    except ValueError as e:
        if "allow_pickle" in str(e):  # numpy refuses object (pickled) arrays when allow_pickle=False
            raise CheckpointError(f"load: {name} holds data minigrad will not load (pickled objects are refused)") from None
        raise CheckpointError(f"load: {name} is not a readable minigrad checkpoint (truncated or damaged?): {e}") from None
    except Exception as e:  # noqa: BLE001  whatever a damaged file makes zipfile, zlib, numpy or the decoder raise
        # (BadZipFile, an unknown compression method, a bad CRC, an entry of the wrong type...)
        raise CheckpointError(f"load: {name} is not a readable minigrad checkpoint (truncated, damaged or crafted): "
                              f"{type(e).__name__}: {e}") from None
