"""``python -m lessons check NAME quantity=value ...``: check a hand calculation."""
from __future__ import annotations

import sys

from lessons.runner import load


def main(argv: list) -> int:
    if not argv:
        print("usage: python -m lessons check NAME quantity=value ...", file=sys.stderr)
        return 2
    name, pairs = argv[0], argv[1:]
    mod = load(name)
    if not hasattr(mod, "example"):
        print(f"lesson {name!r} has no hand calculation to check", file=sys.stderr)
        return 2
    given = {}
    for p in pairs:
        if "=" not in p:
            print(f"check: expected quantity=value, got {p!r}", file=sys.stderr)
            return 2
        k, v = p.split("=", 1)
        given[k.strip()] = v.strip()
    try:
        results = mod.example().check_answers(given)
    except KeyError as e:
        print(f"check: {e.args[0]}", file=sys.stderr)
        return 2
    wrong = 0
    for q, g, want, status, msg in results:
        mark = "✓" if status == "right" else "✗"
        wrong += status != "right"
        print(f"{mark} {q} = {g:g}: {status}" + (f" — {msg}" if msg else ""))
    print(f"\n{len(results) - wrong} of {len(results)} right")
    return 0 if wrong == 0 else 1
