"""Microsoft Entra ID through Microsoft Graph v1.0: the identity platform's token endpoint and
auditLogs/directoryAudits and auditLogs/signIns (list, get one).

Two provider names share this module: "entra-audits" (directoryAudits) and "entra-signins"
(signIns). AUDITS and SIGNINS are the module-like objects registered for them in emulator.py;
every route lives on AUDITS.

  POST /{tenant}/oauth2/v2.0/token            client credentials (form client_secret, HTTP Basic,
                                              or a client_assertion JWT whose signature is not
                                              checked); scope https://graph.microsoft.com/.default
  GET  /v1.0/auditLogs/directoryAudits[/{id}] $filter (odata.py), $top, $orderby, $skiptoken,
  GET  /v1.0/auditLogs/signIns[/{id}]         $select; newest first by default

Tokens: the static --token values, or tokens issued here (bound to Graph on ENTRA_TENANT_ID;
tokens of other providers are refused). Pages: keyset positions (time, id) in an opaque
$skiptoken bound to the $filter and $orderby it was issued for; @odata.nextLink is absolute, on
the emulator, and absent on the last page. --entra-rate-limit enforces the reporting APIs' real
limit (5 requests per 10 s per app per tenant, shared by both resources) with 429s.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import collections
import datetime as dt
import json
import math
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import odata
from common import (DEFAULT_CLIENT_ID, ENTRA_TENANT_DOMAIN, ENTRA_TENANT_ID, ENTRA_TENANT_NAME, BadRequest, HttpError, Request,
                    Response, bearer_token, decode_cursor, dumps, encode_cursor, fingerprint, form_body, parse_query,
                    route)
from pingone import basic_credentials
from store import State

TOKEN_PROVIDER = "entra"  # issued tokens are valid for both streams
GRAPH = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
SCOPE = "https://graph.microsoft.com/.default"
LOGIN = "https://login.microsoftonline.com"
DEFAULT_LIFETIME = 3599
GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
RATE_LIMIT = 5  # requests per RATE_WINDOW seconds per app per tenant, all reporting resources together
RATE_WINDOW = 10.0
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# =========================================================================== errors


def _request_ids(req: Request | None) -> tuple[str, str]:
    request_id = str(uuid.uuid4())
    client = (req.header("client-request-id") if req is not None else None) or request_id
    return request_id, client


def graph_error(status: int, code: str, message: str, req: Request | None = None,
                headers: list[tuple[str, str]] | None = None) -> Response:
    """Graph's error shape: {"error": {"code", "message", "innerError": {date, request-id, ...}}}."""
    request_id, client_id = _request_ids(req)
    body = {"error": {"code": code, "message": message, "innerError": {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id, "client-request-id": client_id}}}
    return Response(status, dumps(body), [("Content-Type", "application/json"), ("request-id", request_id),
                                          ("client-request-id", client_id), *(headers or [])])


def bad_request(message: str, code: str = "BadRequest", req: Request | None = None) -> HttpError:
    return HttpError(graph_error(400, code, message, req))


def unauthorized(message: str = "Access token is empty.", req: Request | None = None) -> Response:
    return graph_error(401, "InvalidAuthenticationToken", message, req, [(
        "WWW-Authenticate", f'Bearer realm="", authorization_uri="{LOGIN}/common/oauth2/authorize", '
                            f'client_id="{GRAPH_APP_ID}"')])


def throttled(retry_after: int = 1, req: Request | None = None) -> Response:
    return graph_error(429, "TooManyRequests", "Too many requests. Please try again later.", req,
                       [("Retry-After", str(retry_after))])


