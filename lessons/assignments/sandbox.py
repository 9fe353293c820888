"""A bubblewrap sandbox for one submission: what it can see, what it may use, and how it is stopped.

:func:`command` builds the ``bwrap`` command line (bubblewrap, the isolation Flatpak uses) that runs the
harness on one submission:

- **a file system of its own**: ``/usr`` and a few files of ``/etc`` read-only (the system libraries
  Python needs), the Python interpreter's own prefix read-only with every ``site-packages`` and
  ``dist-packages`` folder hidden, then, read-only under ``/sandbox/lib``, only the harness, NumPy and,
  for the assignments that allow it, minigrad; the submission's inputs read-only under ``/sandbox/in``
  and a private, size-limited writable folder ``/sandbox/work``. ``/tmp`` and ``/dev/shm`` are fresh,
  size-limited tmpfs that vanish with the sandbox. Nothing else of the machine exists inside: not the
  other submissions, not the grader's files, not the teacher's home;
- **namespaces of its own**: PID (it sees only its own processes; the grader is not there to signal),
  network (no network at all), IPC, UTS and, where possible, cgroup; an empty environment;
  ``--die-with-parent`` and ``--new-session``;
- **another user**: run as root, the grader gives every sandbox a user id of its own that owns nothing on
  the machine (the harness drops to it before the submission runs), so the limit on processes counts
  exactly that submission's processes and root's exemptions do not apply. Run as another user,
  ``bwrap`` makes a user namespace, in which the kernel counts processes per namespace.

Limits, set by the harness before the submission runs (:func:`lessons.assignments.harness.limit`):
address space per process, CPU time per process, file size, no core dumps, a number of processes. The
grader adds what a per-process limit cannot, for *all* the sandbox's processes together: where it can
create control groups (cgroup v1 ``memory`` and ``pids``, nested under its own: :func:`cgroups`), the
kernel enforces the memory (tmpfs files included) and the number of tasks; in every case the grader
measures the resident memory of the sandbox's processes (:func:`tree_memory`, every :data:`POLL_S`), and
a wall-clock deadline ends the whole submission. Ending means killing ``bwrap``: its PID namespace ends,
and the kernel ends every process in it, however it forked or detached.
"""
from __future__ import annotations

import functools
import glob
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LIB = "/sandbox/lib"
INPUT = "/sandbox/in"
WORK = "/sandbox/work"
PYTHON = "/sandbox/python"
TMPFS_MB = 64  # each of /tmp, /dev/shm and the work folder
POLL_S = 0.05  # how often the grader measures the memory of all the sandbox's processes
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf")
UID_FIRST = 1_900_000_000  # the sandboxes' user ids: far above any real account's
CGROUPS = Path("/sys/fs/cgroup")


def executable() -> str | None:
    """The ``bwrap`` program, or None."""
    return shutil.which("bwrap")


def _python() -> tuple:
    """``(bind arguments, the interpreter's path inside, its prefix outside, that prefix inside)``: the
    interpreter's prefix, read-only (nothing to bind for an interpreter under /usr, which is bound whole)."""
    exe = Path(sys.executable).resolve()
    prefix = Path(sys.base_prefix).resolve()
    if exe.is_relative_to("/usr"):
        return [], str(exe), Path("/usr"), Path("/usr")
    if not exe.is_relative_to(prefix):
        prefix = exe.parent.parent
    return ["--ro-bind", str(prefix), PYTHON], f"{PYTHON}/{exe.relative_to(prefix)}", prefix, Path(PYTHON)


def _hidden_packages(prefix: Path, inside: Path) -> list:
    """``--tmpfs`` over every folder of installed packages the sandbox would otherwise see (NumPy only
    means: not PyTorch, not minigrad, not anything else that happens to be installed)."""
    found = set(glob.glob("/usr/lib/python3*/site-packages") + glob.glob("/usr/lib/python3*/dist-packages")
                + glob.glob("/usr/local/lib/python3*/site-packages") + glob.glob("/usr/local/lib/python3*/dist-packages"))
    if prefix != Path("/usr"):
        found |= {str(inside / Path(p).relative_to(prefix)) for p in
                  glob.glob(f"{prefix}/lib/python3*/site-packages") + glob.glob(f"{prefix}/lib/python3*/dist-packages")}
    args = []
    for p in sorted(found):
        args += ["--tmpfs", p]
    return args


