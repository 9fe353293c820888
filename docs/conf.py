"""Sphinx configuration: MyST Markdown pages, an API reference from docstrings, math rendered offline.

Generated pages are written at build time into git-ignored places of the source tree, never over a
tracked file: the lessons are run (``python -m lessons --all --markdown docs/lessons``) so that the lesson
pages, the errata (``lessons/errata.md``), their check tables and figures always match the code, and
``reference.md`` is written from the public names of every module.

The Chinese edition (``-D language=zh_CN``) translates the hand-written pages and the lessons' narrative
through the catalogs in ``docs/locale/zh_CN/LC_MESSAGES/`` (Sphinx's gettext workflow: see teaching.md),
and runs the lessons with ``--lang zh`` so that their output is Chinese too. A page or paragraph without
a translation yet is shown in English. What the lessons had to leave out (PyTorch or matplotlib not
installed) is said on their pages and on the build's stderr; a missing Chinese font on stderr.

Set ``MINIGRAD_DOCS_REUSE_LESSONS=1`` to keep the lesson pages already generated (in the language of the
build that made them), or ``MINIGRAD_DOCS_QUICK=1`` to run the lessons at their quick sizes (for tests).
"""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))  # this site's own Sphinx extension (translated_code_blocks)

import minigrad  # noqa: E402

project = "minigrad"
author = "the minigrad authors"
copyright = "2026, the minigrad authors"  # noqa: A001 (Sphinx's name)
release = minigrad.__version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "sphinx-mathjax-offline",
              "translated_code_blocks"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
GENERATED = [DOCS / "lessons", DOCS / "reference.md"]  # written by the build; git-ignored (tests/test_docs.py)
locale_dirs = ["locale/"]
gettext_compact = True  # one catalog per folder: lessons.po for every lesson page
gettext_uuid = False
gettext_location = False  # the catalogs do not change with the line numbers of the pages
gettext_additional_targets = ["literal-block"]  # code blocks too: their comments are translated with the page (see _ext/translated_code_blocks.py)
html_theme = "furo"
html_title = "minigrad"
html_static_path = ["_static"]
html_css_files = ["minigrad.css"]  # check tables, code and formulas that fit the content area
html_js_files = ["minigrad.js"]  # display formulas scaled to the content area
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Each public namespace and the names it documents (what `import minigrad as torch` users see).
NAMESPACES = {
    "minigrad": None,
    "minigrad.nn": None,
    "minigrad.nn.functional": None,
    "minigrad.nn.init": None,
    "minigrad.nn.utils": None,
    "minigrad.nn.utils.rnn": None,
    "minigrad.optim": None,
    "minigrad.optim.lr_scheduler": None,
    "minigrad.utils.data": None,
    "minigrad.utils.sampler": None,
    "minigrad.onnx": ["export"],
    "minigrad.compat": ["UnsupportedError"],
    "minigrad.autograd": ["Function"],
    "minigrad.testing": ["gradcheck", "assert_close", "GradcheckError", "simulated_cuda"],
    "minigrad.analysis": ["analyze", "GraphReport", "flops"],
}
DATA = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_", "float", "double", "half",
        "long", "int", "short", "bool"}  # dtype objects


def public_names(modname: str) -> list:
    """The names a namespace exports: its ``__all__``, or its public functions and classes."""
    import importlib

    mod = importlib.import_module(modname)
    if NAMESPACES.get(modname):
        return list(NAMESPACES[modname])
    if hasattr(mod, "__all__"):
        names = list(mod.__all__)
    elif modname == "minigrad":
        names = [n for n, v in vars(mod).items() if not n.startswith("_") and not inspect.ismodule(v)]
    else:  # what the module itself defines, not what it imports
        names = [n for n, v in vars(mod).items() if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
                 and getattr(v, "__module__", "") == modname]
    return [n for n in names if not inspect.ismodule(getattr(mod, n))]


def write_reference(path: Path = DOCS / "reference.md") -> None:
    """Write the API reference page: every public name of every namespace, each object once."""
    import importlib

    lines = ["# API reference", "",
             "Every public name, with its docstring (the math of each op and layer is stated there). "
             "The differences from PyTorch are listed in [API overview and differences](api.md).", ""]
    documented: dict = {}  # id(object) -> the name it is documented under
    for modname in NAMESPACES:
        mod = importlib.import_module(modname)
        lines += [f"## `{modname}`", ""]
        names = public_names(modname)
        data = [n for n in names if n in DATA]
        if data:
            lines += ["dtypes: " + ", ".join(f"`{modname}.{n}`" for n in data) + " (NumPy dtype objects).", ""]
        aliases = []
        lines += ["```{eval-rst}"]
        for name in names:
            obj = getattr(mod, name)
            if name in DATA:
                continue
            if id(obj) in documented:
                aliases.append((name, documented[id(obj)]))
                continue
            documented[id(obj)] = f"{modname}.{name}"
            if inspect.isclass(obj):
                lines += [f".. autoclass:: {modname}.{name}", "   :members:", "   :no-inherited-members:", ""]
            elif callable(obj):
                lines += [f".. autofunction:: {modname}.{name}", ""]
        lines += ["```", ""]
        if aliases:
            lines += ["Also: " + ", ".join(f"`{modname}.{n}` is `{target}`" for n, target in aliases) + ".", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def run_lessons(app) -> None:  # noqa: ANN001 (Sphinx's app)
    write_reference()
    if os.environ.get("MINIGRAD_DOCS_REUSE_LESSONS") == "1" and (DOCS / "lessons").exists():
        return
    lang = "zh" if (app.config.language or "en").startswith("zh") else "en"
    command = [sys.executable, "-m", "lessons", "--all", "--lang", lang, "--markdown", str(DOCS / "lessons")]
    if os.environ.get("MINIGRAD_DOCS_QUICK") == "1":
        command.append("--quick")
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def skip_modules(app, what, name, obj, skip, options):  # noqa: ANN001 (Sphinx's event)
    """Leave out class attributes that are modules (``minigrad.cuda.amp``): autodoc would show their repr,
    which holds the path of the file on the building machine."""
    return True if inspect.ismodule(obj) else None


def setup(app) -> None:  # noqa: ANN001
    app.connect("builder-inited", run_lessons)
    app.connect("autodoc-skip-member", skip_modules)
