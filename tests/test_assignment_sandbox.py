"""A class that would rather not solve the assignments: each attack of issue 25 as a submission, graded
together with honest work in one run of ``python -m lessons assignment grade``. Every attack must fail
(no credit, nothing changed, nothing left behind) and the rest of the class must be graded unharmed.

Also: the teacher's material is not in the wheel or the sdist; the student's copy works with only
minigrad and NumPy; without bwrap the grader refuses in one line unless told ``--no-sandbox``."""
import csv
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lessons.assignments import grading, harness, sandbox

ROOT = Path(__file__).resolve().parent.parent
TEACHER = ROOT / "teacher"
SOLUTION = (TEACHER / "rnn_bptt" / "solution.py").read_text(encoding="utf-8")
TEMPLATE = (ROOT / "lessons" / "assignments" / "rnn_bptt" / "student.py").read_text(encoding="utf-8")
needs_bwrap = pytest.mark.skipif(sandbox.executable() is None, reason="bubblewrap is not installed (apt-get install -y bubblewrap)")


def _cached_answers() -> str:
    """A pure-NumPy submission holding the answers of every graded call for the public seed, in order."""
    module = grading.import_file(TEACHER / "rnn_bptt" / "solution.py", "cached_solution")
    table = []
    for c in grading.calls_of(grading.build("rnn_bptt", grading.PUBLIC_SEED)):
        outputs, error = harness.run_call(module, c)
        assert error is None
        table.append([o.tolist() for o in outputs])
    return (f"import numpy as np\nTABLE = {table!r}\nNEXT = [0]\n\n"
            "def _answer(*a, **k):\n    out = [np.array(x) for x in TABLE[NEXT[0] % len(TABLE)]]\n    NEXT[0] += 1\n"
            "    return out[0] if len(out) == 1 else tuple(out)\n\nrnn_forward = rnn_backward = _answer\n")


def _attacks(tmp: Path, out: Path, token: str) -> dict:
    victim, friend = tmp / "victim.py", tmp / "friend.py"
    targets = [victim, friend, out / "class.csv", out / "daemon.txt", out / "daemon.results.json",
               ROOT / "lessons" / "assignments" / "grading.py"]
    rewrite = (f"import os, time\nTARGETS = {[str(t) for t in targets]!r}\nBAD = {TEMPLATE!r}\nGOOD = {SOLUTION!r}\n"
               "def attack():\n"
               "    for t in TARGETS:\n"
               "        try:\n"
               "            open(t, 'w').write(GOOD if 'friend' in t else BAD if 'victim' in t else 'daemon,10,10\\n')\n"
               "        except OSError:\n"
               "            pass\n")
    return {
        # the reference solution: imported, or found by path and exec'ed
        "import_solution": "from lessons.assignments.rnn_bptt.solution import *\nfrom teacher.rnn_bptt.solution import *\n",
        "read_solution": ("import os\nfound = None\n"
                          f"for p in [{str(TEACHER / 'rnn_bptt' / 'solution.py')!r}, {str(ROOT / 'lessons')!r}]:\n"
                          "    if os.path.exists(p):\n        found = p\n"
                          "for top in ('/', ):\n"
                          "    for d, dirs, files in os.walk(top):\n"
                          "        dirs[:] = [x for x in dirs if x not in ('proc', 'sys', 'share', 'include')]\n"
                          "        if 'solution.py' in files and 'def rnn_backward' in open(os.path.join(d, 'solution.py')).read():\n"
                          "            found = os.path.join(d, 'solution.py')\n"
                          "if found is None:\n    raise ImportError('no solution anywhere')\n"
                          "exec(open(found).read())\n"),
        "cached": _cached_answers(),
        # a daemon that outlives its sandbox and rewrites files later
        "daemon": (rewrite + "import sys\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                   "        os.closerange(0, 1024)\n        for _ in range(40):\n            attack()\n            time.sleep(0.2)\n"
                   "    os._exit(0)\nattack()\n" + TEMPLATE),
        # killing the grader, and every process it can name
        "killer": ("import os, signal\nfor pid in [os.getppid(), 1, *range(2, 300)]:\n    if pid != os.getpid():\n"
                   "        try:\n            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n" + TEMPLATE),
        # snooping: other submissions, the grader, the teacher's environment, through /proc and the file system
        "snoop": ("import os, glob\nseen = []\n"
                  "for f in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/cwd/*'):\n"
                  "    try:\n        seen.append(open(f, 'rb').read().decode('latin-1'))\n    except OSError:\n        pass\n"
                  "seen += [str(os.environ)] + [p for p in glob.glob('/*/*') + glob.glob(os.path.join(os.sep, 'tmp', '*'))]\n"
                  # the words spelled backwards: the snoop reads its own source too
                  f"words = [w[::-1] for w in ('terc3s', 'mitciv', 'dneirf', 'TERCES_REDARG', {str(tmp)[::-1]!r})]\n"
                  "leaks = [w for w in words if any(w in s for s in seen)]\n"
                  "def rnn_forward(*a):\n    raise RuntimeError('leaks: ' + repr(leaks))\n"),
        # litter in /tmp and /dev/shm, and a look for the litter of the submission before
        "litter": (f"import os\nfor d in ('/tmp', '/dev/shm', os.environ.get('HOME', '/tmp')):\n"
                   f"    open(os.path.join(d, 'minigrad-litter-{token}'), 'w').write('x')\n" + TEMPLATE),
        "litter_reader": (f"import os\nfound = [d for d in ('/tmp', '/dev/shm') if os.path.exists(os.path.join(d, 'minigrad-litter-{token}'))]\n"
                          "def rnn_forward(*a):\n    raise RuntimeError('litter found: ' + repr(found))\n"),
        # a fork bomb (bounded at 4096 processes should every limit fail), and memory spread over children
        "fork_bomb": ("import os, time\nfor _ in range(12):\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
                      "time.sleep(30)\n"),
        "memory_spread": ("import os, time\nimport numpy as np\n\ndef rnn_forward(*a):\n    for _ in range(3):\n"
                          "        if os.fork() == 0:\n            break\n    x = np.ones(200 << 17)  # 200 MB each, 800 MB in all\n"
                          "    time.sleep(30)\n"),
        # NumPy only: minigrad or PyTorch at import, or inside a function
        "uses_minigrad": "import minigrad\n" + SOLUTION,
        "uses_torch": SOLUTION.replace("def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n",
                                       "def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n    import torch\n"),
        "interrupted": SOLUTION.replace("def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, dhs, truncate=None):\n",
                                        "def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, dhs, truncate=None):\n    raise KeyboardInterrupt\n"),
    }


