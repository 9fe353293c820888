"""Grading reports: text for the terminal, JSON, Gradescope's ``results.json``, feedback files and a class CSV."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from lessons.assignments.grading import Result, load
from lessons.i18n import domain

_ = domain("assignments")


def text(result: Result) -> str:
    """A submission's feedback: its score, then one line per part."""
    lines = [_("{submission}: {score:g} / {max:g}").format(submission=result.submission, score=result.score, max=result.max)]
    for p in result.parts:
        mark = "✓" if p.score == p.max else "✗"
        lines.append(f"  {mark} {p.name} {p.score:g}/{p.max:g}: {p.feedback}")
    return "\n".join(lines)


def as_json(results: list) -> str:
    return json.dumps({"submissions": [r.as_dict() for r in results]}, indent=2, ensure_ascii=False)


def gradescope(name: str, result: Result) -> dict:
    """Gradescope's ``results.json``: the total ``score`` and one test per part (name, score, max_score, output)."""
    titles = {p.name: _(p.title) for p in load(name).PARTS}
    return {"score": result.score,
            "tests": [{"name": f"{p.name}: {titles[p.name]}", "score": p.score, "max_score": p.max, "output": p.feedback}
                      for p in result.parts]}


def write_gradescope(name: str, results: list, folder: Path) -> list:
    """``folder/results.json`` for one submission; ``folder/<submission>.results.json`` for each of several."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "results.json"] if len(results) == 1 else [folder / f"{r.submission}.results.json" for r in results]
    for path, r in zip(paths, results):
        path.write_text(json.dumps(gradescope(name, r), indent=2, ensure_ascii=False), encoding="utf-8")
    return paths


def write_class_report(name: str, results: list, folder: Path) -> Path:
    """One feedback file per submission (``<submission>.txt``) and ``class.csv``: a row per submission,
    a column per part, the total and the maximum."""
    folder.mkdir(parents=True, exist_ok=True)
    for r in results:
        (folder / f"{r.submission}.txt").write_text(text(r) + "\n", encoding="utf-8")
    parts = [p.name for p in load(name).PARTS]
    path = folder / "class.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", *parts, "score", "max"])
        for r in results:
            w.writerow([r.submission, *(f"{p.score:g}" for p in r.parts), f"{r.score:g}", f"{r.max:g}"])
    return path
