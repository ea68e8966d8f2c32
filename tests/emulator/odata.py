"""OData v4 $filter parser, binder and evaluator for the Microsoft Graph audit-log resources.

Grammar (the subset Graph's reporting APIs accept; OData ABNF, ODL's error messages):

    filter     := or_expr EOF
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | comparison
    comparison := operand (("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand)?
    operand    := "(" or_expr ")" | FUNCTION "(" operand ("," operand)* ")" | literal
                | path | path "/any(" VAR ":" or_expr ")"
    path       := IDENT ("/" IDENT)*
    literal    := 'string' (a quote doubled inside) | DateTimeOffset | Date | Guid | number
                | true | false | null

Operators, `and`, `or` and `not` are lower-case only (as in ODL); function names and property
names are case-insensitive (Graph accepts startsWith and startswith). DateTimeOffset literals are
unquoted: 2024-05-14T10:01:19.5796748Z (seconds and fraction optional, 1-12 fraction digits,
Z or +hh:mm), Date literals 2024-05-14 mean midnight UTC. Times compare at full precision
(integers of picoseconds).

Binding checks every property against a Schema: an unknown property is a BadRequest ("Could not
find a property named ..."), a known one that does not support the operator a
Request_UnsupportedQuery, operand types that do not match a BadRequest ("A binary operator with
incompatible types ..."). Every problem raises ODataError(code, message).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Union


class ODataError(ValueError):
    """A $filter the service refuses; `code` is the Graph error code."""

    def __init__(self, message: str, code: str = "BadRequest"):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- times

_DTO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(Z|[+-]\d{2}:\d{2})",
                  re.IGNORECASE)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
PS = 10 ** 12  # picoseconds per second


def parse_datetime(text: str) -> int:
    """An OData DateTimeOffset (or a record's timestamp) → picoseconds since the epoch; ValueError."""
    m = _DTO.fullmatch(text or "")
    if not m:
        raise ValueError(text)
    year, month, day, hour, minute = (int(g) for g in m.groups()[:5])
    second = int(m.group(6) or 0)
    dt.datetime(year, month, day, hour, minute, second)  # validates the ranges
    zone = m.group(8).upper()
    offset = 0
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 14 or zm > 59:
            raise ValueError(text)
        offset = (1 if zone[0] == "+" else -1) * (zh * 3600 + zm * 60)
    seconds = calendar.timegm((year, month, day, hour, minute, second)) - offset
    return seconds * PS + int((m.group(7) or "").ljust(12, "0"))


def parse_date(text: str) -> int:
    m = _DATE.fullmatch(text)
    if not m:
        raise ValueError(text)
    year, month, day = (int(g) for g in m.groups())
    dt.date(year, month, day)
    return calendar.timegm((year, month, day, 0, 0, 0)) * PS


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Prop:
    """A filterable (or merely existing) property: its Edm type and the operators it supports."""
    type: str  # Edm.String Edm.Guid Edm.DateTimeOffset Edm.Int32 Edm.Boolean
    ops: frozenset[str] = frozenset()  # eq ne gt ge lt le startswith


def prop(type_: str, *ops: str) -> Prop:
    return Prop(type_, frozenset(ops))


@dataclass
class Schema:
    """An entity type: scalar properties by path ('initiatedBy/user/id'), complex-typed paths,
    and collections whose elements any() can test (element properties by relative path)."""
    type_name: str  # microsoft.graph.directoryAudit
    resource: str  # directoryAudit (for Request_UnsupportedQuery messages)
    props: dict[str, Prop]
    complex: set[str] = field(default_factory=set)
    collections: dict[str, "Schema"] = field(default_factory=dict)
    any_ops: set[str] = field(default_factory=set)  # collections any() is supported on

    def __post_init__(self) -> None:
        self.lower = {p.lower(): p for p in list(self.props) + list(self.complex) + list(self.collections)}

    def canonical(self, path: str) -> str | None:
        return self.lower.get(path.lower())


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Compare:
    path: str  # canonical
    op: str  # eq ne gt ge lt le
    value: Any  # str, int, bool, None, or picoseconds for DateTimeOffset properties
    type: str


@dataclass(frozen=True)
class StartsWith:
    path: str
    prefix: str


@dataclass(frozen=True)
class AnyOf:
    collection: str
    body: "Node"


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
    operand: "Node"


Node = Union[Compare, StartsWith, AnyOf, And, Or, Not]

OPERATORS = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
             "lt": "LessThan", "le": "LessThanOrEqual"}
