"""End to end: the real auditfetch binary against the Auth0 emulator (tests/emulator/auth0.py).

Auth0 (PROVIDERS-DIRECT.md section 7): OAuth2 client credentials at https://{domain}/oauth/token
with a JSON body carrying the audience https://{domain}/api/v2/; GET /api/v2/logs with a Bearer
token. Two modes: a search (`q` in Lucene syntax, `sort`, `per_page`, capped at 1,000 results),
and checkpoint paging (`from=<log_id>&take=N`, ascending by log_id, every other parameter
ignored, unlimited, the Link header's rel="next"; an empty page links to itself). The definition
asks for the first page by search (`date:[SINCE TO UNTIL}` and the type codes, `sort=log_id:1`),
then pages by checkpoint from the largest log_id of that page (the search's page holds the
smallest ids of the window, so nothing is passed over and nothing read twice), and keeps the
checkpoint link as the resume point of --state (not after a run bounded by --until, whose
continuation would stay bounded). Records therefore come in log_id order. log_id grows with the
time Auth0 stored a record, which may differ from its `date`. Only the first page carries `q`,
so --filter (a native query no later page would honour) is refused.

Expected values come from tests/fixtures/auth0/activities.json, Auth0's type codes and the
emulator's parser of Auth0's query syntax, never from auditfetch's own output.
"""

from __future__ import annotations

import copy
import json
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
from urllib.parse import parse_qs, urlsplit

import harness
from harness import (AUTH0_AUDIENCE, AUTH0_DOMAIN, CLIENT_ID, CLIENT_SECRET, TOKEN, fixture_records, http,
                     run_auditfetch)
from provider_case import ProviderCase, csv_rows, format_ms, ms, parse_time, csv_text
from test_tail import TailProcess

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import auth0_query  # noqa: E402  (the emulator's parser: what Auth0's log search would accept)
import auth0 as auth0_emulator  # noqa: E402  (Auth0's schema of the logs parameters, as the emulator keeps it)

LOGS = "/api/v2/logs"
TOKEN_PATH = "/oauth/token"
RECORDS = fixture_records("auth0")
BY_ID = {r["log_id"]: r for r in RECORDS}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"  # every fixture is inside
ENV = {"AUTH0_CLIENT_ID": CLIENT_ID, "AUTH0_CLIENT_SECRET": CLIENT_SECRET}
SECOND = 1_000_000_000
OVERLAP_NS = 5 * 60 * SECOND

# Auth0's log event type codes the definition's table unifies (PROVIDERS-DIRECT.md section 7).
ACTIONS = {"s": "login", "f": "login_failed", "fp": "login_failed", "fu": "login_failed", "slo": "logout",
           "ss": "user_created", "sdu": "user_deleted", "du": "user_deleted"}


# --------------------------------------------------------------------------- oracles


def present(value: Any) -> bool:
    return value is not None and value != ""


def expected_description(r: dict[str, Any]) -> str | None:
    """Auth0's description with who it concerns (the user, else the application); a record
    without a description says its type and who (Auth0 leaves `description` empty on slo and ss)."""
    for text, who in (("description", "user_name"), ("description", "client_name")):
        if present(r.get(text)) and present(r.get(who)):
            return f"{r[text]} ({r[who]})"
    if present(r.get("description")):
        return r["description"]  # a Management API operation: "Create a User", "Delete a User"
    for who in ("user_name", "client_name"):
        if present(r.get(who)):
            return f"{r['type']} by {r[who]}"
    return r["type"]


def first(r: dict[str, Any], *keys: str) -> Any:
    return next((r[k] for k in keys if present(r.get(k))), None)


