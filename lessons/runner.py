"""How lessons run: the context a lesson writes to (text, figures) and the registry of lessons."""
from __future__ import annotations

import importlib
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lessons import figures, terminal
from lessons.common import format_table, machine, markdown_table, optional_torch
from lessons.i18n import domain

_ = domain("lessons")
LESSONS = [
    "rnn_worked_example", "attention_worked_example", "training_programs", "transformer_code",
    "backprop_by_hand", "bptt_by_hand", "bptt_vector", "vanishing_gradients", "attention_by_hand", "layer_norm_by_hand",
    "multihead_by_hand", "attention_heatmaps", "parallelism",
    "claims_000", "claims_001",
]
DEVICE_LESSONS = ("attention_heatmaps", "parallelism")  # the lessons that compute on --device; the rest are CPU-only


def device_error(spec: str) -> str | None:
    """Why ``--device spec`` cannot be used here (one line), or None: an unknown name, a CUDA device
    without CuPy or a GPU, or a GPU index this machine does not have. The one check every lesson's
    ``--device`` goes through."""
    from minigrad import backend

    try:
        device = backend.as_device(spec)
    except (TypeError, ValueError) as e:
        return str(e).removeprefix("device: ")
    if device.type == "cuda":
        try:
            count = backend.cupy_module().cuda.runtime.getDeviceCount()
        except Exception as e:  # no CuPy, or CuPy without a working driver: its own message says which
            return str(e).splitlines()[0] if str(e) else type(e).__name__
        if device.index >= count:
            return _("device {device!r}: this machine has {count} GPU(s)").format(device=spec, count=count)
    return None


@dataclass
class Context:
    """Where a lesson writes: printed text (unless quiet), figures, and what it had to leave out.

    Figures are saved as ``<plots>/<name>.png`` when ``plots`` is a folder, and shown in the notebook when
    ``inline`` (a lesson run as a notebook); with neither, :meth:`pyplot` is None and no figure is drawn.
    """

    plots: Path | None = None
    device: str = "cpu"
    quick: bool = False
    quiet: bool = False
    inline: bool = False
    wide: bool = False  # check tables on one line per row (for scripts), not wrapped to terminal.WIDTH
    figures: list = field(default_factory=list)
    log: list = field(default_factory=list)  # (kind, item) in order, for the pages: see markdown_page
    out: Any = None

    def section(self, title: str) -> None:
        self.log.append(("section", title))
        if not self.quiet:
            print(f"\n## {title}\n", file=self.out or sys.stdout, flush=True)

    def show(self, text: str) -> None:
        self.log.append(("text", text))
        if not self.quiet:
            print(text, file=self.out or sys.stdout, flush=True)

    def table(self, rows: list) -> None:
        """Show a check table (on a lesson's page, as a Markdown table)."""
        self.log.append(("table", rows))
        if not self.quiet:
            print(format_table(rows, None if self.wide else terminal.WIDTH), file=self.out or sys.stdout, flush=True)

    def machine_dependent(self, what: str) -> None:
        """Say that the numbers shown next depend on the machine, and name the machine that computed them."""
        self.show(_("{what} depend on the machine; these come from: {machine}").format(what=what, machine=machine(self.device)))

    def missing(self, package: str, consequence: str) -> None:
        """Say, on stderr and on the lesson's page, that ``package`` is not installed and what is left out."""
        text = _("{package} not installed: {consequence}").format(package=package, consequence=consequence)
        if ("note", text) not in self.log:
            self.log.append(("note", text))
            print(text, file=sys.stderr, flush=True)

    def torch(self) -> Any:
        """PyTorch, or None (and the page says that the comparison with it is left out)."""
        torch = optional_torch()
        if torch is None:
            self.missing("PyTorch", _("comparison rows skipped (pip install torch==2.13.0)"))
        return torch

    def pyplot(self) -> Any:
        """matplotlib.pyplot in the lessons' style when figures are wanted, else None.

        None when no figure is wanted (no ``plots`` folder, not inline) or matplotlib is not installed
        (then the page and stderr say so).
        """
        if self.plots is None and not self.inline:
            return None
        plt = figures.pyplot()
        if plt is None:
            self.missing("matplotlib", _("figures skipped (pip install matplotlib)"))
        return plt

    def figure(self, fig: Any, name: str) -> Path | None:
        """Save a figure as ``<plots>/<name>.png`` (at the style's size and resolution) or show it inline."""
        if self.inline:  # the PNG itself, so that it shows whatever backend the notebook has
            from IPython.display import Image, display

            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=figures.DPI)
            display(Image(data=buffer.getvalue()))
        if self.plots is None:
            return None
        self.plots.mkdir(parents=True, exist_ok=True)
        path = self.plots / f"{name}.png"
        fig.savefig(path, dpi=figures.DPI)
        self.figures.append(path)
        self.log.append(("figure", path))
        if not self.quiet:
            print(_("[figure saved to {path}]").format(path=path), file=self.out or sys.stdout, flush=True)
        return path


def load(name: str) -> Any:
    """The lesson module ``name``."""
    if name not in LESSONS:
        raise KeyError(f"no lesson named {name!r}; the lessons are: {', '.join(LESSONS)}")
    return importlib.import_module(f"lessons.{name}")