def default_error(status: int) -> Response:
    """The Graph body for a status, used by status faults and unknown routes."""
    if status == 401:
        return unauthorized()
    if status == 429:
        return throttled()
    code, message = {
        400: ("BadRequest", "Bad request."),
        403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        404: ("Request_ResourceNotFound", "Resource not found."),
        405: ("Request_BadRequest", "Specified HTTP method is not allowed for the request target."),
        503: ("serviceNotAvailable", "The service is temporarily unavailable. Please try again later."),
        504: ("UnknownError", "The operation timed out."),
    }.get(status, ("UnknownError", "An internal server error occurred." if status >= 500 else "Request failed."))
    return graph_error(status, code, message)


def aad_error(status: int, error: str, code: int, description: str,
              headers: list[tuple[str, str]] | None = None) -> Response:
    """The identity platform's error shape (error, error_description with AADSTS code, error_codes...)."""
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    body = {"error": error,
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: "
                                 f"{correlation}\r\nTimestamp: {stamp}",
            "error_codes": [code], "timestamp": stamp, "trace_id": trace, "correlation_id": correlation,
            "error_uri": f"{LOGIN}/error?code={code}"}
    return Response(status, dumps(body), [("Content-Type", "application/json; charset=utf-8"),
                                          ("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"),
                                          ("x-ms-request-id", trace), *(headers or [])])


