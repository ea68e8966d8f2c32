"""SCIM filter parser and evaluator for the Okta System Log (`filter` on GET /api/v1/logs).

Grammar (RFC 7644 §3.4.2.2 without value paths, as Okta documents it for /api/v1/logs):

    filter     := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" "(" or_expr ")" | primary
    primary    := "(" or_expr ")" | ATTRPATH "pr" | ATTRPATH OP VALUE
    OP         := eq | ne | co | sw | ew | gt | ge | lt | le
    VALUE      := JSON string | number | true | false | null

Operators and the logical keywords are case-insensitive; attribute names are case-sensitive
(Okta: "The attribute names are case-sensitive while attribute operators are case-insensitive").
Attribute paths are checked against the LogEvent schema (maps such as debugContext.debugData,
transaction.detail, actor.detailEntry and target.changeDetails take any key). A path through
an array (target, request.ipChain) matches when any element matches.

Errors carry Okta's error code: E0000053 for syntax errors and unknown fields, E0000031 for an
operator/field combination Okta refuses (`co` on debugContext.debugData.url or .requestUri, a
comparison on a complex attribute).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Union


class FilterError(ValueError):
    """The filter is refused; `code` is the Okta error code, `summary` its errorSummary."""

    def __init__(self, code: str, summary: str):
        super().__init__(summary)
        self.code = code
        self.summary = summary


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str  # lower-case
    value: Any = None  # str, int, float, bool or None; unused for pr


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Not:
    inner: "Node"


Node = Union[Comparison, And, Or, Not]

OPERATORS = ("eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le")
STRING_OPERATORS = {"co", "sw", "ew"}
ORDER_OPERATORS = {"gt", "ge", "lt", "le"}

# --------------------------------------------------------------------------- schema

ANY = "*"  # a map: any key below it
LEAF = None
_GEO = {"geolocation": {"lat": LEAF, "lon": LEAF}, "city": LEAF, "state": LEAF, "country": LEAF, "postalCode": LEAF}
SCHEMA: dict[str, Any] = {
    "uuid": LEAF, "published": LEAF, "eventType": LEAF, "version": LEAF, "severity": LEAF,
    "legacyEventType": LEAF, "displayMessage": LEAF,
    "actor": {"id": LEAF, "type": LEAF, "alternateId": LEAF, "displayName": LEAF, "detailEntry": ANY},
    "client": {"userAgent": {"rawUserAgent": LEAF, "os": LEAF, "browser": LEAF}, "geographicalContext": _GEO,
               "zone": LEAF, "ipAddress": LEAF, "device": LEAF, "id": LEAF},
    "device": {"id": LEAF, "name": LEAF, "os_platform": LEAF, "os_version": LEAF, "managed": LEAF,
               "registered": LEAF, "device_integrator": ANY, "disk_encryption_type": LEAF,
               "screen_lock_type": LEAF, "jailbreak": LEAF, "secure_hardware_present": LEAF},
    "outcome": {"result": LEAF, "reason": LEAF},
    "target": {"id": LEAF, "type": LEAF, "alternateId": LEAF, "displayName": LEAF, "detailEntry": ANY,
               "changeDetails": ANY},
    "transaction": {"id": LEAF, "type": LEAF, "detail": ANY},
    "debugContext": {"debugData": ANY},
    "authenticationContext": {"authenticationProvider": LEAF, "authenticationStep": LEAF,
                              "credentialProvider": LEAF, "credentialType": LEAF,
                              "issuer": {"id": LEAF, "type": LEAF}, "externalSessionId": LEAF, "interface": LEAF},
    "securityContext": {"asNumber": LEAF, "asOrg": LEAF, "isp": LEAF, "domain": LEAF, "isProxy": LEAF},
    "request": {"ipChain": {"ip": LEAF, "geographicalContext": _GEO, "version": LEAF, "source": LEAF}},
}
NO_CONTAINS = {("debugContext", "debugData", "url"), ("debugContext", "debugData", "requestUri")}


def _schema_node(path: tuple[str, ...]) -> Any:
    """The schema node at path: LEAF, ANY, or a dict (complex); KeyError when unknown."""
    node: Any = SCHEMA
    for segment in path:
        if node == ANY:
            return ANY
        if not isinstance(node, dict) or segment not in node:
            raise KeyError(segment)
        node = node[segment]
    return node


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
_ATTRPATH = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]*(\.[A-Za-z_][A-Za-z0-9_$-]*)*")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Token:
    kind: str  # lparen rparen string word eof
    text: str
    pos: int  # 0-based character offset, as in Okta's messages


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[Token] = []
        self.i = 0

    def fail(self, message: str) -> FilterError:
        return FilterError("E0000053", f"Invalid filter '{self.text}': {message}")

    def tokenize(self) -> None:
        pos = 0
        while pos < len(self.text):
            m = _TOKEN.match(self.text, pos)
            assert m is not None  # the alternatives cover every character
            kind = m.lastgroup or ""
            if kind == "bracket":
                raise self.fail(f"Unsupported character '{m.group()}' at position {pos}; value filters are not supported")
            if kind == "open_string":
                raise self.fail(f"Unterminated string at position {pos}")
            if kind != "ws":
                self.tokens.append(Token(kind, m.group(), pos))
            pos = m.end()
        self.tokens.append(Token("eof", "", len(self.text)))

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
        self.tokenize()
        if self.peek().kind == "eof":
            raise self.fail("The filter is empty")
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "eof":
            raise self.fail(f"Unexpected '{tok.text}' at position {tok.pos}. Expected: and,or or the end of the filter")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Or(node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = And(node, self.unary())
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "word" and tok.text.lower() == "not":
            self.i += 1
            if self.peek().kind != "lparen":
                raise self.fail(f"Expected '(' after 'not' at position {self.peek().pos}, found {_describe(self.peek())}")
            return Not(self.primary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind == "lparen":
            node = self.or_expr()
            close = self.next()
            if close.kind != "rparen":
                raise self.fail(f"Expected ')' at position {close.pos}, found {_describe(close)}")
            return node
        if tok.kind != "word" or tok.text.lower() in ("and", "or", "not"):
            raise self.fail(f"Expected an attribute at position {tok.pos}, found {_describe(tok)}")
        return self.comparison(tok)

    def comparison(self, attr: Token) -> Comparison:
        if not _ATTRPATH.fullmatch(attr.text):
            raise self.fail(f"Invalid attribute name '{attr.text}' at position {attr.pos}")
        op_tok = self.next()
        op = op_tok.text.lower()
        if op_tok.kind != "word" or op not in OPERATORS:
            found = f"'{op_tok.text}'" if op_tok.kind != "eof" else "the end of the filter"
            raise self.fail(f"Unrecognized attribute operator {found} at position {op_tok.pos}. "
                            f"Expected: {','.join(OPERATORS)}")
        path = tuple(attr.text.split("."))
        if path[0] == "published":
            raise FilterError("E0000053", f"Invalid filter '{self.text}': The attribute 'published' can't be used "
                                          "in a filter; use the since and until parameters")
        try:
            node = _schema_node(path)
        except KeyError:
            raise FilterError("E0000053", f"field is not valid: {attr.text}") from None
        if op == "pr":
            return Comparison(path, op)
        if isinstance(node, dict) or (op == "co" and path in NO_CONTAINS):
            raise FilterError("E0000031", "The supplied combination of operator and field is not currently "
                                          f"supported. Operator: {op}, Field: {attr.text}")
        value_tok = self.next()
        value = self.literal(value_tok, f"{attr.text} {op_tok.text}")
        if op in STRING_OPERATORS and not isinstance(value, str):
            raise self.fail(f"The operator '{op}' needs a string value at position {value_tok.pos}")
        if op in ORDER_OPERATORS and (value is None or isinstance(value, bool)):
            raise self.fail(f"The operator '{op}' needs a string or number value at position {value_tok.pos}")
        return Comparison(path, op, value)

    def literal(self, tok: Token, after: str) -> Any:
        if tok.kind == "string":
            try:
                return json.loads(tok.text)
            except ValueError:
                raise self.fail(f"Invalid string at position {tok.pos}") from None
        if tok.kind == "word":
            word = tok.text
            if word in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[word]
            if _NUMBER.fullmatch(word):
                return json.loads(word)
        raise self.fail(f"Expected a value after '{after}' at position {tok.pos}, found {_describe(tok)}")


def _describe(tok: Token) -> str:
    return "the end of the filter" if tok.kind == "eof" else f"'{tok.text}'"


def parse(text: str) -> Node:
    """Parses and checks a filter; raises FilterError."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------- evaluation


