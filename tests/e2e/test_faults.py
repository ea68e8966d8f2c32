"""The fault matrix: the real binary against failing networks and hostile or broken servers.

Every case checks what a user (or a cron job appending to a file) relies on when a run fails:
  - the exit status (README, "Exit status");
  - exactly one error line, the last line on stderr, naming the cause (no multi-line dumps;
    retries and warnings before it are single `auditfetch: ` lines too);
  - stdout holds complete records only: every NDJSON line parses, and `-o json` output is one
    closed array (or nothing at all); with the fault on page 2, page 1 is there in full.

Most cases are one row of MATRIX, run in both output formats against the PingOne emulator
(HAL paging, 5 activities a page) with the fault on page 2. Cases that need their own server (TLS,
timeouts, refused connections, DNS) or another provider are methods below.

Faults covered elsewhere and not repeated here: 429 with Retry-After then success, 503 then
success, a 401 renewed with a synthetic 401 (test_pingone.py, test_sailpoint.py), invalid JSON on
page 2 with -o json (test_pingone.py), cross-origin redirects dropping Authorization
(test_pingone.py), `get` of an unknown id (test_pingone.py, test_truto.py, test_sailpoint.py).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import zlib
from dataclasses import dataclass
from typing import Any

from harness import (CLIENT_ID, CLIENT_SECRET, PINGONE_ENV_ID, TOKEN, TRUTO_ACCOUNT_ID, Emulator,
                     fixture_records, make_tls_files, run_auditfetch)
from provider_case import ProviderCase

SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"
PAGE = 5
PINGONE_LIST = f"/v1/environments/{PINGONE_ENV_ID}/activities"
RECORDS = [{k: v for k, v in r.items() if k != "_links"} for r in fixture_records("pingone")]
NEWEST_IDS = [r["id"] for r in sorted(RECORDS, key=lambda r: r["recordedAt"], reverse=True)]
CAP = 64 * 1024 * 1024  # README, "HTTP behaviour": responses are capped at 64 MiB after decoding


def pingone_page(records: list[Any], next_href: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"_links": {"self": {"href": PINGONE_LIST}}, "_embedded": {"activities": records},
                            "count": len(records), "size": len(records)}
    if next_href is not None:
        page["_links"]["next"] = {"href": next_href}
    return page


def with_field(record: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A deep copy of record with the value at a /a/b pointer replaced."""
    copy = json.loads(json.dumps(record))
    *parents, last = pointer.strip("/").split("/")
    target = copy
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value
    return copy


def page_fault(body: Any, skip: int = 1, times: int = 1) -> dict[str, Any]:
    return {"path": "/activities$", "skip": skip, "times": times, "kind": "status", "status": 200, "body": body}


def gzip_bomb(size: int) -> dict[str, Any]:
    """A 200 whose gzip body decodes to `size` bytes of valid JSON (a few dozen KiB on the wire)."""
    raw = b'{"padding":"' + b"a" * (size - 14) + b'"}'
    return {"path": "/activities$", "skip": 1, "kind": "status", "status": 200,
            "headers": {"Content-Encoding": "gzip"},
            "body_base64": base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()}


@dataclass
class Case:
    name: str
    faults: list[dict[str, Any]]
    exit: int
    message: str  # a regular expression the error line must match
    args: tuple[str, ...] = ()
    printed: int | None = PAGE  # activities on stdout before the failure (the whole of page 1)
    requests: int | None = None  # list requests the emulator saw, when the case bounds them
    formats: tuple[str, ...] = ("ndjson", "json")
    page_1: list[str] | None = None  # the ids of page 1 when a fault serves it (default: the emulator's)


HOSTILE_NEXT_LINKS = {
    "another_host": "http://localhost:{port}" + PINGONE_LIST + "?cursor=x",
    "another_port": "http://127.0.0.1:1" + PINGONE_LIST + "?cursor=x",
    "another_scheme": "https://127.0.0.1:{port}" + PINGONE_LIST + "?cursor=x",
    "userinfo_trick": "http://127.0.0.1:{port}@localhost:{port}" + PINGONE_LIST,
    "scheme_relative": "//localhost:{port}" + PINGONE_LIST,
}