def _digest(paths: list) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@needs_bwrap
def test_every_attack_fails_and_the_class_is_graded_unharmed(tmp_path):
    token = uuid.uuid4().hex
    subs, out = tmp_path / "subs", tmp_path / "report"
    subs.mkdir()
    (subs / "victim.py").write_text(SOLUTION, encoding="utf-8")
    (subs / "friend.py").write_text(TEMPLATE, encoding="utf-8")
    (subs / "honest.py").write_text(SOLUTION, encoding="utf-8")
    for name, source in _attacks(subs, out, token).items():
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    grader_files = sorted((ROOT / "lessons" / "assignments").rglob("*.py")) + sorted(TEACHER.rglob("*.py"))
    before = _digest(grader_files + sorted(subs.iterdir()))
    env = dict(os.environ, GRADER_SECRET="s3cret")
    paths = sorted(subs.iterdir())
    r = subprocess.run([sys.executable, "-m", "lessons", "assignment", "grade", "rnn_bptt", *paths, "--json", "--out", out, "--gradescope",
                        "--timeout", "8", "--memory", "512", "-j", "3", "--seed", "424242"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 1, r.stderr  # the grader survived: exit status 1 (not everyone has full marks), not 137
    subs_json = {s["submission"]: s for s in json.loads(r.stdout)["submissions"]}
    assert set(subs_json) == {p.stem for p in paths}
    score = {k: v["score"] for k, v in subs_json.items()}
    feedback = {k: " ".join(p["feedback"] for p in v["parts"]) for k, v in subs_json.items()}
    printed = dict(score)
    # the honest class: unharmed
    assert score["victim"] == score["honest"] == 10 and score["friend"] == 0
    # every attack fails
    for name in ("import_solution", "read_solution", "cached", "daemon", "killer", "snoop", "litter", "litter_reader", "fork_bomb",
                 "memory_spread", "uses_minigrad"):
        assert score[name] == 0, (name, feedback[name])
    assert "No module named 'lessons'" in feedback["import_solution"]
    assert "no solution anywhere" in feedback["read_solution"]
    assert "leaks: []" in feedback["snoop"]
    assert "litter found: []" in feedback["litter_reader"]
    assert "processes together" in feedback["memory_spread"]
    assert "allows only the standard library and NumPy" in feedback["uses_minigrad"]
    assert "No module named 'torch'" in feedback["uses_torch"] and "allows only the standard library and NumPy" in feedback["uses_torch"]
    torch_parts = {p["name"]: p["score"] for p in subs_json["uses_torch"]["parts"]}
    assert torch_parts["forward"] == 0 and torch_parts["finite_differences"] == 0
    assert "KeyboardInterrupt" in feedback["interrupted"] and "SIGKILL" not in feedback["interrupted"]
    assert subs_json["interrupted"]["parts"][0]["score"] == 2
    # nothing changed, now or later: files, results, the grader; nothing left behind
    time.sleep(4)
    assert _digest(grader_files + paths) == before
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO((out / "class.csv").read_text(encoding="utf-8")))}
    assert {k: float(v["score"]) for k, v in rows.items()} == printed
    assert json.loads((out / "daemon.results.json").read_text(encoding="utf-8"))["score"] == 0
    assert "daemon: 0 / 10" in (out / "daemon.txt").read_text(encoding="utf-8")
    assert not [p for d in ("/tmp", "/dev/shm") for p in Path(d).glob(f"minigrad-litter-{token}")]
    if os.geteuid() == 0:  # every sandbox ran under a user id of its own, from sandbox.UID_FIRST up: none is left
        survivors = []
        for d in Path("/proc").iterdir():
            try:
                uid = int((d / "status").read_text().split("\nUid:")[1].split()[0]) if d.name.isdigit() else -1
            except (OSError, IndexError):
                continue
            if uid >= sandbox.UID_FIRST:
                survivors.append(d.name)
        assert not survivors, "a submission's process outlived the grader"


