"""What a student reads in the terminal: check tables within 100 columns with Chinese aligned (``--wide``
keeps one line per row), the class summary aligned, ``--device`` mistakes in one line, and help that
lists the subcommands, in either language (argparse's own words included)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lessons import terminal
from lessons.common import Row, format_table

ROOT = Path(__file__).resolve().parent.parent


def _run(*args, lang="en"):
    return subprocess.run([sys.executable, "-m", "lessons", *args, "--lang", lang], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_width_counts_a_chinese_character_as_two_columns():
    assert terminal.width("结论") == 4 and terminal.width("abc") == 3
    assert terminal.width(terminal.ljust("错误", 8)) == 8


def test_wrap_keeps_every_character_and_each_line_within_the_width():
    text = "公式在做任何算术之前就因形状而失败：Q_i = W_Q x_i 是一个 2x4 矩阵 averyveryverylongwordwithoutspaces end"
    lines = terminal.wrap(text, 17)
    assert all(terminal.width(line) <= 17 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


ROWS = [Row("h_2", "7", 7.0, 8.0, "wrong", "carried error: right given the document's earlier numbers, " * 4, "001 §4.1"),
        Row("a claim with a long name " * 3, "some very long printed claim " * 6, None, "ShapeError: add: shapes (4, 2, 32) and (4, 2, 64) " * 2,
            "holds with a condition", "", "000 §4.3", "claim")]


def test_format_table_fits_the_width_and_wide_keeps_one_line_per_row():
    text = format_table(ROWS, 100)
    assert max(terminal.width(line) for line in text.splitlines()) <= 100
    assert "ShapeError" in text and "carried error" in text
    wide = format_table(ROWS, None).splitlines()
    assert len(wide) == 2 + 2 + 1  # header, rule, two rows and the one reason
    assert max(terminal.width(line) for line in wide) > 100


def _screen(line: str) -> list:
    """The characters of a line at the terminal columns they occupy (a wide character fills two)."""
    cells = []
    for ch in line:
        cells += [ch] * terminal.width(ch)
    return cells


def _aligned(lines: list, starts: list) -> list:
    """The lines in which some column does not start at its place (a blank column just before it)."""
    bad = []
    for line in lines:
        screen = _screen(line)
        if any(start < len(screen) and screen[start - 1] != " " for start in starts):
            bad.append(line)
    return bad


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lesson_tables_fit_100_columns_and_align_in_chinese(lang):
    for name in ("attention_worked_example", "claims_001"):
        proc = _run(name, "--quick", lang=lang)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        head = next(i for i, line in enumerate(lines) if line.startswith(("source", "出处")))
        table = lines[head:lines.index("", head) if "" in lines[head:] else None]
        assert max(terminal.width(line) for line in table) <= 100, name
        rule = table[1]  # dashes under each header: where each column starts
        starts = [i for i, c in enumerate(rule) if c == "-" and i > 0 and rule[i - 1] == " "]
        assert len(starts) == 5
        rows = [line for line in table if not line.startswith(" ")]
        assert not _aligned(rows, starts), f"{name} ({lang}): misaligned rows:\n" + "\n".join(_aligned(rows, starts)[:5])


def test_wide_rows_and_json_unchanged():
    wide = _run("claims_001", "--quick", "--wide")
    assert wide.returncode == 0
    assert max(terminal.width(line) for line in wide.stdout.splitlines()) > 100
    report = json.loads(_run("claims_001", "--quick", "--json").stdout)
    assert report["claims_001"]["checks"] and "reason" in report["claims_001"]["checks"][0]


def test_class_summary_aligns_in_chinese():
    proc = subprocess.run([sys.executable, "-m", "lessons", "mark", "rnn_worked_example", "examples/class.csv", "--lang", "zh"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("题目"))
    table = lines[head:lines.index("", head)]
    screen = _screen(table[0])
    starts = [i for i, c in enumerate(screen) if c != " " and i > 0 and screen[i - 1] == " "]
    assert len(starts) == 3 and not _aligned(table, starts), "\n".join(table)


@pytest.mark.parametrize("args, says", [
    (["parallelism", "--device", "gpu", "--quick"], "unknown device 'gpu'"),
    (["rnn_worked_example", "--device", "gpu"], "unknown device 'gpu'"),
    (["rnn_worked_example", "--device", "cuda:x"], "bad device index"),
])
def test_device_mistakes_are_one_line_with_exit_2(args, says):
    proc = _run(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_cuda_without_cupy_is_one_line_with_exit_2():
    from lessons import runner
    from minigrad import backend

    if backend.cuda_is_available():
        pytest.skip("CuPy sees a GPU here")
    assert "CuPy" in runner.device_error("cuda")
    proc = _run("parallelism", "--device", "cuda", "--quick")
    assert proc.returncode == 2 and "CuPy" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert runner.device_error("cpu") is None


def test_a_cpu_only_lesson_on_a_gpu_says_so(capsys):
    from lessons.cli import run
    from minigrad.testing import simulated_cuda

    with simulated_cuda():
        assert run.main(["rnn_worked_example", "--device", "cuda", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "runs on the CPU only" in err and "parallelism" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("lang, words", [("en", ["usage:", "other commands", "check", "mark", "sheet", "assignment", "notebooks"]),
                                         ("zh", ["用法：", "其他命令", "选项", "check", "notebooks"])])
def test_help_lists_the_subcommands_in_the_readers_language(lang, words):
    proc = _run("--help", lang=lang)
    assert proc.returncode == 0
    for word in words:
        assert word in proc.stdout, word
    if lang == "zh":
        assert "usage:" not in proc.stdout and "show this help" not in proc.stdout


def test_argparse_errors_in_chinese():
    proc = _run("--bogus", lang="zh")
    assert proc.returncode == 2 and "错误" in proc.stderr and "无法识别的参数" in proc.stderr and "error:" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "lessons", "notebooks", "--help", "--lang", "zh"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert "用法：" in proc.stdout and "jupyter lab" in proc.stdout


def test_pytest_says_why_tests_skipped_in_one_line():
    from types import SimpleNamespace

    import conftest

    def skipped(reason):
        return SimpleNamespace(skipped=True, longrepr=("test_x.py", 1, f"Skipped: {reason}"))

    lines = []
    reporter = SimpleNamespace(stats={"skipped": [skipped("could not import 'torch': No module named 'torch'")] * 1109
                                      + [skipped("no CUDA GPU with CuPy on this machine")] * 2},
                               write_line=lines.append)
    conftest.pytest_terminal_summary(reporter)
    assert lines == ["skipped: 1,109 PyTorch not installed (pip install torch==2.13.0); 2 no CUDA GPU with CuPy on this machine"]
