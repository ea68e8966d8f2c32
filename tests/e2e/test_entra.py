"""End to end: the real auditfetch binary against the Microsoft Graph emulator (entra-audits and
entra-signins).

Graph serves auditLogs/directoryAudits and auditLogs/signIns newest first, pages with an absolute
@odata.nextLink that carries a $skiptoken, filters with an OData $filter (DateTimeOffset literals
unquoted, strings in single quotes with '' for a quote), writes times with seven fraction digits
and answers errors as {"error": {"code", "message"}}. Tokens come from the identity platform's
token endpoint (client credentials, scope https://graph.microsoft.com/.default), whose errors are
{"error", "error_description": "AADSTS…"}. Expected values come from the fixtures and from
PROVIDERS-DIRECT.md section 3, never from auditfetch itself.
"""

from __future__ import annotations

import calendar
import copy
import json
import re
import signal
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness import (CLIENT_ID, CLIENT_SECRET, ENTRA_SCOPE, ENTRA_TENANT_DOMAIN, ENTRA_TENANT_ID, TOKEN,
                     fixture_records, http, run_auditfetch)
from provider_case import UNIFIED_ACTIONS, ProviderCase, csv_rows
from test_tail import TailProcess

AUDITS = fixture_records("entra-audits")
SIGNINS = fixture_records("entra-signins")
AUDIT_BY_ID = {r["id"]: r for r in AUDITS}
SIGNIN_BY_ID = {r["id"]: r for r in SIGNINS}
TENANT = ENTRA_TENANT_ID
TOKEN_PATH = f"/{TENANT}/oauth2/v2.0/token"
AUDIT_PATH = "/v1.0/auditLogs/directoryAudits"
SIGNIN_PATH = "/v1.0/auditLogs/signIns"
PATHS = {"entra-audits": AUDIT_PATH, "entra-signins": SIGNIN_PATH}
OAUTH = {"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET}
SEAN = "3e2d1c0b-9a8f-4e7d-b6c5-a4b3c2d1e0f9"  # the fixtures' user Seán O'Brien
SEAN_UPN = "sean.o'brien@contoso.onmicrosoft.com"
CONNECT_SYNC = "cb1056e2-e479-49de-ae31-7812af012ed8"  # appId of Microsoft Entra Connect Sync
WAIT = 15.0

# PROVIDERS-DIRECT.md section 3, "User lifecycle mapping" (and Disable account, as the definition has it).
AUDIT_ACTIONS = {"Add user": "user_created", "Update user": "user_updated", "Delete user": "user_deleted",
                 "Hard Delete user": "user_deleted", "Disable account": "user_deactivated"}

# --------------------------------------------------------------------------- oracles

_GRAPH_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?Z")


def graph_ms(text: str) -> str:
    """A Graph time (up to seven fraction digits) as auditfetch prints created_at: truncated to ms."""
    m = _GRAPH_TIME.fullmatch(text)
    assert m, text
    return f"{text[:19]}.{(m.group(7) or '').ljust(3, '0')[:3]}Z"


def graph_key(text: str) -> int:
    """A Graph time in units of 100 ns (its full precision), for ordering and ranges."""
    m = _GRAPH_TIME.fullmatch(text)
    assert m, text
    seconds = calendar.timegm(tuple(int(g) for g in m.groups()[:6]))
    return seconds * 10_000_000 + int((m.group(7) or "").ljust(7, "0"))


def ms_key(text: str) -> int:
    """An RFC 3339 time with at most milliseconds (a flag value) in units of 100 ns."""
    return graph_key(text) // 10_000 * 10_000


def audit_time(r: dict[str, Any]) -> str:
    return r["activityDateTime"]


def signin_time(r: dict[str, Any]) -> str:
    return r["createdDateTime"]


def audit_action(r: dict[str, Any]) -> str:
    return AUDIT_ACTIONS.get(r["activityDisplayName"], r["activityDisplayName"])


def audit_actor(r: dict[str, Any]) -> dict[str, Any]:
    """A user who acted, or an app (a service principal: type system, its appId, or without one
    (Microsoft's own apps) the service principal's id)."""
    user, app = r["initiatedBy"].get("user"), r["initiatedBy"].get("app")
    if user:
        return {"type": "user", "user": {"id": user["id"]}}
    app = app or {}
    return {"type": "system", "user": {"id": app.get("appId") or app.get("servicePrincipalId")}}


def audit_description(r: dict[str, Any]) -> str:
    """activityDisplayName, with resultReason when there is one."""
    reason = r.get("resultReason")
    return f"{r['activityDisplayName']}: {reason}" if reason else r["activityDisplayName"]


def signin_action(r: dict[str, Any]) -> str:
    return "login" if r["status"]["errorCode"] == 0 else "login_failed"


def signin_description(r: dict[str, Any]) -> str:
    reason = r["status"].get("failureReason")
    return f"sign-in to {r['appDisplayName']}" + (f": {reason}" if reason else "")


def in_window(text: str, since: str | None = None, until: str | None = None) -> bool:
    """since <= t < until, as auditfetch compares: created_at (ms) against bounds given in ms."""
    t = ms_key(text)
    return (since is None or t >= ms_key(since)) and (until is None or t < ms_key(until))


def audit_ids(where=lambda r: True, since: str | None = None, until: str | None = None) -> list[str]:
    return sorted(r["id"] for r in AUDITS if in_window(audit_time(r), since, until) and where(r))


def signin_ids(where=lambda r: True, since: str | None = None, until: str | None = None) -> list[str]:
    return sorted(r["id"] for r in SIGNINS if in_window(signin_time(r), since, until) and where(r))


def new_audit(record_id: str, when: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
    rec = copy.deepcopy(template or next(r for r in AUDITS if r["activityDisplayName"] == "Add user"))
    rec.update(id=record_id, activityDateTime=when)
    return rec


def new_signin(record_id: str, when: str) -> dict[str, Any]:
    rec = copy.deepcopy(SIGNINS[0])
    rec.update(id=record_id, createdDateTime=when)
    return rec


# --------------------------------------------------------------------------- test case


class EntraCase(ProviderCase):
    """Helpers: the provider's settings against this class's emulator, client credentials by default."""

    def settings(self, tenant: str | None = TENANT, token_tenant: str = TENANT) -> list[str]:
        out = ["--tenant-id", tenant] if tenant is not None else []
        return out + ["--base-url", self.emu.url + "/v1.0",
                      "--token-url", f"{self.emu.url}/{token_tenant}/oauth2/v2.0/token"]

    def run_cmd(self, command: str, provider: str, *args: str, env: dict | None = None,
                tenant: str | None = TENANT, token_tenant: str = TENANT, timeout: float = 60):
        return run_auditfetch(command, "-p", provider, *self.settings(tenant, token_tenant), *args,
                              env={**OAUTH, **(env or {})}, timeout=timeout)

    def audits(self, *args: str, **kw: Any):
        return self.run_cmd("list", "entra-audits", *args, **kw)

    def signins(self, *args: str, **kw: Any):
        return self.run_cmd("list", "entra-signins", *args, **kw)

    def list_requests(self, path: str = AUDIT_PATH) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(path) if r["path"] == path]

    def token_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests("/oauth2/v2.0/token")]

    def assertActionsOr(self, text: str | None, *literals: str) -> None:
        """text is (activityDisplayName eq 'A' or activityDisplayName eq 'B' ...), in any order."""
        self.assertIsNotNone(text)
        self.assertTrue(text.startswith("(") and text.endswith(")"), text)
        self.assertEqual(sorted(text[1:-1].split(" or ")), sorted(f"activityDisplayName eq {v}" for v in literals))

    def filter_of(self, request: dict[str, Any]) -> str | None:
        values = request["params"].get("$filter")
        if values is None:
            return None
        self.assertEqual(len(values), 1, request)
        return values[0]


