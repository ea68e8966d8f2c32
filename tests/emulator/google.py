"""Google Workspace: the Admin SDK Reports API's activities.list, and Google's OAuth 2.0 token
endpoint for service accounts (the JWT bearer grant of RFC 7523, with domain-wide delegation).

  POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
                The JWT must be RS256 (header alg RS256, typ JWT if present, kid if present = the
                key file's private_key_id), signed by a known service account's key (verified
                with `openssl dgst -sha256 -verify`), with iss = the account's client_email,
                aud = this endpoint's URL (what the key file's token_uri says), iat/exp at most an
                hour apart and exp in the future, scope (space-separated) within the scopes
                delegated to the client, sub = a user of the domain to impersonate.
                Answers {"access_token", "expires_in": 3599, "token_type": "Bearer"}, or
                {"error", "error_description"} as Google does.
  GET  /admin/reports/v1/activity/users/{userKey}/applications/{applicationName}
                userKey: all, a user's primary email, or a profile ID (a deleted user only by ID).
                startTime, endTime (RFC 3339, both inclusive, as the reference has it: "at or
                after" / "at or before"; endTime defaults to now; startTime must be before
                endTime and now), maxResults 1..1000 (default 1000), pageToken, eventName,
                filters (google_filter.py), actorIpAddress, customerId, orgUnitID,
                groupIdFilter, prettyPrint. Other parameters are ignored, as Google does.
                Items come newest first by (id.time, id.uniqueQualifier); a page without items
                has no "items" key; nextPageToken is an opaque keyset position bound to the
                query (not to maxResults), absent on the last page.

Service accounts come from fixtures/google-workspace/service-account.json (under --fixtures when
it has one). Bearer tokens: those issued here (for this provider only) and the static --token
values, which act as the super admin with every scope. Tokens may also come as the access_token
or oauth_token query parameter. Errors use Google's JSON shape, pretty-printed like Google's
(prettyPrint=false makes list responses compact; errors stay pretty). A 429 carries no
Retry-After header: Google sends none (its guidance is exponential backoff); a fault rule can add
one. The 180-day retention is enforced only when the clock is fixed with --now, so that the May
2024 fixtures stay readable. Unknown paths under /admin/ get Google's HTML 404 page.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import bisect
import hashlib
import ipaddress
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import google_filter
from common import (GOOGLE_ADMIN, GOOGLE_ADMIN_ID, GOOGLE_CUSTOMER_ID, BadRequest, HttpError, Request,
                    Response, decode_cursor, encode_cursor, fingerprint, form_body, parse_query, parse_time, reason,
                    route)
from store import State

PROVIDER = "google-workspace"
TOKEN_PATH = "/token"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
AUDIT_SCOPE = "https://www.googleapis.com/auth/admin.reports.audit.readonly"
USAGE_SCOPE = "https://www.googleapis.com/auth/admin.reports.usage.readonly"
DELEGATED_SCOPES = frozenset({AUDIT_SCOPE, USAGE_SCOPE})  # what the Admin console grants the test client
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_LIFETIME = 3599
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300  # seconds an assertion's iat may lie in the future
DEFAULT_MAX_RESULTS = 1000
MAX_RESULTS = 1000
RETENTION_NS = 180 * 86400 * 1_000_000_000
GMAIL_MAX_SPAN_NS = 30 * 86400 * 1_000_000_000
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Patterns as the discovery document (admin:reports_v1) declares them; ESF checks them first.
APPLICATION_PATTERN = ("(access_evaluation)|(access_transparency)|(admin)|(assignments)|(calendar)|(chat)|(chrome)|"
                       "(classroom)|(cloud_search)|(context_aware_access)|(data_studio)|(data_migration)|"
                       "(directory_sync)|(drive)|(gcp)|(gmail)|(gplus)|(groups)|(groups_enterprise)|(jamboard)|"
                       "(keep)|(ldap)|(login)|(meet)|(meet_hardware)|(mobile)|(profile)|(rules)|(saml)|(token)|"
                       "(user_accounts)|(vault)|(gemini_in_workspace_apps)|(tasks)")
APPLICATIONS = frozenset(re.findall(r"\(([a-z_]+)\)", APPLICATION_PATTERN))
TIME_PATTERN = r"(\d\d\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:(Z)|([-+])(\d\d):(\d\d))"
CUSTOMER_PATTERN = "C.+|my_customer"
ORG_UNIT_PATTERN = "(id:[a-z0-9]+)"
GROUP_FILTER_PATTERN = "(id:[a-z0-9]+(,id:[a-z0-9]+)*)"

JSON_TYPE = "application/json; charset=UTF-8"
API_HEADERS = [("Vary", "Origin, X-Origin, Referer"), ("Cache-Control", "private"),
               ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"), ("X-XSS-Protection", "0")]
TOKEN_HEADERS = [("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate"), ("Pragma", "no-cache"),
                 ("Expires", "Mon, 01 Jan 1990 00:00:00 GMT"), ("X-Content-Type-Options", "nosniff")]
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                405: "UNIMPLEMENTED", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                501: "UNIMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


# =========================================================================== the directory


@dataclass(frozen=True)
class User:
    email: str
    profile_id: str
    admin: bool = False  # may read the audit reports (super admin or a role with Reports)
    org_unit: str = "id:03ph8a2z1enx4lx"  # the root organizational unit
    groups: tuple[str, ...] = ()
    deleted: bool = False


ENGINEERING_OU, SALES_OU = "id:03ph8a2z2k7m9qd", "id:03ph8a2z3vb5gxr"
ENGINEERING_GROUP, ALL_STAFF_GROUP = "id:01baon6m1lk9e3r", "id:03cqmetx3ph2k8v"
USERS = (
    User(GOOGLE_ADMIN, GOOGLE_ADMIN_ID, admin=True, groups=(ALL_STAFF_GROUP,)),
    User("secops@example.com", "101938475610293847561", admin=True, groups=(ALL_STAFF_GROUP,)),
    User("alice@example.com", "102837465019283746501", org_unit=ENGINEERING_OU, groups=(ENGINEERING_GROUP, ALL_STAFF_GROUP)),
    User("bob@example.com", "103746582910374658291", org_unit=SALES_OU, groups=(ALL_STAFF_GROUP,)),
    User("carol@example.com", "104655738291046557382", org_unit=ENGINEERING_OU, groups=(ENGINEERING_GROUP, ALL_STAFF_GROUP)),
    User("dave@example.com", "105564829301928374650", org_unit=ENGINEERING_OU, groups=(ENGINEERING_GROUP,), deleted=True),
    User("erin@example.com", "106473920183746502918", org_unit=SALES_OU, groups=(ALL_STAFF_GROUP,)),
    User("frank@example.com", "107382910293847561029", org_unit=SALES_OU),
    User("grace@example.com", "108291837465019283740", org_unit=ENGINEERING_OU),
)
BY_EMAIL = {u.email: u for u in USERS}
BY_ID = {u.profile_id: u for u in USERS}


def actor_user(rec: dict[str, Any]) -> User | None:
    actor = rec.get("actor") if isinstance(rec.get("actor"), dict) else {}
    user = BY_ID.get(str(actor.get("profileId") or ""))
    if user is None and isinstance(actor.get("email"), str):
        user = BY_EMAIL.get(actor["email"].lower())
    return user


# =========================================================================== responses and errors


def google_json(obj: Any, pretty: bool = True) -> bytes:
    """JSON as Google's front end writes it: two-space indentation (unless prettyPrint=false), UTF-8,
    and <, > and & escaped as \\u003c, \\u003e and \\u0026 (they only occur inside strings)."""
    if pretty:
        text = json.dumps(obj, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"
    else:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.encode("utf-8")


def api_response(status: int, obj: Any, pretty: bool = True, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, google_json(obj, pretty), [("Content-Type", JSON_TYPE), *API_HEADERS, *(headers or [])])


def error_info(reason_code: str, **metadata: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason_code, "domain": "googleapis.com",
            "metadata": {"service": "admin.googleapis.com", **metadata}}


def google_error(status: int, message: str, why: str, item: dict[str, Any] | None = None,
                 details: list[dict[str, Any]] | None = None, headers: list[tuple[str, str]] | None = None,
                 item_message: str | None = None) -> Response:
    """{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"[, "details"]}}."""
    body: dict[str, Any] = {"code": status, "message": message,
                            "errors": [{"message": item_message or message, "domain": "global", "reason": why,
                                        **(item or {})}],
                            "status": STATUS_NAMES.get(status, "UNKNOWN")}
    if details:
        body["details"] = details
    return api_response(status, {"error": body}, headers=headers)


def invalid(message: str) -> HttpError:
    return HttpError(google_error(400, message, "invalid"))


def pattern_error(value: str, pattern: str) -> HttpError:
    return invalid(f"Invalid value '{value}'. Values must match the following regular expression: '{pattern}'")


AUTH_HINT = ("Expected OAuth 2 access token, login cookie or other valid authentication credential. "
             "See https://developers.google.com/identity/sign-in/web/devconsole-project.")
REALM = 'Bearer realm="https://accounts.google.com/"'


def unauthenticated(kind: str = "invalid") -> Response:
    """401: kind is "missing", "expired" or "invalid"."""
    if kind == "missing":
        return google_error(401, f"Request is missing required authentication credential. {AUTH_HINT}", "required",
                            {"location": "Authorization", "locationType": "header"},
                            [error_info("CREDENTIALS_MISSING")], [("WWW-Authenticate", REALM)],
                            item_message="Login Required.")
    code = "ACCESS_TOKEN_EXPIRED" if kind == "expired" else "ACCESS_TOKEN_TYPE_UNSUPPORTED"
    return google_error(401, f"Request had invalid authentication credentials. {AUTH_HINT}", "authError",
                        {"location": "Authorization", "locationType": "header"}, [error_info(code)],
                        [("WWW-Authenticate", f'{REALM}, error="invalid_token"')], item_message="Invalid Credentials")


def forbidden() -> Response:
    return google_error(403, "Not Authorized to access this resource/api", "forbidden")


def insufficient_scope() -> Response:
    return google_error(403, "Request had insufficient authentication scopes.", "insufficientPermissions",
                        details=[error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT")],
                        headers=[("WWW-Authenticate", f'{REALM}, error="insufficient_scope", scope="{AUDIT_SCOPE}"')],
                        item_message="Insufficient Permission")


def rate_limited() -> Response:
    """Google's per-user quota error. No Retry-After: Google sends none and asks for exponential backoff."""
    message = ("Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
               "'admin.googleapis.com' for consumer 'project_number:482751906134'.")
    return google_error(429, message, "rateLimitExceeded", details=[error_info(
        "RATE_LIMIT_EXCEEDED", consumer="projects/482751906134", quota_limit="defaultPerMinutePerUser",
        quota_limit_value="2400", quota_location="global", quota_metric="admin.googleapis.com/default")])


def default_error(status: int) -> Response:
    """Google's body for a status (status faults, failures); see default_error_at for /token."""
    if status == 401:
        return unauthenticated()
    if status == 403:
        return forbidden()
    if status == 429:
        return rate_limited()
    message, why = {
        400: ("Bad Request", "badRequest"),
        404: ("Not Found", "notFound"),
        405: ("Method Not Allowed", "httpMethodNotAllowed"),
        500: ("Internal error encountered.", "backendError"),
        502: ("Bad Gateway", "backendError"),
        503: ("The service is currently unavailable.", "backendError"),
        504: ("Deadline exceeded", "backendError"),
    }.get(status, (reason(status), "backendError" if status >= 500 else "badRequest"))
    return google_error(status, message, why)


def oauth_error(status: int, error: str, description: str) -> Response:
    return Response(status, google_json({"error": error, "error_description": description}),
                    [("Content-Type", "application/json; charset=utf-8"), *TOKEN_HEADERS])


def token_default_error(status: int) -> Response:
    if status == 400:
        return oauth_error(400, "invalid_grant", "Bad Request")
    if status == 401:
        return oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if status == 429:
        return oauth_error(429, "rate_limit_exceeded", "Rate Limit Exceeded")
    if status == 405:
        return oauth_error(405, "invalid_request", "Method Not Allowed")
    if status >= 500:
        return oauth_error(status, "internal_failure", "Backend Error")
    return oauth_error(status, "invalid_request", reason(status))


def default_error_at(path: str, status: int) -> Response:
    return token_default_error(status) if path == TOKEN_PATH else default_error(status)


NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error 404 (Not Found)!!1</title>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>404.</b> <ins>That\u2019s an error.</ins>
  <p>The requested URL <code>{path}</code> was not found on this server.  <ins>That\u2019s all we know.</ins>
"""


def not_found_page(req: Request, state: State) -> Response:
    """Google's front end answers unknown paths and methods with its HTML 404 page."""
    path = req.path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Response(404, NOT_FOUND_PAGE.format(path=path).encode("utf-8"),
                    [("Content-Type", "text/html; charset=UTF-8"), ("Referrer-Policy", "no-referrer")])


# =========================================================================== service accounts


@dataclass(frozen=True)
class ServiceAccount:
    email: str
    key_id: str
    client_id: str
    public_key: str  # path of the PEM public key


_accounts_lock = threading.Lock()
_accounts: dict[str, dict[str, ServiceAccount]] = {}  # key file path -> client_email -> account
_workdir: str | None = None


def _scratch() -> str:
    global _workdir
    if _workdir is None:
        _workdir = tempfile.mkdtemp(prefix="emulator-google-")
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def key_file(state: State) -> Path:
    if state.config.fixtures:
        candidate = Path(state.config.fixtures) / PROVIDER / "service-account.json"
        if candidate.exists():
            return candidate
    return FIXTURES / PROVIDER / "service-account.json"


def service_accounts(state: State) -> dict[str, ServiceAccount]:
    """The known service accounts by client_email; public keys derived once with openssl."""
    path = key_file(state)
    with _accounts_lock:
        if str(path) not in _accounts:
            accounts: dict[str, ServiceAccount] = {}
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                public = subprocess.run(["openssl", "pkey", "-pubout"], input=doc["private_key"].encode(),
                                        capture_output=True, check=True, timeout=30).stdout
                pem = Path(_scratch()) / f"{hashlib.sha256(str(path).encode()).hexdigest()[:16]}.pub.pem"
                pem.write_bytes(public)
                accounts[doc["client_email"]] = ServiceAccount(doc["client_email"], doc["private_key_id"],
                                                               str(doc["client_id"]), str(pem))
            except (OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
                print(f"emulator: google-workspace: cannot load {path}: {exc}", file=sys.stderr)
            _accounts[str(path)] = accounts
        return _accounts[str(path)]


def verify_rs256(public_key: str, signing_input: bytes, signature: bytes) -> bool:
    with tempfile.NamedTemporaryFile(dir=_scratch(), suffix=".sig") as sig:
        sig.write(signature)
        sig.flush()
        try:
            result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", public_key, "-signature", sig.name],
                                    input=signing_input, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return False
    return result.returncode == 0


def _b64url(part: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", part):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# =========================================================================== token endpoint

SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
               "iat and exp values in the JWT claim.")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def token(req: Request, state: State) -> Response:
    """POST /token: the JWT bearer grant for a service account."""
    form: dict[str, list[str]] = {}
    if req.content_type() == "application/x-www-form-urlencoded":
        try:
            form = parse_query(form_body(req))
        except BadRequest:
            return oauth_error(400, "invalid_request", "Invalid request body.")
    get = {name: values[-1] for name, values in form.items()}
    grant = get.get("grant_type")
    if not grant:
        return oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
    if grant != JWT_BEARER:
        return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
    assertion = get.get("assertion")
    if not assertion:
        return oauth_error(400, "invalid_request", "Missing required parameter: assertion")
    bad_signature = oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
    parts = assertion.split(".")
    if len(parts) != 3:
        return oauth_error(400, "invalid_grant", "Invalid JWT: the assertion is not a compact JWS.")
    try:
        header, claims, signature = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1])), _b64url(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return oauth_error(400, "invalid_grant", "Invalid JWT: the assertion is not a compact JWS.")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return oauth_error(400, "invalid_grant", "Invalid JWT: the assertion is not a compact JWS.")
    if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT" or "crit" in header:
        return bad_signature
    issuer = claims.get("iss")
    account = service_accounts(state).get(issuer) if isinstance(issuer, str) else None
    if account is None:
        return oauth_error(400, "invalid_grant", "Invalid grant: account not found")
    if "kid" in header and header["kid"] != account.key_id:
        return bad_signature
    if not verify_rs256(account.public_key, f"{parts[0]}.{parts[1]}".encode("ascii"), signature):
        return bad_signature
    if claims.get("aud") != req.base_url() + TOKEN_PATH:
        return oauth_error(400, "invalid_grant", "Invalid JWT: Failed audience check.")
    iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
    if (not _number(iat) or not _number(exp) or exp <= now or iat > now + CLOCK_SKEW or exp <= iat
            or exp - iat > MAX_ASSERTION_LIFETIME):
        return oauth_error(400, "invalid_grant", SHORT_LIVED)
    scope = claims.get("scope")
    scopes = scope.split() if isinstance(scope, str) else []
    if not scopes:
        return oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    subject = claims.get("sub")
    if subject is not None:
        user = BY_EMAIL.get(subject.lower()) if isinstance(subject, str) else None
        if user is None or user.deleted:
            return oauth_error(400, "invalid_grant", "Invalid email or User ID")
        if not set(scopes) <= DELEGATED_SCOPES:
            return oauth_error(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using "
                                                           "this method, or client not authorized for any of the "
                                                           "scopes requested.")
        subject = user.email
    lifetime = state.config.token_lifetime or DEFAULT_LIFETIME
    access = state.issue_token(PROVIDER, lifetime, {"azp": account.client_id, "sub": subject or "",
                                                    "scope": " ".join(scopes)})
    body = {"access_token": access, "expires_in": lifetime, "token_type": "Bearer"}
    return Response(200, google_json(body), [("Content-Type", "application/json; charset=utf-8"), *TOKEN_HEADERS])


# =========================================================================== API authentication


def request_token(req: Request) -> tuple[str | None, bool]:
    """(token, present): from `Authorization: Bearer`, else the access_token/oauth_token parameter."""
    header = req.header("Authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value or " " in value:
            return None, True
        return value, True
    for name in ("access_token", "oauth_token"):
        values = req.params.get(name)
        if values:
            return values[-1] or None, True
    return None, False


def issued_claims(token_text: str) -> dict[str, Any]:
    try:
        claims = json.loads(_b64url(token_text.split(".")[1]))
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def authenticate(req: Request, state: State) -> None:
    token_text, present = request_token(req)
    status = state.token_status(token_text, PROVIDER)
    if status == "missing":
        raise HttpError(unauthenticated("invalid" if present else "missing"))
    if status != "ok":
        raise HttpError(unauthenticated(status))
    if token_text in state.config.tokens:
        return  # a static token: the super admin, every scope
    claims = issued_claims(token_text or "")
    if AUDIT_SCOPE not in str(claims.get("scope", "")).split():
        raise HttpError(insufficient_scope())
    user = BY_EMAIL.get(str(claims.get("sub", "")))
    if user is None or not user.admin or user.deleted:
        raise HttpError(forbidden())


# =========================================================================== activities


def validate_record(rec: Any) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), dict):
        raise ValueError("a Google Workspace activity needs an 'id' object")
    ident = rec["id"]
    if not isinstance(ident.get("time"), str):
        raise ValueError("id.time must be an RFC 3339 date-time")
    parse_time(ident["time"])
    qualifier = ident.get("uniqueQualifier")
    if not isinstance(qualifier, str) or not re.fullmatch(r"-?[0-9]{1,19}", qualifier) \
            or not -2 ** 63 <= int(qualifier) < 2 ** 63:
        raise ValueError("id.uniqueQualifier must be an int64 as a string")
    if ident.get("applicationName") not in APPLICATIONS:
        raise ValueError(f"id.applicationName must be one of {', '.join(sorted(APPLICATIONS))}")
    if not isinstance(ident.get("customerId"), str):
        raise ValueError("id.customerId must be a string")
    if not isinstance(rec.get("actor"), dict):
        raise ValueError("an activity needs an 'actor' object")
    events = rec.get("events")
    if not isinstance(events, list) or not events or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) for e in events):
        raise ValueError("'events' must be a non-empty array of objects with a 'name'")


