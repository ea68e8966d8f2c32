"""End to end: the real auditfetch binary against the Okta System Log emulator (tests/emulator/okta.py).

Okta serves one endpoint, GET /api/v1/logs, with `Authorization: SSWS <token>`. Filters go into
one SCIM `filter` expression; `since`/`until` are RFC 3339 times; pages follow the Link header's
rel="next". There are two request modes (PROVIDERS-DIRECT.md, section 1):
- bounded (`until` given): events by `published`, in order; the last page has no next link;
- polling (no `until`): events by storage time, so an event stored late with an older
  `published` is still served; every page has a next link, and an empty page's next link is
  the request itself, which ends the listing.
`--state` keeps the polling link and a later `list`/`tail` resumes from it.

Expected values come from the fixtures (tests/fixtures/okta/activities.json) and the Okta
semantics of PROVIDERS-DIRECT.md, never from auditfetch's own output.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from typing import Any, Iterable

import harness
from harness import (OKTA_ADMIN_ID, OKTA_SYSTEM_ID, TOKEN, Emulator, auditfetch_bin, fixture_records, http,
                     run_auditfetch)
from provider_case import ProviderCase, csv_rows, format_ms, ms, ndjson, parse_time, table_cells, table_lines, csv_text
from test_tail import TailProcess

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import okta_filter  # noqa: E402  (the emulator's parser: what Okta would answer to a filter)

DOMAIN = "acme.okta.com"
LOGS = "/api/v1/logs"
RECORDS = fixture_records("okta")  # in storage (persistence) order, which is also published order
BY_ID = {r["uuid"]: r for r in RECORDS}
ALL_IDS = [r["uuid"] for r in RECORDS]
SINCE = "2024-05-01T00:00:00Z"
UNTIL = "2024-06-01T00:00:00Z"
OVERLAP_NS = 5 * 60 * 1_000_000_000  # --overlap's default
SSWS = f"SSWS {TOKEN}"
ENV = {"OKTA_API_TOKEN": TOKEN}

# The definition's action table, as PROVIDERS-DIRECT.md section 1 states it.
NATIVE_ACTIONS = {"user.session.end": "logout", "user.lifecycle.create": "user_created",
                  "user.lifecycle.deactivate": "user_deactivated",
                  "user.lifecycle.delete.initiated": "user_deleted", "user.account.update_profile": "user_updated"}
SESSION_OUTCOMES = {"SUCCESS": "login", "FAILURE": "login_failed"}


def at(record: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(record, dict):
            record = record.get(key)
        elif isinstance(record, list) and isinstance(key, int) and key < len(record):
            record = record[key]
        else:
            return None
    return record


def expected_action(record: dict[str, Any]) -> str:
    event = record["eventType"]
    if event == "user.session.start":
        return SESSION_OUTCOMES.get(at(record, "outcome", "result"), event)
    return NATIVE_ACTIONS.get(event, event)


def expected_actor_type(record: dict[str, Any]) -> str | None:
    kind = at(record, "actor", "type")
    if kind is None:
        return None
    return "user" if kind == "User" else "system"  # SystemPrincipal, PublicClientApp, ...


def expected_activity(record: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    """The unified activity for an Okta LogEvent (README "The unified activity"; PROVIDERS-DIRECT.md)."""
    return {
        "id": record["uuid"],
        "actor": {"type": expected_actor_type(record), "user": {"id": at(record, "actor", "id")}},
        "organization": DOMAIN,
        "group": None,
        "description": record.get("displayMessage"),
        "action": expected_action(record),
        "entity": at(record, "target", 0, "id"),
        "entity_type": at(record, "target", 0, "type"),
        "context": {"ip_address": at(record, "client", "ipAddress"),
                    "user_agent": at(record, "client", "userAgent", "rawUserAgent"),
                    "authentication_method": at(record, "authenticationContext", "credentialType")},
        "created_at": ms(record["published"]),
        "remote_data": record if remote_data else None,
        "provider": "okta",
    }


def truth(records: Iterable[dict[str, Any]] = RECORDS, since: str | None = None, until: str | None = None,
          actions: Iterable[str] = (), actor: str | None = None, entity: str | None = None,
          entity_type: str | None = None) -> list[str]:
    """Ids (in storage order) of the records the unified filters select: `actions` unified or native."""
    wanted = set(actions)
    out = []
    for r in records:
        t = parse_time(r["published"])
        if since is not None and t < parse_time(since):
            continue
        if until is not None and t >= parse_time(until):
            continue
        if wanted and expected_action(r) not in wanted and r["eventType"] not in wanted:
            continue
        if actor is not None and at(r, "actor", "id") != actor:
            continue
        if entity is not None and at(r, "target", 0, "id") != entity:
            continue
        if entity_type is not None and at(r, "target", 0, "type") != entity_type:
            continue
        out.append(r["uuid"])
    return out


def new_record(template: dict[str, Any], suffix: int, published: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(template)
    record.update(uuid=f"0ca7e5a1-0000-4000-8000-{suffix:012d}", published=published, **changes)
    return record


def links(reply: harness.Reply) -> dict[str, str]:
    """rel → target of a response's Link headers."""
    out = {}
    for value in reply.headers.get_all("Link") or []:
        for target, rel in re.findall(r'<([^>]*)>\s*;\s*rel="([^"]+)"', value):
            out[rel] = target
    return out


def run_bytes(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """auditfetch with stdout as bytes (run_auditfetch's text mode folds CRLF)."""
    with tempfile.TemporaryDirectory(prefix="auditfetch-home-") as home:
        return subprocess.run([str(auditfetch_bin()), *args], capture_output=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
                                   "LANG": "C.UTF-8", "TZ": "UTC", **env})