def token_default_error(status: int) -> Response:
    """The identity platform's body for a status (status faults on the token endpoint)."""
    if status == 400:
        return aad_error(400, "invalid_request", 900144, "The request body must contain the following parameter: "
                                                         "'grant_type'.")
    if status == 401:
        return aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                                                         "sent in the request is the client secret value, not the "
                                                         "client secret ID, for a secret added to app "
                                                         f"'{DEFAULT_CLIENT_ID}'.")
    if status == 429:
        return aad_error(429, "temporarily_unavailable", 90055, "There are too many incoming requests. Please try "
                                                                "again later.", [("Retry-After", "1")])
    if status >= 500:
        return aad_error(status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
    return aad_error(status, "invalid_request", 90023, "Invalid request.")


def default_error_at(path: str, status: int) -> Response:
    """Status faults: the token endpoint answers in the identity platform's shape, Graph in its own."""
    return token_default_error(status) if path.endswith("/oauth2/v2.0/token") else default_error(status)


# =========================================================================== token endpoint


def _tenant_known(tenant: str) -> bool:
    return tenant.lower() in (ENTRA_TENANT_ID.lower(), ENTRA_TENANT_DOMAIN.lower())


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


CERT_DOCS = "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."


def _check_assertion(assertion: str, client_id: str, token_url: str) -> tuple[int, str] | None:
    """(AADSTS code, message) refusing a client_assertion JWT, or None. The signature is not verified."""
    malformed = (50027, "JWT token is invalid or malformed.")
    parts = assertion.split(".")
    if len(parts) != 3 or not all(parts):
        return malformed
    try:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return malformed
    if not isinstance(header, dict) or not isinstance(claims, dict) or not claims.get("jti"):
        return malformed
    if header.get("alg") not in ("RS256", "PS256") or not (header.get("x5t") or header.get("x5t#S256")):
        return (700027, "The certificate with identifier used to sign the client assertion is not registered on "
                        "application.")
    if claims.get("aud") != token_url:
        return (700023, f"Client assertion audience claim does not match Realm issuer. {CERT_DOCS}")
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        return (700021, f"Client assertion application identifier doesn't match 'client_id' parameter. {CERT_DOCS}")
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if (not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now
            or isinstance(nbf, (int, float)) and nbf > now + 300):
        return (700024, "Client assertion is not within its valid time range.")
    return None


def token(req: Request, state: State, tenant: str) -> Response:
    """POST /{tenant}/oauth2/v2.0/token: the client credentials grant for Microsoft Graph."""
    if req.method != "POST":
        return aad_error(400, "invalid_request", 900561, f"The endpoint only accepts POST, OPTIONS requests. "
                                                         f"Received a {req.method} request.")
    tenant = unquote(tenant)
    if not _tenant_known(tenant):
        if _GUID.fullmatch(tenant) or "." in tenant or tenant.lower() in ("common", "organizations", "consumers"):
            return aad_error(400, "invalid_request", 90002,
                             f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                             "signing into the correct cloud. Check with your subscription administrator, this may "
                             "happen if there are no active subscriptions for the tenant.")
        return aad_error(400, "invalid_request", 900023,
                         f"Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external "
                         "domain.")
    form: dict[str, list[str]] = {}
    if req.content_type() == "application/x-www-form-urlencoded":  # other bodies are not read
        try:
            form = parse_query(form_body(req))
        except BadRequest:
            return aad_error(400, "invalid_request", 90100, "The request body is not valid form data.")
    for name, values in form.items():
        if len(values) > 1:
            return aad_error(400, "invalid_request", 90100, f"{name} parameter is empty or not valid.")
    get = {k: v[0] for k, v in form.items()}
    client_id, secret = get.get("client_id"), get.get("client_secret")
    assertion, assertion_type = get.get("client_assertion"), get.get("client_assertion_type")
    auth = req.header("Authorization")
    if auth and auth.strip().lower().startswith("basic"):
        creds = basic_credentials(auth)
        if creds is None:
            return aad_error(401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or "
                                                             "'request' is required for the 'client_credentials' "
                                                             "grant type.")
        if secret is not None or assertion is not None or (client_id is not None and client_id != creds[0]):
            return aad_error(400, "invalid_request", 90023, "Invalid request: the client is authenticated by more "
                                                            "than one method, or client_id does not match the "
                                                            "Authorization header.")
        client_id, secret = creds
    grant = get.get("grant_type")
    if not grant:
        return aad_error(400, "invalid_request", 900144, "The request body must contain the following parameter: "
                                                         "'grant_type'.")
    if grant != "client_credentials":
        return aad_error(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                                                               f"'{grant}'.")
    if not client_id:
        return aad_error(400, "invalid_request", 900144, "The request body must contain the following parameter: "
                                                         "'client_id'.")
    if client_id != state.config.client_id:
        return aad_error(400, "unauthorized_client", 700016,
                         f"Application with identifier '{client_id}' was not found in the directory "
                         f"'{ENTRA_TENANT_NAME}'. This can happen if the application has not been installed by the "
                         "administrator of the tenant or consented to by any user in the tenant. You may have sent "
                         "your authentication request to the wrong tenant.")
    scope = get.get("scope")
    if not scope:
        return aad_error(400, "invalid_request", 90014, "The required field 'scope' is missing from the credential. "
                                                        "Ensure that you have all the necessary parameters for the "
                                                        "login request.")
    if scope != SCOPE:
        if " " not in scope and scope.lower().startswith(GRAPH + "/") and not scope.endswith("/.default"):
            return aad_error(400, "invalid_scope", 1002012,
                             f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                             "scope value with /.default suffixed to the resource identifier (application ID URI).")
        return aad_error(400, "invalid_scope", 70011, f"The provided request must include a 'scope' input parameter. "
                                                      f"The provided value for the input parameter 'scope' is not "
                                                      f"valid. The scope {scope} is not valid.")
    if assertion is not None:
        if secret is not None:
            return aad_error(400, "invalid_request", 90023, "Invalid request: both client_secret and "
                                                            "client_assertion were sent.")
        if assertion_type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return aad_error(400, "invalid_request", 700022, "The client_assertion_type parameter must be "
                                                             "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.")
        token_url = f"{req.base_url()}{req.path}"
        problem = _check_assertion(assertion, client_id, token_url)
        if problem is not None:
            return aad_error(401, "invalid_client", *problem)
    elif secret is None or secret == "":
        return aad_error(401, "invalid_client", 7000218, "The request body must contain the following parameter: "
                                                         "'client_assertion' or 'client_secret'.")
    elif secret != state.config.client_secret:
        return aad_error(401, "invalid_client", 7000215,
                         "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                         f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")
    lifetime = state.config.token_lifetime or DEFAULT_LIFETIME
    now = int(time.time())
    access = state.issue_token(TOKEN_PROVIDER, lifetime, {
        "aud": GRAPH, "iss": f"https://sts.windows.net/{ENTRA_TENANT_ID}/", "iat": now, "nbf": now,
        "appid": client_id, "appidacr": "2" if assertion else "1", "idtyp": "app", "tid": ENTRA_TENANT_ID,
        "roles": ["AuditLog.Read.All", "Directory.Read.All"], "ver": "1.0"})
    return Response(200, dumps({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                "access_token": access}),
                    [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store, no-cache"),
                     ("Pragma", "no-cache"), ("x-ms-request-id", str(uuid.uuid4()))])


# =========================================================================== streams


def _s(*ops: str) -> odata.Prop:
    return odata.prop("Edm.String", *ops)


AUDIT_SCHEMA = odata.Schema(
    "microsoft.graph.directoryAudit", "directoryAudit",
    props={
        "id": _s("eq", "ne"), "category": _s("eq", "ne"), "correlationId": odata.prop("Edm.Guid", "eq", "ne"),
        "result": _s("eq", "ne"), "resultReason": _s(), "activityDisplayName": _s("eq", "ne", "startswith"),
        "activityDateTime": odata.prop("Edm.DateTimeOffset", "eq", "ne", "gt", "ge", "lt", "le"),
        "loggedByService": _s("eq", "ne"), "operationType": _s(),
        "initiatedBy/user/id": _s("eq", "ne"), "initiatedBy/user/displayName": _s("eq", "ne"),
        "initiatedBy/user/userPrincipalName": _s("eq", "ne", "startswith"), "initiatedBy/user/ipAddress": _s(),
        "initiatedBy/user/userType": _s(), "initiatedBy/user/homeTenantId": _s(),
        "initiatedBy/user/homeTenantName": _s(),
        "initiatedBy/app/appId": _s("eq", "ne"), "initiatedBy/app/displayName": _s("eq", "ne"),
        "initiatedBy/app/servicePrincipalId": _s(), "initiatedBy/app/servicePrincipalName": _s(),
    },
    complex={"initiatedBy", "initiatedBy/user", "initiatedBy/app"},
    collections={
        "targetResources": odata.Schema("microsoft.graph.targetResource", "targetResource", props={
            "id": _s("eq", "ne"), "displayName": _s("eq", "ne", "startswith"), "type": _s(),
            "userPrincipalName": _s(), "groupType": _s()}, collections={}),
        "additionalDetails": odata.Schema("microsoft.graph.keyValue", "keyValue", props={"key": _s(), "value": _s()}),
    },
    any_ops={"targetResources"})

SIGNIN_SCHEMA = odata.Schema(
    "microsoft.graph.signIn", "signIn",
    props={
        "id": _s("eq", "ne"), "createdDateTime": odata.prop("Edm.DateTimeOffset", "eq", "ne", "gt", "ge", "lt", "le"),
        "userDisplayName": _s("eq", "ne", "startswith"), "userPrincipalName": _s("eq", "ne", "startswith"),
        "userId": _s("eq", "ne"), "appId": _s("eq", "ne"), "appDisplayName": _s("eq", "ne", "startswith"),
        "ipAddress": _s("eq", "ne", "startswith"), "clientAppUsed": _s("eq", "ne"),
        "correlationId": _s("eq", "ne"), "conditionalAccessStatus": _s("eq", "ne"),
        "isInteractive": odata.prop("Edm.Boolean", "eq", "ne"), "riskDetail": _s("eq", "ne"),
        "riskLevelAggregated": _s("eq", "ne"), "riskLevelDuringSignIn": _s("eq", "ne"), "riskState": _s("eq", "ne"),
        "resourceDisplayName": _s("eq", "ne"), "resourceId": _s("eq", "ne"),
        "status/errorCode": odata.prop("Edm.Int32", "eq", "ne", "gt", "ge", "lt", "le"),
        "status/failureReason": _s(), "status/additionalDetails": _s(),
        "deviceDetail/deviceId": _s("eq", "ne"), "deviceDetail/displayName": _s("eq", "ne", "startswith"),
        "deviceDetail/operatingSystem": _s("eq", "ne", "startswith"), "deviceDetail/browser": _s("eq", "ne", "startswith"),
        "deviceDetail/isCompliant": odata.prop("Edm.Boolean", "eq", "ne"),
        "deviceDetail/isManaged": odata.prop("Edm.Boolean", "eq", "ne"), "deviceDetail/trustType": _s("eq", "ne"),
        "location/city": _s("eq", "ne", "startswith"), "location/state": _s("eq", "ne", "startswith"),
        "location/countryOrRegion": _s("eq", "ne", "startswith"),
    },
    complex={"status", "deviceDetail", "location", "location/geoCoordinates"},
    collections={
        "appliedConditionalAccessPolicies": odata.Schema(
            "microsoft.graph.appliedConditionalAccessPolicy", "appliedConditionalAccessPolicy",
            props={"id": _s(), "displayName": _s(), "result": _s()}),
        "riskEventTypes": odata.Schema("Edm.String", "signIn", props={}),
        "riskEventTypes_v2": odata.Schema("Edm.String", "signIn", props={}),
    })


@dataclass
class Snapshot:
    """Records sorted ascending by (time in picoseconds, id)."""
    keys: list[tuple[int, str]]
    records: list[dict[str, Any]]
    by_id: dict[str, dict[str, Any]]


class Stream:
    """One Graph collection, registered in emulator.MODULES under its provider name."""

    def __init__(self, provider: str, segment: str, time_field: str, schema: odata.Schema,
                 top_properties: tuple[str, ...], max_top: int, default_top: int):
        self.PROVIDER = provider
        self.segment = segment  # directoryAudits | signIns
        self.time_field = time_field
        self.schema = schema
        self.top_properties = top_properties  # what $select may name
        self.max_top = max_top
        self.default_top = default_top
        self.ROUTES: list[Any] = []
        self.PREFIXES: tuple[str, ...] = (f"/v1.0/auditLogs/{segment}",)
        self.context = f"{GRAPH}/v1.0/$metadata#auditLogs/{segment}"

    # module interface used by emulator.py
    def default_error(self, status: int) -> Response:
        return default_error(status)

    def default_error_at(self, path: str, status: int) -> Response:
        return default_error_at(path, status)

    def validate_record(self, rec: Any) -> None:
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str) or not rec["id"]:
            raise ValueError(f"a {self.schema.resource} record needs a string 'id'")
        try:
            odata.parse_datetime(rec.get(self.time_field) if isinstance(rec.get(self.time_field), str) else "")
        except ValueError:
            raise ValueError(f"'{self.time_field}' must be an ISO 8601 date-time with a zone, "
                             f"e.g. 2024-05-14T10:01:19.5796748Z") from None

    def snapshot(self, state: State) -> Snapshot:
        def build(records: list[dict[str, Any]]) -> Snapshot:
            items = sorted(((odata.parse_datetime(r[self.time_field]), r["id"]), r) for r in records)
            return Snapshot([k for k, _ in items], [r for _, r in items], {r["id"]: r for _, r in items})
        return state.cached(("entra-snapshot",), build, self.PROVIDER)