def exercise_answers(module: Any) -> list:
    """The worked answers of a lesson's exercises, in their order, in the current language.

    A lesson that has them defines ``answers() -> list[str]``: one Markdown text per exercise of its
    "Exercises" list, computed with minigrad when it is called (so its numbers are the code's).
    """
    return list(module.answers()) if hasattr(module, "answers") else []


def answer_blocks(answers: list) -> list:
    """The answers as collapsed blocks (``<details>``, which both Jupyter and the site fold), as Markdown lines."""
    out: list = []
    for i, text in enumerate(answers, 1):
        out += ["<details>", "<summary>" + _("Answer to exercise {n}").format(n=i) + "</summary>", "", text, "", "</details>", ""]
    return out


def narrative(module: Any) -> str:
    """The Markdown cells (``# %% [markdown]``) of a lesson script, as Markdown."""
    lines, inside = [], False
    for line in Path(module.__file__).read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            inside = line.strip() == "# %% [markdown]"
            if inside and lines:
                lines.append("")
            continue
        if inside:
            if not line.startswith("#"):
                inside = False
                continue
            lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines).strip() + "\n"


def markdown_page(name: str, module: Any, ctx: Context) -> str:
    """A lesson's documentation page: its narrative, then what running it printed and drew.

    The narrative (the script's Markdown cells) stays as written, in English: the Chinese edition of the
    site translates it through the documentation's own catalogs. What the runner and the lesson write is
    in the current language (``--lang``).
    """
    text = narrative(module)
    story, _sep, exercises = text.partition("## Exercises")
    story_lines = story.rstrip().splitlines()
    while story_lines and story_lines[-1].startswith("#"):  # a heading over code cells would head nothing here
        story_lines.pop()
        while story_lines and not story_lines[-1].strip():
            story_lines.pop()
    story = "\n".join(story_lines)
    parts = [f"<!-- generated from lessons/{name}.py by python -m lessons --markdown; do not edit -->", "",
             story.rstrip(), "", _("*Source: {source}.*").format(source=module.SOURCE), "",
             "## " + _("Output of the lesson"), ""]
    block: list = []  # consecutive printed lines go into one code block

    def flush() -> None:
        if block:
            parts.extend(["```text", *block, "```", ""])
            block.clear()

    for kind, item in ctx.log:
        if kind == "section":
            flush()
            parts += [f"### {item}", ""]
        elif kind == "note":
            flush()
            parts += ["```{warning}", item, "```", ""]
        elif kind == "table":
            flush()
            parts += [markdown_table(item), ""]
        elif kind == "figure":
            flush()
            parts += [f"![{Path(item).stem}](figures/{Path(item).name})", ""]
        elif kind == "text":
            block.append(item)
    flush()
    if exercises:
        parts += ["## Exercises", exercises.rstrip(), ""] + answer_blocks(exercise_answers(module))
    return "\n".join(parts)


def section_key(source: str) -> tuple:
    """Sort key of a source such as ``"001 §3.1.2"``: the document, then the section numbers in order."""
    doc, _sep, section = source.partition(" ")
    numbers = tuple(int(n) for n in section.lstrip("§").split(".") if n.isdigit()) if section.startswith("§") else ()
    return (doc, numbers)


def errata_page(tables: dict) -> str:
    """Every printed number, claim and code sample of the documents, by document and section, from the
    lessons' rows (``tables``: lesson name -> (module, rows)); a page beside the lessons' pages."""
    by_section: dict = {}
    lesson_of: dict = {}
    for name, (_module, rows) in tables.items():
        for r in rows:
            by_section.setdefault(r.source, []).append(r)
            names = lesson_of.setdefault(r.source, [])
            if name not in names:
                names.append(name)
    parts = ["<!-- generated by python -m lessons --all --markdown; do not edit -->", "",
             "# " + _("Errata of the source documents"), "",
             _("Every printed number, claim and code sample of the two documents has a row here, by document and section: "
               "what the document prints or asserts, the value or measurement the lessons compute, and the verdict. Numbers "
               "agree, agree within the document's rounding, differ by a rounding, are wrong, cannot be derived, or are taken "
               "as given; claims and code hold, hold with a condition, are wrong, or cannot be tested, and a claim about speed is "
               "not decided where the noise of the timings is larger than the effect. Each lesson page "
               "shows how its rows are computed."), ""]
    for doc in sorted({s.split(" ")[0] for s in by_section}):
        sources = sorted((s for s in by_section if s.split(" ")[0] == doc), key=section_key)
        rows = [r for s in sources for r in by_section[s]]
        counts: dict = {}
        for r in rows:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        summary = ", ".join(f"{n} {_(v)}" for v, n in counts.items())
        parts += [f"## {doc}", "", _("{count} rows: {summary}.").format(count=len(rows), summary=summary), ""]
        for s in sources:
            links = ", ".join(f"[{n}]({n}.md)" for n in lesson_of[s])
            parts += [f"### {s}", "", _("From {links}.").format(links=links), "", markdown_table(by_section[s]), ""]
    return "\n".join(parts)
