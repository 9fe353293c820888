"""``python -m lessons check NAME [--set PARAM=V[,V...]]... [--seed N] [--decimals N | --sig-figs N]
[--precision-credit F] [--numbers-only] [--lang en|zh] [--json] [--explain] [--work FILE] [QUANTITY=VALUE ...]``:
check a hand calculation.

Exit status: 0 when every answer earns the mark (right, follow-through or rounding difference),
1 when some do not, 2 for a usage error (one line on stderr).
"""
from __future__ import annotations

import json
from pathlib import Path

from lessons.cli.options import Parser, add_example_options, add_precision_options, checker, fail, lesson, precision, safely, set_language
from lessons.i18n import domain
from lessons.marking.expressions import InputError, split_answers
from lessons.marking.rule import Checker, explain, fmt, label
from lessons.marking.variants import UsageError
from lessons.marking.work import check_work, first_error, verdicts_of

_ = domain("check")
PROG = "python -m lessons check"


def _parser() -> Parser:
    p = Parser(prog=PROG, description=_(
        "Check a hand calculation of a lesson's worked example. With no answers, list the quantities it can "
        "check and their formulas. Answers are QUANTITY=VALUE, separated by spaces or commas; a value may be a "
        "decimal (0.9511 or 0,9511), a fraction or short arithmetic (16/2, 2*0.9511+3, tanh(10), exp, sqrt, "
        "ReLU, max, parentheses). Exit status: 0 all right, 1 some not, 2 usage error."))
    p.add_argument("name", nargs="?", metavar="NAME", help=_("the lesson (rnn_worked_example, attention_worked_example, backprop_by_hand, bptt_by_hand, bptt_vector, "
                                                                  "attention_by_hand, layer_norm_by_hand, multihead_by_hand)"))
    p.add_argument("answers", nargs="*", metavar="QUANTITY=VALUE", help=_("your answers, e.g. h_2=8 c_1=0.9999"))
    add_example_options(p)
    add_precision_options(p)
    p.add_argument("--json", action="store_true", help=_("print a machine-readable report"))
    p.add_argument("--explain", action="store_true", help=_("print the marking rule"))
    p.add_argument("--work", type=Path, metavar="FILE", help=_(
        "check a whole written solution: one line per quantity, QUANTITY = expression = ... = value; every = step "
        "is checked, and the value with follow-through"))
    return p


def main(argv: list) -> int:
    return safely(PROG, _main, argv)


def _main(argv: list) -> int:
    set_language(argv)
    args = _parser().parse_intermixed_args(argv)
    try:
        prec = precision(args)
    except UsageError as e:
        return fail(PROG, e)
    if args.explain:
        print(explain(prec))
        if not args.name:
            return 0
        print()
    try:
        module = lesson(args.name)
        checker_ = checker(module, args, prec)
        if args.work is not None:
            if args.answers:
                raise UsageError(_("give answers or --work FILE, not both"))
            return _work(args, checker_)
        pairs = split_answers(" ".join(args.answers)) if args.answers else []
        seen: set = set()
        for q, _v in pairs:
            if q in seen:
                raise UsageError(_("{q} is answered twice").format(q=q))
            seen.add(q)
        answers = dict(pairs)
        read = checker_.read(answers)
    except (UsageError, InputError) as e:
        return fail(PROG, e)
    except KeyError as e:
        return fail(PROG, e.args[0])
    if not answers:
        return _list(args, checker_)
    # on the command line a value that cannot be read is a usage error; one refused by --numbers-only is marked
    unreadable = [a for a in read.values() if not a.readable and not a.refused]
    if unreadable:
        shown = unreadable[0].text if len(unreadable[0].text) <= 60 else unreadable[0].text[:57] + "..."
        return fail(PROG, f"{unreadable[0].quantity}={shown}: {unreadable[0].error}")
    verdicts = checker_.check(read)
    score, total = checker_.score(verdicts)
    if args.json:
        print(json.dumps({"lesson": args.name, "seed": args.seed, "inputs": checker_.inputs, "answers": [v.as_dict() for v in verdicts],
                          "score": score, "max": total, "all_right": score == total}, ensure_ascii=False, indent=2))
    else:
        for v in verdicts:
            print(_line(v))
        print("\n" + _("{score} of {total} right (follow-through and rounding differences count)").format(score=_points(score), total=total))
    return 0 if score == total else 1


def _points(score: float) -> str:
    return f"{score:g}"


def _line(v) -> str:
    mark = "✓" if v.credit else "✗"
    shown = v.given
    if v.value is not None and not _plain_number(shown):
        shown += " " + _("(read as {value})").format(value=fmt(v.value))
    return f"{mark} {v.quantity} = {shown}: {label(v.verdict)}" + (f" — {v.message}" if v.message else "")


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _list(args, checker: Checker) -> int:
    if args.json:
        print(json.dumps({"lesson": args.name, "inputs": checker.inputs, "quantities": checker.formulas}, ensure_ascii=False, indent=2))
        return 0
    print(_("Inputs: {inputs}").format(inputs="; ".join(f"{k} = {v:g}" for k, v in checker.inputs.items())))
    print(_("Quantities you can check, in the order of the computation:"))
    width = max(len(q) for q in checker.order)
    for q in checker.order:
        print(f"  {q:<{width}} = {checker.formulas[q]}")
    print(_("Check them with: {command}").format(command=f"{PROG} {args.name} {checker.order[0]}=VALUE ..."))
    return 0


def _work(args, checker: Checker) -> int:
    try:
        text = args.work.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(_("--work {path}: no such file").format(path=args.work)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(_("--work {path}: cannot read it as UTF-8 text ({error})").format(path=args.work, error=type(e).__name__)) from None
    lines = check_work(checker, text)
    if not lines:
        raise UsageError(_("--work {path}: no lines to check; expected QUANTITY = expression = ... = value").format(path=args.work))
    verdicts = verdicts_of(lines)
    score, total = checker.score(verdicts)
    first = first_error(lines)
    ok = first is None
    if args.json:
        print(json.dumps({"lesson": args.name, "inputs": checker.inputs, "lines": [ln.as_dict() for ln in lines],
                          "score": score, "max": total, "all_right": ok,
                          "first_error": None if ok else {"line": first[0].number, "what": first[1]}}, ensure_ascii=False, indent=2))
        return 0 if ok else 1
    for line in lines:
        print(_("line {n}: {text}").format(n=line.number, text=line.text))
        if line.error:
            print("  ✗ " + line.error)
        bad = line.first_bad_step
        if bad is not None:
            k = line.steps.index(bad) + 1
            if _plain_number(bad.right):  # "ReLU(1*0 + 2*1 + 1) is 3, not 4", never "... but 4 = 4"
                print("  ✗ " + _("step {k}: {left} is {lv}, not {right}").format(k=k, left=bad.left, lv=_show(bad.left_value), right=bad.right))
            else:
                print("  ✗ " + _("step {k}: {left} is {lv}, but {right} is {rv}").format(
                    k=k, left=bad.left, lv=_show(bad.left_value), right=bad.right, rv=_show(bad.right_value)))
        for v in line.verdicts:
            print("  " + _line(v))
    print()
    print(_("{score} of {total} values right (follow-through and rounding differences count)").format(score=_points(score), total=total))
    if first is not None:
        print(_("first goes wrong: line {n}: {what}").format(n=first[0].number, what=first[1]))
    return 0 if ok else 1


def _show(value) -> str:
    return "[" + ", ".join(fmt(v) for v in value) + "]" if isinstance(value, list) else fmt(value)
