"""SailPoint Identity Security Cloud: OAuth2 token endpoint and v3 account activities."""

from __future__ import annotations

import base64
import binascii
import email.parser
import re
import secrets
from typing import Any
from urllib.parse import unquote

import sailpoint_filter
from common import (SAILPOINT_ME, BadRequest, HttpError, Request, Response, bearer_token, form_body,
                    json_response, parse_query, parse_time, route, single)
from store import State

PROVIDER = "sailpoint"
CONTENT_TYPE = "application/json;charset=utf-8"
DEFAULT_LIFETIME = 749
MAX_LIMIT = 250
SORTABLE = ("type", "created", "modified")
DETAIL_CODES = {400: "400.1 Bad Request Content", 403: "403 Forbidden", 404: "404 Not found",
                405: "405 Method Not Allowed", 500: "500.0 Internal Fault", 502: "502 Bad Gateway",
                503: "503 Service Unavailable", 504: "504 Gateway Timeout"}


def error(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    body = {"detailCode": DETAIL_CODES.get(status, f"{status} Error"), "trackingId": secrets.token_hex(16),
            "messages": [{"locale": "en-US", "localeOrigin": "DEFAULT", "text": text}], "causes": []}
    return json_response(status, body, CONTENT_TYPE, headers)


def bad_request(text: str) -> HttpError:
    return HttpError(error(400, text))


def unauthorized() -> Response:
    return json_response(401, {"error": "JWT validation failed: JWT is expired"}, CONTENT_TYPE)


def not_found() -> Response:
    return error(404, "The server did not find a current representation for the target resource.")


def default_error(status: int) -> Response:
    if status == 401:
        return unauthorized()
    if status == 429:
        return json_response(429, {"message": " Rate Limit Exceeded "}, CONTENT_TYPE, [("Retry-After", "1")])
    if status == 404:
        return not_found()
    return error(status, "An internal fault occurred." if status >= 500 else "The request could not be processed.")


def oauth_error(status: int, code: str, description: str) -> Response:
    return json_response(status, {"error": code, "error_description": description}, "application/json;charset=UTF-8",
                         [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


# --------------------------------------------------------------------------- token


def token_params(req: Request) -> dict[str, list[str]]:
    """Query string plus form-urlencoded or multipart form-data body."""
    params = {k: list(v) for k, v in req.params.items()}
    extra: dict[str, list[str]] = {}
    ctype = req.content_type()
    if ctype == "application/x-www-form-urlencoded":
        extra = parse_query(form_body(req))
    elif ctype == "multipart/form-data" and req.body:
        raw = b"Content-Type: " + (req.header("Content-Type") or "").encode("latin-1") + b"\r\n\r\n" + req.body
        message = email.parser.BytesParser().parsebytes(raw)
        if not message.is_multipart():
            raise BadRequest("malformed multipart body")
        for part in message.get_payload():
            name = part.get_param("name", header="Content-Disposition")
            if name:
                extra.setdefault(name, []).append((part.get_payload(decode=True) or b"").decode("utf-8", "replace"))
    for key, values in extra.items():
        params.setdefault(key, []).extend(values)
    return params


def token(req: Request, state: State) -> Response:
    try:
        params = token_params(req)
        grant, client_id, secret = (single(params, n) for n in ("grant_type", "client_id", "client_secret"))
    except (BadRequest, ValueError) as exc:
        return oauth_error(400, "invalid_request", str(exc))
    auth = req.header("Authorization")
    if auth and auth.strip().lower().startswith("basic ") and client_id is None:
        try:
            decoded = base64.b64decode(auth.strip()[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return oauth_error(401, "invalid_client", "Bad client credentials")
        client_id, _, secret = decoded.partition(":")
    if client_id is None:
        return oauth_error(401, "invalid_client", "Bad client credentials")
    if (client_id, secret) != (state.config.client_id, state.config.client_secret):
        return oauth_error(401, "invalid_client", "Bad client credentials")
    if not grant:
        return oauth_error(400, "invalid_request", "Missing grant type")
    if grant != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    lifetime = state.config.token_lifetime or DEFAULT_LIFETIME
    access = state.issue_token(PROVIDER, lifetime, {"client_id": client_id, "org": "acme-sb", "pod": "stg01-useast1"})
    return json_response(200, {
        "access_token": access, "token_type": "bearer", "expires_in": lifetime, "scope": "sp:scopes:all",
        "tenant_id": "2f8b6c71-3e5a-4d09-a7c2-9b1e4f60d8a3", "pod": "stg01-useast1", "strong_auth_supported": False,
        "org": "acme-sb", "claims_supported": False, "jti": secrets.token_hex(16)},
        "application/json;charset=UTF-8", [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


# --------------------------------------------------------------------------- activities


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or not rec["id"]:
        raise ValueError("a SailPoint account activity needs a string 'id'")
    parse_time(rec.get("created", ""))


def _identity(summary: Any) -> Any:
    if not isinstance(summary, dict):
        return None
    return summary.get("identityId") or summary.get("id")


def parse_sorters(text: str | None) -> list[tuple[str, bool]]:
    if text is None or text == "":
        return []
    sorters = []
    for item in text.split(","):
        item = item.strip()
        name = item[1:] if item.startswith("-") else item
        if name not in SORTABLE:
            raise bad_request(f"Sorting is not supported for '{name}'. Supported: {', '.join(SORTABLE)}.")
        sorters.append((name, item.startswith("-")))
    return sorters


def _sort_key(field: str):
    def key(rec: dict[str, Any]) -> tuple[int, Any]:
        value = rec.get(field)
        if value is None:
            return (1, 0)
        return (0, parse_time(value) if field in ("created", "modified") else str(value))
    return key


def select(records: list[dict[str, Any]], node: Any, sorters: list[tuple[str, bool]],
           identities: dict[str, str | None]) -> list[dict[str, Any]]:
    """Filtered and sorted records; unsorted requests get id order (unspecified upstream)."""
    def wanted(rec: dict[str, Any]) -> bool:
        target, requester = _identity(rec.get("targetIdentitySummary")), _identity(rec.get("requesterIdentitySummary"))
        if identities["requested-for"] and target != identities["requested-for"]:
            return False
        if identities["requested-by"] and requester != identities["requested-by"]:
            return False
        if identities["regarding-identity"] and identities["regarding-identity"] not in (target, requester):
            return False
        return node is None or sailpoint_filter.matches(node, rec)
    result = sorted((r for r in records if wanted(r)), key=lambda r: r["id"])
    for field, descending in reversed(sorters):
        result.sort(key=_sort_key(field), reverse=descending)
    return result


def parse_int(name: str, text: str | None, default: int, low: int, high: int) -> int:
    if text is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:
        raise bad_request(f"{name} must be an integer between {low} and {high}.")
    return int(text)


def list_activities(req: Request, state: State) -> Response:
    if state.token_status(bearer_token(req), PROVIDER) != "ok":
        return unauthorized()
    names = ("limit", "offset", "count", "filters", "sorters", "requested-for", "requested-by", "regarding-identity")
    try:
        params = {n: single(req.params, n) for n in names}
    except ValueError as exc:
        raise bad_request(str(exc))
    limit = parse_int("limit", params["limit"], MAX_LIMIT, 0, MAX_LIMIT)
    max_offset = state.config.sail_max_offset
    offset = parse_int("offset", params["offset"], 0, 0, max_offset)
    count = (params["count"] or "false").lower()
    if count not in ("true", "false"):
        raise bad_request("count must be true or false.")
    if params["regarding-identity"] and (params["requested-for"] or params["requested-by"]):
        raise bad_request("regarding-identity cannot be combined with requested-for or requested-by.")
    identities = {k: (SAILPOINT_ME if params[k] == "me" else params[k] or None)
                  for k in ("requested-for", "requested-by", "regarding-identity")}
    node = None
    if params["filters"] is not None:
        try:
            node = sailpoint_filter.parse(params["filters"])
        except sailpoint_filter.FilterError as exc:
            raise bad_request(f"Invalid filter: {exc}")
    sorters = parse_sorters(params["sorters"])
    cache_key = ("select", params["filters"], tuple(sorters), tuple(sorted(identities.items())))
    selected = state.cached(cache_key, lambda recs: select(recs, node, sorters, identities), PROVIDER)
    headers = [("X-Total-Count", str(len(selected)))] if count == "true" else []
    return json_response(200, selected[offset:offset + limit], CONTENT_TYPE, headers)


def get_activity(req: Request, state: State, activity_id: str) -> Response:
    if state.token_status(bearer_token(req), PROVIDER) != "ok":
        return unauthorized()
    wanted = unquote(activity_id)
    for rec in state.records(PROVIDER):
        if rec.get("id") == wanted:
            return json_response(200, rec, CONTENT_TYPE)
    return not_found()


ROUTES = [
    route("POST", r"^/oauth/token$", token),
    route("GET", r"^/v3/account-activities$", list_activities, is_list=True),
    route("GET", r"^/v3/account-activities/(?P<activity_id>[^/]+)$", get_activity),
]
PREFIXES = ("/v3/", "/oauth/")
