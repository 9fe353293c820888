"""Public tests of an assignment: one test per graded part, on your ``student.py`` beside this file.

``python -m lessons assignment student NAME DIR`` copies this file into DIR as ``test_public.py`` with
the assignment's name filled in. It needs only minigrad and NumPy; run it with either of ::

    python DIR/test_public.py
    python -m pytest DIR -q

The public tests draw their inputs from the published seed ``PUBLIC_SEED``; the grader runs the same
parts on inputs drawn from a seed it keeps hidden, each submission in a sandbox of its own.
"""
import sys
from pathlib import Path

from lessons.assignments import grading

ASSIGNMENT = None  # set by "python -m lessons assignment student"
HERE = Path(__file__).resolve().parent
_student = []


def student():
    """Your ``student.py``, imported once."""
    if not _student:
        _student.append(grading.import_file(HERE / "student.py"))
    return _student[0]


def _test(part: str):
    def test():
        result = grading.check_part(ASSIGNMENT, student(), part, seed=grading.PUBLIC_SEED)
        assert result.score == result.max, f"{part}: {result.feedback}"

    test.__name__ = f"test_{part}"
    return test


for _part in grading.load(ASSIGNMENT).PARTS if ASSIGNMENT else []:
    globals()[f"test_{_part.name}"] = _test(_part.name)


def main() -> int:
    """Run every part; print one line each; exit status 1 if any fails."""
    failed = 0
    for part in grading.load(ASSIGNMENT).PARTS:
        result = grading.check_part(ASSIGNMENT, student(), part.name, seed=grading.PUBLIC_SEED)
        ok = result.score == result.max
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {part.name} {result.score:g}/{result.max:g}: {result.feedback}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
