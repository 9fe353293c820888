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
    leaks = [f"{page.relative_to(tmp_path)}: {m.group(0)}" for page in sorted((tmp_path / "html").rglob("*.html"))
             for m in re.finditer(MACHINE_PATH.pattern + r"\S{0,60}", page.read_text(encoding="utf-8"))]
    assert not leaks, "built pages hold absolute paths of this machine:\n" + "\n".join(leaks[:10])
    if language == "zh_CN":
        english = [f"{page.relative_to(tmp_path / 'html')}: {text}" for page in sorted((tmp_path / "html").rglob("*.html"))
                   if page.name not in NOT_TRANSLATED for text in untranslated(page.read_text(encoding="utf-8"))]
        assert not english, f"{len(english)} English phrases in the Chinese edition:\n" + "\n".join(english)
        lost = [page.name for page in sorted((tmp_path / "html").rglob("*.html"))  # a translated code block shown as "::"
                for pre in re.findall(r"<pre>(.*?)</pre>", page.read_text(encoding="utf-8"), re.S)
                if re.sub(r"<[^>]+>", "", pre).strip() == "::"]
        assert not lost, f"translated code blocks lost their code in: {lost}"
    assert _git("status", "--porcelain", "--untracked-files=all") == before, "the docs build changed the working tree"


# Pages of the Chinese edition that stay English: the API reference's docstrings (the code's own
# documentation, as in PyTorch's Chinese sites) and Sphinx's generated indexes.
NOT_TRANSLATED = {"reference.html", "genindex.html", "py-modindex.html", "search.html"}
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def _prose(text: str) -> bool:
    """English prose, not a name: three words in a row of which two start in lower case ("On this page",
    "the article shows"), where a title ("Attention Is All You Need") or a list of names has at most one."""
    if _CJK.search(text):
        return False
    for run in re.split(r"[^A-Za-z' ]+", re.sub(r"\bet al\b", "", text)):  # "Vaswani et al.": a citation
        words = _WORD.findall(run)
        if any(sum(w[0].islower() for w in words[i:i + 3]) >= 2 for i in range(len(words) - 2)):
            return True
    return False


