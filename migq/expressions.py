"""XLSForm ``relevant`` and ``constraint`` expressions: a small, safe parser and evaluator.

The grammar is the part of XPath that questionnaires actually use::

    expr    := or
    or      := and ('or' and)*
    and     := compare ('and' compare)*
    compare := unary (('=' | '!=' | '<' | '<=' | '>' | '>=') unary)?
    unary   := '-' NUMBER | primary
    primary := '${name}' | '.' | 'text' | "text" | NUMBER | '(' expr ')' | FUNCTION '(' args ')'

Functions: ``selected(a, 'x')``, ``count-selected(a)``, ``string-length(a)`` (``a`` defaults to
``.``), ``contains(a, 'x')``, ``not(e)``, ``true()``, ``false()``.

Values follow ODK: an unanswered question is the empty string; a select_multiple answer is its
codes separated by spaces. Hence, for a missing answer, ``=`` is false (unless compared with
``''``), ``!=`` is true, and ``<``, ``<=``, ``>``, ``>=`` are false (the empty string is not a
number). When either side of a comparison is a number the other is read as a number; text that
is not a number compares like a missing answer. Two dates (``date`` values or 'YYYY-MM-DD'
text) order as dates. Nothing here calls ``eval``.

Expressions come from definition files anyone may write, so the parser refuses nesting deeper
than ``MAX_NESTING`` (deeper would exhaust Python's stack) and numbers longer than
``MAX_NUMBER_LENGTH`` characters (Python refuses to convert very long integers). Both checks
run once, while parsing; evaluation does no extra work.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from migq.errors import MigqError


class ExpressionError(MigqError):
    """An expression cannot be read; ``reason`` says why and where."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class Expr:
    """Base of the expression tree."""


@dataclass(frozen=True)
class Literal(Expr):
    value: str | int | float


@dataclass(frozen=True)
class Ref(Expr):
    name: str


@dataclass(frozen=True)
class Current(Expr):
    """``.``: the value of the question being constrained."""


@dataclass(frozen=True)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp(Expr):
    op: str  # 'and' | 'or'
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]


# name -> (minimum, maximum) number of arguments
FUNCTIONS = {
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (0, 1),
    "contains": (2, 2),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
}
COMPARISONS = ("=", "!=", "<=", ">=", "<", ">")
MAX_NESTING = 50  # parentheses and calls inside each other: ~9 stack frames each; forms use a handful
MAX_NUMBER_LENGTH = 30  # characters; a float keeps 17 significant digits anyway

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{\s*(?P<refname>[^}]*?)\s*\})
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<current>\.)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(),-])
    | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        kind = m.lastgroup if m.lastgroup != "refname" else "ref"
        start = m.start(kind) + 1  # 1-based character position, for messages
        if kind == "bad" and m.group("bad") in "'\"":
            raise ExpressionError(f"the text starting at character {start} is never closed")
        if kind == "bad":
            raise ExpressionError(f"unexpected '{m.group('bad')}' at character {start}")
        if kind == "ref":
            name = m.group("refname")
            if not _NAME.match(name):
                raise ExpressionError(f"'${{{name}}}' at character {start} is not a question name")
            tokens.append(("ref", name, start))
        else:
            tokens.append((kind, m.group(kind), start))
        pos = m.end()
    tokens.append(("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0  # parentheses and function calls open around the current token

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, text, pos = self.take()
        if text != value or kind == "string":
            found = "the end" if kind == "end" else f"'{text}'"
            raise ExpressionError(f"expected '{value}' at character {pos} but found {found}")

    def parse(self) -> Expr:
        if self.peek()[0] == "end":
            raise ExpressionError("the expression is empty")
        expr = self.boolean("or")
        kind, text, pos = self.peek()
        if kind != "end":
            shown = f"${{{text}}}" if kind == "ref" else text
            raise ExpressionError(f"unexpected '{shown}' at character {pos}")
        return expr

    def boolean(self, op: str) -> Expr:
        sub = (lambda: self.boolean("and")) if op == "or" else self.compare
        items = [sub()]
        while self.peek()[:2] == ("word", op):
            self.take()
            items.append(sub())
        return items[0] if len(items) == 1 else BoolOp(op, tuple(items))

    def compare(self) -> Expr:
        left = self.unary()
        if self.peek()[0] == "op":
            op = self.take()[1]
            right = self.unary()
            if self.peek()[0] == "op":
                raise ExpressionError(f"chained comparison at character {self.peek()[2]}; use 'and'")
            return Compare(op, left, right)
        return left

    def unary(self) -> Expr:
        if self.peek()[:2] == ("punct", "-"):
            self.take()
            kind, text, pos = self.take()
            if kind != "number":
                raise ExpressionError(f"'-' at character {pos - 1} must be followed by a number")
            return Literal(-_number(text, pos))
        return self.primary()

    def primary(self) -> Expr:
        kind, text, pos = self.take()
        if kind == "ref":
            return Ref(text)
        if kind == "current":
            return Current()
        if kind == "number":
            return Literal(_number(text, pos))
        if kind == "string":
            return Literal(text[1:-1])
        if kind == "punct" and text == "(":
            inner = self.nested(pos)
            self.expect(")")
            return inner
        if kind == "word" and self.peek()[:2] == ("punct", "("):
            return self.call(text, pos)
        if kind == "word":
            raise ExpressionError(f"'{text}' at character {pos} is not understood; write ${{{text}}} for a question")
        shown = f"${{{text}}}" if kind == "ref" else text
        found = "the end of the expression" if kind == "end" else f"'{shown}' at character {pos}"
        raise ExpressionError(f"expected a value but found {found}")

    def call(self, name: str, pos: int) -> Expr:
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function '{name}()' at character {pos}")
        self.take()  # '('
        args: list[Expr] = []
        if self.peek()[:2] != ("punct", ")"):
            args.append(self.nested(pos))
            while self.peek()[:2] == ("punct", ","):
                self.take()
                args.append(self.nested(pos))
        self.expect(")")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} or {high}"
            raise ExpressionError(f"{name}() takes {wanted} argument(s), not {len(args)}")
        return Call(name, tuple(args))

    def nested(self, pos: int) -> Expr:
        """An expression inside the parentheses or the call opened at ``pos``; a bounded recursion."""
        if self.depth >= MAX_NESTING:
            raise ExpressionError(f"the parentheses or functions are nested more than {MAX_NESTING} deep "
                                  f"at character {pos}")
        self.depth += 1
        inner = self.boolean("or")
        self.depth -= 1
        return inner


def _number(text: str, pos: int) -> int | float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise ExpressionError(f"the number at character {pos} is {len(text)} characters long; "
                              f"at most {MAX_NUMBER_LENGTH} are allowed")
    return float(text) if "." in text else int(text)


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Expr:
    return _Parser(text).parse()


def parse(expr: str) -> Expr:
    """Parse an expression; raise ``ExpressionError`` with a located reason if it cannot be read."""
    if not isinstance(expr, str):
        raise ExpressionError("the expression is not text")
    return _parse_cached(expr.strip())


def _tree(expr: Expr | str) -> Expr:
    return parse(expr) if isinstance(expr, str) else expr


def _walk(node: Expr):
    yield node
    children = ()
    if isinstance(node, Compare):
        children = (node.left, node.right)
    elif isinstance(node, (BoolOp, Call)):
        children = node.items if isinstance(node, BoolOp) else node.args
    for child in children:
        yield from _walk(child)


def references(expr: Expr | str) -> set[str]:
    """Names of the questions an expression reads (``${name}``)."""
    return {n.name for n in _walk(_tree(expr)) if isinstance(n, Ref)}


def compared_values(expr: Expr | str) -> list[tuple[str, str | int | float]]:
    """``(question, literal)`` pairs from ``${q} = 'x'``-style comparisons and ``selected(${q}, 'x')``.

    The definition checks use these to verify that compared literals are choices of ``q``.
    """
    pairs = []
    for node in _walk(_tree(expr)):
        if isinstance(node, Compare):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, Ref) and isinstance(b, Literal):
                    pairs.append((a.name, b.value))
        elif isinstance(node, Call) and node.name == "selected":
            a, b = node.args
            if isinstance(a, Ref) and isinstance(b, Literal):
                pairs.append((a.name, b.value))
    return pairs