UNSUPPORTED_OPERATORS = {"has", "in", "add", "sub", "mul", "div", "divby", "mod"}
KNOWN_FUNCTIONS = {"startswith", "endswith", "contains", "indexof", "substring", "tolower", "toupper", "trim",
                   "concat", "length", "year", "month", "day", "hour", "minute", "second", "date", "time",
                   "now", "round", "floor", "ceiling", "cast", "isof", "matchespattern", "fractionalseconds",
                   "totaloffsetminutes", "maxdatetime", "mindatetime", "totalseconds", "geo.distance",
                   "geo.intersects", "geo.length"}

# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(r"""
    (?P<ws>[ \t]+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<open_string>')
  | (?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-]))
  | (?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?(?![\w]))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w:.]))
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()/,:])
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str  # string guid datetime date number ident punct eof
    text: str
    pos: int


class _Lexer:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[Token] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"Syntax error: character '{text[pos]}' is not valid at position {pos} in '{text}'.")
            kind = m.lastgroup or ""
            if kind == "open_string":
                raise self.error(f"There is an unterminated string literal at position {len(text)} in '{text}'.")
            if kind != "ws":
                self.tokens.append(Token(kind, m.group(), pos))
            pos = m.end()
        self.tokens.append(Token("eof", "", len(text)))

    @staticmethod
    def error(message: str) -> ODataError:
        return ODataError(f"Invalid filter clause: {message}")


# --------------------------------------------------------------------------- raw parse tree


@dataclass(frozen=True)
class _Lit:
    type: str  # Edm.String Edm.Int32 Edm.Int64 Edm.Double Edm.DateTimeOffset Edm.Date Edm.Guid Edm.Boolean null
    value: Any
    pos: int


@dataclass(frozen=True)
class _Path:
    parts: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class _Any:
    collection: _Path
    var: str
    body: Any
    pos: int


@dataclass(frozen=True)
class _Call:
    name: str  # lower-case
    args: tuple[Any, ...]
    pos: int


@dataclass(frozen=True)
class _Bin:
    op: str
    left: Any
    right: Any
    pos: int


