"""Attacks on the hand-calculation checker: answers a student, a cheater or a careless teacher's CSV
could give that must never earn the mark, and right answers that must not be refused.

Every expected verdict is derived here from the worked examples' own computation (an independent brute
force over every rounding choice, ``WorkedExample.evaluate``) or from how the number is written, never
from the checker under test.
"""
from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
from lessons import attention_worked_example as attn
from lessons import i18n
from lessons.common import Step, WorkedExample
from lessons.marking.rule import CREDIT, Checker, Precision, read_answer

LESSON_NAMES = ("rnn_worked_example", "attention_worked_example", "backprop_by_hand", "bptt_by_hand", "bptt_vector",
                "attention_by_hand", "layer_norm_by_hand", "multihead_by_hand")
LESSONS = {name: importlib.import_module(f"lessons.{name}") for name in LESSON_NAMES}


@pytest.fixture(autouse=True)
def english():
    i18n.use("en")
    yield
    i18n.use(None)


_CHECKERS: dict = {}


def _checker(name: str, seed: int | None = None, precision: Precision = Precision()) -> Checker:
    key = (name, seed, precision)
    if key not in _CHECKERS:
        module = LESSONS[name]
        kwargs = module.draw_variant(np.random.default_rng(seed)) if seed is not None else {}
        _CHECKERS[key] = Checker(module.example(**kwargs), precision)
    return _CHECKERS[key]


def _roundings(value: float, precision: Precision) -> set:
    """A student's roundings of an intermediate, as the precision asks (Python's own rounding, not the checker's):
    one, or both neighbours where the value is half-way between them (to round-off: 0.75935 computed by hand)."""
    if not math.isfinite(value):
        return {value}
    out = set()
    for nudged in (value * (1 - 1e-9), value * (1 + 1e-9)):  # the round-off the checker allows
        if precision.sig_figs is not None:
            out.add(float(f"{nudged:.{precision.sig_figs - 1}e}"))
        else:
            out.add(round(nudged, precision.decimals if precision.decimals is not None else 4) + 0.0)
    return out


_BRUTE: dict = {}


def _every_choice(c: Checker, name: str, written: dict | None = None) -> np.ndarray:
    """Brute force: the value of ``name`` for every way of keeping or rounding each intermediate it depends on
    (the ``written`` ones fixed at their values)."""
    written = written or {}
    key = (id(c), name, tuple(sorted(written.items())))
    if key not in _BRUTE:
        steps = [s for s in c.example.steps if s.name in c.ancestors[name] or s.name == name]
        outs: list = []

        def walk(i: int, values: dict) -> None:
            step = steps[i]
            if step.name in written:
                walk(i + 1, {**values, step.name: mg.tensor(written[step.name], dtype=mg.float64)})
                return
            value = float(step.fn(values).item())
            if step.name == name:
                outs.append(value)
                return
            for option in {value} | _roundings(value, c.precision):
                walk(i + 1, {**values, step.name: mg.tensor(option, dtype=mg.float64)})

        with np.errstate(all="ignore"):
            walk(0, {k: mg.tensor(v, dtype=mg.float64) for k, v in c.example.inputs.items()})
        outs = np.array(outs)
        _BRUTE[key] = np.unique(outs[np.isfinite(outs)])
    return _BRUTE[key]


def _near_any(w: float, values: np.ndarray, tol: float) -> bool:
    return bool(np.any(np.abs(values - w) <= tol + 1e-9 * np.maximum(np.abs(values), abs(w))))


PRECISIONS = [Precision(), Precision(sig_figs=2), Precision(decimals=2), Precision(sig_figs=3), Precision(decimals=1)]


# ---------------------------------------------------------------- the rounding allowance
def test_a_value_between_two_rounding_choices_is_not_credited():
    """With --sig-figs 2, attention's e_23 = exp(S_23 - m_2) is 1 kept and 148.4 with S and m rounded: no rounding
    gives 50 or 100, yet a reach built as [min, max] over the choices credited anything from 1 to 148."""
    c = _checker("attention_worked_example", None, Precision(sig_figs=2))
    choices = _every_choice(c, "e_23")
    assert choices.size >= 2 and choices[-1] - choices[0] > 100
    for text in ("50", "75", "100", "120"):
        assert not _near_any(float(text), choices, 0.5)
        assert not c.check({"e_23": text})[0].credit, text
    v = c.check({"e_23": f"{choices[-1]:.3g}"})[0]  # a choice itself stays a rounding difference, and the feedback names it
    assert v.verdict == "rounding" and f"{choices[-1]:.10g}" in v.message, v


