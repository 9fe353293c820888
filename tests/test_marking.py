"""The hand-calculation checker: the marking rule, what a student types, follow-through, written
solutions, sheets and keys, class marking, and the command line (``check``, ``mark``, ``sheet``).

Expected values come from the worked examples' own computation (``WorkedExample.evaluate``), never
from the checker under test.
"""
from __future__ import annotations

import csv
import importlib
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons import attention_worked_example as attn
from lessons import backprop_by_hand as backprop
from lessons import bptt_by_hand as bptt
from lessons import i18n
from lessons import rnn_worked_example as rnn
from lessons.marking.expressions import split_answers
from lessons.marking.rule import Checker, Precision, read_answer
from lessons.marking.sheet import key_lines
from lessons.marking.work import check_work, first_error

ROOT = Path(__file__).resolve().parents[1]
LESSONS = {"rnn_worked_example": rnn, "attention_worked_example": attn, "backprop_by_hand": backprop, "bptt_by_hand": bptt}
LESSONS.update({name: importlib.import_module(f"lessons.{name}") for name in (
    "bptt_vector", "attention_by_hand", "layer_norm_by_hand", "multihead_by_hand")})


@pytest.fixture(autouse=True)
def english():
    i18n.use("en")
    yield
    i18n.use(None)


def _cli(*args, env=None):
    full_env = {**os.environ, "LANG": "en_US.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", **(env or {})}
    return subprocess.run([sys.executable, "-m", "lessons", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=full_env)


_CHECKERS: dict = {}


def _checker(name: str, seed: int | None = None) -> Checker:
    key = (name, seed)
    if key not in _CHECKERS:
        module = LESSONS[name]
        kwargs = module.draw_variant(np.random.default_rng(seed)) if seed is not None else {}
        _CHECKERS[key] = Checker(module.example(**kwargs))
    return _CHECKERS[key]


def _verdicts(checker: Checker, answers: dict) -> dict:
    return {v.quantity: v for v in checker.check(answers)}


# ---------------------------------------------------------------- the rule on single numbers
@pytest.mark.parametrize("text,tolerance", [("0.9511", 5e-5), ("24", 0.5), ("8", 0.05), ("180000", 0.5), ("1.8e5", 5000.0), ("190", 0.5),
                                            ("0", 0.005), ("0.0000", 5e-5), ("16,0", 0.05), ("23.44%", 5e-5), ("100%", 0.005),
                                            ("2.3×10^-3", 5e-5), ("2.3×10⁻³", 5e-5), ("8×10⁰", 0.05),
                                            # an expression is judged by its value, to the precision asked (4 decimals)
                                            ("16/2", 5e-5), ("2*0.9511+3", 5e-5), ("1/1", 5e-5)])
def test_precision_of_what_is_written(text, tolerance):
    a = read_answer("q", text)
    assert a.readable
    assert a.tolerance == pytest.approx(tolerance, rel=1e-12, abs=1e-15)


def test_what_a_student_types_is_read():
    assert read_answer("q", "16,0").value == 16.0
    assert read_answer("q", "１６．５").value == 16.5
    assert read_answer("q", "2×3−1").value == 5.0
    assert read_answer("q", "tanh(10)").value == pytest.approx(math.tanh(10), rel=1e-15)
    assert read_answer("q", "sqrt(4)*exp(0) + max(1, 5)").value == 7.0
    assert read_answer("q", "ReLU(-3) + relu(2)").value == 2.0
    assert read_answer("q", "softmax([0, 0])").error  # a list is not one number
    assert read_answer("q", "2^3^2").value == 512.0
    assert read_answer("q", "-2^2").value == -4.0
    percent = read_answer("q", "23.44%")
    assert percent.value == pytest.approx(0.2344, rel=1e-15) and percent.tolerance == pytest.approx(5e-5, rel=1e-12)
    assert read_answer("q", "2.3×10^-3").value == pytest.approx(2.3e-3, rel=1e-15)
    assert split_answers("h_2=8，c_1=1") == [("h_2", "8"), ("c_1", "1")]
    assert split_answers("h_2=8, c_1=1; o_1=16,0") == [("h_2", "8"), ("c_1", "1"), ("o_1", "16,0")]
    assert split_answers("ｈ_2＝８") == [("h_2", "8")]


@pytest.mark.parametrize("text", ["", "eight", "inf", "-inf", "nan", "1/0", "exp(1000)", "8, 9", "tanh(", "foo(2)", "(1+2", "8=8", "import os"])
def test_unreadable_or_non_finite_is_never_right(text):
    assert not read_answer("q", text).readable


def test_dependencies_come_from_the_computation():
    c = _checker("rnn_worked_example")
    assert c.ancestors["h_2"] == {"a_h1", "h_1", "a_h2"}
    assert c.ancestors["o_1"] == {"a_c1", "c_1", "a_o1"}
    assert not c.ancestors["h_2"] & {"c_1", "a_c1"}  # h never reads c


# ---------------------------------------------------------------- properties (hypothesis)
EXAMPLES = st.sampled_from([(n, s) for n in LESSONS for s in (None, 1, 2)])  # the four worked examples, by name
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(EXAMPLES, st.data())
def test_the_exact_value_is_right(example, data):
    c = _checker(*example)
    q = data.draw(st.sampled_from(c.order))
    v = c.check({q: f"{c.exact[q]:.17g}"})[0]  # every digit (repr writes 1.0 for 1, which is 1 to one decimal)
    assert v.verdict == "right", v


# The known mistakes, computed here from the examples' own values (not by the checker): a student who
# forgets the step's function, copies the document, copies an earlier quantity or one of the same kind,
# flips the sign or moves the decimal point.
def _forgot_function(name: str, q: str, v: dict) -> float | None:
    m = re.fullmatch(r"([hco])_(\d+)", q)
    if m and name in ("rnn_worked_example", "bptt_by_hand"):
        return v[f"a_{m[1]}{m[2]}"]
    if name == "backprop_by_hand" and q == "a":
        return v["z"]
    m = re.fullmatch(r"output_(\d)", q)
    if m and name == "attention_worked_example":
        return v["w_F"] * v[f"context_{m[1]}"] + v["b_F"]
    m = re.fullmatch(r"e_(\d)(\d)", q)
    if m and name == "attention_worked_example":
        return v[f"S_{m[1]}{m[2]}"] - v[f"m_{m[1]}"]
    return None


def _mistakes(name: str, c: Checker, q: str, values: dict, nonzero: bool = True) -> list:
    """(kind, value) of every known mistake for ``q`` from ``values`` (the example's evaluation)."""
    ex = c.example
    x = values[q]
    out = []
    forgot = _forgot_function(name, q, values)
    if forgot is not None:
        out.append(("inside", forgot))
    if q in ex.document:
        out.append(("document", float(ex.document[q])))
    step = next(s for s in ex.steps if s.name == q)
    if step.written is not None:
        import minigrad as mg
        out.append(("arithmetic", float(step.written({k: mg.tensor(v, dtype=mg.float64) for k, v in values.items()}).item())))
    kind = q.rstrip("0123456789")
    out += [("other", values[o]) for o in c.order if o != q and (o in c.ancestors[q] or o.rstrip("0123456789") == kind)]
    if nonzero and x != 0:
        out += [("sign", -x)] + [("decimal point", x * 10.0 ** k) for k in range(-6, 7) if k]
    return [(k, m) for k, m in out if math.isfinite(m) and abs(m - x) > 5e-5 + 1e-9 * abs(x)]


def _half_unit(text: str) -> float:
    """The precision of a written number by the documented default (two significant digits or four decimals)."""
    mantissa, _e, exponent = text.lower().partition("e")
    exp10 = int(exponent) if exponent else 0
    whole, _p, fraction = mantissa.lstrip("-").partition(".")
    digits = (whole + fraction).lstrip("0")
    last = exp10 - len(fraction)
    if digits and len(digits) < 2 and -last < 4:
        return min(0.5 * 10.0 ** last, 0.5 * 10.0 ** (math.floor(math.log10(abs(float(text)))) - 1))
    return 0.5 * 10.0 ** last


SEEDED = st.tuples(st.sampled_from(list(LESSONS)), st.sampled_from([None, *range(50)]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEEDED, st.data(), st.integers(2, 12), st.booleans())
def test_correctly_rounded_answers_are_credited_unless_a_mistake_gives_them_too(example, data, digits, alternate):
    """Any rounding to two or more significant digits earns the mark, unless the rounded value is also what a
    known mistake gives: then "cannot tell" (write more digits), never "wrong"."""
    name, seed = example
    c = _checker(name, seed)
    q = data.draw(st.sampled_from(c.order))
    x = c.exact[q]
    text = f"{x:{'#' if alternate else ''}.{digits}g}"
    v = c.check({q: text})[0]
    if v.credit:
        return
    assert v.verdict == "ambiguous", (q, x, text, v)
    w = float(text)
    assert any(abs(w - m) <= _half_unit(text) * (1 + 1e-9) for _k, m in _mistakes(name, c, q, c.exact, w != 0)), (q, x, text, v)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(LESSONS)), st.integers(0, 49), st.data())
