"""End to end: the real auditfetch binary against the PingOne emulator on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
import unittest

from harness import (CLIENT_ID, CLIENT_SECRET, PINGONE_ENV_ID, TOKEN, Emulator, fixture_records,
                     make_tls_files, make_self_signed_cert, run_auditfetch)
from provider_case import ProviderCase

RECORDS = fixture_records("pingone")
ALL_IDS = sorted(r["id"] for r in RECORDS)
SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"


def without_links(record: dict) -> dict:
    """The record without _links, whose hrefs the emulator points at itself."""
    return {k: v for k, v in record.items() if k != "_links"}


class PingOneCase(ProviderCase):
    def list(self, *args: str, env: dict | None = None, base: str | None = None):
        return run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                              "--base-url", (base or self.emu.url) + "/v1", "--since", SINCE,
                              "--until", UNTIL, *args,
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})


class ListTest(PingOneCase):
    def test_multi_page_result_comes_back_once_in_ndjson(self) -> None:
        result = self.list("--page-size", "4", "-o", "ndjson")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        activities = [json.loads(line) for line in lines]
        self.assertEqual(sorted(a["id"] for a in activities), ALL_IDS)
        self.assertEqual(len(self.emu.requests("/activities")), -(-len(RECORDS) // 4))
        self.assertEqual(result.stderr, "")
        # newest first, as the API serves them
        times = [a["created_at"] for a in activities]
        self.assertEqual(times, sorted(times, reverse=True))

    def test_json_output_is_one_array_of_every_activity(self) -> None:
        result = self.list("--page-size", "10", "-o", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(a["id"] for a in json.loads(result.stdout)), ALL_IDS)

    def test_csv_output_has_a_header_and_one_row_per_activity(self) -> None:
        result = self.list("--page-size", "10", "-o", "csv", "--fields", "id,action,created_at")
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
        self.assertEqual(rows[0], ["id", "action", "created_at"])
        self.assertEqual(sorted(r[0] for r in rows[1:]), ALL_IDS)

    def test_table_output_has_a_header_and_one_row_per_activity(self) -> None:
        result = self.list("--page-size", "10", "-o", "table")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("TIME"))
        self.assertEqual(len(lines), len(RECORDS) + 1)
        self.assertNotIn("\x1b", result.stdout)  # no colour and no remote escape off a terminal

    def test_default_output_off_a_terminal_is_ndjson(self) -> None:
        result = self.list("--limit", "2")
        self.assertEqual([json.loads(line)["provider"] for line in result.stdout.splitlines()],
                         ["pingone", "pingone"])

    def test_records_are_mapped_to_the_unified_schema(self) -> None:
        record = next(r for r in RECORDS if r.get("action", {}).get("type") == "USER.ACCESS_ALLOWED"
                      and "user" in r.get("actors", {}))
        result = self.list("-o", "ndjson")
        activity = next(json.loads(l) for l in result.stdout.splitlines() if json.loads(l)["id"] == record["id"])
        self.assertEqual(list(activity), ["id", "actor", "organization", "group", "description", "action",
                                          "entity", "entity_type", "context", "created_at", "remote_data",
                                          "provider"])
        self.assertEqual(activity["action"], "login")
        self.assertEqual(activity["actor"], {"type": "user", "user": {"id": record["actors"]["user"]["id"]}})
        self.assertEqual(activity["organization"], PINGONE_ENV_ID)
        self.assertEqual(activity["context"], {"ip_address": None, "user_agent": None, "authentication_method": None})
        self.assertEqual(without_links(activity["remote_data"]), without_links(record))
        self.assertRegex(activity["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_filters_reach_the_server_as_one_scim_expression_the_actor_checked_here(self) -> None:
        # --actor-id stays local: the user of a failed password check is its resource, not
        # actors.user, and is the actor all the same (test_failed_password_check_...).
        user = next(r["actors"]["user"]["id"] for r in RECORDS if "user" in r.get("actors", {})
                    and r["action"]["type"] == "USER.ACCESS_ALLOWED"
                    and "2024-05-14T00:00:00" <= r["recordedAt"] < "2024-05-16T00:00:00")
        result = self.list("--since", "2024-05-14T00:00:00Z", "--until", "2024-05-16T00:00:00Z",
                           "--action", "login", "--actor-id", user)
        self.assertEqual(result.returncode, 0, result.stderr)
        request = self.emu.requests("/activities")[0]
        self.assertEqual(request["params"]["filter"], [
            'recordedat ge "2024-05-14T00:00:00.000Z" AND recordedat lt "2024-05-16T00:00:00.000Z" '
            'AND action.type eq "USER.ACCESS_ALLOWED"'])
        expected = sorted(r["id"] for r in RECORDS
                          if r.get("action", {}).get("type") == "USER.ACCESS_ALLOWED"
                          and r.get("actors", {}).get("user", {}).get("id") == user
                          and "2024-05-14T00:00:00" <= r["recordedAt"] < "2024-05-16T00:00:00")
        self.assertTrue(expected)
        self.assertEqual(sorted(json.loads(l)["id"] for l in result.stdout.splitlines()), expected)

    def test_failed_password_check_has_the_user_who_tried_as_actor(self) -> None:
        failed = [r for r in RECORDS if r["action"]["type"] == "PASSWORD.CHECK_FAILED"]
        self.assertTrue(failed and all("actors" not in r for r in failed))
        result = self.list("--action", "login_failed")
        self.assertEqual(result.returncode, 0, result.stderr)
        activities = {a["id"]: a for a in map(json.loads, result.stdout.splitlines())}
        for record in failed:
            user = record["resources"][0]
            self.assertEqual(user["type"], "USER")
            self.assertEqual(activities[record["id"]]["actor"], {"type": "user", "user": {"id": user["id"]}})
            self.assertEqual(activities[record["id"]]["group"], user["population"]["id"])
        # and --actor-id finds them: every login_failed of that user, whichever field PingOne used
        user = failed[0]["resources"][0]["id"]
        result = self.list("--action", "login_failed", "--actor-id", user, "-v")
        self.assertIn("applied locally: actor_id", result.stderr)
        expected = sorted(r["id"] for r in RECORDS if r["action"]["type"] in ("PASSWORD.CHECK_FAILED", "USER.ACCESS_DENIED")
                          and (r.get("actors", {}).get("user") or r["resources"][0])["id"] == user)
        self.assertEqual(sorted(json.loads(l)["id"] for l in result.stdout.splitlines()), expected)

    def test_a_pattern_action_is_applied_locally_with_the_same_meaning(self) -> None:
        result = self.list("--action", "create", "-v")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("applied locally: action", result.stderr)
        ids = sorted(json.loads(l)["id"] for l in result.stdout.splitlines())
        creates = [r for r in RECORDS if r.get("action", {}).get("type", "").endswith(".CREATED")
                   and r["action"]["type"] not in ("USER.CREATED", "FLOW.CREATED", "AUTHENTICATION.CREATED")]
        self.assertEqual(ids, sorted(r["id"] for r in creates))

    def test_limit_sends_no_request_once_enough_are_in_hand(self) -> None:
        result = self.list("--limit", "3", "--page-size", "3")
        self.assertEqual(len(result.stdout.splitlines()), 3)
        self.assertEqual(len(self.emu.requests("/activities")), 1)

    def test_client_credentials_get_a_token_from_the_token_endpoint(self) -> None:
        result = self.list("--limit", "1", "--token-url", f"{self.emu.url}/{PINGONE_ENV_ID}/as/token",
                           env={"AUDITFETCH_TOKEN": None, "PINGONE_CLIENT_ID": CLIENT_ID,
                                "PINGONE_CLIENT_SECRET": CLIENT_SECRET})
        self.assertEqual(result.returncode, 0, result.stderr)
        token_requests = self.emu.requests("/as/token")
        self.assertEqual(len(token_requests), 1)
        self.assertTrue(token_requests[0]["headers"]["Authorization"].startswith("Basic "))

    def test_wrong_client_secret_exits_3_naming_the_variables(self) -> None:
        result = self.list("--token-url", f"{self.emu.url}/{PINGONE_ENV_ID}/as/token",
                           env={"AUDITFETCH_TOKEN": None, "PINGONE_CLIENT_ID": CLIENT_ID,
                                "PINGONE_CLIENT_SECRET": "wrong-secret"})
        self.assertOneErrorLine(result, 3, "PINGONE_CLIENT_ID/PINGONE_CLIENT_SECRET")
        self.assertNotIn("wrong-secret", result.stderr)

    def test_a_refused_token_exits_3(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": "not-a-valid-token"})
        self.assertOneErrorLine(result, 3, "authentication refused (401)")
        self.assertIn("AUDITFETCH_TOKEN", result.stderr)
        self.assertNotIn("not-a-valid-token", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_an_expired_oauth_token_is_renewed_once(self) -> None:
        env = {"AUDITFETCH_TOKEN": None, "AUDITFETCH_CLIENT_ID": CLIENT_ID, "AUDITFETCH_CLIENT_SECRET": CLIENT_SECRET}
        # Expire the first token after page 1 by faulting page 2 with the API's 401 once.
        self.emu.faults({"path": "/activities$", "skip": 1, "kind": "status", "status": 401})
        result = self.list("--page-size", "10", "--token-url", f"{self.emu.url}/{PINGONE_ENV_ID}/as/token", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(json.loads(l)["id"] for l in result.stdout.splitlines()), ALL_IDS)
        self.assertEqual(len(self.emu.requests("/as/token")), 2)

    def test_missing_credentials_exit_2(self) -> None:
        result = self.list(env={"AUDITFETCH_TOKEN": None})
        self.assertOneErrorLine(result, 2, "pingone: no credentials")

    def test_unknown_flags_exit_2_with_one_line(self) -> None:
        result = run_auditfetch("list", "--no-such-flag")
        self.assertOneErrorLine(result, 2, "--no-such-flag")
        self.assertEqual(result.stdout, "")

    def test_a_bad_time_exits_2(self) -> None:
        result = self.list("--since", "last tuesday")
        self.assertOneErrorLine(result, 2, "--since: 'last tuesday' is not a time")

    def test_a_filter_the_api_rejects_exits_2_with_its_message(self) -> None:
        result = self.list("--filter", 'result.status co "x"')
        self.assertOneErrorLine(result, 2, "INVALID_FILTER")

    def test_429_with_retry_after_is_waited_for_and_retried(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 429,
                         "headers": {"Retry-After": "1"}})
        started = time.monotonic()
        result = self.list("--page-size", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertIn("HTTP 429; retrying in 1.0 s", result.stderr)
        self.assertEqual(sorted(json.loads(l)["id"] for l in result.stdout.splitlines()), ALL_IDS)

    def test_503_then_success(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 503, "times": 2})
        result = self.list("--page-size", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), len(RECORDS))

    def test_retries_exhausted_exit_1(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 502, "times": -1})
        result = self.list("--retries", "1")
        self.assertOneErrorLine(result, 1, "HTTP 502")
        self.assertEqual(len(self.emu.requests("/activities")), 2)

    def test_a_failure_on_page_2_keeps_page_1_and_closes_the_json_array(self) -> None:
        self.emu.faults({"path": "/activities$", "skip": 1, "kind": "invalid_json"})
        result = self.list("--page-size", "5", "-o", "json")
        self.assertOneErrorLine(result, 1, "pingone: page 2: invalid JSON")
        self.assertEqual(len(json.loads(result.stdout)), 5)

    def test_verbose_prints_requests_without_secrets(self) -> None:
        result = self.list("--limit", "1", "-v", "--param", "access_token=hidden-value")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"auditfetch: GET http://127\.0\.0\.1:\d+/v1/environments/.*: 200 \(\d+ ms\)")
        self.assertNotIn(TOKEN, result.stderr)
        self.assertNotIn("hidden-value", result.stderr)
        self.assertIn("access_token=REDACTED", result.stderr)


class RedirectTest(PingOneCase):
    def test_a_cross_origin_redirect_does_not_carry_the_token(self) -> None:
        with Emulator() as other:
            self.emu.faults({"path": "/activities$", "kind": "redirect", "status": 307,
                             "location": other.url + "/v1/environments/" + PINGONE_ENV_ID + "/activities"})
            result = self.list()
            redirected = other.requests("/activities")
            self.assertEqual(len(redirected), 1)
            self.assertNotIn("Authorization", redirected[0]["headers"])
            self.assertEqual(result.returncode, 3, result.stderr)  # the other origin wants a token

    def test_a_same_origin_redirect_keeps_the_token(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "redirect", "status": 302})
        result = self.list("--page-size", "50")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), len(RECORDS))


class GetTest(PingOneCase):
    def get(self, *args: str, env: dict | None = None):
        return run_auditfetch("get", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                              "--base-url", self.emu.url + "/v1", *args,
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def test_get_prints_one_activity(self) -> None:
        record = RECORDS[3]
        result = self.get("-o", "json", record["id"])
        self.assertEqual(result.returncode, 0, result.stderr)
        activity = json.loads(result.stdout)
        self.assertEqual(activity["id"], record["id"])
        self.assertEqual(without_links(activity["remote_data"]), without_links(record))

    def test_get_of_an_unknown_id_exits_4(self) -> None:
        result = self.get("no-such-activity")
        self.assertOneErrorLine(result, 4, "no such activity")
        self.assertEqual(result.stdout, "")


class TlsTest(unittest.TestCase):
    def test_https_with_the_test_ca_works(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            tls = make_tls_files(tmp)
            with Emulator(tls=tls) as emu:
                self.assertTrue(emu.url.startswith("https://"))
                result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                        "--base-url", emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                                        "--ca-file", tls.ca_cert, "--page-size", "10",
                                        env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(sorted(json.loads(l)["id"] for l in result.stdout.splitlines()), ALL_IDS)

    def test_an_untrusted_certificate_is_refused(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            with Emulator(tls=make_self_signed_cert(tmp)) as emu:
                result = run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                                        "--base-url", emu.url + "/v1", "--retries", "0",
                                        env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn("certificate verify failed", result.stderr)
                self.assertEqual(emu.requests(), [])


if __name__ == "__main__":
    unittest.main()