@dataclass(frozen=True)
class _Logic:
    op: str  # and or not
    operands: tuple[Any, ...]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _Lexer(text).tokens
        self.i = 0

    def error(self, message: str) -> ODataError:
        return ODataError(f"Invalid filter clause: {message}")

    def syntax(self, tok: Token) -> ODataError:
        return self.error(f"Syntax error at position {tok.pos + len(tok.text)} in '{self.text}'.")

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def word(self, *words: str) -> str | None:
        tok = self.peek()
        if tok.kind == "ident" and tok.text in words:
            self.i += 1
            return tok.text
        return None

    def expect(self, text: str, what: str) -> Token:
        tok = self.next()
        if tok.kind != "punct" or tok.text != text:
            raise self.error(f"{what} expected at position {tok.pos} in '{self.text}'.")
        return tok

    def parse(self) -> Any:
        if self.peek().kind == "eof":
            raise self.error("The $filter expression must evaluate to a single boolean value.")
        tree = self.or_expr()
        tok = self.peek()
        if tok.kind != "eof":
            raise self.error(f"Syntax error at position {tok.pos} in '{self.text}'.")
        return tree

    def or_expr(self) -> Any:
        node = self.and_expr()
        while self.word("or"):
            node = _Logic("or", (node, self.and_expr()))
        return node

    def and_expr(self) -> Any:
        node = self.unary()
        while self.word("and"):
            node = _Logic("and", (node, self.unary()))
        return node

    def unary(self) -> Any:
        if self.word("not"):
            return _Logic("not", (self.unary(),))
        return self.comparison()

    def comparison(self) -> Any:
        left = self.operand()
        tok = self.peek()
        if tok.kind == "ident" and tok.text in OPERATORS:
            self.i += 1
            return _Bin(tok.text, left, self.operand(), tok.pos)
        if tok.kind == "ident" and (tok.text.lower() in OPERATORS or tok.text in UNSUPPORTED_OPERATORS):
            raise self.error(f"Syntax error at position {tok.pos} in '{self.text}'.")  # EQ, in, has, add...
        return left

    def operand(self) -> Any:
        tok = self.next()
        if tok.kind == "punct" and tok.text == "(":
            inner = self.or_expr()
            self.expect(")", "')' or operator")
            return inner
        if tok.kind == "string":
            return _Lit("Edm.String", tok.text[1:-1].replace("''", "'"), tok.pos)
        if tok.kind == "guid":
            return _Lit("Edm.Guid", tok.text.lower(), tok.pos)
        if tok.kind == "datetime":
            try:
                return _Lit("Edm.DateTimeOffset", parse_datetime(tok.text), tok.pos)
            except ValueError:
                raise self.error(f"The DateTimeOffset text '{tok.text}' should be in format "
                                 "'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.")
        if tok.kind == "date":
            try:
                return _Lit("Edm.Date", parse_date(tok.text), tok.pos)
            except ValueError:
                raise self.error(f"The Date text '{tok.text}' should be in format 'yyyy-mm-dd' and each field "
                                 "value is within valid range.")
        if tok.kind == "number":
            if re.fullmatch(r"-?\d+", tok.text):
                value = int(tok.text)
                return _Lit("Edm.Int32" if -2**31 <= value < 2**31 else "Edm.Int64", value, tok.pos)
            return _Lit("Edm.Double", float(tok.text), tok.pos)
        if tok.kind == "ident":
            if tok.text == "true" or tok.text == "false":
                return _Lit("Edm.Boolean", tok.text == "true", tok.pos)
            if tok.text == "null":
                return _Lit("null", None, tok.pos)
            if tok.text in OPERATORS or tok.text in ("and", "or"):
                raise self.syntax(tok)
            nxt = self.peek()
            if nxt.kind == "punct" and nxt.text == "(":
                return self.call(tok)
            return self.path(tok)
        if tok.kind == "eof":
            raise self.error(f"Expression expected at position {tok.pos} in '{self.text}'.")
        raise self.syntax(tok)

    def call(self, name_tok: Token) -> Any:
        name = name_tok.text.lower()
        self.next()  # (
        args = []
        if not (self.peek().kind == "punct" and self.peek().text == ")"):
            args.append(self.or_expr())
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.next()
                args.append(self.or_expr())
        self.expect(")", "')' or ','")
        if name not in KNOWN_FUNCTIONS:
            raise self.error(f"An unknown function with name '{name_tok.text}' was found. This may also be a function "
                             "import or a key lookup on a navigation property, which is not allowed.")
        return _Call(name, tuple(args), name_tok.pos)

    def path(self, first: Token) -> Any:
        parts = [first.text]
        while self.peek().kind == "punct" and self.peek().text == "/":
            self.next()
            tok = self.next()
            if tok.kind != "ident":
                raise self.syntax(tok)
            nxt = self.peek()
            if tok.text.lower() in ("any", "all") and nxt.kind == "punct" and nxt.text == "(":
                return self.lambda_(_Path(tuple(parts), first.pos), tok)
            parts.append(tok.text)
        return _Path(tuple(parts), first.pos)

    def lambda_(self, collection: _Path, kw: Token) -> Any:
        self.next()  # (
        var = self.next()
        if var.kind != "ident":
            raise self.syntax(var)
        self.expect(":", "':'")
        body = self.or_expr()
        self.expect(")", "')' or operator")
        if kw.text.lower() == "all":
            return _Call("all", (collection,), kw.pos)
        return _Any(collection, var.text, body, kw.pos)


# --------------------------------------------------------------------------- binding

_STRINGY = {"Edm.String", "Edm.Guid"}


