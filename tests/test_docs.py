"""The documentation: every lesson gets a page with its check table and figures, every public name is in
the API reference, the build writes only into git-ignored places, and nothing tracked holds a path of the
machine it was made on. (CI also builds the whole site with warnings as errors.)"""
import importlib.util
import os
import re
import shutil
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
    proc = subprocess.run([sys.executable, "-m", "lessons", "--all", "--quick", "--lang", "en", "--markdown", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    for name in LESSONS:
        page = (out / f"{name}.md").read_text(encoding="utf-8")
        assert page.startswith("<!-- generated"), name
        assert load(name).SOURCE in page, name
        assert str(tmp_path) not in page, f"{name}: the page holds the path it was written to"
        if hasattr(load(name), "DOCUMENT"):  # a worked example of the documents: its check table
            assert "| quantity | document |" in page, name
        lines = page.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("!["):
                target = line[line.index("(") + 1 : line.index(")")]
                assert (out / target).exists(), f"{name}: missing figure {target}"
            if line.startswith("#"):  # every heading heads something
                following = next((x for x in lines[i + 1 :] if x.strip()), "")
                heading_level = len(line) - len(line.lstrip("#"))
                next_level = len(following) - len(following.lstrip("#"))
                assert not (following.startswith("#") and next_level <= heading_level), f"{name}: empty section {line!r}"
    for name in ("parallelism", "training_programs", "transformer_code", "attention_heatmaps"):  # timings, float32 training
        assert "depend on the machine; these come from: " in (out / f"{name}.md").read_text(encoding="utf-8"), name
    assert "## 001" in (out / "errata.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lessons"], "the pages are written inside the folder named"
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


def _git(*args):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_the_build_writes_only_into_ignored_paths():
    conf = _conf()
    generated = [p.relative_to(ROOT).as_posix() for p in conf.GENERATED]
    for rel in generated + ["docs/lessons/figures/x.png", "docs/lessons/errata.md", "docs/_build/html/index.html",
                            "docs/locale/zh_CN/LC_MESSAGES/index.mo"]:
        assert subprocess.run(["git", "check-ignore", "-q", "--no-index", rel], cwd=ROOT).returncode == 0, \
            f"{rel} is written by the docs build but not git-ignored"
    tracked = _git("ls-files", "--", *generated).split()
    assert not tracked, f"build outputs are tracked: {tracked}"


# Absolute paths of a machine: home folders, root's, temporary folders, the workspace of this project's
# machines. Spelled in pieces so that this file does not match itself.
MACHINE_PATH = re.compile("(?<![\\w.])/(?:" + "|".join(["ho" + "me", "ro" + "ot", "tm" + "p", "wo" + "rk"]) + ")/")


def test_nothing_tracked_holds_an_absolute_path():
    offenders = []
    for rel in _git("ls-files", "-z").split("\0"):
        path = ROOT / rel
        if not rel or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary (figures, compiled catalogs)
            continue
        offenders += [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if MACHINE_PATH.search(line)]
    assert not offenders, "absolute paths in tracked files:\n" + "\n".join(offenders)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_docs_build_leaves_the_tree_clean(tmp_path, language):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    pytest.importorskip("matplotlib")
    before = _git("status", "--porcelain", "--untracked-files=all")
    env = {**os.environ, "MINIGRAD_DOCS_QUICK": "1"}
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-D", f"language={language}",
                           "docs", str(tmp_path / "html")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "html" / "lessons" / "errata.html").exists()
    assert _git("status", "--porcelain", "--untracked-files=all") == before, "the docs build changed the working tree"
