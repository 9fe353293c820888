"""Marking a class (``python -m lessons mark``): a CSV of answers in, marks, feedback and a summary out.

The class file is read as it comes from a spreadsheet: UTF-8 with or without a BOM, or GBK/GB18030
(Excel's "CSV" on a Chinese Windows; detected, and said), separated by commas, semicolons or tabs.
Its columns are a student name (``student``, ``name``, ``姓名``), a student id (``学号``, ``id``,
``student_id``; kept in the output), an optional ``seed`` (the student's variant, as ``sheet --seed``
drew it) and one column per quantity; a blank cell is "not answered". Other columns are ignored with
a warning; a column named twice is an error. Every answer is marked by the rule of
:mod:`lessons.marking.rule` (one mark each; follow-through and rounding differences earn it), and no
cell, row or neighbour ever stops the class: what cannot be marked is "not a valid answer", with why.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from lessons import terminal
from lessons.i18n import current, domain
from lessons.marking.rule import Checker, Verdict, fmt, label
from lessons.marking.variants import UsageError

_ = domain("check")

NAME_HEADERS = ("student", "name", "student name", "姓名", "学生", "学生姓名", "名字")
ID_HEADERS = ("id", "student id", "student_id", "学号", "学生编号", "编号")
SEED_HEADERS = ("seed", "种子", "变式")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_NAME_BYTES = 80  # a feedback file's name, in UTF-8 bytes (file systems allow 255)


@dataclass
class Row:
    """One student's row: name, id, seed cell, answers by quantity, and why it cannot be marked (if so)."""

    name: str
    student_id: str = ""
    seed: str = ""
    cells: dict = field(default_factory=dict)
    problem: str = ""


@dataclass
class ClassFile:
    """A class file as read: the quantity columns in the order of the computation, the rows, what was
    noticed on the way (encoding, ignored columns), and which optional columns it has."""

    questions: list
    rows: list
    notes: list
    has_id: bool = False
    has_seed: bool = False


@dataclass
class Student:
    """One student's marked answers (``None`` for a question left blank)."""

    name: str
    verdicts: dict  # quantity -> Verdict
    student_id: str = ""
    seed: int | None = None

    @property
    def score(self) -> float:
        earned = sum(v.points for v in self.verdicts.values())
        return int(earned) if earned == int(earned) else earned

    def as_dict(self, questions: list) -> dict:
        return {"student": self.name, "student_id": self.student_id, "seed": self.seed, "score": self.score, "max": len(questions),
                "answers": {q: self.verdicts[q].as_dict() for q in questions}}


def _header_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).strip().lower().replace("_", " ").split())


