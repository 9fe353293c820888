"""Marking a class (``python -m lessons mark``): a CSV of answers in, marks, feedback and a summary out.

The CSV has a ``student`` column and one column per quantity; a blank cell is "not answered". Every
answer is marked by the rule of :mod:`lessons.marking.rule` (one mark each; follow-through and
rounding differences earn it), and a blank or unreadable cell never stops the class.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from lessons import terminal
from lessons.i18n import current, domain
from lessons.marking.rule import Checker, Verdict, fmt, label
from lessons.marking.variants import UsageError

_ = domain("check")


@dataclass
class Student:
    """One student's marked answers (``None`` for a question left blank)."""

    name: str
    verdicts: dict  # quantity -> Verdict

    @property
    def score(self) -> int:
        return sum(v.credit for v in self.verdicts.values())

    def as_dict(self, questions: list) -> dict:
        return {"student": self.name, "score": self.score, "max": len(questions),
                "answers": {q: self.verdicts[q].as_dict() for q in questions}}


def read_csv(path: Path, checker: Checker) -> tuple:
    """(questions, rows) from a class CSV; raises :class:`UsageError` for a file that cannot be marked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(_("{path}: no such file").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(_("{path}: cannot read it as UTF-8 text ({error})").format(path=path, error=type(e).__name__)) from None
    if not text.strip():
        raise UsageError(_("{path}: the file is empty; expected a header line with student and the quantities").format(path=path))
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip() for h in next(reader)]
    if "student" not in header:
        raise UsageError(_("{path}: no 'student' column; the header is: {header}").format(path=path, header=", ".join(header)))
    questions = [h for h in header if h != "student"]
    unknown = [q for q in questions if q not in checker.steps]
    if unknown:
        raise UsageError(_("{path}: unknown quantity columns {unknown}; this example has: {known}").format(
            path=path, unknown=", ".join(unknown), known=", ".join(checker.order)))
    if not questions:
        raise UsageError(_("{path}: no quantity columns; expected student and at least one quantity").format(path=path))
    rows = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        cells = dict(zip(header, record + [""] * (len(header) - len(record))))
        rows.append((cells["student"].strip(), {q: cells[q].strip() for q in questions}))
    return [q for q in checker.order if q in questions], rows


def mark(checker: Checker, questions: list, rows: list, progress: bool = True) -> list:
    """Mark every student; returns :class:`Student` s in the order of the file."""
    students = []
    for name, cells in tqdm(rows, desc=_("marking"), unit=_("student"), disable=not progress or None, leave=False):
        answered = {q: text for q, text in cells.items() if text}
        verdicts = {v.quantity: v for v in checker.check(answered)}
        for q in questions:
            if q not in verdicts:
                verdicts[q] = Verdict(q, "", None, checker.exact[q], "not answered")
        students.append(Student(name, verdicts))
    return students


def questions_summary(students: list, questions: list) -> dict:
    """Per question: how many answered, how many earned the mark, how many went wrong here first, and
    the typical wrong value."""
    out = {}
    for q in questions:
        vs = [s.verdicts[q] for s in students]
        wrong = [v.given for v in vs if v.verdict == "wrong"]  # readable numbers: the misconception a teacher looks for
        typical = Counter(wrong).most_common(1)
        out[q] = {"expected": vs[0].expected if vs else None, "answered": sum(v.verdict != "not answered" for v in vs),
                  "credit": sum(v.credit for v in vs), "right_rate": (sum(v.credit for v in vs) / len(vs)) if vs else 0.0,
                  "first_wrong": sum(v.first_wrong for v in vs), "typical_wrong": typical[0][0] if typical else None,
                  "typical_wrong_count": typical[0][1] if typical else 0}
    return out


def summary_text(students: list, questions: list, summary: dict) -> str:
    """The class summary a teacher reads first."""
    total = len(questions)
    lines = [_("{n} students, {m} questions").format(n=len(students), m=total)]
    if students:
        mean = sum(s.score for s in students) / len(students)
        lines.append(_("mean score {mean:.1f} of {total}").format(mean=mean, total=total))
    hardest = max(questions, key=lambda q: (summary[q]["first_wrong"], -summary[q]["right_rate"]), default=None)
    if hardest is not None and summary[hardest]["first_wrong"]:
        s = summary[hardest]
        lines.append(_("most students first go wrong at {q} ({k} of {n}); the typical wrong value is {value} "
                       "(written by {c}); the right value is {x}").format(q=hardest, k=s["first_wrong"], n=len(students),
                                                                           value=s["typical_wrong"], c=s["typical_wrong_count"], x=fmt(s["expected"])))
    lines.append("")
    table = [(_("question"), _("right answers"), _("first wrong"), _("typical wrong value"))]
    table += [(q, f"{summary[q]['credit']}/{len(students)}", str(summary[q]["first_wrong"]), summary[q]["typical_wrong"] or "—")
              for q in questions]
    widths = [max(terminal.width(row[k]) for row in table) for k in range(3)]  # columns, so that Chinese aligns
    lines += ["  ".join(terminal.ljust(cell, w) for cell, w in zip(row, widths)) + "  " + row[3] for row in table]
    return "\n".join(lines) + "\n"


def feedback_text(student: Student, questions: list) -> str:
    """One student's feedback: score, then a line per question."""
    lines = [_("{name}: {score} of {total}").format(name=student.name, score=student.score, total=len(questions)), ""]
    for q in questions:
        v = student.verdicts[q]
        mark_ = "✓" if v.credit else "✗"
        given = v.given if v.given else "—"
        lines.append(f"{mark_} {q} = {given}: {label(v.verdict)}" + (f" — {v.message}" if v.message else ""))
    return "\n".join(lines) + "\n"


