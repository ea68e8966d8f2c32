"""Zendesk audit logs (Support API, Enterprise plan), as https://{subdomain}.zendesk.com serves them.

Routes (--base-url is the emulator's root URL, standing for https://acme.zendesk.com):
  GET /api/v2/audit_logs[.json]         list: {"audit_logs": [...], "meta": {...}, "links": {...}}
  GET /api/v2/audit_logs/{id}[.json]    one: {"audit_log": {...}}; a non-integer id is a 400, an unknown one
                                        404 RecordNotFound
Other methods on these paths, and every other path under /api/v2/, get 404 InvalidEndpoint (Rails
routing answers before authentication). POST /api/v2/audit_logs/export (an asynchronous CSV export
by email) is not emulated.

Authentication (checked before parameters):
  Basic base64("{email}/token:{api_token}")  email admin@example.com (an admin; case-insensitive) and a
      --token value. agent@example.com with a valid token authenticates but is no admin: 403 Forbidden.
      Anything else (unknown email, no "/token" suffix, i.e. password auth, wrong token, bad base64) and
      no Authorization header: 401 {"error":"Couldn't authenticate you"}.
  Bearer {oauth_access_token}  a --token value (an admin's token); any other bearer value: 401
      {"error":"invalid_token","error_description":...} with WWW-Authenticate, as Zendesk's OAuth layer.

Parameters are read as Rails/Rack reads them: a repeated plain key keeps its last value; `name[]` keys
collect all their values, in order; unknown parameters are ignored. Type errors use the Zendesk
stronger_parameters body {"error":{"title":"Invalid attribute","message":"You passed an invalid value
for the X attribute. Invalid parameter: X must be ... from api/v2/audit_logs/index"}}.
  filter[created_at][]  exactly twice: the start, then the end, ISO 8601 (RFC 3339 with Z or an
      offset, optional fraction; a bare date is midnight UTC; no zone is UTC). Both ends inclusive
      (start <= created_at <= end). Once, three times, unparsable, or the plain key
      filter[created_at] (which Rack turns into one string): 400 Invalid attribute.
  filter[action], filter[source_type], filter[ip_address]  exact, case-sensitive match
  filter[actor_id], filter[source_id]  integers (actor_id -1 is the Zendesk system actor);
      filter[source_id] requires filter[source_type] (else 400)
  Every filter also takes several values as filter[name][]=a&filter[name][]=b (any of them), as the
  reference documents for multiple values. An empty value is no filter. Filters AND together.
Cursor pagination (when page[size], page[after] or page[before] is present; what auditfetch uses):
  page[size] 1..100 (else 400 InvalidPaginationParameter; not an integer: 400 Invalid attribute),
  default 100 when only a cursor is given. sort=-created_at (default, newest first) or created_at;
  anything else 400 {"error":"InvalidPaginationParameter","description":"sort is not valid"}.
  Order is (created_at, id), both descending for -created_at. meta.after_cursor / before_cursor are
  the cursors of the page's last / first record (null on an empty page); links.next / links.prev are
  absolute URLs with every request parameter (sorted and percent-encoded, as Rails' to_query) plus
  page[after] / page[before]; they are present whenever the page has records, so the LAST page too:
  stop on meta.has_more == false (what Zendesk documents). Cursors are keyset positions bound to sort
  and filters (page[size] may change): reused with other filters or sort, edited, or unparsable,
  400 "page[after] is not valid". Records added while paging appear on later pages only when they sort
  after the cursor (sort=created_at: newer ones do), else on the next query; never twice.
`sort` is read in cursor mode only, sort_by / sort_order in offset mode only ("Cursor pagination only",
"Offset pagination only" in the reference); the other mode's ordering parameters are ignored.
Offset pagination (no page[size]): page (default 1), per_page (default 100, clamped to 100),
  sort_by=created_at, sort_order=desc (default) or asc; {"audit_logs","next_page","previous_page",
  "count"}; a page starting past the first 10,000 records is a 400 InvalidPaginationParameter.
  Offsets shift when records are added (as the real thing does); only cursors are stable.

Rate limits: every answer of these routes carries X-Rate-Limit: 700 (Enterprise), X-Rate-Limit-Remaining
and ratelimit-limit/-remaining/-reset (seconds), counted per minute and never enforced (a new window
starts when one is used up). default_error(429), and so a status-429 fault, is Zendesk's own answer:
text/plain "Number of allowed API requests per minute exceeded", Retry-After: 1, remaining 0.

Bodies seen from the real service: the 401s, 403 Forbidden, 404 RecordNotFound / InvalidEndpoint, the
Invalid attribute shape, the 429 (text/plain, 50 bytes, retry-after and x-rate-limit-remaining: 0) and
InvalidPaginationParameter "sort is not valid". The descriptions of the other 400s (page[size] range,
created_at count, cursor, offset depth) are this emulator's wording in Zendesk's shapes.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from common import (ZENDESK_AGENT_EMAIL, ZENDESK_EMAIL, HttpError, Request, Response, dumps,
                    fingerprint, parse_time, reason, route)
from store import State

PROVIDER = "zendesk"
ID_FIELD = "id"  # the field emulator.check_records keeps unique
CONTENT_TYPE = "application/json; charset=utf-8"
MAX_PAGE_SIZE = 100
DEFAULT_PER_PAGE = 100
OFFSET_RECORD_LIMIT = 10_000  # offset pagination past the first 10,000 records is a 400 (since 2023/2024)
RATE_LIMIT = 700  # requests per minute, Enterprise plan (the plan audit logs need)
RATE_WINDOW_S = 60
ROLES = {ZENDESK_EMAIL.lower(): "admin", ZENDESK_AGENT_EMAIL.lower(): "agent"}
SORTS = ("-created_at", "created_at")
STRING_FILTERS = ("action", "source_type", "ip_address")
INTEGER_FILTERS = ("actor_id", "source_id")
RATE_LIMITED_TEXT = "Number of allowed API requests per minute exceeded"
FORBIDDEN_TEXT = ("You do not have access to this page. Please contact the account owner of this help desk "
                  "for further help.")
OAUTH_INVALID_TEXT = "The access token provided is expired, revoked, malformed or invalid for other reasons."
CURSOR_PARAMS = ("page[size]", "page[after]", "page[before]")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_RECORD_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


# --------------------------------------------------------------------------- rate limits


class _RateCounter:
    """Requests per one-minute window behind the X-Rate-Limit headers (not enforced)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window_end = 0.0
        self.used = 0

    def headers(self) -> list[tuple[str, str]]:
        with self.lock:
            now = time.time()
            if now >= self.window_end or self.used >= RATE_LIMIT:
                self.window_end, self.used = now + RATE_WINDOW_S, 0
            self.used += 1
            remaining = RATE_LIMIT - self.used
            reset = max(1, int(self.window_end - now + 0.999))
        return [("X-Rate-Limit", str(RATE_LIMIT)), ("X-Rate-Limit-Remaining", str(remaining)),
                ("ratelimit-limit", str(RATE_LIMIT)), ("ratelimit-remaining", str(remaining)),
                ("ratelimit-reset", str(reset))]