def test_a_student_who_makes_one_known_mistake_is_never_credited_for_it(name, seed, data):
    """A simulated student writes the right (rounded) values up to one quantity, a known mistake there (to
    any precision), and then carries on correctly from it: the mistaken answer never earns the mark."""
    c = _checker(name, seed)
    module = LESSONS[name]
    ex = module.example(**module.draw_variant(np.random.default_rng(seed)))
    values = ex.evaluate()
    candidates = [(q, k, m) for q in c.order for k, m in _mistakes(name, c, q, values)]
    close = [(q, k, m) for q, k, m in candidates if abs(m - values[q]) <= 0.02 * max(1.0, abs(values[q]))]
    q, kind, m = data.draw(st.sampled_from(close if close and data.draw(st.booleans()) else candidates))  # close ones are the hard ones
    style = data.draw(st.sampled_from(["#.2g", "#.3g", "#.4g", ".4f", ".6f", ".10g"]))
    text = f"{m:{style}}"
    if "e" in text.lower() or abs(float(text) - values[q]) <= 1e-9 * max(1.0, abs(values[q])):
        return  # the mistake's rounding is the exact value itself: there is no mistake left to see
    i = c.order.index(q)
    earlier = data.draw(st.sets(st.sampled_from(c.order[:i]))) if i else set()
    with np.errstate(all="ignore"):
        carried = ex.evaluate(overrides={q: float(text)})
    later = [n for n in c.order[i + 1:] if math.isfinite(carried[n])]
    answers = {n: f"{values[n]:.4f}" for n in earlier}
    answers[q] = text
    answers.update({n: f"{carried[n]:.4f}" for n in data.draw(st.sets(st.sampled_from(later))) if later} if later else {})
    v = _verdicts(c, answers)[q]
    assert not v.credit, (q, kind, m, text, values[q], v)
    assert v.verdict in ("wrong", "ambiguous"), v


