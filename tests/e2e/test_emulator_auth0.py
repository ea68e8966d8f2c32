"""The Auth0 emulator (tests/emulator/auth0.py) behaves like Auth0's token endpoint and the
Management API logs: client credentials with an audience, checkpoint paging (from/take, Link
next), search paging (q, page, per_page, sort) with its 1,000-result window, errors, rate limits."""

from __future__ import annotations

import base64
import json
import re
import sys
import unittest
import urllib.parse
from typing import Any

import harness
from harness import AUTH0_AUDIENCE, AUTH0_DOMAIN, CLIENT_ID, CLIENT_SECRET, TOKEN, Emulator, Reply, fixture_records, http

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import auth0_query  # noqa: E402
from auth0_query import And, Not, Or, QueryError, Range, Term  # noqa: E402
from common import parse_time  # noqa: E402

LOGS = "/api/v2/logs"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FIXTURES = fixture_records("auth0")
BY_ID = sorted(FIXTURES, key=lambda r: r["log_id"])
IDS = [r["log_id"] for r in BY_ID]
START = "900" + "20240501000000" + "0" * 39  # Elastic's synthesized checkpoint: May 1st, 00:00
LINK = re.compile(r'^<([^>]*)>; rel="next"$')
CJSON = "application/json; charset=utf-8"


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def ms(text: str) -> int:
    return parse_time(text) // 1_000_000


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


def log(log_id: str, date: str, type_: str = "s", user_id: str = "auth0|late") -> dict[str, Any]:
    return {"date": date, "type": type_, "description": "", "connection": "Username-Password-Authentication",
            "client_id": "kZ2bq8RSW1nYcTz0vXuL4mPe7HfA3dJo", "client_name": "Acme Portal", "ip": "192.0.2.9",
            "user_agent": "Other 0.0.0 / Other 0.0.0", "details": None, "hostname": AUTH0_DOMAIN,
            "user_id": user_id, "user_name": "late@acme.example", "log_id": log_id, "_id": log_id, "isMobile": False}


def late_id(prefix: str, n: int) -> str:
    return f"900{prefix}" + f"{n:0{53 - len(prefix)}d}"


# =========================================================================== query parser


