"""End to end: the real auditfetch binary against the Zendesk audit-log emulator (tests/emulator/zendesk.py).

Zendesk (PROVIDERS-DIRECT.md section 6): GET /api/v2/audit_logs on https://{subdomain}.zendesk.com,
Basic auth with "{email}/token" and the API token (or an OAuth bearer token); an admin only
(an agent gets 403). The time window is `filter[created_at][]` given exactly twice, the start
and then the end, both inclusive, in whole seconds; `filter[action]`, `filter[actor_id]`,
`filter[source_type]` are exact matches. Cursor paging: `page[size]` (at most 100) and
`page[after]` = meta.after_cursor; links.next is present on the last page too, so the end is
meta.has_more == false. Newest first by default (`sort=-created_at`). A 429 is text/plain with
Retry-After. The definition has no resume point: --state and tail poll by time with --overlap.

Expected values come from tests/fixtures/zendesk/activities.json and Zendesk's semantics,
never from auditfetch's own output.
"""

from __future__ import annotations

import base64
import copy
import json
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
import unittest
from pathlib import Path
from typing import Any, Iterable

from harness import (TOKEN, ZENDESK_ADMIN_ID, ZENDESK_AGENT_EMAIL, ZENDESK_EMAIL, ZENDESK_SUBDOMAIN,
                     fixture_records, http, run_auditfetch)
from provider_case import ProviderCase, csv_rows, format_seconds, ms, ndjson, parse_time, table_cells, table_lines
from test_tail import TailProcess

LOGS = "/api/v2/audit_logs"
RECORDS = fixture_records("zendesk")
BY_ID = {str(r["id"]): r for r in RECORDS}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"  # every fixture is inside (the first at SINCE)
SECOND = 1_000_000_000
OVERLAP_NS = 5 * 60 * SECOND  # --overlap's default
ENV = {"ZENDESK_EMAIL": ZENDESK_EMAIL, "ZENDESK_API_TOKEN": TOKEN}
BASIC = "Basic " + base64.b64encode(f"{ZENDESK_EMAIL}/token:{TOKEN}".encode()).decode()
CREATED = "filter[created_at][]"

# The definition's action table, as PROVIDERS-DIRECT.md section 6 states it: login, the user
# lifecycle from create/update/destroy on a source of type "user", and the same on any other
# source (and exported) as the unified create/updated/destroy/exported.
USER_ACTIONS = {"create": "user_created", "update": "user_updated", "destroy": "user_deleted"}
OTHER_ACTIONS = {"create": "create", "update": "updated", "destroy": "destroy", "exported": "exported"}


# --------------------------------------------------------------------------- oracles


def expected_action(r: dict[str, Any]) -> str:
    if r["action"] == "login":
        return "login"
    if r.get("source_type") == "user" and r["action"] in USER_ACTIONS:
        return USER_ACTIONS[r["action"]]
    return OTHER_ACTIONS.get(r["action"], r["action"])


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def expected_description(r: dict[str, Any]) -> str | None:
    head = [r.get("action_label"), r.get("source_type"), r.get("source_label")]
    if all(head):
        tail = r.get("change_description")
        return " ".join(head) + (f": {tail}" if tail else "")
    return r.get("change_description") or None


def expected_actor_type(r: dict[str, Any]) -> str:
    # -1 is Zendesk's own system actor; no actor at all is the system too
    return "user" if r.get("actor_id") not in (None, -1) else "system"


def rendered(r: dict[str, Any], base: str) -> dict[str, Any]:
    """The record as the API serves it: its url on the host that served it."""
    return {**r, "url": f"{base}{LOGS}/{r['id']}.json"}


def expected_activity(r: dict[str, Any], base: str, remote_data: bool = True) -> dict[str, Any]:
    return {
        "id": str(r["id"]),
        "actor": {"type": expected_actor_type(r), "user": {"id": text(r.get("actor_id"))}},
        "organization": ZENDESK_SUBDOMAIN,
        "group": None,
        "description": expected_description(r),
        "action": expected_action(r),
        "entity": text(r.get("source_id")),
        "entity_type": r.get("source_type"),
        "context": {"ip_address": r.get("ip_address"), "user_agent": None, "authentication_method": None},
        "created_at": ms(r["created_at"]),
        "remote_data": rendered(r, base) if remote_data else None,
        "provider": "zendesk",
    }


