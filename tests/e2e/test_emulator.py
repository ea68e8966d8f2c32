"""The emulator behaves like the real APIs: status codes, error bodies, paging, faults."""

from __future__ import annotations

import base64
import gzip
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
from http.client import HTTPConnection, IncompleteRead, RemoteDisconnected
from typing import Any

import harness
from harness import (CLIENT_ID, CLIENT_SECRET, PINGONE_ENV_ID, SAILPOINT_ME, TE_AID, TE_OTHER_AID, TOKEN,
                     TRUTO_ACCOUNT_ID, Emulator, Reply, fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import sailpoint_filter  # noqa: E402
import scim  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ACTIVITIES = f"/v1/environments/{PINGONE_ENV_ID}/activities"
RANGE = 'recordedAt ge "2024-05-13T00:00:00Z" and recordedAt lt "2024-05-17T00:00:00Z"'
TRUTO = "/unified/user-directory/activities"


def strings(obj: Any) -> list[str]:
    """Every string value in a JSON document."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


class EmulatorCase(harness.EmulatorTestCase):
    """One emulator per class, reset before every test."""

    def get(self, path: str, headers: dict[str, str] | None = AUTH, **kwargs: Any) -> Reply:
        return http(self.emu.url + path, headers=headers, **kwargs)

    def post_form(self, path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
        return http(self.emu.url + path, "POST",
                    {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
                    urllib.parse.urlencode(form).encode())

    def pingone(self, filter_text: str = RANGE, token: str = TOKEN, **params: Any) -> Reply:
        return self.get(f"{ACTIVITIES}?{q(filter=filter_text, **params)}", {"Authorization": f"Bearer {token}"})

    def assertPingOneError(self, reply: Reply, status: int, code: str, detail: str | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        body = reply.json()
        self.assertEqual(body["code"], code)
        self.assertRegex(body["id"], r"^[0-9a-f-]{36}$")
        self.assertTrue(body["message"].startswith("The request could not be completed."))
        if detail:
            self.assertEqual(body["details"][0]["code"], detail)
        return body

    def walk_pingone(self, filter_text: str = RANGE, limit: int = 7) -> list[dict[str, Any]]:
        reply = self.pingone(filter_text, limit=limit)
        records = []
        while True:
            self.assertEqual(reply.status, 200, reply.body)
            page = reply.json()
            self.assertEqual(page["count"], len(page["_embedded"]["activities"]))
            self.assertLessEqual(page["count"], limit)
            records += page["_embedded"]["activities"]
            if "next" not in page["_links"]:
                return records
            self.assertEqual(page["count"], limit)
            reply = http(page["_links"]["next"]["href"], headers=AUTH)


# =========================================================================== parsers


class ScimParserTest(unittest.TestCase):
    def test_and_binds_tighter_than_or(self) -> None:
        node = scim.parse('action.type eq "A" or action.type eq "B" and tags eq "C"')
        self.assertIsInstance(node, scim.Or)
        self.assertIsInstance(node.right, scim.And)

    def test_parentheses_group(self) -> None:
        node = scim.parse('(action.type eq "A" or action.type eq "B") and tags eq "C"')
        self.assertIsInstance(node, scim.And)
        self.assertIsInstance(node.left, scim.Or)

    def test_names_operators_and_keywords_are_case_insensitive(self) -> None:
        node = scim.parse('RecordedAt GT "2024-01-01T00:00:00Z" AND Action.Type EQ "X"')
        self.assertEqual(node, scim.And(scim.Comparison("recordedat", "gt", scim.parse_time("2024-01-01T00:00:00Z")),
                                        scim.Comparison("action.type", "eq", "X")))

    def test_string_escapes(self) -> None:
        self.assertEqual(scim.parse(r'actors.user.name eq "a \"b\" \\ c"').value, 'a "b" \\ c')

    def test_timestamps_with_and_without_millis(self) -> None:
        a = scim.parse('recordedat gt "2024-01-01T00:00:00Z"').value
        b = scim.parse('recordedat gt "2024-01-01T00:00:00.000Z"').value
        c = scim.parse('recordedat gt "2024-01-01T01:00:00.000+01:00"').value
        self.assertEqual(a, b)
        self.assertEqual(a, c)

    def test_rejections(self) -> None:
        bad = ['', '   ', 'action.type eq', 'action.type eq X', 'action.type ne "X"', 'action.type co "X"',
               'action.type sw "X"', 'action.type ew "X"', 'action.type pr', 'action.type in "X"',
               'not (action.type eq "X")', 'result.status eq "X"', 'recordedat eq "2024-01-01T00:00:00Z"',
               'recordedat gt "yesterday"', 'recordedat gt "2024-13-01T00:00:00Z"', 'recordedat gt 5',
               '(action.type eq "X"', 'action.type eq "X")', 'action.type eq "X" and', 'action.type eq "unterminated',
               'emails[type eq "work"]', 'action.type eq "X" xor tags eq "Y"', '"X" eq action.type',
               'action.type eq "bad \\q escape"', 'action.type eq true', 'actors..id eq "x"']
        for text in bad:
            with self.subTest(text=text):
                with self.assertRaises(scim.FilterError):
                    scim.parse(text)

    def test_time_bounds(self) -> None:
        def bounds(text: str) -> tuple[bool, bool]:
            return scim.time_bounds(scim.parse(text))
        lo, hi = 'recordedat gt "2024-01-01T00:00:00Z"', 'recordedat lt "2024-01-02T00:00:00Z"'
        self.assertEqual(bounds(f"{lo} and {hi}"), (True, True))
        self.assertEqual(bounds(f'{lo} and action.type eq "X" and {hi}'), (True, True))
        self.assertEqual(bounds(f"{lo} or {hi}"), (False, False))
        self.assertEqual(bounds(f'({lo} and {hi}) or action.type eq "X"'), (False, False))
        self.assertEqual(bounds(f'({lo} and {hi}) or ({lo} and {hi})'), (True, True))


class SailPointFilterTest(unittest.TestCase):
    def test_accepts(self) -> None:
        for text in ['type eq "Identity Refresh"', 'type in ("appRequest", "Certification")',
                     'created gt 2018-12-18T23:05:55Z', 'created ge 2024-05-01T00:00:00.000Z and type ne "x"',
                     'not type eq "x"', 'not (type eq "x" or type isnull)', 'modified isnull',
                     'type sw "Identity"', 'created in (2024-05-13T08:10:00.120Z, 2024-05-14T00:00:00Z)']:
            with self.subTest(text=text):
                sailpoint_filter.parse(text)

    def test_rejects(self) -> None:
        for text in ['', 'type EQ "x"', 'type eq x', 'Type eq "x"', 'type gt "x"', 'created gt "2024-05-01T00:00:00Z"',
                     'created gt 2024-05-01', 'id eq "x"', 'type eq "x" AND type eq "y"', 'type in ("x"',
                     'type in "x"', '(type eq "x"', 'type eq "x" type eq "y"', 'type co "x"', 'type eq "unterminated']:
            with self.subTest(text=text):
                with self.assertRaises(sailpoint_filter.FilterError):
                    sailpoint_filter.parse(text)


# =========================================================================== process


class ProcessTest(unittest.TestCase):
    def test_prints_one_listening_line_and_exits_cleanly_on_sigterm(self) -> None:
        proc = subprocess.Popen([sys.executable, str(harness.EMULATOR)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            self.assertRegex(line, r"^listening on http://127\.0\.0\.1:\d+\n$")
            port = int(line.strip().rsplit(":", 1)[1])
            self.assertEqual(http(f"http://127.0.0.1:{port}/_emulator/health").status, 200)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=5)
        finally:
            proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out, "")

    def test_start_failure_reports_stderr(self) -> None:
        with self.assertRaisesRegex(RuntimeError, "(?s)did not start.*TLS certificate /nonexistent.pem"):
            Emulator("--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key").start()

    def test_fixtures_are_well_formed(self) -> None:
        for provider in ("pingone", "truto", "thousandeyes", "sailpoint"):
            records = fixture_records(provider)
            with self.subTest(provider=provider):
                self.assertGreaterEqual(len(records), 25)
                text = "\n".join(strings(records))
                for needle in ["\u001b[31m", "\u001b]0;", "\u0007", "\r", "\u202e", "=HYPERLINK("]:
                    self.assertTrue(needle in text, repr(needle))
                self.assertTrue(any(ord(c) > 0x3000 for c in text), "CJK")
                self.assertTrue(any(ord(c) > 0xFFFF for c in text), "emoji")
                self.assertGreater(max(len(t) for t in strings(records)), 2000)
                if provider != "thousandeyes":
                    self.assertEqual(len({r["id"] for r in records}), len(records))


# =========================================================================== PingOne


class PingOneTest(EmulatorCase):
    def test_paging_returns_every_fixture_once_newest_first(self) -> None:
        records = self.walk_pingone()
        ids = [r["id"] for r in records]
        self.assertEqual(sorted(ids), sorted(r["id"] for r in fixture_records("pingone")))
        self.assertEqual(len(ids), len(set(ids)))
        keys = [(scim.parse_time(r["recordedAt"]), r["id"]) for r in records]
        self.assertEqual(keys, sorted(keys, reverse=True))
        for r in records:
            self.assertEqual(r["_links"]["self"]["href"], f"{self.emu.url}{ACTIVITIES}/{r['id']}")

    def test_every_limit_pages_the_same_records(self) -> None:
        expected = [r["id"] for r in self.walk_pingone(limit=1000)]
        for limit in (1, 2, 3, 34, 35, 36):
            with self.subTest(limit=limit):
                self.assertEqual([r["id"] for r in self.walk_pingone(limit=limit)], expected)

    def test_page_shape_and_links(self) -> None:
        reply = self.get(f"{ACTIVITIES}?{q(filter=RANGE, limit=5)}", {**AUTH, "Host": f"localhost:{self.emu.port}"})
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.headers["Content-Type"].startswith("application/hal+json"))
        page = reply.json()
        self.assertEqual(set(page), {"_links", "_embedded", "count", "size"})
        self.assertEqual((page["count"], page["size"]), (5, 5))
        self.assertEqual(page["_links"]["self"]["href"], f"http://localhost:{self.emu.port}{ACTIVITIES}?{q(filter=RANGE, limit=5)}")
        next_url = urllib.parse.urlsplit(page["_links"]["next"]["href"])
        self.assertEqual((next_url.scheme, next_url.netloc, next_url.path), ("http", f"localhost:{self.emu.port}", ACTIVITIES))
        params = urllib.parse.parse_qs(next_url.query)
        self.assertEqual(params["filter"], [RANGE])
        self.assertEqual(params["limit"], ["5"])
        self.assertRegex(params["cursor"][0], r"^[A-Za-z0-9_-]+$")
        self.assertIn("%20", next_url.query)

    def test_default_limit_is_100(self) -> None:
        self.emu.add_activities("pingone", [
            {"id": f"00000000-0000-4000-8000-{i:012d}", "recordedAt": "2024-05-13T05:00:00.000Z",
             "action": {"type": "USER.UPDATED"}} for i in range(80)])
        page = self.pingone().json()
        self.assertEqual(page["count"], 100)
        self.assertIn("next", page["_links"])

    def test_last_page_has_no_next(self) -> None:
        page = self.pingone(limit=1000).json()
        self.assertEqual(page["count"], len(fixture_records("pingone")))
        self.assertNotIn("next", page["_links"])

    def test_range_bounds_are_exclusive_or_inclusive(self) -> None:
        def count(text: str) -> int:
            return self.pingone(text, limit=1000).json()["count"]
        at = "2024-05-14T08:00:00Z"  # three records share this recordedAt
        self.assertEqual(count(f'recordedAt ge "{at}" and recordedAt le "{at}"'), 3)
        self.assertEqual(count(f'recordedAt gt "{at}" and recordedAt le "{at}"'), 0)
        self.assertEqual(count(f'recordedAt ge "{at}" and recordedAt lt "{at}"'), 0)
        self.assertEqual(count(f'recordedAt ge "2024-05-14T08:00:00.000Z" and recordedAt lt "2024-05-14T08:00:00.001Z"'), 3)
        self.assertEqual(count('recordedat gt "2024-05-15T23:59:59.999Z" and recordedat lt "2024-05-16T00:00:00.001Z"'), 1)

    def test_same_recorded_at_split_across_pages(self) -> None:
        text = 'recordedAt ge "2024-05-14T08:00:00Z" and recordedAt le "2024-05-14T08:00:00Z"'
        records = self.walk_pingone(text, limit=1)
        self.assertEqual(len(records), 3)
        self.assertEqual([r["id"] for r in records], sorted((r["id"] for r in records), reverse=True))

    def test_eq_filters(self) -> None:
        fixtures = fixture_records("pingone")
        def ids(text: str) -> set[str]:
            return {r["id"] for r in self.walk_pingone(f"{RANGE} and ({text})", limit=1000)}
        def expect(pred: Any) -> set[str]:
            return {r["id"] for r in fixtures if pred(r)}
        user = next(r for r in fixtures if "user" in r.get("actors", {}))["actors"]["user"]
        self.assertEqual(ids(f'actors.user.id eq "{user["id"]}"'),
                         expect(lambda r: r.get("actors", {}).get("user", {}).get("id") == user["id"]))
        self.assertEqual(ids('ACTORS.CLIENT.ID EQ "adminui"'),
                         expect(lambda r: r.get("actors", {}).get("client", {}).get("id") == "adminui"))
        self.assertEqual(ids('action.type eq "USER.CREATED" or action.type eq "USER.DELETED"'),
                         expect(lambda r: r["action"]["type"] in ("USER.CREATED", "USER.DELETED")))
        self.assertEqual(ids('resources.type eq "APPLICATION"'),
                         expect(lambda r: any(x["type"] == "APPLICATION" for x in r.get("resources", []))))
        self.assertEqual(ids('tags eq "adminIdentityEvent"'), expect(lambda r: "adminIdentityEvent" in r.get("tags", [])))
        self.assertEqual(ids('resources.population.id eq "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910"'),
                         expect(lambda r: any(x.get("population", {}).get("id") == "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910"
                                              for x in r.get("resources", []))))
        self.assertEqual(ids(f'environment.id eq "{PINGONE_ENV_ID}"'), expect(lambda r: True))
        self.assertEqual(ids(f'org.id eq "{harness.PINGONE_ORG_ID}"'), expect(lambda r: True))
        self.assertEqual(ids('actors.user.name eq "田中太郎"'),
                         expect(lambda r: r.get("actors", {}).get("user", {}).get("name") == "田中太郎"))
        self.assertEqual(ids('action.type eq "NO.SUCH_TYPE"'), set())
        corr = fixtures[0]["correlationId"]
        self.assertEqual(ids(f'correlationid eq "{corr}"'), {fixtures[0]["id"]})

    def test_fixture_content(self) -> None:
        fixtures = fixture_records("pingone")
        types = {r["action"]["type"] for r in fixtures}
        for t in ["USER.ACCESS_ALLOWED", "USER.ACCESS_DENIED", "PASSWORD.CHECK_FAILED", "PASSWORD.CHECK_SUCCEEDED",
                  "USER.CREATED", "USER.DELETED", "USER.UPDATED", "APPLICATION.CREATED", "APPLICATION.UPDATED",
                  "APPLICATION.DELETED", "GROUP.CREATED", "FLOW.UPDATED", "SOME.UNKNOWN_TYPE"]:
            self.assertIn(t, types)
        self.assertTrue(any("actors" not in r for r in fixtures))
        self.assertTrue(any(r.get("actors", {}).get("client", {}).get("id") == "adminui" and "user" not in r["actors"]
                            for r in fixtures))
        self.assertTrue(any(r.get("actors", {}).get("user", {}).get("population", {}).get("id") for r in fixtures))
        stamps = [r["recordedAt"] for r in fixtures]
        self.assertLess(len(set(stamps)), len(stamps))

    def test_filter_errors(self) -> None:
        cases = {
            "missing": None,
            "no upper bound": 'recordedAt gt "2024-05-13T00:00:00Z"',
            "no lower bound": 'recordedAt lt "2024-05-13T00:00:00Z"',
            "bounds under or": 'recordedAt gt "2024-05-13T00:00:00Z" or recordedAt lt "2024-05-17T00:00:00Z"',
            "unsupported operator": f'{RANGE} and action.type ne "USER.CREATED"',
            "unsupported attribute": f'{RANGE} and result.status eq "SUCCESS"',
            "not": f'{RANGE} and not (action.type eq "USER.CREATED")',
            "syntax": f'{RANGE} and (action.type eq "USER.CREATED"',
            "bad date": 'recordedAt gt "13/05/2024" and recordedAt lt "2024-05-17T00:00:00Z"',
            "empty": "",
        }
        for name, text in cases.items():
            with self.subTest(name):
                reply = self.get(ACTIVITIES + (f"?{q(filter=text)}" if text is not None else ""))
                body = self.assertPingOneError(reply, 400, "INVALID_DATA", "INVALID_FILTER")
                self.assertEqual(body["message"], "The request could not be completed. One or more validation errors were in the request.")

    def test_limit_errors(self) -> None:
        for limit in ("0", "1001", "-1", "abc", "", "1.5", "10 "):
            with self.subTest(limit=limit):
                self.assertPingOneError(self.pingone(limit=limit), 400, "INVALID_DATA", "INVALID_VALUE")
        self.assertEqual(self.pingone(limit="1000").status, 200)
        self.assertEqual(self.pingone(limit="1").json()["count"], 1)

    def test_cursor_errors(self) -> None:
        next_href = self.pingone(limit=2).json()["_links"]["next"]["href"]
        cursor = urllib.parse.parse_qs(urllib.parse.urlsplit(next_href).query)["cursor"][0]
        other = 'recordedAt ge "2024-05-13T00:00:00Z" and recordedAt lt "2024-05-16T00:00:00Z"'
        for name, value, text in [("garbage", "not-a-cursor!", RANGE), ("not json", "YWJj", RANGE),
                                  ("other filter", cursor, other), ("empty", "", RANGE)]:
            with self.subTest(name):
                self.assertPingOneError(self.pingone(text, cursor=value), 400, "INVALID_DATA", "INVALID_VALUE")
        self.assertEqual(self.pingone(cursor=cursor, limit=3).json()["count"], 3)

    def test_authentication(self) -> None:
        for headers in [None, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": "Bearer"}, {"Authorization": f"bearer  {TOKEN} x"}]:
            with self.subTest(headers=headers):
                reply = self.get(f"{ACTIVITIES}?{q(filter=RANGE)}", headers)
                body = self.assertPingOneError(reply, 401, "ACCESS_FAILED", "INVALID_TOKEN")
                self.assertEqual(body["details"][0]["message"], "The access token is invalid or expired.")
        self.assertEqual(self.get(f"{ACTIVITIES}?{q(filter=RANGE)}", {"Authorization": f"bearer {TOKEN}"}).status, 200)

    def test_unknown_environment_and_activity(self) -> None:
        self.assertPingOneError(self.get(f"/v1/environments/00000000-0000-4000-8000-000000000000/activities?{q(filter=RANGE)}"),
                                404, "NOT_FOUND")
        self.assertPingOneError(self.get(f"{ACTIVITIES}/00000000-0000-4000-8000-000000000000"), 404, "NOT_FOUND")

    def test_get_one(self) -> None:
        record = fixture_records("pingone")[5]
        reply = self.get(f"{ACTIVITIES}/{record['id']}")
        self.assertEqual(reply.status, 200)
        body = reply.json()
        self.assertEqual(body["_links"]["self"]["href"], f"{self.emu.url}{ACTIVITIES}/{record['id']}")
        self.assertEqual({k: v for k, v in body.items() if k != "_links"}, {k: v for k, v in record.items() if k != "_links"})

    def test_post_list_keeps_filter_out_of_url(self) -> None:
        body = json.dumps({"filter": RANGE, "limit": 4}).encode()
        reply = http(self.emu.url + ACTIVITIES, "POST", {**AUTH, "Content-Type": "application/json"}, body)
        self.assertEqual(reply.json()["count"], 4)
        form = self.post_form(ACTIVITIES, {"filter": RANGE, "limit": "2"}, AUTH)
        self.assertEqual(form.json()["count"], 2)

    def test_wrong_method(self) -> None:
        reply = http(self.emu.url + ACTIVITIES, "DELETE", AUTH)
        self.assertEqual(reply.status, 405)
        self.assertIn("GET", reply.headers["Allow"])

    def test_token_client_secret_basic_and_post(self) -> None:
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        for path in (f"/{PINGONE_ENV_ID}/as/token", "/as/token"):
            for form, headers in [({"grant_type": "client_credentials"}, {"Authorization": basic}),
                                  ({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                    "client_secret": CLIENT_SECRET}, {})]:
                with self.subTest(path=path, basic=bool(headers)):
                    reply = self.post_form(path, form, headers)
                    self.assertEqual(reply.status, 200, reply.body)
                    body = reply.json()
                    self.assertEqual(set(body), {"access_token", "token_type", "expires_in"})
                    self.assertEqual((body["token_type"], body["expires_in"]), ("Bearer", 3600))
                    self.assertEqual(self.pingone(token=body["access_token"], limit=1).status, 200)

    def test_token_errors(self) -> None:
        path = f"/{PINGONE_ENV_ID}/as/token"
        bad_basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:wrong".encode()).decode()
        reply = self.post_form(path, {"grant_type": "client_credentials"}, {"Authorization": bad_basic})
        self.assertEqual((reply.status, reply.json()["error"]), (401, "invalid_client"))
        reply = self.post_form(path, {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"})
        self.assertEqual((reply.status, reply.json()["error"]), (401, "invalid_client"))
        reply = self.post_form(path, {"grant_type": "client_credentials"})
        self.assertEqual((reply.status, reply.json()["error"]), (401, "invalid_client"))
        reply = self.post_form(path, {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        self.assertEqual((reply.status, reply.json()["error"]), (400, "unsupported_grant_type"))
        self.assertIn("error_description", reply.json())
        reply = self.post_form(path, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        self.assertEqual((reply.status, reply.json()["error"]), (400, "invalid_request"))
        reply = self.post_form("/00000000-0000-4000-8000-000000000000/as/token", {"grant_type": "client_credentials"})
        self.assertEqual(reply.status, 404)
        self.assertEqual(http(self.emu.url + path).status, 405)

    def test_issued_tokens_expire_and_belong_to_pingone(self) -> None:
        token = self.post_form("/as/token", {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                             "client_secret": CLIENT_SECRET}).json()["access_token"]
        self.assertEqual(self.get(f"/v3/account-activities", {"Authorization": f"Bearer {token}"}).status, 401)
        self.emu.expire_tokens()
        self.assertPingOneError(self.pingone(token=token), 401, "ACCESS_FAILED", "INVALID_TOKEN")
        self.assertEqual(self.pingone().status, 200)  # static tokens never expire

    def test_runtime_records_appear_in_order(self) -> None:
        new = {"id": "ffffffff-0000-4000-8000-000000000001", "recordedAt": "2024-05-16T23:00:00.000Z",
               "action": {"type": "USER.CREATED"}}
        self.emu.add_activities("pingone", [new])
        first = self.pingone(limit=1).json()["_embedded"]["activities"][0]
        self.assertEqual(first["id"], new["id"])
        self.assertEqual(self.get(f"{ACTIVITIES}/{new['id']}").status, 200)
        self.emu.reset()
        self.assertEqual(self.get(f"{ACTIVITIES}/{new['id']}").status, 404)


class PingOneTokenLifetimeTest(EmulatorCase):
    emulator_args = ("--token-lifetime", "1", "--pingone-auth-method", "basic")

    def test_token_expires_after_lifetime(self) -> None:
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        reply = self.post_form("/as/token", {"grant_type": "client_credentials"}, {"Authorization": basic})
        body = reply.json()
        self.assertEqual(body["expires_in"], 1)
        self.assertEqual(self.pingone(token=body["access_token"]).status, 200)
        time.sleep(1.1)
        self.assertEqual(self.pingone(token=body["access_token"]).status, 401)

    def test_client_secret_post_refused_when_basic_configured(self) -> None:
        reply = self.post_form("/as/token", {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                             "client_secret": CLIENT_SECRET})
        self.assertEqual((reply.status, reply.json()["error"]), (401, "invalid_client"))


# =========================================================================== Truto


class TrutoTest(EmulatorCase):
    def truto(self, **params: Any) -> Reply:
        params.setdefault("integrated_account_id", TRUTO_ACCOUNT_ID)
        return self.get(f"{TRUTO}?{q(**params)}")

    def walk(self, **params: Any) -> list[dict[str, Any]]:
        records, cursor = [], None
        while True:
            extra = {"next_cursor": cursor} if cursor else {}
            page = self.truto(**params, **extra).json()
            self.assertEqual(set(page), {"result", "next_cursor", "prev_cursor", "result_count"})
            self.assertEqual(page["result_count"], len(page["result"]))
            records += page["result"]
            cursor = page["next_cursor"]
            if cursor is None:
                return records

    def test_paging_returns_every_fixture_once_newest_first(self) -> None:
        records = self.walk(limit=4)
        self.assertEqual(sorted(r["id"] for r in records), sorted(r["id"] for r in fixture_records("truto")))
        stamps = [(r["created_at"], r["id"]) for r in records]
        self.assertEqual(stamps, sorted(stamps, reverse=True))

    def test_default_limit(self) -> None:
        page = self.truto().json()
        self.assertEqual(page["result_count"], 25)
        self.assertIsInstance(page["next_cursor"], str)

    def test_filters(self) -> None:
        fixtures = fixture_records("truto")
        since = "2024-05-15T08:00:00.000Z"
        self.assertEqual({r["id"] for r in self.walk(created_at=since)},
                         {r["id"] for r in fixtures if r["created_at"] >= since})
        self.assertEqual({r["id"] for r in self.walk(action="login_failed")},
                         {r["id"] for r in fixtures if r["action"] == "login_failed"})
        actor = fixtures[0]["actor"]["user"]["id"]
        self.assertEqual({r["id"] for r in self.walk(actor_id=actor, action="login")},
                         {r["id"] for r in fixtures if r["action"] == "login" and r["actor"].get("user", {}).get("id") == actor})
        ip = "203.0.113.24"
        self.assertEqual(len(self.walk(ip_address=ip)), sum(1 for r in fixtures if (r.get("context") or {}).get("ip_address") == ip))
        self.assertEqual(self.walk(entity_type="AppInstance", organization_id="acme.okta.com", limit=1),
                         [r for r in sorted(fixtures, key=lambda r: (r["created_at"], r["id"]), reverse=True)
                          if r.get("entity_type") == "AppInstance" and r.get("organization") == "acme.okta.com"])

    def test_ignore_remote_data_and_exclude_fields(self) -> None:
        page = self.truto(truto_ignore_remote_data="true").json()
        self.assertTrue(all("remote_data" not in r for r in page["result"]))
        self.assertTrue(any("remote_data" in r for r in self.truto().json()["result"]))
        reply = self.get(f"{TRUTO}?integrated_account_id={TRUTO_ACCOUNT_ID}&truto_exclude_fields[]=context&truto_exclude_fields[]=actor")
        self.assertTrue(all("context" not in r and "actor" not in r for r in reply.json()["result"]))

    def test_errors(self) -> None:
        def check(reply: Reply, status: int) -> None:
            self.assertEqual(reply.status, status, reply.body)
            body = reply.json()
            self.assertEqual((body["statusCode"], set(body)), (status, {"statusCode", "error", "message"}))
        check(self.get(TRUTO), 400)
        check(self.truto(integrated_account_id="00000000-0000-4000-8000-000000000000"), 404)
        check(self.truto(limit="zero"), 400)
        check(self.truto(created_at="last tuesday"), 400)
        check(self.truto(next_cursor="bogus"), 400)
        cursor = self.truto(limit=2).json()["next_cursor"]
        check(self.truto(next_cursor=cursor, action="login"), 400)  # filters must stay the same
        check(self.get(f"{TRUTO}?integrated_account_id={TRUTO_ACCOUNT_ID}", None), 401)

    def test_get_one(self) -> None:
        record = fixture_records("truto")[3]
        reply = self.get(f"{TRUTO}/{record['id']}?integrated_account_id={TRUTO_ACCOUNT_ID}")
        self.assertEqual(reply.json(), record)
        reply = self.get(f"{TRUTO}/{record['id']}?integrated_account_id={TRUTO_ACCOUNT_ID}&truto_ignore_remote_data=true")
        self.assertNotIn("remote_data", reply.json())
        self.assertEqual(self.get(f"{TRUTO}/nope?integrated_account_id={TRUTO_ACCOUNT_ID}").status, 404)
        self.assertEqual(self.get(f"{TRUTO}/{record['id']}").status, 400)


# =========================================================================== ThousandEyes


class ThousandEyesTest(EmulatorCase):
    emulator_args = ("--te-page-size", "5", "--now", "2024-05-16T12:00:00Z")

    def te(self, query: str) -> Reply:
        return self.get(f"/v7/audit-user-events?{query}")

    def walk(self, query: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        reply, events = self.te(query), []
        while True:
            self.assertEqual(reply.status, 200, reply.body)
            page = reply.json()
            events += page["auditEvents"]
            if "next" not in page["_links"]:
                return events, page
            self.assertEqual(len(page["auditEvents"]), 5)
            reply = http(page["_links"]["next"]["href"], headers=AUTH)

    def test_paging_returns_every_event_once_in_range(self) -> None:
        fixtures = [r for r in fixture_records("thousandeyes") if r["aid"] == TE_AID]
        events, last = self.walk(f"aid={TE_AID}&startDate=2024-05-13T00:00:00Z&endDate=2024-05-17T00:00:00Z")
        self.assertEqual(sorted(json.dumps(e, sort_keys=True) for e in events),
                         sorted(json.dumps(e, sort_keys=True) for e in fixtures))
        dates = [e["date"] for e in events]
        self.assertEqual(dates, sorted(dates, reverse=True))
        self.assertEqual((last["startDate"], last["endDate"]), ("2024-05-13T00:00:00Z", "2024-05-17T00:00:00Z"))

    def test_start_inclusive_end_exclusive(self) -> None:
        events, _ = self.walk("startDate=2024-05-15T00:00:00Z&endDate=2024-05-16T08:00:00Z")
        dates = {e["date"] for e in events}
        self.assertIn("2024-05-15T00:00:00Z", dates)
        self.assertNotIn("2024-05-16T08:00:00Z", dates)

    def test_window_and_default_range_end_at_now(self) -> None:
        events, page = self.walk("window=1d")
        self.assertEqual((page["startDate"], page["endDate"]), ("2024-05-15T12:00:00Z", "2024-05-16T12:00:00Z"))
        self.assertTrue(all("2024-05-15T12:00:00Z" <= e["date"] < "2024-05-16T12:00:00Z" for e in events))
        self.assertEqual(self.te("window=86400").json()["startDate"], "2024-05-15T12:00:00Z")
        self.assertEqual(self.te("").json()["startDate"], "2024-05-15T12:00:00Z")
        self.assertEqual(self.te("window=2w").json()["startDate"], "2024-05-02T12:00:00Z")

    def test_use_all_permitted_aids(self) -> None:
        events, _ = self.walk("useAllPermittedAids=true&startDate=2024-05-13T00:00:00Z&endDate=2024-05-17T00:00:00Z")
        self.assertEqual({e["aid"] for e in events}, {TE_AID, TE_OTHER_AID})
        events, _ = self.walk(f"aid={TE_OTHER_AID}&startDate=2024-05-13T00:00:00Z&endDate=2024-05-17T00:00:00Z")
        self.assertEqual({e["aid"] for e in events}, {TE_OTHER_AID})

    def test_errors(self) -> None:
        for query, field in [("window=12h&startDate=2024-05-13T00:00:00Z", "window"), ("window=12x", "window"),
                             ("startDate=2024-05-13", "startDate"), ("startDate=2024-05-13T00:00:00%2B02:00", "startDate"),
                             ("endDate=2024-05-13T00:00:00Z", "startDate"), ("aid=abc", "aid"),
                             ("startDate=2024-05-14T00:00:00Z&endDate=2024-05-13T00:00:00Z", "startDate"),
                             ("useAllPermittedAids=maybe", "useAllPermittedAids"), ("cursor=zzz", "cursor")]:
            with self.subTest(query):
                reply = self.te(query)
                self.assertEqual(reply.status, 400)
                self.assertEqual(reply.headers["Content-Type"], "application/problem+json")
                body = reply.json()
                self.assertEqual({"type", "title", "status", "detail", "instance", "errors"}, set(body))
                self.assertEqual(body["errors"][0]["field"], field)
        reply = self.te("aid=9999")
        self.assertEqual((reply.status, reply.json()["status"]), (403, 403))
        reply = self.get("/v7/audit-user-events", None)
        self.assertEqual((reply.status, reply.json()["error"]), (401, "invalid_token"))

    def test_rate_limit_headers(self) -> None:
        reply = self.te("window=1h")
        self.assertEqual(reply.headers["X-Organization-Rate-Limit-Limit"], "240")
        self.assertTrue(reply.headers["X-Organization-Rate-Limit-Reset"].isdigit())


# =========================================================================== SailPoint


class SailPointTest(EmulatorCase):
    def sp(self, headers: dict[str, str] | None = AUTH, **params: Any) -> Reply:
        return self.get(f"/v3/account-activities?{q(**params)}", headers)

    def assertSailPointError(self, reply: Reply, status: int) -> None:
        self.assertEqual(reply.status, status, reply.body)
        body = reply.json()
        self.assertEqual(set(body), {"detailCode", "trackingId", "messages", "causes"})
        self.assertEqual(set(body["messages"][0]), {"locale", "localeOrigin", "text"})

    def test_offset_paging_returns_every_fixture_once(self) -> None:
        seen, offset = [], 0
        while True:
            reply = self.sp(limit=7, offset=offset, count="true", sorters="created")
            self.assertEqual(reply.headers["X-Total-Count"], "30")
            page = reply.json()
            self.assertIsInstance(page, list)
            seen += page
            if len(page) < 7:
                break
            offset += 7
        self.assertEqual([r["id"] for r in seen], [r["id"] for r in sorted(
            fixture_records("sailpoint"), key=lambda r: (r["created"], r["id"]))])
        self.assertIsNone(self.sp(limit=3).headers["X-Total-Count"])

    def test_filters_and_sorters(self) -> None:
        fixtures = fixture_records("sailpoint")
        def ids(**params: Any) -> list[str]:
            reply = self.sp(**params)
            self.assertEqual(reply.status, 200, reply.body)
            return [r["id"] for r in reply.json()]
        self.assertEqual(set(ids(filters='type eq "Identity Refresh"')),
                         {r["id"] for r in fixtures if r["type"] == "Identity Refresh"})
        self.assertEqual(set(ids(filters='type in ("appRequest","Certification") and created ge 2024-05-15T00:00:00Z')),
                         {r["id"] for r in fixtures if r["type"] in ("appRequest", "Certification") and r["created"] >= "2024-05-15"})
        self.assertEqual(set(ids(filters='not (type isnull) and created lt 2024-05-13T12:00:00Z')),
                         {r["id"] for r in fixtures if r["type"] is not None and r["created"] < "2024-05-13T12"})
        self.assertEqual(set(ids(filters="modified isnull")), {r["id"] for r in fixtures if r.get("modified") is None})
        newest = ids(sorters="-created")
        self.assertEqual([next(r["created"] for r in fixtures if r["id"] == i) for i in newest],
                         sorted((r["created"] for r in fixtures), reverse=True))
        expected = sorted(fixtures, key=lambda r: r["id"])
        expected.sort(key=lambda r: r["created"], reverse=True)
        expected.sort(key=lambda r: (r["type"] is None, r["type"] or ""))
        self.assertEqual(ids(sorters="type,-created"), [r["id"] for r in expected])

    def test_identity_parameters(self) -> None:
        fixtures = fixture_records("sailpoint")
        mine = {r["id"] for r in fixtures if (r.get("requesterIdentitySummary") or {}).get("identityId") == SAILPOINT_ME}
        self.assertEqual({r["id"] for r in self.sp(**{"requested-by": "me"}).json()}, mine)
        target = fixtures[0]["targetIdentitySummary"]["identityId"]
        self.assertEqual({r["id"] for r in self.sp(**{"requested-for": target}).json()},
                         {r["id"] for r in fixtures if (r.get("targetIdentitySummary") or {}).get("identityId") == target})
        self.assertSailPointError(self.sp(**{"regarding-identity": "me", "requested-by": "me"}), 400)

    def test_parameter_errors(self) -> None:
        for params in [{"limit": "251"}, {"limit": "-1"}, {"limit": "x"}, {"offset": "10001"}, {"offset": "-5"},
                       {"count": "yes"}, {"filters": 'type gt "x"'}, {"filters": "created gt yesterday"},
                       {"filters": 'type eq "x" AND type eq "y"'}, {"sorters": "name"}, {"sorters": "-id"}]:
            with self.subTest(params=params):
                self.assertSailPointError(self.sp(**params), 400)
        self.assertEqual(self.sp(limit="250", offset="10000").status, 200)
        self.assertEqual(self.sp(limit="0").json(), [])

    def test_auth_and_token(self) -> None:
        reply = self.sp(None)
        self.assertEqual((reply.status, reply.json()), (401, {"error": "JWT validation failed: JWT is expired"}))
        reply = http(f"{self.emu.url}/oauth/token?{q(grant_type='client_credentials', client_id=CLIENT_ID, client_secret=CLIENT_SECRET)}", "POST")
        body = reply.json()
        self.assertEqual((reply.status, body["token_type"], body["expires_in"]), (200, "bearer", 749))
        self.assertEqual(self.sp({"Authorization": f"Bearer {body['access_token']}"}).status, 200)
        form = self.post_form("/oauth/token", {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                               "client_secret": CLIENT_SECRET})
        self.assertEqual(form.status, 200)
        bad = self.post_form("/oauth/token", {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "no"})
        self.assertEqual((bad.status, bad.json()["error"]), (401, "invalid_client"))
        bad = self.post_form("/oauth/token", {"grant_type": "implicit", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        self.assertEqual((bad.status, bad.json()["error"]), (400, "unsupported_grant_type"))

    def test_get_one(self) -> None:
        record = fixture_records("sailpoint")[2]
        self.assertEqual(self.get(f"/v3/account-activities/{record['id']}").json(), record)
        self.assertSailPointError(self.get("/v3/account-activities/0000"), 404)


class SailPointOffsetCapTest(EmulatorCase):
    emulator_args = ("--sail-max-offset", "20")

    def test_configurable_offset_cap(self) -> None:
        self.assertEqual(self.get("/v3/account-activities?offset=20").status, 200)
        self.assertEqual(self.get("/v3/account-activities?offset=21").status, 400)


# =========================================================================== faults and control


class FaultTest(EmulatorCase):
    def test_status_uses_provider_body_and_counts_times_and_skip(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 429, "times": 2, "skip": 1})
        statuses = [self.pingone().status for _ in range(4)]
        self.assertEqual(statuses, [200, 429, 429, 200])
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 429})
        reply = self.pingone()
        self.assertPingOneError(reply, 429, "REQUEST_LIMITED")
        self.assertEqual(reply.headers["Retry-After"], "1")
        self.assertEqual(len(self.emu.requests(ACTIVITIES)), 5)

    def test_status_overrides(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "status", "status": 429, "headers": {"Retry-After": None}},
                        {"path": "/v3/", "kind": "status", "status": 503, "body": "upstream down"},
                        {"path": "/v3/", "kind": "status", "status": 429, "headers": {"Retry-After": "7"}})
        first = self.get("/v3/account-activities")
        self.assertEqual((first.status, first.json(), first.headers["Retry-After"]), (429, {"message": " Rate Limit Exceeded "}, None))
        second = self.get("/v3/account-activities")
        self.assertEqual((second.status, second.body), (503, b"upstream down"))
        self.assertEqual(self.get("/v3/account-activities").headers["Retry-After"], "7")

    def test_always_and_method_and_clear(self) -> None:
        self.emu.faults({"path": "token", "method": "POST", "kind": "status", "status": 500, "times": -1})
        for _ in range(3):
            self.assertEqual(self.post_form("/as/token", {}).status, 500)
        self.emu.clear_faults()
        self.assertEqual(self.post_form("/as/token", {}).status, 401)

    def test_invalid_rules_are_refused(self) -> None:
        for rule in [{"kind": "status", "status": 429}, {"path": "(", "kind": "reset"}, {"path": "x", "kind": "nope"},
                     {"path": "x", "kind": "status"}, {"path": "x", "kind": "reset", "delay": 1},
                     {"path": "x", "kind": "redirect", "status": 200}, {"path": "x", "kind": "slow", "times": -2}]:
            with self.subTest(rule=rule), self.assertRaises(RuntimeError):
                self.emu.faults(rule)

    def test_slow(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "slow", "delay_ms": 300})
        start = time.monotonic()
        self.assertEqual(self.get("/v3/account-activities").status, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        with self.assertRaises((TimeoutError, socket.timeout, urllib.error.URLError)):
            self.emu.faults({"path": "/v3/", "kind": "slow", "delay_ms": 2000})
            self.get("/v3/account-activities", timeout=0.3)

    def test_stall_body_then_complete(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "stall_body", "delay_ms": 300})
        start = time.monotonic()
        reply = self.get("/v3/account-activities")
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.assertEqual(len(reply.json()), 30)

    def test_stall_body_hangs_mid_body(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "stall_body"})
        conn = HTTPConnection("127.0.0.1", self.emu.port, timeout=0.5)
        conn.request("GET", "/v3/account-activities", headers=AUTH)
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        with self.assertRaises((TimeoutError, socket.timeout)):
            response.read()
        conn.close()

    def test_truncate(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "truncate"})
        conn = HTTPConnection("127.0.0.1", self.emu.port, timeout=5)
        conn.request("GET", "/v3/account-activities", headers=AUTH)
        response = conn.getresponse()
        with self.assertRaises(IncompleteRead):
            response.read()
        conn.close()

    def test_reset(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "reset"})
        conn = HTTPConnection("127.0.0.1", self.emu.port, timeout=5)
        conn.request("GET", "/v3/account-activities", headers=AUTH)
        with self.assertRaises((ConnectionResetError, RemoteDisconnected)):
            conn.getresponse()
        conn.close()
        self.assertEqual(self.get("/v3/account-activities").status, 200)

    def test_invalid_json_and_html(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "invalid_json"}, {"path": "/activities$", "kind": "html"})
        reply = self.pingone()
        self.assertEqual((reply.status, reply.headers["Content-Type"]), (200, "application/json"))
        with self.assertRaises(ValueError):
            reply.json()
        reply = self.pingone()
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.headers["Content-Type"].startswith("text/html"))
        self.assertIn(b"<html>", reply.body)

    def test_redirect(self) -> None:
        target = self.emu.url_for(f"{ACTIVITIES}?{q(filter=RANGE)}", host="localhost")
        self.emu.faults({"path": "/activities$", "kind": "redirect", "status": 307, "location": target},
                        {"path": "/activities$", "kind": "redirect"})
        reply = self.pingone()
        self.assertEqual((reply.status, reply.headers["Location"]), (307, target))
        reply = self.pingone()
        self.assertEqual((reply.status, reply.headers["Location"]), (302, f"{ACTIVITIES}?{q(filter=RANGE)}"))

    def test_big_body(self) -> None:
        self.emu.faults({"path": "/v3/", "kind": "big_body", "size": 3_000_000})
        reply = self.get("/v3/account-activities")
        self.assertEqual((len(reply.body), reply.headers["Content-Length"]), (3_000_000, "3000000"))
        self.assertEqual(len(reply.json()["padding"]), 3_000_000 - 14)

    def test_gzip_and_truncated_gzip(self) -> None:
        reply = self.get("/v3/account-activities", {**AUTH, "Accept-Encoding": "gzip"})
        self.assertEqual(reply.headers["Content-Encoding"], "gzip")
        self.assertEqual(len(reply.json()), 30)
        self.assertIsNone(self.get("/v3/account-activities", {**AUTH, "Accept-Encoding": "gzip;q=0"}).headers["Content-Encoding"])
        self.emu.faults({"path": "/v3/", "kind": "truncated_gzip"})
        reply = self.get("/v3/account-activities", {**AUTH, "Accept-Encoding": "gzip"})
        self.assertEqual(reply.headers["Content-Encoding"], "gzip")
        with self.assertRaises(EOFError):
            gzip.decompress(reply.body)

    def test_status_with_exact_body_bytes(self) -> None:
        raw = b'{"_embedded":{"activities":[{"id":"x\xff\xfe"}]}}'
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 200,
                         "body_base64": base64.b64encode(raw).decode()})
        reply = self.pingone()
        self.assertEqual((reply.status, reply.headers["Content-Type"], reply.decoded()), (200, "application/json", raw))
        for rule in [{"path": "x", "kind": "status", "status": 200, "body_base64": "!!"},
                     {"path": "x", "kind": "status", "status": 200, "body_base64": "e30=", "body": "{}"}]:
            with self.subTest(rule=rule), self.assertRaises(RuntimeError):
                self.emu.faults(rule)

    def test_status_echoing_the_authorization_header(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 401, "echo_authorization": True})
        reply = self.pingone()
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.json()["detail"], f"Bearer {TOKEN}")
        with self.assertRaises(RuntimeError):
            self.emu.faults({"path": "x", "kind": "status", "status": 401, "echo_authorization": "yes"})

    def test_expire_tokens_then_handle_normally(self) -> None:
        token = self.post_form("/as/token", {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                             "client_secret": CLIENT_SECRET}).json()["access_token"]
        self.assertEqual(self.pingone(token=token).status, 200)
        self.emu.faults({"path": "/activities$", "kind": "expire_tokens", "skip": 1})
        self.assertEqual(self.pingone(token=token).status, 200)  # skipped
        self.assertPingOneError(self.pingone(token=token), 401, "ACCESS_FAILED", "INVALID_TOKEN")  # expired by the rule
        self.assertEqual(self.pingone().status, 200)  # static tokens do not expire

    def test_keep_alive_serves_several_requests_on_one_connection(self) -> None:
        conn = HTTPConnection("127.0.0.1", self.emu.port, timeout=5)
        for _ in range(3):
            conn.request("GET", f"{ACTIVITIES}?{q(filter=RANGE, limit=2)}", headers=AUTH)
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.version, 11)
            response.read()
        conn.close()

    def test_malformed_requests_do_not_crash(self) -> None:
        for raw in [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                    b"GET /v1/environments/%ff/activities?filter=%ff HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n\r\n",
                    b"POST /as/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4\r\n\r\n\xff\xfe%z"]:
            with socket.create_connection(("127.0.0.1", self.emu.port), timeout=5) as sock:
                sock.sendall(raw)
                self.assertRegex(sock.recv(65536), rb"^HTTP/1\.[01] 4\d\d ")
        self.assertTrue(self.emu.health())


class ControlTest(EmulatorCase):
    def test_requests_log(self) -> None:
        self.post_form("/as/token", {"grant_type": "client_credentials"}, {"X-Custom": "yes"})
        self.pingone(limit=3)
        entries = self.emu.requests()
        self.assertEqual([e["method"] for e in entries], ["POST", "GET"])
        token, listing = entries
        self.assertEqual(token["body"], "grant_type=client_credentials")
        self.assertEqual(token["headers"]["X-Custom"], "yes")
        self.assertEqual(listing["params"], {"filter": [RANGE], "limit": ["3"]})
        self.assertEqual(listing["query"], q(filter=RANGE, limit=3))
        self.assertEqual(listing["headers"]["Authorization"], f"Bearer {TOKEN}")
        self.emu.clear_requests()
        self.assertEqual(self.emu.requests(), [])

    def test_add_activities_validates(self) -> None:
        with self.assertRaises(RuntimeError):
            self.emu.add_activities("pingone", [{"id": "x"}])
        with self.assertRaises(RuntimeError):
            self.emu.add_activities("pingone", [fixture_records("pingone")[0]])
        with self.assertRaises(RuntimeError):
            self.emu.add_activities("nobody", [])
        self.emu.add_activities("thousandeyes", [{"date": "2024-05-16T11:59:00Z", "event": "Logged in.", "aid": TE_AID}])
        events = self.get("/v7/audit-user-events?startDate=2024-05-16T11:00:00Z&endDate=2024-05-16T12:00:00Z").json()["auditEvents"]
        self.assertEqual(events[0]["date"], "2024-05-16T11:59:00Z")

    def test_stats_count_api_requests_until_reset(self) -> None:
        self.assertEqual(self.emu.stats(), {"requests": 0, "rate_limited": 0, "max_per_second": 0})
        began = time.monotonic()
        self.pingone(limit=3)
        self.post_form("/as/token", {"grant_type": "client_credentials"})
        self.get("/no/such/api")
        self.assertTrue(self.emu.health())  # control requests are not counted
        elapsed = time.monotonic() - began
        stats = self.emu.stats()
        self.assertEqual((stats["requests"], stats["rate_limited"]), (3, 0))
        if elapsed < 1:  # all three in one second
            self.assertEqual(stats["max_per_second"], 3)
        self.assertIn(stats["max_per_second"], (1, 2, 3))
        self.assertEqual([e["rate_limited"] for e in self.emu.requests()], [False] * 3)
        self.emu.clear_requests()  # the log, not the counts
        self.assertEqual(self.emu.stats()["requests"], 3)
        self.emu.reset()
        self.assertEqual(self.emu.stats(), {"requests": 0, "rate_limited": 0, "max_per_second": 0})


class RateLimitTest(EmulatorCase):
    """--rate-limit 3: three API requests admitted in any rolling second, across providers and
    connections; the others 429 with Retry-After: 1, not counted against the window."""

    emulator_args = ("--rate-limit", "3")

    def assertLimited(self, reply: Reply) -> None:
        self.assertEqual(reply.status, 429, reply.body)
        self.assertEqual(reply.headers["Retry-After"], "1")

    def fast_enough(self, began: float) -> None:
        """Exact counts need every request of a test inside one second of the first."""
        if time.monotonic() - began >= 0.9:
            self.skipTest("the machine is too slow to send these requests within one second")

    def test_requests_over_the_limit_get_429_with_the_provider_body(self) -> None:
        began = time.monotonic()
        replies = [self.pingone(limit=2) for _ in range(5)]
        self.fast_enough(began)
        self.assertEqual([r.status for r in replies], [200, 200, 200, 429, 429])
        for reply in replies[3:]:
            self.assertLimited(reply)
            self.assertPingOneError(reply, 429, "REQUEST_LIMITED")
        self.assertEqual([e["rate_limited"] for e in self.emu.requests()], [False, False, False, True, True])
        self.assertEqual(self.emu.stats(), {"requests": 5, "rate_limited": 2, "max_per_second": 3})
        self.assertTrue(self.emu.health())  # the control API is never limited
        self.assertEqual(self.emu.stats()["requests"], 5)

    def test_one_window_across_providers_and_token_requests(self) -> None:
        began = time.monotonic()
        self.assertEqual(self.pingone(limit=1).status, 200)
        self.assertEqual(self.get(f"{TRUTO}?{q(integrated_account_id=TRUTO_ACCOUNT_ID, limit=1)}").status, 200)
        self.assertEqual(self.post_form("/as/token", {"grant_type": "client_credentials"},
                                        {"Authorization": "Basic " + base64.b64encode(
                                            f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()}).status, 200)
        truto = self.get(f"{TRUTO}?{q(integrated_account_id=TRUTO_ACCOUNT_ID, limit=1)}")
        token = self.post_form("/as/token", {"grant_type": "client_credentials"})
        sailpoint = self.get("/v3/account-activities?limit=1")
        unknown = self.get("/no/such/api")
        self.fast_enough(began)
        for reply in (truto, token, sailpoint, unknown):
            self.assertLimited(reply)
        body = truto.json()  # each provider's own 429 body
        self.assertEqual((body["statusCode"], set(body)), (429, {"statusCode", "error", "message"}))
        self.assertEqual(sailpoint.json(), {"message": " Rate Limit Exceeded "})  # as SailPoint's gateway
        self.assertEqual(self.emu.stats(), {"requests": 7, "rate_limited": 4, "max_per_second": 3})

    def test_refused_requests_do_not_count_and_the_window_rolls(self) -> None:
        began = time.monotonic()
        for _ in range(3):
            self.assertEqual(self.pingone(limit=1).status, 200)
        third = time.monotonic()  # the three were admitted before this
        refused = []
        for _ in range(4):
            refused.append(self.pingone(limit=1))
            time.sleep(0.1)
        self.fast_enough(began)
        for reply in refused:
            self.assertLimited(reply)
        # A second after the third admission the window is empty; had the 429s counted, at least
        # three of them (sent 0.1 s apart after it) would still fill it.
        time.sleep(max(0.0, third + 1.05 - time.monotonic()))
        again = time.monotonic()
        replies = [self.pingone(limit=1) for _ in range(4)]
        self.fast_enough(again)
        self.assertEqual([r.status for r in replies], [200, 200, 200, 429])
        self.assertEqual(self.emu.stats(), {"requests": 11, "rate_limited": 5, "max_per_second": 3})
        self.emu.reset()  # also empties the window
        self.assertEqual(self.pingone(limit=1).status, 200)
        self.assertEqual(self.emu.stats(), {"requests": 1, "rate_limited": 0, "max_per_second": 1})

    def test_negative_limit_is_refused(self) -> None:
        with self.assertRaisesRegex(RuntimeError, "(?s)did not start.*--rate-limit must be >= 0"):
            Emulator("--rate-limit", "-1").start()


class RateLimitConcurrencyTest(EmulatorCase):
    """--rate-limit with parallel connections and --page-delay-ms: the limit holds across
    connections, and a refused request is answered before the page delay."""

    emulator_args = ("--rate-limit", "3", "--page-delay-ms", "400")

    def test_parallel_burst_admits_the_limit_and_refuses_the_rest_at_once(self) -> None:
        replies: list[tuple[Reply, float]] = []
        lock = threading.Lock()

        def fetch() -> None:
            began = time.monotonic()
            reply = self.pingone(limit=1)
            with lock:
                replies.append((reply, time.monotonic() - began))
        threads = [threading.Thread(target=fetch) for _ in range(8)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        if time.monotonic() - began >= 0.95:
            self.skipTest("the machine is too slow to send eight requests within one second")
        admitted = [seconds for reply, seconds in replies if reply.status == 200]
        refused = [seconds for reply, seconds in replies if reply.status == 429]
        self.assertEqual((len(admitted), len(refused)), (3, 5), [r.status for r, _ in replies])
        self.assertGreaterEqual(min(admitted), 0.4)  # the page delay
        self.assertLess(max(refused), 0.4)  # refused before it
        self.assertEqual(self.emu.stats(), {"requests": 8, "rate_limited": 5, "max_per_second": 3})
        self.assertEqual(sum(e["rate_limited"] for e in self.emu.requests()), 5)


class GenerateTest(EmulatorCase):
    emulator_args = ("--generate", "1200", "--te-page-size", "100")

    def test_generated_volume_pages_completely(self) -> None:
        whole = 'recordedAt ge "2024-01-01T00:00:00Z" and recordedAt lt "2024-07-01T00:00:00Z"'
        records = self.walk_pingone(whole, limit=500)
        self.assertEqual(len({r["id"] for r in records}), 1200)
        page = self.get(f"{TRUTO}?integrated_account_id={TRUTO_ACCOUNT_ID}&limit=1000").json()
        self.assertEqual(page["result_count"], 1000)
        reply = self.get("/v3/account-activities?count=true&limit=1")
        self.assertEqual(reply.headers["X-Total-Count"], "1200")
        te = self.get("/v7/audit-user-events?startDate=2024-06-01T00:00:00Z&endDate=2024-07-01T00:00:00Z").json()
        self.assertEqual(len(te["auditEvents"]), 100)
        self.assertLess(max(r["recordedAt"] for r in records), harness.GENERATE_ANCHOR)

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/sailpoint")
        with Emulator("--generate", "1200") as other:
            self.assertEqual(other.control("GET", "activities/sailpoint"), first)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_https_with_test_ca(self) -> None:
        files = harness.make_tls_files(self.tmp.name)
        with Emulator(tls=files) as emu:
            self.assertTrue(emu.url.startswith("https://127.0.0.1:"))
            context = emu.ssl_context()
            for host in ("127.0.0.1", "localhost"):
                reply = http(emu.url_for(f"{ACTIVITIES}?{q(filter=RANGE, limit=2)}", host), headers=AUTH, context=context)
                self.assertEqual(reply.status, 200)
                self.assertTrue(reply.json()["_links"]["next"]["href"].startswith(f"https://{host}:"))

    def test_bad_certificates_fail_verification(self) -> None:
        ca = harness.make_tls_files(self.tmp.name).ca_cert
        for variant in ("self_signed", "wrong_host", "expired", "unknown_ca"):
            with self.subTest(variant=variant), Emulator(tls=harness.make_tls_files(self.tmp.name, variant)) as emu:
                context = harness.ssl.create_default_context(cafile=str(ca))
                with self.assertRaises(urllib.error.URLError) as caught:
                    http(emu.url + "/_emulator/health", context=context)
                self.assertIsInstance(caught.exception.reason, harness.ssl.SSLCertVerificationError)
                self.assertTrue(emu.health())  # the server survives failed handshakes


if __name__ == "__main__":
    unittest.main()