def values(record: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at path, descending into arrays (target[], request.ipChain[])."""
    current = [record]
    for segment in path:
        found: list[Any] = []
        for item in current:
            items = item if isinstance(item, list) else [item]
            for obj in items:
                if isinstance(obj, dict) and segment in obj:
                    found.append(obj[segment])
        current = found
    out: list[Any] = []
    for item in current:
        out.extend(item if isinstance(item, list) else [item])
    return out


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return True
    return type(a) is type(b)


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    if op == "eq":
        return actual is None if wanted is None else (_same_kind(actual, wanted) and actual == wanted)
    if op in STRING_OPERATORS:
        if not isinstance(actual, str):
            return False
        return {"co": wanted in actual, "sw": actual.startswith(wanted), "ew": actual.endswith(wanted)}[op]
    if not _same_kind(actual, wanted) or actual is None:
        return False
    return {"gt": actual > wanted, "ge": actual >= wanted, "lt": actual < wanted, "le": actual <= wanted}[op]


def matches(node: Node, record: dict[str, Any]) -> bool:
    if isinstance(node, And):
        return matches(node.left, record) and matches(node.right, record)
    if isinstance(node, Or):
        return matches(node.left, record) or matches(node.right, record)
    if isinstance(node, Not):
        return not matches(node.inner, record)
    found = values(record, node.path)
    if node.op == "pr":
        return any(v not in (None, "", [], {}) for v in found)
    if node.op == "ne":
        return not any(_compare("eq", v, node.value) for v in found)
    if node.op == "eq" and node.value is None:
        return not found or any(v is None for v in found)
    return any(_compare(node.op, v, node.value) for v in found)
