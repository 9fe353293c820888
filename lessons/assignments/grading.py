"""Grading assignments: graded parts, each submission in a process of its own, judged by the grader.

An assignment (``lessons/assignments/NAME/checks.py``) is a list of :class:`Part`; a part builds its
:class:`Case` s from a random generator, and a case is one or more calls of the student's functions
with a *judge* that turns what the calls returned into ``None`` (right) or one line of feedback.

How a submission is graded (:func:`grade`):

1. every submission's source is read before any runs (one cannot change another's file first);
2. the cases are built once, in the grader's process, and the expected arrays computed there, from
   minigrad (its autograd, its layers, finite differences), never by the submission;
3. each submission is copied as ``student.py`` into a fresh temporary folder and run there by
   :mod:`lessons.assignments.harness` in a child process: ``python -I`` (no environment variables,
   no user site), a minimal environment, its own session, limits on address space (memory), CPU
   time, file size and core dumps, and a wall-clock deadline after which the whole process group is
   killed. The child sends back only arrays, frame by frame, over a pipe of its own; what it prints
   goes nowhere;
4. the grader judges the arrays. A part scores ``points * (cases passed) / (cases)``.

The child runs with the grader's user rights: it is a separate, limited process, not a jail. A
submission that wants to read or damage the grader's files can, as any program the teacher runs;
grade in a container (as Gradescope does) when that matters.
"""
from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lessons.assignments import harness
from lessons.i18n import domain

_ = domain("assignments")


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; :func:`_` translates it where it is shown."""
    return message


ASSIGNMENTS = ("rnn_bptt", "lstm_cell", "attention_masks", "multihead_heads", "attention_backward")
HERE = Path(__file__).resolve().parent
GRADING_SEED = 2026  # the inputs the grader uses
PUBLIC_SEED = 0  # the inputs of the public tests (other numbers, same shapes)
MAX_RESULT_BYTES = 256 << 20  # what one submission may send back in all
MAX_HEADER_BYTES = 1 << 16


# --------------------------------------------------------------------------- assignments, parts, cases
@dataclass
class Outcome:
    """What one call gave: its outputs (float64 arrays), or the error that stands for them."""

    outputs: list | None
    error: str | None = None


@dataclass
class Case:
    """Calls of the student's functions and the judge of their outcomes (None: right; else feedback)."""

    label: str
    calls: list
    judge: Callable[[list], str | None]


@dataclass
class Part:
    """A graded part: its points, the cases that grade it, and three hints (nudge, formula, code)."""

    name: str
    title: str
    points: float
    cases: Callable[[np.random.Generator], list]
    hints: tuple


def load(name: str) -> Any:
    """The checks module of an assignment (``TITLE``, ``FUNCTIONS``, ``PARTS``)."""
    if name not in ASSIGNMENTS:
        raise KeyError(_("unknown assignment {name!r}; the assignments are: {names}").format(name=name, names=", ".join(ASSIGNMENTS)))
    return importlib.import_module(f"lessons.assignments.{name}.checks")


def points(name: str) -> float:
    """The points of an assignment (the sum over its parts)."""
    return sum(p.points for p in load(name).PARTS)


def part(name: str, part_name: str) -> Part:
    """One part of an assignment, by name."""
    parts = load(name).PARTS
    for p in parts:
        if p.name == part_name:
            return p
    raise KeyError(_("assignment {name} has no part {part!r}; its parts are: {parts}").format(
        name=name, part=part_name, parts=", ".join(p.name for p in parts)))


def call(func: str, *args: Any, **kwargs: Any) -> dict:
    """A call of the student's function ``func``."""
    return {"func": func, "args": list(args), "kwargs": kwargs, "mode": "plain"}


def backward_call(func: str, args: list, grad: np.ndarray | None, requires_grad: list) -> dict:
    """A call of the student's minigrad function on tensors made of ``args``, then (unless ``grad`` is
    None) backward of ``sum(out * grad)``: the outputs are the result and the gradients of the inputs
    that require one."""
    return {"func": func, "args": list(args), "kwargs": {}, "mode": "backward", "grad": grad, "requires_grad": list(requires_grad)}


def _index(idx: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]" if idx else ""


def compare(expected: dict, outcome: Outcome, rtol: float = 1e-7, atol: float = 1e-9, only: tuple | None = None) -> str | None:
    """Compare a call's outputs with the expected arrays (in order, by name); None when all agree.

    ``only`` names the outputs to compare (all by default); the number of outputs is always checked.

    The feedback names the first thing wrong: the error raised, the number of outputs, a shape, or
    the first wrong element with the value expected and the value got.
    """
    if outcome.error is not None:
        return outcome.error
    names = list(expected)
    got = outcome.outputs
    if len(got) != len(names):
        return _("returned {got} array(s), expected {n}: {names}").format(got=len(got), n=len(names), names=", ".join(names))
    for name, want, have in zip(names, expected.values(), got):
        if only is not None and name not in only:
            continue
        want = np.asarray(want, dtype=np.float64)
        if have.shape != want.shape:
            return _("{name} has shape {got}, expected {want}").format(name=name, got=tuple(have.shape), want=tuple(want.shape))
        bad = ~np.isclose(have, want, rtol=rtol, atol=atol, equal_nan=False)
        if bad.any():
            first = tuple(np.argwhere(bad)[0])
            if not np.isfinite(have[first]):
                return _("{name}{index} is {got}, expected {want:.6g} (not a finite number: {count} of {total} elements wrong)").format(
                    name=name, index=_index(first), got=have[first], want=want[first], count=int(bad.sum()), total=bad.size)
            return _("{name}{index} = {got:.6g}, expected {want:.6g} ({count} of {total} elements wrong)").format(
                name=name, index=_index(first), got=have[first], want=want[first], count=int(bad.sum()), total=bad.size)
    return None