@needs_bwrap
def test_the_sandbox_is_read_only_private_and_limited(tmp_path):
    probe = ("import os, resource, socket\n"
             "def rnn_forward(*a):\n"
             "    facts = [os.getuid() != 0, os.getcwd(), sorted(os.listdir('.')), resource.getrlimit(resource.RLIMIT_NPROC)[0],\n"
             "             resource.getrlimit(resource.RLIMIT_AS)[0] >> 20, sorted(os.environ)]\n"
             "    for path in ('/usr/probe', '/sandbox/lib/harness.py', '/sandbox/in/calls.npz'):\n"
             "        try:\n            open(path, 'a').close()\n            facts.append('wrote ' + path)\n"
             "        except OSError:\n            facts.append('read-only')\n"
             "    try:\n        socket.create_connection(('1.1.1.1', 53), timeout=2)\n        facts.append('network')\n"
             "    except OSError:\n        facts.append('no network')\n"
             "    raise RuntimeError(repr(facts))\n")
    (tmp_path / "probe.py").write_text(probe, encoding="utf-8")
    (result,) = grading.grade("rnn_bptt", [tmp_path / "probe.py"], seed=3, memory_mb=600, progress=False)
    facts = result.parts[0].feedback
    assert "True, '/sandbox/work', ['student.py'], 64, 600" in facts, facts
    assert "'HOME', 'LANG'" in facts and "GRADER" not in facts
    assert facts.count("read-only") == 3 and "no network" in facts


