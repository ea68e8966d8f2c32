"""GitHub Enterprise Cloud audit log: organization and enterprise (REST, cursor pagination).

Routes (paths as on api.github.com, so --base-url is the emulator's root URL; each is also
served under /api/v3, as GitHub Enterprise Server serves them, with Link headers keeping it):
  GET /orgs/{org}/audit-log                  org by login (case-insensitive)
  GET /organizations/{org_id}/audit-log      the same by numeric id (what Link headers use)
  GET /enterprises/{enterprise}/audit-log    enterprise by slug or numeric id (Links use the id)
Other methods on these paths get GitHub's 404, as GitHub answers them.

Scopes: the org log holds the records whose `org` is the org; the enterprise log holds every
record of its orgs plus the records whose `business` is the enterprise (enterprise-only ones).

Parameters: phrase (github_phrase.py), include=web|git|all (default web; git events are the
git.* actions), order=desc|asc (default desc), per_page (default 30, clamped to 1..100, a
non-number is ignored as GitHub does), page (offset paging when no cursor; ignored with one),
after / before (opaque cursors from Link headers, bound to the scope, phrase, include and order;
anything else is a 422). Unknown parameters are ignored, as GitHub does; a repeated parameter
takes its last value (Rails). Without any created qualifier only the past three months (before
now, --now) are searched, as GitHub documents.

Ordering is by (@timestamp, _document_id), newest first by default; cursors are keyset
positions, so records added while paging appear on later pages only when they sort after the
cursor, and on the next query otherwise, never twice.

Rate limits: every response carries x-ratelimit-limit/-remaining/-used/-reset/-resource
(resource audit_log, 1,750 per hour; 401s count against the unauthenticated core limit of 60).
The emulator never exhausts the limit by itself: when the window's count is used up, a new
window starts. Fault rules give the limits: status 403 is the primary limit (remaining 0, reset
two seconds ahead), status 429 the secondary limit (retry-after: 1).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import secrets
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, unquote

import github_phrase
from common import (GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID, GITHUB_ORG, GITHUB_ORG_ID, GITHUB_OTHER_ORG,
                    GITHUB_OTHER_ORG_ID, HttpError, Request, Response, dumps, fingerprint, query_string, reason,
                    route)
from store import State

PROVIDER = "github"
CONTENT_TYPE = "application/json; charset=utf-8"
API_VERSIONS = ("2022-11-28", "2026-03-10")  # the calendar versions GHEC serves; the first is the default
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
DEFAULT_WINDOW_MS = 90 * 86_400_000  # "up to 30 events from the past three months" without created
RATE_LIMIT, RATE_RESOURCE = 1750, "audit_log"
UNAUTH_LIMIT, UNAUTH_RESOURCE = 60, "core"
RATE_WINDOW_S = 3600
USER_ID = 1  # the user behind every emulator token

DOC_REST = "https://docs.github.com/rest"
DOC_ORG = "https://docs.github.com/enterprise-cloud@latest/rest/orgs/orgs#get-the-audit-log-for-an-organization"
DOC_ENTERPRISE = ("https://docs.github.com/enterprise-cloud@latest/rest/enterprise-admin/audit-log"
                  "#get-the-audit-log-for-an-enterprise")
DOC_VERSIONS = "https://docs.github.com/rest/about-the-rest-api/api-versions"
DOC_MEDIA = "https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#media-types"
DOC_PRIMARY = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits"
DOC_SECONDARY = ("https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
                 "#about-secondary-rate-limits")
ACCEPTED_MEDIA = re.compile(r"^(\*/\*|application/\*|application/json|application/vnd\.github(\.v3)?(\.[a-z-]+)?(\+json)?)$")


@dataclass(frozen=True)
class Scope:
    kind: str  # "org" | "enterprise"
    login: str
    id: int
    orgs: frozenset[str]  # lower-case org logins whose records belong to this log
    doc: str

    @property
    def link_path(self) -> str:
        return f"/organizations/{self.id}/audit-log" if self.kind == "org" else f"/enterprises/{self.id}/audit-log"

    def holds(self, rec: dict[str, Any]) -> bool:
        org = rec.get("org")
        if isinstance(org, str) and org.lower() in self.orgs:
            return True
        business = rec.get("business")
        return self.kind == "enterprise" and isinstance(business, str) and business.lower() == self.login.lower()


ORGS = {login.lower(): Scope("org", login, oid, frozenset([login.lower()]), DOC_ORG)
        for login, oid in ((GITHUB_ORG, GITHUB_ORG_ID), (GITHUB_OTHER_ORG, GITHUB_OTHER_ORG_ID))}
ORGS_BY_ID = {str(s.id): s for s in ORGS.values()}
ENTERPRISE = Scope("enterprise", GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID, frozenset(ORGS), DOC_ENTERPRISE)


# --------------------------------------------------------------------------- rate limits


class _RateCounter:
    """One hourly window per limit (every emulator token is user ID 1), as GitHub's headers show it."""

    def __init__(self, limit: int, resource: str) -> None:
        self.limit, self.resource = limit, resource
        self.lock = threading.Lock()
        self.reset_at = 0
        self.used = 0

    def headers(self) -> list[tuple[str, str]]:
        with self.lock:
            now = int(time.time())
            if now >= self.reset_at or self.used >= self.limit:
                self.reset_at, self.used = now + RATE_WINDOW_S, 0
            self.used += 1
            return [("x-ratelimit-limit", str(self.limit)), ("x-ratelimit-remaining", str(self.limit - self.used)),
                    ("x-ratelimit-reset", str(self.reset_at)), ("x-ratelimit-used", str(self.used)),
                    ("x-ratelimit-resource", self.resource)]


