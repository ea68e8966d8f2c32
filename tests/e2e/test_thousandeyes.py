"""End to end: the real auditfetch binary against the ThousandEyes v7 activity-log emulator.

ThousandEyes events have no id (auditfetch derives one from the content), the only server-side
filters are the account group and the startDate/endDate range (whole seconds), pages follow
_links.next.href, and the action comes from the event text.
"""

from __future__ import annotations

import json
import re
import time
import unittest
from typing import Any

from harness import TE_AID, TE_OTHER_AID, TOKEN, Emulator, fixture_records, run_auditfetch
from provider_case import (ProviderCase, format_seconds, ms, null_context, parse_time, record_key,
                           unified_actor)

PAGE = 5  # the emulator's --te-page-size: ThousandEyes chooses the page size, not the client
RECORDS = fixture_records("thousandeyes")
MINE = [r for r in RECORDS if r.get("aid") == TE_AID]  # what aid=TE_AID may read
SINCE = "2024-05-01T00:00:00Z"
UNTIL = "2024-06-01T00:00:00Z"
EVENTS_PATH = "/v7/audit-user-events"
WHOLE_SECONDS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
HEX_ID = r"^[0-9a-f]{16,}$"
DAY_NS = 86400 * 1_000_000_000


def expected_actions(record: dict[str, Any]) -> set[str | None]:
    """The unified action(s) acceptable for an event (PROVIDERS.md section 3).

    Usually one value; an event whose text only contains a suffix word mid-sentence
    ("Alert rule updated. Expression changed to: ...") may map either way."""
    event = record.get("event")
    if event is None:
        return {None}
    low = event.lower()
    first = (record.get("resources") or [{}])[0]
    user_resource = first.get("type") == "userDisplayName"
    if low.startswith("login failed"):
        return {"login_failed"}
    if low.startswith("login") or low.startswith("logged in"):
        return {"login"}
    if low.startswith("logout") or low.startswith("logged out"):
        return {"logout"}
    endings = [(" created.", "user_created" if user_resource else "create"),
               (" deleted.", "user_deleted" if user_resource else "destroy"),
               (" updated.", "updated"), (" modified.", "updated"), (" changed.", "updated"),
               (" exported.", "exported")]
    for ending, action in endings:
        if low.endswith(ending):
            return {action}
    for ending, action in endings:
        if ending in low:
            return {action, event}
    return {event}


def expected_activity(record: dict[str, Any]) -> dict[str, Any]:
    """The unified activity for an event, except id (derived) and action (see expected_actions)."""
    first = (record.get("resources") or [{}])[0]
    uid = record.get("uid")
    return {
        "actor": unified_actor("user" if uid else "system", uid),
        "organization": None,
        "group": record.get("aid"),
        "description": record.get("event"),
        "entity": first.get("name"),
        "entity_type": first.get("type"),
        "context": null_context(record.get("ipAddress")),
        "created_at": ms(record["date"]),
        "remote_data": record,
        "provider": "thousandeyes",
    }


def truth(records: list[dict[str, Any]] = MINE, since: str | None = SINCE, until: str | None = UNTIL,
          action: str | None = None, actor_id: str | None = None, entity: str | None = None,
          entity_type: str | None = None) -> list[str]:
    """Content keys of the events matching the filters, computed locally."""
    out = []
    for r in records:
        t = parse_time(r["date"])
        first = (r.get("resources") or [{}])[0]
        if since is not None and t < parse_time(since):
            continue
        if until is not None and t >= parse_time(until):
            continue
        if action is not None:
            acceptable = expected_actions(r)
            if len(acceptable) > 1 and action in acceptable:
                raise ValueError(f"--action {action} is ambiguous for {r['event']!r}; pick another action")
            if action not in acceptable:
                continue
        if actor_id is not None and r.get("uid") != actor_id:
            continue
        if entity is not None and first.get("name") != entity:
            continue
        if entity_type is not None and first.get("type") != entity_type:
            continue
        out.append(record_key(r))
    return sorted(out)


def keys_of(activities: list[dict[str, Any]]) -> list[str]:
    return sorted(record_key(a["remote_data"]) for a in activities)


