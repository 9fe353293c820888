"""Grading assignments: graded parts, each submission in a sandbox of its own, judged by the grader.

An assignment (``lessons/assignments/NAME/checks.py``, or ``SOLUTIONS/NAME/checks.py`` of a course's own
material) is a list of :class:`Part`; a part builds its :class:`Case` s from a random generator, and a case
is one or more calls of the student's functions with a *judge* that turns what the calls returned into
``None`` (right) or one line of feedback (or a list of them: one check each).

How a submission is graded (:func:`grade`):

1. every submission's files are read before any runs (one cannot change another's file first);
2. the cases are drawn once, in the grader's process, from the grading seed (``--seed``,
   ``MINIGRAD_GRADING_SEED`` or a fresh random one; never the public tests' :data:`PUBLIC_SEED`), and the
   expected arrays computed there, from minigrad (its autograd, its layers, finite differences), never by
   the submission, which receives only the inputs;
3. each submission runs in a bubblewrap sandbox of its own (:mod:`lessons.assignments.sandbox`), driven
   by :mod:`lessons.assignments.harness`: it sees only its own files, the standard library, NumPy and what
   its assignment allows (``ALLOWS`` in ``checks.py``), under limits on memory, CPU time, processes and
   file size, and is killed with all its processes at the deadline. It sends back only arrays, frame by
   frame, over a pipe that the grader alone reads;
4. the grader validates the frames and judges the arrays. A part scores ``points * (checks passed) /
   (checks)``.

Without the sandbox (``sandbox=False``, the teacher's ``--no-sandbox``), the harness runs as a limited
child process with the grader's user rights, and every result says "not isolated".
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lessons.assignments import harness, sandbox
from lessons.i18n import domain

_ = domain("assignments")


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; :func:`_` translates it where it is shown."""
    return message


ASSIGNMENTS = ("rnn_bptt", "lstm_cell", "attention_masks", "multihead_heads", "attention_backward")
HERE = Path(__file__).resolve().parent
# The reference solutions of the built-in assignments: teacher/NAME/solution.py in the repository, beside
# the packages and never inside one (not in the wheel or the sdist); None in an installed copy.
TEACHER = HERE.parents[1] / "teacher" if (HERE.parents[1] / "teacher" / ASSIGNMENTS[0] / "solution.py").is_file() else None
PUBLIC_SEED = 0  # the inputs of the public tests (published; the grader refuses to grade with it)
SEED_VARIABLE = "MINIGRAD_GRADING_SEED"
MAX_RESULT_BYTES = 256 << 20  # what one submission may send back in all
MAX_HEADER_BYTES = 1 << 16
MAX_SUBMISSION_BYTES = 16 << 20  # a submission's files in all
PROCESSES = 64  # processes (threads included) one submission may have at once
FILE_MB = 64  # the largest file a submission may write


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


def load(name: str, solutions: Path | None = None) -> Any:
    """The checks module of an assignment (``TITLE``, ``FUNCTIONS``, ``PARTS``, optional ``ALLOWS``).

    With ``solutions`` (a course's own material, laid out as ``teacher/``: ``NAME/solution.py`` and,
    optionally, ``NAME/checks.py``), a ``NAME/checks.py`` there replaces the built-in one: a course's
    hidden cases. An assignment that exists only there is graded from there.
    """
    own = None if solutions is None else Path(solutions) / name / "checks.py"
    if own is not None and own.is_file():
        module_name = f"minigrad_course_checks_{hashlib.sha256(str(own.resolve()).encode()).hexdigest()[:12]}_{name}"
        if module_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(module_name, own)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        return sys.modules[module_name]
    if name not in ASSIGNMENTS:
        raise KeyError(_("unknown assignment {name!r}; the assignments are: {names}").format(name=name, names=", ".join(ASSIGNMENTS)))
    return importlib.import_module(f"lessons.assignments.{name}.checks")


def points(name: str, solutions: Path | None = None) -> float:
    """The points of an assignment (the sum over its parts)."""
    return sum(p.points for p in load(name, solutions).PARTS)


def allowed(name: str, solutions: Path | None = None) -> tuple:
    """What a submission may import besides the standard library and NumPy (``ALLOWS``; none by default)."""
    return tuple(getattr(load(name, solutions), "ALLOWS", ()))


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


def _nonzero(label: str, expected: dict, names: tuple) -> None:
    """A check whose expected arrays are all zero would credit an empty answer: refuse to build it."""
    if not any(np.any(np.asarray(expected[n]) != 0) for n in names):
        raise ValueError(f"check {label!r}: the expected {', '.join(names)} are all zero; an answer of zeros would pass")


