"""``python -m lessons``: one module per subcommand.

- ``python -m lessons [NAME | --all] ...`` runs lessons (:mod:`lessons.cli.run`);
- ``python -m lessons check ...`` checks a hand calculation (:mod:`lessons.cli.check`);
- ``python -m lessons sheet ...`` and ``mark ...`` make exam sheets and mark a class (:mod:`lessons.cli.sheet`,
  :mod:`lessons.cli.mark`);
- ``python -m lessons assignment ...`` hands out, grades and hints assignments (:mod:`lessons.cli.assignment`);
- ``python -m lessons notebooks DIR`` writes one Jupyter notebook per lesson (:mod:`lessons.cli.notebooks`).

Each subcommand module has ``main(argv) -> int`` (the exit status).
"""
from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = ("check", "mark", "sheet", "assignment", "notebooks")


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    module = importlib.import_module(f"lessons.cli.{name or 'run'}")
    return module.main(argv[1:] if name else argv)