RATE = _RateCounter()


# --------------------------------------------------------------------------- errors


def error(status: int, name: str, description: str | None = None,
          headers: list[tuple[str, str]] | None = None) -> Response:
    """Zendesk's usual error body: {"error": NAME, "description": TEXT}."""
    body: dict[str, Any] = {"error": name}
    if description is not None:
        body["description"] = description
    return Response(status, dumps(body), [("Content-Type", CONTENT_TYPE)] + list(headers or []))


def couldnt_authenticate() -> Response:
    return error(401, "Couldn't authenticate you")


def invalid_token() -> Response:
    body = {"error": "invalid_token", "error_description": OAUTH_INVALID_TEXT}
    challenge = (f'Bearer realm="Zendesk::OAuth Bearer Token Authentication", error="invalid_token", '
                 f'error_description="{OAUTH_INVALID_TEXT}"')
    return Response(401, dumps(body), [("Content-Type", CONTENT_TYPE), ("WWW-Authenticate", challenge)])


def forbidden() -> Response:
    return error(403, "Forbidden", FORBIDDEN_TEXT)


def invalid_endpoint() -> Response:
    return error(404, "InvalidEndpoint", "Not found")


def rate_limited() -> Response:
    return Response(429, RATE_LIMITED_TEXT.encode(), [
        ("Content-Type", "text/plain"), ("Retry-After", "1"),
        ("X-Rate-Limit", str(RATE_LIMIT)), ("X-Rate-Limit-Remaining", "0"),
        ("ratelimit-limit", str(RATE_LIMIT)), ("ratelimit-remaining", "0"), ("ratelimit-reset", "1")])


def default_error(status: int) -> Response:
    """The body Zendesk sends for a status, used by status faults and unknown routes."""
    if status == 401:
        return couldnt_authenticate()
    if status == 403:
        return forbidden()
    if status == 404:
        return invalid_endpoint()
    if status == 429:
        return rate_limited()
    if status == 400:
        return error(400, "InvalidValue", "Invalid query parameters")
    return error(status, reason(status).replace(" ", ""), reason(status))