MATRIX: list[Case] = [
    # ---- broken transfers (page 2)
    Case("stall_mid_body", [{"path": "/activities$", "skip": 1, "kind": "stall_body", "times": -1}],
         1, r"page 2: read http://127\.0\.0\.1:\d+: timed out after 1s", args=("--timeout", "1")),
    Case("read_timeout", [{"path": "/activities$", "skip": 1, "kind": "slow", "delay_ms": 4000, "times": -1}],
         1, r"page 2: read http://127\.0\.0\.1:\d+: timed out after 1s", args=("--timeout", "1")),
    Case("reset_mid_page", [{"path": "/activities$", "skip": 1, "kind": "reset", "times": -1}],
         1, r"page 2: .*(reset|closed)"),
    Case("truncated_body", [{"path": "/activities$", "skip": 1, "kind": "truncate", "times": -1}],
         1, r"page 2: .*(truncated|closed|short read|partial)"),
    Case("truncated_gzip", [{"path": "/activities$", "skip": 1, "kind": "truncated_gzip"}],
         1, r"page 2: decompress response from http://127\.0\.0\.1:\d+/v1/.*: corrupt or truncated gzip data"),
    # ---- bodies that are not what was asked for (page 2)
    Case("invalid_json", [{"path": "/activities$", "skip": 1, "kind": "invalid_json"}],
         1, r"page 2: invalid JSON \(HTTP 200, application/json"),
    Case("invalid_json_page_1", [{"path": "/activities$", "kind": "invalid_json"}],
         1, r"page 1: invalid JSON", printed=0),
    Case("html_with_status_200", [{"path": "/activities$", "skip": 1, "kind": "html"}],
         1, r"page 2: invalid JSON \(HTTP 200, text/html"),
    Case("records_not_an_array", [page_fault({"_embedded": {"activities": {"id": "x"}}})],
         1, r'page 2: records at "/_embedded/activities" are not an array'),
    Case("body_is_an_array", [page_fault([RECORDS[0]])],
         1, r'page 2: records at "/_embedded/activities" missing'),
    Case("record_not_an_object", [page_fault(pingone_page([RECORDS[5], 42]))],
         1, r"page 2: record 2: a record is not a JSON object"),
    # A wrong type in a mapped field fails the page (none of its records is printed, not even
    # the good ones before it): printing the record without that field would invent a
    # different activity, skipping it would lose one.
    Case("object_in_a_text_field",
         [page_fault(pingone_page([RECORDS[5], with_field(RECORDS[6], "/result/description", {"x": 1})]))],
         1, r'page 2: record 2: field "/result/description": expected a string, got an object'),
    Case("array_as_the_id", [page_fault(pingone_page([with_field(RECORDS[5], "/id", ["a"])]))],
         1, r'page 2: record 1: field "/id": expected a string, got an array'),
    Case("number_as_the_time", [page_fault(pingone_page([with_field(RECORDS[5], "/recordedAt", 1715587272)]))],
         1, r"""page 2: record 1: field "/recordedAt": '1715587272' is not an RFC 3339 time"""),
    Case("time_missing", [page_fault(pingone_page([{k: v for k, v in RECORDS[5].items() if k != "recordedAt"}]))],
         1, r'page 2: record 1: field "/recordedAt": missing; every activity needs a time'),
    Case("body_over_the_cap", [{"path": "/activities$", "skip": 1, "kind": "big_body", "size": CAP + 1024}],
         1, r"page 2: response from http://127\.0\.0\.1:\d+/v1/.* exceeds the 64 MiB limit", formats=("ndjson",)),
    Case("gzip_bomb_over_the_cap", [gzip_bomb(CAP + 1024)],
         1, r"page 2: response from http://127\.0\.0\.1:\d+/v1/.* exceeds the 64 MiB limit", formats=("ndjson",)),
    # ---- statuses (page 2)
    Case("redirect_loop", [{"path": "/activities$", "skip": 1, "kind": "redirect", "times": -1}],
         1, r"page 2: more than 5 redirects", requests=1 + 6),
    Case("status_403", [{"path": "/activities$", "skip": 1, "kind": "status", "status": 403}],
         3, r"page 2: access refused \(403\)"),
    Case("status_404_on_list", [{"path": "/activities$", "kind": "status", "status": 404}],
         2, r"page 1: not found \(404\)", printed=0),
    Case("storm_of_429_beyond_the_retries",
         [{"path": "/activities$", "skip": 1, "kind": "status", "status": 429, "times": -1,
           "headers": {"Retry-After": "0"}}],
         1, r"page 2: .*HTTP 429", args=("--retries", "2"), requests=1 + 3),
    Case("429_asking_for_more_than_5_minutes",
         [{"path": "/activities$", "skip": 1, "kind": "status", "status": 429, "times": -1,
           "headers": {"Retry-After": "3600"}}],
         1, r"page 2: .*HTTP 429", args=("--retries", "3"), requests=1 + 1),
    *[Case(f"status_{status}", [{"path": "/activities$", "skip": 1, "kind": "status", "status": status,
                                 "times": -1}],
           1, rf"page 2: .*HTTP {status}", args=("--retries", "1"),
           requests=1 + (1 if status == 500 else 2))  # 500 is not retried; 502/503/504 are
      for status in (500, 502, 503, 504)],
    # ---- paging that wanders or loops (page 1 says where page 2 is)
    *[Case(f"next_link_to_{name}", [page_fault(pingone_page(RECORDS[:PAGE], href), skip=0)],
           1, r"page 1: refusing the next link to .*: not the API's origin", printed=0, requests=1)
      for name, href in HOSTILE_NEXT_LINKS.items()],
    Case("next_link_repeats", [page_fault(pingone_page(RECORDS[:PAGE], PINGONE_LIST + "?cursor=loop"),
                                          skip=0, times=-1)],
         1, r"page 2: the next page would repeat an earlier one; stopping a loop", requests=2,
         page_1=[r["id"] for r in RECORDS[:PAGE]]),
]


