#!/usr/bin/env python3
"""Local emulator of the audit-log APIs auditfetch talks to (PingOne, Truto, ThousandEyes, Auth0, SailPoint, Okta, GitHub, Microsoft Entra ID, Slack, Zendesk, Google Workspace,
1Password, Duo), plus a control API under /_emulator/ for tests. Python standard library only.

Prints one line, `listening on http://127.0.0.1:PORT`, once bound; logs go to stderr.

APIs (credentials: static bearer tokens --token, default test-token; OAuth2 client
test-client / test-secret; issued tokens are valid only for the provider that issued them):
  POST /{envId}/as/token, /as/token                PingOne client credentials (Basic or form)
  GET|POST /v1/environments/{envId}/activities     SCIM filter (see scim.py), limit, cursor
  GET /v1/environments/{envId}/activities/{id}
  GET /unified/user-directory/activities[/{id}]    Truto, integrated_account_id required
  GET /v7/audit-user-events                        ThousandEyes; [startDate, endDate) range,
                                                   default and `window` end at now (--now)
  POST /oauth/token                                SailPoint client credentials
  GET /v3/account-activities[/{id}]                SailPoint; unsorted order is by id
  GET /api/v1/logs                                 Okta System Log; `Authorization: SSWS <token>`;
                                                   polling and bounded modes (see okta.py)
  POST /{tenant}/oauth2/v2.0/token                 Entra client credentials, scope
                                                   https://graph.microsoft.com/.default (entra.py)
  GET /v1.0/auditLogs/directoryAudits[/{id}]       Graph (providers entra-audits, entra-signins):
  GET /v1.0/auditLogs/signIns[/{id}]               OData $filter (odata.py), $top, $orderby,
                                                   $skiptoken in @odata.nextLink, $select
  GET /keyed/v1/events                             an API no built-in speaks (keyed.py), for a
                                                   provider added by a definition alone
  GET /orgs/{org}/audit-log                        GitHub (Enterprise Cloud; base URL = root, as
  GET /enterprises/{enterprise}/audit-log            GHES's /api/v3); phrase, Link cursors, see github.py
  GET /audit/v1/logs                               Slack Audit Logs (base URL /audit/v1); Bearer token,
                                                   oldest/latest seconds, body cursor, see slack.py
  GET /api/v2/audit_logs[/{id}]                    Zendesk (base URL = root, as https://acme.zendesk.com);
                                                   Basic "{email}/token" or Bearer; filter[...],
                                                   page[size] + page[after] cursors (see zendesk.py)
  POST /oauth/token (JSON, or a form with audience) Auth0 client credentials, audience
                                                   https://acme.eu.auth0.com/api/v2/ (auth0.py)
  GET /api/v2/logs[/{id}], /api/v2/users/{id}/logs Auth0 Management API: checkpoint (from, take,
                                                   Link next) or search (q, page, per_page, sort)
  GET /admin/v2/logs/authentication                Duo (providers duo-auth, duo-admin; base URL = root, as
  GET /admin/v1/logs/administrator                   https://api-XXXXXXXX.duosecurity.com): HMAC-signed with
                                                   DUO_IKEY/DUO_SKEY; next_offset / mintime paging (duo.py)
  POST /token                                      Google service-account JWT bearer grant (RS256
                                                   verified with openssl; fixtures/google-workspace/
                                                   service-account.json), see google.py
  GET /admin/reports/v1/activity/users/{userKey}/applications/{applicationName}
                                                   Google Workspace Reports API activities.list
                                                   (base URL = root); newest first, nextPageToken
List orders: PingOne, Truto, ThousandEyes and GitHub (by default) newest first; cursors are keyset
positions bound to the query's filters, so a cursor reused with other filters is a 400 (GitHub: 422).
  POST /api/v2/{auditevents,signinattempts,itemusages}  1Password Events API (base URL = root, as
  GET /api/v2/auth/introspect                      https://events.1password.com; providers
                                                   1password-audit, -signins, -item-usages); JSON
                                                   ResetCursor or cursor bodies, see onepassword.py

Control API (no authentication; its requests are not logged, faulted or rate-limited):
  GET    /_emulator/health                 {"status": "ok"}
  POST   /_emulator/faults                 {"faults": [rule, ...]}, see faults.py
  GET    /_emulator/faults                 rules with their remaining counts
  DELETE /_emulator/faults
  GET    /_emulator/requests               [{method, path, query, params, headers, body, time,
                                            rate_limited}]; rate_limited: answered 429 by --rate-limit
  DELETE /_emulator/requests               (clears the log, not the stats)
  GET    /_emulator/stats                  {"requests": API requests received, "rate_limited": 429s
                                            sent by --rate-limit, "max_per_second": the most requests
                                            admitted (not 429) in any rolling second}
  GET    /_emulator/activities/{provider}  current records
  POST   /_emulator/activities/{provider}  append a JSON array of records
  POST   /_emulator/reset                  initial records; no faults, requests, stats, rate-limit
                                           window or issued tokens
  POST   /_emulator/tokens/expire          expire every issued token

--rate-limit N admits at most N API requests (everything not under /_emulator/: token requests
too) in any rolling one-second window, across all providers and connections. A request arriving
when N were admitted in the second before it is answered at once (before any --page-delay-ms)
with 429, `Retry-After: 1` and the provider's usual 429 body; it does not count against the
window (a sliding log of admitted requests: a refused request costs the client nothing), so a
client that waits the second out is admitted. The check is made where the request is routed, so
fault rules that answer in its place (status, invalid_json, html, redirect, big_body, reset)
bypass it, and those that go on to the handler (slow, expire_tokens, stall_body, truncate,
truncated_gzip) do not.
"""

