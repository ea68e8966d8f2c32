"""Security review, by test (SECURITY.md says what each part protects against).

- Secrets: no bearer token, client secret or issued access token in stdout, stderr, `-v` output,
  state files or error messages, for every provider and auth style, failures included.
- Terminal safety: hostile remote text (ANSI CSI/OSC escapes, CR, backspace, bidi overrides,
  C1 controls, NUL) is shown as visible escapes in table output, round-trips exactly through
  JSON/NDJSON, and CSV cells a spreadsheet would run are defused; error lines stay one clean line.
- Files: state files are 0600 whatever the umask; symlinks at or near the state path never make
  auditfetch write through them.
- TLS: TLS 1.0/1.1 servers are refused (by auditfetch's own minimum, not only the system
  policy); there is no switch to turn verification off; no credentials over plain http.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import unittest
from pathlib import Path
from typing import Any

from harness import (PINGONE_ENV_ID, TE_AID, TRUTO_ACCOUNT_ID, Emulator, fixture_records, make_tls_files,
                     run_auditfetch)
from provider_case import ProviderCase

BEARER = "bearer-TOKEN-8d41b3c6e07a"
CLIENT_ID = "client-ID-3a9e"
SECRET = "client-SECRET-5f2c9a7e11d0"
SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"

# provider → (list arguments, list path on the emulator, the token endpoint path or None)
PROVIDERS: dict[str, tuple[list[str], str, str | None]] = {
    "pingone": (["--environment-id", PINGONE_ENV_ID, "--base-url", "{url}/v1", "--since", SINCE, "--until", UNTIL],
                "/activities", f"/{PINGONE_ENV_ID}/as/token"),
    "truto": (["--integrated-account-id", TRUTO_ACCOUNT_ID, "--base-url", "{url}"], "/activities", None),
    "thousandeyes": (["--aid", TE_AID, "--base-url", "{url}/v7", "--since", "2024-05-01T00:00:00Z",
                      "--until", "2024-06-01T00:00:00Z"], "/audit-user-events", None),
    "sailpoint": (["--tenant", "acme-sb", "--base-url", "{url}/v3"], "/account-activities", "/oauth/token"),
}

# (provider, auth style) → environment; "token-file" writes BEARER to a file first.
AUTH_STYLES: list[tuple[str, str, dict[str, str]]] = [
    ("pingone", "AUDITFETCH_TOKEN", {"AUDITFETCH_TOKEN": BEARER}),
    ("pingone", "PINGONE_ACCESS_TOKEN", {"PINGONE_ACCESS_TOKEN": BEARER}),
    ("pingone", "token-file", {}),
    ("pingone", "client credentials (Basic)", {"PINGONE_CLIENT_ID": CLIENT_ID, "PINGONE_CLIENT_SECRET": SECRET}),
    ("truto", "TRUTO_API_TOKEN", {"TRUTO_API_TOKEN": BEARER}),
    ("truto", "token-file", {}),
    ("thousandeyes", "TE_TOKEN", {"TE_TOKEN": BEARER}),
    ("thousandeyes", "THOUSANDEYES_TOKEN", {"THOUSANDEYES_TOKEN": BEARER}),
    ("sailpoint", "AUDITFETCH_TOKEN", {"AUDITFETCH_TOKEN": BEARER}),
    ("sailpoint", "client credentials (post)", {"SAIL_CLIENT_ID": CLIENT_ID, "SAIL_CLIENT_SECRET": SECRET}),
    ("sailpoint", "AUDITFETCH_CLIENT_ID", {"AUDITFETCH_CLIENT_ID": CLIENT_ID, "AUDITFETCH_CLIENT_SECRET": SECRET}),
]


def secret_forms(extra: list[str]) -> list[str]:
    """Every form a secret could leak in: as is, Basic-encoded with the client id, and issued tokens."""
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    return [BEARER, SECRET, basic, basic.rstrip("="), *extra]


class SecretsTest(ProviderCase):
    """Every provider and auth style, on success and on each failure path, with -v and --state."""

    emulator_args = ("--token", BEARER, "--client-id", CLIENT_ID, "--client-secret", SECRET)

    def run_style(self, provider: str, style: str, env: dict[str, str], *args: str,
                  token_file_text: str = BEARER + "\n") -> tuple[subprocess.CompletedProcess, str]:
        """Runs `list -v --state` for one auth style; returns the result and the state file's text."""
        list_args, _, token_path = PROVIDERS[provider]
        with tempfile.TemporaryDirectory(prefix="auditfetch-sec-") as tmp:
            extra: list[str] = []
            if style == "token-file":
                Path(tmp, "token").write_text(token_file_text)
                extra += ["--token-file", str(Path(tmp, "token"))]
            if token_path and any("SECRET" in k for k in env):
                extra += ["--token-url", self.emu.url + token_path]
            state = Path(tmp, "state.json")
            result = run_auditfetch("list", "-p", provider, *[a.format(url=self.emu.url) for a in list_args],
                                    "-v", "--state", state, "--retries", "0", *extra, *args,
                                    env={"AUDITFETCH_TOKEN": None, **env})
            return result, state.read_text() if state.exists() else ""

    def issued_tokens(self) -> list[str]:
        return sorted({r["headers"]["Authorization"].split(" ", 1)[1] for r in self.emu.requests()
                       if r["headers"].get("Authorization", "").startswith("Bearer ")} - {BEARER})

    def assertNoSecrets(self, where: str, *texts: str) -> None:
        forms = secret_forms(self.issued_tokens())
        for text in texts:
            for form in forms:
                self.assertNotIn(form, text, f"{where}: a secret leaked")

    def test_success_with_verbose_and_state(self) -> None:
        for provider, style, env in AUTH_STYLES:
            with self.subTest(provider=provider, style=style):
                self.emu.reset()
                result, state = self.run_style(provider, style, env)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertRegex(result.stderr, r"auditfetch: GET http://127\.0\.0\.1:\d+/.*: 200")
                self.assertTrue(state)
                if any("SECRET" in k for k in env):
                    self.assertEqual(len(self.issued_tokens()), 1)  # the check below covers it
                self.assertNoSecrets(f"{provider} {style}", result.stdout, result.stderr, state)

    def test_refused_credentials(self) -> None:
        for provider, style, env in AUTH_STYLES:
            with self.subTest(provider=provider, style=style):
                self.emu.reset()
                self.emu.faults({"path": PROVIDERS[provider][1] + "$", "kind": "status", "status": 401, "times": -1})
                result, state = self.run_style(provider, style, env)
                self.assertOneErrorLine(result, 3, "authentication refused (401)")
                self.assertNoSecrets(f"{provider} {style}", result.stdout, result.stderr, state)

    def test_error_bodies_echoing_the_credentials(self) -> None:
        # A server (or a proxy) that quotes the request back in its error must not make
        # auditfetch print the secret: the echo is redacted from every error message.
        for provider, style, env in AUTH_STYLES:
            for status, code in ((401, 3), (403, 3), (500, 1), (400, 2)):
                with self.subTest(provider=provider, style=style, status=status):
                    self.emu.reset()
                    if any("SECRET" in k for k in env):
                        # The issued token is known only once issued: echo whatever Authorization came.
                        self.emu.faults({"path": PROVIDERS[provider][1] + "$", "kind": "status", "status": status,
                                         "times": -1, "echo_authorization": True})
                    else:
                        self.emu.faults({"path": PROVIDERS[provider][1] + "$", "kind": "status", "status": status,
                                         "times": -1, "body": {"message": f"invalid token {BEARER}",
                                                               "error": f"Bearer {BEARER}"}})
                    result, state = self.run_style(provider, style, env)
                    self.assertOneErrorLine(result, code, "")
                    self.assertIn("REDACTED", self.errorLine(result))
                    self.assertNoSecrets(f"{provider} {style} {status}", result.stdout, result.stderr, state)

    def test_token_endpoint_failures(self) -> None:
        for provider, style, env in AUTH_STYLES:
            if not any("SECRET" in k for k in env):
                continue
            token_path = PROVIDERS[provider][2]
            for fault, code, message in (({"kind": "status", "status": 500}, 1, "token request to"),
                                         ({"kind": "status", "status": 401}, 3, "token request to"),
                                         ({"kind": "invalid_json"}, 1, "token request to"),
                                         ({"kind": "html"}, 1, "token request to"),
                                         ({"kind": "reset"}, 1, "Connection reset")):
                with self.subTest(provider=provider, style=style, fault=fault):
                    self.emu.reset()
                    self.emu.faults({"path": token_path + "$", "times": -1, **fault})
                    result, state = self.run_style(provider, style, env)
                    self.assertOneErrorLine(result, code, message)
                    self.assertNoSecrets(f"{provider} {style} {fault}", result.stdout, result.stderr, state)
            with self.subTest(provider=provider, style=style, fault="wrong secret"):
                self.emu.reset()
                wrong = {k: ("wrong-" + SECRET if "SECRET" in k else v) for k, v in env.items()}
                result, _ = self.run_style(provider, style, wrong)
                self.assertOneErrorLine(result, 3, "refused")
                self.assertNotIn("wrong-" + SECRET, result.stderr)
                self.assertNoSecrets(f"{provider} {style} wrong secret", result.stdout, result.stderr)

    def test_bad_token_files(self) -> None:
        for provider in ("pingone", "truto"):
            for text, message in (("", "is empty"), ("\n  \n", "is empty"),
                                  (f"{BEARER}\r\nX-Injected: yes\n", "malformed")):
                with self.subTest(provider=provider, text=text):
                    self.emu.reset()
                    result, state = self.run_style(provider, "token-file", {}, token_file_text=text)
                    self.assertOneErrorLine(result, 2, message)
                    self.assertNoSecrets(f"{provider} token file", result.stdout, result.stderr, state)
                    self.assertFalse(any("X-Injected" in r["headers"] for r in self.emu.requests()))
        result = run_auditfetch("list", "-p", "truto", "--integrated-account-id", TRUTO_ACCOUNT_ID,
                                "--base-url", self.emu.url, "--token-file", "/nonexistent/token")
        self.assertOneErrorLine(result, 2, "--token-file: cannot read '/nonexistent/token'")

    def test_secrets_are_never_read_from_flags(self) -> None:
        for flag in ("--token", "--client-secret", "--password", "--api-key"):
            with self.subTest(flag=flag):
                result = run_auditfetch("list", "-p", "truto", flag, BEARER)
                self.assertEqual(result.returncode, 2, result.stderr)


