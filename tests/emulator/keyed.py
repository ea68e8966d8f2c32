"""A small audit API that no built-in provider speaks, for the test that adds a provider from a
definition alone (tests/e2e/test_user_definitions.py): a bare JSON array of events, paging by
the Link header, an API key in its own header and times in epoch seconds.

  GET /keyed/v1/events   `X-Api-Key: <token>`; `start` (inclusive) and `end` (exclusive) in
                         epoch seconds; `kind` and `user` exact filters; `limit` 1..100
                         (default 10); `page` only from the Link header's rel="next". Events
                         come oldest first, by (ts, event_id).
"""

from __future__ import annotations

import re
from typing import Any

from common import HttpError, Request, Response, json_response, query_string, route, single
from store import State

PROVIDER = "keyed"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
FILTERS = ("kind", "user")


def error(status: int, message: str) -> Response:
    return json_response(status, {"status": status, "error": message})


def default_error(status: int) -> Response:
    if status == 401:
        return error(401, "a valid X-Api-Key header is required")
    if status == 429:
        return json_response(429, {"status": 429, "error": "slow down"}, headers=[("Retry-After", "1")])
    return error(status, "request failed")


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("event_id"), str) or not rec["event_id"]:
        raise ValueError("a keyed event needs a string 'event_id'")
    if not isinstance(rec.get("ts"), int) or isinstance(rec["ts"], bool) or rec["ts"] < 0:
        raise ValueError("a keyed event needs 'ts', epoch seconds")


def _seconds(params: dict[str, list[str]], name: str) -> int | None:
    try:
        value = single(params, name)
    except ValueError as exc:
        raise HttpError(error(400, str(exc)))
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", value):
        raise HttpError(error(400, f"{name} must be epoch seconds"))
    return int(value)


def list_events(req: Request, state: State) -> Response:
    if req.header("X-Api-Key") not in state.config.tokens:
        raise HttpError(default_error(401))
    params = req.params
    start, end = _seconds(params, "start"), _seconds(params, "end")
    page = _seconds(params, "page") or 0
    limit = _seconds(params, "limit") or DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(error(400, f"limit must be 1..{MAX_LIMIT}"))
    try:
        exact = {name: single(params, name) for name in FILTERS}
    except ValueError as exc:
        raise HttpError(error(400, str(exc)))
    records = sorted(state.records(PROVIDER), key=lambda r: (r["ts"], r["event_id"]))
    matching = [r for r in records if (start is None or r["ts"] >= start) and (end is None or r["ts"] < end)
                and all(v is None or r.get(k) == v for k, v in exact.items())]
    chunk = matching[page * limit:(page + 1) * limit]
    headers = []
    if (page + 1) * limit < len(matching):
        pairs = [(k, v) for k, v in ((k, single(params, k)) for k in ("start", "end", "kind", "user", "limit"))
                 if v is not None]
        headers.append(("Link", f'<{req.base_url()}{req.path}?{query_string(pairs + [("page", str(page + 1))])}>; '
                                'rel="next"'))
    return json_response(200, chunk, headers=headers)


ROUTES = [route("GET", r"^/keyed/v1/events$", list_events, is_list=True)]
PREFIXES = ("/keyed/",)