def _decode(path: Path) -> tuple:
    """(text, note) of a class file: UTF-8 (BOM or not), else GB18030 (which reads GBK), said in the note."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(_("{path}: no such file").format(path=path)) from None
    except OSError as e:
        raise UsageError(_("{path}: cannot read it ({error})").format(path=path, error=e.strerror or type(e).__name__)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(_("{path}: the file is larger than {n} MB; a class file is much smaller").format(path=path, n=MAX_FILE_BYTES // 2**20))
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), _("{path}: not UTF-8; read as GBK/GB18030 (the Chinese Windows encoding)").format(path=path)
    except UnicodeDecodeError:
        raise UsageError(_("{path}: neither UTF-8 nor GBK text; save it as CSV UTF-8").format(path=path)) from None


def read_csv(path: Path, checker: Checker) -> ClassFile:
    """The class file at ``path``; raises :class:`UsageError` for a file that cannot be marked at all."""
    text, note = _decode(path)
    notes = [note] if note else []
    if not text.strip():
        raise UsageError(_("{path}: the file is empty; expected a header line with student and the quantities").format(path=path))
    first = text.lstrip("\r\n").splitlines()[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FILE_BYTES)  # a huge cell is marked invalid below, not a crash here
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as e:
        raise UsageError(_("{path}: not a readable CSV file ({error})").format(path=path, error=e)) from None
    finally:
        csv.field_size_limit(limit)
    records = [r for r in records if any(cell.strip() for cell in r)]
    header = [h.strip() for h in records[0]]
    while header and not header[-1]:  # Excel's trailing empty columns
        header.pop()
    roles: dict = {}
    ignored = []
    for i, h in enumerate(header):
        key = _header_key(h)
        role = ("name" if key in NAME_HEADERS else "id" if key in ID_HEADERS else "seed" if key in SEED_HEADERS
                else h if h in checker.steps else None)
        if role is None:
            ignored.append(h or _("(column {n} without a name)").format(n=i + 1))
            continue
        if role in roles:
            raise UsageError(_("{path}: the column {column} appears twice ({a} and {b}); keep one").format(
                path=path, column=h, a=roles[role] + 1, b=i + 1))
        roles[role] = i
    if "name" not in roles and "id" not in roles:
        raise UsageError(_("{path}: no student column (student, name, 姓名 or 学号); the header is: {header}").format(
            path=path, header=", ".join(header)))
    questions = [q for q in checker.order if q in roles]
    if not questions:
        raise UsageError(_("{path}: no quantity columns; this example has: {known}").format(path=path, known=", ".join(checker.order)))
    if ignored:
        notes.append(_("{path}: ignored the columns {columns} (not a student, id, seed or quantity of this example: {known})").format(
            path=path, columns=", ".join(ignored), known=", ".join(checker.order)))
    rows = []
    for number, record in enumerate(records[1:], 2):
        cells = [c.strip() for c in record]
        extra = [c for c in cells[len(header):] if c]
        get = lambda role: cells[roles[role]] if role in roles and roles[role] < len(cells) else ""  # noqa: E731
        row = Row(get("name") or get("id") or _("(row {n})").format(n=number), get("id") if "name" in roles else "", get("seed"),
                  {q: get(q) for q in questions})
        if extra:
            row.problem = _("line {n} has {k} cells but the header has {m}: a decimal comma in a comma-separated file must be "
                            "quoted (\"0,95\") or the file saved with ; as separator").format(n=number, k=len(cells), m=len(header))
        rows.append(row)
    lines: dict = {}
    for number, row in enumerate(rows, 2):  # one id on two lines: one student twice, or two students with one id
        sid = row.student_id if "name" in roles else row.name if "id" in roles else ""
        if sid:
            lines.setdefault(sid, []).append(number)
    notes += [_("{path}: the student id {id} is on lines {lines}; each line is marked on its own: check that this is not one "
                "student twice").format(path=path, id=sid, lines=", ".join(map(str, at))) for sid, at in lines.items() if len(at) > 1]
    return ClassFile(questions, rows, notes, "id" in roles and "name" in roles, "seed" in roles)


def read_roster(path: Path) -> list:
    """``[(name, student id, seed cell), ...]`` from a class file (``sheet --class``): the same reading as
    :func:`read_csv`, without quantity columns."""
    text, _note = _decode(path)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise UsageError(_("{path}: the file is empty; expected a header line with student and the quantities").format(path=path))
    delimiter = max((",", ";", "\t"), key=lines[0].count)
    records = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    keys = [_header_key(h) for h in records[0]]
    col = lambda names: next((i for i, k in enumerate(keys) if k in names), None)  # noqa: E731
    name, sid, seed = col(NAME_HEADERS), col(ID_HEADERS), col(SEED_HEADERS)
    if name is None and sid is None:
        raise UsageError(_("{path}: no student column (student, name, 姓名 or 学号); the header is: {header}").format(
            path=path, header=", ".join(records[0])))
    cell = lambda r, i: r[i].strip() if i is not None and i < len(r) else ""  # noqa: E731
    return [(cell(r, name) or cell(r, sid), cell(r, sid) if name is not None else "", cell(r, seed)) for r in records[1:]]


def mark(checker: Checker | Callable, questions: list, rows: list, progress: bool = True) -> list:
    """Mark every student; returns :class:`Student` s in the order of the file. ``checker`` is one
    :class:`Checker`, or a function of a student's seed cell that returns theirs (or raises
    :class:`UsageError` for a seed that cannot be used)."""
    students = []
    for row in tqdm(rows, desc=_("marking"), unit=_("student"), disable=not progress or None, leave=False):
        if isinstance(row, tuple):  # (name, cells)
            row = Row(row[0], cells=row[1])
        seed = None
        problem = row.problem
        c = checker
        if not isinstance(checker, Checker):
            try:
                c, seed = checker(row.seed)
            except UsageError as e:
                problem, c = str(e), None
        verdicts = _mark_one(c, questions, row.cells, problem)
        students.append(Student(row.name, verdicts, row.student_id, seed))
    return students


def _mark_one(c: Checker | None, questions: list, cells: dict, problem: str) -> dict:
    """One student's verdicts; whatever goes wrong, every cell gets one."""
    answered = {q: text for q, text in cells.items() if text}
    verdicts: dict = {}
    if not problem and c is not None:
        try:
            verdicts = {v.quantity: v for v in c.check(answered)}
        except Exception:  # noqa: BLE001 - one student's cells never stop the class: mark them one by one
            for q, text in answered.items():
                try:
                    verdicts.update({v.quantity: v for v in c.check({q: text})})
                except Exception as e:  # noqa: BLE001
                    verdicts[q] = Verdict(q, text, None, c.exact[q], "invalid", _("cannot be marked ({error})").format(error=type(e).__name__))
    for q in questions:
        if q not in verdicts:
            expected = c.exact[q] if c is not None else float("nan")
            if problem and cells.get(q):
                verdicts[q] = Verdict(q, cells[q][:60], None, expected, "invalid", problem)
            else:
                verdicts[q] = Verdict(q, "", None, expected, "not answered")
    return verdicts


