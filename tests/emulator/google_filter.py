"""The `filters` parameter of the Admin SDK Reports API's activities.list.

Grammar (the reference: "a comma-separated list composed of event parameters manipulated by
relational operators", `{name}{op}{value},{name}{op}{value},...`):

    filters := term ("," term)*
    term    := name op value          name: [A-Za-z0-9_]+   value: one character or more, no comma
    op      := "==" | "<>" | "<=" | ">=" | "<" | ">"

The text must first match the discovery document's pattern (PATTERN); a term that does not parse
(a lone "=", no name, no value) is refused too, with the same message. As the reference says, a
parameter given twice keeps only its last value.

Evaluation, per event (`matches`): every term must hold for one and the same event's parameters.
A term naming a parameter the event does not have never holds, so a filter on a parameter that
does not belong to the event gives an empty report ("An empty report is returned if the
request's parameter doesn't belong to the eventName").
  value         ==, <> as strings; <, <=, >, >= compare the strings (code point order)
  intValue      numeric comparison; a value that is not an integer never holds
  boolValue     == and <> against true/false (any case); the order operators never hold
  multiValue    == holds when one element is equal, <> when none is; order operators when one holds
  multiIntValue the same, numerically
Other parameter kinds (messageValue, multiMessageValue) never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PATTERN = "(.+[<,<=,==,>=,>,<>].+,)*(.+[<,<=,==,>=,>,<>].+)"  # verbatim from the discovery document
_PATTERN = re.compile(PATTERN, re.S)
_TERM = re.compile(r"([A-Za-z0-9_]+)(==|<>|<=|>=|<|>)([^,]+)", re.S)
OPERATORS = ("==", "<>", "<=", ">=", "<", ">")


class FilterError(ValueError):
    """The filters text is refused; str() is the API's message."""


@dataclass(frozen=True)
class Term:
    name: str
    op: str
    value: str


def message(text: str) -> str:
    return f"Invalid value '{text}'. Values must match the following regular expression: '{PATTERN}'"


def parse(text: str) -> list[Term]:
    if not _PATTERN.fullmatch(text):
        raise FilterError(message(text))
    terms: dict[str, Term] = {}
    for part in text.split(","):
        m = _TERM.fullmatch(part)
        if not m:
            raise FilterError(message(text))
        terms.pop(m.group(1), None)  # the last value of a repeated parameter wins
        terms[m.group(1)] = Term(m.group(1), m.group(2), m.group(3))
    return list(terms.values())


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return left == right
    if op == "<>":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _integer(text: Any) -> int | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    if isinstance(text, str) and re.fullmatch(r"[+-]?[0-9]{1,19}", text.strip()):
        return int(text)
    return None


def _many(values: list[Any], op: str, right: Any) -> bool:
    if op == "<>":
        return all(v != right for v in values)
    return any(_compare(v, op, right) for v in values)


def holds(term: Term, param: dict[str, Any] | None) -> bool:
    """Whether one event parameter satisfies the term."""
    if not isinstance(param, dict):
        return False
    if isinstance(param.get("value"), str):
        return _compare(param["value"], term.op, term.value)
    if "intValue" in param:
        left, right = _integer(param["intValue"]), _integer(term.value)
        return left is not None and right is not None and _compare(left, term.op, right)
    if isinstance(param.get("boolValue"), bool):
        wanted = term.value.lower()
        if term.op not in ("==", "<>") or wanted not in ("true", "false"):
            return False
        return _compare(param["boolValue"], term.op, wanted == "true")
    if isinstance(param.get("multiValue"), list):
        return _many([v for v in param["multiValue"] if isinstance(v, str)], term.op, term.value)
    if isinstance(param.get("multiIntValue"), list):
        right = _integer(term.value)
        values = [v for v in (_integer(x) for x in param["multiIntValue"]) if v is not None]
        return right is not None and _many(values, term.op, right)
    return False


def matches(terms: list[Term], event: dict[str, Any]) -> bool:
    """Whether every term holds for this event's parameters."""
    params: dict[str, dict[str, Any]] = {}
    for param in event.get("parameters") or []:
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            params.setdefault(param["name"], param)
    return all(holds(term, params.get(term.name)) for term in terms)
