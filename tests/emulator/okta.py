"""Okta System Log: GET /api/v1/logs (LogEvent objects), polling and bounded requests.

Authentication: `Authorization: SSWS <token>` with a --token value; anything else (a Bearer
header, a wrong token, no header) is Okta's 401 E0000011.

Two request modes, as Okta documents them:
  polling   `until` absent or empty and sortOrder ASCENDING (the default). Events come in
            persistence order: the order they were stored (the fixture file's order, then
            records appended through the control API). `since` (default: 7 days before now)
            compares with the persistence time, here the newest `published` among the record
            and every record stored before it, so an event stored late with an old
            `published` is still found. Every response has a next link; on an empty page it
            equals the self link.
  bounded   anything else (`until` given, or sortOrder DESCENDING). Events with
            since <= published < until (since defaults to until minus 7 days, until to now),
            ordered by (published, persistence order), ascending or descending (DESCENDING
            reverses both). The last page has no next link.
`after` is an opaque token found only in next links; it is bound to the query's filter, q,
sortOrder, until and mode, and excludes `since` (400). Next links keep the request's other
parameters, drop `since`, and set `after`.
"""

from __future__ import annotations

import bisect
import re
import secrets
import string
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

import okta_filter
from common import (HttpError, Request, Response, decode_cursor, encode_cursor, fingerprint, json_response,
                    parse_time, query_string, route, single)
from store import State

PROVIDER = "okta"
ID_FIELD = "uuid"  # the field emulator.check_records keeps unique
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
RATE_LIMIT = 120  # /api/v1/logs requests per window (Workforce Identity orgs: 120 per minute)
DEFAULT_SPAN_NS = 7 * 86400 * 1_000_000_000  # since defaults to 7 days before until (or now)
MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 40
PARAMS = ("since", "until", "after", "filter", "q", "limit", "sortOrder")
_ALNUM = string.ascii_letters + string.digits

SUMMARIES = {
    400: ("E0000001", "Api validation failed"),
    401: ("E0000011", "Invalid token provided"),
    403: ("E0000006", "You do not have permission to perform the requested action"),
    404: ("E0000007", "Not found: Resource not found"),
    405: ("E0000022", "The endpoint does not support the provided HTTP method"),
    429: ("E0000047", "API call exceeded rate limit due to too many requests."),
    500: ("E0000009", "Internal Server Error"),
    501: ("E0000052", "Endpoint not implemented."),
}


# --------------------------------------------------------------------------- errors and headers


def _okta_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(25 - len(prefix)))


class _RateCounter:
    """Requests per one-second window behind the X-Rate-Limit-* headers (not enforced). Okta's
    windows are a minute long; one second keeps a client that waits for X-Rate-Limit-Reset fast."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window = 0
        self.count = 0

    def headers(self) -> list[tuple[str, str]]:
        with self.lock:
            window = int(time.time())
            if window != self.window:
                self.window, self.count = window, 0
            self.count += 1
            remaining = max(0, RATE_LIMIT - self.count)
        return [("X-Rate-Limit-Limit", str(RATE_LIMIT)), ("X-Rate-Limit-Remaining", str(remaining)),
                ("X-Rate-Limit-Reset", str(window + 1))]


RATE = _RateCounter()


def error(status: int, code: str, summary: str, causes: list[str] | None = None,
          headers: list[tuple[str, str]] | None = None) -> Response:
    body = {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": _okta_id("oae"),
            "errorCauses": [{"errorSummary": c} for c in causes or []]}
    return json_response(status, body, "application/json",
                         [("X-Okta-Request-Id", _okta_id("req"))] + list(headers or []))


def rate_limited() -> Response:
    reset = int(time.time()) + 2  # one to two seconds ahead
    return error(429, *SUMMARIES[429], headers=[
        ("X-Rate-Limit-Limit", str(RATE_LIMIT)), ("X-Rate-Limit-Remaining", "0"), ("X-Rate-Limit-Reset", str(reset))])


def default_error(status: int) -> Response:
    """The body Okta sends for a status, used by status faults and unknown routes."""
    if status == 429:
        return rate_limited()
    code, summary = SUMMARIES.get(status, ("E0000009", "Internal Server Error"))
    return error(status, code, summary)


def invalid(field: str, *messages: str) -> HttpError:
    """400 E0000001 in the shape of Okta's own example (one cause per message)."""
    summary = "Api validation failed: " + ". ".join(f"'{field}': {m}" for m in messages)
    return HttpError(error(400, "E0000001", summary, [f"{field}: {m}" for m in messages]))


