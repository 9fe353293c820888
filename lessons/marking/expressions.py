r"""What a student writes, read safely: numbers, short arithmetic and the functions of the lessons.

A written answer is parsed into a small tree (no ``eval``) and evaluated with minigrad, so that the
same autograd that runs the lessons says how much each written number can move the result.

The grammar, lowest binding first::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom "%"? ("^" unary)?               # right-associative; -2^2 = -(2^2); 5% = 5/100
    atom       := number | name | function "(" expression ("," expression)* ")"
                | "(" expression ")" | "[" expression ("," expression)* "]"      # a list
                | "[" expression comparison expression "]"                       # 1 if true, else 0
                | "√" atom

Numbers: ``8``, ``0.9511``, ``.5``, ``1.8e5``, and a decimal comma (``16,0``) where a comma cannot
separate arguments (outside brackets). A comma followed by exactly three digits after one to three
leading digits (``8,000``, ``2,100``) is refused: it may be a thousands separator or a decimal
comma, and the checker does not guess. Superscripts are powers (``2⁴`` is ``2^4``, ``10⁻³`` is
``10^(-3)``). Names are the example's inputs and quantities (``h_1``,
``w_xh``). Functions (any case): ``relu``, ``tanh``, ``sigmoid``, ``exp``, ``ln``/``log``, ``sqrt``,
``abs``, ``max``, ``min``, ``sum``, ``softmax``. Full-width characters (``，＝．（）``) and the
usual signs (``×``, ``÷``, ``·``, ``−``, ``√``, ``²``) are read as their ASCII equivalents, and so are
the decimal digits of other scripts (``٣``, ``३``).

An answer is at most ``MAX_CHARS`` characters and nests brackets and functions at most ``MAX_DEPTH``
deep; longer or deeper text is refused with a message that says so (never a recursion error).

Every error is an :class:`InputError` that names the offending text and what was expected.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy

import minigrad as mg
from lessons.i18n import domain

_ = domain("check")

# Characters NFKC leaves alone (or maps wrongly, like "²" -> "2") but students type.
_SIGNS = {"×": "*", "·": "*", "⋅": "*", "÷": "/", "−": "-", "–": "-", "—": "-",
          "【": "[", "】": "]", "、": ",", "。": ".", "≈": "="}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit of another script (re's \d is Unicode's)
MAX_CHARS = 500  # the longest answer read: a sum of 1,000 terms is not a hand calculation
MAX_DEPTH = 40  # the deepest nesting of brackets and functions read


def _power(m: re.Match) -> str:
    exponent = m.group(0).translate(_SUPERSCRIPTS)
    return "^" + (exponent if exponent.isdigit() else f"({exponent})")


def normalize(text: str) -> str:
    """Full-width and typographic characters as ASCII (``"ｈ＿２＝１６，０"`` -> ``"h_2=16,0"``), the
    digits of other scripts as ASCII digits (``"٣"`` -> ``"3"``); superscripts as powers (``"8×10⁰"`` ->
    ``"8*10^0"``, not ``8*100``)."""
    for sign, ascii_ in _SIGNS.items():
        text = text.replace(sign, ascii_)
    text = _SUPERSCRIPT_RUN.sub(_power, text)
    text = unicodedata.normalize("NFKC", text).replace("**", "^")
    # the decimal digits of other scripts ("٠.٠٠٥", "१६") as ASCII: read as the same number, and counted as
    # the same digits (a "٠" left as it is would count as a significant digit where "0" does not)
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0))), text)


class InputError(ValueError):
    """Text a student wrote that is not a value: ``token`` is what could not be read."""

    def __init__(self, message: str, token: str = "") -> None:
        super().__init__(message)
        self.token = token


@dataclass(frozen=True)
class Number:
    """A written number: its value and the place of its last written digit.

    ``last_digit`` is the power of ten of the last significant written digit (``0.9511`` -> -4,
    ``8`` -> 0, ``180000`` -> 0, ``1.8e5`` -> 4); ``significant`` counts the significant digits
    (``0`` for zero).
    """

    text: str
    value: float
    last_digit: int
    significant: int
    has_point: bool

    @property
    def half_unit(self) -> float:
        """Half a unit in the last written digit."""
        return 0.5 * 10.0 ** self.last_digit


@dataclass(frozen=True)
class Node:
    """A node of a parsed expression: ``kind`` is ``number``, ``name``, ``neg``, ``binary``, ``call``,
    ``list`` or ``iverson``."""

    kind: str
    text: str
    children: tuple = ()
    number: Number | None = None
    op: str = ""


_NUMBER = re.compile(r"(\d+(?:[.,]\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "relu": lambda x: mg.relu(x),
    "tanh": lambda x: mg.tanh(x),
    "sigmoid": lambda x: mg.sigmoid(x),
    "exp": lambda x: mg.exp(x),
    "ln": lambda x: mg.log(x),
    "log": lambda x: mg.log(x),
    "sqrt": lambda x: mg.sqrt(x),
    "abs": lambda x: mg.abs(x),
    "max": lambda x: x.amax(),
    "min": lambda x: x.amin(),
    "sum": lambda x: x.sum(),
    "softmax": lambda x: mg.softmax(x, dim=0),
}
_VECTOR_FUNCTIONS = {"max", "min", "sum", "softmax"}  # take a list: max(a, b) is max([a, b])
_COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")


def read_number(text: str, decimal_comma: bool = True) -> Number:
    """A number exactly as written, with its precision (see :class:`Number`)."""
    if decimal_comma:
        text = text.replace(",", ".")
    mantissa, _e, exponent = text.lower().partition("e")
    exp10 = int(exponent) if exponent else 0
    whole, point, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    if not digits.strip("0"):  # zero: 0, 0.0, 0.00 ...
        return Number(text, 0.0, exp10 - len(fraction), 0, bool(point))
    value = float(f"{mantissa or '0'}e{exp10}")  # never an OverflowError: 1e999 is inf
    if not math.isfinite(value) or value == 0.0:
        raise InputError(_("{text!r} is not a finite number that float64 can hold").format(text=text), text)
    # a whole number is read to its units digit: 190 is 190, not 19 tens (write 1.9e2 for that)
    return Number(text, value, exp10 - len(fraction), len(digits), bool(point))


class _Parser:
    def __init__(self, text: str, names: Mapping[str, Any]) -> None:
        self.text = text
        self.names = names
        self.pos = 0
        self.depth = 0  # inside brackets a comma separates arguments, so it cannot be a decimal comma
        self.nesting = 0  # how deep the parser has recursed (MAX_DEPTH)

    # ------------------------------------------------------------ tokens
    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self, *options: str) -> str | None:
        self._skip()
        for o in options:
            if self.text.startswith(o, self.pos):
                return o
        return None

    def _take(self, *options: str) -> str | None:
        o = self._peek(*options)
        if o is not None:
            self.pos += len(o)
        return o

    def _token_here(self) -> str:
        self._skip()
        m = re.match(r"[A-Za-z_0-9.,]+|\S", self.text[self.pos:])
        return m.group(0) if m else ""

    def _fail(self, expected: str) -> InputError:
        token = self._token_here()
        if not token:
            return InputError(_("{text!r} ends too early; expected {expected}").format(text=self.text, expected=expected), "")
        return InputError(_("cannot read {token!r} in {text!r}; expected {expected}").format(text=self.text, token=token, expected=expected), token)

    # ------------------------------------------------------------ grammar
    def parse(self) -> Node:
        self._skip()
        if self.pos >= len(self.text):
            raise InputError(_("empty answer: expected a number or an expression"), "")
        if len(self.text) > MAX_CHARS:
            raise InputError(_("the answer is {n} characters long; at most {limit} are read").format(
                n=len(self.text), limit=MAX_CHARS), self.text[:20])
        node = self._expression()
        self._skip()
        if self.pos < len(self.text):
            if self.text[self.pos] == ",":
                raise InputError(_("{text!r}: one value expected, found a comma; write a decimal comma without spaces (16,5) "
                                   "or separate answers as QUANTITY=VALUE").format(text=self.text), ",")
            raise self._fail(_("an operator (+ - * / ^) or the end of the value"))
        return node

    def _expression(self) -> Node:
        start = self.pos
        node = self._term()
        while (op := self._take("+", "-")) is not None:
            right = self._term()
            node = Node("binary", self._since(start), (node, right), op=op)
        return node

    def _term(self) -> Node:
        start = self.pos
        node = self._unary()
        while (op := self._take("*", "/")) is not None:
            right = self._unary()
            node = Node("binary", self._since(start), (node, right), op=op)
        return node

    def _unary(self) -> Node:
        self._skip()
        start = self.pos
        self.nesting += 1  # every bracket, function and sign passes through here
        if self.nesting > MAX_DEPTH:
            raise InputError(_("{text!r} nests brackets, functions or signs more than {limit} deep; write it more simply").format(
                text=self.text[:40] + ("..." if len(self.text) > 40 else ""), limit=MAX_DEPTH), "(")
        try:
            return self._signed(start)
        finally:
            self.nesting -= 1

    def _signed(self, start: int) -> Node:
        if self._take("-"):
            operand = self._unary()
            return Node("neg", self._since(start), (operand,))
        if self._take("+"):
            return self._unary()
        return self._power()

    def _power(self) -> Node:
        self._skip()
        start = self.pos
        base = self._atom()
        if self._take("%"):  # 23.44% is 23.44/100
            base = Node("percent", self._since(start), (base,))
        if self._take("^"):
            exponent = self._unary()
            return Node("binary", self._since(start), (base, exponent), op="^")
        return base

    def _atom(self) -> Node:
        self._skip()
        start = self.pos
        if self._take("("):
            self.depth += 1
            inner = self._expression()
            self._expect(")")
            self.depth -= 1
            return inner
        if self._take("["):
            return self._bracket(start)
        if self._take("√"):
            operand = self._atom()
            return Node("call", self._since(start), (operand,), op="sqrt")
        m = _NUMBER.match(self.text, self.pos)
        if m:
            text = m.group(0)
            if "," in text and (self.depth > 0 or not re.match(r"\d+,\d+$", text.split("e")[0].split("E")[0])):
                text = text[: text.index(",")]  # the comma separates arguments here
            elif re.match(r"[1-9]\d{0,2},\d{3}(?!\d)", text):
                raise InputError(_("{text!r}: a comma before three digits may separate thousands or be a decimal comma; "
                                   "write {whole} for the whole number or {decimal} for the decimal").format(
                    text=m.group(0), whole=m.group(0).replace(",", ""), decimal=m.group(0).replace(",", ".")), m.group(0))
            self.pos += len(text)
            number = read_number(text)
            return Node("number", text, number=number)
        m = _NAME.match(self.text, self.pos)
        if m:
            word = m.group(0)
            self.pos = m.end()
            if self._peek("("):
                return self._call(word, start)
            if word not in self.names:
                self.pos = start
                raise InputError(self._unknown_name(word), word)
            return Node("name", word)
        raise self._fail(_("a number, a name or a bracket"))

    def _unknown_name(self, word: str) -> str:
        if word.lower() in _FUNCTIONS:
            return _("{word!r} is a function; write {word}(...)").format(word=word)
        if word.lower() in ("inf", "infinity", "nan"):
            return _("{word!r} is not a finite number; an answer must be a finite number").format(word=word)
        return _("{word!r} is not a number or a known quantity; expected a number such as 8, 0.9511, 16/2 or tanh(10)").format(word=word)

    def _call(self, word: str, start: int) -> Node:
        fname = word.lower()
        if fname not in _FUNCTIONS:
            self.pos = start
            raise InputError(_("unknown function {word!r}; the functions are {names}").format(
                word=word, names=", ".join(sorted(set(_FUNCTIONS) | {"ReLU"}))), word)
        self._expect("(")
        self.depth += 1
        args = [self._expression()]
        while self._take(","):
            args.append(self._expression())
        self._expect(")")
        self.depth -= 1
        if len(args) > 1 and fname not in _VECTOR_FUNCTIONS:
            raise InputError(_("{word}(...) takes one argument, got {n}").format(word=word, n=len(args)), word)
        if len(args) > 1:
            args = [Node("list", "[" + ", ".join(a.text for a in args) + "]", tuple(args))]
        return Node("call", self._since(start), tuple(args), op=fname)

    def _bracket(self, start: int) -> Node:
        self.depth += 1
        first = self._expression()
        cmp = self._take(*_COMPARISONS)
        if cmp is not None:
            node = Node("iverson", "", (first, self._expression()), op=cmp)
        else:
            items = [first]
            while self._take(","):
                items.append(self._expression())
            node = Node("list", "", tuple(items))
        self._expect("]")
        self.depth -= 1
        return Node(node.kind, self._since(start), node.children, op=node.op)

    def _expect(self, token: str) -> None:
        if not self._take(token):
            raise self._fail(repr(token))

    def _since(self, start: int) -> str:
        return self.text[start:self.pos].strip()


def parse(text: str, names: Mapping[str, Any] = {}) -> Node:  # noqa: B006 (read-only default)
    """Parse ``text`` (already :func:`normalize` d) into a :class:`Node`; names must be in ``names``."""
    return _Parser(text, names).parse()


def lone_number(node: Node) -> Number | None:
    """The written number when the expression is one number, possibly negated, in percent (``23.44%``)
    or in scientific notation (``2.3*10^-3``), with its precision; else None."""
    while node.kind == "neg":
        node = node.children[0]
    if node.kind == "number":
        return node.number
    if node.kind == "percent":
        inner = lone_number(node.children[0])
        return None if inner is None else _scaled(inner, -2, node.text)
    if node.kind == "binary" and node.op == "*":
        mantissa, power = node.children
        if mantissa.kind == "number" and power.kind == "binary" and power.op == "^":
            base, exponent = power.children
            sign = 1
            while exponent.kind == "neg":
                exponent, sign = exponent.children[0], -sign
            if (base.kind == "number" and base.text == "10" and exponent.kind == "number"
                    and exponent.number.last_digit >= 0 and not exponent.number.has_point):
                return _scaled(mantissa.number, sign * int(exponent.number.value), node.text)
    return None


def _scaled(number: Number, k: int, text: str) -> Number:
    """``number`` times ten to the ``k``, with its precision moved along."""
    return Number(text, number.value * 10.0 ** k, number.last_digit + k, number.significant, number.has_point or k < 0)


@dataclass
class Evaluated:
    """An expression's value and how far the rounding of its written decimals can move it."""

    value: Any  # float, or a list of floats for a list expression
    tolerance: Any  # same shape as value

    @property
    def is_vector(self) -> bool:
        return isinstance(self.value, list)


