"""End to end: the real auditfetch binary against the Google Workspace emulator (tests/emulator/google.py).

The Admin SDK Reports API (PROVIDERS-DIRECT.md section 4): GET
/admin/reports/v1/activity/users/{userKey}/applications/{applicationName} with startTime and
endTime in RFC 3339 (both inclusive), maxResults (at most 1000), eventName, and nextPageToken
sent back as pageToken; items come newest first. Each item holds one or more events: auditfetch
prints one activity per event, with the id "{application}:{id.time}:{uniqueQualifier}:{index}"
(id.time as the API writes it: uniqueQualifier is unique only among the events of one time) and
the whole item as remote_data. The bearer token comes from Google's token endpoint for a service
account: a JWT (RS256) signed with the key file's private key, with iss = client_email,
sub = --subject (domain-wide delegation), scope = the audit scope and aud = the key's token_uri.
Google sends no Retry-After with its 429; the definition's rate_limit.backoff (1 s) applies.

Expected values come from tests/fixtures/google-workspace/activities.json through the oracles
below (the definition's mapping and action table as a user reads them in `auditfetch providers
google-workspace`), never from auditfetch's own output.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qs

from harness import (GOOGLE_ADMIN, GOOGLE_ADMIN_ID, GOOGLE_CUSTOMER_ID, GOOGLE_KEY_FILE, GOOGLE_SCOPE,
                     GOOGLE_SERVICE_ACCOUNT, GOOGLE_USER, TOKEN, fixture_records, http, run_auditfetch)
from provider_case import ProviderCase, format_ms, ms, ndjson, parse_time, table_cells, table_lines
from test_tail import TailProcess

PROVIDER = "google-workspace"
RECORDS = fixture_records(PROVIDER)
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"  # every fixture record is inside
APPLICATIONS = ("admin", "login", "drive", "groups", "token", "saml")
LIST_PREFIX = "/admin/reports/v1/activity/users/"
SECOND_NS = 1_000_000_000
OVERLAP_NS = 300 * SECOND_NS  # --overlap's default
KEY = json.loads(GOOGLE_KEY_FILE.read_text(encoding="utf-8"))
ALICE_ID = "102837465019283746501"


# --------------------------------------------------------------------------- oracles


def at(record: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(record, dict):
            record = record.get(key)
        else:
            return None
    return record


def param(event: dict[str, Any], name: str) -> str | None:
    """An event parameter's `value` (multiValue, boolValue and intValue are other fields)."""
    return next((p.get("value") for p in event.get("parameters", []) if p["name"] == name), None)


ACTIONS = {"login_success": "login", "login_failure": "login_failed", "logout": "logout",
           "CREATE_USER": "user_created", "DELETE_USER": "user_deleted", "SUSPEND_USER": "user_deactivated"}


def expected_action(event: dict[str, Any]) -> str:
    name = event["name"]
    if name in ACTIONS:
        return ACTIONS[name]
    if (name == "UNSUSPEND_USER" or name.startswith("CHANGE_")) and event.get("type") == "USER_SETTINGS":
        return "user_updated"
    return name


# What an event is about, in the definition's order: its parameter, the unified entity_type.
ENTITY_PARAMS = (("USER_EMAIL", "user"), ("GROUP_EMAIL", "group"), ("doc_id", "document"),
                 ("group_email", "group"), ("client_id", "oauth_client"), ("application_name", "saml_application"))
# The description names the object after the actor: "for" a user, "on" a document, "in" a group.
DESCRIPTION_PARAMS = (("USER_EMAIL", "for"), ("doc_title", "on"), ("group_email", "in"))


def expected_entity(event: dict[str, Any]) -> tuple[str | None, str | None]:
    for name, kind in ENTITY_PARAMS:
        if param(event, name):
            return param(event, name), kind
    return None, None


def expected_description(record: dict[str, Any], event: dict[str, Any]) -> str:
    email = at(record, "actor", "email")
    if not email:
        return event["name"]
    for name, word in DESCRIPTION_PARAMS:
        if param(event, name):
            return f"{event['name']} by {email} {word} {param(event, name)}"
    return f"{event['name']} by {email}"


def expected_actor(record: dict[str, Any]) -> dict[str, Any]:
    actor = record.get("actor", {})
    if "callerType" in actor:
        kind = "user" if actor["callerType"] == "USER" else "system"
    else:  # a Workspace user has a profileId; someone outside the domain only an email (Reports API reference)
        kind = "user" if "profileId" in actor or "email" in actor else "system"
    return {"type": kind, "user": {"id": actor.get("profileId") or actor.get("email") or actor.get("key")}}


def gid(record: dict[str, Any], index: int) -> str:
    """The activity id: application, id.time as written, uniqueQualifier, the event's index."""
    return f"{record['id']['applicationName']}:{record['id']['time']}:{record['id']['uniqueQualifier']}:{index}"


def unique_of(activity_id: str) -> str:
    """The uniqueQualifier in an activity id (id.time has colons of its own; the qualifier has none)."""
    return activity_id.rsplit(":", 2)[1]


def expected_activity(record: dict[str, Any], index: int, remote_data: bool = True) -> dict[str, Any]:
    event = record["events"][index]
    entity, entity_type = expected_entity(event)
    return {
        "id": gid(record, index),
        "actor": expected_actor(record),
        "organization": record["id"].get("customerId") or record.get("ownerDomain"),
        "group": record["id"]["applicationName"],
        "description": expected_description(record, event),
        "action": expected_action(event),
        "entity": entity,
        "entity_type": entity_type,
        "context": {"ip_address": record.get("ipAddress"), "user_agent": None,
                    "authentication_method": param(event, "login_type")},
        "created_at": ms(record["id"]["time"]),
        "remote_data": record if remote_data else None,
        "provider": PROVIDER,
    }


