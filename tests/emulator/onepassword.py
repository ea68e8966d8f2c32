"""1Password Events API (events.1password.com): audit events, sign-in attempts and item usages.
Base URL as auditfetch's --base-url: EMU_URL (the API's paths start with /api/...).

Three provider names share this module: "1password-audit" (AUDIT), "1password-signins" (SIGNINS)
and "1password-item-usages" (ITEM_USAGES), each with its own records; every route lives on AUDIT.

  POST /api/v2/auditevents, /api/v2/signinattempts, /api/v2/itemusages   (v2: MSP fields)
  POST /api/v1/auditevents, /api/v1/signinattempts, /api/v1/itemusages   (v1: the same events
       without account_uuid, actor_type, actor_account_uuid, user_type, user_account_uuid)
  GET  /api/v2/auth/introspect   {"uuid","issued_at","features","account_uuid"}
  GET  /api/auth/introspect      (deprecated) {"UUID","IssuedAt","Features"}

Authentication: `Authorization: Bearer <token>`. A --token value (default test-token) may read
all three features; SIGNINS_TOKEN (a JWT-like token whose "1password.com/fts" claim lists only
signinattempts) may read sign-in attempts only. Anything else, and a token used on an endpoint
whose feature it lacks, is 401 {"Error":{"Message":"Unauthorized"}}: the reference lists no 403
and its 401 reads "make sure your bearer token is valid and scoped to access the requested
resource".

Request body (JSON object), exactly one of:
  ResetCursor  {"limit": 1..1000 (default 100), "start_time": RFC 3339, "end_time": RFC 3339},
               all optional; start_time defaults to one hour before end_time, or before now
               (--now) without end_time. The window is [start_time, end_time) on `timestamp`
               (start inclusive, as XSOAR's collector relies on; end exclusive: inferred); without
               end_time it stays open, so the cursor keeps receiving new events.
  Cursor       {"cursor": "<cursor of an earlier response>"}
A key whose value is null counts as absent (Grove sends "start_time": null). Anything else is 400
{"Error":{"Message":"Bad Request"}} (the only 400 body 1Password is seen to send): a body that is
not a JSON object (also an empty one), unknown keys, a cursor with ResetCursor keys, wrong types,
limit outside 1..1000 or not a whole number, times that are not RFC 3339 date-times,
end_time before start_time, an empty, altered or unknown cursor, or a cursor of another feature
(cursors are bound to their feature; v1 and v2 of one feature share them).

Response 200 {"cursor": "...", "has_more": bool, "items": [...]}. The cursor always comes back;
it carries the window and the limit of its ResetCursor and its position. Items are oldest first by
(timestamp, uuid) within an ingestion: the initial records are one ingestion, and every batch
appended through the control API is a later one, served after everything stored before it (as
an events feed follows ingestion). So a poller that keeps its cursor gets each record exactly
once, including records appended later with old timestamps (when they fall in its window); a
cursor with nothing new answers its own value again. The 120-day retention is not enforced.

Errors are {"Error":{"Message":"<HTTP reason phrase>"}}, application/json. Wrong methods → 405
(Allow: POST, or GET for introspect), unknown paths under these prefixes → 404. 429 → "Too Many
Requests" with Retry-After: 1 (the reference documents the 429 and its limits, 600 requests per
minute and 30,000 per hour per account, but no header; a fault can drop it with
"headers": {"Retry-After": null}). Not enforced here.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable

from common import (ONEPASSWORD_ACCOUNT_UUID, ONEPASSWORD_INTEGRATION_UUID, ONEPASSWORD_SIGNINS_TOKEN,
                    HttpError, Request, Response, bearer_token, decode_cursor, dumps, encode_cursor, fingerprint,
                    format_time, parse_time, reason, route)
from store import State

CONTENT_TYPE = "application/json"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DEFAULT_SPAN_NS = 3600 * 1_000_000_000  # start_time defaults to one hour before end_time (or now)
FEATURES = ("auditevents", "itemusages", "signinattempts")  # as introspection lists them
TOKEN_FEATURES: dict[str, tuple[str, ...]] = {ONEPASSWORD_SIGNINS_TOKEN: ("signinattempts",)}
ISSUED_AT = "2024-05-01T09:00:00Z"  # when the emulated integration's tokens were issued
RESET_KEYS = ("limit", "start_time", "end_time")
V2_ONLY = ("account_uuid", "actor_type", "actor_account_uuid")  # top-level fields v1 leaves out
V2_USER_ONLY = ("user_type", "user_account_uuid")  # fields of user objects v1 leaves out
USER_OBJECTS = ("actor_details", "object_details", "aux_details", "target_user", "user")


# =========================================================================== errors


def error(status: int, headers: list[tuple[str, str]] | None = None) -> Response:
    """1Password's error shape: {"Error":{"Message":"<reason phrase>"}}."""
    return Response(status, dumps({"Error": {"Message": reason(status)}}), [("Content-Type", CONTENT_TYPE),
                                                                              *(headers or [])])


