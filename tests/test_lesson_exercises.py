"""What the lessons teach, checked by computing it independently: each exercise's claim, each new worked
example against NumPy or PyTorch, the statements that were wrong, and the worked answers (``--answers``,
folded blocks on the pages and in the notebooks)."""
from __future__ import annotations

import importlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lessons import attention_by_hand, attention_worked_example, backprop_by_hand, bptt_by_hand, bptt_vector
from lessons import layer_norm_by_hand, multihead_by_hand, rnn_worked_example, vanishing_gradients
from lessons.runner import LESSONS, Context, answer_blocks, exercise_answers, load, markdown_page, narrative

ROOT = Path(__file__).resolve().parent.parent
# the lessons whose every exercise has a worked answer (parallelism and claims_* are worked on elsewhere)
ANSWERED = [n for n in LESSONS if n not in ("parallelism", "claims_000", "claims_001")]
NEW = ["bptt_vector", "attention_by_hand", "layer_norm_by_hand", "multihead_by_hand"]


def softmax(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _cli(*args):
    env = {"PATH": "/usr/bin:/bin", "LANG": "en_US.UTF-8"}
    return subprocess.run([sys.executable, "-m", "lessons", *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, **env, "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""})


# --------------------------------------------------------------------------------- the exercises' claims
@pytest.mark.parametrize("w_hh", [0.0, 0.3, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("c", [0.5, 1.0, 3.0])
def test_relu_rnn_stays_bounded_below_one(w_hh, c):
    """rnn_worked_example, exercise 2: with 0 <= w_hh < 1 and constant input, h_t < c/(1 - w_hh) and tends to it."""
    T = 400
    v = rnn_worked_example.example(x=(1.0,) * T, w_hh=w_hh, w_xh=c, b_h=0.0).evaluate()
    h = np.array([v[f"h_{t}"] for t in range(1, T + 1)])
    limit = c / (1 - w_hh)
    assert np.all(h <= limit * (1 + 1e-12)) and np.all(np.diff(h) >= -1e-12)
    assert h[-1] == pytest.approx(limit * (1 - w_hh ** T), rel=1e-9)  # the gap to the limit shrinks like w_hh^T


@pytest.mark.parametrize("w_hh", [1.0, 1.5, 2.0])
def test_relu_rnn_grows_without_bound_from_one(w_hh):
    T = 60
    v = rnn_worked_example.example(x=(1.0,) * T, w_hh=w_hh, w_xh=1.0, b_h=0.0).evaluate()
    expected = T if w_hh == 1 else (w_hh ** T - 1) / (w_hh - 1)  # c (1 + w + ... + w^(T-1)), c = 1
    assert v[f"h_{T}"] == pytest.approx(expected, rel=1e-12)


def test_rnn_exercise_1_lists_what_changes():
    base, row2 = rnn_worked_example.example().evaluate(), rnn_worked_example.example(w_xh=4.0, w_xc=10.0).evaluate()
    text = rnn_worked_example.answers()[0]
    changed = text.split(":")[1].split(";")[0]
    for k in rnn_worked_example.DOCUMENT:
        moved = round(row2[k], 4) != round(base[k], 4)
        assert (re.search(rf"\b{k}\b", changed) is not None) == moved, k


@pytest.mark.parametrize("d", [1, 4, 16, 64, 256])
def test_dot_product_variance_grows_like_d_k(d):
    """attention_by_hand: Var(q.k) = d_k for unit-variance entries (NumPy, independent of the lesson), and the
    lesson's own measurement agrees."""
    rng = np.random.default_rng(123)
    q, k = rng.standard_normal((40000, d)), rng.standard_normal((40000, d))
    dots = (q * k).sum(axis=1)
    assert dots.var() == pytest.approx(d, rel=0.05)
    assert (dots / math.sqrt(d)).var() == pytest.approx(1.0, rel=0.05)
    (_d, raw, scaled), = attention_by_hand.variance_table(widths=(d,), pairs=20000)
    assert raw == pytest.approx(d, rel=0.06) and scaled == pytest.approx(1.0, rel=0.06)


def test_unscaled_softmax_saturates_and_its_jacobian_vanishes():
    rows = attention_by_hand.saturation(widths=(1, 16, 256, 1024), rows=500)
    max_raw = [r[1] for r in rows]
    jac_raw = [r[3] for r in rows]
    assert max_raw == sorted(max_raw) and max_raw[-1] > 0.9
    assert jac_raw == sorted(jac_raw, reverse=True) and jac_raw[-1] < 0.1
    assert all(0.25 < r[2] < 0.45 and 0.3 < r[4] < 0.42 for r in rows)  # scaled: what d_k = 1 gives
    # the Jacobian norm against an explicit diag(P) - P P^T in NumPy
    rng = np.random.default_rng(0)
    P = softmax(rng.standard_normal((3, 8)) * 4)
    J = np.stack([np.diag(p) - np.outer(p, p) for p in P])
    import minigrad as mg
    Pm = mg.tensor(P, dtype=mg.float64)
    Jm = mg.eye(8, dtype=mg.float64) * Pm.unsqueeze(2) - Pm.unsqueeze(2) * Pm.unsqueeze(1)
    np.testing.assert_allclose(Jm.cpu().numpy(), J, atol=1e-15)


def test_d_k_is_only_a_temperature_for_scalar_queries():
    """attention_worked_example, exercise 2: d_k = 400 divides the scores by 20: the same weights as Q / 10 with d_k = 4."""
    a = attention_worked_example.example(d_k=400.0).evaluate()
    b = attention_worked_example.example(Q=(0.7, 1.5, 2.3)).evaluate()
    for i in (1, 2, 3):
        for j in (1, 2, 3):
            assert a[f"P_{i}{j}"] == pytest.approx(b[f"P_{i}{j}"], rel=1e-9, abs=1e-300)


def test_causal_mask_answer():
    v = attention_worked_example.example().evaluate()
    q, k = np.array([v[f"Q_{i}"] for i in (1, 2, 3)]), np.array([v[f"K_{i}"] for i in (1, 2, 3)])
    S = np.outer(q, k) / 2
    S[np.triu_indices(3, 1)] = -np.inf
    P = softmax(S)
    text = attention_worked_example.answers()[2]
    assert "; ".join("(" + ", ".join(f"{a:.4f}" for a in row) + ")" for row in P) in text


def test_the_small_bptt_variant_is_ten_times_smaller_everywhere():
    """bptt_by_hand: 'every input and weight ten times smaller' is what SMALL is."""
    import inspect
    defaults = {k: p.default for k, p in inspect.signature(rnn_worked_example.example).parameters.items()}
    for k, v in bptt_by_hand.SMALL.items():
        if k == "x":
            assert v == pytest.approx(tuple(a / 10 for a in defaults["x"]))
        else:
            assert v == pytest.approx(defaults[k] / 10), k
    assert set(bptt_by_hand.SMALL) == {k for k in defaults if k not in ("h_0", "c_0")}


def test_bptt_by_hand_answers_against_torch():
    torch = pytest.importorskip("torch")
    s = bptt_by_hand.SMALL
    w = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in s.items() if k != "x"}
    x1 = torch.tensor(s["x"][0], dtype=torch.float64, requires_grad=True)
    xs = [x1] + [torch.tensor(a, dtype=torch.float64) for a in s["x"][1:]]
    c = torch.tensor(0.0, dtype=torch.float64)
    for x in xs:
        c = torch.tanh(w["w_cc"] * c + w["w_xc"] * x + w["b_c"])
    torch.relu(w["w_oc"] * c + w["b_o"]).backward()
    assert f"{x1.grad.item():.6g}" in bptt_by_hand.answers()[0]
    h = torch.tensor(0.0, dtype=torch.float64)
    for x in xs:
        h = torch.tanh(w["w_hh"] * h + w["w_xh"] * x + w["b_h"])
    h.backward()
    third = bptt_by_hand.answers()[2]
    for k in ("w_hh", "w_xh", "b_h"):
        assert f"{w[k].grad.item():.6g}" in third


def test_backprop_answers_against_torch():
    torch = pytest.importorskip("torch")
    v = backprop_by_hand.example().evaluate()
    t = {k: torch.tensor(v[k], dtype=torch.float64, requires_grad=True) for k in ("x_1", "x_2", "w_1", "w_2", "b")}
    loss = (torch.sigmoid(t["w_1"] * t["x_1"] + t["w_2"] * t["x_2"] + t["b"]) - v["y"]) ** 2
    loss.backward()
    first, second, _third = backprop_by_hand.answers()
    assert all(f"{t[k].grad.item():.6f}" in first for k in ("w_1", "w_2", "b"))
    x = torch.tensor(v["x_1"], dtype=torch.float64, requires_grad=True)
    ((torch.tanh(v["w_1"] * x + v["w_2"] * x + v["b"]) - v["y"]) ** 2).backward()
    assert f"{x.grad.item():.6f}" in second


def test_central_differences_are_printed_and_agree():
    ex = backprop_by_hand.example()
    d = backprop_by_hand.central_differences(ex)
    v = ex.evaluate()
    assert d["w_1"] == pytest.approx(v["g_w1"], abs=1e-8) and d["b"] == pytest.approx(v["g_b"], abs=1e-8)
    ctx = Context(quiet=True)
    backprop_by_hand.run(ctx)
    shown = "\n".join(item for kind, item in ctx.log if kind == "text")
    assert f"{d['w_2']:.12f}" in shown and "True" not in shown
    ctx = Context(quiet=True)
    bptt_by_hand.run(ctx)
    shown = "\n".join(item for kind, item in ctx.log if kind == "text")
    assert "dy/dw differences" in shown and "True" not in shown


def test_tanh_rnn_balance_point_lies_above_one():
    """vanishing_gradients, exercise 1: the gradient vanishes at scale <= 1 and explodes at 1.5 and above."""
    x = vanishing_gradients.inputs()
    ratio = {s: (lambda c: c[0] / c[-1])(vanishing_gradients.step_norms("RNN", s, x)) for s in (0.5, 1.0, 1.5, 3.0)}
    assert ratio[0.5] < 1e-20 and ratio[1.0] < 1e-3 and ratio[1.5] > 1 and ratio[3.0] > 1e6
    assert list(ratio.values()) == sorted(ratio.values())


def test_transformer_parameter_count_against_torch():
    torch = pytest.importorskip("torch")
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    enc = count(torch.nn.TransformerEncoderLayer(512, 8, 2048))
    dec = count(torch.nn.TransformerDecoderLayer(512, 8, 2048))
    total = 6 * (enc + dec) + count(torch.nn.Embedding(10, 512)) * 2 + count(torch.nn.Linear(512, 10))
    assert f"{total:,} parameters" in load("transformer_code").answers()[0]


def test_training_program_input_is_read_as_one_unbatched_sequence():
    """training_programs, bug 1: the (100, 20) ids are one unbatched sequence for PyTorch; an embedding makes them a batch."""
    torch = pytest.importorskip("torch")
    rnn = torch.nn.RNN(20, 20, batch_first=True)
    out, h = rnn(torch.randn(100, 20))
    assert out.shape == (100, 20) and h.shape == (1, 20)  # 100 steps, no batch
    with pytest.raises(RuntimeError, match="unbatched 2-D input, hx should also be 2-D"):
        rnn(torch.randn(100, 20), torch.zeros(1, 100, 20))
    out, _h = rnn(torch.nn.Embedding(10, 20)(torch.randint(0, 10, (100, 20))))
    assert out.shape == (100, 20, 20)


# --------------------------------------------------------------------------------- the new worked examples
def test_bptt_vector_against_torch_and_finite_differences():
    torch = pytest.importorskip("torch")
    for kw in ({}, bptt_vector.draw_variant(np.random.default_rng(5))):
        ex = bptt_vector.example(**kw)
        v = ex.evaluate()
        W = torch.tensor([[v["W_11"], v["W_12"]], [v["W_21"], v["W_22"]]], dtype=torch.float64, requires_grad=True)
        u, b, vv = (torch.tensor([v[f"{n}_1"], v[f"{n}_2"]], dtype=torch.float64, requires_grad=True) for n in ("u", "b", "v"))
        h = torch.tensor([v["h_0_1"], v["h_0_2"]], dtype=torch.float64)
        L = 0
        for t in (1, 2, 3):
            h = torch.tanh(W @ h + u * v[f"x_{t}"] + b)
            h.retain_grad()
            L = L + 0.5 * ((vv * h).sum() - v[f"r_{t}"]) ** 2
            if t == 1:
                h1 = h
        L.backward()
        assert v["L"] == pytest.approx(L.item(), rel=1e-12)
        for i in (1, 2):
            for j in (1, 2):
                assert v[f"g_W_{i}{j}"] == pytest.approx(W.grad[i - 1, j - 1].item(), abs=1e-12)
            assert v[f"g_u_{i}"] == pytest.approx(u.grad[i - 1].item(), abs=1e-12)
            assert v[f"g_b_{i}"] == pytest.approx(b.grad[i - 1].item(), abs=1e-12)
            assert v[f"g_v_{i}"] == pytest.approx(vv.grad[i - 1].item(), abs=1e-12)
            assert v[f"delta_1_{i}"] == pytest.approx(h1.grad[i - 1].item(), abs=1e-12)  # the total gradient reaching h_1


def test_truncated_bptt_with_k_1_keeps_only_the_own_output_term():
    v = bptt_vector.example().evaluate()
    k1 = bptt_vector.autograd_gradients(v, truncate=1)
    T = 3
    ga = {(t, i): v[f"v_{i}"] * v[f"g_y_{t}"] * (1 - v[f"h_{t}_{i}"] ** 2) for t in range(1, T + 1) for i in (1, 2)}
    for i in (1, 2):
        for j in (1, 2):
            expected = sum(ga[t, i] * v[f"h_{t - 1}_{j}"] for t in range(1, T + 1))
            assert k1[f"g_W_{i}{j}"] == pytest.approx(expected, abs=1e-14)
    full = bptt_vector.autograd_gradients(v)
    assert k1["g_v_1"] == pytest.approx(full["g_v_1"], abs=1e-15)
    assert abs(k1["g_W_12"] - full["g_W_12"]) > 1e-3


def test_spectral_norm_bound_holds_on_the_lessons_W():
    import minigrad as mg
    v = bptt_vector.example().evaluate()
    W = np.array([[v["W_11"], v["W_12"]], [v["W_21"], v["W_22"]]])
    for s in (0.5, 1.0, 2.2, 3.0):
        Wm = mg.tensor(W * s, dtype=mg.float64)
        assert bptt_vector.spectral_norm(Wm) == pytest.approx(np.linalg.norm(W * s, 2), rel=1e-12)
        assert bptt_vector.spectral_radius(Wm) == pytest.approx(max(abs(np.linalg.eigvals(W * s))), rel=1e-12)
        r = bptt_vector.long_run(v, s)
        assert all(n <= b * (1 + 1e-9) for n, b in zip(r["norms"], r["bound"]))
    assert bptt_vector.long_run(v, 1.0)["norms"][0] < 1e-10 and bptt_vector.long_run(v, 2.2)["norms"][0] > 1


def test_attention_by_hand_against_numpy():
    for kw in ({}, attention_by_hand.draw_variant(np.random.default_rng(3))):
        v = attention_by_hand.example(**kw).evaluate()
        Q, K, V = (np.array([[v[f"{n}_{i}{c}"] for c in (1, 2)] for i in (1, 2, 3)]) for n in "QKV")
        P = softmax(Q @ K.T / np.sqrt(2))
        O = P @ V
        for i in range(3):
            for j in range(3):
                assert v[f"P_{i + 1}{j + 1}"] == pytest.approx(P[i, j], rel=1e-12)
            for c in range(2):
                assert v[f"O_{i + 1}{c + 1}"] == pytest.approx(O[i, c], rel=1e-12, abs=1e-15)
        assert len({tuple(r) for r in Q}) == 3  # a non-trivial Q: every query different
    assert not np.allclose(Q, np.eye(3, 2))


def test_layer_norm_against_torch_and_its_invariance():
    torch = pytest.importorskip("torch")
    for kw in ({}, layer_norm_by_hand.draw_variant(np.random.default_rng(2))):
        v = layer_norm_by_hand.example(**kw).evaluate()
        x, g, b = (torch.tensor([v[f"{n}_{i}"] for i in (1, 2, 3, 4)], dtype=torch.float64) for n in ("x", "gamma", "beta"))
        ref = torch.nn.functional.layer_norm(x, (4,), g, b, eps=v["eps"])
        assert [v[f"y_{i}"] for i in (1, 2, 3, 4)] == pytest.approx(ref.tolist(), abs=1e-12)
    x = np.array([1.0, 2.0, 4.0, 5.0])
    for c, a in ((3.0, 7.0), (0.1, -2.0), (-3.0, 1.0)):
        moved = layer_norm_by_hand.example(x=tuple(c * x + a), eps=0.0).evaluate()
        base = layer_norm_by_hand.example(x=tuple(x), eps=0.0).evaluate()
        for i in (1, 2, 3, 4):
            assert moved[f"xhat_{i}"] == pytest.approx(math.copysign(1, c) * base[f"xhat_{i}"], rel=1e-12)


def test_multihead_by_hand_against_torch_and_the_wrong_merge():
    torch = pytest.importorskip("torch")
    for kw in ({}, multihead_by_hand.draw_variant(np.random.default_rng(4))):
        v = multihead_by_hand.example(**kw).evaluate()
        Q, K, V = (torch.tensor([[[v[f"{n}_{i}{c}"] for c in (1, 2, 3, 4)] for i in (1, 2)]], dtype=torch.float64) for n in "QKV")
        W_O = torch.tensor([[v[f"W_O_{r}{c}"] for c in (1, 2, 3, 4)] for r in (1, 2, 3, 4)], dtype=torch.float64)
        mha = torch.nn.MultiheadAttention(4, 2, bias=False, batch_first=True).double()
        with torch.no_grad():
            mha.in_proj_weight.copy_(torch.cat([torch.eye(4, dtype=torch.float64)] * 3))
            mha.out_proj.weight.copy_(W_O)
            out, w = mha(Q, K, V, average_attn_weights=False)
        for i in (1, 2):
            for r in (1, 2, 3, 4):
                assert v[f"Z_{i}{r}"] == pytest.approx(out[0, i - 1, r - 1].item(), abs=1e-12)
            for h in (1, 2):
                for j in (1, 2):
                    assert v[f"P{h}_{i}{j}"] == pytest.approx(w[0, h - 1, i - 1, j - 1].item(), abs=1e-12)
    v = multihead_by_hand.example().evaluate()
    O = np.array([[[v[f"O{h}_{i}{c}"] for c in (1, 2)] for i in (1, 2)] for h in (1, 2)])  # (head, token, column)
    right, wrong = O.transpose(1, 0, 2).reshape(2, 4), O.reshape(2, 4)
    bad = [f"Y_{i + 1}{c + 1}" for i in range(2) for c in range(4) if abs(right[i, c] - wrong[i, c]) > 1e-12]
    assert "wrong entries " + ", ".join(bad) + "." in multihead_by_hand.answers()[2]
    assert [v[f"Y_{i + 1}{c + 1}"] for i in range(2) for c in range(4)] == pytest.approx(right.ravel().tolist())


@pytest.mark.parametrize("name", NEW)
def test_new_lessons_check_and_sheet_on_the_command_line(name):
    listing = _cli("check", name)
    assert listing.returncode == 0 and "Quantities you can check" in listing.stdout
    ex = load(name).example()
    first = ex.steps[0].name
    value = ex.evaluate()[first]
    ok = _cli("check", name, f"{first}={value:.6f}")
    assert ok.returncode == 0 and "1 of 1 right" in ok.stdout
    bad = _cli("check", name, f"{first}={value + 1:.6f}")
    assert bad.returncode == 1
    sheet = _cli("sheet", name, "--seed", "3", "--key")
    assert sheet.returncode == 0 and "Answer key" in sheet.stdout


# --------------------------------------------------------------------------------- statements that were wrong
def test_corrected_statements():
    from lessons import transformer_code, training_programs
    rows = {r.quantity: r for r in attention_worked_example.example().check_table()}
    assert "3-vector" in rows["score_1"].reason and "by a scalar" not in rows["score_1"].reason
    src = Path(transformer_code.__file__).read_text(encoding="utf-8")
    assert "so the block is linear" not in src and "softmax attention and layer norm are nonlinear" in src
    assert "unbatched" in Path(training_programs.__file__).read_text(encoding="utf-8")
    assert "grows without bound when $w_{hh} \\ge 1$" in narrative(rnn_worked_example)
    assert "every input and weight ten times smaller" in Path(bptt_by_hand.__file__).read_text(encoding="utf-8")


def test_symbols_are_defined_where_they_are_used():
    text = narrative(bptt_by_hand)
    assert "Iverson bracket" in text and "k_q = \\partial h_3/\\partial q" in text
    assert "\\delta_t = \\partial L/\\partial h_t" in narrative(vanishing_gradients)
    assert "\\delta_t = \\partial L/\\partial h_t" in narrative(bptt_vector)
    notation = (ROOT / "docs" / "notation.md").read_text(encoding="utf-8")
    for symbol in ("\\delta_t", "g_q", "[P]", "\\sigma_{\\max}", "d_k", "\\hat x", "P_{ij}"):
        assert symbol in notation, symbol


# --------------------------------------------------------------------------------- answers
@pytest.mark.parametrize("name", ANSWERED)
def test_every_exercise_has_a_worked_answer(name):
    module = load(name)
    exercises = narrative(module).partition("## Exercises")[2]
    count = len(re.findall(r"^\d+\. ", exercises, flags=re.M))
    answers = exercise_answers(module)
    assert count and len(answers) == count, f"{name}: {count} exercises, {len(answers)} answers"
    assert all(a.strip() for a in answers)
    assert "assignment" in narrative(module)  # each lesson says which assignment practises it (or that none does)


def test_answers_on_the_command_line_page_and_notebook(tmp_path):
    proc = _cli("layer_norm_by_hand", "--answers", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    tail = proc.stdout.partition("## Answers to the exercises")[2]
    assert tail and all(f"\n{k}. " in tail for k in (1, 2, 3, 4))
    assert "## Answers to the exercises" not in _cli("layer_norm_by_hand", "--lang", "en").stdout
    data = json.loads(_cli("layer_norm_by_hand", "--answers", "--json").stdout)
    assert len(data["layer_norm_by_hand"]["answers"]) == 4
    zh = _cli("layer_norm_by_hand", "--answers", "--lang", "zh")
    assert "练习答案" in zh.stdout
    module = load("layer_norm_by_hand")
    ctx = Context(quiet=True)
    module.run(ctx)
    page = markdown_page("layer_norm_by_hand", module, ctx)
    assert page.count("<details>") == 4 and page.count("</details>") == 4
    assert page.index("<details>") > page.index("## Exercises")
    assert answer_blocks(["x"])[:2] == ["<details>", "<summary>Answer to exercise 1</summary>"]
    pytest.importorskip("jupytext")
    notebooks = importlib.import_module("lessons.cli.notebooks")
    nb = notebooks.notebook("layer_norm_by_hand", "en", quick=True)
    cells = [c.source for c in nb.cells]
    where = next(i for i, c in enumerate(cells) if "## Exercises" in c)
    assert cells[where + 1].count("<details>") == 4


# --------------------------------------------------------------------------------- more of the exercises' claims
def test_equal_queries_give_equal_rows():
    """attention_by_hand, exercise 2."""
    v = attention_by_hand.example(Q=(1.0, 0.0) * 3).evaluate()
    for i in (2, 3):
        for j in (1, 2, 3):
            assert v[f"P_{i}{j}"] == pytest.approx(v[f"P_1{j}"], rel=1e-15)
        for c in (1, 2):
            assert v[f"O_{i}{c}"] == pytest.approx(v[f"O_1{c}"], rel=1e-15)


def test_a_larger_divisor_flattens_the_weights():
    """attention_by_hand, exercise 4: dividing by 10 instead of sqrt(2) moves row 3 towards uniform (NumPy)."""
    v = attention_by_hand.example().evaluate()
    Q, K, _V = (np.array([[v[f"{n}_{i}{c}"] for c in (1, 2)] for i in (1, 2, 3)]) for n in "QKV")
    before, after = softmax(Q @ K.T / np.sqrt(2))[2], softmax(Q @ K.T / 10)[2]
    assert np.abs(after - 1 / 3).max() < np.abs(before - 1 / 3).max()
    assert ", ".join(f"{a:.4f}" for a in after) in attention_by_hand.answers()[3]


def test_layer_norm_of_equal_features_is_beta():
    """layer_norm_by_hand, exercise 3: y = beta, and with eps = 0 the division is 0/0."""
    v = layer_norm_by_hand.example(x=(2.0,) * 4).evaluate()
    assert [v[f"y_{i}"] for i in (1, 2, 3, 4)] == [v[f"beta_{i}"] for i in (1, 2, 3, 4)]
    with np.errstate(all="ignore"):
        zero = layer_norm_by_hand.example(x=(2.0,) * 4, eps=0.0).evaluate()
    assert math.isnan(zero["y_1"])


def test_one_wide_head_differs_from_two_heads():
    """multihead_by_hand, exercise 4 (NumPy)."""
    v = multihead_by_hand.example().evaluate()
    Q, K, V = (np.array([[v[f"{n}_{i}{c}"] for c in (1, 2, 3, 4)] for i in (1, 2)]) for n in "QKV")
    one = softmax(Q @ K.T / 2) @ V
    two = np.array([[v[f"Y_{i}{c}"] for c in (1, 2, 3, 4)] for i in (1, 2)])
    assert np.abs(one - two).max() > 0.1
    assert "; ".join(", ".join(f"{a:.4f}" for a in row) for row in one) in multihead_by_hand.answers()[3]


def test_lstm_forget_bias_one_carries_the_gradient_further():
    """vanishing_gradients, exercise 2."""
    x = vanishing_gradients.inputs()
    ratio = lambda c: c[0] / c[-1]  # noqa: E731
    default, one, three = (ratio(vanishing_gradients.step_norms("LSTM", b, x)) for b in (0.0, 1.0, 3.0))
    assert default < one < three


def test_attention_without_positions_is_permutation_equivariant():
    """attention_heatmaps, exercise 1, on an untrained model computed here."""
    import minigrad as mg
    heatmaps = load("attention_heatmaps")
    mg.manual_seed(3)
    model = heatmaps.Shifter()
    x = np.random.default_rng(3).integers(0, heatmaps.VOCAB, (1, heatmaps.T))
    perm = np.roll(np.arange(heatmaps.T), 3)
    with mg.no_grad():
        def out(tokens):
            h = model.emb(mg.tensor(tokens))
            return model.attn(h, h, h, need_weights=False)[0].cpu().numpy()[0]
        np.testing.assert_allclose(out(x[:, perm]), out(x)[perm], atol=1e-5)
        with_positions = model(mg.tensor(x[:, perm]))[0].cpu().numpy()[0]
        assert np.abs(with_positions - model(mg.tensor(x))[0].cpu().numpy()[0][perm]).max() > 1e-3