# --------------------------------------------------------------------------- terminal safety

HOSTILE = {
    "csi": "\x1b[31mRED\x1b[0m\x1b[2J\x1b[H",
    "osc_title": "\x1b]0;owned title\x07after",
    "osc8_link": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "c1_csi": "\u009b31mC1\u009b0m",
    "carriage_return": "innocent\rFAKE LINE",
    "backspace": "abc\x08\x08\x08XYZ",
    "newline": "line one\nline two",
    "bidi": "user\u202etxt.exe\u202c \u2066iso\u2069 \u200fmark\u061c",
    "nul_del_bell": "a\x00b\x7fc\x07d",
    "line_separators": "x\u2028y\u2029z",
}
# Nothing here may reach stdout in table output.
FORBIDDEN_IN_TABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u061c\u200e\u200f\u2028\u2029"
                                "\u202a-\u202e\u2066-\u2069]")
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def pingone_record(index: int, text: str) -> dict[str, Any]:
    return {"id": f"hostile-{index:03d}", "recordedAt": f"2024-06-01T00:{index // 60:02d}:{index % 60:02d}.000Z",
            "actors": {"user": {"id": f"actor {text}", "name": text}},
            "action": {"type": f"HOSTILE.{text}", "description": text},
            "resources": [{"type": "USER", "id": f"entity {text}"}],
            "result": {"status": "SUCCESS", "description": text}}


