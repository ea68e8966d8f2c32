"""Duo Admin API logs: the authentication log (v2) and the administrator log (v1), on the API host
(https://api-XXXXXXXX.duosecurity.com; the emulator serves both at its root).

Two provider names share this module: "duo-auth" (GET /admin/v2/logs/authentication) and
"duo-admin" (GET /admin/v1/logs/administrator). AUTH and ADMIN are the module-like objects
registered for them in emulator.py; every route lives on AUTH.

Every request is signed as Duo documents it (Admin API "Authentication"; duo_client_python's
canonicalize): `Authorization: Basic base64(ikey:hex HMAC)` over the newline-joined canonical
request, with the same `Date` (or `X-Duo-Date`) header, RFC 2822, within CLOCK_SKEW_S of the wall
clock. Canonicalization v2 is the Date value, the upper-case method, the lower-case Host header as
sent (with its port when it has one), the path, and the parameters sorted by name then value, each
name and value percent-encoded with only A-Z a-z 0-9 - _ . ~ left as is, joined by '&'. HMAC-SHA1
(40 hex digits) and HMAC-SHA512 (128) are accepted; a SHA-512 signature may also use
canonicalization v4/v5 (v2 plus the SHA-512 of the empty body, and for v5 of the X-Duo-* headers),
which the official clients send by default. The only credentials are DUO_IKEY / DUO_SKEY; static
--token values are not accepted here.

Authentication log v2: mintime and maxtime required, 13-digit epoch milliseconds, both inclusive,
mintime < maxtime, mintime within the past 180 days (of the emulator's clock, --now); records newer
than now - 2 minutes are withheld (Duo's intentional delay). limit 1..1000 (default 100), sort
ts:desc (default) or ts:asc, filters users, groups, applications, results, reasons, factors,
event_types, assessment, detections (each repeatable; values of one filter are OR-ed, filters are
AND-ed). Pages are keyset positions: metadata.next_offset is ["<ms>", "<txid>"] of the last record
served (null on the last page), sent back as next_offset=<ms>,<txid> (or as the two values
repeated, as duo_client_python does); it must name a record this query returns, else a 400.

Administrator log v1: mintime (epoch seconds, inclusive, optional); the oldest records first, at
most ADMIN_PAGE of them (1000, or --duo-admin-page N), extended past the cap so that one second is
never split (the records of the last second served all come in the same response), so a client can
ask again with mintime = last timestamp + 1, as the reference advises. No maxtime, no cursor.

Errors: {"code": NNNNN, "message": "...", "stat": "FAIL"} (plus "message_detail" on 400s), with the
HTTP status in the code's first three digits. Duo sends no rate-limit headers: a 429 is
{"code": 42901, "message": "Too Many Requests", "stat": "FAIL"} without Retry-After.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import email.utils
import hashlib
import hmac
import re
import time
from typing import Any, Iterable
from urllib.parse import quote

from common import DUO_IKEY, DUO_SKEY, HttpError, Request, Response, dumps, reason, route
from store import State

AUTH_PATH = "/admin/v2/logs/authentication"
ADMIN_PATH = "/admin/v1/logs/administrator"
CONTENT_TYPE = "application/json"
CLOCK_SKEW_S = 300  # a Date further than this from the wall clock is 40105
WITHHELD_MS = 120_000  # authentication records newer than now - 2 minutes are not served yet
RETENTION_MS = 180 * 86_400_000  # mintime must be within the past 180 days
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
ADMIN_PAGE = 1000  # the administrator log's cap; emulator.py sets it from --duo-admin-page
RESULTS = ("success", "denied", "fraud", "error")
EVENT_TYPES = ("authentication", "enrollment")
# Group keys of the fixtures' groups (user.groups holds names; the groups filter takes keys).
GROUPS = {"DGENG7Q2W9E4R1T6Y3U8": "Engineering", "DGSLS4R7T1Y8U2I5O9PA": "Sales",
          "DGFIN2K5M8N1B4V7C0XZ": "Finance", "DGVPN9H3J6K0L2Z5X8CQ": "VPN Users"}
FILTERS = {"users": ("user", "key"), "groups": None, "applications": ("application", "key"),
           "results": ("result",), "reasons": ("reason",), "factors": ("factor",), "event_types": ("event_type",),
           "assessment": None, "detections": None}
AUTH_PARAMS = {"mintime", "maxtime", "limit", "sort", "next_offset", *FILTERS}
_MS = re.compile(r"[0-9]{13}")
_RFC2822 = re.compile(r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                      r"[0-9]{4} [0-9]{2}:[0-9]{2}(?::[0-9]{2})? (?:[+-][0-9]{4}|GMT|UT|UTC)")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


def configure(admin_page: int) -> None:
    global ADMIN_PAGE
    ADMIN_PAGE = admin_page


# =========================================================================== errors


def fail(status: int, code: int, message: str, detail: str | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["message_detail"] = detail
    body["stat"] = "FAIL"
    return Response(status, dumps(body), [("Content-Type", CONTENT_TYPE)])


def bad_request(detail: str) -> HttpError:
    return HttpError(fail(400, 40002, "Invalid request parameters", detail))


def missing(name: str) -> HttpError:
    return HttpError(fail(400, 40001, "Missing required request parameters", name))


def unauthorized(code: int, message: str) -> HttpError:
    return HttpError(fail(401, code, message))


DEFAULTS = {
    400: (40002, "Invalid request parameters"), 401: (40103, "Invalid signature in request credentials"),
    403: (40301, "Access forbidden"), 404: (40401, "Resource not found"), 405: (40501, "Method not allowed"),
    429: (42901, "Too Many Requests"), 500: (50000, "Internal server error"),
    503: (50301, "Service temporarily unavailable"),
}


def default_error(status: int) -> Response:
    """Duo's body for a status (status faults, unknown routes, wrong methods). 429 has no Retry-After."""
    code, message = DEFAULTS.get(status, (status * 100 + 1, reason(status)))
    return fail(status, code, message)