AUDITS = Stream("entra-audits", "directoryAudits", "activityDateTime", AUDIT_SCHEMA,
                ("id", "category", "correlationId", "result", "resultReason", "activityDisplayName",
                 "activityDateTime", "loggedByService", "operationType", "initiatedBy", "targetResources",
                 "additionalDetails"), max_top=1000, default_top=1000)
SIGNINS = Stream("entra-signins", "signIns", "createdDateTime", SIGNIN_SCHEMA,
                 ("id", "createdDateTime", "userDisplayName", "userPrincipalName", "userId", "appId",
                  "appDisplayName", "ipAddress", "clientAppUsed", "correlationId", "conditionalAccessStatus",
                  "isInteractive", "riskDetail", "riskLevelAggregated", "riskLevelDuringSignIn", "riskState",
                  "riskEventTypes", "riskEventTypes_v2", "resourceDisplayName", "resourceId", "status",
                  "deviceDetail", "location", "appliedConditionalAccessPolicies"), max_top=1000, default_top=1000)
STREAMS = {"directoryaudits": AUDITS, "signins": SIGNINS}


# =========================================================================== Graph requests


def authenticate(req: Request, state: State) -> None:
    token_text = bearer_token(req)
    status = state.token_status(token_text, TOKEN_PROVIDER)
    if status == "ok":
        return
    if status == "missing":
        raise HttpError(unauthorized("Access token is empty.", req))
    if status == "expired":
        raise HttpError(unauthorized("Lifetime validation failed, the token is expired.", req))
    if token_text is not None and token_text.count(".") < 2:
        raise HttpError(unauthorized(
            "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact "
            "Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): "
            "'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext."
            "EncodedAuthenticationTag'.", req))
    raise HttpError(unauthorized("Access token validation failure. Invalid audience.", req))