def truto_record(index: int, text: str) -> dict[str, Any]:
    return {"id": f"hostile-{index:03d}", "created_at": f"2024-06-01T00:{index // 60:02d}:{index % 60:02d}.000Z",
            "actor": {"type": "user", "user": {"id": text}}, "description": text, "action": "login",
            "context": {"ip_address": text, "user_agent": text, "authentication_method": text},
            "remote_data": {"displayMessage": text}}


class TerminalSafetyTest(ProviderCase):
    def setUp(self) -> None:
        super().setUp()
        texts = list(HOSTILE.values())
        self.emu.add_activities("pingone", [pingone_record(i, t) for i, t in enumerate(texts)])
        self.emu.add_activities("truto", [truto_record(i, t) for i, t in enumerate(texts)])

    def list(self, provider: str, *args: str) -> subprocess.CompletedProcess:
        common = {"pingone": ["--environment-id", PINGONE_ENV_ID, "--base-url", self.emu.url + "/v1",
                              "--since", "2024-06-01T00:00:00Z", "--until", "2024-06-02T00:00:00Z"],
                  "truto": ["--integrated-account-id", TRUTO_ACCOUNT_ID, "--base-url", self.emu.url,
                            "--since", "2024-06-01T00:00:00Z"]}[provider]
        result = run_auditfetch("list", "-p", provider, *common, *args, env={"AUDITFETCH_TOKEN": "test-token"})
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def test_table_shows_escapes_not_effects(self) -> None:
        for provider in ("pingone", "truto"):
            for env in ({}, {"COLUMNS": "400"}):
                with self.subTest(provider=provider, env=env):
                    result = self.list(provider, "-o", "table")
                    raw = result.stdout.encode("utf-8", "surrogateescape")
                    text = raw.decode("utf-8")  # strictly valid UTF-8
                    self.assertIsNone(FORBIDDEN_IN_TABLE.search(text), repr(FORBIDDEN_IN_TABLE.search(text)))
                    lines = text.splitlines()
                    self.assertEqual(len(lines), 1 + len(HOSTILE), text)  # a header, one line a record
                    self.assertIn("\\x1b[31mRED", text)  # visible, inert
        wide = self.list("pingone", "-o", "table", "--fields", "description,actor.user.id").stdout
        for visible in ("\\x1b]0;owned title\\x07after", "innocent\\rFAKE LINE", "line one\\nline two",
                        "abc\\x08\\x08\\x08XYZ", "\\u202e"):
            self.assertIn(visible.lower(), wide.lower())

    def test_json_and_ndjson_round_trip_every_character(self) -> None:
        for provider in ("pingone", "truto"):
            for fmt in ("json", "ndjson"):
                with self.subTest(provider=provider, format=fmt):
                    result = self.list(provider, "-o", fmt)
                    raw = result.stdout.encode("utf-8", "surrogateescape")
                    text = raw.decode("utf-8")
                    # JSON escapes every C0 control (RFC 8259); remote_data, Boost.JSON's serialisation
                    # of the record, may hold DEL, C1 and bidi characters raw: valid JSON, not for a terminal.
                    self.assertIsNone(re.search("[\x00-\x09\x0b-\x1f]", text), "raw control characters")
                    activities = (json.loads(text) if fmt == "json"
                                  else [json.loads(line) for line in text.split("\n") if line])
                    self.assertEqual(sorted(a["description"] for a in activities), sorted(HOSTILE.values()))
                    if provider == "truto":
                        for a in activities:
                            self.assertEqual(a["context"]["user_agent"], a["description"])
                            self.assertEqual(a["remote_data"]["displayMessage"], a["description"])
                    # Unified fields escape C1 controls and U+2028/U+2029 as \\u (JavaScript, terminals).
                    self.assertIn('"description":"x\\u2028y\\u2029z"', text)

    def test_csv_defuses_formulas_and_keeps_the_text(self) -> None:
        self.emu.add_activities("pingone", [pingone_record(100 + i, f) for i, f in enumerate(FORMULAS)])
        result = self.list("pingone", "-o", "csv", "--fields", "id,description")
        rows = {row[0]: row[1] for row in csv.reader(io.StringIO(result.stdout, newline=""))}
        for i, formula in enumerate(FORMULAS):
            # (run_auditfetch reads text with universal newlines: a CR inside a quoted cell reads as LF)
            self.assertEqual(rows[f"hostile-{100 + i:03d}"], "'" + formula.replace("\r", "\n"))
        self.assertEqual(rows["hostile-006"], "line one\nline two")  # quoted, intact

    def test_invalid_utf8_and_lone_surrogates_never_reach_the_output(self) -> None:
        record = json.dumps(pingone_record(0, "NAME")).encode()
        for name, bad in (("invalid UTF-8", b"\xff\xfe\xc0\xaf\xed\xa0\x80"), ("lone surrogate", b"\\ud800x\\udfff")):
            with self.subTest(case=name):
                body = b'{"_embedded":{"activities":[' + record.replace(b"NAME", bad) + b"]}}"
                for fmt in ("table", "json", "csv"):
                    self.emu.reset()
                    self.emu.faults({"path": "/activities$", "kind": "status", "status": 200,
                                     "body_base64": base64.b64encode(body).decode()})
                    result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                            "--base-url", self.emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                                            "-o", fmt, env={"AUDITFETCH_TOKEN": "test-token"})
                    out = result.stdout.encode("utf-8", "surrogateescape")
                    out.decode("utf-8")  # whatever was printed is valid UTF-8
                    err = result.stderr.encode("utf-8", "surrogateescape")
                    err.decode("utf-8")
                    # The record is printed, with U+FFFD in place of the bad text: a stray byte
                    # in attacker-chosen text must not cost the page (or stall tail on it).
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assertIn("\ufffd", out.decode())

    def test_remote_error_text_is_one_clean_line(self) -> None:
        body = ("\x1b[2J\x1b]0;owned\x07 line one\r\nline two \u202eevil".encode() + b"\xff\xfe")
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 500, "times": -1,
                         "content_type": "text/plain", "body_base64": base64.b64encode(body).decode()},
                        )
        result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID, "--base-url",
                                self.emu.url + "/v1", "--retries", "0", env={"AUDITFETCH_TOKEN": "test-token"})
        self.assertOneErrorLine(result, 1, "HTTP 500")
        err = result.stderr.encode("utf-8", "surrogateescape").decode("utf-8")
        self.assertIsNone(FORBIDDEN_IN_TABLE.search(err.rstrip("\n")), repr(err))