def expected_activity(r: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    return {
        "id": r["log_id"],
        "actor": {"type": "user" if present(r.get("user_id")) else "system",
                  "user": {"id": first(r, "user_id", "client_id")}},
        "organization": AUTH0_DOMAIN,
        "group": r.get("connection"),
        "description": expected_description(r),
        "action": ACTIONS.get(r["type"], r["type"]),
        "entity": first(r, "user_id", "client_id"),
        "entity_type": "user" if present(r.get("user_id")) else "client" if present(r.get("client_id")) else None,
        "context": {"ip_address": r.get("ip"), "user_agent": r.get("user_agent"),
                    "authentication_method": first(r, "strategy", "connection")},
        "created_at": ms(r["date"]),
        "remote_data": r if remote_data else None,
        "provider": "auth0",
    }


def by_date(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records by date (ties by log_id)."""
    return sorted(records, key=lambda r: (parse_time(r["date"]) // 1_000_000, r["log_id"]))


def by_log_id(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listing's order: the search's for sort=log_id:1, then checkpoint pages ascending by log_id."""
    return sorted(records, key=lambda r: r["log_id"])


def truth(records: Iterable[dict[str, Any]] = RECORDS, since: str | None = SINCE, until: str | None = UNTIL,
          actions: Iterable[str] = (), actor: str | None = None) -> list[str]:
    """Ids, by log_id, of the records the unified filters select (since inclusive, until exclusive)."""
    wanted = set(actions)
    out = []
    for r in by_log_id(records):
        t = parse_time(r["date"])
        if (since and t < parse_time(since)) or (until and t >= parse_time(until)):
            continue
        if wanted and ACTIONS.get(r["type"], r["type"]) not in wanted and r["type"] not in wanted:
            continue
        if actor is not None and first(r, "user_id", "client_id") != actor:
            continue
        out.append(r["log_id"])
    return out


def log_id(stored: str, seq: int) -> str:
    """A log id as Auth0 writes them: "900", the time it was stored to the millisecond, digits."""
    return "900" + re.sub(r"\D", "", stored)[:17] + f"{seq:036d}"


def new_record(template: dict[str, Any], date: str, seq: int, stored: str | None = None,
               **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(template)
    identifier = log_id(stored or date, seq)
    record.update(date=date, log_id=identifier, _id=identifier, **changes)
    return record


LOGIN = next(r for r in RECORDS if r["type"] == "s")


def batch(start: str, count: int, seq: int, step_ms: int = 1, stored_after_ms: int = 0) -> list[dict[str, Any]]:
    """`count` logins from `start`, `step_ms` apart, each stored `stored_after_ms` after its date."""
    t0 = parse_time(start)
    return [new_record(LOGIN, format_ms(t0 + i * step_ms * 1_000_000), seq + i,
                       stored=format_ms(t0 + (i * step_ms + stored_after_ms) * 1_000_000)) for i in range(count)]


class Auth0Case(ProviderCase):
    def settings(self) -> list[str]:
        return ["-p", "auth0", "--domain", AUTH0_DOMAIN, "--base-url", self.emu.url + "/api/v2",
                "--token-url", self.emu.url + TOKEN_PATH]

    def list(self, *args: str, since: str | None = SINCE, until: str | None = UNTIL,
             env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", *self.settings(), *window, "-o", "ndjson", *args, env={**ENV, **(env or {})})

    def logs(self) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(LOGS) if r["path"] == LOGS]

    def url_of(self, request: dict[str, Any]) -> str:
        return f"{self.emu.url}{request['path']}?{request['query']}"

    def ids(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def bearer(self) -> str:
        reply = http(self.emu.url + TOKEN_PATH, "POST", {"Content-Type": "application/json"}, json.dumps(
            {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
             "audience": AUTH0_AUDIENCE}).encode())
        return "Bearer " + reply.json()["access_token"]

    def replay(self, request: dict[str, Any], bearer: str) -> harness.Reply:
        reply = http(self.url_of(request), headers={"Authorization": bearer})
        self.assertEqual(reply.status, 200, reply.body)
        return reply

    @staticmethod
    def next_link(reply: harness.Reply) -> str | None:
        m = re.search(r'<([^>]*)>\s*;\s*rel="next"', reply.headers.get("Link") or "")
        return m.group(1) if m else None


# --------------------------------------------------------------------------- mapping


class MappingTest(Auth0Case):
    def test_every_record_maps_to_the_unified_schema_field_by_field(self) -> None:
        activities = self.activities(self.list())
        self.assertEqual([a["id"] for a in activities], truth())  # one searched page, by log_id
        for activity in activities:
            with self.subTest(activity["id"], type=BY_ID[activity["id"]]["type"]):
                self.assertUnifiedShape(activity, "auth0")
                self.assertEqual(activity, expected_activity(BY_ID[activity["id"]]))

    def test_type_codes_map_as_the_table_says(self) -> None:
        got = {a["id"]: a["action"] for a in self.activities(self.list("--no-remote-data"))}
        by_type: dict[str, set[str]] = {}
        for log, action in got.items():
            by_type.setdefault(BY_ID[log]["type"], set()).add(action)
        self.assertEqual({t: a for t, a in by_type.items() if t in ACTIONS},
                         {"s": {"login"}, "f": {"login_failed"}, "fp": {"login_failed"}, "fu": {"login_failed"},
                          "slo": {"logout"}, "ss": {"user_created"}, "sdu": {"user_deleted"}, "du": {"user_deleted"}})
        # the rest keep Auth0's code: a failed logout is no logout, a token exchange no login
        for code in ("flo", "fsa", "seccft", "seacft", "sapi", "limit_mu", "limit_wc", "gd_auth_succeed", "w"):
            self.assertEqual(by_type[code], {code})

    def test_record_kinds_spelled_out(self) -> None:
        got = {a["id"]: a for a in self.activities(self.list("--no-remote-data"))}
        login = BY_ID["90020240507091250975000000000000000001223372052035135290"]  # Google, a user
        self.assertEqual(got[login["log_id"]], {
            "id": login["log_id"], "actor": {"type": "user", "user": {"id": "google-oauth2|106914261263908302085"}},
            "organization": AUTH0_DOMAIN, "group": "google-oauth2", "description": "Successful login (carol@gmail.com)",
            "action": "login", "entity": "google-oauth2|106914261263908302085", "entity_type": "user",
            "context": {"ip_address": "2001:db8::7", "user_agent": "Mobile Safari 17.4.1 / iOS 17.4.1",
                        "authentication_method": "google-oauth2"},
            "created_at": "2024-05-07T09:12:50.125Z", "remote_data": None, "provider": "auth0"})
        # a failed login for a user name that does not exist: no user, the application acts
        unknown = got["90020240507060215752000000000000000001223372052035131572"]
        self.assertEqual((unknown["action"], unknown["actor"], unknown["entity_type"], unknown["description"]),
                         ("login_failed", {"type": "system", "user": {"id": "kZ2bq8RSW1nYcTz0vXuL4mPe7HfA3dJo"}},
                          "client", "Wrong email or password. (root@acme.example)"))
        # a logout has an empty description: its type and the user
        logout = got["90020240506114528660000000000000000001223372052035121554"]
        self.assertEqual((logout["action"], logout["description"]), ("logout", "slo by alice@acme.example"))
        # the client credentials exchange of auditfetch itself
        exchange = got["90020240506075812954000000000000000001223372052035108266"]
        self.assertEqual((exchange["actor"], exchange["entity"], exchange["group"], exchange["description"],
                          exchange["context"]["authentication_method"]),
                         ({"type": "system", "user": {"id": "test-client"}}, "test-client", None,
                          "Client Credentials for Access Token (auditfetch)", None))

    def test_a_management_api_operation_keeps_its_description(self) -> None:
        # sapi: the Dashboard's client (client_name "") did "Create a User"; the description must
        # say so, not just "sapi"
        sapi = [r for r in RECORDS if r["type"] == "sapi"]
        got = {a["id"]: a for a in self.activities(self.list("--action", "sapi"))}
        self.assertEqual(sorted(got), sorted(r["log_id"] for r in sapi))
        self.assertEqual([got[r["log_id"]]["description"] for r in by_date(sapi)],
                         ["Create a User", "Update a User", "Update a User", "Delete a User", "Create client grant",
                          "Update a User"])


# --------------------------------------------------------------------------- the native request


class RequestTest(Auth0Case):
    def test_client_credentials_with_a_json_body_carrying_the_audience(self) -> None:
        result = self.list("--page-size", "10", "-v")
        self.assertIdsOnce(self.activities(result), truth())
        [token] = self.emu.requests(TOKEN_PATH)  # one token for the whole run
        self.assertEqual(token["method"], "POST")
        self.assertEqual(token["headers"].get("Content-Type"), "application/json")
        self.assertEqual(json.loads(token["body"]), {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                     "client_secret": CLIENT_SECRET, "audience": AUTH0_AUDIENCE})
        requests = self.logs()
        self.assertGreater(len(requests), 3)
        bearers = {r["headers"].get("Authorization") for r in requests}
        self.assertEqual(len(bearers), 1)
        self.assertRegex(bearers.pop(), r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
        self.assertNotIn(CLIENT_SECRET, result.stderr)

    def test_auth0_token_is_sent_as_it_is_without_a_token_request(self) -> None:
        result = self.list("--limit", "1", env={"AUTH0_CLIENT_ID": None, "AUTH0_CLIENT_SECRET": None,
                                                "AUTH0_TOKEN": TOKEN})
        self.assertEqual(self.ids(result), truth()[:1])
        self.assertEqual(self.emu.requests(TOKEN_PATH), [])
        self.assertEqual([r["headers"]["Authorization"] for r in self.logs()], [f"Bearer {TOKEN}"])
        # no --state keeps a resume point, so the page shrinks to the --limit
        self.assertEqual(self.logs()[0]["params"]["per_page"], ["1"])

    def test_the_first_request_is_a_search_of_the_window_by_log_id_oldest_first(self) -> None:
        result = self.list("-v")
        self.assertEqual(self.ids(result), truth())
        self.assertNotEqual(truth(), [r["log_id"] for r in by_date(BY_ID[i] for i in truth())])  # not by date
        first_request = self.logs()[0]
        q = "date:[2024-05-01T00:00:00.000Z TO 2024-06-01T00:00:00.000Z}"
        self.assertEqual(first_request["params"], {"q": [q], "per_page": ["100"], "sort": ["log_id:1"]})
        self.assertEqual(auth0_query.parse(q), auth0_query.Range("date", "2024-05-01T00:00:00.000Z",
                                                                 "2024-06-01T00:00:00.000Z", True, False))
        self.assertEqual(self.pushdown(result, "auth0"), ({"since", "until"}, set()))

    def test_an_open_end_is_a_star_and_no_window_no_query(self) -> None:
        self.list(until=None)
        self.assertEqual(self.logs()[0]["params"]["q"], ["date:[2024-05-01T00:00:00.000Z TO *]"])
        self.emu.clear_requests()
        result = self.list(since=None, until=None)
        self.assertIdsOnce(self.activities(result), truth(since=None, until=None))
        self.assertEqual(self.logs()[0]["params"], {"per_page": ["100"], "sort": ["log_id:1"]})

    def test_actions_become_type_clauses_anded_with_the_window(self) -> None:
        window = "date:[2024-05-01T00:00:00.000Z TO 2024-06-01T00:00:00.000Z}"
        cases = [
            (("--action", "login"), ["s"], ["login"]),
            (("--action", "login_failed"), ["f", "fp", "fu"], ["login_failed"]),
            (("--action", "user_deleted", "--action", "logout"), ["sdu", "du", "slo"], ["user_deleted", "logout"]),
            (("--action", "sapi"), ["sapi"], ["sapi"]),
        ]
        for args, types, actions in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args)
                expected = truth(actions=actions)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                [q] = self.logs()[0]["params"]["q"]
                # one quoted type clause per native code, OR-ed in parentheses when several
                m = re.fullmatch(re.escape(window) + r" AND (type:\"[a-z]+\"|\((type:\"[a-z]+\"(?: OR )?)+\))", q)
                self.assertIsNotNone(m, q)
                self.assertEqual(sorted(re.findall(r'type:"([^"]+)"', q)), sorted(types))
                self.assertEqual(q.startswith(window + " AND ("), len(types) > 1)
                auth0_query.parse(q)  # what Auth0 accepts

    def test_a_native_filter_is_refused_without_a_request(self) -> None:
        # --filter could reach the search's q only; the checkpoint pages that follow ignore q, and
        # auditfetch cannot evaluate Lucene itself: records the filter excludes would come anyway
        bearer = self.bearer()
        self.emu.clear_requests()
        checkpoint = self.replay({"path": LOGS, "query": f"from={'0' * 56}&take=100&q=type%3A%22s%22"}, bearer)
        self.assertNotEqual({r["type"] for r in checkpoint.json()}, {"s"})  # q is ignored there
        self.emu.clear_requests()
        for native in ('connection:"google-oauth2"', "type:s~", "nosuch:x"):
            with self.subTest(filter=native):
                result = self.list("--action", "login", "--filter", native)
                self.assertOneErrorLine(result, 2, "sends its query with the first page only")
                self.assertEqual(self.errorLine(result), (
                    "auditfetch: error: --filter: auth0 sends its query with the first page only (later pages "
                    "follow a checkpoint), so a native filter would not hold for the rest (use the unified filters "
                    "(--action, --actor-id, --entity, ...): they are also applied locally)"))
                self.assertEqual(result.stdout, "")
                self.assertEqual(self.emu.requests(), [])

    def test_actor_and_entity_are_applied_locally(self) -> None:
        actor = "auth0|6634a1f0c2e5b7d9e1f00001"
        result = self.list("-v", "--actor-id", actor, "--entity", actor)
        self.assertEqual(self.ids(result), truth(actor=actor))
        self.assertEqual(len(self.ids(result)), 6)
        self.assertEqual(self.pushdown(result, "auth0"), ({"since", "until"}, {"actor_id", "entity"}))
        self.assertNotIn(actor, self.logs()[0]["params"]["q"][0])

    def test_per_page_and_take_are_the_page_size_up_to_100(self) -> None:
        result = self.list("--page-size", "7")
        self.assertIdsOnce(self.activities(result), truth())
        requests = self.logs()
        self.assertEqual(requests[0]["params"]["per_page"], ["7"])
        self.assertEqual({r["params"]["take"][0] for r in requests[1:]}, {"7"})
        self.emu.clear_requests()
        result = self.list("--page-size", "101")
        self.assertOneErrorLine(result, 2, "--page-size 101 is out of range for auth0 (use 1 to 100)")
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- paging


class PagingTest(Auth0Case):
    def test_search_then_checkpoint_from_the_largest_log_id_then_the_link_header(self) -> None:
        bearer = self.bearer()
        result = self.list("--page-size", "10", until=None)
        self.assertEqual(self.ids(result), truth(until=None))  # each once, by log_id
        requests = self.logs()
        # the search, then the other ids by tens (no id of the searched page again), then the empty page
        others = len(truth(until=None)) - 10
        self.assertEqual(others, 34)
        self.assertEqual(len(requests), 1 + -(-others // 10) + 1)
        searched = self.replay(requests[0], bearer).json()
        self.assertEqual([r["log_id"] for r in searched], truth(until=None)[:10])
        largest = max(r["log_id"] for r in searched)
        self.assertEqual(requests[1]["params"], {"from": [largest], "take": ["10"]})
        for number in range(1, len(requests)):
            reply = self.replay(requests[number], bearer)
            if number + 1 < len(requests):
                self.assertEqual(self.next_link(reply), self.url_of(requests[number + 1]))
            else:  # nothing newer: the next link is the request itself, which ends the listing
                self.assertEqual((reply.json(), self.next_link(reply)), ([], self.url_of(requests[number])))
        self.assertTrue(all("q" not in r["params"] and "sort" not in r["params"] for r in requests[1:]))

    def test_an_empty_search_ends_the_listing_at_once(self) -> None:
        result = self.list(since="2024-04-01T00:00:00Z", until="2024-05-01T00:00:00Z")
        self.assertEqual(self.ids(result), [])
        self.assertEqual(len(self.logs()), 1)

    def test_records_whose_date_order_differs_from_log_id_order_are_printed_once(self) -> None:
        # gd_auth_succeed is dated before the login it belongs to but stored after it; two failed
        # logins at 09:00:01.2 and 09:00:02 were stored the other way round; s and w share a millisecond
        swapped = [("90020240513080211970000000000000000001223372052035156021",
                    "90020240513080213390000000000000000001223372052035163229"),
                   ("90020240520090002500000000000000000001223372052035219898",
                    "90020240520090004100000000000000000001223372052035216644")]
        for lower, higher in swapped:
            self.assertLess(lower, higher)
            self.assertGreater(parse_time(BY_ID[lower]["date"]), parse_time(BY_ID[higher]["date"]))
        for size in (2, 3, 5, 16, 100):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                self.assertIdsOnce(self.activities(self.list("--page-size", str(size))), truth())

    def test_a_record_dated_after_the_first_page_but_stored_before_it_is_not_lost(self) -> None:
        # 09:00:01.2 was stored at 09:00:04.1, after 09:00:02 (stored 09:00:02.5): by date the first
        # page of one would be 09:00:01.2, and a checkpoint from its log_id would pass over 09:00:02
        window = ("2024-05-20T09:00:00Z", "2024-05-20T10:00:00Z")
        expected = truth(since=window[0], until=window[1])
        self.assertEqual(len(expected), 3)
        for size in (1, 2, 100):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                self.assertIdsOnce(self.activities(self.list("--page-size", str(size), since=window[0],
                                                             until=window[1])), expected)

    def test_a_busy_tenant_loses_no_record_stored_sooner_than_a_full_first_page(self) -> None:
        # 100 logins in the first tenth of a second, each stored 5 s later; one more at 0.2 s,
        # stored at once: its log_id is below every id of the burst, though its date is after them
        burst = batch("2024-06-10T00:00:00Z", 100, 1, step_ms=1, stored_after_ms=5000)
        quick = new_record(LOGIN, "2024-06-10T00:00:00.200Z", 500, stored="2024-06-10T00:00:00.300Z")
        self.emu.add_activities("auth0", burst + [quick])
        result = self.list(since="2024-06-10T00:00:00Z", until="2024-06-11T00:00:00Z")
        self.assertIdsOnce(self.activities(result), [r["log_id"] for r in burst + [quick]])

    def test_a_window_of_more_than_1000_records_is_read_completely(self) -> None:
        added = batch("2024-06-03T00:00:00Z", 1150, 1000, step_ms=997, stored_after_ms=150)
        self.emu.add_activities("auth0", added)
        result = self.list(since="2024-06-03T00:00:00Z", until="2024-06-04T00:00:00Z")
        self.assertIdsOnce(self.activities(result), [r["log_id"] for r in added])
        requests = self.logs()
        # the search's cap (page * per_page past 1,000) is never reached: one searched page only
        self.assertEqual([r for r in requests if "q" in r["params"]], requests[:1])
        self.assertTrue(all("page" not in r["params"] for r in requests))
        self.assertEqual(len(requests), 13)  # the search, 1,050 more by hundreds (11 pages), the empty page

    def test_until_ends_the_checkpoint_paging_at_a_page_entirely_past_it(self) -> None:
        later = batch("2024-06-05T00:00:00Z", 300, 3000, step_ms=1000)
        self.emu.add_activities("auth0", later)
        until = "2024-05-14T00:00:00Z"
        expected = truth(since=SINCE, until=until)
        # the oracle: checkpoint pages of five from the searched page's largest id (the window's
        # five smallest ids), in log_id order, up to and including the first whose every date is
        # at or past --until
        ordered = sorted(RECORDS + later, key=lambda r: r["log_id"])
        start = max(expected[:5])
        rest = [r for r in ordered if r["log_id"] > start]
        pages = 0
        for i in range(0, len(rest), 5):
            pages += 1
            if all(parse_time(r["date"]) >= parse_time(until) for r in rest[i:i + 5]):
                break
        self.assertEqual(pages, 5)
        result = self.list("--page-size", "5", until=until)
        self.assertIdsOnce(self.activities(result), expected)
        requests = self.logs()
        # those pages, in order; the next page is fetched while one is written, so a page or
        # two more may have been asked for, far from the 60 pages of later records
        self.assertGreaterEqual(len(requests), 1 + pages)
        self.assertLessEqual(len(requests), 1 + pages + 2)
        froms = [start] + [rest[i + 4]["log_id"] for i in range(0, 5 * (pages - 1), 5)]
        self.assertEqual([r["params"]["from"][0] for r in requests[1:1 + pages]], froms)

    def test_records_stored_while_paging_come_once(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        added = batch("2024-05-31T12:00:00Z", 3, 7000, step_ms=1000)
        outcome: list[subprocess.CompletedProcess] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list("--page-size", "10", until=None)))
        runner.start()
        deadline = time.monotonic() + 10
        while not self.logs() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.emu.add_activities("auth0", added)
        runner.join(30)
        self.assertIdsOnce(self.activities(outcome[0]), truth(RECORDS + added, until=None))


# --------------------------------------------------------------------------- time semantics


class TimeTest(Auth0Case):
    def window(self, since: str, until: str) -> tuple[list[str], str]:
        self.emu.clear_requests()
        ids = self.ids(self.list(since=since, until=until))
        return ids, self.logs()[0]["params"]["q"][0]

    def test_since_is_inclusive_and_until_exclusive_to_the_millisecond(self) -> None:
        since, until = "2024-05-14T05:59:59.999Z", "2024-05-28T18:59:59.999Z"  # two seccft... and the last slo
        ids, q = self.window(since, until)
        self.assertEqual(q, f"date:[{since} TO {until}}}")
        self.assertEqual(ids[0], "90020240514060000849000000000000000001223372052035178823")
        self.assertNotIn("90020240528190000849000000000000000001223372052035283824", ids)
        self.assertIdsOnce([{"id": i} for i in ids], truth(since=since, until=until))
        ids, _ = self.window("2024-05-14T06:00:00.000Z", "2024-05-28T19:00:00.000Z")
        self.assertNotIn("90020240514060000849000000000000000001223372052035178823", ids)
        self.assertIn("90020240528190000849000000000000000001223372052035283824", ids)

    def test_offsets_are_sent_as_utc_milliseconds(self) -> None:
        ids, q = self.window("2024-05-20T11:00:01.2+02:00", "2024-05-20T05:00:09-04:00")
        self.assertEqual(q, "date:[2024-05-20T09:00:01.200Z TO 2024-05-20T09:00:09.000Z}")
        self.assertIdsOnce([{"id": i} for i in ids], truth(since="2024-05-20T09:00:01.200Z",
                                                             until="2024-05-20T09:00:09Z"))
        self.assertEqual(len(ids), 2)

    def test_sub_millisecond_bounds_keep_their_meaning(self) -> None:
        ids, q = self.window("2024-05-14T05:59:59.9995Z", "2024-05-21T12:12:12.1215Z")
        self.assertNotIn("90020240514060000849000000000000000001223372052035178823", ids)  # at .999
        for same_ms in ("90020240521121212421000000000000000001223372052035252952",
                        "90020240521121212971000000000000000001223372052035248058"):  # at .121
            self.assertIn(same_ms, ids)
        self.assertIdsOnce([{"id": i} for i in ids], truth(since="2024-05-14T05:59:59.9995Z",
                                                             until="2024-05-21T12:12:12.1215Z"))
        auth0_query.parse(q)

    def test_since_not_before_until_is_refused_without_a_request(self) -> None:
        result = self.list(since="2024-05-14T00:00:00Z", until="2024-05-13T00:00:00Z")
        self.assertOneErrorLine(result, 2, "--since 2024-05-14T00:00:00.000Z is not before --until "
                                           "2024-05-13T00:00:00.000Z")
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- errors


class ErrorTest(Auth0Case):
    def page1(self, text: str) -> str:
        return f"auditfetch: error: auth0: page 1: {text}"

    def test_a_refused_client_secret_exits_3_naming_the_variables(self) -> None:
        result = self.list(env={"AUTH0_CLIENT_SECRET": "wrong-secret"})
        self.assertOneErrorLine(result, 3, "access_denied")
        self.assertEqual(self.errorLine(result), self.page1(
            f"token request to {self.emu.url}/oauth/token: refused (401): access_denied: Unauthorized (check the "
            "client id and secret in AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET)"))
        self.assertNotIn("wrong-secret", result.stderr)
        self.assertEqual(self.logs(), [])

    def test_a_refused_token_exits_3_with_auth0s_message(self) -> None:
        result = self.list(env={"AUTH0_CLIENT_ID": None, "AUTH0_CLIENT_SECRET": None, "AUTH0_TOKEN": "wrong-token"})
        self.assertOneErrorLine(result, 3, "Invalid token")
        self.assertEqual(self.errorLine(result), self.page1(
            "authentication refused (401): Invalid token (the token from AUTH0_TOKEN was refused; it may be "
            "expired: set a fresh one)"))

    def test_a_missing_scope_exits_3(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 403, "times": 1})
        result = self.list()
        self.assertOneErrorLine(result, 3, "(403)")
        self.assertEqual(self.errorLine(result), self.page1(
            "access refused (403): insufficient_scope: Insufficient scope, expected any of: read:logs (the "
            "credentials from AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET work but may not read audit activity; check the "
            "role or scopes granted to them)"))

    def test_a_request_auth0_refuses_exits_2_with_its_message(self) -> None:
        # --filter is refused before any request (RequestTest); a parameter Auth0's schema rejects
        # still reaches it: its 400 invalid_query_string is a usage error
        cases = [("include_totals=maybe", "Expected type boolean but found type string", "include_totals"),
                 ("take=0", "Value 0 is less than minimum 1", "take")]
        for param, detail, name in cases:
            with self.subTest(param=param):
                self.emu.clear_requests()
                result = self.list("--param", param)
                self.assertOneErrorLine(result, 2, "invalid_query_string")
                self.assertEqual(self.errorLine(result), self.page1(
                    f"the API rejected the request (400): invalid_query_string: Query validation error: '{detail}' "
                    f"on property {name} ({auth0_emulator.PARAMS[name][1]}). (check --filter, --param and the "
                    f"filter flags; -v shows the request)"))
                self.assertEqual(len(self.logs()), 1)
                self.assertEqual(self.logs()[0]["params"][name], [param.partition("=")[2]])

    def test_the_x_ratelimit_reset_of_a_429_is_waited_for(self) -> None:
        reset = int(time.time()) + 3
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "skip": 1, "times": 1,
                         "headers": {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "0",
                                     "x-ratelimit-reset": str(reset)}})
        started = time.time()
        result = self.list("--page-size", "20")
        self.assertIdsOnce(self.activities(result), truth())
        waited = re.search(r"(?m)^auditfetch: warning: HTTP 429; retrying in ([0-9.]+) s \(1 of 3\)$", result.stderr)
        self.assertIsNotNone(waited, result.stderr)
        self.assertGreaterEqual(float(waited.group(1)), reset - started - 1.1)
        self.assertLessEqual(float(waited.group(1)), reset - started + 0.1)
        self.assertGreaterEqual(time.time(), reset - 0.1)
        requests = self.logs()
        self.assertEqual(self.url_of(requests[1]), self.url_of(requests[2]))

    def test_a_persistent_429_exits_1_with_auth0s_message(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "status", "status": 429, "times": -1})
        result = self.list("--retries", "1")
        self.assertOneErrorLine(result, 1, "HTTP 429")
        self.assertEqual(self.errorLine(result), self.page1(
            "HTTP 429: too_many_requests: Global limit has been reached (the API is rate limiting this account; "
            "wait, or raise --retries)"))
        self.assertEqual(len(self.logs()), 2)

    def test_a_token_expiring_mid_run_is_renewed_once(self) -> None:
        self.emu.faults({"path": LOGS + "$", "kind": "expire_tokens", "skip": 2, "times": 1})
        result = self.list("--page-size", "10", until=None)
        self.assertIdsOnce(self.activities(result), truth(until=None))
        self.assertEqual(len(self.emu.requests(TOKEN_PATH)), 2)
        requests = self.logs()
        bearers = [r["headers"]["Authorization"] for r in requests]
        # the third request met the expiry (401); it is sent again with the renewed token
        self.assertEqual(len(set(bearers[:3])), 1)
        self.assertEqual(len(set(bearers[3:])), 1)
        self.assertNotEqual(bearers[0], bearers[3])
        self.assertEqual(self.url_of(requests[2]), self.url_of(requests[3]))

    def test_get_prints_one_log_by_its_log_id(self) -> None:
        record = BY_ID["90020240507060212267000000000000000001223372052035124188"]  # a hostile user name
        result = run_auditfetch("get", *self.settings(), record["log_id"], "-o", "json", env=ENV)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), expected_activity(record))
        [request] = self.emu.requests(LOGS)
        self.assertEqual((request["path"], request["query"]), (f"{LOGS}/{record['log_id']}", ""))

    def test_get_of_an_unknown_log_exits_4(self) -> None:
        missing = "9" * 56
        result = run_auditfetch("get", *self.settings(), missing, env=ENV)
        self.assertOneErrorLine(result, 4, "no such activity")
        self.assertEqual(self.errorLine(result),
                         f"auditfetch: error: auth0: get {missing}: no such activity (inexistent_log: log not found)")
        self.assertEqual(result.stdout, "")

    def test_missing_domain_or_credentials_exit_2_without_a_request(self) -> None:
        result = run_auditfetch("list", "-p", "auth0", "--base-url", self.emu.url + "/api/v2", env=ENV)
        self.assertOneErrorLine(result, 2, "auth0: --domain is required (pass --domain or set AUTH0_DOMAIN)")
        result = self.list(env={"AUTH0_CLIENT_SECRET": None})
        self.assertOneErrorLine(result, 2, "auth0: AUTH0_CLIENT_ID is set but AUTH0_CLIENT_SECRET is not (a client "
                                           "id and its secret go together)")
        result = self.list(env={"AUTH0_CLIENT_ID": None, "AUTH0_CLIENT_SECRET": None})
        self.assertOneErrorLine(result, 2, "auth0: no credentials")
        self.assertIn("AUTH0_TOKEN", self.errorLine(result))
        self.assertIn("AUTH0_CLIENT_ID", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- output


class OutputTest(Auth0Case):
    DAY = ("2024-05-07T00:00:00Z", "2024-05-08T00:00:00Z")  # failed logins, a hostile user name, sapi, ss

    def day(self) -> list[dict[str, Any]]:
        return [BY_ID[i] for i in truth(since=self.DAY[0], until=self.DAY[1])]

    def test_json_with_fields(self) -> None:
        result = self.list("-o", "json", "--fields", "id,action,actor.type,group,created_at",
                           since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), [
            {"id": r["log_id"], "actor": {"type": expected_activity(r)["actor"]["type"]},
             "group": r["connection"], "action": ACTIONS.get(r["type"], r["type"]), "created_at": ms(r["date"])}
            for r in self.day()])

    def test_csv_quotes_remote_text(self) -> None:
        fields = ["id", "actor.user.id", "group", "action", "entity_type", "context.ip_address",
                  "context.user_agent", "context.authentication_method", "created_at"]
        result = self.list("-o", "csv", "--fields", ",".join(fields), since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = csv_rows(result.stdout)
        self.assertEqual(rows[0], fields)
        expected = []
        for r in self.day():
            a = expected_activity(r)
            expected.append(["" if v is None else csv_text(v) for v in (
                a["id"], a["actor"]["user"]["id"], a["group"], a["action"], a["entity_type"],
                a["context"]["ip_address"], a["context"]["user_agent"], a["context"]["authentication_method"],
                a["created_at"])])
        self.assertEqual(rows[1:], expected)
        self.assertIn('"curl/8.5.0 ""probe""\\x01 \\x1b[31m', result.stdout)  # the hostile user agent, quoted, its escapes visible

    def test_table_escapes_control_characters(self) -> None:
        result = self.list("-o", "table", "--fields", "created_at,context.user_agent",
                           since="2024-05-07T06:02:11Z", until="2024-05-07T06:02:12Z")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), 2)
        self.assertNotIn("\x1b", result.stdout)
        self.assertNotIn("\x07", result.stdout)
        self.assertIn('curl/8.5.0 "probe"\\x01 \\x1b[3', result.stdout)


