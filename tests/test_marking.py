"""The hand-calculation checker: the marking rule, what a student types, follow-through, written
solutions, sheets and keys, class marking, and the command line (``check``, ``mark``, ``sheet``).

Expected values come from the worked examples' own computation (``WorkedExample.evaluate``), never
from the checker under test.
"""
from __future__ import annotations

import csv
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
from lessons.marking.rule import Checker, read_answer
from lessons.marking.sheet import key_lines
from lessons.marking.work import check_work, first_error

ROOT = Path(__file__).resolve().parents[1]
LESSONS = {"rnn_worked_example": rnn, "attention_worked_example": attn, "backprop_by_hand": backprop, "bptt_by_hand": bptt}


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
    justified = _verdicts(c, {p: repr(wrong_p), q: f"{theirs:.10g}"})
    assert justified[p].verdict == "wrong"
    if justified[q].verdict == "ambiguous":  # only where the follow-through value is also what a known mistake gives
        assert any(abs(theirs - m) <= 1e-9 * max(1, abs(m)) for _k, m in _mistakes(name, c, q, c.exact)), justified[q]
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
    for option in ("--set", "--lang", "--json", "--explain", "--work", "QUANTITY=VALUE"):
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
    rows = [r.split("|")[1:4] for r in table.strip().splitlines()[2:]]
    return [(typed.strip().strip("`"), verdict.strip()) for typed, verdict, _why in rows]


@pytest.mark.parametrize("typed,verdict", _worked_cases())
def test_the_teachers_page_cases_hold(typed, verdict):
    c = _checker("rnn_worked_example")
    last = c.check(dict(split_answers(typed)))[-1]
    assert last.verdict == verdict, last