class ThousandEyesCase(ProviderCase):
    emulator_args = ("--te-page-size", str(PAGE))

    def list(self, *args: str, env: dict | None = None, since: str | None = SINCE, until: str | None = UNTIL,
             aid: str | None = TE_AID, emu: Emulator | None = None):
        settings = ["--aid", aid] if aid is not None else []
        times = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", "-p", "thousandeyes", *settings, "--base-url", (emu or self.emu).url + "/v7",
                              *times, *args, env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def event_requests(self, emu: Emulator | None = None) -> list[dict[str, Any]]:
        return (emu or self.emu).requests(EVENTS_PATH)

    def id_map(self, result) -> dict[str, str]:
        """content key → id for a run's activities."""
        return {record_key(a["remote_data"]): a["id"] for a in self.activities(result)}


class ListTest(ThousandEyesCase):
    def test_multi_page_result_comes_back_once_newest_first(self) -> None:
        result = self.list("-o", "ndjson")
        activities = self.activities(result)
        self.assertEqual(keys_of(activities), sorted(record_key(r) for r in MINE))
        self.assertEqual(len({a["id"] for a in activities}), len(activities))
        self.assertEqual(result.stderr, "")
        times = [a["created_at"] for a in activities]
        self.assertEqual(times, sorted(times, reverse=True))
        requests = self.event_requests()
        self.assertEqual(len(requests), -(-len(MINE) // PAGE))
        first = requests[0]["params"]
        self.assertEqual(first.get("aid"), [TE_AID])
        self.assertEqual(first.get("startDate"), [SINCE])
        self.assertEqual(first.get("endDate"), [UNTIL])
        self.assertNotIn("cursor", first)
        for request in requests:
            self.assertNotIn("window", request["params"])
            self.assertEqual(request["headers"].get("Authorization"), f"Bearer {TOKEN}")
        for request in requests[1:]:  # _links.next.href, followed as given
            self.assertEqual(len(request["params"].get("cursor")), 1)
            self.assertEqual(request["params"].get("startDate"), [SINCE])
            self.assertEqual(request["params"].get("endDate"), [UNTIL])

    def test_events_are_mapped_to_the_unified_schema(self) -> None:
        activities = self.activities(self.list())
        by_key = {record_key(r): r for r in MINE}
        self.assertEqual(len(activities), len(MINE))
        for activity in activities:
            record = by_key[record_key(activity["remote_data"])]
            with self.subTest(event=record.get("event"), date=record["date"]):
                self.assertUnifiedShape(activity, "thousandeyes")
                self.assertIn(activity["action"], expected_actions(record))
                self.assertEqual({k: v for k, v in activity.items() if k not in ("id", "action")},
                                 expected_activity(record))
        # the table's cases are all present in the fixtures
        actions = {a["action"] for a in activities}
        self.assertLessEqual({"login", "login_failed", "logout", "create", "user_created", "destroy", "user_deleted",
                              "updated", "exported"}, actions)
        cidr = next(a for a in activities if "/" in (a["remote_data"].get("ipAddress") or ""))
        self.assertEqual(cidr["context"]["ip_address"], cidr["remote_data"]["ipAddress"])  # CIDR kept as given

    def test_ids_are_lowercase_hex_unique_and_stable(self) -> None:
        first = self.id_map(self.list())
        self.assertEqual(len(first), len({record_key(r) for r in MINE}))
        for event_id in first.values():
            self.assertRegex(event_id, HEX_ID)
        self.assertEqual(len(set(first.values())), len(first))  # no two distinct events share an id
        self.assertEqual(self.id_map(self.list()), first)  # stable across runs
        # ...across page boundaries (one big page instead of pages of PAGE)...
        with Emulator("--te-page-size", "1000") as big:
            self.assertEqual(self.id_map(self.list(emu=big)), first)
            self.assertEqual(len(self.event_requests(big)), 1)
        # ...and across queries
        narrow = self.id_map(self.list("--action", "login", since="2024-05-13T00:00:00Z",
                                       until="2024-05-15T00:00:00Z"))
        self.assertTrue(narrow)
        self.assertEqual(narrow, {k: first[k] for k in narrow})

    def test_json_output_is_one_array_of_every_activity(self) -> None:
        result = self.list("-o", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        document = json.loads(result.stdout)
        self.assertIsInstance(document, list)
        self.assertEqual(keys_of(document), sorted(record_key(r) for r in MINE))

    def test_csv_output_has_a_header_one_row_per_activity_and_no_formulas(self) -> None:
        fields = ["id", "action", "entity", "context.ip_address", "created_at"]  # in schema order
        result = self.list("-o", "csv", "--fields", ",".join(fields))
        json_ids = sorted(self.id_map(self.list()).values())
        self.assertEqual(len(json_ids), len({record_key(r) for r in MINE}))
        rows = self.assertCsvOutput(result, fields, json_ids)
        cells = [dict(zip(fields, row)) for row in rows[1:]]
        formula = next(r for r in MINE if ((r.get("resources") or [{}])[0].get("name") or "").startswith("="))
        row = next(c for c in cells if c["entity"].endswith(formula["resources"][0]["name"]))
        self.assertEqual(row["entity"], "'" + formula["resources"][0]["name"])
        self.assertEqual(row["created_at"], ms(formula["date"]))
        self.assertEqual(row["context.ip_address"], formula["ipAddress"])

    def test_table_output_shows_remote_escapes_harmlessly(self) -> None:
        result = self.list("-o", "table")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("TIME"))
        self.assertEqual(len(lines), len(MINE) + 1)
        for bad in ("\x1b", "\x07", "\r", "\u202e"):
            self.assertNotIn(bad, result.stdout)

    def test_limit_sends_no_request_once_enough_are_in_hand(self) -> None:
        result = self.list("--limit", str(PAGE - 2))
        self.assertEqual(len(self.activities(result)), PAGE - 2)
        self.assertEqual(len(self.event_requests()), 1)


class TimeTest(ThousandEyesCase):
    def test_since_and_until_become_whole_second_start_and_end_dates(self) -> None:
        since, until = "2024-05-13T09:12:00.500Z", "2024-05-14T02:00:00.250Z"
        result = self.list("-v", since=since, until=until)
        activities = self.activities(result)
        params = self.event_requests()[0]["params"]
        self.assertEqual(params.get("startDate"), ["2024-05-13T09:12:00Z"])  # rounded down
        self.assertEqual(params.get("endDate"), ["2024-05-14T02:00:01Z"])  # rounded up
        expected = truth(since=since, until=until)
        # the rounding fetches events that only the local check removes, and keeps the ones at until's second
        self.assertTrue(any(r["date"] == "2024-05-13T09:12:00Z" for r in MINE))
        self.assertTrue(any(r["date"] == "2024-05-14T02:00:00Z" and record_key(r) in expected for r in MINE))
        self.assertEqual(keys_of(activities), expected)
        pushed, _ = self.pushdown(result, "thousandeyes")
        self.assertLessEqual({"since", "until"}, pushed)

    def test_whole_second_bounds_are_sent_as_given(self) -> None:
        since, until = "2024-05-14T00:00:00Z", "2024-05-15T00:00:00Z"
        result = self.list(since=since, until=until)
        activities = self.activities(result)
        params = self.event_requests()[0]["params"]
        self.assertEqual((params.get("startDate"), params.get("endDate")), ([since], [until]))
        expected = truth(since=since, until=until)
        self.assertTrue(expected)
        self.assertEqual(keys_of(activities), expected)

    def test_without_since_the_last_seven_days_are_read(self) -> None:
        now = time.time()
        def at(seconds_ago: float) -> str:
            return format_seconds(int(now - seconds_ago) * 1_000_000_000)
        recent = [{"aid": TE_AID, "date": at(3600), "event": "Logged in.", "uid": "777"},
                  {"aid": TE_AID, "date": at(6 * 86400), "event": "Test created.", "uid": "777",
                   "resources": [{"name": "recent test", "type": "testName"}]}]
        old = [{"aid": TE_AID, "date": at(8 * 86400), "event": "Logged out.", "uid": "777"}]
        self.emu.add_activities("thousandeyes", recent + old)
        before = time.time()
        result = self.list(since=None, until=None)
        after = time.time()
        self.assertEqual(keys_of(self.activities(result)), sorted(record_key(r) for r in recent))
        params = self.event_requests()[0]["params"]
        self.assertNotIn("window", params)
        self.assertLessEqual({"startDate", "endDate"}, set(params))
        self.assertRegex(params["startDate"][0], WHOLE_SECONDS)
        self.assertRegex(params["endDate"][0], WHOLE_SECONDS)
        start, end = parse_time(params["startDate"][0]), parse_time(params["endDate"][0])
        self.assertGreaterEqual(end, int(before) * 1_000_000_000)  # now, rounded up (plus a second)
        self.assertLessEqual(end, int(after + 3) * 1_000_000_000)
        self.assertGreaterEqual(end - start, 7 * DAY_NS)
        self.assertLessEqual(end - start, 7 * DAY_NS + 3 * 1_000_000_000)

    def test_since_without_until_ends_now(self) -> None:
        before = time.time()
        result = self.list(since="2024-05-16T00:00:00Z", until=None)
        after = time.time()
        self.assertEqual(keys_of(self.activities(result)), truth(since="2024-05-16T00:00:00Z", until=None))
        params = self.event_requests()[0]["params"]
        self.assertEqual(params.get("startDate"), ["2024-05-16T00:00:00Z"])
        self.assertIn("endDate", params)
        self.assertRegex(params["endDate"][0], WHOLE_SECONDS)
        end = parse_time(params["endDate"][0])
        self.assertGreaterEqual(end, int(before) * 1_000_000_000)
        self.assertLessEqual(end, int(after + 3) * 1_000_000_000)


class FilterTest(ThousandEyesCase):
    def test_action_actor_and_entity_are_applied_locally(self) -> None:
        user = next(r for r in MINE if r.get("event") == "User created.")
        entity = user["resources"][0]["name"]
        result = self.list("--action", "user_created", "--actor-id", user["uid"], "--entity", entity,
                           "--entity-type", "userDisplayName", "-v")
        expected = truth(action="user_created", actor_id=user["uid"], entity=entity, entity_type="userDisplayName")
        self.assertIn(record_key(user), expected)
        self.assertEqual(keys_of(self.activities(result)), expected)
        pushed, local = self.pushdown(result, "thousandeyes")
        self.assertEqual(local & {"action", "actor_id", "entity", "entity_type"},
                         {"action", "actor_id", "entity", "entity_type"})
        self.assertEqual(pushed & {"action", "actor_id", "entity", "entity_type"}, set())
        for request in self.event_requests():
            self.assertLessEqual(set(request["params"]), {"aid", "useAllPermittedAids", "startDate", "endDate", "cursor"})

    def test_each_filter_matches_the_local_truth(self) -> None:
        raw = next(r["event"] for r in MINE if expected_actions(r) == {r["event"]})
        cases = [("--action", "login", truth(action="login")),
                 ("--action", "login_failed", truth(action="login_failed")),
                 ("--action", "logout", truth(action="logout")),
                 ("--action", "create", truth(action="create")),
                 ("--action", "destroy", truth(action="destroy")),
                 ("--action", "user_deleted", truth(action="user_deleted")),
                 ("--action", "exported", truth(action="exported")),
                 ("--action", raw, truth(action=raw)),
                 ("--actor-id", "20488", truth(actor_id="20488")),
                 ("--entity", "Checkout latency > 500 ms", truth(entity="Checkout latency > 500 ms")),
                 ("--entity-type", "testName", truth(entity_type="testName"))]
        for flag, value, expected in cases:
            with self.subTest(flag=flag, value=value):
                self.assertTrue(expected)
                self.assertEqual(keys_of(self.activities(self.list(flag, value))), expected)

    def test_several_actions_are_ored(self) -> None:
        result = self.list("--action", "login", "--action", "logout")
        self.assertEqual(keys_of(self.activities(result)),
                         sorted(truth(action="login") + truth(action="logout")))

    def test_use_all_permitted_aids_reads_every_account_group(self) -> None:
        result = self.list("--use-all-permitted-aids", "true")
        activities = self.activities(result)
        self.assertEqual(keys_of(activities), sorted(record_key(r) for r in RECORDS))
        self.assertEqual({a["group"] for a in activities}, {TE_AID, TE_OTHER_AID})
        for activity in activities:
            self.assertEqual(activity["group"], activity["remote_data"]["aid"])
        for request in self.event_requests():
            self.assertEqual(request["params"].get("useAllPermittedAids"), ["true"])

    def test_use_all_permitted_aids_defaults_to_false(self) -> None:
        result = self.list()
        self.assertEqual(keys_of(self.activities(result)), sorted(record_key(r) for r in MINE))
        self.assertEqual(self.event_requests()[0]["params"].get("useAllPermittedAids", ["false"]), ["false"])

    def test_another_account_group(self) -> None:
        result = self.list(aid=TE_OTHER_AID)
        other = [r for r in RECORDS if r.get("aid") == TE_OTHER_AID]
        self.assertEqual(keys_of(self.activities(result)), sorted(record_key(r) for r in other))
        self.assertEqual(self.event_requests()[0]["params"].get("aid"), [TE_OTHER_AID])

    def test_filter_exits_2_as_there_is_no_filter_language(self) -> None:
        result = self.list("--filter", 'event eq "Logged in."')
        self.assertOneErrorLine(result, 2, "--filter")
        self.assertEqual(self.emu.requests(), [])
        self.assertEqual(result.stdout, "")


class SettingsAndCredentialsTest(ThousandEyesCase):
    def test_aid_and_token_from_the_environment(self) -> None:
        result = self.list("--limit", "1", aid=None, env={"AUDITFETCH_TOKEN": None, "TE_TOKEN": TOKEN, "TE_AID": TE_AID})
        self.assertEqual(len(self.activities(result)), 1)
        request = self.event_requests()[0]
        self.assertEqual(request["params"].get("aid"), [TE_AID])
        self.assertEqual(request["headers"].get("Authorization"), f"Bearer {TOKEN}")

    def test_missing_aid_exits_2(self) -> None:
        result = self.list(aid=None)
        self.assertOneErrorLine(result, 2, "--aid is required")
        self.assertIn("TE_AID", result.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_missing_credentials_exit_2(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": None})
        self.assertOneErrorLine(result, 2, "thousandeyes: no credentials")
        self.assertIn("TE_TOKEN", result.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_a_refused_token_exits_3_naming_the_variable(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": None, "TE_TOKEN": "not-a-valid-token"})
        self.assertOneErrorLine(result, 3, "authentication refused (401)")
        self.assertIn("TE_TOKEN", self.errorLine(result))
        self.assertNotIn("not-a-valid-token", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_429_with_retry_after_is_waited_for_and_retried(self) -> None:
        # ThousandEyes' own 429 carries X-Organization-Rate-Limit-Reset; this one also has Retry-After.
        self.emu.faults({"path": "/audit-user-events$", "kind": "status", "status": 429,
                         "headers": {"Retry-After": "1",
                                     "X-Organization-Rate-Limit-Reset": str(int(time.time()) + 2)}})
        started = time.monotonic()
        result = self.list()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertIn("HTTP 429; retrying in", result.stderr)
        self.assertEqual(keys_of(self.activities(result)), sorted(record_key(r) for r in MINE))
        self.assertEqual(len(self.event_requests()), -(-len(MINE) // PAGE) + 1)

    def test_its_own_429_without_retry_after_is_retried(self) -> None:
        self.emu.faults({"path": "/audit-user-events$", "kind": "status", "status": 429,
                         "headers": {"X-Organization-Rate-Limit-Reset": str(int(time.time()) + 2)}})
        result = self.list("--limit", "1")
        self.assertEqual(len(self.activities(result)), 1)
        self.assertEqual(len(self.event_requests()), 2)

    def test_verbose_prints_requests_without_the_token(self) -> None:
        result = self.list("--limit", "1", "-v")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"auditfetch: GET http://127\.0\.0\.1:\d+/v7/audit-user-events\?\S*aid=1234"
                                        r"\S*: 200 \(\d+ ms\)")
        self.assertNotIn(TOKEN, result.stderr)

    def test_get_is_refused_clearly(self) -> None:
        result = run_auditfetch("get", "-p", "thousandeyes", "--aid", TE_AID, "--base-url", self.emu.url + "/v7",
                                "0123456789abcdef", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertOneErrorLine(result, 2, "")
        self.assertRegex(self.errorLine(result), re.compile("thousandeyes", re.I))
        self.assertEqual(self.emu.requests(), [])
        self.assertEqual(result.stdout, "")

    def test_providers_describes_thousandeyes(self) -> None:
        result = run_auditfetch("providers", "thousandeyes")
        self.assertEqual(result.returncode, 0, result.stderr)
        for text in ("https://api.thousandeyes.com/v7", "--aid", "--use-all-permitted-aids", "TE_AID", "TE_TOKEN"):
            self.assertIn(text, result.stdout)
        self.assertIn("thousandeyes", run_auditfetch("providers", "--names").stdout.split())


if __name__ == "__main__":
    unittest.main()