def _gap_cases() -> list:
    """(lesson, seed, precision, quantity, the middle of the widest gap between two rounding choices)."""
    cases = []
    for name, seed, precision in itertools.product(("attention_worked_example", "backprop_by_hand", "layer_norm_by_hand",
                                                    "attention_by_hand", "rnn_worked_example"), (None, 0, 1), PRECISIONS):
        c = _checker(name, seed, precision)
        for q in c.order:
            if len(c.ancestors[q]) > 9:
                continue
            choices = _every_choice(c, q)
            if choices.size < 2:
                continue
            gaps = np.diff(choices)
            i = int(gaps.argmax())
            middle = (choices[i] + choices[i + 1]) / 2
            if gaps[i] > 4 * precision.distinct(middle) and abs(middle - c.exact[q]) > 2 * precision.distinct(c.exact[q]):
                cases.append((name, seed, precision, q, middle))
    return cases


def test_no_value_between_rounding_choices_is_credited():
    """Every widest gap between two rounding choices, in every example of five lessons and five precisions: its
    middle, written with ten significant digits, is what no rounding gives and must not earn the mark."""
    cases = _gap_cases()
    assert len(cases) > 20  # the attack is real: such gaps exist
    credited = []
    for name, seed, precision, q, middle in cases:
        c = _checker(name, seed, precision)
        v = c.check({q: f"{middle:.10g}"})[0]
        if v.credit:
            credited.append((name, seed, precision, q, middle, v.verdict))
    assert not credited, credited[:5]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["attention_worked_example", "backprop_by_hand", "layer_norm_by_hand", "attention_by_hand", "bptt_by_hand"]),
       st.sampled_from([None, 0, 1, 2]), st.sampled_from(PRECISIONS), st.data(), st.floats(-0.5, 1.5),
       st.sampled_from([".10g", ".10g", ".6f", ".4f", ".3g", ".2g", "#.2g"]))
def test_credit_only_for_a_value_some_rounding_gives(name, seed, precision, data, where, style):
    """A value anywhere around the span of the rounding choices, written to any precision, earns the mark only where
    the exact value or some rounding choice gives it to that precision."""
    c = _checker(name, seed, precision)
    q = data.draw(st.sampled_from([n for n in c.order if len(c.ancestors[n]) <= 9]))
    choices = _every_choice(c, q)
    if choices.size == 0:
        return
    span = max(choices[-1] - choices[0], 1e-3 * (1 + abs(choices[0])))
    text = f"{choices[0] + where * span:{style}}"
    v = c.check({q: text})[0]
    if v.credit:
        tol = read_answer(q, text, precision=precision).tolerance
        assert _near_any(float(text), np.append(choices, c.exact[q]), tol), (q, text, tol, choices, v)


# ---------------------------------------------------------------- what a student types
_SCRIPTS = {"arabic-indic": "٠١٢٣٤٥٦٧٨٩", "devanagari": "०१२३४५६७८९", "bengali": "০১২৩৪৫৬৭৮৯", "thai": "๐๑๒๓๔๕๖๗๘๙",
            "full-width": "０１２３４５６７８９"}


@pytest.mark.parametrize("script", list(_SCRIPTS))
@pytest.mark.parametrize("text", ["0", "0.005", "0.0052", "3", "16,5", "0.9511", "24", "1.8e5", "23.44%", "-0.00", "100"])
def test_digits_of_other_scripts_are_read_as_the_same_number(script, text):
    """'٠.٠٠٥' is 0.005 written with one significant digit: its zeros must not count as significant digits
    (they did: '٠' is not '0' to str.lstrip, so a one-digit answer passed as precise enough)."""
    other = text.translate(str.maketrans("0123456789", _SCRIPTS[script]))
    a, b = read_answer("q", text), read_answer("q", other)
    assert b.readable == a.readable and b.value == a.value and b.tolerance == a.tolerance and b.half_unit == a.half_unit, (other, a, b)