class _Binder:
    def __init__(self, schema: Schema, text: str):
        self.schema = schema
        self.text = text

    def error(self, message: str, code: str = "BadRequest") -> ODataError:
        return ODataError(f"Invalid filter clause: {message}" if code == "BadRequest" else message, code)

    def unsupported(self, path: str, schema: Schema | None = None) -> ODataError:
        resource = (schema or self.schema).resource
        return ODataError(f"Unsupported or invalid query filter clause specified for property '{path}' of resource "
                          f"'{resource}'.", "Request_UnsupportedQuery")

    def not_boolean(self) -> ODataError:
        return self.error("The $filter expression must evaluate to a single boolean value.")

    def resolve(self, path: _Path, schema: Schema, var: str | None) -> tuple[str, Prop | None, Schema]:
        """(canonical path, scalar Prop or None for complex/collection, schema it belongs to)."""
        parts = list(path.parts)
        if var is not None:
            if parts[0] != var:
                raise self.error(f"Could not find a property named '{parts[0]}' on type '{schema.type_name}'.")
            parts = parts[1:]
            if not parts:
                raise self.unsupported(var, schema)
        joined = "/".join(parts)
        canonical = schema.canonical(joined)
        if canonical is None:
            # name the first segment that does not exist, as ODL does
            for n in range(1, len(parts) + 1):
                if schema.canonical("/".join(parts[:n])) is None:
                    owner = schema.type_name if n == 1 else f"microsoft.graph.{parts[n - 2]}"
                    raise self.error(f"Could not find a property named '{parts[n - 1]}' on type '{owner}'.")
        return canonical, schema.props.get(canonical), schema

    def bind(self, tree: Any, schema: Schema | None = None, var: str | None = None) -> Node:
        schema = schema or self.schema
        if isinstance(tree, _Logic):
            operands = [self.bind(t, schema, var) for t in tree.operands]
            if tree.op == "not":
                return Not(operands[0])
            return (And if tree.op == "and" else Or)(operands[0], operands[1])
        if isinstance(tree, _Bin):
            return self.compare(tree, schema, var)
        if isinstance(tree, _Call):
            return self.call(tree, schema, var)
        if isinstance(tree, _Any):
            if var is not None:
                raise self.unsupported("/".join(tree.collection.parts), schema)
            canonical, _, _ = self.resolve(tree.collection, schema, None)
            element = schema.collections.get(canonical)
            if element is None:
                raise self.error(f"The parent value for a lambda expression must be a collection; "
                                 f"'{canonical}' is not one.")
            if canonical not in schema.any_ops:
                raise self.unsupported(canonical)
            return AnyOf(canonical, self.bind(tree.body, element, tree.var))
        if isinstance(tree, _Path):
            canonical, p, _ = self.resolve(tree, schema, var)
            if p is not None and p.type == "Edm.Boolean":
                raise self.unsupported(canonical, schema)
            raise self.not_boolean()
        raise self.not_boolean()

    def compare(self, tree: _Bin, schema: Schema, var: str | None) -> Node:
        left, right = tree.left, tree.right
        if isinstance(left, _Lit) and isinstance(right, _Path):
            canonical, _, _ = self.resolve(right, schema, var)
            raise self.unsupported(canonical, schema)  # literal on the left: not supported by the service
        if not isinstance(left, _Path):
            if isinstance(left, (_Logic, _Bin, _Any)) or isinstance(right, (_Logic, _Bin, _Any)):
                raise self.error(f"A binary operator with incompatible types was detected. Found operand types "
                                 f"'Edm.Boolean' and '{getattr(right, 'type', 'Edm.Boolean')}' for operator kind "
                                 f"'{OPERATORS[tree.op]}'.")
            raise self.unsupported(self._describe(left), schema)
        canonical, p, owner = self.resolve(left, schema, var)
        if p is None:
            kind = "collection" if canonical in schema.collections else "complex"
            raise self.error(f"A binary operator with incompatible types was detected. Found operand types "
                             f"'{kind}({canonical})' and '{getattr(right, 'type', '?')}' for operator kind "
                             f"'{OPERATORS[tree.op]}'.")
        if not isinstance(right, _Lit):
            if isinstance(right, _Path):
                self.resolve(right, schema, var)
            raise self.unsupported(canonical, owner)
        value = self.coerce(p, right, tree.op)
        if tree.op not in p.ops:
            raise self.unsupported(canonical, owner)
        return Compare(canonical, tree.op, value, p.type)

    def coerce(self, p: Prop, lit: _Lit, op: str) -> Any:
        if lit.type == "null":
            return None
        ok = {
            "Edm.String": {"Edm.String"},
            "Edm.Guid": {"Edm.String", "Edm.Guid"},
            "Edm.DateTimeOffset": {"Edm.DateTimeOffset", "Edm.Date"},
            "Edm.Int32": {"Edm.Int32", "Edm.Int64"},
            "Edm.Boolean": {"Edm.Boolean"},
        }[p.type]
        if lit.type not in ok:
            raise self.error(f"A binary operator with incompatible types was detected. Found operand types "
                             f"'{p.type}' and '{lit.type}' for operator kind '{OPERATORS[op]}'.")
        if p.type == "Edm.Guid":
            return lit.value.lower()
        return lit.value

    def call(self, tree: _Call, schema: Schema, var: str | None) -> Node:
        if tree.name == "all":
            raise self.unsupported("/".join(tree.args[0].parts), schema)
        args = tree.args
        first = args[0] if args else None
        if tree.name != "startswith":
            if isinstance(first, _Path):
                canonical, _, owner = self.resolve(first, schema, var)
                raise self.unsupported(canonical, owner)
            raise ODataError("Unsupported Query.", "Request_UnsupportedQuery")
        signature = ("No function signature for the function with name 'startswith' matches the specified "
                     "arguments. The function signatures considered are: startswith(Edm.String Nullable=true, "
                     "Edm.String Nullable=true).")
        if len(args) != 2:
            raise self.error(signature)
        if isinstance(first, _Lit) and isinstance(args[1], _Path):
            canonical, _, owner = self.resolve(args[1], schema, var)
            raise self.unsupported(canonical, owner)
        if not isinstance(first, _Path) or not isinstance(args[1], _Lit):
            raise self.error(signature)
        canonical, p, owner = self.resolve(first, schema, var)
        if p is None or p.type not in _STRINGY or args[1].type not in ("Edm.String", "null"):
            raise self.error(signature)
        if "startswith" not in p.ops:
            raise self.unsupported(canonical, owner)
        return StartsWith(canonical, args[1].value or "")

    @staticmethod
    def _describe(node: Any) -> str:
        if isinstance(node, _Call):
            return node.name
        if isinstance(node, _Lit):
            return str(node.value)
        return "?"