def expect(label: str, the_call: dict, expected: dict, rtol: float = 1e-7, atol: float = 1e-9, only: tuple | None = None) -> Case:
    """A case of one call whose outputs must equal ``expected`` (name -> array, in the order returned;
    ``only`` the outputs named, if given)."""
    return Case(label, [the_call], lambda outcomes: compare(expected, outcomes[0], rtol, atol, only))


# --------------------------------------------------------------------------- results
@dataclass
class PartResult:
    name: str
    score: float
    max: float
    feedback: str


@dataclass
class Result:
    submission: str
    parts: list = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts), 2)

    @property
    def max(self) -> float:
        return round(sum(p.max for p in self.parts), 2)

    def as_dict(self) -> dict:
        return {"submission": self.submission, "score": self.score, "max": self.max,
                "parts": [{"name": p.name, "score": p.score, "max": p.max, "feedback": p.feedback} for p in self.parts]}


def build(name: str, seed: int, only: str | None = None) -> list:
    """The parts of an assignment (or part ``only``) with their cases: ``[(part, cases), ...]``.

    Each part draws from a generator of its own (``seed`` and its position), so a part's inputs do
    not depend on which other parts are built.
    """
    return [(p, p.cases(np.random.default_rng([seed, i]))) for i, p in enumerate(load(name).PARTS)
            if only is None or p.name == only]


def judge(built: list, outcomes: list) -> list:
    """Score each part from the outcomes of its calls (in the order of :func:`calls_of`)."""
    results, i = [], 0
    for p, cases in built:
        passed, first = 0, None
        for case in cases:
            verdict = case.judge(outcomes[i : i + len(case.calls)])
            i += len(case.calls)
            if verdict is None:
                passed += 1
            elif first is None:
                first = f"{case.label}: {verdict}"
        if first is None:
            feedback = _("{n} of {n} checks passed").format(n=len(cases))
        else:
            feedback = _("{passed} of {n} checks passed; {first}").format(passed=passed, n=len(cases), first=first)
        results.append(PartResult(p.name, round(p.points * passed / len(cases), 2), p.points, feedback))
    return results


def calls_of(built: list) -> list:
    return [c for _p, cases in built for case in cases for c in case.calls]


