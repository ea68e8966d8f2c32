"""End to end: the real auditfetch binary against the 1Password Events API emulator
(tests/emulator/onepassword.py), for its three streams: 1password-audit (audit events),
1password-signins (sign-in attempts) and 1password-item-usages (item usages).

1Password serves each stream as one POST endpoint with a JSON body (PROVIDERS-DIRECT.md, section 8):
- the first request carries a ResetCursor: `limit` (1..1000, a number), `start_time`, `end_time`;
- every later one carries only `{"cursor": "<the previous response's cursor>"}`;
- a response is `{"cursor", "has_more", "items"}`; the cursor always comes back, and `has_more`
  false ends a listing. The cursor is also a persistent checkpoint: a later request with it gets
  exactly what was stored since, including events ingested late with an older `timestamp`.
- timestamps carry up to nine fraction digits (or none); created_at keeps milliseconds.
- `Authorization: Bearer <token>`; a token whose integration lacks the stream's feature is 401;
  errors are `{"Error":{"Message":"<reason>"}}`; there is no endpoint for one event.
The host depends on the account's region: events.1password.com, events.ent.1password.com,
events.1password.ca, events.1password.eu.

Expected values come from the fixtures (tests/fixtures/1password-*/activities.json) and the
definitions' documented mapping, never from auditfetch's own output.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Callable

from harness import (ONEPASSWORD_ACCOUNT_UUID, ONEPASSWORD_ADMIN_UUID, ONEPASSWORD_SIGNINS_TOKEN, REPO, TOKEN,
                     auditfetch_bin, fixture_records, http, run_auditfetch)
from provider_case import ProviderCase, csv_rows, format_ms, ms, ndjson, parse_time, table_cells, table_lines, csv_text
from test_tail import TailProcess

AUDIT, SIGNINS, USAGES = "1password-audit", "1password-signins", "1password-item-usages"
STREAMS = (AUDIT, SIGNINS, USAGES)
PATHS = {AUDIT: "/api/v2/auditevents", SIGNINS: "/api/v2/signinattempts", USAGES: "/api/v2/itemusages"}
RECORDS = {name: fixture_records(name) for name in STREAMS}
BY_ID = {r["uuid"]: r for name in STREAMS for r in RECORDS[name]}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
ENV = {"OP_EVENTS_TOKEN": TOKEN}
BEARER = f"Bearer {TOKEN}"
MS = 1_000_000
MINUTE = 60 * 1_000_000_000
DAY = 24 * 60 * MINUTE
OVERLAP_NS = 5 * MINUTE  # --overlap's default

# The audit definition's action table, first match wins: (native action, object type) →
# unified for users and invites, then native action → unified for any other object.
AUDIT_OBJECT_ACTIONS = {("create", "invite"): "user_invited", ("create", "user"): "user_created",
                        ("join", "user"): "user_joined", ("update", "user"): "user_updated",
                        ("reactive", "user"): "user_updated", ("suspend", "user"): "user_deactivated",
                        ("delete", "user"): "user_deleted"}
AUDIT_ACTIONS = {"create": "create", "update": "updated", "delete": "destroy", "export": "exported"}
USAGE_ACTIONS = {"export": "exported"}  # the item-usage table; fill, reveal, ... keep their name
SIGNIN_SUCCESS = {"success", "firewall_reported_success"}  # every other category is login_failed


def at(record: Any, *path: str) -> Any:
    for key in path:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def served(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ingestion as 1Password serves it: oldest first by (timestamp, uuid)."""
    return sorted(records, key=lambda r: (parse_time(r["timestamp"]), r["uuid"]))


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["uuid"] for r in records]


def filled(*values: Any) -> bool:
    """A template fills only when each of its placeholders has a value, neither null nor ""."""
    return all(v is not None and v != "" for v in values)


def user_agent(client: dict[str, Any] | None) -> str | None:
    """The definitions' template: app/version (os version; platform), else app/version."""
    c = client or {}
    if filled(*(c.get(k) for k in ("app_name", "app_version", "os_name", "os_version", "platform_name"))):
        return f"{c['app_name']}/{c['app_version']} ({c['os_name']} {c['os_version']}; {c['platform_name']})"
    if filled(c.get("app_name"), c.get("app_version")):
        return f"{c['app_name']}/{c['app_version']}"
    return None


def audit_action(r: dict[str, Any]) -> str:
    key = (r["action"], r.get("object_type"))
    if key in AUDIT_OBJECT_ACTIONS:
        return AUDIT_OBJECT_ACTIONS[key]
    return AUDIT_ACTIONS.get(r["action"], r["action"])


def audit_actor_type(r: dict[str, Any]) -> str:
    if r.get("actor_type") is not None:  # v2: user, or another kind of actor
        return "user" if r["actor_type"] == "user" else "system"
    return "user" if filled(r.get("actor_uuid")) else "system"  # v1 shape: an actor uuid is a user


def audit_description(r: dict[str, Any]) -> str | None:
    action, kind, email, aux = r.get("action"), r.get("object_type"), at(r, "actor_details", "email"), r.get("aux_info")
    if filled(action, kind, email, aux):
        return f"{action} {kind} by {email}: {aux}"
    if filled(action, kind, email):
        return f"{action} {kind} by {email}"
    return f"{action} {kind}" if filled(action, kind) else None