# --------------------------------------------------------------------------- files


class StateFileTest(ProviderCase):
    def list(self, state: Path, *args: str) -> subprocess.CompletedProcess:
        return run_auditfetch("list", "-p", "truto", "--integrated-account-id", TRUTO_ACCOUNT_ID,
                              "--base-url", self.emu.url, "--state", state, *args,
                              env={"AUDITFETCH_TOKEN": "test-token"})

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-state-")
        self.dir = Path(self.tmp.name)
        self.victim = self.dir / "victim.txt"
        self.victim.write_text("precious\n")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def assertVictimIntact(self) -> None:
        self.assertEqual(self.victim.read_text(), "precious\n")

    def test_created_0600_even_with_umask_0(self) -> None:
        old = os.umask(0)
        try:
            result = self.list(self.dir / "state.json")
        finally:
            os.umask(old)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(stat.S_IMODE((self.dir / "state.json").stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE((self.dir / "state.json.lock").stat().st_mode), 0o600)
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()),
                         ["state.json", "state.json.lock", "victim.txt"])  # no temp left

    def test_a_symlink_to_another_file_is_not_written_through(self) -> None:
        state = self.dir / "state.json"
        state.symlink_to(self.victim)
        result = self.list(state)
        self.assertOneErrorLine(result, 2, "state file")  # not a checkpoint: named, left alone
        self.assertVictimIntact()
        self.assertTrue(state.is_symlink())

    def test_a_symlink_at_the_lock_file_is_refused_not_followed(self) -> None:
        (self.dir / "state.json.lock").symlink_to(self.victim)
        result = self.list(self.dir / "state.json")
        self.assertOneErrorLine(result, 2, f"cannot open the lock file '{self.dir / 'state.json.lock'}'")
        self.assertIn("symbolic link", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertVictimIntact()
        self.assertFalse((self.dir / "state.json").exists())

    def test_a_dangling_symlink_is_replaced_not_followed(self) -> None:
        state = self.dir / "state.json"
        target = self.dir / "created-through-the-link"
        state.symlink_to(target)
        result = self.list(state)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(target.exists())
        self.assertFalse(state.is_symlink())
        self.assertEqual(stat.S_IMODE(state.stat().st_mode), 0o600)

    def test_a_symlink_to_a_real_checkpoint_is_replaced_not_written_through(self) -> None:
        elsewhere = self.dir / "elsewhere.json"
        self.assertEqual(self.list(elsewhere).returncode, 0)
        before = elsewhere.read_text()
        state = self.dir / "state.json"
        state.symlink_to(elsewhere)
        self.emu.add_activities("truto", [truto_record(1, "new")])
        result = self.list(state)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(elsewhere.read_text(), before)
        self.assertFalse(state.is_symlink())

    def test_planted_temporary_names_are_not_followed(self) -> None:
        state = self.dir / "state.json"
        for name in ("state.json.tmp", "state.json.new", "state.json~", "state.json.XXXXXX", ".state.json.swp"):
            (self.dir / name).symlink_to(self.victim)
        old = os.umask(0)
        try:
            result = self.list(state)
        finally:
            os.umask(old)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertVictimIntact()
        self.assertFalse(state.is_symlink())


# --------------------------------------------------------------------------- TLS

PERMISSIVE_OPENSSL_CONF = """\
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
"""


class OldTlsServer:
    """A TLS server that speaks TLS 1.0 and 1.1 only and answers any request with 200 {}."""

    def __init__(self, tls: Any) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1
        self.context.maximum_version = ssl.TLSVersion.TLSv1_1
        self.context.set_ciphers("DEFAULT:@SECLEVEL=0")
        self.context.load_cert_chain(str(tls.server_cert), str(tls.server_key))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.handshakes: list[str] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    self.handshakes.append(tls.version() or "?")
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                                b"Connection: close\r\n\r\n{}")
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self) -> None:
        self.sock.close()