class OktaCase(ProviderCase):
    def settings(self, base: str | None = None) -> list[str]:
        return ["-p", "okta", "--domain", DOMAIN, "--base-url", base or self.emu.url]

    def list(self, *args: str, since: str | None = SINCE, until: str | None = UNTIL, env: dict | None = None,
             base: str | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", *self.settings(base), *window, *args, env={**ENV, **(env or {})})

    def logs(self, emu: Emulator | None = None) -> list[dict[str, Any]]:
        return [r for r in (emu or self.emu).requests(LOGS) if r["path"] == LOGS]

    def url_of(self, request: dict[str, Any], emu: Emulator | None = None) -> str:
        return f"{(emu or self.emu).url}{request['path']}?{request['query']}"

    def ids(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def filter_sent(self) -> list[str | None]:
        return [r["params"].get("filter", [None])[0] for r in self.logs()]

    def state(self, path: Path) -> dict[str, Any]:
        return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- mapping


class MappingTest(OktaCase):
    def test_every_record_maps_to_the_unified_schema_field_by_field(self) -> None:
        activities = self.activities(self.list("--page-size", "1000"))
        self.assertEqual([a["id"] for a in activities], ALL_IDS)  # bounded: published order, as stored
        for activity in activities:
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "okta")
                self.assertEqual(activity, expected_activity(BY_ID[activity["id"]]))

    def test_the_fixtures_cover_every_kind_the_table_names(self) -> None:
        activities = {a["id"]: a for a in self.activities(self.list())}
        by_action: dict[str, list[str]] = {}
        for record in RECORDS:
            by_action.setdefault(activities[record["uuid"]]["action"], []).append(record["eventType"])
        # each unified action comes from its native event only, and both outcomes of a session start
        self.assertEqual({a: sorted(set(e)) for a, e in by_action.items() if a in NATIVE_ACTIONS.values()
                          or a in SESSION_OUTCOMES.values()},
                         {"login": ["user.session.start"], "login_failed": ["user.session.start"],
                          "logout": ["user.session.end"], "user_created": ["user.lifecycle.create"],
                          "user_deactivated": ["user.lifecycle.deactivate"],
                          "user_deleted": ["user.lifecycle.delete.initiated"],
                          "user_updated": ["user.account.update_profile"]})
        # events outside the table keep their eventType
        for raw in ("group.user_membership.add", "user.lifecycle.activate", "app.oauth2.token.grant.access_token",
                    "user.account.lock", "policy.evaluate_sign_on"):
            self.assertEqual(by_action[raw], [raw] * len(by_action[raw]))
        # a user, the Okta system principal and a service app (PublicClientApp) as actors
        types = {(BY_ID[i]["actor"]["type"], a["actor"]["type"]) for i, a in activities.items()}
        self.assertEqual(types, {("User", "user"), ("SystemPrincipal", "system"), ("PublicClientApp", "system")})
        system = [a for a in activities.values() if a["actor"]["user"]["id"] == OKTA_SYSTEM_ID]
        self.assertEqual({a["actor"]["type"] for a in system}, {"system"})

    def test_a_login_names_the_credential_and_a_membership_change_its_first_target(self) -> None:
        login = next(r for r in RECORDS if r["eventType"] == "user.session.start"
                     and r["authenticationContext"]["credentialType"] == "OTP")
        change = next(r for r in RECORDS if r["eventType"] == "group.user_membership.add")
        token = next(r for r in RECORDS if r["actor"]["type"] == "PublicClientApp")
        result = self.list("--no-remote-data")
        got = {a["id"]: a for a in self.activities(result)}
        self.assertEqual(got[login["uuid"]], {
            "id": login["uuid"], "actor": {"type": "user", "user": {"id": login["actor"]["id"]}},
            "organization": DOMAIN, "group": None, "description": "User login to Okta", "action": "login",
            "entity": None, "entity_type": None,
            "context": {"ip_address": login["client"]["ipAddress"],
                        "user_agent": login["client"]["userAgent"]["rawUserAgent"], "authentication_method": "OTP"},
            "created_at": ms(login["published"]), "remote_data": None, "provider": "okta"})
        # target[0] is the user added, target[1] the group: the unified entity is the first one
        self.assertEqual((got[change["uuid"]]["entity"], got[change["uuid"]]["entity_type"]),
                         (change["target"][0]["id"], "User"))
        self.assertEqual(change["target"][1]["type"], "UserGroup")
        self.assertEqual((got[token["uuid"]]["actor"], got[token["uuid"]]["context"]["authentication_method"],
                          got[token["uuid"]]["entity_type"]),
                         ({"type": "system", "user": {"id": token["actor"]["id"]}}, "OAUTH2", "AuthorizationServer"))

    def test_a_session_start_with_another_outcome_keeps_its_event_type(self) -> None:
        template = next(r for r in RECORDS if r["eventType"] == "user.session.start")
        unknown = new_record(template, 1, "2024-05-25T00:00:00.000Z", outcome={"result": "UNKNOWN", "reason": None})
        bare = new_record(template, 2, "2024-05-25T00:00:01.000Z")
        del bare["outcome"]
        self.emu.add_activities("okta", [unknown, bare])
        window = ("2024-05-24T00:00:00Z", "2024-05-26T00:00:00Z")
        activities = self.activities(self.list(since=window[0], until=window[1]))
        self.assertEqual(activities, [expected_activity(unknown), expected_activity(bare)])
        self.assertEqual({a["action"] for a in activities}, {"user.session.start"})
        for action, expected in (("login", []), ("login_failed", []),
                                 ("user.session.start", [unknown["uuid"], bare["uuid"]])):
            with self.subTest(action=action):
                self.assertEqual(self.ids(self.list("--action", action, since=window[0], until=window[1])), expected)


# --------------------------------------------------------------------------- the native request


class RequestTest(OktaCase):
    def test_every_request_carries_the_ssws_token(self) -> None:
        result = self.list("--page-size", "10", since=SINCE, until=None)  # polling: six requests
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        requests = self.logs()
        self.assertEqual(len(requests), 6)
        for request in requests:
            self.assertEqual(request["method"], "GET")
            self.assertEqual(request["headers"].get("Authorization"), SSWS)
            self.assertEqual(request["headers"].get("Accept"), "application/json")
        self.assertNotIn(TOKEN, result.stderr)

    def test_a_token_file_and_auditfetch_token_are_sent_as_ssws_too(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            token_file = Path(tmp) / "okta.token"
            token_file.write_text(TOKEN + "\n")
            token_file.chmod(0o600)
            for args, env in ((("--token-file", str(token_file)), {"OKTA_API_TOKEN": None}),
                              ((), {"OKTA_API_TOKEN": None, "AUDITFETCH_TOKEN": TOKEN})):
                with self.subTest(env=env):
                    self.emu.clear_requests()
                    result = self.list("--limit", "1", *args, env=env)
                    self.assertEqual(self.ids(result), ALL_IDS[:1])
                    self.assertEqual([r["headers"].get("Authorization") for r in self.logs()], [SSWS])

    def test_a_bounded_request_sends_since_until_and_limit_and_nothing_else(self) -> None:
        result = self.list("-v")
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        # limit defaults to 1000 (Okta's maximum); no sortOrder: Okta's default, ASCENDING
        self.assertEqual([r["params"] for r in self.logs()],
                         [{"since": ["2024-05-01T00:00:00.000Z"], "until": ["2024-06-01T00:00:00.000Z"],
                           "limit": ["1000"]}])
        self.assertEqual(self.pushdown(result, "okta"), ({"since", "until"}, set()))

    def test_page_size_is_limit_up_to_1000(self) -> None:
        result = self.list("--page-size", "1000")
        self.assertIdsOnce(self.activities(result), ALL_IDS)
        self.assertEqual([r["params"]["limit"] for r in self.logs()], [["1000"]])
        self.emu.clear_requests()
        result = self.list("--page-size", "1001")
        self.assertOneErrorLine(result, 2, "--page-size 1001 is out of range for okta (use 1 to 1000)")
        self.assertEqual(self.emu.requests(), [])

    def test_limit_asks_for_a_page_of_that_size_only(self) -> None:
        result = self.list("--limit", "3")
        self.assertEqual(self.ids(result), ALL_IDS[:3])
        self.assertEqual([r["params"]["limit"] for r in self.logs()], [["3"]])

    def test_filters_become_one_scim_expression(self) -> None:
        user = "00u4dl9q3nA7tW5yG0h7"
        cases = [
            (("--action", "login"), 'eventType eq "user.session.start"', truth(actions=["login"])),
            (("--action", "login_failed", "--action", "login"), 'eventType eq "user.session.start"',
             truth(actions=["login", "login_failed"])),
            (("--action", "user_deleted"), 'eventType eq "user.lifecycle.delete.initiated"',
             truth(actions=["user_deleted"])),
            (("--action", "logout", "--action", "user_created"),
             '(eventType eq "user.lifecycle.create" or eventType eq "user.session.end")',
             truth(actions=["logout", "user_created"])),
            (("--action", "group.user_membership.add"), 'eventType eq "group.user_membership.add"',
             truth(actions=["group.user_membership.add"])),
            (("--actor-id", OKTA_ADMIN_ID), f'actor.id eq "{OKTA_ADMIN_ID}"', truth(actor=OKTA_ADMIN_ID)),
            (("--entity", user), f'target.id eq "{user}"', truth(entity=user)),
            (("--entity-type", "AppInstance"), 'target.type eq "AppInstance"', truth(entity_type="AppInstance")),
            (("--action", "login_failed", "--actor-id", user, "--entity-type", "User", "--entity", user),
             f'actor.id eq "{user}" and target.id eq "{user}" and target.type eq "User" '
             'and eventType eq "user.session.start"', []),
            (("--action", "login_failed", "--filter", 'client.ipAddress eq "203.0.113.99"'),
             'eventType eq "user.session.start" and (client.ipAddress eq "203.0.113.99")',
             [r["uuid"] for r in RECORDS if expected_action(r) == "login_failed"
              and r["client"]["ipAddress"] == "203.0.113.99"]),
            (("--filter", 'severity eq "INFO"', "--filter", 'actor.type eq "SystemPrincipal" or uuid eq "x"'),
             '(severity eq "INFO") and (actor.type eq "SystemPrincipal" or uuid eq "x")',
             [r["uuid"] for r in RECORDS if r["actor"]["type"] == "SystemPrincipal"]),
        ]
        for args, expression, expected in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args, "-v")
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(self.filter_sent(), [expression])
                okta_filter.parse(expression)  # what Okta would accept

    def test_the_pushdown_line_names_every_unified_filter(self) -> None:
        result = self.list("-v", "--action", "login", "--actor-id", OKTA_ADMIN_ID, "--entity", "x",
                           "--entity-type", "User")
        self.assertEqual(self.activities(result), [])
        self.assertEqual(self.pushdown(result, "okta"),
                         ({"since", "until", "action", "actor_id", "entity", "entity_type"}, set()))

    def test_values_are_quoted_for_scim(self) -> None:
        result = self.list("--actor-id", 'a"b\\c', "--entity", "x y")
        self.assertEqual(self.activities(result), [])
        self.assertEqual(self.filter_sent(), ['actor.id eq "a\\"b\\\\c" and target.id eq "x y"'])
        self.assertEqual(okta_filter.parse(self.filter_sent()[0]),
                         okta_filter.And(okta_filter.Comparison(("actor", "id"), "eq", 'a"b\\c'),
                                         okta_filter.Comparison(("target", "id"), "eq", "x y")))

    def test_login_is_sent_as_the_event_type_and_the_outcome_checked_locally(self) -> None:
        both = self.list("--action", "user.session.start")
        logins, failures = self.list("--action", "login"), self.list("--action", "login_failed")
        starts = [r["uuid"] for r in RECORDS if r["eventType"] == "user.session.start"]
        self.assertEqual(self.ids(both), starts)
        self.assertEqual(self.ids(logins), [i for i in starts if BY_ID[i]["outcome"]["result"] == "SUCCESS"])
        self.assertEqual(self.ids(failures), [i for i in starts if BY_ID[i]["outcome"]["result"] == "FAILURE"])
        self.assertEqual(len(self.ids(logins)) + len(self.ids(failures)), len(starts))
        self.assertEqual(set(self.filter_sent()), {'eventType eq "user.session.start"'})

    def test_an_entity_in_a_later_target_is_not_the_unified_entity(self) -> None:
        # Okta's target.id matches any target; --entity means the unified entity (the first target)
        group = "00g1eng1neer1ng00h7x"
        served = [r["uuid"] for r in RECORDS if any(t["id"] == group for t in r["target"])]
        self.assertEqual(len(served), 2)
        self.assertEqual(self.ids(self.list("--entity", group)), [])
        self.assertEqual(self.ids(self.list("--entity-type", "UserGroup")), [])
        self.assertEqual(self.filter_sent(), [f'target.id eq "{group}"', 'target.type eq "UserGroup"'])


# --------------------------------------------------------------------------- paging


class PagingTest(OktaCase):
    def assertFollowedTheLinks(self, requests: list[dict[str, Any]], bounded: bool) -> None:
        """Each request after the first is exactly the previous response's next link (replayed: the
        emulator answers a request the same way twice); the last response ends the listing."""
        for number, request in enumerate(requests):
            reply = http(self.url_of(request), headers={"Authorization": SSWS})
            self.assertEqual(reply.status, 200)
            rels = links(reply)
            self.assertEqual(rels["self"], self.url_of(request))
            if number + 1 < len(requests):
                self.assertEqual(rels["next"], self.url_of(requests[number + 1]))
            elif bounded:
                self.assertNotIn("next", rels)
            else:
                self.assertEqual((reply.json(), rels["next"]), ([], rels["self"]))

    def test_polling_follows_next_links_until_an_empty_page_links_to_itself(self) -> None:
        for size, pages in ((10, 6), (11, 5), (4, 12), (44, 2), (1000, 2)):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                result = self.list("--page-size", str(size), until=None)
                activities = self.activities(result)
                self.assertEqual([a["id"] for a in activities], ALL_IDS)  # storage order
                requests = self.logs()
                self.assertEqual(len(requests), pages)  # full pages, then the empty one
                self.assertEqual(requests[0]["params"], {"since": ["2024-05-01T00:00:00.000Z"], "limit": [str(size)]})
                for request in requests[1:]:
                    self.assertEqual(sorted(request["params"]), ["after", "limit"])  # since and after exclude each other
                self.assertFollowedTheLinks(requests, bounded=False)

    def test_a_bounded_listing_ends_at_the_page_without_a_next_link(self) -> None:
        for size, pages in ((10, 5), (4, 11), (44, 1)):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                activities = self.activities(self.list("--page-size", str(size)))
                self.assertEqual([a["id"] for a in activities], ALL_IDS)
                requests = self.logs()
                self.assertEqual(len(requests), pages)
                for request in requests[1:]:
                    self.assertEqual(sorted(request["params"]), ["after", "limit", "until"])
                    self.assertEqual(request["params"]["until"], ["2024-06-01T00:00:00.000Z"])
                self.assertFollowedTheLinks(requests, bounded=True)

    def test_records_sharing_a_millisecond_split_across_pages_come_once(self) -> None:
        times = [r["published"] for r in RECORDS]
        ties = [i for i in range(1, len(times)) if times[i] == times[i - 1]]
        self.assertIn(2, ties)
        self.assertIn(10, ties)  # with two a page, 1|2 and 9|10 fall on two pages
        for until in (UNTIL, None):
            with self.subTest(mode="bounded" if until else "polling"):
                self.emu.clear_requests()
                activities = self.activities(self.list("--page-size", "2", until=until))
                self.assertEqual([a["id"] for a in activities], ALL_IDS)
                self.assertEqual(len(self.logs()), 22 if until else 23)

    def run_while_adding(self, records: list[dict[str, Any]], *args: str, until: str | None) -> subprocess.CompletedProcess:
        """Runs list; once its first request is in, appends `records` while the second is held."""
        self.emu.faults({"path": LOGS + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        outcome: list[subprocess.CompletedProcess] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list(*args, until=until)))
        runner.start()
        deadline = time.monotonic() + 10
        while not self.logs() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.emu.add_activities("okta", records)
        runner.join(30)
        self.assertFalse(runner.is_alive())
        return outcome[0]

    def test_records_stored_while_polling_are_printed_once_even_with_an_older_published(self) -> None:
        template = RECORDS[5]
        older = new_record(template, 10, "2024-05-13T00:00:00.000Z")  # before every fixture
        newer = new_record(template, 11, "2024-05-30T00:00:00.000Z")
        result = self.run_while_adding([older, newer], "--page-size", "10", until=None)
        activities = self.activities(result)
        self.assertEqual([a["id"] for a in activities], ALL_IDS + [older["uuid"], newer["uuid"]])  # storage order
        self.assertEqual(activities[-2], expected_activity(older))

    def test_records_published_ahead_of_a_bounded_listing_are_printed_once(self) -> None:
        template = RECORDS[5]
        ahead = new_record(template, 12, "2024-05-30T00:00:00.000Z")
        behind = new_record(template, 13, "2024-05-13T00:00:00.000Z")
        result = self.run_while_adding([ahead, behind], "--page-size", "10", until=UNTIL)
        # a bounded request moves along `published`: an event stored behind it is not served
        # (Okta: "events may be delayed"); polling, above, is the mode that sees it
        self.assertEqual(self.ids(result), ALL_IDS + [ahead["uuid"]])


# --------------------------------------------------------------------------- time semantics


class TimeTest(OktaCase):
    def test_since_is_inclusive_and_until_exclusive_to_the_millisecond(self) -> None:
        since, until = "2024-05-13T08:05:42.300Z", "2024-05-14T08:10:00.120Z"  # both shared by two records
        self.assertEqual(sum(r["published"] == since for r in RECORDS), 2)
        self.assertEqual(sum(r["published"] == until for r in RECORDS), 2)
        expected = truth(since=since, until=until)
        self.assertEqual(len(expected), 8)
        self.assertEqual(self.ids(self.list(since=since, until=until)), expected)
        self.assertEqual(self.logs()[0]["params"],
                         {"since": [since], "until": [until], "limit": ["1000"]})

    def test_boundaries_a_millisecond_off_move_the_edge_records(self) -> None:
        since, until = "2024-05-13T08:05:42.301Z", "2024-05-14T08:10:00.121Z"
        expected = truth(since=since, until=until)
        self.assertEqual(expected[0], RECORDS[3]["uuid"])
        self.assertEqual(expected[-2:], [RECORDS[9]["uuid"], RECORDS[10]["uuid"]])
        self.assertEqual(self.ids(self.list(since=since, until=until)), expected)

    def test_offsets_and_whole_seconds_are_sent_as_utc_milliseconds(self) -> None:
        result = self.list(since="2024-05-13T10:05:42.3+02:00", until="2024-05-14T03:10:00-05:00")
        self.assertEqual(self.ids(result), truth(since="2024-05-13T08:05:42.300Z", until="2024-05-14T08:10:00Z"))
        self.assertEqual(self.logs()[0]["params"],
                         {"since": ["2024-05-13T08:05:42.300Z"], "until": ["2024-05-14T08:10:00.000Z"],
                          "limit": ["1000"]})

    def test_sub_millisecond_bounds_keep_their_meaning(self) -> None:
        # from .3005 inclusive leaves out the records at .300; before .1201 keeps those at .120
        since, until = "2024-05-13T08:05:42.3005Z", "2024-05-14T08:10:00.1201Z"
        expected = truth(since=since, until=until)
        self.assertEqual(expected[0], RECORDS[3]["uuid"])
        self.assertEqual(expected[-2:], [RECORDS[9]["uuid"], RECORDS[10]["uuid"]])
        self.assertEqual(self.ids(self.list(since=since, until=until)), expected)

    def test_without_since_or_until_okta_picks_its_default_window(self) -> None:
        recent = new_record(RECORDS[0], 20, format_ms(time.time_ns() - 3600 * 1_000_000_000))
        self.emu.add_activities("okta", [recent])
        result = self.list(since=None, until=None)
        self.assertEqual(self.activities(result), [expected_activity(recent)])  # fixtures are months old
        self.assertEqual(self.logs()[0]["params"], {"limit": ["1000"]})

    def test_since_not_before_until_is_refused_without_a_request(self) -> None:
        result = self.list(since="2024-05-14T00:00:00Z", until="2024-05-14T00:00:00Z")
        self.assertOneErrorLine(result, 2, "--since 2024-05-14T00:00:00.000Z is not before --until 2024-05-14T00:00:00.000Z")
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- errors


class ErrorTest(OktaCase):
    def error_line(self, text: str) -> str:
        return f"auditfetch: error: okta: page 1: {text}"

    def test_a_refused_token_is_okta_e0000011_and_exits_3(self) -> None:
        result = self.list(env={"OKTA_API_TOKEN": "wrong-token"})
        self.assertOneErrorLine(result, 3, "E0000011")
        self.assertEqual(self.errorLine(result), self.error_line(
            "authentication refused (401): E0000011: Invalid token provided (the token from OKTA_API_TOKEN was "
            "refused; it may be expired: set a fresh one)"))
        self.assertNotIn("wrong-token", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], ["SSWS wrong-token"])

    def test_a_filter_okta_rejects_exits_2_with_its_error_summary(self) -> None:
        codes = []
        for native in ("eventType eq", "nosuch eq \"x\"", 'debugContext.debugData.url co "/api"'):
            with self.subTest(filter=native):
                self.emu.clear_requests()
                result = self.list("--filter", native)
                with self.assertRaises(okta_filter.FilterError) as refusal:
                    okta_filter.parse(f"({native})")
                code, summary = refusal.exception.code, refusal.exception.summary
                codes.append(code)
                self.assertOneErrorLine(result, 2, code)
                self.assertEqual(self.errorLine(result), self.error_line(
                    f"the API rejected the request (400): {code}: {summary} (check --filter, --param and the "
                    "filter flags; -v shows the request)"))
                self.assertEqual(len(self.logs()), 1)  # a 400 is not retried
        self.assertEqual(codes, ["E0000053", "E0000053", "E0000031"])

    def test_an_api_validation_error_is_e0000001_with_its_cause(self) -> None:
        result = self.list("--param", "sortOrder=SIDEWAYS")
        self.assertOneErrorLine(result, 2, "E0000001")
        self.assertEqual(self.errorLine(result), self.error_line(
            "the API rejected the request (400): E0000001: Api validation failed: 'sortOrder': must be one of "
            "ASCENDING, DESCENDING. (sortOrder: must be one of ASCENDING, DESCENDING.) (check --filter, --param "
            "and the filter flags; -v shows the request)"))

    def test_okta_error_statuses_exit_with_their_codes(self) -> None:
        cases = [(403, 3, "access refused (403): E0000006: You do not have permission to perform the requested "
                          "action (the credentials from OKTA_API_TOKEN work but may not read audit activity; check "
                          "the role or scopes granted to them)"),
                 (404, 2, "not found (404): E0000007: Not found: Resource not found (check the provider settings "
                          "and --base-url)"),
                 (500, 1, "HTTP 500: E0000009: Internal Server Error")]
        for status, code, line in cases:
            with self.subTest(status=status):
                self.emu.reset()
                self.emu.faults({"path": LOGS + "$", "kind": "status", "status": status, "times": -1})
                result = self.list("--retries", "2")
                self.assertOneErrorLine(result, code, f"({status})" if status != 500 else "HTTP 500")
                self.assertEqual(self.errorLine(result), self.error_line(line))
                if status != 500:
                    self.assertEqual(len(self.logs()), 1)  # refusals are not retried
                self.assertEqual(result.stdout, "")

    def test_x_rate_limit_reset_is_waited_for_and_the_same_page_asked_again(self) -> None:
        reset = int(time.time()) + 3  # epoch seconds, the only signal Okta's 429 carries
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "skip": 1, "times": 1,
                         "headers": {"X-Rate-Limit-Reset": str(reset), "Retry-After": None}})
        started = time.time()
        result = self.list("--page-size", "10", until=None)
        self.assertEqual(self.ids(result), ALL_IDS)
        waited = re.search(r"^auditfetch: warning: HTTP 429; retrying in ([0-9.]+) s \(1 of 3\)$", result.stderr, re.M)
        self.assertIsNotNone(waited, result.stderr)
        self.assertLessEqual(float(waited.group(1)), reset - started + 0.1)
        self.assertGreaterEqual(float(waited.group(1)), reset - started - 1.1)
        self.assertGreaterEqual(time.time(), reset - 0.1)
        requests = self.logs()
        self.assertEqual(len(requests), 7)
        self.assertEqual(self.url_of(requests[1]), self.url_of(requests[2]))  # the 429, then the same link

    def test_a_reset_too_far_away_fails_at_once_with_e0000047(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "times": 1,
                         "headers": {"X-Rate-Limit-Reset": str(int(time.time()) + 3600)}})
        started = time.monotonic()
        result = self.list()
        self.assertLess(time.monotonic() - started, 5)
        self.assertOneErrorLine(result, 1, "HTTP 429: E0000047: API call exceeded rate limit due to too many requests.")
        self.assertEqual(len(self.logs()), 1)

    def test_get_is_refused_without_a_request(self) -> None:
        result = run_auditfetch("get", *self.settings(), RECORDS[0]["uuid"], env=ENV)
        self.assertOneErrorLine(result, 2, "okta cannot fetch one activity by id")
        self.assertEqual(self.errorLine(result),
                         "auditfetch: error: okta cannot fetch one activity by id (the Okta System Log has no "
                         "endpoint for one event; use list --filter 'uuid eq \"ID\"' with --since)")
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])

    def test_the_suggested_uuid_filter_finds_one_event(self) -> None:
        record = RECORDS[17]
        result = self.list("--filter", f'uuid eq "{record["uuid"]}"', "-o", "json")
        self.assertEqual(json.loads(result.stdout), [expected_activity(record)])

    def test_missing_domain_or_token_exit_2_without_a_request(self) -> None:
        result = run_auditfetch("list", "-p", "okta", "--base-url", self.emu.url, env=ENV)
        self.assertOneErrorLine(result, 2, "okta: --domain is required (pass --domain or set OKTA_DOMAIN)")
        result = self.list(env={"OKTA_API_TOKEN": None})
        self.assertOneErrorLine(result, 2, "okta: no credentials")
        self.assertIn("OKTA_API_TOKEN", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])

    def test_the_domain_can_come_from_okta_domain(self) -> None:
        result = run_auditfetch("list", "-p", "okta", "--base-url", self.emu.url, "--since", SINCE, "--until", UNTIL,
                                "--limit", "2", env={**ENV, "OKTA_DOMAIN": "other.okta.com"})
        self.assertEqual([a["organization"] for a in self.activities(result)], ["other.okta.com"] * 2)