def throttle(req: Request, state: State) -> None:
    """--entra-rate-limit: 5 requests per 10 s per app per tenant across the reporting resources."""
    if not state.config.entra_rate_limit:
        return
    now = time.monotonic()
    with state.lock:
        windows = state.rate_windows
        window = windows.setdefault(("entra", ENTRA_TENANT_ID), collections.deque())
        while window and window[0] <= now - RATE_WINDOW:
            window.popleft()
        if len(window) >= RATE_LIMIT:
            wait = max(1, math.ceil(window[0] + RATE_WINDOW - now))
            raise HttpError(throttled(wait, req))
        window.append(now)


SYSTEM_OPTIONS = {"$filter", "$top", "$orderby", "$skiptoken", "$select"}
NOT_ALLOWED = {"$skip": "Skip", "$count": "Count", "$expand": "Expand", "$search": "Search", "$apply": "Apply",
               "$compute": "Compute", "$format": "Format", "$levels": "Levels", "$index": "Index",
               "$deltatoken": "DeltaToken"}


def query_options(req: Request, allowed: set[str]) -> dict[str, str]:
    """The $-options of the query by lower-case name. Names are case-insensitive; parameters without
    a $ are custom query options, which the service ignores."""
    seen: dict[str, str] = {}
    for name, values in req.params.items():
        if not name.startswith("$"):
            continue
        key = name.lower()
        if key in seen or len(values) > 1:
            raise bad_request(f"Query option '{name}' was specified more than once, but it must be specified at "
                              "most once.", req=req)
        if key in NOT_ALLOWED or (key in SYSTEM_OPTIONS and key not in allowed):
            label = NOT_ALLOWED.get(key) or key[1:].capitalize()
            raise bad_request(f"The query specified in the URI is not valid. Query option '{label}' is not allowed. "
                              "To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or "
                              "QueryValidationSettings.", req=req)
        if key not in SYSTEM_OPTIONS:
            raise bad_request(f"The query parameter '{name}' is not supported.", req=req)
        seen[key] = values[0]
    return seen