# --------------------------------------------------------------------------- mapping


class AuditMappingTest(EntraCase):
    def test_every_directory_audit_is_mapped_field_by_field(self) -> None:
        activities = self.activities(self.audits("--page-size", "1000"))
        self.assertIdsOnce(activities, AUDIT_BY_ID)
        for activity in activities:
            record = AUDIT_BY_ID[activity["id"]]
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "entra-audits")
                self.assertEqual(activity["actor"], audit_actor(record))
                self.assertEqual(activity["organization"], TENANT)
                self.assertEqual(activity["group"], record["category"])
                self.assertEqual(activity["action"], audit_action(record))
                self.assertEqual(activity["entity"], record["targetResources"][0]["id"])
                self.assertEqual(activity["entity_type"], record["targetResources"][0]["type"])
                user = record["initiatedBy"].get("user") or {}
                self.assertEqual(activity["context"], {"ip_address": user.get("ipAddress"), "user_agent": None,
                                                       "authentication_method": None})
                self.assertEqual(activity["created_at"], graph_ms(record["activityDateTime"]))
                self.assertEqual(activity["remote_data"], record)
                if record["resultReason"]:  # without one: test_the_description_is_the_activity_and_its_reason
                    self.assertEqual(activity["description"], f"{record['activityDisplayName']}: "
                                                              f"{record['resultReason']}")
        # the kinds the fixtures hold, so that the loop above checked each of them
        kinds = {(a["actor"]["type"], a["actor"]["user"]["id"] is None) for a in activities}
        # every app in the fixtures has an appId or at least a service principal id
        self.assertEqual(kinds, {("user", False), ("system", False)})
        self.assertEqual({a["action"] for a in activities} & UNIFIED_ACTIONS,
                         {"user_created", "user_updated", "user_deleted", "user_deactivated"})
        self.assertIn("Add member to group", {a["action"] for a in activities})  # raw, not in the table

    def test_user_lifecycle_audits_map_to_the_unified_user_actions(self) -> None:
        for native, unified in AUDIT_ACTIONS.items():
            with self.subTest(native=native):
                record = next(r for r in AUDITS if r["activityDisplayName"] == native)
                result = self.run_cmd("get", "entra-audits", record["id"], "-o", "json")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(json.loads(result.stdout)["action"], unified)

    def test_an_app_initiated_audit_has_a_system_actor_with_the_app_id(self) -> None:
        record = next(r for r in AUDITS if (r["initiatedBy"].get("app") or {}).get("appId") == CONNECT_SYNC
                      and r["activityDisplayName"] == "Add user")
        activity = json.loads(self.run_cmd("get", "entra-audits", record["id"], "-o", "json").stdout)
        self.assertEqual(activity["actor"], {"type": "system", "user": {"id": CONNECT_SYNC}})
        self.assertEqual(activity["action"], "user_created")
        self.assertEqual(activity["context"], {"ip_address": None, "user_agent": None, "authentication_method": None})
        self.assertEqual(activity["entity"], record["targetResources"][0]["id"])

    def test_the_description_is_the_activity_and_its_reason(self) -> None:
        # PROVIDERS-DIRECT.md: "activityDisplayName with resultReason". Graph sends resultReason ""
        # for most audits; the description must then be the activity alone, not "Add user: ".
        activities = self.activities(self.audits("--page-size", "1000", "--no-remote-data"))
        with_reason = [a for a in activities if AUDIT_BY_ID[a["id"]]["resultReason"]]
        self.assertEqual(len(with_reason), 3)
        got = {a["id"]: a["description"] for a in activities}
        self.assertEqual(got, {i: audit_description(r) for i, r in AUDIT_BY_ID.items()})