class FaultCase(ProviderCase):
    def assertFailure(self, result: subprocess.CompletedProcess, exit_code: int, pattern: str,
                      fmt: str = "ndjson", printed: int | None = None) -> list[dict[str, Any]]:
        """Exit status, one error line matching pattern, complete records only; returns them."""
        self.assertEqual(result.returncode, exit_code, result.stderr)
        lines = result.stderr.splitlines()
        self.assertTrue(lines, "nothing on stderr")
        self.assertTrue(all(line.startswith("auditfetch: ") for line in lines), result.stderr)
        errors = [line for line in lines if line.startswith("auditfetch: error: ")]
        self.assertEqual(errors, [lines[-1]], result.stderr)
        self.assertRegex(errors[0], pattern)
        self.assertNotRegex(errors[0], r"page \d+: page \d+:")  # the context is given once
        self.assertIsNone(re.search(r"[\x00-\x1f\x7f]", errors[0]), "control characters in the error line")
        self.assertLess(len(errors[0]), 700, "an error line is a line, not a dump")
        if fmt == "ndjson":
            self.assertTrue(result.stdout == "" or result.stdout.endswith("\n"), "a half-written line")
            activities = [json.loads(line) for line in result.stdout.splitlines()]
        else:
            activities = [] if result.stdout == "" else json.loads(result.stdout)
            self.assertIsInstance(activities, list)
        for activity in activities:
            self.assertUnifiedShape(activity, activity["provider"])
        if printed is not None:
            self.assertEqual(len(activities), printed, result.stdout[:2000])
        return activities


class PingOneFaultCase(FaultCase):
    def list(self, *args: str, env: dict | None = None, base: str | None = None, timeout: float = 60):
        return run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                              "--base-url", (base or self.emu.url) + "/v1", "--since", SINCE, "--until", UNTIL,
                              "--page-size", str(PAGE), "--retries", "0", *args,
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})}, timeout=timeout)