@PROPERTY
@given(EXAMPLES, st.data(), st.floats(0.5, 1e3), st.sampled_from([-1.0, 1.0]))
def test_far_off_values_are_wrong(example, data, factor, sign):
    c = _checker(*example)
    q = data.draw(st.sampled_from(c.order))
    x = c.exact[q]
    far = x + sign * factor * (1.0 + abs(x))
    v = c.check({q: repr(far)})[0]
    assert v.verdict == "wrong" and not v.credit, (q, x, far, v)


@PROPERTY
@given(EXAMPLES, st.data(), st.sampled_from(["inf", "-inf", "nan", "NaN", "", "x", "1/0"]))
def test_non_finite_empty_or_unreadable_is_never_right(example, data, text):
    c = _checker(*example)
    q = data.draw(st.sampled_from(c.order))
    v = c.check({q: text})[0]
    assert v.verdict == "invalid" and not v.credit


@PROPERTY
@given(EXAMPLES, st.data(), st.sampled_from([-3.0, -1.0, -0.5, 0.5, 1.0, 2.0, 7.0]), st.floats(-1e3, 1e3))
def test_follow_through_exactly_when_the_students_own_values_justify_it(example, data, slip, noise):
    """A student writes an earlier quantity ``p`` wrong and a later ``q``: credit for ``q`` without its
    exact value comes exactly when ``q`` is what the step gives from the student's ``p``."""
    name, seed = example
    c = _checker(name, seed)
    q = data.draw(st.sampled_from([n for n in c.order if c.ancestors[n]]))
    p = data.draw(st.sampled_from(sorted(c.ancestors[q])))
    module = LESSONS[name]
    ex = module.example(**(module.draw_variant(np.random.default_rng(seed)) if seed is not None else {}))
    wrong_p = c.exact[p] + slip
    with np.errstate(all="ignore"):  # a slip may send a later step to inf: then there is nothing to follow
        theirs = ex.evaluate(overrides={p: wrong_p})[q]  # the oracle: the example's own evaluation
    if not math.isfinite(theirs) or abs(theirs - c.exact[q]) <= 1e-6 * max(1, abs(c.exact[q])):
        return  # the slip does not reach q: nothing to follow through
    text = f"{theirs:.10g}"
    justified = _verdicts(c, {p: repr(wrong_p), q: text})
    assert justified[p].verdict == "wrong"
    if justified[q].verdict == "ambiguous":  # only where a known mistake gives it too, to the precision written ("0.5": 0.495 to 0.505)
        assert any(abs(float(text) - m) <= _half_unit(text) * (1 + 1e-9) + 1e-9 * max(1, abs(m))
                   for _k, m in _mistakes(name, c, q, c.exact)), justified[q]
    else:
        assert justified[q].verdict == "follow-through", (p, q, justified[q])
    unjustified_value = theirs + (1 + abs(noise)) * (1 + abs(theirs))
    if abs(unjustified_value - c.exact[q]) > 1e-3 * (1 + abs(c.exact[q])):
        unjustified = _verdicts(c, {p: repr(wrong_p), q: f"{unjustified_value:.10g}"})
        assert not unjustified[q].credit and unjustified[q].verdict in ("wrong", "imprecise", "ambiguous"), (p, q, unjustified[q])


# ---------------------------------------------------------------- follow-through and rounding, by example
def test_slip_then_follow_through_on_the_rnn():
    v = _verdicts(_checker("rnn_worked_example"), {"h_1": "4", "h_2": "9", "h_3": "17"})
    assert v["h_1"].verdict == "wrong" and v["h_1"].first_wrong
    assert v["h_2"].verdict == "follow-through" and v["h_2"].credit
    assert v["h_3"].verdict == "wrong" and not v["h_3"].first_wrong  # 1*9 + 2*3 + 1 = 16, not 17
    assert "ReLU(1*9 + 2*3 + 1)" in v["h_3"].message


def test_reasons_for_a_wrong_answer():
    c = _checker("rnn_worked_example")
    assert "sign" in _verdicts(c, {"h_2": "-8"})["h_2"].message
    assert "decimal point" in _verdicts(c, {"o_1": "1.6"})["o_1"].message
    assert "inside tanh" in _verdicts(c, {"c_1": "10"})["c_1"].message


def test_rounded_softmax_weights_carried_on_are_not_wrong():
    """The issue's case: weights rounded to 4 decimals, the context from the rounded weights."""
    ex = attn.example(**attn.draw_variant(np.random.default_rng(5)))
    values = ex.evaluate()
    c = Checker(ex)
    rounded = {f"P_1{j}": round(values[f"P_1{j}"], 4) for j in (1, 2, 3)}
    context = sum(rounded[f"P_1{j}"] * values[f"V_{j}"] for j in (1, 2, 3))
    written = {**{k: f"{v:.4f}" for k, v in rounded.items()}, "context_1": f"{context:.4f}"}
    assert all(v.credit for v in c.check(written))
    alone = c.check({"context_1": f"{context:.4f}"})[0]  # the rounded weights not written down
    assert alone.credit and alone.verdict in ("right", "rounding")


def test_the_documents_own_numbers():
    c = _checker("rnn_worked_example")
    v = _verdicts(c, {"c_1": "0.9511", "c_3": "0.9999", "o_1": "24.1533"})
    assert v["c_1"].verdict == "wrong"  # tanh(10) is 0.99999999588
    assert v["o_1"].verdict == "wrong"