def test_a_short_answer_in_other_digits_is_not_precise_enough_either():
    one = WorkedExample({"u": 0.0052}, [Step("q", lambda v: v["u"] * 1.0)])
    for precision in (Precision(), Precision(sig_figs=3), Precision(decimals=4)):
        c = Checker(one, precision)
        ascii_, arabic = c.check({"q": "0.005"})[0], c.check({"q": "٠.٠٠٥"})[0]
        assert not ascii_.credit and not arabic.credit and arabic.verdict == ascii_.verdict, (precision, ascii_, arabic)


@pytest.mark.parametrize("text", ["三", "八", "0x10", "1_000", "8e", "8 8", "8\u200b", "1,000", "12,345", "1e999", "10^400",
                                  "(-8)^(1/3)", "ln(0)", "0^-1", "1/0", "nan", "inf", "NaN", "Infinity", "=8", "=1+1",
                                  "@SUM(8)", "8=8", "h_2", "__import__('os')", "8;9", "8 9"])
def test_what_is_not_one_finite_number_is_never_read(text):
    a = read_answer("q", text)
    assert not a.readable and a.error, (text, a)


@pytest.mark.parametrize("text,value", [("−8", -8.0), ("+8", 8.0), ("１．５", 1.5), ("１，５", 1.5), ("８", 8.0), ("1e1", 10.0),
                                        ("50%", 0.5), ("5０%", 0.5), ("≈8", 8.0), ("约8", 8.0), ("-0", 0.0), ("0,125", 0.125)])
def test_what_a_student_types_is_read_as_the_number_meant(text, value):
    a = read_answer("q", text)
    assert a.readable and a.value == value, (text, a)


# ---------------------------------------------------------------- the teacher's precision
def test_a_written_zero_has_no_significant_digits():
    """--sig-figs 3 asks for three significant digits: a 0 written for 0.004 (or for an attention weight of 1e-105)
    has none, so it is not precise enough (it was right: a zero was held to two decimals whatever was asked)."""
    one = WorkedExample({"u": 0.004, "z": 0.0}, [Step("q", lambda v: v["u"] * 1.0), Step("k", lambda v: v["z"] * 1.0)])
    c = Checker(one, Precision(sig_figs=3))
    for text in ("0", "0.0", "0.00", "-0"):
        v = c.check({"q": text})[0]
        assert not v.credit and v.verdict == "imprecise", (text, v)
        assert c.check({"k": text})[0].verdict == "right", text  # an exact zero stays right
    assert c.check({"q": "0.00400"})[0].verdict == "right" and c.check({"q": "0.004"})[0].verdict == "imprecise"
    part = Checker(one, Precision(sig_figs=3, credit=0.5))
    assert part.score(part.check({"q": "0"})) == (0.5, 1)
    # a value that is zero but for float64's round-off stays right as 0: bptt_vector's y_1 = -1*0.1974 + 1*0.1974
    residue = Checker(LESSONS["bptt_vector"].example(**LESSONS["bptt_vector"].draw_variant(np.random.default_rng(9))), Precision(sig_figs=3))
    assert 0 < abs(residue.exact["y_1"]) < 1e-15
    for text in ("0", "0.00", "0.0000"):
        assert residue.check({"y_1": text})[0].verdict == "right", text


