"""End to end: the real auditfetch binary against the Slack Audit Logs emulator (tests/emulator/slack.py).

Slack's Audit Logs API (PROVIDERS-DIRECT.md section 5): GET /audit/v1/logs with
`Authorization: Bearer xoxp-…`; `oldest` and `latest` in epoch seconds, both inclusive; `limit`
(at most 9999); `action` (several names separated by commas), `actor` and `entity`; entries
newest first; `response_metadata.next_cursor` sent back as `cursor` ("" ends). Errors are
{"ok": false, "error": "<code>"} bodies, whatever the HTTP status (a 200 with ok:false too); the
definition gives each code the status it stands for (invalid_auth 401, missing_scope 403, ...).
`date_create` has whole seconds, so a second is never split across pages and ties are common.

Expected values come from tests/fixtures/slack/activities.json through the oracles below (the
definition's mapping and action table as `auditfetch providers slack` shows them, and Slack's
semantics), never from auditfetch's own output.
"""

from __future__ import annotations

import copy
import json
import re
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
import unittest
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from harness import (SLACK_ADMIN_ID, SLACK_ENTERPRISE_ID, SLACK_NO_SCOPE_TOKEN, TOKEN, fixture_records, http,
                     run_auditfetch)
from provider_case import ProviderCase, format_ms, ndjson, parse_time, table_cells, table_lines
from test_tail import TailProcess

PROVIDER = "slack"
RECORDS = fixture_records(PROVIDER)
BY_ID = {r["id"]: r for r in RECORDS}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"  # every fixture entry is inside
SINCE_S, UNTIL_S = 1714521600, 1717200000
LOGS = "/audit/v1/logs"
SECOND = 1_000_000_000
OVERLAP_S = 300  # --overlap's default
ENV = {"SLACK_TOKEN": TOKEN}
TIED = 1715688000  # 2024-05-14T12:00:00Z: three entries
SYSTEM_ACTORS = {"USLACKUSER", "USLACKSECURITY"}  # no actor; a reset by Slack security


# --------------------------------------------------------------------------- oracles


