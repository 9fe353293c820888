"""``python -m lessons notebooks``: one notebook per lesson, each of which runs without error and shows
the lesson's output and figures."""
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from lessons.runner import LESSONS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    pytest.importorskip("jupytext")
    folder = tmp_path_factory.mktemp("notebooks")
    proc = subprocess.run([sys.executable, "-m", "lessons", "notebooks", str(folder), "--quick", "--lang", "en"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return folder


def test_one_notebook_per_lesson(notebooks):
    assert sorted(p.stem for p in notebooks.glob("*.ipynb")) == sorted(LESSONS)


@pytest.mark.slow
@pytest.mark.parametrize("name", LESSONS)
def test_every_notebook_runs(notebooks, name):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
    assert [c.cell_type for c in nb.cells].count("markdown") >= 1
    # run from the repository root, so that the kernel imports this checkout's lessons and minigrad
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stdout")
    assert "## " in text, f"{name}: the lesson printed no section"
    draws = "ctx.figure(" in Path(importlib.import_module(f"lessons.{name}").__file__).read_text(encoding="utf-8")
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert bool(images) == draws, f"{name}: {len(images)} figures shown inline"


def test_a_folder_that_cannot_be_made(tmp_path):
    pytest.importorskip("jupytext")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc = subprocess.run([sys.executable, "-m", "lessons", "notebooks", str(blocker / "nb")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_chinese_notebooks(tmp_path):
    """--lang zh: the text cells come from the Chinese edition's catalog, and the lesson runs in Chinese."""
    pytest.importorskip("jupytext")
    pytest.importorskip("babel")
    nbformat = pytest.importorskip("nbformat")
    proc = subprocess.run([sys.executable, "-m", "lessons", "notebooks", str(tmp_path), "rnn_worked_example", "--lang", "zh"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "rnn_worked_example.ipynb", as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith("# 文档 001 的循环神经网络")
    assert "$$h_t = \\sigma(W_h h_{t-1}" in markdown[0]  # display maths untouched
    assert markdown[-2].startswith("## 练习") and "`example(w_xh=4, w_xc=10)`" in markdown[-2]
    assert markdown[-1].startswith("<details>") and "<summary>练习 1 的答案</summary>" in markdown[-1]  # the worked answers, folded
    assert "i18n.use('zh')" in nb.cells[-1].source
