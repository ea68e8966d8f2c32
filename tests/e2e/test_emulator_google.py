"""The Google Workspace emulator (tests/emulator/google.py, google_filter.py) behaves like Google's
OAuth 2.0 token endpoint for service accounts (JWT bearer grant, RS256 verified) and the Admin SDK
Reports API's activities.list: status codes, error bodies, page tokens, filters and ordering."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path
from typing import Any

import harness
from harness import (GOOGLE_ADMIN, GOOGLE_ADMIN_ID, GOOGLE_CUSTOMER_ID, GOOGLE_KEY_FILE, GOOGLE_SCOPE,
                     GOOGLE_SERVICE_ACCOUNT, GOOGLE_USER, TOKEN, Emulator, Reply, fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import google_filter  # noqa: E402
from common import parse_time  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/admin/reports/v1/activity/users"
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
FIXTURES = fixture_records("google-workspace")
KEY = json.loads(GOOGLE_KEY_FILE.read_text(encoding="utf-8"))
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
USAGE_SCOPE = "https://www.googleapis.com/auth/admin.reports.usage.readonly"


def path(app: str = "login", user: str = "all", **params: Any) -> str:
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return f"{BASE}/{urllib.parse.quote(user, safe='@')}/applications/{app}" + (f"?{query}" if query else "")


def key_of(rec: dict[str, Any]) -> tuple[int, int]:
    return parse_time(rec["id"]["time"]), int(rec["id"]["uniqueQualifier"])


def fixtures_of(app: str) -> list[dict[str, Any]]:
    """One application's fixtures, newest first, as the API orders them."""
    return sorted((r for r in FIXTURES if r["id"]["applicationName"] == app), key=key_of, reverse=True)