RATE = _RateCounter(RATE_LIMIT, RATE_RESOURCE)
UNAUTH_RATE = _RateCounter(UNAUTH_LIMIT, UNAUTH_RESOURCE)


def request_id() -> str:
    h = secrets.token_hex(16).upper()
    return f"{h[:4]}:{h[4:9]}:{h[9:16]}:{h[16:23]}:{h[23:31]}"


# --------------------------------------------------------------------------- errors


def error(status: int, message: str, doc: str = DOC_REST, extra: dict[str, Any] | None = None,
          headers: list[tuple[str, str]] | None = None, rate: list[tuple[str, str]] | None = None,
          rid: str | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    body.update(extra or {})
    body["documentation_url"] = doc
    body["status"] = str(status)
    return Response(status, dumps(body), [("Content-Type", CONTENT_TYPE), ("x-github-media-type", "github.v3; format=json"),
                                          ("x-github-request-id", rid or request_id())]
                    + (RATE.headers() if rate is None else rate) + list(headers or []))


def unauthorized(message: str = "Bad credentials") -> Response:
    return error(401, message, rate=UNAUTH_RATE.headers())


def not_found(doc: str = DOC_REST) -> Response:
    return error(404, "Not Found", doc)


def validation_failed(field: str, message: str, doc: str) -> HttpError:
    return HttpError(error(422, "Validation Failed", doc, {"errors": [
        {"resource": "AuditLog", "field": field, "code": "invalid", "message": message}]}))


def primary_limit() -> Response:
    rid = request_id()
    reset = int(time.time()) + 2
    rate = [("x-ratelimit-limit", str(RATE_LIMIT)), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", str(reset)),
            ("x-ratelimit-used", str(RATE_LIMIT)), ("x-ratelimit-resource", RATE_RESOURCE)]
    return error(403, f"API rate limit exceeded for user ID {USER_ID}. If you reach out to GitHub Support for help, "
                      f"please include the request ID {rid}.", DOC_PRIMARY, rate=rate, rid=rid)


def secondary_limit(status: int = 429) -> Response:
    rid = request_id()
    return error(status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                         f"If you reach out to GitHub Support for help, please include the request ID {rid}.",
                 DOC_SECONDARY, headers=[("retry-after", "1")], rid=rid)


def default_error(status: int) -> Response:
    """GitHub's body for a status: 401 bad credentials, 403 the primary rate limit, 429 the secondary."""
    if status == 401:
        return unauthorized()
    if status == 403:
        return primary_limit()
    if status == 429:
        return secondary_limit()
    if status == 404:
        return not_found()
    if status == 422:
        return error(422, "Validation Failed")
    if status in (500, 502, 503, 504):
        return error(status, "Server Error" if status == 500 else reason(status))
    return error(status, reason(status))


# --------------------------------------------------------------------------- records


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict):
        raise ValueError("a GitHub audit-log event must be an object")
    if not isinstance(rec.get("_document_id"), str) or not rec["_document_id"] or "|" in rec["_document_id"]:
        raise ValueError("a GitHub audit-log event needs a string '_document_id' (without '|')")
    ts = rec.get("@timestamp")
    if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
        raise ValueError("'@timestamp' must be epoch milliseconds (a non-negative integer)")
    if "created_at" in rec and (isinstance(rec["created_at"], bool) or not isinstance(rec["created_at"], int)):
        raise ValueError("'created_at' must be epoch milliseconds (an integer)")
    if not isinstance(rec.get("action"), str) or not rec["action"]:
        raise ValueError("a GitHub audit-log event needs a string 'action'")
    if not isinstance(rec.get("org"), str) and not isinstance(rec.get("business"), str):
        raise ValueError("a GitHub audit-log event needs 'org' or 'business' (a string)")