# --------------------------------------------------------------------------- running a submission
def _environment(workdir: str) -> dict:
    """The child's whole environment: nothing of the teacher's, one thread per numerical library."""
    env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    env.update({v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    return env


def _read_frames(data: bytes, count: int) -> tuple:
    """Parse the child's frames: ``(outcomes by call index, import error or None, intact)``."""
    outcomes: dict = {}
    pos, expected_index = 0, 0
    while pos + harness.HEADER.size <= len(data):
        hlen, blen = harness.HEADER.unpack_from(data, pos)
        end = pos + harness.HEADER.size + hlen + blen
        if hlen > MAX_HEADER_BYTES:
            return outcomes, None, False
        if end > len(data):  # cut short: the child stopped while writing
            break
        try:
            head = json.loads(data[pos + harness.HEADER.size : pos + harness.HEADER.size + hlen])
            index, error, shapes = head["call"], head["error"], head["shapes"]
            if index == -1 and expected_index == 0:
                return outcomes, str(error)[: harness.ERROR_CHARS], True
            if index != expected_index or index >= count:
                return outcomes, None, False
            body = data[end - blen : end]
            if shapes is None:
                outcomes[index] = Outcome(None, str(error)[: harness.ERROR_CHARS])
            else:
                sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
                if any(n < 0 for n in sizes) or 8 * sum(sizes) != blen:
                    return outcomes, None, False
                flat = np.frombuffer(body, dtype="<f8").astype(np.float64)
                splits = np.cumsum(sizes)[:-1]
                outcomes[index] = Outcome([a.reshape(s) for a, s in zip(np.split(flat, splits), shapes)])
        except (ValueError, KeyError, TypeError, RecursionError):  # not a frame the harness wrote
            return outcomes, None, False
        pos, expected_index = end, expected_index + 1
    return outcomes, None, True


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_submission(source: str, calls: list, timeout: float, memory_mb: int) -> list:
    """Run ``source`` (a student's file) on ``calls`` in a child process; one :class:`Outcome` per call."""
    import minigrad

    with tempfile.TemporaryDirectory(prefix="minigrad-grade-", ignore_cleanup_errors=True) as tmp:
        workdir, site = os.path.join(tmp, "work"), os.path.join(tmp, "site")
        os.makedirs(workdir)
        os.makedirs(site)
        # minigrad (and nothing else of this repository) importable in the child
        os.symlink(Path(minigrad.__file__).resolve().parent, os.path.join(site, "minigrad"))
        Path(workdir, "student.py").write_text(source, encoding="utf-8")
        harness.save_calls(os.path.join(workdir, "calls.npz"), calls)
        r, w = os.pipe()
        started = time.monotonic()
        try:
            limits = f"{memory_mb},{int(timeout) + 2}"  # memory (MB) and CPU seconds, set by the harness before the submission loads
            proc = subprocess.Popen([sys.executable, "-I", str(HERE / "harness.py"), workdir, str(w), limits, site], cwd=workdir,
                                    env=_environment(workdir), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, pass_fds=(w,), start_new_session=True)
        finally:
            os.close(w)
        data, timed_out, too_much = bytearray(), False, False
        try:
            while True:
                left = started + timeout - time.monotonic()
                if left <= 0 or not select.select([r], [], [], left)[0]:
                    timed_out = True
                    break
                chunk = os.read(r, 1 << 20)
                if not chunk:
                    break
                data += chunk
                if len(data) > MAX_RESULT_BYTES:
                    too_much = True
                    break
        finally:
            os.close(r)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
            except ProcessLookupError:
                pass
            code = proc.wait()
    outcomes, import_error, intact = _read_frames(bytes(data), len(calls))
    if import_error is not None:
        return [Outcome(None, _("student.py could not be imported: {error}").format(error=import_error)) for _c in calls]
    result, stopped = [], len(outcomes)  # frames come in order: call `stopped` is the one that was running
    for i, c in enumerate(calls):
        if i < stopped:
            result.append(outcomes[i])
        elif i == stopped:
            if too_much:
                why = _("the submission sent back more than {mb} MB").format(mb=MAX_RESULT_BYTES >> 20)
            elif not intact:
                why = _("the submission wrote something else than results into the grader's pipe")
            elif timed_out:
                why = _("time limit of {s:g} s reached in {func}").format(s=timeout, func=c["func"])
            elif code < 0:
                why = _("the submission's process was killed by {signal} in {func} (memory or CPU limit?)").format(
                    signal=_signal_name(-code), func=c["func"])
            else:
                why = _("the submission's process ended (exit status {code}) in {func}").format(code=code, func=c["func"])
            result.append(Outcome(None, why))
        else:
            result.append(Outcome(None, _("not run: the submission stopped before")))
    return result


# --------------------------------------------------------------------------- submissions
def submission_source(path: Path) -> tuple:
    """``(source, None)`` of a submission (a ``.py`` file, or a folder with ``student.py``), or ``(None, why)``."""
    if path.is_dir():
        candidates = [path / "student.py"] if (path / "student.py").is_file() else [
            p for p in sorted(path.glob("*.py")) if not p.name.startswith("test_")]
        if len(candidates) != 1:
            return None, _("no student.py in {path}").format(path=path.name)
        path = candidates[0]
    try:
        return path.read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as e:
        return None, _("cannot read {path}: {error}").format(path=path.name, error=type(e).__name__)


def submission_names(paths: list) -> list:
    """One short, distinct name per submission: a folder's name, a file's stem (its folder's name for ``student.py``)."""
    names, seen = [], {}
    for p in paths:
        p = Path(p).resolve()
        base = p.name if p.is_dir() else (p.parent.name if p.name == "student.py" else p.stem)
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


def grade(name: str, paths: list, timeout: float = 60.0, memory_mb: int = 1024, seed: int = GRADING_SEED,
          progress: bool | None = None) -> list:
    """Grade submissions of assignment ``name``: one :class:`Result` per path, in order."""
    from tqdm import tqdm

    built = build(name, seed)
    calls = calls_of(built)
    sources = [submission_source(Path(p)) for p in paths]  # all read before any runs
    results = []
    bar = tqdm(list(zip(submission_names(paths), sources)), desc=_("grading"), unit=_("submission"),
               disable=None if progress is None else not progress, file=sys.stderr)
    for sub_name, (source, why) in bar:
        if source is None:
            outcomes = [Outcome(None, why) for _c in calls]
        else:
            outcomes = run_submission(source, calls, timeout, memory_mb)
        results.append(Result(sub_name, judge(built, outcomes)))
    return results


def import_file(path: Path, module_name: str = "student") -> Any:
    """Import a student's file as a module (for the public tests, in the student's own process)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_part(name: str, module: Any, part_name: str, seed: int = PUBLIC_SEED) -> PartResult:
    """Run one part on an imported module in this process (the public tests; no isolation)."""
    part(name, part_name)  # an unknown part: the error names the parts
    built = build(name, seed, only=part_name)
    outcomes = []
    for c in calls_of(built):
        outputs, error = harness.run_call(module, c)
        outcomes.append(Outcome(outputs, error))
    return judge(built, outcomes)[0]