def _file_name(name: str, taken: set) -> str:
    stem = re.sub(r"[^\w\-]+", "_", name, flags=re.UNICODE).strip("_") or "student"
    candidate, k = stem, 2
    while candidate in taken:
        candidate, k = f"{stem}_{k}", k + 1
    taken.add(candidate)
    return candidate


def write_outputs(folder: Path, students: list, questions: list, summary: dict) -> list:
    """Feedback per student, the class summary, the marks as CSV and a figure of the right-rate per
    question; returns the paths written."""
    try:
        (folder / "feedback").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(_("--out {folder}: cannot create the folder ({error})").format(folder=folder, error=e.strerror or e)) from None
    written, taken = [], set()
    for s in students:
        path = folder / "feedback" / f"{_file_name(s.name, taken)}.txt"
        path.write_text(feedback_text(s, questions), encoding="utf-8")
        written.append(path)
    path = folder / "summary.txt"
    path.write_text(summary_text(students, questions, summary), encoding="utf-8")
    written.append(path)
    path = folder / "marks.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "score", "max", *questions])
        for s in students:
            w.writerow([s.name, s.score, len(questions), *(s.verdicts[q].verdict for q in questions)])
    written.append(path)
    figure = _right_rate_figure(folder / "right_rate.png", questions, summary)
    if figure is not None:
        written.append(figure)
    return written


def _right_rate_figure(path: Path, questions: list, summary: dict) -> Path | None:
    from lessons import figures

    plt = figures.pyplot()
    if plt is None:
        return None
    fig, ax = figures.subplots()
    rates = [100 * summary[q]["right_rate"] for q in questions]
    first = [summary[q]["first_wrong"] for q in questions]
    bars = ax.bar(range(len(questions)), rates, color=figures.PALETTE[0])
    worst = max(range(len(questions)), key=lambda i: (first[i], -rates[i])) if questions else None
    if worst is not None and first[worst]:
        bars[worst].set_color(figures.WRONG)
    ax.set_xticks(range(len(questions)), questions, rotation=60 if len(questions) > 12 else 0)
    ax.set_ylim(0, 105)
    # Chinese only where a font can draw it (lessons.figures says on stderr when none can)
    text = (lambda message: _(message) if current() != "en" and figures.cjk_font() else message)  # noqa: E731
    ax.set_ylabel(text("students with the mark (%)"))
    ax.set_title(text("Right-rate per question (orange: where most students first go wrong)"))
    fig.savefig(path, dpi=figures.DPI)
    plt.close(fig)
    return path