class SigninMappingTest(EntraCase):
    def test_every_sign_in_is_mapped_field_by_field(self) -> None:
        activities = self.activities(self.signins("--page-size", "1000"))
        self.assertIdsOnce(activities, SIGNIN_BY_ID)
        for activity in activities:
            record = SIGNIN_BY_ID[activity["id"]]
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "entra-signins")
                self.assertEqual(activity["actor"], {"type": "user", "user": {"id": record["userId"]}})
                self.assertEqual(activity["organization"], TENANT)
                self.assertIsNone(activity["group"])
                self.assertEqual(activity["description"], signin_description(record))
                self.assertEqual(activity["action"], signin_action(record))
                self.assertEqual(activity["entity"], record["appId"])
                self.assertEqual(activity["entity_type"], "application")
                self.assertEqual(activity["context"], {"ip_address": record["ipAddress"], "user_agent": None,
                                                       "authentication_method": record["clientAppUsed"]})
                self.assertEqual(activity["created_at"], graph_ms(record["createdDateTime"]))
                self.assertEqual(activity["remote_data"], record)
        counts = {a: sum(1 for x in activities if x["action"] == a) for a in ("login", "login_failed")}
        self.assertEqual(counts, {"login": 24, "login_failed": 15})

    def test_login_and_login_failed_are_applied_locally_on_the_error_code(self) -> None:
        for action in ("login", "login_failed"):
            with self.subTest(action=action):
                self.emu.clear_requests()
                result = self.signins("--action", action, "--page-size", "7", "-v")
                self.assertIdsOnce(self.activities(result), signin_ids(lambda r: signin_action(r) == action))
                self.assertEqual(self.pushdown(result, "entra-signins"), (set(), {"action"}))
                requests = self.list_requests(SIGNIN_PATH)
                self.assertEqual(len(requests), -(-len(SIGNINS) // 7))  # every page is read
                self.assertEqual([self.filter_of(r) for r in requests], [None] * len(requests))

    def test_a_sign_in_without_a_user_is_anonymous(self) -> None:
        record = new_signin("7d7d7d7d-0000-4000-8000-000000000001", "2024-05-18T01:02:03.4567891Z")
        record["userId"] = None
        record["status"] = {"errorCode": 50034, "failureReason": "The user account does not exist.",
                            "additionalDetails": None}
        self.emu.add_activities("entra-signins", [record])
        result = self.run_cmd("get", "entra-signins", record["id"], "-o", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        activity = json.loads(result.stdout)
        self.assertEqual(activity["actor"], {"type": "anonymous", "user": {"id": None}})
        self.assertEqual(activity["action"], "login_failed")
        self.assertEqual(activity["created_at"], "2024-05-18T01:02:03.456Z")
        self.assertEqual(activity["description"], f"sign-in to {record['appDisplayName']}: The user account does "
                                                  "not exist.")


# --------------------------------------------------------------------------- the native request


class RequestTest(EntraCase):
    def test_a_listing_without_filters_sends_top_1000_and_no_filter(self) -> None:
        result = self.audits()
        self.assertIdsOnce(self.activities(result), AUDIT_BY_ID)
        [request] = self.list_requests()
        self.assertEqual(request["method"], "GET")
        self.assertEqual({k: v for k, v in request["params"].items() if k != "$orderby"}, {"$top": ["1000"]})
        self.assertTrue(request["headers"]["Authorization"].startswith("Bearer ey"), request["headers"])
        self.assertEqual(request["headers"].get("Accept"), "application/json")

    def test_newest_first_is_asked_for_with_orderby(self) -> None:
        # The definition relies on newest first (tail stops at the first page that brings nothing
        # new) and declares "$orderby": "activityDateTime desc"; directoryAudits' default order is
        # not documented, so the order must be asked for, not assumed.
        self.activities(self.audits("--page-size", "10"))
        for request in self.list_requests():
            self.assertEqual(request["params"].get("$orderby"), ["activityDateTime desc"], request["query"])
        self.activities(self.signins("--page-size", "10"))
        for request in self.list_requests(SIGNIN_PATH):
            self.assertEqual(request["params"].get("$orderby"), ["createdDateTime desc"], request["query"])

    def test_every_filter_reaches_graph_in_one_odata_expression(self) -> None:
        since, until = "2024-05-14T00:00:00Z", "2024-05-17T00:00:00Z"
        result = self.audits("--since", since, "--until", until, "--actor-id", SEAN, "--action", "user_updated",
                             "--page-size", "1", "-v")
        expected = audit_ids(lambda r: audit_actor(r)["user"]["id"] == SEAN and audit_action(r) == "user_updated",
                             since, until)
        self.assertEqual(len(expected), 1)
        self.assertIdsOnce(self.activities(result), expected)
        # --actor-id is applied locally: see test_the_actor_filter_finds_app_initiated_audits
        self.assertEqual(self.pushdown(result, "entra-audits"), ({"since", "until", "action"}, {"actor_id"}))
        self.assertEqual(self.filter_of(self.list_requests()[0]),
                         "activityDateTime ge 2024-05-14T00:00:00.000Z and activityDateTime le 2024-05-17T00:00:00.000Z"
                         " and activityDisplayName eq 'Update user'")

    def test_a_unified_action_of_two_native_ones_is_an_or_of_both(self) -> None:
        result = self.audits("--action", "user_deleted", "--page-size", "2")
        expected = audit_ids(lambda r: r["activityDisplayName"] in ("Delete user", "Hard Delete user"))
        self.assertEqual(len(expected), 3)
        self.assertIdsOnce(self.activities(result), expected)
        for request in self.list_requests():
            self.assertActionsOr(self.filter_of(request), "'Delete user'", "'Hard Delete user'")

    def test_a_native_action_and_a_unified_one_together(self) -> None:
        result = self.audits("--action", "Add member to group", "--action", "user_created")
        expected = audit_ids(lambda r: r["activityDisplayName"] in ("Add member to group", "Add user"))
        self.assertIdsOnce(self.activities(result), expected)
        self.assertActionsOr(self.filter_of(self.list_requests()[0]), "'Add member to group'", "'Add user'")

    def test_quotes_in_values_are_doubled(self) -> None:
        # Values with a quote (a UPN given where an id is expected, an activity name): the literals
        # are valid OData (Graph refuses an unterminated string with 400) and simply match nothing.
        result = self.signins("--actor-id", SEAN_UPN)
        self.assertEqual(self.activities(result), [])
        self.assertEqual(self.filter_of(self.list_requests(SIGNIN_PATH)[0]),
                         "userId eq 'sean.o''brien@contoso.onmicrosoft.com'")
        result = self.audits("--action", "Update user's 'photo'", "--action", "Reset password (self-service)")
        self.assertIdsOnce(self.activities(result),
                           audit_ids(lambda r: r["activityDisplayName"] == "Reset password (self-service)"))
        self.assertActionsOr(self.filter_of(self.list_requests()[0]), "'Update user''s ''photo'''",
                             "'Reset password (self-service)'")
        # A native --filter written by the user goes through as it is, AND-ed in parentheses.
        self.emu.clear_requests()
        native = "initiatedBy/user/userPrincipalName eq 'sean.o''brien@contoso.onmicrosoft.com'"
        result = self.audits("--filter", native, "--since", "2024-05-14T00:00:00Z")
        expected = audit_ids(lambda r: (r["initiatedBy"].get("user") or {}).get("userPrincipalName") == SEAN_UPN,
                             since="2024-05-14T00:00:00Z")
        self.assertEqual(len(expected), 5)
        self.assertIdsOnce(self.activities(result), expected)
        self.assertEqual(self.filter_of(self.list_requests()[0]),
                         f"activityDateTime ge 2024-05-14T00:00:00.000Z and ({native})")

    def test_sign_in_filters_use_user_id_and_app_id(self) -> None:
        app = "de8bc8b5-d9f9-48b1-a8ad-b748da725064"  # Graph Explorer
        result = self.signins("--actor-id", SEAN, "--entity", app, "--since", "2024-05-15T00:00:00Z", "-v")
        expected = signin_ids(lambda r: r["userId"] == SEAN and r["appId"] == app, since="2024-05-15T00:00:00Z")
        self.assertEqual(len(expected), 1)
        self.assertIdsOnce(self.activities(result), expected)
        self.assertEqual(self.pushdown(result, "entra-signins"), ({"since", "actor_id", "entity"}, set()))
        self.assertEqual(self.filter_of(self.list_requests(SIGNIN_PATH)[0]),
                         f"createdDateTime ge 2024-05-15T00:00:00.000Z and userId eq '{SEAN}' and appId eq '{app}'")

    def test_audit_entity_filters_are_applied_locally(self) -> None:
        group = "6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b"
        result = self.audits("--entity", group, "--entity-type", "Group", "-v")
        expected = audit_ids(lambda r: r["targetResources"][0]["id"] == group
                             and r["targetResources"][0]["type"] == "Group")
        self.assertEqual(len(expected), 3)
        self.assertIdsOnce(self.activities(result), expected)
        self.assertEqual(self.pushdown(result, "entra-audits"), (set(), {"entity", "entity_type"}))
        self.assertIsNone(self.filter_of(self.list_requests()[0]))

    def test_the_actor_filter_finds_app_initiated_audits(self) -> None:
        # An app's appId is the actor.user.id of the audits it initiated, so --actor-id with it
        # must find them; pushed down as initiatedBy/user/id it finds nothing on Graph.
        expected = audit_ids(lambda r: audit_actor(r)["user"]["id"] == CONNECT_SYNC)
        self.assertEqual(len(expected), 4)
        unfiltered = [a["id"] for a in self.activities(self.audits("--no-remote-data"))
                      if a["actor"]["user"]["id"] == CONNECT_SYNC]
        self.assertEqual(sorted(unfiltered), expected)
        self.assertIdsOnce(self.activities(self.audits("--actor-id", CONNECT_SYNC)), expected)
        # and a user's id still finds that user's audits
        self.assertIdsOnce(self.activities(self.audits("--actor-id", SEAN)),
                           audit_ids(lambda r: audit_actor(r)["user"]["id"] == SEAN))

    def test_the_next_link_is_followed_verbatim(self) -> None:
        result = self.audits("--page-size", "4", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertIdsOnce(self.activities(result), AUDIT_BY_ID)
        requests = self.list_requests()
        self.assertEqual(len(requests), -(-len(AUDITS) // 4))
        # Ask each page again (with the static token) and compare its @odata.nextLink with the
        # request auditfetch sent next: same path, same query, byte for byte.
        for sent, following in zip(requests, requests[1:] + [None]):
            reply = http(f"{self.emu.url}{sent['path']}?{sent['query']}", headers={"Authorization": f"Bearer {TOKEN}"})
            self.assertEqual(reply.status, 200)
            link = reply.json().get("@odata.nextLink")
            if following is None:
                self.assertIsNone(link)
                continue
            parts = urlsplit(link)
            self.assertEqual((parts.path, parts.query), (following["path"], following["query"]))
            self.assertIn("$skiptoken", following["params"])
            self.assertEqual(following["params"]["$top"], ["4"])
        self.assertEqual(self.token_requests(), [])  # the static token, no client credentials

    def test_verbose_shows_the_requests_without_secrets(self) -> None:
        result = self.audits("--limit", "1", "-v")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = [re.sub(r"\(\d+ ms\)$", "(N ms)", line) for line in result.stderr.splitlines()]
        self.assertEqual(lines, ["auditfetch: entra-audits: filters pushed down: none; applied locally: none",
                                 f"auditfetch: POST {self.emu.url}{TOKEN_PATH}: 200 (N ms)",
                                 f"auditfetch: GET {self.emu.url}{AUDIT_PATH}?%24top=1&%24orderby=activityDateTime%20desc: 200 (N ms)",
                                 "auditfetch: limit of 1 reached"])  # --limit 1 asks for one record


# --------------------------------------------------------------------------- paging and time


class PagingTest(EntraCase):
    TIE = "2024-05-14T10:01:19.579Z"  # five audits in this millisecond: .579, .5791, .5796748 (three)

    def test_ties_within_one_millisecond_cross_page_boundaries_once(self) -> None:
        tied = audit_ids(lambda r: graph_ms(audit_time(r)) == self.TIE)
        self.assertEqual(len(tied), 5)
        self.assertEqual(len({audit_time(AUDIT_BY_ID[i]) for i in tied}), 3)
        for page in (1, 2, 3):
            with self.subTest(page_size=page):
                self.emu.clear_requests()
                result = self.audits("--since", self.TIE, "--until", "2024-05-14T10:01:19.580Z",
                                     "--page-size", str(page))
                activities = self.activities(result)
                self.assertIdsOnce(activities, tied)
                self.assertEqual({a["created_at"] for a in activities}, {self.TIE})
                self.assertEqual(len(self.list_requests()), -(-5 // page))

    def test_sign_in_ties_with_seven_four_and_three_digit_fractions(self) -> None:
        tie = "2024-05-14T08:00:00.123Z"
        tied = signin_ids(lambda r: graph_ms(signin_time(r)) == tie)
        self.assertEqual({signin_time(SIGNIN_BY_ID[i]) for i in tied},
                         {"2024-05-14T08:00:00.1234567Z", "2024-05-14T08:00:00.123Z", "2024-05-14T08:00:00.1234Z"})
        result = self.signins("--since", tie, "--until", "2024-05-14T08:00:00.124Z", "--page-size", "2")
        self.assertIdsOnce(self.activities(result), tied)
        self.assertEqual(len(self.list_requests(SIGNIN_PATH)), 3)

    def test_a_full_listing_in_small_pages_is_newest_first_and_complete(self) -> None:
        for provider, records, time_of in (("entra-audits", AUDITS, audit_time), ("entra-signins", SIGNINS, signin_time)):
            with self.subTest(provider=provider):
                self.emu.clear_requests()
                result = self.run_cmd("list", provider, "--page-size", "3")
                activities = self.activities(result)
                self.assertIdsOnce(activities, [r["id"] for r in records])
                by_id = {r["id"]: r for r in records}
                keys = [graph_key(time_of(by_id[a["id"]])) for a in activities]
                self.assertEqual(keys, sorted(keys, reverse=True))  # as Graph serves them
                self.assertEqual(len(self.list_requests(PATHS[provider])), -(-len(records) // 3))
                self.assertEqual(len(self.token_requests()), 1)  # one token for every page

    def test_records_published_while_paging(self) -> None:
        # Page 2 is slow; meanwhile Graph gets a newer audit (behind the listing's keyset: not in
        # this run) and a late one older than everything (ahead of it: in this run).
        self.emu.faults({"path": "directoryAudits$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 1000})
        outcome: list[Any] = []
        runner = threading.Thread(target=lambda: outcome.append(self.audits("--page-size", "10")))
        runner.start()
        deadline = time.monotonic() + WAIT
        while len(self.list_requests()) < 2 and runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        newer = new_audit("Directory_newer-than-everything", "2024-05-20T00:00:00.1234567Z")
        late = new_audit("Directory_late-and-older", "2024-05-12T00:00:00.7654321Z")
        self.emu.add_activities("entra-audits", [newer, late])
        runner.join(60)
        self.assertFalse(runner.is_alive())
        self.assertIdsOnce(self.activities(outcome[0]), [*AUDIT_BY_ID, late["id"]])

    def test_limit_stops_before_the_next_page(self) -> None:
        result = self.signins("--limit", "3", "--page-size", "3")
        newest = sorted(SIGNINS, key=lambda r: graph_key(signin_time(r)), reverse=True)[:3]
        self.assertEqual([a["id"] for a in self.activities(result)], [r["id"] for r in newest])
        self.assertEqual(len(self.list_requests(SIGNIN_PATH)), 1)


class TimeTest(EntraCase):
    def test_created_at_truncates_seven_digit_fractions_to_milliseconds(self) -> None:
        cases = {"2024-05-13T22:59:59.9999999Z": "2024-05-13T22:59:59.999Z",  # never rounded up
                 "2024-05-13T08:15:42.9001Z": "2024-05-13T08:15:42.900Z",
                 "2024-05-13T09:40:00Z": "2024-05-13T09:40:00.000Z",
                 "2024-05-14T19:09:33.8Z": "2024-05-14T19:09:33.800Z",
                 "2024-05-15T08:00:00.0000000Z": "2024-05-15T08:00:00.000Z"}
        activities = self.activities(self.audits("--no-remote-data"))
        got = {audit_time(AUDIT_BY_ID[a["id"]]): a["created_at"] for a in activities}
        self.assertEqual({t: got[t] for t in cases}, cases)
        late = self.activities(self.signins("--since", "2024-05-17T23:59:00Z"))
        self.assertEqual([(a["id"], a["created_at"]) for a in late],
                         [("afc2c096-7e33-47b5-9333-c9798f0b05de", "2024-05-17T23:59:00.000Z")])  # .0000009

    def test_since_is_inclusive_and_until_exclusive_though_le_is_sent(self) -> None:
        midnight = "2024-05-16T00:00:00Z"  # Hard Delete user at 00:00:00Z, Restore user 100 ns later
        at_midnight = audit_ids(lambda r: audit_time(r) == midnight)
        self.assertEqual(len(at_midnight), 1)
        before = self.audits("--since", "2024-05-15T00:00:00Z", "--until", midnight)
        expected = audit_ids(since="2024-05-15T00:00:00Z", until=midnight)
        self.assertIn(next(r["id"] for r in AUDITS if audit_time(r) == "2024-05-15T23:59:59.9999999Z"), expected)
        self.assertNotIn(at_midnight[0], expected)
        self.assertIdsOnce(self.activities(before), expected)
        self.assertEqual(self.filter_of(self.list_requests()[0]),
                         "activityDateTime ge 2024-05-15T00:00:00.000Z and activityDateTime le 2024-05-16T00:00:00.000Z")
        after = self.activities(self.audits("--since", midnight, "--until", "2024-05-16T00:00:00.001Z"))
        self.assertIdsOnce(after, audit_ids(lambda r: audit_time(r).startswith("2024-05-16T00:00:00")))
        self.assertEqual(len(after), 2)

    def test_bounds_inside_a_tied_millisecond(self) -> None:
        tie = "2024-05-14T10:01:19.579Z"
        tied = set(audit_ids(lambda r: graph_ms(audit_time(r)) == tie))
        # until the tied millisecond: none of the five (Graph's le keeps .579 itself; trimmed here)
        up_to = self.activities(self.audits("--since", "2024-05-14T10:00:00Z", "--until", tie))
        self.assertEqual({a["id"] for a in up_to} & tied, set())
        self.assertIdsOnce(up_to, audit_ids(since="2024-05-14T10:00:00Z", until=tie))
        # from the tied millisecond: all five, also those 100 ns and 679.6748 µs into it
        from_it = self.activities(self.audits("--since", tie, "--until", "2024-05-14T11:00:00Z"))
        self.assertIdsOnce(from_it, sorted(tied))

    def test_a_time_given_with_more_digits_is_sent_in_milliseconds(self) -> None:
        result = self.signins("--since", "2024-05-13T12:00:00+02:00", "--until", "2024-05-13T12:00:01.000Z")
        self.assertIdsOnce(self.activities(result), signin_ids(since="2024-05-13T10:00:00Z",
                                                               until="2024-05-13T12:00:01Z"))
        self.assertEqual(self.filter_of(self.list_requests(SIGNIN_PATH)[0]),
                         "createdDateTime ge 2024-05-13T10:00:00.000Z and createdDateTime le 2024-05-13T12:00:01.000Z")


# --------------------------------------------------------------------------- tokens


class TokenTest(EntraCase):
    def test_the_token_request_is_client_credentials_for_graph(self) -> None:
        result = self.audits("--limit", "1")
        self.assertEqual(len(self.activities(result)), 1)
        [request] = self.token_requests()
        self.assertEqual((request["method"], request["path"]), ("POST", TOKEN_PATH))
        self.assertEqual(request["headers"].get("Content-Type"), "application/x-www-form-urlencoded")
        self.assertNotIn("Authorization", request["headers"])  # client_auth post: id and secret in the body
        pairs = parse_qsl(request["body"], keep_blank_values=True, strict_parsing=True)
        self.assertEqual(sorted(pairs), sorted([("grant_type", "client_credentials"), ("client_id", CLIENT_ID),
                                                ("client_secret", CLIENT_SECRET), ("scope", ENTRA_SCOPE)]))
        self.assertIn("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default", request["body"].split("&"))

    def test_the_token_is_cached_across_pages_and_sent_as_bearer(self) -> None:
        result = self.audits("--page-size", "5")
        self.assertIdsOnce(self.activities(result), AUDIT_BY_ID)
        self.assertEqual(len(self.token_requests()), 1)
        headers = {r["headers"].get("Authorization") for r in self.list_requests()}
        self.assertEqual(len(self.list_requests()), -(-len(AUDITS) // 5))
        self.assertEqual(len(headers), 1)
        self.assertRegex(headers.pop(), r"^Bearer [\w-]+\.[\w-]+\.[\w-]+$")

    def test_a_token_expired_mid_listing_is_renewed_once(self) -> None:
        # Graph expires the token before page 3: "Lifetime validation failed, the token is expired."
        self.emu.faults({"path": "directoryAudits$", "kind": "expire_tokens", "skip": 2, "times": 1})
        result = self.audits("--page-size", "5")
        self.assertIdsOnce(self.activities(result), AUDIT_BY_ID)
        self.assertEqual(len(self.token_requests()), 2)
        auth = [r["headers"]["Authorization"] for r in self.list_requests()]
        self.assertEqual(len(auth), -(-len(AUDITS) // 5) + 1)  # page 3 twice
        self.assertEqual(len(set(auth[:3])), 1)
        self.assertNotEqual(auth[2], auth[3])
        self.assertEqual(len(set(auth[3:])), 1)
        third, again = self.list_requests()[2:4]
        self.assertEqual(third["query"], again["query"])

    def test_a_token_refused_again_after_renewal_exits_3(self) -> None:
        self.emu.faults({"path": "directoryAudits$", "kind": "expire_tokens", "times": -1})
        result = self.audits()
        self.assertOneErrorLine(result, 3, "authentication refused (401): InvalidAuthenticationToken: Lifetime "
                                           "validation failed, the token is expired.")
        self.assertIn("AZURE_CLIENT_ID/AZURE_CLIENT_SECRET", self.errorLine(result))
        self.assertEqual(len(self.token_requests()), 2)
        self.assertEqual(len(self.list_requests()), 2)
        self.assertNotIn(CLIENT_SECRET, result.stderr)
        self.assertEqual(result.stdout, "")

    def test_a_wrong_secret_shows_the_aadsts_error_without_the_secret(self) -> None:
        result = self.audits(env={"AZURE_CLIENT_SECRET": "wr0ng-Secret~value"}, )
        self.assertOneErrorLine(result, 3, f"entra-audits: page 1: token request to {self.emu.url}{TOKEN_PATH}: "
                                           "refused (401): invalid_client: AADSTS7000215: Invalid client secret "
                                           "provided.")
        self.assertTrue(self.errorLine(result).endswith(
            "(check the client id and secret in AZURE_CLIENT_ID/AZURE_CLIENT_SECRET)"), self.errorLine(result))
        self.assertNotIn("wr0ng-Secret~value", result.stderr)
        self.assertEqual(self.list_requests(), [])
        self.assertEqual(result.stdout, "")

    def test_an_unknown_application_shows_aadsts700016(self) -> None:
        result = self.signins(env={"AZURE_CLIENT_ID": "00000000-1111-2222-3333-444444444444"})
        self.assertOneErrorLine(result, 3, "refused (400): unauthorized_client: AADSTS700016: Application with "
                                           "identifier '00000000-1111-2222-3333-444444444444' was not found in the "
                                           "directory 'Contoso'.")
        self.assertNotIn(CLIENT_SECRET, result.stderr)
        self.assertEqual(self.list_requests(SIGNIN_PATH), [])

    def test_an_unknown_tenant_shows_aadsts90002(self) -> None:
        other = "0b0b0b0b-1c1c-4d4d-8e8e-9f9f9f9f9f9f"
        result = self.audits(tenant=other, token_tenant=other)
        self.assertOneErrorLine(result, 3, f"refused (400): invalid_request: AADSTS90002: Tenant '{other}' not found.")
        self.assertEqual([r["path"] for r in self.token_requests()], [f"/{other}/oauth2/v2.0/token"])

    def test_the_tenant_domain_works_and_is_the_organization(self) -> None:
        result = self.audits("--limit", "2", tenant=ENTRA_TENANT_DOMAIN, token_tenant=ENTRA_TENANT_DOMAIN)
        self.assertEqual([a["organization"] for a in self.activities(result)], [ENTRA_TENANT_DOMAIN] * 2)

    def test_a_token_endpoint_that_is_briefly_unavailable_is_retried(self) -> None:
        self.emu.faults({"path": "/oauth2/v2.0/token$", "kind": "status", "status": 503, "times": 1})
        result = self.audits("--limit", "1")
        self.assertEqual(len(self.activities(result)), 1)
        self.assertEqual(len(self.token_requests()), 2)
        self.assertIn("auditfetch: warning: HTTP 503; retrying in", result.stderr)

    def test_a_static_token_is_sent_as_it_is(self) -> None:
        result = self.signins("--limit", "1", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(len(self.activities(result)), 1)
        self.assertEqual([r["headers"]["Authorization"] for r in self.list_requests(SIGNIN_PATH)], [f"Bearer {TOKEN}"])
        self.assertEqual(self.token_requests(), [])

    def test_a_refused_static_token_exits_3_without_the_token(self) -> None:
        result = self.audits(env={"AUDITFETCH_TOKEN": "opaque-not-a-jwt"})
        self.assertOneErrorLine(result, 3, "authentication refused (401): InvalidAuthenticationToken: IDX14100: JWT "
                                           "is not well formed")
        self.assertIn("AUDITFETCH_TOKEN", self.errorLine(result))
        self.assertNotIn("opaque-not-a-jwt", result.stderr)

    def test_auditfetch_client_variables_work_too(self) -> None:
        result = self.audits("--limit", "1", env={"AZURE_CLIENT_ID": None, "AZURE_CLIENT_SECRET": None,
                                                  "AUDITFETCH_CLIENT_ID": CLIENT_ID,
                                                  "AUDITFETCH_CLIENT_SECRET": CLIENT_SECRET})
        self.assertEqual(len(self.activities(result)), 1)
        self.assertEqual(len(self.token_requests()), 1)

    def test_missing_credentials_and_tenant_exit_2_before_any_request(self) -> None:
        result = self.audits(env={"AZURE_CLIENT_ID": None, "AZURE_CLIENT_SECRET": None})
        self.assertOneErrorLine(result, 2, "entra-audits: no credentials")
        self.assertIn("AZURE_CLIENT_ID", self.errorLine(result))
        result = self.signins(tenant=None)
        self.assertOneErrorLine(result, 2, "--tenant-id is required")
        self.assertIn("AZURE_TENANT_ID", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])
        result = self.signins("--limit", "1", tenant=None, env={"AZURE_TENANT_ID": TENANT})
        self.assertEqual([a["organization"] for a in self.activities(result)], [TENANT])


class SecretEncodingTest(EntraCase):
    """Entra secrets hold ~ . _ - and may hold other characters: form-encoded, they arrive intact."""

    SECRET = "Qx8~a.b_c-d+e/f=g&h%i j"
    emulator_args = ("--client-secret", SECRET)

    def test_a_secret_with_form_special_characters_arrives_intact(self) -> None:
        result = self.audits("--limit", "1", env={"AZURE_CLIENT_SECRET": self.SECRET})
        self.assertEqual(len(self.activities(result)), 1)
        [request] = self.token_requests()
        self.assertIn(("client_secret", self.SECRET), parse_qsl(request["body"], strict_parsing=True))
        self.assertNotIn(self.SECRET, result.stderr)


# --------------------------------------------------------------------------- errors


class ErrorTest(EntraCase):
    def test_get_reads_one_audit_and_one_sign_in_by_id(self) -> None:
        for provider, record, path in (("entra-audits", AUDITS[14], AUDIT_PATH),
                                       ("entra-signins", SIGNINS[12], SIGNIN_PATH)):
            with self.subTest(provider=provider):
                self.emu.clear_requests()
                result = self.run_cmd("get", provider, record["id"], "-o", "json")
                self.assertEqual(result.returncode, 0, result.stderr)
                activity = json.loads(result.stdout)
                self.assertEqual(activity["id"], record["id"])
                # the entity as Graph returns it: the record and its "@odata.context" annotation
                self.assertEqual({k: v for k, v in activity["remote_data"].items() if k != "@odata.context"}, record)
                self.assertEqual(activity["created_at"], graph_ms(record.get("activityDateTime")
                                                                  or record.get("createdDateTime")))
                self.assertEqual([r["path"] for r in self.emu.requests(path)], [f"{path}/{record['id']}"])
        self.assertEqual(json.loads(self.run_cmd("get", "entra-audits", AUDITS[14]["id"], "-o", "json").stdout)
                         ["description"], "GroupLifecyclePolicies_Get: OK")

    def test_get_of_an_unknown_id_exits_4_with_graphs_message(self) -> None:
        for provider in ("entra-audits", "entra-signins"):
            with self.subTest(provider=provider):
                result = self.run_cmd("get", provider, "Directory_0000")
                self.assertOneErrorLine(result, 4, f"{provider}: get Directory_0000: no such activity "
                                                   "(Request_ResourceNotFound: Resource 'Directory_0000' does not "
                                                   "exist or one of its queried reference-property objects are not "
                                                   "present.)")
                self.assertEqual(result.stdout, "")

    def test_a_filter_graph_rejects_exits_2_with_code_and_message(self) -> None:
        cases = [("foo eq 'x'", "(400): BadRequest: Invalid filter clause: Could not find a property named 'foo' "
                                "on type 'microsoft.graph.directoryAudit'."),
                 ("result gt 'x'", "(400): Request_UnsupportedQuery: Unsupported or invalid query filter clause "
                                   "specified for property 'result' of resource 'directoryAudit'.")]
        for expression, text in cases:
            with self.subTest(expression=expression):
                result = self.audits("--filter", expression)
                self.assertOneErrorLine(result, 2, f"entra-audits: page 1: the API rejected the request {text}")

    def test_missing_permission_exits_3_with_authorization_request_denied(self) -> None:
        self.emu.faults({"path": "signIns$", "kind": "status", "status": 403})
        result = self.signins()
        self.assertOneErrorLine(result, 3, "entra-signins: page 1: access refused (403): Authorization_RequestDenied: "
                                           "Insufficient privileges to complete the operation.")
        self.assertEqual(result.stdout, "")

    def test_an_error_on_page_2_reports_graphs_code_and_keeps_page_1(self) -> None:
        self.emu.faults({"path": "directoryAudits$", "kind": "status", "status": 400, "skip": 1,
                         "body": {"error": {"code": "Request_BadRequest", "message": "Invalid $skiptoken value.",
                                            "innerError": {"request-id": "r-1"}}}})
        result = self.audits("--page-size", "5", "-o", "json")
        self.assertOneErrorLine(result, 2, "entra-audits: page 2: the API rejected the request (400): "
                                           "Request_BadRequest: Invalid $skiptoken value.")
        self.assertEqual(len(json.loads(result.stdout)), 5)

    def test_429_with_retry_after_is_waited_for(self) -> None:
        self.emu.faults({"path": "directoryAudits$", "kind": "status", "status": 429, "skip": 1,
                         "headers": {"Retry-After": "2"}})
        started = time.monotonic()
        result = self.audits("--page-size", "20")
        self.assertIdsOnce(self.activities(result), AUDIT_BY_ID)
        self.assertGreaterEqual(time.monotonic() - started, 2.0)
        self.assertIn("auditfetch: warning: HTTP 429; retrying in 2.0 s (1 of 3)", result.stderr)
        second, again = self.list_requests()[1:3]
        self.assertEqual(second["query"], again["query"])

    def test_429_without_retry_after_backs_off_then_gives_up_with_graphs_code(self) -> None:
        self.emu.faults({"path": "signIns$", "kind": "status", "status": 429, "times": -1,
                         "headers": {"Retry-After": None}})
        result = self.signins("--retries", "2")
        self.assertOneErrorLine(result, 1, "entra-signins: page 1: HTTP 429: TooManyRequests: Too many requests. "
                                           "Please try again later.")
        self.assertEqual(len(self.list_requests(SIGNIN_PATH)), 3)
        self.assertEqual(len(re.findall(r"HTTP 429; retrying in \d+ ms", result.stderr)), 2)

    def test_a_page_size_beyond_1000_is_refused_before_any_request(self) -> None:
        result = self.audits("--page-size", "1001")
        self.assertOneErrorLine(result, 2, "--page-size 1001 is out of range for entra-audits (use 1 to 1000)")
        self.assertEqual(self.emu.requests(), [])

    def test_a_next_link_to_another_origin_is_refused(self) -> None:
        body = {"@odata.context": "x", "value": [AUDITS[0]],
                "@odata.nextLink": "http://graph.example.invalid/v1.0/auditLogs/directoryAudits?$skiptoken=x"}
        self.emu.faults({"path": "directoryAudits$", "kind": "status", "status": 200, "body": body})
        result = self.audits()
        self.assertOneErrorLine(result, 1, "entra-audits: page 1: refusing the next link to "
                                           f"http://graph.example.invalid: not the API's origin {self.emu.url}")
        self.assertEqual(len(self.list_requests()), 1)


# --------------------------------------------------------------------------- output


class OutputTest(EntraCase):
    WINDOW = ("--since", "2024-05-14T08:00:00.123Z", "--until", "2024-05-14T08:00:00.124Z")  # five sign-ins

    def test_json_is_one_array(self) -> None:
        expected = signin_ids(since=self.WINDOW[1], until=self.WINDOW[3])
        document = self.assertJsonOutput(self.signins(*self.WINDOW, "-o", "json"), expected)
        self.assertEqual([a["remote_data"] for a in document], [SIGNIN_BY_ID[a["id"]] for a in document])
        self.assertEqual(self.signins("--since", "2030-01-01T00:00:00Z", "-o", "json").stdout.strip(), "[]")

    def test_csv_with_fields(self) -> None:
        fields = ["id", "actor.user.id", "description", "action", "entity", "context.ip_address",
                  "context.authentication_method", "created_at"]  # schema order
        expected = signin_ids(since=self.WINDOW[1], until=self.WINDOW[3])
        rows = self.assertCsvOutput(self.signins(*self.WINDOW, "-o", "csv", "--fields", ",".join(fields)),
                                    fields, expected)
        reordered = self.signins(*self.WINDOW, "-o", "csv", "--fields", ",".join(reversed(fields)))
        self.assertEqual(csv_rows(reordered.stdout), [row[::-1] for row in rows])  # in the order given
        for row in rows[1:]:
            r = SIGNIN_BY_ID[row[0]]
            self.assertEqual(row, [r["id"], r["userId"], signin_description(r), signin_action(r), r["appId"],
                                   r["ipAddress"], r["clientAppUsed"], "2024-05-14T08:00:00.123Z"])

    def test_ndjson_with_fields_keeps_only_those(self) -> None:
        result = self.audits("--since", "2024-05-17T00:00:00Z", "--fields", "id,created_at,action", "-o", "ndjson")
        expected = sorted(((r["id"], graph_ms(audit_time(r)), audit_action(r)) for r in AUDITS
                           if in_window(audit_time(r), "2024-05-17T00:00:00Z")), key=lambda t: t[1], reverse=True)
        self.assertEqual([(a["id"], a["created_at"], a["action"]) for a in self.activities(result)], expected)
        self.assertEqual({tuple(a) for a in self.activities(result)}, {("id", "created_at", "action")})  # as given

    def test_table_shows_time_action_actor_entity_ip_description(self) -> None:
        result = self.audits("--since", "2024-05-15T17:00:00Z", "--until", "2024-05-16T00:00:00.001Z", "-o", "table",
                             env={"COLUMNS": "250"})
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["TIME", "ID", "ACTION", "ACTOR", "ENTITY", "IP", "DESCRIPTION"])
        expected = sorted((r for r in AUDITS if in_window(audit_time(r), "2024-05-15T17:00:00Z",
                                                          "2024-05-16T00:00:00.001Z")),
                          key=lambda r: graph_key(audit_time(r)), reverse=True)
        self.assertEqual(len(lines), len(expected) + 1)
        for line, r in zip(lines[1:], expected):
            with self.subTest(r["id"]):
                self.assertTrue(line.startswith(graph_ms(audit_time(r)) + "  "), line)
                self.assertEqual(line.split()[1], r["id"])
                self.assertEqual(line.split()[2], audit_action(r).split()[0])
                ip = (r["initiatedBy"].get("user") or {}).get("ipAddress")
                if ip:
                    self.assertIn(ip, line)
        # Hard Delete user, by an app without an appId: its service principal is the actor
        self.assertIn("2f1e0d9c-8b7a-4", lines[2])
        self.assertNotIn("\x1b", result.stdout)


# --------------------------------------------------------------------------- state and tail


class StateTest(EntraCase):
    def test_list_with_state_goes_on_from_the_newest_audit(self) -> None:
        since = "2024-05-17T00:00:00Z"
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "audits.json"
            first = self.audits("--since", since, "--state", str(state), "--page-size", "2")
            self.assertIdsOnce(self.activities(first), audit_ids(since=since))
            saved = json.loads(state.read_text())
            newest = max((r for r in AUDITS if in_window(audit_time(r), since)), key=lambda r: graph_key(audit_time(r)))
            self.assertEqual((saved["provider"], saved["account"], saved["high_water"]),
                             ("entra-audits", {"tenant-id": TENANT}, graph_ms(audit_time(newest))))
            # Two more in the newest audit's millisecond, one just after it.
            tied = new_audit("Directory_tied-with-the-newest", audit_time(newest)[:23] + "9999Z")
            later = new_audit("Directory_a-little-later", "2024-05-17T23:00:00.3150001Z")
            self.emu.add_activities("entra-audits", [tied, later])
            self.emu.clear_requests()
            second = self.audits("--since", "2024-05-01T00:00:00Z", "--state", str(state), "--page-size", "2")
            self.assertIdsOnce(self.activities(second), [tied["id"], later["id"]])
            self.assertEqual(self.filter_of(self.list_requests()[0]), "activityDateTime ge 2024-05-17T22:55:00.314Z")
            third = self.audits("--state", str(state))
            self.assertEqual(self.activities(third), [])

    def test_each_stream_needs_its_own_state_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "entra.json"
            self.activities(self.audits("--since", "2024-05-17T00:00:00Z", "--state", str(state)))
            before = state.read_text()
            self.emu.clear_requests()
            result = self.signins("--state", str(state))
            self.assertOneErrorLine(result, 2, "belongs to provider entra-audits, not entra-signins")
            self.assertEqual(state.read_text(), before)
            self.assertEqual(self.list_requests(SIGNIN_PATH), [])


class TailTest(EntraCase):
    def tail(self, *args: str) -> TailProcess:
        process = TailProcess(["tail", "-p", "entra-audits", *self.settings(), "--interval", "1s", "-o", "ndjson",
                               *args], env=OAUTH)
        self.addCleanup(process.stop)
        return process

    def test_tail_polls_newest_first_and_prints_each_poll_oldest_first(self) -> None:
        since = "2024-05-17T00:00:00Z"
        existing = sorted((r for r in AUDITS if in_window(audit_time(r), since)),
                          key=lambda r: graph_key(audit_time(r)))
        process = self.tail("--since", since, "--page-size", "2")
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= len(existing), WAIT), process.describe())
        self.assertEqual(process.ids(), [r["id"] for r in existing])
        self.assertEqual(len(self.token_requests()), 1)
        # An hour later the token has expired; four new audits: two in one millisecond (the one
        # with the smaller id 100 ns later), and two older ones.
        self.emu.clear_requests()
        self.emu.expire_tokens()
        self.emu.add_activities("entra-audits", [
            new_audit("Directory_tail-b", "2024-05-18T01:00:00.1234567Z"),
            new_audit("Directory_tail-a", "2024-05-18T01:00:00.1234568Z"),
            new_audit("Directory_tail-c", "2024-05-18T00:58:00Z"),
            new_audit("Directory_tail-0", "2024-05-18T00:30:00.5Z")])
        want = len(existing) + 4
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= want, WAIT), process.describe())
        self.assertEqual(len(self.token_requests()), 1)  # renewed once, after Graph's 401
        self.emu.clear_requests()
        process.wait_for(lambda: False, 2.5)  # two idle polls
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(WAIT), 0, process.describe())
        activities = process.activities()
        self.assertEqual([(a["id"], a["created_at"]) for a in activities[len(existing):]],
                         [("Directory_tail-0", "2024-05-18T00:30:00.500Z"),
                          ("Directory_tail-c", "2024-05-18T00:58:00.000Z"),
                          ("Directory_tail-a", "2024-05-18T01:00:00.123Z"),  # by created_at, then id
                          ("Directory_tail-b", "2024-05-18T01:00:00.123Z")])
        self.assertEqual(len(activities), want)
        # An idle poll is one request from the newest time printed minus the overlap (5m): its
        # first page (tail-a, tail-b) brings nothing new, so its next link (to tail-c) is not followed.
        idle = self.list_requests()
        self.assertGreaterEqual(len(idle), 2)
        for request in idle:
            self.assertEqual(self.filter_of(request), "activityDateTime ge 2024-05-18T00:55:00.123Z")
            self.assertNotIn("$skiptoken", request["params"])
        self.assertEqual(self.token_requests(), [])


if __name__ == "__main__":
    unittest.main()
