"""``python -m lessons notebooks DIR [NAME ...] [--quick] [--lang en|zh]``: one Jupyter notebook per lesson.

Each lesson script is a percent-format script; jupytext reads its cells as a notebook. The script's
last cell (``if __name__ == "__main__": run(Context())``) is replaced by a cell that runs the lesson with
figures shown inline, in the language and at the sizes asked for; the worked answers of the exercises
follow the exercises as folded blocks. With ``--lang zh`` the text cells are
translated by the Chinese edition's catalog of the lessons' narrative (``docs/locale/zh_CN/LC_MESSAGES/
lessons.po``, read with Babel), paragraph by paragraph; what it does not translate stays in English.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from lessons import i18n
from lessons.cli.options import set_language
from lessons.runner import LESSONS, answer_blocks, exercise_answers, load

_ = i18n.domain("lessons")
MAIN_GUARD = 'if __name__ == "__main__":'
NARRATIVE = Path(__file__).resolve().parents[2] / "docs" / "locale" / "{code}" / "LC_MESSAGES" / "lessons.po"
ITEM = re.compile(r"(\d+\. |- )")


def narrative_catalog(lang: str) -> dict:
    """The documentation's translations of the lessons' narrative, keyed by their whitespace-normalised text."""
    code = i18n.LANGUAGES[lang]
    path = Path(str(NARRATIVE).format(code=code)) if code else None
    if path is None or not path.exists() or importlib.util.find_spec("babel") is None:
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return {" ".join(m.id.split()): m.string for m in read_po(f) if m.id and m.string}


def translate_markdown(text: str, catalog: dict) -> str:
    """A Markdown cell with each heading, paragraph and list item looked up in ``catalog`` (Sphinx's messages:
    one per paragraph, item or heading); display maths and what the catalog lacks stay as they are."""
    if not catalog:
        return text

    def tr(message: str) -> str:
        return catalog.get(" ".join(message.split()), message)

    blocks = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if block.lstrip().startswith("$$") or block.lstrip().startswith("|"):
            blocks.append(block)
        elif block.startswith("#"):
            hashes, _space, title = block.partition(" ")
            blocks.append(f"{hashes} {tr(title)}")
        elif ITEM.match(block):
            items: list = []
            for line in lines:
                marker = ITEM.match(line)
                if marker:
                    items.append([marker.group(1), line[marker.end():]])
                else:
                    items[-1][1] += " " + line.strip()
            blocks.append("\n".join(marker + tr(item) for marker, item in items))
        else:
            blocks.append(tr(block))
    return "\n\n".join(blocks)


def run_cell(lang: str, quick: bool) -> str:
    """The code of the notebook's last cell: run the lesson, figures inline."""
    options = "inline=True" + (", quick=True" if quick else "")
    return "\n".join([
        "from lessons import i18n",
        "from lessons.runner import Context",
        "",
        f"i18n.use({lang!r})",
        f"result = run(Context({options}))",
    ])


def notebook(name: str, lang: str, quick: bool):  # -> nbformat.NotebookNode
    """The notebook of lesson ``name``: its cells, then :func:`run_cell` in place of the script's main guard."""
    import jupytext
    from nbformat.v4 import new_code_cell, new_markdown_cell

    nb = jupytext.read(Path(load(name).__file__), fmt="py:percent")
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.lstrip().startswith(MAIN_GUARD))]
    catalog = narrative_catalog(lang)
    exercises = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercises" in c.source]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, catalog)
    answers = exercise_answers(load(name))
    if exercises and answers:  # the worked answers, folded, right after the exercises
        nb.cells.insert(exercises[-1] + 1, new_markdown_cell("\n".join(answer_blocks(answers)).rstrip()))
    nb.cells.append(new_code_cell(run_cell(lang, quick)))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)  # a plain notebook, not one paired with the script
    return nb


def main(argv: list) -> int:
    set_language(argv)
    p = argparse.ArgumentParser(prog="python -m lessons notebooks", description=_(
        "Write one Jupyter notebook per lesson. Open them with JupyterLab (pip install jupyterlab; jupyter lab DIR) "
        "or any notebook front end."))
    p.add_argument("folder", type=Path, help=_("where to write the notebooks (NAME.ipynb)"))
    p.add_argument("names", nargs="*", help=_("the lessons (default: all)"))
    p.add_argument("--quick", action="store_true", help=_("the lessons run at small sizes"))
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help=_("language of the output (default: the environment's)"))
    args = p.parse_args(argv)
    lang = i18n.use(args.lang)
    unknown = [n for n in args.names if n not in LESSONS]
    if unknown:
        print(_("no lesson named {name!r}; the lessons are: {names}").format(name=unknown[0], names=", ".join(LESSONS)),
              file=sys.stderr)
        return 2
    missing = [m for m in ("jupytext", "nbformat") if importlib.util.find_spec(m) is None]
    if missing:
        print(_("python -m lessons notebooks: {modules} not installed (pip install -e \".[notebooks]\")").format(
            modules=", ".join(missing)), file=sys.stderr)
        return 2
    try:
        args.folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(_("python -m lessons: {option}: cannot create the folder {path}: {reason}").format(
            option="notebooks", path=args.folder, reason=e.strerror or e), file=sys.stderr)
        return 2
    import jupytext

    for name in args.names or LESSONS:
        path = args.folder / f"{name}.ipynb"
        jupytext.write(notebook(name, lang, args.quick), path, fmt="ipynb")
        print(path)
    return 0
