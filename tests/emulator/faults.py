"""Fault rules injected by tests through POST /_emulator/faults.

A rule matches a request when its `path` regex is found in the request path (re.search)
and its optional `method` equals the request method. For every request, each matching
live rule first uses up its `skip` count; the first matching rule with no skip left fires
and uses up one of its `times` (-1 = forever). Exhausted rules stay listed, inert.

Kinds (extra keys, defaults in KINDS):
  status          `status`, the provider's own error body for it unless `body` is given
                  (object → JSON, string → text/plain or `content_type`) or `body_base64`
                  (exact bytes, e.g. not UTF-8; application/json unless `content_type`);
                  `headers` override, null removes a default one (429s carry Retry-After: 1,
                  except ThousandEyes, which sends X-Organization-Rate-Limit-* instead);
                  `echo_authorization`: true makes the body a JSON error quoting the request's
                  Authorization header (a server or proxy that echoes credentials);
                  `delay_ms` waits that long first (a server across a network)
  slow            sleep `delay_ms` before handling the request normally
  stall_body      headers and half the body, then sleep `delay_ms` and send the rest;
                  without delay_ms, hang until the emulator stops
  truncate        Content-Length of the full body, half of it, then close
  reset           close the connection with a TCP RST, no response
  invalid_json    `status` (200) with a cut-off JSON body (or `body`)
  html            `status` (200) with a text/html error page (or `body`)
  redirect        `status` (302) to `location` (default: the same path and query)
  big_body        200 with `size` bytes of valid JSON: {"padding":"aaa..."}
  truncated_gzip  the normal response, gzip-encoded, cut to half (HTTP framing intact)
  expire_tokens   expire every token issued so far, then handle the request normally (a
                  request carrying an issued token gets the provider's own 401, as when a
                  token expires server-side mid-run)
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

# kind → (allowed keys besides path/method/times/skip/kind, defaults)
KINDS: dict[str, dict[str, Any]] = {
    "status": {"status": None, "headers": {}, "body": None, "body_base64": None, "content_type": None,
               "echo_authorization": False, "delay_ms": 0},
    "slow": {"delay_ms": 1000},
    "stall_body": {"delay_ms": None},
    "truncate": {},
    "reset": {},
    "invalid_json": {"status": 200, "body": None},
    "html": {"status": 200, "body": None},
    "redirect": {"status": 302, "location": None},
    "big_body": {"size": 10 * 1024 * 1024},
    "truncated_gzip": {},
    "expire_tokens": {},
}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass
class Rule:
    path: re.Pattern[str]
    method: str | None
    times: int
    skip: int
    kind: str
    spec: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.times != 0 and (self.method is None or self.method == method) and bool(self.path.search(path))

    def describe(self) -> dict[str, Any]:
        return {"path": self.path.pattern, "method": self.method, "times": self.times, "skip": self.skip,
                "kind": self.kind, "fired": self.fired, **self.spec}


def _int(obj: dict[str, Any], key: str, default: Any, low: int) -> Any:
    value = obj.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"'{key}' must be an integer >= {low}")
    return value


def parse_rule(obj: Any) -> Rule:
    """Validates one rule object; raises ValueError with a readable message."""
    if not isinstance(obj, dict):
        raise ValueError("a fault rule must be an object")
    kind = obj.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    unknown = set(obj) - {"path", "method", "times", "skip", "kind"} - set(KINDS[kind])
    if unknown:
        raise ValueError(f"unknown keys for kind '{kind}': {', '.join(sorted(unknown))}")
    if not isinstance(obj.get("path"), str):
        raise ValueError("'path' (a regular expression) is required")
    try:
        path = re.compile(obj["path"])
    except re.error as exc:
        raise ValueError(f"invalid 'path' regex: {exc}") from exc
    method = obj.get("method")
    if method is not None and not isinstance(method, str):
        raise ValueError("'method' must be a string")
    times = _int(obj, "times", 1, -1)
    skip = _int(obj, "skip", 0, 0)
    spec = {key: obj.get(key, default) for key, default in KINDS[kind].items()}
    if kind == "status":
        if isinstance(spec["status"], bool) or not isinstance(spec["status"], int) or not 100 <= spec["status"] <= 599:
            raise ValueError("kind 'status' needs 'status' between 100 and 599")
    if kind in ("invalid_json", "html", "redirect"):
        _int(spec, "status", None, 100)
    if kind == "redirect" and spec["status"] not in REDIRECT_STATUSES:
        raise ValueError(f"redirect 'status' must be one of {sorted(REDIRECT_STATUSES)}")
    if kind == "redirect" and spec["location"] is not None and not isinstance(spec["location"], str):
        raise ValueError("'location' must be a string")
    if kind in ("slow", "stall_body", "status"):
        _int(spec, "delay_ms", None, 0)
    if kind == "big_body":
        _int(spec, "size", None, 14)
    if kind == "status" and spec["body_base64"] is not None:
        if spec["body"] is not None:
            raise ValueError("'body' and 'body_base64' exclude each other")
        if not isinstance(spec["body_base64"], str):
            raise ValueError("'body_base64' must be base64 text")
        try:
            base64.b64decode(spec["body_base64"], validate=True)
        except binascii.Error as exc:
            raise ValueError("'body_base64' must be base64 text") from exc
    if kind == "status" and not isinstance(spec["echo_authorization"], bool):
        raise ValueError("'echo_authorization' must be true or false")
    if kind == "status":
        headers = spec["headers"]
        if not isinstance(headers, dict) or not all(isinstance(v, (str, int, type(None))) for v in headers.values()):
            raise ValueError("'headers' must map names to strings (or null to remove a default header)")
    return Rule(path, method.upper() if method else None, times, skip, kind, spec)


def parse_rules(obj: Any) -> list[Rule]:
    rules = obj.get("faults") if isinstance(obj, dict) else obj
    if not isinstance(rules, list):
        raise ValueError('expected {"faults": [rule, ...]}')
    return [parse_rule(r) for r in rules]


def pick(rules: list[Rule], method: str, path: str) -> Rule | None:
    """The rule that fires for this request, updating skip/times counters. Caller holds the lock."""
    chosen = None
    for rule in rules:
        if not rule.matches(method, path):
            continue
        if rule.skip > 0:
            rule.skip -= 1
        elif chosen is None:
            chosen = rule
    if chosen is not None:
        chosen.fired += 1
        if chosen.times > 0:
            chosen.times -= 1
    return chosen