def evaluate(node: Node, names: Mapping[str, float]) -> Evaluated:
    r"""Evaluate ``node`` with minigrad in float64; names take their values from ``names``.

    Whole numbers inside an expression are exact (weights, counts); a number written with decimals
    stands for any value it rounds from, so it carries half a unit in its last digit, :math:`u_i`.
    The tolerance is the first-order bound

    .. math:: \tau = \sum_i \left|\frac{\partial f}{\partial n_i}\right| u_i ,

    with the derivatives from minigrad's autograd. A lone number is not an expression: its
    tolerance is the marking rule's (:func:`lessons.marking.rule.tolerance_of`).
    """
    leaves: list = []

    def ev(n: Node) -> Any:
        if n.kind == "number":
            exact = n.number.last_digit >= 0 and not n.number.has_point
            t = mg.tensor(n.number.value, dtype=mg.float64, requires_grad=not exact)
            if not exact:
                leaves.append((t, n.number.half_unit))
            return t
        if n.kind == "name":
            return mg.tensor(names[n.text], dtype=mg.float64)
        if n.kind == "neg":
            return -ev(n.children[0])
        if n.kind == "percent":
            return ev(n.children[0]) / 100
        if n.kind == "binary":
            a, b = ev(n.children[0]), ev(n.children[1])
            if n.op == "/" and b.numel() == 1 and float(b.item()) == 0.0:
                raise InputError(_("{text!r} divides by zero").format(text=n.text), n.text)
            return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "^": a.__pow__}[n.op](b)
        if n.kind == "list":
            return mg.stack([_scalar_of(ev(c), c) for c in n.children])
        if n.kind == "iverson":
            a, b = (float(ev(c).item()) for c in n.children)
            truth = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}[n.op]
            return mg.tensor(1.0 if truth else 0.0, dtype=mg.float64)
        arg = ev(n.children[0])
        if n.op in _VECTOR_FUNCTIONS and arg.ndim == 0:
            arg = arg.reshape(1)
        return _FUNCTIONS[n.op](arg)

    with numpy.errstate(all="ignore"):  # an overflow is reported below as a non-finite value
        out = ev(node)
    values = out.detach().cpu().numpy().astype(float).ravel().tolist()
    if not all(math.isfinite(v) for v in values):
        raise InputError(_("{text!r} is not a finite number").format(text=node.text), node.text)
    tolerances = []
    for k in range(len(values)):
        for leaf, _u in leaves:
            leaf.grad = None
        if leaves and out.requires_grad:
            (out.reshape(-1)[k] if out.ndim else out).backward(retain_graph=True)
        tolerances.append(sum(abs(float(leaf.grad.item())) * u for leaf, u in leaves if leaf.grad is not None))
    if out.ndim == 0:
        return Evaluated(values[0], tolerances[0])
    return Evaluated(values, tolerances)


