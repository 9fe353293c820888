"""Public tests of an assignment: one test per graded part, on your ``student.py`` beside this file.

``python -m lessons assignment student NAME DIR`` copies this file into DIR as ``test_public.py`` with
the assignment's name filled in. Run it from the minigrad repository root::

    python -m pytest DIR -q

The grader runs the same parts on other numbers, each submission in a process of its own.
"""
from pathlib import Path

import pytest

ASSIGNMENT = None  # set by "python -m lessons assignment student"

grading = pytest.importorskip("lessons.assignments.grading", reason="run the tests from the minigrad repository root")
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def student():
    return grading.import_file(HERE / "student.py")


@pytest.mark.parametrize("part", [p.name for p in grading.load(ASSIGNMENT).PARTS] if ASSIGNMENT else [])
def test_part(student, part):
    result = grading.check_part(ASSIGNMENT, student, part)
    assert result.score == result.max, f"{part}: {result.feedback}"
