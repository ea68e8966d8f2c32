"""Auth0: the client-credentials token endpoint and the Management API v2 logs.

Token: POST /oauth/token with a JSON body (or a form carrying `audience`; Basic client
authentication also works) of grant_type=client_credentials, client_id, client_secret and
audience, which must be exactly https://acme.eu.auth0.com/api/v2/. SailPoint shares the path:
requests that are neither JSON nor carry `audience` go to sailpoint.token unchanged. Errors are
Auth0's: 400 invalid_request (no grant_type), 401 access_denied "Unauthorized" (client or
secret), 400 unsupported_grant_type / 403 unauthorized_client (other grants), 403 access_denied
for a missing or unknown audience or scopes the client was not granted (read:logs,
read:logs_users).

Management API (base path /api/v2; `Authorization: Bearer` with an issued token or a --token):
  GET /api/v2/logs                  checkpoint mode when `from` is given, else search mode
  GET /api/v2/logs/{id}             one log, 404 inexistent_log
  GET /api/v2/users/{user_id}/logs  search mode for one user (page, per_page, sort, include_totals)
Every query is validated first (unknown parameters, types, ranges) with Auth0's
"Query validation error: ..." 400 (errorCode invalid_query_string).

Checkpoint mode (`from`, `take` 1..100, default 50): logs whose log_id is greater than `from`,
ascending by log_id, and a Link rel="next" with from=<last log_id>&take=<take>; a page without
logs links to the URL just requested. `from` must look like a log id (56 digits) but need not
exist (Elastic's integration starts from "900" + yyyyMMddHHmmss + 39 zeros). Every other
parameter is validated, then ignored.
Search mode: q (Lucene subset, see auth0_query.py), page (0-based), per_page (0..100; without
per_page, paging is off: the first 50), sort (<searchable field>:1 or :-1; default log_id
descending, newest first; ties by log_id), fields + include_fields, include_totals (an object
{length, limit, logs, start, total} whose total is the page's length, as search engine v3 does).
Only the first 1,000 results can be paged: (page + 1) * per_page > 1000 is a 400 invalid_paging.

Every Management API response carries x-ratelimit-limit, x-ratelimit-remaining and
x-ratelimit-reset (Unix seconds; a one-second window here, not enforced); a status fault with
429 sends Auth0's body with remaining 0.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import threading
import time
from typing import Any, Callable
from urllib.parse import quote, unquote

import auth0_query
import sailpoint
from common import (AUTH0_AUDIENCE, AUTH0_DOMAIN, BadRequest, HttpError, Request, Response, form_body,
                    json_response, parse_query, parse_time, reason, route)
from store import State

PROVIDER = "auth0"
ID_FIELD = "log_id"  # the field emulator.check_records keeps unique
CONTENT_TYPE = "application/json; charset=utf-8"
GRANTED_SCOPES = ("read:logs", "read:logs_users")
DEFAULT_LIFETIME = 86400
RATE_LIMIT = 50  # requests per window behind the x-ratelimit-* headers
DEFAULT_TAKE = DEFAULT_PER_PAGE = 50
MAX_TAKE = MAX_PER_PAGE = 100
SEARCH_WINDOW = 1000
LOG_ID = re.compile(r"[0-9]{56}")
CHECKPOINT_DOC = "https://auth0.com/docs/logs/retrieve-log-events-using-mgmt-api#retrieve-logs-by-checkpoint"
KNOWN_GRANTS = ("authorization_code", "refresh_token", "password", "implicit",
                "http://auth0.com/oauth/grant-type/password-realm", "http://auth0.com/oauth/grant-type/mfa-oob",
                "http://auth0.com/oauth/grant-type/mfa-otp", "http://auth0.com/oauth/grant-type/mfa-recovery-code",
                "http://auth0.com/oauth/grant-type/passwordless/otp", "urn:ietf:params:oauth:grant-type:device_code",
                "urn:ietf:params:oauth:grant-type:token-exchange", "urn:openid:params:grant-type:ciba")

# Query parameters of GET /api/v2/logs: name → (type, description as Auth0's schema words it).
PARAMS: dict[str, tuple[str, str]] = {
    "page": ("integer", "Page index of the results to return. First page is 0."),
    "per_page": ("integer", "Number of results per page. Paging is disabled if parameter not sent. "
                            "Default: <code>50</code>. Max value: <code>100</code>"),
    "sort": ("string", "Field to use for sorting appended with <code>:1</code>  for ascending and <code>:-1</code> "
                       "for descending. e.g. <code>date:-1</code>"),
    "fields": ("string", "Comma-separated list of fields to include or exclude (based on value provided for "
                         "include_fields) in the result. Leave empty to retrieve all fields."),
    "include_fields": ("boolean", "Whether specified fields are to be included (<code>true</code>) or excluded "
                                  "(<code>false</code>)"),
    "include_totals": ("boolean", "Return results as an array when false (default). Return results inside an object "
                                  "that also contains a total result count when true."),
    "from": ("string", "Log Event Id from which to start selection from."),
    "take": ("integer", "Number of entries to retrieve when using the <code>from</code> parameter. "
                        "Default <code>50</code>, max <code>100</code>"),
    "q": ("string", "Query in Lucene query string syntax."),
}
USER_LOG_PARAMS = ("page", "per_page", "sort", "include_totals")
LIMITS = {"page": (0, None), "per_page": (0, MAX_PER_PAGE), "take": (1, MAX_TAKE)}
SORT_PATTERN = "^((" + "|".join(auth0_query.SEARCHABLE) + ")\\:(1|-1))$"
LOG_ID_PATTERN = "^[0-9]{56}$"


# --------------------------------------------------------------------------- errors and headers


class _RateCounter:
    """Requests per one-second window behind the x-ratelimit-* headers (not enforced)."""

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
        return [("x-ratelimit-limit", str(RATE_LIMIT)), ("x-ratelimit-remaining", str(remaining)),
                ("x-ratelimit-reset", str(window + 1))]


RATE = _RateCounter()


def error(status: int, message: str, code: str | None = None, attributes: bool = False,
          headers: list[tuple[str, str]] | None = None) -> Response:
    """Auth0's (hapi's) error body: statusCode, error, message, and errorCode or attributes."""
    body: dict[str, Any] = {"statusCode": status, "error": reason(status), "message": message}
    if code:
        body["errorCode"] = code
    if attributes:
        body["attributes"] = {"error": message}
    return json_response(status, body, CONTENT_TYPE, headers)


def unauthorized(message: str | None) -> Response:
    """401 as hapi's Boom.unauthorized(message, 'Bearer'); None is 'Missing authentication'."""
    if message is None:
        return error(401, "Missing authentication", headers=[("WWW-Authenticate", "Bearer")])
    return error(401, message, attributes=True, headers=[("WWW-Authenticate", f'Bearer error="{message}"')])