class Snapshot:
    """Every record sorted ascending by (@timestamp, _document_id)."""

    def __init__(self, records: list[dict[str, Any]]):
        items = sorted(((r["@timestamp"], r["_document_id"]), r) for r in records)
        self.keys = [k for k, _ in items]
        self.records = [r for _, r in items]


class Selection:
    """The keys a query selects (scope, phrase, include), ascending."""

    def __init__(self, snap: Snapshot, scope: Scope, phrase: github_phrase.Phrase, include: str,
                 default_floor: int | None):
        keys: list[tuple[int, str]] = []
        records: list[dict[str, Any]] = []
        for key, rec in zip(snap.keys, snap.records):
            ts = key[0]
            if default_floor is not None and ts < default_floor:
                continue
            is_git = rec["action"].startswith("git.")
            if (include == "web" and is_git) or (include == "git" and not is_git):
                continue
            if scope.holds(rec) and github_phrase.matches(phrase, rec, ts):
                keys.append(key)
                records.append(rec)
        self.keys = keys
        self.records = records


# --------------------------------------------------------------------------- cursors


def encode_cursor(key: tuple[int, str], bound: str) -> str:
    """Looks like GitHub's, base64 of "<ms as 1.615336378833e+12>|<_document_id>", plus a digest of
    the position and the query it belongs to (so it is refused with another query, or if edited)."""
    ts, doc_id = key
    digits = max(len(str(ts)) - 1, 0)
    raw = f"{ts:.{digits}e}|{doc_id}|{fingerprint(bound, ts, doc_id)}"
    return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def decode_cursor(text: str, bound: str) -> tuple[int, str]:
    """Raises ValueError for anything but a cursor this query issued."""
    try:
        raw = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not base64") from exc
    parts = raw.split("|")
    if len(parts) != 3 or not parts[1]:
        raise ValueError("not a cursor")
    try:
        ts = Decimal(parts[0])
    except InvalidOperation as exc:
        raise ValueError("bad position") from exc
    if not ts.is_finite() or ts != ts.to_integral_value() or ts < 0:
        raise ValueError("bad position")
    if parts[2] != fingerprint(bound, int(ts), parts[1]):
        raise ValueError("not a cursor of this query")
    return int(ts), parts[1]


# --------------------------------------------------------------------------- handler


