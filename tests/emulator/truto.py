"""Truto unified API: user-directory activities (list, get one)."""

from __future__ import annotations

import bisect
import re
from typing import Any, Callable
from urllib.parse import unquote

from common import (TRUTO_ACCOUNT_ID, HttpError, Request, Response, bearer_token, decode_cursor,
                    encode_cursor, fingerprint, json_response, parse_time, reason, route, single)
from store import State

PROVIDER = "truto"
ACCOUNTS = {TRUTO_ACCOUNT_ID}
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000  # larger requests are clamped, as an upstream API would
FILTER_PARAMS = ("created_at", "actor_id", "action", "organization_id", "entity", "entity_type", "ip_address")


def error(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"statusCode": status, "error": reason(status), "message": message},
                         "application/json", headers)


def default_error(status: int) -> Response:
    if status == 401:
        return error(401, "Invalid or expired API token.")
    if status == 429:
        return error(429, "Too many requests. Please retry after some time.", [("Retry-After", "1")])
    if status == 404:
        return error(404, "Not found.")
    return error(status, reason(status))


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or not rec["id"]:
        raise ValueError("a Truto activity needs a string 'id'")
    parse_time(rec.get("created_at", ""))


class Snapshot:
    """Records sorted ascending by (created_at, id); pages walk it backwards (newest first)."""

    def __init__(self, records: list[dict[str, Any]]):
        items = sorted(((parse_time(r["created_at"]), r["id"]), r) for r in records)
        self.keys = [k for k, _ in items]
        self.records = [r for _, r in items]
        self.by_id = {r["id"]: r for r in self.records}


def snapshot(state: State) -> Snapshot:
    return state.cached(("snapshot",), Snapshot, PROVIDER)


def _get(rec: Any, *path: str) -> Any:
    for key in path:
        rec = rec.get(key) if isinstance(rec, dict) else None
    return rec


FIELD_OF: dict[str, Callable[[dict[str, Any]], Any]] = {
    "actor_id": lambda r: _get(r, "actor", "user", "id"),
    "action": lambda r: r.get("action"),
    "organization_id": lambda r: r.get("organization"),
    "entity": lambda r: r.get("entity"),
    "entity_type": lambda r: r.get("entity_type"),
    "ip_address": lambda r: _get(r, "context", "ip_address"),
}


def check_access(req: Request, state: State) -> dict[str, list[str]]:
    """Authenticates and validates integrated_account_id; returns the query parameters."""
    if state.token_status(bearer_token(req), PROVIDER) != "ok":
        raise HttpError(default_error(401))
    try:
        account = single(req.params, "integrated_account_id")
    except ValueError as exc:
        raise HttpError(error(400, str(exc)))
    if not account:
        raise HttpError(error(400, "integrated_account_id is required."))
    if account not in ACCOUNTS:
        raise HttpError(error(404, f"Integrated account with id {account} not found."))
    return req.params


def shape(rec: dict[str, Any], params: dict[str, list[str]]) -> dict[str, Any]:
    """Applies truto_ignore_remote_data and truto_exclude_fields[]."""
    drop = set(params.get("truto_exclude_fields[]", []) + params.get("truto_exclude_fields", []))
    if (params.get("truto_ignore_remote_data") or [""])[-1].lower() == "true":
        drop.add("remote_data")
    return {k: v for k, v in rec.items() if k not in drop}


def list_activities(req: Request, state: State) -> Response:
    params = check_access(req, state)
    try:
        filters = {name: single(params, name) for name in FILTER_PARAMS}
        limit_text, cursor = single(params, "limit"), single(params, "next_cursor")
    except ValueError as exc:
        raise HttpError(error(400, str(exc)))
    limit = DEFAULT_LIMIT
    if limit_text not in (None, ""):
        if not re.fullmatch(r"[0-9]{1,9}", limit_text) or int(limit_text) < 1:
            raise HttpError(error(400, "limit must be a positive integer."))
        limit = min(int(limit_text), MAX_LIMIT)
    since = None
    if filters["created_at"] not in (None, ""):
        try:
            since = parse_time(filters["created_at"])
        except ValueError:
            raise HttpError(error(400, "created_at must be an ISO 8601 date-time."))
    exact = {k: v for k, v in filters.items() if k != "created_at" and v not in (None, "")}

    snap = snapshot(state)
    bound = fingerprint(PROVIDER, TRUTO_ACCOUNT_ID, filters)
    start = len(snap.keys)
    if cursor not in (None, ""):
        try:
            payload = decode_cursor(cursor, ("k", "f"))
            key = payload["k"]
            if payload["f"] != bound or not (isinstance(key, list) and len(key) == 2
                                             and isinstance(key[0], int) and isinstance(key[1], str)):
                raise ValueError
        except ValueError:
            raise HttpError(error(400, "Invalid next_cursor."))
        start = bisect.bisect_left(snap.keys, (key[0], key[1]))

    picked: list[int] = []
    i = start - 1
    while i >= 0 and len(picked) <= limit:
        rec, ts = snap.records[i], snap.keys[i][0]
        if (since is None or ts >= since) and all(FIELD_OF[k](rec) == v for k, v in exact.items()):
            picked.append(i)
        elif since is not None and ts < since:
            break  # everything further back is older still
        i -= 1
    more = len(picked) > limit
    picked = picked[:limit]
    next_cursor = None
    if more:
        last = snap.keys[picked[-1]]
        next_cursor = encode_cursor({"k": [last[0], last[1]], "f": bound})
    result = [shape(snap.records[j], params) for j in picked]
    return json_response(200, {"result": result, "next_cursor": next_cursor, "prev_cursor": None,
                               "result_count": len(result)})


def get_activity(req: Request, state: State, activity_id: str) -> Response:
    params = check_access(req, state)
    rec = snapshot(state).by_id.get(unquote(activity_id))
    if rec is None:
        return error(404, f"Activity with id {unquote(activity_id)} not found.")
    return json_response(200, shape(rec, params))


ROUTES = [
    route("GET", r"^/unified/user-directory/activities$", list_activities, is_list=True),
    route("GET", r"^/unified/user-directory/activities/(?P<activity_id>[^/]+)$", get_activity),
]
PREFIXES = ("/unified/",)
