"""End to end: the real auditfetch binary against the SailPoint ISC v3 account-activities emulator.

SailPoint pages by limit/offset (sorters=created, a short page ends the listing) and, past the
offset cap, by keyset (created ge <last created seen>); filters go into `filters` in SailPoint's
syntax; unified actions are applied locally; tokens come from OAuth2 client credentials.
"""

from __future__ import annotations

import json
import tempfile
import sys
import threading
import time
import unittest
from pathlib import Path
from typing import Any

import harness
from harness import (CLIENT_ID, CLIENT_SECRET, REPO, SAILPOINT_ME, TOKEN, Emulator, fixture_records,
                     run_auditfetch)
from provider_case import UNIFIED_ACTIONS, ProviderCase, ms, null_context, parse_time, unified_actor

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import sailpoint_filter  # noqa: E402  (the emulator's parser: what the service would understand)

TENANT = "acme-sb"
RECORDS = fixture_records("sailpoint")
ALL_IDS = sorted(r["id"] for r in RECORDS)
BY_ID = {r["id"]: r for r in RECORDS}
LIST_PATH = "/v3/account-activities"
TOKEN_PATH = "/oauth/token"
MAX_LIMIT = 250
OPERATIONS = {"CREATE": "create", "DELETE": "destroy", "DISABLE": "user_deactivated",
              **{op: "updated" for op in ("ENABLE", "LOCK", "UNLOCK", "ADD", "REMOVE", "SET", "MODIFY")}}
UPDATED_TYPES = ("LifecycleStateChange", "CloudPasswordRequest", "AccountStateUpdate")


def identity(summary: Any) -> str | None:
    if not isinstance(summary, dict):
        return None
    return summary.get("identityId") or summary.get("id")


def expected_action(record: dict[str, Any]) -> str | None:
    """PROVIDERS.md section 2: the first item's operation, else the type."""
    items = record.get("items") or []
    if items and items[0].get("operation") in OPERATIONS:
        return OPERATIONS[items[0]["operation"]]
    kind = record.get("type")
    if kind and (kind.endswith("AttributeUpdate") or kind.endswith("Refresh") or kind in UPDATED_TYPES):
        return "updated"
    return kind or "unknown"  # the engine issue: an activity without a native action is "unknown"


def truth(records: list[dict[str, Any]] = RECORDS, since: str | None = None, until: str | None = None,
          actions: tuple[str, ...] = (), types: tuple[str, ...] = (), actor_id: str | None = None,
          entity: str | None = None) -> list[str]:
    """Ids of the records matching the filters, computed locally. `actions` are unified (or raw
    types that map to themselves), `types` native; a record matches either."""
    out = []
    for r in records:
        t = parse_time(r["created"])
        if since is not None and t < parse_time(since):
            continue
        if until is not None and t >= parse_time(until):
            continue
        if (actions or types) and expected_action(r) not in actions and r.get("type") not in types:
            continue
        if actor_id is not None and identity(r.get("requesterIdentitySummary")) != actor_id:
            continue
        if entity is not None and identity(r.get("targetIdentitySummary")) != entity:
            continue
        out.append(r["id"])
    return sorted(out)


def conjuncts(filters: str) -> set[Any]:
    """The comparisons of a `filters` value that is one AND of comparisons, as the service parses it
    (so any spelling it accepts compares equal: with or without milliseconds, spaces, parentheses)."""
    def flatten(node: Any) -> list[Any]:
        if isinstance(node, sailpoint_filter.BoolOp) and node.op == "and":
            return flatten(node.left) + flatten(node.right)
        if isinstance(node, sailpoint_filter.Cmp) and node.op == "in":
            return [("in", node.field, frozenset(node.values))]
        return [node]
    return set(flatten(sailpoint_filter.parse(filters)))


def fields_of(comparisons: set[Any]) -> set[str]:
    """The properties a set of conjuncts filters on."""
    return {c[1] if isinstance(c, tuple) else c.field for c in comparisons}


