"""The example assignment's grader passes the teacher's solution and fails the stub with a clear message."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADER = "lessons/assignments/attention_backward"


def _grade(module):
    env = dict(os.environ, ASSIGNMENT_MODULE=module)
    return subprocess.run([sys.executable, "-m", "pytest", GRADER, "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_solution_passes():
    r = _grade("lessons.assignments.attention_backward.solution")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 passed" in r.stdout


def test_stub_fails_with_a_helpful_message():
    r = _grade("lessons.assignments.attention_backward.student")
    assert r.returncode == 1
    assert "1 passed" in r.stdout  # the given forward pass
    assert "backward is not written yet" in r.stdout