# ---------------------------------------------------------------- written solutions and keys
def test_a_right_value_with_a_wrong_step_is_flagged():
    c = _checker("rnn_worked_example")
    lines = check_work(c, "h_1 = ReLU(w_hh*h_0 + w_xh*x_1 + b_h) = ReLU(1*0 + 2*1 + 1) = 3\nh_2 = ReLU(1*3 + 2*2 + 1) = ReLU(9) = 8\n")
    assert lines[0].right
    assert lines[1].verdicts[0].verdict == "right" and not lines[1].right
    line, what = first_error(lines)
    assert line.number == 2 and "ReLU(9)" in what


@pytest.mark.parametrize("name", list(LESSONS))
@pytest.mark.parametrize("seed", [None, 0, 4])
def test_every_key_line_adds_up_as_printed(name, seed):
    c = _checker(name, seed)
    lines = check_work(c, "\n".join(text for _q, text in key_lines(c)))
    assert len(lines) == len(c.order)
    assert first_error(lines) is None, first_error(lines)


def test_attention_variants_are_not_saturated():
    for seed in range(12):
        values = attn.example(**attn.draw_variant(np.random.default_rng(seed))).evaluate()
        weights = [values[f"P_{i}{j}"] for i in (1, 2, 3) for j in (1, 2, 3)]
        assert all(0.02 <= w <= 0.9 for w in weights)


# ---------------------------------------------------------------- the command line
BAD_CHECKS = [
    ["rnn_worked_example", "h_2=eight"], ["rnn_worked_example", "h_2="], ["rnn_worked_example", "h_2=8=8"],
    ["rnn_worked_example", "c_1=inf"], ["rnn_worked_example", "o_1=nan"], ["no_such_lesson", "h_2=8"],
    ["training_programs", "h_2=8"], ["rnn_worked_example", "h_9=1"], ["rnn_worked_example", "8"],
    ["rnn_worked_example", "h_2=8", "h_2=9"], ["rnn_worked_example", "--set", "zz=1"],
    ["rnn_worked_example", "--set", "w_hh=0,5"], ["attention_worked_example", "--set", "Q=1,2"],
    ["rnn_worked_example", "--lang", "fr"], ["rnn_worked_example", "--work", "/no/such/file.txt"], [],
]


@pytest.mark.parametrize("args", BAD_CHECKS, ids=lambda a: " ".join(a) or "nothing")
def test_bad_input_exits_2_with_one_line(args):
    r = _cli("check", *args)
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_check_help_documents_everything():
    r = _cli("check", "--help")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    for option in ("--set", "--seed", "--decimals", "--sig-figs", "--precision-credit", "--numbers-only", "--lang", "--json", "--explain", "--work", "QUANTITY=VALUE"):
        assert option in r.stdout


def test_check_cli_exit_codes_and_json():
    assert _cli("check", "rnn_worked_example", "h_2=16/2", "o_1=16,0", "c_1=1.0000").returncode == 0
    assert _cli("check", "rnn_worked_example", "h_2=8，c_1=1.0000").returncode == 0
    r = _cli("check", "rnn_worked_example", "h_1=4", "h_2=9", "--json")
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert data["score"] == 1 and data["max"] == 2
    assert [a["verdict"] for a in data["answers"]] == ["wrong", "follow-through"]
    listing = _cli("check", "rnn_worked_example")
    assert listing.returncode == 0 and re.search(r"h_2 +\= ReLU\(a_h2\)", listing.stdout)
    assert "follow-through" in _cli("check", "--explain").stdout