class MatrixTest(PingOneFaultCase):
    """One test per row of MATRIX (see the module docstring)."""

    def run_case(self, case: Case) -> None:
        for fmt in case.formats:
            with self.subTest(format=fmt):
                self.emu.reset()
                self.emu.faults(*[json.loads(json.dumps(f).replace("{port}", str(self.emu.port)))
                                  for f in case.faults])
                result = self.list("-o", fmt, *case.args)
                activities = self.assertFailure(result, case.exit, case.message, fmt, case.printed)
                if case.printed == PAGE:  # page 1 whole (the emulator's is newest first)
                    self.assertEqual([a["id"] for a in activities], case.page_1 or NEWEST_IDS[:PAGE])
                if case.requests is not None:
                    self.assertEqual(len(self.emu.requests("/activities")), case.requests)


for _case in MATRIX:
    setattr(MatrixTest, f"test_{_case.name}", lambda self, case=_case: self.run_case(case))


class PagingTest(FaultCase):
    def test_a_repeating_cursor_is_not_followed_forever(self) -> None:
        record = fixture_records("truto")[0]
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 200, "times": -1,
                         "body": {"result": [record], "next_cursor": "same", "prev_cursor": None}})
        result = run_auditfetch("list", "-p", "truto", "--integrated-account-id", TRUTO_ACCOUNT_ID,
                                "--base-url", self.emu.url, "--retries", "0",
                                env={"AUDITFETCH_TOKEN": TOKEN}, timeout=30)
        self.assertFailure(result, 1, r"page 2: the next page would repeat an earlier one; stopping a loop",
                           printed=1)
        self.assertEqual(len(self.emu.requests("/activities")), 2)

    def test_a_next_link_on_the_same_origin_is_followed(self) -> None:
        # The counterpart of the refused links: an absolute link to the API's own origin works.
        scim = f'recordedAt ge "{SINCE}" and recordedAt lt "{UNTIL}"'
        href = f"{self.emu.url}{PINGONE_LIST}?{urllib.parse.urlencode({'filter': scim, 'limit': PAGE})}"
        self.emu.faults(page_fault(pingone_page(RECORDS[:1], href), skip=0))
        result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                "--base-url", self.emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                                env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(len(self.activities(result)), 1 + len(RECORDS))  # page 1 (faulted), then all
        self.assertGreater(len(self.emu.requests("/activities")), len(RECORDS) // PAGE)

    def test_a_number_in_a_text_field_is_taken_as_its_text(self) -> None:
        # The other side of "wrong type": a JSON number or boolean where text is expected is
        # printed as that text (APIs do send numeric ids), never dropped.
        record = with_field(RECORDS[0], "/result/description", 404)
        self.emu.faults(page_fault(pingone_page([record]), skip=0))
        result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                "--base-url", self.emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                                env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual([a["description"] for a in self.activities(result)], ["404"])


class GzipTest(FaultCase):
    """Gzip bodies a server may send besides the usual one member (RFC 1952)."""

    def gzip_page(self, body: bytes, coding: str = "gzip") -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 200,
                         "headers": {"Content-Encoding": coding}, "body_base64": base64.b64encode(body).decode()})

    def list(self) -> subprocess.CompletedProcess:
        return run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID, "--base-url",
                              self.emu.url + "/v1", "--since", SINCE, "--until", UNTIL, "--retries", "0",
                              env={"AUDITFETCH_TOKEN": TOKEN})

    def test_a_body_of_several_members_is_one_page(self) -> None:
        raw = json.dumps(pingone_page(RECORDS[:PAGE])).encode()
        # The trailer gives the last member's size only: here far less than the page.
        members = gzip.compress(raw[:-10], mtime=0) + gzip.compress(raw[-10:], mtime=0)
        self.gzip_page(members)
        result = self.list()
        self.assertEqual([a["id"] for a in self.activities(result)], [r["id"] for r in RECORDS[:PAGE]])

    def test_deflate_with_and_without_the_zlib_header(self) -> None:
        raw = json.dumps(pingone_page(RECORDS[:PAGE])).encode()
        bare = zlib.compressobj(wbits=-15)
        for name, body in (("zlib", zlib.compress(raw)), ("raw", bare.compress(raw) + bare.flush())):
            with self.subTest(name):
                self.gzip_page(body, "deflate")
                result = self.list()
                self.assertEqual([a["id"] for a in self.activities(result)], [r["id"] for r in RECORDS[:PAGE]])
                self.emu.clear_faults()

    def test_a_corrupt_body_fails_the_page(self) -> None:
        body = bytearray(gzip.compress(json.dumps(pingone_page(RECORDS[:PAGE])).encode(), mtime=0))
        body[len(body) // 2] ^= 0xFF
        self.gzip_page(bytes(body))
        self.assertFailure(self.list(), 1, r"page 1: decompress response from http://127\.0\.0\.1:\d+/v1/.*: "
                                           r"corrupt or truncated gzip data", printed=0)


class BackgroundFetchTest(PingOneFaultCase):
    """Against a server that takes a while to answer, the next page is fetched on a thread of its
    own while the one before it is written (README, Performance). What must not change: every
    record once and in order, errors after the pages before them, and no page past --limit."""

    emulator_args = ("--page-delay-ms", "20")

    def in_order(self) -> list[str]:
        """The ids as a run that asks for no page ahead (--limit) prints them."""
        result = self.list("--limit", str(len(RECORDS)))
        self.pages = len(self.emu.requests("/activities"))
        self.emu.clear_requests()
        ids = [a["id"] for a in self.activities(result)]
        self.assertCountEqual(ids, NEWEST_IDS)
        return ids

    def test_every_page_once_and_in_order(self) -> None:
        expected = self.in_order()
        result = self.list()
        self.assertEqual(result.stdout.count("\n"), len(RECORDS))
        self.assertEqual([a["id"] for a in self.activities(result)], expected)
        self.assertEqual(len(self.emu.requests("/activities")), self.pages)

    def test_an_error_on_a_page_asked_for_ahead_comes_after_the_pages_before_it(self) -> None:
        expected = self.in_order()
        self.emu.faults({"path": "/activities$", "skip": 2, "kind": "status", "status": 500})
        activities = self.assertFailure(self.list(), 1, r"page 3: .*500", printed=2 * PAGE)
        self.assertEqual([a["id"] for a in activities], expected[:2 * PAGE])

    def test_no_page_is_asked_for_past_the_limit(self) -> None:
        result = self.list("--limit", str(PAGE))
        self.assertEqual(len(self.activities(result)), PAGE)
        self.assertEqual(len(self.emu.requests("/activities")), 1)


class TokenRefreshTest(FaultCase):
    """SailPoint (client credentials): the server expires the token mid-run, answers its own 401;
    auditfetch fetches one new token and goes on."""

    def list(self, *args: str):
        return run_auditfetch("list", "-p", "sailpoint", "--tenant", "acme-sb", "--base-url", self.emu.url + "/v3",
                              "--token-url", self.emu.url + "/oauth/token", "--page-size", "4", *args,
                              env={"SAIL_CLIENT_ID": CLIENT_ID, "SAIL_CLIENT_SECRET": CLIENT_SECRET})

    def test_a_token_expired_server_side_is_renewed_once_and_the_run_goes_on(self) -> None:
        self.emu.faults({"path": "/account-activities$", "skip": 2, "kind": "expire_tokens"})
        result = self.list()
        self.assertIdsOnce(self.activities(result), [r["id"] for r in fixture_records("sailpoint")])
        self.assertEqual(len(self.emu.requests("/oauth/token")), 2)
        statuses = [r for r in self.emu.requests("/account-activities")]
        self.assertEqual(len(statuses), 30 // 4 + 1 + 1)  # every page once, page 3 twice

    def test_a_token_expired_again_after_the_renewal_exits_3(self) -> None:
        self.emu.faults({"path": "/account-activities$", "skip": 1, "kind": "expire_tokens", "times": -1})
        result = self.list("-o", "json")
        self.assertFailure(result, 3, r"page 2: authentication refused \(401\).*fresh token", "json", printed=4)
        self.assertEqual(len(self.emu.requests("/oauth/token")), 2)

    def test_a_failing_token_endpoint_exits_1(self) -> None:
        self.emu.faults({"path": "/oauth/token$", "kind": "status", "status": 500, "times": -1})
        result = self.list("--retries", "0")
        self.assertFailure(result, 1, r"token request to http://127\.0\.0\.1:\d+/oauth/token: HTTP 500", printed=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SilentServer:
    """Accepts TCP connections and never says a word (a TLS handshake or a response that never comes)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


class NetworkTest(FaultCase):
    """Failures before any response: no server, no name, a server that says nothing, bad TLS."""

    emulator_args = ()

    def run_list(self, base: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID, "--base-url", base,
                              "--since", SINCE, "--until", UNTIL, "--retries", "0", *args,
                              env={"AUDITFETCH_TOKEN": TOKEN}, timeout=timeout)

    def test_connection_refused(self) -> None:
        result = self.run_list(f"http://127.0.0.1:{free_port()}/v1", "-o", "json")
        self.assertFailure(result, 1, r"page 1: .*127\.0\.0\.1:\d+.*[Cc]onnection refused", "json", printed=0)

    def test_connection_refused_is_retried_then_reported_once(self) -> None:
        result = self.run_list(f"http://127.0.0.1:{free_port()}/v1", "--retries", "2")
        self.assertFailure(result, 1, r"[Cc]onnection refused.*after 3 tries|after 3 tries.*[Cc]onnection refused",
                           printed=0)
        self.assertEqual(len([l for l in result.stderr.splitlines() if "retrying" in l]), 2)

    def test_dns_failure(self) -> None:
        started = time.monotonic()
        result = self.run_list("https://api.auditfetch-test.invalid/v1", timeout=120)
        self.assertFailure(result, 1, r"page 1: .*api\.auditfetch-test\.invalid", printed=0)
        self.assertRegex(self.errorLine(result), r"(resolve|[Hh]ost not found|name)")
        self.assertLess(time.monotonic() - started, 60)

    def test_tls_handshake_timeout(self) -> None:
        with SilentServer() as server:
            started = time.monotonic()
            result = self.run_list(f"https://127.0.0.1:{server.port}/v1", "--timeout", "1")
            self.assertFailure(result, 1, r"page 1: TLS handshake with 127\.0\.0\.1:\d+: timed out after 1s",
                               printed=0)
            self.assertLess(time.monotonic() - started, 10)

    def test_response_that_never_comes(self) -> None:
        with SilentServer() as server:
            result = self.run_list(f"http://127.0.0.1:{server.port}/v1", "--timeout", "1")
            self.assertFailure(result, 1, r"page 1: read http://127\.0\.0\.1:\d+: timed out after 1s", printed=0)


class TlsFailureTest(FaultCase):
    """Certificates that must be refused, each with a message that says what is wrong with it."""

    emulator_args = ()

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-tls-")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()
        super().tearDownClass()

    def check(self, variant: str, pattern: str) -> None:
        tls = make_tls_files(self.tmp.name, variant)
        with Emulator(tls=tls) as emu:
            result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                    "--base-url", emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                                    "--ca-file", tls.ca_cert, "--retries", "0", "-o", "json",
                                    env={"AUDITFETCH_TOKEN": TOKEN})
            self.assertFailure(result, 1, r"page 1: TLS handshake with 127\.0\.0\.1:\d+: " + pattern, "json",
                               printed=0)
            self.assertEqual(emu.requests(), [], "a request was sent over an unverified connection")
            self.assertNotIn(TOKEN, result.stderr)

    def test_self_signed(self) -> None:
        self.check("self_signed", r"certificate verify failed: self[- ]signed certificate")

    def test_unknown_ca(self) -> None:
        self.check("unknown_ca", r"certificate verify failed: unable to get local issuer certificate")

    def test_wrong_host_name(self) -> None:
        self.check("wrong_host", r"host name mismatch \(certificate is not valid for '127\.0\.0\.1'\)")

    def test_expired(self) -> None:
        self.check("expired", r"certificate verify failed: certificate has expired")

    def test_the_valid_certificate_works(self) -> None:
        tls = make_tls_files(self.tmp.name, "valid")
        with Emulator(tls=tls) as emu:
            result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                    "--base-url", emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                                    "--ca-file", tls.ca_cert, env={"AUDITFETCH_TOKEN": TOKEN})
            self.assertEqual(len(self.activities(result)), len(RECORDS))


if __name__ == "__main__":
    unittest.main()
