"""Run one op on minigrad and on PyTorch and compare everything a user can see.

``check(fn, inputs)`` runs ``fn(m, *tensors)`` with ``m`` = ``minigrad`` and ``m`` = ``torch`` on the
same arrays and compares: whether it raises (and, if both raise, that minigrad's exception is of
PyTorch's kind: ``IndexError``, ``TypeError``, ``ValueError`` or ``RuntimeError``), the value and dtype
of every output, and the gradient of every float input that requires grad. Whatever minigrad raises
must be a plain Python exception whose message names the op and shows no NumPy internals.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from typing import Any, Callable, Sequence

import numpy as np

import minigrad as mg

torch = None  # imported by load_torch(), so a test module can skip cleanly without PyTorch

# Exception kinds of the public API, most specific first (PyTorch's NotImplementedError is a RuntimeError).
KINDS = (IndexError, TypeError, ValueError, RuntimeError)

# Phrases of NumPy's (and CPython's) own messages: none may reach a user of minigrad.
NUMPY_LEAKS = re.compile(
    r"operands could not be broadcast|ufunc|numpy|ndarray|is out of bounds for (axis|array)|cannot reshape array|"
    r"zero-size array|not supported for the input types|could not be coerced|Cannot cast|setting an array element|"
    r"object of type|unsupported operand type|takes \d+ positional|got an unexpected keyword|'NoneType'|"
    r"has no attribute|integer division or modulo by zero|float division by zero|object is not (callable|iterable)",
    re.IGNORECASE,
)


def load_torch() -> Any:
    global torch
    import pytest

    torch = pytest.importorskip("torch")
    return torch


@dataclasses.dataclass
class Input:
    """One input array and whether it should require grad (float inputs only)."""

    array: np.ndarray
    requires_grad: bool = False


@dataclasses.dataclass
class Outcome:
    error: BaseException | None
    values: list  # numpy arrays (bool/int/float), one per tensor output
    dtypes: list  # dtype names ("float32", "int64", "bool")
    grads: list  # one per input: a numpy array, or None (no gradient)


def _torch_dtype_name(dt: Any) -> str:
    return str(dt).replace("torch.", "")


def _flatten(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return [out]


def _is_tensor(lib: Any, x: Any) -> bool:
    return isinstance(x, mg.Tensor) if lib is mg else isinstance(x, torch.Tensor)


def _run(lib: Any, fn: Callable, inputs: Sequence[Input], weights: Sequence[np.ndarray] | None,
         probe_dtypes: Sequence[str] | None = None) -> Outcome:
    ts = []
    for inp in inputs:
        a = inp.array
        t = mg.tensor(a, dtype=a.dtype) if lib is mg else torch.from_numpy(np.array(a, copy=True))
        if inp.requires_grad:
            t.requires_grad_(True)
        ts.append(t)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *ts)
            flat = _flatten(out)
            outs = [o for o in flat if _is_tensor(lib, o)]
            values, dtypes = [], []
            for o in flat:  # tensors, and the Python numbers of item(), tolist(), size()...
                if _is_tensor(lib, o):
                    values.append(_to_numpy(lib, o))
                    dtypes.append(_torch_dtype_name(o.dtype))  # both print as torch.float32
                elif isinstance(o, (bool, int, float)):
                    values.append(np.asarray(o))
                    dtypes.append(f"Python {type(o).__name__}")
            grads = [None] * len(ts)
            diff = [o for o in outs if o.requires_grad]
            if diff and any(i.requires_grad for i in inputs):
                loss = None
                tensor_weights = [w for w, d in zip(weights or [], probe_dtypes or []) if not d.startswith("Python")]
                for o, w in zip(outs, tensor_weights or [None] * len(outs)):
                    if not o.requires_grad:
                        continue
                    wt = 1
                    if w is not None:
                        wt = (mg.tensor(w) if lib is mg else torch.from_numpy(np.array(w, copy=True))).to(o.dtype)
                    term = (o * wt).sum()
                    loss = term if loss is None else loss + term
                loss.backward()
                for k, t in enumerate(ts):
                    if inputs[k].requires_grad:
                        g = t.grad
                        grads[k] = None if g is None else _to_numpy(lib, g)
    except Exception as e:  # noqa: BLE001 (every exception is compared)
        return Outcome(e, [], [], [])
    return Outcome(None, values, dtypes, grads)


def _to_numpy(lib: Any, t: Any) -> np.ndarray:
    return t.detach().cpu().numpy().copy()  # the same for both libraries, and on a device too


def kind_of(e: BaseException) -> type:
    for k in KINDS:
        if isinstance(e, k):
            return k
    return type(e)


def check_error_message(op: str, e: BaseException) -> None:
    """A minigrad error: a plain Python exception of one of PyTorch's kinds, naming the op, no NumPy text."""
    assert type(e).__module__.split(".")[0] in ("builtins", "minigrad"), (
        f"{op}: minigrad raised {type(e).__module__}.{type(e).__name__}: {e}")
    assert isinstance(e, KINDS), f"{op}: minigrad raised {type(e).__name__} (not one of PyTorch's kinds): {e}"
    msg = str(e)
    assert not NUMPY_LEAKS.search(msg), f"{op}: a NumPy-internal message leaks: {type(e).__name__}: {msg}"
    assert re.match(r"[A-Za-z_.<>()\[\]]+", msg) and ":" in msg, f"{op}: the message does not name the op: {msg!r}"