def untranslated(page: str) -> list:
    """The English phrases a reader sees in a built page's text (its article, the navigation and the
    table of contents), outside code, maths and program output."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        VOID = {"br", "img", "meta", "link", "input", "hr", "source", "col", "area", "base", "wbr", "embed", "param", "track"}
        SKIP_TAGS = {"pre", "code", "script", "style", "mjx-container", "kbd", "svg", "math"}
        SKIP_CLASSES = {"math", "highlight", "notranslate", "headerlink"}

        def __init__(self) -> None:
            super().__init__()
            self.stack, self.inside, self.skip, self.found = [], 0, 0, []

        def handle_starttag(self, tag, attrs):
            if tag in self.VOID:
                return
            classes = set((dict(attrs).get("class") or "").split())
            start = tag == "article" or bool(classes & {"sidebar-tree", "toc-title", "toc-drawer"})
            skip = tag in self.SKIP_TAGS or bool(classes & self.SKIP_CLASSES)
            self.stack.append((tag, start, skip))
            self.inside += start
            self.skip += skip

        def handle_endtag(self, tag):
            if tag not in (name for name, _start, _skip in self.stack):
                return  # a stray end tag (a </p> the parser closed already): popping for it would leave the article
            while self.stack:
                name, start, skip = self.stack.pop()
                self.inside -= start
                self.skip -= skip
                if name == tag:
                    break

        def handle_data(self, data):
            text = " ".join(data.split())
            if self.inside > 0 and not self.skip and text and _prose(text):
                self.found.append(text)

    reader = Reader()
    reader.feed(page)
    return reader.found


def test_untranslated_finds_english_prose_and_lets_names_code_and_maths_be():
    page = ("<div class='toc-drawer'><span class='toc-title'>On this page</span></div><article><p>中文段落。</p>"
            "<p>the article shows the importance</p><p><code>pip install torch torchvision</code></p>"
            "<p>Attention Is All You Need; Hugging Face Transformers</p><span class='math'>\\text{for all the x}</span>"
            "<pre>a comment in the code</pre></p><p>after a stray end tag</p></article><footer>Made with the theme</footer>")
    assert untranslated(page) == ["On this page", "the article shows the importance", "after a stray end tag"]


# Elements of a page's article that stick out of the content area (furo's .article-container), as
# "TAG text" lines: what a reader would have to scroll sideways to see. Headings are measured by their
# text (furo lets a heading's box overhang by its anchor's margin); MathJax's hidden MathML is skipped.
OVERFLOWING = """(selector) => {
  const box = document.querySelector('.article-container').getBoundingClientRect();
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('mjx-assistive-mml') || /^H[1-6]$/.test(el.tagName)) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > box.right + 0.5 || r.left < box.left - 0.5)) {
      out.push(`${el.tagName} ${Math.round(r.left)}..${Math.round(r.right)} (content ${Math.round(box.left)}..${Math.round(box.right)}): ` +
               (el.textContent || '').trim().slice(0, 80));
    }
  }
  return out;
}"""
REASONS = """() => Array.from(document.querySelectorAll('.check-table tbody td:nth-child(8)'))
  .filter(td => td.textContent.trim()).map(td => { const r = td.getBoundingClientRect(); return [r.width, r.height]; })"""


def _chromium():
    """Playwright's API and the system's Chromium (never a downloaded browser), or skip."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return sync_api, executable


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_check_tables_fit_the_page_in_a_browser(tmp_path, language):
    """Lesson pages with number and claim tables, built with the site's theme and stylesheet and rendered in
    headless Chromium: at 1,280 px nothing sticks out of the content area, and on a phone (390 px) no cell
    of a check table does; every row's reason is shown (a box with a size), not hidden past an edge."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    sync_api, executable = _chromium()
    conf = _conf()
    src, out = tmp_path / "src", tmp_path / "html"
    pages = ["rnn_worked_example", "attention_worked_example", "claims_001"]
    lang = "zh" if language.startswith("zh") else "en"
    for name in pages:
        proc = subprocess.run([sys.executable, "-m", "lessons", name, "--quick", "--lang", lang, "--markdown", str(src / "lessons")],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
    (src / "conf.py").write_text("\n".join([
        "import sys", f"sys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})",  # the site's own extensions, as docs/conf.py
        f"extensions = {conf.extensions!r}", f"myst_enable_extensions = {conf.myst_enable_extensions!r}",
        f"html_theme = {conf.html_theme!r}", f"html_static_path = [{str(ROOT / 'docs' / '_static')!r}]",
        f"html_css_files = {conf.html_css_files!r}", f"html_js_files = {conf.html_js_files!r}"]), encoding="utf-8")
    (src / "index.md").write_text("# Lessons\n\n```{toctree}\n" + "\n".join(f"lessons/{n}" for n in pages) + "\n```\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-D", f"language={language}", str(src), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            for width, selector in ((1280, "article *"), (390, ".check-table *")):
                page = browser.new_page(viewport={"width": width, "height": 900})
                for name in pages:
                    page.goto((out / "lessons" / f"{name}.html").as_uri())
                    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                    page.wait_for_timeout(300)  # the stylesheet's formula scaling runs once MathJax has typeset
                    wide = page.evaluate(OVERFLOWING, selector)
                    assert not wide, f"{name} at {width} px ({language}): {len(wide)} elements stick out:\n" + "\n".join(wide[:10])
                    reasons = page.evaluate(REASONS)
                    assert reasons and all(w > 0 and h > 0 for w, h in reasons), f"{name} at {width} px: reasons not shown"
                page.close()
        finally:
            browser.close()
