"""The subset of Lucene query syntax Auth0's log search (`q` of GET /api/v2/logs) accepts.

As Auth0's Log Search Query Syntax page describes it (search engine v3):
  - a clause is `field:value` or a bare value; a bare value is searched against user_name,
    connection, client_name, type, ip, log_id and description;
  - fields are the searchable ones (log_id, date, connection, connection_id, client_id,
    client_name, ip, user_id, user_name, description, user_agent, type, strategy, strategy_type,
    hostname, organization_id) or a path into details (`details.request.channel`); any other
    field is an error ("unknown field");
  - values are not tokenized: a term or a "quoted phrase" matches the whole value, case
    sensitively; `*` in a term matches any run of characters (a prefix `jo*` needs one literal
    character, any other wildcard at least three; `?`, `~` and `^` are not supported);
  - ranges `[a TO b]` (inclusive) and `{a TO b}` (exclusive) may mix brackets, `*` opens an end;
  - dates are UTC; a partial date is zero-filled (`2018-12` is 2018-12-01T00:00:00.000Z), so
    `date:[2018-12-18 TO 2018-12-19]` ends at the first millisecond of the 19th;
  - AND, OR, NOT (upper case; also &&, ||, a leading - or +), parentheses, field groups
    `type:(s OR f)`; adjacent clauses without an operator are joined with OR, as in Lucene.
Anything else raises QueryError with the text Auth0 puts after "The search query string has an
error: ".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Any, Union

SEARCHABLE = ("log_id", "date", "connection", "connection_id", "client_id", "client_name", "ip", "user_id",
              "user_name", "description", "user_agent", "type", "strategy", "strategy_type", "hostname",
              "organization_id")
BARE_FIELDS = ("user_name", "connection", "client_name", "type", "ip", "log_id", "description")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_$-]+)*")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?)?"
                   r"([Zz]|[+-]\d{2}:?\d{2})?")
_TERM_END = set(" \t\r\n()")
_UNSUPPORTED = {"?": "'?' wildcards are not supported", "~": "fuzzy and proximity queries are not supported",
                "^": "boosts are not supported", "/": "regular expressions are not supported"}


class QueryError(ValueError):
    """A query Auth0 refuses; str() is the detail after "The search query string has an error: "."""


@dataclass(frozen=True)
class Term:
    field: str | None  # None: the bare-term fields
    value: str
    phrase: bool = False  # a "quoted phrase": exact, no wildcards


@dataclass(frozen=True)
class Range:
    field: str | None
    low: str | None  # None: open (*)
    high: str | None
    low_inclusive: bool
    high_inclusive: bool


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
    child: "Node"


@dataclass(frozen=True)
class All:
    """An empty query: every log."""


Node = Union[Term, Range, And, Or, Not, All]


# --------------------------------------------------------------------------- dates


def parse_date(text: str) -> int:
    """A (partial) date → milliseconds since the epoch, zero-filled, UTC unless a zone is given."""
    m = _DATE.fullmatch(text)
    if not m:
        raise QueryError(f"failed to parse date field [{text}]")
    year, month, day, hour, minute, second = (int(g) if g else d for g, d in zip(m.groups()[:6], (0, 1, 1, 0, 0, 0)))
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24 and minute < 60
            and second < 60):
        raise QueryError(f"failed to parse date field [{text}]")
    millis = int((m.group(7) or "0").ljust(3, "0")[:3])
    offset = 0
    zone = m.group(8)
    if zone and zone not in ("Z", "z"):
        digits = zone[1:].replace(":", "")
        offset = (1 if zone[0] == "+" else -1) * (int(digits[:2]) * 60 + int(digits[2:])) * 60
    return (calendar.timegm((year, month, day, hour, minute, second)) - offset) * 1000 + millis


# --------------------------------------------------------------------------- parser


def parse(text: str) -> Node:
    """The query tree; raises QueryError."""
    parser = _Parser(text)
    node = parser.parse()
    return node


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def parse(self) -> Node:
        self.skip()
        if self.pos == len(self.text):
            return All()
        node = self.or_expr(None)
        self.skip()
        if self.pos != len(self.text):
            raise QueryError(f"unexpected '{self.text[self.pos]}' at position {self.pos}")
        return node

    # ---------------------------------------------------------------- helpers

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def keyword(self, *words: str) -> str | None:
        """Consumes an operator keyword (followed by a space, '(' or a quote) if one is next."""
        self.skip()
        for word in words:
            end = self.pos + len(word)
            if self.text.startswith(word, self.pos):
                if word in ("&&", "||") or end == len(self.text) or self.text[end] in " \t\r\n(\"":
                    self.pos = end
                    return word
        return None

    def at_end_of_group(self) -> bool:
        self.skip()
        return self.pos == len(self.text) or self.text[self.pos] == ")"

    # ---------------------------------------------------------------- grammar

    def or_expr(self, field: str | None) -> Node:
        node = self.and_expr(field)
        while not self.at_end_of_group():
            self.keyword("OR", "||")  # an absent operator is OR too
            if self.at_end_of_group():
                raise QueryError("expected a clause after OR")
            node = Or(node, self.and_expr(field))
        return node

    def and_expr(self, field: str | None) -> Node:
        node = self.not_expr(field)
        while self.keyword("AND", "&&"):
            if self.at_end_of_group():
                raise QueryError("expected a clause after AND")
            node = And(node, self.not_expr(field))
        return node

    def not_expr(self, field: str | None) -> Node:
        if self.keyword("NOT"):
            if self.at_end_of_group():
                raise QueryError("expected a clause after NOT")
            return Not(self.not_expr(field))
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "-!":
            self.pos += 1
            return Not(self.primary(field))
        if self.pos < len(self.text) and self.text[self.pos] == "+":
            self.pos += 1
        return self.primary(field)

    def primary(self, field: str | None) -> Node:
        self.skip()
        if self.pos == len(self.text):
            raise QueryError("unexpected end of query")
        ch = self.text[self.pos]
        if ch == "(":
            self.pos += 1
            if self.at_end_of_group():
                raise QueryError("empty group")
            node = self.or_expr(field)
            if self.at_end_of_group() and self.pos < len(self.text):
                self.pos += 1
                return node
            raise QueryError("missing ')'")
        if ch == ")":
            raise QueryError(f"unexpected ')' at position {self.pos}")
        if field is None:
            m = _FIELD.match(self.text, self.pos)
            if m and m.end() < len(self.text) and self.text[m.end()] == ":":
                name = m.group(0)
                if name not in SEARCHABLE and not (name.startswith("details.") and len(name) > 8):
                    raise QueryError(f'unknown field "{name}"')
                self.pos = m.end() + 1
                if self.pos < len(self.text) and self.text[self.pos] == "(":
                    self.pos += 1
                    if self.at_end_of_group():
                        raise QueryError("empty group")
                    node = self.or_expr(name)
                    if self.at_end_of_group() and self.pos < len(self.text):
                        self.pos += 1
                        return node
                    raise QueryError("missing ')'")
                if self.pos == len(self.text) or self.text[self.pos] in " \t\r\n)":
                    raise QueryError(f'field "{name}" has no value')
                return self.value(name)
        return self.value(field)

    def value(self, field: str | None) -> Node:
        ch = self.text[self.pos]
        if ch == '"':
            return _checked(Term(field, self.phrase(), phrase=True))
        if ch in "[{":
            return _checked(self.range(field))
        if ch in "]}":
            raise QueryError(f"unexpected '{ch}' at position {self.pos}")
        start = self.pos
        text = self.term()
        if text in ("AND", "OR", "NOT", "&&", "||"):
            raise QueryError(f"unexpected '{text}' at position {start}")
        return _checked(Term(field, text))

    def phrase(self) -> str:
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1
        raise QueryError("unterminated quoted phrase")

    def term(self, stop: str = "") -> str:
        """A bare term; keeps `*` as a wildcard and `\\*` as \\* (escaped characters lose their backslash)."""
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in _TERM_END or ch in stop:
                break
            if ch == "\\":
                if self.pos + 1 == len(self.text):
                    raise QueryError("a query cannot end with '\\'")
                nxt = self.text[self.pos + 1]
                out.append("\\*" if nxt == "*" else "\\\\" if nxt == "\\" else nxt)
                self.pos += 2
                continue
            if ch in _UNSUPPORTED:
                raise QueryError(_UNSUPPORTED[ch])
            if ch in '"[]{}':
                raise QueryError(f"unexpected '{ch}' at position {self.pos}")
            out.append(ch)
            self.pos += 1
        if not out:
            raise QueryError(f"expected a value at position {self.pos}")
        return "".join(out)

    def range(self, field: str | None) -> Range:
        low_inclusive = self.text[self.pos] == "["
        self.pos += 1
        self.skip()
        low = self.bound("")
        self.skip()
        if not self.text.startswith("TO", self.pos) or self.pos + 2 >= len(self.text) or self.text[self.pos + 2] not in " \t":
            raise QueryError("a range needs 'TO' between its bounds")
        self.pos += 2
        self.skip()
        high = self.bound("]}")
        self.skip()
        if self.pos == len(self.text) or self.text[self.pos] not in "]}":
            raise QueryError("unterminated range")
        high_inclusive = self.text[self.pos] == "]"
        self.pos += 1
        return Range(field, low, high, low_inclusive, high_inclusive)

    def bound(self, stop: str) -> str | None:
        if self.pos == len(self.text):
            raise QueryError("unterminated range")
        if self.text[self.pos] == '"':
            return self.phrase()
        text = self.term(stop)
        if "*" in text.replace("\\*", "") and text != "*":
            raise QueryError("wildcards inside a range bound must stand alone")
        return None if text == "*" else text.replace("\\*", "*").replace("\\\\", "\\")


def _checked(node: Term | Range) -> Term | Range:
    """Validates values against their field (dates, wildcard lengths) at parse time."""
    if isinstance(node, Range):
        if node.field == "date":
            for bound in (node.low, node.high):
                if bound is not None:
                    parse_date(bound)
        return node
    if node.phrase:
        if node.field == "date":
            parse_date(node.value)
        return node
    stars = _wildcard_positions(node.value)
    if not stars:
        if node.field == "date":
            parse_date(_unescape(node.value))
        return node
    if node.value == "*":
        return node
    if node.field == "date":
        raise QueryError(f"failed to parse date field [{_unescape(node.value)}]")
    literal = len(_unescape(node.value.replace("\\*", "x"))) - len(stars)
    prefix = stars == [len(node.value) - 1]
    if literal < (1 if prefix else 3):
        raise QueryError("wildcard queries need at least 3 literal characters (1 for a prefix query like 'jo*')")
    return node


def _wildcard_positions(value: str) -> list[int]:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == "*":
            out.append(i)
        i += 1
    return out


def _unescape(value: str) -> str:
    return value.replace("\\*", "*").replace("\\\\", "\\")


# --------------------------------------------------------------------------- evaluation


class Matcher:
    """Evaluates a parsed query against log records (dicts), caching compiled wildcards."""

    def __init__(self, node: Node):
        self.node = node
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._dates: dict[str, int] = {}

    def __call__(self, rec: dict[str, Any], date_ms: int) -> bool:
        return self._eval(self.node, rec, date_ms)

    def _eval(self, node: Node, rec: dict[str, Any], date_ms: int) -> bool:
        if isinstance(node, And):
            return self._eval(node.left, rec, date_ms) and self._eval(node.right, rec, date_ms)
        if isinstance(node, Or):
            return self._eval(node.left, rec, date_ms) or self._eval(node.right, rec, date_ms)
        if isinstance(node, Not):
            return not self._eval(node.child, rec, date_ms)
        if isinstance(node, All):
            return True
        fields = BARE_FIELDS if node.field is None else (node.field,)
        return any(self._field(node, name, rec, date_ms) for name in fields)

    def _field(self, node: Term | Range, name: str, rec: dict[str, Any], date_ms: int) -> bool:
        if name == "date":
            return self._date(node, rec, date_ms)
        values = _values(rec, name)
        if isinstance(node, Range):
            return any((node.low is None or (v >= node.low if node.low_inclusive else v > node.low))
                       and (node.high is None or (v <= node.high if node.high_inclusive else v < node.high))
                       for v in values)
        if node.phrase or not _wildcard_positions(node.value):
            wanted = node.value if node.phrase else _unescape(node.value)
            return wanted in values
        pattern = self._patterns.get(node.value)
        if pattern is None:
            parts, i, buf = [], 0, []
            value = node.value
            while i < len(value):
                if value[i] == "\\" and i + 1 < len(value):
                    buf.append(value[i + 1])
                    i += 2
                    continue
                if value[i] == "*":
                    parts.append(re.escape("".join(buf)))
                    parts.append(".*")
                    buf = []
                else:
                    buf.append(value[i])
                i += 1
            parts.append(re.escape("".join(buf)))
            pattern = self._patterns[node.value] = re.compile("".join(parts), re.DOTALL)
        return any(pattern.fullmatch(v) for v in values)

    def _date(self, node: Term | Range, rec: dict[str, Any], date_ms: int) -> bool:
        if isinstance(node, Term):
            if node.value == "*":
                return True
            return date_ms == self._date_value(node.value if node.phrase else _unescape(node.value))
        if node.low is not None:
            low = self._date_value(node.low)
            if date_ms < low or (date_ms == low and not node.low_inclusive):
                return False
        if node.high is not None:
            high = self._date_value(node.high)
            if date_ms > high or (date_ms == high and not node.high_inclusive):
                return False
        return True

    def _date_value(self, text: str) -> int:
        value = self._dates.get(text)
        if value is None:
            value = self._dates[text] = parse_date(text)
        return value


def _values(rec: dict[str, Any], name: str) -> list[str]:
    """The searchable string forms of a field (a details path may cross lists)."""
    items: list[Any] = [rec]
    for part in name.split("."):
        nxt: list[Any] = []
        for item in items:
            if isinstance(item, dict) and part in item:
                value = item[part]
                nxt.extend(value if isinstance(value, list) else [value])
        items = nxt
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
    return out