# --- evaluation -----------------------------------------------------------------------------


def _as_text(value) -> str:
    """ODK's string view of an answer: missing -> '', multiple choice -> 'a b'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return " ".join(_as_text(v) for v in value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(_as_text(value).strip())
    except ValueError:
        return math.nan


def _truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    return _as_text(value) != ""


def _codes(value) -> list[str]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_as_text(v) for v in value]
    return _as_text(value).split()


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(value) -> bool:
    return isinstance(value, (date, datetime)) or (isinstance(value, str) and bool(_ISO_DATE.match(value)))


def _compare(op: str, left, right) -> bool:
    if op not in ("=", "!=") and _is_date(left) and _is_date(right):
        a, b = _as_text(left)[:10], _as_text(right)[:10]  # ISO dates order like their text
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    numeric = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if numeric or op not in ("=", "!="):
        a, b = _as_number(left), _as_number(right)
        if math.isnan(a) or math.isnan(b):
            return op == "!="  # like XPath: NaN equals nothing and orders with nothing
    else:
        a, b = _as_text(left), _as_text(right)
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _value(node: Expr, answers: dict, current):
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return answers.get(node.name)
    if isinstance(node, Current):
        return current
    if isinstance(node, Compare):
        return _compare(node.op, _value(node.left, answers, current), _value(node.right, answers, current))
    if isinstance(node, BoolOp):
        results = (_truthy(_value(i, answers, current)) for i in node.items)
        return all(results) if node.op == "and" else any(results)
    args = [_value(a, answers, current) for a in node.args]
    if node.name == "selected":
        return _as_text(args[1]).strip() in _codes(args[0])
    if node.name == "count-selected":
        return len(_codes(args[0]))
    if node.name == "string-length":
        return len(_as_text(args[0] if args else current))
    if node.name == "contains":
        return _as_text(args[1]) in _as_text(args[0])
    if node.name == "not":
        return not _truthy(args[0])
    return node.name == "true"


def evaluate(expr: Expr | str, answers: dict[str, object], current=None) -> bool:
    """Evaluate an expression against ``answers`` (question name -> value); ``.`` is ``current``.

    Values: select_one a code (str), select_multiple a list/tuple of codes, numbers int/float,
    text str, dates ``date`` or ISO text, missing ``None``. Raises ``ExpressionError`` if the
    text does not parse.
    """
    return _truthy(_value(_tree(expr), answers, current))