def newest_first(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's order: id.time, then uniqueQualifier (as a number), newest first."""
    return sorted(records, key=lambda r: (parse_time(r["id"]["time"]), int(r["id"]["uniqueQualifier"])),
                  reverse=True)


def events(application: str = "admin", since: str | None = SINCE, until: str | None = UNTIL,
           records: Iterable[dict[str, Any]] = RECORDS) -> list[tuple[dict[str, Any], int]]:
    """(record, event index) of an application in the window, in the order auditfetch prints a listing."""
    out = []
    for r in newest_first(records):
        t = parse_time(r["id"]["time"])
        if r["id"]["applicationName"] != application:
            continue
        if (since is not None and t < parse_time(since)) or (until is not None and t >= parse_time(until)):
            continue
        out.extend((r, i) for i in range(len(r["events"])))
    return out


def truth(application: str = "admin", since: str | None = SINCE, until: str | None = UNTIL,
          actions: Iterable[str] = (), actor: str | None = None, entity: str | None = None,
          entity_type: str | None = None, records: Iterable[dict[str, Any]] = RECORDS) -> list[str]:
    """Ids of the events the unified filters select; `actions` unified or native."""
    wanted = set(actions)
    out = []
    for r, i in events(application, since, until, records):
        event = r["events"][i]
        if wanted and expected_action(event) not in wanted and event["name"] not in wanted:
            continue
        if actor is not None and expected_actor(r)["user"]["id"] != actor:
            continue
        if entity is not None and expected_entity(event)[0] != entity:
            continue
        if entity_type is not None and expected_entity(event)[1] != entity_type:
            continue
        out.append(gid(r, i))
    return out


def record(unique: str) -> dict[str, Any]:
    return next(r for r in RECORDS if r["id"]["uniqueQualifier"] == unique)


def fid(unique: str, index: int = 0) -> str:
    """The id of a fixture record's event."""
    return gid(record(unique), index)


def new_record(template: dict[str, Any], unique: str, when: str, **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(template)
    out.pop("etag", None)
    out["id"] = {**out["id"], "time": when, "uniqueQualifier": unique}
    out.update(changes)
    return out


def b64url_json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def pem_lines(pem: str) -> list[str]:
    """The base64 lines of a PEM block (its secret material)."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


# --------------------------------------------------------------------------- test case


class GoogleCase(ProviderCase):
    """One emulator per class, and the test service account's key file pointing at its /token."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-google-")
        cls.key_path = Path(cls.tmp.name) / "service-account.json"
        cls.token_uri = cls.emu.url + "/token"
        cls.key_path.write_text(json.dumps({**KEY, "token_uri": cls.token_uri}), encoding="utf-8")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()
        super().tearDownClass()

    def settings(self, application: str | None = "admin", subject: str | None = GOOGLE_ADMIN,
                 key: str | Path | None = "default", base: str | None = None) -> list[str]:
        out = ["-p", PROVIDER, "--base-url", base or self.emu.url]
        if application:
            out += ["--application", application]
        if subject:
            out += ["--subject", subject]
        if key:
            out += ["--credentials-file", str(self.key_path if key == "default" else key)]
        return out

    def list(self, *args: str, application: str | None = "admin", since: str | None = SINCE,
             until: str | None = UNTIL, subject: str | None = GOOGLE_ADMIN, key: str | Path | None = "default",
             env: dict[str, str | None] | None = None, base: str | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", *self.settings(application, subject, key, base), *window, *args,
                              env=env or {})

    def gets(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(LIST_PREFIX) if r["method"] == "GET"]

    def window_sent(self) -> tuple[str | None, str | None]:
        """(startTime, endTime) of the last listing request."""
        params = self.gets()[-1]["params"]
        return params.get("startTime", [None])[0], params.get("endTime", [None])[0]

    def token_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests("/token") if r["path"] == "/token"]

    def ids(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def write_key(self, name: str, **changes: Any) -> Path:
        path = Path(self.tmp.name) / name
        path.write_text(json.dumps({**KEY, "token_uri": self.token_uri, **changes}), encoding="utf-8")
        return path


# =========================================================================== mapping


class MappingTest(GoogleCase):
    def test_every_event_of_every_application_maps_field_by_field(self) -> None:
        seen = 0
        for application in APPLICATIONS:
            with self.subTest(application=application):
                activities = self.activities(self.list(application=application))
                expected = [expected_activity(r, i) for r, i in events(application)]
                self.assertGreaterEqual(len(expected), 3)
                self.assertEqual([a["id"] for a in activities], [e["id"] for e in expected])  # newest first
                for activity, want in zip(activities, expected):
                    self.assertUnifiedShape(activity, PROVIDER)
                    self.assertEqual(activity, want)
                seen += len(activities)
        self.assertEqual(seen, sum(len(r["events"]) for r in RECORDS))

    def test_a_record_with_several_events_is_one_activity_per_event_with_the_whole_record(self) -> None:
        # admin: CREATE_USER then ADD_GROUP_MEMBER in one item; login: a challenge, then the
        # suspicious login it raised; drive: two ACL changes of one document
        for unique, application, actions in (
                ("8378842002502657684", "admin", ["user_created", "ADD_GROUP_MEMBER"]),
                ("6620323172520195788", "login", ["login_challenge", "suspicious_login"]),
                ("2597712155505572309", "drive", ["change_user_access", "change_document_visibility"])):
            with self.subTest(application=application):
                rec = record(unique)
                self.assertEqual(len(rec["events"]), 2)
                t = rec["id"]["time"]
                result = self.list(application=application, since=t, until=format_ms(parse_time(t) + SECOND_NS))
                got = [a for a in self.activities(result) if a["remote_data"]["id"]["uniqueQualifier"] == unique]
                self.assertEqual([a["id"] for a in got], [f"{application}:{t}:{unique}:{i}" for i in (0, 1)])
                self.assertEqual([a["action"] for a in got], actions)
                for activity in got:
                    self.assertEqual(activity["remote_data"], rec)  # both events, untouched
                    self.assertEqual(activity["created_at"], ms(t))

    def test_record_kinds_spelled_out(self) -> None:
        def one(application: str, unique: str, index: int = 0) -> dict[str, Any]:
            rec = record(unique)
            result = self.list("--no-remote-data", application=application, since=rec["id"]["time"],
                               until=format_ms(parse_time(rec["id"]["time"]) + SECOND_NS))
            return next(a for a in self.activities(result)
                        if a["id"] == f"{application}:{rec['id']['time']}:{unique}:{index}")

        common = {"organization": GOOGLE_CUSTOMER_ID, "remote_data": None, "provider": PROVIDER}
        admin = {"type": "user", "user": {"id": GOOGLE_ADMIN_ID}}
        admin_ip = "2001:db8:85a3::8a2e:370:7334"
        self.assertEqual(one("login", "4665020696436104119"), {
            "id": "login:2024-05-20T07:30:45.120Z:4665020696436104119:0",
            "actor": {"type": "user", "user": {"id": "107382910293847561029"}},
            "group": "login", "description": "login_failure by frank@example.com", "action": "login_failed",
            "entity": None, "entity_type": None,
            "context": {"ip_address": "192.0.2.140", "user_agent": None, "authentication_method": "google_password"},
            "created_at": "2024-05-20T07:30:45.120Z", **common})
        self.assertEqual(one("login", "1437281691914802511")["context"]["authentication_method"], "saml")
        self.assertEqual(one("admin", "6809129055025646259"), {
            "id": "admin:2024-05-27T10:00:00.000Z:6809129055025646259:0", "actor": admin, "group": "admin",
            "description": "DELETE_USER by admin@example.com for dave@example.com", "action": "user_deleted",
            "entity": "dave@example.com", "entity_type": "user",
            "context": {"ip_address": admin_ip, "user_agent": None, "authentication_method": None},
            "created_at": "2024-05-27T10:00:00.000Z", **common})
        # an API key acting for the system: no user, no address
        self.assertEqual(one("admin", "3722841633192324612"), {
            "id": "admin:2024-05-24T15:00:00.000Z:3722841633192324612:0",
            "actor": {"type": "system", "user": {"id": "SYSTEM"}},
            "group": "admin", "description": "CHANGE_APPLICATION_SETTING", "action": "CHANGE_APPLICATION_SETTING",
            "entity": None, "entity_type": None,
            "context": {"ip_address": None, "user_agent": None, "authentication_method": None},
            "created_at": "2024-05-24T15:00:00.000Z", **common})
        # a group created: the group is the entity (GROUP_EMAIL), the raw event name the action
        created = one("admin", "-7254265323859290892")
        self.assertEqual((created["action"], created["entity"], created["entity_type"], created["description"]),
                         ("CREATE_GROUP", "incident-2024-05@example.com", "group", "CREATE_GROUP by secops@example.com"))
        drive = one("drive", "1531784237235253402")
        self.assertEqual((drive["description"], drive["action"], drive["entity"], drive["entity_type"]),
                         ('download by bob@example.com on Board "deck"\tv2\x07.pdf', "download",
                          "1ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zYxWv", "document"))
        group = one("groups", "778786436170325465")
        self.assertEqual((group["description"], group["entity"], group["entity_type"]),
                         ("add_member by admin@example.com in engineering@example.com", "engineering@example.com",
                          "group"))
        token = one("token", "2471469054663599122")
        self.assertEqual((token["description"], token["action"], token["entity"], token["entity_type"]),
                         ("authorize by bob@example.com", "authorize",
                          "123456789012-slk3vq0p7bm1xf6e9r2c4hn8uadtg5jo.apps.googleusercontent.com", "oauth_client"))
        saml = one("saml", "8116157845192513541")
        self.assertEqual((saml["action"], saml["entity"], saml["entity_type"], saml["actor"]["user"]["id"]),
                         ("login_failed", "Salesforce", "saml_application", "103746582910374658291"))

    def test_the_action_table_needs_user_settings_for_unsuspend_and_change(self) -> None:
        template = record("5600353455093606767")  # UNSUSPEND_USER, type USER_SETTINGS
        # (id.time written without milliseconds: the id keeps it as written, created_at is normalised)
        other_type = new_record(template, "900000000000000001", "2024-06-02T10:00:00Z")
        other_type["events"] = [{**template["events"][0], "type": "DELEGATED_ADMIN_SETTINGS"}]
        change = new_record(template, "900000000000000002", "2024-06-02T10:00:01.000Z")
        change["events"] = [{"type": "USER_SETTINGS", "name": "CHANGE_USER_ORGANIZATION",
                             "parameters": [{"name": "USER_EMAIL", "value": "bob@example.com"}]},
                            {"type": "DOMAIN_SETTINGS", "name": "CHANGE_DOMAIN_DEFAULT_LOCALE",
                             "parameters": [{"name": "NEW_VALUE", "value": "de"}]}]
        self.emu.add_activities(PROVIDER, [other_type, change])
        window = ("2024-06-02T00:00:00Z", "2024-06-03T00:00:00Z")
        activities = self.activities(self.list(since=window[0], until=window[1]))
        self.assertEqual([(a["id"], a["action"]) for a in activities], [
            ("admin:2024-06-02T10:00:01.000Z:900000000000000002:0", "user_updated"),
            ("admin:2024-06-02T10:00:01.000Z:900000000000000002:1", "CHANGE_DOMAIN_DEFAULT_LOCALE"),
            ("admin:2024-06-02T10:00:00Z:900000000000000001:0", "UNSUSPEND_USER")])
        self.assertEqual(activities[2]["created_at"], "2024-06-02T10:00:00.000Z")
        # the native value is the superset sent; the condition on the type is checked locally
        self.assertEqual(self.ids(self.list("--action", "UNSUSPEND_USER", since=window[0], until=window[1])),
                         [gid(other_type, 0)])
        self.assertEqual(self.ids(self.list("--action", "user_updated", since=window[0], until=window[1])),
                         [gid(change, 0)])

    def test_an_actor_without_caller_type_is_a_user_when_it_has_a_profile_id_or_an_email(self) -> None:
        template = record("2529773615501232846")
        profile_only = new_record(template, "900000000000000003", "2024-06-02T11:00:00.000Z",
                                  actor={"email": "bob@example.com", "profileId": "103746582910374658291"})
        email_only = new_record(template, "900000000000000004", "2024-06-02T11:00:01.000Z",
                                actor={"email": "erin@example.com"})
        no_email = new_record(template, "900000000000000005", "2024-06-02T11:00:02.000Z",
                              actor={"callerType": "KEY", "key": "CHROME_SYNC"}, ownerDomain="example.com")
        del no_email["ipAddress"]
        self.emu.add_activities(PROVIDER, [profile_only, email_only, no_email])
        got = {a["id"]: a for a in self.activities(self.list("--no-remote-data", since="2024-06-02T00:00:00Z",
                                                             until="2024-06-03T00:00:00Z"))}
        for rec in (profile_only, email_only, no_email):
            self.assertEqual(got[gid(rec, 0)], expected_activity(rec, 0, remote_data=False))
        self.assertEqual(got[gid(profile_only, 0)]["actor"], {"type": "user", "user": {"id": "103746582910374658291"}})
        self.assertEqual(got[gid(email_only, 0)]["actor"], {"type": "user", "user": {"id": "erin@example.com"}})
        self.assertEqual((got[gid(no_email, 0)]["actor"], got[gid(no_email, 0)]["description"]),
                         ({"type": "system", "user": {"id": "CHROME_SYNC"}}, "CREATE_USER"))


# =========================================================================== the native request


class RequestTest(GoogleCase):
    def test_a_listing_is_one_get_with_the_window_and_max_results_and_a_bearer_token(self) -> None:
        result = self.list("-v")
        self.assertEqual(self.ids(result), truth())
        [request] = self.gets()
        self.assertEqual(request["path"], "/admin/reports/v1/activity/users/all/applications/admin")
        # endTime is inclusive at Google: the last millisecond before --until
        self.assertEqual(request["params"], {"startTime": ["2024-05-01T00:00:00.000Z"],
                                             "endTime": ["2024-05-31T23:59:59.999Z"], "maxResults": ["1000"]})
        self.assertEqual(request["headers"].get("Accept"), "application/json")
        scheme, _, token = request["headers"]["Authorization"].partition(" ")
        self.assertEqual(scheme, "Bearer")
        claims = b64url_json(token.split(".")[1])  # the emulator's token says whom it was issued for
        self.assertEqual((claims["sub"], claims["scope"], claims["azp"]), (GOOGLE_ADMIN, GOOGLE_SCOPE, KEY["client_id"]))
        self.assertEqual(self.pushdown(result, PROVIDER), ({"since", "until"}, set()))
        self.assertNotIn(token, result.stderr)

    def test_application_and_user_key_go_in_the_path(self) -> None:
        cases = [(("--application", "token", "--user-key", GOOGLE_USER), "alice%40example.com/applications/token"),
                 (("--application", "token", "--user-key", ALICE_ID), f"{ALICE_ID}/applications/token"),
                 (("--application", "login", "--user-key", "all"), "all/applications/login")]
        for args, path in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args, application=None)
                application, user = args[1], args[3]
                expected = [i for i in truth(application) if user == "all" or
                            expected_actor(record(unique_of(i)))["user"]["id"] == ALICE_ID]
                self.assertEqual(self.ids(result), expected)
                self.assertEqual([r["path"] for r in self.gets()], [LIST_PREFIX + path])
                self.assertTrue(expected)

    def test_settings_come_from_their_environment_variables_and_login_is_the_default(self) -> None:
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(self.key_path), "GOOGLE_WORKSPACE_SUBJECT": GOOGLE_ADMIN}
        result = self.list(application=None, subject=None, key=None, env=env)
        self.assertEqual(self.ids(result), truth("login"))
        result = self.list(application=None, subject=None, key=None, env={**env, "GOOGLE_WORKSPACE_APPLICATION": "saml"})
        self.assertEqual(self.ids(result), truth("saml"))
        self.assertEqual([r["path"].rsplit("/", 1)[1] for r in self.gets()], ["login", "saml"])

    def test_page_size_is_max_results_up_to_1000(self) -> None:
        self.assertEqual(self.ids(self.list("--page-size", "1000")), truth())
        self.assertEqual(self.ids(self.list("--page-size", "7")), truth())
        self.assertEqual([r["params"]["maxResults"] for r in self.gets()], [["1000"], ["7"], ["7"]])
        self.emu.clear_requests()
        result = self.list("--page-size", "1001")
        self.assertOneErrorLine(result, 2, "--page-size 1001 is out of range for google-workspace (use 1 to 1000)")
        self.assertEqual(self.emu.requests(), [])

    def test_an_exact_action_is_sent_as_event_name_and_others_are_applied_locally(self) -> None:
        cases = [(("--action", "user_created"), "CREATE_USER", {"since", "until", "action"}),
                 (("--action", "CREATE_GROUP"), "CREATE_GROUP", {"since", "until", "action"}),
                 (("--action", "user_deactivated"), "SUSPEND_USER", {"since", "until", "action"}),
                 (("--action", "user_updated"), None, {"since", "until"}),  # CHANGE_* is a pattern
                 (("--action", "user_created", "--action", "user_deleted"), None, {"since", "until"})]  # one eventName
        for args, event_name, pushed in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list("-v", *args)
                expected = truth(actions=args[1::2])
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(self.pushdown(result, PROVIDER), (pushed, {"since", "until", "action"} - pushed))
                self.assertEqual([r["params"].get("eventName") for r in self.gets()],
                                 [[event_name] if event_name else None])

    def test_an_event_name_filter_keeps_only_the_matching_event_of_a_record(self) -> None:
        # Google serves the whole item when one of its events matches; the other event is not printed
        rec = record("8378842002502657684")
        self.assertEqual(self.ids(self.list("--action", "user_created")),
                         [fid("2529773615501232846"), fid("8378842002502657684")])
        self.assertEqual(self.ids(self.list("--action", "ADD_GROUP_MEMBER")), [fid("8378842002502657684", 1)])
        self.assertEqual([r["params"]["eventName"] for r in self.gets()], [["CREATE_USER"], ["ADD_GROUP_MEMBER"]])
        self.assertEqual(len(rec["events"]), 2)

    def test_actor_entity_and_entity_type_are_applied_locally(self) -> None:
        cases = [(("--actor-id", "101938475610293847561"), truth(actor="101938475610293847561")),
                 (("--actor-id", "SYSTEM"), [fid("3722841633192324612")]),
                 (("--entity", "dave@example.com"), truth(entity="dave@example.com")),
                 (("--entity-type", "group"), truth(entity_type="group")),
                 (("--action", "user_created", "--entity", "dave@example.com"), [fid("8378842002502657684")])]
        for args, expected in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list("-v", *args)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                _, local = self.pushdown(result, PROVIDER)
                self.assertTrue({"actor_id", "entity", "entity_type"} & local, result.stderr)
                self.assertEqual(sorted(self.gets()[0]["params"]), sorted(
                    ["endTime", "maxResults", "startTime"] + (["eventName"] if "--action" in args else [])))
        self.assertEqual(len(truth(entity="dave@example.com")), 4)

    def test_a_native_parameter_passes_through(self) -> None:
        result = self.list("--param", "actorIpAddress=198.51.100.200", application="login")
        self.assertEqual(self.ids(result),
                         [gid(r, i) for r, i in events("login") if r.get("ipAddress") == "198.51.100.200"])
        self.assertEqual(self.gets()[0]["params"]["actorIpAddress"], ["198.51.100.200"])