def _system() -> list:
    """The read-only system: /usr, the top-level links into it (or folders, on a system without merged /usr)
    and the few files of /etc that the dynamic loader and Python read."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/", top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def packages(allowed: tuple) -> dict:
    """What the sandbox may import besides the standard library: name -> folder (NumPy, its bundled
    libraries, and each allowed package)."""
    import numpy

    found = {"numpy": Path(numpy.__file__).resolve().parent}
    libs = found["numpy"].parent / "numpy.libs"
    if libs.is_dir():
        found["numpy.libs"] = libs
    for name in allowed:
        module = __import__(name)
        found[name] = Path(module.__file__).resolve().parent
    return found


def new_uid() -> int:
    """A user id for one sandbox (only used when the grader runs as root)."""
    return UID_FIRST + secrets.randbelow(100_000_000)


def command(harness: Path, inputs: Path, fd: int, limits: str, uid: int, allowed: tuple) -> list:
    """The ``bwrap`` command that runs ``harness`` on the submission in ``inputs``, results to ``fd``."""
    binds, python, prefix, inside = _python()
    root = os.geteuid() == 0
    args = [executable() or "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            *([] if root else ["--unshare-user"]), "--die-with-parent", "--new-session", "--clearenv",
            *(["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if root else []),
            *_system(), "--proc", "/proc", "--dev", "/dev",
            "--perms", "01777", "--size", str(TMPFS_MB << 20), "--tmpfs", "/tmp",
            "--perms", "01777", "--size", str(TMPFS_MB << 20), "--tmpfs", "/dev/shm",
            "--perms", "0755", "--dir", "/sandbox", *binds, *_hidden_packages(prefix, inside),
            "--perms", "0755", "--dir", LIB, "--ro-bind", str(harness), f"{LIB}/harness.py"]
    for name, folder in packages(allowed).items():
        args += ["--ro-bind", str(folder), f"{LIB}/{name}"]
    args += ["--ro-bind", str(inputs), INPUT, "--perms", "01777", "--size", str(TMPFS_MB << 20), "--tmpfs", WORK, "--chdir", WORK]
    for key, value in environment(WORK).items():
        args += ["--setenv", key, value]
    boot = f"import sys; sys.path[:0] = [{LIB!r}]; import harness; sys.exit(harness.main(sys.argv))"
    return [*args, python, "-I", "-S", "-c", boot, INPUT, WORK, str(fd), limits, str(uid if root else -1)]


def environment(workdir: str) -> dict:
    """The submission's whole environment: nothing of the teacher's, one thread per numerical library."""
    env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    env.update({v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    return env


@functools.lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why no sandbox can be made here (bwrap missing, or it cannot create namespaces), or None.

    It builds the very sandbox a submission gets and runs ``pass`` in it."""
    if executable() is None:
        return "bwrap not found"
    harness = Path(__file__).resolve().parent / "harness.py"
    with tempfile.TemporaryDirectory(prefix="minigrad-sandbox-check-") as tmp:
        os.chmod(tmp, 0o755)
        cmd = command(harness, Path(tmp), 1, "0,0,0,0", -1, ())
        cmd = cmd[: cmd.index("-c") + 1] + ["pass"]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"{type(e).__name__}: {e}"
    if r.returncode != 0:
        return (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
    return None


def _children() -> dict:
    """Every process's children, from /proc: ppid -> [pid, ...]."""
    children: dict = {}
    if not os.path.isdir("/proc"):  # not Linux (grading --no-sandbox): the per-process limits are all there is
        return children
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:  # it ended meanwhile
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_memory(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (a child that detached stays in the sandbox's PID
    namespace, whose init is a descendant of ``bwrap``: it is counted too)."""
    children, todo, total = _children(), [pid], 0
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def _own_cgroup(controller: str) -> str | None:
    """The grader's own cgroup v1 path for ``controller`` (from /proc/self/cgroup), or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def cgroups(name: str, memory_bytes: int, tasks: int) -> list:
    """Control groups for one sandbox, nested under the grader's own: cgroup v1 ``memory`` (RAM and swap,
    tmpfs included) and ``pids`` (processes and threads). The folders made, or ``[]`` where they cannot be
    made (not root, cgroup v2 only, read-only): then the grader's own measurement is the limit."""
    made = []
    settings = {"memory": (("memory.limit_in_bytes", memory_bytes), ("memory.memsw.limit_in_bytes", memory_bytes)),
                "pids": (("pids.max", tasks),)}
    try:
        for controller, values in settings.items():
            own = _own_cgroup(controller)
            if own is None or not (CGROUPS / controller / "cgroup.procs").is_file():
                raise OSError(f"no cgroup v1 {controller}")
            folder = CGROUPS / controller / own.lstrip("/") / name
            folder.mkdir()
            made.append(folder)
            for key, value in values:
                if (folder / key).exists():
                    (folder / key).write_text(str(value))
    except OSError:
        release(made)
        return []
    return made


def joined(groups: list, cmd: list) -> list:
    """``cmd`` started inside ``groups``: a shell writes its own pid into each, then becomes ``cmd``."""
    if not groups:
        return cmd
    script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", str(len(groups)), *(str(g / "cgroup.procs") for g in groups), *cmd]


def out_of_memory(groups: list) -> bool:
    """Whether the kernel killed a process of the memory group for want of memory."""
    for g in groups:
        control = g / "memory.oom_control"
        if control.is_file():
            fields = dict(line.split() for line in control.read_text().splitlines() if len(line.split()) == 2)
            if int(fields.get("oom_kill", 0)) > 0:
                return True
    return False


def release(groups: list) -> None:
    """Remove the groups once their processes are gone (a killed namespace takes a moment to empty)."""
    import time

    for g in groups:
        for _ in range(50):
            try:
                g.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)