def insufficient_scope(scope: str) -> Response:
    return error(403, f"Insufficient scope, expected any of: {scope}", "insufficient_scope")


def rate_limited() -> Response:
    return error(429, "Global limit has been reached", "too_many_requests", headers=[
        ("x-ratelimit-limit", str(RATE_LIMIT)), ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", str(int(time.time()) + 1))])


def default_error(status: int) -> Response:
    """The body the Management API sends for a status, used by status faults and unknown routes."""
    if status == 429:
        return rate_limited()
    if status == 401:
        return unauthorized("Invalid token")
    if status == 403:
        return insufficient_scope("read:logs")
    if status == 500:
        return error(500, "An internal server error occurred")
    return error(status, reason(status))


def bad_query(detail: str, name: str | None = None) -> HttpError:
    """400 invalid_query_string in the words of Auth0's schema validation."""
    where = f" on property {name} ({PARAMS[name][1]})." if name else ""
    return HttpError(error(400, f"Query validation error: '{detail}'{where}", "invalid_query_string"))


def oauth_error(status: int, code: str, description: str) -> Response:
    return json_response(status, {"error": code, "error_description": description}, CONTENT_TYPE,
                         [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


# --------------------------------------------------------------------------- token


def token(req: Request, state: State) -> Response:
    """POST /oauth/token: Auth0's when JSON or carrying `audience`, else SailPoint's."""
    ctype = req.content_type()
    if ctype == "application/json":
        try:
            body = json.loads(req.body or b"")
        except (ValueError, UnicodeDecodeError):
            return oauth_error(400, "invalid_request", "Invalid JSON body.")
        if not isinstance(body, dict):
            return oauth_error(400, "invalid_request", "The request body must be a JSON object.")
        if any(not isinstance(v, str) for v in body.values()):
            return oauth_error(400, "invalid_request", "Parameters must be strings.")
        fields: dict[str, str] = body
    elif ctype == "application/x-www-form-urlencoded":
        try:
            form = parse_query(form_body(req))
        except BadRequest:
            return sailpoint.token(req, state)
        if "audience" not in form:
            return sailpoint.token(req, state)
        if any(len(v) > 1 for v in form.values()):
            return oauth_error(400, "invalid_request", "Parameters must not be repeated.")
        fields = {k: v[0] for k, v in form.items()}
    else:
        return sailpoint.token(req, state)
    return _issue(req, state, fields)


def _basic(req: Request) -> tuple[str, str] | None:
    scheme, _, value = (req.header("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return ("", "")
    return (unquote(client_id), unquote(secret)) if sep else ("", "")


def _issue(req: Request, state: State, fields: dict[str, str]) -> Response:
    grant = fields.get("grant_type")
    if not grant:
        return oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
    creds = _basic(req) or (fields.get("client_id", ""), fields.get("client_secret", ""))
    if creds != (state.config.client_id, state.config.client_secret):
        return oauth_error(401, "access_denied", "Unauthorized")
    if grant != "client_credentials":
        if grant in KNOWN_GRANTS:
            return oauth_error(403, "unauthorized_client", f"Grant type '{grant}' not allowed for the client.")
        return oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    audience = fields.get("audience")
    if not audience:
        return oauth_error(403, "access_denied", "No audience parameter was provided, and no default audience has "
                                                 "been configured")
    if audience != AUTH0_AUDIENCE:
        return oauth_error(403, "access_denied", f"Service not found: {audience}")
    requested = fields.get("scope", "").split()
    missing = [s for s in requested if s not in GRANTED_SCOPES]
    if missing:
        return oauth_error(403, "access_denied", f"Client has not been granted scopes: {' '.join(missing)}")
    scope = " ".join(requested or GRANTED_SCOPES)
    lifetime = state.config.token_lifetime or DEFAULT_LIFETIME
    access = state.issue_token(PROVIDER, lifetime, {
        "iss": f"https://{AUTH0_DOMAIN}/", "sub": f"{creds[0]}@clients", "aud": audience, "azp": creds[0],
        "iat": int(time.time()), "scope": scope, "gty": "client-credentials"})
    return json_response(200, {"access_token": access, "scope": scope, "expires_in": lifetime, "token_type": "Bearer"},
                         CONTENT_TYPE, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


# --------------------------------------------------------------------------- records


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("log_id"), str) or not LOG_ID.fullmatch(rec["log_id"]):
        raise ValueError("an Auth0 log needs a 'log_id' of 56 digits")
    if not isinstance(rec.get("type"), str) or not rec["type"]:
        raise ValueError("an Auth0 log needs a string 'type'")
    parse_time(rec.get("date", ""))


class Snapshot:
    """Records ascending by log_id (the checkpoint order), with their dates in milliseconds."""

    def __init__(self, records: list[dict[str, Any]]):
        self.records = sorted(records, key=lambda r: r["log_id"])
        self.ids = [r["log_id"] for r in self.records]
        self.dates = [parse_time(r["date"]) // 1_000_000 for r in self.records]
        self.by_id = {r["log_id"]: r for r in self.records}


def snapshot(state: State) -> Snapshot:
    return state.cached(("snapshot",), Snapshot, PROVIDER)


# --------------------------------------------------------------------------- request parsing


def _authorize(req: Request, state: State, scope: str) -> None:
    header = (req.header("Authorization") or "").strip()
    parts = header.split()
    if not parts or parts[0].lower() != "bearer":
        raise HttpError(unauthorized(None))
    if len(parts) != 2:
        raise HttpError(unauthorized("Bad HTTP authentication header format"))
    status = state.token_status(parts[1], PROVIDER)
    if status == "expired":
        raise HttpError(unauthorized("Expired token received for JSON Web Token validation"))
    if status != "ok":
        raise HttpError(unauthorized("Invalid token"))
    if scope not in _scopes(parts[1], state):
        raise HttpError(insufficient_scope(scope))


def _scopes(token: str, state: State) -> tuple[str, ...]:
    if token in state.config.tokens:
        return GRANTED_SCOPES
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return tuple(str(claims.get("scope", "")).split())
    except (IndexError, ValueError):
        return ()


def _params(req: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    """Validated, typed parameters (absent ones are missing from the result)."""
    unknown = [name for name in req.params if name not in allowed]
    if unknown:
        raise bad_query(f"Additional properties not allowed: {','.join(unknown)}")
    out: dict[str, Any] = {}
    for name in allowed:
        values = req.params.get(name)
        if values is None:
            continue
        kind = PARAMS[name][0]
        if len(values) > 1:
            raise bad_query(f"Expected type {kind} but found type array", name)
        text = values[0]
        if kind == "integer":
            if not re.fullmatch(r"-?[0-9]+", text):
                found = "number" if re.fullmatch(r"-?[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?", text) else "string"
                raise bad_query(f"Expected type integer but found type {found}", name)
            value = int(text)
            low, high = LIMITS[name]
            if value < low:
                raise bad_query(f"Value {value} is less than minimum {low}", name)
            if high is not None and value > high:
                raise bad_query(f"Value {value} is greater than maximum {high}", name)
            out[name] = value
        elif kind == "boolean":
            if text not in ("true", "false"):
                raise bad_query("Expected type boolean but found type string", name)
            out[name] = text == "true"
        else:
            out[name] = text
    if "sort" in out and not re.fullmatch(SORT_PATTERN, out["sort"]):
        raise bad_query(f"String does not match pattern {SORT_PATTERN}: {out['sort']}", "sort")
    if "from" in out:
        if out["from"] == "":
            raise bad_query("String is too short (0 chars), minimum 1", "from")
        if not LOG_ID.fullmatch(out["from"]):
            raise bad_query(f"String does not match pattern {LOG_ID_PATTERN}: {out['from']}", "from")
    return out


# --------------------------------------------------------------------------- handlers


def _with_rate(handler: Callable[..., Response]) -> Callable[..., Response]:
    def wrapped(req: Request, state: State, **groups: str) -> Response:
        rate = RATE.headers()
        try:
            response = handler(req, state, **groups)
        except HttpError as exc:
            response = exc.response
        for name, value in rate:
            if response.header(name) is None:
                response.headers.append((name, value))
        return response
    return wrapped


def list_logs(req: Request, state: State) -> Response:
    _authorize(req, state, "read:logs")
    params = _params(req, tuple(PARAMS))
    if "from" in params:
        return _checkpoint(req, state, params)
    return _search(state, params, params.get("q"), None)


def user_logs(req: Request, state: State, user_id: str) -> Response:
    _authorize(req, state, "read:logs_users")
    params = _params(req, USER_LOG_PARAMS)
    return _search(state, params, None, unquote(user_id))


def get_log(req: Request, state: State, log_id: str) -> Response:
    _authorize(req, state, "read:logs")
    if req.params:
        raise bad_query(f"Additional properties not allowed: {','.join(req.params)}")
    rec = snapshot(state).by_id.get(unquote(log_id))
    if rec is None:
        return error(404, "log not found", "inexistent_log")
    return json_response(200, rec, CONTENT_TYPE)


def _checkpoint(req: Request, state: State, params: dict[str, Any]) -> Response:
    take = params.get("take", DEFAULT_TAKE)
    snap = snapshot(state)
    start = bisect.bisect_right(snap.ids, params["from"])
    page = snap.records[start:start + take]
    if page:
        target = f"{req.base_url()}{req.path}?from={quote(page[-1]['log_id'], safe='')}&take={take}"
    else:  # nothing newer yet: the same request is the next one
        target = req.url()
    return json_response(200, page, CONTENT_TYPE, [("Link", f'<{target}>; rel="next"')])


def _search(state: State, params: dict[str, Any], q: str | None, user_id: str | None) -> Response:
    node: auth0_query.Node = auth0_query.All()
    if q is not None:
        try:
            node = auth0_query.parse(q)
        except auth0_query.QueryError as exc:
            raise HttpError(error(400, f"The search query string has an error: {exc}", "invalid_query_string"))
    if "per_page" in params:
        per_page, page = params["per_page"], params.get("page", 0)
    else:  # paging is disabled without per_page
        per_page, page = DEFAULT_PER_PAGE, 0
    if (page + 1) * per_page > SEARCH_WINDOW:
        raise HttpError(error(400, f"Requesting page {page + 1} exceeds the allowed maximum of {SEARCH_WINDOW} records: "
                                   f"please consider searching by checkpoint {CHECKPOINT_DOC}", "invalid_paging"))
    sort = params.get("sort")
    snap = snapshot(state)
    selected = state.cached(("search", q, sort, user_id), lambda _: _select(snap, node, sort, user_id), PROVIDER)
    start = page * per_page
    logs = [_project(r, params) for r in selected[start:start + per_page]]
    if params.get("include_totals"):
        body: Any = {"length": len(logs), "limit": per_page, "logs": logs, "start": start, "total": len(logs)}
        return json_response(200, body, CONTENT_TYPE)
    return json_response(200, logs, CONTENT_TYPE)


def _select(snap: Snapshot, node: auth0_query.Node, sort: str | None, user_id: str | None) -> list[dict[str, Any]]:
    """Matching records in the requested order; without sort, newest log_id first."""
    match = auth0_query.Matcher(node)
    picked = [i for i in range(len(snap.records))
              if (user_id is None or snap.records[i].get("user_id") == user_id) and match(snap.records[i], snap.dates[i])]
    if sort is None:
        return [snap.records[i] for i in reversed(picked)]
    field, _, direction = sort.partition(":")
    descending = direction == "-1"
    if field == "date":
        picked.sort(key=lambda i: (snap.dates[i], i), reverse=descending)
        return [snap.records[i] for i in picked]
    present = [i for i in picked if isinstance(snap.records[i].get(field), (str, int, float))]
    missing = [i for i in picked if not isinstance(snap.records[i].get(field), (str, int, float))]
    present.sort(key=lambda i: (str(snap.records[i][field]), i), reverse=descending)
    if descending:
        missing.reverse()
    return [snap.records[i] for i in present + missing]


def _project(rec: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    names = [n.strip() for n in params.get("fields", "").split(",") if n.strip()]
    if not names:
        return rec
    if params.get("include_fields", True):
        return {k: v for k, v in rec.items() if k in names}
    return {k: v for k, v in rec.items() if k not in names}


ROUTES = [
    route("POST", r"^/oauth/token$", token),
    route("GET", r"^/api/v2/logs$", _with_rate(list_logs), is_list=True),
    route("GET", r"^/api/v2/logs/(?P<log_id>[^/]+)$", _with_rate(get_log)),
    route("GET", r"^/api/v2/users/(?P<user_id>[^/]+)/logs$", _with_rate(user_logs), is_list=True),
]
PREFIXES = ("/api/v2/logs", "/api/v2/users")  # /oauth/token stays SailPoint's for default errors (faults)
