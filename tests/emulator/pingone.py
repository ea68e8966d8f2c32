"""PingOne: OAuth2 token endpoint and audit activities (list, get one)."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from typing import Any
from urllib.parse import unquote

import scim
from common import (PINGONE_ENV_ID, PINGONE_ORG_ID, BadRequest, HttpError, Request, Response, bearer_token,
                    decode_cursor, encode_cursor, fingerprint, form_body, json_response, new_error_id, parse_query,
                    parse_time, query_string, route, single)
from store import State

PROVIDER = "pingone"
CONTENT_TYPE = "application/hal+json;charset=UTF-8"
ENVIRONMENTS = {PINGONE_ENV_ID: PINGONE_ORG_ID}
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
DEFAULT_LIFETIME = 3600

MESSAGES = {
    "INVALID_DATA": "The request could not be completed. One or more validation errors were in the request.",
    "ACCESS_FAILED": "The request could not be completed. You do not have access to this resource.",
    "NOT_FOUND": "The request could not be completed. The requested resource was not found.",
    "REQUEST_LIMITED": "The request could not be completed. Too many requests.",
    "METHOD_NOT_ALLOWED": "The request could not be completed. The HTTP method is not allowed for this resource.",
    "UNEXPECTED_ERROR": "An unexpected error occurred.",
    "SERVICE_UNAVAILABLE": "The request could not be completed. The service is temporarily unavailable.",
}


# --------------------------------------------------------------------------- errors


def error(status: int, code: str, details: list[dict[str, Any]] | None = None,
          headers: list[tuple[str, str]] | None = None, message: str | None = None) -> Response:
    body: dict[str, Any] = {"id": new_error_id(), "code": code, "message": message or MESSAGES[code]}
    if details:
        body["details"] = details
    return json_response(status, body, "application/json", headers)


def invalid(detail_code: str, target: str, message: str) -> HttpError:
    return HttpError(error(400, "INVALID_DATA", [{"code": detail_code, "target": target, "message": message}]))


def invalid_filter(message: str) -> HttpError:
    return invalid("INVALID_FILTER", "filter", message)


def unauthorized() -> Response:
    return error(401, "ACCESS_FAILED", [{"code": "INVALID_TOKEN", "message": "The access token is invalid or expired."}],
                 [("WWW-Authenticate", 'Bearer realm="PingOne", error="invalid_token"')])


def not_found() -> Response:
    return error(404, "NOT_FOUND")


def default_error(status: int) -> Response:
    """The body PingOne sends for a status, used by status faults and unknown routes."""
    if status == 401:
        return unauthorized()
    if status == 429:
        return error(429, "REQUEST_LIMITED", headers=[("Retry-After", "1")])
    code = {400: "INVALID_DATA", 403: "ACCESS_FAILED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
            503: "SERVICE_UNAVAILABLE"}.get(status, "UNEXPECTED_ERROR")
    return error(status, code)


def oauth_error(status: int, code: str, description: str) -> Response:
    headers = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
    if code == "invalid_client":
        headers.append(("WWW-Authenticate", 'Basic realm="PingOne"'))
    return json_response(status, {"error": code, "error_description": description}, "application/json", headers)


# --------------------------------------------------------------------------- token


def basic_credentials(header: str) -> tuple[str, str] | None:
    """client_id and secret from an HTTP Basic header (RFC 6749 §2.3.1 form-encoding)."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def token(req: Request, state: State, env: str | None = None) -> Response:
    """POST /{envId}/as/token and /as/token: client credentials grant."""
    if env is not None and unquote(env) not in ENVIRONMENTS:
        return not_found()
    if req.content_type() != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
    try:
        form = parse_query(form_body(req))
    except BadRequest as exc:
        return oauth_error(400, "invalid_request", f"Request denied: {exc}.")
    if any(len(v) > 1 for v in form.values()):
        return oauth_error(400, "invalid_request", "Request parameters must not be repeated.")
    form_id, form_secret = single(form, "client_id"), single(form, "client_secret")
    auth_header = req.header("Authorization")
    method = state.config.pingone_auth_method
    if auth_header:
        creds = basic_credentials(auth_header)
        if creds is None:
            return oauth_error(401, "invalid_client", "Request denied: malformed client authentication.")
        if form_secret is not None:
            return oauth_error(400, "invalid_request", "Request uses more than one client authentication method.")
        if form_id is not None and form_id != creds[0]:
            return oauth_error(400, "invalid_request", "client_id does not match the authenticated client.")
        used = "basic"
    elif form_id is not None:
        creds = (form_id, form_secret or "")
        used = "post"
    else:
        return oauth_error(401, "invalid_client", "Request denied: client authentication is missing.")
    if creds != (state.config.client_id, state.config.client_secret):
        return oauth_error(401, "invalid_client", "Request denied: invalid client credentials.")
    if method != "any" and method != used:
        return oauth_error(401, "invalid_client",
                           f"Request denied: unsupported authentication method (expected CLIENT_SECRET_{method.upper()}).")
    grant = single(form, "grant_type")
    if not grant:
        return oauth_error(400, "invalid_request", "Request denied: missing grant_type.")
    if grant != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", f"Request denied: unsupported grant type '{grant}'.")
    lifetime = state.config.token_lifetime or DEFAULT_LIFETIME
    access = state.issue_token(PROVIDER, lifetime, {"client_id": creds[0], "env": env or PINGONE_ENV_ID})
    return json_response(200, {"access_token": access, "token_type": "Bearer", "expires_in": lifetime},
                         "application/json", [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


# --------------------------------------------------------------------------- activities


class Snapshot:
    """Records sorted ascending by (recordedAt, id); pages walk it backwards."""

    def __init__(self, records: list[dict[str, Any]]):
        items = sorted(((parse_time(r["recordedAt"]), r["id"]), r) for r in records)
        self.keys = [k for k, _ in items]
        self.records = [r for _, r in items]
        self.by_id = {r["id"]: r for r in self.records}


def snapshot(state: State) -> Snapshot:
    return state.cached(("snapshot",), Snapshot, PROVIDER)


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or not rec["id"]:
        raise ValueError("a PingOne activity needs a string 'id'")
    parse_time(rec.get("recordedAt", ""))


def render(rec: dict[str, Any], req: Request, env: str) -> dict[str, Any]:
    href = f"{req.base_url()}/v1/environments/{env}/activities/{rec['id']}"
    return {"_links": {"self": {"href": href}}, **{k: v for k, v in rec.items() if k != "_links"}}


def require_access(req: Request, state: State, env: str) -> str:
    if state.token_status(bearer_token(req), PROVIDER) != "ok":
        raise HttpError(unauthorized())
    env = unquote(env)
    if env not in ENVIRONMENTS:
        raise HttpError(not_found())
    return env


def list_params(req: Request) -> dict[str, list[str]]:
    """GET takes the query; POST takes a form or JSON body (keeps the filter out of URLs)."""
    if req.method == "GET":
        return req.params
    if req.content_type() == "application/json":
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            raise HttpError(error(400, "INVALID_DATA", [{"code": "INVALID_VALUE", "message": "The request body is not valid JSON."}]))
        if not isinstance(body, dict):
            raise HttpError(error(400, "INVALID_DATA", [{"code": "INVALID_VALUE", "message": "The request body must be a JSON object."}]))
        return {k: [v if isinstance(v, str) else json.dumps(v)] for k, v in body.items()}
    return parse_query(form_body(req))


def parse_limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,9}", text) or not 1 <= int(text) <= MAX_LIMIT:
        raise invalid("INVALID_VALUE", "limit", f"limit must be an integer between 1 and {MAX_LIMIT}.")
    return int(text)


def list_activities(req: Request, state: State, env: str) -> Response:
    env = require_access(req, state, env)
    try:
        params = list_params(req)
        filter_text, limit_text, cursor = (single(params, n) for n in ("filter", "limit", "cursor"))
    except (ValueError, BadRequest) as exc:
        raise HttpError(error(400, "INVALID_DATA", [{"code": "INVALID_VALUE", "message": str(exc)}]))
    limit = parse_limit(limit_text)
    if filter_text is None:
        raise invalid_filter("A filter is required, with a date range on recordedAt "
                             "(e.g. recordedAt gt \"2024-01-01T00:00:00Z\" and recordedAt lt \"2024-01-02T00:00:00Z\").")
    try:
        node = scim.parse(filter_text)
    except scim.FilterError as exc:
        raise invalid_filter(f"Invalid filter: {exc}")
    lower, upper = scim.time_bounds(node)
    if not (lower and upper):
        raise invalid_filter("The filter must include a date range on recordedAt: a lower bound (gt or ge) "
                             "and an upper bound (lt or le).")

    snap = snapshot(state)
    bound = fingerprint(PROVIDER, env, filter_text)
    start = len(snap.keys)
    if cursor is not None:
        try:
            payload = decode_cursor(cursor, ("k", "f"))
            key = payload["k"]
            if payload["f"] != bound or not (isinstance(key, list) and len(key) == 2
                                             and isinstance(key[0], int) and isinstance(key[1], str)):
                raise ValueError("cursor does not belong to this query")
        except ValueError:
            raise invalid("INVALID_VALUE", "cursor", "The cursor is invalid or does not match the filter.")
        start = bisect.bisect_left(snap.keys, (key[0], key[1]))

    ctx = scim.Context(env, ENVIRONMENTS[env])
    picked: list[int] = []
    i = start - 1
    while i >= 0 and len(picked) <= limit:
        if scim.matches(node, snap.records[i], snap.keys[i][0], ctx):
            picked.append(i)
        i -= 1
    more = len(picked) > limit
    picked = picked[:limit]

    links: dict[str, Any] = {"self": {"href": req.url()}}
    if more:
        last = snap.keys[picked[-1]]
        next_cursor = encode_cursor({"k": [last[0], last[1]], "f": bound})
        path = f"/v1/environments/{env}/activities"
        links["next"] = {"href": f"{req.base_url()}{path}?" + query_string(
            [("filter", filter_text), ("limit", str(limit)), ("cursor", next_cursor)])}
    activities = [render(snap.records[j], req, env) for j in picked]
    body = {"_links": links, "_embedded": {"activities": activities},
            "count": len(activities), "size": len(activities)}
    return json_response(200, body, CONTENT_TYPE)


def get_activity(req: Request, state: State, env: str, activity_id: str) -> Response:
    env = require_access(req, state, env)
    rec = snapshot(state).by_id.get(unquote(activity_id))
    if rec is None:
        return not_found()
    return json_response(200, render(rec, req, env), CONTENT_TYPE)


ROUTES = [
    route("POST", r"^/(?P<env>[^/]+)/as/token$", token),
    route("POST", r"^/as/token$", token),
    route("GET,POST", r"^/v1/environments/(?P<env>[^/]+)/activities$", list_activities, is_list=True),
    route("GET", r"^/v1/environments/(?P<env>[^/]+)/activities/(?P<activity_id>[^/]+)$", get_activity),
]
PREFIXES = ("/v1/", "/as/")