class TlsPolicyTest(unittest.TestCase):
    def test_tls_1_0_and_1_1_are_refused_by_auditfetch_itself(self) -> None:
        with tempfile.TemporaryDirectory(prefix="auditfetch-tls-") as tmp:
            tls = make_tls_files(tmp)
            conf = Path(tmp, "permissive.cnf")
            conf.write_text(PERMISSIVE_OPENSSL_CONF)
            server = OldTlsServer(tls)
            try:
                # The control: with this OpenSSL configuration a client that allows TLS 1.1 gets through,
                # so a refusal below is auditfetch's own minimum, not the system policy.
                control = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}",
                                          "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", str(tls.ca_cert)],
                                         input="", capture_output=True, text=True, timeout=30,
                                         env={**os.environ, "OPENSSL_CONF": str(conf)})
                self.assertIn("Protocol  : TLSv1.1", control.stdout, control.stdout + control.stderr)
                self.assertEqual(server.handshakes, ["TLSv1.1"])
                result = run_auditfetch("list", "-p", "truto", "--integrated-account-id", TRUTO_ACCOUNT_ID,
                                        "--base-url", f"https://127.0.0.1:{server.port}", "--ca-file", tls.ca_cert,
                                        "--retries", "0", env={"AUDITFETCH_TOKEN": "test-token",
                                                               "OPENSSL_CONF": str(conf)})
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertRegex(result.stderr.strip().splitlines()[-1],
                                 r"^auditfetch: error: truto: page 1: TLS handshake with 127\.0\.0\.1:\d+: .*protocol")
                self.assertEqual(server.handshakes, ["TLSv1.1"])  # auditfetch never completed one
                self.assertEqual(result.stdout, "")
            finally:
                server.close()

    def test_no_switch_turns_verification_off(self) -> None:
        pattern = re.compile(r"insecure|no-?verify|skip-?verify|verify-?(ssl|tls|peer)|allow-?invalid|"
                             r"--k\b|unsafe", re.I)
        for command in ([], ["list"], ["tail"], ["get"], ["providers"]):
            with self.subTest(command=command):
                result = run_auditfetch(*command, "--help")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIsNone(pattern.search(result.stdout), result.stdout)
        for flag in ("--insecure", "-k", "--no-verify", "--tls-no-verify"):
            with self.subTest(flag=flag):
                result = run_auditfetch("list", "-p", "truto", flag)
                self.assertEqual(result.returncode, 2, result.stderr)
        man = (Path(__file__).resolve().parents[2] / "man" / "auditfetch.1").read_text()
        self.assertIsNone(re.search(r"\\-\\-insecure|no\\-verify", man))

    def test_no_credentials_over_plain_http_except_loopback(self) -> None:
        result = run_auditfetch("list", "-p", "truto", "--integrated-account-id", TRUTO_ACCOUNT_ID,
                                "--base-url", "http://api.example.invalid", env={"AUDITFETCH_TOKEN": "test-token"})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("refusing to send credentials over plain http to api.example.invalid", result.stderr)


if __name__ == "__main__":
    unittest.main()
