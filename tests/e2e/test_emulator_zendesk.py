"""The Zendesk audit-log emulator (tests/emulator/zendesk.py) behaves like GET /api/v2/audit_logs: API-token
and OAuth authentication, filter[...] parameters with the twice-given created_at range, cursor pagination
bound to its query, offset pagination, errors and rate-limit signals."""

from __future__ import annotations

import base64
import json
import sys
import unittest
import urllib.parse
from typing import Any

import harness
from harness import (TOKEN, ZENDESK_ACCOUNT_ID, ZENDESK_ADMIN_ID, ZENDESK_AGENT_EMAIL, ZENDESK_EMAIL, Emulator, Reply,
                     fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
from common import parse_time  # noqa: E402


def basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


AUTH = basic(f"{ZENDESK_EMAIL}/token", TOKEN)
BEARER = {"Authorization": f"Bearer {TOKEN}"}
LIST = "/api/v2/audit_logs"
START, END = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
MAY = [("filter[created_at][]", START), ("filter[created_at][]", END)]
FIXTURES = fixture_records("zendesk")
FIELDS = {"action", "action_label", "actor_id", "actor_name", "change_description", "created_at", "id", "ip_address",
          "source_id", "source_label", "source_type", "url"}
CURSOR_ERROR = "InvalidPaginationParameter"


def key(rec: dict[str, Any]) -> tuple[int, int]:
    return parse_time(rec["created_at"]), rec["id"]


def expected(where: Any = lambda r: True, ascending: bool = False) -> list[int]:
    """Fixture ids in listing order."""
    return [r["id"] for r in sorted((r for r in FIXTURES if where(r)), key=key, reverse=not ascending)]


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


def record(rid: int, created_at: str, action: str = "update", **extra: Any) -> dict[str, Any]:
    rec = {"action": action, "action_label": "Updated", "actor_id": ZENDESK_ADMIN_ID, "actor_name": "Dana Whitfield",
           "change_description": "Added while paging", "created_at": created_at, "id": rid,
           "ip_address": "203.0.113.10", "source_id": 10412385099, "source_label": "Late User", "source_type": "user",
           "url": f"https://acme.zendesk.com/api/v2/audit_logs/{rid}.json"}
    rec.update(extra)
    return rec


class ZendeskCase(harness.EmulatorTestCase):
    def get(self, path: str = LIST, params: list[tuple[str, str]] | None = None,
            headers: dict[str, str] | None = AUTH) -> Reply:
        query = urllib.parse.urlencode(params or [])
        return http(self.emu.url + path + (f"?{query}" if query else ""), headers=headers)

    def ok(self, path: str = LIST, params: list[tuple[str, str]] | None = None,
           headers: dict[str, str] | None = AUTH) -> dict[str, Any]:
        reply = self.get(path, params, headers)
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.headers["Content-Type"], "application/json; charset=utf-8")
        return reply.json()

    def walk(self, params: list[tuple[str, str]], size: int = 100) -> list[dict[str, Any]]:
        """Every record of a cursor-paged query, following links.next while meta.has_more."""
        page = self.ok(params=params + [("page[size]", str(size))])
        records: list[dict[str, Any]] = []
        while True:
            self.assertLessEqual(len(page["audit_logs"]), size)
            records += page["audit_logs"]
            if not page["meta"]["has_more"]:
                return records
            self.assertEqual(len(page["audit_logs"]), size)
            reply = http(page["links"]["next"], headers=AUTH)
            self.assertEqual(reply.status, 200, reply.body)
            page = reply.json()

    def assertError(self, reply: Reply, status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        self.assertEqual(reply.headers["Content-Type"], "application/json; charset=utf-8")
        parsed = reply.json()
        if body is not None:
            self.assertEqual(parsed, body)
        return parsed

    def assertInvalidAttribute(self, reply: Reply, param: str, action: str = "index") -> None:
        body = self.assertError(reply, 400)
        self.assertEqual(set(body), {"error"})
        self.assertEqual(body["error"]["title"], "Invalid attribute")
        message = body["error"]["message"]
        self.assertTrue(message.startswith(f"You passed an invalid value for the {param} attribute. "
                                           f"Invalid parameter: {param} "), message)
        self.assertTrue(message.endswith(f" from api/v2/audit_logs/{action}"), message)

    def assertPaginationError(self, reply: Reply, description: str | None = None) -> None:
        body = self.assertError(reply, 400)
        self.assertEqual(body["error"], CURSOR_ERROR)
        if description is not None:
            self.assertEqual(body["description"], description)


# =========================================================================== cursor pagination


class ZendeskCursorTest(ZendeskCase):
    def test_every_page_size_and_sort_returns_every_record_once(self) -> None:
        for sort in ("-created_at", "created_at", None):
            for size in (1, 2, 7, len(FIXTURES) - 1, len(FIXTURES), 100):
                with self.subTest(sort=sort, size=size):
                    params = MAY + ([("sort", sort)] if sort else [])
                    ids = [r["id"] for r in self.walk(params, size)]
                    self.assertEqual(ids, expected(ascending=sort == "created_at"))

    def test_response_shape_and_links(self) -> None:
        reply = self.get(LIST + ".json", MAY + [("page[size]", "5")])
        self.assertEqual(reply.status, 200)
        page = reply.json()
        self.assertEqual(set(page), {"audit_logs", "meta", "links"})
        self.assertEqual(set(page["meta"]), {"has_more", "after_cursor", "before_cursor"})
        self.assertEqual(set(page["links"]), {"prev", "next"})
        self.assertIs(page["meta"]["has_more"], True)
        for rec in page["audit_logs"]:
            self.assertEqual(set(rec), FIELDS)
            self.assertIsInstance(rec["id"], int)
            self.assertEqual(rec["url"], f"{self.emu.url}/api/v2/audit_logs/{rec['id']}.json")
        nxt = urllib.parse.urlsplit(page["links"]["next"])
        self.assertEqual(f"{nxt.scheme}://{nxt.netloc}", self.emu.url)
        self.assertEqual(nxt.path, LIST + ".json")
        self.assertIn("page%5Bafter%5D=", nxt.query)  # brackets percent-encoded, as Rails' to_query does
        pairs = urllib.parse.parse_qsl(nxt.query)
        self.assertEqual(pairs, sorted(MAY + [("page[size]", "5"), ("page[after]", page["meta"]["after_cursor"])],
                                       key=lambda kv: kv[0]))
        prev = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page["links"]["prev"]).query))
        self.assertEqual(prev["page[before]"], page["meta"]["before_cursor"])
        self.assertNotIn("page[after]", prev)
        second = http(page["links"]["next"], headers=AUTH).json()
        self.assertEqual([r["id"] for r in second["audit_logs"]], expected()[5:10])
        # a client may also put the cursor from meta into its own URL, unencoded
        raw = f"{self.emu.url}{LIST}?page[size]=5&page[after]={page['meta']['after_cursor']}&" + urllib.parse.urlencode(MAY)
        self.assertEqual(http(raw, headers=AUTH).json()["audit_logs"], second["audit_logs"])

    def test_last_page_says_has_more_false_and_its_next_link_is_an_empty_page(self) -> None:
        page = self.ok(params=MAY + [("page[size]", str(len(FIXTURES)))])
        self.assertEqual(len(page["audit_logs"]), len(FIXTURES))
        self.assertIs(page["meta"]["has_more"], False)
        self.assertIsNotNone(page["links"]["next"])  # present: stop on has_more, as Zendesk documents
        empty = http(page["links"]["next"], headers=AUTH).json()
        self.assertEqual(empty, {"audit_logs": [], "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
                                 "links": {"prev": None, "next": None}})
        none = self.ok(params=[("filter[created_at][]", "2023-01-01T00:00:00Z"),
                               ("filter[created_at][]", "2023-02-01T00:00:00Z"), ("page[size]", "10")])
        self.assertEqual(none["audit_logs"], [])
        self.assertIs(none["meta"]["has_more"], False)

    def test_prev_links_page_backwards(self) -> None:
        first = self.ok(params=MAY + [("page[size]", "4")])
        second = http(first["links"]["next"], headers=AUTH).json()
        third = http(second["links"]["next"], headers=AUTH).json()
        back = http(third["links"]["prev"], headers=AUTH).json()
        self.assertEqual(back["audit_logs"], second["audit_logs"])
        self.assertIs(back["meta"]["has_more"], True)  # more records before it
        front = http(back["links"]["prev"], headers=AUTH).json()
        self.assertEqual(front["audit_logs"], first["audit_logs"])
        self.assertIs(front["meta"]["has_more"], False)

    def test_default_order_is_newest_first_and_ties_break_by_id(self) -> None:
        records = self.walk([], 100)  # no time filter: everything, as records are kept indefinitely
        self.assertEqual([r["id"] for r in records], expected())
        tie = [r["id"] for r in records if r["created_at"] == "2024-05-09T08:00:00Z"]
        self.assertEqual(len(tie), 3)
        self.assertEqual(tie, sorted(tie, reverse=True))
        ascending = [r["id"] for r in self.walk([("sort", "created_at")], 3)]
        self.assertEqual(ascending, expected(ascending=True))

    def test_records_added_while_paging_newest_first(self) -> None:
        first = self.ok(params=MAY + [("page[size]", "10")])
        boundary = first["audit_logs"][-1]
        at, rid = boundary["created_at"], boundary["id"]
        self.emu.add_activities("zendesk", [
            record(1, "2024-05-30T00:00:00Z"),  # newer than the cursor: next query only
            record(2, "2024-05-02T00:00:00Z"),  # older: on a later page
            record(rid - 1, at),  # same second, smaller id: sorts after the cursor
            record(rid + 1, at),  # same second, larger id: before the cursor
        ])
        seen = [r["id"] for r in first["audit_logs"]]
        page = http(first["links"]["next"], headers=AUTH).json()
        while True:
            seen += [r["id"] for r in page["audit_logs"]]
            if not page["meta"]["has_more"]:
                break
            page = http(page["links"]["next"], headers=AUTH).json()
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(2, seen)
        self.assertIn(rid - 1, seen)
        self.assertNotIn(1, seen)
        self.assertNotIn(rid + 1, seen)
        fresh = [r["id"] for r in self.walk(MAY, 100)]
        self.assertEqual(len(fresh), len(FIXTURES) + 4)
        self.assertEqual(fresh[0], expected()[0])

    def test_records_added_while_paging_oldest_first_appear_on_later_pages_and_polls(self) -> None:
        params = MAY + [("sort", "created_at"), ("page[size]", str(len(FIXTURES)))]
        page = self.ok(params=params)
        self.assertIs(page["meta"]["has_more"], False)
        self.emu.add_activities("zendesk", [record(7, "2024-05-31T23:59:59Z"), record(8, "2024-05-31T23:59:59Z"),
                                            record(9, "2024-05-01T00:00:00Z")])
        poll = http(page["links"]["next"], headers=AUTH).json()  # resume from the last cursor
        self.assertEqual([r["id"] for r in poll["audit_logs"]], [])  # ids 7, 8 sort before the newest fixture
        self.emu.add_activities("zendesk", [record(10**15, "2024-05-31T23:59:59Z")])
        poll = http(page["links"]["next"], headers=AUTH).json()
        self.assertEqual([r["id"] for r in poll["audit_logs"]], [10**15])
        self.assertIs(poll["meta"]["has_more"], False)
        again = http(poll["links"]["next"], headers=AUTH).json()
        self.assertEqual(again["audit_logs"], [])

    def test_cursor_is_bound_to_its_query(self) -> None:
        first = self.ok(params=MAY + [("page[size]", "5")])
        after = first["meta"]["after_cursor"]
        self.assertEqual(len(self.ok(params=MAY + [("page[size]", "9"), ("page[after]", after)])["audit_logs"]), 9)
        for params in ([("page[after]", after)],
                       MAY + [("page[after]", after), ("sort", "created_at")],
                       MAY + [("page[after]", after), ("filter[action]", "login")],
                       [("filter[created_at][]", START), ("filter[created_at][]", "2024-05-31T00:00:00Z"),
                        ("page[after]", after)]):
            with self.subTest(params=params):
                self.assertPaginationError(self.get(params=params), "page[after] is not valid")
        payload = json.loads(base64.urlsafe_b64decode(after))
        forged = [
            {**payload, "v": [payload["v"][0] - 1, payload["v"][1]]},
            {**payload, "o": "created_at"},
            {k: v for k, v in payload.items() if k != "f"},
            {**payload, "v": ["x", 1]},
        ]
        for bad in [base64.urlsafe_b64encode(json.dumps(f).encode()).decode() for f in forged] + ["garbage!", "e30", ""]:
            with self.subTest(cursor=bad):
                self.assertPaginationError(self.get(params=MAY + [("page[after]", bad)]), "page[after] is not valid")
        self.assertPaginationError(self.get(params=MAY + [("page[before]", "nope")]), "page[before] is not valid")
        self.assertPaginationError(self.get(params=MAY + [("page[after]", after), ("page[before]", after)]))

    def test_page_size_and_sort_validation(self) -> None:
        for size in ("0", "101", "-1"):
            with self.subTest(size=size):
                self.assertPaginationError(self.get(params=[("page[size]", size)]), "page[size] must be between 1 and 100")
        for size in ("abc", "1.5", "", " 5"):
            with self.subTest(size=size):
                self.assertInvalidAttribute(self.get(params=[("page[size]", size)]), "page.size")
        for sort in ("id", "-id", "updated_at", "created"):
            with self.subTest(sort=sort):
                self.assertPaginationError(self.get(params=[("page[size]", "5"), ("sort", sort)]), "sort is not valid")
        self.assertEqual(len(self.ok(params=[("page[size]", "1"), ("page[size]", "3")])["audit_logs"]), 3)  # last wins
        self.assertEqual(len(self.ok(params=[("page[size]", "100")])["audit_logs"]), len(FIXTURES))
        self.assertInvalidAttribute(self.get(params=[("page", "2"), ("page[size]", "5")]), "page")


