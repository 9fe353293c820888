r"""Checking numbers: gradients against finite differences, tensors against expected values.

Both are meant for students and teachers as much as for minigrad's own tests,
so their failure messages say exactly which element is wrong and by how much.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

import numpy

from . import backend, simcupy
from .autograd import functions_in, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient that disagrees with the finite-difference estimate."""


def _as_numpy(x: Any) -> numpy.ndarray:
    if isinstance(x, Tensor):
        return numpy.asarray(backend.to_device(x._data, backend.CPU))
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch.Tensor, without importing torch
        return x.detach().cpu().numpy()
    if hasattr(x, "__cuda_array_interface__"):
        return x.get()
    return numpy.asarray(x)


def _outputs(out: Any) -> list:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    r"""Compare autograd's gradient of ``fn`` with central finite differences in float64.

    ``fn``'s outputs are reduced to the scalar :math:`L = \sum_k \langle R_k, \mathrm{out}_k\rangle`
    with fixed random weights :math:`R_k`, so one backward pass gives
    :math:`\partial L/\partial x` for every input, and each element is compared with

    .. math:: \frac{L(x + \varepsilon e_j) - L(x - \varepsilon e_j)}{2\varepsilon}.

    An element passes when :math:`|a - n| \le \mathrm{atol} + \mathrm{rtol}\,|n|`.

    Args:
        fn: a function of the inputs returning a tensor or a tuple of tensors.
        inputs: a tensor or a sequence; the float64 tensors with ``requires_grad`` are checked,
            everything else is passed to ``fn`` unchanged.
        eps: the finite-difference step.
        atol, rtol: absolute and relative tolerance.
        raise_exception: raise :class:`GradcheckError` on failure (else return False).
        seed: seed of the random weights :math:`R_k`.

    Returns:
        True when every element agrees.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    name = getattr(fn, "__name__", repr(fn))
    if not checked:
        raise ValueError(f"gradcheck({name}): no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != backend.float64:
            raise TypeError(
                f"gradcheck({name}): input {i} is {inputs[i].dtype}; finite differences need float64 "
                f"(pass x.double(), or create it with dtype=minigrad.float64)"
            )
    rng = numpy.random.default_rng(seed)

    # analytic: one backward of L = sum_k <R_k, out_k>
    for i in checked:
        inputs[i].grad = None
    outs = _outputs(fn(*inputs))
    if not outs:
        raise ValueError(f"gradcheck({name}): fn returned no floating-point tensor")
    weights = [rng.standard_normal(o.shape) for o in outs]
    ops_used = sorted({f.op_name for f in functions_in(outs)})
    loss = None
    for o, w in zip(outs, weights):
        if o.requires_grad:
            term = (o * Tensor(backend.to_device(w, o.device), o.device)).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        raise ValueError(f"gradcheck({name}): no output depends on an input that requires grad")
    loss.backward()
    analytic = {i: _as_numpy(inputs[i].grad) if inputs[i].grad is not None else numpy.zeros(inputs[i].shape) for i in checked}

    # numeric: perturb one element at a time in a private copy of each input
    copies = [Tensor(t._data.copy(), t.device) if isinstance(t, Tensor) else t for t in inputs]

    def scalar_loss() -> float:
        with no_grad():
            res = _outputs(fn(*copies))
        return float(sum(float((_as_numpy(o) * w).sum()) for o, w in zip(res, weights)))

    failures = []
    for i in checked:
        data = copies[i]._data
        flat = data.reshape(-1)  # a view: writing it perturbs the tensor
        num = numpy.zeros(data.size)
        for j in range(data.size):
            old = float(flat[j])
            flat[j] = old + eps
            plus = scalar_loss()
            flat[j] = old - eps
            minus = scalar_loss()
            flat[j] = old
            num[j] = (plus - minus) / (2 * eps)
        num = num.reshape(data.shape)
        ana = analytic[i]
        excess = numpy.abs(ana - num) - (atol + rtol * numpy.abs(num))
        bad = ~(excess <= 0)  # NaN counts as bad
        if bad.any():
            worst = numpy.unravel_index(int(numpy.nanargmax(numpy.where(bad, numpy.nan_to_num(excess, nan=numpy.inf), -numpy.inf))), data.shape)
            failures.append(
                f"  input {i} (shape {tuple(data.shape)}): {int(bad.sum())} of {data.size} elements disagree; worst at "
                f"index {tuple(int(v) for v in worst)}: analytic {ana[worst]:.10g} vs numeric {num[worst]:.10g} "
                f"(|diff| {abs(ana[worst] - num[worst]):.3g}, allowed {atol + rtol * abs(num[worst]):.3g})"
            )
    if failures:
        msg = (
            f"gradcheck failed for {name} (ops in its graph: {', '.join(ops_used) or 'none'}; eps={eps}, atol={atol}, rtol={rtol}):\n"
            + "\n".join(failures)
        )
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True



_DEFAULT_TOL = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def assert_close(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    msg: str | None = None,
) -> None:
    r"""Assert :math:`|a - e| \le \mathrm{atol} + \mathrm{rtol}\,|e|` elementwise, with a readable diff.

    Accepts minigrad tensors, NumPy/CuPy arrays, PyTorch tensors, numbers and
    nested lists. Default tolerances follow PyTorch's ``assert_close`` for the
    less precise of the two dtypes (float32: rtol 1.3e-6, atol 1e-5; float64:
    1e-7, 1e-7; integers and bools: exact).

    Raises:
        AssertionError: naming the shapes if they differ, else the number of
            mismatches, the worst absolute and relative differences and their
            indices, and the first few mismatching elements.
    """
    a, e = _as_numpy(actual), _as_numpy(expected)
    prefix = f"{msg}\n" if msg else ""
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}assert_close: shapes differ: actual {a.shape}, expected {e.shape}")
    if rtol is None or atol is None:
        kinds = [d for d in (a.dtype, e.dtype) if d.kind == "f"]
        loosest = max(kinds, key=lambda d: _DEFAULT_TOL.get(d.name, (0, 0))[0]) if kinds else None
        r, t = _DEFAULT_TOL.get(loosest.name, (0.0, 0.0)) if loosest is not None else (0.0, 0.0)
        rtol = r if rtol is None else rtol
        atol = t if atol is None else atol
    a64, e64 = a.astype(numpy.float64), e.astype(numpy.float64)
    with numpy.errstate(invalid="ignore", over="ignore"):
        diff = numpy.abs(a64 - e64)
        ok = diff <= atol + rtol * numpy.abs(e64)
        ok |= a64 == e64  # equal infinities
        if equal_nan:
            ok |= numpy.isnan(a64) & numpy.isnan(e64)
    if ok.all():
        return
    bad = ~ok
    n_bad, n = int(bad.sum()), a.size
    with numpy.errstate(divide="ignore", invalid="ignore"):
        rel = numpy.where(bad, diff / numpy.abs(e64), 0)
    d_bad = numpy.where(bad, numpy.nan_to_num(diff, nan=numpy.inf), -1)
    worst = numpy.unravel_index(int(numpy.argmax(d_bad)), a.shape) if a.ndim else ()
    worst_rel = numpy.unravel_index(int(numpy.argmax(numpy.nan_to_num(rel, nan=numpy.inf))), a.shape) if a.ndim else ()
    lines = [
        f"{prefix}Tensors are not close: {n_bad} of {n} elements ({100 * n_bad / max(n, 1):.1f}%) differ by more than "
        f"atol={atol:g} + rtol={rtol:g} * |expected|.",
        f"Greatest absolute difference: {diff[worst]:.6g} at index {_fmt_index(worst)} "
        f"(actual {a64[worst]:.10g}, expected {e64[worst]:.10g}).",
        f"Greatest relative difference: {rel[worst_rel]:.6g} at index {_fmt_index(worst_rel)}.",
    ]
    if a.ndim:
        idx = numpy.argwhere(bad)[:5]
        lines.append("First mismatches:  index  actual  expected")
        lines += [f"  {_fmt_index(tuple(k))}  {a64[tuple(k)]:.10g}  {e64[tuple(k)]:.10g}" for k in idx]
    raise AssertionError("\n".join(lines))


def _fmt_index(idx: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(i)) for i in idx) + ")"


@contextlib.contextmanager
def simulated_cuda(device_count: int = 1) -> Iterator[simcupy.TransferLog]:
    """Run ``device="cuda"`` on :mod:`minigrad.simcupy`, a stand-in for CuPy on NumPy, to test the GPU path.

    Inside the block ``minigrad.cuda.is_available()`` is true and CUDA tensors hold simulated device
    arrays: NumPy refuses to convert them implicitly, ``Tensor.numpy()`` asks for ``.cpu()`` first,
    and every host transfer is counted in the yielded :class:`~minigrad.simcupy.TransferLog`.
    The previous CUDA backend (real CuPy, if any) and default device are restored on exit.

    Args:
        device_count: how many devices the simulated machine has (``cuda:0`` ... ``cuda:N-1``).

    Example::

        with minigrad.testing.simulated_cuda() as transfers:
            x = minigrad.ones(3, device="cuda")
            transfers.reset()
            (x * 2).sum().item()
            assert transfers.implicit == [] and transfers.explicit == 1
    """
    from .ops import common  # noqa: PLC0415 (ops import this module's siblings; avoid a cycle)

    saved_count, saved_device = simcupy.device_count, backend.get_default_device()
    simcupy.device_count = device_count
    previous = backend._use_cuda_backend(simcupy, simcupy.cupyx)
    common._shared_constant.cache_clear()  # cached constants hold arrays of the previous backend
    simcupy.transfers.reset()
    try:
        yield simcupy.transfers
    finally:
        backend._use_cuda_backend(*previous)
        common._shared_constant.cache_clear()
        simcupy.device_count = saved_count
        backend._default_device = saved_device if saved_device.type == "cpu" or previous[0] is not None else backend.CPU

