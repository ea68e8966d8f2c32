"""End to end: the real auditfetch binary against the Truto unified API emulator on 127.0.0.1.

Truto serves already-unified activities: auditfetch keeps them as they are, pages with the body's
next_cursor, pushes --since/--actor-id/--action/--entity/--entity-type down as query parameters and
checks every filter locally too (--until only locally).
"""

from __future__ import annotations

import json
import time
import unittest
from typing import Any

from harness import TOKEN, TRUTO_ACCOUNT_ID, fixture_records, run_auditfetch
from provider_case import ProviderCase, ms, null_context, parse_time, unified_actor

RECORDS = fixture_records("truto")
ALL_IDS = sorted(r["id"] for r in RECORDS)
BY_ID = {r["id"]: r for r in RECORDS}
LIST_PATH = "/unified/user-directory/activities"
ORGANIZATION = next(r["organization"] for r in RECORDS if r.get("organization"))


def expected_activity(record: dict[str, Any]) -> dict[str, Any]:
    """The unified activity for a Truto record: its own unified values, every key present."""
    actor = record.get("actor") or {}
    context = record.get("context") or {}
    return {
        "id": record["id"],
        "actor": unified_actor(actor.get("type"), (actor.get("user") or {}).get("id")),
        "organization": record.get("organization"),
        "group": record.get("group"),
        "description": record.get("description"),
        "action": record.get("action"),
        "entity": record.get("entity"),
        "entity_type": record.get("entity_type"),
        "context": null_context(context.get("ip_address"), context.get("user_agent"),
                                context.get("authentication_method")),
        "created_at": ms(record["created_at"]),
        "remote_data": record.get("remote_data"),
        "provider": "truto",
    }


def truth(since: str | None = None, until: str | None = None, actions: tuple[str, ...] = (),
          actor_id: str | None = None, entity: str | None = None, entity_type: str | None = None,
          organization: str | None = None) -> list[str]:
    """Ids of the fixture records matching the filters, computed locally."""
    out = []
    for r in RECORDS:
        t = parse_time(r["created_at"])
        if since is not None and t < parse_time(since):
            continue
        if until is not None and t >= parse_time(until):
            continue
        if actions and r.get("action") not in actions:
            continue
        if actor_id is not None and ((r.get("actor") or {}).get("user") or {}).get("id") != actor_id:
            continue
        if entity is not None and r.get("entity") != entity:
            continue
        if entity_type is not None and r.get("entity_type") != entity_type:
            continue
        if organization is not None and r.get("organization") != organization:
            continue
        out.append(r["id"])
    return sorted(out)


