"""The 1Password Events API emulator (tests/emulator/onepassword.py) behaves like
events.1password.com: POST bodies with a ResetCursor or a cursor, {"Error":{"Message"}} errors,
feature-scoped tokens, cursors that keep polling, v1 and v2 record shapes."""

from __future__ import annotations

import base64
import json
import sys
import unittest
from typing import Any

import harness
from harness import (ONEPASSWORD_ACCOUNT_UUID, ONEPASSWORD_ADMIN_UUID, ONEPASSWORD_SIGNINS_TOKEN, TOKEN, Emulator,
                     Reply, fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
from common import parse_time  # noqa: E402

AUDIT, SIGNINS, USAGES = "/api/v2/auditevents", "/api/v2/signinattempts", "/api/v2/itemusages"
STREAMS = {AUDIT: "1password-audit", SIGNINS: "1password-signins", USAGES: "1password-item-usages"}
MAY = {"start_time": "2024-05-01T00:00:00Z", "end_time": "2024-06-01T00:00:00Z"}
BAD_REQUEST = {"Error": {"Message": "Bad Request"}}
UNAUTHORIZED = {"Error": {"Message": "Unauthorized"}}


def key(rec: dict[str, Any]) -> tuple[int, str]:
    return parse_time(rec["timestamp"]), rec["uuid"]


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


class OnePasswordCase(harness.EmulatorTestCase):
    def post(self, path: str, body: Any, token: str | None = TOKEN, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body).encode()
        return http(self.emu.url + path, "POST", sent, data)

    def ok(self, path: str, body: Any, token: str = TOKEN) -> dict[str, Any]:
        reply = self.post(path, body, token)
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.headers["Content-Type"], "application/json")
        page = reply.json()
        self.assertEqual(list(page), ["cursor", "has_more", "items"])
        return page

    def refused(self, path: str, body: Any, status: int = 400, expected: Any = BAD_REQUEST, **kwargs: Any) -> None:
        reply = self.post(path, body, **kwargs)
        self.assertEqual(reply.status, status, f"{body!r}: {reply.body!r}")
        self.assertEqual(reply.json(), expected)
        self.assertEqual(reply.headers["Content-Type"], "application/json")

    def walk(self, path: str, reset: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], str]:
        """Every page from a ResetCursor until has_more is false; the pages and the last cursor."""
        page = self.ok(path, reset)
        pages = [page["items"]]
        while page["has_more"]:
            page = self.ok(path, {"cursor": page["cursor"]})
            pages.append(page["items"])
        return pages, page["cursor"]


class FixtureTest(unittest.TestCase):
    def test_fixtures_have_the_real_shape_and_what_tests_need(self) -> None:
        for name in STREAMS.values():
            with self.subTest(name=name):
                records = fixture_records(name)
                self.assertTrue(30 <= len(records) <= 60, len(records))
                self.assertEqual(len({r["uuid"] for r in records}), len(records))
                stamps = [r["timestamp"] for r in records]
                self.assertTrue(all(s.startswith("2024-05-") and s.endswith("Z") for s in stamps))
                self.assertGreaterEqual(len({s[:10] for s in stamps}), 4)
                self.assertLess(len(set(stamps)), len(stamps))  # ties
                self.assertTrue(any(len(s.rsplit(".", 1)[-1]) == 10 for s in stamps if "." in s))  # 9 digits + Z
                self.assertTrue(all(r["account_uuid"] == ONEPASSWORD_ACCOUNT_UUID for r in records))
                text = "".join(strings(records))
                self.assertTrue(any(ord(c) > 127 for c in text))
        audits = fixture_records("1password-audit")
        self.assertTrue({("create", "user"), ("update", "user"), ("delete", "user"), ("join", "user"),
                         ("suspend", "user"), ("reactive", "user")} <= {(r["action"], r["object_type"]) for r in audits})
        self.assertTrue(any(r["actor_uuid"] == ONEPASSWORD_ADMIN_UUID for r in audits))
        self.assertTrue(any('"' in s and "\t" in s for s in strings(audits)))
        signins = fixture_records("1password-signins")
        self.assertTrue({"success", "credentials_failed", "mfa_failed", "firewall_failed"}
                        <= {r["category"] for r in signins})
        self.assertTrue(any(any(ord(c) < 32 for c in s) for s in strings(signins)))