class Auth0QueryTest(unittest.TestCase):
    def test_grammar(self) -> None:
        self.assertEqual(auth0_query.parse('type:s'), Term("type", "s"))
        self.assertEqual(auth0_query.parse('user_id:"auth0|1 2"'), Term("user_id", "auth0|1 2", phrase=True))
        self.assertEqual(auth0_query.parse("type:s AND ip:1 OR NOT type:f"),
                         Or(And(Term("type", "s"), Term("ip", "1")), Not(Term("type", "f"))))
        self.assertEqual(auth0_query.parse("type:s ip:1"), Or(Term("type", "s"), Term("ip", "1")))  # Lucene: OR
        self.assertEqual(auth0_query.parse("type:(s OR f) && -ip:1"),
                         And(Or(Term("type", "s"), Term("type", "f")), Not(Term("ip", "1"))))
        self.assertEqual(auth0_query.parse("date:[2024-05-01 TO *}"), Range("date", "2024-05-01", None, True, False))
        self.assertEqual(auth0_query.parse("date:{* TO 2019-01-01T12:23:45]"),
                         Range("date", None, "2019-01-01T12:23:45", False, True))
        self.assertEqual(auth0_query.parse("details.request.channel:\"https://manage.auth0.com/\""),
                         Term("details.request.channel", "https://manage.auth0.com/", phrase=True))
        self.assertEqual(auth0_query.parse("alice*"), Term(None, "alice*"))
        self.assertIsInstance(auth0_query.parse("   "), auth0_query.All)

    def test_dates_are_zero_filled_utc(self) -> None:
        self.assertEqual(auth0_query.parse_date("2018-12-18"), ms("2018-12-18T00:00:00Z"))
        self.assertEqual(auth0_query.parse_date("2018-12"), ms("2018-12-01T00:00:00Z"))
        self.assertEqual(auth0_query.parse_date("2018-12-18T12:22"), ms("2018-12-18T12:22:00Z"))
        self.assertEqual(auth0_query.parse_date("2018-12-18T15:23:48.123Z"), ms("2018-12-18T15:23:48.123Z"))
        self.assertEqual(auth0_query.parse_date("2018-12-18T15:23:48+02:00"), ms("2018-12-18T13:23:48Z"))

    def test_rejections(self) -> None:
        cases = {
            "user_email:x": 'unknown field "user_email"', "Type:s": 'unknown field "Type"',
            "type:s?": "'?' wildcards are not supported", "type:s~2": "fuzzy", "type:s^2": "boost",
            "user_name:*sa": "wildcard", "user_name:*": None, "user_name:j*": None, "user_name:*usa": None,
            "date:2024-13-01": "failed to parse date field [2024-13-01]", "date:[2024-05 TO nope]": "failed to parse",
            "date:2024*": "failed to parse", "type:": "has no value", "(type:s": "missing ')'",
            "type:s)": "unexpected ')'", '"open': "unterminated", "date:[2024 TO ": "unterminated range",
            "date:[2024 TO 2025": "unterminated range", "date:[2024 2025]": "'TO'", "type:s AND": "after AND",
            "type:s OR OR type:f": "unexpected 'OR'", "AND type:s": "unexpected 'AND'", "NOT": "after NOT",
            "()": "empty group", "type:[a* TO b]": "stand alone",
        }
        for text, fragment in cases.items():
            with self.subTest(text=text):
                if fragment is None:
                    auth0_query.parse(text)
                    continue
                with self.assertRaises(QueryError) as caught:
                    auth0_query.parse(text)
                self.assertIn(fragment, str(caught.exception))

    def test_evaluation(self) -> None:
        rec = {"type": "fp", "user_name": "jane.smith@acme.example", "description": "Create a rule",
               "connection": "Username-Password-Authentication", "ip": "192.0.2.1", "user_id": "auth0|123",
               "details": {"request": {"channel": "api", "tags": ["a", "b"]}, "ok": True}, "client_name": None}

        def ok(text: str, date: str = "2024-05-13T08:00:00.500Z") -> bool:
            return auth0_query.Matcher(auth0_query.parse(text))(rec, ms(date))
        self.assertTrue(ok("type:fp") and not ok("type:f") and not ok("type:FP"))  # whole value, case sensitive
        self.assertFalse(ok("description:rule"))  # fields are not tokenized
        self.assertTrue(ok("description:*rule") and ok('description:"Create a rule"') and ok("description:Create*"))
        self.assertTrue(ok("user_name:jane*smith*") and ok("connection:*Pass*"))
        self.assertTrue(ok("fp") and ok("192.0.2.1") and not ok("auth0|123"))  # bare terms: not user_id
        self.assertTrue(ok("details.request.channel:api") and ok("details.request.tags:b") and ok("details.ok:true"))
        self.assertFalse(ok("client_name:*") or ok("hostname:*"))  # null or absent
        self.assertTrue(ok("date:[2024-05-13 TO 2024-05-14}") and ok("date:[2024-05-13T08:00:00.500Z TO *]"))
        self.assertFalse(ok("date:{2024-05-13T08:00:00.500Z TO *]") or ok("date:[* TO 2024-05-13T08:00}"))
        self.assertTrue(ok("date:2024-05-13T08:00:00.500Z") and not ok("date:2024-05-13"))
        self.assertTrue(ok("type:(f OR fp) AND NOT ip:192.0.2.2") and ok("-type:s"))
        self.assertTrue(ok("ip:[192.0.2.0 TO 192.0.2.9]") and not ok("ip:{192.0.2.1 TO *]"))


# =========================================================================== HTTP