def unique_id(rec: dict[str, Any]) -> tuple[str, str]:
    """What must not repeat: the uniqueQualifier within one application."""
    return rec["id"]["applicationName"], rec["id"]["uniqueQualifier"]


class Snapshot:
    """One application's records, ascending by (id.time, uniqueQualifier); pages walk it backwards."""

    def __init__(self, records: list[dict[str, Any]], application: str):
        items = sorted((((parse_time(r["id"]["time"]), int(r["id"]["uniqueQualifier"])), r) for r in records
                        if r["id"]["applicationName"] == application), key=lambda item: item[0])
        self.keys = [k for k, _ in items]
        self.records = [r for _, r in items]


def snapshot(state: State, application: str) -> Snapshot:
    return state.cached(("google", application), lambda records: Snapshot(records, application), PROVIDER)


def _param(req: Request, name: str) -> str | None:
    values = req.params.get(name)
    return values[-1] if values else None  # a repeated parameter keeps its last value


def _time(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    m = re.fullmatch(TIME_PATTERN, text)
    if not m:
        raise pattern_error(text, TIME_PATTERN)
    if m.group(7) and len(m.group(7)) > 9:  # more digits than nanoseconds: truncate
        text = text[:m.start(7)] + m.group(7)[:9] + text[m.end(7):]
    try:
        return parse_time(text)
    except ValueError:
        raise invalid(f"Invalid value '{text}' for {name}: not a valid date-time.")


def _max_results(text: str | None) -> int:
    if text is None:
        return DEFAULT_MAX_RESULTS
    if not re.fullmatch(r"[+-]?[0-9]{1,10}", text.strip()) or not -2 ** 31 <= int(text) < 2 ** 31:
        raise invalid(f"Invalid int32 value: '{text}'.")
    value = int(text)
    if not 1 <= value <= MAX_RESULTS:
        raise invalid(f"Invalid value '{text}'. Values must be within the range: [1, {MAX_RESULTS}]")
    return value


def _pretty(text: str | None) -> bool:
    if text is None or text.lower() == "true":
        return True
    if text.lower() == "false":
        return False
    raise invalid(f"Invalid boolean value: '{text}'.")


def _same_ip(left: Any, right: str) -> bool:
    if not isinstance(left, str):
        return False
    try:
        return ipaddress.ip_address(left) == ipaddress.ip_address(right)
    except ValueError:
        return left == right


def _actor_is(rec: dict[str, Any], user: User) -> bool:
    actor = rec.get("actor") if isinstance(rec.get("actor"), dict) else {}
    return (str(actor.get("profileId") or "") == user.profile_id
            or str(actor.get("email") or "").lower() == user.email)


TIME_RANGE = ("Invalid request: Start time and end time should be within last 180 days. Start time should be less "
              "than end time.")


def list_activities(req: Request, state: State, user_key: str, application: str) -> Response:
    authenticate(req, state)
    application, user_key = unquote(application), unquote(user_key)
    if not re.fullmatch(APPLICATION_PATTERN, application):
        raise pattern_error(application, APPLICATION_PATTERN)
    pretty = _pretty(_param(req, "prettyPrint"))
    max_results = _max_results(_param(req, "maxResults"))
    start_text, end_text = _param(req, "startTime"), _param(req, "endTime")
    start, end_given = _time("startTime", start_text), _time("endTime", end_text)
    customer = _param(req, "customerId")
    if customer is not None:
        if not re.fullmatch(CUSTOMER_PATTERN, customer, re.S):
            raise pattern_error(customer, CUSTOMER_PATTERN)
        if customer not in ("my_customer", GOOGLE_CUSTOMER_ID):
            raise HttpError(forbidden())
    org_unit, group_filter = _param(req, "orgUnitID"), _param(req, "groupIdFilter")
    if org_unit and not re.fullmatch(ORG_UNIT_PATTERN, org_unit):
        raise pattern_error(org_unit, ORG_UNIT_PATTERN)
    if group_filter is not None and not re.fullmatch(GROUP_FILTER_PATTERN, group_filter):
        raise pattern_error(group_filter, GROUP_FILTER_PATTERN)
    filters_text = _param(req, "filters")
    try:
        terms = google_filter.parse(filters_text) if filters_text else []
    except google_filter.FilterError as exc:
        raise invalid(str(exc))
    event_name = _param(req, "eventName") or None
    actor_ip = _param(req, "actorIpAddress") or None
    user: User | None = None
    if user_key != "all":
        user = BY_ID.get(user_key) or BY_EMAIL.get(user_key.lower())
        if user is None or (user.deleted and user_key != user.profile_id):
            raise HttpError(google_error(400, "Bad Request", "badRequest"))

    now = state.now_ns()
    page_token = _param(req, "pageToken")
    bound = fingerprint(PROVIDER, application, user.profile_id if user else "all", start_text, end_text, event_name,
                        filters_text, actor_ip, customer or "", org_unit or "", group_filter or "")
    key: list[int] | None = None
    end = end_given if end_given is not None else now
    if page_token is not None:
        try:
            payload = decode_cursor(page_token, ("k", "f", "e"))
            key, end = payload["k"], payload["e"]
            if (payload["f"] != bound or not isinstance(end, int) or not isinstance(key, list) or len(key) != 2
                    or not all(isinstance(k, int) and not isinstance(k, bool) for k in key)):
                raise ValueError("the pageToken belongs to another query")
        except ValueError:
            raise invalid("Invalid value for pageToken: it is malformed or was issued for another query.")
    if start is not None and (start >= now or start >= end):
        raise invalid(TIME_RANGE)
    if state.config.now_ns is not None and (start is not None and start < now - RETENTION_NS
                                            or end_given is not None and end_given < now - RETENTION_NS):
        raise invalid(TIME_RANGE)
    if application == "gmail" and (start is None or end_given is None or end_given - start > GMAIL_MAX_SPAN_NS):
        raise invalid("Invalid request: For Gmail requests, startTime and endTime must be provided and the difference "
                      "must not be greater than 30 days.")

    snap = snapshot(state, application)
    keys = snap.keys
    oldest = start
    if state.config.now_ns is not None:  # with a fixed clock, the report covers the last 180 days at most
        oldest = max(oldest if oldest is not None else 0, now - RETENTION_NS)
    low = 0 if oldest is None else bisect.bisect_left(keys, (oldest,))
    high = bisect.bisect_left(keys, (end + 1,))
    if key is not None:
        high = min(high, bisect.bisect_left(keys, (key[0], key[1])))
    groups = set(group_filter.split(",")) if group_filter else set()

    def wanted(rec: dict[str, Any]) -> bool:
        if rec["id"].get("customerId") != GOOGLE_CUSTOMER_ID:
            return False
        if user is not None and not _actor_is(rec, user):
            return False
        if actor_ip is not None and not _same_ip(rec.get("ipAddress"), actor_ip):
            return False
        if org_unit or groups:
            member = actor_user(rec)
            if member is None or (org_unit and member.org_unit != org_unit) or (groups and not groups & set(member.groups)):
                return False
        if event_name is None and not terms:
            return True
        return any(isinstance(ev, dict) and (event_name is None or ev.get("name") == event_name)
                   and google_filter.matches(terms, ev) for ev in rec["events"])

    picked: list[int] = []
    for i in range(high - 1, low - 1, -1):
        if len(picked) > max_results:
            break
        if wanted(snap.records[i]):
            picked.append(i)
    more = len(picked) > max_results
    picked = picked[:max_results]
    items = [render(snap.records[i]) for i in picked]
    body: dict[str, Any] = {"kind": "admin#reports#activities"}
    next_token = None
    if more:
        next_token = encode_cursor({"k": list(keys[picked[-1]]), "f": bound, "e": end})
    digest = hashlib.sha1(json.dumps([[it.get("etag") for it in items], next_token]).encode()).digest()
    body["etag"] = '"' + base64.urlsafe_b64encode(digest).decode().rstrip("=") + '"'
    if items:
        body["items"] = items
    if next_token:
        body["nextPageToken"] = next_token
    return api_response(200, body, pretty)


def record_etag(rec: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(rec, sort_keys=True, ensure_ascii=True).encode()).digest()
    return '"' + base64.urlsafe_b64encode(digest).decode().rstrip("=") + '"'


def render(rec: dict[str, Any]) -> dict[str, Any]:
    """The record as the API sends it, with kind and etag when the stored record has none."""
    if "kind" in rec and "etag" in rec:
        return rec
    out: dict[str, Any] = {"kind": rec.get("kind", "admin#reports#activity"), "id": rec["id"],
                           "etag": rec.get("etag") or record_etag(rec)}
    out.update({k: v for k, v in rec.items() if k not in out})
    return out


ALL_METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"
ROUTES = [
    route("POST", r"^/token$", token),
    route("GET", r"^/admin/reports/v1/activity/users/(?P<user_key>[^/]+)/applications/(?P<application>[^/]+)$",
          list_activities, is_list=True),
    route(ALL_METHODS, r"^/admin(?:/.*)?$", not_found_page),
]
PREFIXES = ("/admin/",)