def test_without_bwrap_the_grader_refuses_unless_told_no_sandbox(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env["PATH"] = str(tmp_path)  # no bwrap on it
    cmd = [sys.executable, "-m", "lessons", "assignment", "grade", "attention_masks", TEACHER / "attention_masks" / "solution.py", "--seed", "5"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "bwrap not found" in r.stderr and "apt-get install -y bubblewrap" in r.stderr and "--no-sandbox" in r.stderr
    r = subprocess.run([*cmd, "--no-sandbox", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    (sub,) = json.loads(r.stdout)["submissions"]
    assert sub["isolated"] is False and sub["score"] == sub["max"] == 8 and "not isolated" in r.stderr
    r = subprocess.run([*cmd, "--no-sandbox"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert "NOT ISOLATED" in r.stdout


def test_cached_answers_for_the_public_seed_score_nothing_and_solutions_stay_out_of_the_packages(tmp_path):
    cached = tmp_path / "cached.py"
    cached.write_text(_cached_answers(), encoding="utf-8")
    module = grading.import_file(cached, "cached_check")
    assert all(grading.check_part("rnn_bptt", module, p.name).score == p.points for p in grading.load("rnn_bptt").PARTS)  # public: all
    module = grading.import_file(cached, "cached_check_2")
    built = grading.build("rnn_bptt", 8080)
    outcomes = [grading.Outcome(*harness.run_call(module, c)) for c in grading.calls_of(built)]
    assert sum(p.score for p in grading.judge(built, outcomes)) == 0  # hidden seed: nothing
    # the wheel and the sdist, built from the tracked files, hold no solution
    tree = tmp_path / "tree"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / f, tree / f)
    build = subprocess.run([sys.executable, "-c", "from setuptools import build_meta as b; b.build_wheel('dist'); b.build_sdist('dist')"],
                           cwd=tree, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tree / "dist").glob("*.whl")
    (sdist,) = (tree / "dist").glob("*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist() + tarfile.open(sdist).getnames()
    assert any(n.endswith("lessons/assignments/rnn_bptt/student.py") for n in names)
    assert not [n for n in names if "solution" in Path(n).name or "teacher" in Path(n).parts]
    solution_lines = [line for line in SOLUTION.splitlines() if "carry = delta @ W_hh" in line]
    with zipfile.ZipFile(wheel) as z:
        assert not [n for n in z.namelist() if any(line in z.read(n).decode("utf-8", "replace") for line in solution_lines)]
    # the student's copy from the wheel, with only minigrad (and what its install brings) and NumPy importable:
    # the public tests run
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    numpy_dir = Path(np.__file__).resolve().parent
    for extra in (numpy_dir, numpy_dir.parent / "numpy.libs"):
        if extra.is_dir():
            os.symlink(extra, site / extra.name)
    for name in ("tqdm", "threadpoolctl", "wcwidth"):  # minigrad's install_requires besides NumPy (setup.cfg)
        origin = Path(importlib.util.find_spec(name).origin).resolve()
        source = origin.parent if origin.name == "__init__.py" else origin
        os.symlink(source, site / source.name)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(site), "LANG": "C.UTF-8"}
    run = lambda *args: subprocess.run([sys.executable, "-S", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    r = run("-m", "lessons", "assignment", "student", "rnn_bptt", "hw")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "hw").iterdir()) == ["README.md", "README.zh.md", "student.py", "test_public.py"]
    r = run("hw/test_public.py")
    assert r.returncode == 1 and r.stdout.count("FAIL ") == 4, r.stdout + r.stderr
    (tmp_path / "hw" / "student.py").write_text(SOLUTION, encoding="utf-8")
    r = run("hw/test_public.py")
    assert r.returncode == 0 and r.stdout.count("PASS ") == 4, r.stdout + r.stderr


@needs_bwrap
def test_files_in_tmpfs_count_against_the_memory_where_a_cgroup_can_be_made(tmp_path):
    probe = sandbox.cgroups(f"minigrad-probe-{uuid.uuid4().hex[:8]}", 1 << 30, 8)
    sandbox.release(probe)
    if not probe:
        pytest.skip("no cgroup v1 memory and pids controllers to nest under (cgroup v2 only, or not root)")
    writer = ("def rnn_forward(*a):\n    chunk = b'x' * (1 << 20)\n    for d in ('/tmp', '/dev/shm', '.'):\n"
              "        with open(d + '/big', 'wb') as f:\n            for _ in range(63):\n                f.write(chunk)\n"
              "    raise RuntimeError('wrote 189 MB of files under a 160 MB limit')\n")
    (tmp_path / "writer.py").write_text(writer, encoding="utf-8")
    (result,) = grading.grade("rnn_bptt", [tmp_path / "writer.py"], seed=3, memory_mb=160, progress=False)
    assert "memory limit of 160 MB reached by the submission's processes together" in result.parts[0].feedback, result.parts[0].feedback
    assert not [g for g in Path(sandbox.CGROUPS).glob("*/**/minigrad-grade-*")]  # released