def token_of(req: Request) -> str | None:
    """`Authorization: Bearer T` or `token T` (GitHub takes both); None when absent or malformed."""
    value = req.header("Authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in ("bearer", "token") or not token or " " in token:
        return ""
    return token


def check_headers(req: Request, state: State, doc: str) -> str:
    """Authentication, API version and Accept; returns the selected API version."""
    token = token_of(req)
    if token is None:
        raise HttpError(error(401, "Requires authentication", doc, rate=UNAUTH_RATE.headers()))
    if state.token_status(token, PROVIDER) != "ok":
        raise HttpError(unauthorized())
    version = req.header("X-GitHub-Api-Version")
    if version is not None and version.strip() not in API_VERSIONS:
        listed = ", ".join(f'"{v}"' + (" (most recent)" if v == API_VERSIONS[-1] else "") for v in API_VERSIONS)
        raise HttpError(error(400, f'The version you specified in the "X-GitHub-Api-Version" request header, '
                                   f'"{version.strip()}", is not a supported version. The following versions are '
                                   f"currently supported: {listed}.", DOC_VERSIONS))
    accept = req.header("Accept")
    if accept is not None and accept.strip():
        media = [part.split(";")[0].strip().lower() for part in accept.split(",")]
        if not any(ACCEPTED_MEDIA.match(m) for m in media if m):
            raise HttpError(error(415, f"Unsupported 'Accept' header: [{dumps(accept.strip()).decode()}]. "
                                       "Must accept 'application/json'.", DOC_MEDIA))
    return version.strip() if version is not None else API_VERSIONS[0]


def last(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def int_param(text: str | None, default: int) -> int:
    """GitHub's reading of a numeric query parameter: anything but digits is the default."""
    if text is None or not re.fullmatch(r"\s*[0-9]{1,9}\s*", text):
        return default
    return int(text)


def list_audit_log(req: Request, state: State, scope: Scope | None) -> Response:
    doc = scope.doc if scope else DOC_REST
    if req.method != "GET":
        return not_found(doc)
    version = check_headers(req, state, doc)
    if scope is None:
        return not_found(doc)

    params = req.params
    phrase_text = last(params, "phrase") or ""
    include = last(params, "include") or "web"
    order = last(params, "order") or "desc"
    after, before = last(params, "after") or "", last(params, "before") or ""
    if include not in ("web", "git", "all"):
        raise validation_failed("include", f"'{include}' is not one of web, git, all.", doc)
    if order not in ("desc", "asc"):
        raise validation_failed("order", f"'{order}' is not one of desc, asc.", doc)
    per_page = int_param(last(params, "per_page"), DEFAULT_PER_PAGE)
    per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
    page = max(int_param(last(params, "page"), 1), 1)
    try:
        phrase = github_phrase.parse(phrase_text)
    except github_phrase.PhraseError as exc:
        raise validation_failed("phrase", str(exc), doc)
    if after and before:
        raise validation_failed("after", "Only one of after and before may be given.", doc)

    bound = fingerprint(PROVIDER, scope.kind, scope.id, phrase_text.strip(), include, order)
    position: tuple[int, str] | None = None
    if after or before:
        try:
            position = decode_cursor(after or before, bound)
        except ValueError:
            raise validation_failed("after" if after else "before",
                                    "The cursor is invalid or was issued for another query.", doc)

    floor = None  # without created: the past three months (to the minute, so that selections stay cached)
    if not phrase.has_created:
        floor = (state.now_ns() // 1_000_000 - DEFAULT_WINDOW_MS) // 60_000 * 60_000
    sel: Selection = state.cached(  # built under the state lock, from the snapshot of the same data version
        ("selection", scope.kind, scope.id, phrase_text.strip(), include, floor),
        lambda _: Selection(state.cached(("snapshot",), Snapshot, PROVIDER), scope, phrase, include, floor), PROVIDER)
    keys, n = sel.keys, len(sel.keys)

    # [start, end) of the ascending keys; listing order is ascending for asc, reversed for desc.
    forward = (order == "asc") != bool(before)  # the page lies above the position in key order
    if position is None:
        offset = (page - 1) * per_page
        start, end = ((offset, offset + per_page) if order == "asc" else (n - offset - per_page, n - offset))
    elif forward:
        start = bisect.bisect_right(keys, position)
        end = start + per_page
    else:
        end = bisect.bisect_left(keys, position)
        start = end - per_page
    start, end = max(start, 0), min(max(end, 0), n)
    start = min(start, end)
    picked = list(range(start, end)) if order == "asc" else list(range(end - 1, start - 1, -1))
    if order == "asc":
        has_next, has_prev = end < n, start > 0
    else:
        has_next, has_prev = start > 0, end < n

    links: list[str] = []
    if picked:
        if has_next:
            links.append(f'<{page_url(req, scope, after=encode_cursor(keys[picked[-1]], bound))}>; rel="next"')
        if position is not None:
            links.append(f'<{page_url(req, scope)}>; rel="first"')
        if has_prev and position is not None:
            links.append(f'<{page_url(req, scope, before=encode_cursor(keys[picked[0]], bound))}>; rel="prev"')
    elif position is not None:
        links.append(f'<{page_url(req, scope)}>; rel="first"')

    body = dumps([sel.records[i] for i in picked])
    headers = [("Content-Type", CONTENT_TYPE), ("x-github-api-version-selected", version),
               ("x-github-media-type", "github.v3; format=json"), ("x-github-request-id", request_id())]
    if links:
        headers.append(("Link", ", ".join(links)))
    return Response(200, body, headers + RATE.headers())


def page_url(req: Request, scope: Scope, after: str = "", before: str = "") -> str:
    """The request's own parameters, in order, without its cursors, then after= and before=."""
    pairs = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True) if k not in ("after", "before")]
    pairs += [("after", after), ("before", before)]
    prefix = GHES_PREFIX if req.path.startswith(GHES_PREFIX + "/") else ""
    return f"{req.base_url()}{prefix}{scope.link_path}?{query_string(pairs)}"


def org_log(req: Request, state: State, org: str) -> Response:
    return list_audit_log(req, state, ORGS.get(unquote(org).lower()))


def org_log_by_id(req: Request, state: State, org_id: str) -> Response:
    return list_audit_log(req, state, ORGS_BY_ID.get(org_id))


def enterprise_log(req: Request, state: State, enterprise: str) -> Response:
    name = unquote(enterprise)
    known = name.lower() == ENTERPRISE.login.lower() or name == str(ENTERPRISE.id)
    return list_audit_log(req, state, ENTERPRISE if known else None)


METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
GHES_PREFIX = "/api/v3"  # GitHub Enterprise Server's REST root: https://HOST/api/v3
ROUTES = [
    route(METHODS, r"^(?:/api/v3)?/orgs/(?P<org>[^/]+)/audit-log$", org_log, is_list=True),
    route(METHODS, r"^(?:/api/v3)?/organizations/(?P<org_id>[0-9]+)/audit-log$", org_log_by_id, is_list=True),
    route(METHODS, r"^(?:/api/v3)?/enterprises/(?P<enterprise>[^/]+)/audit-log$", enterprise_log, is_list=True),
]
PREFIXES = ("/orgs/", "/organizations/", "/enterprises/", GHES_PREFIX + "/")
