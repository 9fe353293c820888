"""Classroom assignments: in each folder a student template, a guide in English and Chinese and the graded
parts (``checks.py``); the reference solutions live outside every package, in the repository's ``teacher/``.
:mod:`lessons.assignments.grading` grades submissions, each in a bubblewrap sandbox
(:mod:`lessons.assignments.sandbox`), and ``python -m lessons assignment`` hands them out, grades and gives hints."""
