"""A small, safe formula language over metrics (no ``eval``).

    conversion   = sum(orders) / sum(views)
    damage rate  = sum(damaged) / sum(shipped) * 100
    followers    = last(douyin.followers)
    reach        = distinct(customer_id)

Grammar (whitespace ignored)::

    expr    := term (("+" | "-") term)*
    term    := factor (("*" | "/") factor)*
    factor  := ("+" | "-") factor | primary
    primary := NUMBER | FUNC "(" METRIC ")" | METRIC | "(" expr ")"
    METRIC  := name | source "." name        (a bare metric uses its own aggregation)
    FUNC    := sum | mean | avg | last | count | distinct | min | max

Evaluation turns a parsed formula into one Polars expression over pre-aggregated columns, so a
whole population is computed at once. A division whose denominator is 0 (or missing) gives
null, never infinity: "no views" means "no conversion rate", not an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.utils.translation import gettext as _

from heng.core.errors import ValidationFailed

FUNCTIONS = frozenset({"sum", "mean", "last", "count", "distinct", "min", "max"})
ALIASES = {"avg": "mean", "average": "mean"}
MAX_LENGTH = 500
MAX_DEPTH = 40

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)"
    r"|(?P<op>[-+*/()]))"
)


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Aggregate:
    """``func(metric)``; ``func`` is None for a bare metric (its declared aggregation)."""

    func: str | None
    metric: str


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Aggregate | Unary | Binary


@dataclass(frozen=True)
class Formula:
    text: str
    root: Node

    @property
    def aggregates(self) -> tuple[Aggregate, ...]:
        """Every ``func(metric)`` used, in order of first appearance, without repeats."""
        found: list[Aggregate] = []

        def walk(node: Node) -> None:
            if isinstance(node, Aggregate):
                if node not in found:
                    found.append(node)
            elif isinstance(node, Unary):
                walk(node.operand)
            elif isinstance(node, Binary):
                walk(node.left)
                walk(node.right)

        walk(self.root)
        return tuple(found)

    @property
    def metrics(self) -> frozenset[str]:
        return frozenset(a.metric for a in self.aggregates)

    def to_expr(self, column: Callable[[Aggregate], pl.Expr]) -> pl.Expr:
        """The formula as a Polars expression; ``column`` gives each aggregate's column.

        A result that overflows to infinity (1 / 1e-320) is null, like a division by 0."""
        expr = _expr(self.root, column)
        return pl.when(expr.is_finite()).then(expr).otherwise(None)


def _error(position: int, reason: str) -> ValidationFailed:
    return ValidationFailed(
        _("Formula error at position %(position)s: %(reason)s")
        % {"position": position, "reason": reason},
        code="formula_invalid",
        fields={"formula": reason},
    )


@dataclass
class _Token:
    kind: str  # number | name | op | end
    text: str
    position: int  # 1-based column of the first character


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            column = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            raise _error(column, _("unexpected character %(char)r") % {"char": text[column - 1]})
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            found = token.text or _("the end")
            raise _error(
                token.position,
                _("expected %(expected)r, found %(found)r") % {"expected": text, "found": found},
            )

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(self.peek.position, _("too deeply nested"))
        node = self.term()
        while self.peek.text in ("+", "-"):
            op = self.take().text
            node = Binary(op, node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek.text in ("*", "/"):
            op = self.take().text
            node = Binary(op, node, self.factor())
        return node

    def factor(self) -> Node:
        if self.peek.text in ("+", "-"):
            op = self.take().text
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _error(self.peek.position, _("too deeply nested"))
            operand = self.factor()
            self.depth -= 1
            return operand if op == "+" else Unary("-", operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Number(float(token.text))
        if token.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if token.kind == "name":
            if self.peek.text == "(":
                func = ALIASES.get(token.text.lower(), token.text.lower())
                if func not in FUNCTIONS:
                    raise _error(
                        token.position,
                        _("unknown function %(name)r (use %(known)s)")
                        % {"name": token.text, "known": ", ".join(sorted(FUNCTIONS))},
                    )
                self.take()
                argument = self.take()
                if argument.kind != "name":
                    raise _error(
                        argument.position, _("%(func)s() takes one metric name") % {"func": func}
                    )
                self.expect(")")
                return Aggregate(func, argument.text)
            return Aggregate(None, token.text)
        if token.kind == "end":
            raise _error(token.position, _("the formula ends too early"))
        raise _error(token.position, _("unexpected %(token)r") % {"token": token.text})


def parse_formula(text: str) -> Formula:
    """Parse ``text``; raises ValidationFailed naming the position (1-based) and the reason."""
    if not text or not text.strip():
        raise _error(1, _("the formula is empty"))
    if len(text) > MAX_LENGTH:
        raise _error(
            MAX_LENGTH + 1, _("the formula is longer than %(n)s characters") % {"n": MAX_LENGTH}
        )
    parser = _Parser(text)
    root = parser.expr()
    if parser.peek.kind != "end":
        raise _error(parser.peek.position, _("unexpected %(token)r") % {"token": parser.peek.text})
    return Formula(text=text.strip(), root=root)


def _expr(node: Node, column: Callable[[Aggregate], pl.Expr]) -> pl.Expr:
    if isinstance(node, Number):
        return pl.lit(node.value, dtype=pl.Float64)
    if isinstance(node, Aggregate):
        return column(node).cast(pl.Float64)
    if isinstance(node, Unary):
        return -_expr(node.operand, column)
    left, right = _expr(node.left, column), _expr(node.right, column)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    # x / 0 is null by definition (documented in docs/ingestion.md), never ±inf or NaN.
    return pl.when(right == 0).then(None).otherwise(left / right)