# =========================================================================== filters


class ZendeskFilterTest(ZendeskCase):
    def ids(self, params: list[tuple[str, str]]) -> list[int]:
        return [r["id"] for r in self.walk(params, 100)]

    def test_created_at_range_is_inclusive_at_both_ends(self) -> None:
        def count(start: str, end: str) -> int:
            return len(self.ids([("filter[created_at][]", start), ("filter[created_at][]", end)]))
        at = "2024-05-09T08:00:00Z"  # three records share this second
        self.assertEqual(count(at, at), 3)
        self.assertEqual(count("2024-05-09T08:00:00.001Z", "2024-05-09T08:00:00.999Z"), 0)
        self.assertEqual(count("2024-05-09T10:00:00+02:00", "2024-05-09T10:00:00+02:00"), 3)
        self.assertEqual(count("2024-05-09T08:00:00", "2024-05-09T08:00:00"), 3)  # no zone: UTC
        self.assertEqual(count(START, "2024-05-31T23:59:59Z"), len(FIXTURES))  # both edges hold a record
        self.assertEqual(count("2024-05-01T00:00:01Z", "2024-05-31T23:59:58Z"), len(FIXTURES) - 2)
        self.assertEqual(count("2024-05-09", "2024-05-10"), 6)  # bare dates: midnight UTC
        self.assertEqual(count(END, START), 0)
        self.assertEqual(count("2024-05-24T07:30:00Z", "2024-05-24T07:30:00Z"), 2)

    def test_created_at_must_be_two_values_of_the_array_key(self) -> None:
        for params in ([("filter[created_at][]", START)],
                       MAY + [("filter[created_at][]", END)],
                       [("filter[created_at]", START), ("filter[created_at]", END)],  # Rack keeps one string
                       [("filter[created_at]", START)],
                       [("filter[created_at][]", START), ("filter[created_at][]", "yesterday")],
                       [("filter[created_at][]", START), ("filter[created_at][]", "")],
                       [("filter[created_at][]", "2024-13-01T00:00:00Z"), ("filter[created_at][]", END)],
                       [("filter[created_at][]", "1715600000"), ("filter[created_at][]", END)]):
            with self.subTest(params=params):
                self.assertInvalidAttribute(self.get(params=params + [("page[size]", "10")]), "filter.created_at")

    def test_filters_select_records(self) -> None:
        cases: list[tuple[list[tuple[str, str]], Any]] = [
            ([("filter[action]", "login")], lambda r: r["action"] == "login"),
            ([("filter[action]", "exported")], lambda r: r["action"] == "exported"),
            ([("filter[actor_id]", str(ZENDESK_ADMIN_ID))], lambda r: r["actor_id"] == ZENDESK_ADMIN_ID),
            ([("filter[actor_id]", "-1")], lambda r: r["actor_id"] == -1),
            ([("filter[source_type]", "user")], lambda r: r["source_type"] == "user"),
            ([("filter[source_type]", "account_setting"), ("filter[source_id]", str(ZENDESK_ACCOUNT_ID))],
             lambda r: r["source_type"] == "account_setting"),
            ([("filter[source_type]", "user"), ("filter[source_id]", "10412385020")],
             lambda r: r["source_type"] == "user" and r["source_id"] == 10412385020),
            ([("filter[ip_address]", "203.0.113.10")], lambda r: r["ip_address"] == "203.0.113.10"),
            ([("filter[action][]", "create"), ("filter[action][]", "destroy")],
             lambda r: r["action"] in ("create", "destroy")),
            ([("filter[source_type]", "user"), ("filter[action][]", "create"), ("filter[action][]", "update"),
              ("filter[action][]", "destroy")], lambda r: r["source_type"] == "user" and r["action"] != "login"),
            ([("filter[actor_id][]", "10412385002"), ("filter[actor_id][]", "10412385005"), ("filter[action]", "login")],
             lambda r: r["actor_id"] in (10412385002, 10412385005) and r["action"] == "login"),
            ([("filter[action]", "")], lambda r: True),  # an empty value filters nothing
            ([("filter[action]", "update"), ("filter[action]", "login")], lambda r: r["action"] == "login"),  # last wins
        ]
        for params, where in cases:
            with self.subTest(params=params):
                got = self.ids(MAY + params)
                self.assertEqual(got, expected(where))
                self.assertTrue(got)
        self.assertEqual(self.ids(MAY + [("filter[action]", "LOGIN")]), [])  # exact match
        self.assertEqual(self.ids(MAY + [("filter[action]", "logout")]), [])

    def test_filter_validation(self) -> None:
        for params, param in (([("filter[actor_id]", "abc")], "filter.actor_id"),
                              ([("filter[actor_id][]", "1"), ("filter[actor_id][]", "x")], "filter.actor_id"),
                              ([("filter[source_type]", "user"), ("filter[source_id]", "1e3")], "filter.source_id"),
                              ([("filter[source_id]", "10412385020")], "filter.source_id"),
                              ([("filter", "x")], "filter"),
                              ([("filter[action]", "login"), ("filter[action][]", "create")], "filter.action")):
            with self.subTest(params=params):
                self.assertInvalidAttribute(self.get(params=params + [("page[size]", "5")]), param)
                self.assertInvalidAttribute(self.get(params=params), param)  # offset mode too

    def test_unknown_parameters_are_ignored(self) -> None:
        got = self.ok(params=MAY + [("page[size]", "100"), ("foo", "bar"), ("filter[bogus]", "1"), ("include", "x")])
        self.assertEqual([r["id"] for r in got["audit_logs"]], expected())