def newest_first(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Zendesk's default order (sort=-created_at): created_at, then id, both descending."""
    return sorted(records, key=lambda r: (parse_time(r["created_at"]), r["id"]), reverse=True)


def truth(records: Iterable[dict[str, Any]] = RECORDS, since: str | None = SINCE, until: str | None = UNTIL,
          actions: Iterable[str] = (), actor: str | None = None, entity: str | None = None,
          entity_type: str | None = None) -> list[str]:
    """Ids, newest first, of the records the unified filters select (since inclusive, until exclusive)."""
    wanted = set(actions)
    out = []
    for r in newest_first(records):
        t = parse_time(r["created_at"])
        if (since and t < parse_time(since)) or (until and t >= parse_time(until)):
            continue
        if wanted and expected_action(r) not in wanted and r["action"] not in wanted:
            continue
        if actor is not None and text(r.get("actor_id")) != actor:
            continue
        if entity is not None and text(r.get("source_id")) != entity:
            continue
        if entity_type is not None and r.get("source_type") != entity_type:
            continue
        out.append(str(r["id"]))
    return out


def new_record(template: dict[str, Any], record_id: int, created_at: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(template)
    record.pop("url", None)
    record.update(id=record_id, created_at=created_at, **changes)
    return record


class ZendeskCase(ProviderCase):
    def settings(self) -> list[str]:
        return ["-p", "zendesk", "--subdomain", ZENDESK_SUBDOMAIN, "--base-url", self.emu.url]

    def list(self, *args: str, since: str | None = SINCE, until: str | None = UNTIL,
             env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", *self.settings(), *window, "-o", "ndjson", *args, env={**ENV, **(env or {})})

    def get(self, record_id: str, *args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
        return run_auditfetch("get", *self.settings(), record_id, *args, env={**ENV, **(env or {})})

    def logs(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(LOGS) if r["path"] == LOGS]

    def ids(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def expected(self, ids: Iterable[str], remote_data: bool = True) -> list[dict[str, Any]]:
        return [expected_activity(BY_ID[i], self.emu.url, remote_data) for i in ids]

    def replay(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = http(f"{self.emu.url}{request['path']}?{request['query']}", headers={"Authorization": BASIC})
        self.assertEqual(reply.status, 200)
        return reply.json()


# --------------------------------------------------------------------------- mapping


class MappingTest(ZendeskCase):
    def test_every_record_maps_to_the_unified_schema_newest_first(self) -> None:
        activities = self.activities(self.list())
        self.assertEqual(len(activities), len(RECORDS))
        self.assertEqual([a["id"] for a in activities], truth())
        for activity in activities:
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "zendesk")
                self.assertEqual(activity, expected_activity(BY_ID[activity["id"]], self.emu.url))

    def test_record_kinds_spelled_out(self) -> None:
        got = {a["id"]: a for a in self.activities(self.list("--no-remote-data"))}
        login, deleted, token_gone, system = "29184730004747", "29184730003636", "29184730002323", "29184730003838"
        self.assertEqual(got[login], {
            "id": login, "actor": {"type": "user", "user": {"id": str(ZENDESK_ADMIN_ID)}}, "organization": "acme",
            "group": None,
            "description": "Signed in user Dana Whitfield: Successful sign-in using Zendesk password from "
                           "https://acme.zendesk.com/access/login",
            "action": "login", "entity": str(ZENDESK_ADMIN_ID), "entity_type": "user",
            "context": {"ip_address": "203.0.113.10", "user_agent": None, "authentication_method": None},
            "created_at": "2024-05-31T23:59:59.000Z", "remote_data": None, "provider": "zendesk"})
        self.assertEqual((got[deleted]["action"], got[deleted]["entity"], got[deleted]["description"]),
                         ("user_deleted", "10412385020", "Deleted user Quinn Alvarez: Deleted user"))
        # destroy on an API token is not a user deletion: the unified "destroy" (Zendesk's own word)
        self.assertEqual((got[token_gone]["action"], got[token_gone]["entity_type"], got[token_gone]["actor"],
                          got[token_gone]["context"]["ip_address"]),
                         ("destroy", "apitoken", {"type": "system", "user": {"id": "-1"}}, None))
        # an update made by Zendesk itself (actor -1) on a user is still user_updated
        self.assertEqual((got[system]["action"], got[system]["actor"]["type"]), ("user_updated", "system"))
        by_kind = {(BY_ID[i]["action"], BY_ID[i]["source_type"] == "user"): set() for i in got}
        for i, a in got.items():
            by_kind[(BY_ID[i]["action"], BY_ID[i]["source_type"] == "user")].add(a["action"])
        self.assertEqual(by_kind, {
            ("login", True): {"login"}, ("create", True): {"user_created"}, ("update", True): {"user_updated"},
            ("destroy", True): {"user_deleted"}, ("create", False): {"create"}, ("update", False): {"updated"},
            ("destroy", False): {"destroy"}, ("exported", False): {"exported"}})

    def test_descriptions_fall_back_when_parts_are_missing(self) -> None:
        template = BY_ID["29184730004242"]  # update on a rule
        no_change = new_record(template, 39000000000001, "2024-06-02T00:00:01Z", change_description=None)
        no_label = new_record(template, 39000000000002, "2024-06-02T00:00:02Z", action_label=None)
        bare = new_record(template, 39000000000003, "2024-06-02T00:00:03Z", action_label=None,
                          change_description=None, actor_id=None, ip_address=None)
        del bare["actor_name"]
        self.emu.add_activities("zendesk", [no_change, no_label, bare])
        result = self.list("--no-remote-data", since="2024-06-02T00:00:00Z", until="2024-06-03T00:00:00Z")
        got = {a["id"]: a for a in self.activities(result)}
        self.assertEqual(got[str(no_change["id"])]["description"], "Updated rule Notify requester of comment update")
        self.assertEqual(got[str(no_label["id"])]["description"], template["change_description"])
        self.assertIsNone(got[str(bare["id"])]["description"])
        self.assertEqual(got[str(bare["id"])]["actor"], {"type": "system", "user": {"id": None}})
        self.assertEqual([got[str(r["id"])] for r in (no_change, no_label, bare)],
                         [expected_activity(r, self.emu.url, remote_data=False) for r in (no_change, no_label, bare)])


# --------------------------------------------------------------------------- the native request


class RequestTest(ZendeskCase):
    def test_basic_auth_is_email_slash_token_and_the_api_token(self) -> None:
        result = self.list("--page-size", "20", "-v")
        self.assertEqual(self.ids(result), truth())
        requests = self.logs()
        self.assertEqual(len(requests), 3)
        for request in requests:
            self.assertEqual(request["method"], "GET")
            self.assertEqual(request["headers"].get("Authorization"), BASIC)
            self.assertEqual(request["headers"].get("Accept"), "application/json")
            self.assertRegex(request["headers"].get("User-Agent", ""), r"^auditfetch/")
        self.assertNotIn(TOKEN, result.stderr)
        self.assertNotIn(BASIC.split()[1], result.stderr)

    def test_a_token_file_is_the_basic_password_too(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "zendesk.token"
            path.write_text(TOKEN + "\n")
            path.chmod(0o600)
            result = self.list("--token-file", str(path), "--limit", "1", env={"ZENDESK_API_TOKEN": None})
        self.assertEqual(self.ids(result), truth()[:1])
        self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], [BASIC])

    def test_an_oauth_token_is_sent_as_bearer_without_an_email(self) -> None:
        result = self.list("--limit", "2", env={"ZENDESK_EMAIL": None, "ZENDESK_API_TOKEN": None,
                                                "ZENDESK_OAUTH_TOKEN": TOKEN})
        self.assertEqual(self.ids(result), truth()[:2])
        self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], [f"Bearer {TOKEN}"])

    def test_the_api_token_wins_over_the_oauth_token(self) -> None:
        result = self.list("--limit", "1", env={"ZENDESK_OAUTH_TOKEN": "some-oauth-token"})
        self.assertEqual(self.ids(result), truth()[:1])
        self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], [BASIC])

    def test_the_window_is_created_at_twice_start_then_end_and_the_end_inclusive(self) -> None:
        result = self.list("-v")
        self.assertEqual(self.ids(result), truth())
        [request] = self.logs()
        # --until is exclusive, Zendesk's end inclusive: the last second before it; no sort
        # parameter (newest first is Zendesk's default) and the page size at its maximum
        self.assertEqual(request["params"], {CREATED: ["2024-05-01T00:00:00Z", "2024-05-31T23:59:59Z"],
                                             "page[size]": ["100"]})
        self.assertEqual([k for k, _ in (p.split("=", 1) for p in request["query"].split("&"))
                          if k.startswith("filter")], ["filter%5Bcreated_at%5D%5B%5D"] * 2)
        self.assertLess(request["query"].index("2024-05-01T00"), request["query"].index("2024-05-31T23"))
        self.assertEqual(self.pushdown(result, "zendesk"), ({"since", "until"}, set()))

    def test_since_alone_ends_the_window_now(self) -> None:
        recent = new_record(RECORDS[0], 39000000000010, format_seconds(time.time_ns() - 3600 * SECOND))
        self.emu.add_activities("zendesk", [recent])
        before = time.time_ns()
        result = self.list(since="2024-05-31T00:00:00Z", until=None)
        after = time.time_ns()
        self.assertEqual(self.ids(result), [str(recent["id"]), "29184730004747"])
        [request] = self.logs()
        start, end = request["params"][CREATED]
        self.assertEqual(start, "2024-05-31T00:00:00Z")
        self.assertRegex(end, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertLessEqual(parse_time(end), after)
        self.assertGreaterEqual(parse_time(end), before - 2 * SECOND)

    def test_until_alone_starts_the_window_at_the_epoch_and_says_so(self) -> None:
        result = self.list("-v", since=None, until="2024-05-06T09:00:00Z")
        self.assertEqual(self.ids(result), truth(since=None, until="2024-05-06T09:00:00Z"))
        self.assertEqual(len(self.ids(result)), 2)
        self.assertEqual(self.logs()[0]["params"][CREATED], ["1970-01-01T00:00:00Z", "2024-05-06T08:59:59Z"])
        self.assertIn("auditfetch: zendesk: the API needs a time range; without --since reading from "
                      "1970-01-01T00:00:00.000Z", result.stderr.splitlines())

    def test_filters_become_filter_parameters(self) -> None:
        admin = str(ZENDESK_ADMIN_ID)
        cases = [
            (("--action", "login"), {"filter[action]": ["login"]}, truth(actions=["login"])),
            # a native value (no unified name) is sent as it is and matches user and other sources
            (("--action", "update"), {"filter[action]": ["update"]}, truth(actions=["update"])),
            # a rule with a condition pushes its native value, the condition is checked locally
            (("--action", "user_created"), {"filter[action]": ["create"]}, truth(actions=["user_created"])),
            (("--action", "user_deleted"), {"filter[action]": ["destroy"]}, truth(actions=["user_deleted"])),
            (("--actor-id", admin), {"filter[actor_id]": [admin]}, truth(actor=admin)),
            (("--actor-id", "-1"), {"filter[actor_id]": ["-1"]}, truth(actor="-1")),
            (("--entity-type", "rule"), {"filter[source_type]": ["rule"]}, truth(entity_type="rule")),
            (("--entity-type", "zendesk/app_market/app"), {"filter[source_type]": ["zendesk/app_market/app"]},
             truth(entity_type="zendesk/app_market/app")),
            (("--action", "user_updated", "--actor-id", admin, "--entity-type", "user"),
             {"filter[action]": ["update"], "filter[actor_id]": [admin], "filter[source_type]": ["user"]},
             truth(actions=["user_updated"], actor=admin, entity_type="user")),
        ]
        for args, native, expected in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                [request] = self.logs()
                self.assertEqual(request["params"], {CREATED: ["2024-05-01T00:00:00Z", "2024-05-31T23:59:59Z"],
                                                     "page[size]": ["100"], **native})

    def test_unified_actions_of_other_sources_push_their_native_value(self) -> None:
        # create/updated/destroy/exported come from rules without a condition, after the user rules:
        # their native value is pushed down, and a user record the user rules claim is no "updated"
        for action, native in (("create", "create"), ("updated", "update"), ("destroy", "destroy"),
                               ("exported", "exported")):
            with self.subTest(action=action):
                self.emu.clear_requests()
                result = self.list("-v", "--action", action)
                expected = truth(actions=[action])
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(self.pushdown(result, "zendesk"), ({"since", "until", "action"}, set()))
                self.assertEqual(self.logs()[0]["params"]["filter[action]"], [native])
        # what Zendesk answers to filter[action]=update holds user updates too; they are not "updated"
        natives = truth(actions=["update"])
        self.assertLess(set(truth(actions=["updated"])), set(natives))
        self.assertTrue(all(BY_ID[i]["source_type"] == "user" for i in set(natives) - set(truth(actions=["updated"]))))

    def test_the_pushdown_line_and_the_entity_applied_locally(self) -> None:
        result = self.list("-v", "--entity", "9182736", "--actor-id", str(ZENDESK_ADMIN_ID))
        expected = truth(entity="9182736", actor=str(ZENDESK_ADMIN_ID))
        self.assertEqual(len(expected), 3)
        self.assertEqual(self.ids(result), expected)
        self.assertEqual(self.pushdown(result, "zendesk"), ({"since", "until", "actor_id"}, {"entity"}))
        self.assertNotIn("filter[source_id]", self.logs()[0]["params"])  # it would need source_type

    def test_several_actions_select_each_of_them(self) -> None:
        result = self.list("-v", "--action", "login", "--action", "user_deleted")
        self.assertEqual(self.ids(result), truth(actions=["login", "user_deleted"]))
        pushed, local = self.pushdown(result, "zendesk")
        params = self.logs()[0]["params"]
        if "action" in pushed:  # only in Zendesk's array form, which ORs the values
            self.assertEqual(params.get("filter[action][]"), ["login", "destroy"])
        else:
            self.assertEqual(local, {"action"})
            self.assertNotIn("filter[action]", params)

    def test_page_size_is_page_size_up_to_100(self) -> None:
        result = self.list("--page-size", "7")
        self.assertEqual(self.ids(result), truth())
        self.assertEqual({r["params"]["page[size]"][0] for r in self.logs()}, {"7"})
        self.emu.clear_requests()
        result = self.list("--page-size", "101")
        self.assertOneErrorLine(result, 2, "--page-size 101 is out of range for zendesk (use 1 to 100)")
        self.assertEqual(self.emu.requests(), [])

    def test_limit_asks_for_a_page_of_that_size(self) -> None:
        result = self.list("--limit", "3")
        self.assertEqual(self.ids(result), truth()[:3])
        self.assertEqual([r["params"]["page[size]"] for r in self.logs()], [["3"]])
        # with --state too: the definition keeps no resume point that would keep the small page size
        with tempfile.TemporaryDirectory() as tmp:
            self.emu.clear_requests()
            result = self.list("--limit", "3", "--state", str(Path(tmp) / "zendesk.json"))
        self.assertEqual(self.ids(result), truth()[:3])
        self.assertEqual([r["params"]["page[size]"] for r in self.logs()], [["3"]])


# --------------------------------------------------------------------------- paging


class PagingTest(ZendeskCase):
    def test_page_after_is_the_previous_after_cursor_until_has_more_is_false(self) -> None:
        for size, pages in ((10, 5), (47, 1), (46, 2), (5, 10)):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                result = self.list("--page-size", str(size))
                self.assertEqual(self.ids(result), truth())
                requests = self.logs()
                self.assertEqual(len(requests), pages)
                self.assertNotIn("page[after]", requests[0]["params"])
                for number, request in enumerate(requests):
                    body = self.replay(request)
                    if number + 1 < len(requests):
                        self.assertTrue(body["meta"]["has_more"])
                        self.assertEqual(requests[number + 1]["params"]["page[after]"], [body["meta"]["after_cursor"]])
                        following = dict(requests[number + 1]["params"])
                        del following["page[after]"]
                        self.assertEqual(following, requests[0]["params"])
                    else:  # the last page still links to a next one: has_more ends the listing
                        self.assertFalse(body["meta"]["has_more"])
                        self.assertIsNotNone(body["links"]["next"])

    def test_records_sharing_a_second_split_across_pages_come_once_in_order(self) -> None:
        times = [r["created_at"] for r in newest_first(RECORDS)]
        self.assertEqual(times.count("2024-05-09T08:00:00Z"), 3)
        for size in (2, 3, 4):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                self.assertEqual(self.ids(self.list("--page-size", str(size))), truth())
                self.assertEqual(len(self.logs()), -(-len(RECORDS) // size))

    def run_while_adding(self, records: list[dict[str, Any]], *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        """Runs list; once its first request is in, adds `records` while the second is held."""
        self.emu.faults({"path": LOGS + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        outcome: list[subprocess.CompletedProcess] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list(*args, **kwargs)))
        runner.start()
        deadline = time.monotonic() + 10
        while not self.logs() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.emu.add_activities("zendesk", records)
        runner.join(30)
        self.assertFalse(runner.is_alive())
        return outcome[0]

    def test_records_added_while_paging_are_printed_once_by_this_run_or_the_next(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "zendesk.json"
            older = new_record(RECORDS[10], 39000000000020, "2024-05-02T00:00:00Z")  # behind the cursor
            newer = new_record(RECORDS[10], 39000000000021, format_seconds(time.time_ns() - 60 * SECOND))
            result = self.run_while_adding([older, newer], "--page-size", "10", "--state", str(state), until=None)
            # newest first: the older one sorts after the cursor and comes on a later page; the
            # newer one sorts before it, so this listing cannot see it
            self.assertEqual(self.ids(result), truth(RECORDS + [older], until=None))
            again = self.list("--state", str(state), until=None)
            self.assertEqual(self.ids(again), [str(newer["id"])])


# --------------------------------------------------------------------------- time semantics


class TimeTest(ZendeskCase):
    def window(self, since: str, until: str) -> tuple[list[str], list[str]]:
        self.emu.clear_requests()
        ids = self.ids(self.list(since=since, until=until))
        return ids, self.logs()[0]["params"][CREATED]

    def test_since_is_inclusive_and_until_exclusive_at_whole_seconds(self) -> None:
        pair = ["29184730004141", "29184730004040"]  # both at 2024-05-24T07:30:00Z
        ids, sent = self.window("2024-05-24T07:30:00Z", "2024-05-24T14:00:00Z")
        self.assertEqual(ids, ["29184730004343", "29184730004242"] + pair)
        self.assertEqual(sent, ["2024-05-24T07:30:00Z", "2024-05-24T13:59:59Z"])
        ids, sent = self.window("2024-05-24T07:30:01Z", "2024-05-24T14:00:01Z")
        self.assertEqual(ids, ["29184730004444", "29184730004343", "29184730004242"])
        self.assertEqual(sent, ["2024-05-24T07:30:01Z", "2024-05-24T14:00:00Z"])

    def test_sub_second_bounds_widen_to_seconds_and_are_exact_locally(self) -> None:
        ids, sent = self.window("2024-05-24T07:30:00.500Z", "2024-05-24T14:00:00.001Z")
        self.assertEqual(sent, ["2024-05-24T07:30:00Z", "2024-05-24T14:00:00Z"])
        self.assertEqual(ids, truth(since="2024-05-24T07:30:00.500Z", until="2024-05-24T14:00:00.001Z"))
        self.assertEqual(ids, ["29184730004444", "29184730004343", "29184730004242"])
        ids, sent = self.window("2024-05-24T07:29:59.999Z", "2024-05-24T13:59:59.999Z")
        self.assertEqual(sent, ["2024-05-24T07:29:59Z", "2024-05-24T13:59:59Z"])
        self.assertEqual(ids, ["29184730004343", "29184730004242", "29184730004141", "29184730004040"])

    def test_a_one_millisecond_window_sends_until_itself_and_is_exact_locally(self) -> None:
        # the last second before --until would not be after the start: --until itself is sent (up to
        # the next whole second as an end that must hold it), and the local filter trims the rest
        pair = ["29184730004141", "29184730004040"]  # both at 2024-05-24T07:30:00Z
        ids, sent = self.window("2024-05-24T07:30:00.000Z", "2024-05-24T07:30:00.001Z")
        self.assertEqual(sent, ["2024-05-24T07:30:00Z", "2024-05-24T07:30:01Z"])
        self.assertEqual(ids, pair)
        # the pair is what Zendesk sends for the second before --until: one millisecond and ending at it
        ids, sent = self.window("2024-05-24T07:29:59.999Z", "2024-05-24T07:30:00.000Z")
        self.assertEqual(sent, ["2024-05-24T07:29:59Z", "2024-05-24T07:30:00Z"])
        self.assertEqual([str(r["id"]) for r in self.replay(self.logs()[0])["audit_logs"]], pair)
        self.assertEqual(ids, [])
        # two milliseconds: the last second before --until is after the start again
        ids, sent = self.window("2024-05-24T07:30:00.000Z", "2024-05-24T07:30:00.002Z")
        self.assertEqual(sent, ["2024-05-24T07:30:00Z", "2024-05-24T07:30:00Z"])
        self.assertEqual(ids, pair)

    def test_offsets_are_sent_in_utc(self) -> None:
        ids, sent = self.window("2024-05-24T09:30:00+02:00", "2024-05-24T10:00:00-04:00")
        self.assertEqual(sent, ["2024-05-24T07:30:00Z", "2024-05-24T13:59:59Z"])
        self.assertEqual(ids, truth(since="2024-05-24T07:30:00Z", until="2024-05-24T14:00:00Z"))

    def test_the_first_and_last_second_of_the_month(self) -> None:
        ids, _ = self.window(SINCE, UNTIL)
        self.assertEqual((ids[0], ids[-1]), ("29184730004747", "29184730000101"))  # 23:59:59 and 00:00:00
        ids, _ = self.window("2024-05-01T00:00:01Z", "2024-05-31T23:59:59Z")
        self.assertEqual(ids, truth()[1:-1])

    def test_since_not_before_until_is_refused_without_a_request(self) -> None:
        result = self.list(since="2024-05-24T00:00:00Z", until="2024-05-24T00:00:00Z")
        self.assertOneErrorLine(result, 2, "--since 2024-05-24T00:00:00.000Z is not before --until "
                                           "2024-05-24T00:00:00.000Z")
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- errors


class ErrorTest(ZendeskCase):
    def page1(self, text: str) -> str:
        return f"auditfetch: error: zendesk: page 1: {text}"

    def test_a_wrong_api_token_exits_3_with_zendesks_message(self) -> None:
        result = self.list(env={"ZENDESK_API_TOKEN": "wrong-token"})
        self.assertOneErrorLine(result, 3, "Couldn't authenticate you")
        self.assertEqual(self.errorLine(result), self.page1(
            "authentication refused (401): Couldn't authenticate you (the token from ZENDESK_API_TOKEN was "
            "refused; it may be expired: set a fresh one)"))
        self.assertNotIn("wrong-token", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(self.logs()), 1)

    def test_an_agent_is_refused_with_403_and_exits_3(self) -> None:
        result = self.list(env={"ZENDESK_EMAIL": ZENDESK_AGENT_EMAIL})
        self.assertOneErrorLine(result, 3, "(403)")
        self.assertEqual(self.errorLine(result), self.page1(
            "access refused (403): Forbidden: You do not have access to this page. Please contact the account owner "
            "of this help desk for further help. (the credentials from ZENDESK_API_TOKEN work but may not read audit "
            "activity; check the role or scopes granted to them)"))
        agent = "Basic " + base64.b64encode(f"{ZENDESK_AGENT_EMAIL}/token:{TOKEN}".encode()).decode()
        self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], [agent])

    def test_a_refused_oauth_token_shows_zendesks_oauth_error(self) -> None:
        result = self.list(env={"ZENDESK_EMAIL": None, "ZENDESK_API_TOKEN": None, "ZENDESK_OAUTH_TOKEN": "expired"})
        self.assertOneErrorLine(result, 3, "invalid_token")
        self.assertEqual(self.errorLine(result), self.page1(
            "authentication refused (401): invalid_token: The access token provided is expired, revoked, malformed "
            "or invalid for other reasons. (the token from ZENDESK_OAUTH_TOKEN was refused; it may be expired: set "
            "a fresh one)"))

    def test_an_api_token_without_an_email_names_the_email_setting(self) -> None:
        result = self.list(env={"ZENDESK_EMAIL": None})
        self.assertOneErrorLine(result, 2, "also need --email")
        self.assertEqual(self.errorLine(result), "auditfetch: error: zendesk: credentials from ZENDESK_API_TOKEN "
                                                 "also need --email (pass --email or set ZENDESK_EMAIL)")
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])

    def test_no_credentials_name_both_token_variables(self) -> None:
        result = self.list(env={"ZENDESK_API_TOKEN": None})
        self.assertOneErrorLine(result, 2, "zendesk: no credentials")
        self.assertIn("set ZENDESK_API_TOKEN, or set ZENDESK_OAUTH_TOKEN", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])

    def test_a_missing_subdomain_exits_2(self) -> None:
        result = run_auditfetch("list", "-p", "zendesk", "--base-url", self.emu.url, env=ENV)
        self.assertOneErrorLine(result, 2,
                                "zendesk: --subdomain is required (pass --subdomain or set ZENDESK_SUBDOMAIN)")
        self.assertEqual(self.emu.requests(), [])

    def test_an_invalid_attribute_is_a_400_exit_2_with_zendesks_words(self) -> None:
        result = self.list("--actor-id", "dana")
        self.assertOneErrorLine(result, 2, "Invalid attribute")
        self.assertEqual(self.errorLine(result), self.page1(
            "the API rejected the request (400): Invalid attribute: You passed an invalid value for the "
            "filter.actor_id attribute. Invalid parameter: filter.actor_id must be an integer from "
            "api/v2/audit_logs/index (check --filter, --param and the filter flags; -v shows the request)"))
        self.assertEqual(len(self.logs()), 1)

    def test_an_invalid_sort_shows_the_pagination_error(self) -> None:
        result = self.list("--param", "sort=updated_at")
        self.assertOneErrorLine(result, 2, "InvalidPaginationParameter")
        self.assertEqual(self.errorLine(result), self.page1(
            "the API rejected the request (400): InvalidPaginationParameter: sort is not valid (check --filter, "
            "--param and the filter flags; -v shows the request)"))

    def test_the_text_plain_429_is_waited_for_by_its_retry_after(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "skip": 1, "times": 1})
        started = time.monotonic()
        result = self.list("--page-size", "20")
        self.assertEqual(self.ids(result), truth())
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        self.assertRegex(result.stderr, r"(?m)^auditfetch: warning: HTTP 429; retrying in 1(\.0+)? s \(1 of 3\)$")
        requests = self.logs()
        self.assertEqual(len(requests), 4)
        self.assertEqual(requests[1]["query"], requests[2]["query"])  # the same page asked again

    def test_a_persistent_429_exits_1_with_zendesks_text(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "times": -1})
        result = self.list("--retries", "1")
        self.assertOneErrorLine(result, 1, "HTTP 429")
        self.assertEqual(self.errorLine(result), self.page1(
            "HTTP 429: Number of allowed API requests per minute exceeded (the API is rate limiting this account; "
            "wait, or raise --retries)"))
        self.assertEqual(len(self.logs()), 2)
        self.assertEqual(result.stdout, "")

    def test_a_404_listing_exits_2_and_a_500_exits_1(self) -> None:
        result = run_auditfetch("list", "-p", "zendesk", "--subdomain", "acme", "--base-url", self.emu.url + "/nope",
                                "--since", SINCE, env=ENV)
        self.assertOneErrorLine(result, 2, "not found (404)")
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 500, "times": -1})
        result = self.list()
        self.assertOneErrorLine(result, 1, "HTTP 500")
        self.assertEqual(self.errorLine(result), self.page1("HTTP 500: InternalServerError: Internal Server Error"))

    def test_get_prints_one_audit_log(self) -> None:
        record = BY_ID["29184730003434"]  # hostile text in its change description
        result = self.get(str(record["id"]), "-o", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), expected_activity(record, self.emu.url))
        [request] = self.emu.requests(LOGS)
        self.assertEqual((request["path"], request["query"]), (f"{LOGS}/{record['id']}", ""))
        self.assertEqual(request["headers"]["Authorization"], BASIC)

    def test_get_of_an_unknown_id_exits_4(self) -> None:
        result = self.get("29184730009999")
        self.assertOneErrorLine(result, 4, "no such activity")
        self.assertEqual(self.errorLine(result),
                         "auditfetch: error: zendesk: get 29184730009999: no such activity (RecordNotFound: Not found)")
        self.assertEqual(result.stdout, "")

    def test_get_of_a_non_numeric_id_exits_2_with_zendesks_400(self) -> None:
        result = self.get("abc")
        self.assertOneErrorLine(result, 2, "Invalid attribute")
        self.assertIn("id must be an integer from api/v2/audit_logs/show", self.errorLine(result))