def bad_cursor() -> HttpError:
    return HttpError(error(400, "E0000029", "Invalid paging request. Ensure the pagination cursor has not been altered",
                           ["after: The after cursor is invalid or does not belong to this query."]))


# --------------------------------------------------------------------------- records


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("uuid"), str) or not rec["uuid"]:
        raise ValueError("an Okta LogEvent needs a string 'uuid'")
    if not isinstance(rec.get("eventType"), str) or not rec["eventType"]:
        raise ValueError("an Okta LogEvent needs a string 'eventType'")
    parse_time(rec.get("published", ""))


class Snapshot:
    """seq = persistence order (the store's order). persisted[seq] is the running maximum of
    published, so it never decreases; by_time holds (published, seq) ascending."""

    def __init__(self, records: list[dict[str, Any]]):
        self.records = records
        self.published = [parse_time(r["published"]) for r in records]
        self.persisted: list[int] = []
        newest = None
        for ts in self.published:
            newest = ts if newest is None or ts > newest else newest
            self.persisted.append(newest)
        self.by_time = sorted((ts, seq) for seq, ts in enumerate(self.published))
        self._keywords: dict[int, frozenset[str]] = {}

    def keywords(self, seq: int) -> frozenset[str]:
        words = self._keywords.get(seq)
        if words is None:
            words = self._keywords[seq] = frozenset(_keywords_of(self.records[seq]))
        return words


def snapshot(state: State) -> Snapshot:
    return state.cached(("snapshot",), Snapshot, PROVIDER)


_SPLIT = re.compile(r"[\s/:,;?&=()<>\"'\[\]{}|\\]+")


def _keywords_of(obj: Any) -> set[str]:
    """Lower-cased candidates for q: each value, its words, and the parts of hyphenated words."""
    out: set[str] = set()
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            text = str(item).lower()
            out.add(text)
            for word in _SPLIT.split(text):
                if word:
                    out.add(word)
                    if "-" in word:
                        out.update(p for p in word.split("-") if p)
    return out


# --------------------------------------------------------------------------- request parsing


def _authorized(req: Request, state: State) -> bool:
    value = (req.header("Authorization") or "").strip()
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return scheme.lower() == "ssws" and bool(token) and token in state.config.tokens


