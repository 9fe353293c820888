"""Grading reports: text for the terminal, JSON, Gradescope's ``results.json``, feedback files, the class
record ``class.csv`` and its summary (text and a histogram figure).

The class record is keyed by submission (:func:`lessons.assignments.grading.submission_names`): writing
results into a folder that already holds one updates those rows and keeps the others, so a teacher can
regrade one student without losing the class. Every cell is escaped for spreadsheets (a name such as
``=HYPERLINK(...)`` stays text).
"""
from __future__ import annotations

import csv
import json
import statistics
import sys
from pathlib import Path

from lessons.assignments.grading import Result
from lessons.i18n import current, domain

_ = domain("assignments")
RECORD = "class.csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")  # what a spreadsheet would read as a formula (and the escape itself)
FIXED = ("submission", "student_id")  # the record's first columns; then a column per part, then TRAILER
TRAILER = ("score", "max", "isolated", "seed_id")


def _status(result: Result) -> str:
    if not result.isolated:
        return _("NOT ISOLATED: graded without the sandbox")
    return _("graded on hidden inputs (seed id {seed_id})").format(seed_id=result.seed_id)


def text(result: Result) -> str:
    """A submission's feedback: its score, how it was graded, then one line per part."""
    lines = [_("{submission}: {score:g} / {max:g}").format(submission=result.submission, score=result.score, max=result.max),
             f"  {_status(result)}"]
    for p in result.parts:
        mark = "✓" if p.score == p.max else "✗"
        lines.append(f"  {mark} {p.name} {p.score:g}/{p.max:g}: {p.feedback}")
    return "\n".join(lines)


def as_json(results: list) -> str:
    return json.dumps({"submissions": [r.as_dict() for r in results]}, indent=2, ensure_ascii=False)


def gradescope(result: Result, visibility: str = "visible") -> dict:
    """Gradescope's ``results.json``: ``score``, ``execution_time``, ``output`` (how it was graded),
    ``output_format``, ``visibility`` and one test per part (name, score, max_score, output, visibility)."""
    return {"score": result.score, "execution_time": result.seconds, "output": _status(result), "output_format": "text",
            "visibility": visibility,
            "tests": [{"name": f"{p.name}: {p.title}", "score": p.score, "max_score": p.max, "output": p.feedback,
                       "visibility": visibility} for p in result.parts]}


def file_stem(key: str) -> str:
    """A submission's key as a file name (``d1/a`` -> ``d1%2Fa``; ``%`` itself -> ``%25``: distinct keys, distinct files)."""
    return key.replace("%", "%25").replace("/", "%2F")


def write_gradescope(results: list, folder: Path, visibility: str = "visible") -> list:
    """``folder/results.json`` for a lone submission graded into a folder that records no other students
    (Gradescope's autograder); otherwise ``folder/<key>.results.json`` for each."""
    folder.mkdir(parents=True, exist_ok=True)
    others = set(read_record(folder)[1]) - {r.submission for r in results}
    lone = len(results) == 1 and not others
    paths = [folder / "results.json"] if lone else [folder / f"{file_stem(r.submission)}.results.json" for r in results]
    for path, r in zip(paths, results):
        path.write_text(json.dumps(gradescope(r, visibility), indent=2, ensure_ascii=False), encoding="utf-8")
    return paths


def escape(cell: str) -> str:
    """A cell a spreadsheet shows as text: one ``'`` before what would start a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def read_record(folder: Path) -> tuple:
    """``(header, rows by key)`` of ``folder/class.csv`` (unescaped), or ``([], {})``."""
    path = folder / RECORD
    if not path.is_file():
        return [], {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        rows = {}
        for row in reader:
            cells = dict(zip(header, (unescape(c) for c in row)))
            if cells.get("submission"):
                rows[cells["submission"]] = cells
    return header, rows


def read_roster(path: Path) -> dict:
    """A roster: a CSV with the columns ``submission`` (the key the grader gives) and ``student_id``."""
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"submission", "student_id"} <= set(reader.fieldnames):
            raise ValueError(_("{path}: a roster needs the columns submission and student_id").format(path=path))
        return {row["submission"]: row["student_id"] for row in reader}


def write_class_report(results: list, folder: Path, roster: dict | None = None) -> Path:
    """One feedback file per submission (``<key>.txt``) and ``class.csv``: a row per submission (its key,
    the student id from the roster), a column per part, the total and the maximum, whether it was isolated
    and the seed id. Rows of submissions not graded now are kept; a record of other parts is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [p.name for p in results[0].parts]
    header = [*FIXED, *parts, *TRAILER]
    old_header, rows = read_record(folder)
    if old_header and old_header != header:
        raise ValueError(_("{path} records other columns ({columns}): another assignment? Use another --out folder").format(
            path=folder / RECORD, columns=", ".join(old_header)))
    for r in results:
        (folder / f"{file_stem(r.submission)}.txt").write_text(text(r) + "\n", encoding="utf-8")
        student_id = (roster or {}).get(r.submission, rows.get(r.submission, {}).get("student_id", ""))
        rows[r.submission] = {"submission": r.submission, "student_id": student_id,
                              **{p.name: f"{p.score:g}" for p in r.parts}, "score": f"{r.score:g}", "max": f"{r.max:g}",
                              "isolated": "yes" if r.isolated else "no", "seed_id": r.seed_id}
    path = folder / RECORD
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows.values():
            w.writerow([escape(str(row.get(c, ""))) for c in header])
    tmp.replace(path)  # never a half-written record
    write_summary(folder, {p.name: p.max for p in results[0].parts}, list(rows.values()))
    return path


def write_summary(folder: Path, parts: dict, rows: list) -> list:
    """``summary.txt`` (count, mean, median, and per part the share of submissions with full points and the
    mean share of points) and ``histogram.png`` (the scores), beside ``class.csv``, over all its rows."""
    scores = [float(r["score"]) for r in rows]
    maximum = max(float(r["max"]) for r in rows)
    lines = [_("submissions: {n}").format(n=len(rows)),
             _("mean: {mean:.2f} / {max:g}; median: {median:g}").format(mean=statistics.mean(scores), max=maximum,
                                                                       median=statistics.median(scores)),
             _("per part: full points / mean share of the points")]
    for p, part_max in parts.items():
        full = sum(1 for r in rows if float(r[p]) >= part_max) / len(rows)
        share = statistics.mean(float(r[p]) / part_max for r in rows)
        lines.append(f"  {p}: {full:.0%} / {share:.0%}")
    written = [folder / "summary.txt"]
    written[0].write_text("\n".join(lines) + "\n", encoding="utf-8")
    from lessons import figures

    plt = figures.pyplot()
    if plt is None:
        print(_("matplotlib is not installed: no histogram (pip install matplotlib)"), file=sys.stderr)
        return written
    fig, ax = figures.subplots()
    ax.hist(scores, bins=[i * maximum / 10 for i in range(11)], color=figures.PALETTE[0], edgecolor="black")
    ax.set_xlabel(_figure_text("score"))
    ax.set_ylabel(_figure_text("submissions"))
    ax.set_title(_figure_text("scores of the class (n = {n}, median {median:g})").format(n=len(rows), median=statistics.median(scores)))
    fig.savefig(folder / "histogram.png")
    plt.close(fig)
    written.append(folder / "histogram.png")
    return written


def _figure_text(message: str) -> str:
    """A figure's text in the reader's language, or in English where no font can draw the Chinese."""
    from lessons import figures

    return message if current() == "en" or figures.cjk_font() is None else _(message)