def invalid_attribute(param: str, requirement: str, action: str = "index") -> HttpError:
    """400 from Zendesk's parameter validation (stronger_parameters), e.g. a non-integer actor id."""
    message = (f"You passed an invalid value for the {param} attribute. Invalid parameter: {param} {requirement} "
               f"from api/v2/audit_logs/{action}")
    return HttpError(Response(400, dumps({"error": {"title": "Invalid attribute", "message": message}}),
                              [("Content-Type", CONTENT_TYPE)]))


def invalid_pagination(description: str) -> HttpError:
    return HttpError(error(400, "InvalidPaginationParameter", description))


# --------------------------------------------------------------------------- records


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict):
        raise ValueError("a Zendesk audit log must be an object")
    rid = rec.get("id")
    if isinstance(rid, bool) or not isinstance(rid, int) or rid <= 0:
        raise ValueError("a Zendesk audit log needs an integer 'id' > 0")
    created = rec.get("created_at")
    if not isinstance(created, str) or not _RECORD_TIME.fullmatch(created):
        raise ValueError("'created_at' must be ISO 8601 UTC with seconds, e.g. 2024-05-13T08:00:00Z")
    parse_time(created)
    if not isinstance(rec.get("action"), str) or not rec["action"]:
        raise ValueError("a Zendesk audit log needs a string 'action'")
    for key in INTEGER_FILTERS:
        if rec.get(key) is not None and (isinstance(rec[key], bool) or not isinstance(rec[key], int)):
            raise ValueError(f"'{key}' must be an integer or null")
    for key in ("source_type", "ip_address", "actor_name", "source_label", "change_description", "action_label"):
        if rec.get(key) is not None and not isinstance(rec[key], str):
            raise ValueError(f"'{key}' must be a string or null")


class Snapshot:
    """Every record, ascending by (created_at, id)."""

    def __init__(self, records: list[dict[str, Any]]):
        items = sorted(((parse_time(r["created_at"]), r["id"]), r) for r in records) if records else []
        self.keys: list[tuple[int, int]] = [k for k, _ in items]
        self.records = [r for _, r in items]
        self.by_id = {r["id"]: r for r in self.records}


def snapshot(state: State) -> Snapshot:
    return state.cached(("snapshot",), Snapshot, PROVIDER)


def render(rec: dict[str, Any], req: Request) -> dict[str, Any]:
    """The record with its url on this server (as Zendesk's point at the account's own host)."""
    return {**rec, "url": f"{req.base_url()}/api/v2/audit_logs/{rec['id']}.json"}


# --------------------------------------------------------------------------- authentication


def authenticate(req: Request, state: State) -> None:
    value = (req.header("Authorization") or "").strip()
    scheme, _, credentials = value.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        if not credentials or " " in credentials or state.token_status(credentials, PROVIDER) != "ok":
            raise HttpError(invalid_token())
        return
    if scheme.lower() != "basic" or not credentials:
        raise HttpError(couldnt_authenticate())
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise HttpError(couldnt_authenticate())
    user, sep, secret = decoded.partition(":")
    email, token_suffix = user[:-6], user[-6:]
    if not sep or token_suffix != "/token" or secret not in state.config.tokens:
        raise HttpError(couldnt_authenticate())  # also password authentication, which is turned off
    role = ROLES.get(email.lower())
    if role is None:
        raise HttpError(couldnt_authenticate())
    if role != "admin":
        raise HttpError(forbidden())


# --------------------------------------------------------------------------- parameters