def questions_summary(students: list, questions: list) -> dict:
    """Per question: how many answered, how many earned the mark, how many went wrong here first, and
    the typical wrong value."""
    out = {}
    for q in questions:
        vs = [s.verdicts[q] for s in students]
        wrong = [v.given for v in vs if v.verdict == "wrong"]  # readable numbers: the misconception a teacher looks for
        typical = Counter(wrong).most_common(1)
        expected = {v.expected for v in vs if v.expected == v.expected}  # one value unless the students have their own variants
        out[q] = {"expected": expected.pop() if len(expected) == 1 else None, "answered": sum(v.verdict != "not answered" for v in vs),
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
        if s["expected"] is None:  # a variant per student: no one right value, and the typical wrong value is the most written
            lines.append(_("most students first go wrong at {q} ({k} of {n}); each student has their own variant, so the right "
                           "value is in each feedback").format(q=hardest, k=s["first_wrong"], n=len(students)))
        else:
            lines.append(_("most students first go wrong at {q} ({k} of {n}); the typical wrong value is {value} "
                           "(written by {c}); the right value is {x}").format(q=hardest, k=s["first_wrong"], n=len(students),
                                                                               value=s["typical_wrong"], c=s["typical_wrong_count"], x=fmt(s["expected"])))
    lines.append("")
    table = [(_("question"), _("right answers"), _("first wrong"), _("typical wrong value"))]
    table += [(q, f"{summary[q]['credit']:g}/{len(students)}", str(summary[q]["first_wrong"]), (summary[q]["typical_wrong"] or "—")[:40])
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
    while len(stem.encode("utf-8")) > MAX_NAME_BYTES:  # a long (Chinese) name: file systems allow 255 bytes
        stem = stem[:-1]
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
    has_id = any(s.student_id for s in students)
    has_seed = any(s.seed is not None for s in students)
    with path.open("w", encoding="utf-8-sig", newline="") as f:  # the BOM: Excel on Windows reads it as UTF-8
        w = csv.writer(f)
        w.writerow([_("name"), *([_("student id")] if has_id else []), *(["seed"] if has_seed else []), _("score"), _("max"), *questions])
        for s in students:
            w.writerow([_cell(s.name), *([_cell(s.student_id)] if has_id else []), *([s.seed] if has_seed else []), s.score, len(questions),
                        *(label(s.verdicts[q].verdict) for q in questions)])
    written.append(path)
    figure = _right_rate_figure(folder / "right_rate.png", questions, summary)
    if figure is not None:
        written.append(figure)
    return written


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula (= + - @) gets a leading quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
