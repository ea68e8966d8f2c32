"""SCIM filter parser and evaluator for PingOne audit activities.

Grammar (RFC 7644 §3.4.2.2, restricted to what PingOne accepts on /activities):

    filter     := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := primary ("and" primary)*
    primary    := "(" or_expr ")" | comparison
    comparison := ATTRPATH OP STRING

Keywords, operators and attribute names are case-insensitive; string values are
JSON strings. Supported: `eq` on the attributes of EQ_ATTRIBUTES, `gt ge lt le`
on `recordedat` (an RFC 3339 date-time). Everything else raises FilterError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Union

from common import parse_time


class FilterError(ValueError):
    """The filter is malformed or uses something PingOne does not support."""


@dataclass(frozen=True)
class Comparison:
    attribute: str  # lower-case
    op: str  # lower-case
    value: Any  # str, or int nanoseconds for recordedat


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"


Node = Union[Comparison, And, Or]

SCIM_OPERATORS = {"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr"}
RANGE_OPERATORS = {"gt", "lt", "ge", "le"}


def _resources(field: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], list[Any]]:
    return lambda rec: [field(r) for r in rec.get("resources") or [] if isinstance(r, dict)]


def _get(rec: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(rec, dict):
            return None
        rec = rec.get(key)
    return rec


# attribute (lower-case) → values of a record it is compared against
EQ_ATTRIBUTES: dict[str, Callable[[dict[str, Any], "Context"], list[Any]]] = {
    "correlationid": lambda r, c: [r.get("correlationId")],
    "actors.user.id": lambda r, c: [_get(r, "actors", "user", "id")],
    "actors.user.name": lambda r, c: [_get(r, "actors", "user", "name")],
    "actors.client.id": lambda r, c: [_get(r, "actors", "client", "id")],
    "action.type": lambda r, c: [_get(r, "action", "type")],
    "resources.id": lambda r, c: _resources(lambda x: x.get("id"))(r),
    "resources.type": lambda r, c: _resources(lambda x: x.get("type"))(r),
    "resources.population.id": lambda r, c: _resources(lambda x: _get(x, "population", "id"))(r),
    "org.id": lambda r, c: [c.org_id],
    "environment.id": lambda r, c: [c.env_id],
    "tags": lambda r, c: list(r.get("tags") or []),
}


@dataclass(frozen=True)
class Context:
    env_id: str
    org_id: str


# --------------------------------------------------------------------------- tokenizer

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<bracket>[\[\]])
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<open_string>")
  | (?P<word>[^\s()\[\]"]+)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str  # lparen rparen string word eof
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None  # the alternatives cover every character
        kind = m.lastgroup or ""
        if kind == "bracket":
            raise FilterError(f"value filters ('[') are not supported (at position {pos})")
        if kind == "open_string":
            raise FilterError(f"unterminated string starting at position {pos}")
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


# --------------------------------------------------------------------------- parser


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

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok.kind == "word" and tok.text.lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise FilterError("the filter is empty")
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "eof":
            raise FilterError(f"unexpected '{tok.text}' at position {tok.pos}; expected 'and', 'or' or the end")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.primary()
        while self.keyword("and"):
            node = And(node, self.primary())
        return node

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind == "lparen":
            node = self.or_expr()
            close = self.next()
            if close.kind != "rparen":
                raise FilterError(f"expected ')' at position {close.pos}, found {_describe(close)}")
            return node
        if tok.kind == "word" and tok.text.lower() == "not":
            raise FilterError("the operator 'not' is not supported")
        if tok.kind != "word":
            raise FilterError(f"expected an attribute at position {tok.pos}, found {_describe(tok)}")
        return self.comparison(tok)

    def comparison(self, attr_tok: Token) -> Comparison:
        if not re.fullmatch(r"[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)*", attr_tok.text):
            raise FilterError(f"invalid attribute name '{attr_tok.text}' at position {attr_tok.pos}")
        attribute = attr_tok.text.lower()
        op_tok = self.next()
        op = op_tok.text.lower()
        if op_tok.kind != "word" or op not in SCIM_OPERATORS | {"in"}:
            raise FilterError(f"expected an operator after '{attr_tok.text}' at position {op_tok.pos}, "
                              f"found {_describe(op_tok)}")
        if attribute != "recordedat" and attribute not in EQ_ATTRIBUTES:
            raise FilterError(f"the attribute '{attr_tok.text}' is not supported")
        allowed = RANGE_OPERATORS if attribute == "recordedat" else {"eq"}
        if op not in allowed:
            raise FilterError(f"the operator '{op_tok.text}' is not supported for attribute '{attr_tok.text}'")
        value_tok = self.next()
        if value_tok.kind != "string":
            raise FilterError(f"expected a double-quoted string after '{attr_tok.text} {op_tok.text}' "
                              f"at position {value_tok.pos}, found {_describe(value_tok)}")
        try:
            value = json.loads(value_tok.text)
        except ValueError as exc:
            raise FilterError(f"invalid string at position {value_tok.pos}: {exc.args[0]}") from exc
        if attribute == "recordedat":
            try:
                value = parse_time(value)
            except ValueError as exc:
                raise FilterError(f"invalid date-time for 'recordedAt': {value!r}; "
                                  "expected yyyy-MM-dd'T'HH:mm:ss[.SSS]Z") from exc
        return Comparison(attribute, op, value)


def _describe(tok: Token) -> str:
    return "the end of the filter" if tok.kind == "eof" else f"'{tok.text}'"


def parse(text: str) -> Node:
    """Parses a filter; raises FilterError."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------- semantics


def time_bounds(node: Node) -> tuple[bool, bool]:
    """(has lower bound, has upper bound) on recordedat that hold for every match."""
    if isinstance(node, Comparison):
        if node.attribute != "recordedat":
            return (False, False)
        return (node.op in ("gt", "ge"), node.op in ("lt", "le"))
    left, right = time_bounds(node.left), time_bounds(node.right)
    if isinstance(node, And):
        return (left[0] or right[0], left[1] or right[1])
    return (left[0] and right[0], left[1] and right[1])


def matches(node: Node, record: dict[str, Any], recorded_ns: int, ctx: Context) -> bool:
    if isinstance(node, And):
        return matches(node.left, record, recorded_ns, ctx) and matches(node.right, record, recorded_ns, ctx)
    if isinstance(node, Or):
        return matches(node.left, record, recorded_ns, ctx) or matches(node.right, record, recorded_ns, ctx)
    if node.attribute == "recordedat":
        return {"gt": recorded_ns > node.value, "ge": recorded_ns >= node.value,
                "lt": recorded_ns < node.value, "le": recorded_ns <= node.value}[node.op]
    return node.value in EQ_ATTRIBUTES[node.attribute](record, ctx)