def _last(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _integer(text: str, param: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise invalid_attribute(param, "must be an integer")
    return int(text)


def filter_time(text: str) -> int:
    """ISO 8601 → ns: RFC 3339, or a bare date (midnight UTC), or no zone (UTC); raises ValueError."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00Z"
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?", text):
        text += "Z"
    return parse_time(text)


class Filters:
    """The filter[...] parameters of a request, validated."""

    def __init__(self, params: dict[str, list[str]]):
        if "filter" in params:
            raise invalid_attribute("filter", "must be a hash")
        self.created: tuple[int, int] | None = None
        if "filter[created_at]" in params:
            raise invalid_attribute("filter.created_at", "must be an array")
        bounds = params.get("filter[created_at][]")
        if bounds is not None:
            requirement = "must be an array of two ISO 8601 times, the start and then the end"
            if len(bounds) != 2:
                raise invalid_attribute("filter.created_at", requirement)
            try:
                self.created = (filter_time(bounds[0]), filter_time(bounds[1]))
            except ValueError:
                raise invalid_attribute("filter.created_at", requirement)
        chosen: dict[str, frozenset[Any]] = {}
        for name in STRING_FILTERS + INTEGER_FILTERS:
            values = self._values(params, name)
            if not values:
                continue
            if name in INTEGER_FILTERS:
                chosen[name] = frozenset(_integer(v, f"filter.{name}") for v in values)
            else:
                chosen[name] = frozenset(values)
        if "source_id" in chosen and "source_type" not in chosen:
            raise invalid_attribute("filter.source_id", "requires filter.source_type to also be set")
        self.values = chosen
        self.key = (self.created, tuple(sorted((k, tuple(sorted(v))) for k, v in chosen.items())))

    @staticmethod
    def _values(params: dict[str, list[str]], name: str) -> list[str]:
        scalar, array = params.get(f"filter[{name}]"), params.get(f"filter[{name}][]")
        if scalar is not None and array is not None:
            raise invalid_attribute(f"filter.{name}", "must be a string or an array of strings, not both")
        values = array if array is not None else ([scalar[-1]] if scalar else [])
        return [v for v in values if v != ""]

    def matches(self, rec: dict[str, Any], ts: int) -> bool:
        if self.created is not None and not self.created[0] <= ts <= self.created[1]:
            return False
        return all(rec.get(name) in accepted for name, accepted in self.values.items())


class Selection:
    """The records a filter selects, ascending and descending by (created_at, id). desc_keys holds the
    negated keys, so that both listing orders are ascending sequences for bisect."""

    def __init__(self, snap: Snapshot, filters: Filters):
        keys: list[tuple[int, int]] = []
        records: list[dict[str, Any]] = []
        for key, rec in zip(snap.keys, snap.records):
            if filters.matches(rec, key[0]):
                keys.append(key)
                records.append(rec)
        self.asc_keys, self.asc_records = keys, records
        self.desc_keys = [(-t, -i) for t, i in reversed(keys)]
        self.desc_records = records[::-1]


# --------------------------------------------------------------------------- cursors


def encode_cursor(key: tuple[int, int], sort: str, bound: str) -> str:
    """Base64 of a small JSON document, as Zendesk's cursors are: the sort, the position (created_at in
    ns, id) and a digest binding both to the query."""
    payload = {"o": sort, "v": [key[0], key[1]], "f": fingerprint(bound, key[0], key[1])}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode("ascii")


def decode_cursor(text: str, sort: str, bound: str) -> tuple[int, int]:
    """Raises ValueError for anything but a cursor issued for this sort and these filters."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", text):
        raise ValueError("not base64")
    try:
        payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("does not decode") from exc
    if not isinstance(payload, dict) or payload.get("o") != sort:
        raise ValueError("another sort")
    position = payload.get("v")
    if not (isinstance(position, list) and len(position) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in position)):
        raise ValueError("bad position")
    if payload.get("f") != fingerprint(bound, position[0], position[1]):
        raise ValueError("another query")
    return position[0], position[1]


def page_url(req: Request, drop: tuple[str, ...], add: list[tuple[str, str]]) -> str:
    """The request's parameters without `drop`, plus `add`, sorted by name (repeated names keep their
    order) and percent-encoded, brackets included, as Rails' to_query builds Zendesk's links."""
    pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True) if k not in drop] + add
    pairs.sort(key=lambda kv: kv[0])
    return f"{req.base_url()}{req.path}?{urlencode(pairs)}"


# --------------------------------------------------------------------------- handlers


def with_rate_headers(handler: Any) -> Any:
    def wrapped(req: Request, state: State, **kwargs: str) -> Response:
        rate = RATE.headers()
        try:
            response = handler(req, state, **kwargs)
        except HttpError as exc:
            response = exc.response
        for name, value in rate:
            if response.header(name) is None:
                response.headers.append((name, value))
        return response
    return wrapped


def json_ok(body: Any) -> Response:
    return Response(200, dumps(body), [("Content-Type", CONTENT_TYPE)])


def list_audit_logs(req: Request, state: State) -> Response:
    if req.method != "GET":
        return invalid_endpoint()
    authenticate(req, state)
    params = req.params
    cursor_mode = any(name in params for name in CURSOR_PARAMS)
    if cursor_mode and "page" in params:
        raise invalid_attribute("page", "must be a hash")
    filters = Filters(params)
    sel: Selection = state.cached(  # built under the state lock, from the snapshot of the same data version
        ("selection", filters.key), lambda _: Selection(snapshot(state), filters), PROVIDER)
    if cursor_mode:
        return cursor_page(req, params, filters, sel)
    return offset_page(req, params, sel)


