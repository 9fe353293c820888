"""The benchmark harness, at tiny sizes: its structure and outputs. It reports timings; no test asserts one."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import report, worker
from benchmarks.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_worker_runs_one_library_alone_and_reports_time_and_memory():
    proc = _run("benchmarks.worker", "seed_lstm_step", "minigrad", "--quick", "--samples", "2", "--min-sample-s", "0")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["workload"] == "seed_lstm_step" and r["library"] == "minigrad"
    assert len(r["times"]) == 2 and all(t > 0 for t in r["times"])
    assert r["traced_peak_bytes"] > 0 and r["rss_step_bytes"] >= 0
    # the minigrad process never imports PyTorch: its thread pool cannot compete with NumPy's
    probe = "import sys, benchmarks.worker as w; w.run('seed_rnn_step', 'minigrad', True, 1, 0); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_each_workload_builds_for_minigrad_at_quick_sizes():
    import minigrad as mg

    for name, w in WORKLOADS.items():
        step = w.build(mg, True)
        step()
        assert w.describe(True)
        assert (w.series is None) == (w.T is None), name
        if w.flops:
            assert w.flops(True) > 0


def test_suite_alternates_libraries_and_writes_page_json_and_figures(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    names = ["gemm", "encoder_d512_step", "attention_T128"]
    proc = _run("benchmarks", "--quick", "--pairs", "2", "--samples", "1", "--threads", "1", "--only", *names,
                "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "pair 2 of 2" in proc.stderr  # progress: the workload and the pair
    data = json.loads((tmp_path / "performance.json").read_text())
    assert list(data["workloads"]) == names
    assert data["gemm_peak_gflops"] > 0 and data["pairs"] == 2
    assert set(data["load_average"]) == {"start", "end"}
    assert data["threads"] == 1 and data["machine"]["torch"].endswith("(1 threads)")  # set in every process
    for name in names:
        w = data["workloads"][name]
        for lib in ("minigrad", "pytorch"):
            assert len(w[lib]["per_pair_s"]) == 2
            assert w[lib]["min_s"] <= w[lib]["median_s"] <= w[lib]["max_s"]
        ratios = sorted(a / b for a, b in zip(w["minigrad"]["per_pair_s"], w["pytorch"]["per_pair_s"]))
        assert w["ratio"] == pytest.approx(sum(ratios) / 2)  # the median of two pairs
        assert w["minigrad"]["traced_peak_bytes"] > 0 and w["pytorch"]["traced_peak_bytes"] is None
    enc = data["workloads"]["encoder_d512_step"]
    assert enc["floor_s"] == pytest.approx(enc["flops"] / (data["gemm_peak_gflops"] * 1e9))
    page = (tmp_path / "performance.md").read_text()
    assert "| `attention_T128` |" in page and "Machine:" in page and "load average" in page
    assert "**Threads**: 1 per library" in page
    for g in report.GOALS:  # every goal has a row; those not run here say so
        assert g.text() in page
    assert "not measured in this run" in page
    again = _run("benchmarks", "--from-json", str(tmp_path / "performance.json"), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr  # the page is a function of the data alone
    assert (tmp_path / "again" / "performance.md").read_text() == page
    for png in ("performance-ratios.png", "performance-scaling.png"):
        from matplotlib.image import imread

        h, w, _ = imread(tmp_path / png).shape
        assert abs(w / h - 16 / 9) < 0.01


def test_plain_run_writes_nothing(tmp_path):
    before = {p: p.stat().st_mtime_ns for p in (ROOT / "docs").glob("performance*")}
    proc = _run("benchmarks", "--quick", "--pairs", "1", "--samples", "1", "--only", "op_overhead")
    assert proc.returncode == 0, proc.stderr
    assert "written" not in proc.stdout
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "docs").glob("performance*")} == before


def test_goal_check_reads_ratio_peak_and_memory():
    data = {"workloads": {"encoder_d512_step": {"ratio": 0.85, "floor_s": 0.5, "minigrad": {"median_s": 1.0}},
                          "attention_T2048": {"ratio": 0.9, "minigrad": {"rss_step_bytes": 200},
                                              "pytorch": {"rss_step_bytes": 100}}}}
    goals = {g.workload: g for g in report.GOALS}
    met, what = goals["encoder_d512_step"].check(data)
    assert met is False and "50% of the GEMM peak" in what  # fast enough, but below 60% of the peak
    met, what = goals["attention_T2048"].check(data)
    assert met is False and "resident memory" in what  # fast enough, but more memory
    assert goals["seed_lstm_step"].check(data) == (None, "not measured in this run")


def test_from_json_with_an_unreadable_file_is_a_usage_error(tmp_path):
    proc = _run("benchmarks", "--from-json", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["--pairs", "0"], ["--samples", "0"], ["--threads", "0"], ["--pairs", "1,5"]])
def test_a_count_below_one_or_not_a_number_is_a_usage_error(args):
    """Zero pairs is not "the default number of pairs": it is refused before anything is measured."""
    proc = _run("benchmarks", *args, "--only", "gemm")
    assert proc.returncode == 2 and "error" in proc.stderr and "Traceback" not in proc.stderr
    assert "pair 1 of" not in proc.stderr


def test_worker_rejects_unknown_workload():
    proc = _run("benchmarks.worker", "no_such_workload", "minigrad")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    assert worker.LIBRARIES == {"minigrad": "minigrad", "pytorch": "torch"}


def test_machine_records_numpys_blas_and_the_variables_that_chose_its_kernels(monkeypatch):
    from benchmarks import harness

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    m = harness.machine()
    assert m["blas_env"]["OPENBLAS_CORETYPE"] == "Haswell"
    if m["blas"].get("internal_api") == "openblas":  # the variable is OpenBLAS's: it runs the kernels it names
        assert m["blas"]["architecture"] == "Haswell"
        assert m["blas_detected"]
    lines = report._blas_lines({**m, "blas": {"internal_api": "openblas", "version": "0.3", "architecture": "Haswell"},
                                "blas_detected": "SkylakeX"})
    assert "`OPENBLAS_CORETYPE=Haswell`" in " ".join(lines) and "SkylakeX" in lines[-1]
    assert report._blas_lines({"cpu": "x"}) == []  # a run recorded before the BLAS was: nothing to say


def test_the_performance_page_and_its_chinese_catalog_are_those_of_the_data(tmp_path):
    """docs/performance.md and the Chinese edition's catalog of it are what the tracked data give (the
    catalog is regenerated with the page), and every English sentence of the page has its Chinese."""
    pytest.importorskip("matplotlib")
    data = json.loads((ROOT / "docs" / "performance.json").read_text(encoding="utf-8"))
    report.write(data, tmp_path)
    rerun = "run: python -m benchmarks --from-json docs/performance.json --write-docs"
    assert (tmp_path / "performance.md").read_text(encoding="utf-8") == (ROOT / "docs" / "performance.md").read_text(encoding="utf-8"), rerun
    po = Path("locale") / "zh_CN" / "LC_MESSAGES" / "performance.po"
    assert (tmp_path / po).read_text(encoding="utf-8") == (ROOT / "docs" / po).read_text(encoding="utf-8"), rerun
    from lessons import i18n

    try:
        i18n.use("en")
        english = report.messages(report.markdown(data))
        i18n.use("zh")
        chinese = report.messages(report.markdown(data))
    finally:
        i18n.use(None)
    assert len(english) == len(chinese)
    untranslated = [e for e, z in zip(english, chinese) if e == z and re.search(r"[a-z]{2,} [a-z]{2,} [a-z]{2,}", e)]
    assert not untranslated, "add to lessons/locale/zh_CN/LC_MESSAGES/benchmarks.po:\n" + "\n".join(untranslated)


def test_a_page_and_a_translation_that_do_not_pair_up_are_refused():
    with pytest.raises(ValueError, match="split into"):
        report.catalog("# Title\n\nOne paragraph.\n", "# 标题\n\n一段。\n\n另一段。\n")
    po = report.catalog("# Title\n\n| a | b |\n|---|---|\n| x | 1 |\n", "# 标题\n\n| 甲 | 乙 |\n|---|---|\n| 埃 | 1 |\n")
    assert 'msgid "Title"\nmsgstr "标题"' in po and 'msgid "x"\nmsgstr "埃"' in po and 'msgid "1"' not in po
