"""The Entra emulator (tests/emulator/entra.py, odata.py) behaves like the identity platform's token
endpoint and Microsoft Graph v1.0 auditLogs: status codes, error bodies, OData paging and filters."""

from __future__ import annotations

import base64
import json
import sys
import time
import unittest
import urllib.parse
from typing import Any

import harness
from harness import (CLIENT_ID, CLIENT_SECRET, ENTRA_SCOPE, ENTRA_TENANT_DOMAIN, ENTRA_TENANT_ID, TOKEN, Reply,
                     fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import entra  # noqa: E402
import odata  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
AUDITS = "/v1.0/auditLogs/directoryAudits"
SIGNINS = "/v1.0/auditLogs/signIns"
TOKEN_PATH = f"/{ENTRA_TENANT_ID}/oauth2/v2.0/token"
STREAMS = {AUDITS: ("entra-audits", "activityDateTime"), SIGNINS: ("entra-signins", "createdDateTime")}
TIE = "2024-05-14T10:01:19.5796748Z"  # three directoryAudits share it; two more fall in the same millisecond


def q(**params: Any) -> str:
    """A query with $-prefixed names: q(filter=..., top=5) → $filter=...&$top=5."""
    return urllib.parse.urlencode({f"${k}": v for k, v in params.items()}, quote_via=urllib.parse.quote)


def ps(text: str) -> int:
    return odata.parse_datetime(text)


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


# =========================================================================== the OData parser


class ODataParserTest(unittest.TestCase):
    def parse(self, text: str, schema: odata.Schema = entra.AUDIT_SCHEMA) -> odata.Node:
        return odata.parse(text, schema)

    def assertRefused(self, text: str, code: str = "BadRequest", schema: odata.Schema = entra.AUDIT_SCHEMA,
                      message: str | None = None) -> None:
        with self.assertRaises(odata.ODataError) as caught:
            odata.parse(text, schema)
        self.assertEqual(caught.exception.code, code, caught.exception.message)
        if message is not None:
            self.assertIn(message, caught.exception.message)

    def test_precedence_not_and_or_parentheses(self) -> None:
        node = self.parse("id eq 'a' or id eq 'b' and not (id eq 'c')")
        self.assertIsInstance(node, odata.Or)
        self.assertIsInstance(node.right, odata.And)
        self.assertIsInstance(node.right.right, odata.Not)
        node = self.parse("(id eq 'a' or id eq 'b') and category eq 'x'")
        self.assertIsInstance(node, odata.And)
        self.assertIsInstance(node.left, odata.Or)

    def test_literals(self) -> None:
        self.assertEqual(self.parse("initiatedBy/user/displayName eq 'Seán O''Brien'").value, "Seán O'Brien")
        self.assertEqual(self.parse("id eq ''").value, "")
        at = self.parse(f"activityDateTime ge {TIE}").value
        self.assertEqual(at % 10**12, 579674800000)
        self.assertEqual(self.parse("activityDateTime ge 2024-05-14T12:01:19.5796748+02:00").value, at)
        self.assertEqual(self.parse("activityDateTime ge 2024-05-14T10:01Z").value, ps("2024-05-14T10:01:00Z"))
        self.assertEqual(self.parse("activityDateTime le 2024-05-14").value, ps("2024-05-14T00:00:00Z"))
        self.assertEqual(self.parse("activityDateTime ge 2024-05-14T10:01:19.123456789012Z").value % 10**12,
                         123456789012)
        guid = "B662F17A-4E4D-4E1C-9248-CDEC180024B2"
        self.assertEqual(self.parse(f"correlationId eq {guid}").value, guid.lower())
        self.assertEqual(self.parse(f"correlationId eq '{guid}'").value, guid.lower())
        self.assertEqual(self.parse("status/errorCode ne 0", entra.SIGNIN_SCHEMA).value, 0)
        self.assertIs(self.parse("isInteractive eq false", entra.SIGNIN_SCHEMA).value, False)
        self.assertIsNone(self.parse("initiatedBy/user/id eq null").value)

    def test_functions_paths_and_lambdas(self) -> None:
        self.assertEqual(self.parse("startsWith(appDisplayName,'Graph')", entra.SIGNIN_SCHEMA),
                         odata.StartsWith("appDisplayName", "Graph"))
        self.assertEqual(self.parse("startswith(initiatedBy/user/userPrincipalName, 'megan')"),
                         odata.StartsWith("initiatedBy/user/userPrincipalName", "megan"))
        self.assertEqual(self.parse("INITIATEDBY/User/ID eq 'x'").path, "initiatedBy/user/id")  # names: any case
        node = self.parse("targetResources/any(t: t/id eq 'x')")
        self.assertEqual(node, odata.AnyOf("targetResources", odata.Compare("id", "eq", "x", "Edm.String")))
        self.parse("targetResources/any(x: startswith(x/displayName, 'Sales'))")
        self.parse("targetResources/any(t:t/displayName eq 'x' or t/id eq 'y')")

    def test_syntax_errors(self) -> None:
        for text in ["", "   ", "id eq", "id eq x y", "id EQ 'x'", "id == 'x'", "id eq \"x\"", "id eq 'open",
                     "(id eq 'x'", "id eq 'x')", "id eq 'x' and", "id eq 'x' xor id eq 'y'", "id eq 'x' &",
                     "activityDateTime ge 2024-13-01T00:00:00Z", "activityDateTime ge 2024-05-01T25:00:00Z",
                     "activityDateTime ge 2024-05-01T00:00:00", "activityDateTime ge 2024-05-01T00:00:00 02:00",
                     "activityDateTime ge 2024-02-30", "foo(id, 'x')", "id", "'x'", "activityDateTime",
                     "id in ('a','b')", "not", "targetResources/any(t t/id eq 'x')"]:
            with self.subTest(text=text):
                self.assertRefused(text)

    def test_unknown_properties_and_type_errors(self) -> None:
        self.assertRefused("createdDateTime ge 2024-05-01", message="Could not find a property named 'createdDateTime' "
                                                                   "on type 'microsoft.graph.directoryAudit'")
        self.assertRefused("activityDateTime ge 2024-05-01", schema=entra.SIGNIN_SCHEMA)
        self.assertRefused("initiatedBy/user/nope eq 'x'", message="'nope' on type 'microsoft.graph.user'")
        self.assertRefused("signInEventTypes/any(t: t eq 'servicePrincipal')", schema=entra.SIGNIN_SCHEMA)
        self.assertRefused("activityDateTime ge '2024-05-01T00:00:00Z'",
                           message="Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind "
                                   "'GreaterThanOrEqual'")
        self.assertRefused("status/errorCode eq '0'", schema=entra.SIGNIN_SCHEMA)
        self.assertRefused("id eq 5")
        self.assertRefused("startswith(activityDateTime, '2024')")
        self.assertRefused("initiatedBy eq 'x'")

    def test_unsupported_queries(self) -> None:
        for text, schema in [("resultReason eq 'x'", entra.AUDIT_SCHEMA), ("operationType eq 'Add'", entra.AUDIT_SCHEMA),
                             ("startswith(loggedByService, 'Core')", entra.AUDIT_SCHEMA),
                             ("id gt 'a'", entra.AUDIT_SCHEMA), ("contains(activityDisplayName, 'user')", entra.AUDIT_SCHEMA),
                             ("endswith(activityDisplayName, 'user')", entra.AUDIT_SCHEMA),
                             ("targetResources/all(t: t/id eq 'x')", entra.AUDIT_SCHEMA),
                             ("targetResources/any(t: t/type eq 'User')", entra.AUDIT_SCHEMA),
                             ("additionalDetails/any(d: d/key eq 'x')", entra.AUDIT_SCHEMA),
                             ("'x' eq id", entra.AUDIT_SCHEMA), ("isInteractive", entra.SIGNIN_SCHEMA),
                             ("status/failureReason eq 'x'", entra.SIGNIN_SCHEMA),
                             ("appliedConditionalAccessPolicies/any(p: p/result eq 'success')", entra.SIGNIN_SCHEMA)]:
            with self.subTest(text=text):
                self.assertRefused(text, "Request_UnsupportedQuery", schema)

    def test_evaluation(self) -> None:
        rec = {"activityDateTime": TIE, "activityDisplayName": "Add user", "initiatedBy": {"user": None, "app": {"appId": "A"}},
               "targetResources": [{"id": "t1", "displayName": "Sales"}, {"id": "t2", "displayName": None}]}
        def ok(text: str) -> bool:
            return odata.matches(odata.parse(text, entra.AUDIT_SCHEMA), rec)
        self.assertTrue(ok(f"activityDateTime eq {TIE}"))
        self.assertTrue(ok("activityDateTime gt 2024-05-14T10:01:19.579Z"))
        self.assertFalse(ok("activityDateTime le 2024-05-14T10:01:19.579Z"))
        self.assertTrue(ok("activityDateTime lt 2024-05-14T10:01:19.5796749Z"))
        self.assertTrue(ok("startswith(activityDisplayName, 'add')"))  # case-insensitive
        self.assertFalse(ok("activityDisplayName eq 'add user'"))  # eq is exact
        self.assertTrue(ok("initiatedBy/user/id eq null and initiatedBy/app/appId eq 'A'"))
        self.assertTrue(ok("initiatedBy/user/id ne 'x'"))
        self.assertTrue(ok("targetResources/any(t: t/id eq 't2')"))
        self.assertTrue(ok("targetResources/any(t: startswith(t/displayName, 'sal'))"))
        self.assertFalse(ok("targetResources/any(t: t/id eq 't3')"))
        self.assertTrue(ok("not (activityDisplayName eq 'Delete user') and (category eq null or category eq 'x')"))


# =========================================================================== HTTP


class EntraCase(harness.EmulatorTestCase):
    def get(self, path: str, headers: dict[str, str] | None = AUTH, **kwargs: Any) -> Reply:
        return http(self.emu.url + path, headers=headers, **kwargs)

    def token_request(self, form: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                      path: str = TOKEN_PATH, **extra: str) -> Reply:
        if form is None:
            form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                    "scope": ENTRA_SCOPE}
        form = {**form, **extra}
        return http(self.emu.url + path, "POST", {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
                    urllib.parse.urlencode(form).encode())

    def issue(self) -> str:
        reply = self.token_request()
        self.assertEqual(reply.status, 200, reply.body)
        return reply.json()["access_token"]

    def assertGraphError(self, reply: Reply, status: int, code: str, message: str | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        self.assertEqual(reply.headers["Content-Type"], "application/json")
        body = reply.json()
        self.assertEqual(set(body), {"error"})
        self.assertEqual(set(body["error"]), {"code", "message", "innerError"})
        self.assertEqual(body["error"]["code"], code, body)
        self.assertEqual(set(body["error"]["innerError"]), {"date", "request-id", "client-request-id"})
        self.assertRegex(body["error"]["innerError"]["date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertEqual(reply.headers["request-id"], body["error"]["innerError"]["request-id"])
        if message is not None:
            self.assertIn(message, body["error"]["message"])
        return body

    def assertAadError(self, reply: Reply, status: int, error: str, code: int) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        body = reply.json()
        self.assertEqual(set(body), {"error", "error_description", "error_codes", "timestamp", "trace_id",
                                     "correlation_id", "error_uri"})
        self.assertEqual((body["error"], body["error_codes"]), (error, [code]))
        self.assertRegex(body["error_description"], rf"^AADSTS{code}: .+\r\nTrace ID: [0-9a-f-]{{36}}\r\n"
                                                    rf"Correlation ID: [0-9a-f-]{{36}}\r\nTimestamp: \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ$")
        self.assertRegex(body["timestamp"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$")
        return body

    def walk(self, path: str, top: int | None = None, headers: dict[str, str] | None = AUTH,
             **params: Any) -> list[dict[str, Any]]:
        if top is not None:
            params["top"] = top
        reply = self.get(f"{path}?{q(**params)}" if params else path, headers)
        records: list[dict[str, Any]] = []
        while True:
            self.assertEqual(reply.status, 200, reply.body)
            page = reply.json()
            records += page["value"]
            if top is not None:
                self.assertLessEqual(len(page["value"]), top)
            if "@odata.nextLink" not in page:
                return records
            if top is not None:
                self.assertEqual(len(page["value"]), top)
            reply = http(page["@odata.nextLink"], headers=headers)

    def ids(self, path: str, filter_text: str, **params: Any) -> list[str]:
        return [r["id"] for r in self.walk(path, filter=filter_text, **params)]


class EntraTokenTest(EntraCase):
    def test_client_secret_post_and_basic(self) -> None:
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        for path, form, headers in [
                (TOKEN_PATH, None, {}),
                (f"/{ENTRA_TENANT_ID.upper()}/oauth2/v2.0/token", None, {}),
                (f"/{ENTRA_TENANT_DOMAIN}/oauth2/v2.0/token", None, {}),
                (TOKEN_PATH, {"grant_type": "client_credentials", "scope": ENTRA_SCOPE}, {"Authorization": basic})]:
            with self.subTest(path=path, basic=bool(headers)):
                reply = self.token_request(form, headers, path)
                self.assertEqual(reply.status, 200, reply.body)
                self.assertEqual(reply.headers["Content-Type"], "application/json; charset=utf-8")
                self.assertIn("no-store", reply.headers["Cache-Control"])
                body = reply.json()
                self.assertEqual(set(body), {"token_type", "expires_in", "ext_expires_in", "access_token"})
                self.assertEqual((body["token_type"], body["expires_in"]), ("Bearer", 3599))
                claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
                self.assertEqual((claims["aud"], claims["tid"], claims["appid"]),
                                 ("https://graph.microsoft.com", ENTRA_TENANT_ID, CLIENT_ID))
                for path_ in (AUDITS, SIGNINS):
                    self.assertEqual(self.get(path_, {"Authorization": f"Bearer {body['access_token']}"}).status, 200)

    def test_errors(self) -> None:
        good = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "scope": ENTRA_SCOPE}
        def without(*keys: str, **changes: str) -> dict[str, str]:
            return {**{k: v for k, v in good.items() if k not in keys}, **changes}
        cases = [
            (without(client_secret="wrong"), 401, "invalid_client", 7000215),
            (without("client_secret"), 401, "invalid_client", 7000218),
            (without(client_id="nobody"), 400, "unauthorized_client", 700016),
            (without("client_id"), 400, "invalid_request", 900144),
            (without("grant_type"), 400, "invalid_request", 900144),
            (without(grant_type="password"), 400, "unsupported_grant_type", 70003),
            (without("scope"), 400, "invalid_request", 90014),
            (without(scope="https://graph.microsoft.com/AuditLog.Read.All"), 400, "invalid_scope", 1002012),
            (without(scope="https://management.azure.com/.default"), 400, "invalid_scope", 70011),
            (without(scope="https://graph.microsoft.com/.default offline_access"), 400, "invalid_scope", 70011),
        ]
        for form, status, error, code in cases:
            with self.subTest(form=form):
                self.assertAadError(self.token_request(form), status, error, code)
        body = self.assertAadError(self.token_request(path="/00000000-0000-4000-8000-000000000000/oauth2/v2.0/token"),
                                   400, "invalid_request", 90002)
        self.assertIn("Tenant '00000000-0000-4000-8000-000000000000' not found", body["error_description"])
        self.assertAadError(self.token_request(path="/not_a_tenant/oauth2/v2.0/token"), 400, "invalid_request", 900023)
        self.assertAadError(self.get(TOKEN_PATH, None), 400, "invalid_request", 900561)
        reply = http(self.emu.url + TOKEN_PATH, "POST", {"Content-Type": "application/json"}, json.dumps(good).encode())
        self.assertAadError(reply, 400, "invalid_request", 900144)  # only form bodies are read
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        self.assertAadError(self.token_request(good, {"Authorization": basic}), 400, "invalid_request", 90023)
        repeated = http(self.emu.url + TOKEN_PATH, "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                        (urllib.parse.urlencode(good) + "&scope=x").encode())
        self.assertAadError(repeated, 400, "invalid_request", 90100)

    def test_client_assertion_is_checked_but_not_its_signature(self) -> None:
        def jwt(header: dict[str, Any], claims: dict[str, Any]) -> str:
            def part(obj: Any) -> str:
                return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
            return f"{part(header)}.{part(claims)}.c2lnbmF0dXJl"
        now = int(time.time())
        aud = self.emu.url + TOKEN_PATH
        header = {"alg": "RS256", "typ": "JWT", "x5t": "hOBcHZi846VCHSJbFAs26Go9VTQ"}
        claims = {"aud": aud, "iss": CLIENT_ID, "sub": CLIENT_ID, "jti": "1", "nbf": now, "exp": now + 600}
        def request(assertion: str) -> Reply:
            return self.token_request({"grant_type": "client_credentials", "client_id": CLIENT_ID, "scope": ENTRA_SCOPE,
                                       "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                       "client_assertion": assertion})
        reply = request(jwt(header, claims))
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(self.get(AUDITS, {"Authorization": f"Bearer {reply.json()['access_token']}"}).status, 200)
        for name, assertion, code in [
                ("garbage", "not-a-jwt", 50027),
                ("audience", jwt(header, {**claims, "aud": "https://login.microsoftonline.com/common/oauth2/v2.0/token"}), 700023),
                ("issuer", jwt(header, {**claims, "iss": "someone"}), 700021),
                ("expired", jwt(header, {**claims, "exp": now - 10}), 700024),
                ("no thumbprint", jwt({"alg": "RS256"}, claims), 700027),
                ("HS256", jwt({**header, "alg": "HS256"}, claims), 700027)]:
            with self.subTest(name):
                self.assertAadError(request(assertion), 401, "invalid_client", code)

    def test_issued_tokens_belong_to_graph_and_expire(self) -> None:
        entra_token = self.issue()
        self.assertEqual(self.get("/v3/account-activities", {"Authorization": f"Bearer {entra_token}"}).status, 401)
        pingone = http(self.emu.url + "/as/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                       urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                               "client_secret": CLIENT_SECRET}).encode()).json()["access_token"]
        self.assertGraphError(self.get(AUDITS, {"Authorization": f"Bearer {pingone}"}), 401,
                              "InvalidAuthenticationToken", "validation failure")
        self.emu.expire_tokens()
        self.assertGraphError(self.get(SIGNINS, {"Authorization": f"Bearer {entra_token}"}), 401,
                              "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        self.assertEqual(self.get(SIGNINS).status, 200)  # static tokens never expire

    def test_token_faults_use_the_identity_platform_shape(self) -> None:
        self.emu.faults({"path": "/oauth2/v2.0/token$", "kind": "status", "status": 429},
                        {"path": "/oauth2/v2.0/token$", "kind": "status", "status": 503},
                        {"path": "/oauth2/v2.0/token$", "kind": "status", "status": 401})
        reply = self.token_request()
        self.assertAadError(reply, 429, "temporarily_unavailable", 90055)
        self.assertEqual(reply.headers["Retry-After"], "1")
        self.assertAadError(self.token_request(), 503, "temporarily_unavailable", 90033)
        self.assertAadError(self.token_request(), 401, "invalid_client", 7000215)
        self.assertEqual(self.token_request().status, 200)


class EntraTokenLifetimeTest(EntraCase):
    emulator_args = ("--token-lifetime", "1")

    def test_token_expires_after_lifetime(self) -> None:
        body = self.token_request().json()
        self.assertEqual((body["expires_in"], body["ext_expires_in"]), (1, 1))
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        self.assertEqual(self.get(AUDITS, headers).status, 200)
        time.sleep(1.1)
        self.assertGraphError(self.get(AUDITS, headers), 401, "InvalidAuthenticationToken", "Lifetime validation failed")


class EntraGraphTest(EntraCase):
    def test_every_fixture_once_newest_first_for_every_top(self) -> None:
        for path, (provider, field) in STREAMS.items():
            fixtures = fixture_records(provider)
            for top in (None, 1, 2, 3, 7, len(fixtures) - 1, len(fixtures), 1000):
                with self.subTest(path=path, top=top):
                    records = self.walk(path, top)
                    self.assertEqual(sorted(r["id"] for r in records), sorted(r["id"] for r in fixtures))
                    keys = [(ps(r[field]), r["id"]) for r in records]
                    self.assertEqual(keys, sorted(keys, reverse=True))
                    self.assertEqual(records, sorted(fixtures, key=lambda r: (ps(r[field]), r["id"]), reverse=True))

    def test_orderby_ascending_and_descending(self) -> None:
        for path, (provider, field) in STREAMS.items():
            with self.subTest(path=path):
                fixtures = fixture_records(provider)
                ascending = self.walk(path, 4, orderby=f"{field} asc")
                self.assertEqual([r["id"] for r in ascending],
                                 [r["id"] for r in sorted(fixtures, key=lambda r: (ps(r[field]), r["id"]))])
                self.assertEqual([r["id"] for r in self.walk(path, 5, orderby=field)], [r["id"] for r in ascending])
                self.assertEqual([r["id"] for r in self.walk(path, 6, orderby=f"{field.upper()} desc")],
                                 [r["id"] for r in reversed(ascending)])

    def test_page_shape_headers_and_next_link(self) -> None:
        filter_text = "activityDateTime ge 2024-05-13T00:00:00Z and startswith(activityDisplayName, 'Add')"
        reply = self.get(f"{AUDITS}?{q(filter=filter_text, top=2)}",
                         {**AUTH, "Host": f"localhost:{self.emu.port}", "client-request-id": "abc-123"})
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.headers["Content-Type"].startswith("application/json;odata.metadata=minimal"))
        self.assertEqual(reply.headers["client-request-id"], "abc-123")
        self.assertRegex(reply.headers["request-id"], r"^[0-9a-f-]{36}$")
        page = reply.json()
        self.assertEqual(list(page), ["@odata.context", "@odata.nextLink", "value"])
        self.assertEqual(page["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits")
        link = urllib.parse.urlsplit(page["@odata.nextLink"])
        self.assertEqual((link.scheme, link.netloc, link.path), ("http", f"localhost:{self.emu.port}", AUDITS))
        self.assertTrue(link.query.startswith("$filter="))
        params = urllib.parse.parse_qs(link.query)
        self.assertEqual(params["$filter"], [filter_text])
        self.assertEqual(params["$top"], ["2"])
        self.assertRegex(params["$skiptoken"][0], r"^[A-Za-z0-9_-]+$")
        last = self.get(f"{AUDITS}?{q(top=1000)}").json()
        self.assertNotIn("@odata.nextLink", last)
        self.assertEqual(len(last["value"]), len(fixture_records("entra-audits")))
        self.assertEqual(self.get(f"{SIGNINS}?{q(top=0)}").json()["value"], [])

    def test_default_page_size_is_1000(self) -> None:
        extra = [{**fixture_records("entra-signins")[0], "id": f"00000000-0000-4000-8000-{i:012d}",
                  "createdDateTime": "2024-05-12T05:00:00.0000000Z"} for i in range(1000)]
        self.emu.add_activities("entra-signins", extra)
        page = self.get(SIGNINS).json()
        self.assertEqual(len(page["value"]), 1000)
        self.assertIn("$skiptoken=", page["@odata.nextLink"])
        self.assertNotIn("$top", page["@odata.nextLink"])
        rest = http(page["@odata.nextLink"], headers=AUTH).json()
        self.assertEqual(len(rest["value"]), len(fixture_records("entra-signins")))

    def test_time_bounds_compare_at_full_precision(self) -> None:
        def count(filter_text: str) -> int:
            return len(self.walk(AUDITS, filter=filter_text))
        self.assertEqual(count(f"activityDateTime eq {TIE}"), 3)
        self.assertEqual(count(f"activityDateTime ge {TIE} and activityDateTime le {TIE}"), 3)
        self.assertEqual(count(f"activityDateTime gt {TIE} and activityDateTime le 2024-05-14T10:01:20Z"), 0)
        self.assertEqual(count("activityDateTime ge 2024-05-14T10:01:19.579Z and activityDateTime lt 2024-05-14T10:01:19.580Z"), 5)
        self.assertEqual(count("activityDateTime le 2024-05-14T10:01:19.579Z and activityDateTime ge 2024-05-14T10:01:19Z"), 1)
        self.assertEqual(count("activityDateTime gt 2024-05-14T10:01:19.579Z and activityDateTime lt 2024-05-14T10:01:19.5796748Z"), 1)
        self.assertEqual(count("activityDateTime ge 2024-05-16 and activityDateTime lt 2024-05-16T00:00:00.0000001Z"), 1)
        self.assertEqual(count("activityDateTime gt 2024-05-15T23:59:59.9999999Z and activityDateTime le 2024-05-16T00:00:00.0000001Z"), 2)
        self.assertEqual(count("activityDateTime ge 2024-05-16T02:00:00+02:00 and activityDateTime le 2024-05-16T00:00:00Z"), 1)
        whole = "createdDateTime ge 2024-05-01T00:00:00Z and createdDateTime lt 2024-06-01T00:00:00Z"
        self.assertEqual(len(self.walk(SIGNINS, 5, filter=whole)), len(fixture_records("entra-signins")))

    def test_ties_split_across_pages(self) -> None:
        records = self.walk(AUDITS, 1, filter=f"activityDateTime eq {TIE}")
        self.assertEqual([r["id"] for r in records], sorted((r["id"] for r in records), reverse=True))
        asc = self.walk(AUDITS, 2, filter=f"activityDateTime eq {TIE}", orderby="activityDateTime asc")
        self.assertEqual([r["id"] for r in asc], sorted(r["id"] for r in records))

    def test_audit_filters(self) -> None:
        fixtures = fixture_records("entra-audits")
        def expect(pred: Any) -> list[str]:
            return [r["id"] for r in sorted(fixtures, key=lambda r: (ps(r["activityDateTime"]), r["id"]), reverse=True)
                    if pred(r)]
        def user(r: dict[str, Any]) -> dict[str, Any]:
            return (r["initiatedBy"] or {}).get("user") or {}
        def app(r: dict[str, Any]) -> dict[str, Any]:
            return (r["initiatedBy"] or {}).get("app") or {}
        megan = "8f2e4d1a-6b3c-4e7f-9a10-2b3c4d5e6f70"
        self.assertEqual(self.ids(AUDITS, f"initiatedBy/user/id eq '{megan}'"), expect(lambda r: user(r).get("id") == megan))
        self.assertEqual(self.ids(AUDITS, "initiatedBy/user/userPrincipalName eq 'sean.o''brien@contoso.onmicrosoft.com'"),
                         expect(lambda r: user(r).get("userPrincipalName") == "sean.o'brien@contoso.onmicrosoft.com"))
        self.assertEqual(self.ids(AUDITS, "startswith(initiatedBy/user/userPrincipalName, 'SEAN')"),
                         expect(lambda r: (user(r).get("userPrincipalName") or "").startswith("sean")))
        self.assertEqual(self.ids(AUDITS, "initiatedBy/user/displayName eq '田中太郎'"),
                         expect(lambda r: user(r).get("displayName") == "田中太郎"))
        self.assertEqual(self.ids(AUDITS, "initiatedBy/app/displayName eq 'MS-PIM'"),
                         expect(lambda r: app(r).get("displayName") == "MS-PIM"))
        self.assertEqual(self.ids(AUDITS, "initiatedBy/app/appId eq 'cb1056e2-e479-49de-ae31-7812af012ed8'"),
                         expect(lambda r: app(r).get("appId") == "cb1056e2-e479-49de-ae31-7812af012ed8"))
        lifecycle = ("Add user", "Update user", "Delete user", "Hard Delete user")
        text = " or ".join(f"activityDisplayName eq '{a}'" for a in lifecycle)
        self.assertEqual(self.ids(AUDITS, f"activityDateTime ge 2024-05-14 and ({text})"),
                         expect(lambda r: r["activityDisplayName"] in lifecycle and r["activityDateTime"] >= "2024-05-14"))
        self.assertEqual(self.ids(AUDITS, "category eq 'GroupManagement' and not (result eq 'success')"),
                         expect(lambda r: r["category"] == "GroupManagement" and r["result"] != "success"))
        self.assertEqual(self.ids(AUDITS, "result eq 'failure'"), expect(lambda r: r["result"] == "failure"))
        self.assertEqual(self.ids(AUDITS, "loggedByService eq 'Self-service Password Management'"),
                         expect(lambda r: r["loggedByService"] == "Self-service Password Management"))
        target = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        self.assertEqual(self.ids(AUDITS, f"targetResources/any(t: t/id eq '{target}')"),
                         expect(lambda r: any(t["id"] == target for t in r["targetResources"])))
        self.assertEqual(self.ids(AUDITS, "targetResources/any(x: startswith(x/displayName, 'helpdesk'))"),
                         expect(lambda r: any((t["displayName"] or "").lower().startswith("helpdesk")
                                              for t in r["targetResources"])))
        corr = fixtures[0]["correlationId"]
        self.assertEqual(self.ids(AUDITS, f"correlationId eq {corr.upper()}"), expect(lambda r: r["correlationId"] == corr))
        self.assertEqual(self.ids(AUDITS, f"id eq '{fixtures[3]['id']}'"), [fixtures[3]["id"]])
        self.assertEqual(self.ids(AUDITS, "activityDisplayName eq 'No such activity'"), [])

    def test_signin_filters(self) -> None:
        fixtures = fixture_records("entra-signins")
        def expect(pred: Any) -> list[str]:
            return [r["id"] for r in sorted(fixtures, key=lambda r: (ps(r["createdDateTime"]), r["id"]), reverse=True)
                    if pred(r)]
        self.assertEqual(self.ids(SIGNINS, "status/errorCode eq 0"), expect(lambda r: r["status"]["errorCode"] == 0))
        self.assertEqual(self.ids(SIGNINS, "status/errorCode ne 0"), expect(lambda r: r["status"]["errorCode"] != 0))
        self.assertEqual(self.ids(SIGNINS, "status/errorCode eq 50126 or status/errorCode eq 50074"),
                         expect(lambda r: r["status"]["errorCode"] in (50126, 50074)))
        self.assertEqual(self.ids(SIGNINS, "startsWith(appDisplayName,'Microsoft')"),
                         expect(lambda r: r["appDisplayName"].startswith("Microsoft")))
        self.assertEqual(self.ids(SIGNINS, "userPrincipalName eq 'megan.bowen@contoso.onmicrosoft.com'"),
                         expect(lambda r: r["userPrincipalName"] == "megan.bowen@contoso.onmicrosoft.com"))
        self.assertEqual(self.ids(SIGNINS, "location/city eq 'Berlin' and isInteractive eq true"),
                         expect(lambda r: r["location"]["city"] == "Berlin" and r["isInteractive"]))
        self.assertEqual(self.ids(SIGNINS, "clientAppUsed eq 'IMAP4'"), expect(lambda r: r["clientAppUsed"] == "IMAP4"))
        self.assertEqual(self.ids(SIGNINS, "appId eq 'de8bc8b5-d9f9-48b1-a8ad-b748da725064' and createdDateTime le 2024-05-14T08:00:00.1234567Z"),
                         expect(lambda r: r["appId"] == "de8bc8b5-d9f9-48b1-a8ad-b748da725064"
                                and ps(r["createdDateTime"]) <= ps("2024-05-14T08:00:00.1234567Z")))
        self.assertEqual(self.ids(SIGNINS, "deviceDetail/isCompliant eq true"),
                         expect(lambda r: r["deviceDetail"]["isCompliant"] is True))

    def test_filter_errors(self) -> None:
        cases = [
            (AUDITS, "activityDateTime ge '2024-05-01T00:00:00Z'", "BadRequest", "incompatible types"),
            (AUDITS, "activityDateTime ge 2024-05-01T00:00:00 01:00", "BadRequest", "DateTimeOffset text"),
            (AUDITS, "createdDateTime ge 2024-05-01T00:00:00Z", "BadRequest", "Could not find a property named 'createdDateTime'"),
            (SIGNINS, "activityDateTime ge 2024-05-01T00:00:00Z", "BadRequest", "Could not find a property named"),
            (AUDITS, "activityDisplayName eq \"Add user\"", "BadRequest", "Invalid filter clause"),
            (AUDITS, "activityDisplayName EQ 'Add user'", "BadRequest", "Invalid filter clause"),
            (AUDITS, "(activityDisplayName eq 'Add user'", "BadRequest", "Invalid filter clause"),
            (AUDITS, "activityDisplayName eq 'Add user", "BadRequest", "unterminated string literal"),
            (AUDITS, "", "BadRequest", "Invalid filter clause"),
            (AUDITS, "resultReason eq 'OK'", "Request_UnsupportedQuery", "property 'resultReason' of resource 'directoryAudit'"),
            (SIGNINS, "contains(userPrincipalName, 'megan')", "Request_UnsupportedQuery", "userPrincipalName"),
            (SIGNINS, "signInEventTypes/any(t: t eq 'nonInteractiveUser')", "BadRequest", "signInEventTypes"),
        ]
        for path, text, code, message in cases:
            with self.subTest(text=text):
                self.assertGraphError(self.get(f"{path}?{q(filter=text)}"), 400, code, message)

    def test_query_option_errors(self) -> None:
        for path, query, code, message in [
                (SIGNINS, q(top=1001), "BadRequest", "The limit of '1000' for Top query has been exceeded. The value from "
                                                     "the incoming request is '1001'."),
                (AUDITS, q(top=5000), "BadRequest", "The limit of '1000' for Top query"),
                (AUDITS, q(top=-1), "BadRequest", "Invalid value '-1' for $top query option found."),
                (AUDITS, q(top="ten"), "BadRequest", "requires a non-negative integer value"),
                (AUDITS, "$top=5&$top=6", "BadRequest", "specified more than once"),
                (AUDITS, "$top=5&$TOP=6", "BadRequest", "specified more than once"),
                (AUDITS, q(skip=10), "BadRequest", "Query option 'Skip' is not allowed."),
                (SIGNINS, q(count="true"), "BadRequest", "Query option 'Count' is not allowed."),
                (SIGNINS, q(expand="x"), "BadRequest", "Query option 'Expand' is not allowed."),
                (SIGNINS, q(bogus="1"), "BadRequest", "The query parameter '$bogus' is not supported."),
                (AUDITS, q(orderby="createdDateTime desc"), "BadRequest", "Could not find a property named 'createdDateTime'"),
                (AUDITS, q(orderby="activityDisplayName"), "Request_UnsupportedQuery", "orderby clause"),
                (AUDITS, q(orderby="activityDateTime sideways"), "BadRequest", "Syntax error"),
                (AUDITS, q(orderby="activityDateTime,activityDateTime desc"), "BadRequest", "Duplicate property"),
                (SIGNINS, q(select="id,nope"), "BadRequest", "Could not find a property named 'nope' on type 'microsoft.graph.signIn'"),
                (AUDITS, q(skiptoken="not a token"), "BadRequest", "$skiptoken"),
                (AUDITS, q(skiptoken="eyJ4IjoxfQ"), "BadRequest", "$skiptoken")]:
            with self.subTest(query=query):
                self.assertGraphError(self.get(f"{path}?{query}"), 400, code, message)

    def test_option_names_are_case_insensitive_and_may_be_percent_encoded(self) -> None:
        text = "status/errorCode ne 0"
        expected = self.ids(SIGNINS, text)
        encoded = urllib.parse.quote(text, safe="")
        for query in [f"%24filter={encoded}", f"$Filter={encoded}", f"%24FILTER={encoded}&%24top=100"]:
            with self.subTest(query=query):
                reply = self.get(f"{SIGNINS}?{query}")
                self.assertEqual([r["id"] for r in reply.json()["value"]], expected)
        unfiltered = self.get(f"{SIGNINS}?filter={encoded}&top=1").json()["value"]  # no $: custom options, ignored
        self.assertEqual(len(unfiltered), len(fixture_records("entra-signins")))

    def test_skiptoken_is_bound_to_its_query(self) -> None:
        filter_text = "activityDateTime ge 2024-05-13T00:00:00Z"
        link = self.get(f"{AUDITS}?{q(filter=filter_text, top=3)}").json()["@odata.nextLink"]
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["$skiptoken"][0]
        self.assertEqual(len(self.get(f"{AUDITS}?{q(filter=filter_text, top=5, skiptoken=token)}").json()["value"]), 5)
        for params in [dict(filter="activityDateTime ge 2024-05-14T00:00:00Z"), dict(),
                       dict(filter=filter_text, orderby="activityDateTime asc")]:
            with self.subTest(params=params):
                self.assertGraphError(self.get(f"{AUDITS}?{q(**params, skiptoken=token)}"), 400, "BadRequest", "$skiptoken")
        self.assertGraphError(self.get(f"{SIGNINS}?{q(filter=filter_text.replace('activity', 'created'), skiptoken=token)}"),
                              400, "BadRequest", "$skiptoken")

    def test_select(self) -> None:
        page = self.get(f"{SIGNINS}?{q(select='createdDateTime,ID,status', top=2)}").json()
        self.assertEqual(page["@odata.context"],
                         "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns(createdDateTime,id,status)")
        self.assertEqual([set(r) for r in page["value"]], [{"id", "createdDateTime", "status"}] * 2)
        self.assertIn("$select=createdDateTime%2CID%2Cstatus", page["@odata.nextLink"])
        second = http(page["@odata.nextLink"], headers=AUTH).json()
        self.assertEqual(set(second["value"][0]), {"id", "createdDateTime", "status"})

    def test_get_one(self) -> None:
        for path, (provider, _) in STREAMS.items():
            record = fixture_records(provider)[4]
            with self.subTest(path=path):
                reply = self.get(f"{path}/{urllib.parse.quote(record['id'], safe='')}")
                self.assertEqual(reply.status, 200, reply.body)
                body = reply.json()
                segment = path.rsplit("/", 1)[1]
                self.assertEqual(body.pop("@odata.context"),
                                 f"https://graph.microsoft.com/v1.0/$metadata#auditLogs/{segment}/$entity")
                self.assertEqual(body, record)
                self.assertGraphError(self.get(f"{path}/no-such-id"), 404, "Request_ResourceNotFound",
                                      "Resource 'no-such-id' does not exist or one of its queried reference-property "
                                      "objects are not present.")
        record = fixture_records("entra-audits")[0]
        body = self.get(f"{AUDITS.lower()}/{record['id']}?{q(select='activityDisplayName')}").json()
        self.assertEqual(body, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits"
                                                  "(activityDisplayName)/$entity",
                                "activityDisplayName": record["activityDisplayName"]})
        self.assertGraphError(self.get(f"{AUDITS}/{record['id']}?{q(top=1)}"), 400, "BadRequest", "'Top' is not allowed")

    def test_authentication(self) -> None:
        for headers, message in [(None, "Access token is empty."), ({"Authorization": "Bearer"}, "Access token is empty."),
                                 ({"Authorization": f"Basic {TOKEN}"}, "Access token is empty."),
                                 ({"Authorization": "Bearer nope"}, "IDX14100: JWT is not well formed"),
                                 ({"Authorization": "Bearer a.b.c"}, "Access token validation failure.")]:
            for path in (AUDITS, SIGNINS, f"{AUDITS}/x", "/v1.0/me"):
                with self.subTest(headers=headers, path=path):
                    reply = self.get(path, headers)
                    self.assertGraphError(reply, 401, "InvalidAuthenticationToken", message)
                    self.assertIn('Bearer realm=""', reply.headers["WWW-Authenticate"])
        self.assertEqual(self.get(AUDITS, {"Authorization": f"bearer {TOKEN}"}).status, 200)

    def test_paths_and_methods(self) -> None:
        self.assertEqual(self.get("/v1.0/auditlogs/signins").status, 200)  # segments are case-insensitive
        for method in ("POST", "DELETE", "PATCH"):
            with self.subTest(method=method):
                reply = http(self.emu.url + SIGNINS, method, AUTH, b"{}" if method != "DELETE" else None)
                self.assertGraphError(reply, 405, "Request_BadRequest")
                self.assertEqual(reply.headers["Allow"], "GET")
        self.assertGraphError(self.get("/v1.0/auditLogs/provisioning"), 400, "BadRequest",
                              "Resource not found for the segment 'provisioning'.")
        self.assertGraphError(self.get("/v1.0/users"), 400, "BadRequest", "segment 'users'")
        self.assertGraphError(self.get(f"{AUDITS}/x/y"), 400, "BadRequest", "segment 'y'")

    def test_records_added_while_paging(self) -> None:
        template = fixture_records("entra-audits")[0]
        def record(n: int, when: str) -> dict[str, Any]:
            return {**template, "id": f"Directory_new_{n}", "activityDateTime": when}
        # newest first: a record newer than the walk's position waits for the next poll; an older one shows up
        first = self.get(f"{AUDITS}?{q(top=5)}").json()
        self.emu.add_activities("entra-audits", [record(1, "2024-05-18T00:00:00.0000001Z"),
                                                 record(2, "2024-05-13T00:00:00.5Z")])
        rest = self.walk_link(first["@odata.nextLink"])
        ids = [r["id"] for r in first["value"] + rest]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertNotIn("Directory_new_1", ids)
        self.assertIn("Directory_new_2", ids)
        self.assertEqual(self.get(f"{AUDITS}?{q(top=1)}").json()["value"][0]["id"], "Directory_new_1")
        # oldest first: records after the position appear on later pages, never twice
        self.emu.reset()
        first = self.get(f"{AUDITS}?{q(top=5, orderby='activityDateTime asc')}").json()
        self.emu.add_activities("entra-audits", [record(3, "2024-05-20T00:00:00Z"), record(4, "2024-05-01T00:00:00Z")])
        rest = self.walk_link(first["@odata.nextLink"])
        ids = [r["id"] for r in first["value"] + rest]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(ids[-1], "Directory_new_3")
        self.assertNotIn("Directory_new_4", ids)

    def test_control_api_validates_added_records(self) -> None:
        record = fixture_records("entra-signins")[0]
        for bad in [{**record, "id": "n1", "createdDateTime": "2024-05-14 10:00:00"}, {**record, "id": ""}, record,
                    {"id": "n2"}]:
            with self.subTest(bad=bad), self.assertRaises(RuntimeError):
                self.emu.add_activities("entra-signins", [bad])
        self.emu.add_activities("entra-signins", [{**record, "id": "n3", "createdDateTime": "2024-05-14T12:00:00+02:00"}])
        self.assertEqual(self.get(f"{SIGNINS}/n3").json()["createdDateTime"], "2024-05-14T12:00:00+02:00")
        self.assertEqual(len(self.emu.control("GET", "activities/entra-signins")), len(fixture_records("entra-signins")) + 1)

    def walk_link(self, link: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while link:
            page = http(link, headers=AUTH).json()
            records += page["value"]
            link = page.get("@odata.nextLink")
        return records

    def test_throttling_fault_uses_graph_body_and_retry_after(self) -> None:
        self.emu.faults({"path": "/auditLogs/", "kind": "status", "status": 429},
                        {"path": "/auditLogs/", "kind": "status", "status": 503})
        reply = self.get(SIGNINS)
        self.assertGraphError(reply, 429, "TooManyRequests", "Too many requests. Please try again later.")
        self.assertEqual(reply.headers["Retry-After"], "1")
        self.assertGraphError(self.get(AUDITS), 503, "serviceNotAvailable")
        self.assertEqual(self.get(AUDITS).status, 200)

    def test_fixture_content(self) -> None:
        audits, signins = fixture_records("entra-audits"), fixture_records("entra-signins")
        for records, field in ((audits, "activityDateTime"), (signins, "createdDateTime")):
            self.assertTrue(30 <= len(records) <= 60)
            self.assertEqual(len({r["id"] for r in records}), len(records))
            stamps = [r[field] for r in records]
            self.assertLess(len(set(stamps)), len(stamps))  # ties
            self.assertTrue(all("2024-05-01" <= s < "2024-06-01" for s in stamps))
            self.assertTrue(any(len(s) == len("2024-05-14T10:01:19.5796748Z") for s in stamps))
            self.assertTrue(any(len(s) < len("2024-05-14T10:01:19.5796748Z") for s in stamps))
            self.assertGreaterEqual(len({s[:10] for s in stamps}), 4)
            text = "\n".join(strings(records))
            for needle in ["\u001b[31m", "\u001b]0;", "\u0007", "\r", "\u202e", "=HYPERLINK(", "'", '"']:
                self.assertIn(needle, text)
            self.assertTrue(any(ord(c) > 0x3000 for c in text), "CJK")
            self.assertTrue(any(ord(c) > 0xFFFF for c in text), "emoji")
            self.assertGreater(max(len(t) for t in strings(records)), 2000)
        activities = {r["activityDisplayName"] for r in audits}
        for name in ["Add user", "Update user", "Delete user", "Hard Delete user", "Add member to group"]:
            self.assertIn(name, activities)
        self.assertTrue(any(r["initiatedBy"]["app"] and not r["initiatedBy"]["user"] for r in audits))
        self.assertGreaterEqual(len({(r["initiatedBy"]["user"] or {}).get("id") for r in audits}), 5)
        self.assertTrue(any(r["result"] == "failure" for r in audits))
        codes = {r["status"]["errorCode"] for r in signins}
        self.assertTrue({0, 50126, 50074} <= codes)
        self.assertGreaterEqual(len({r["userId"] for r in signins}), 5)


class EntraRateLimitTest(EntraCase):
    emulator_args = ("--entra-rate-limit",)

    def test_five_requests_per_ten_seconds_per_tenant(self) -> None:
        statuses = [self.get(path).status for path in (AUDITS, SIGNINS, AUDITS, f"{SIGNINS}/x", AUDITS)]
        self.assertEqual(statuses, [200, 200, 200, 404, 200])
        self.assertEqual(self.token_request().status, 200)  # the token endpoint is not a reporting API
        reply = self.get(SIGNINS)  # the budget is shared by both resources
        self.assertGraphError(reply, 429, "TooManyRequests")
        self.assertIn(int(reply.headers["Retry-After"]), range(1, 11))
        self.assertEqual(self.get(AUDITS, None).status, 401)  # authentication comes first
        self.emu.reset()  # a reset forgets the window
        self.assertEqual(self.get(AUDITS).status, 200)


class EntraGenerateTest(EntraCase):
    emulator_args = ("--generate", "2500")

    def test_generated_volume_pages_completely(self) -> None:
        for path, (provider, field) in STREAMS.items():
            with self.subTest(path=path):
                records = self.walk(path, 1000, filter=f"{field} ge 2024-06-01T00:00:00Z")
                self.assertEqual(len({r["id"] for r in records}), 2500)
                self.assertRegex(records[0][field], r"^2024-06-30T23:\d\d:\d\d\.\d{7}Z$")
                self.assertLess(records[0][field], harness.GENERATE_ANCHOR)
                window = self.walk(path, 7, filter=f"{field} ge 2024-06-30T23:00:00Z and {field} lt 2024-06-30T23:30:00Z")
                self.assertEqual(len(window), len([r for r in records if "2024-06-30T23:00" <= r[field] < "2024-06-30T23:30"]))


if __name__ == "__main__":
    unittest.main()