from __future__ import annotations

import argparse
import base64
import gc
import gzip
import json
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import auth0
import duo
import entra
import faults
import okta
import onepassword
import github
import google
import keyed
import pingone
import sailpoint
import slack
import synth
import thousandeyes
import truto
import zendesk
from common import (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN, PROVIDERS, BadRequest,
                    HttpError, Request, Response, dumps, json_response, parse_query, parse_time, reason)
from store import Config, State

# Duo first: its /admin/vN/ paths must be routed before any module claiming all of /admin (google.py).
MODULES: dict[str, Any] = {"duo-auth": duo.AUTH, "duo-admin": duo.ADMIN, "pingone": pingone, "truto": truto, "thousandeyes": thousandeyes, "auth0": auth0, "sailpoint": sailpoint, "okta": okta, "github": github, "entra-audits": entra.AUDITS, "entra-signins": entra.SIGNINS, "keyed": keyed, "slack": slack, "zendesk": zendesk, "google-workspace": google, "1password-audit": onepassword.AUDIT, "1password-signins": onepassword.SIGNINS, "1password-item-usages": onepassword.ITEM_USAGES}
# The id that must be unique per provider: a field name, or a function giving it
# (ThousandEyes and Duo's administrator log have no id).
UNIQUE_IDS: dict[str, Any] = {"duo-auth": "txid", "pingone": "id", "truto": "id", "auth0": "log_id", "sailpoint": "id", "okta": "uuid", "github": "_document_id", "entra-audits": "id", "entra-signins": "id", "keyed": "event_id", "slack": "id", "zendesk": "id", "google-workspace": google.unique_id, "1password-audit": "uuid", "1password-signins": "uuid", "1password-item-usages": "uuid"}
MAX_REQUEST_BODY = 16 * 1024 * 1024
DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INVALID_JSON = b'{"_links":{"self":{"href":"/"}},"_embedded":{"activities":[{"id":"e2d6","recordedAt":'
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
             b"<body><h1>502 Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p>"
             b"<hr><address>nginx</address></body></html>\n")



def provider_for(path: str) -> str | None:
    if path.endswith("/as/token"):
        return "pingone"
    if path.endswith("/oauth2/v2.0/token"):
        return "entra-audits"
    if path == google.TOKEN_PATH:
        return "google-workspace"
    if path.startswith(onepassword.PREFIXES):  # ahead of Okta's /api/v1/ and other /api/v2/ prefixes
        return onepassword.AUDIT.PROVIDER
    for name, module in MODULES.items():
        if path.startswith(module.PREFIXES):
            return name
    return None