# =========================================================================== request signing


def encode(text: str) -> str:
    """Percent-encoding of the canonical form: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(text, safe="~")


def canon_params(pairs: Iterable[tuple[str, str]]) -> str:
    """name=value pairs, encoded, sorted by name then value, joined by '&' (as duo_client_python)."""
    encoded = sorted((encode(name), encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical(version: int, date: str, method: str, host: str, path: str, pairs: Iterable[tuple[str, str]],
              body: bytes = b"", duo_headers: Iterable[tuple[str, str]] = ()) -> str:
    lines = [date, method.upper(), host.lower(), path, canon_params(pairs)]
    if version >= 4:
        lines.append(hashlib.sha512(body).hexdigest())
    if version == 5:
        headers = sorted((name.lower(), value) for name, value in duo_headers)
        lines.append(hashlib.sha512("\x00".join(x for pair in headers for x in pair).encode()).hexdigest())
    return "\n".join(lines)


def signature(secret: str, text: str, digest: str = "sha1") -> str:
    return hmac.new(secret.encode(), text.encode(), digest).hexdigest()


def request_date(req: Request) -> tuple[str | None, float | None]:
    """The signed date header (X-Duo-Date wins over Date) and its time, None unless RFC 2822 in English
    (a localized day name such as "Mi," is refused as Duo does)."""
    text = req.header("X-Duo-Date") or req.header("Date")
    if not text:
        return None, None
    if not _RFC2822.fullmatch(text.strip()):
        return text, None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return text, None
    if when.tzinfo is None:  # "-0000": UTC
        when = when.replace(tzinfo=dt.timezone.utc)
    return text, when.timestamp()


def authenticate(req: Request) -> None:
    """Checks the HMAC signature as the Admin API does; raises Duo's 401s."""
    value = (req.header("Authorization") or "").strip()
    if not value:
        raise unauthorized(40101, "Missing request credentials")
    scheme, _, encoded = value.partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    ikey, sep, sig = decoded.partition(":")
    if scheme.lower() != "basic" or not sep:
        raise unauthorized(40101, "Missing request credentials")
    if ikey != DUO_IKEY:
        raise unauthorized(40102, "Invalid integration key in request credentials")
    date, when = request_date(req)
    if date is None or when is None:
        raise unauthorized(40104, "Missing request timestamp")
    if abs(time.time() - when) > CLOCK_SKEW_S:
        raise unauthorized(40105, "Bad request timestamp")
    host = req.header("Host") or req.host
    pairs = [(name, v) for name, values in req.params.items() for v in values]
    if len(sig) == 40:
        candidates = [("sha1", canonical(2, date, req.method, host, req.path, pairs))]
    elif len(sig) == 128:
        duo_headers = [(k, v) for k, v in req.headers.items() if k.lower().startswith("x-duo-")]
        candidates = [("sha512", canonical(v, date, req.method, host, req.path, pairs, req.body, duo_headers))
                      for v in (2, 4, 5)]
    else:
        candidates = []
    if not any(hmac.compare_digest(sig, signature(DUO_SKEY, text, digest)) for digest, text in candidates):
        raise unauthorized(40103, "Invalid signature in request credentials")