# =========================================================================== offset pagination


class ZendeskOffsetTest(ZendeskCase):
    def test_default_is_offset_pagination_newest_first(self) -> None:
        page = self.ok()
        self.assertEqual(set(page), {"audit_logs", "next_page", "previous_page", "count"})
        self.assertEqual([r["id"] for r in page["audit_logs"]], expected())
        self.assertEqual((page["count"], page["next_page"], page["previous_page"]), (len(FIXTURES), None, None))

    def test_pages_and_links(self) -> None:
        page = self.ok(params=MAY + [("per_page", "10"), ("page", "2")])
        self.assertEqual([r["id"] for r in page["audit_logs"]], expected()[10:20])
        nxt = http(page["next_page"], headers=AUTH).json()
        self.assertEqual([r["id"] for r in nxt["audit_logs"]], expected()[20:30])
        prev = http(page["previous_page"], headers=AUTH).json()
        self.assertEqual([r["id"] for r in prev["audit_logs"]], expected()[:10])
        self.assertIsNone(prev["previous_page"])
        asc = self.ok(params=[("per_page", "10"), ("sort_order", "asc"), ("sort_by", "created_at")])
        self.assertEqual([r["id"] for r in asc["audit_logs"]], expected(ascending=True)[:10])
        last = self.ok(params=[("per_page", "10"), ("page", "5")])
        self.assertEqual(len(last["audit_logs"]), len(FIXTURES) - 40)
        self.assertIsNone(last["next_page"])
        self.assertEqual(len(self.ok(params=[("per_page", "500")])["audit_logs"]), len(FIXTURES))  # clamped to 100
        self.assertEqual(self.ok(params=[("page", "100"), ("per_page", "100")])["audit_logs"], [])

    def test_offset_validation(self) -> None:
        self.assertPaginationError(self.get(params=[("page", "101"), ("per_page", "100")]))
        self.assertPaginationError(self.get(params=[("page", "10001"), ("per_page", "1")]))
        self.assertInvalidAttribute(self.get(params=[("page", "two")]), "page")
        self.assertInvalidAttribute(self.get(params=[("per_page", "ten")]), "per_page")
        self.assertPaginationError(self.get(params=[("sort_by", "id")]), "sort_by is not valid")
        self.assertPaginationError(self.get(params=[("sort_order", "up")]), "sort_order is not valid")