def cursor_page(req: Request, params: dict[str, list[str]], filters: Filters, sel: Selection) -> Response:
    size_text = _last(params, "page[size]")
    size = MAX_PAGE_SIZE if size_text is None else _integer(size_text, "page.size")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid_pagination(f"page[size] must be between 1 and {MAX_PAGE_SIZE}")
    sort = _last(params, "sort") or "-created_at"
    if sort not in SORTS:
        raise invalid_pagination("sort is not valid")
    after, before = _last(params, "page[after]"), _last(params, "page[before]")
    if after is not None and before is not None:
        raise invalid_pagination("page[after] and page[before] cannot be used together")
    bound = fingerprint(PROVIDER, sort, filters.key)
    ascending = sort == "created_at"
    keys, records = (sel.asc_keys, sel.asc_records) if ascending else (sel.desc_keys, sel.desc_records)

    def listing_key(raw: tuple[int, int]) -> tuple[int, int]:
        return raw if ascending else (-raw[0], -raw[1])

    n = len(keys)
    if after is not None or before is not None:
        name, text = ("page[after]", after) if after is not None else ("page[before]", before)
        try:
            position = listing_key(decode_cursor(text or "", sort, bound))
        except ValueError:
            raise invalid_pagination(f"{name} is not valid")
    if after is not None:
        start = bisect.bisect_right(keys, position)
        end = min(start + size, n)
        has_more = end < n
    elif before is not None:
        end = bisect.bisect_left(keys, position)
        start = max(0, end - size)
        has_more = start > 0
    else:
        start, end = 0, min(size, n)
        has_more = end < n

    page = records[start:end]
    after_cursor = before_cursor = None
    links: dict[str, str | None] = {"prev": None, "next": None}
    if page:
        after_cursor = encode_cursor(listing_key(keys[end - 1]), sort, bound)
        before_cursor = encode_cursor(listing_key(keys[start]), sort, bound)
        links["prev"] = page_url(req, ("page[after]", "page[before]"), [("page[before]", before_cursor)])
        links["next"] = page_url(req, ("page[after]", "page[before]"), [("page[after]", after_cursor)])
    return json_ok({"audit_logs": [render(r, req) for r in page],
                    "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
                    "links": links})


def offset_page(req: Request, params: dict[str, list[str]], sel: Selection) -> Response:
    page_text, per_page_text = _last(params, "page"), _last(params, "per_page")
    page = 1 if page_text is None else max(_integer(page_text, "page"), 1)
    per_page = DEFAULT_PER_PAGE if per_page_text is None else _integer(per_page_text, "per_page")
    per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PAGE_SIZE)
    sort_by = _last(params, "sort_by") or "created_at"
    if sort_by != "created_at":
        raise invalid_pagination("sort_by is not valid")
    sort_order = _last(params, "sort_order") or "desc"
    if sort_order not in ("asc", "desc"):
        raise invalid_pagination("sort_order is not valid")
    offset = (page - 1) * per_page
    if offset >= OFFSET_RECORD_LIMIT:
        raise invalid_pagination(f"Offset pagination is limited to the first {OFFSET_RECORD_LIMIT:,} records; "
                                 "use cursor pagination (page[size]) instead")
    records = sel.asc_records if sort_order == "asc" else sel.desc_records
    n = len(records)
    next_page = (page_url(req, ("page",), [("page", str(page + 1))])
                 if offset + per_page < n and offset + per_page < OFFSET_RECORD_LIMIT else None)
    previous_page = page_url(req, ("page",), [("page", str(page - 1))]) if page > 1 else None
    return json_ok({"audit_logs": [render(r, req) for r in records[offset:offset + per_page]],
                    "next_page": next_page, "previous_page": previous_page, "count": n})


def show_audit_log(req: Request, state: State, log_id: str) -> Response:
    if req.method != "GET":
        return invalid_endpoint()
    authenticate(req, state)
    if log_id.endswith(".json"):
        log_id = log_id[:-5]
    if not re.fullmatch(r"[0-9]{1,18}", log_id):
        raise invalid_attribute("id", "must be an integer", action="show")
    rec = snapshot(state).by_id.get(int(log_id))
    if rec is None:
        return error(404, "RecordNotFound", "Not found")
    return json_ok({"audit_log": render(rec, req)})


METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
ROUTES = [
    route(METHODS, r"^/api/v2/audit_logs(?:\.json)?$", with_rate_headers(list_audit_logs), is_list=True),
    route(METHODS, r"^/api/v2/audit_logs/(?P<log_id>[^/]+)$", with_rate_headers(show_audit_log)),
]
PREFIXES = ("/api/v2/",)  # after Auth0's /api/v2/logs and /api/v2/users