def test_set_changes_the_inputs():
    values = rnn.example(x=(2.0, 0.0, 1.0), w_hh=0.5).evaluate()
    r = _cli("check", "rnn_worked_example", "--set", "x=2,0,1", "--set", "w_hh=0.5", f"h_3={values['h_3']:.6g}", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["inputs"]["x_1"] == 2.0


def test_work_file_through_the_cli(tmp_path):
    work = tmp_path / "work.txt"
    work.write_text("h_2 = ReLU(1*3 + 2*2 + 1) = ReLU(9) = 8\n", encoding="utf-8")
    r = _cli("check", "rnn_worked_example", "--work", str(work))
    assert r.returncode == 1 and "step 1" in r.stdout and "first goes wrong: line 1" in r.stdout
    assert "ReLU(9) is 9" in r.stdout
    key = _cli("sheet", "attention_worked_example", "--seed", "7", "--key")
    assert key.returncode == 0
    lines = [ln.strip() for ln in key.stdout.split("Answer key:")[1].splitlines()[3:] if ln.strip()]
    work.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kw = attn.draw_variant(np.random.default_rng(7))  # the same variant, given to the checker with --set
    sets = [f"{k}=" + ",".join(f"{x:g}" for x in (v if isinstance(v, tuple) else (v,))) for k, v in kw.items()]
    r = _cli("check", "attention_worked_example", "--work", str(work), *[a for s in sets for a in ("--set", s)])
    assert r.returncode == 0, r.stdout[-2000:]


def test_sheet_is_reproducible_and_speaks_chinese():
    a = _cli("sheet", "rnn_worked_example", "--seed", "3", "--key", "--format", "md")
    b = _cli("sheet", "rnn_worked_example", "--seed", "3", "--key", "--format", "md")
    assert a.returncode == 0 and a.stdout == b.stdout and "## Answer key" in a.stdout
    zh = _cli("sheet", "rnn_worked_example", "--key", env={"LANG": "zh_CN.UTF-8"})
    assert "参考答案" in zh.stdout and "h_2 = ReLU(a_h2)" in zh.stdout


def test_chinese_messages_follow_lang_and_the_locale():
    r = _cli("check", "rnn_worked_example", "h_1=4", "h_2=9", "--lang", "zh")
    assert "后续正确" in r.stdout and "第一个出错的步骤" in r.stdout and "共 2 题，答对 1 题" in r.stdout
    assert "错误传递" not in r.stdout  # "error propagation" misreads follow-through
    r = _cli("check", "rnn_worked_example", "h_2=eight", env={"LANG": "zh_CN.UTF-8"})
    assert r.returncode == 2 and "不是数" in r.stderr
    r = _cli("check", "--help", "--lang", "zh")
    assert r.returncode == 0 and "选项" in r.stdout and "python -m lessons check [-h]" in r.stdout


def test_marking_a_class_end_to_end(tmp_path):
    rows = [
        ["student", "h_1", "h_2", "h_3", "c_1", "o_1"],
        ["Ana", "3", "8", "15", "1.0000", "16"],
        ["Ben", "4", "9", "16", "0.9999", "15.9987"],
        ["陈", "3", "9", "", "inf", ""],
        ["Dai", "3", "eight", "15", "0,9999", "16"],
        ["Eve", "3", "9", "16", "1", "16"],
    ]
    path = tmp_path / "class.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "report"
    r = _cli("mark", "rnn_worked_example", str(path), "--json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    scores = {s["student"]: (s["score"], s["max"]) for s in data["students"]}
    assert scores["Ana"] == (5, 5)
    assert scores["Ben"][0] == 3  # h_1 wrong, h_2 and h_3 follow through, c_1 wrong, o_1 follows c_1
    assert data["students"][2]["answers"]["h_3"]["verdict"] == "not answered"
    assert data["students"][2]["answers"]["c_1"]["verdict"] == "invalid"
    assert data["students"][3]["answers"]["h_2"]["verdict"] == "invalid"
    assert data["questions"]["h_2"]["first_wrong"] == 2 and data["questions"]["h_2"]["typical_wrong"] == "9"
    assert (out / "summary.txt").read_text(encoding="utf-8").count("h_2") >= 1
    assert len(list((out / "feedback").glob("*.txt"))) == 5
    assert (out / "marks.csv").exists()
    pytest.importorskip("matplotlib")
    assert (out / "right_rate.png").stat().st_size > 0


def test_marking_a_class_with_bad_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    no_student = tmp_path / "no_student.csv"
    no_student.write_text("pupil,h_1\nA,3\n", encoding="utf-8")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("student,h_99\nA,3\n", encoding="utf-8")
    twice = tmp_path / "twice.csv"
    twice.write_text("student,h_1,h_1\nA,3,4\n", encoding="utf-8")
    for path in (empty, no_student, unknown, twice, tmp_path / "missing.csv"):
        r = _cli("mark", "rnn_worked_example", str(path))
        assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def _worked_cases():
    page = (ROOT / "docs" / "checking.md").read_text(encoding="utf-8")
    table = page.split("<!-- worked-cases -->")[1].split("<!-- /worked-cases -->")[0]
    rows = [r.split("|")[1:5] for r in table.strip().splitlines()[2:]]
    return [(example.strip(), typed.strip().strip("`"), verdict.strip()) for example, typed, verdict, _why in rows]


NEURON = dict(x_1=0.8, x_2=0.8, w_1=0.7, w_2=0.7, b=-0.9, y=1.0)  # the issue's cases
ATTENTION = dict(Q=(1.6, -1.7, 0.6), K=(-0.3, -0.6, 1.3), V=(5.0, 1.0, 8.0), w_F=3.0, b_F=-2.0)
PAGE_EXAMPLES = {"rnn": (rnn, {}), "neuron": (backprop, NEURON), "attention A": (attn, ATTENTION),
                 "attention B": (attn, dict(Q=(0.5, 1.0, 1.5), K=(1.0, 2.0, 3.0), d_k=1.0))}


@pytest.mark.parametrize("example,typed,verdict", _worked_cases())
def test_the_teachers_page_cases_hold(example, typed, verdict):
    module, inputs = PAGE_EXAMPLES[example]
    c = Checker(module.example(**inputs))
    last = c.check(dict(split_answers(typed)))[-1]
    assert last.verdict == verdict, last


# ---------------------------------------------------------------- marks a teacher can stake a grade on (the issue's cases)


def test_a_student_who_never_applies_tanh_is_not_credited():
    c = Checker(backprop.example(**NEURON))
    typed = "z=0.22 a=0.22 L=0.6084 g_a=-1.56 g_z=-1.4845 g_w1=-1.1876 g_w2=-1.1876 g_b=-1.4845"
    v = _verdicts(c, dict(split_answers(typed)))
    assert v["a"].verdict == "ambiguous" and not v["a"].credit, v["a"]
    assert "tanh" in v["a"].message and "more digits" in v["a"].message
    assert c.score(v.values())[0] < 8
    assert _verdicts(c, {"a": "0.2165"})["a"].verdict == "right"  # written precisely enough to tell, it is right
    doc = _verdicts(_checker("backprop_by_hand"), {"z": "0.2", "a": "0.2"})  # tanh(0.2) = 0.1974 also rounds to 0.2
    assert not doc["a"].credit and "tanh" in doc["a"].message


def _every_rounding(ex, name: str) -> tuple:
    """Brute force: every way of keeping or rounding to 4 decimals each quantity ``name`` depends on, in order."""
    import itertools

    import minigrad as mg
    c = Checker(ex)
    before = [q for q in c.order if q in c.ancestors[name]]
    steps = [s for s in ex.steps if s.name in before or s.name == name]
    outs = []
    for choice in itertools.product((False, True), repeat=len(before)):
        rounded = dict(zip(before, choice))
        values = {k: mg.tensor(v, dtype=mg.float64) for k, v in ex.inputs.items()}
        for step in steps:
            value = float(step.fn(values).item())
            values[step.name] = mg.tensor(round(value, 4) if rounded.get(step.name) else value, dtype=mg.float64)
        outs.append(value)
    return min(outs), max(outs)


def test_the_rounding_allowance_is_what_rounding_can_do():
    ex = attn.example(**ATTENTION)
    c = Checker(ex)
    low, high = c.reach("output_3", {})
    assert (low, high) == pytest.approx(_every_rounding(ex, "output_3"), abs=1e-12)  # exact, not a bound
    assert 14.0130 < low < c.exact["output_3"] < high < 14.0139  # the issue's 14.0131 to 14.0138
    written = dict(split_answers("P_31=0.2833 P_32=0.2589 P_33=0.4578 context_3=5.3378 output_3=14.0153"))
    v = _verdicts(c, written)
    assert v["output_3"].verdict == "wrong" and "14.0134" in v["output_3"].message  # the student's own context gives 14.0134
    assert _verdicts(c, {**written, "output_3": "14.0134"})["output_3"].credit
    for typo in ("5.3387", "5.3376", "5.3370"):  # swapped digits, 2 in the 4th decimal, a truncation to 3 decimals
        assert not _verdicts(c, {"context_3": typo})["context_3"].credit, typo
    assert not _verdicts(c, {"output_3": "14.0153"})["output_3"].credit


def test_an_expression_is_judged_by_its_value():
    c = Checker(attn.example(Q=(0.5, 1.0, 1.5), K=(1.0, 2.0, 3.0), d_k=1.0))
    assert _verdicts(c, {"context_1": "0.1*40+0.3*62+0.6*84"})["context_1"].verdict == "wrong"
    assert _verdicts(_checker("rnn_worked_example"), {"h_2": "9.0*0.9"})["h_2"].verdict == "wrong"
    rounded = " + ".join(f"{c.exact[f'P_1{j}']:.4f}*{c.inputs[f'V_{j}']:g}" for j in (1, 2, 3))
    assert _verdicts(c, {"context_1": rounded})["context_1"].credit  # its decimals are the rounded weights
    lines = check_work(c, "[weight_1, weight_2, weight_3] = [0.2, 0.3, 0.5]\n")  # a list keeps the two-figure floor
    assert not any(v.credit for v in lines[0].verdicts), lines[0].verdicts


def test_tiny_exact_values_are_judged_relative_to_their_size():
    c = Checker(attn.example(Q=(10.0, 1.0, 1.0), K=(0.0, 5.0, 10.0), d_k=1.0))
    x = c.exact["P_11"]
    assert 0 < x < 1e-40
    assert _verdicts(c, {"P_11": f"{x * 1e5:.3g}"})["P_11"].verdict == "wrong"
    assert _verdicts(c, {"P_11": f"{x:.3g}"})["P_11"].verdict == "right"
    assert _verdicts(c, {"P_11": "0.0000"})["P_11"].verdict == "right"  # its rounding to four decimals


@pytest.mark.parametrize("text", ["8,000", "2,100", "1,000,000", "12,345"])
def test_digit_groups_are_refused_with_how_to_write_them(text):
    a = read_answer("q", text)
    assert not a.readable and text.split(",")[0] + text.split(",")[1] in a.error.replace(",", ""), a.error


def test_what_students_write_that_is_right():
    assert read_answer("q", "16,5").value == 16.5 and read_answer("q", "0,123").value == 0.123  # decimal commas stay
    assert read_answer("q", "8×10⁰").value == 8.0 and read_answer("q", "2⁴").value == 16.0 and read_answer("q", "10⁻³").value == 1e-3
    c = _checker("rnn_worked_example")
    for typed in ("o_1=≈16", "c_1=100%", "c_1=1/1", "c_1=1.0000", "h_2=８"):
        assert all(v.credit for v in c.check(dict(split_answers(typed.replace("=≈", "=")))) ), typed
    assert read_answer("q", "≈16").value == 16.0
    from lessons.common import Step, WorkedExample
    small = Checker(WorkedExample({"u": 0.004649}, [Step("o_2", lambda v: v["u"] * 1.0)]))
    assert small.check({"o_2": "0.005"})[0].verdict == "imprecise"  # a right rounding, but one digit: not wrong
    assert not small.check({"o_2": "0.0044"})[0].credit
    assert small.check({"o_2": "0.0046"})[0].verdict == "right"


@pytest.mark.parametrize("text", ["1e999", "-1e999", "(" * 200 + "1" + ")" * 200, "tanh(" * 300 + "1" + ")" * 300,
                                  "+".join(["1"] * 1000), "1" * 200_000])
def test_what_would_crash_is_an_invalid_answer_with_the_limit_stated(text):
    a = read_answer("q", text)
    assert not a.readable and a.error
    assert "1e999" in a.error or "40" in a.error or "500" in a.error or "finite" in a.error, a.error


ISSUE_USAGE = [
    ["check", "attention_worked_example", "--set", "d_k=0", "S_11=1"], ["check", "attention_worked_example", "--set", "d_k=-4", "S_11=1", "e_13=1"],
    ["check", "attention_worked_example", "--set", "d_k=1e999", "S_11=1"], ["check", "rnn_worked_example", "h_2=1e999"],
    ["check", "rnn_worked_example", "h_2=8,000"], ["check", "rnn_worked_example", "h_2=" + "(" * 200 + "1" + ")" * 200],
    ["sheet", "rnn_worked_example", "--seed", "-1"], ["check", "rnn_worked_example", "--seed", "-1", "h_1=3"],
    ["check", "rnn_worked_example", "--decimals", "-3", "h_1=3"], ["check", "rnn_worked_example", "--precision-credit", "2", "h_1=3"],
    ["sheet", "rnn_worked_example", "--key-file", "k.txt"], ["mark", "attention_worked_example", "class.csv", "--set", "d_k=0"],
]


@pytest.mark.parametrize("args", ISSUE_USAGE, ids=lambda a: " ".join(a)[:60])
def test_the_issues_bad_inputs_end_in_one_line_and_exit_2(args):
    r = _cli(*args)
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_variants_are_not_degenerate():
    from lessons.marking.variants import draw
    for seed in range(20):
        v = rnn.example(**draw(rnn, seed)).evaluate()
        assert any(v[f"o_{t}"] != 0 for t in (1, 2, 3)) and len({round(v[f"h_{t}"], 4) for t in (1, 2, 3)} - {0.0}) >= 1
        g = bptt.example(**draw(bptt, seed)).evaluate()
        assert any(abs(g[q]) > 1e-12 for q in ("dy_dw_oc", "dy_db_o", "dy_dw_cc", "dy_dw_xc", "dy_db_c"))
        a = attn.example(**draw(attn, seed)).evaluate()
        for i in (1, 2, 3):
            row = [round(a[f"P_{i}{j}"], 4) for j in (1, 2, 3)]
            assert len(set(row)) == 3, (seed, row)
        assert any(a[f"output_{i}"] != 0 for i in (1, 2, 3))
        for t in (1, 2, 3):
            assert abs(v[f"a_c{t}"]) <= 2.5  # tanh not saturated


def test_check_and_mark_take_the_students_seed(tmp_path):
    from lessons.marking.variants import draw
    values = {s: rnn.example(**draw(rnn, s)).evaluate() for s in (3, 4)}
    r = _cli("check", "rnn_worked_example", "--seed", "3", f"h_3={values[3]['h_3']:.6g}", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["seed"] == 3, r.stdout + r.stderr
    path = tmp_path / "class.csv"
    rows = [["student", "seed", "h_3", "o_3"]]
    rows += [[f"s{s}", str(s), f"{values[s]['h_3']:.6g}", f"{values[s]['o_3']:.4f}"] for s in (3, 4)]
    rows += [["swapped", "4", f"{values[3]['h_3']:.6g}", f"{values[3]['o_3']:.4f}"], ["bad seed", "x", "1", "2"]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    r = _cli("mark", "rnn_worked_example", str(path), "--json")
    assert r.returncode == 0, r.stderr
    scores = {s["student"]: (s["score"], s["seed"]) for s in json.loads(r.stdout)["students"]}
    assert scores["s3"] == (2, 3) and scores["s4"] == (2, 4)
    assert scores["swapped"][0] < 2 and scores["bad seed"][0] == 0
    assert values[3]["h_3"] != values[4]["h_3"] or values[3]["o_3"] != values[4]["o_3"]


def test_the_teachers_precision():
    from lessons.common import Step, WorkedExample
    one = WorkedExample({"u": 0.123456, "n": 8.0}, [Step("q", lambda v: v["u"] * 1.0), Step("k", lambda v: v["n"] * 1.0)])
    strict = Checker(one, Precision(decimals=4))
    assert strict.check({"q": "0.12"})[0].verdict == "imprecise" and strict.check({"q": "0.1235"})[0].verdict == "right"
    assert strict.check({"q": "0.13"})[0].verdict == "wrong" and strict.check({"k": "8"})[0].verdict == "right"
    assert Checker(one).check({"q": "0.12"})[0].verdict == "right"  # the default stays: two significant digits
    assert Checker(rnn.example(), Precision(decimals=4)).check({"c_1": "1.0"})[0].verdict in ("imprecise", "ambiguous")
    part = Checker(one, Precision(decimals=4, credit=0.5))
    assert part.score(part.check({"q": "0.12", "k": "8"})) == (1.5, 2)
    figures = Checker(backprop.example(), Precision(sig_figs=3))
    a = figures.exact["a"]
    assert figures.check({"a": f"{a:.2g}"})[0].verdict in ("imprecise", "ambiguous")
    assert figures.check({"a": f"{a:#.3g}"})[0].verdict == "right"
    numbers = Checker(rnn.example(), Precision(numbers_only=True))
    v = numbers.check({"h_2": "16/2"})[0]
    assert v.verdict == "invalid" and "numbers only" in v.message
    r = _cli("check", "rnn_worked_example", "--numbers-only", "h_2=16/2")
    assert r.returncode == 1 and "numbers only" in r.stdout
    r = _cli("check", "backprop_by_hand", "--decimals", "6", "--precision-credit", "0.5", "z=0.2", "g_b=1")
    assert r.returncode == 1 and "0.5 of 2" in r.stdout, r.stdout  # z = 0.2 exactly (a whole-number claim is not needed)


@pytest.mark.parametrize("precision", [Precision(decimals=3), Precision(sig_figs=4)])
def test_the_key_follows_the_teachers_precision(precision):
    c = Checker(backprop.example(**backprop.draw_variant(np.random.default_rng(2))), precision)
    lines = check_work(c, "\n".join(text for _q, text in key_lines(c)))
    assert first_error(lines) is None, first_error(lines)


def test_class_files_as_they_come(tmp_path):
    header = "姓名;学号;h_1;h_2;备注;;\n"
    body = ("张三;2024001;3;8;ok;;\n李四;2024002;4;9;;;\n" + "王五" * 50 + ";2024003;3;≈8;;;\n=HYPERLINK(\"x\");2024004;3;1e999;;;\n"
            + "赵六;2024005;" + "1" * 200_000 + ";8;;;\n")  # a cell over csv's 131,072-character limit
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((header + body).encode("gbk"))
    out = tmp_path / "report"
    r = _cli("mark", "rnn_worked_example", str(gbk), "--out", str(out), "--lang", "zh")
    assert r.returncode == 0, r.stderr
    assert "GBK" in r.stderr and "备注" in r.stderr
    raw = (out / "marks.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert table[0][:2] == ["姓名", "学号"] and table[1][1] == "2024001"
    assert table[4][0].startswith("'=")  # a name that looks like a formula is text in a spreadsheet
    assert "正确" in table[1] and "wrong" not in raw.decode("utf-8-sig")
    assert table[3][-1] == "正确"  # ≈8 is 8
    assert len(list((out / "feedback").glob("*.txt"))) == 5
    assert table[5][4] == "不是有效答案" and table[5][5] == "正确"  # the huge cell is invalid, its neighbour is marked
    comma = tmp_path / "comma.csv"
    comma.write_text("student,h_1,c_1\nAna,3,0,99\nBen,3,1.0000\n", encoding="utf-8")
    r = _cli("mark", "rnn_worked_example", str(comma), "--json")
    students = json.loads(r.stdout)["students"]
    assert students[0]["answers"]["c_1"]["verdict"] == "invalid" and "quoted" in students[0]["answers"]["c_1"]["message"]
    assert students[1]["score"] == 2
    tab = tmp_path / "tab.csv"
    tab.write_text("\ufeffname\th_1\nAna\t3\n", encoding="utf-8")
    assert json.loads(_cli("mark", "rnn_worked_example", str(tab), "--json").stdout)["students"][0]["score"] == 1


def test_sheets_for_a_class(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text("姓名,学号\n张三,1\n李四,2\n", encoding="utf-8")
    keys = tmp_path / "keys.txt"
    r = _cli("sheet", "rnn_worked_example", "--seed", "10", "--class", str(roster), "--key-file", str(keys), "--lang", "zh")
    assert r.returncode == 0, r.stderr
    pages = r.stdout.split("\f")
    assert len(pages) == 2 and "张三" in pages[0] and "seed 10" in pages[0] and "seed 11" in pages[1]
    assert "参考答案" not in r.stdout and keys.read_text(encoding="utf-8").count("参考答案") == 2
    alone = _cli("sheet", "rnn_worked_example", "--seed", "11", "--key", "--lang", "zh").stdout
    assert alone.split("参考答案")[1].strip() in keys.read_text(encoding="utf-8")


def test_right_but_short_earlier_values_do_not_make_a_precise_answer_wrong():
    """P_1j written to two figures (right), the context from the four-decimal weights: a rounding difference,
    while a context from neither is still wrong."""
    c = Checker(attn.example(Q=(0.5, 1.0, 1.5), K=(1.0, 2.0, 3.0), d_k=1.0))
    short = {f"P_1{j}": f"{c.exact[f'P_1{j}']:.2g}" for j in (1, 2, 3)}
    from_four = sum(round(c.exact[f"P_1{j}"], 4) * c.inputs[f"V_{j}"] for j in (1, 2, 3))
    v = _verdicts(c, {**short, "context_1": f"{from_four:.4f}"})
    assert all(v[q].verdict == "right" for q in short) and v["context_1"].credit, v
    assert not _verdicts(c, {**short, "context_1": f"{from_four + 0.02:.4f}"})["context_1"].credit


def test_the_rounding_range_through_a_maximum_is_exact():
    """m_i = max(S_i1, S_i2, S_i3) is not elementwise: the enumeration must not mix the choices of different rows."""
    ex = attn.example(Q=(0.7, 1.3, 0.9), K=(0.3, 1.1, 0.6), V=(2.0, 5.0, 3.0), d_k=3.0)  # sqrt(3): every S off the grid
    c = Checker(ex)
    assert c.reach("P_12", {}) == pytest.approx(_every_rounding(ex, "P_12"), abs=1e-12)


def test_a_key_rounds_a_tie_the_way_it_prints_it():
    """0.3*(-0.1355) + 0.8 = 0.75935 is a little under in binary: the key rounds and prints it 0.7593 alike."""
    c = Checker(bptt.example(x=(0.5, -1.0, 0.3, 0.8, -0.6, 1.0), w_cc=0.3, w_xc=0.7, b_c=0.1))
    lines = check_work(c, "\n".join(text for _q, text in key_lines(c)))
    assert first_error(lines) is None, first_error(lines)


def test_follow_through_past_the_enumeration_cap():
    """multihead_by_hand's Z_11 depends on so many rounded intermediates that the reach enumeration is capped;
    the student's own unrounded chain (every intermediate kept) must still give follow-through (found by
    hypothesis: O1_11 written 3 too low, Z_11 then carried on correctly was marked wrong)."""
    c = _checker("multihead_by_hand", None)
    wrong = c.exact["O1_11"] - 3.0
    from_yours, _ = c.point({"O1_11": wrong})
    v = _verdicts(c, {"O1_11": repr(wrong), "Z_11": f"{from_yours['Z_11']:.10g}"})
    assert v["O1_11"].verdict == "wrong" and v["Z_11"].verdict == "follow-through", v["Z_11"]