# ---------------------------------------------------------------- written solutions
def test_every_quantity_of_a_line_that_ends_in_softmax_is_marked():
    """[P_11, P_12, P_13] = softmax([...]) marked P_11 only: P_12 and P_13 were dropped without a verdict (and the
    line counted as right from P_11 alone)."""
    from lessons.marking.work import check_work

    c = Checker(attn.example(Q=(0.5, 1.0, 1.5), K=(1.0, 2.0, 3.0), d_k=1.0))
    scores = [c.exact[f"S_1{j}"] for j in (1, 2, 3)]
    lines = check_work(c, "[P_11, P_12, P_13] = softmax([%s])\n" % ", ".join(f"{s:.6f}" for s in scores))
    assert [v.quantity for v in lines[0].verdicts] == ["P_11", "P_12", "P_13"]
    assert all(v.verdict == "right" for v in lines[0].verdicts) and lines[0].right
    swapped = check_work(c, "[P_11, P_12, P_13] = softmax([%s])\n" % ", ".join(f"{s:.6f}" for s in reversed(scores)))
    marked = {v.quantity: v for v in swapped[0].verdicts}
    assert set(marked) == {"P_11", "P_12", "P_13"} and not marked["P_11"].credit and not marked["P_13"].credit
    assert not swapped[0].right


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["attention_worked_example", "backprop_by_hand", "layer_norm_by_hand", "attention_by_hand", "bptt_by_hand",
                        "rnn_worked_example"]),
       st.sampled_from([None, 0, 1]), st.sampled_from(PRECISIONS[:3]), st.data(), st.floats(-0.5, 1.5), st.floats(0.3, 5))
def test_follow_through_only_for_what_the_students_own_values_give(name, seed, precision, data, where, slip):
    """An earlier value written wrong, then a later one anywhere around what the student's own values give: credit
    only where the exact value or some rounding choice from the student's own written values gives it."""
    c = _checker(name, seed, precision)
    q = data.draw(st.sampled_from([n for n in c.order if 0 < len(c.ancestors[n]) <= 9]))
    p = data.draw(st.sampled_from(sorted(c.ancestors[q])))
    wrong_p = float(f"{c.exact[p] + slip * (1 + abs(c.exact[p])):.6g}")
    choices = _every_choice(c, q, {p: wrong_p})
    if choices.size == 0:
        return
    span = max(choices[-1] - choices[0], 1e-3 * (1 + abs(choices[0])))
    w = float(f"{choices[0] + where * span:.10g}")
    v = {x.quantity: x for x in c.check({p: repr(wrong_p), q: f"{w:.10g}"})}
    assert not v[p].credit
    if v[q].credit:
        tol = read_answer(q, f"{w:.10g}", precision=precision).tolerance
        assert _near_any(w, np.append(choices, c.exact[q]), tol), (p, wrong_p, q, w, choices, v[q])


# ---------------------------------------------------------------- a class file
def _cli(*args):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "LANG": "en_US.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}
    return subprocess.run([sys.executable, "-m", "lessons", *args], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                          text=True, timeout=300, env=env)


