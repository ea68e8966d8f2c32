"""The Slack Audit Logs emulator (tests/emulator/slack.py) behaves like GET /audit/v1/logs:
Bearer auth with real statuses, oldest/latest seconds (both inclusive), action/actor/entity
filters, body cursors bound to their query, pages that never split a second, Slack's errors."""

from __future__ import annotations

import base64
import sys
import time
import unittest
import urllib.parse
from typing import Any

import harness
from harness import (SLACK_ADMIN_ID, SLACK_ENTERPRISE_ID, SLACK_NO_SCOPE_TOKEN, TOKEN, Emulator, Reply,
                     fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import slack  # noqa: E402

LOGS = "/audit/v1/logs"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAY = {"oldest": 1714521600, "latest": 1717199999}  # 2024-05-01T00:00:00Z .. 2024-05-31T23:59:59Z
FIXTURES = fixture_records("slack")
CONTENT_TYPE = "application/json; charset=utf-8"


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def key(rec: dict[str, Any]) -> tuple[int, str]:
    return rec["date_create"], rec["id"]


def expected(where: Any = lambda r: True, oldest: int | None = None, latest: int | None = None) -> list[str]:
    """Fixture ids the API lists, newest first by (date_create, id)."""
    picked = [r for r in FIXTURES if where(r) and (oldest is None or r["date_create"] >= oldest)
              and (latest is None or r["date_create"] <= latest)]
    return [r["id"] for r in sorted(picked, key=key, reverse=True)]


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


def entry(rid: str, date_create: int, action: str = "user_login", actor: str = "U0LATE") -> dict[str, Any]:
    user = {"id": actor, "name": "Late Comer", "email": "late@acme.example", "team": SLACK_ENTERPRISE_ID}
    return {"id": rid, "date_create": date_create, "action": action, "actor": {"type": "user", "user": user},
            "entity": {"type": "user", "user": user},
            "context": {"location": {"type": "enterprise", "id": SLACK_ENTERPRISE_ID, "name": "Acme Corp",
                                     "domain": "acme-corp"}, "ua": "curl/8.5.0", "ip_address": "192.0.2.1",
                        "session_id": None}}


# =========================================================================== fixtures


class SlackFixtureTest(unittest.TestCase):
    def test_fixtures_are_well_formed(self) -> None:
        self.assertTrue(30 <= len(FIXTURES) <= 60)
        ids = [r["id"] for r in FIXTURES]
        self.assertEqual(len(set(ids)), len(ids))
        for r in FIXTURES:
            slack.validate_record(r)
            self.assertEqual(set(r) - {"details"}, {"id", "date_create", "action", "actor", "entity", "context"})
            self.assertEqual(r["actor"]["type"], "user")
            self.assertIn(r["entity"]["type"], r["entity"])
            self.assertLessEqual({"location", "ua", "ip_address", "session_id"}, set(r["context"]))
            self.assertIn(r["action"], slack.CATALOGUE)
        dates = [r["date_create"] for r in FIXTURES]
        self.assertTrue(all(MAY["oldest"] <= d <= MAY["latest"] for d in dates))
        self.assertIn(MAY["oldest"], dates)  # both May bounds hold a record, to test inclusivity
        self.assertIn(MAY["latest"], dates)
        self.assertGreaterEqual(len({time.strftime("%d", time.gmtime(d)) for d in dates}), 20)
        self.assertGreaterEqual(max(dates.count(d) for d in dates), 3, "a three-way tie")
        self.assertEqual(dates, sorted(dates, reverse=True), "the file is in API order, newest first")
        actions = {r["action"] for r in FIXTURES}
        self.assertLessEqual({"user_login", "user_login_failed", "user_logout", "user_created", "user_profile_updated",
                              "user_email_updated", "user_deactivated", "role_change_to_admin", "file_downloaded",
                              "public_channel_created", "app_installed", "anomaly"}, actions)
        self.assertEqual({r["entity"]["type"] for r in FIXTURES},
                         {"user", "channel", "file", "app", "workspace", "enterprise", "workflow", "message"})
        actors = {r["actor"]["user"]["id"] for r in FIXTURES}
        self.assertLessEqual({SLACK_ADMIN_ID, "USLACKUSER", "USLACKSECURITY"}, actors)
        self.assertIn(SLACK_ENTERPRISE_ID, {r["context"]["location"]["id"] for r in FIXTURES})
        self.assertEqual({r["context"]["location"]["type"] for r in FIXTURES}, {"enterprise", "workspace"})
        self.assertEqual({type(r["context"]["session_id"]) for r in FIXTURES}, {str, int, type(None)})
        text = "\n".join(strings(FIXTURES))
        for needle in ["\u0007", "\u001b[31m", "\r\n", "\u202e", "=HYPERLINK(", "'", '"']:
            self.assertIn(needle, text)
        self.assertTrue(any(0x3000 < ord(c) <= 0xFFFF for c in text), "CJK")
        self.assertTrue(any(ord(c) > 0xFFFF for c in text), "emoji")


# =========================================================================== HTTP


class SlackCase(harness.EmulatorTestCase):
    def get(self, query: str = "", headers: dict[str, str] | None = AUTH, path: str = LOGS) -> Reply:
        return http(self.emu.url + path + (f"?{query}" if query else ""), headers=headers)

    def page(self, **params: Any) -> dict[str, Any]:
        reply = self.get(q(**params))
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.headers["Content-Type"], CONTENT_TYPE)
        body = reply.json()
        self.assertEqual(list(body), ["entries", "response_metadata"])
        self.assertEqual(list(body["response_metadata"]), ["next_cursor"])
        return body

    def walk(self, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
        """Follows next_cursor (sent with the same parameters) until it is empty."""
        pages = [self.page(**params)]
        while pages[-1]["response_metadata"]["next_cursor"]:
            self.assertLess(len(pages), 100)
            pages.append(self.page(**params, cursor=pages[-1]["response_metadata"]["next_cursor"]))
        return [e["id"] for p in pages for e in p["entries"]], pages

    def assertSlackError(self, reply: Reply, status: int, code: str) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        self.assertEqual(reply.headers["Content-Type"], CONTENT_TYPE)
        body = reply.json()
        self.assertEqual((body["ok"], body["error"]), (False, code))
        return body


class SlackPagingTest(SlackCase):
    def test_walk_serves_every_fixture_once_newest_first(self) -> None:
        ids, pages = self.walk(**MAY, limit=7)
        self.assertEqual(ids, expected())
        self.assertEqual(pages[-1]["response_metadata"]["next_cursor"], "")
        self.assertEqual(self.walk()[0], expected())  # no bounds at all
        self.assertEqual(self.page(**MAY, limit=9999)["entries"], sorted(FIXTURES, key=key, reverse=True))

    def test_pages_hold_limit_entries_plus_the_rest_of_the_last_second(self) -> None:
        for limit in (1, 2, 3, 5, 43, 44, 45):
            with self.subTest(limit=limit):
                ids, pages = self.walk(**MAY, limit=limit)
                self.assertEqual(ids, expected())
                for p in pages:
                    dates = [e["date_create"] for e in p["entries"]]
                    if p["response_metadata"]["next_cursor"]:
                        self.assertGreaterEqual(len(dates), limit)
                    self.assertTrue(all(d == dates[limit - 1] for d in dates[limit:]), dates)
                    self.assertTrue(p["entries"], "never an empty page")

    def test_a_second_is_never_split(self) -> None:
        triple = [r for r in FIXTURES if r["date_create"] == 1715688000]
        self.assertEqual(len(triple), 3)
        first = self.page(oldest=MAY["oldest"], latest=1715688000, limit=1)
        self.assertEqual([e["id"] for e in first["entries"]], expected(latest=1715688000)[:3])
        self.assertEqual(first["entries"], sorted(triple, key=key, reverse=True))
        self.assertNotEqual(first["response_metadata"]["next_cursor"], "")
        pair = [r["id"] for r in FIXTURES if r["date_create"] == 1714722312]
        self.assertEqual(len(pair), 2)
        page = self.page(oldest=1714722312, latest=1714722312, limit=1)
        self.assertEqual(([e["id"] for e in page["entries"]], page["response_metadata"]["next_cursor"]),
                         (sorted(pair, reverse=True), ""))

    def test_default_limit_is_100(self) -> None:
        base = 1716000000
        self.emu.add_activities("slack", [entry(f"00000000-0000-4000-8000-{i:012d}", base + i) for i in range(120)])
        body = self.page(**MAY)
        self.assertEqual(len(body["entries"]), 100)
        self.assertEqual(body["entries"][0]["id"], expected()[0])
        self.assertNotEqual(body["response_metadata"]["next_cursor"], "")
        self.assertEqual(len(self.page(**MAY, limit=9999)["entries"]), len(FIXTURES) + 120)

    def test_oldest_and_latest_are_inclusive_seconds(self) -> None:
        for oldest, latest in [(1714521600, 1714521600), (1717199999, 1717199999), (1715688000, 1715688000),
                               (1714608843, 1715000000), (1714521601, 1717199998), (1715000000, None), (None, 1715000000)]:
            with self.subTest(oldest=oldest, latest=latest):
                params = {k: v for k, v in (("oldest", oldest), ("latest", latest)) if v is not None}
                ids, _ = self.walk(**params, limit=4)
                self.assertEqual(ids, expected(oldest=oldest, latest=latest))
                self.assertTrue(ids)
        self.assertEqual(self.page(oldest=1714521601, latest=1714521601)["entries"], [])
        self.assertEqual(self.page(oldest=1717200000)["entries"], [])
        now = int(time.time())
        self.assertEqual(self.page(oldest=now, latest=now + 86400)["response_metadata"]["next_cursor"], "")

    def test_filters(self) -> None:
        def entity_id(r: dict[str, Any]) -> Any:
            return r["entity"][r["entity"]["type"]].get("id")
        cases: dict[tuple[tuple[str, str], ...], Any] = {
            (("action", "user_login"),): lambda r: r["action"] == "user_login",
            (("action", "user_login_failed,user_logout"),): lambda r: r["action"] in ("user_login_failed", "user_logout"),
            (("action", "user_logout,user_login_failed,user_logout"),):
                lambda r: r["action"] in ("user_login_failed", "user_logout"),
            (("actor", SLACK_ADMIN_ID),): lambda r: r["actor"]["user"]["id"] == SLACK_ADMIN_ID,
            (("actor", "USLACKSECURITY"),): lambda r: r["actor"]["user"]["id"] == "USLACKSECURITY",
            (("entity", "U07GRETA"),): lambda r: entity_id(r) == "U07GRETA",
            (("entity", "F01ROADMAP"),): lambda r: entity_id(r) == "F01ROADMAP",
            (("entity", "C01ENGANN"),): lambda r: entity_id(r) == "C01ENGANN",
            (("entity", SLACK_ENTERPRISE_ID),): lambda r: entity_id(r) == SLACK_ENTERPRISE_ID,
            (("entity", "T02SALES"),): lambda r: entity_id(r) == "T02SALES",
            (("action", "user_login"), ("actor", "U08HUGO")):
                lambda r: r["action"] == "user_login" and r["actor"]["user"]["id"] == "U08HUGO",
            (("action", "file_downloaded,file_uploaded"), ("entity", "F01ROADMAP"), ("actor", "U03CHLOE")):
                lambda r: r["action"] in ("file_downloaded", "file_uploaded") and entity_id(r) == "F01ROADMAP"
                and r["actor"]["user"]["id"] == "U03CHLOE",
        }
        for params, pred in cases.items():
            with self.subTest(params=params):
                want = expected(pred)
                self.assertTrue(want)
                self.assertEqual(self.walk(**MAY, **dict(params), limit=2)[0], want)
        self.assertEqual(self.page(**MAY, actor="U404NOBODY")["entries"], [])
        self.assertEqual(self.page(**MAY, entity="u07greta")["entries"], [])  # ids compare exactly

    def test_cursor_carries_its_query(self) -> None:
        params = {**MAY, "action": "user_login,user_logout", "limit": 3}
        first = self.page(**params)
        cursor = first["response_metadata"]["next_cursor"]
        base64.b64decode(cursor, validate=True)  # standard base64, as sent
        want = expected(lambda r: r["action"] in ("user_login", "user_logout"))
        rest = self.page(cursor=cursor, limit=50)  # filters left out: the cursor's apply; limit may change
        self.assertEqual([e["id"] for e in first["entries"] + rest["entries"]], want)
        self.assertEqual(self.page(**params, cursor=cursor)["entries"], rest["entries"][:3])
        self.assertEqual(self.page(action="user_logout,user_login", cursor=cursor, limit=50), rest)  # same set
        self.assertEqual(self.page(**params, cursor=""), first)  # an empty cursor is no cursor
        for other in [{"action": "user_login"}, {"oldest": MAY["oldest"] + 1}, {"latest": MAY["latest"] - 1},
                      {"actor": SLACK_ADMIN_ID}, {"entity": SLACK_ADMIN_ID}]:
            with self.subTest(other=other):
                self.assertSlackError(self.get(q(cursor=cursor, **other)), 400, "invalid_cursor")
        payload = base64.b64decode(cursor)
        forged = base64.b64encode(payload.replace(b"user_logout", b"user_created"))
        for bad in [cursor[:-4], cursor + "AA", forged.decode(), "not base64!", "dXNlcjpVMDYxTkZUVDI=",
                    base64.b64encode(b"audit:{}").decode(), cursor.replace("+", " ")]:
            if bad == cursor:
                continue
            with self.subTest(cursor=bad):
                self.assertSlackError(self.get(q(cursor=bad)), 400, "invalid_cursor")

    def test_records_added_while_paging_appear_once(self) -> None:
        first = self.page(**MAY, limit=10)
        seen = [e["id"] for e in first["entries"]]
        position = first["entries"][-1]["date_create"]
        below = entry("11111111-1111-4111-8111-111111111111", position - 3600)
        above = entry("22222222-2222-4222-8222-222222222222", position + 1)
        tie = entry("00000000-0000-4000-8000-000000000000", position)  # same second, smaller id: below the cursor
        self.emu.add_activities("slack", [below, above, tie])
        cursor = first["response_metadata"]["next_cursor"]
        while cursor:
            body = self.page(**MAY, limit=10, cursor=cursor)
            seen += [e["id"] for e in body["entries"]]
            cursor = body["response_metadata"]["next_cursor"]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(sorted(seen), sorted(expected() + [below["id"], tie["id"]]))
        self.assertNotIn(above["id"], seen)  # above the position: the next poll's
        poll = self.page(oldest=position, latest=MAY["latest"], limit=9999)["entries"]
        self.assertIn(above["id"], [e["id"] for e in poll])

    def test_runtime_actions_become_filterable(self) -> None:
        self.assertSlackError(self.get(q(action="brand_new_action")), 400, "invalid_action")
        self.emu.add_activities("slack", [entry("33333333-3333-4333-8333-333333333333", 1716000000, "brand_new_action")])
        self.assertEqual([e["id"] for e in self.page(action="brand_new_action")["entries"]],
                         ["33333333-3333-4333-8333-333333333333"])


class SlackErrorTest(SlackCase):
    def test_authentication(self) -> None:
        for headers in [None, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Token {TOKEN}"}]:
            with self.subTest(headers=headers):
                body = self.assertSlackError(self.get(q(**MAY), headers), 401, "missing_authentication")
                self.assertEqual(list(body), ["ok", "error"])
        for token in ["wrong-token", TOKEN + "x", "xoxp-1234567890-0987654321"]:
            with self.subTest(token=token):
                self.assertSlackError(self.get(q(**MAY), {"Authorization": f"Bearer {token}"}), 401,
                                      "invalid_authentication")
        body = self.assertSlackError(self.get(q(**MAY), {"Authorization": f"Bearer {SLACK_NO_SCOPE_TOKEN}"}), 403,
                                     "missing_scope")
        self.assertEqual(body, {"ok": False, "error": "missing_scope", "needed": "auditlogs:read",
                                "provided": "admin,users:read"})
        for token, code in [("xoxp-workspace-install", "team_not_authorized"), ("xoxp-org-admin", "user_not_authorized"),
                            ("xoxp-not-enterprise", "feature_not_enabled")]:
            with self.subTest(token=token):
                self.assertSlackError(self.get(q(**MAY), {"Authorization": f"Bearer {token}"}), 403, code)
        self.assertEqual(self.get(q(**MAY), {"Authorization": f"bearer {TOKEN}"}).status, 200)
        self.assertSlackError(self.get(q(limit="0")), 400, "invalid_arguments")  # authenticated first
        self.assertSlackError(self.get(q(limit="0"), None), 401, "missing_authentication")

    def test_parameter_errors(self) -> None:
        for limit in ["0", "-1", "10000", "1.5", "abc", "99999999999", " 5"]:
            with self.subTest(limit=limit):
                self.assertSlackError(self.get(q(limit=limit)), 400, "invalid_arguments")
        for name in ["oldest", "latest"]:
            for value in ["abc", "1715000000.5", "-1714521600", "2024-05-01T00:00:00Z", "1e9"]:
                with self.subTest(name=name, value=value):
                    self.assertSlackError(self.get(q(**{name: value})), 400, "invalid_arguments")
        future = int(time.time()) + 3600
        for params in [{"oldest": 0}, {"oldest": 1519862399}, {"latest": 1519862399}, {"oldest": future},
                       {"oldest": 1717199999, "latest": 1714521600}]:
            with self.subTest(params=params):
                self.assertSlackError(self.get(q(**params)), 400, "invalid_range")
        ahead = self.page(oldest=1519862400, latest=future, limit=99)["entries"]  # latest may be in the future
        self.assertEqual([e["id"] for e in ahead], expected())
        for action in ["user_loginn", "USER_LOGIN", "user_login,", "user_login,,user_logout", " user_login"]:
            with self.subTest(action=action):
                self.assertSlackError(self.get(q(action=action)), 400, "invalid_action")
        self.assertSlackError(self.get(q(action=",".join(["user_login"] * 31))), 400, "invalid_arguments")
        self.assertEqual(self.page(action=",".join(["user_login"] * 30))["entries"],
                         self.page(action="user_login")["entries"])

    def test_lenient_parameters(self) -> None:
        want = self.page(**MAY, limit=5)
        self.assertEqual(self.page(**MAY, limit=5, max_date_seen_so_far=0, token="ignored"), want)  # unknown: ignored
        self.assertEqual(self.page(**MAY, limit=5, action="", actor="", entity="", cursor=""), want)  # empty: absent
        self.assertEqual(self.get(q(**MAY) + "&limit=9&limit=5").json(), want)  # repeated: the last one counts

    def test_routes_and_methods(self) -> None:
        reply = http(self.emu.url + LOGS, "POST", AUTH, b"{}")
        self.assertSlackError(reply, 405, "method_not_allowed")
        self.assertEqual(reply.headers["Allow"], "GET")
        for path in ["/audit/v1/log", "/audit/v2/logs", "/audit/v1/logs/123", "/audit/"]:
            with self.subTest(path=path):
                self.assertSlackError(self.get(path=path), 404, "bad_endpoint")
        actions = self.get(path="/audit/v1/actions", headers=None)
        self.assertEqual(actions.status, 200)
        groups = actions.json()["actions"]
        self.assertIn("user_login_failed", groups["user"])
        self.assertIn("file_downloaded", groups["file"])
        schemas = self.get(path="/audit/v1/schemas", headers=None).json()["schemas"]
        self.assertIn("enterprise", [s["type"] for s in schemas])

    def test_faults_use_slack_bodies(self) -> None:
        self.emu.faults({"path": "^/audit/v1/logs$", "kind": "status", "status": 429})
        reply = self.get(q(**MAY))
        self.assertSlackError(reply, 429, "rate_limited")
        self.assertEqual(reply.headers["Retry-After"], "1")
        self.assertEqual([h for h in reply.headers if h.lower().startswith("x-rate")], [])
        self.assertEqual(self.get(q(**MAY)).status, 200)
        for status, code in [(200, "internal_error"), (500, "internal_error"), (503, "service_unavailable"),
                             (401, "invalid_authentication"), (400, "invalid_arguments"), (404, "bad_endpoint")]:
            with self.subTest(status=status):
                self.emu.faults({"path": "^/audit/v1/logs$", "kind": "status", "status": status})
                self.assertSlackError(self.get(q(**MAY)), status, code)
        self.emu.faults({"path": "^/audit/v1/logs$", "kind": "status", "status": 403})
        self.assertEqual(self.assertSlackError(self.get(q(**MAY)), 403, "missing_scope")["needed"], "auditlogs:read")
        self.emu.faults({"path": "^/audit/v1/logs$", "kind": "status", "status": 200,
                         "body": {"ok": False, "error": "invalid_auth"}})  # a Web API style refusal
        reply = self.get(q(**MAY))
        self.assertEqual((reply.status, reply.json()), (200, {"ok": False, "error": "invalid_auth"}))

    def test_control_api_validates_slack_records(self) -> None:
        good = entry("44444444-4444-4444-8444-444444444444", 1716000000)
        for bad in [[{**good, "id": ""}], [{**good, "date_create": "1716000000"}], [{**good, "date_create": 1716000000.5}],
                    [{**good, "date_create": True}], [{k: v for k, v in good.items() if k != "action"}],
                    [{**good, "actor": "U01ADMIN"}], [FIXTURES[0]], [good, good]]:
            with self.subTest(bad=bad), self.assertRaises(RuntimeError):
                self.emu.add_activities("slack", bad)
        self.assertEqual(len(self.emu.control("GET", "activities/slack")), len(FIXTURES))

    def test_gzip(self) -> None:
        reply = self.get(q(**MAY, limit=3), {**AUTH, "Accept-Encoding": "gzip"})
        self.assertEqual(reply.headers["Content-Encoding"], "gzip")
        self.assertEqual(len(reply.json()["entries"]), 3)


class SlackNowTest(SlackCase):
    emulator_args = ("--now", "2024-05-20T00:00:00Z")

    def test_oldest_may_not_be_after_now(self) -> None:
        self.assertEqual(self.page(oldest=1716163200, latest=1717199999)["entries"][0]["id"], expected()[0])
        self.assertSlackError(self.get(q(oldest=1716163201)), 400, "invalid_range")


class SlackGenerateTest(SlackCase):
    emulator_args = ("--generate", "1200")

    def test_generated_records_page_completely(self) -> None:
        ids, pages = self.walk(oldest=1714521600, limit=500)
        self.assertEqual(len(ids), 1200)
        self.assertEqual(len(set(ids)), 1200)
        self.assertEqual(len(pages), 3)
        keys = [key(e) for p in pages for e in p["entries"]]
        self.assertEqual(keys, sorted(keys, reverse=True))
        failed = self.walk(oldest=1714521600, action="user_login_failed", limit=50)[0]
        self.assertEqual(len(failed), 120)
        self.assertLess(keys[0][0], 1719792000)  # before harness.GENERATE_ANCHOR

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/slack")
        with Emulator("--generate", "1200") as other:
            self.assertEqual(other.control("GET", "activities/slack"), first)


if __name__ == "__main__":
    unittest.main()
