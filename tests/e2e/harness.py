"""Helpers for the end-to-end tests: the API emulator, TLS test files, the auditfetch binary.

    with Emulator() as emu:
        emu.faults({"path": "/activities$", "kind": "status", "status": 429})
        result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                "--base-url", emu.url + "/v1", env={"AUDITFETCH_TOKEN": TOKEN})
        assert len(emu.requests("/activities")) == 2  # the 429, then the retry
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[2]
EMULATOR = REPO / "tests" / "emulator" / "emulator.py"
FIXTURES = REPO / "tests" / "fixtures"

# Identities the fixtures and the emulator agree on (see tests/emulator/common.py).
PINGONE_ENV_ID = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
PINGONE_ORG_ID = "3e1b5c7a-0d2f-4a8e-9b61-7f4c2d8e1a90"
TRUTO_ACCOUNT_ID = "62f44730-dd91-461e-bd6a-aedd9e0ad79d"
TE_AID = "1234"
TE_OTHER_AID = "5678"  # a second account group the token may read with useAllPermittedAids=true
SAILPOINT_ME = "2c9180858082150f0180893dbaf44201"
OKTA_ADMIN_ID = "00u1adm1nXyZ7q9Kd0h7"  # the admin (type User) behind most Okta fixture changes
OKTA_SYSTEM_ID = "0oa1okta5ystemPr0h7x"  # the SystemPrincipal actor of the Okta fixtures
GITHUB_ORG, GITHUB_ORG_ID = "acme-corp", 91827364
GITHUB_OTHER_ORG, GITHUB_OTHER_ORG_ID = "acme-labs", 91827365  # the enterprise's second org
GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID = "acme-ent", 24680
ENTRA_TENANT_ID = "4f1c2b7e-8d3a-4e59-b6a0-2c9d7e1f3a85"
ENTRA_TENANT_DOMAIN = "contoso.onmicrosoft.com"
ENTRA_SCOPE = "https://graph.microsoft.com/.default"
SLACK_ENTERPRISE_ID = "E0ABCDEF"  # Slack: the Enterprise org of every fixture, and its owner
SLACK_ADMIN_ID = "U01ADMIN"
SLACK_NO_SCOPE_TOKEN = "xoxp-no-auditlogs-scope"  # a token the emulator knows but refuses: 403 missing_scope
ZENDESK_SUBDOMAIN = "acme"
ZENDESK_EMAIL = "admin@example.com"  # Basic auth user name "{ZENDESK_EMAIL}/token", password TOKEN
ZENDESK_ADMIN_ID = 10412385001
ZENDESK_AGENT_EMAIL = "agent@example.com"  # not an admin: audit logs answer 403
ZENDESK_ACCOUNT_ID = 9182736
GOOGLE_CUSTOMER_ID = "C03az79cb"  # Google Workspace fixtures: the customer, its domain, its super admin
GOOGLE_DOMAIN = "example.com"
GOOGLE_ADMIN, GOOGLE_ADMIN_ID = "admin@example.com", "100457812369012345678"
GOOGLE_USER = "alice@example.com"  # a user without admin rights (a token for her gets 403 from the API)
GOOGLE_SERVICE_ACCOUNT = "auditfetch-reports@auditfetch-test.iam.gserviceaccount.com"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/admin.reports.audit.readonly"
GOOGLE_KEY_FILE = FIXTURES / "google-workspace" / "service-account.json"  # copy it and set token_uri to EMU_URL/token
AUTH0_DOMAIN = "acme.eu.auth0.com"  # the Auth0 tenant (auditfetch's domain setting)
AUTH0_AUDIENCE = "https://acme.eu.auth0.com/api/v2/"  # the only audience its token endpoint accepts
DUO_API_HOST = "api-deadbeef.duosecurity.com"  # Duo: the API host the base URL stands for (EMU_URL)
DUO_IKEY = "DIWJ8X6AEYOR5OMC6TQ1"  # Duo Admin API integration key / secret key: the only credentials the
DUO_SKEY = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"  # emulator's duo-auth and duo-admin accept (HMAC-signed)
ONEPASSWORD_ACCOUNT_UUID = "ACMEB7KQ3ZRXN5TVWJ2LHGYDPU"  # 1Password: the account "ACME" (account_uuid)
ONEPASSWORD_ADMIN_UUID = "MRGN4ZT7QXKV2HJLWB5EYRDCPA"  # its owner, Morgan Reyes (actor of most audit events)
ONEPASSWORD_SIGNINS_TOKEN = (  # a bearer token that may read sign-in attempts only (401 elsewhere)
    "eyJhbGciOiJFUzI1NiIsImtpZCI6Imt4bjNicnE1aDJ0ejd2d2p5bDRnbWRjcGVhIiwidHlwIjoiSldUIn0.eyIxcGFzc3dvcmQu"
    "Y29tL2F1dWlkIjoiQUNNRUI3S1EzWlJYTjVUVldKMkxIR1lEUFUiLCIxcGFzc3dvcmQuY29tL3Rva2VuIjoicTd4azJ6cm41dnR3"
    "ajNoZ3lsbWJkY3BlYWYiLCIxcGFzc3dvcmQuY29tL2Z0cyI6WyJzaWduaW5hdHRlbXB0cyJdLCJhdWQiOlsiZXZlbnRzLjFwYXNz"
    "d29yZC5jb20iXSwic3ViIjoiSU5URzVRWlgzS1JON1ZUSjJIR1lMQk1EQ0UiLCJpYXQiOjE3MTQ1NTA0MDAsImlzcyI6ImNvbS4x"
    "cGFzc3dvcmQuYjUiLCJqdGkiOiJyNHRxNnd6Mm14azdudmJoamw1Z3lkcGNzZSJ9.ZW11bGF0b3I6IHNpZ25hdHVyZSBub3QgY2hlY2tlZAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
TOKEN = "test-token"
CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
GENERATE_ANCHOR = "2024-07-01T00:00:00Z"  # --generate N: records in the N minutes before this


def fixture_records(provider: str) -> list[dict[str, Any]]:
    """The records of tests/fixtures/<provider>/activities.json."""
    return json.loads((FIXTURES / provider / "activities.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- plain HTTP


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.decoded())

    def decoded(self) -> bytes:
        """The body with any gzip Content-Encoding removed."""
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            return gzip.decompress(self.body)
        return self.body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None,
         context: ssl.SSLContext | None = None, timeout: float = 10) -> Reply:
    """One request with urllib; any status is returned, redirects are not followed."""
    handlers: list[Any] = [_NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, exc.headers, exc.read())


# --------------------------------------------------------------------------- emulator


class Emulator:
    """tests/emulator/emulator.py as a subprocess on 127.0.0.1 and a free port."""

    def __init__(self, *args: str, tls: "TlsFiles | None" = None, start_timeout: float = 10):
        self.args = [str(a) for a in args]
        self.tls = tls
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.port = 0
        self._stderr: Any = None
        self._stderr_text = ""
        if tls is not None:
            self.args += ["--tls-cert", str(tls.server_cert), "--tls-key", str(tls.server_key)]

    def __enter__(self) -> "Emulator":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.process = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--host", "127.0.0.1", "--port", "0", *self.args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"})
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        first = line[0].strip() if line else ""
        prefix = "listening on "
        if not first.startswith(prefix):
            self.stop()
            raise RuntimeError(f"emulator did not start (first line {first!r}):\n{self.stderr()}")
        self.url = first[len(prefix):]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> int | None:
        """Terminates the emulator; returns its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr_text = self.stderr()
        self._stderr.close()
        return self.process.returncode

    def stderr(self) -> str:
        """What the emulator wrote to stderr (also after stop())."""
        if self._stderr is None or self._stderr.closed:
            return self._stderr_text
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    @property
    def scheme(self) -> str:
        return self.url.split(":", 1)[0]

    def url_for(self, path: str, host: str = "127.0.0.1") -> str:
        """An absolute URL on the emulator, optionally through another host name (e.g. localhost)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client context trusting the emulator's CA (None for plain HTTP)."""
        if self.scheme != "https":
            return None
        if self.tls is not None and self.tls.variant == "valid":
            return ssl.create_default_context(cafile=str(self.tls.ca_cert))
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # control-plane calls only; the client under test verifies
        return context

    # ---------------------------------------------------------------- control API

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else None
        reply = http(self.url + "/_emulator/" + path, method, {"Content-Type": "application/json"}, body,
                     self.ssl_context())
        if reply.status != 200:
            raise RuntimeError(f"emulator control {method} {path}: {reply.status} {reply.body.decode(errors='replace')}")
        return reply.json()

    def health(self) -> bool:
        return self.control("GET", "health")["status"] == "ok"

    def faults(self, *rules: dict[str, Any]) -> None:
        """Appends fault rules (see tests/emulator/faults.py)."""
        self.control("POST", "faults", {"faults": list(rules)})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """Requests received (not /_emulator/), oldest first; only those whose path contains `path` if given."""
        entries = self.control("GET", "requests")
        return [e for e in entries if path is None or path in e["path"]]

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def stats(self) -> dict[str, int]:
        """{"requests": API requests received, "rate_limited": 429s sent by --rate-limit,
        "max_per_second": the most requests admitted in any rolling second}, since start or reset()."""
        return self.control("GET", "stats")

    def add_activities(self, provider: str, records: list[dict[str, Any]]) -> None:
        self.control("POST", f"activities/{provider}", records)

    def reset(self) -> None:
        """Restores the initial records and clears faults, requests, stats and issued tokens."""
        self.control("POST", "reset")

    def expire_tokens(self) -> None:
        """Makes every token issued so far expired."""
        self.control("POST", "tokens/expire")


