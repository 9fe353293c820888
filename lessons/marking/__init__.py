"""Checking hand calculations and marking them, kept apart from the lessons that show them.

- :mod:`~lessons.marking.expressions` reads what a student writes (numbers, short arithmetic) safely;
- :mod:`~lessons.marking.rule` is the marking rule, stated once (right, follow-through, rounding
  difference, wrong), applied to a lesson's worked example;
- :mod:`~lessons.marking.work` checks a whole written solution line by line and step by step;
- :mod:`~lessons.marking.variants` changes a worked example's inputs (``--set``, ``--seed``);
- :mod:`~lessons.marking.sheet` prints question sheets and answer keys;
- :mod:`~lessons.marking.classroom` marks a class from a CSV.

The command line is in :mod:`lessons.cli` (``check``, ``mark``, ``sheet``).
"""