# =========================================================================== show, auth, errors


class ZendeskErrorTest(ZendeskCase):
    def test_show(self) -> None:
        rec = FIXTURES[5]
        for path in (f"{LIST}/{rec['id']}", f"{LIST}/{rec['id']}.json"):
            with self.subTest(path=path):
                body = self.ok(path)
                self.assertEqual(body, {"audit_log": {**rec, "url": f"{self.emu.url}{LIST}/{rec['id']}.json"}})
        self.assertError(self.get(f"{LIST}/12345"), 404, {"error": "RecordNotFound", "description": "Not found"})
        self.assertInvalidAttribute(self.get(f"{LIST}/abc"), "id", "show")
        self.assertError(self.get(f"{LIST}/12345", headers=None), 401, {"error": "Couldn't authenticate you"})

    def test_authentication(self) -> None:
        unauthenticated = {"error": "Couldn't authenticate you"}
        for headers in (None, basic(f"{ZENDESK_EMAIL}/token", "wrong"), basic(ZENDESK_EMAIL, TOKEN),
                        basic("nobody@example.com/token", TOKEN), basic(f"{ZENDESK_EMAIL}/token", ""),
                        {"Authorization": "Basic !!!"}, {"Authorization": "Basic"}, {"Authorization": f"Token {TOKEN}"},
                        {"Authorization": f"SSWS {TOKEN}"}):
            with self.subTest(headers=headers):
                self.assertError(self.get(params=MAY, headers=headers), 401, unauthenticated)
        for headers in ({"Authorization": "Bearer nope"}, {"Authorization": "Bearer"}, {"Authorization": f"Bearer {TOKEN} x"}):
            with self.subTest(headers=headers):
                reply = self.get(params=MAY, headers=headers)
                self.assertError(reply, 401, {"error": "invalid_token", "error_description": "The access token provided "
                                              "is expired, revoked, malformed or invalid for other reasons."})
                self.assertTrue(reply.headers["WWW-Authenticate"].startswith(
                    'Bearer realm="Zendesk::OAuth Bearer Token Authentication", error="invalid_token"'))
        body = self.assertError(self.get(params=MAY, headers=basic(f"{ZENDESK_AGENT_EMAIL}/token", TOKEN)), 403)
        self.assertEqual(body["error"], "Forbidden")
        for headers in (AUTH, BEARER, basic(f"{ZENDESK_EMAIL.upper()}/token", TOKEN), {"Authorization": f"bearer {TOKEN}"}):
            with self.subTest(headers=headers):
                self.assertEqual(len(self.ok(params=MAY, headers=headers)["audit_logs"]), len(FIXTURES))
        self.assertError(self.get(params=[("filter[actor_id]", "x")], headers=None), 401)  # auth before parameters

    def test_unknown_routes_and_methods(self) -> None:
        not_found = {"error": "InvalidEndpoint", "description": "Not found"}
        for path in ("/api/v2/nothing", "/api/v2/audit_log", f"{LIST}/1/extra", "/api/v2/"):
            with self.subTest(path=path):
                self.assertError(self.get(path), 404, not_found)
        for method, path in (("POST", LIST), ("DELETE", f"{LIST}/{FIXTURES[0]['id']}"), ("PUT", LIST + ".json"),
                             ("POST", f"{LIST}/export")):
            with self.subTest(method=method, path=path):
                self.assertError(http(self.emu.url + path, method, AUTH, b"{}"), 404, not_found)

    def test_rate_limit_headers(self) -> None:
        first, second = self.get(params=MAY), self.get(params=MAY, headers=None)
        for reply in (first, second):
            self.assertEqual(reply.headers["X-Rate-Limit"], "700")
            self.assertEqual(reply.headers["ratelimit-limit"], "700")
            self.assertEqual(reply.headers["X-Rate-Limit-Remaining"], reply.headers["ratelimit-remaining"])
            self.assertTrue(1 <= int(reply.headers["ratelimit-reset"]) <= 60)
        before, after = int(first.headers["X-Rate-Limit-Remaining"]), int(second.headers["X-Rate-Limit-Remaining"])
        self.assertIn(after, (before - 1, 699))  # one request later, or the first of a new window

    def test_rate_limit_fault_is_zendesks_429(self) -> None:
        self.emu.faults({"path": "/audit_logs", "kind": "status", "status": 429})
        reply = self.get(params=MAY)
        self.assertEqual(reply.status, 429)
        self.assertEqual(reply.headers["Content-Type"], "text/plain")
        self.assertEqual(reply.body, b"Number of allowed API requests per minute exceeded")
        self.assertEqual(reply.headers["Retry-After"], "1")
        self.assertEqual((reply.headers["X-Rate-Limit"], reply.headers["X-Rate-Limit-Remaining"]), ("700", "0"))
        self.assertEqual(self.get(params=MAY).status, 200)
        self.emu.faults({"path": "/audit_logs", "kind": "status", "status": 401})
        self.assertError(self.get(params=MAY), 401, {"error": "Couldn't authenticate you"})
        self.emu.faults({"path": "/audit_logs", "kind": "status", "status": 503})
        self.assertEqual(self.assertError(self.get(params=MAY), 503)["error"], "ServiceUnavailable")


