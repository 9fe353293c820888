"""How lessons run: the context a lesson writes to (text, figures) and the registry of lessons."""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LESSONS = ["rnn_worked_example", "attention_worked_example", "training_programs"]


@dataclass
class Context:
    """Where a lesson writes: printed text (unless quiet), figures (when ``plots`` is a folder)."""

    plots: Path | None = None
    device: str = "cpu"
    quick: bool = False
    quiet: bool = False
    figures: list = field(default_factory=list)
    out: Any = None

    def section(self, title: str) -> None:
        self.show(f"\n## {title}\n")

    def show(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out or sys.stdout, flush=True)

    def figure(self, fig: Any, name: str) -> Path | None:
        """Save a matplotlib figure as ``<plots>/<name>.png`` (nothing without a plots folder)."""
        if self.plots is None:
            return None
        self.plots.mkdir(parents=True, exist_ok=True)
        path = self.plots / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        self.figures.append(path)
        self.show(f"[figure saved to {path}]")
        return path


def load(name: str) -> Any:
    """The lesson module ``name``."""
    if name not in LESSONS:
        raise KeyError(f"no lesson named {name!r}; the lessons are: {', '.join(LESSONS)}")
    return importlib.import_module(f"lessons.{name}")
