"""The submission's side of grading: call the student's functions on the grader's inputs, send back the arrays.

The grader (:mod:`lessons.assignments.grading`) runs this file for each submission, inside its sandbox
(:mod:`lessons.assignments.sandbox`)::

    python -I -S -c "...; harness.main(sys.argv)" INPUT WORK FD MEMORY_MB,CPU_S,PROCESSES,FILE_MB UID

``INPUT`` holds the submission (``INPUT/submission``, its main file as ``student.py``, the other files of a
folder beside it) and the calls to make (``calls.npz``); ``WORK`` is the submission's private writable
folder; ``FD`` is the write end of a pipe that only the grader reads. Before anything of the submission
runs, the harness lowers its own limits (soft and hard, so the submission cannot raise them again):
address space (memory), CPU time, file size, processes and core dumps; given a ``UID`` (>= 0) it then
drops to that user id, which owns nothing. For each call, one frame goes down the pipe: the outputs as
raw float64 arrays, or the error the call raised. Nothing here judges anything: the grader compares the
arrays with the expected ones in its own process, so a submission cannot report a score, only arrays
(and producing the right arrays is solving the assignment).

This module imports only the standard library and NumPy, so that the same :func:`run_call` also runs
the public tests in the student's own process.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import struct
import sys
from typing import Any

import numpy as np

HEADER = struct.Struct(">II")  # the lengths of a frame's JSON header and of its body
ERROR_CHARS = 300  # an error message is cut to this length: feedback stays short


def save_calls(path: str, calls: list) -> None:
    """Write calls (dicts with ``func``, ``args``, ``kwargs``, ``mode``; NumPy arrays anywhere among
    the arguments) as one ``.npz`` file: the arrays as members, the rest as JSON."""
    arrays: dict = {}

    def encode(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = v
            return {"array": key}
        if isinstance(v, dict):
            return {k: encode(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [encode(x) for x in v]
        return v

    spec = json.dumps([encode(c) for c in calls]).encode()
    np.savez(path, spec=np.frombuffer(spec, dtype=np.uint8), **arrays)


def load_calls(path: str) -> list:
    """The calls written by :func:`save_calls`."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "spec"}
        spec = json.loads(bytes(z["spec"]).decode())

    def decode(v: Any) -> Any:
        if isinstance(v, dict):
            return arrays[v["array"]].copy() if set(v) == {"array"} else {k: decode(x) for k, x in v.items()}
        if isinstance(v, list):
            return [decode(x) for x in v]
        return v

    return [decode(c) for c in spec]


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"[:ERROR_CHARS]


def _backward(fn: Any, args: list, call: dict) -> tuple:
    """Call a minigrad function on tensors and, unless ``grad`` is None, backpropagate ``sum(out * grad)``:
    the output and the gradient of each input that requires one."""
    import minigrad

    leaves = [minigrad.tensor(a, dtype=minigrad.float64, requires_grad=r) for a, r in zip(args, call["requires_grad"])]
    out = fn(*leaves)
    if call["grad"] is None:
        return (out.detach().cpu().numpy(),)
    (out * minigrad.tensor(call["grad"])).sum().backward()
    grads = []
    for i, (t, r) in enumerate(zip(leaves, call["requires_grad"])):
        if r:
            if t.grad is None:
                raise RuntimeError(f"backward returned no gradient for input {i}")
            grads.append(t.grad.cpu().numpy())
    return (out.detach().cpu().numpy(), *grads)


def run_call(module: Any, call: dict) -> tuple:
    """Run one call on the student's module: ``(list of float64 arrays, None)`` or ``(None, error)``.

    A tuple result is several outputs; anything else is one output. Each output must convert to an
    array of numbers.
    """
    fn = getattr(module, call["func"], None)
    if not callable(fn):
        return None, f"student.py has no function {call['func']!r}"
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in call["args"]]
    try:
        if call.get("mode") == "backward":
            result = _backward(fn, args, call)
        else:
            result = fn(*args, **call.get("kwargs", {}))
        outputs = result if isinstance(result, tuple) else (result,)
        arrays = []
        for o in outputs:
            if hasattr(o, "numpy") and not isinstance(o, np.ndarray):  # a minigrad tensor
                o = o.detach().cpu().numpy()
            arrays.append(np.ascontiguousarray(np.asarray(o, dtype=np.float64)))
        return arrays, None
    except BaseException as e:  # noqa: BLE001 (the student's error, KeyboardInterrupt included, is feedback, not a crash)
        return None, _describe(e)


def encode_frame(index: int, outputs: list | None, error: str | None) -> bytes:
    """One call's result: header (index, error, shapes) as JSON, then the arrays' bytes (float64, little-endian)."""
    shapes = [list(a.shape) for a in outputs] if outputs is not None else None
    header = json.dumps({"call": index, "error": error, "shapes": shapes}).encode()
    body = b"".join(a.astype("<f8", copy=False).tobytes() for a in outputs) if outputs is not None else b""
    return HEADER.pack(len(header), len(body)) + header + body


def limit(memory_mb: int, cpu_s: int, processes: int, file_mb: int) -> None:
    """Lower this process's limits for good: memory (address space), CPU time, processes (unless
    negative), file size, no core dumps (never above a hard limit the grader already runs under)."""
    import resource  # POSIX only: the public tests, which do not call this, also run elsewhere

    for what, value in ((resource.RLIMIT_AS, memory_mb << 20), (resource.RLIMIT_CPU, cpu_s), (resource.RLIMIT_NPROC, processes),
                        (resource.RLIMIT_FSIZE, file_mb << 20), (resource.RLIMIT_CORE, 0)):
        if value < 0:  # not limited here (processes, outside a sandbox: the count would include all the teacher's)
            continue
        hard = resource.getrlimit(what)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(what, (value, value))


def become(uid: int) -> None:
    """Drop to ``uid`` (and the group of the same number), with no supplementary groups: a user that owns
    nothing, whose process count is this submission's alone."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def main(argv: list) -> int:
    inputs, workdir, fd, limits, uid = argv[1], argv[2], int(argv[3]), argv[4], int(argv[5])
    limit(*(int(v) for v in limits.split(",")))
    if uid >= 0:
        become(uid)
    os.set_inheritable(fd, False)  # a shell the submission starts must not hold the grader's pipe open
    out = os.fdopen(fd, "wb")
    calls = load_calls(os.path.join(inputs, "calls.npz"))
    source = os.path.join(inputs, "submission")
    for entry in os.listdir(source):  # its own, writable copy (entry by entry: the folder itself is not its own)
        copy = shutil.copytree if os.path.isdir(os.path.join(source, entry)) else shutil.copyfile
        copy(os.path.join(source, entry), os.path.join(workdir, entry))
    os.chdir(workdir)
    sys.path.insert(0, workdir)
    sys.dont_write_bytecode = True
    try:
        module = importlib.import_module("student")
    except BaseException as e:  # noqa: BLE001 (a SyntaxError, an exit at import: all are the student's)
        out.write(encode_frame(-1, None, _describe(e)))
        out.flush()
        return 0
    for i, call in enumerate(calls):
        outputs, error = run_call(module, call)
        out.write(encode_frame(i, outputs, error))
        out.flush()  # frame by frame: what was done before a time-out still counts
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