# --------------------------------------------------------------------------- output


class OutputTest(ZendeskCase):
    DAY = ("2024-05-24T00:00:00Z", "2024-05-25T00:00:00Z")  # eight records: logins, user changes, a rule, a token

    def day(self) -> list[dict[str, Any]]:
        return [BY_ID[i] for i in truth(since=self.DAY[0], until=self.DAY[1])]

    def test_json_with_fields(self) -> None:
        result = self.list("-o", "json", "--fields", "created_at,action,id,entity_type,actor.user.id",
                           since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [
            {"id": str(r["id"]), "actor": {"user": {"id": str(r["actor_id"])}}, "action": expected_action(r),
             "entity_type": r["source_type"], "created_at": ms(r["created_at"])} for r in self.day()])

    def test_csv_has_every_unified_column(self) -> None:
        fields = ["id", "actor.type", "actor.user.id", "organization", "description", "action", "entity",
                  "entity_type", "context.ip_address", "created_at"]
        result = self.list("-o", "csv", "--fields", ",".join(fields), since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = csv_rows(result.stdout)
        self.assertEqual(rows[0], fields)
        expected = []
        for r in self.day():
            a = expected_activity(r, self.emu.url)
            expected.append([a["id"], a["actor"]["type"], a["actor"]["user"]["id"], "acme", a["description"],
                             a["action"], a["entity"], a["entity_type"], a["context"]["ip_address"], a["created_at"]])
        self.assertEqual(rows[1:], expected)

    def test_table_rows_and_hostile_text_escaped(self) -> None:
        result = self.list("-o", "table", since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(),
                         table_lines([table_cells(expected_activity(r, self.emu.url)) for r in self.day()]))
        hostile = self.list("-o", "table", "--fields", "description", since="2024-05-17T15:20:05Z",
                            until="2024-05-17T15:20:06Z")
        self.assertEqual(hostile.returncode, 0, hostile.stderr)
        self.assertNotIn("\x1b", hostile.stdout)
        self.assertNotIn("\x07", hostile.stdout)
        self.assertNotIn("\u202e", hostile.stdout)
        self.assertIn('to "Acme\\x1b[31m Support\\r\\n\\u202eevil', hostile.stdout)
        self.assertEqual(len(hostile.stdout.splitlines()), 2)


# --------------------------------------------------------------------------- --state and tail


class StateTest(ZendeskCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-zendesk-state-")
        self.path = Path(self.tmp.name) / "zendesk.json"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def state(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def test_list_state_keeps_the_time_and_the_next_run_asks_from_the_mark_minus_the_overlap(self) -> None:
        result = self.list("--state", str(self.path), "--page-size", "20", until=None)
        self.assertEqual(self.ids(result), truth(until=None))
        state = self.state()
        self.assertEqual((state["provider"], state["account"]), ("zendesk", {"subdomain": ZENDESK_SUBDOMAIN}))
        self.assertEqual(state["high_water"], "2024-05-31T23:59:59.000Z")
        self.assertIsNone(state.get("resume"))  # Zendesk's cursors are no resume point here
        late = new_record(RECORDS[1], 39000000000030, "2024-05-31T23:57:00Z")  # within the overlap
        lost = new_record(RECORDS[1], 39000000000031, "2024-05-31T23:50:00Z")  # older than the overlap
        newer = new_record(RECORDS[1], 39000000000032, "2024-06-01T08:00:00Z")
        self.emu.add_activities("zendesk", [late, lost, newer])
        self.emu.clear_requests()
        again = self.list("--state", str(self.path), until=None)
        self.assertEqual(self.ids(again), [str(newer["id"]), str(late["id"])])
        start, _ = self.logs()[0]["params"][CREATED]
        self.assertEqual(start, format_seconds(parse_time("2024-05-31T23:59:59Z") - OVERLAP_NS))
        self.assertEqual(self.state()["high_water"], "2024-06-01T08:00:00.000Z")
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), [])
        self.assertEqual(len(self.logs()), 1)

    def test_records_at_or_after_until_are_not_remembered(self) -> None:
        # a one-millisecond window ending at 07:30:00 asks Zendesk up to 07:30:00 itself: the pair at
        # 07:30:00 comes back, is not printed, not remembered and does not move the mark
        pair = ["29184730004141", "29184730004040"]
        since = "2024-05-24T07:29:59.999Z"
        first = self.list("--state", str(self.path), since=since, until="2024-05-24T07:30:00.000Z")
        self.assertEqual(self.ids(first), [])
        self.assertEqual([str(r["id"]) for r in self.replay(self.logs()[0])["audit_logs"]], pair)
        state = self.state()
        self.assertIsNone(state["high_water"])
        self.assertEqual(state["seen"], {})
        # a later run with a later --until prints them
        self.emu.clear_requests()
        second = self.list("--state", str(self.path), since=since, until="2024-05-24T07:30:01Z")
        self.assertEqual(self.ids(second), pair)
        self.assertEqual(self.state()["high_water"], "2024-05-24T07:30:00.000Z")
        self.assertEqual(set(self.state()["seen"]), set(pair))

    def test_a_run_failing_on_a_later_page_keeps_the_mark_and_skips_what_it_printed(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 500, "skip": 1, "times": 1})
        first = self.list("--state", str(self.path), "--page-size", "20", until=None)
        self.assertOneErrorLine(first, 1, "zendesk: page 2: HTTP 500")
        printed = [a["id"] for a in ndjson(first.stdout)]
        self.assertEqual(printed, truth(until=None)[:20])
        second = self.list("--state", str(self.path), "--page-size", "20", until=None)
        self.assertEqual(self.ids(second), truth(until=None)[20:])  # newest first: the mark could not move

    def test_tail_polls_by_time_and_prints_each_poll_oldest_first(self) -> None:
        process = TailProcess(["tail", *self.settings(), "--since", "2024-05-24T00:00:00Z", "--interval", "1s",
                               "--state", self.path, "-o", "ndjson"], env=ENV)
        try:
            day = truth(since="2024-05-24T00:00:00Z", until=None)
            self.assertTrue(process.wait_for(lambda: len(process.lines()) >= len(day), 8), process.describe())
            added = [new_record(RECORDS[2], 39000000000040 + i, f"2024-06-0{2 - i}T00:00:00Z") for i in range(2)]
            self.emu.add_activities("zendesk", added)
            self.assertTrue(process.wait_for(lambda: len(process.lines()) >= len(day) + 2, 8), process.describe())
            polls = len(self.logs())
            self.assertTrue(process.wait_for(lambda: len(self.logs()) >= polls + 1, 5), process.describe())
            process.signal(signal.SIGTERM)
            self.assertEqual(process.wait(10), 0, process.describe())
        finally:
            process.stop()
        self.assertEqual(process.ids(), list(reversed(day)) + [str(added[1]["id"]), str(added[0]["id"])])
        self.assertEqual(process.activities()[-1], expected_activity(added[0], self.emu.url))
        requests = self.logs()
        self.assertEqual(requests[0]["params"][CREATED][0], "2024-05-24T00:00:00Z")
        mark = parse_time("2024-06-02T00:00:00Z")
        self.assertEqual(requests[-1]["params"][CREATED][0], format_seconds(mark - OVERLAP_NS))
        for request in requests:
            self.assertEqual(len(request["params"][CREATED]), 2)
        self.assertEqual(self.state()["high_water"], "2024-06-02T00:00:00.000Z")


if __name__ == "__main__":
    unittest.main()