def expected_audit(r: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    return {
        "id": r["uuid"],
        "actor": {"type": audit_actor_type(r), "user": {"id": r.get("actor_uuid")}},
        "organization": r.get("account_uuid"),
        "group": None,
        "description": audit_description(r),
        "action": audit_action(r),
        "entity": r.get("object_uuid"),
        "entity_type": r.get("object_type"),
        "context": {"ip_address": at(r, "session", "ip"), "user_agent": None, "authentication_method": None},
        "created_at": ms(r["timestamp"]),
        "remote_data": r if remote_data else None,
        "provider": AUDIT,
    }


def signin_description(r: dict[str, Any]) -> str | None:
    category, kind = r.get("category"), r.get("type")
    email, app = at(r, "target_user", "email"), at(r, "client", "app_name")
    if not filled(category, kind):
        return None
    head = f"{category} ({kind})"
    if filled(email, app):
        return f"{head} for {email} from {app}"
    return f"{head} for {email}" if filled(email) else head


def expected_signin(r: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    user = at(r, "target_user", "uuid")
    return {
        "id": r["uuid"],
        "actor": {"type": "user" if filled(user) else "anonymous", "user": {"id": user}},
        "organization": r.get("account_uuid"),
        "group": None,
        "description": signin_description(r),
        "action": "login" if r["category"] in SIGNIN_SUCCESS else "login_failed",
        "entity": user,
        "entity_type": "user" if filled(user) else None,
        "context": {"ip_address": at(r, "client", "ip_address"), "user_agent": user_agent(r.get("client")),
                    "authentication_method": r.get("type")},
        "created_at": ms(r["timestamp"]),
        "remote_data": r if remote_data else None,
        "provider": SIGNINS,
    }


def usage_description(r: dict[str, Any]) -> str | None:
    action, item, vault, email = r.get("action"), r.get("item_uuid"), r.get("vault_uuid"), at(r, "user", "email")
    if not filled(action, item, vault):
        return None
    head = f"{action} of item {item} in vault {vault}"
    return f"{head} by {email}" if filled(email) else head


def expected_usage(r: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    user = at(r, "user", "uuid")
    return {
        "id": r["uuid"],
        "actor": {"type": "user" if filled(user) else "system", "user": {"id": user}},
        "organization": r.get("account_uuid"),
        "group": r.get("vault_uuid"),
        "description": usage_description(r),
        "action": USAGE_ACTIONS.get(r["action"], r["action"]),
        "entity": r.get("item_uuid"),
        "entity_type": "item" if filled(r.get("item_uuid")) else None,
        "context": {"ip_address": at(r, "client", "ip_address"), "user_agent": user_agent(r.get("client")),
                    "authentication_method": None},
        "created_at": ms(r["timestamp"]),
        "remote_data": r if remote_data else None,
        "provider": USAGES,
    }


EXPECTED: dict[str, Callable[..., dict[str, Any]]] = {AUDIT: expected_audit, SIGNINS: expected_signin,
                                                     USAGES: expected_usage}


def new_record(stream: str, template_index: int, suffix: int, timestamp: str, **changes: Any) -> dict[str, Any]:
    """A copy of a fixture record with a new uuid (26 characters, as 1Password's) and time."""
    record = copy.deepcopy(RECORDS[stream][template_index])
    record.update(uuid=f"NEWREC{suffix:04d}ZZZZZZZZZZZZZZZZ"[:26], timestamp=timestamp, **changes)
    return record


def in_window(records: list[dict[str, Any]], since: str, until: str | None = None) -> list[dict[str, Any]]:
    return [r for r in records if parse_time(r["timestamp"]) >= parse_time(since)
            and (until is None or parse_time(r["timestamp"]) < parse_time(until))]


class RefusingProxy:
    """An HTTPS proxy that records each CONNECT target and refuses it (403): auditfetch's request
    goes nowhere, yet shows which host it was meant for."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with client:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = client.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.targets.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


class OnePasswordCase(ProviderCase):
    def list(self, stream: str, *args: str, since: str | None = SINCE, until: str | None = UNTIL,
             env: dict | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", "-p", stream, "--base-url", self.emu.url, *window, *args,
                              env={**ENV, **(env or {})})

    def posts(self, stream: str) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(PATHS[stream]) if r["path"] == PATHS[stream]]

    def bodies(self, stream: str) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.posts(stream)]

    def replay(self, stream: str, body: str | dict[str, Any], token: str = TOKEN) -> dict[str, Any]:
        """What the emulator answers to a body (it answers one request the same way twice)."""
        text = body if isinstance(body, str) else json.dumps(body)
        reply = http(self.emu.url + PATHS[stream], "POST", {"Authorization": f"Bearer {token}",
                                                             "Content-Type": "application/json"}, text.encode())
        self.assertEqual(reply.status, 200, reply.body)
        return reply.json()

    def ids_of(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]


# --------------------------------------------------------------------------- mapping


class MappingTest(OnePasswordCase):
    def test_every_record_of_each_stream_maps_field_by_field(self) -> None:
        for stream in STREAMS:
            with self.subTest(stream=stream):
                activities = self.activities(self.list(stream))
                expected = served(RECORDS[stream])
                self.assertEqual([a["id"] for a in activities], ids(expected))  # oldest first, as served
                for activity, record in zip(activities, expected):
                    self.assertUnifiedShape(activity, stream)
                    self.assertEqual(activity, EXPECTED[stream](record))

    def test_an_audit_event_names_its_actor_object_session_ip_and_account(self) -> None:
        invite = next(r for r in RECORDS[AUDIT] if r["object_type"] == "invite")
        got = {a["id"]: a for a in self.activities(self.list(AUDIT, "--no-remote-data"))}
        self.assertEqual(got[invite["uuid"]], {
            "id": "JG2V63B3J5KH4ILBE6NJQ6JI3V",
            "actor": {"type": "user", "user": {"id": ONEPASSWORD_ADMIN_UUID}},
            "organization": ONEPASSWORD_ACCOUNT_UUID, "group": None,
            "description": "create invite by morgan.reyes@acme.example: erin.walsh@acme.example",
            "action": "user_invited", "entity": "T3XHU7TH4PMQTGLECDC6ZD5E64", "entity_type": "invite",
            "context": {"ip_address": "203.0.113.10", "user_agent": None, "authentication_method": None},
            "created_at": "2024-05-13T08:02:11.123Z", "remote_data": None, "provider": AUDIT})
        joined = got["R6L3V7NCHX3FV7TTXIPHLIW3YN"]  # Dev Patel joins: actor and object are the same user
        self.assertEqual((joined["actor"]["user"]["id"], joined["entity"], joined["action"],
                          joined["context"]["ip_address"], joined["created_at"]),
                         ("DEVP2KXQ7ZRN5VTWJ3HGYLMBCA", "DEVP2KXQ7ZRN5VTWJ3HGYLMBCA", "user_joined", "192.0.2.55",
                          "2024-05-13T09:30:00.000Z"))

    def test_the_audit_table_maps_user_actions_on_users_and_invites_and_generic_ones_elsewhere(self) -> None:
        activities = {a["id"]: a for a in self.activities(self.list(AUDIT))}
        pairs: dict[tuple[str, str], set[str]] = {}
        for r in RECORDS[AUDIT]:
            pairs.setdefault((r["action"], r["object_type"]), set()).add(activities[r["uuid"]]["action"])
        self.assertEqual({k: v for k, v in pairs.items() if k[1] in ("user", "invite")}, {
            ("create", "invite"): {"user_invited"},
            ("join", "user"): {"user_joined"}, ("create", "user"): {"user_created"},
            ("update", "user"): {"user_updated"}, ("reactive", "user"): {"user_updated"},
            ("suspend", "user"): {"user_deactivated"}, ("delete", "user"): {"user_deleted"},
            ("activate", "user"): {"activate"}, ("beginr", "user"): {"beginr"}, ("completr", "user"): {"completr"}})
        # on other objects: create, updated, destroy and exported; the rest keep their raw value
        for native, unified in ((("create", "vault"), "create"), (("create", "device"), "create"),
                                (("update", "item"), "updated"), (("update", "sso"), "updated"),
                                (("delete", "vault"), "destroy"), (("export", "items"), "exported"),
                                (("join", "gm"), "join"), (("grant", "uva"), "grant"), (("leave", "gm"), "leave")):
            self.assertEqual(pairs[native], {unified}, native)
        for action, wanted_pairs in (
                ("user_deactivated", {("suspend", "user")}), ("user_deleted", {("delete", "user")}),
                ("user_created", {("create", "user")}), ("user_joined", {("join", "user")}),
                ("user_invited", {("create", "invite")}), ("user_updated", {("reactive", "user"), ("update", "user")}),
                ("updated", {("update", o) for o in ("item", "account", "sso")}),
                ("destroy", {("delete", "vault")}), ("exported", {("export", "items")})):
            with self.subTest(action=action):
                result = self.list(AUDIT, "--action", action)
                wanted = [r for r in served(RECORDS[AUDIT]) if (r["action"], r["object_type"]) in wanted_pairs]
                self.assertTrue(wanted)
                self.assertEqual(self.ids_of(result), ids(wanted))

    def test_sign_in_categories_are_login_or_login_failed_and_type_the_method(self) -> None:
        activities = {a["id"]: a for a in self.activities(self.list(SIGNINS))}
        by_category: dict[str, set[str]] = {}
        for r in RECORDS[SIGNINS]:
            by_category.setdefault(r["category"], set()).add(activities[r["uuid"]]["action"])
            self.assertEqual(activities[r["uuid"]]["context"]["authentication_method"], r["type"])
        self.assertEqual(by_category, {
            "success": {"login"}, "firewall_reported_success": {"login"}, "credentials_failed": {"login_failed"},
            "mfa_failed": {"login_failed"}, "firewall_failed": {"login_failed"},
            "modern_version_failed": {"login_failed"}, "sso_failed": {"login_failed"}})
        report_only = activities["GGVX6AKIZ7K3UMHDOIDT3P7RQO"]  # a firewall rule in report-only mode let it in
        self.assertEqual((report_only["action"], report_only["actor"], report_only["entity"],
                          report_only["entity_type"], report_only["context"]),
                         ("login", {"type": "user", "user": {"id": "BOBQ5XKZ2NRT7VHWJ3LGYEMDCA"}},
                          "BOBQ5XKZ2NRT7VHWJ3LGYEMDCA", "user",
                          {"ip_address": "198.51.100.77", "user_agent": "1Password for Web/1713 (Linux 6.8.9; Firefox)",
                           "authentication_method": "ip_blocked"}))
        self.assertEqual(report_only["description"],
                         "firewall_reported_success (ip_blocked) for bob.obrien@acme.example from 1Password for Web")
        logins = self.list(SIGNINS, "--action", "login")
        self.assertEqual(self.ids_of(logins), ids([r for r in served(RECORDS[SIGNINS]) if r["category"] in SIGNIN_SUCCESS]))
        native = self.list(SIGNINS, "--action", "mfa_failed")  # a category as a native action
        self.assertEqual(self.ids_of(native), ids([r for r in served(RECORDS[SIGNINS]) if r["category"] == "mfa_failed"]))

    def test_an_item_usage_is_the_item_in_its_vault_used_by_a_user(self) -> None:
        got = {a["id"]: a for a in self.activities(self.list(USAGES, "--no-remote-data"))}
        self.assertEqual(got["54KYFKMH5GXRFWNAYGNKOCFTE3"], {
            "id": "54KYFKMH5GXRFWNAYGNKOCFTE3",
            "actor": {"type": "user", "user": {"id": "ALCE3HNQ7RZXK2VTWJ5GYLBMDU"}},
            "organization": ONEPASSWORD_ACCOUNT_UUID, "group": "fjnrnq6ngmovf6wbx2plfvp46o",
            "description": "export of item xbwh54np33rdnv55dorzssxbsu in vault fjnrnq6ngmovf6wbx2plfvp46o by "
                           "alice.chen@acme.example",
            "action": "exported", "entity": "xbwh54np33rdnv55dorzssxbsu", "entity_type": "item",
            "context": {"ip_address": "203.0.113.24", "authentication_method": None,
                        "user_agent": "1Password Browser Extension/20297 (MacOSX 14.4.1; Chrome)"},
            "created_at": "2024-05-15T16:05:50.718Z", "remote_data": None, "provider": USAGES})
        vault = "pclpl2lqscufohagqxrewcsyeq"
        in_vault = self.list(USAGES, "--entity-type", "item", "--actor-id", "ERNW3QZX5KRN7VTJ2HGYLBMDCA")
        self.assertEqual(self.ids_of(in_vault), ids([r for r in served(RECORDS[USAGES])
                                                     if r["user"]["uuid"] == "ERNW3QZX5KRN7VTJ2HGYLBMDCA"]))
        self.assertEqual({a["group"] for a in self.activities(in_vault)}, {vault})
        exports = self.list(USAGES, "--action", "exported")
        self.assertEqual(self.ids_of(exports), ids([r for r in served(RECORDS[USAGES]) if r["action"] == "export"]))
        self.assertEqual(len(self.ids_of(exports)), 2)

    def test_missing_parts_fall_back_as_the_definitions_say(self) -> None:
        service = new_record(AUDIT, 2, 1, "2024-05-20T09:00:00.5-03:00", actor_type="service_account")
        v1_shape = new_record(AUDIT, 2, 2, "2024-05-20T12:00:01Z")
        for key in ("actor_type", "actor_account_uuid", "account_uuid"):
            del v1_shape[key]
        anonymous = new_record(AUDIT, 2, 3, "2024-05-20T12:00:02Z", aux_info="note")
        for key in ("actor_uuid", "actor_details", "actor_type", "session"):
            del anonymous[key]
        # empty strings count as missing: for if_present (no actor uuid: system) and in templates
        emptied = new_record(AUDIT, 2, 8, "2024-05-20T12:00:03Z", actor_uuid="", aux_info="")
        del emptied["actor_type"]
        self.emu.add_activities(AUDIT, [service, v1_shape, anonymous, emptied])
        got = self.activities(self.list(AUDIT, since="2024-05-20T00:00:00Z", until="2024-05-21T00:00:00Z"))
        self.assertEqual(got, [expected_audit(r) for r in (service, v1_shape, anonymous, emptied)])
        self.assertEqual([(a["actor"]["type"], a["organization"], a["description"], a["created_at"]) for a in got], [
            ("system", ONEPASSWORD_ACCOUNT_UUID, "create vault by morgan.reyes@acme.example", "2024-05-20T12:00:00.500Z"),
            ("user", None, "create vault by morgan.reyes@acme.example", "2024-05-20T12:00:01.000Z"),
            ("system", ONEPASSWORD_ACCOUNT_UUID, "create vault", "2024-05-20T12:00:02.000Z"),
            ("system", ONEPASSWORD_ACCOUNT_UUID, "create vault by morgan.reyes@acme.example", "2024-05-20T12:00:03.000Z")])
        self.assertEqual(got[2]["context"]["ip_address"], None)
        self.assertEqual([a["action"] for a in got], ["create"] * 4)

        bare_client = new_record(SIGNINS, 0, 4, "2024-05-20T12:00:00Z",
                                 client={"app_name": "1Password CLI", "app_version": "2270001", "ip_address": "192.0.2.9"})
        unknown_user = new_record(SIGNINS, 1, 5, "2024-05-20T12:00:01Z", target_user={"email": "nobody@acme.example"},
                                  category="credentials_failed", type="password_secret_bad")
        no_client = new_record(SIGNINS, 1, 6, "2024-05-20T12:00:02Z", category="some_future_category")
        del no_client["client"], no_client["target_user"]
        blank_user = new_record(SIGNINS, 1, 9, "2024-05-20T12:00:03Z", target_user={"uuid": "", "email": ""})
        self.emu.add_activities(SIGNINS, [bare_client, unknown_user, no_client, blank_user])
        got = self.activities(self.list(SIGNINS, since="2024-05-20T00:00:00Z", until="2024-05-21T00:00:00Z"))
        self.assertEqual(got, [expected_signin(r) for r in (bare_client, unknown_user, no_client, blank_user)])
        self.assertEqual((got[3]["actor"]["type"], got[3]["entity_type"], got[3]["description"]),
                         ("anonymous", None, f"{blank_user['category']} ({blank_user['type']})"))
        got = got[:3]
        self.assertEqual([(a["actor"], a["action"], a["context"]["user_agent"], a["description"]) for a in got], [
            ({"type": "user", "user": {"id": ONEPASSWORD_ADMIN_UUID}}, "login", "1Password CLI/2270001",
             "success (mfa_ok) for morgan.reyes@acme.example from 1Password CLI"),
            ({"type": "anonymous", "user": {"id": None}}, "login_failed", user_agent(RECORDS[SIGNINS][1]["client"]),
             "credentials_failed (password_secret_bad) for nobody@acme.example from 1Password CLI"),
            ({"type": "anonymous", "user": {"id": None}}, "login_failed", None,
             "some_future_category (password_secret_bad)")])

        no_user = new_record(USAGES, 0, 7, "2024-05-20T12:00:00Z")
        del no_user["user"]
        blank = new_record(USAGES, 0, 10, "2024-05-20T12:00:01Z", item_uuid="", user={"uuid": "", "email": ""},
                           client={"app_name": "1Password CLI", "app_version": "", "ip_address": "192.0.2.9"})
        self.emu.add_activities(USAGES, [no_user, blank])
        got = self.activities(self.list(USAGES, since="2024-05-20T00:00:00Z", until="2024-05-21T00:00:00Z"))
        self.assertEqual(got, [expected_usage(no_user), expected_usage(blank)])
        self.assertEqual((got[1]["actor"]["type"], got[1]["entity_type"], got[1]["description"],
                          got[1]["context"]["user_agent"]), ("system", None, None, None))
        self.assertEqual((got[0]["actor"], got[0]["description"]),
                         ({"type": "system", "user": {"id": None}},
                          "fill of item lfzkklhcrj3hk2dpuogvow3qug in vault fjnrnq6ngmovf6wbx2plfvp46o"))


# --------------------------------------------------------------------------- the native request


class RequestTest(OnePasswordCase):
    def test_the_first_post_is_a_reset_cursor_and_every_later_one_only_the_cursor(self) -> None:
        result = self.list(AUDIT, "--page-size", "10", "-v")
        self.assertEqual(self.ids_of(result), ids(served(RECORDS[AUDIT])))
        posts = self.posts(AUDIT)
        self.assertEqual(len(posts), 4)  # 10 + 10 + 10 + 9
        for post in posts:
            self.assertEqual((post["method"], post["path"], post["query"]), ("POST", PATHS[AUDIT], ""))
            self.assertEqual(post["headers"].get("Authorization"), BEARER)
            self.assertEqual(post["headers"].get("Content-Type"), "application/json")
            self.assertEqual(post["headers"].get("Accept"), "application/json")
        first = json.loads(posts[0]["body"])
        self.assertEqual(first, {"start_time": "2024-05-01T00:00:00.000Z", "end_time": "2024-06-01T00:00:00.000Z",
                                 "limit": 10})
        self.assertIs(type(first["limit"]), int)  # a JSON number, not "10"
        # each later body is exactly {"cursor": <the previous response's cursor>}, and has_more
        # false (on the fourth response, which has a cursor too) ends the listing
        for number, post in enumerate(posts):
            answer = self.replay(AUDIT, post["body"])
            if number + 1 < len(posts):
                self.assertTrue(answer["has_more"])
                self.assertEqual(posts[number + 1]["body"], json.dumps({"cursor": answer["cursor"]},
                                                                       separators=(",", ":")))
            else:
                self.assertEqual((answer["has_more"], len(answer["items"])), (False, 9))
                self.assertTrue(answer["cursor"])
        self.assertIn(f"auditfetch: POST {self.emu.url}{PATHS[AUDIT]}: 200", result.stderr)
        self.assertNotIn(TOKEN, result.stderr)

    def test_each_stream_posts_to_its_own_v2_endpoint(self) -> None:
        for stream in STREAMS:
            with self.subTest(stream=stream):
                self.emu.clear_requests()
                self.assertEqual(len(self.ids_of(self.list(stream, "--limit", "1"))), 1)
                self.assertEqual([(r["method"], r["path"]) for r in self.emu.requests()], [("POST", PATHS[stream])])
                self.assertEqual(self.bodies(stream), [{"start_time": "2024-05-01T00:00:00.000Z",
                                                        "end_time": "2024-06-01T00:00:00.000Z", "limit": 1}])

    def test_without_until_no_end_time_and_without_since_seven_days_ago(self) -> None:
        self.assertEqual(self.ids_of(self.list(SIGNINS, until=None)), ids(served(RECORDS[SIGNINS])))
        self.assertEqual(self.bodies(SIGNINS), [{"start_time": "2024-05-01T00:00:00.000Z", "limit": 1000}])
        now = time.time_ns()
        recent = new_record(SIGNINS, 0, 10, format_ms(now - 3600 * 10**9))
        old = new_record(SIGNINS, 0, 11, format_ms(now - 8 * DAY))
        self.emu.add_activities(SIGNINS, [recent, old])
        self.emu.clear_requests()
        before = time.time_ns()
        result = self.list(SIGNINS, "-v", since=None, until=None)
        after = time.time_ns()
        self.assertEqual(self.activities(result), [expected_signin(recent)])  # the fixtures are far older
        [body] = self.bodies(SIGNINS)
        self.assertEqual(sorted(body), ["limit", "start_time"])
        start = parse_time(body["start_time"])
        self.assertRegex(body["start_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertGreaterEqual(start, (before - 7 * DAY) // MS * MS)
        self.assertLessEqual(start, after - 7 * DAY)
        self.assertIn(f"auditfetch: {SIGNINS}: the API needs a time range; without --since reading from "
                      f"{body['start_time']}", result.stderr)

    def test_page_size_is_limit_up_to_1000_and_limit_asks_for_no_more(self) -> None:
        self.assertEqual(len(self.ids_of(self.list(USAGES, "--page-size", "1000"))), len(RECORDS[USAGES]))
        self.assertEqual([b["limit"] for b in self.bodies(USAGES)], [1000])
        self.emu.clear_requests()
        result = self.list(USAGES, "--page-size", "1001")
        self.assertOneErrorLine(result, 2, "--page-size 1001 is out of range for 1password-item-usages (use 1 to 1000)")
        self.assertEqual(self.emu.requests(), [])
        result = self.list(USAGES, "--limit", "3", "--page-size", "20")
        self.assertEqual(self.ids_of(result), ids(served(RECORDS[USAGES])[:3]))
        self.assertEqual(self.bodies(USAGES), [{"start_time": "2024-05-01T00:00:00.000Z",
                                                "end_time": "2024-06-01T00:00:00.000Z", "limit": 3}])

    def test_unified_filters_are_applied_locally_and_change_nothing_sent(self) -> None:
        result = self.list(AUDIT, "-v", "--action", "user_deactivated", "--actor-id", ONEPASSWORD_ADMIN_UUID,
                           "--entity-type", "user", "--entity", "ERNW3QZX5KRN7VTJ2HGYLBMDCA")
        self.assertEqual(self.ids_of(result), ["K2VU3TW6MBLMMZZLCHK4DN7RXM"])
        self.assertEqual(self.pushdown(result, AUDIT), ({"since", "until"}, {"action", "actor_id", "entity", "entity_type"}))
        self.assertEqual(self.bodies(AUDIT), [{"start_time": "2024-05-01T00:00:00.000Z",
                                               "end_time": "2024-06-01T00:00:00.000Z", "limit": 1000}])
        result = self.list(AUDIT, "--filter", 'action eq "suspend"')
        self.assertOneErrorLine(result, 2, "--filter: 1password-audit has no native filter language")

    def test_the_token_may_come_from_auditfetch_token_or_a_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            token_file = Path(tmp) / "op.token"
            token_file.write_text(TOKEN + "\n")
            token_file.chmod(0o600)
            for args, env in ((("--token-file", str(token_file)), {"OP_EVENTS_TOKEN": None}),
                              ((), {"OP_EVENTS_TOKEN": None, "AUDITFETCH_TOKEN": TOKEN})):
                with self.subTest(env=env):
                    self.emu.clear_requests()
                    self.assertEqual(len(self.ids_of(self.list(SIGNINS, "--limit", "1", *args, env=env))), 1)
                    self.assertEqual([r["headers"].get("Authorization") for r in self.posts(SIGNINS)], [BEARER])

    def test_list_help_gives_each_provider_s_own_text_for_region(self) -> None:
        # --region is a setting of the three streams and of PingOne, each with its own help
        helps = {}
        for path in sorted((REPO / "providers").glob("*.json")):
            definition = json.loads(path.read_text(encoding="utf-8"))
            for setting in definition.get("settings", []):
                if setting["name"] == "region":
                    helps[definition["name"]] = setting["help"]
        self.assertLessEqual(set(STREAMS), set(helps))
        self.assertIn("pingone", helps)
        result = run_auditfetch("list", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        (line,) = [l for l in result.stdout.splitlines() if l.lstrip().startswith("--region ")]
        for name, text in helps.items():
            with self.subTest(provider=name):
                self.assertRegex(line, rf"(^|[.;] |\s){re.escape(name)}(, [a-z0-9-]+)*: {re.escape(text)}")

    def test_region_picks_the_events_host(self) -> None:
        description = run_auditfetch("providers", AUDIT)
        self.assertEqual(description.returncode, 0, description.stderr)
        self.assertIn("  API base:      https://{events-host} (replace with --base-url)\n", description.stdout)
        self.assertIn("  --region                 the 1Password account's region: com (1password.com), ent "
                      "(ent.1password.com), ca, eu (default com; env OP_EVENTS_REGION; one of ca|com|ent|eu)\n",
                      description.stdout)
        self.assertIn("pagination: sends the cursor at /cursor back as {\"cursor\": ...} in the request body (page "
                      "size: limit=1000, at most 1000); ends at false at /has_more; --state keeps the API's next "
                      "request and resumes from it\n", description.stdout)
        proxy = RefusingProxy()
        self.addCleanup(proxy.close)
        cases = [(AUDIT, ["--region", "ent"], {}, "events.ent.1password.com"),
                 (AUDIT, ["--region", "EU"], {}, "events.1password.eu"),
                 (AUDIT, ["--region", "ca"], {}, "events.1password.ca"),
                 (AUDIT, [], {}, "events.1password.com"),
                 (SIGNINS, [], {"OP_EVENTS_REGION": "ca"}, "events.1password.ca"),
                 (USAGES, ["--region", "ent"], {"OP_EVENTS_REGION": "eu"}, "events.ent.1password.com")]
        for stream, args, env, host in cases:
            with self.subTest(stream=stream, args=args, env=env):
                result = run_auditfetch("list", "-p", stream, *args, "--since", SINCE, "--retries", "0", "-v",
                                        env={**ENV, "HTTPS_PROXY": proxy.url, **env})
                self.assertIn(f"auditfetch: POST https://{host}{PATHS[stream]}: ", result.stderr)
                self.assertOneErrorLine(result, 1, f"CONNECT {host}:443 via proxy")
                self.assertEqual(proxy.targets[-1], f"CONNECT {host}:443 HTTP/1.1")
        self.assertEqual(len(proxy.targets), len(cases))  # nothing else, and nothing went further
        result = run_auditfetch("list", "-p", AUDIT, "--region", "us", env={**ENV, "HTTPS_PROXY": proxy.url})
        self.assertOneErrorLine(result, 2, "1password-audit: 'us' is not a valid value for --region "
                                           "(use one of: ca, com, ent, eu)")
        self.assertEqual(len(proxy.targets), len(cases))


# --------------------------------------------------------------------------- paging


class PagingTest(OnePasswordCase):
    def test_every_page_size_reads_each_record_once_in_served_order(self) -> None:
        for stream, size, pages in ((AUDIT, 1, 39), (AUDIT, 2, 20), (AUDIT, 13, 3), (AUDIT, 39, 1),
                                    (SIGNINS, 36, 2), (USAGES, 7, 5)):
            with self.subTest(stream=stream, page_size=size):
                self.emu.clear_requests()
                activities = self.activities(self.list(stream, "--page-size", str(size)))
                self.assertEqual([a["id"] for a in activities], ids(served(RECORDS[stream])))
                bodies = self.bodies(stream)
                self.assertEqual(len(bodies), pages)  # has_more false ends it: no empty page asked for
                self.assertEqual(bodies[0]["limit"], size)
                self.assertTrue(all(list(b) == ["cursor"] for b in bodies[1:]))

    def test_ties_at_one_timestamp_or_millisecond_split_across_pages_keep_both(self) -> None:
        # JG2V../OFS3.. share a nanosecond; K2VU../UMCW.. one millisecond (.123000001, .123999999)
        window = ("2024-05-13T08:02:11.123Z", "2024-05-13T08:02:11.124Z")
        result = self.list(AUDIT, "--page-size", "1", since=window[0], until=window[1])
        self.assertEqual(self.ids_of(result), ["JG2V63B3J5KH4ILBE6NJQ6JI3V", "OFS3VNEPEBJWQXZURJMIWZQNOD"])
        self.assertEqual(len(self.posts(AUDIT)), 2)
        self.emu.clear_requests()
        result = self.list(AUDIT, "--page-size", "1", since="2024-05-14T10:20:30.123Z", until="2024-05-14T10:20:30.124Z")
        activities = self.activities(result)
        self.assertEqual([a["id"] for a in activities], ["K2VU3TW6MBLMMZZLCHK4DN7RXM", "UMCWUDBQ54L3CAD2ML2SHR6RTA"])
        self.assertEqual({a["created_at"] for a in activities}, {"2024-05-14T10:20:30.123Z"})

    def run_while_adding(self, stream: str, records: list[dict[str, Any]], *args: str) -> subprocess.CompletedProcess:
        """Runs list; once its first request is in, appends `records` while the second is held."""
        self.emu.faults({"path": PATHS[stream] + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        outcome: list[subprocess.CompletedProcess] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list(stream, *args, until=None)))
        runner.start()
        deadline = time.monotonic() + 10
        while not self.posts(stream) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.emu.add_activities(stream, records)
        runner.join(30)
        self.assertFalse(runner.is_alive())
        return outcome[0]

    def test_records_ingested_while_paging_come_once_after_the_rest(self) -> None:
        older = new_record(AUDIT, 5, 20, "2024-05-13T00:00:00.000000001Z")  # before every fixture
        newer = new_record(AUDIT, 5, 21, "2024-05-30T00:00:00Z")
        result = self.run_while_adding(AUDIT, [newer, older], "--page-size", "10")
        activities = self.activities(result)
        # the new ingestion follows everything stored before it, itself oldest first
        self.assertEqual([a["id"] for a in activities], ids(served(RECORDS[AUDIT])) + [older["uuid"], newer["uuid"]])
        self.assertEqual(activities[-2], expected_audit(older))
        self.assertEqual(len(self.posts(AUDIT)), 5)

    def test_a_server_repeating_its_cursor_with_has_more_is_stopped(self) -> None:
        page = {"cursor": "c2FtZQ", "has_more": True, "items": [served(RECORDS[USAGES])[0]]}
        self.emu.faults({"path": PATHS[USAGES], "kind": "status", "status": 200, "body": page, "times": -1})
        result = self.list(USAGES)
        self.assertOneErrorLine(result, 1, "1password-item-usages: page 2: the next page would repeat an earlier one; "
                                           "stopping a loop")
        self.assertEqual([a["id"] for a in ndjson(result.stdout)], [page["items"][0]["uuid"]])
        self.assertEqual([r["body"] for r in self.posts(USAGES)][1:], ['{"cursor":"c2FtZQ"}'])

    def test_a_cursor_that_is_not_a_string_is_an_invalid_response(self) -> None:
        self.emu.faults({"path": PATHS[USAGES], "kind": "status", "status": 200,
                         "body": {"cursor": 17, "has_more": True, "items": []}})
        result = self.list(USAGES)
        self.assertOneErrorLine(result, 1, "1password-item-usages: page 1: the cursor at \"/cursor\" is not a string")
        self.assertEqual(len(self.posts(USAGES)), 1)


# --------------------------------------------------------------------------- time semantics


class TimeTest(OnePasswordCase):
    def test_timestamps_of_any_precision_become_milliseconds_truncated(self) -> None:
        cases = {  # uuid → (1Password's timestamp, created_at)
            "R6L3V7NCHX3FV7TTXIPHLIW3YN": ("2024-05-13T09:30:00Z", "2024-05-13T09:30:00.000Z"),
            "QYCCXG5LFZJ3RMLNJDPLBQGGRY": ("2024-05-13T08:15:40.5Z", "2024-05-13T08:15:40.500Z"),
            "JB3H4XRL67J7AUQY7LDA732J5L": ("2024-05-13T09:41:27.90412Z", "2024-05-13T09:41:27.904Z"),
            "YXG5EQIUNGUPZK4U4NLHULNT24": ("2024-05-14T16:12:05.5106Z", "2024-05-14T16:12:05.510Z"),
            "R3KEDROR565EFYOKTKNVYQM2MT": ("2024-05-13T08:16:02.000000001Z", "2024-05-13T08:16:02.000Z"),
            "2IMUAXJQNAN2NEXJ2P3B2EPM2B": ("2024-05-17T15:59:59.999999999Z", "2024-05-17T15:59:59.999Z"),
            "UMCWUDBQ54L3CAD2ML2SHR6RTA": ("2024-05-14T10:20:30.123999999Z", "2024-05-14T10:20:30.123Z"),
            "SH7TVCMNOXWXGRL4AXSU7LRE44": ("2024-05-13T09:12:03.447110936Z", "2024-05-13T09:12:03.447Z"),
            "EL2FBE5LX3RDBXBJPYKACLRXVE": ("2024-05-13T09:12:19.06321Z", "2024-05-13T09:12:19.063Z"),
            "BGMK2G6ZXATBMK65UJZQ7LFER2": ("2024-05-17T12:05:33.5218Z", "2024-05-17T12:05:33.521Z"),
            "GQIKSROV2MCIP564Z5L6RYIJQU": ("2024-05-13T17:18:20Z", "2024-05-13T17:18:20.000Z"),
            "5NGHQOUTAQW3J2V7Y57D5WEMJG": ("2024-05-16T15:03:41.1Z", "2024-05-16T15:03:41.100Z"),
        }
        got = {}
        for stream in STREAMS:
            for a in self.activities(self.list(stream, "--fields", "id,created_at,remote_data")):
                got[a["id"]] = (a["remote_data"]["timestamp"], a["created_at"])
        self.assertEqual({k: got[k] for k in cases}, cases)

    def test_since_is_inclusive_and_until_exclusive_to_the_millisecond(self) -> None:
        # K2VU.. and UMCW.. lie within 10:20:30.123; HWKA.. and RLZV.. at 12:03:47.300912857
        since, until = "2024-05-14T10:20:30.123Z", "2024-05-14T12:03:47.300Z"
        self.assertEqual(self.ids_of(self.list(AUDIT, since=since, until=until)),
                         ["K2VU3TW6MBLMMZZLCHK4DN7RXM", "UMCWUDBQ54L3CAD2ML2SHR6RTA"])
        self.assertEqual(self.bodies(AUDIT), [{"start_time": since, "end_time": until, "limit": 1000}])
        until = "2024-05-14T12:03:47.301Z"
        self.assertEqual(self.ids_of(self.list(AUDIT, since=since, until=until)),
                         ["K2VU3TW6MBLMMZZLCHK4DN7RXM", "UMCWUDBQ54L3CAD2ML2SHR6RTA", "HWKAYO2R4ZVG7MZT6BMHDUPOW4",
                          "RLZV2HH44GXNC7KTFFTFWBRK2U"])
        self.assertEqual(self.ids_of(self.list(AUDIT, since="2024-05-14T10:20:30.124Z", until=until)),
                         ["HWKAYO2R4ZVG7MZT6BMHDUPOW4", "RLZV2HH44GXNC7KTFFTFWBRK2U"])

    def test_sub_millisecond_bounds_are_sent_as_the_milliseconds_they_mean(self) -> None:
        # from .1235 leaves out what created_at shows as .123; before .3005 keeps what it shows as .300
        result = self.list(AUDIT, since="2024-05-14T10:20:30.1235Z", until="2024-05-14T12:03:47.3005Z")
        self.assertEqual(self.ids_of(result), ["HWKAYO2R4ZVG7MZT6BMHDUPOW4", "RLZV2HH44GXNC7KTFFTFWBRK2U"])
        self.assertEqual(self.bodies(AUDIT), [{"start_time": "2024-05-14T10:20:30.124Z",
                                               "end_time": "2024-05-14T12:03:47.301Z", "limit": 1000}])

    def test_offsets_are_sent_in_utc(self) -> None:
        result = self.list(SIGNINS, since="2024-05-15T14:44:10.390+02:00", until="2024-05-15T07:44:10.391-05:00")
        self.assertEqual(self.ids_of(result), ["FZ6W7KX7LQMWL7TNNQXZEI2QGV", "NDFH3JNUQECVWCGKKARL5Y4JHA"])
        self.assertEqual(self.bodies(SIGNINS), [{"start_time": "2024-05-15T12:44:10.390Z",
                                                 "end_time": "2024-05-15T12:44:10.391Z", "limit": 1000}])


# --------------------------------------------------------------------------- errors


class ErrorTest(OnePasswordCase):
    def line(self, stream: str, text: str) -> str:
        return f"auditfetch: error: {stream}: page 1: {text}"

    def test_a_token_without_the_feature_is_401_and_exits_3_naming_op_events_token(self) -> None:
        env = {"OP_EVENTS_TOKEN": ONEPASSWORD_SIGNINS_TOKEN}
        result = self.list(AUDIT, env=env)
        self.assertOneErrorLine(result, 3, "OP_EVENTS_TOKEN")
        self.assertEqual(self.errorLine(result), self.line(AUDIT, (
            "authentication refused (401): Unauthorized (the token from OP_EVENTS_TOKEN was refused; it may be "
            "expired: set a fresh one)")))
        self.assertEqual((result.stdout, len(self.posts(AUDIT))), ("", 1))  # not retried
        self.assertEqual(self.posts(AUDIT)[0]["headers"]["Authorization"], f"Bearer {ONEPASSWORD_SIGNINS_TOKEN}")
        self.assertNotIn(ONEPASSWORD_SIGNINS_TOKEN[-20:], result.stderr)
        for stream in (USAGES,):
            self.assertOneErrorLine(self.list(stream, env=env), 3, "401")
        # the same token reads the feature it has
        self.assertEqual(self.ids_of(self.list(SIGNINS, env=env)), ids(served(RECORDS[SIGNINS])))

    def test_a_400_exits_2_with_1password_s_message(self) -> None:
        self.emu.faults({"path": PATHS[AUDIT], "kind": "status", "status": 400})
        result = self.list(AUDIT)
        self.assertOneErrorLine(result, 2, "Bad Request")
        self.assertEqual(self.errorLine(result), self.line(AUDIT, (
            "the API rejected the request (400): Bad Request (check --filter, --param and the filter flags; "
            "-v shows the request)")))
        self.assertEqual(len(self.posts(AUDIT)), 1)
        # a --param goes into the JSON body; 1Password refuses a key it does not know
        self.emu.reset()
        result = self.list(AUDIT, "--param", "x=1")
        self.assertOneErrorLine(result, 2, "the API rejected the request (400): Bad Request")
        self.assertEqual(self.bodies(AUDIT), [{"start_time": "2024-05-01T00:00:00.000Z",
                                               "end_time": "2024-06-01T00:00:00.000Z", "limit": 1000, "x": "1"}])

    def test_other_statuses_exit_with_their_codes_and_1password_s_message(self) -> None:
        cases = [(403, 3, "access refused (403): Forbidden (the credentials from OP_EVENTS_TOKEN work but may not "
                          "read audit activity; check the role or scopes granted to them)"),
                 (404, 2, "not found (404): Not Found (check the provider settings and --base-url)"),
                 (500, 1, "HTTP 500: Internal Server Error")]
        for status, code, text in cases:
            with self.subTest(status=status):
                self.emu.reset()
                self.emu.faults({"path": PATHS[SIGNINS], "kind": "status", "status": status, "times": -1})
                result = self.list(SIGNINS, "--retries", "1")
                self.assertOneErrorLine(result, code, str(status))
                self.assertEqual(self.errorLine(result), self.line(SIGNINS, text))
                self.assertEqual(result.stdout, "")
                self.assertEqual(len(self.posts(SIGNINS)), 1)

    def test_a_429_without_retry_after_is_retried_with_the_same_cursor(self) -> None:
        self.emu.faults({"path": PATHS[AUDIT], "kind": "status", "status": 429, "skip": 1, "times": 1,
                         "headers": {"Retry-After": None}})
        result = self.list(AUDIT, "--page-size", "20")
        self.assertEqual(self.ids_of(result), ids(served(RECORDS[AUDIT])))
        self.assertRegex(result.stderr, r"(?m)^auditfetch: warning: HTTP 429; retrying in [0-9.]+ m?s \(1 of 3\)$")
        posts = self.posts(AUDIT)
        self.assertEqual(len(posts), 3)
        self.assertEqual(list(json.loads(posts[1]["body"])), ["cursor"])
        self.assertEqual(posts[1]["body"], posts[2]["body"])  # the page asked again, not a new ResetCursor

    def test_get_is_refused_without_a_request(self) -> None:
        for stream in STREAMS:
            with self.subTest(stream=stream):
                result = run_auditfetch("get", "-p", stream, "--base-url", self.emu.url, RECORDS[stream][0]["uuid"],
                                        env=ENV)
                self.assertOneErrorLine(result, 2, "cannot fetch one activity by id")
                self.assertEqual(self.errorLine(result),
                                 f"auditfetch: error: {stream} cannot fetch one activity by id (the 1Password Events "
                                 "API has no endpoint for one event)")
                self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])

    def test_a_missing_token_exits_2_without_a_request(self) -> None:
        result = self.list(USAGES, env={"OP_EVENTS_TOKEN": None})
        self.assertOneErrorLine(result, 2, "1password-item-usages: no credentials")
        self.assertIn("OP_EVENTS_TOKEN", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- output


class OutputTest(OnePasswordCase):
    HOUR = ("2024-05-15T12:00:00Z", "2024-05-15T13:00:00Z")  # two failed CLI sign-ins, a hostile client

    def hour(self) -> list[dict[str, Any]]:
        return served(in_window(RECORDS[SIGNINS], *self.HOUR))

    def test_json_is_one_array_and_fields_select_keys(self) -> None:
        result = self.list(SIGNINS, "-o", "json", "--fields", "created_at,context.user_agent,id,action",
                           since=self.HOUR[0], until=self.HOUR[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [
            {"id": r["uuid"], "action": "login_failed", "context": {"user_agent": user_agent(r["client"])},
             "created_at": ms(r["timestamp"])} for r in self.hour()])
        self.assertEqual(len(self.hour()), 2)

    def test_csv_has_every_field_in_schema_order_with_crlf_and_quoting(self) -> None:
        fields = ["id", "actor.type", "actor.user.id", "organization", "group", "description", "action", "entity",
                  "entity_type", "context.ip_address", "context.user_agent", "context.authentication_method",
                  "created_at"]
        with tempfile.TemporaryDirectory(prefix="auditfetch-home-") as home:
            result = subprocess.run(
                [str(auditfetch_bin()), "list", "-p", SIGNINS, "--base-url", self.emu.url, "--since", self.HOUR[0],
                 "--until", self.HOUR[1], "-o", "csv", "--fields", ",".join(fields)],
                capture_output=True, timeout=60,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8", "TZ": "UTC",
                     **ENV})
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = csv_rows(result.stdout.decode("utf-8"))
        self.assertEqual(rows[0], fields)
        expected = []
        for r in self.hour():
            a = expected_signin(r)
            values = [a["id"], a["actor"]["type"], a["actor"]["user"]["id"], a["organization"], a["group"],
                      a["description"], a["action"], a["entity"], a["entity_type"], a["context"]["ip_address"],
                      a["context"]["user_agent"], a["context"]["authentication_method"], a["created_at"]]
            expected.append(["" if v is None else csv_text(v) for v in values])
        self.assertEqual(rows[1:], expected)
        # the control character shown as in the table
        self.assertIn(b',"1Password CLI ""nightly""/2270001 (Linux 6.5.0\\x01-custom \xc3\xbcn', result.stdout)
        self.assertTrue(result.stdout.endswith(b"\r\n"))
        self.assertEqual(result.stdout.count(b"\r\n"), 3)

    def test_table_rows_and_escaped_remote_text(self) -> None:
        result = self.list(SIGNINS, "-o", "table", since=self.HOUR[0], until=self.HOUR[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), table_lines([table_cells(expected_signin(r)) for r in self.hour()]))
        result = self.list(SIGNINS, "-o", "table", "--fields", "context.user_agent", since=self.HOUR[0],
                           until=self.HOUR[1])
        self.assertEqual(result.stdout.splitlines(), ["CONTEXT.USER_AGENT"] + [
            '1Password CLI "nightly"/2270001 (Linux 6.5.0\\x01-custom \u00fcn\u00efc\u00f8d\u00e9; Go)'] * 2)


# --------------------------------------------------------------------------- --state and the cursor


class StateTest(OnePasswordCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-1password-state-")
        self.path = Path(self.tmp.name) / "op.json"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def state(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def run_state(self, stream: str, *args: str, until: str | None = None) -> subprocess.CompletedProcess:
        return self.list(stream, "--state", str(self.path), *args, until=until)

    def test_the_state_file_keeps_the_next_cursor_request(self) -> None:
        self.assertEqual(self.ids_of(self.run_state(AUDIT, "--page-size", "10")), ids(served(RECORDS[AUDIT])))
        state = self.state()
        self.assertEqual((state["provider"], state["account"]), (AUDIT, {"region": "com"}))
        self.assertEqual(state["high_water"], "2024-05-17T15:59:59.999Z")
        self.assertEqual(state["floor"], "2024-05-01T00:00:00.000Z")
        last = self.posts(AUDIT)[-1]
        answer = self.replay(AUDIT, last["body"])
        self.assertFalse(answer["has_more"])
        self.assertEqual(set(state["resume"]), {"method", "url", "body", "query"})
        self.assertEqual((state["resume"]["method"], state["resume"]["url"], json.loads(state["resume"]["body"])),
                         ("POST", self.emu.url + PATHS[AUDIT], {"cursor": answer["cursor"]}))
        self.assertRegex(state["resume"]["query"], r"^[0-9a-f]{16}$")

    def test_the_next_run_posts_the_saved_cursor_and_gets_each_new_record_once(self) -> None:
        self.assertEqual(self.ids_of(self.run_state(SIGNINS)), ids(served(RECORDS[SIGNINS])))
        saved = self.state()["resume"]["body"]
        late = new_record(SIGNINS, 3, 30, "2024-05-13T10:00:00.000000500Z")  # four days behind the newest
        newer = [new_record(SIGNINS, 3, 31 + i, f"2024-06-0{i + 1}T00:00:00.25Z") for i in range(2)]
        self.emu.add_activities(SIGNINS, [newer[1], late, newer[0]])
        self.emu.clear_requests()
        result = self.run_state(SIGNINS, "-v")
        self.assertEqual(self.activities(result), [expected_signin(r) for r in [late, *newer]])
        posts = self.posts(SIGNINS)
        self.assertEqual([p["body"] for p in posts], [saved])  # no ResetCursor, no start_time
        self.assertIn(f"{SIGNINS}: resuming from the API's resume point {self.emu.url}{PATHS[SIGNINS]}", result.stderr)
        self.assertEqual(self.state()["high_water"], "2024-06-02T00:00:00.250Z")
        self.assertEqual(json.loads(self.state()["resume"]["body"]),
                         {"cursor": self.replay(SIGNINS, posts[-1]["body"])["cursor"]})
        self.emu.clear_requests()
        self.assertEqual(self.ids_of(self.run_state(SIGNINS)), [])  # nothing new: one request
        self.assertEqual([p["body"] for p in self.posts(SIGNINS)], [self.state()["resume"]["body"]])

    def test_a_run_failing_mid_listing_resumes_at_the_page_that_failed(self) -> None:
        self.emu.faults({"path": PATHS[USAGES], "kind": "status", "status": 500, "skip": 2, "times": 1})
        first = self.run_state(USAGES, "--page-size", "10")
        self.assertOneErrorLine(first, 1, "1password-item-usages: page 3: HTTP 500: Internal Server Error")
        self.assertEqual([a["id"] for a in ndjson(first.stdout)], ids(served(RECORDS[USAGES])[:20]))
        failed = self.posts(USAGES)[2]["body"]
        self.assertEqual(self.state()["resume"]["body"], failed)
        self.emu.clear_requests()
        second = self.run_state(USAGES, "--page-size", "10")
        self.assertEqual(self.ids_of(second), ids(served(RECORDS[USAGES])[20:]))
        self.assertEqual(self.posts(USAGES)[0]["body"], failed)

    def test_limit_with_state_loses_nothing_between_runs(self) -> None:
        # The resume point is the request of the page partly printed: it keeps the page size of
        # every run (1000, not --limit's 2), and the ids printed from that page stay in the state
        # file, however old, until the resume point moves on.
        everything = served(RECORDS[AUDIT])
        got = []
        for _ in range(3):
            got += self.ids_of(self.run_state(AUDIT, "--limit", "2"))
        self.assertEqual(got, ids(everything[:6]))
        first = {"start_time": "2024-05-01T00:00:00.000Z", "limit": 1000}
        self.assertEqual(self.bodies(AUDIT), [first] * 3)
        self.assertEqual(json.loads(self.state()["resume"]["body"]), first)
        self.assertLessEqual(set(got), set(self.state()["seen"]))
        self.assertGreater(parse_time(everything[5]["timestamp"]) - parse_time(everything[0]["timestamp"]), OVERLAP_NS)
        # a run without --limit reads on: the resume point moves, and the state keeps the overlap only
        self.assertEqual(self.ids_of(self.run_state(AUDIT)), ids(everything[6:]))
        state = self.state()
        self.assertEqual(state["high_water"], "2024-05-17T15:59:59.999Z")
        self.assertNotEqual(json.loads(state["resume"]["body"]), first)
        horizon = parse_time(state["high_water"]) - OVERLAP_NS
        self.assertEqual(set(state["seen"]), {r["uuid"] for r in everything if parse_time(r["timestamp"]) >= horizon})
        self.assertFalse(set(got) & set(state["seen"]))

    def test_limit_with_a_local_filter_and_state_prints_each_activity_once(self) -> None:
        # The resume point of a partly printed page is that page's own request: the ids printed
        # from it stay in the state file whatever --overlap says (they are days apart), so each
        # later run skips them and prints the next ones.
        updates = ids([r for r in served(RECORDS[AUDIT]) if audit_action(r) == "user_updated"])
        self.assertEqual(len(updates), 5)
        got = []
        for _ in range(3):
            got += self.ids_of(self.run_state(AUDIT, "--action", "user_updated", "--limit", "2"))
        self.assertEqual(got, updates)

    def test_a_state_file_of_other_filters_posts_a_reset_cursor_from_the_time(self) -> None:
        self.assertEqual(self.ids_of(self.run_state(AUDIT, "--action", "user_updated")),
                         ids([r for r in served(RECORDS[AUDIT]) if audit_action(r) == "user_updated"]))
        self.assertEqual(self.state()["high_water"], "2024-05-17T15:59:59.999Z")  # everything was read
        # one record at the edge of the overlap, one just before it
        edge = new_record(AUDIT, 14, 40, "2024-05-17T15:54:59.999Z")
        before = new_record(AUDIT, 14, 41, "2024-05-17T15:54:59.998999999Z")
        self.emu.add_activities(AUDIT, [edge, before])
        self.emu.clear_requests()
        result = self.run_state(AUDIT, "--action", "user_deactivated", "-v")
        self.assertIn(f"{AUDIT}: the saved resume point belongs to other filters or settings; starting from the "
                      "time instead", result.stderr)
        self.assertEqual(self.bodies(AUDIT), [{"start_time": "2024-05-17T15:54:59.999Z", "limit": 1000}])
        self.assertEqual(self.ids_of(result), [edge["uuid"]])

    def test_a_state_file_of_another_region_or_stream_is_refused(self) -> None:
        self.assertEqual(len(self.ids_of(self.run_state(AUDIT, "--limit", "1"))), 1)
        saved = self.path.read_bytes()
        self.emu.clear_requests()
        result = self.run_state(AUDIT, "--region", "eu")
        self.assertOneErrorLine(result, 2, f"state file '{self.path}' belongs to another 1password-audit account "
                                           "(region=com)")
        result = self.run_state(SIGNINS)
        self.assertOneErrorLine(result, 2, f"state file '{self.path}' belongs to provider 1password-audit, not "
                                           "1password-signins")
        self.assertEqual((self.emu.requests(), self.path.read_bytes()), ([], saved))
        self.assertEqual(len(self.ids_of(self.run_state(AUDIT, "--limit", "1", "--region", "COM"))), 1)

    def test_a_bounded_run_s_cursor_does_not_end_later_runs_at_its_until(self) -> None:
        # 1Password's cursor keeps the end_time of the window it began with: a run bounded by
        # --until keeps no resume point, and the next run starts from the time.
        until = "2024-05-17T00:00:00Z"
        before = in_window(served(RECORDS[AUDIT]), SINCE, until)
        self.assertEqual(self.ids_of(self.run_state(AUDIT, until=until)), ids(before))
        state = self.state()
        self.assertNotIn("resume", state)
        self.assertEqual(state["high_water"], ms(before[-1]["timestamp"]))
        later = ids(in_window(served(RECORDS[AUDIT]), until))
        self.assertEqual(len(later), 5)
        self.emu.clear_requests()
        self.assertEqual(self.ids_of(self.run_state(AUDIT)), later)
        self.assertEqual(self.bodies(AUDIT)[0], {"start_time": format_ms(parse_time(before[-1]["timestamp"]) - OVERLAP_NS),
                                                 "limit": 1000})
        self.assertIn("resume", self.state())  # unbounded: the cursor is kept again

    def test_a_run_with_until_starts_from_the_time_not_the_saved_cursor(self) -> None:
        # The saved cursor reads on to now; a run bounded by --until starts from the time (the
        # high-water mark less --overlap) with a ResetCursor ending at --until, and keeps no cursor.
        self.assertEqual(self.ids_of(self.run_state(AUDIT)), ids(served(RECORDS[AUDIT])))
        self.assertIn("resume", self.state())
        inside = new_record(AUDIT, 14, 60, "2024-05-20T00:00:00.5Z")
        outside = new_record(AUDIT, 14, 61, "2024-05-22T00:00:00Z")
        self.emu.add_activities(AUDIT, [outside, inside])
        self.emu.clear_requests()
        until = "2024-05-21T00:00:00Z"
        result = self.run_state(AUDIT, "-v", until=until)
        self.assertIn(f"{AUDIT}: --until bounds this run; starting from the time, not the saved resume point",
                      result.stderr)
        self.assertEqual(self.ids_of(result), [inside["uuid"]])  # the overlap's records are in the state
        self.assertEqual(self.bodies(AUDIT), [{"start_time": "2024-05-17T15:54:59.999Z", "end_time": until.replace(
            "Z", ".000Z"), "limit": 1000}])
        state = self.state()
        self.assertNotIn("resume", state)
        self.assertEqual(state["high_water"], "2024-05-20T00:00:00.500Z")
        self.assertNotIn(outside["uuid"], state["seen"])
        self.assertEqual(self.ids_of(self.run_state(AUDIT)), [outside["uuid"]])


# --------------------------------------------------------------------------- tail


class TailTest(OnePasswordCase):
    WAIT = 8.0

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-1password-tail-")
        self.path = Path(self.tmp.name) / "op.json"
        self.processes: list[TailProcess] = []

    def tearDown(self) -> None:
        for process in self.processes:
            process.stop()
        self.tmp.cleanup()

    def tail(self, stream: str, *args: str) -> TailProcess:
        process = TailProcess(["tail", "-p", stream, "--base-url", self.emu.url, "--since", SINCE, "--interval", "1s",
                               "--state", self.path, "-o", "ndjson", *args], env=ENV)
        self.processes.append(process)
        return process

    def stop(self, process: TailProcess) -> None:
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(10), 0, process.describe())

    def test_tail_continues_from_the_cursor_list_saved_and_idle_polls_repeat_the_newest(self) -> None:
        listed = self.list(USAGES, "--state", str(self.path), until=None)
        self.assertEqual(self.ids_of(listed), ids(served(RECORDS[USAGES])))
        saved = json.loads(json.loads(self.path.read_text())["resume"]["body"])
        late = new_record(USAGES, 4, 50, "2024-05-14T00:00:00.123456Z")  # older than the newest printed
        tie = [new_record(USAGES, 4, 51 + i, "2024-06-01T00:00:00.000999999Z") for i in range(2)]
        self.emu.add_activities(USAGES, [tie[1], late, tie[0]])
        self.emu.clear_requests()
        process = self.tail(USAGES)
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 3, self.WAIT), process.describe())
        self.assertTrue(process.wait_for(lambda: len(self.posts(USAGES)) >= 3, self.WAIT), process.describe())
        self.stop(process)
        self.assertEqual(process.activities(), [expected_usage(r) for r in (late, *tie)])
        bodies = self.bodies(USAGES)
        self.assertEqual(bodies[0], saved)  # not a ResetCursor with start_time
        self.assertTrue(all(list(b) == ["cursor"] for b in bodies))
        after = self.replay(USAGES, saved)
        self.assertEqual([i["uuid"] for i in after["items"]], [late["uuid"], *ids(tie)])
        self.assertEqual(bodies[1:], [{"cursor": after["cursor"]}] * (len(bodies) - 1))  # one request a poll
        state = json.loads(self.path.read_text())
        self.assertEqual(json.loads(state["resume"]["body"]), {"cursor": after["cursor"]})
        self.assertEqual(set(state["seen"]), set(ids(tie)))
        self.assertEqual(state["high_water"], "2024-06-01T00:00:00.000Z")


if __name__ == "__main__":
    unittest.main()