class Auth0Case(harness.EmulatorTestCase):
    def get(self, path: str = LOGS, query: str = "", headers: dict[str, str] | None = AUTH) -> Reply:
        return http(self.emu.url + path + (f"?{query}" if query else ""), headers=headers)

    def token(self, body: Any, content_type: str = "application/json", headers: dict[str, str] | None = None) -> Reply:
        data = json.dumps(body).encode() if content_type == "application/json" else body.encode()
        return http(self.emu.url + "/oauth/token", "POST", {"Content-Type": content_type, **(headers or {})}, data)

    def creds(self, **extra: str) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "audience": AUTH0_AUDIENCE, **extra}

    def assertAuth0Error(self, reply: Reply, status: int, message: str, code: str | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        self.assertEqual(reply.headers["Content-Type"], CJSON)
        body = reply.json()
        self.assertEqual({k: body[k] for k in ("statusCode", "message")}, {"statusCode": status, "message": message})
        self.assertEqual(body.get("errorCode"), code)
        return body

    def assertQueryError(self, reply: Reply, detail: str, name: str | None = None) -> None:
        body = self.assertAuth0Error(reply, 400, reply.json().get("message", ""), "invalid_query_string")
        self.assertEqual(body["error"], "Bad Request")
        if name is None:
            self.assertEqual(body["message"], f"Query validation error: '{detail}'")
        else:
            self.assertRegex(body["message"], "^" + re.escape(f"Query validation error: '{detail}' on property {name} (")
                             + r".+\)\.$")

    def walk(self, query: str) -> tuple[list[dict[str, Any]], list[Reply]]:
        """Follows Link next from a checkpoint request until a page is empty (its next is itself)."""
        url = f"{self.emu.url}{LOGS}?{query}"
        replies: list[Reply] = []
        records: list[dict[str, Any]] = []
        while True:
            reply = http(url, headers=AUTH)
            replies.append(reply)
            self.assertEqual(reply.status, 200, reply.body)
            page = reply.json()
            m = LINK.match(reply.headers["Link"])
            self.assertIsNotNone(m, reply.headers["Link"])
            records += page
            if not page:
                self.assertEqual(m.group(1), url)
                return records, replies
            self.assertNotEqual(m.group(1), url)
            self.assertLess(len(replies), 400)
            url = m.group(1)


class Auth0FixtureTest(unittest.TestCase):
    def test_fixtures_are_well_formed(self) -> None:
        self.assertTrue(30 <= len(FIXTURES) <= 60)
        self.assertEqual(len(set(IDS)), len(IDS))
        self.assertTrue(all(re.fullmatch(r"900\d{53}", i) for i in IDS))
        self.assertTrue(all(r["_id"] == r["log_id"] for r in FIXTURES))
        dates = [r["date"] for r in FIXTURES]
        self.assertTrue(all(re.fullmatch(r"2024-05-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d) for d in dates))
        self.assertGreaterEqual(len({d[:10] for d in dates}), 5)
        self.assertLess(len(set(dates)), len(dates), "ties")
        by_date = [r["log_id"] for r in sorted(BY_ID, key=lambda r: r["date"])]
        self.assertNotEqual(by_date, IDS, "log_id order (ingestion) differs from date order somewhere")
        for r in FIXTURES:  # the log_id starts with its ingestion time, at most a few seconds after date
            ingested = ms(f"{r['log_id'][3:7]}-{r['log_id'][7:9]}-{r['log_id'][9:11]}T{r['log_id'][11:13]}:"
                          f"{r['log_id'][13:15]}:{r['log_id'][15:17]}.{r['log_id'][17:20]}Z")
            self.assertTrue(0 <= ingested - ms(r["date"]) < 5000, r)
        types = {r["type"] for r in FIXTURES}
        self.assertLessEqual({"s", "f", "fp", "fu", "slo", "flo", "ss", "fs", "sapi", "du", "sdu", "seacft", "seccft",
                              "fsa"}, types)
        self.assertLessEqual({"Create a User", "Update a User", "Delete a User"},
                             {r["description"] for r in FIXTURES if r["type"] == "sapi"})
        self.assertGreaterEqual(len({r["user_id"] for r in FIXTURES if r["user_id"]}), 6)
        text = "\n".join(strings(FIXTURES))
        for needle in ["\u001b[31m", "\u001b]0;", "\u0007", "\r", "\u202e", "=HYPERLINK(", '"', "\t"]:
            self.assertIn(needle, text)
        self.assertTrue(any(0x3000 < ord(c) <= 0xFFFF for c in text), "CJK")
        self.assertTrue(any(ord(c) > 0xFFFF for c in text), "emoji")
        self.assertGreater(max(len(t) for t in strings(FIXTURES)), 2000)
        for r in FIXTURES:
            self.assertLessEqual({"date", "type", "description", "client_id", "client_name", "ip", "user_agent",
                                  "details", "hostname", "user_id", "user_name", "log_id", "_id", "isMobile"}, set(r))


class Auth0TokenTest(Auth0Case):
    def test_client_credentials_json(self) -> None:
        reply = self.token(self.creds())
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual((reply.headers["Content-Type"], reply.headers["Cache-Control"]), (CJSON, "no-store"))
        body = reply.json()
        self.assertEqual(set(body), {"access_token", "scope", "expires_in", "token_type"})
        self.assertEqual((body["scope"], body["expires_in"], body["token_type"]), ("read:logs read:logs_users", 86400, "Bearer"))
        claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
        self.assertEqual((claims["aud"], claims["iss"], claims["gty"]), (AUTH0_AUDIENCE, f"https://{AUTH0_DOMAIN}/",
                                                                         "client-credentials"))
        self.assertEqual(self.get(LOGS, q(per_page=1), {"Authorization": f"Bearer {body['access_token']}"}).status, 200)

    def test_form_with_audience_and_basic_authentication(self) -> None:
        reply = self.token(q(**self.creds()), "application/x-www-form-urlencoded")
        self.assertEqual((reply.status, reply.json()["token_type"]), (200, "Bearer"))
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        reply = self.token({"grant_type": "client_credentials", "audience": AUTH0_AUDIENCE}, headers={"Authorization": f"Basic {basic}"})
        self.assertEqual(reply.status, 200, reply.body)

    def test_errors(self) -> None:
        cases = [
            (self.creds(client_secret="wrong"), 401, "access_denied", "Unauthorized"),
            (self.creds(client_id="other"), 401, "access_denied", "Unauthorized"),
            ({k: v for k, v in self.creds().items() if k != "client_secret"}, 401, "access_denied", "Unauthorized"),
            ({k: v for k, v in self.creds().items() if k != "grant_type"}, 400, "invalid_request",
             "Missing required parameter: grant_type"),
            (self.creds(grant_type="password"), 403, "unauthorized_client", "Grant type 'password' not allowed for the client."),
            (self.creds(grant_type="magic"), 400, "unsupported_grant_type", "Unsupported grant type: magic"),
            ({k: v for k, v in self.creds().items() if k != "audience"}, 403, "access_denied",
             "No audience parameter was provided, and no default audience has been configured"),
            (self.creds(audience=f"https://{AUTH0_DOMAIN}/api/v2"), 403, "access_denied",
             f"Service not found: https://{AUTH0_DOMAIN}/api/v2"),
            (self.creds(audience="https://other.eu.auth0.com/api/v2/"), 403, "access_denied",
             "Service not found: https://other.eu.auth0.com/api/v2/"),
            (self.creds(scope="read:logs read:users"), 403, "access_denied", "Client has not been granted scopes: read:users"),
        ]
        for body, status, code, description in cases:
            with self.subTest(body=body):
                reply = self.token(body)
                self.assertEqual(reply.status, status, reply.body)
                self.assertEqual(reply.json(), {"error": code, "error_description": description})
        reply = http(self.emu.url + "/oauth/token", "POST", {"Content-Type": "application/json"}, b"{nope")
        self.assertEqual((reply.status, reply.json()["error"]), (400, "invalid_request"))

    def test_sailpoint_keeps_its_form_requests(self) -> None:
        form = q(grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        reply = self.token(form, "application/x-www-form-urlencoded")
        self.assertEqual((reply.status, reply.json()["token_type"], reply.json()["org"]), (200, "bearer", "acme-sb"))
        sail = reply.json()["access_token"]
        self.assertAuth0Error(self.get(LOGS, headers={"Authorization": f"Bearer {sail}"}), 401, "Invalid token")

    def test_scope_and_expiry(self) -> None:
        users_only = self.token(self.creds(scope="read:logs_users")).json()
        self.assertEqual(users_only["scope"], "read:logs_users")
        auth = {"Authorization": f"Bearer {users_only['access_token']}"}
        self.assertAuth0Error(self.get(LOGS, headers=auth), 403, "Insufficient scope, expected any of: read:logs",
                              "insufficient_scope")
        self.assertEqual(self.get(f"/api/v2/users/{urllib.parse.quote(BY_ID[1]['user_id'], safe='')}/logs", headers=auth).status, 200)
        full = {"Authorization": f"Bearer {self.token(self.creds()).json()['access_token']}"}
        self.assertEqual(self.get(LOGS, headers=full).status, 200)
        self.emu.expire_tokens()
        body = self.assertAuth0Error(self.get(LOGS, headers=full), 401, "Expired token received for JSON Web Token validation")
        self.assertEqual(body["attributes"], {"error": "Expired token received for JSON Web Token validation"})


class Auth0AuthTest(Auth0Case):
    def test_management_api_authentication(self) -> None:
        reply = self.get(LOGS, headers={})
        self.assertAuth0Error(reply, 401, "Missing authentication")
        self.assertEqual(reply.json(), {"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"})
        self.assertEqual(reply.headers["WWW-Authenticate"], "Bearer")
        self.assertAuth0Error(self.get(LOGS, headers={"Authorization": f"Basic {TOKEN}"}), 401, "Missing authentication")
        reply = self.get(LOGS, headers={"Authorization": "Bearer a b"})
        self.assertAuth0Error(reply, 401, "Bad HTTP authentication header format")
        reply = self.get(LOGS, headers={"Authorization": "Bearer nope"})
        body = self.assertAuth0Error(reply, 401, "Invalid token")
        self.assertEqual(body["attributes"], {"error": "Invalid token"})
        self.assertEqual(reply.headers["WWW-Authenticate"], 'Bearer error="Invalid token"')
        for path in (LOGS, f"{LOGS}/{IDS[0]}", "/api/v2/users/x/logs"):
            with self.subTest(path=path):
                self.assertEqual(self.get(path, headers={}).status, 401)

    def test_rate_limit_headers_and_429(self) -> None:
        reply = self.get(LOGS, q(per_page=1))
        limit, remaining, reset = (int(reply.headers[h]) for h in ("x-ratelimit-limit", "x-ratelimit-remaining",
                                                                     "x-ratelimit-reset"))
        self.assertEqual(limit, 50)
        self.assertTrue(0 <= remaining < limit and reset > 1_700_000_000)
        self.assertIn("x-ratelimit-limit", self.get(LOGS, headers={}).headers)  # errors carry them too
        self.emu.faults({"path": "^/api/v2/logs$", "kind": "status", "status": 429})
        reply = self.get(LOGS)
        self.assertEqual(reply.status, 429)
        self.assertEqual(reply.json(), {"statusCode": 429, "error": "Too Many Requests",
                                        "message": "Global limit has been reached", "errorCode": "too_many_requests"})
        self.assertEqual((reply.headers["x-ratelimit-limit"], reply.headers["x-ratelimit-remaining"]), ("50", "0"))
        self.assertGreater(int(reply.headers["x-ratelimit-reset"]), 1_700_000_000)
        self.emu.faults({"path": "^/api/v2/logs$", "kind": "status", "status": 401})
        self.assertAuth0Error(self.get(LOGS), 401, "Invalid token")
        self.emu.faults({"path": "^/api/v2/logs$", "kind": "status", "status": 500})
        self.assertAuth0Error(self.get(LOGS), 500, "An internal server error occurred")

    def test_unknown_routes(self) -> None:
        self.assertAuth0Error(self.get("/api/v2/users"), 404, "Not Found")
        reply = http(self.emu.url + LOGS, "POST", AUTH, b"{}")
        self.assertEqual((reply.status, reply.headers["Allow"]), (405, "GET"))


class Auth0CheckpointTest(Auth0Case):
    def test_walk_serves_every_log_once_in_log_id_order(self) -> None:
        for take in (1, 7, 43, 44, 100):
            with self.subTest(take=take):
                records, replies = self.walk(q(**{"from": START, "take": take}))
                self.assertEqual([r["log_id"] for r in records], IDS)
                self.assertEqual(len(replies), -(-len(IDS) // take) + 1)  # full pages, then one empty page
                first = LINK.match(replies[0].headers["Link"]).group(1)
                last_id = IDS[min(take, len(IDS)) - 1]
                self.assertEqual(first, f"{self.emu.url}{LOGS}?from={last_id}&take={take}")

    def test_empty_page_links_to_itself(self) -> None:
        query = q(**{"from": IDS[-1], "take": 5})
        reply = self.get(LOGS, query)
        self.assertEqual((reply.status, reply.json()), (200, []))
        self.assertEqual(reply.headers["Link"], f'<{self.emu.url}{LOGS}?{query}>; rel="next"')

    def test_from_is_a_position_not_a_lookup(self) -> None:
        after = self.get(LOGS, q(**{"from": "900" + "20240513000000" + "0" * 39})).json()
        self.assertEqual([r["log_id"] for r in after], [i for i in IDS if i > "90020240513"])
        self.assertEqual([r["log_id"] for r in self.get(LOGS, q(**{"from": IDS[3], "take": 2})).json()], IDS[4:6])
        self.assertEqual(len(self.get(LOGS, q(**{"from": START})).json()), len(IDS))  # take defaults to 50

    def test_other_parameters_are_validated_then_ignored(self) -> None:
        reply = self.get(LOGS, q(**{"from": START, "take": 3, "q": "type:nothing", "sort": "date:-1", "per_page": 1,
                                    "page": 4, "include_totals": "true", "fields": "date", "include_fields": "true"}))
        self.assertEqual([r["log_id"] for r in reply.json()], IDS[:3])
        self.assertEqual(set(reply.json()[0]), set(BY_ID[0]))
        self.assertQueryError(self.get(LOGS, q(**{"from": START, "per_page": 500})), "Value 500 is greater than maximum 100",
                              "per_page")
        self.assertQueryError(self.get(LOGS, q(**{"from": START, "since": "x"})), "Additional properties not allowed: since")
        reply = self.get(LOGS, q(**{"from": START, "q": "user_email:x"}))
        self.assertEqual(reply.status, 200)  # q is not even parsed in checkpoint mode

    def test_bad_from_and_take(self) -> None:
        self.assertQueryError(self.get(LOGS, "from="), "String is too short (0 chars), minimum 1", "from")
        self.assertQueryError(self.get(LOGS, "from=abc"), "String does not match pattern ^[0-9]{56}$: abc", "from")
        self.assertQueryError(self.get(LOGS, f"from={IDS[0][:-1]}"), f"String does not match pattern ^[0-9]{{56}}$: {IDS[0][:-1]}",
                              "from")
        self.assertQueryError(self.get(LOGS, q(**{"from": START, "take": 0})), "Value 0 is less than minimum 1", "take")
        self.assertQueryError(self.get(LOGS, q(**{"from": START, "take": 101})), "Value 101 is greater than maximum 100", "take")
        self.assertQueryError(self.get(LOGS, q(**{"from": START, "take": "ten"})), "Expected type integer but found type string",
                              "take")
        self.assertQueryError(self.get(LOGS, q(**{"from": START, "take": "1.5"})), "Expected type integer but found type number",
                              "take")
        self.assertQueryError(self.get(LOGS, f"from={START}&from={IDS[0]}"), "Expected type string but found type array", "from")

    def test_logs_added_while_polling_appear_once_on_later_polls(self) -> None:
        records, replies = self.walk(q(**{"from": START, "take": 10}))
        self.assertEqual(len(records), len(IDS))
        poll = LINK.match(replies[-1].headers["Link"]).group(1)
        self.assertEqual(http(poll, headers=AUTH).json(), [])
        added = [log(late_id("20240601000000", k), "2024-05-31T23:59:59.000Z") for k in range(1, 13)]
        self.emu.add_activities("auth0", added)
        more, _ = self.walk(urllib.parse.urlsplit(poll).query)
        self.assertEqual([r["log_id"] for r in more], [r["log_id"] for r in added])
        # a log ingested with an id below the checkpoint is never served again to this reader
        self.emu.add_activities("auth0", [log(late_id("20240515000000", 1), "2024-05-15T00:00:00.000Z")])
        self.assertEqual(self.get(LOGS, q(**{"from": added[-1]["log_id"]})).json(), [])


class Auth0SearchTest(Auth0Case):
    def ids(self, **params: Any) -> list[str]:
        reply = self.get(LOGS, q(**params))
        self.assertEqual(reply.status, 200, reply.body)
        return [r["log_id"] for r in reply.json()]

    def test_default_order_and_paging(self) -> None:
        self.assertEqual(self.ids(per_page=100), list(reversed(IDS)))
        self.assertEqual(self.ids(), list(reversed(IDS)))  # without per_page: the first 50
        self.assertEqual(self.ids(page=1), list(reversed(IDS)))  # ...and page is ignored
        for per_page in (1, 5, 43, 44):
            with self.subTest(per_page=per_page):
                got = []
                for page in range(0, len(IDS) // per_page + 2):
                    got += self.ids(per_page=per_page, page=page)
                self.assertEqual(got, list(reversed(IDS)))
        self.assertEqual(self.ids(per_page=0), [])

    def test_sort_by_date(self) -> None:
        ascending = [r["log_id"] for r in sorted(BY_ID, key=lambda r: (r["date"], r["log_id"]))]
        self.assertEqual(self.ids(per_page=100, sort="date:1"), ascending)
        self.assertEqual(self.ids(per_page=100, sort="date:-1"), list(reversed(ascending)))
        by_type = self.get(LOGS, q(per_page=100, sort="type:1")).json()
        self.assertEqual([r["type"] for r in by_type], sorted(r["type"] for r in FIXTURES))
        for bad in ("date", "date:2", "date:asc", "dates:1", "details.ip:1", "date:1,type:1"):
            with self.subTest(sort=bad):
                reply = self.get(LOGS, q(sort=bad))
                self.assertQueryError(reply, f"String does not match pattern {auth0_query_sort_pattern()}: {bad}", "sort")

    def test_q_filters(self) -> None:
        def expect(text: str, where: Any) -> None:
            with self.subTest(q=text):
                want = [r["log_id"] for r in sorted(BY_ID, key=lambda r: (r["date"], r["log_id"])) if where(r)]
                self.assertTrue(want, "a filter test should match something")
                self.assertEqual(self.ids(q=text, per_page=100, sort="date:1"), want)
        alice = "auth0|6634a1f0c2e5b7d9e1f00001"
        expect("type:s", lambda r: r["type"] == "s")
        expect(f'user_id:"{alice}"', lambda r: r["user_id"] == alice)
        expect("type:(f OR fp OR fu)", lambda r: r["type"] in ("f", "fp", "fu"))
        expect("date:[2024-05-13 TO 2024-05-14}", lambda r: r["date"].startswith("2024-05-13"))
        expect("date:[2024-05-20T07:45:00.321Z TO 2024-05-20T09:00:02.000Z]",
               lambda r: "2024-05-20T07:45:00.321Z" <= r["date"] <= "2024-05-20T09:00:02.000Z")
        expect("date:{2024-05-20T07:45:00.321Z TO 2024-05-20T09:00:02.000Z}",
               lambda r: "2024-05-20T07:45:00.321Z" < r["date"] < "2024-05-20T09:00:02.000Z")
        expect("date:[2024-05-28 TO *]", lambda r: r["date"] >= "2024-05-28")
        expect("type:s AND NOT connection:google-oauth2", lambda r: r["type"] == "s" and r["connection"] != "google-oauth2")
        expect("type:sapi AND description:*User", lambda r: r["type"] == "sapi" and r["description"].endswith("User"))
        expect('details.request.channel:"https://manage.auth0.com/"',
               lambda r: ((r.get("details") or {}).get("request") or {}).get("channel") == "https://manage.auth0.com/")
        expect("fu", lambda r: r["type"] == "fu")  # a bare term searches type among others
        expect("user_name:*@acme.example", lambda r: (r["user_name"] or "").endswith("@acme.example"))
        self.assertEqual(self.ids(q="date:2024-05-13", per_page=100), [])  # zero-filled: the first millisecond only

    def test_bad_q(self) -> None:
        for text, detail in (("user_email:x", 'unknown field "user_email"'), ("type:s?", "'?' wildcards are not supported"),
                             ("date:[2024-05 TO later]", "failed to parse date field [later]"), ("(type:s", "missing ')'")):
            with self.subTest(q=text):
                reply = self.get(LOGS, q(q=text))
                self.assertAuth0Error(reply, 400, f"The search query string has an error: {detail}", "invalid_query_string")

    def test_parameter_validation(self) -> None:
        self.assertQueryError(self.get(LOGS, q(per_page=101)), "Value 101 is greater than maximum 100", "per_page")
        self.assertQueryError(self.get(LOGS, q(per_page=-1)), "Value -1 is less than minimum 0", "per_page")
        self.assertQueryError(self.get(LOGS, q(page=-1)), "Value -1 is less than minimum 0", "page")
        self.assertQueryError(self.get(LOGS, q(page="")), "Expected type integer but found type string", "page")
        self.assertQueryError(self.get(LOGS, q(include_totals="yes")), "Expected type boolean but found type string",
                              "include_totals")
        self.assertQueryError(self.get(LOGS, "per_page=1&per_page=2"), "Expected type integer but found type array", "per_page")
        self.assertQueryError(self.get(LOGS, q(limit=5, cursor="x")), "Additional properties not allowed: limit,cursor")
        reply = self.get(LOGS, q(per_page=101))
        self.assertIn("Max value: <code>100</code>", reply.json()["message"])

    def test_include_totals_and_fields(self) -> None:
        body = self.get(LOGS, q(per_page=5, page=2, include_totals="true")).json()
        self.assertEqual(list(body), ["length", "limit", "logs", "start", "total"])
        self.assertEqual((body["length"], body["limit"], body["start"], body["total"]), (5, 5, 10, 5))
        self.assertEqual([r["log_id"] for r in body["logs"]], list(reversed(IDS))[10:15])
        only = self.get(LOGS, q(per_page=2, fields="date,type,log_id", include_fields="true")).json()
        self.assertEqual([set(r) for r in only], [{"date", "type", "log_id"}] * 2)
        without = self.get(LOGS, q(per_page=2, fields="details,_id", include_fields="false")).json()
        self.assertTrue(all("details" not in r and "_id" not in r and "log_id" in r for r in without))

    def test_get_one_and_user_logs(self) -> None:
        reply = self.get(f"{LOGS}/{IDS[5]}")
        self.assertEqual((reply.status, reply.json()), (200, BY_ID[5]))
        self.assertAuth0Error(self.get(f"{LOGS}/{START}"), 404, "log not found", "inexistent_log")
        self.assertQueryError(self.get(f"{LOGS}/{IDS[5]}", "fields=date"), "Additional properties not allowed: fields")
        bob = "auth0|6634a1f0c2e5b7d9e1f00002"
        reply = self.get(f"/api/v2/users/{urllib.parse.quote(bob, safe='')}/logs", q(per_page=100, sort="date:1"))
        self.assertEqual([r["log_id"] for r in reply.json()],
                         [r["log_id"] for r in sorted(BY_ID, key=lambda r: (r["date"], r["log_id"])) if r["user_id"] == bob])
        self.assertQueryError(self.get("/api/v2/users/x/logs", q(q="type:s")), "Additional properties not allowed: q")

    def test_window_of_1000_applies_to_every_search(self) -> None:
        message = ("Requesting page 11 exceeds the allowed maximum of 1000 records: please consider searching by "
                   "checkpoint https://auth0.com/docs/logs/retrieve-log-events-using-mgmt-api#retrieve-logs-by-checkpoint")
        self.assertAuth0Error(self.get(LOGS, q(per_page=100, page=10)), 400, message, "invalid_paging")
        self.assertEqual(self.get(LOGS, q(per_page=100, page=9)).json(), [])  # inside the window, past the data


class Auth0ControlTest(Auth0Case):
    def test_add_activities_validates(self) -> None:
        good = log(late_id("20240601000000", 1), "2024-05-31T23:59:59.000Z")
        for bad in ({**good, "log_id": "123"}, {**good, "log_id": 5}, {**good, "date": "yesterday"},
                    {k: v for k, v in good.items() if k != "type"}, {**good, "log_id": IDS[0]}):
            with self.subTest(bad=bad):
                with self.assertRaises(RuntimeError):
                    self.emu.add_activities("auth0", [bad])
        self.emu.add_activities("auth0", [good])
        self.assertEqual(self.ids_after(IDS[-1]), [good["log_id"]])

    def ids_after(self, from_id: str) -> list[str]:
        return [r["log_id"] for r in self.get(LOGS, q(**{"from": from_id})).json()]


class Auth0GenerateTest(Auth0Case):
    emulator_args = ("--generate", "1200")

    def test_checkpoint_paging_gets_past_the_search_window(self) -> None:
        records, replies = self.walk(q(**{"from": "900" + "20240101000000" + "0" * 39, "take": 100}))
        self.assertEqual(len(records), 1200)
        self.assertEqual(len({r["log_id"] for r in records}), 1200)
        self.assertEqual([r["log_id"] for r in records], sorted(r["log_id"] for r in records))
        self.assertEqual(len(replies), 13)
        self.assertLess(max(r["date"] for r in records), harness.GENERATE_ANCHOR.replace("Z", ".000Z"))
        # search mode stops at 1,000: ten pages of 100, then the 400
        seen: list[str] = []
        for page in range(10):
            seen += [r["log_id"] for r in self.get(LOGS, q(per_page=100, page=page, sort="date:-1")).json()]
        self.assertEqual(len(set(seen)), 1000)
        reply = self.get(LOGS, q(per_page=100, page=10, sort="date:-1"))
        self.assertEqual((reply.status, reply.json()["errorCode"]), (400, "invalid_paging"))
        self.assertEqual(self.get(LOGS, q(per_page=30, page=32)).status, 200)  # records 960..989
        reply = self.get(LOGS, q(per_page=30, page=33))  # 990..1019 crosses the window
        self.assertEqual((reply.status, reply.json()["message"][:30]), (400, "Requesting page 34 exceeds the"))
        # a date range that matches fewer than 1,000 logs pages completely
        window = self.get(LOGS, q(q="date:[2024-06-30T12:00 TO 2024-07-01}", per_page=100, sort="date:1")).json()
        self.assertTrue(0 < len(window) <= 100)

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/auth0")
        self.assertTrue(all(re.fullmatch(r"900\d{53}", r["log_id"]) for r in first))
        with Emulator("--generate", "1200") as other:
            self.assertEqual(other.control("GET", "activities/auth0"), first)


def auth0_query_sort_pattern() -> str:
    return "^((" + "|".join(auth0_query.SEARCHABLE) + ")\\:(1|-1))$"


if __name__ == "__main__":
    unittest.main()