# --------------------------------------------------------------------------- TLS files


class TlsFiles(NamedTuple):
    ca_cert: Path  # the test CA; pass to the client's --ca-file
    server_cert: Path
    server_key: Path
    variant: str = "valid"


_OPENSSL_CNF = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @alt_names
[ alt_names ]
{alt_names}
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
certificate = {dir}/ca.pem
private_key = {dir}/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
"""
_LOCAL_NAMES = "IP.1 = 127.0.0.1\nDNS.1 = localhost"
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{result.stderr}")


def _config(work: Path, alt_names: str) -> Path:
    path = work / f"openssl-{hashlib.sha256(alt_names.encode()).hexdigest()[:8]}.cnf"
    path.write_text(_OPENSSL_CNF.format(alt_names=alt_names, dir=work))
    return path


def _test_ca(work: Path, name: str = "ca") -> tuple[Path, Path]:
    cert, key = work / f"{name}.pem", work / f"{name}.key"
    if not cert.exists():
        cnf = _config(work, _LOCAL_NAMES)
        _openssl("req", "-x509", "-config", str(cnf), *_EC, "-keyout", key.name, "-out", cert.name, "-days", "3650",
                 "-subj", f"/CN=auditfetch test {name}", "-extensions", "ca_ext", cwd=work)
    return cert, key


def make_tls_files(tmpdir: str | os.PathLike[str], variant: str = "valid") -> TlsFiles:
    """Creates (once per tmpdir) a test CA and a server certificate signed by it.

    variant: "valid"       for 127.0.0.1 and localhost (subjectAltName IP and DNS);
             "self_signed" for 127.0.0.1 and localhost, signed by itself, not the CA;
             "wrong_host"  signed by the CA, only for example.invalid;
             "expired"     signed by the CA, for 127.0.0.1 and localhost, valid 2020-01-01..2021-01-01;
             "unknown_ca"  for 127.0.0.1 and localhost, signed by another CA.
    ca_cert is always the test CA, so only "valid" verifies with it.
    """
    work = Path(tmpdir)
    work.mkdir(parents=True, exist_ok=True)
    if shutil.which("openssl") is None:
        raise RuntimeError("the openssl command is required to make TLS test files")
    ca_cert, ca_key = _test_ca(work)
    cert, key = work / f"server-{variant}.pem", work / f"server-{variant}.key"
    if cert.exists():
        return TlsFiles(ca_cert, cert, key, variant)
    names = "DNS.1 = example.invalid" if variant == "wrong_host" else _LOCAL_NAMES
    cnf = _config(work, names)
    subject = "/CN=example.invalid" if variant == "wrong_host" else "/CN=127.0.0.1"
    if variant == "self_signed":
        _openssl("req", "-x509", "-config", str(cnf), *_EC, "-keyout", key.name, "-out", cert.name, "-days", "825",
                 "-subj", subject, "-extensions", "server_ext", cwd=work)
        return TlsFiles(ca_cert, cert, key, variant)
    csr = work / f"server-{variant}.csr"
    _openssl("req", "-new", "-config", str(cnf), *_EC, "-keyout", key.name, "-out", csr.name, "-subj", subject, cwd=work)
    if variant == "expired":
        (work / "index.txt").touch()
        if not (work / "serial").exists():
            (work / "serial").write_text("1000\n")
        _openssl("ca", "-batch", "-config", str(cnf), "-in", csr.name, "-out", cert.name, "-notext",
                 "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-extensions", "server_ext", cwd=work)
    elif variant in ("valid", "wrong_host", "unknown_ca"):
        signer_cert, signer_key = _test_ca(work, "other-ca") if variant == "unknown_ca" else (ca_cert, ca_key)
        _openssl("x509", "-req", "-in", csr.name, "-CA", signer_cert.name, "-CAkey", signer_key.name,
                 "-set_serial", str(0x1000 + len(variant)), "-days", "825", "-out", cert.name,
                 "-extfile", str(cnf), "-extensions", "server_ext", cwd=work)
    else:
        raise ValueError(f"unknown TLS variant {variant!r}")
    return TlsFiles(ca_cert, cert, key, variant)


def make_self_signed_cert(tmpdir: str | os.PathLike[str]) -> TlsFiles:
    return make_tls_files(tmpdir, "self_signed")


def make_wrong_host_cert(tmpdir: str | os.PathLike[str]) -> TlsFiles:
    return make_tls_files(tmpdir, "wrong_host")


def make_expired_cert(tmpdir: str | os.PathLike[str]) -> TlsFiles:
    return make_tls_files(tmpdir, "expired")


# --------------------------------------------------------------------------- the binary


class EmulatorTestCase(unittest.TestCase):
    """One emulator per test class (started with `emulator_args`), reset before every test."""

    emulator_args: tuple[str, ...] = ()
    emu: Emulator

    @classmethod
    def setUpClass(cls) -> None:
        cls.emu = Emulator(*cls.emulator_args)
        cls.emu.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.emu.stop()

    def setUp(self) -> None:
        self.emu.reset()


def auditfetch_bin() -> Path:
    """AUDITFETCH_BIN, or build/auditfetch in the repository."""
    return Path(os.environ.get("AUDITFETCH_BIN") or REPO / "build" / "auditfetch").resolve()


def run_auditfetch(*args: Any, env: dict[str, str | None] | None = None, timeout: float = 60,
                   input: str | None = None, home: str | os.PathLike[str] | None = None,
                   cwd: str | os.PathLike[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs auditfetch with a minimal environment: PATH, HOME (a fresh temporary directory unless
    `home` is given), LANG=C.UTF-8, TZ=UTC and the sanitizers' *SAN_OPTIONS when set, plus `env`
    (a None value removes a variable).
    stdout/stderr are text; bytes that are not UTF-8 survive as surrogate escapes."""
    with tempfile.TemporaryDirectory(prefix="auditfetch-home-") as fresh_home:
        environment: dict[str, str] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                       "HOME": str(home or fresh_home), "LANG": "C.UTF-8", "TZ": "UTC"}
        for sanitizer in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):  # scripts/test --sanitize, --tsan
            if sanitizer in os.environ:
                environment[sanitizer] = os.environ[sanitizer]
        for key, value in (env or {}).items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        return subprocess.run([str(auditfetch_bin()), *(str(a) for a in args)], env=environment, input=input,
                              capture_output=True, text=True, encoding="utf-8", errors="surrogateescape",
                              timeout=timeout, cwd=cwd)
