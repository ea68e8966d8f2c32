"""GitHub audit-log search phrases (the `phrase` parameter): a parser and a matcher.

Grammar (the subset the audit-log search documents):
    phrase := term ((" " | " AND " | " OR ") term)*       (whitespace-separated; AND/OR in capitals)
    term   := ["-"] key ":" value                          ("-" negates)
    value  := bare | '"' text '"'                          (quotes for values with spaces)

Keys: actor, actor_id, user, user_id, action, repo, repo_id, org, org_id, business, business_id,
actor_ip, country, created, from, note, oauth_app_id, operation, hashed_token. Anything else,
bare words (full-text search is not supported), empty values, unterminated quotes and dangling
AND/OR are errors (PhraseError; the API answers 422).

Semantics (documented choice where GitHub's docs are silent):
  - OR binds loosest: `a b OR c` is (a AND b) OR c.
  - Within one AND-group, repeated positive terms with the same key are alternatives (OR), as in
    GitHub search: `action:repo.create action:repo.destroy` matches either action. `created`
    terms are the exception: they all apply (AND), so `created:>=A created:<B` is a window.
    Negated terms each exclude.
  - Strings compare case-insensitively; `action:team` matches the category (team and team.*),
    `action:team.create` only that action. `country` takes a two-letter code or an English name.
  - *_id keys take decimal integers.
  - created takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS with Z or ±HH:MM (no offset: UTC; no
    fractional seconds), alone (=), after >=, >, <=, <, or as a range A..B (either end may be *).
    A value stands for its whole granule, a day or a second, as a search engine rounds missing
    components: >= its start, > after its end, < before its start, <= up to its end, = within it,
    A..B from A's start to B's end.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

STRING_KEYS = {
    "actor": ("actor",), "user": ("user",), "action": ("action",), "repo": ("repo",), "org": ("org",),
    "business": ("business",), "actor_ip": ("actor_ip",), "from": ("from",), "note": ("note",),
    "operation": ("operation_type",), "hashed_token": ("hashed_token",),
}
ID_KEYS = {"actor_id": "actor_id", "user_id": "user_id", "repo_id": "repo_id", "org_id": "org_id",
           "business_id": "business_id", "oauth_app_id": "oauth_application_id"}
KEYS = tuple(sorted([*STRING_KEYS, *ID_KEYS, "country", "created"]))

COUNTRIES = {
    "us": "united states", "de": "germany", "jp": "japan", "br": "brazil", "in": "india", "gb": "united kingdom",
    "fr": "france", "ca": "canada", "mx": "mexico", "nl": "netherlands", "au": "australia", "kr": "south korea",
    "cn": "china", "es": "spain", "it": "italy", "ie": "ireland", "se": "sweden", "sg": "singapore",
}

DAY_MS = 86_400_000
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})?$")
_KEY = re.compile(r"^[a-z_]+$")


class PhraseError(ValueError):
    """The phrase cannot be parsed; the message says why."""


@dataclass(frozen=True)
class Term:
    key: str
    negated: bool
    value: Any  # str (lower-cased) for strings, int for ids, (lo, hi) ms bounds for created


@dataclass
class Phrase:
    groups: list[list[Term]] = field(default_factory=list)  # OR of AND-groups; empty: everything

    @property
    def has_created(self) -> bool:
        return any(t.key == "created" for g in self.groups for t in g)


# --------------------------------------------------------------------------- times


def _granule(text: str) -> tuple[int, int]:
    """[start, end) in epoch ms of a date (a day) or a date-time (a second)."""
    m = _DATE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            dt.date(y, mo, d)
        except ValueError:
            raise PhraseError(f"'{text}' is not a valid date") from None
        start = calendar.timegm((y, mo, d, 0, 0, 0)) * 1000
        return start, start + DAY_MS
    m = _DATETIME.match(text)
    if not m:
        if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+", text):
            raise PhraseError(f"'{text}': fractional seconds are not supported in created")
        raise PhraseError(f"'{text}' is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SS+00:00)")
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    try:
        dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        raise PhraseError(f"'{text}' is not a valid date-time") from None
    zone = m.group(7) or "Z"
    offset = 0
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            raise PhraseError(f"'{text}' has an invalid UTC offset")
        offset = (1 if zone[0] == "+" else -1) * (zh * 3600 + zm * 60)
    start = (calendar.timegm((y, mo, d, h, mi, s)) - offset) * 1000
    return start, start + 1000


def parse_created(value: str) -> tuple[int | None, int | None]:
    """created's value → [lo, hi) bounds in epoch ms (None: unbounded)."""
    if ".." in value:
        left, _, right = value.partition("..")
        if not left or not right or ".." in right:
            raise PhraseError(f"created:{value} is not a valid range (A..B, either end may be *)")
        lo = None if left == "*" else _granule(left)[0]
        hi = None if right == "*" else _granule(right)[1]
        return lo, hi
    for op in (">=", "<=", ">", "<"):
        if value.startswith(op):
            start, end = _granule(value[len(op):])
            return {">=": (start, None), ">": (end, None), "<": (None, start), "<=": (None, end)}[op]
    start, end = _granule(value)
    return start, end


