"""Shared pieces of the emulator: requests, responses, times, cursors, tokens."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Callable
from urllib.parse import parse_qs, quote, urlencode

# Fixture identities, shared with tests/e2e/harness.py.
PINGONE_ENV_ID = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
PINGONE_ORG_ID = "3e1b5c7a-0d2f-4a8e-9b61-7f4c2d8e1a90"
TRUTO_ACCOUNT_ID = "62f44730-dd91-461e-bd6a-aedd9e0ad79d"
TE_AID = "1234"
TE_ACCOUNT_GROUPS = {"1234": "API Sandbox", "5678": "Network Operations"}
SAILPOINT_ME = "2c9180858082150f0180893dbaf44201"  # identity behind `me`
OKTA_ADMIN_ID = "00u1adm1nXyZ7q9Kd0h7"  # Okta fixtures: the admin user, and the SystemPrincipal
OKTA_SYSTEM_ID = "0oa1okta5ystemPr0h7x"
GITHUB_ORG, GITHUB_ORG_ID = "acme-corp", 91827364
GITHUB_OTHER_ORG, GITHUB_OTHER_ORG_ID = "acme-labs", 91827365  # the enterprise's second org
GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID = "acme-ent", 24680
ENTRA_TENANT_ID = "4f1c2b7e-8d3a-4e59-b6a0-2c9d7e1f3a85"  # the one known Entra tenant
ENTRA_TENANT_DOMAIN = "contoso.onmicrosoft.com"  # its initial domain, also accepted in token URLs
ENTRA_TENANT_NAME = "Contoso"
SLACK_ENTERPRISE_ID = "E0ABCDEF"  # Slack fixtures: the Enterprise org, its owner (the token's user)
SLACK_ADMIN_ID = "U01ADMIN"
SLACK_NO_SCOPE_TOKEN = "xoxp-no-auditlogs-scope"  # authenticates, lacks auditlogs:read (403 missing_scope)
ZENDESK_SUBDOMAIN = "acme"  # https://acme.zendesk.com; the emulator serves it at its root
ZENDESK_EMAIL = "admin@example.com"  # the admin behind API-token Basic auth ("{email}/token")
ZENDESK_ADMIN_ID = 10412385001  # that admin's user id (actor_id in the fixtures)
ZENDESK_AGENT_EMAIL = "agent@example.com"  # an agent: authenticates, but audit logs answer 403
ZENDESK_ACCOUNT_ID = 9182736  # source_id of account_setting records
GOOGLE_CUSTOMER_ID = "C03az79cb"  # Google Workspace fixtures: the customer, its domain and its super admin
GOOGLE_DOMAIN = "example.com"
GOOGLE_ADMIN, GOOGLE_ADMIN_ID = "admin@example.com", "100457812369012345678"
GOOGLE_SERVICE_ACCOUNT = "auditfetch-reports@auditfetch-test.iam.gserviceaccount.com"  # fixtures/google-workspace/service-account.json
AUTH0_DOMAIN = "acme.eu.auth0.com"  # the Auth0 tenant; its Management API audience is below
AUTH0_AUDIENCE = f"https://{AUTH0_DOMAIN}/api/v2/"
DUO_API_HOST = "api-deadbeef.duosecurity.com"  # Duo: the account's API host (any Host is served)
DUO_IKEY = "DIWJ8X6AEYOR5OMC6TQ1"  # Duo Admin API integration key and secret key (the pair of Duo's
DUO_SKEY = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"  # signing example); the only credentials duo.py accepts
ONEPASSWORD_ACCOUNT_UUID = "ACMEB7KQ3ZRXN5TVWJ2LHGYDPU"  # 1Password fixtures: the account "ACME"
ONEPASSWORD_ADMIN_UUID = "MRGN4ZT7QXKV2HJLWB5EYRDCPA"  # its owner, Morgan Reyes, actor of most audit events
ONEPASSWORD_INTEGRATION_UUID = "INTG5QZX3KRN7VTJ2HGYLBMDCE"  # the Events Reporting integration of the tokens
ONEPASSWORD_SIGNINS_TOKEN = (  # JWT-like; its "1password.com/fts" claim is ["signinattempts"] only
    "eyJhbGciOiJFUzI1NiIsImtpZCI6Imt4bjNicnE1aDJ0ejd2d2p5bDRnbWRjcGVhIiwidHlwIjoiSldUIn0.eyIxcGFzc3dvcmQu"
    "Y29tL2F1dWlkIjoiQUNNRUI3S1EzWlJYTjVUVldKMkxIR1lEUFUiLCIxcGFzc3dvcmQuY29tL3Rva2VuIjoicTd4azJ6cm41dnR3"
    "ajNoZ3lsbWJkY3BlYWYiLCIxcGFzc3dvcmQuY29tL2Z0cyI6WyJzaWduaW5hdHRlbXB0cyJdLCJhdWQiOlsiZXZlbnRzLjFwYXNz"
    "d29yZC5jb20iXSwic3ViIjoiSU5URzVRWlgzS1JON1ZUSjJIR1lMQk1EQ0UiLCJpYXQiOjE3MTQ1NTA0MDAsImlzcyI6ImNvbS4x"
    "cGFzc3dvcmQuYjUiLCJqdGkiOiJyNHRxNnd6Mm14azdudmJoamw1Z3lkcGNzZSJ9.ZW11bGF0b3I6IHNpZ25hdHVyZSBub3QgY2hlY2tlZAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
DEFAULT_TOKEN = "test-token"
DEFAULT_CLIENT_ID = "test-client"
DEFAULT_CLIENT_SECRET = "test-secret"

PROVIDERS = ("duo-auth", "duo-admin", "pingone", "truto", "thousandeyes", "auth0", "sailpoint", "okta", "github", "entra-audits", "entra-signins", "keyed", "slack", "zendesk", "google-workspace", "1password-audit", "1password-signins", "1password-item-usages")


# --------------------------------------------------------------------------- requests


class BadRequest(Exception):
    """Raised while parsing a request that cannot be understood at all."""


@dataclass
class Request:
    method: str
    path: str  # raw path, without the query
    query: str  # raw query string
    headers: Any  # email.message.Message (case-insensitive get)
    body: bytes
    scheme: str
    host: str  # Host header, or the bound address
    params: dict[str, list[str]] = field(default_factory=dict)
    entry: dict[str, Any] | None = None  # its /_emulator/requests entry (API requests only)

    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def url(self) -> str:
        return self.base_url() + self.path + (f"?{self.query}" if self.query else "")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()


def parse_query(query: str) -> dict[str, list[str]]:
    """Decodes a query or form body; raises BadRequest on invalid UTF-8."""
    try:
        return parse_qs(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"invalid percent-encoding: {exc}") from exc


def form_body(req: "Request") -> str:
    """The body as text for form parsing; raises BadRequest on invalid UTF-8."""
    try:
        return req.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not UTF-8") from exc


def single(params: dict[str, list[str]], name: str) -> str | None:
    """The one value of a parameter, None when absent; raises ValueError when repeated."""
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValueError(f"parameter '{name}' given {len(values)} times")
    return values[0]


# --------------------------------------------------------------------------- responses


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_header(self, name: str, value: str | None) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))


class HttpError(Exception):
    """Carries a finished error response out of a handler."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, obj: Any, content_type: str = "application/json",
                  headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, dumps(obj), [("Content-Type", content_type)] + list(headers or []))


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def new_error_id() -> str:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------- times

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time(text: str) -> int:
    """RFC 3339 date-time → nanoseconds since the epoch; raises ValueError."""
    m = _RFC3339.match(text or "")
    if not m:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    dt.datetime(year, month, day, hour, minute, second)  # validates ranges
    fraction = (m.group(7) or "").ljust(9, "0")
    zone = m.group(8)
    offset = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            raise ValueError(f"invalid offset in {text!r}")
        offset = sign * (zh * 3600 + zm * 60)
    seconds = calendar.timegm((year, month, day, hour, minute, second)) - offset
    return seconds * 1_000_000_000 + int(fraction)