def expect(label: str, the_call: dict, expected: dict, rtol: float = 1e-7, atol: float = 1e-9, only: tuple | None = None) -> Case:
    """A case of one call whose outputs must equal ``expected`` (name -> array, in the order returned;
    ``only`` the outputs named, if given). Expected arrays that are all zero are refused."""
    _nonzero(label, expected, tuple(only or expected))
    return Case(label, [the_call], lambda outcomes: compare(expected, outcomes[0], rtol, atol, only))


def expect_each(label: str, the_call: dict, expected: dict, rtol: float = 1e-7, atol: float = 1e-9, only: tuple | None = None) -> Case:
    """A case of one call with one check per output (each gradient its own check; ``only`` those named):
    five right of six earn five sixths. An output expected to be all zero is not checked (zeros would
    pass it)."""
    names = [n for n in (only or expected) if np.any(np.asarray(expected[n]) != 0)]
    _nonzero(label, expected, tuple(names) or tuple(expected))

    def judge(outcomes: list) -> list:
        return [None if (v := compare(expected, outcomes[0], rtol, atol, (n,))) is None else f"{n}: {v}" for n in names]

    return Case(label, [the_call], judge)


# --------------------------------------------------------------------------- results
@dataclass
class PartResult:
    name: str
    score: float
    max: float
    feedback: str
    title: str = ""


@dataclass
class Result:
    """One submission's grade. ``isolated``: graded in the sandbox; ``seed_id``: names the grading seed
    (a hash of it, so a student who sees it cannot recover the inputs); ``seconds``: wall-clock time."""

    submission: str
    parts: list = field(default_factory=list)
    isolated: bool = True
    seed_id: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.parts), 2)

    @property
    def max(self) -> float:
        return round(sum(p.max for p in self.parts), 2)

    def as_dict(self) -> dict:
        return {"submission": self.submission, "score": self.score, "max": self.max, "isolated": self.isolated,
                "seed_id": self.seed_id, "parts": [{"name": p.name, "score": p.score, "max": p.max, "feedback": p.feedback}
                                                   for p in self.parts]}


def seed_id(seed: int) -> str:
    """What the results say about the seed that graded them: a hash, not the seed."""
    return hashlib.sha256(f"minigrad grading seed {int(seed)}".encode()).hexdigest()[:12]


def grading_seed(seed: int | None = None) -> tuple:
    """``(seed, where it came from)``: the seed given, else ``MINIGRAD_GRADING_SEED``, else a fresh random one.

    The public tests' seed is refused: its inputs are published, and answers cached for them would pass.
    """
    source = "--seed"
    if seed is None and os.environ.get(SEED_VARIABLE, "").strip():
        source = SEED_VARIABLE
        try:
            seed = int(os.environ[SEED_VARIABLE])
        except ValueError:
            raise ValueError(_("{variable} must be a whole number, not {value!r}").format(
                variable=SEED_VARIABLE, value=os.environ[SEED_VARIABLE])) from None
    if seed is None:
        return secrets.randbelow(2**62) + 1, "random"
    if seed == PUBLIC_SEED or seed < 0:
        raise ValueError(_("{source}: the grading seed must be a non-negative number other than the public tests' seed {public}").format(
            source=source, public=PUBLIC_SEED))
    return seed, source


def build(name: str, seed: int, only: str | None = None, solutions: Path | None = None) -> list:
    """The parts of an assignment (or part ``only``) with their cases: ``[(part, cases), ...]``.

    Each part draws from a generator of its own (``seed`` and its position), so a part's inputs do
    not depend on which other parts are built.
    """
    return [(p, p.cases(np.random.default_rng([seed, i]))) for i, p in enumerate(load(name, solutions).PARTS)
            if only is None or p.name == only]


def judge(built: list, outcomes: list) -> list:
    """Score each part from the outcomes of its calls (in the order of :func:`calls_of`); a judge that
    returns a list gives one check per element."""
    results, i = [], 0
    for p, cases in built:
        passed, total, first = 0, 0, None
        for case in cases:
            verdicts = case.judge(outcomes[i : i + len(case.calls)])
            i += len(case.calls)
            for verdict in verdicts if isinstance(verdicts, list) else [verdicts]:
                total += 1
                if verdict is None:
                    passed += 1
                elif first is None:
                    first = f"{case.label}: {verdict}"
        if first is None:
            feedback = _("{n} of {n} checks passed").format(n=total)
        else:
            feedback = _("{passed} of {n} checks passed; {first}").format(passed=passed, n=total, first=first)
        results.append(PartResult(p.name, round(p.points * passed / total, 2), p.points, feedback, _(p.title)))
    return results


def calls_of(built: list) -> list:
    return [c for _p, cases in built for case in cases for c in case.calls]


