"""Lessons: they run, their check tables agree with independent NumPy computations, the example
functions take other inputs, and the checker tells right from wrong."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lessons import attention_worked_example as attn
from lessons import rnn_worked_example as rnn
from lessons.runner import LESSONS, Context, load

ROOT = Path(__file__).resolve().parent.parent


def numpy_rnn(x, w_hh=1.0, w_xh=2.0, b_h=1.0, w_cc=7.0, w_xc=8.0, b_c=2.0, w_oc=13.0, b_o=3.0):
    h = c = 0.0
    out = {}
    for t, xt in enumerate(x, 1):
        h = max(w_hh * h + w_xh * xt + b_h, 0.0)
        c = math.tanh(w_cc * c + w_xc * xt + b_c)
        out[f"h_{t}"], out[f"c_{t}"], out[f"o_{t}"] = h, c, max(w_oc * c + b_o, 0.0)
    return out


def numpy_attention(Q, K, V, d_k=4.0, w_F=25.0):
    Q, K, V = (np.array(a, dtype=float) for a in (Q, K, V))
    S = np.outer(Q, K) / np.sqrt(d_k)
    P = np.exp(S - S.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    return S, P, P @ V, np.maximum(w_F * (P @ V), 0)


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_runs(name, tmp_path):
    pytest.importorskip("matplotlib")
    ctx = Context(plots=tmp_path, quick=True, quiet=True)
    result = load(name).run(ctx)
    assert isinstance(result, dict)
    for f in ctx.figures:
        png = f.read_bytes()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (1920, 1080), f"{f.name}: {width} x {height}, not 16:9 for a projector"


def test_rnn_check_table_against_numpy():
    rows = {r.quantity: r for r in rnn.example().check_table()}
    ref = numpy_rnn([1, 2, 3])
    for k, v in ref.items():
        assert rows[k].recomputed == pytest.approx(v, rel=1e-12)
    assert rows["h_1"].verdict == "agrees"
    assert rows["a_h2"].verdict == "wrong" and rows["a_h2"].reason.startswith("arithmetic slip") and rows["a_h2"].from_document_steps == 8
    assert rows["h_2"].reason.startswith("carried error")
    assert rows["a_h3"].from_document_steps == 14  # 7 + 6 + 1 from the document's own h_2 = 7
    assert "adds 15" in rows["a_o1"].reason
    assert rows["c_1"].from_document_steps == pytest.approx(math.tanh(10), rel=1e-12)
    assert rows["c_3"].verdict == "rounding difference"  # tanh(32.965) rounds to 1.0000, printed 0.9999
    assert rows["c_2"].verdict == "wrong"  # 0.9950 is no rounding of 1
    assert len(rows) == len(rnn.DOCUMENT)


def test_rnn_variant_inputs():
    ex = rnn.example(x=(0.5, -1.0), w_xh=4.0, b_o=-20.0)
    values = ex.evaluate()
    ref = numpy_rnn([0.5, -1.0], w_xh=4.0, b_o=-20.0)
    for k, v in ref.items():
        assert values[k] == pytest.approx(v, rel=1e-12)
    assert "h_2 = ReLU(a_h2)" in ex.steps_text()


def test_attention_check_table_against_numpy():
    S, P, C, O = numpy_attention([7, 15, 23], [22, 38, 54], [40, 62, 84])
    rows = {r.quantity: r for r in attn.example().check_table()}
    for i in range(3):
        assert rows[f"score_{i + 1}"].recomputed == pytest.approx(S[i, i], rel=1e-12)
        assert rows[f"weight_{i + 1}"].recomputed == pytest.approx(P[0, i], rel=1e-9, abs=1e-300)
        assert rows[f"context_{i + 1}"].recomputed == pytest.approx(C[i], rel=1e-12)
        assert rows[f"output_{i + 1}"].recomputed == pytest.approx(O[i], rel=1e-12)
    printed_scores = np.array([12.375, 24.5, 36.625])
    soft = np.exp(printed_scores - printed_scores.max())
    soft /= soft.sum()
    for j in range(3):
        assert rows[f"weight_{j + 1}"].from_document_steps == pytest.approx(soft[j], rel=1e-9)
        assert rows[f"weight_{j + 1}"].verdict == "not derivable"
        assert "cannot be derived from the printed scores" in rows[f"weight_{j + 1}"].reason
    assert rows["Q_1"].verdict == "taken as given" and "shape impossible" in rows["Q_1"].reason
    assert "983" in rows["score_1"].reason  # (7*22 + 15*38 + 23*54) / 2
    assert rows["score_1"].verdict == "not derivable" and rows["score_1"].reason.startswith("the formula fails on shapes")
    assert rows["output_1"].from_document_steps == pytest.approx(25 * 48.184)
    assert rows["output_2"].from_document_steps == pytest.approx(25 * 63.568)  # the document printed 1584.2
    assert rows["output_2"].reason.startswith("arithmetic slip")


def test_attention_variant_inputs():
    Q, K, V = (0.7, 1.5, 2.3), (2.2, 3.8, 5.4), (4.0, 6.2, 8.4)
    values = attn.example(Q=Q, K=K, V=V, d_k=16.0).evaluate()
    S, P, C, O = numpy_attention(Q, K, V, d_k=16.0)
    for i in range(3):
        for j in range(3):
            assert values[f"P_{i + 1}{j + 1}"] == pytest.approx(P[i, j], rel=1e-12)
        assert values[f"output_{i + 1}"] == pytest.approx(O[i], rel=1e-12)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lessons", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_cli_list_check_and_json():
    listing = _cli()
    assert listing.returncode == 0 and "rnn_worked_example" in listing.stdout and "§4.1" in listing.stdout
    ok = _cli("check", "rnn_worked_example", "h_2=8", "o_1=16")
    assert ok.returncode == 0 and "2 of 2 right" in ok.stdout
    bad = _cli("check", "rnn_worked_example", "h_2=7", "h_3=14")
    assert bad.returncode == 1 and "first wrong step" in bad.stdout and "follow-through" in bad.stdout
    rep = _cli("rnn_worked_example", "--json")
    data = json.loads(rep.stdout)
    row = data["rnn_worked_example"]["checks"][0]
    assert set(row) == {"quantity", "document", "from_document_steps", "recomputed", "verdict", "reason", "source", "kind"}
    assert row["source"] == "001 §4.1" and row["kind"] == "number"
    assert _cli("no_such_lesson").returncode == 2


def _cli_without(module, *args):
    """The command line in a Python where ``module`` cannot be imported (as if it were not installed)."""
    code = f"import sys; sys.modules[{module!r}] = None; from lessons.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_plots_into_a_folder_that_cannot_be_made(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc = _cli("rnn_worked_example", "--lang", "en", "--plots", str(blocker / "plots"))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "--plots" in proc.stderr and "Traceback" not in proc.stderr
    assert str(blocker / "plots") in proc.stderr


def test_plots_without_matplotlib_says_so(tmp_path):
    proc = _cli_without("matplotlib", "rnn_worked_example", "--lang", "en", "--plots", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "matplotlib not installed" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_a_page_says_when_pytorch_is_missing(tmp_path):
    proc = _cli_without("torch", "training_programs", "--lang", "en", "--quick", "--markdown", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "PyTorch not installed: comparison rows skipped" in proc.stderr
    page = (tmp_path / "training_programs.md").read_text(encoding="utf-8")
    assert "```{warning}\nPyTorch not installed: comparison rows skipped" in page
    assert "torch RNN" not in page


def test_a_page_says_when_matplotlib_is_missing(tmp_path):
    proc = _cli_without("matplotlib", "vanishing_gradients", "--lang", "en", "--quick", "--markdown", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "vanishing_gradients.md").read_text(encoding="utf-8")
    assert "matplotlib not installed: figures skipped" in page and "![" not in page
