"""SailPoint V3 `filters` parser and evaluator (standard collection parameters).

    filter     := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" or_expr ")" | comparison
    comparison := FIELD "isnull"
                | FIELD "in" "(" value ("," value)* ")"
                | FIELD OP value
    value      := STRING | DATETIME            (strings double-quoted, date-times bare)

Operators and keywords are lower-case only, field names exact, as the service requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

from common import parse_time


class FilterError(ValueError):
    pass


FIELD_OPERATORS = {
    "type": {"eq", "in", "ge", "le", "lt", "ne", "isnull", "sw"},
    "created": {"gt", "lt", "ge", "le", "eq", "in", "ne", "isnull", "sw"},
    "modified": {"gt", "lt", "ge", "le", "eq", "in", "ne", "isnull", "sw"},
}
ALL_OPERATORS = {"eq", "ne", "gt", "ge", "lt", "le", "in", "sw", "co", "isnull", "pr"}
DATE_FIELDS = {"created", "modified"}


@dataclass(frozen=True)
class Cmp:
    field: str
    op: str
    values: tuple[Any, ...]  # str for type and sw, int nanoseconds for dates


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    left: "Node"
    right: "Node"


Node = Union[Cmp, Not, BoolOp]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<punct>[(),])
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<open_string>")
  | (?P<word>[^\s(),"]+)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str  # punct string word eof
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None
        if m.lastgroup == "open_string":
            raise FilterError(f"unterminated string at position {pos}")
        if m.lastgroup != "ws":
            tokens.append(Token(m.lastgroup or "", m.group(), pos))
        pos = m.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _unquote(text: str) -> str:
    out, i, body = [], 0, text[1:-1]
    while i < len(body):
        if body[i] == "\\":
            if body[i + 1] not in "\"\\":
                raise FilterError(f"invalid escape '\\{body[i + 1]}' in {text}")
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text != text or tok.kind not in ("punct",):
            raise FilterError(f"expected '{text}' at position {tok.pos}, found {_describe(tok)}")

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise FilterError("the filter is empty")
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "eof":
            raise FilterError(f"unexpected {_describe(tok)} at position {tok.pos}")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.peek().kind == "word" and self.peek().text == "or":
            self.next()
            node = BoolOp("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.peek().kind == "word" and self.peek().text == "and":
            self.next()
            node = BoolOp("and", node, self.unary())
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "word" and tok.text == "not":
            self.next()
            return Not(self.unary())
        if tok.kind == "punct" and tok.text == "(":
            self.next()
            node = self.or_expr()
            self.expect(")")
            return node
        return self.comparison()

    def comparison(self) -> Cmp:
        field_tok = self.next()
        if field_tok.kind != "word":
            raise FilterError(f"expected a property at position {field_tok.pos}, found {_describe(field_tok)}")
        field = field_tok.text
        if field not in FIELD_OPERATORS:
            raise FilterError(f"filtering is not supported for property '{field}'")
        op_tok = self.next()
        op = op_tok.text
        if op_tok.kind != "word" or op not in ALL_OPERATORS:
            raise FilterError(f"expected an operator after '{field}' at position {op_tok.pos}, found {_describe(op_tok)}")
        if op not in FIELD_OPERATORS[field]:
            raise FilterError(f"the operator '{op}' is not supported for property '{field}'")
        if op == "isnull":
            return Cmp(field, op, ())
        if op == "in":
            self.expect("(")
            values = [self.value(field, op)]
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.next()
                values.append(self.value(field, op))
            self.expect(")")
            return Cmp(field, op, tuple(values))
        return Cmp(field, op, (self.value(field, op),))

    def value(self, field: str, op: str) -> Any:
        tok = self.next()
        if field in DATE_FIELDS and op != "sw":
            if tok.kind != "word":
                raise FilterError(f"expected an unquoted date-time for '{field}' at position {tok.pos}, found {_describe(tok)}")
            try:
                return parse_time(tok.text)
            except ValueError:
                raise FilterError(f"'{tok.text}' is not a valid date-time for '{field}'")
        if tok.kind != "string":
            raise FilterError(f"expected a double-quoted string for '{field}' at position {tok.pos}, found {_describe(tok)}")
        return _unquote(tok.text)


def _describe(tok: Token) -> str:
    return "the end of the filter" if tok.kind == "eof" else f"'{tok.text}'"


def parse(text: str) -> Node:
    return _Parser(text).parse()


def matches(node: Node, rec: dict[str, Any]) -> bool:
    if isinstance(node, BoolOp):
        if node.op == "and":
            return matches(node.left, rec) and matches(node.right, rec)
        return matches(node.left, rec) or matches(node.right, rec)
    if isinstance(node, Not):
        return not matches(node.operand, rec)
    raw = rec.get(node.field)
    if node.op == "isnull":
        return raw is None
    if node.op == "sw":
        return isinstance(raw, str) and raw.startswith(node.values[0])
    if raw is None:
        return node.op == "ne"
    value: Any = raw
    if node.field in DATE_FIELDS:
        try:
            value = parse_time(raw)
        except ValueError:
            return False
    target = node.values[0]
    return {
        "eq": lambda: value == target,
        "ne": lambda: value != target,
        "gt": lambda: value > target,
        "ge": lambda: value >= target,
        "lt": lambda: value < target,
        "le": lambda: value <= target,
        "in": lambda: value in node.values,
    }[node.op]()