def qualifiers(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"]["uniqueQualifier"] for r in records]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """Signs JWTs with a PEM private key through the openssl CLI, as auditfetch does."""

    def __init__(self, pem: str):
        self._dir = tempfile.TemporaryDirectory(prefix="google-jwt-")
        self.key = Path(self._dir.name) / "key.pem"
        self.key.write_text(pem, encoding="utf-8")

    def jwt(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        head = header if header is not None else {"alg": "RS256", "typ": "JWT", "kid": KEY["private_key_id"]}
        signing_input = f"{b64(json.dumps(head).encode())}.{b64(json.dumps(claims).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)], input=signing_input.encode(),
                                   capture_output=True, check=True).stdout
        return f"{signing_input}.{b64(signature)}"

    def close(self) -> None:
        self._dir.cleanup()


def other_key() -> str:
    return subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                          capture_output=True, check=True, text=True).stdout


# =========================================================================== the filters parser


class GoogleFilterTest(unittest.TestCase):
    def test_terms_and_operators(self) -> None:
        terms = google_filter.parse("doc_id==12345,doc_title<>a b,size<=10,size>=2,x<y,x>y")
        self.assertEqual([(t.name, t.op, t.value) for t in terms],
                         [("doc_id", "==", "12345"), ("doc_title", "<>", "a b"), ("size", ">=", "2"), ("x", ">", "y")])

    def test_a_repeated_parameter_keeps_its_last_value(self) -> None:
        self.assertEqual(google_filter.parse("a==1,b==2,a==3"), [google_filter.Term("b", "==", "2"),
                                                                  google_filter.Term("a", "==", "3")])

    def test_refusals_quote_the_discovery_pattern(self) -> None:
        for text in ("doc_id", "doc_id==", "==x", "a=b", "a==1,", ",a==1", "a==1,,b==2", "a b==1", "a!=1"):
            with self.subTest(text=text):
                with self.assertRaises(google_filter.FilterError) as caught:
                    google_filter.parse(text)
                self.assertEqual(str(caught.exception), f"Invalid value '{text}'. Values must match the following "
                                 f"regular expression: '{google_filter.PATTERN}'")

    def test_evaluation(self) -> None:
        event = {"name": "edit", "parameters": [
            {"name": "doc_id", "value": "abc"}, {"name": "size", "intValue": "120"},
            {"name": "primary_event", "boolValue": True}, {"name": "scope", "multiValue": ["a", "b"]},
            {"name": "ids", "multiIntValue": ["3", "9"]}, {"name": "nested", "messageValue": {"parameter": []}}]}

        def ok(text: str) -> bool:
            return google_filter.matches(google_filter.parse(text), event)

        self.assertTrue(ok("doc_id==abc") and ok("doc_id<>abd") and ok("doc_id<abd") and ok("doc_id>=abc"))
        self.assertFalse(ok("doc_id==ABC") or ok("doc_id<>abc"))
        self.assertTrue(ok("size==120") and ok("size>99") and ok("size<=120") and not ok("size<100"))
        self.assertFalse(ok("size==x"))
        self.assertTrue(ok("primary_event==true") and ok("primary_event==TRUE") and ok("primary_event<>false"))
        self.assertFalse(ok("primary_event>false") or ok("primary_event==yes"))
        self.assertTrue(ok("scope==b") and ok("scope<>c") and not ok("scope<>a"))
        self.assertTrue(ok("ids==9") and ok("ids>8") and not ok("ids<>3"))
        self.assertFalse(ok("nested==x"))
        self.assertFalse(ok("missing==x") or ok("missing<>x"), "a parameter the event lacks never matches")
        self.assertTrue(ok("doc_id==abc,size>100") and not ok("doc_id==abc,size>200"))


# =========================================================================== the emulator


class GoogleCase(harness.EmulatorTestCase):
    signer: Signer

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.signer = Signer(KEY["private_key"])

    @classmethod
    def tearDownClass(cls) -> None:
        cls.signer.close()
        super().tearDownClass()

    def get(self, target: str, headers: dict[str, str] | None = None) -> Reply:
        return http(self.emu.url + target, headers=AUTH if headers is None else headers)

    def ok(self, target: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        reply = self.get(target, headers)
        self.assertEqual(reply.status, 200, reply.body.decode(errors="replace"))
        return reply.json()

    def google_error(self, reply: Reply, status: int, reason: str, message: str | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body.decode(errors="replace"))
        self.assertTrue(reply.headers["Content-Type"].startswith("application/json"))
        error = reply.json()["error"]
        self.assertEqual(error["code"], status)
        self.assertEqual(error["errors"][0]["reason"], reason)
        self.assertEqual(error["errors"][0]["domain"], "global")
        self.assertIn(error["status"], {400: ["INVALID_ARGUMENT"], 401: ["UNAUTHENTICATED"],
                                        403: ["PERMISSION_DENIED"], 429: ["RESOURCE_EXHAUSTED"],
                                        500: ["INTERNAL"], 503: ["UNAVAILABLE"]}[status])
        if message is not None:
            self.assertEqual(error["message"], message)
        return error

    def all_pages(self, target: str) -> tuple[list[dict[str, Any]], int]:
        items: list[dict[str, Any]] = []
        pages = 0
        body = self.ok(target)
        while True:
            pages += 1
            items += body.get("items", [])
            if "nextPageToken" not in body:
                return items, pages
            sep = "&" if "?" in target else "?"
            body = self.ok(f"{target}{sep}pageToken={urllib.parse.quote(body['nextPageToken'])}")

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": GOOGLE_SERVICE_ACCOUNT, "sub": GOOGLE_ADMIN, "scope": GOOGLE_SCOPE,
                  "aud": self.emu.url + "/token", "iat": now, "exp": now + 3600}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def exchange(self, assertion: str, grant: str = JWT_BEARER) -> Reply:
        body = urllib.parse.urlencode({"grant_type": grant, "assertion": assertion}).encode()
        return http(self.emu.url + "/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"}, body)

    def access_token(self, **overrides: Any) -> str:
        reply = self.exchange(self.signer.jwt(self.claims(**overrides)))
        self.assertEqual(reply.status, 200, reply.body)
        return reply.json()["access_token"]


class GoogleTokenTest(GoogleCase):
    def test_jwt_bearer_grant(self) -> None:
        reply = self.exchange(self.signer.jwt(self.claims()))
        self.assertEqual(reply.status, 200, reply.body)
        body = reply.json()
        self.assertEqual(set(body), {"access_token", "expires_in", "token_type"})
        self.assertEqual((body["expires_in"], body["token_type"]), (3599, "Bearer"))
        self.assertIn("no-store", reply.headers["Cache-Control"])
        items = self.ok(path("admin", maxResults=1), {"Authorization": f"Bearer {body['access_token']}"})["items"]
        self.assertEqual(len(items), 1)
        # the key file's token_uri is Google's; tests point it at the emulator
        self.assertEqual(KEY["token_uri"], "https://oauth2.googleapis.com/token")
        self.assertEqual((KEY["type"], KEY["client_email"]), ("service_account", GOOGLE_SERVICE_ACCOUNT))
        self.assertTrue(KEY["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n"))

    def test_header_variants(self) -> None:
        plain = self.signer.jwt(self.claims(), {"alg": "RS256", "typ": "JWT"})  # kid is optional
        self.assertEqual(self.exchange(plain).status, 200)
        with_scopes = self.signer.jwt(self.claims(scope=f"{GOOGLE_SCOPE} {USAGE_SCOPE}"))
        self.assertEqual(self.exchange(with_scopes).status, 200)

    def test_refusals(self) -> None:
        now = int(time.time())
        signature = ("invalid_grant", "Invalid JWT Signature.")
        short = ("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                                  "timeframe. Check your iat and exp values in the JWT claim.")
        jwt = self.signer.jwt
        cases = {
            "wrong alg": (jwt(self.claims(), {"alg": "RS512", "typ": "JWT"}), 400, signature),
            "wrong typ": (jwt(self.claims(), {"alg": "RS256", "typ": "JOSE+JSON"}), 400, signature),
            "unknown kid": (jwt(self.claims(), {"alg": "RS256", "typ": "JWT", "kid": "0" * 40}), 400, signature),
            "tampered claims": (jwt(self.claims()).split(".")[0] + "." + b64(json.dumps(self.claims(sub="secops@example.com")).encode())
                                + "." + jwt(self.claims()).split(".")[2], 400, signature),
            "unknown account": (jwt(self.claims(iss="someone@else.iam.gserviceaccount.com")), 400,
                                ("invalid_grant", "Invalid grant: account not found")),
            "Google's audience": (jwt(self.claims(aud="https://oauth2.googleapis.com/token")), 400,
                                  ("invalid_grant", "Invalid JWT: Failed audience check.")),
            "expired": (jwt(self.claims(iat=now - 4000, exp=now - 400)), 400, short),
            "too long": (jwt(self.claims(exp=now + 3700)), 400, short),
            "issued in the future": (jwt(self.claims(iat=now + 900, exp=now + 1800)), 400, short),
            "no exp": (jwt(self.claims(exp=None)), 400, short),
            "no scope": (jwt(self.claims(scope=None)), 400,
                         ("invalid_scope", "Invalid OAuth scope or ID token audience provided.")),
            "undelegated scope": (jwt(self.claims(scope=f"{GOOGLE_SCOPE} https://www.googleapis.com/auth/gmail.readonly")),
                                  401, ("unauthorized_client", "Client is unauthorized to retrieve access tokens using "
                                        "this method, or client not authorized for any of the scopes requested.")),
            "unknown subject": (jwt(self.claims(sub="nobody@example.com")), 400,
                                ("invalid_grant", "Invalid email or User ID")),
            "deleted subject": (jwt(self.claims(sub="dave@example.com")), 400,
                                ("invalid_grant", "Invalid email or User ID")),
            "not a JWT": ("abc.def", 400, ("invalid_grant", "Invalid JWT: the assertion is not a compact JWS.")),
        }
        for name, (assertion, status, (error, description)) in cases.items():
            with self.subTest(name):
                reply = self.exchange(assertion)
                self.assertEqual(reply.status, status, reply.body)
                self.assertEqual(reply.json(), {"error": error, "error_description": description})

    def test_a_key_the_emulator_does_not_know(self) -> None:
        stranger = Signer(other_key())
        try:
            reply = self.exchange(stranger.jwt(self.claims()))
        finally:
            stranger.close()
        self.assertEqual((reply.status, reply.json()["error_description"]), (400, "Invalid JWT Signature."))

    def test_request_errors(self) -> None:
        reply = self.exchange(self.signer.jwt(self.claims()), grant="client_credentials")
        self.assertEqual((reply.status, reply.json()), (400, {"error": "unsupported_grant_type",
                                                              "error_description": "Invalid grant_type: client_credentials"}))
        reply = http(self.emu.url + "/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"},
                     f"grant_type={urllib.parse.quote(JWT_BEARER)}".encode())
        self.assertEqual(reply.json()["error_description"], "Missing required parameter: assertion")
        reply = http(self.emu.url + "/token", "POST", {"Content-Type": "application/json"}, b'{"grant_type":"x"}')
        self.assertEqual((reply.status, reply.json()["error"]), (400, "invalid_request"))
        reply = http(self.emu.url + "/token")
        self.assertEqual((reply.status, reply.headers["Allow"]), (405, "POST"))

    def test_impersonation_and_scope_decide_api_access(self) -> None:
        admin = self.access_token()
        self.ok(path(), {"Authorization": f"Bearer {admin}"})
        secops = self.access_token(sub="secops@example.com")
        self.ok(path(), {"Authorization": f"Bearer {secops}"})
        user = self.access_token(sub=GOOGLE_USER)
        self.google_error(self.get(path(), {"Authorization": f"Bearer {user}"}), 403, "forbidden",
                          "Not Authorized to access this resource/api")
        no_subject = self.access_token(sub=None)
        self.google_error(self.get(path(), {"Authorization": f"Bearer {no_subject}"}), 403, "forbidden")
        usage_only = self.access_token(scope=USAGE_SCOPE)
        reply = self.get(path(), {"Authorization": f"Bearer {usage_only}"})
        error = self.google_error(reply, 403, "insufficientPermissions", "Request had insufficient authentication scopes.")
        self.assertEqual(error["details"][0]["reason"], "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
        self.assertIn('error="insufficient_scope"', reply.headers["WWW-Authenticate"])

    def test_issued_tokens_expire_and_belong_to_google(self) -> None:
        token = self.access_token()
        self.emu.expire_tokens()
        error = self.google_error(self.get(path(), {"Authorization": f"Bearer {token}"}), 401, "authError")
        self.assertEqual(error["details"][0]["reason"], "ACCESS_TOKEN_EXPIRED")
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": harness.CLIENT_ID,
                                       "client_secret": harness.CLIENT_SECRET}).encode()
        other = http(self.emu.url + "/oauth/token", "POST", {"Content-Type": "application/x-www-form-urlencoded"}, form)
        self.assertEqual(other.status, 200, other.body)
        self.google_error(self.get(path(), {"Authorization": f"Bearer {other.json()['access_token']}"}), 401, "authError")

    def test_token_faults_use_the_oauth_shape(self) -> None:
        self.emu.faults({"path": "^/token$", "kind": "status", "status": 503},
                        {"path": "^/token$", "kind": "status", "status": 400})
        first = self.exchange(self.signer.jwt(self.claims()))
        self.assertEqual((first.status, first.json()["error"]), (503, "internal_failure"))
        second = self.exchange(self.signer.jwt(self.claims()))
        self.assertEqual((second.status, second.json()["error"]), (400, "invalid_grant"))


class GoogleTokenLifetimeTest(GoogleCase):
    emulator_args = ("--token-lifetime", "1")

    def test_token_expires_after_lifetime(self) -> None:
        reply = self.exchange(self.signer.jwt(self.claims()))
        self.assertEqual(reply.json()["expires_in"], 1)
        time.sleep(1.2)
        self.google_error(self.get(path(), {"Authorization": f"Bearer {reply.json()['access_token']}"}), 401, "authError")


class GoogleActivitiesTest(GoogleCase):
    def test_every_fixture_once_newest_first_for_every_page_size(self) -> None:
        for app in ("login", "admin", "token", "saml", "drive", "groups"):
            expected = qualifiers(fixtures_of(app))
            for size in (1, 2, 3, 7, 1000):
                with self.subTest(app=app, size=size):
                    items, pages = self.all_pages(path(app, startTime=SINCE, endTime=UNTIL, maxResults=size))
                    self.assertEqual(qualifiers(items), expected)
                    self.assertEqual(pages, max(1, -(-len(expected) // size)))

    def test_page_shape(self) -> None:
        reply = self.get(path(maxResults=2))
        self.assertEqual(reply.headers["Content-Type"], "application/json; charset=UTF-8")
        self.assertTrue(reply.body.startswith(b'{\n  "kind": "admin#reports#activities",\n'), reply.body[:80])
        body = reply.json()
        self.assertEqual(list(body), ["kind", "etag", "items", "nextPageToken"])
        self.assertRegex(body["etag"], r'^"[A-Za-z0-9_-]+"$')
        for item in body["items"]:
            self.assertEqual(item["kind"], "admin#reports#activity")
            self.assertEqual(set(item["id"]), {"time", "uniqueQualifier", "applicationName", "customerId"})
            self.assertEqual(item["id"]["customerId"], GOOGLE_CUSTOMER_ID)
        compact = self.get(path(maxResults=2, prettyPrint="false"))
        self.assertEqual(compact.json()["items"], body["items"])
        self.assertTrue(compact.body.startswith(b'{"kind":"admin#reports#activities","etag":'))

    def test_an_empty_page_has_no_items_key(self) -> None:
        body = self.ok(path("login", startTime="2024-04-01T00:00:00Z", endTime="2024-04-02T00:00:00Z"))
        self.assertEqual(set(body), {"kind", "etag"})
        body = self.ok(path("calendar"))
        self.assertEqual(set(body), {"kind", "etag"})

    def test_time_bounds_are_inclusive(self) -> None:
        first, last = "2024-05-01T00:00:00.000Z", "2024-05-31T23:59:59.999Z"
        both = qualifiers(self.ok(path(startTime=first, endTime=last))["items"])
        self.assertEqual(both, qualifiers(fixtures_of("login")))
        inner = qualifiers(self.ok(path(startTime="2024-05-01T00:00:00.001Z", endTime="2024-05-31T23:59:59.998Z"))["items"])
        self.assertEqual(inner, both[1:-1])
        # a bound with more digits than milliseconds, and an offset
        items = self.ok(path(startTime="2024-05-31T23:59:59.999000001Z"))
        self.assertNotIn("items", items)
        items = self.ok(path(startTime="2024-05-31T16:59:59.999-07:00"))["items"]
        self.assertEqual([i["id"]["time"] for i in items], [last])

    def test_default_end_is_now_and_start_must_be_in_the_past(self) -> None:
        self.assertEqual(len(self.ok(path())["items"]), len(fixtures_of("login")))
        future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        time_range = ("Invalid request: Start time and end time should be within last 180 days. Start time should be "
                      "less than end time.")
        self.google_error(self.get(path(startTime=future)), 400, "invalid", time_range)
        self.google_error(self.get(path(startTime=UNTIL, endTime=SINCE)), 400, "invalid", time_range)
        self.google_error(self.get(path(startTime=SINCE, endTime=SINCE)), 400, "invalid", time_range)
        later = self.ok(path(endTime=future))  # an end in the future is fine
        self.assertEqual(len(later["items"]), len(fixtures_of("login")))

    def test_parameter_errors(self) -> None:
        time_pattern = (r"(\d\d\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:(Z)|([-+])(\d\d):(\d\d))")
        cases = {
            path("calendarz"): None,
            path(maxResults=0): "Invalid value '0'. Values must be within the range: [1, 1000]",
            path(maxResults=1001): "Invalid value '1001'. Values must be within the range: [1, 1000]",
            path(maxResults="ten"): "Invalid int32 value: 'ten'.",
            path(startTime="2024-05-01"): f"Invalid value '2024-05-01'. Values must match the following regular "
                                          f"expression: '{time_pattern}'",
            path(endTime="2024-05-01t00:00:00z"): None,
            path(startTime="2024-13-01T00:00:00Z"): None,
            path(customerId="D12345"): "Invalid value 'D12345'. Values must match the following regular expression: "
                                       "'C.+|my_customer'",
            path(orgUnitID="03ph8a2z"): None,
            path(groupIdFilter="id:abc,xyz"): None,
            path(filters="doc_id=1"): None,
            path(prettyPrint="maybe"): "Invalid boolean value: 'maybe'.",
            path("gmail", startTime=SINCE): None,
            path("gmail", startTime=SINCE, endTime="2024-06-15T00:00:00Z"): None,
        }
        for target, message in cases.items():
            with self.subTest(target=target):
                self.google_error(self.get(target), 400, "invalid", message)
        self.assertIn("(login)|(meet)", self.get(path("calendarz")).json()["error"]["message"])
        self.ok(path("gmail", startTime=SINCE, endTime="2024-05-30T00:00:00Z"))

    def test_user_key(self) -> None:
        alice = [r for r in fixtures_of("login") if r["actor"].get("email") == "alice@example.com"]
        self.assertGreaterEqual(len(alice), 3)
        for key in ("alice@example.com", "Alice@Example.com", "102837465019283746501"):
            with self.subTest(key=key):
                self.assertEqual(qualifiers(self.ok(path(user=key))["items"]), qualifiers(alice))
        admin = self.ok(path("admin", user=GOOGLE_ADMIN_ID))["items"]
        self.assertTrue(admin and all(i["actor"]["email"] == GOOGLE_ADMIN for i in admin))
        # a deleted user only by profile ID; an unknown one is a Bad Request
        dave = self.ok(path(user="105564829301928374650"))["items"]
        self.assertEqual({i["actor"]["email"] for i in dave}, {"dave@example.com"})
        for key in ("dave@example.com", "nobody@example.com", "999"):
            with self.subTest(key=key):
                self.google_error(self.get(path(user=key)), 400, "badRequest", "Bad Request")

    def test_event_name_and_filters(self) -> None:
        def names(target: str) -> list[list[str]]:
            return [[e["name"] for e in i["events"]] for i in self.ok(target).get("items", [])]

        failures = [r for r in fixtures_of("login") if any(e["name"] == "login_failure" for e in r["events"])]
        self.assertEqual(qualifiers(self.ok(path(eventName="login_failure"))["items"]), qualifiers(failures))
        # the whole activity comes back, with all its events
        self.assertIn(["login_verification", "login_success"], names(path(eventName="login_success")))
        self.assertIn(["CREATE_USER", "ADD_GROUP_MEMBER"], names(path("admin", eventName="ADD_GROUP_MEMBER")))
        created = self.ok(path("admin", eventName="CREATE_USER", filters="USER_EMAIL==dave@example.com"))["items"]
        self.assertEqual(len(created), 1)
        others = self.ok(path("admin", eventName="CREATE_USER", filters="USER_EMAIL<>dave@example.com"))["items"]
        self.assertEqual([i["events"][0]["parameters"][0]["value"] for i in others], ["grace@example.com"])
        suspicious = self.ok(path(filters="is_suspicious==true"))["items"]
        self.assertEqual({i["ipAddress"] for i in suspicious}, {"192.0.2.66", "192.0.2.201"})
        both = self.ok(path(eventName="login_success", filters="login_type==saml"))["items"]
        self.assertEqual([i["actor"]["email"] for i in both], ["dave@example.com"])
        self.assertEqual(names(path(eventName="login_success", filters="no_such_param==1")), [])
        self.assertEqual(names(path(eventName="no_such_event")), [])
        self.assertEqual(len(self.ok(path("drive", filters="file_size>48000"))["items"]), 1)

    def test_actor_ip_customer_org_unit_and_groups(self) -> None:
        by_ip = self.ok(path(actorIpAddress="198.51.100.23"))["items"]
        self.assertTrue(by_ip and all(i["actor"]["email"] == "bob@example.com" for i in by_ip))
        v6 = self.ok(path(actorIpAddress="2001:DB8:85A3:0:0:8A2E:370:7334"))["items"]
        self.assertEqual({i["actor"]["email"] for i in v6}, {GOOGLE_ADMIN})
        everything = self.ok(path())["items"]
        self.assertEqual(self.ok(path(customerId=GOOGLE_CUSTOMER_ID))["items"], everything)
        self.assertEqual(self.ok(path(customerId="my_customer"))["items"], everything)
        self.google_error(self.get(path(customerId="C0other42")), 403, "forbidden")
        sales = self.ok(path(orgUnitID="id:03ph8a2z3vb5gxr"))["items"]
        self.assertEqual({i["actor"]["email"] for i in sales}, {"bob@example.com", "erin@example.com", "frank@example.com"})
        engineering = self.ok(path(groupIdFilter="id:01baon6m1lk9e3r"))["items"]
        self.assertEqual({i["actor"]["email"] for i in engineering},
                         {"alice@example.com", "carol@example.com", "dave@example.com"})

    def test_ties_split_across_pages(self) -> None:
        tie = "2024-05-09T02:13:55.501Z"
        tied = [r for r in fixtures_of("login") if r["id"]["time"] == tie]
        self.assertEqual(len(tied), 2)
        items, pages = self.all_pages(path(startTime=tie, endTime=tie.replace(".501", ".502"), maxResults=1))
        self.assertEqual((qualifiers(items), pages), (qualifiers(tied), 2))

    def test_page_token_is_bound_to_its_query(self) -> None:
        first = self.ok(path(startTime=SINCE, endTime=UNTIL, maxResults=3))
        token = first["nextPageToken"]
        following = self.ok(path(startTime=SINCE, endTime=UNTIL, maxResults=5, pageToken=token))  # page size may change
        self.assertEqual(len(following["items"]), 5)
        message = "Invalid value for pageToken: it is malformed or was issued for another query."
        for target in (path(startTime=SINCE, maxResults=3, pageToken=token),
                       path(startTime=SINCE, endTime=UNTIL, eventName="logout", pageToken=token),
                       path("admin", startTime=SINCE, endTime=UNTIL, pageToken=token),
                       path(user="alice@example.com", startTime=SINCE, endTime=UNTIL, pageToken=token),
                       path(startTime=SINCE, endTime=UNTIL, pageToken=token[:-2]),
                       path(startTime=SINCE, endTime=UNTIL, pageToken="")):
            with self.subTest(target=target):
                self.google_error(self.get(target), 400, "invalid", message)

    def test_records_added_while_paging(self) -> None:
        first = self.ok(path(maxResults=5))
        top = fixtures_of("login")[0]
        self.assertEqual(top["id"]["time"], "2024-05-31T23:59:59.999Z")
        tied = self.record(top["id"]["time"], "77")  # ties the newest fixture and sorts just after it: above the cursor
        newest = self.record("2024-06-01T12:00:00.000Z", "78")
        older = self.record("2024-05-01T00:00:00.000Z", "-9223372036854775807")  # ties the oldest, sorts after it
        self.emu.add_activities("google-workspace", [tied, newest, older])
        items = first["items"]
        body = first
        while "nextPageToken" in body:
            body = self.ok(path(pageToken=body["nextPageToken"], maxResults=5))
            items += body.get("items", [])
        got = qualifiers(items)
        self.assertEqual(len(got), len(set(got)), "no activity twice")
        self.assertEqual(got[:5], qualifiers(fixtures_of("login"))[:5])
        self.assertNotIn("78", got, "a newer activity is for the next poll")
        self.assertNotIn("77", got, "so is one that sorts above the page token")
        self.assertEqual(got, qualifiers(fixtures_of("login")) + ["-9223372036854775807"],
                         "an older one appears on a later page")
        poll = self.ok(path(startTime=top["id"]["time"]))["items"]
        self.assertEqual(qualifiers(poll), ["78", top["id"]["uniqueQualifier"], "77"])

    @staticmethod
    def record(stamp: str, qualifier: str, app: str = "login") -> dict[str, Any]:
        return {"kind": "admin#reports#activity",
                "id": {"time": stamp, "uniqueQualifier": qualifier, "applicationName": app, "customerId": GOOGLE_CUSTOMER_ID},
                "actor": {"callerType": "USER", "email": "erin@example.com", "profileId": "106473920183746502918"},
                "ipAddress": "203.0.113.77",
                "events": [{"type": "login", "name": "login_success", "parameters": [{"name": "login_type", "value": "google_password"}]}]}

    def test_added_records_are_validated_and_get_an_etag(self) -> None:
        bad = [{"id": {"time": "yesterday"}}, {**self.record(SINCE, "1"), "events": []},
               {**self.record(SINCE, "1"), "id": {**self.record(SINCE, "1")["id"], "applicationName": "nope"}},
               {**self.record(SINCE, "1"), "id": {**self.record(SINCE, "1")["id"], "uniqueQualifier": 5}},
               self.record(SINCE, FIXTURES[0]["id"]["uniqueQualifier"], FIXTURES[0]["id"]["applicationName"])]
        for rec in bad:
            with self.subTest(rec=rec):
                reply = http(self.emu.url + "/_emulator/activities/google-workspace", "POST",
                             {"Content-Type": "application/json"}, json.dumps([rec]).encode())
                self.assertEqual(reply.status, 400, reply.body)
        plain = self.record("2024-05-20T00:00:00.000Z", "5")
        del plain["kind"]
        self.emu.add_activities("google-workspace", [plain, self.record("2024-05-20T00:00:00.000Z", "5", "drive")])
        item = next(i for i in self.ok(path())["items"] if i["id"]["uniqueQualifier"] == "5")
        self.assertEqual(list(item)[:3], ["kind", "id", "etag"])

    def test_authentication(self) -> None:
        error = self.google_error(self.get(path(), {}), 401, "required")
        self.assertEqual(error["errors"][0]["message"], "Login Required.")
        self.assertTrue(error["message"].startswith("Request is missing required authentication credential."))
        reply = self.get(path(), {"Authorization": "Bearer nope"})
        error = self.google_error(reply, 401, "authError")
        self.assertTrue(error["message"].startswith("Request had invalid authentication credentials."))
        self.assertEqual(error["errors"][0]["location"], "Authorization")
        self.assertEqual(reply.headers["WWW-Authenticate"], 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
        self.google_error(self.get(path(), {"Authorization": f"Basic {TOKEN}"}), 401, "authError")
        self.ok(path(access_token=TOKEN), {})
        # authentication comes before parameter checks
        self.google_error(self.get(path("nope", maxResults=0), {}), 401, "required")

    def test_unknown_paths_get_google_html_404(self) -> None:
        for method, target in (("GET", f"{BASE}/all/applications/login/watch"), ("POST", path()),
                               ("GET", "/admin/reports/v1/activity/users/all"), ("GET", "/admin/directory/v1/users")):
            with self.subTest(method=method, target=target):
                reply = http(self.emu.url + target, method, AUTH, b"{}" if method == "POST" else None)
                self.assertEqual(reply.status, 404)
                self.assertEqual(reply.headers["Content-Type"], "text/html; charset=UTF-8")
                self.assertIn(b"Error 404 (Not Found)!!1", reply.body)

    def test_rate_limit_and_backend_faults(self) -> None:
        self.emu.faults({"path": "/applications/", "kind": "status", "status": 429},
                        {"path": "/applications/", "kind": "status", "status": 503},
                        {"path": "/applications/", "kind": "status", "status": 429, "headers": {"Retry-After": "2"}})
        reply = self.get(path())
        error = self.google_error(reply, 429, "rateLimitExceeded")
        self.assertTrue(error["message"].startswith("Quota exceeded for quota metric 'Queries'"))
        self.assertEqual(error["details"][0]["reason"], "RATE_LIMIT_EXCEEDED")
        self.assertIsNone(reply.headers.get("Retry-After"), "Google sends no Retry-After")
        self.google_error(self.get(path()), 503, "backendError", "The service is currently unavailable.")
        self.assertEqual(self.get(path()).headers["Retry-After"], "2")
        self.ok(path())

    def test_escaping_and_odd_text(self) -> None:
        reply = self.get(path("admin", eventName="CHANGE_LAST_NAME"))
        self.assertIn(b"\\u003cops\\u003e \\u0026 co\\u0007", reply.body)
        self.assertIn("O’Brien".encode(), reply.body, "UTF-8, not \\u escapes, for other characters")
        value = reply.json()["items"][0]["events"][0]["parameters"][2]["value"]
        self.assertEqual(value, "O’Brien \"Al\" <ops> & co\u0007")

    def test_fixture_content(self) -> None:
        self.assertTrue(30 <= len(FIXTURES) <= 60)
        times = [parse_time(r["id"]["time"]) for r in FIXTURES]
        self.assertTrue(all(parse_time(SINCE) <= t < parse_time(UNTIL) for t in times))
        self.assertGreaterEqual(len({r["id"]["time"][:10] for r in FIXTURES}), 10)
        self.assertGreaterEqual(len({r["actor"].get("email") for r in FIXTURES}), 6)
        names = {e["name"] for r in FIXTURES for e in r["events"]}
        self.assertTrue({"login_success", "login_failure", "logout", "CREATE_USER", "DELETE_USER", "CHANGE_FIRST_NAME",
                         "CHANGE_PASSWORD", "SUSPEND_USER"} <= names)
        self.assertTrue(any(len(r["events"]) > 1 for r in FIXTURES))
        self.assertTrue(any(int(r["id"]["uniqueQualifier"]) < 0 for r in FIXTURES))
        pairs = [(r["id"]["applicationName"], r["id"]["time"]) for r in FIXTURES]
        self.assertTrue(any(pairs.count(p) > 1 for p in pairs), "ties within an application")
        self.assertEqual(len({r["id"]["uniqueQualifier"] for r in FIXTURES}), len(FIXTURES))


class GoogleFixedClockTest(GoogleCase):
    emulator_args = ("--now", "2024-06-02T00:00:00Z")

    def test_retention_and_default_end_follow_now(self) -> None:
        self.assertEqual(len(self.ok(path())["items"]), len(fixtures_of("login")))
        self.google_error(self.get(path(startTime="2023-11-01T00:00:00Z")), 400, "invalid")
        self.google_error(self.get(path(startTime="2024-06-03T00:00:00Z")), 400, "invalid")


class GoogleGenerateTest(GoogleCase):
    emulator_args = ("--generate", "1500")

    def test_generated_volume_pages_completely(self) -> None:
        items, pages = self.all_pages(path(startTime="2024-06-01T00:00:00Z", maxResults=100))
        self.assertEqual(pages, -(-len(items) // 100))
        keys = [key_of(i) for i in items]
        self.assertEqual(keys, sorted(keys, reverse=True))
        self.assertEqual(len(set(keys)), len(keys))
        self.assertGreater(len(items), 500)
        with Emulator("--generate", "1500") as other:
            again = http(other.url + path(startTime="2024-06-01T00:00:00Z", maxResults=1000), headers=AUTH).json()
        self.assertEqual(qualifiers(again["items"]), qualifiers(items)[:1000])


if __name__ == "__main__":
    unittest.main()