def default_error(status: int) -> Response:
    """The body for a status, used by status faults, unknown paths and wrong methods."""
    return error(status, [("Retry-After", "1")] if status == 429 else None)


def bad_request(state: State, why: str) -> HttpError:
    if state.config.verbose:
        print(f"emulator: 1password: 400: {why}", file=sys.stderr)
    return HttpError(error(400))


def unauthorized(state: State, why: str) -> HttpError:
    if state.config.verbose:
        print(f"emulator: 1password: 401: {why}", file=sys.stderr)
    return HttpError(error(401))


# =========================================================================== streams


@dataclass
class Group:
    """The records of one ingestion, sorted by (timestamp ns, uuid)."""
    keys: list[tuple[int, str]]
    records: list[dict[str, Any]]


class Stream:
    """One event feature, registered in emulator.MODULES under its provider name."""

    def __init__(self, provider: str, feature: str):
        self.PROVIDER = provider
        self.feature = feature
        self.ROUTES: list[Any] = []
        self.PREFIXES: tuple[str, ...] = (f"/api/v1/{feature}", f"/api/v2/{feature}")
        self._lock = threading.Lock()
        # What the last snapshot was built from: the store's record list (the objects, not copies),
        # where each ingestion begins in it, and the ingestions' sorted groups.
        self._seen: list[dict[str, Any]] = []
        self._starts: list[int] = []
        self._groups: list[Group] = []

    # module interface used by emulator.py
    def default_error(self, status: int) -> Response:
        return default_error(status)

    def validate_record(self, rec: Any) -> None:
        if not isinstance(rec, dict) or not isinstance(rec.get("uuid"), str) or not rec["uuid"]:
            raise ValueError(f"a 1Password {self.feature} record needs a string 'uuid'")
        stamp = rec.get("timestamp")
        try:
            parse_time(stamp if isinstance(stamp, str) else "")
        except ValueError:
            raise ValueError("'timestamp' must be an RFC 3339 date-time, e.g. 2024-05-13T08:02:11.123456789Z") from None

    def snapshot(self, state: State) -> list[Group]:
        return state.cached(("1password-groups",), self._build, self.PROVIDER)

    def _build(self, records: list[dict[str, Any]]) -> list[Group]:
        """Groups per ingestion. The store only ever appends to its list (a new list holding the same
        record objects) or goes back to its initial list on reset, so the objects shared with the
        list seen last form a prefix; whatever follows it is a new ingestion."""
        with self._lock:
            seen = self._seen
            lo, hi = 0, min(len(seen), len(records))
            while lo < hi:  # the shared prefix is [0, lo): binary search on object identity
                mid = (lo + hi + 1) // 2
                if seen[mid - 1] is records[mid - 1]:
                    lo = mid
                else:
                    hi = mid - 1
            shared = lo
            starts, groups, kept_end = [], [], 0
            for index, start in enumerate(self._starts):  # ingestions still whole in records
                end = self._starts[index + 1] if index + 1 < len(self._starts) else len(seen)
                if end > shared:
                    break
                starts.append(start)
                groups.append(self._groups[index])
                kept_end = end
            for first, last in ((kept_end, shared), (shared, len(records))):
                if last > first:
                    starts.append(first)
                    batch = sorted(((parse_time(r["timestamp"]), r["uuid"]), r) for r in records[first:last])
                    groups.append(Group([k for k, _ in batch], [r for _, r in batch]))
            self._seen, self._starts, self._groups = records, starts, groups
            return list(groups)