# =========================================================================== fixtures and control


class ZendeskControlTest(ZendeskCase):
    def test_fixtures_are_well_formed(self) -> None:
        self.assertTrue(30 <= len(FIXTURES) <= 60)
        self.assertTrue(all(set(r) == FIELDS for r in FIXTURES))
        ids = [r["id"] for r in FIXTURES]
        self.assertTrue(all(isinstance(i, int) and not isinstance(i, bool) for i in ids))
        self.assertEqual(len(set(ids)), len(ids))
        times = [r["created_at"] for r in FIXTURES]
        self.assertLess(len(set(times)), len(times))  # ties
        self.assertTrue(all(START <= t < END for t in times))
        self.assertGreaterEqual(len({t[:10] for t in times}), 4)
        self.assertGreaterEqual(len({r["actor_id"] for r in FIXTURES}), 5)
        kinds = {(r["source_type"], r["action"]) for r in FIXTURES}
        for kind in (("user", "login"), ("user", "create"), ("user", "update"), ("user", "destroy")):
            self.assertIn(kind, kinds)
        self.assertGreaterEqual(len({r["action"] for r in FIXTURES}), 5)
        text = "\n".join(strings(FIXTURES))
        for needle in ('"', "'", "\u001b[31m", "\r", "\u202e", "\u0007", "\t", "ü", "✅", "🚀"):
            self.assertIn(needle, text)
        self.assertTrue(any(ord(c) > 0x3000 for c in text), "CJK")

    def test_add_activities_validates(self) -> None:
        good = record(31, "2024-05-13T08:00:00Z")
        for bad in ({**good, "id": "31"}, {**good, "id": True}, {**good, "created_at": "2024-05-13T08:00:00.000Z"},
                    {**good, "created_at": "2024-05-13"}, {k: v for k, v in good.items() if k != "action"},
                    {**good, "actor_id": "x"}, {**good, "id": FIXTURES[0]["id"]}):
            with self.subTest(bad=bad):
                with self.assertRaises(RuntimeError):
                    self.emu.add_activities("zendesk", [bad])
        self.emu.add_activities("zendesk", [good])
        self.assertEqual(self.ok(f"{LIST}/31")["audit_log"]["created_at"], "2024-05-13T08:00:00Z")


class ZendeskGenerateTest(ZendeskCase):
    emulator_args = ("--generate", "1200")

    def test_generated_volume_pages_completely(self) -> None:
        whole = [("filter[created_at][]", "2024-01-01T00:00:00Z"), ("filter[created_at][]", harness.GENERATE_ANCHOR)]
        records = self.walk(whole, 100)
        self.assertEqual(len({r["id"] for r in records}), 1200)
        self.assertEqual([key(r) for r in records], sorted((key(r) for r in records), reverse=True))
        self.assertLess(max(r["created_at"] for r in records), harness.GENERATE_ANCHOR)
        ascending = self.walk(whole + [("sort", "created_at")], 77)
        self.assertEqual([r["id"] for r in ascending], [r["id"] for r in reversed(records)])
        logins = self.walk(whole + [("filter[action]", "login")], 100)
        self.assertTrue(0 < len(logins) < 1200)

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/zendesk")
        with Emulator("--generate", "1200") as other:
            self.assertEqual(other.control("GET", "activities/zendesk"), first)


if __name__ == "__main__":
    unittest.main()
