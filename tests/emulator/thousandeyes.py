"""ThousandEyes API v7: activity log (audit user events)."""

from __future__ import annotations

import bisect
import re
import threading
import time
from typing import Any

from common import (TE_ACCOUNT_GROUPS, TE_AID, HttpError, Request, Response, bearer_token,
                    decode_cursor, encode_cursor, fingerprint, format_time, json_response, parse_time,
                    query_string, reason, route, single)
from store import State

PROVIDER = "thousandeyes"
CONTENT_TYPE = "application/hal+json"
PROBLEM = "application/problem+json"
DEFAULT_WINDOW_S = 86400  # neither window nor startDate: the last day (undocumented upstream)
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
RATE_LIMIT = 240
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


class _RateCounter:
    """Per-minute request counter behind the X-Organization-Rate-Limit-* headers (not enforced)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.minute = 0
        self.count = 0

    def headers(self) -> list[tuple[str, str]]:
        with self.lock:
            minute = int(time.time()) // 60
            if minute != self.minute:
                self.minute, self.count = minute, 0
            self.count += 1
            remaining = max(0, RATE_LIMIT - self.count)
        return [("X-Organization-Rate-Limit-Limit", str(RATE_LIMIT)),
                ("X-Organization-Rate-Limit-Remaining", str(remaining)),
                ("X-Organization-Rate-Limit-Reset", str((minute + 1) * 60))]


RATE = _RateCounter()


def problem(status: int, detail: str, instance: str = "/v7/audit-user-events",
            errors: list[dict[str, str]] | None = None, headers: list[tuple[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": reason(status), "status": status,
                            "detail": detail, "instance": instance}
    if errors:
        body["errors"] = errors
    return json_response(status, body, PROBLEM, headers)


def unauthorized() -> Response:
    return json_response(401, {"error": "invalid_token", "error_description": "The access token is invalid or has expired."},
                         "application/json", [("WWW-Authenticate", 'Bearer error="invalid_token"')])


def default_error(status: int) -> Response:
    if status == 401:
        return unauthorized()
    if status == 429:
        minute = int(time.time()) // 60
        return problem(429, "Exhausted rate limit for the organization", headers=[
            ("X-Organization-Rate-Limit-Limit", str(RATE_LIMIT)),
            ("X-Organization-Rate-Limit-Remaining", "0"),
            ("X-Organization-Rate-Limit-Reset", str((minute + 1) * 60))])
    return problem(status, reason(status))


def bad_request(field: str, message: str) -> HttpError:
    return HttpError(problem(400, "The request is invalid.", errors=[
        {"code": "INVALID_PARAMETER", "field": field, "message": message}]))


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict):
        raise ValueError("a ThousandEyes event must be an object")
    parse_time(rec.get("date", ""))


class Snapshot:
    """Events sorted ascending by (date, arrival order); events have no id."""

    def __init__(self, records: list[dict[str, Any]]):
        items = sorted(((parse_time(r["date"]), seq), r) for seq, r in enumerate(records))
        self.keys = [k for k, _ in items]
        self.records = [r for _, r in items]


def parse_date(field: str, text: str) -> int:
    if not _ISO_UTC.match(text):
        raise bad_request(field, f"{field} must be an ISO 8601 UTC date-time such as 2022-07-17T22:00:54Z.")
    try:
        return parse_time(text)
    except ValueError:
        raise bad_request(field, f"{field} is not a valid date-time.")


def resolve_range(params: dict[str, str | None], now: int) -> tuple[int, int]:
    """[start, end) in nanoseconds from window or startDate/endDate."""
    window, start_text, end_text = params["window"], params["startDate"], params["endDate"]
    if window is not None and (start_text is not None or end_text is not None):
        raise bad_request("window", "window cannot be used with startDate or endDate.")
    if window is not None:
        m = re.fullmatch(r"([0-9]{1,9})([smhdw]?)", window)
        if not m or int(m.group(1)) == 0:
            raise bad_request("window", "window must be a positive number followed by an optional unit s, m, h, d or w.")
        return now - int(m.group(1)) * UNITS[m.group(2)] * 1_000_000_000, now
    if end_text is not None and start_text is None:
        raise bad_request("startDate", "startDate is required when endDate is given.")
    if start_text is None:
        return now - DEFAULT_WINDOW_S * 1_000_000_000, now
    start = parse_date("startDate", start_text)
    end = parse_date("endDate", end_text) if end_text is not None else now
    if start > end:
        raise bad_request("startDate", "startDate must not be after endDate.")
    return start, end


def list_events(req: Request, state: State) -> Response:
    if state.token_status(bearer_token(req), PROVIDER) != "ok":
        return unauthorized()
    try:
        params = {n: single(req.params, n) for n in ("aid", "useAllPermittedAids", "window", "startDate", "endDate", "cursor")}
    except ValueError as exc:
        raise bad_request("query", str(exc))
    aid = params["aid"]
    if aid is not None and not re.fullmatch(r"[0-9]{1,18}", aid):
        raise bad_request("aid", "aid must be a number.")
    if aid is not None and aid not in TE_ACCOUNT_GROUPS:
        return problem(403, f"You are not assigned to account group {aid}.", req.path)
    use_all = (params["useAllPermittedAids"] or "false").lower()
    if use_all not in ("true", "false"):
        raise bad_request("useAllPermittedAids", "useAllPermittedAids must be true or false.")
    aids = set(TE_ACCOUNT_GROUPS) if use_all == "true" else {aid or TE_AID}
    start, end = resolve_range(params, state.now_ns())

    snap: Snapshot = state.cached(("snapshot",), Snapshot, PROVIDER)
    bound = fingerprint(PROVIDER, {k: v for k, v in params.items() if k != "cursor"})
    position = len(snap.keys)
    if params["cursor"] is not None:
        try:
            payload = decode_cursor(params["cursor"], ("k", "s", "e", "f"))
            key = payload["k"]
            if payload["f"] != bound or not (isinstance(key, list) and len(key) == 2 and all(isinstance(x, int) for x in key)
                                             and isinstance(payload["s"], int) and isinstance(payload["e"], int)):
                raise ValueError
        except ValueError:
            raise bad_request("cursor", "The cursor is invalid.")
        start, end = payload["s"], payload["e"]
        position = bisect.bisect_left(snap.keys, (key[0], key[1]))
    position = min(position, bisect.bisect_left(snap.keys, (end, -1)))

    size = state.config.te_page_size
    picked: list[int] = []
    i = position - 1
    while i >= 0 and snap.keys[i][0] >= start and len(picked) <= size:
        if str(snap.records[i].get("aid", TE_AID)) in aids:
            picked.append(i)
        i -= 1
    more = len(picked) > size
    picked = picked[:size]

    links: dict[str, Any] = {"self": {"href": req.url()}}
    if more:
        last = snap.keys[picked[-1]]
        cursor = encode_cursor({"k": list(last), "s": start, "e": end, "f": bound})
        pairs = [(k, v) for k, v in params.items() if k != "cursor" and v is not None] + [("cursor", cursor)]
        links["next"] = {"href": f"{req.base_url()}{req.path}?{query_string(pairs)}"}
    body = {"auditEvents": [snap.records[j] for j in picked], "startDate": format_time(start),
            "endDate": format_time(end), "_links": links}
    return json_response(200, body, CONTENT_TYPE, RATE.headers())


ROUTES = [route("GET", r"^/v7/audit-user-events$", list_events, is_list=True)]
PREFIXES = ("/v7/",)
