"""The benchmark suite runs (quick mode, small sizes). It reports timings; no test asserts one."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_suite_runs_in_quick_mode(tmp_path):
    out = tmp_path / "perf.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "[1/" in proc.stdout  # progress is shown
    report = out.read_text()
    assert "| `op_overhead` |" in report and "Machine:" in report