# =========================================================================== the token exchange


class TokenTest(GoogleCase):
    def assertion(self, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
        form = parse_qs(request["body"], strict_parsing=True)
        self.assertEqual(sorted(form), ["assertion", "grant_type"])
        self.assertEqual(form["grant_type"], ["urn:ietf:params:oauth:grant-type:jwt-bearer"])
        [jwt] = form["assertion"]
        header, claims, _ = jwt.split(".")
        return b64url_json(header), b64url_json(claims), jwt

    def test_the_assertion_is_an_rs256_jwt_for_the_subject_and_the_audit_scope(self) -> None:
        before = int(time.time())
        result = self.list()
        after = int(time.time())
        self.assertEqual(self.ids(result), truth())
        [request] = self.token_requests()
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["headers"].get("Content-Type"), "application/x-www-form-urlencoded")
        header, claims, jwt = self.assertion(request)
        self.assertEqual(header, {"alg": "RS256", "typ": "JWT", "kid": KEY["private_key_id"]})
        self.assertEqual(set(claims), {"iss", "sub", "scope", "aud", "iat", "exp"})
        self.assertEqual((claims["iss"], claims["sub"], claims["scope"], claims["aud"]),
                         (GOOGLE_SERVICE_ACCOUNT, GOOGLE_ADMIN, GOOGLE_SCOPE, self.token_uri))
        self.assertTrue(before - 1 <= claims["iat"] <= after + 1, claims)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)  # Google's maximum
        # the signature verifies with the service account's public key
        with tempfile.TemporaryDirectory() as tmp:
            public = Path(tmp) / "public.pem"
            signature = Path(tmp) / "sig"
            subprocess.run(["openssl", "pkey", "-pubout", "-out", str(public)], input=KEY["private_key"].encode(),
                           check=True, capture_output=True)
            head, body, sig = jwt.split(".")
            signature.write_bytes(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
            verify = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public), "-signature",
                                     str(signature)], input=f"{head}.{body}".encode(), capture_output=True)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_the_audience_is_whatever_token_uri_the_key_file_names(self) -> None:
        key = self.write_key("localhost.json", token_uri=self.emu.url_for("/token", "localhost"))
        result = self.list(key=key)
        self.assertEqual(self.ids(result), truth())
        _, claims, _ = self.assertion(self.token_requests()[0])
        self.assertEqual(claims["aud"], self.emu.url_for("/token", "localhost"))

    def test_one_token_serves_every_page(self) -> None:
        result = self.list("--page-size", "2")
        self.assertEqual(self.ids(result), truth())
        self.assertEqual(len(self.token_requests()), 1)
        authorizations = {r["headers"]["Authorization"] for r in self.gets()}
        self.assertEqual(len(self.gets()), 6)
        self.assertEqual(len(authorizations), 1)

    def test_a_token_expired_mid_listing_is_renewed_once_and_the_page_asked_again(self) -> None:
        self.emu.faults({"path": "/applications/admin$", "kind": "expire_tokens", "skip": 1, "times": 1})
        result = self.list("--page-size", "4")
        self.assertEqual(self.ids(result), truth())
        self.assertEqual(len(self.token_requests()), 2)
        gets = self.gets()
        self.assertEqual(len(gets), 4)  # page 1, page 2 refused (401), page 2 again, page 3
        self.assertEqual(gets[1]["query"], gets[2]["query"])
        self.assertNotEqual(gets[1]["headers"]["Authorization"], gets[2]["headers"]["Authorization"])
        self.assertEqual(gets[2]["headers"]["Authorization"], gets[3]["headers"]["Authorization"])

    def test_a_subject_without_admin_rights_exits_3_naming_the_key_file(self) -> None:
        # the token endpoint signs for any user of the domain; the Reports API refuses a non-admin
        result = self.list(subject=GOOGLE_USER)
        self.assertOneErrorLine(result, 3, "auditfetch: error: google-workspace: page 1: access refused (403): "
                                           "Not Authorized to access this resource/api (")
        self.assertEqual(len(self.token_requests()), 1)
        self.assertEqual(result.stdout, "")
        line = self.errorLine(result)
        self.assertNotIn("{credentials-file}", line)  # the hint names the file, not the definition's template
        self.assertIn(f"the credentials from --credentials-file {self.key_path} and --subject {GOOGLE_USER} work",
                      line)

    def test_a_subject_the_token_endpoint_refuses_exits_3_naming_the_key_file(self) -> None:
        for subject in ("nobody@example.com", "dave@example.com"):  # unknown; deleted
            with self.subTest(subject=subject):
                self.emu.clear_requests()
                result = self.list(subject=subject)
                line = (f"auditfetch: error: google-workspace: page 1: token request to {self.token_uri}: refused "
                        f"(400): invalid_grant: Invalid email or User ID (check that {GOOGLE_SERVICE_ACCOUNT} may act "
                        f"for the subject with this scope (domain-wide delegation), and the key file '{self.key_path}')")
                self.assertOneErrorLine(result, 3, "invalid_grant")
                self.assertEqual(self.errorLine(result), line)
                self.assertEqual(self.gets(), [])
                _, claims, _ = self.assertion(self.token_requests()[0])
                self.assertEqual(claims["sub"], subject)

    def test_a_key_the_token_endpoint_cannot_verify_exits_3(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            other = Path(tmp) / "other.pem"
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                            "-out", str(other)], check=True, capture_output=True)
            key = self.write_key("rotated.json", private_key=other.read_text())
        result = self.list(key=key)
        self.assertOneErrorLine(result, 3, "refused (400): invalid_grant: Invalid JWT Signature. (check that "
                                           f"{GOOGLE_SERVICE_ACCOUNT} may act for the subject")
        self.assertIn(f"the key file '{key}'", self.errorLine(result))
        self.assertEqual(self.gets(), [])

    def test_key_file_problems_exit_2_naming_the_file_before_any_request(self) -> None:
        missing = Path(self.tmp.name) / "no-such-key.json"
        not_json = Path(self.tmp.name) / "list.json"
        not_json.write_text("[1, 2]")
        no_key = self.write_key("no-private-key.json", private_key=None)
        bad_pem = self.write_key("bad-pem.json",
                                 private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        cases = [(missing, f"key file '{missing}': cannot read it (check the path and its permissions)"),
                 (not_json, f"key file '{not_json}': not a JSON object (use the service account's JSON key file as "
                            "downloaded)"),
                 (no_key, f"key file '{no_key}': no \"private_key\" (use the service account's JSON key file as "
                          "downloaded)"),
                 (bad_pem, f"key file '{bad_pem}': the private key does not load (PEM expected)")]
        for path, text in cases:
            with self.subTest(key=path.name):
                result = self.list(key=path)
                self.assertOneErrorLine(result, 2, text)
                self.assertEqual(self.emu.requests(), [])

    def test_missing_subject_or_key_file_exit_2_before_any_request(self) -> None:
        # the key file signs for the subject: with either missing there are no credentials, and
        # the hint names both settings
        for missing in ({"subject": None}, {"key": None}, {"subject": None, "key": None}):
            with self.subTest(missing=sorted(missing)):
                result = self.list(**missing)
                self.assertOneErrorLine(result, 2, "auditfetch: error: google-workspace: no credentials (")
                hint = self.errorLine(result).partition("no credentials (")[2]
                self.assertIn("--credentials-file", hint)
                self.assertIn("--subject", hint)
                self.assertNotIn("{", hint)  # settings, not the definition's templates
        self.assertEqual(self.emu.requests(), [])

    def test_a_static_token_is_sent_as_it_is_without_a_token_request(self) -> None:
        result = self.list(env={"GOOGLE_ACCESS_TOKEN": TOKEN})
        self.assertEqual(self.ids(result), truth())
        self.assertEqual(self.token_requests(), [])
        self.assertEqual([r["headers"]["Authorization"] for r in self.gets()], [f"Bearer {TOKEN}"])

    def test_the_private_key_and_the_tokens_never_show(self) -> None:
        secrets = pem_lines(KEY["private_key"])
        self.assertGreater(len(secrets), 20)
        runs = [self.list("-v"),  # success
                self.list("-v", subject="nobody@example.com"),  # the token endpoint refuses
                self.list("-v", subject=GOOGLE_USER)]  # the API refuses the token
        self.assertEqual(runs[0].returncode, 0, runs[0].stderr)
        self.assertEqual([r.returncode for r in runs[1:]], [3, 3])
        assertions = [self.assertion(r)[2] for r in self.token_requests()]
        tokens = [r["headers"]["Authorization"].split(" ", 1)[1] for r in self.gets()]
        self.assertEqual((len(assertions), len(tokens)), (3, 2))
        for number, result in enumerate(runs):
            output = result.stdout + result.stderr
            for secret in secrets + [a.split(".")[2] for a in assertions] + tokens:
                self.assertNotIn(secret, output, f"run {number}")
            self.assertIn(f"POST {self.token_uri}", result.stderr)


# =========================================================================== paging


class PagingTest(GoogleCase):
    def test_next_page_tokens_are_sent_back_with_the_same_query(self) -> None:
        result = self.list("--page-size", "3")
        self.assertEqual(self.ids(result), truth())
        gets = self.gets()
        self.assertEqual(len(gets), 4)  # twelve items, three a page; the last page has no token
        first = gets[0]["params"]
        self.assertNotIn("pageToken", first)
        for number, request in enumerate(gets):
            # replayed with a static token: each page's nextPageToken is the next request's pageToken
            reply = http(f"{self.emu.url}{request['path']}?{request['query']}",
                         headers={"Authorization": f"Bearer {TOKEN}"}).json()
            if number + 1 < len(gets):
                self.assertEqual(gets[number + 1]["params"], {**first, "pageToken": [reply["nextPageToken"]]})
            else:
                self.assertNotIn("nextPageToken", reply)

    def test_ties_at_page_boundaries_and_fanned_out_items_come_once(self) -> None:
        ties = [t for t in {r["id"]["time"] for r in RECORDS if r["id"]["applicationName"] == "admin"}
                if sum(r["id"]["time"] == t and r["id"]["applicationName"] == "admin" for r in RECORDS) > 1]
        self.assertEqual(sorted(ties), ["2024-05-06T09:05:12.431Z", "2024-05-27T10:00:00.000Z"])
        for size, pages in (("1", 12), ("2", 6), ("5", 3)):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                self.assertEqual(self.ids(self.list("--page-size", size)), truth())
                self.assertEqual(len(self.gets()), pages)

    def test_limit_asks_for_that_many_items_and_stops(self) -> None:
        self.assertEqual(self.ids(self.list("--limit", "2")), truth()[:2])
        self.assertEqual([r["params"]["maxResults"] for r in self.gets()], [["2"]])
        # no resume point is kept for Google (the next run starts from a time): --state changes nothing here
        self.emu.clear_requests()
        with tempfile.TemporaryDirectory() as tmp:
            self.assertEqual(self.ids(self.list("--limit", "2", "--state", str(Path(tmp) / "google.json"))),
                             truth()[:2])
        self.assertEqual([r["params"]["maxResults"] for r in self.gets()], [["2"]])
        # a limit inside an item's events: the first event only
        rec = record("8378842002502657684")
        result = self.list("--limit", "1", since=rec["id"]["time"], until="2024-05-06T09:05:13Z")
        self.assertEqual(self.ids(result), [fid("8378842002502657684")])

    def test_items_added_while_paging_come_once_now_or_in_the_next_run(self) -> None:
        template = record("2529773615501232846")
        behind = new_record(template, "900000000000000010", "2024-05-02T00:00:00.000Z")  # below page 1's cursor
        ahead = new_record(template, "900000000000000011", "2024-05-30T00:00:00.000Z")  # above it
        self.emu.faults({"path": "/applications/admin$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "google.json"
            outcome: list[subprocess.CompletedProcess] = []
            runner = threading.Thread(target=lambda: outcome.append(
                self.list("--page-size", "4", "--state", str(state), until=None)))
            runner.start()
            deadline = time.monotonic() + 10
            while not self.gets() and time.monotonic() < deadline:
                time.sleep(0.01)
            self.emu.add_activities(PROVIDER, [behind, ahead])
            runner.join(30)
            self.assertFalse(runner.is_alive())
            everything = RECORDS + [behind, ahead]
            first = self.ids(outcome[0])
            self.assertEqual(first, [i for i in truth(until=None, records=everything) if i != gid(ahead, 0)])
            second = self.list("--page-size", "4", "--state", str(state), until=None)
            self.assertEqual(self.ids(second), [gid(ahead, 0)])


# =========================================================================== time semantics


class TimeTest(GoogleCase):
    LAST = "2024-05-31T23:59:59.999Z"  # login: a logout at the last millisecond of May

    def test_end_time_is_the_last_millisecond_before_until(self) -> None:
        last = record("5254272563839483175")
        self.assertEqual(last["id"]["time"], self.LAST)
        cases = [("2024-06-01T00:00:00Z", "2024-05-31T23:59:59.999Z", True),
                 (self.LAST, "2024-05-31T23:59:59.998Z", False),
                 ("2024-05-31T23:59:59.9991Z", "2024-05-31T23:59:59.999Z", True),
                 ("2024-06-01T00:00:00.0005Z", "2024-06-01T00:00:00.000Z", True)]
        for until, end_time, included in cases:
            with self.subTest(until=until):
                ids = self.ids(self.list(application="login", since="2024-05-31T00:00:00Z", until=until))
                self.assertEqual(ids, [fid("5254272563839483175")] if included else [])
                self.assertEqual(self.window_sent(), ("2024-05-31T00:00:00.000Z", end_time))

    def test_start_time_is_inclusive_to_the_millisecond(self) -> None:
        at_edge = "2024-05-28T23:59:59.999Z"  # login_success of alice
        cases = [(at_edge, at_edge, 2), ("2024-05-29T00:00:00Z", "2024-05-29T00:00:00.000Z", 1),
                 ("2024-05-28T23:59:59.9995Z", "2024-05-29T00:00:00.000Z", 1),  # the next millisecond it can hold
                 ("2024-05-29T01:59:59.999+02:00", "2024-05-28T23:59:59.999Z", 2)]
        for since, start_time, count in cases:
            with self.subTest(since=since):
                ids = self.ids(self.list(application="login", since=since, until=UNTIL))
                self.assertEqual(ids, truth("login", since=since)[:count])
                self.assertEqual(len(ids), count)
                self.assertEqual(self.window_sent(), (start_time, "2024-05-31T23:59:59.999Z"))

    def test_a_one_millisecond_window_finds_the_items_of_that_millisecond(self) -> None:
        # Google refuses a startTime that is not before endTime; the inclusive end of a window one
        # millisecond wide is its start, so something else must be sent (the local filter stays exact)
        since, until = "2024-05-06T09:05:12.431Z", "2024-05-06T09:05:12.432Z"
        expected = truth(since=since, until=until)
        self.assertEqual(expected, [fid("8378842002502657684"), fid("8378842002502657684", 1),
                                    fid("-562976787211467739")])
        # an item at --until itself: the API brings it (its endTime is inclusive), the run leaves it out
        at_until = new_record(record("-562976787211467739"), "900000000000000040", until)
        self.emu.add_activities(PROVIDER, [at_until])
        result = self.list(since=since, until=until)
        self.assertEqual(self.ids(result), expected)
        # --until minus a millisecond would not be after --since: --until itself is sent
        self.assertEqual(self.window_sent(), (since, until))
        request = self.gets()[-1]
        reply = http(f"{self.emu.url}{request['path']}?{request['query']}",
                     headers={"Authorization": f"Bearer {TOKEN}"}).json()
        self.assertIn(unique_of(gid(at_until, 0)), [item["id"]["uniqueQualifier"] for item in reply["items"]])

    def test_missing_bounds_are_not_sent(self) -> None:
        self.assertEqual(self.ids(self.list(since=None, until="2024-05-02T00:00:00Z")),
                         [fid("5803584484180771655")])
        self.assertEqual(self.window_sent(), (None, "2024-05-01T23:59:59.999Z"))
        self.assertEqual(self.ids(self.list(since="2024-05-27T00:00:00Z", until=None)),
                         truth(since="2024-05-27T00:00:00Z", until=None))
        self.assertEqual(self.window_sent(), ("2024-05-27T00:00:00.000Z", None))

    def test_since_not_before_until_is_refused_without_a_request(self) -> None:
        result = self.list(since="2024-05-02T00:00:00Z", until="2024-05-02T00:00:00Z")
        self.assertOneErrorLine(result, 2, "--since 2024-05-02T00:00:00.000Z is not before --until "
                                           "2024-05-02T00:00:00.000Z")
        self.assertEqual(self.emu.requests(), [])


# =========================================================================== errors


class ErrorTest(GoogleCase):
    def line(self, text: str) -> str:
        return f"auditfetch: error: google-workspace: page 1: {text}"

    def test_a_429_without_retry_after_is_retried_after_about_a_second(self) -> None:
        self.emu.faults({"path": "/applications/admin$", "kind": "status", "status": 429, "skip": 1, "times": 1})
        started = time.monotonic()
        result = self.list("--page-size", "5")
        elapsed = time.monotonic() - started
        self.assertEqual(self.ids(result), truth())
        waited = re.findall(r"^auditfetch: warning: HTTP 429; retrying in ([0-9.]+) (s|ms) \(1 of 3\)$",
                            result.stderr, re.M)
        self.assertEqual(len(waited), 1, result.stderr)
        seconds = float(waited[0][0]) / (1 if waited[0][1] == "s" else 1000)
        self.assertTrue(0.9 <= seconds <= 1.5, result.stderr)  # the definition's backoff, with jitter
        self.assertGreaterEqual(elapsed, 0.9)
        gets = self.gets()
        self.assertEqual(len(gets), 4)
        self.assertEqual(gets[1]["query"], gets[2]["query"])  # page 2 again, same pageToken

    def test_a_lasting_429_exits_1_with_googles_quota_message(self) -> None:
        self.emu.faults({"path": "/applications/admin$", "kind": "status", "status": 429, "times": -1})
        result = self.list("--retries", "1")
        self.assertOneErrorLine(result, 1, "HTTP 429")
        self.assertEqual(self.errorLine(result), self.line(
            "HTTP 429: Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
            "'admin.googleapis.com' for consumer 'project_number:482751906134'. (the API is rate limiting this "
            "account; wait, or raise --retries)"))
        self.assertEqual(len(self.gets()), 2)

    def test_googles_error_messages_in_the_one_error_line(self) -> None:
        cases = [
            (("--param", "maxResults=5000"), {}, 2,
             "the API rejected the request (400): Invalid value '5000'. Values must be within the range: [1, 1000] "
             "(check --filter, --param and the filter flags; -v shows the request)"),
            (("--user-key", "nobody@example.com"), {}, 2,
             "the API rejected the request (400): Bad Request (check --filter, --param and the filter flags; -v "
             "shows the request)"),
            ((), {"GOOGLE_ACCESS_TOKEN": "wrong-token"}, 3,
             "authentication refused (401): Request had invalid authentication credentials. Expected OAuth 2 access "
             "token, login cookie or other valid authentication credential. See "
             "https://developers.google.com/identity/sign-in/web/devconsole-project. (the token from "
             "GOOGLE_ACCESS_TOKEN was refused; it may be expired: set a fresh one)"),
        ]
        for args, env, code, text in cases:
            with self.subTest(args=args, env=env):
                self.emu.clear_requests()
                result = self.list(*args, env=env)
                self.assertOneErrorLine(result, code, text)
                self.assertEqual(self.errorLine(result), self.line(text))
                self.assertEqual(len(self.gets()), 1)  # refusals are not retried
                self.assertNotIn("wrong-token", result.stderr)

    def test_an_unknown_application_exits_2_with_googles_pattern_message(self) -> None:
        result = self.list(application="nosuch")
        self.assertOneErrorLine(result, 2, "the API rejected the request (400): Invalid value 'nosuch'. Values must "
                                           "match the following regular expression: '(access_evaluation)|")
        self.assertEqual([r["path"] for r in self.gets()], [LIST_PREFIX + "all/applications/nosuch"])

    def test_server_errors(self) -> None:
        self.emu.faults({"path": "/applications/admin$", "kind": "status", "status": 503, "times": 1})
        self.assertEqual(self.ids(self.list()), truth())  # retried
        self.assertEqual(len(self.gets()), 2)
        self.emu.reset()
        self.emu.faults({"path": "/applications/admin$", "kind": "status", "status": 500, "times": -1})
        result = self.list()
        self.assertOneErrorLine(result, 1, "HTTP 500")
        self.assertEqual(self.errorLine(result), self.line("HTTP 500: Internal error encountered."))

    def test_a_wrong_base_url_gets_googles_html_404_and_exits_2(self) -> None:
        result = self.list(base=self.emu.url + "/admin/directory")
        self.assertOneErrorLine(result, 2, "not found (404): ")
        self.assertIn("(check the provider settings and --base-url)", self.errorLine(result))

    def test_get_is_refused_without_a_request(self) -> None:
        result = run_auditfetch("get", *self.settings(), fid("8378842002502657684"))
        self.assertOneErrorLine(result, 2, "google-workspace cannot fetch one activity by id")
        self.assertEqual(self.errorLine(result), "auditfetch: error: google-workspace cannot fetch one activity by id "
                                                 "(the Reports API has no endpoint for one activity)")
        self.assertEqual(self.emu.requests(), [])


# =========================================================================== output


class OutputTest(GoogleCase):
    DAY = ("2024-05-06T00:00:00Z", "2024-05-08T00:00:00Z")  # admin: a two-event item among three items

    def day(self) -> list[dict[str, Any]]:
        return [expected_activity(r, i) for r, i in events("admin", *self.DAY)]

    def test_json_is_one_array_and_fields_select_keys(self) -> None:
        result = self.list("-o", "json", "--fields", "created_at,entity,id,actor.user.id,action", since=self.DAY[0],
                           until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [
            {"id": a["id"], "actor": {"user": {"id": a["actor"]["user"]["id"]}}, "action": a["action"],
             "entity": a["entity"], "created_at": a["created_at"]} for a in self.day()])
        self.assertEqual(len(self.day()), 4)

    def test_ndjson_without_remote_data(self) -> None:
        result = self.list("-o", "ndjson", "--no-remote-data", since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(ndjson(result.stdout), [{**a, "remote_data": None} for a in self.day()])

    def test_csv_has_every_field_in_schema_order(self) -> None:
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

    def test_table_rows_show_time_id_action_actor_entity_ip(self) -> None:
        result = self.list("-o", "table", since="2024-05-06T00:00:00Z", until="2024-05-25T00:00:00Z")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), table_lines(
            [table_cells(expected_activity(r, i)) for r, i in events("admin", "2024-05-06T00:00:00Z",
                                                                       "2024-05-25T00:00:00Z")]))
        self.assertNotIn("\u2026", result.stdout)  # off a terminal nothing is shortened


# =========================================================================== --state and tail


class StateTest(GoogleCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmpdir = tempfile.TemporaryDirectory(prefix="auditfetch-google-state-")
        self.path = Path(self.tmpdir.name) / "google.json"

    def tearDown(self) -> None:
        self.tmpdir.cleanup()

    def test_the_next_run_starts_at_the_newest_time_minus_the_overlap_and_prints_only_new_events(self) -> None:
        since = "2024-05-20T00:00:00Z"
        first = self.list("--state", str(self.path), since=since, until=None)
        self.assertEqual(self.ids(first), truth(since=since, until=None))
        saved = json.loads(self.path.read_text())
        newest = "2024-05-27T10:00:00.000Z"
        self.assertEqual((saved["provider"], saved["account"], saved["high_water"]),
                         (PROVIDER, {"application": "admin", "user-key": "all"}, newest))
        self.assertEqual(sorted(saved["seen"]), sorted([fid("6809129055025646259"), fid("-7254265323859290892")]))

        # an item at the very millisecond of the mark, and a two-event item after it
        tie = new_record(record("6809129055025646259"), "900000000000000020", newest)
        later = new_record(record("8378842002502657684"), "900000000000000021", "2024-05-27T11:00:00.000Z")
        self.emu.add_activities(PROVIDER, [tie, later])
        self.emu.clear_requests()
        second = self.list("--state", str(self.path), since=since, until=None)
        self.assertEqual(self.ids(second), [gid(later, 0), gid(later, 1), gid(tie, 0)])
        start = format_ms(parse_time(newest) - OVERLAP_NS)
        self.assertEqual(self.gets()[0]["params"], {"startTime": [start], "maxResults": ["1000"]})
        self.assertEqual(start, "2024-05-27T09:55:00.000Z")
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), [])
        self.assertEqual(self.gets()[0]["params"]["startTime"], ["2024-05-27T10:55:00.000Z"])

    def test_a_state_file_of_another_application_or_user_is_refused(self) -> None:
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), truth(until=None))
        before = self.path.read_bytes()
        for args in (("--application", "login"), ("--application", "admin", "--user-key", GOOGLE_ADMIN)):
            with self.subTest(args=args):
                result = self.list("--state", str(self.path), *args, application=None, until=None)
                line = (f"auditfetch: error: state file '{self.path}' belongs to another google-workspace account "
                        "(application=admin, user-key=all) (use one state file per provider and account)")
                self.assertOneErrorLine(result, 2, "belongs to another google-workspace account")
                self.assertEqual(self.errorLine(result), line)
        self.assertEqual(self.path.read_bytes(), before)

    def test_items_at_or_after_until_are_not_remembered_and_a_later_until_prints_them(self) -> None:
        # a one-millisecond window: Google is asked up to --until itself and brings the item there
        since, until = "2024-05-06T09:05:12.431Z", "2024-05-06T09:05:12.432Z"
        at_until = new_record(record("-562976787211467739"), "900000000000000041", until)
        self.emu.add_activities(PROVIDER, [at_until])
        first = self.list("--state", str(self.path), since=since, until=until)
        self.assertEqual(self.ids(first), truth(since=since, until=until))
        self.assertEqual(self.window_sent(), (since, until))
        saved = json.loads(self.path.read_text())
        self.assertEqual((saved["high_water"], sorted(saved["seen"])), (since, sorted(truth(since=since, until=until))))
        self.assertNotIn(gid(at_until, 0), saved["seen"])
        second = self.list("--state", str(self.path), since=since, until="2024-05-06T09:05:12.433Z")
        self.assertEqual(self.ids(second), [gid(at_until, 0)])
        self.assertEqual(json.loads(self.path.read_text())["high_water"], until)