def default_error(path: str, status: int) -> Response:
    """The error body the provider owning path sends for status."""
    name = provider_for(path)
    if name is None:
        headers = [("Retry-After", "1")] if status == 429 else []
        return json_response(status, {"error": reason(status)}, headers=headers)
    module = MODULES[name]
    if hasattr(module, "default_error_at"):  # one provider, two error shapes (Entra token vs Graph)
        return module.default_error_at(path, status)
    return module.default_error(status)


# --------------------------------------------------------------------------- data


def load_data(config: Config) -> dict[str, list[dict[str, Any]]]:
    """Fixture (or generated) records per provider; exits with a message on bad data."""
    data: dict[str, list[dict[str, Any]]] = {}
    for name in PROVIDERS:
        if config.generate is not None:
            records = synth.generate(name, config.generate)
        else:
            path = Path(config.fixtures or DEFAULT_FIXTURES) / name / "activities.json"
            if not path.exists():
                print(f"emulator: warning: {path} not found; {name} has no records", file=sys.stderr)
                records = []
            else:
                try:
                    records = json.loads(path.read_text(encoding="utf-8"))
                except ValueError as exc:
                    sys.exit(f"emulator: {path}: {exc}")
            try:
                check_records(name, records, [])
            except ValueError as exc:
                sys.exit(f"emulator: {path}: {exc}")
        data[name] = records
    return data


def check_records(provider: str, records: Any, existing: list[dict[str, Any]]) -> None:
    if not isinstance(records, list):
        raise ValueError("expected a JSON array of records")
    for index, rec in enumerate(records):
        try:
            MODULES[provider].validate_record(rec)
        except ValueError as exc:
            raise ValueError(f"record {index}: {exc}") from exc
    if provider in UNIQUE_IDS:
        key = UNIQUE_IDS[provider]
        ident = key if callable(key) else (lambda r: r[key])
        seen = {ident(r) for r in existing}
        for rec in records:
            if ident(rec) in seen:
                raise ValueError(f"duplicate id {ident(rec)!r}")
            seen.add(ident(rec))


# --------------------------------------------------------------------------- control API