def _tolerance(dtype: str) -> tuple:
    return {"float32": (2e-5, 1e-6), "float64": (1e-10, 1e-12)}.get(dtype, (0.0, 0.0))


def _close(a: np.ndarray, e: np.ndarray, dtype: str, scale: float, overflow: bool = False) -> np.ndarray:
    """Elementwise agreement: non-finite values must match exactly; finite ones within a tolerance that
    grows with ``scale`` (the size of the inputs times the op's amplification), so summation order may
    differ. Where one side overflows and the other is within 1% of the largest finite number, both are
    accepted (order of operations decides which side of the edge a result falls); with ``overflow``
    (inputs so large that intermediate products overflow) any two non-finite values agree."""
    rtol, atol = _tolerance(dtype)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = (a64 == e64) | (np.isnan(a64) & np.isnan(e64))
        both = np.isfinite(a64) & np.isfinite(e64)
        ok |= both & (np.abs(a64 - e64) <= atol * scale + rtol * np.maximum(np.abs(e64), scale))
        if a.dtype.kind == "f":
            edge = 0.01 * float(np.finfo(a.dtype).max)
            ok |= (np.isinf(a64) & (np.abs(e64) > edge)) | (np.isinf(e64) & (np.abs(a64) > edge))
        if overflow:
            ok |= ~np.isfinite(a64) | ~np.isfinite(e64)
    return ok


class PyTorchBug(Exception):
    """PyTorch failed an internal assertion: it has no answer to compare with."""


@dataclasses.dataclass
class Mismatch(Exception):
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{self.what}: {self.detail}"


def compare(op: str, fn: Callable, inputs: Sequence[Input], *, scale: float = 1.0, seed: int = 0,
            check_grad: bool = True, overflow: bool = False) -> tuple:
    """Run on both libraries; return ``(minigrad outcome, torch outcome)`` or raise :class:`Mismatch`.

    ``scale`` widens the tolerance of ill-conditioned ops (sums of large numbers with cancellation);
    ``overflow`` says intermediate results may overflow, where inf and NaN depend on the order of operations.
    """
    rng = np.random.default_rng(seed)
    probe = _run(torch, fn, inputs, None)  # the output shapes and dtypes, to draw the weights
    weights = None
    if probe.error is None:
        weights = [rng.uniform(0.5, 1.5, v.shape).astype(v.dtype if v.dtype.kind == "f" else np.float64)
                   for v in probe.values]
    ref = _run(torch, fn, inputs, weights, probe.dtypes) if check_grad else probe
    if ref.error is not None and "INTERNAL ASSERT FAILED" in str(ref.error):
        raise PyTorchBug(f"{op}: {ref.error}")
    got = _run(mg, fn, inputs, weights if check_grad else None, probe.dtypes)
    if got.error is not None:
        check_error_message(op, got.error)
    if ref.error is not None or got.error is not None:
        if ref.error is None:
            raise Mismatch("raises", f"minigrad raised {type(got.error).__name__}: {got.error}; PyTorch returned {ref.values}")
        if got.error is None:
            raise Mismatch("no error", f"PyTorch raised {type(ref.error).__name__}: {str(ref.error)[:200]}; "
                                       f"minigrad returned {got.values}")
        if not isinstance(got.error, kind_of(ref.error)):
            raise Mismatch("error kind", f"PyTorch raised {type(ref.error).__name__} ({str(ref.error)[:150]}), "
                                         f"minigrad {type(got.error).__name__} ({got.error})")
        return got, ref
    if len(got.values) != len(ref.values):
        raise Mismatch("outputs", f"minigrad returned {len(got.values)} tensors, PyTorch {len(ref.values)}")
    # tolerances of the least precise float input: PyTorch's backward may compute with a float32
    # input that the forward promoted to float64
    floats = {i.array.dtype.name for i in inputs if i.array.dtype.kind == "f"}
    coarse = "float32" if "float32" in floats else None
    for k, (a, e, da, de) in enumerate(zip(got.values, ref.values, got.dtypes, ref.dtypes)):
        if da != de:
            raise Mismatch("dtype", f"output {k}: minigrad {da}, PyTorch {de}")
        if a.shape != e.shape:
            raise Mismatch("shape", f"output {k}: minigrad {a.shape}, PyTorch {e.shape}")
        ok = _close(a, e, coarse or de, scale, overflow)
        if not ok.all():
            i = tuple(int(j) for j in np.argwhere(~ok)[0])
            raise Mismatch("value", f"output {k} at {i}: minigrad {a[i]!r}, PyTorch {e[i]!r} "
                                    f"({int((~ok).sum())} of {ok.size} differ)")
    if check_grad:
        for k, (a, e) in enumerate(zip(got.grads, ref.grads)):
            if (a is None) != (e is None):
                raise Mismatch("gradient", f"input {k}: minigrad {'no gradient' if a is None else a}, PyTorch "
                                           f"{'no gradient' if e is None else e}")
            if a is None:
                continue
            if a.shape != e.shape:
                raise Mismatch("gradient", f"input {k}: shape {a.shape} vs PyTorch {e.shape}")
            ok = _close(a, e, coarse or str(e.dtype), scale, overflow)
            if not ok.all():
                i = tuple(int(j) for j in np.argwhere(~ok)[0])
                raise Mismatch("gradient", f"input {k} at {i}: minigrad {a[i]!r}, PyTorch {e[i]!r} "
                                           f"({int((~ok).sum())} of {ok.size} differ)")
    return got, ref