# --------------------------------------------------------------------------- output


class OutputTest(OktaCase):
    DAY = ("2024-05-20T00:00:00Z", "2024-05-21T00:00:00Z")  # six events, one with a hostile user agent

    def day(self) -> list[dict[str, Any]]:
        return [BY_ID[i] for i in truth(since=self.DAY[0], until=self.DAY[1])]

    def test_json_is_one_array_and_fields_select_keys(self) -> None:
        result = self.list("-o", "json", "--fields", "created_at,action,id,actor.user.id", since=self.DAY[0],
                           until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [
            {"id": r["uuid"], "actor": {"user": {"id": r["actor"]["id"]}}, "action": expected_action(r),
             "created_at": ms(r["published"])} for r in self.day()])

    def test_ndjson_with_no_remote_data(self) -> None:
        result = self.list("-o", "ndjson", "--no-remote-data", since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(ndjson(result.stdout), [expected_activity(r, remote_data=False) for r in self.day()])

    def test_csv_has_every_field_in_schema_order_with_crlf_and_quoting(self) -> None:
        fields = ["id", "actor.type", "actor.user.id", "organization", "group", "description", "action", "entity",
                  "entity_type", "context.ip_address", "context.user_agent", "context.authentication_method",
                  "created_at"]
        result = run_bytes("list", *self.settings(), "--since", self.DAY[0], "--until", self.DAY[1], "-o", "csv",
                           "--fields", ",".join(reversed(fields)), env=ENV)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = csv_rows(result.stdout.decode("utf-8"))
        self.assertEqual(rows[0], fields[::-1])  # in the order given
        expected = []
        for r in self.day():
            a = expected_activity(r)
            values = [a["id"], a["actor"]["type"], a["actor"]["user"]["id"], a["organization"], a["group"],
                      a["description"], a["action"], a["entity"], a["entity_type"], a["context"]["ip_address"],
                      a["context"]["user_agent"], a["context"]["authentication_method"], a["created_at"]]
            expected.append(["" if v is None else csv_text(v) for v in values][::-1])
        self.assertEqual(rows[1:], expected)
        hostile = next(r for r in self.day() if "\x1b" in r["client"]["userAgent"]["rawUserAgent"])
        self.assertNotIn(hostile["client"]["userAgent"]["rawUserAgent"].encode(), result.stdout)  # escapes shown
        self.assertTrue(result.stdout.startswith(b"created_at,context.authentication_method,")
                        and result.stdout.endswith(b"\r\n"))

    def test_table_rows_show_time_id_action_actor_entity_ip_and_escape_remote_text(self) -> None:
        result = self.list("-o", "table", since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), table_lines([table_cells(expected_activity(r)) for r in self.day()]))
        self.assertIn("group.user_membership.add", result.stdout)  # off a terminal nothing is shortened
        result = self.list("-o", "table", "--fields", "created_at,context.user_agent", since=self.DAY[0],
                           until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("\x1b", result.stdout)
        self.assertNotIn("\x07", result.stdout)
        self.assertIn("curl/8.4.0 \\x1b[31mRED", result.stdout)
        self.assertEqual(len(result.stdout.splitlines()), len(self.day()) + 1)


# --------------------------------------------------------------------------- --state and the polling link


class StateTest(OktaCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-okta-state-")
        self.path = Path(self.tmp.name) / "okta.json"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def polling(self, *args: str, base: str | None = None) -> subprocess.CompletedProcess:
        return self.list("--state", str(self.path), *args, until=None, base=base)

    def test_the_state_file_keeps_okta_s_polling_link(self) -> None:
        result = self.polling("--page-size", "10")
        self.assertEqual(self.ids(result), ALL_IDS)
        state = self.state(self.path)
        last = self.logs()[-1]
        self.assertEqual((state["provider"], state["account"]), ("okta", {"domain": DOMAIN}))
        self.assertEqual(state["high_water"], ms(RECORDS[-1]["published"]))
        self.assertEqual(set(state["resume"]), {"method", "url", "body", "query"})
        self.assertEqual((state["resume"]["method"], state["resume"]["url"], state["resume"]["body"]),
                         ("GET", self.url_of(last), ""))
        self.assertRegex(state["resume"]["query"], r"^[0-9a-f]{16}$")
        self.assertEqual(sorted(last["params"]), ["after", "limit"])

    def test_the_next_list_starts_at_the_saved_link_not_at_a_time(self) -> None:
        self.assertEqual(self.ids(self.polling("--page-size", "10")), ALL_IDS)
        saved = self.state(self.path)["resume"]["url"]
        added = [new_record(RECORDS[20], 30 + i, f"2024-06-0{i + 1}T00:00:00.000Z") for i in range(3)]
        self.emu.add_activities("okta", added)
        self.emu.clear_requests()
        result = self.polling("--page-size", "10", "-v")
        self.assertEqual(self.activities(result), [expected_activity(r) for r in added])
        requests = self.logs()
        self.assertEqual(self.url_of(requests[0]), saved)
        self.assertNotIn("since", requests[0]["params"])
        self.assertIn(f"okta: resuming from the API's resume point {saved}", result.stderr)
        self.assertEqual(self.state(self.path)["resume"]["url"], self.url_of(requests[-1]))
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.polling("--page-size", "10")), [])  # nothing new: one request
        self.assertEqual([self.url_of(r) for r in self.logs()], [self.state(self.path)["resume"]["url"]])

    def test_an_event_stored_late_with_an_older_published_is_printed_once(self) -> None:
        self.assertEqual(self.ids(self.polling()), ALL_IDS)
        # Okta polls by storage time: an event stored now with a published time days older than
        # the last one printed comes after the saved link, and is printed by the next run.
        late = new_record(RECORDS[12], 40, "2024-05-14T12:00:00.000Z")
        self.emu.add_activities("okta", [late])
        result = self.polling("-v")
        self.assertEqual(self.ids(result), [late["uuid"]])
        self.assertEqual(self.ids(self.polling()), [])

    def test_a_run_failing_mid_listing_resumes_at_the_page_that_failed(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 500, "skip": 2, "times": 1})
        first = self.polling("--page-size", "10")
        self.assertOneErrorLine(first, 1, "okta: page 3: HTTP 500: E0000009: Internal Server Error")
        printed = [a["id"] for a in ndjson(first.stdout)]
        self.assertEqual(printed, ALL_IDS[:20])
        failed = self.url_of(self.logs()[2])
        self.assertEqual(self.state(self.path)["resume"]["url"], failed)
        self.emu.clear_requests()
        second = self.polling("--page-size", "10")
        self.assertEqual(self.ids(second), ALL_IDS[20:])
        self.assertEqual(self.url_of(self.logs()[0]), failed)

    def test_limit_with_state_loses_nothing_between_runs(self) -> None:
        logins = truth(actions=["login"])
        got = []
        for _ in range(3):
            result = self.polling("--action", "login", "--limit", "2")
            self.assertEqual(result.returncode, 0, result.stderr)
            got += self.ids(result)
        self.assertEqual(got, logins[:6])

    def test_a_state_file_of_other_filters_falls_back_to_the_time(self) -> None:
        starts = [r for r in RECORDS if r["eventType"] == "user.session.start"]
        self.assertEqual(self.ids(self.polling("--action", "login")), truth(actions=["login"]))
        read_up_to = max(parse_time(r["published"]) for r in starts)  # the failures were read too
        self.assertEqual(self.state(self.path)["high_water"], format_ms(read_up_to))
        self.emu.clear_requests()
        result = self.polling("--action", "logout", "-v")
        since = format_ms(read_up_to - OVERLAP_NS)
        self.assertEqual(self.ids(result), truth(since=since, actions=["logout"]))
        self.assertEqual(len(self.ids(result)), 2)
        self.assertIn("okta: the saved resume point belongs to other filters or settings; starting from the time "
                      "instead", result.stderr)
        self.assertEqual(self.logs()[0]["params"], {"since": [since], "filter": ['eventType eq "user.session.end"'],
                                                    "limit": ["1000"]})

    def test_a_state_file_from_another_origin_never_sends_the_link_there(self) -> None:
        self.assertEqual(self.ids(self.polling()), ALL_IDS)
        saved = self.state(self.path)["resume"]["url"]
        with Emulator() as other:
            late = new_record(RECORDS[0], 50, "2024-05-21T17:58:00.000Z")
            other.add_activities("okta", [late])
            result = self.polling("-v", base=other.url)
            self.assertIn("okta: the saved resume point is on another origin; starting from the time instead",
                          result.stderr)
            self.assertEqual(self.ids(result), [late["uuid"]])  # within the overlap
            requests = self.logs(other)
            self.assertEqual(requests[0]["params"]["since"], [format_ms(parse_time(RECORDS[-1]["published"]) - OVERLAP_NS)])
        self.assertEqual(self.url_of(self.logs()[-1]), saved)  # the first emulator saw nothing more

    def test_a_bounded_run_keeps_no_link_and_the_next_run_starts_from_the_time(self) -> None:
        result = self.list("--state", str(self.path), "--page-size", "10")
        self.assertEqual(self.ids(result), ALL_IDS)
        state = self.state(self.path)
        self.assertIsNone(state.get("resume"))  # its last page has no next link to keep
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.polling()), [])
        self.assertEqual(self.logs()[0]["params"]["since"],
                         [format_ms(parse_time(RECORDS[-1]["published"]) - OVERLAP_NS)])