def parse(text: str, schema: Schema) -> Node:
    """Parses and binds a $filter against schema; raises ODataError."""
    return _Binder(schema, text).bind(_Parser(text).parse())


# --------------------------------------------------------------------------- evaluation


def get_path(record: Any, path: str) -> Any:
    for key in path.split("/"):
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _value(record: Any, node: Compare | StartsWith, times: Callable[[Any, str], int | None] | None) -> Any:
    raw = get_path(record, node.path)
    if isinstance(node, Compare) and node.type == "Edm.DateTimeOffset" and raw is not None:
        if times is not None:
            return times(record, node.path)
        try:
            return parse_datetime(raw)
        except (TypeError, ValueError):
            return None
    return raw


def _compare(op: str, actual: Any, expected: Any, type_: str) -> bool:
    if type_ == "Edm.Guid" and isinstance(actual, str):
        actual = actual.lower()
    if type_ == "Edm.Int32" and isinstance(actual, bool):
        actual = None
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if actual is None or expected is None:
        return False
    try:
        return {"gt": actual > expected, "ge": actual >= expected, "lt": actual < expected,
                "le": actual <= expected}[op]
    except TypeError:
        return False


def matches(node: Node, record: Any, times: Callable[[Any, str], int | None] | None = None) -> bool:
    """Whether record satisfies node; times(record, path) may supply parsed DateTimeOffsets."""
    if isinstance(node, And):
        return matches(node.left, record, times) and matches(node.right, record, times)
    if isinstance(node, Or):
        return matches(node.left, record, times) or matches(node.right, record, times)
    if isinstance(node, Not):
        return not matches(node.operand, record, times)
    if isinstance(node, Compare):
        return _compare(node.op, _value(record, node, times), node.value, node.type)
    if isinstance(node, StartsWith):
        actual = _value(record, node, times)
        return isinstance(actual, str) and actual.lower().startswith(node.prefix.lower())
    if isinstance(node, AnyOf):
        items = get_path(record, node.collection)
        return isinstance(items, list) and any(matches(node.body, item) for item in items)
    raise TypeError(node)