# --------------------------------------------------------------------------- running a submission
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


_MISSING = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def _explain_import(error: str | None, allows: tuple) -> str | None:
    """An import of a package the assignment does not allow: say why it is not there."""
    if error is None or not _MISSING.search(error):
        return error
    return _("{error}: this assignment allows only the standard library and {packages} (see its handout)").format(
        error=error, packages=", ".join(("NumPy", *allows)))


def _write_inputs(folder: Path, files: dict, calls: list) -> None:
    """The sandbox's read-only inputs: the submission's files and the calls, readable by its user."""
    sub = folder / "submission"
    sub.mkdir(parents=True)
    for rel, data in files.items():
        target = sub / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    harness.save_calls(str(folder / "calls.npz"), calls)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def _plain_command(tmp: Path, inputs: Path, fd: int, limits: str, allows: tuple) -> tuple:
    """Without the sandbox: the same harness in a child process (``python -I -S``, only NumPy and the
    allowed packages on its path), with the grader's user rights. ``(command, working folder)``."""
    lib, work = tmp / "lib", tmp / "work"
    lib.mkdir()
    work.mkdir()
    os.symlink(HERE / "harness.py", lib / "harness.py")
    for name, folder in sandbox.packages(allows).items():
        os.symlink(folder, lib / name)
    boot = f"import sys; sys.path[:0] = [{str(lib)!r}]; import harness; sys.exit(harness.main(sys.argv))"
    return [sys.executable, "-I", "-S", "-c", boot, str(inputs), str(work), str(fd), limits, "-1"], work


def run_submission(files: dict, calls: list, timeout: float, memory_mb: int, allows: tuple = (), isolated: bool = True) -> list:
    """Run a submission (``{relative path: bytes}``, its main file ``student.py``) on ``calls``, in its
    sandbox (or, not ``isolated``, in a plain child process); one :class:`Outcome` per call."""
    with tempfile.TemporaryDirectory(prefix="minigrad-grade-", ignore_cleanup_errors=True) as tmp:
        inputs = Path(tmp, "in")
        _write_inputs(inputs, files, calls)
        limits = f"{memory_mb},{int(timeout) + 2},{PROCESSES if isolated else -1},{FILE_MB}"
        r, w = os.pipe()
        started = time.monotonic()
        groups: list = []
        try:
            if isolated:
                uid = sandbox.new_uid()
                cmd, cwd = sandbox.command(HERE / "harness.py", inputs, w, limits, uid, allows), tmp
                groups = sandbox.cgroups(f"minigrad-grade-{uid}", memory_mb << 20, PROCESSES + 4)  # + sh, bwrap and its init
                cmd = sandbox.joined(groups, cmd)
            else:
                cmd, cwd = _plain_command(Path(tmp), inputs, w, limits, allows)
            proc = subprocess.Popen(cmd, cwd=cwd, env=sandbox.environment(str(cwd)), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(w,), start_new_session=True)
        except BaseException:
            sandbox.release(groups)
            raise
        finally:
            os.close(w)
        data, timed_out, too_much, too_big = bytearray(), False, False, False
        try:
            while True:
                left = started + timeout - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                if select.select([r], [], [], min(left, sandbox.POLL_S))[0]:
                    chunk = os.read(r, 1 << 20)
                    if not chunk:
                        break
                    data += chunk
                    if len(data) > MAX_RESULT_BYTES:
                        too_much = True
                        break
                if sandbox.tree_memory(proc.pid) > memory_mb << 20:  # all its processes together
                    too_big = True
                    break
        finally:
            os.close(r)
            if not (timed_out or too_much or too_big):  # the pipe closed: let the harness report how it ended
                try:
                    proc.wait(timeout=max(0.5, started + timeout - time.monotonic()))
                except subprocess.TimeoutExpired:
                    timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # bwrap: its PID namespace, and every process in it, ends with it
            except ProcessLookupError:
                pass
            code = proc.wait()
            too_big = too_big or sandbox.out_of_memory(groups)
            sandbox.release(groups)
    if isolated and code > 128:  # bwrap reports a child killed by a signal as 128 + the signal
        code = -(code - 128)
    outcomes, import_error, intact = _read_frames(bytes(data), len(calls))
    if import_error is not None:
        why = _("student.py could not be imported: {error}").format(error=_explain_import(import_error, allows))
        return [Outcome(None, why) for _c in calls]
    result, stopped = [], len(outcomes)  # frames come in order: call `stopped` is the one that was running
    for i, c in enumerate(calls):
        if i < stopped:
            o = outcomes[i]
            result.append(Outcome(o.outputs, _explain_import(o.error, allows)))
        elif i == stopped:
            if too_much:
                why = _("the submission sent back more than {mb} MB").format(mb=MAX_RESULT_BYTES >> 20)
            elif not intact:
                why = _("the submission wrote something else than results into the grader's pipe")
            elif too_big:
                why = _("memory limit of {mb} MB reached by the submission's processes together in {func}").format(
                    mb=memory_mb, func=c["func"])
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
def submission_files(path: Path) -> tuple:
    """``(files, None)`` of a submission, or ``(None, why)``; ``files`` maps relative paths to bytes.

    A ``.py`` file becomes ``student.py``; a folder keeps all its regular files (helper modules, data),
    its main file being ``student.py`` or else its only ``.py`` file not named ``test_*``. The bytes are
    kept as they are: Python reads a declared encoding (PEP 263, ``# -*- coding: gbk -*-``) itself.
    Links are skipped: a submission must not make the grader copy a file of the teacher's.
    """
    path = Path(path)
    too_large = _("{path} is larger than {mb} MB").format(path=path.name, mb=MAX_SUBMISSION_BYTES >> 20)
    try:
        if not path.is_dir():
            data = path.read_bytes()
            return ({"student.py": data}, None) if len(data) <= MAX_SUBMISSION_BYTES else (None, too_large)
        candidates = [path / "student.py"] if (path / "student.py").is_file() else [
            p for p in sorted(path.glob("*.py")) if not p.name.startswith("test_") and p.is_file() and not p.is_symlink()]
        if len(candidates) != 1:
            return None, _("no student.py in {path}").format(path=path.name)
        files, size = {}, 0
        for p in sorted(path.rglob("*")):
            rel = p.relative_to(path)
            if p.is_symlink() or not p.is_file() or "__pycache__" in rel.parts or any(part.startswith(".") for part in rel.parts):
                continue
            size += p.stat().st_size
            if size > MAX_SUBMISSION_BYTES:
                return None, too_large
            files["student.py" if p == candidates[0] else rel.as_posix()] = p.read_bytes()
        return files, None
    except OSError as e:
        return None, _("cannot read {path}: {error}").format(path=path.name, error=type(e).__name__)