def at(record: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(record, dict):
            record = record.get(key)
        else:
            return None
    return record


ACTIONS = {"user_login": "login", "user_login_failed": "login_failed", "user_logout": "logout",
           "user_created": "user_created", "guest_created": "user_created",
           "user_deactivated": "user_deactivated", "guest_deactivated": "user_deactivated",
           "user_email_updated": "user_updated", "user_profile_updated": "user_updated",
           "user_reactivated": "user_updated"}


def expected_action(native: str) -> str:
    if native.startswith("role_change_to_"):
        return "user_updated"
    return ACTIONS.get(native, native)


# The id of what an entry is about, by entity.type; a message has no id, only its channel.
ENTITY_IDS = [(kind, "id") for kind in ("user", "channel", "file", "app", "workflow", "workspace", "enterprise",
                                        "usergroup", "role", "barrier", "huddle")] + [("message", "channel")]
NAMED = ("user", "channel", "file", "app")  # kinds whose name the description quotes


def expected_entity(r: dict[str, Any]) -> str | None:
    for kind, key in ENTITY_IDS:
        value = at(r, "entity", kind, key)
        if value:
            return value
    return None


def expected_description(r: dict[str, Any]) -> str:
    actor = at(r, "actor", "user", "name")
    kind = at(r, "entity", "type")
    if actor:
        for named in NAMED:
            name = at(r, "entity", named, "name")
            if kind and name:
                return f"{r['action']} by {actor} on {kind} {name}"
        return f"{r['action']} by {actor}"
    return r["action"]


def expected_actor(r: dict[str, Any]) -> dict[str, Any]:
    user = at(r, "actor", "user", "id")
    return {"type": "system" if user is None or user in SYSTEM_ACTORS else "user", "user": {"id": user}}


def created_at(r: dict[str, Any]) -> str:
    return format_ms(r["date_create"] * SECOND)


def expected_activity(r: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    return {
        "id": r["id"],
        "actor": expected_actor(r),
        "organization": at(r, "context", "location", "id"),
        "group": at(r, "context", "location", "name"),
        "description": expected_description(r),
        "action": expected_action(r["action"]),
        "entity": expected_entity(r),
        "entity_type": at(r, "entity", "type"),
        "context": {"ip_address": at(r, "context", "ip_address"), "user_agent": at(r, "context", "ua"),
                    "authentication_method": None},
        "created_at": created_at(r),
        "remote_data": r if remote_data else None,
        "provider": PROVIDER,
    }


def newest_first(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (r["date_create"], r["id"]), reverse=True)


def truth(since: str | None = SINCE, until: str | None = UNTIL, actions: Iterable[str] = (),
          actor: str | None = None, entity: str | None = None, entity_type: str | None = None,
          records: Iterable[dict[str, Any]] = RECORDS) -> list[str]:
    """Ids the unified filters select, in the API's order (newest first); actions unified or native."""
    wanted = set(actions)
    out = []
    for r in newest_first(records):
        t = r["date_create"] * SECOND
        if (since is not None and t < parse_time(since)) or (until is not None and t >= parse_time(until)):
            continue
        if wanted and r["action"] not in wanted and expected_action(r["action"]) not in wanted:
            continue
        if actor is not None and expected_actor(r)["user"]["id"] != actor:
            continue
        if entity is not None and expected_entity(r) != entity:
            continue
        if entity_type is not None and at(r, "entity", "type") != entity_type:
            continue
        out.append(r["id"])
    return out


def new_entry(template_id: str, number: int, date_create: int, **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BY_ID[template_id])
    out.update(id=f"00000000-0000-4000-8000-{number:012d}", date_create=date_create, **changes)
    return out


def seconds(text: str) -> int:
    return parse_time(text) // SECOND


# --------------------------------------------------------------------------- test case


class SlackCase(ProviderCase):
    def settings(self, base: str | None = None) -> list[str]:
        return ["-p", PROVIDER, "--base-url", base or self.emu.url + "/audit/v1"]

    def list(self, *args: str, since: str | None = SINCE, until: str | None = UNTIL,
             env: dict[str, str | None] | None = None, base: str | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", *self.settings(base), *window, *args, env={**ENV, **(env or {})})

    def logs(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(LOGS) if r["path"] == LOGS]

    def ids(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def sent(self, number: int = 0) -> dict[str, list[str]]:
        return self.logs()[number]["params"]


# =========================================================================== mapping


class MappingTest(SlackCase):
    def test_every_entry_maps_field_by_field(self) -> None:
        activities = self.activities(self.list())
        self.assertEqual([a["id"] for a in activities], truth())  # newest first, ties by id
        self.assertEqual(len(activities), len(RECORDS))
        for activity in activities:
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, PROVIDER)
                self.assertEqual(activity, expected_activity(BY_ID[activity["id"]]))

    def test_record_kinds_spelled_out(self) -> None:
        got = {a["id"]: a for a in self.activities(self.list("--no-remote-data"))}
        engineering = ("T01ENGINE", "Acme Engineering")
        sales = ("T02SALES", "Acme Sales \U0001F680")
        mac = ("198.51.100.10", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
                                "Gecko) Chrome/124.0.0.0 Safari/537.36")

        def view(i: str) -> tuple:
            a = got[i]
            return (a["actor"], a["organization"], a["group"], a["description"], a["action"], a["entity"],
                    a["entity_type"], a["context"]["ip_address"], a["context"]["user_agent"], a["created_at"])

        admin = {"type": "user", "user": {"id": SLACK_ADMIN_ID}}
        self.assertEqual(view("f7255389-984c-5d8c-a896-4cfd31e42f09"), (
            admin, *engineering, "user_created by Ada Admin on user Greta Berg", "user_created", "U07GRETA", "user",
            *mac, "2024-05-02T09:30:00.000Z"))
        self.assertEqual(view("0801815b-129f-5688-ae98-a27d6223be6b")[3:7], (
            "role_change_to_user by Ada Admin on user Bruno D\u00edaz", "user_updated", "U02BRUNO", "user"))
        # Slack acting with no user: a system actor, no address, no user agent, the action alone
        self.assertEqual(view("6c0b209a-5c42-5d54-bc0b-8897fcd02cc1"), (
            {"type": "system", "user": {"id": "USLACKUSER"}}, *sales, "message_tombstoned", "message_tombstoned",
            "C03DEALS", "message", "", "", "2024-05-16T10:00:30.000Z"))
        self.assertEqual(view("a1785a61-c120-567c-9ae9-cb2f6cee3f8f")[:7], (
            {"type": "system", "user": {"id": "USLACKSECURITY"}}, SLACK_ENTERPRISE_ID, "Acme Corp",
            "user_password_reset_slack_security by Slack Security on user Hugo Lambert",
            "user_password_reset_slack_security", "U08HUGO", "user"))
        self.assertEqual(view("055c8d73-d9a0-5a05-a932-aa01dfd89af1")[3:7], (
            "file_downloaded by Bruno D\u00edaz on file pitch.key", "file_downloaded", "F03DECK", "file"))
        self.assertEqual(view("a7221464-b2a4-594c-b1c3-9eb766c36586")[3:7], (
            "app_uninstalled by Ada Admin on app Poll Bot", "app_uninstalled", "A02POLLBOT", "app"))
        self.assertEqual(view("7a3b6108-3373-57ff-abb8-bdeaef46d4c7")[3:7], (
            "public_channel_created by Bruno D\u00edaz on channel eng-announcements", "public_channel_created",
            "C01ENGANN", "channel"))
        # a workflow, the enterprise, a workspace: their ids, no name in the description
        self.assertEqual(view("28183d30-b5bd-5220-a6ab-67bdedd87824")[3:9], (
            'workflow_published by Felix "Fix" Nakamura', "workflow_published", "Wf02EXPENSE", "workflow",
            "203.0.113.6", "Python/3.12 slackclient/3.27.1"))
        self.assertEqual(view("7cf34f5c-2b79-5e1f-9073-8664823e683a")[5:7], (SLACK_ENTERPRISE_ID, "enterprise"))
        self.assertEqual(view("efb55c9c-3a39-5122-ad96-017935a27a5b")[5:7], ("T02SALES", "workspace"))

    def test_the_entity_fallback_list_covers_every_entity_kind(self) -> None:
        template = "f7255389-984c-5d8c-a896-4cfd31e42f09"
        base = 1717300000  # 2024-06-02
        kinds = {"usergroup": {"id": "S01ONCALL", "name": "oncall"}, "role": {"id": "Rl0A1B2C3", "name": "Auditor"},
                 "barrier": {"id": "Ba0123ABC", "primary_usergroup": "S01ONCALL", "barriered_from_usergroup": "S02"},
                 "huddle": {"id": "R06HUDDLE", "date_start": 1717300000},
                 "workspace": {"id": "T03NEW", "name": "Acme New"}}
        added = [new_entry(template, n, base + n, action="role_assigned", entity={"type": kind, kind: value})
                 for n, (kind, value) in enumerate(kinds.items())]
        bare = new_entry(template, 10, base + 10, action="anomaly")
        del bare["entity"]
        nobody = new_entry(template, 11, base + 11, action="user_session_invalidated")
        del nobody["actor"]
        self.emu.add_activities(PROVIDER, added + [bare, nobody])
        result = self.list("--no-remote-data", since="2024-06-02T00:00:00Z", until="2024-06-03T00:00:00Z")
        got = {a["id"]: a for a in self.activities(result)}
        self.assertEqual(len(got), 7)
        for entry in added + [bare, nobody]:
            self.assertEqual(got[entry["id"]], expected_activity(entry, remote_data=False))
        self.assertEqual([(got[e["id"]]["entity"], got[e["id"]]["entity_type"]) for e in added],
                         [("S01ONCALL", "usergroup"), ("Rl0A1B2C3", "role"), ("Ba0123ABC", "barrier"),
                          ("R06HUDDLE", "huddle"), ("T03NEW", "workspace")])
        self.assertEqual((got[bare["id"]]["entity"], got[bare["id"]]["entity_type"]), (None, None))
        self.assertEqual((got[nobody["id"]]["actor"], got[nobody["id"]]["description"]),
                         ({"type": "system", "user": {"id": None}}, "user_session_invalidated"))

    def test_the_action_table(self) -> None:
        # a guest deactivated (no fixture entry has one) is a user deactivated, as a guest created is a user created
        guest_gone = new_entry("f7255389-984c-5d8c-a896-4cfd31e42f09", 50, seconds("2024-05-20T00:00:00Z"),
                               action="guest_deactivated")
        self.emu.add_activities(PROVIDER, [guest_gone])
        activities = {a["id"]: a["action"] for a in self.activities(self.list())}
        by_native: dict[str, set[str]] = {}
        for r in RECORDS + [guest_gone]:
            by_native.setdefault(r["action"], set()).add(activities[r["id"]])
        self.assertEqual({n: a for n, a in by_native.items() if n in ACTIONS or n.startswith("role_change_to_")}, {
            "user_login": {"login"}, "user_login_failed": {"login_failed"}, "user_logout": {"logout"},
            "user_created": {"user_created"}, "guest_created": {"user_created"},
            "user_deactivated": {"user_deactivated"}, "guest_deactivated": {"user_deactivated"},
            "user_email_updated": {"user_updated"}, "user_profile_updated": {"user_updated"},
            "user_reactivated": {"user_updated"}, "role_change_to_admin": {"user_updated"},
            "role_change_to_user": {"user_updated"}})
        for raw in ("file_downloaded", "anomaly", "pref.two_factor_auth_changed", "emoji_added"):
            self.assertEqual(by_native[raw], {raw})


# =========================================================================== the native request


class RequestTest(SlackCase):
    def test_a_listing_is_one_get_with_epoch_seconds_limit_and_a_bearer_token(self) -> None:
        result = self.list("-v")
        self.assertIdsOnce(self.activities(result), truth())
        [request] = self.logs()
        self.assertEqual(request["method"], "GET")
        # latest is inclusive: the last whole second before --until
        self.assertEqual(request["params"], {"oldest": [str(SINCE_S)], "latest": [str(UNTIL_S - 1)], "limit": ["1000"]})
        self.assertEqual(request["headers"].get("Authorization"), f"Bearer {TOKEN}")
        self.assertEqual(request["headers"].get("Accept"), "application/json")
        self.assertEqual(self.pushdown(result, PROVIDER), ({"since", "until"}, set()))
        self.assertNotIn(TOKEN, result.stderr)

    def test_the_token_can_come_from_auditfetch_token_and_a_token_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            token_file = Path(tmp) / "slack.token"
            token_file.write_text(TOKEN + "\n")
            token_file.chmod(0o600)
            for args, env in ((("--token-file", str(token_file)), {"SLACK_TOKEN": None}),
                              ((), {"SLACK_TOKEN": None, "AUDITFETCH_TOKEN": TOKEN})):
                with self.subTest(env=env):
                    self.emu.clear_requests()
                    self.assertEqual(self.ids(self.list("--limit", "1", *args, env=env)), truth()[:1])
                    self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], [f"Bearer {TOKEN}"])

    def test_missing_credentials_exit_2_naming_slack_token(self) -> None:
        result = self.list(env={"SLACK_TOKEN": None})
        self.assertOneErrorLine(result, 2, "slack: no credentials")
        self.assertIn("SLACK_TOKEN", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])

    def test_page_size_is_limit_up_to_9999(self) -> None:
        self.assertEqual(self.ids(self.list("--page-size", "9999")), truth())
        self.assertEqual(self.sent()["limit"], ["9999"])
        self.emu.clear_requests()
        result = self.list("--page-size", "10000")
        self.assertOneErrorLine(result, 2, "--page-size 10000 is out of range for slack (use 1 to 9999)")
        self.assertEqual(self.emu.requests(), [])

    def test_filters_become_slacks_query_parameters(self) -> None:
        cases = [
            (("--action", "login"), {"actions": ["login"]}, {"action": ["user_login"]}),
            (("--action", "login", "--action", "logout"), {"actions": ["login", "logout"]},
             {"action": ["user_login,user_logout"]}),
            (("--action", "file_downloaded", "--action", "login_failed"),
             {"actions": ["file_downloaded", "login_failed"]}, {"action": ["file_downloaded,user_login_failed"]}),
            # a unified action is sent as every native name it stands for (guests are users too)
            (("--action", "user_deactivated", "--action", "anomaly", "--action", "user_created"),
             {"actions": ["user_deactivated", "anomaly", "user_created"]},
             {"action": ["anomaly,guest_created,guest_deactivated,user_created,user_deactivated"]}),
            (("--actor-id", SLACK_ADMIN_ID), {"actor": SLACK_ADMIN_ID}, {"actor": [SLACK_ADMIN_ID]}),
            (("--action", "user_created", "--actor-id", SLACK_ADMIN_ID),
             {"actions": ["user_created"], "actor": SLACK_ADMIN_ID},
             {"action": ["guest_created,user_created"], "actor": [SLACK_ADMIN_ID]}),
        ]
        for args, selection, filters in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list("-v", *args)
                expected = truth(**selection)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                params = self.sent()
                self.assertEqual({k: v for k, v in params.items() if k in ("action", "actor", "entity")}, filters)
                _, local = self.pushdown(result, PROVIDER)
                self.assertEqual(local, set())

    def test_a_pattern_action_entity_and_entity_type_are_applied_locally(self) -> None:
        cases = [(("--action", "user_updated"), {"actions": ["user_updated"]}, {"action"}),
                 (("--action", "user_updated", "--action", "login"), {"actions": ["user_updated", "login"]}, {"action"}),
                 (("--entity-type", "file"), {"entity_type": "file"}, {"entity_type"}),
                 (("--entity", "F01ROADMAP"), {"entity": "F01ROADMAP"}, {"entity"}),
                 (("--entity", "U07GRETA", "--entity-type", "user"), {"entity": "U07GRETA", "entity_type": "user"},
                  {"entity", "entity_type"})]
        for args, selection, applied_locally in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list("-v", *args)
                expected = truth(**selection)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(sorted(self.sent()), ["latest", "limit", "oldest"])
                _, local = self.pushdown(result, PROVIDER)
                self.assertEqual(local, applied_locally)

    def test_the_entity_filter_finds_what_the_unified_entity_shows(self) -> None:
        # A message has no id: its unified entity is its channel. Slack's `entity` parameter
        # matches the id of the entry's entity (the emulator: entity.<type>.id), which a message
        # lacks; so --entity is applied locally, and selects the activity a listing shows with it.
        tombstoned = "6c0b209a-5c42-5d54-bc0b-8897fcd02cc1"
        shown = {a["id"]: a["entity"] for a in self.activities(self.list())}
        self.assertEqual(shown[tombstoned], "C03DEALS")
        self.assertEqual(truth(entity="C03DEALS"), [tombstoned])
        self.assertEqual(self.ids(self.list("--entity", "C03DEALS")), [tombstoned])
        # what Slack would answer had it been sent: nothing
        reply = http(f"{self.emu.url}{LOGS}?entity=C03DEALS", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        self.assertEqual(reply["entries"], [])


# =========================================================================== paging


class PagingTest(SlackCase):
    def test_each_next_cursor_is_sent_back_with_the_same_query(self) -> None:
        for args, selection in ((("--page-size", "10"), {}),
                                (("--page-size", "5", "--action", "login", "--action", "file_downloaded"),
                                 {"actions": ["login", "file_downloaded"]})):
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args)
                self.assertEqual(self.ids(result), truth(**selection))
                requests = self.logs()
                self.assertGreaterEqual(len(requests), 3)
                first = requests[0]["params"]
                self.assertEqual(first, {"oldest": [str(SINCE_S)], "latest": [str(UNTIL_S - 1)], "limit": [args[1]],
                                         **({"action": ["file_downloaded,user_login"]} if selection else {})})
                cursors = []
                for number, request in enumerate(requests):
                    reply = http(f"{self.emu.url}{request['path']}?{request['query']}",
                                 headers={"Authorization": f"Bearer {TOKEN}"}).json()
                    cursor = reply["response_metadata"]["next_cursor"]
                    if number + 1 < len(requests):
                        following = requests[number + 1]
                        self.assertEqual(following["params"], {**first, "cursor": [cursor]})
                        # standard base64: + / = must arrive percent-encoded
                        self.assertIn("cursor=" + quote(cursor, safe=""), following["query"])
                        cursors.append(cursor)
                    else:
                        self.assertEqual(cursor, "")
                if not selection:
                    self.assertTrue(any(re.search(r"[+/=]", c) for c in cursors), cursors)

    def test_a_second_is_never_split_so_ties_come_once(self) -> None:
        seconds_with_entries = {r["date_create"] for r in RECORDS}
        self.assertEqual(len(RECORDS) - len(seconds_with_entries), 3)  # three at TIED, two at another second
        result = self.list("--page-size", "1")
        self.assertEqual(self.ids(result), truth())
        requests = self.logs()
        self.assertEqual(len(requests), len(seconds_with_entries))  # one page a second
        tied = [a["id"] for a in self.activities(result) if a["created_at"] == format_ms(TIED * SECOND)]
        self.assertEqual(tied, ["dfceb8b8-3191-53db-8c6e-fa82a4a59239", "dd3d25d8-c9fc-5277-8041-36fabf4e6d1d",
                                "20048210-13fe-50be-ab21-2caff6d662fa"])

    def test_limit_asks_for_that_many_and_prints_no_more(self) -> None:
        self.assertEqual(self.ids(self.list("--limit", "3")), truth()[:3])
        self.assertEqual([r["params"]["limit"] for r in self.logs()], [["3"]])
        # Slack keeps no resume point (its next run starts from a time), so --state changes nothing here
        self.emu.clear_requests()
        with tempfile.TemporaryDirectory() as tmp:
            self.assertEqual(self.ids(self.list("--limit", "3", "--state", str(Path(tmp) / "slack.json"))),
                             truth()[:3])
        self.assertEqual([r["params"]["limit"] for r in self.logs()], [["3"]])
        self.emu.clear_requests()
        # a page can hold more than asked (the whole second); --limit still prints only one
        result = self.list("--limit", "1", since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")
        self.assertEqual(self.ids(result), truth(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")[:1])
        self.assertEqual(len(self.logs()), 1)

    def test_entries_added_while_paging_come_once_now_or_in_the_next_run(self) -> None:
        behind = new_entry("0e6cbe4e-f236-58d6-9f21-3429cef5ed0c", 20, seconds("2024-05-01T12:00:00Z"))
        ahead = new_entry("0e6cbe4e-f236-58d6-9f21-3429cef5ed0c", 21, seconds("2024-06-01T00:00:30Z"))  # newest
        self.emu.faults({"path": LOGS + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "slack.json"
            outcome: list[subprocess.CompletedProcess] = []
            runner = threading.Thread(target=lambda: outcome.append(
                self.list("--page-size", "10", "--state", str(state), until=None)))
            runner.start()
            deadline = time.monotonic() + 10
            while not self.logs() and time.monotonic() < deadline:
                time.sleep(0.01)
            self.emu.add_activities(PROVIDER, [behind, ahead])
            runner.join(30)
            self.assertFalse(runner.is_alive())
            everything = RECORDS + [behind, ahead]
            self.assertEqual(self.ids(outcome[0]), [i for i in truth(until=None, records=everything)
                                                    if i != ahead["id"]])
            self.assertEqual(self.ids(self.list("--state", str(state), until=None)), [ahead["id"]])


# =========================================================================== time semantics


class TimeTest(SlackCase):
    def window_sent(self) -> tuple[int | None, int | None]:
        params = self.logs()[-1]["params"]
        return tuple(int(params[k][0]) if k in params else None for k in ("oldest", "latest"))  # type: ignore

    def test_latest_is_the_last_second_before_until(self) -> None:
        last = "b501e799-1cd4-5764-b13d-c3b17a716593"  # 2024-05-31T23:59:59Z
        self.assertEqual(created_at(BY_ID[last]), "2024-05-31T23:59:59.000Z")
        cases = [("2024-06-01T00:00:00Z", UNTIL_S - 1, True), ("2024-05-31T23:59:59Z", UNTIL_S - 2, False),
                 ("2024-05-31T23:59:59.001Z", UNTIL_S - 1, True), ("2024-05-31T23:59:59.999Z", UNTIL_S - 1, True)]
        for until, latest, included in cases:
            with self.subTest(until=until):
                ids = self.ids(self.list(since="2024-05-31T00:00:00Z", until=until))
                self.assertEqual(ids, [last] if included else [])
                self.assertEqual(self.window_sent(), (seconds("2024-05-31T00:00:00Z"), latest))

    def test_an_until_inside_a_second_keeps_that_seconds_entries(self) -> None:
        # Slack's times are whole seconds: entries of 12:00:00 are before 12:00:00.500
        tied = truth(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")
        self.assertEqual(len(tied), 3)
        result = self.list(since="2024-05-14T11:00:00Z", until="2024-05-14T12:00:00.500Z")
        self.assertEqual(self.ids(result), tied)
        self.assertEqual(self.window_sent(), (TIED - 3600, TIED))
        result = self.list(since="2024-05-14T11:00:00Z", until="2024-05-14T12:00:00Z")
        self.assertEqual(self.ids(result), [])
        self.assertEqual(self.window_sent(), (TIED - 3600, TIED - 1))

    def test_since_is_inclusive_and_a_since_inside_a_second_leaves_that_second_out(self) -> None:
        tied = truth(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")
        result = self.list(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")
        self.assertEqual(self.ids(result), tied)
        self.assertEqual(self.window_sent(), (TIED, TIED))
        for since in ("2024-05-14T12:00:00.001Z", "2024-05-14T12:00:00.500Z"):
            with self.subTest(since=since):
                # the server's range covers the one asked for; the second's entries are left out locally
                self.assertEqual(self.ids(self.list(since=since, until="2024-05-14T12:00:01Z")), [])
                oldest, latest = self.window_sent()
                self.assertIn(oldest, (TIED, TIED + 1))
                self.assertEqual(latest, TIED)

    def test_a_one_millisecond_window_asks_up_to_until_itself_and_trims_locally(self) -> None:
        # latest is inclusive, but the last second before --until would not be after --since:
        # --until itself is asked for, and what the API brings at or after --until is left out here
        tied = truth(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")
        result = self.list(since="2024-05-14T11:59:59.999Z", until="2024-05-14T12:00:00Z")
        self.assertEqual(self.ids(result), [])
        self.assertEqual(self.window_sent(), (TIED - 1, TIED))
        request = self.logs()[-1]
        reply = http(f"{self.emu.url}{request['path']}?{request['query']}",
                     headers={"Authorization": f"Bearer {TOKEN}"}).json()
        self.assertEqual(sorted(e["id"] for e in reply["entries"]), sorted(tied))  # brought, then trimmed
        result = self.list(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:00.001Z")
        self.assertEqual(self.ids(result), tied)
        oldest, latest = self.window_sent()
        self.assertEqual(oldest, TIED)
        self.assertIn(latest, (TIED, TIED + 1))  # --until itself, in whole seconds

    def test_offsets_are_converted_to_epoch_seconds(self) -> None:
        result = self.list(since="2024-05-14T14:00:00+02:00", until="2024-05-14T08:00:01-04:00")
        self.assertEqual(self.ids(result), truth(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z"))
        self.assertEqual(self.window_sent(), (TIED, TIED))

    def test_missing_bounds_are_not_sent(self) -> None:
        self.assertEqual(self.ids(self.list(since="2024-05-31T00:00:00Z", until=None)),
                         truth(since="2024-05-31T00:00:00Z", until=None))
        self.assertEqual(self.window_sent(), (seconds("2024-05-31T00:00:00Z"), None))

    def test_a_since_before_march_2018_is_slacks_invalid_range(self) -> None:
        result = self.list(since="2018-02-28T00:00:00Z")
        self.assertOneErrorLine(result, 2, "invalid_range")
        self.assertEqual(self.errorLine(result), "auditfetch: error: slack: page 1: the API rejected the request "
                                                 "(400): invalid_range (check --filter, --param and the filter "
                                                 "flags; -v shows the request)")


# =========================================================================== errors


class ErrorTest(SlackCase):
    def line(self, text: str, page: int = 1) -> str:
        return f"auditfetch: error: slack: page {page}: {text}"

    REFUSED_TOKEN = ("authentication refused (401): {code} (the token from SLACK_TOKEN was refused; it may be "
                     "expired: set a fresh one)")
    NO_RIGHTS = ("access refused (403): {code} (the credentials from SLACK_TOKEN work but may not read audit "
                 "activity; check the role or scopes granted to them)")

    def test_tokens_slack_refuses_exit_3_with_slacks_code(self) -> None:
        cases = [("wrong-token", self.REFUSED_TOKEN.format(code="invalid_authentication")),
                 (SLACK_NO_SCOPE_TOKEN, self.NO_RIGHTS.format(code="missing_scope")),
                 ("xoxp-org-admin", self.NO_RIGHTS.format(code="user_not_authorized")),
                 ("xoxp-not-enterprise", self.NO_RIGHTS.format(code="feature_not_enabled"))]
        for token, text in cases:
            with self.subTest(token=token):
                self.emu.clear_requests()
                result = self.list(env={"SLACK_TOKEN": token})
                self.assertOneErrorLine(result, 3, text)
                self.assertEqual(self.errorLine(result), self.line(text))
                self.assertEqual(len(self.logs()), 1)
                self.assertEqual(result.stdout, "")
                self.assertNotIn(token, result.stderr)

    def test_ok_false_bodies_are_errors_whatever_the_status(self) -> None:
        cases = [(200, "invalid_auth", 3, self.REFUSED_TOKEN.format(code="invalid_auth")),
                 (200, "token_revoked", 3, self.REFUSED_TOKEN.format(code="token_revoked")),
                 (200, "missing_scope", 3, self.NO_RIGHTS.format(code="missing_scope")),
                 (400, "invalid_cursor", 2, "the API rejected the request (400): invalid_cursor (check --filter, "
                                            "--param and the filter flags; -v shows the request)"),
                 (200, "invalid_arguments", 2, "the API rejected the request (400): invalid_arguments (check "
                                               "--filter, --param and the filter flags; -v shows the request)")]
        for status, code, exit_code, text in cases:
            with self.subTest(status=status, code=code):
                self.emu.reset()
                self.emu.faults({"path": LOGS + "$", "kind": "status", "status": status, "times": 1,
                                 "body": {"ok": False, "error": code}})
                result = self.list()
                self.assertOneErrorLine(result, exit_code, code)
                self.assertEqual(self.errorLine(result), self.line(text))
                self.assertEqual(len(self.logs()), 1)
                self.assertEqual(result.stdout, "")

    def test_a_200_with_a_server_side_error_code_is_a_remote_failure(self) -> None:
        # Slack's internal_error / service_unavailable mean its side failed: exit 1 as for a 5xx,
        # not "the API rejected the request (400)"
        for code in ("internal_error", "service_unavailable"):
            with self.subTest(code=code):
                self.emu.reset()
                self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 200, "times": -1,
                                 "body": {"ok": False, "error": code}})
                result = self.list("--retries", "1")
                self.assertOneErrorLine(result, 1, code)
                self.assertNotIn("rejected", self.errorLine(result))

    def test_an_unknown_action_is_slacks_invalid_action(self) -> None:
        result = self.list("--action", "no_such_action")
        text = ("the API rejected the request (400): invalid_action (check --filter, --param and the filter flags; "
                "-v shows the request)")
        self.assertOneErrorLine(result, 2, "invalid_action")
        self.assertEqual(self.errorLine(result), self.line(text))
        self.assertEqual(self.sent()["action"], ["no_such_action"])

    def test_a_wrong_base_url_is_slacks_bad_endpoint(self) -> None:
        result = self.list(base=self.emu.url + "/audit/v2")
        self.assertOneErrorLine(result, 2, "bad_endpoint")
        self.assertEqual(self.errorLine(result),
                         self.line("not found (404): bad_endpoint (check the provider settings and --base-url)"))

    def test_a_429_is_waited_out_for_its_retry_after_and_the_page_asked_again(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "skip": 1, "times": 1})
        started = time.monotonic()
        result = self.list("--page-size", "20")
        self.assertEqual(self.ids(result), truth())
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        waited = re.findall(r"^auditfetch: warning: HTTP 429; retrying in ([0-9.]+) (s|ms) \(1 of 3\)$",
                            result.stderr, re.M)
        self.assertEqual(len(waited), 1, result.stderr)
        self.assertGreaterEqual(float(waited[0][0]) * (1 if waited[0][1] == "s" else 0.001), 0.9)
        requests = self.logs()
        self.assertEqual(len(requests), 4)
        self.assertEqual(requests[1]["query"], requests[2]["query"])

    def test_a_failure_on_page_2_keeps_page_1(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 500, "skip": 1, "times": -1})
        result = self.list("--page-size", "10", "--retries", "0")
        self.assertOneErrorLine(result, 1, "HTTP 500")
        self.assertEqual(self.errorLine(result), self.line("HTTP 500: internal_error", page=2))
        self.assertEqual([a["id"] for a in ndjson(result.stdout)], truth()[:10])

    def test_get_is_refused_without_a_request(self) -> None:
        result = run_auditfetch("get", *self.settings(), RECORDS[0]["id"], env=ENV)
        self.assertOneErrorLine(result, 2, "slack cannot fetch one activity by id")
        self.assertEqual(self.errorLine(result), "auditfetch: error: slack cannot fetch one activity by id (the Slack "
                                                 "Audit Logs API has no endpoint for one entry)")
        self.assertEqual(self.emu.requests(), [])


# =========================================================================== output


class OutputTest(SlackCase):
    DAY = ("2024-05-13T00:00:00Z", "2024-05-17T00:00:00Z")  # Slack as an actor, a three-way tie, a message

    def day(self) -> list[dict[str, Any]]:
        return [expected_activity(BY_ID[i]) for i in truth(*self.DAY)]

    def test_json_is_one_array_and_fields_select_keys(self) -> None:
        result = self.list("-o", "json", "--fields", "entity,id,actor.type,action", since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [{"id": a["id"], "actor": {"type": a["actor"]["type"]},
                                                      "action": a["action"], "entity": a["entity"]} for a in self.day()])
        self.assertEqual(len(self.day()), 10)

    def test_ndjson_without_remote_data(self) -> None:
        result = self.list("-o", "ndjson", "--no-remote-data", since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(ndjson(result.stdout), [{**a, "remote_data": None} for a in self.day()])

    def test_csv_quotes_names_and_keeps_every_field_in_schema_order(self) -> None:
        fields = ["id", "actor.type", "actor.user.id", "organization", "group", "description", "action", "entity",
                  "entity_type", "context.ip_address", "context.user_agent", "context.authentication_method",
                  "created_at"]
        result = self.list("-o", "csv", "--fields", ",".join(fields), since=self.DAY[0], until=self.DAY[1])
        rows = self.assertCsvOutput(result, fields, [a["id"] for a in self.day()])
        expected = []
        for a in self.day():
            values = [a["id"], a["actor"]["type"], a["actor"]["user"]["id"], a["organization"], a["group"],
                      a["description"], a["action"], a["entity"], a["entity_type"], a["context"]["ip_address"],
                      a["context"]["user_agent"], a["context"]["authentication_method"], a["created_at"]]
            expected.append(["" if v is None else v for v in values])
        self.assertEqual(rows[1:], expected)
        self.assertIn('"user_login by Felix ""Fix"" Nakamura on user Felix ""Fix"" Nakamura"', result.stdout)

    def test_table_rows_show_time_id_action_actor_entity_ip(self) -> None:
        result = self.list("-o", "table", since="2024-05-13T08:00:00Z", until="2024-05-17T00:00:00Z")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), table_lines(
            [table_cells(expected_activity(BY_ID[i])) for i in truth(since="2024-05-13T08:00:00Z",
                                                                      until="2024-05-17T00:00:00Z")]))
        # Slack as the actor: its empty address is an empty cell; nothing is shortened off a terminal
        self.assertIn("user_password_reset_slack_security", result.stdout)
        self.assertNotIn("\u2026", result.stdout)


# =========================================================================== --state and tail


class StateTest(SlackCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmpdir = tempfile.TemporaryDirectory(prefix="auditfetch-slack-state-")
        self.path = Path(self.tmpdir.name) / "slack.json"

    def tearDown(self) -> None:
        self.tmpdir.cleanup()

    def test_the_next_run_starts_at_the_newest_second_minus_the_overlap_and_prints_only_new_entries(self) -> None:
        since = "2024-05-29T00:00:00Z"
        first = self.list("--state", str(self.path), since=since, until=None)
        self.assertEqual(self.ids(first), truth(since=since, until=None))
        saved = json.loads(self.path.read_text())
        newest = BY_ID[truth()[0]]
        self.assertEqual((saved["provider"], saved["account"], saved["high_water"]),
                         (PROVIDER, {}, created_at(newest)))
        self.assertEqual(sorted(saved["seen"]), [newest["id"]])

        # an entry in the very second of the mark (a tie Slack published late) and one after it
        tie = new_entry("0e6cbe4e-f236-58d6-9f21-3429cef5ed0c", 30, newest["date_create"])
        later = new_entry("0e6cbe4e-f236-58d6-9f21-3429cef5ed0c", 31, newest["date_create"] + 60)
        self.emu.add_activities(PROVIDER, [tie, later])
        self.emu.clear_requests()
        second = self.list("--state", str(self.path), since=since, until=None)
        self.assertEqual(self.ids(second), [later["id"], tie["id"]])
        self.assertEqual(self.sent(), {"oldest": [str(newest["date_create"] - OVERLAP_S)], "limit": ["1000"]})
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), [])
        self.assertEqual(self.sent()["oldest"], [str(later["date_create"] - OVERLAP_S)])

    def test_entries_at_or_after_until_are_not_remembered_and_a_later_until_prints_them(self) -> None:
        # a one-millisecond window before TIED: Slack is asked up to TIED itself and brings its entries
        since = "2024-05-14T11:59:59.999Z"
        tied = truth(since="2024-05-14T12:00:00Z", until="2024-05-14T12:00:01Z")
        self.assertEqual(len(tied), 3)
        first = self.list("--state", str(self.path), since=since, until="2024-05-14T12:00:00Z")
        self.assertEqual(self.ids(first), [])
        self.assertEqual(self.logs()[-1]["params"]["latest"], [str(TIED)])
        saved = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.assertFalse(set(saved.get("seen", {})) & set(tied), saved)  # past --until: not this run's
        self.assertNotEqual(saved.get("high_water"), format_ms(TIED * SECOND), saved)
        second = self.list("--state", str(self.path), since=since, until="2024-05-14T12:00:01Z")
        self.assertEqual(self.ids(second), tied)
        saved = json.loads(self.path.read_text())
        self.assertEqual((saved["high_water"], sorted(saved["seen"])), (format_ms(TIED * SECOND), sorted(tied)))


class TailTest(SlackCase):
    def test_tail_polls_from_the_newest_minus_the_overlap_and_prints_oldest_first(self) -> None:
        since = "2024-05-29T06:00:00Z"
        process = TailProcess(["tail", *self.settings(), "--since", since, "--interval", "1s", "-o", "ndjson",
                               "--no-remote-data"], env=ENV)
        self.addCleanup(process.stop)
        backlog = list(reversed(truth(since=since, until=None)))
        self.assertEqual(len(backlog), 4)
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 4, 10), process.describe())
        newest = BY_ID[backlog[-1]]["date_create"]
        # three entries in one new second, served newest first by id; printed oldest first by id
        added = [new_entry("0e6cbe4e-f236-58d6-9f21-3429cef5ed0c", 40 + n, newest + 3600) for n in (2, 0, 1)]
        self.emu.add_activities(PROVIDER, added)
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 7, 10), process.describe())
        polls = len(self.logs())
        deadline = time.monotonic() + 10
        while len(self.logs()) < polls + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(10), 0, process.describe())
        self.assertEqual(process.activities(), [expected_activity(BY_ID[i], remote_data=False) for i in backlog] +
                         [expected_activity(e, remote_data=False) for e in sorted(added, key=lambda e: e["id"])])
        requests = self.logs()
        self.assertEqual(requests[0]["params"], {"oldest": [str(seconds(since))], "limit": ["1000"]})
        self.assertTrue(all("latest" not in r["params"] for r in requests))
        oldest = [r["params"]["oldest"][0] for r in requests[1:]]
        self.assertEqual(oldest[0], str(newest - OVERLAP_S))
        self.assertEqual(oldest[-1], str(newest + 3600 - OVERLAP_S))
        self.assertEqual(set(oldest), {str(newest - OVERLAP_S), str(newest + 3600 - OVERLAP_S)})


if __name__ == "__main__":
    unittest.main()