# =========================================================================== records


def parse_iso(text: Any) -> dt.datetime:
    if not isinstance(text, str) or not _ISO.fullmatch(text):
        raise ValueError("'isotimestamp' must be ISO 8601 with a zone, e.g. 2024-05-14T09:30:12.345120+00:00")
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def auth_ms(rec: dict[str, Any]) -> int:
    """The record's position in milliseconds: isotimestamp's millisecond (next_offset's first half)."""
    if "isotimestamp" in rec:
        when = parse_iso(rec["isotimestamp"])
        return int(when.timestamp()) * 1000 + when.microsecond // 1000
    return rec["timestamp"] * 1000


class Snapshot:
    """Records sorted ascending by key ((ms, txid) for authentication, (seconds, arrival) for admin)."""

    def __init__(self, keys: list[tuple[Any, ...]], records: list[dict[str, Any]]):
        self.keys = keys
        self.records = records


class Stream:
    """One log, registered in emulator.MODULES under its provider name."""

    def __init__(self, provider: str, prefixes: tuple[str, ...]):
        self.PROVIDER = provider
        self.PREFIXES = prefixes
        self.ROUTES: list[Any] = []

    def default_error(self, status: int) -> Response:
        return default_error(status)

    def validate_record(self, rec: Any) -> None:
        if not isinstance(rec, dict):
            raise ValueError("a Duo log record must be an object")
        if not _int(rec.get("timestamp")):
            raise ValueError("'timestamp' must be epoch seconds (an integer)")
        if "isotimestamp" in rec and int(parse_iso(rec["isotimestamp"]).timestamp()) != rec["timestamp"]:
            raise ValueError("'isotimestamp' and 'timestamp' name different seconds")
        if self is AUTH:
            if not isinstance(rec.get("txid"), str) or not rec["txid"]:
                raise ValueError("an authentication record needs a string 'txid'")
            for name in ("user", "application"):
                if rec.get(name) is not None and not isinstance(rec[name], dict):
                    raise ValueError(f"'{name}' must be an object")
        elif not isinstance(rec.get("action"), str) or not rec["action"]:
            raise ValueError("an administrator record needs a string 'action'")

    def snapshot(self, state: State) -> Snapshot:
        def build(records: list[dict[str, Any]]) -> Snapshot:
            if self is AUTH:
                items = sorted(((auth_ms(r), r["txid"]), r) for r in records)
            else:
                items = sorted(((r["timestamp"], seq), r) for seq, r in enumerate(records))
            return Snapshot([k for k, _ in items], [r for _, r in items])
        return state.cached(("duo-snapshot",), build, self.PROVIDER)


AUTH = Stream("duo-auth", ("/admin/v1/", "/admin/v2/", "/admin/v3/"))
ADMIN = Stream("duo-admin", ("/admin/v1/logs/administrator",))


def ok(response: Any) -> Response:
    return Response(200, dumps({"response": response, "stat": "OK"}), [("Content-Type", CONTENT_TYPE)])


# =========================================================================== authentication log


def one(req: Request, name: str) -> str | None:
    values = req.params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(name)
    return values[0]


def millis(req: Request, name: str) -> int:
    text = one(req, name)
    if text is None:
        raise missing(name)
    if not _MS.fullmatch(text):
        raise bad_request(f"'{name}' must be a timestamp in milliseconds")
    return int(text)


def parse_offset(values: list[str]) -> tuple[int, str]:
    """next_offset: "<ms>,<txid>" in one value, or the two halves as two values."""
    parts = values[0].split(",") if len(values) == 1 else list(values)
    if len(parts) != 2:
        raise bad_request("next_offset")
    if not _MS.fullmatch(parts[0]) and _MS.fullmatch(parts[1]):
        parts.reverse()  # repeated values arrive in any order the client chose
    if not _MS.fullmatch(parts[0]) or not parts[1]:
        raise bad_request("next_offset")
    return int(parts[0]), parts[1]


def matcher(filters: dict[str, set[str]]) -> Any:
    def value(rec: dict[str, Any], path: tuple[str, ...]) -> Any:
        for step in path:
            rec = rec.get(step) if isinstance(rec, dict) else None
        return rec

    def matches(rec: dict[str, Any]) -> bool:
        for name, wanted in filters.items():
            if name == "groups":
                names = {GROUPS.get(key) for key in wanted}
                if not names.intersection((rec.get("user") or {}).get("groups") or []):
                    return False
            elif FILTERS[name] is None:  # assessment, detections: the records carry no risk data
                return False
            elif value(rec, FILTERS[name]) not in wanted:
                return False
        return True
    return matches