AUDIT = Stream("1password-audit", "auditevents")
SIGNINS = Stream("1password-signins", "signinattempts")
ITEM_USAGES = Stream("1password-item-usages", "itemusages")
STREAMS = {s.feature: s for s in (AUDIT, SIGNINS, ITEM_USAGES)}


# =========================================================================== requests


def token_features(req: Request, state: State) -> tuple[str, ...]:
    """The features the request's bearer token may read; 401 for a missing or unknown token."""
    token = bearer_token(req)
    if token is None:
        raise unauthorized(state, "no `Authorization: Bearer <token>` header")
    if token in state.config.tokens:
        return FEATURES
    if token in TOKEN_FEATURES:
        return TOKEN_FEATURES[token]
    raise unauthorized(state, "unknown token")


def _time(state: State, body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(state, f"{name} is not a string")
    try:
        return parse_time(value)
    except ValueError:
        raise bad_request(state, f"{name} is not an RFC 3339 date-time: {value!r}") from None


def _limit(state: State, value: Any) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(state, "limit is not a number")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise bad_request(state, f"limit {value} is not a whole number")
    if not 1 <= value <= MAX_LIMIT:
        raise bad_request(state, f"limit {value} is outside 1..{MAX_LIMIT}")
    return int(value)


@dataclass
class Position:
    """A cursor: its window, its page size and where it stands (None: before everything)."""
    feature: str
    start: int
    end: int | None
    limit: int
    at: tuple[int, int, str] | None  # (ingestion, timestamp ns, uuid) of the last record served

    def encode(self) -> str:
        at = list(self.at) if self.at else None
        return encode_cursor({"f": self.feature, "s": self.start, "e": self.end, "l": self.limit, "p": at,
                              "h": fingerprint("1password", self.feature, self.start, self.end, self.limit, at)})


def _decode(state: State, text: Any, feature: str) -> Position:
    if not isinstance(text, str):
        raise bad_request(state, "cursor is not a string")
    try:
        payload = decode_cursor(text, ("f", "s", "e", "l", "p", "h"))
    except ValueError:
        raise bad_request(state, "the cursor does not decode") from None
    f, s, e, lim, p = payload["f"], payload["s"], payload["e"], payload["l"], payload["p"]
    well_formed = (isinstance(f, str) and isinstance(s, int) and (e is None or isinstance(e, int))
                   and isinstance(lim, int) and not isinstance(lim, bool) and 1 <= lim <= MAX_LIMIT
                   and (p is None or (isinstance(p, list) and len(p) == 3 and all(isinstance(v, int) for v in p[:2])
                                      and isinstance(p[2], str)))
                   and payload["h"] == fingerprint("1password", f, s, e, lim, p))
    if not well_formed:
        raise bad_request(state, "the cursor was altered")
    if f != feature:
        raise bad_request(state, f"the cursor belongs to {f}, not {feature}")
    return Position(f, s, e, lim, (p[0], p[1], p[2]) if p else None)


def parse_body(req: Request, state: State, feature: str) -> Position:
    """The request's ResetCursor or cursor as a Position; 400 for anything else."""
    try:
        body = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad_request(state, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise bad_request(state, "the body is not a JSON object")
    unknown = sorted(set(body) - {"cursor", *RESET_KEYS})
    if unknown:
        raise bad_request(state, f"unknown keys {unknown}")
    given = {k for k, v in body.items() if v is not None}
    if "cursor" in given:
        if given & set(RESET_KEYS):
            raise bad_request(state, "a cursor together with ResetCursor keys")
        return _decode(state, body["cursor"], feature)
    limit = _limit(state, body.get("limit"))
    start, end = _time(state, body, "start_time"), _time(state, body, "end_time")
    if start is None:
        start = (end if end is not None else state.now_ns()) - DEFAULT_SPAN_NS
    if end is not None and end < start:
        raise bad_request(state, "end_time is before start_time")
    return Position(feature, start, end, limit, None)


def page(groups: list[Group], pos: Position) -> tuple[list[tuple[int, int]], bool]:
    """(ingestion, index) of the records after pos in its window, at most pos.limit; has_more."""
    picked: list[tuple[int, int]] = []
    first = 0 if pos.at is None else pos.at[0]
    for g in range(first, len(groups)):
        keys = groups[g].keys
        lo = bisect.bisect_left(keys, (pos.start, ""))
        hi = len(keys) if pos.end is None else bisect.bisect_left(keys, (pos.end, ""))
        if pos.at is not None and g == pos.at[0]:
            lo = max(lo, bisect.bisect_right(keys, (pos.at[1], pos.at[2])))
        for i in range(lo, hi):
            if len(picked) == pos.limit:
                return picked, True
            picked.append((g, i))
    return picked, False


def v1_shape(rec: dict[str, Any]) -> dict[str, Any]:
    """A v2 record as the v1 endpoints send it: without the MSP fields."""
    out = {k: v for k, v in rec.items() if k not in V2_ONLY}
    for name in USER_OBJECTS:
        if isinstance(out.get(name), dict):
            out[name] = {k: v for k, v in out[name].items() if k not in V2_USER_ONLY}
    return out


def list_events(req: Request, state: State, version: str, feature: str) -> Response:
    stream = STREAMS[feature]
    if stream.feature not in token_features(req, state):
        raise unauthorized(state, f"the token lacks the {feature} feature")
    pos = parse_body(req, state, feature)
    groups = stream.snapshot(state)
    picked, has_more = page(groups, pos)
    items = [groups[g].records[i] for g, i in picked]
    if picked:
        g, i = picked[-1]
        ts, uuid = groups[g].keys[i]
        pos.at = (g, ts, uuid)
    if version == "v1":
        items = [v1_shape(r) for r in items]
    return Response(200, dumps({"cursor": pos.encode(), "has_more": has_more, "items": items}),
                    [("Content-Type", CONTENT_TYPE)])


def introspect(req: Request, state: State, version: str | None) -> Response:
    features = list(token_features(req, state))
    if version == "v2":
        body: dict[str, Any] = {"uuid": ONEPASSWORD_INTEGRATION_UUID, "issued_at": ISSUED_AT, "features": features,
                                "account_uuid": ONEPASSWORD_ACCOUNT_UUID}
    else:
        body = {"UUID": ONEPASSWORD_INTEGRATION_UUID, "IssuedAt": ISSUED_AT, "Features": features}
    return Response(200, dumps(body), [("Content-Type", CONTENT_TYPE)])


AUDIT.ROUTES = [
    route("POST", r"^/api/(?P<version>v[12])/(?P<feature>auditevents|signinattempts|itemusages)$", list_events,
          is_list=True),
    route("GET", r"^/api/(?:(?P<version>v2)/)?auth/introspect$", introspect),
]
# Paths whose default errors (faults, 404, 405) are 1Password's, claimed in emulator.provider_for
# ahead of Okta's /api/v1/ and other /api/v2/ prefixes.
PREFIXES = tuple(p for s in STREAMS.values() for p in s.PREFIXES) + ("/api/v2/auth/", "/api/auth/")


# =========================================================================== synthetic records (--generate)

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SYNTH_USERS = [(f"User {k:03d}", f"user{k:03d}@acme.example") for k in range(60)]
SYNTH_AUDIT = [("create", "invite"), ("join", "user"), ("activate", "user"), ("update", "user"), ("suspend", "user"),
               ("reactive", "user"), ("delete", "user"), ("create", "vault"), ("grant", "uva"), ("revoke", "uva"),
               ("join", "gm"), ("update", "item"), ("create", "device")]
SYNTH_SIGNINS = [("success", "credentials_ok", None), ("success", "mfa_ok", None),
                 ("credentials_failed", "password_secret_bad", None), ("success", "credentials_ok", None),
                 ("mfa_failed", "totp_bad", None), ("firewall_failed", "country_blocked", "Antarctica"),
                 ("modern_version_failed", "modern_version_old", None)]
SYNTH_USAGES = ["fill", "reveal", "secure-copy", "select-sso-provider", "enter-item-edit-mode", "server-fetch"]


def _id(rng: random.Random, lower: bool = False) -> str:
    text = "".join(_B32[rng.randrange(32)] for _ in range(26))
    return text.lower() if lower else text


def _stamp(ts: int) -> str:
    """Nanosecond fraction; the sub-millisecond digits derive from ts so ties stay ties."""
    ns = ts + (ts // 1_000_000 * 7919 % 1_000_000)
    return format_time(ns)[:-1] + f".{ns % 1_000_000_000:09d}Z"


def _b32(prefix: str, n: int) -> str:
    """A 26-character 1Password-style id: prefix, then n in base32."""
    return prefix + "".join(_B32[(n >> (5 * j)) & 31] for j in range(26 - len(prefix)))


def _user(k: int) -> dict[str, Any]:
    name, email = SYNTH_USERS[k]
    return {"uuid": _b32("SYNU", k), "name": name, "email": email}


def _client(i: int) -> dict[str, Any]:
    return {"app_name": "1Password Browser Extension", "app_version": "20127", "platform_name": "Chrome",
            "platform_version": "124.0.6367.207", "os_name": "MacOSX", "os_version": "14.4.1",
            "ip_address": f"198.51.100.{i % 250 + 1}"}


LOCATION = {"country": "Canada", "region": "Ontario", "city": "Toronto", "latitude": 43.6532, "longitude": -79.3832}


def _synth_audit(rng: random.Random, pools: Any, i: int, ts: int) -> dict[str, Any]:
    action, object_type = SYNTH_AUDIT[i % len(SYNTH_AUDIT)]
    actor, target = _user(0 if object_type != "device" else 1 + i % 59), _user(1 + rng.randrange(59))
    rec: dict[str, Any] = {"uuid": _id(rng), "timestamp": _stamp(ts), "actor_uuid": actor["uuid"],
                           "actor_details": actor, "action": action, "object_type": object_type,
                           "object_uuid": target["uuid"] if object_type == "user" else _id(rng, lower=True)}
    if object_type == "user":
        rec["object_details"] = target
    if object_type in ("uva", "gm"):
        rec.update({"aux_id": 32, "aux_uuid": target["uuid"], "aux_details": target})
    rec.update({"session": {"uuid": _id(rng), "login_time": _stamp(ts - 3_600_000_000_000),
                            "device_uuid": _id(rng, lower=True), "ip": f"198.51.100.{i % 250 + 1}"},
                "location": LOCATION, "actor_type": "user", "actor_account_uuid": ONEPASSWORD_ACCOUNT_UUID,
                "account_uuid": ONEPASSWORD_ACCOUNT_UUID})
    return rec


def _synth_signin(rng: random.Random, pools: Any, i: int, ts: int) -> dict[str, Any]:
    category, kind, detail = SYNTH_SIGNINS[i % len(SYNTH_SIGNINS)]
    user = _user(rng.randrange(60))
    return {"uuid": _id(rng), "session_uuid": _id(rng), "timestamp": _stamp(ts), "category": category, "type": kind,
            "country": "CA", "details": {"value": detail} if detail else None,
            "target_user": {**user, "user_type": "user", "user_account_uuid": ONEPASSWORD_ACCOUNT_UUID},
            "client": _client(i), "location": LOCATION, "account_uuid": ONEPASSWORD_ACCOUNT_UUID}


def _synth_usage(rng: random.Random, pools: Any, i: int, ts: int) -> dict[str, Any]:
    user = _user(rng.randrange(60))
    return {"uuid": _id(rng), "timestamp": _stamp(ts), "used_version": 1 + i % 9,
            "vault_uuid": _b32("SYNV", i % 12).lower(), "item_uuid": _id(rng, lower=True),
            "action": SYNTH_USAGES[i % len(SYNTH_USAGES)],
            "user": {**user, "user_type": "user", "user_account_uuid": ONEPASSWORD_ACCOUNT_UUID},
            "client": _client(i), "location": LOCATION, "account_uuid": ONEPASSWORD_ACCOUNT_UUID}


SYNTH_MAKERS: dict[str, Callable[[random.Random, Any, int, int], dict[str, Any]]] = {
    AUDIT.PROVIDER: _synth_audit, SIGNINS.PROVIDER: _synth_signin, ITEM_USAGES.PROVIDER: _synth_usage}
MODULES = {s.PROVIDER: s for s in (AUDIT, SIGNINS, ITEM_USAGES)}
UNIQUE_IDS = {name: "uuid" for name in MODULES}