def test_a_class_file_that_tries_its_luck(tmp_path):
    """Formula cells, a quantity's value in another quantity's column, columns out of order and one id on two lines:
    nothing is credited that is not right, no cell reaches a spreadsheet as a formula, and the teacher is told
    about the id."""
    import csv
    import json

    from lessons import rnn_worked_example as rnn

    x = Checker(rnn.example()).exact
    f = lambda v: f"{v:.4f}"  # noqa: E731
    rows = [("=HYPERLINK(\"http://x\")", "+1", f(x["h_1"]), "=1+1", f(x["h_2"])),  # h_3 column holds h_2's value
            ("Ben", "-2", f(x["h_1"]), "+" + f(x["h_2"]), f(x["h_3"])),
            ("Ben twin", "-2", f(x["h_3"]), f(x["h_1"]), "@SUM(1)"),  # every value in the wrong column
            ("Dee", "7", "", f(x["h_3"]), "")]  # h_3's value in h_2's column
    path = tmp_path / "class.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("student", "id", "h_1", "h_2", "h_3"), *rows])
    out = tmp_path / "out"
    r = _cli("mark", "rnn_worked_example", str(path), "--json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "-2" in r.stderr and "lines 3, 4" in r.stderr, r.stderr
    students = json.loads(r.stdout)["students"]
    verdict = lambda i, q: students[i]["answers"][q]["verdict"]  # noqa: E731
    assert verdict(0, "h_1") == "right" and verdict(0, "h_2") == "invalid" and verdict(0, "h_3") != "right"
    assert not students[0]["answers"]["h_3"]["credit"]
    assert [verdict(1, q) for q in ("h_1", "h_2", "h_3")] == ["right"] * 3  # +8 is 8
    assert students[2]["score"] == 0 and verdict(2, "h_3") == "invalid"
    assert not students[3]["answers"]["h_2"]["credit"]
    table = list(csv.reader((out / "marks.csv").read_text(encoding="utf-8-sig").splitlines()))
    for row in table[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row
    zh = _cli("mark", "rnn_worked_example", str(path), "--json", "--lang", "zh")
    assert "学号 -2" in zh.stderr, zh.stderr


# ---------------------------------------------------------------- rounding at exactly half
@pytest.mark.parametrize("u,v,c0,precision", [(0.3, -0.1355, 0.8, Precision()),  # 0.75935 by hand; a little over or under in float64
                                              (0.125, 1.0, 0.0, Precision(decimals=2)),  # 0.125: a tie in binary too
                                              (0.5, 0.0625, 0.0, Precision()),  # 0.03125 at four decimals
                                              (2.675, 1.0, 0.0, Precision(decimals=2)),  # 2.675 is a little under in float64
                                              (9.995, 1.0, 0.0, Precision(sig_figs=3))])
def test_an_intermediate_at_exactly_half_may_be_rounded_either_way(u, v, c0, precision):
    """A student who rounds an unwritten intermediate at exactly half up (0.75935 -> 0.7594, 0.125 -> 0.13) or to even
    carries on from a right value: either way is a rounding difference (half-up was refused: only the float64
    rounding was a choice). A value no rounding gives stays wrong."""
    from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

    ex = WorkedExample({"u": u, "v": v, "c": c0}, [Step("a", lambda t: t["u"] * t["v"] + t["c"]), Step("b", lambda t: t["a"] * 100)])
    c = Checker(ex, precision)
    by_hand = Decimal(repr(u)) * Decimal(repr(v)) + Decimal(repr(c0))  # the intermediate in decimal, as by hand
    places = Decimal(1).scaleb(-(precision.decimals if precision.decimals is not None else 4)) if precision.sig_figs is None \
        else Decimal(1).scaleb(by_hand.adjusted() + 1 - precision.sig_figs)
    up, down = (by_hand.quantize(places, rounding=mode) for mode in (ROUND_HALF_UP, ROUND_HALF_DOWN))
    assert up != down  # the intermediate is a tie
    for rounded in (up, down):
        text = f"{rounded * 100:.4f}"
        verdict = c.check({"b": text})[0]
        assert verdict.credit and verdict.verdict == "rounding", (text, verdict)
    between = (down + (up - down) * Decimal("0.75")) * 100  # three quarters of the way from one rounding to the other
    assert not c.check({"b": f"{between:.6f}"})[0].credit


@pytest.mark.parametrize("text", ["1-1", "0*5", "0/7", "exp(-1000)", "2^-1075", "-0*1", "0"])
def test_a_zero_by_expression_is_no_more_precise_than_a_written_zero(text):
    """With --sig-figs 3, 1-1 (an expression worth 0) was right for 1.234e-5 while a written 0 is not precise enough."""
    one = WorkedExample({"u": 0.00001234, "z": 0.0}, [Step("q", lambda v: v["u"] * 1.0), Step("k", lambda v: v["z"] * 1.0)])
    c = Checker(one, Precision(sig_figs=3))
    assert read_answer("q", text).value == 0
    v = c.check({"q": text})[0]
    assert not v.credit and v.verdict == "imprecise", v
    assert c.check({"k": text})[0].verdict == "right"


def test_the_command_line_refuses_a_value_between_rounding_choices():
    r = _cli("check", "attention_worked_example", "--sig-figs", "2", "e_23=100", "--json")
    assert r.returncode == 1, (r.stdout, r.stderr)
    import json

    marked = json.loads(r.stdout)
    answers = marked["answers"] if "answers" in marked else marked["verdicts"]
    assert not any(v["credit"] for v in answers), answers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("0123456789.,+-*/^%()[]eE ٣３．−×÷√²⁻x_hw=<>≈约") + ["tanh(", "relu(", "exp(", "max(", "1e308"]),
                max_size=30).map("".join))
def test_whatever_is_typed_is_read_or_refused_never_a_crash(text):
    a = read_answer("q", text)
    assert (a.error is None) == (a.value is not None)
    if a.readable:
        assert math.isfinite(a.value) and a.tolerance >= 0