# --------------------------------------------------------------------------- --state, resuming and tail


class StateTest(Auth0Case):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-auth0-state-")
        self.path = Path(self.tmp.name) / "auth0.json"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def state(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def run_state(self, *args: str, until: str | None = None) -> subprocess.CompletedProcess:
        return self.list("--state", str(self.path), *args, until=until)

    def test_the_state_file_keeps_the_checkpoint_link(self) -> None:
        result = self.run_state("--page-size", "20")
        self.assertIdsOnce(self.activities(result), truth(until=None))
        state = self.state()
        last = self.logs()[-1]
        newest = max(RECORDS, key=lambda r: r["log_id"])["log_id"]
        self.assertEqual((state["provider"], state["account"]), ("auth0", {"domain": AUTH0_DOMAIN}))
        self.assertEqual(state["high_water"], ms(max(RECORDS, key=lambda r: r["date"])["date"]))
        self.assertEqual((state["resume"]["method"], state["resume"]["url"], state["resume"]["body"]),
                         ("GET", self.url_of(last), ""))
        self.assertEqual(last["params"], {"from": [newest], "take": ["20"]})

    def test_the_next_run_resumes_from_the_link_and_sees_records_stored_late(self) -> None:
        self.assertIdsOnce(self.activities(self.run_state()), truth(until=None))
        saved = self.state()["resume"]["url"]
        # stored after the last run but dated days before its newest record (Auth0 delays)
        late = new_record(LOGIN, "2024-05-10T00:00:00.000Z", 1, stored="2024-06-02T00:00:00.000Z")
        newer = new_record(LOGIN, "2024-06-01T12:00:00.000Z", 2, stored="2024-06-02T00:00:01.000Z")
        self.emu.add_activities("auth0", [late, newer])
        self.emu.clear_requests()
        result = self.run_state("-v")
        self.assertEqual(self.activities(result), [expected_activity(late), expected_activity(newer)])
        requests = self.logs()
        self.assertEqual(self.url_of(requests[0]), saved)
        self.assertTrue(all("q" not in r["params"] for r in requests))
        self.assertIn(f"auditfetch: auth0: resuming from the API's resume point {saved}", result.stderr.splitlines())
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.run_state()), [])  # nothing new: the empty page's own link
        self.assertEqual([self.url_of(r) for r in self.logs()], [self.state()["resume"]["url"]])

    def test_a_state_file_of_other_filters_starts_from_the_time(self) -> None:
        self.assertEqual(self.ids(self.run_state("--action", "login")), truth(actions=["login"], until=None))
        mark = self.state()["high_water"]
        logout = next(r for r in RECORDS if r["type"] == "slo")
        added = new_record(logout, "2024-06-01T12:00:00.000Z", 1)
        self.emu.add_activities("auth0", [added])
        self.emu.clear_requests()
        result = self.run_state("--action", "logout", "-v")
        self.assertIn("auditfetch: auth0: the saved resume point belongs to other filters or settings; starting "
                      "from the time instead", result.stderr.splitlines())
        since = format_ms(parse_time(mark) - OVERLAP_NS)
        self.assertEqual(self.logs()[0]["params"]["q"], [f'date:[{since} TO *] AND type:"slo"'])
        self.assertEqual(self.ids(result)[-1], added["log_id"])
        self.assertLessEqual(set(self.ids(result)), set(truth(RECORDS + [added], since=since, until=None,
                                                              actions=["logout"])))

    def test_a_run_with_until_loses_nothing_for_the_next_run(self) -> None:
        until = "2024-05-14T00:00:00Z"
        first = self.run_state("--page-size", "5", until=until)
        self.assertIdsOnce(self.activities(first), truth(until=until))
        state = self.state()
        self.assertLessEqual(parse_time(state["high_water"]), parse_time(until))
        # its continuation stays bounded by --until: no resume point; what it read past --until
        # (a page of five goes past it) is not remembered
        self.assertNotIn("resume", state)
        self.assertTrue(any(parse_time(r["date"]) >= parse_time(until) for r in by_log_id(RECORDS)
                            if r["log_id"] <= self.logs()[-1]["params"]["from"][0]))
        self.assertLessEqual(set(state["seen"]), set(truth(until=until)))
        self.emu.clear_requests()
        second = self.run_state("--page-size", "5", "-v")
        # everything from --until on that the first run read but did not print must come now
        self.assertIdsOnce(self.activities(second), truth(since=until, until=None))
        since = format_ms(parse_time(state["high_water"]) - OVERLAP_NS)
        self.assertEqual(self.logs()[0]["params"]["q"], [f"date:[{since} TO *]"])  # from the time

    def test_a_run_with_until_starts_from_the_time_not_the_saved_resume_point(self) -> None:
        self.assertIdsOnce(self.activities(self.run_state()), truth(until=None))
        state = self.state()
        saved = state["resume"]["url"]
        inside = new_record(LOGIN, "2024-06-02T00:00:00.000Z", 1, stored="2024-06-02T00:00:00.000Z")
        past = new_record(LOGIN, "2024-06-04T00:00:00.000Z", 2, stored="2024-06-04T00:00:00.000Z")
        self.emu.add_activities("auth0", [inside, past])
        self.emu.clear_requests()
        until = "2024-06-03T00:00:00Z"
        result = self.run_state("-v", until=until)
        self.assertEqual(self.activities(result), [expected_activity(inside)])
        self.assertIn("auditfetch: auth0: --until bounds this run; starting from the time, not the saved resume "
                      "point", result.stderr.splitlines())
        requests = self.logs()
        self.assertNotEqual(self.url_of(requests[0]), saved)
        since = format_ms(parse_time(state["high_water"]) - OVERLAP_NS)
        self.assertEqual(requests[0]["params"]["q"], [f"date:[{since} TO {format_ms(parse_time(until))}}}"])
        after = self.state()
        self.assertNotIn("resume", after)
        self.assertEqual(after["high_water"], ms(inside["date"]))  # not moved to the record past --until
        self.assertNotIn(past["log_id"], after["seen"])
        # a later run with a later --until prints what this one read past its end
        self.assertEqual(self.ids(self.run_state(until="2024-06-05T00:00:00Z")), [past["log_id"]])

    def test_the_ids_of_a_partly_printed_page_stay_until_the_resume_point_moves(self) -> None:
        everything = truth(until=None)
        first = self.run_state("--limit", "5")
        self.assertEqual(self.ids(first), everything[:5])
        [search] = self.logs()
        self.assertEqual(search["params"]["per_page"], ["100"])  # the resume point keeps the page size
        state = self.state()
        self.assertEqual(state["resume"]["url"], self.url_of(search))  # that page, to be read again
        # the five printed ids stay, though they span more than the overlap before the high-water mark
        printed = [BY_ID[i] for i in everything[:5]]
        self.assertLess(min(parse_time(r["date"]) for r in printed),
                        max(parse_time(r["date"]) for r in printed) - OVERLAP_NS)
        self.assertLessEqual(set(everything[:5]), set(state["seen"]))
        self.emu.clear_requests()
        second = self.run_state("-v")
        self.assertEqual(self.ids(second), everything[5:])
        self.assertEqual(self.url_of(self.logs()[0]), self.url_of(search))
        # the resume point has moved on: ids are kept for the overlap only
        after = self.state()
        self.assertNotEqual(after["resume"]["url"], self.url_of(search))
        horizon = parse_time(after["high_water"]) - OVERLAP_NS
        self.assertEqual(set(after["seen"]), {i for i in everything if parse_time(BY_ID[i]["date"]) >= horizon})

    def test_tail_continues_from_the_link_list_saved(self) -> None:
        self.assertIdsOnce(self.activities(self.run_state()), truth(until=None))
        saved = self.state()["resume"]["url"]
        added = batch("2024-06-02T00:00:00Z", 2, 9000, step_ms=1000)
        self.emu.add_activities("auth0", added)
        self.emu.clear_requests()
        process = TailProcess(["tail", *self.settings(), "--interval", "1s", "--state", self.path, "-o", "ndjson"],
                              env=ENV)
        try:
            self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 2, 8), process.describe())
            more = batch("2024-06-03T00:00:00Z", 1, 9100)
            self.emu.add_activities("auth0", more)
            self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 3, 8), process.describe())
            polls = len(self.logs())
            self.assertTrue(process.wait_for(lambda: len(self.logs()) >= polls + 1, 5), process.describe())
            process.signal(signal.SIGTERM)
            self.assertEqual(process.wait(10), 0, process.describe())
        finally:
            process.stop()
        self.assertEqual(process.activities(), [expected_activity(r) for r in added + more])
        urls = [self.url_of(r) for r in self.logs()]
        self.assertEqual(urls[0], saved)  # not a search
        self.assertTrue(all("q" not in r["params"] for r in self.logs()))
        self.assertEqual(parse_qs(urlsplit(urls[-1]).query)["from"], [more[0]["log_id"]])
        self.assertEqual(self.state()["resume"]["url"], urls[-1])


if __name__ == "__main__":
    unittest.main()