def parse_top(stream: Stream, text: str | None, req: Request) -> int:
    if text is None:
        return stream.default_top
    if not re.fullmatch(r"[0-9]{1,18}", text.strip()):
        raise bad_request(f"Invalid value '{text}' for $top query option found. The $top query option requires a "
                          "non-negative integer value.", req=req)
    top = int(text)
    if top > stream.max_top:
        raise bad_request(f"The query specified in the URI is not valid. The limit of '{stream.max_top}' for Top "
                          f"query has been exceeded. The value from the incoming request is '{top}'.", req=req)
    return top


def parse_orderby(stream: Stream, text: str | None, req: Request) -> bool:
    """True for descending (the default: newest first)."""
    if text is None:
        return True
    items = [item.strip() for item in text.split(",")]
    descending = True
    seen = False
    for item in items:
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad_request(f"Syntax error at position {len(text)} in '{text}'.", req=req)
        name = stream.schema.canonical(words[0])
        if name is None or "/" in words[0] and name not in stream.schema.props:
            raise bad_request(f"Could not find a property named '{words[0]}' on type '{stream.schema.type_name}'.",
                              req=req)
        if name != stream.time_field:
            raise bad_request(f"Unsupported or invalid query orderby clause specified for property '{name}' of "
                              f"resource '{stream.schema.resource}'.", "Request_UnsupportedQuery", req)
        if seen:
            raise bad_request(f"Duplicate property named '{name}' is not supported in '$orderby'.", req=req)
        seen = True
        descending = len(words) == 2 and words[1] == "desc"
    return descending