def format_time(ns: int, millis: bool = False) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    text = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{rest // 1_000_000:03d}"
    return text + "Z"


# --------------------------------------------------------------------------- cursors


def encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(text: str, required: tuple[str, ...]) -> dict[str, Any]:
    """Inverse of encode_cursor; raises ValueError on anything malformed."""
    if not text or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("cursor is not URL-safe base64")
    try:
        payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("cursor does not decode") from exc
    if not isinstance(payload, dict) or any(k not in payload for k in required):
        raise ValueError("cursor lacks fields")
    return payload


def fingerprint(*parts: Any) -> str:
    """Short digest binding a cursor to the query it was issued for."""
    raw = json.dumps(parts, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def query_string(pairs: list[tuple[str, str]]) -> str:
    """Encodes with %20 for spaces, as PingOne's own links do."""
    return urlencode(pairs, quote_via=quote, safe="")


# --------------------------------------------------------------------------- tokens


def jwt_like(claims: dict[str, Any]) -> str:
    """An opaque token that looks like a JWT (random signature, not verifiable)."""
    def part(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{sig}"


def bearer_token(req: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, or None."""
    value = req.header("Authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


# --------------------------------------------------------------------------- records


@dataclass
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: Callable[..., Response]
    is_list: bool = False


def route(methods: str, pattern: str, handler: Callable[..., Response], is_list: bool = False) -> Route:
    return Route(tuple(methods.split(",")), re.compile(pattern), handler, is_list)