# --------------------------------------------------------------------------- tail


class TailTest(OktaCase):
    WAIT = 8.0

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-okta-tail-")
        self.path = Path(self.tmp.name) / "okta.json"
        self.processes: list[TailProcess] = []

    def tearDown(self) -> None:
        for process in self.processes:
            process.stop()
        self.tmp.cleanup()

    def tail(self, *args: str) -> TailProcess:
        process = TailProcess(["tail", *self.settings(), "--since", SINCE, "--interval", "1s", "--state", self.path,
                               "-o", "ndjson", *args], env=ENV)
        self.processes.append(process)
        return process

    def stop(self, process: TailProcess) -> None:
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(10), 0, process.describe())

    def test_tail_continues_from_the_link_list_saved_and_idle_polls_repeat_it(self) -> None:
        listed = self.list("--state", str(self.path), until=None)
        self.assertEqual(self.ids(listed), ALL_IDS)
        saved = self.state(self.path)["resume"]["url"]
        added = [new_record(RECORDS[30], 60 + i, f"2024-06-0{i + 1}T00:00:00.000Z") for i in range(2)]
        self.emu.add_activities("okta", added)
        self.emu.clear_requests()
        process = self.tail()
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 2, self.WAIT), process.describe())
        self.assertTrue(process.wait_for(lambda: len(self.logs()) >= 4, self.WAIT), process.describe())  # two idle polls
        self.stop(process)
        self.assertEqual(process.activities(), [expected_activity(r) for r in added])
        urls = [self.url_of(r) for r in self.logs()]
        self.assertEqual(urls[0], saved)  # not a since= query
        self.assertTrue(all("since" not in r["params"] for r in self.logs()))
        self.assertNotEqual(urls[1], saved)
        self.assertEqual(set(urls[1:]), {urls[1]})  # the empty page's link, once a poll
        self.assertEqual(self.state(self.path)["resume"]["url"], urls[1])

    def test_tail_prints_an_event_stored_late_with_an_older_published(self) -> None:
        process = self.tail("--page-size", "20")
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= len(RECORDS), self.WAIT), process.describe())
        late = new_record(RECORDS[12], 70, "2024-05-14T12:00:00.000Z")
        newer = new_record(RECORDS[12], 71, "2024-06-01T00:00:00.000Z")
        self.emu.add_activities("okta", [late, newer])
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= len(RECORDS) + 1, self.WAIT),
                        process.describe())
        process.wait_for(lambda: len(process.lines()) >= len(RECORDS) + 2, 3.0)
        self.stop(process)
        # each poll prints its new events oldest first (by time, then id): the late one before the newer one
        first_poll = [r["uuid"] for r in sorted(RECORDS, key=lambda r: (parse_time(r["published"]), r["uuid"]))]
        self.assertEqual(process.ids(), first_poll + [late["uuid"], newer["uuid"]])


if __name__ == "__main__":
    unittest.main()
