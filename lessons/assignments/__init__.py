"""Classroom assignments: in each folder a student template, the reference solution, a guide in English
and Chinese and the graded parts (``checks.py``); :mod:`lessons.assignments.grading` grades submissions
and ``python -m lessons assignment`` hands them out, grades and gives hints."""