def list_auth(req: Request, state: State) -> Response:
    authenticate(req)
    if set(req.params) - AUTH_PARAMS:
        raise bad_request("Received unexpected parameters")
    mintime, maxtime = millis(req, "mintime"), millis(req, "maxtime")
    if mintime >= maxtime:
        raise bad_request("mintime")
    now_ms = state.now_ns() // 1_000_000
    if mintime < now_ms - RETENTION_MS:
        raise bad_request("mintime must be within the past 180 days")
    limit_text = one(req, "limit")
    if limit_text is not None and not re.fullmatch(r"[0-9]{1,4}", limit_text):
        raise bad_request("limit")
    limit = DEFAULT_LIMIT if limit_text is None else int(limit_text)
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request("limit")
    sort = one(req, "sort")
    sort = "ts:desc" if sort is None else sort
    if sort not in ("ts:desc", "ts:asc"):
        raise bad_request("sort")
    filters: dict[str, set[str]] = {}
    for name in FILTERS:
        values = req.params.get(name)
        if values is None:
            continue
        if any(not v for v in values) or (name == "results" and not set(values) <= set(RESULTS)) \
                or (name == "event_types" and not set(values) <= set(EVENT_TYPES)):
            raise bad_request(name)
        filters[name] = set(values)
    offset = parse_offset(req.params["next_offset"]) if "next_offset" in req.params else None

    snap = AUTH.snapshot(state)
    keys = snap.keys
    top = min(maxtime, now_ms - WITHHELD_MS)  # the newest two minutes are withheld
    first = bisect.bisect_left(keys, (mintime,))
    last = max(first, bisect.bisect_left(keys, (top + 1,)))
    matches = matcher(filters)
    if filters:
        total = state.cached(("duo-total", tuple(sorted((k, tuple(sorted(v))) for k, v in filters.items())), first, last),
                             lambda _: sum(1 for i in range(first, last) if matches(snap.records[i])), AUTH.PROVIDER)
    else:
        total = last - first
    if offset is not None:
        at = bisect.bisect_left(keys, offset)
        if not (first <= at < last and keys[at] == offset and matches(snap.records[at])):
            raise bad_request("next_offset")  # not a position of this query's results
        if sort == "ts:asc":
            first = at + 1
        else:
            last = at
    picked: list[int] = []
    indexes = range(first, last) if sort == "ts:asc" else range(last - 1, first - 1, -1)
    for i in indexes:
        if matches(snap.records[i]):
            picked.append(i)
            if len(picked) > limit:
                break
    more = len(picked) > limit
    picked = picked[:limit]
    next_offset = [str(keys[picked[-1]][0]), keys[picked[-1]][1]] if more else None
    return ok({"authlogs": [snap.records[i] for i in picked],
               "metadata": {"next_offset": next_offset, "total_objects": total}})


# =========================================================================== administrator log


def list_admin(req: Request, state: State) -> Response:
    authenticate(req)
    if set(req.params) - {"mintime"}:
        raise bad_request("Received unexpected parameters")
    text = one(req, "mintime")
    if text is not None and not re.fullmatch(r"[0-9]{1,15}", text):
        raise bad_request("mintime")
    mintime = int(text or 0)
    snap = ADMIN.snapshot(state)
    start = bisect.bisect_left(snap.keys, (mintime,))
    end = min(len(snap.keys), start + ADMIN_PAGE)
    while start < end < len(snap.keys) and snap.keys[end][0] == snap.keys[end - 1][0]:
        end += 1  # the last second is never split
    return ok(snap.records[start:end])


def wrong_method(req: Request, state: State) -> Response:
    """Other methods on the two logs: answered here, so no later module's catch-all takes them."""
    response = default_error(405)
    response.set_header("Allow", "GET")
    return response


def other_path(req: Request, state: State) -> Response:
    """Anything else under /admin/vN/: signed like everything else, then 404."""
    authenticate(req)
    return default_error(404)


AUTH.ROUTES = [
    route("GET", rf"^{AUTH_PATH}$", list_auth, is_list=True),
    route("GET", rf"^{ADMIN_PATH}$", list_admin, is_list=True),
    route("POST,PUT,PATCH,DELETE,OPTIONS", rf"^(?:{AUTH_PATH}|{ADMIN_PATH})$", wrong_method),
    route("GET,POST,PUT,PATCH,DELETE,OPTIONS", r"^/admin/v[0-9]+/(?!logs/authentication$|logs/administrator$).*$", other_path),
]
