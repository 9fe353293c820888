"""``python -m lessons sheet NAME [--set ...] [--seed N] [--key] [--lang en|zh] [--format text|md]``:
a question sheet for a worked example, and with ``--key`` its answer key."""
from __future__ import annotations

from lessons.cli.options import Parser, add_example_options, example, fail, lesson, set_language
from lessons.i18n import domain
from lessons.marking.rule import Checker
from lessons.marking.sheet import render
from lessons.marking.variants import UsageError, draw

_ = domain("check")
PROG = "python -m lessons sheet"


def _parser() -> Parser:
    p = Parser(prog=PROG, description=_(
        "Print a question sheet for a lesson's worked example; with --key, its answer key with every intermediate "
        "step, each line computed from the rounded values printed before it."))
    p.add_argument("name", metavar="NAME", help=_("the lesson"))
    add_example_options(p)
    p.add_argument("--seed", type=int, metavar="N", help=_(
        "draw a reproducible variant for hand work (small numbers; attention weights between 0.02 and 0.9); --set applies on top"))
    p.add_argument("--key", action="store_true", help=_("add the answer key"))
    p.add_argument("--format", choices=("text", "md"), default="text", help=_("plain text or Markdown"))
    return p


def main(argv: list) -> int:
    set_language(argv)
    args = _parser().parse_intermixed_args(argv)
    try:
        module = lesson(args.name)
        base = draw(module, args.seed) if args.seed is not None else {}
        checker = Checker(example(module, args.set, base))
    except UsageError as e:
        return fail(PROG, e)
    if args.seed is not None:
        variant = _("Variant drawn with --seed {seed}.").format(seed=args.seed)
    elif args.set:
        variant = _("The document's example with {changes}.").format(changes=", ".join(args.set))
    else:
        variant = _("The document's numbers.")
    title = _("Worked example: {name}").format(name=args.name)
    print(render(checker, title, module.SOURCE, variant, args.key, args.format), end="")
    return 0