def control(req: Request, state: State) -> Response:
    """/_emulator/...: health, faults, requests, activities, reset, tokens."""
    path, method = req.path, req.method
    try:
        payload = json.loads(req.body) if req.body else None
    except ValueError:
        return json_response(400, {"error": "the body is not valid JSON"})
    try:
        if path == "/_emulator/health" and method == "GET":
            return json_response(200, {"status": "ok"})
        if path == "/_emulator/faults":
            if method == "POST":
                rules = faults.parse_rules(payload)
                with state.lock:
                    state.faults.extend(rules)
                return json_response(200, {"added": len(rules)})
            if method == "GET":
                with state.lock:
                    return json_response(200, [r.describe() for r in state.faults])
            if method == "DELETE":
                with state.lock:
                    count, state.faults = len(state.faults), []
                return json_response(200, {"cleared": count})
        if path == "/_emulator/requests":
            if method == "GET":
                return json_response(200, state.take_requests())
            if method == "DELETE":
                state.clear_requests()
                return json_response(200, {"cleared": True})
        if path.startswith("/_emulator/activities/"):
            provider = path.rsplit("/", 1)[1]
            if provider not in MODULES:
                return json_response(404, {"error": f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}"})
            if method == "GET":
                return json_response(200, state.records(provider))
            if method == "POST":
                with state.lock:
                    check_records(provider, payload, state.records(provider))
                    state.add_records(provider, payload)
                return json_response(200, {"added": len(payload)})
        if path == "/_emulator/stats" and method == "GET":
            return json_response(200, state.stats())
        if path == "/_emulator/reset" and method == "POST":
            state.reset()
            return json_response(200, {"reset": True})
        if path == "/_emulator/tokens/expire" and method == "POST":
            return json_response(200, {"expired": state.expire_tokens()})
    except ValueError as exc:
        return json_response(400, {"error": str(exc)})
    return json_response(404, {"error": f"no control endpoint {method} {path}"})


# --------------------------------------------------------------------------- HTTP


def dispatch(req: Request, state: State) -> Response:
    """Routes an API request to its provider handler (after --rate-limit's check)."""
    if not state.admit(req.entry):
        response = default_error(req.path, 429)
        response.set_header("Retry-After", "1")
        return response
    try:
        req.params = parse_query(req.query)
    except BadRequest:
        return default_error(req.path, 400)
    allowed: list[str] = []
    for module in MODULES.values():
        for r in module.ROUTES:
            m = r.pattern.match(req.path)
            if not m:
                continue
            if req.method not in r.methods:
                allowed.extend(r.methods)
                continue
            if r.is_list and state.config.page_delay_ms:
                state.stop.wait(state.config.page_delay_ms / 1000)
            try:
                return r.handler(req, state, **m.groupdict())
            except HttpError as exc:
                return exc.response
            except Exception:  # a bug here must not kill the connection silently
                traceback.print_exc(file=sys.stderr)
                return default_error(req.path, 500)
    if allowed:
        response = default_error(req.path, 405)
        response.set_header("Allow", ", ".join(sorted(set(allowed))))
        return response
    return default_error(req.path, 404)


def accepts_gzip(header: str | None) -> bool:
    for item in (header or "").split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # garbage request lines still get a status line
    server_version = "auditfetch-emulator/1.0"
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: "EmulatorServer"

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes; with Nagle's algorithm the body would wait for
        # the client's delayed ACK, adding ~40 ms to every response on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.handle_request()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.state.config.verbose:
            sys.stderr.write(f"emulator: {self.address_string()} {format % args}\n")

    # ---------------------------------------------------------------- request

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"x", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BODY:
                    raise BadRequest("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit() or int(length) > MAX_REQUEST_BODY:
            raise BadRequest("invalid Content-Length")
        return self.rfile.read(int(length))

    def handle_request(self) -> None:
        state = self.server.state
        try:
            body = self.read_body()
        except (BadRequest, ValueError):
            self.close_connection = True
            self.send_plain(Response(400, b'{"error":"Bad Request"}', [("Content-Type", "application/json")]))
            return
        target = self.path
        if not target.startswith("/"):  # absolute-form, as sent to proxies
            split = urlsplit(target)
            target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        path, _, query = target.split("#", 1)[0].partition("?")
        host = self.headers.get("Host") or f"{self.server.url_host}:{self.server.server_port}"
        req = Request(self.command, path, query, self.headers, body, self.server.scheme, host)
        if req.path.startswith("/_emulator/"):
            try:
                response = control(req, state)
            except Exception:  # a bug in the control API must not drop the connection
                traceback.print_exc(file=sys.stderr)
                response = json_response(500, {"error": "internal emulator error; see its stderr"})
            self.send(response, req)
            return
        req.entry = request_entry(req)
        state.log_request(req.entry)
        with state.lock:
            rule = faults.pick(state.faults, req.method, req.path)
        if rule is None:
            self.send(dispatch(req, state), req)
            return
        if rule.kind == "slow":
            state.stop.wait(rule.spec["delay_ms"] / 1000)
            self.send(dispatch(req, state), req)
        elif rule.kind == "expire_tokens":
            state.expire_tokens()
            self.send(dispatch(req, state), req)
        else:
            getattr(self, f"fault_{rule.kind}")(rule.spec, req)

    # ---------------------------------------------------------------- responses

    def encode(self, response: Response, req: Request) -> Response:
        """Applies gzip when the client accepts it and --gzip auto."""
        if (self.server.state.config.gzip == "auto" and response.body and accepts_gzip(req.header("Accept-Encoding"))
                and response.header("Content-Encoding") is None):
            response = Response(response.status, gzip.compress(response.body, mtime=0), list(response.headers))
            response.set_header("Content-Encoding", "gzip")
            response.set_header("Vary", "Accept-Encoding")
        return response

    def start(self, response: Response, length: int, close: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()

    def send_plain(self, response: Response, close: bool = False) -> None:
        try:
            self.start(response, len(response.body), close)
            self.wfile.write(response.body)
        except OSError:
            self.close_connection = True

    def send(self, response: Response, req: Request) -> None:
        self.send_plain(self.encode(response, req))

    # ---------------------------------------------------------------- faults

    def fault_status(self, spec: dict[str, Any], req: Request) -> None:
        if spec["delay_ms"]:
            self.server.state.stop.wait(spec["delay_ms"] / 1000)
        response = default_error(req.path, spec["status"])
        if spec["echo_authorization"]:
            echoed = req.header("Authorization") or ""
            response.body = dumps({"error": "invalid_token", "message": f"credentials {echoed} were refused",
                                   "detail": echoed})
            response.set_header("Content-Type", "application/json")
        elif spec["body_base64"] is not None:
            response.body = base64.b64decode(spec["body_base64"])
            response.set_header("Content-Type", spec["content_type"] or "application/json")
        elif spec["body"] is not None:
            body = spec["body"]
            response.body = body.encode("utf-8") if isinstance(body, str) else dumps(body)
            response.set_header("Content-Type", spec["content_type"] or
                                ("text/plain; charset=utf-8" if isinstance(body, str) else "application/json"))
        elif spec["content_type"]:
            response.set_header("Content-Type", spec["content_type"])
        for name, value in spec["headers"].items():
            response.set_header(name, None if value is None else str(value))
        self.send(response, req)

    def fault_invalid_json(self, spec: dict[str, Any], req: Request) -> None:
        body = spec["body"].encode("utf-8") if spec["body"] is not None else INVALID_JSON
        self.send(Response(spec["status"], body, [("Content-Type", "application/json")]), req)

    def fault_html(self, spec: dict[str, Any], req: Request) -> None:
        body = spec["body"].encode("utf-8") if spec["body"] is not None else HTML_PAGE
        self.send(Response(spec["status"], body, [("Content-Type", "text/html; charset=utf-8")]), req)

    def fault_redirect(self, spec: dict[str, Any], req: Request) -> None:
        location = spec["location"] or (req.path + (f"?{req.query}" if req.query else ""))
        self.send(Response(spec["status"], b"", [("Location", location)]), req)

    def fault_big_body(self, spec: dict[str, Any], req: Request) -> None:
        head, tail = b'{"padding":"', b'"}'
        fill = spec["size"] - len(head) - len(tail)
        try:
            self.start(Response(200, b"", [("Content-Type", "application/json")]), spec["size"])
            self.wfile.write(head)
            chunk = b"a" * (1 << 20)
            while fill > 0:
                self.wfile.write(chunk[:fill])
                fill -= len(chunk)
            self.wfile.write(tail)
        except OSError:
            self.close_connection = True

    def fault_stall_body(self, spec: dict[str, Any], req: Request) -> None:
        response = self.encode(dispatch(req, self.server.state), req)
        half = len(response.body) // 2
        delay = spec["delay_ms"]
        try:
            self.start(response, len(response.body), close=delay is None)
            self.wfile.write(response.body[:half])
            self.server.state.stop.wait(delay / 1000 if delay is not None else None)
            if delay is not None:
                self.wfile.write(response.body[half:])
        except OSError:
            self.close_connection = True

    def fault_truncate(self, spec: dict[str, Any], req: Request) -> None:
        response = self.encode(dispatch(req, self.server.state), req)
        try:
            self.start(response, len(response.body), close=True)
            self.wfile.write(response.body[:len(response.body) // 2])
        except OSError:
            pass
        self.close_connection = True

    def fault_truncated_gzip(self, spec: dict[str, Any], req: Request) -> None:
        response = dispatch(req, self.server.state)
        compressed = gzip.compress(response.body, mtime=0)
        response.body = compressed[:max(1, len(compressed) // 2)]
        response.set_header("Content-Encoding", "gzip")
        self.send_plain(response)

    def fault_reset(self, spec: dict[str, Any], req: Request) -> None:
        self.close_connection = True
        try:  # linger 0: close() sends RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


def request_entry(req: Request) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in req.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {"method": req.method, "path": req.path, "query": req.query,
            "params": parse_qs(req.query, keep_blank_values=True, errors="replace"),
            "headers": headers, "body": req.body.decode("utf-8", "replace") if req.body else None,
            "time": time.time(), "rate_limited": False}


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's default of 5 resets bursts of parallel connects

    def __init__(self, config: Config, state: State, tls: ssl.SSLContext | None):
        self.state = state
        self.scheme = "https" if config.tls_cert else "http"
        self.url_host = f"[{config.host}]" if ":" in config.host else config.host
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), Handler)
        if tls is not None:
            # The handshake then runs in the connection's thread, not in accept().
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError, OSError)):
            if self.state.config.verbose:
                print(f"emulator: {client_address}: {exc!r}", file=sys.stderr)
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate chain (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="private key for --tls-cert (PEM)")
    p.add_argument("--fixtures", metavar="DIR", help=f"fixture directory (default {DEFAULT_FIXTURES})")
    p.add_argument("--generate", type=int, metavar="N",
                   help=f"serve N synthetic records per provider instead of fixtures, spread over the "
                        f"N minutes before {synth.ANCHOR}")
    p.add_argument("--page-delay-ms", type=int, default=0, metavar="N", help="sleep before each list response")
    p.add_argument("--rate-limit", type=int, default=0, metavar="N",
                   help="admit at most N API requests in any rolling second, all providers together; "
                        "others get 429 with Retry-After: 1 and do not count (default 0: no limit); "
                        "see GET /_emulator/stats")
    p.add_argument("--token-lifetime", type=int, metavar="SECONDS",
                   help="lifetime of issued tokens (default: PingOne 3600, SailPoint 749, Entra and Google 3599)")
    p.add_argument("--gzip", choices=("auto", "never"), default="auto")
    p.add_argument("--token", action="append", metavar="TOKEN",
                   help=f"a valid static bearer token, repeatable (default {DEFAULT_TOKEN})")
    p.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    p.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    p.add_argument("--pingone-auth-method", choices=("any", "basic", "post"), default="any",
                   help="client authentication PingOne's token endpoint accepts")
    p.add_argument("--te-page-size", type=int, default=100, metavar="N")
    p.add_argument("--sail-max-offset", type=int, default=10000, metavar="N")
    p.add_argument("--entra-rate-limit", action="store_true",
                   help="enforce Graph reporting's limit: 5 requests per 10 s per tenant, else 429")
    p.add_argument("--duo-admin-page", type=int, default=duo.ADMIN_PAGE, metavar="N",
                   help="records per Duo administrator-log response (default 1000, as Duo)")
    p.add_argument("--now", metavar="RFC3339", help="fixed current time (ThousandEyes windows and defaults)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    a = p.parse_args(argv)
    if bool(a.tls_cert) != bool(a.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if a.generate is not None and a.generate < 0:
        p.error("--generate must be >= 0")
    if a.rate_limit < 0:
        p.error("--rate-limit must be >= 0")
    if a.te_page_size < 1:
        p.error("--te-page-size must be >= 1")
    if a.duo_admin_page < 1:
        p.error("--duo-admin-page must be >= 1")
    duo.configure(admin_page=a.duo_admin_page)
    now = None
    if a.now:
        try:
            now = parse_time(a.now)
        except ValueError as exc:
            p.error(f"--now: {exc}")
    return Config(host=a.host, port=a.port, tls_cert=a.tls_cert, tls_key=a.tls_key, fixtures=a.fixtures,
                  generate=a.generate, page_delay_ms=a.page_delay_ms, token_lifetime=a.token_lifetime,
                  gzip=a.gzip, tokens=tuple(a.token or [DEFAULT_TOKEN]), client_id=a.client_id,
                  client_secret=a.client_secret, pingone_auth_method=a.pingone_auth_method,
                  te_page_size=a.te_page_size, sail_max_offset=a.sail_max_offset, now_ns=now, verbose=a.verbose,
                  entra_rate_limit=a.entra_rate_limit, rate_limit=a.rate_limit)


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    state = State(config, load_data(config))
    gc.freeze()  # the records live until exit; keep them out of collection passes
    tls = None
    if config.tls_cert:
        try:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(config.tls_cert, config.tls_key)
            tls.set_alpn_protocols(["http/1.1"])
        except (OSError, ssl.SSLError) as exc:
            print(f"emulator: cannot load TLS certificate {config.tls_cert} / key {config.tls_key}: {exc}", file=sys.stderr)
            return 1
    try:
        server = EmulatorServer(config, state, tls)
    except OSError as exc:
        print(f"emulator: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    print(f"listening on {server.scheme}://{server.url_host}:{server.server_port}", flush=True)
    while not stop.wait(0.5):
        pass
    state.stop.set()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