def created(op: str, text: str) -> Any:
    return sailpoint_filter.Cmp("created", op, (parse_time(text),))


def type_eq(value: str) -> Any:
    return sailpoint_filter.Cmp("type", "eq", (value,))


class SailPointCase(ProviderCase):
    # An emulator with a small offset cap is paired with the built-in definition overridden
    # (through --providers-dir, as a user would) to the same max_offset.
    offset_cap: int | None = None
    definitions_dir: tempfile.TemporaryDirectory | None = None

    @classmethod
    def setUpClass(cls) -> None:
        if cls.offset_cap is not None:
            cls.emulator_args = (*cls.emulator_args, "--sail-max-offset", str(cls.offset_cap))
            cls.definitions_dir = tempfile.TemporaryDirectory(prefix="auditfetch-sailpoint-")
            definition = json.loads((REPO / "providers" / "sailpoint.json").read_text(encoding="utf-8"))
            definition["list"]["pagination"]["max_offset"] = cls.offset_cap
            (Path(cls.definitions_dir.name) / "sailpoint.json").write_text(json.dumps(definition), encoding="utf-8")
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        if cls.definitions_dir is not None:
            cls.definitions_dir.cleanup()

    def list(self, *args: str, env: dict | None = None, tenant: str | None = TENANT, emu: Emulator | None = None,
             timeout: float = 60):
        settings = ["--tenant", tenant] if tenant is not None else []
        if self.definitions_dir is not None:
            settings += ["--providers-dir", self.definitions_dir.name]
        return run_auditfetch("list", "-p", "sailpoint", *settings, "--base-url", (emu or self.emu).url + "/v3",
                              *args, env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})}, timeout=timeout)

    def oauth_list(self, *args: str, env: dict | None = None):
        return self.list("--token-url", self.emu.url + TOKEN_PATH, *args,
                         env={"AUDITFETCH_TOKEN": None, "SAIL_CLIENT_ID": CLIENT_ID, "SAIL_CLIENT_SECRET": CLIENT_SECRET,
                              **(env or {})})

    def get(self, *args: str, env: dict | None = None):
        return run_auditfetch("get", "-p", "sailpoint", "--tenant", TENANT, "--base-url", self.emu.url + "/v3",
                              *args, env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def list_requests(self, emu: Emulator | None = None) -> list[dict[str, Any]]:
        return [r for r in (emu or self.emu).requests(LIST_PATH) if r["path"] == LIST_PATH]

    def token_requests(self) -> list[dict[str, Any]]:
        return self.emu.requests(TOKEN_PATH)

    def assertKeysetUsed(self, requests: list[dict[str, Any]]) -> None:
        """Some request after the first restarted at offset 0 with `created ge <last created seen>`."""
        restarts = [r for r in requests[1:] if r["params"].get("offset", ["0"]) == ["0"]
                    and any(isinstance(c, sailpoint_filter.Cmp) and c.field == "created" and c.op == "ge"
                            for c in self.filters_of(r))]
        self.assertTrue(restarts, [r["query"] for r in requests])

    def filters_of(self, request: dict[str, Any]) -> set[Any]:
        values = request["params"].get("filters", [])
        self.assertLessEqual(len(values), 1, request)
        return conjuncts(values[0]) if values else set()


class ListTest(SailPointCase):
    def test_multi_page_result_comes_back_once_oldest_first(self) -> None:
        result = self.list("--page-size", "4")
        activities = self.activities(result)
        self.assertIdsOnce(activities, ALL_IDS)
        self.assertEqual(result.stderr, "")
        times = [a["created_at"] for a in activities]
        self.assertEqual(times, sorted(times))  # sorters=created
        requests = self.list_requests()
        self.assertIn(len(requests), {-(-len(RECORDS) // 4), len(RECORDS) // 4 + 1})
        for number, request in enumerate(requests):
            params = request["params"]
            self.assertEqual(params.get("limit"), ["4"])
            self.assertEqual(params.get("offset", ["0"]), [str(4 * number)])
            self.assertEqual(params.get("sorters"), ["created"])
            self.assertNotIn("filters", params)  # no filter flags: nothing to filter on
            self.assertEqual(request["headers"].get("Authorization"), f"Bearer {TOKEN}")

    def test_records_are_mapped_to_the_unified_schema(self) -> None:
        activities = self.activities(self.list("--page-size", "250"))
        self.assertIdsOnce(activities, ALL_IDS)
        for activity in activities:
            record = BY_ID[activity["id"]]
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "sailpoint")
                requester = identity(record.get("requesterIdentitySummary"))
                self.assertEqual(activity["actor"], unified_actor("user" if requester else "system", requester))
                self.assertEqual(activity["organization"], TENANT)
                self.assertIsNone(activity["group"])
                self.assertEqual(activity["action"], expected_action(record))
                target = identity(record.get("targetIdentitySummary"))
                self.assertEqual(activity["entity"], target)
                if target:
                    self.assertEqual(activity["entity_type"], "identity")
                self.assertEqual(activity["context"], null_context())
                self.assertEqual(activity["created_at"], ms(record["created"]))
                self.assertEqual(activity["remote_data"], record)
                if record.get("items"):
                    self.assertIsNotNone(activity["description"])
                    if record.get("type"):
                        self.assertTrue(activity["description"].startswith(record["type"]), activity["description"])
        # the table's cases are all present in the fixtures
        actions = {a["action"] for a in activities}
        self.assertLessEqual({"create", "destroy", "user_deactivated", "updated"}, actions)
        self.assertTrue(actions - UNIFIED_ACTIONS - {None})  # raw types too

    def test_json_output_is_one_array_of_every_activity(self) -> None:
        document = self.assertJsonOutput(self.list("--page-size", "7", "-o", "json"), ALL_IDS)
        self.assertEqual({a["provider"] for a in document}, {"sailpoint"})

    def test_csv_output_has_a_header_and_one_row_per_activity(self) -> None:
        fields = ["id", "actor.user.id", "action", "entity", "created_at"]  # in schema order
        rows = self.assertCsvOutput(self.list("--page-size", "7", "-o", "csv", "--fields", ",".join(fields)),
                                    fields, ALL_IDS)
        for row in rows[1:]:
            cells, record = dict(zip(fields, row)), BY_ID[row[0]]
            self.assertEqual(cells["created_at"], ms(record["created"]))
            self.assertEqual(cells["action"], expected_action(record) or "")
            self.assertEqual(cells["actor.user.id"], identity(record.get("requesterIdentitySummary")) or "")
            self.assertEqual(cells["entity"], identity(record.get("targetIdentitySummary")) or "")

    def test_limit_sends_no_request_once_enough_are_in_hand(self) -> None:
        result = self.list("--limit", "3", "--page-size", "3")
        self.assertEqual(len(self.activities(result)), 3)
        self.assertEqual(len(self.list_requests()), 1)

    def test_page_size_goes_up_to_the_api_maximum_and_no_further(self) -> None:
        result = self.list("--page-size", str(MAX_LIMIT))
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        self.assertEqual([r["params"].get("limit") for r in self.list_requests()], [[str(MAX_LIMIT)]])
        self.emu.clear_requests()
        # as for PingOne: a page size beyond the API's maximum is a usage error, not silently clamped
        result = self.list("--page-size", str(MAX_LIMIT + 1))
        self.assertOneErrorLine(result, 2, f"--page-size {MAX_LIMIT + 1} is out of range for sailpoint")
        self.assertEqual(self.emu.requests(), [])


class FilterTest(SailPointCase):
    def test_a_time_range_reaches_the_server_in_sailpoint_syntax(self) -> None:
        since, until = "2024-05-14T00:00:00Z", "2024-05-16T00:00:00Z"
        result = self.list("--since", since, "--until", until, "--page-size", "5", "-v")
        expected = truth(since=since, until=until)
        self.assertTrue(expected and len(expected) < len(RECORDS))
        self.assertIdsOnce(self.activities(result), expected)
        requests = self.list_requests()
        for request in requests:
            self.assertEqual(self.filters_of(request), {created("ge", since), created("lt", until)})
        pushed, local = self.pushdown(result, "sailpoint")
        self.assertLessEqual({"since", "until"}, pushed)

    def test_sub_second_bounds_keep_the_boundary_records_right(self) -> None:
        since, until = "2024-05-13T23:59:59.999Z", "2024-05-16T11:59:59.999Z"
        self.assertTrue(any(r["created"] == since for r in RECORDS))
        self.assertTrue(any(r["created"] == until for r in RECORDS))
        expected = truth(since=since, until=until)
        self.assertIn(next(r["id"] for r in RECORDS if r["created"] == since), expected)
        self.assertNotIn(next(r["id"] for r in RECORDS if r["created"] == until), expected)
        self.assertIdsOnce(self.activities(self.list("--since", since, "--until", until, "--page-size", "4")), expected)

    def test_a_native_action_becomes_type_eq(self) -> None:
        since, until = "2024-05-13T00:00:00Z", "2024-05-16T00:00:00Z"
        result = self.list("--since", since, "--until", until, "--action", "Identity Refresh", "-v")
        expected = truth(since=since, until=until, types=("Identity Refresh",))
        self.assertTrue(expected)
        self.assertIdsOnce(self.activities(result), expected)
        self.assertEqual(self.filters_of(self.list_requests()[0]),
                         {created("ge", since), created("lt", until), type_eq("Identity Refresh")})
        pushed, _ = self.pushdown(result, "sailpoint")
        self.assertIn("action", pushed)

    def test_several_native_actions_become_type_in(self) -> None:
        result = self.list("--action", "Identity Refresh", "--action", "appRequest")
        expected = truth(types=("Identity Refresh", "appRequest"))
        self.assertIdsOnce(self.activities(result), expected)
        self.assertEqual(self.filters_of(self.list_requests()[0]),
                         {("in", "type", frozenset({"Identity Refresh", "appRequest"}))})

    def test_unified_actions_are_applied_locally(self) -> None:
        for action in ("updated", "create", "destroy", "user_deactivated"):
            with self.subTest(action=action):
                self.emu.clear_requests()
                result = self.list("--action", action, "--page-size", "6", "-v")
                expected = truth(actions=(action,))
                self.assertTrue(expected)
                self.assertIdsOnce(self.activities(result), expected)
                for request in self.list_requests():
                    self.assertNotIn("type", fields_of(self.filters_of(request)))
                pushed, local = self.pushdown(result, "sailpoint")
                self.assertIn("action", local)
                self.assertNotIn("action", pushed)

    def test_a_unified_and_a_native_action_together_are_applied_locally(self) -> None:
        result = self.list("--action", "destroy", "--action", "appRequest")
        expected = truth(actions=("destroy",), types=("appRequest",))
        self.assertIdsOnce(self.activities(result), expected)
        for request in self.list_requests():
            self.assertNotIn("type", request["params"].get("filters", [""])[0])

    def test_actor_and_entity_match_the_local_truth(self) -> None:
        entity = identity(RECORDS[0]["targetIdentitySummary"])
        cases = [(("--actor-id", SAILPOINT_ME), truth(actor_id=SAILPOINT_ME)),
                 (("--entity", entity), truth(entity=entity)),
                 (("--entity-type", "identity"), sorted(r["id"] for r in RECORDS if r.get("targetIdentitySummary"))),
                 (("--actor-id", SAILPOINT_ME, "--action", "updated", "--since", "2024-05-14T00:00:00Z"),
                  truth(actor_id=SAILPOINT_ME, actions=("updated",), since="2024-05-14T00:00:00Z"))]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertTrue(expected)
                self.assertIdsOnce(self.activities(self.list(*args, "--page-size", "8")), expected)

    def test_identity_settings_are_sent_as_query_parameters(self) -> None:
        target = identity(RECORDS[0]["targetIdentitySummary"])
        cases = [("--requested-for", "requested-for", target,
                  [r["id"] for r in RECORDS if identity(r.get("targetIdentitySummary")) == target]),
                 ("--requested-by", "requested-by", "me",
                  [r["id"] for r in RECORDS if identity(r.get("requesterIdentitySummary")) == SAILPOINT_ME]),
                 ("--regarding-identity", "regarding-identity", target,
                  [r["id"] for r in RECORDS if target in (identity(r.get("targetIdentitySummary")),
                                                          identity(r.get("requesterIdentitySummary")))])]
        for flag, param, value, expected in cases:
            with self.subTest(flag=flag):
                self.emu.clear_requests()
                self.assertTrue(expected)
                self.assertIdsOnce(self.activities(self.list(flag, value, "--page-size", "4")), expected)
                for request in self.list_requests():
                    self.assertEqual(request["params"].get(param), [value])

    def test_a_native_filter_is_anded(self) -> None:
        since = "2024-05-14T00:00:00Z"
        result = self.list("--filter", 'type eq "appRequest"', "--since", since)
        self.assertIdsOnce(self.activities(result), truth(since=since, types=("appRequest",)))
        self.assertEqual(self.filters_of(self.list_requests()[0]), {created("ge", since), type_eq("appRequest")})

    def test_a_filter_the_api_rejects_exits_2_with_its_message(self) -> None:
        result = self.list("--filter", 'type gt "x"')
        self.assertOneErrorLine(result, 2, "Invalid filter")


class OffsetCapTest(SailPointCase):
    """Past the emulator's offset cap the listing continues by keyset."""

    offset_cap = 10

    def test_a_backfill_bigger_than_the_offset_cap_returns_every_record_once(self) -> None:
        for page in (2, 3, 4, 5):
            with self.subTest(page_size=page):
                self.emu.clear_requests()
                result = self.list("--page-size", str(page))
                activities = self.activities(result)
                self.assertIdsOnce(activities, ALL_IDS)
                times = [a["created_at"] for a in activities]
                self.assertEqual(times, sorted(times))
                self.assertKeysetUsed(self.list_requests())

    def test_the_keyset_keeps_the_time_range(self) -> None:
        since, until = "2024-05-13T09:00:00Z", "2024-05-16T09:00:00Z"
        result = self.list("--since", since, "--until", until, "--page-size", "3")
        self.assertIdsOnce(self.activities(result), truth(since=since, until=until))
        self.assertKeysetUsed(self.list_requests())
        for request in self.list_requests():
            self.assertIn(created("lt", until), self.filters_of(request))

    def test_the_keyset_keeps_a_native_action(self) -> None:
        wanted = ("AccountAttributeUpdate", "AccountStateUpdate", "appRequest", "LifecycleStateChange")
        args = [a for t in wanted for a in ("--action", t)]
        expected = truth(types=wanted)
        self.assertGreater(len(expected), 12)  # more than three pages of 4 at offsets 0, 4, 8
        result = self.list(*args, "--page-size", "4")
        self.assertIdsOnce(self.activities(result), expected)
        self.assertKeysetUsed(self.list_requests())
        for request in self.list_requests():
            self.assertIn(("in", "type", frozenset(wanted)), self.filters_of(request))


class GeneratedBackfillTest(SailPointCase):
    """200 generated records (with repeated timestamps) through a small offset cap."""

    emulator_args = ("--generate", "200")
    offset_cap = 25

    def test_every_generated_record_comes_back_once(self) -> None:
        records = self.emu.control("GET", "activities/sailpoint")
        self.assertGreater(len(records), len({r["created"] for r in records}))  # ties exist
        result = self.list("--page-size", "10")
        activities = self.activities(result)
        self.assertIdsOnce(activities, [r["id"] for r in records])
        times = [a["created_at"] for a in activities]
        self.assertEqual(times, sorted(times))
        by_id = {r["id"]: r for r in records}
        for activity in activities:
            self.assertEqual(activity["action"], expected_action(by_id[activity["id"]]))

    def test_a_filtered_generated_backfill_matches_the_local_truth(self) -> None:
        records = self.emu.control("GET", "activities/sailpoint")
        times = sorted(r["created"] for r in records)
        since, until = times[len(times) // 8], times[-len(times) // 8]
        expected = truth(records, since=since, until=until, actions=("updated",))
        self.assertGreater(len(expected), 0)
        result = self.list("--since", since, "--until", until, "--action", "updated", "--page-size", "7")
        self.assertIdsOnce(self.activities(result), expected)


class RealOffsetCapTest(SailPointCase):
    """More records than SailPoint's real offset cap (10,000, the emulator's default)."""

    emulator_args = ("--generate", "10400")

    def test_a_backfill_past_offset_10000_returns_every_record_once(self) -> None:
        records = self.emu.control("GET", "activities/sailpoint")
        result = self.list("--page-size", "250", "-o", "ndjson", timeout=240)
        activities = self.activities(result)
        self.assertIdsOnce(activities, [r["id"] for r in records])
        times = [a["created_at"] for a in activities]
        self.assertEqual(times, sorted(times))
        self.assertKeysetUsed(self.list_requests())


class TokenTest(SailPointCase):
    def test_one_token_serves_a_multi_page_listing(self) -> None:
        result = self.oauth_list("--page-size", "4")
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        self.assertEqual(len(self.token_requests()), 1)
        requests = self.list_requests()
        self.assertGreater(len(requests), 1)
        self.assertEqual(len({r["headers"].get("Authorization") for r in requests}), 1)
        self.assertTrue(requests[0]["headers"]["Authorization"].startswith("Bearer "))
        self.assertNotIn(CLIENT_SECRET, result.stderr)

    def test_auditfetch_client_variables_work_too(self) -> None:
        result = self.list("--limit", "1", "--token-url", self.emu.url + TOKEN_PATH,
                           env={"AUDITFETCH_TOKEN": None, "AUDITFETCH_CLIENT_ID": CLIENT_ID,
                                "AUDITFETCH_CLIENT_SECRET": CLIENT_SECRET})
        self.assertEqual(len(self.activities(result)), 1)
        self.assertEqual(len(self.token_requests()), 1)

    def test_a_401_renews_the_token_once(self) -> None:
        self.emu.faults({"path": "/account-activities$", "skip": 1, "kind": "status", "status": 401})
        result = self.oauth_list("--page-size", "4")
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        self.assertEqual(len(self.token_requests()), 2)

    def test_a_persistent_401_exits_3_after_one_renewal(self) -> None:
        self.emu.faults({"path": "/account-activities$", "kind": "status", "status": 401, "times": -1})
        result = self.oauth_list("--page-size", "4")
        self.assertOneErrorLine(result, 3, "authentication refused (401)")
        self.assertEqual(len(self.token_requests()), 2)
        self.assertNotIn(CLIENT_SECRET, result.stderr)

    def test_wrong_client_secret_exits_3_naming_the_variables(self) -> None:
        result = self.oauth_list(env={"SAIL_CLIENT_SECRET": "wrong-secret"})
        self.assertOneErrorLine(result, 3, "SAIL_CLIENT_ID/SAIL_CLIENT_SECRET")
        self.assertNotIn("wrong-secret", result.stderr)
        self.assertEqual(self.list_requests(), [])
        self.assertEqual(result.stdout, "")

    def test_a_refused_bearer_token_exits_3(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": "not-a-valid-token"})
        self.assertOneErrorLine(result, 3, "authentication refused (401)")
        self.assertIn("AUDITFETCH_TOKEN", self.errorLine(result))
        self.assertNotIn("not-a-valid-token", result.stderr)

    def test_missing_credentials_exit_2(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": None})
        self.assertOneErrorLine(result, 2, "sailpoint: no credentials")
        self.assertIn("SAIL_CLIENT_ID", result.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_missing_tenant_exits_2(self) -> None:
        result = self.list(tenant=None)
        self.assertOneErrorLine(result, 2, "--tenant is required")
        self.assertIn("SAIL_TENANT", result.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_tenant_from_the_environment(self) -> None:
        result = self.list("--limit", "1", tenant=None, env={"SAIL_TENANT": TENANT})
        self.assertEqual([a["organization"] for a in self.activities(result)], [TENANT])


class ExpiryTest(SailPointCase):
    """A token the server expires in the middle of a listing is renewed."""

    emulator_args = ("--page-delay-ms", "300")

    def test_a_token_expired_mid_listing_is_renewed(self) -> None:
        outcome: list[Any] = []
        runner = threading.Thread(target=lambda: outcome.append(self.oauth_list("--page-size", "4")))
        runner.start()
        deadline = time.monotonic() + 20
        while not self.list_requests() and runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.emu.expire_tokens()  # the first page is still in its 300 ms delay: it meets the expiry
        runner.join(60)
        self.assertFalse(runner.is_alive())
        self.assertIdsOnce(self.activities(outcome[0]), ALL_IDS)
        self.assertEqual(len(self.token_requests()), 2)


class MiscTest(SailPointCase):
    def test_429_with_retry_after_is_waited_for_and_retried(self) -> None:
        self.emu.faults({"path": "/account-activities$", "kind": "status", "status": 429})  # Retry-After: 1
        started = time.monotonic()
        result = self.list("--page-size", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertIn("HTTP 429; retrying in 1.0 s", result.stderr)
        self.assertIdsOnce(self.activities(result), ALL_IDS)

    def test_verbose_prints_requests_without_secrets(self) -> None:
        result = self.oauth_list("--limit", "1", "-v")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"auditfetch: GET http://127\.0\.0\.1:\d+/v3/account-activities\?\S*: 200 \(\d+ ms\)")
        self.assertNotIn(CLIENT_SECRET, result.stderr)
        self.assertNotIn("Bearer", result.stderr)

    def test_get_prints_one_activity(self) -> None:
        record = RECORDS[2]
        result = self.get("-o", "json", record["id"])
        self.assertEqual(result.returncode, 0, result.stderr)
        activity = json.loads(result.stdout)
        self.assertEqual(activity["id"], record["id"])
        self.assertEqual(activity["remote_data"], record)
        self.assertEqual(activity["action"], expected_action(record))
        self.assertEqual([r["path"] for r in self.emu.requests(LIST_PATH)], [f"{LIST_PATH}/{record['id']}"])

    def test_get_of_an_unknown_id_exits_4(self) -> None:
        result = self.get("0000")
        self.assertOneErrorLine(result, 4, "no such activity")
        self.assertEqual(result.stdout, "")

    def test_providers_describes_sailpoint(self) -> None:
        result = run_auditfetch("providers", "sailpoint")
        self.assertEqual(result.returncode, 0, result.stderr)
        for text in ("https://{tenant}.api.identitynow.com/v3", "https://{tenant}.api.identitynow.com/oauth/token",
                     "--tenant", "--requested-for", "--requested-by", "--regarding-identity", "SAIL_TENANT",
                     "SAIL_CLIENT_ID", "SAIL_CLIENT_SECRET"):
            self.assertIn(text, result.stdout)
        self.assertIn("sailpoint", run_auditfetch("providers", "--names").stdout.split())


if __name__ == "__main__":
    unittest.main()