# --------------------------------------------------------------------------- parsing


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens; double quotes group spaces and are kept in the token."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(ch)
    if quoted:
        raise PhraseError("unterminated quote")
    if current:
        tokens.append("".join(current))
    return tokens


def _term(token: str) -> Term:
    negated = token.startswith("-")
    body = token[1:] if negated else token
    key, colon, value = body.partition(":")
    if not colon:
        raise PhraseError(f"'{token}' is not a key:value qualifier (full-text search is not supported)")
    if '"' in key or not _KEY.match(key):
        raise PhraseError(f"'{token}' is not a key:value qualifier")
    if key not in KEYS:
        raise PhraseError(f"'{key}' is not a supported qualifier; use one of {', '.join(KEYS)}")
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"') or '"' in value[1:-1]:
            raise PhraseError(f"'{token}': a quoted value must be quoted as a whole")
        value = value[1:-1]
    elif '"' in value:
        raise PhraseError(f"'{token}': a quoted value must be quoted as a whole")
    if not value.strip():
        raise PhraseError(f"'{token}' has an empty value")
    if key == "created":
        return Term(key, negated, parse_created(value))
    if key in ID_KEYS:
        if not re.fullmatch(r"[0-9]{1,19}", value):
            raise PhraseError(f"'{token}': {key} takes a numeric id")
        return Term(key, negated, int(value))
    return Term(key, negated, value.lower())


def parse(text: str) -> Phrase:
    """Parses a phrase; raises PhraseError."""
    groups: list[list[Term]] = [[]]
    expect_term = True
    for token in _tokens(text):
        if token in ("AND", "OR"):
            if expect_term:
                raise PhraseError(f"'{token}' must stand between two qualifiers")
            if token == "OR":
                groups.append([])
            expect_term = True
            continue
        groups[-1].append(_term(token))
        expect_term = False
    if expect_term and (len(groups) > 1 or groups[0]):
        raise PhraseError("the phrase ends with AND or OR")
    return Phrase([g for g in groups if g])


# --------------------------------------------------------------------------- matching


def _string_matches(key: str, want: str, rec: dict[str, Any]) -> bool:
    if key == "country":
        loc = rec.get("actor_location")
        code = loc.get("country_code") if isinstance(loc, dict) else None
        if not isinstance(code, str):
            return False
        code = code.lower()
        return want == code or want == COUNTRIES.get(code)
    for name in STRING_KEYS[key]:
        have = rec.get(name)
        if not isinstance(have, str):
            continue
        have = have.lower()
        if have == want or (key == "action" and "." not in want and have.startswith(want + ".")):
            return True
    return False


def term_matches(term: Term, rec: dict[str, Any], ts_ms: int) -> bool:
    if term.key == "created":
        lo, hi = term.value
        return (lo is None or ts_ms >= lo) and (hi is None or ts_ms < hi)
    if term.key in ID_KEYS:
        have = rec.get(ID_KEYS[term.key])
        return isinstance(have, int) and not isinstance(have, bool) and have == term.value
    return _string_matches(term.key, term.value, rec)


def _group_matches(group: list[Term], rec: dict[str, Any], ts_ms: int) -> bool:
    alternatives: dict[str, bool] = {}
    for term in group:
        hit = term_matches(term, rec, ts_ms)
        if term.negated:
            if hit:
                return False
        elif term.key == "created":
            if not hit:
                return False
        else:
            alternatives[term.key] = alternatives.get(term.key, False) or hit
    return all(alternatives.values())


def matches(phrase: Phrase, rec: dict[str, Any], ts_ms: int) -> bool:
    if not phrase.groups:
        return True
    return any(_group_matches(g, rec, ts_ms) for g in phrase.groups)
