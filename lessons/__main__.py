"""``python -m lessons``: see :mod:`lessons.cli`."""
import sys

from lessons.cli import main

if __name__ == "__main__":
    sys.exit(main())