class TrutoCase(ProviderCase):
    def list(self, *args: str, env: dict | None = None, account: str | None = TRUTO_ACCOUNT_ID):
        settings = ["--integrated-account-id", account] if account is not None else []
        return run_auditfetch("list", "-p", "truto", *settings, "--base-url", self.emu.url, *args,
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def get(self, *args: str, env: dict | None = None):
        return run_auditfetch("get", "-p", "truto", "--integrated-account-id", TRUTO_ACCOUNT_ID,
                              "--base-url", self.emu.url, *args, env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def list_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(LIST_PATH) if r["path"] == LIST_PATH]


class ListTest(TrutoCase):
    def test_multi_page_result_comes_back_once_newest_first(self) -> None:
        result = self.list("--page-size", "5", "-o", "ndjson")
        activities = self.activities(result)
        self.assertIdsOnce(activities, ALL_IDS)
        self.assertEqual(result.stderr, "")
        times = [a["created_at"] for a in activities]
        self.assertEqual(times, sorted(times, reverse=True))
        requests = self.list_requests()
        self.assertEqual(len(requests), -(-len(RECORDS) // 5))
        first = requests[0]["params"]
        self.assertEqual(first.get("integrated_account_id"), [TRUTO_ACCOUNT_ID])
        self.assertEqual(first.get("limit"), ["5"])
        self.assertNotIn("next_cursor", first)
        self.assertNotIn("created_at", first)  # no --since: no time bound is invented
        for request in requests[1:]:
            params = dict(request["params"])
            self.assertEqual(len(params.pop("next_cursor", [])), 1, request)
            self.assertEqual(params, first)  # the other parameters unchanged
        self.assertEqual(requests[0]["headers"].get("Authorization"), f"Bearer {TOKEN}")

    def test_records_keep_their_unified_values(self) -> None:
        result = self.list("--page-size", "100")
        activities = self.activities(result)
        self.assertIdsOnce(activities, ALL_IDS)
        for activity in activities:
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "truto")
                self.assertEqual(activity, expected_activity(BY_ID[activity["id"]]))

    def test_json_output_is_one_array_of_every_activity(self) -> None:
        result = self.list("--page-size", "10", "-o", "json")
        document = self.assertJsonOutput(result, ALL_IDS)
        self.assertEqual({a["provider"] for a in document}, {"truto"})

    def test_csv_output_has_a_header_and_one_row_per_activity(self) -> None:
        fields = ["id", "actor.user.id", "action", "context.ip_address", "created_at"]  # in schema order
        result = self.list("--page-size", "10", "-o", "csv", "--fields", ",".join(fields))
        rows = self.assertCsvOutput(result, fields, ALL_IDS)
        for row in rows[1:]:
            cells, record = dict(zip(fields, row)), BY_ID[row[0]]
            self.assertEqual(cells["action"], record["action"])
            self.assertEqual(cells["actor.user.id"], ((record.get("actor") or {}).get("user") or {}).get("id") or "")
            self.assertEqual(cells["context.ip_address"], (record.get("context") or {}).get("ip_address") or "")
            self.assertEqual(cells["created_at"], ms(record["created_at"]))

    def test_limit_sends_no_request_once_enough_are_in_hand(self) -> None:
        result = self.list("--limit", "3", "--page-size", "3")
        self.assertEqual(len(self.activities(result)), 3)
        self.assertEqual(len(self.list_requests()), 1)


class FilterTest(TrutoCase):
    def test_since_reaches_the_server_as_created_at_and_until_is_applied_locally(self) -> None:
        since, until = "2024-05-14T00:00:00Z", "2024-05-16T00:00:00Z"
        result = self.list("--since", since, "--until", until, "--page-size", "4", "-v")
        expected = truth(since=since, until=until)
        self.assertTrue(expected and len(expected) < len(RECORDS))
        self.assertIdsOnce(self.activities(result), expected)
        pushed, local = self.pushdown(result, "truto")
        self.assertIn("since", pushed)
        self.assertIn("until", local)
        self.assertNotIn("until", pushed)
        for request in self.list_requests():
            self.assertEqual([parse_time(v) for v in request["params"].get("created_at")], [parse_time(since)])

    def test_filters_reach_the_server_as_query_parameters(self) -> None:
        record = next(r for r in RECORDS if r.get("action") == "user_updated" and r.get("entity_type") == "User"
                      and r["actor"].get("user") and r["created_at"] >= "2024-05-14T11")
        actor, entity = record["actor"]["user"]["id"], record["entity"]
        result = self.list("--since", "2024-05-14T00:00:00Z", "--action", "user_updated", "--actor-id", actor,
                           "--entity", entity, "--entity-type", "User", "-v")
        expected = truth(since="2024-05-14T00:00:00Z", actions=("user_updated",), actor_id=actor, entity=entity,
                         entity_type="User")
        self.assertIn(record["id"], expected)
        self.assertIdsOnce(self.activities(result), expected)
        params = self.list_requests()[0]["params"]
        self.assertEqual(params.get("action"), ["user_updated"])
        self.assertEqual(params.get("actor_id"), [actor])
        self.assertEqual(params.get("entity"), [entity])
        self.assertEqual(params.get("entity_type"), ["User"])
        self.assertEqual(params.get("integrated_account_id"), [TRUTO_ACCOUNT_ID])
        pushed, local = self.pushdown(result, "truto")
        self.assertEqual(pushed, {"since", "action", "actor_id", "entity", "entity_type"})
        self.assertEqual(local, set())

    def test_each_filter_alone_matches_the_local_truth(self) -> None:
        cases = [
            (("--action", "login"), truth(actions=("login",))),
            (("--action", "user_deactivated"), truth(actions=("user_deactivated",))),
            (("--actor-id", "00uIN6SQ9l1zqqqyI65S"), truth(actor_id="00uIN6SQ9l1zqqqyI65S")),
            (("--entity", "0oaKhhuZt5ym0rr2d6jK"), truth(entity="0oaKhhuZt5ym0rr2d6jK")),
            (("--entity-type", "AppInstance"), truth(entity_type="AppInstance")),
            (("--since", "2024-05-13T08:30:00.000Z"), truth(since="2024-05-13T08:30:00.000Z")),
            (("--until", "2024-05-13T08:30:00.000Z"), truth(until="2024-05-13T08:30:00.000Z")),
            (("--since", "2024-05-14T06:12:44.321Z", "--until", "2024-05-14T11:13:00.000Z"),
             truth(since="2024-05-14T06:12:44.321Z", until="2024-05-14T11:13:00.000Z")),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                self.assertTrue(expected, args)
                self.assertIdsOnce(self.activities(self.list(*args, "--page-size", "7")), expected)

    def test_several_actions_are_applied_locally(self) -> None:
        result = self.list("--action", "login", "--action", "logout", "-v")
        expected = truth(actions=("login", "logout"))
        self.assertIdsOnce(self.activities(result), expected)
        self.assertNotIn("action", self.list_requests()[0]["params"])
        pushed, local = self.pushdown(result, "truto")
        self.assertIn("action", local)
        self.assertNotIn("action", pushed)

    def test_a_raw_action_is_matched_locally(self) -> None:
        raw = next(r["action"] for r in RECORDS if "." in r["action"])
        result = self.list("--action", raw)
        self.assertIdsOnce(self.activities(result), truth(actions=(raw,)))

    def test_organization_id_setting_is_sent_as_organization_id(self) -> None:
        result = self.list("--organization-id", ORGANIZATION, "--page-size", "3")
        expected = truth(organization=ORGANIZATION)
        self.assertTrue(expected and len(expected) < len(RECORDS))
        self.assertIdsOnce(self.activities(result), expected)
        for request in self.list_requests():
            self.assertEqual(request["params"].get("organization_id"), [ORGANIZATION])

    def test_ignore_remote_data_param_reaches_the_server_on_every_page(self) -> None:
        result = self.list("--param", "truto_ignore_remote_data=true", "--page-size", "10")
        activities = self.activities(result)
        self.assertIdsOnce(activities, ALL_IDS)
        self.assertTrue(all(a["remote_data"] is None for a in activities))
        requests = self.list_requests()
        self.assertGreater(len(requests), 1)
        for request in requests:
            self.assertEqual(request["params"].get("truto_ignore_remote_data"), ["true"])


class SettingsAndCredentialsTest(TrutoCase):
    def test_settings_and_token_from_the_environment(self) -> None:
        result = self.list("--limit", "1", account=None,
                           env={"AUDITFETCH_TOKEN": None, "TRUTO_API_TOKEN": TOKEN,
                                "TRUTO_INTEGRATED_ACCOUNT_ID": TRUTO_ACCOUNT_ID})
        self.assertEqual(len(self.activities(result)), 1)
        request = self.list_requests()[0]
        self.assertEqual(request["params"].get("integrated_account_id"), [TRUTO_ACCOUNT_ID])
        self.assertEqual(request["headers"].get("Authorization"), f"Bearer {TOKEN}")

    def test_missing_integrated_account_id_exits_2(self) -> None:
        result = self.list(account=None)
        self.assertOneErrorLine(result, 2, "--integrated-account-id is required")
        self.assertIn("TRUTO_INTEGRATED_ACCOUNT_ID", result.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_missing_credentials_exit_2(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": None})
        self.assertOneErrorLine(result, 2, "truto: no credentials")
        self.assertIn("TRUTO_API_TOKEN", result.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_a_refused_truto_token_exits_3_naming_the_variable(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": None, "TRUTO_API_TOKEN": "not-a-valid-token"})
        self.assertOneErrorLine(result, 3, "authentication refused (401)")
        self.assertIn("TRUTO_API_TOKEN", self.errorLine(result))
        self.assertNotIn("not-a-valid-token", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_a_refused_auditfetch_token_exits_3_naming_the_variable(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": "not-a-valid-token"})
        self.assertOneErrorLine(result, 3, "authentication refused (401)")
        self.assertIn("AUDITFETCH_TOKEN", self.errorLine(result))
        self.assertNotIn("not-a-valid-token", result.stderr)

    def test_429_with_retry_after_is_waited_for_and_retried(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 429})  # Truto's 429 has Retry-After: 1
        started = time.monotonic()
        result = self.list("--page-size", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertIn("HTTP 429; retrying in 1.0 s", result.stderr)
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        self.assertEqual(len(self.list_requests()), -(-len(RECORDS) // 10) + 1)

    def test_verbose_prints_requests_without_the_token(self) -> None:
        result = self.list("--limit", "1", "-v")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"auditfetch: GET http://127\.0\.0\.1:\d+/unified/user-directory/activities\?"
                                        r"\S*integrated_account_id=" + TRUTO_ACCOUNT_ID + r"\S*: 200 \(\d+ ms\)")
        self.assertNotIn(TOKEN, result.stderr)

    def test_providers_describes_truto(self) -> None:
        result = run_auditfetch("providers", "truto")
        self.assertEqual(result.returncode, 0, result.stderr)
        for text in ("https://api.truto.one", "--integrated-account-id", "--organization-id",
                     "TRUTO_INTEGRATED_ACCOUNT_ID", "TRUTO_API_TOKEN"):
            self.assertIn(text, result.stdout)
        names = run_auditfetch("providers", "--names")
        self.assertIn("truto", names.stdout.split())


class GetTest(TrutoCase):
    def test_get_prints_one_activity(self) -> None:
        record = RECORDS[5]
        result = self.get("-o", "json", record["id"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), expected_activity(record))
        requests = self.emu.requests(LIST_PATH)
        self.assertEqual([r["path"] for r in requests], [f"{LIST_PATH}/{record['id']}"])
        self.assertEqual(requests[0]["params"].get("integrated_account_id"), [TRUTO_ACCOUNT_ID])

    def test_get_of_an_unknown_id_exits_4(self) -> None:
        result = self.get("no-such-activity")
        self.assertOneErrorLine(result, 4, "no such activity")
        self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