def submission_names(paths: list) -> list:
    """One distinct key per submission, for the class record and the feedback files: a folder's name, a
    file's stem (its folder's name for ``student.py``); where these collide, the path from the folder
    the submissions share (``d1/a``, ``d2/a``); ``#2``, ``#3`` ... if even those collide."""
    paths = [Path(p).resolve() for p in paths]
    bases = [p.name if p.is_dir() else (p.parent.name if p.name == "student.py" else p.stem) for p in paths]
    common = Path(os.path.commonpath([str(p.parent) for p in paths])) if paths else Path("/")
    names = []
    for p, base in zip(paths, bases):
        if bases.count(base) > 1:
            rel = (p.parent if p.name == "student.py" else p if p.is_dir() else p.with_suffix("")).relative_to(common)
            base = rel.as_posix() if rel.parts else base
        names.append(base)
    seen: dict = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if names.count(n) == 1 else f"{n}#{seen[n]}")
    return out


def grade(name: str, paths: list, timeout: float = 60.0, memory_mb: int = 1024, seed: int | None = None,
          progress: bool | None = None, jobs: int = 1, isolated: bool = True, solutions: Path | None = None) -> list:
    """Grade submissions of assignment ``name``: one :class:`Result` per path, in order.

    ``seed`` draws the graded inputs (:func:`grading_seed` when None); ``jobs`` submissions run at once
    (the results do not depend on it); ``isolated`` runs each in its sandbox (the caller checks
    :func:`lessons.assignments.sandbox.unavailable` first).
    """
    from tqdm import tqdm

    seed = grading_seed(seed)[0]
    built = build(name, seed, solutions=solutions)
    calls = calls_of(built)
    allows = allowed(name, solutions)
    sources = [submission_files(Path(p)) for p in paths]  # all read before any runs

    def one(item: tuple) -> Result:
        sub_name, (files, why) = item
        started = time.monotonic()
        if files is None:
            outcomes = [Outcome(None, why) for _c in calls]
        else:
            outcomes = run_submission(files, calls, timeout, memory_mb, allows, isolated)
        return Result(sub_name, judge(built, outcomes), isolated, seed_id(seed), round(time.monotonic() - started, 2))

    items = list(zip(submission_names(paths), sources))
    bar = tqdm(total=len(items), desc=_("grading"), unit=_("submission"), disable=None if progress is None else not progress,
               file=sys.stderr)
    results = []
    with bar, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for r in pool.map(one, items):
            results.append(r)
            bar.update()
    return results


def import_file(path: Path, module_name: str = "student") -> Any:
    """Import a student's file as a module (for the public tests, in the student's own process)."""
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