def _time(name: str, text: str | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise invalid(name, "The date format in your query is not recognized. Please enter dates using ISO8601 string format.",
                      "must be a valid date-time or empty.")


def _limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise invalid("limit", "must be a valid integer.")
    if not 0 <= int(text) <= MAX_LIMIT:
        raise invalid("limit", f"must be between 0 and {MAX_LIMIT}.")
    return int(text)


def _keywords(text: str | None) -> list[str]:
    words = (text or "").split()
    if any(len(w) > MAX_KEYWORD_LENGTH for w in words):
        raise invalid("q", "Freeform search cannot contain items longer than 40 characters. Please shorten the items "
                           "in your search or use an advanced filter to query by specific fields.")
    if len(words) > MAX_KEYWORDS:
        raise invalid("q", "Freeform search cannot contain more than 10 items. Please remove items from your search "
                           "or use an advanced filter to query by specific fields.")
    return [w.lower() for w in words]


def _params(req: Request) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for name in PARAMS:
        try:
            params[name] = single(req.params, name)
        except ValueError:
            raise invalid(name, "must be given at most once.")
    return params


# --------------------------------------------------------------------------- list


def list_logs(req: Request, state: State) -> Response:
    rate = RATE.headers()
    try:
        response = _list_logs(req, state)
    except HttpError as exc:
        response = exc.response
    for name, value in rate:
        if response.header(name) is None:
            response.headers.append((name, value))
    return response


def _list_logs(req: Request, state: State) -> Response:
    if not _authorized(req, state):
        return default_error(401)
    p = _params(req)
    limit = _limit(p["limit"])
    order = p["sortOrder"] or "ASCENDING"
    if order not in ("ASCENDING", "DESCENDING"):
        raise invalid("sortOrder", "must be one of ASCENDING, DESCENDING.")
    since, until = _time("since", p["since"]), _time("until", p["until"])
    after = p["after"] or None
    if after is not None and since is not None:
        raise invalid("after", "The since and after parameters can't be used together.")
    keywords = _keywords(p["q"])
    node = None
    if p["filter"]:
        try:
            node = okta_filter.parse(p["filter"])
        except okta_filter.FilterError as exc:
            raise HttpError(error(400, exc.code, exc.summary))
    polling = until is None and order == "ASCENDING"
    mode = "p" if polling else "b"
    bound = fingerprint(PROVIDER, mode, p["filter"] or "", " ".join(keywords), order, p["until"] or "")
    now = state.now_ns()

    snap = snapshot(state)
    if after is not None:
        try:
            token = decode_cursor(after, ("m", "f"))
            if token["m"] != mode or token["f"] != bound:
                raise ValueError("the token belongs to another query")
        except ValueError:
            raise bad_cursor()

    def wanted(seq: int) -> bool:
        if node is not None and not okta_filter.matches(node, snap.records[seq]):
            return False
        return not keywords or all(k in snap.keywords(seq) for k in keywords)

    picked: list[int] = []
    if polling:
        if after is not None:
            position = token.get("p")
            if not isinstance(position, int) or isinstance(position, bool) or position < -1:
                raise bad_cursor()
            start = position + 1
        else:
            lower = since if since is not None else now - DEFAULT_SPAN_NS
            start = bisect.bisect_left(snap.persisted, lower)
        seq = start
        while seq < len(snap.records) and len(picked) < limit:
            if wanted(seq):
                picked.append(seq)
            seq += 1
        more = True  # a polling request always has a next link
        next_token = None
        if picked:
            next_token = encode_cursor({"m": mode, "f": bound, "p": picked[-1]})
    else:
        if after is not None:
            low, high, key = token.get("s"), token.get("u"), token.get("k")
            if not (_is_int(low) and _is_int(high) and isinstance(key, list) and len(key) == 2
                    and all(_is_int(x) for x in key)):
                raise bad_cursor()
        else:
            high = until if until is not None else now
            low = since if since is not None else high - DEFAULT_SPAN_NS
            if low > high:
                raise invalid("since", "must be before until.")
            key = None
        keys = snap.by_time
        if order == "ASCENDING":
            i = bisect.bisect_left(keys, (low, -1)) if key is None else bisect.bisect_right(keys, (key[0], key[1]))
            step, in_range = 1, (lambda ts: ts < high)
        else:
            i = (bisect.bisect_left(keys, (high, -1)) if key is None else bisect.bisect_left(keys, (key[0], key[1]))) - 1
            step, in_range = -1, (lambda ts: ts >= low)
        found: list[int] = []
        while 0 <= i < len(keys) and in_range(keys[i][0]) and len(found) <= limit:
            if keys[i][0] >= low and keys[i][0] < high and wanted(keys[i][1]):
                found.append(keys[i][1])
            i += step
        more = len(found) > limit
        picked = found[:limit]
        next_token = None
        if more:
            if picked:
                last = (snap.published[picked[-1]], picked[-1])
            else:  # limit=0: the page is empty and the position stays where it was
                last = tuple(key) if key is not None else ((low, -1) if order == "ASCENDING" else (high, -1))
            next_token = encode_cursor({"m": mode, "f": bound, "s": low, "u": high, "k": list(last)})

    links = [("Link", f'<{req.url()}>; rel="self"')]
    if more:
        if next_token is None:  # an empty polling page: poll the same position again
            links.append(("Link", f'<{req.url()}>; rel="next"'))
        else:
            pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True) if k not in ("since", "after")]
            links.append(("Link", f'<{req.base_url()}{req.path}?{query_string(pairs + [("after", next_token)])}>; rel="next"'))
    return json_response(200, [snap.records[s] for s in picked], "application/json",
                         links + [("X-Okta-Request-Id", _okta_id("req"))])


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


ROUTES = [route("GET", r"^/api/v1/logs$", list_logs, is_list=True)]
PREFIXES = ("/api/v1/",)
