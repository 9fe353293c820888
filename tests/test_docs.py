"""The documentation: every lesson gets a page with its check table and figures, every public name is in
the API reference. (CI also builds the whole site with warnings as errors.)"""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from lessons.runner import LESSONS, load

ROOT = Path(__file__).resolve().parent.parent


def _conf():
    spec = importlib.util.spec_from_file_location("docs_conf", ROOT / "docs" / "conf.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_lesson_has_a_page_with_its_check_table_and_figures(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "lessons"
    proc = subprocess.run([sys.executable, "-m", "lessons", "--all", "--quick", "--markdown", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    for name in LESSONS:
        page = (out / f"{name}.md").read_text(encoding="utf-8")
        assert page.startswith("<!-- generated"), name
        assert load(name).SOURCE in page, name
        if hasattr(load(name), "DOCUMENT"):  # a worked example of the documents: its check table
            assert "## Check table" in page and "| quantity | document |" in page, name
        for line in page.splitlines():
            if line.startswith("!["):
                target = line[line.index("(") + 1 : line.index(")")]
                assert (out / target).exists(), f"{name}: missing figure {target}"
    assert "## 001" in (tmp_path / "errata.md").read_text(encoding="utf-8")
    figures = {p.name for p in (out / "figures").iterdir()}
    assert {"attention_worked_example_weights.png", "parallelism.png", "vanishing_gradients.png"} <= figures


def test_every_public_name_is_in_the_reference(tmp_path):
    conf = _conf()
    path = tmp_path / "reference.md"
    conf.write_reference(path)
    text = path.read_text(encoding="utf-8")
    for modname in conf.NAMESPACES:
        for name in conf.public_names(modname):
            assert f"{modname}.{name}" in text, f"{modname}.{name} is missing from the API reference"
    for name in ("tensor", "Tensor", "no_grad", "trace", "save", "load"):
        assert f"minigrad.{name}" in text
    for name in ("LSTM", "MultiheadAttention", "Transformer", "CrossEntropyLoss", "Parameter"):
        assert f"minigrad.nn.{name}" in text