def parse_select(stream: Stream, text: str | None, req: Request) -> list[str] | None:
    if text is None or text.strip() in ("", "*"):
        return None
    wanted = []
    lower = {p.lower(): p for p in stream.top_properties}
    for item in text.split(","):
        name = lower.get(item.strip().lower())
        if name is None:
            raise bad_request(f"Could not find a property named '{item.strip()}' on type "
                              f"'{stream.schema.type_name}'.", req=req)
        if name not in wanted:
            wanted.append(name)
    return wanted


def project(rec: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    return dict(rec) if select is None else {k: v for k, v in rec.items() if k in select}


def graph_response(req: Request, body: dict[str, Any]) -> Response:
    request_id, client_id = _request_ids(req)
    return Response(200, dumps(body), [("Content-Type", GRAPH_JSON), ("OData-Version", "4.0"),
                                       ("request-id", request_id), ("client-request-id", client_id)])


def time_window(node: odata.Node | None, path: str) -> tuple[int | None, int | None]:
    """Bounds (inclusive, for pruning only) on path implied by every match of node."""
    if isinstance(node, odata.And):
        lo1, hi1 = time_window(node.left, path)
        lo2, hi2 = time_window(node.right, path)
        lo = max((v for v in (lo1, lo2) if v is not None), default=None)
        hi = min((v for v in (hi1, hi2) if v is not None), default=None)
        return lo, hi
    if isinstance(node, odata.Compare) and node.path == path and node.value is not None:
        if node.op in ("ge", "gt", "eq"):
            return node.value, node.value if node.op == "eq" else None
        if node.op in ("le", "lt"):
            return None, node.value
    return None, None


def list_records(req: Request, state: State, collection: str) -> Response:
    stream = STREAMS[collection.lower()]
    authenticate(req, state)
    throttle(req, state)
    opts = query_options(req, {"$filter", "$top", "$orderby", "$skiptoken", "$select"})
    top = parse_top(stream, opts.get("$top"), req)
    descending = parse_orderby(stream, opts.get("$orderby"), req)
    select = parse_select(stream, opts.get("$select"), req)
    filter_text = opts.get("$filter")
    node = None
    if filter_text is not None:
        try:
            node = odata.parse(filter_text, stream.schema)
        except odata.ODataError as exc:
            raise bad_request(exc.message, exc.code, req)

    snap = stream.snapshot(state)
    keys = snap.keys
    bound = fingerprint(stream.PROVIDER, filter_text, "desc" if descending else "asc")
    lo, hi = time_window(node, stream.time_field)
    first = 0 if lo is None else bisect.bisect_left(keys, (lo,))
    last = len(keys) if hi is None else bisect.bisect_left(keys, (hi + 1,))
    skiptoken = opts.get("$skiptoken")
    if skiptoken is not None:
        try:
            payload = decode_cursor(skiptoken, ("k", "f"))
            key = payload["k"]
            if payload["f"] != bound or not (isinstance(key, list) and len(key) == 2 and isinstance(key[0], int)
                                             and isinstance(key[1], str)):
                raise ValueError("the $skiptoken belongs to another query")
        except ValueError:
            raise bad_request("Invalid $skiptoken: it is malformed or was issued for another query.", req=req)
        if descending:
            last = min(last, bisect.bisect_left(keys, (key[0], key[1])))
        else:
            first = max(first, bisect.bisect_right(keys, (key[0], key[1])))

    picked: list[int] = []
    indexes = range(last - 1, first - 1, -1) if descending else range(first, last)
    for i in indexes:
        if len(picked) > top:
            break
        if node is None or odata.matches(node, snap.records[i], lambda r, p, t=keys[i][0]: t if p == stream.time_field
                                          else None):
            picked.append(i)
    more = len(picked) > top
    picked = picked[:top]

    context = stream.context + (f"({','.join(select)})" if select else "")
    body: dict[str, Any] = {"@odata.context": context}
    if more and picked:
        last_key = keys[picked[-1]]
        token_text = encode_cursor({"k": [last_key[0], last_key[1]], "f": bound})
        pairs = [(name, opts[name]) for name in ("$filter", "$orderby", "$select", "$top") if name in opts]
        pairs.append(("$skiptoken", token_text))
        query = "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs)
        body["@odata.nextLink"] = f"{req.base_url()}/v1.0/auditLogs/{stream.segment}?{query}"
    body["value"] = [project(snap.records[j], select) for j in picked]
    return graph_response(req, body)


def get_record(req: Request, state: State, collection: str, record_id: str) -> Response:
    stream = STREAMS[collection.lower()]
    authenticate(req, state)
    throttle(req, state)
    opts = query_options(req, {"$select"})
    select = parse_select(stream, opts.get("$select"), req)
    wanted = unquote(record_id)
    rec = stream.snapshot(state).by_id.get(wanted)
    if rec is None:
        raise HttpError(graph_error(404, "Request_ResourceNotFound",
                                    f"Resource '{wanted}' does not exist or one of its queried reference-property "
                                    "objects are not present.", req))
    context = stream.context + (f"({','.join(select)})" if select else "") + "/$entity"
    return graph_response(req, {"@odata.context": context, **project(rec, select)})


_KNOWN = re.compile(r"(?i)^/v1\.0/auditLogs/(directoryAudits|signIns)(/[^/]+)?$")


def other_graph_path(req: Request, state: State) -> Response:
    """Anything else under /v1.0: wrong methods on known resources, unknown segments."""
    authenticate(req, state)
    if _KNOWN.match(req.path):
        response = graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request "
                                                          "target.", req)
        response.set_header("Allow", "GET")
        return response
    segments = req.path.split("/")[2:]
    expected: list[tuple[str, ...]] = [("auditlogs",), ("directoryaudits", "signins")]
    for depth, segment in enumerate(segments):
        if depth >= len(expected) + 1 or depth < len(expected) and segment.lower() not in expected[depth]:
            break
    else:
        segment = segments[-1] if segments else ""
    return graph_error(400, "BadRequest", f"Resource not found for the segment '{unquote(segment)}'.", req)


ALL_METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"
AUDITS.ROUTES = [
    route(ALL_METHODS, r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$", token),
    route("GET", r"(?i)^/v1\.0/auditLogs/(?P<collection>directoryAudits|signIns)$", list_records, is_list=True),
    route("GET", r"(?i)^/v1\.0/auditLogs/(?P<collection>directoryAudits|signIns)/(?P<record_id>[^/]+)$", get_record),
    route(ALL_METHODS, r"(?i)^/v1\.0(?:/.*)?$", other_graph_path),
]
AUDITS.PREFIXES = ("/v1.0/",)