class TailTest(GoogleCase):
    def test_tail_polls_from_the_newest_minus_the_overlap_and_prints_new_events_oldest_first(self) -> None:
        since = "2024-05-24T00:00:00Z"
        process = TailProcess(["tail", *self.settings(), "--since", since, "--interval", "1s", "-o", "ndjson",
                               "--no-remote-data"], env={})
        self.addCleanup(process.stop)
        backlog = list(reversed(truth(since=since, until=None)))
        self.assertEqual(backlog, [fid("3722841633192324612"), fid("-7254265323859290892"),
                                   fid("6809129055025646259")])  # by time, then id
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 3, 10), process.describe())
        added = new_record(record("8378842002502657684"), "900000000000000030", "2024-05-28T08:00:00.000Z")
        self.emu.add_activities(PROVIDER, [added])
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 5, 10), process.describe())
        polls = len(self.gets())
        deadline = time.monotonic() + 10
        while len(self.gets()) < polls + 2 and time.monotonic() < deadline:  # two idle polls: nothing repeats
            time.sleep(0.05)
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(10), 0, process.describe())
        self.assertEqual(process.activities(), [expected_activity(record(unique_of(i)), 0, remote_data=False)
                                                for i in backlog] +
                         [expected_activity(added, i, remote_data=False) for i in (0, 1)])
        gets = self.gets()
        self.assertEqual(gets[0]["params"], {"startTime": ["2024-05-24T00:00:00.000Z"], "maxResults": ["1000"]})
        starts = [r["params"]["startTime"][0] for r in gets[1:]]
        self.assertTrue(all("endTime" not in r["params"] for r in gets))
        self.assertEqual(starts[0], "2024-05-27T09:55:00.000Z")
        self.assertEqual(starts[-1], "2024-05-28T07:55:00.000Z")
        self.assertEqual(set(starts), {"2024-05-27T09:55:00.000Z", "2024-05-28T07:55:00.000Z"})
        self.assertEqual(len(self.token_requests()), 1)


if __name__ == "__main__":
    unittest.main()