def _scalar_of(t: Any, node: Node) -> Any:
    if t.numel() != 1:
        raise InputError(_("{text!r}: a list holds numbers, not lists").format(text=node.text), node.text)
    return t.reshape(())



_ANSWER_START = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\s*=(?!=)")


def split_answers(text: str) -> list:
    """``"h_2=8, c_1=1 o_1=16,0"`` -> ``[("h_2", "8"), ("c_1", "1"), ("o_1", "16,0")]``.

    Answers are ``QUANTITY=VALUE``, separated by spaces, commas or semicolons (full-width ones too); a
    comma between two digits inside a value is a decimal comma. Raises :class:`InputError` for text
    that is not an answer.
    """
    text = normalize(text).strip()
    starts = list(_ANSWER_START.finditer(text))
    if not starts:
        raise InputError(_("{text!r}: expected QUANTITY=VALUE, e.g. h_2=8").format(text=text), text)
    lead = text[: starts[0].start()].strip(" ,;")
    if lead:
        raise InputError(_("{token!r}: expected QUANTITY=VALUE, e.g. h_2=8").format(token=lead), lead)
    out = []
    for m, nxt in zip(starts, starts[1:] + [None]):
        value = text[m.end(): nxt.start() if nxt else len(text)].strip().rstrip(",;").strip()
        if "=" in value.replace("<=", "").replace(">=", "").replace("==", "").replace("!=", ""):
            raise InputError(_("{name}={value}: one value expected after {name}=; to check a line of steps, "
                               "write it in a file and use --work FILE").format(name=m.group(1), value=value), value)
        out.append((m.group(1), value))
    return out