class AuthTest(OnePasswordCase):
    def test_missing_bad_and_foreign_tokens_are_401(self) -> None:
        for token in (None, "wrong-token", "", "test-token-x"):
            with self.subTest(token=token):
                self.refused(AUDIT, MAY, 401, UNAUTHORIZED, token=token)
        for header in ("Basic dGVzdC10b2tlbjo=", "test-token", "Bearer", "Bearer test-token extra", "SSWS test-token"):
            with self.subTest(header=header):
                reply = http(self.emu.url + AUDIT, "POST", {"Authorization": header}, b"{}")
                self.assertEqual((reply.status, reply.json()), (401, UNAUTHORIZED))
        self.assertEqual(self.post(AUDIT, MAY, headers={"Authorization": f"bearer {TOKEN}"}).status, 200)

    def test_a_token_without_the_feature_is_401(self) -> None:
        self.assertGreater(len(self.ok(SIGNINS, MAY, ONEPASSWORD_SIGNINS_TOKEN)["items"]), 0)
        for path in (AUDIT, USAGES, "/api/v1/auditevents"):
            with self.subTest(path=path):
                self.refused(path, MAY, 401, UNAUTHORIZED, token=ONEPASSWORD_SIGNINS_TOKEN)
        claims = ONEPASSWORD_SIGNINS_TOKEN.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        self.assertEqual(payload["1password.com/fts"], ["signinattempts"])

    def test_auth_comes_before_the_body(self) -> None:
        self.refused(AUDIT, None, 401, UNAUTHORIZED, token=None, raw=b"{not json")

    def test_introspection(self) -> None:
        reply = http(self.emu.url + "/api/v2/auth/introspect", headers={"Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(reply.status, 200)
        body = reply.json()
        self.assertEqual(body["features"], ["auditevents", "itemusages", "signinattempts"])
        self.assertEqual(body["account_uuid"], ONEPASSWORD_ACCOUNT_UUID)
        self.assertEqual(set(body), {"uuid", "issued_at", "features", "account_uuid"})
        reply = http(self.emu.url + "/api/auth/introspect",
                     headers={"Authorization": f"Bearer {ONEPASSWORD_SIGNINS_TOKEN}"})
        self.assertEqual(set(reply.json()), {"UUID", "IssuedAt", "Features"})
        self.assertEqual(reply.json()["Features"], ["signinattempts"])
        reply = http(self.emu.url + "/api/v2/auth/introspect")
        self.assertEqual((reply.status, reply.json()), (401, UNAUTHORIZED))


class RequestTest(OnePasswordCase):
    def test_methods_and_paths(self) -> None:
        reply = http(self.emu.url + AUDIT, headers={"Authorization": f"Bearer {TOKEN}"})
        self.assertEqual((reply.status, reply.json()), (405, {"Error": {"Message": "Method Not Allowed"}}))
        self.assertEqual(reply.headers["Allow"], "POST")
        reply = http(self.emu.url + "/api/v2/auth/introspect", "POST", {"Authorization": f"Bearer {TOKEN}"}, b"{}")
        self.assertEqual((reply.status, reply.headers["Allow"]), (405, "GET"))
        for path in ("/api/v2/auditevents/x", "/api/v3/auditevents", "/api/v2/auditevent"):
            with self.subTest(path=path):
                reply = self.post(path, MAY)
                self.assertEqual(reply.status, 404)
        self.assertEqual(self.post("/api/v2/auditevents/x", MAY).json(), {"Error": {"Message": "Not Found"}})

    def test_bodies_that_are_refused(self) -> None:
        cursor = self.ok(AUDIT, MAY)["cursor"]
        bodies: list[Any] = [
            [], "limit", 5, {"limit": 0}, {"limit": 1001}, {"limit": -1}, {"limit": 2.5}, {"limit": "10"},
            {"limit": True}, {"start_time": "2024-05-01"}, {"start_time": "2024-05-01 00:00:00Z"},
            {"start_time": 1714521600}, {"end_time": "yesterday"}, {"start_time": "2024-05-13T25:00:00Z"},
            {"start_time": "2024-05-02T00:00:00Z", "end_time": "2024-05-01T00:00:00Z"}, {"since": "2024-05-01T00:00:00Z"},
            {"cursor": cursor, "limit": 10}, {"cursor": cursor, "start_time": "2024-05-01T00:00:00Z"},
            {"cursor": ""}, {"cursor": "not-a-cursor"}, {"cursor": 12}, {"cursor": cursor + "x"}, {"cursor": cursor[:-2]},
            {"cursor": cursor, "page": 2},
        ]
        for body in bodies:
            with self.subTest(body=body):
                self.refused(AUDIT, body)
        for raw in (b"", b"{", b"{'limit': 1}", b"\xff\xfe", b"null"):
            with self.subTest(raw=raw):
                self.refused(AUDIT, None, raw=raw)

    def test_bodies_that_are_accepted(self) -> None:
        self.assertEqual(len(self.ok(AUDIT, {**MAY, "limit": 1})["items"]), 1)
        self.assertEqual(len(self.ok(AUDIT, {**MAY, "limit": 1000})["items"]), len(fixture_records("1password-audit")))
        self.assertEqual(len(self.ok(AUDIT, {**MAY, "limit": 5.0})["items"]), 5)
        # null is absent (Grove sends "start_time": null); start_time then defaults to an hour before now
        self.assertEqual(self.ok(AUDIT, {"limit": 1000, "start_time": None, "cursor": None})["items"], [])
        page = self.ok(AUDIT, {"start_time": "2024-05-13T10:05:13.318274106+02:00", "end_time": "2024-05-13T09:00:00Z"})
        self.assertEqual([r["timestamp"] for r in page["items"]], ["2024-05-13T08:15:40.5Z", "2024-05-13T08:16:02.000000001Z"])

    def test_cursors_are_bound_to_their_feature_not_version(self) -> None:
        cursor = self.ok(AUDIT, {**MAY, "limit": 5})["cursor"]
        self.refused(SIGNINS, {"cursor": cursor})
        self.refused(USAGES, {"cursor": cursor})
        v1 = self.ok("/api/v1/auditevents", {"cursor": cursor})
        v2 = self.ok(AUDIT, {"cursor": cursor})
        self.assertEqual([r["uuid"] for r in v1["items"]], [r["uuid"] for r in v2["items"]])
        self.assertEqual(v1["cursor"], v2["cursor"])

    def test_an_edited_cursor_is_refused(self) -> None:
        cursor = self.ok(AUDIT, {**MAY, "limit": 5})["cursor"]
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        for field, value in (("l", 1000), ("s", 0), ("e", None), ("f", "signinattempts")):
            with self.subTest(field=field):
                edited = base64.urlsafe_b64encode(json.dumps({**payload, field: value}).encode()).rstrip(b"=").decode()
                self.refused(AUDIT if field != "f" else SIGNINS, {"cursor": edited})

    def test_faults_use_1passwords_shape(self) -> None:
        self.emu.faults({"path": "^/api/v2/auditevents$", "kind": "status", "status": 429},
                        {"path": "^/api/v1/signinattempts$", "kind": "status", "status": 500},
                        {"path": "^/api/v2/itemusages$", "kind": "status", "status": 429, "headers": {"Retry-After": None}})
        reply = self.post(AUDIT, MAY)
        self.assertEqual((reply.status, reply.json()), (429, {"Error": {"Message": "Too Many Requests"}}))
        self.assertEqual(reply.headers["Retry-After"], "1")
        reply = self.post("/api/v1/signinattempts", MAY)
        self.assertEqual((reply.status, reply.json()), (500, {"Error": {"Message": "Internal Server Error"}}))
        reply = self.post(USAGES, MAY)
        self.assertEqual(reply.status, 429)
        self.assertIsNone(reply.headers["Retry-After"])
        self.assertEqual(self.post(AUDIT, MAY).status, 200)


class PagingTest(OnePasswordCase):
    def test_every_record_once_oldest_first_for_every_limit(self) -> None:
        for path, name in STREAMS.items():
            expected = sorted(fixture_records(name), key=key)
            for limit in (1, 2, 7, 36, 100):
                with self.subTest(path=path, limit=limit):
                    pages, _ = self.walk(path, {**MAY, "limit": limit})
                    self.assertTrue(all(len(p) == limit for p in pages[:-1]))
                    self.assertLessEqual(len(pages[-1]), limit)
                    self.assertEqual([r for p in pages for r in p], expected)

    def test_the_cursor_comes_back_and_keeps_polling(self) -> None:
        everything = sorted(fixture_records("1password-audit"), key=key)
        pages, cursor = self.walk(AUDIT, {"start_time": "2024-05-01T00:00:00Z", "limit": 10})
        self.assertEqual(len([r for p in pages for r in p]), len(everything))
        again = self.ok(AUDIT, {"cursor": cursor})
        self.assertEqual((again["items"], again["has_more"], again["cursor"]), ([], False, cursor))
        newer = dict(everything[-1], uuid="NEWAAAAAAAAAAAAAAAAAAAAAAA", timestamp="2024-06-02T10:00:00.000000001Z")
        late = dict(everything[0], uuid="LATEAAAAAAAAAAAAAAAAAAAAAA", timestamp="2024-05-10T10:00:00.5Z")
        self.emu.add_activities("1password-audit", [newer, late])
        page = self.ok(AUDIT, {"cursor": cursor})
        # a later ingestion, oldest first within it; the late record still reaches the poller
        self.assertEqual([r["uuid"] for r in page["items"]], [late["uuid"], newer["uuid"]])
        self.assertFalse(page["has_more"])
        self.assertEqual(self.ok(AUDIT, {"cursor": page["cursor"]})["items"], [])
        # a closed window never takes the newer record, but a late one inside it
        pages, cursor = self.walk(AUDIT, {**MAY, "limit": 1000})
        self.assertNotIn(newer["uuid"], [r["uuid"] for p in pages for r in p])
        self.assertIn(late["uuid"], [r["uuid"] for p in pages for r in p])

    def test_records_added_while_paging_come_once(self) -> None:
        expected = sorted(fixture_records("1password-signins"), key=key)
        page = self.ok(SIGNINS, {"start_time": "2024-05-01T00:00:00Z", "limit": 5})
        seen = list(page["items"])
        middle = dict(expected[20], uuid="MIDAAAAAAAAAAAAAAAAAAAAAAA")  # sorts after the cursor
        early = dict(expected[1], uuid="EARLYAAAAAAAAAAAAAAAAAAAAA")  # sorts before it
        self.emu.add_activities("1password-signins", [middle, early])
        while page["has_more"]:
            page = self.ok(SIGNINS, {"cursor": page["cursor"]})
            seen.extend(page["items"])
        uuids = [r["uuid"] for r in seen]
        self.assertEqual(len(uuids), len(set(uuids)))
        self.assertEqual(set(uuids), {r["uuid"] for r in expected} | {middle["uuid"], early["uuid"]})
        self.assertEqual(uuids[-2:], [early["uuid"], middle["uuid"]])
        self.assertEqual(self.ok(SIGNINS, {"cursor": page["cursor"]})["items"], [])

    def test_reset_forgets_added_records(self) -> None:
        record = dict(fixture_records("1password-item-usages")[0], uuid="ADDEDAAAAAAAAAAAAAAAAAAAAA")
        self.emu.add_activities("1password-item-usages", [record])
        self.assertEqual(len(self.ok(USAGES, {**MAY, "limit": 1000})["items"]), 31)
        self.emu.reset()
        self.assertEqual(len(self.ok(USAGES, {**MAY, "limit": 1000})["items"]), 30)
        self.emu.add_activities("1password-item-usages", [record])
        pages, _ = self.walk(USAGES, {**MAY, "limit": 7})
        self.assertEqual([r["uuid"] for p in pages for r in p][-1], record["uuid"])

    def test_ties_split_across_pages_and_window_bounds(self) -> None:
        tie = "2024-05-13T08:02:11.123456789Z"
        first = self.ok(AUDIT, {"start_time": tie, "limit": 1})
        second = self.ok(AUDIT, {"cursor": first["cursor"]})
        self.assertEqual([first["items"][0]["timestamp"], second["items"][0]["timestamp"]], [tie, tie])
        self.assertLess(first["items"][0]["uuid"], second["items"][0]["uuid"])
        # start_time inclusive, end_time exclusive, compared at full (nanosecond) precision
        page = self.ok(AUDIT, {"start_time": "2024-05-14T10:20:30.123000001Z", "end_time": "2024-05-14T10:20:30.123999999Z"})
        self.assertEqual([r["timestamp"] for r in page["items"]], ["2024-05-14T10:20:30.123000001Z"])
        page = self.ok(AUDIT, {"start_time": "2024-05-14T10:20:30.123000002Z", "end_time": "2024-05-14T10:20:30.124Z"})
        self.assertEqual([r["timestamp"] for r in page["items"]], ["2024-05-14T10:20:30.123999999Z"])
        self.assertEqual(self.ok(AUDIT, {"start_time": tie, "end_time": tie})["items"], [])

    def test_the_cursor_keeps_its_limit(self) -> None:
        page = self.ok(AUDIT, {**MAY, "limit": 3})
        for _ in range(3):
            page = self.ok(AUDIT, {"cursor": page["cursor"]})
            self.assertEqual(len(page["items"]), 3)

    def test_v1_leaves_out_the_msp_fields(self) -> None:
        for path in STREAMS:
            with self.subTest(path=path):
                v2 = self.ok(path, {**MAY, "limit": 3})["items"]
                v1 = self.ok(path.replace("/v2/", "/v1/"), {**MAY, "limit": 3})["items"]
                self.assertEqual([r["uuid"] for r in v1], [r["uuid"] for r in v2])
                text = json.dumps(v1)
                for field in ("account_uuid", "actor_type", "actor_account_uuid", "user_type", "user_account_uuid"):
                    self.assertNotIn(f'"{field}"', text)
                self.assertIn('"account_uuid"', json.dumps(v2))

    def test_odd_text_survives(self) -> None:
        records = self.ok(AUDIT, {**MAY, "limit": 1000})["items"]
        self.assertIn('Account name changed to "ACME Corp" — ünïcødé ✓\ttab\u0007bell',
                      [r.get("aux_info") for r in records])


class DefaultWindowTest(OnePasswordCase):
    emulator_args = ("--now", "2024-05-17T12:30:00Z")

    def test_start_time_defaults_to_an_hour_before_end_or_now(self) -> None:
        page = self.ok(AUDIT, {})
        self.assertEqual([r["timestamp"] for r in page["items"]],
                         ["2024-05-17T12:12:12.121212121Z", "2024-05-17T15:59:59.999999999Z"])
        page = self.ok(AUDIT, {"end_time": "2024-05-13T09:00:00Z"})
        self.assertEqual(len(page["items"]), 4)  # 08:00 <= timestamp < 09:00 on May 13
        self.assertEqual(len(self.ok(USAGES, {"limit": 2})["items"]), 2)


class GenerateTest(OnePasswordCase):
    emulator_args = ("--generate", "250")

    def test_generated_records_page_by_100_by_default(self) -> None:
        for path in STREAMS:
            with self.subTest(path=path):
                pages, _ = self.walk(path, {"start_time": "2024-06-01T00:00:00Z"})
                self.assertEqual([len(p) for p in pages], [100, 100, 50])
                records = [r for p in pages for r in p]
                self.assertEqual(records, sorted(records, key=key))
                self.assertLess(len({r["timestamp"] for r in records}), 250)  # ties
                self.assertLess(records[-1]["timestamp"], harness.GENERATE_ANCHOR)

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/1password-audit")
        with Emulator("--generate", "250") as other:
            self.assertEqual(other.control("GET", "activities/1password-audit"), first)


if __name__ == "__main__":
    unittest.main()
