"""End to end: the real auditfetch binary against the Duo Admin API emulator (tests/emulator/duo.py).

Two providers read two Duo logs on the account's API host (DUO_API_HOST; the emulator serves both
at its root):
- duo-auth: GET /admin/v2/logs/authentication. mintime and maxtime (13-digit epoch milliseconds,
  both inclusive) on every request, sort=ts:asc, limit (at most 1000), filters as repeated query
  parameters (users, applications, event_types); metadata.next_offset ["<ms>", "<txid>"] sent back
  as next_offset=<ms>,<txid>. Records newer than now - 2 minutes are withheld (Duo's delay).
- duo-admin: GET /admin/v1/logs/administrator. mintime in epoch seconds only; the oldest records
  first, at most a page (the emulator's --duo-admin-page 5, Duo's 1000), a second never split;
  no cursor: asked again from the last record's second (a page that brings nothing later than the
  second asked from goes on from the next one; only an empty page ends the listing). The records
  have no id: auditfetch derives one from their content.

Every request is signed as Duo documents it (HMAC-SHA1 of Date, method, host, path and the
sorted, percent-encoded parameters; `Authorization: Basic base64(ikey:hex)` plus that Date).

Expected values come from the fixtures (tests/fixtures/duo-auth, duo-admin) and Duo's semantics
(PROVIDERS-DIRECT.md section 10), never from auditfetch's own output.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

from harness import DUO_API_HOST, DUO_IKEY, DUO_SKEY, REPO, fixture_records, run_auditfetch
from provider_case import ProviderCase, csv_rows, format_ms, ms, ndjson, parse_time, table_cells, table_lines
from test_tail import TailProcess

AUTH_LOG = "/admin/v2/logs/authentication"
ADMIN_LOG = "/admin/v1/logs/administrator"
NOW = "2024-06-01T00:00:00Z"  # the emulator's clock (--now): the fixtures are within 180 days of it
PAGE = 5  # the administrator log's page cap in the emulator (--duo-admin-page)
EMULATOR_ARGS = ("--now", NOW, "--duo-admin-page", str(PAGE))
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
ENV = {"DUO_IKEY": DUO_IKEY, "DUO_SKEY": DUO_SKEY}
OVERLAP_MS = 5 * 60 * 1000  # --overlap's default
SECOND_NS = 1_000_000_000

AUTHS = fixture_records("duo-auth")
ADMINS = fixture_records("duo-admin")


def at(record: Any, *path: str) -> Any:
    for key in path:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def epoch_ms(text: str) -> int:
    return parse_time(text) // 1_000_000


# =========================================================================== duo-auth oracle


def auth_ms(rec: dict[str, Any]) -> int:
    """The record's millisecond (isotimestamp truncated): next_offset's first half, created_at."""
    return epoch_ms(rec["isotimestamp"])


def auth_key(rec: dict[str, Any]) -> tuple[int, str]:
    return auth_ms(rec), rec["txid"]


AUTH_SORTED = sorted(AUTHS, key=auth_key)  # the order of sort=ts:asc (ties by txid)
AUTH_BY_ID = {r["txid"]: r for r in AUTHS}
ALL_AUTH_IDS = [r["txid"] for r in AUTH_SORTED]


def filled(*values: Any) -> bool:
    """A template fills only when each of its placeholders has a non-empty value."""
    return all(v is not None and v != "" for v in values)


def auth_action(rec: dict[str, Any]) -> str:
    """Duo: an authentication event's result says whether the login worked (PROVIDERS-DIRECT.md §10)."""
    if rec.get("event_type") == "authentication":
        result = rec.get("result")
        if result == "success":
            return "login"
        if result in ("denied", "fraud", "error"):
            return "login_failed"
    return rec.get("event_type")


def auth_description(rec: dict[str, Any]) -> str | None:
    kind, result, reason = rec.get("event_type"), rec.get("result"), rec.get("reason")
    user, app = at(rec, "user", "name"), at(rec, "application", "name")
    if filled(kind, result, reason, user, app):
        return f"{kind} {result} ({reason}) for {user} to {app}"
    if filled(kind, result, user, app):
        return f"{kind} {result} for {user} to {app}"
    if filled(kind, result):
        return f"{kind} {result}"
    return None


def auth_user_agent(rec: dict[str, Any]) -> str | None:
    device = rec.get("access_device") or {}
    browser, version, os_name, os_version = (device.get(k) for k in ("browser", "browser_version", "os", "os_version"))
    if filled(browser, version, os_name, os_version):
        return f"{browser}/{version} ({os_name} {os_version})"
    if filled(browser, version, os_name):
        return f"{browser}/{version} ({os_name})"
    if filled(browser, os_name):
        return f"{browser} ({os_name})"
    return None


def expected_auth(rec: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    """The unified activity of an authentication log record."""
    user_key, app_key = at(rec, "user", "key"), at(rec, "application", "key")
    return {
        "id": rec["txid"],
        "actor": {"type": "user" if user_key else "anonymous", "user": {"id": user_key}},
        "organization": DUO_API_HOST,
        "group": at(rec, "application", "name"),
        "description": auth_description(rec),
        "action": auth_action(rec),
        "entity": app_key,
        "entity_type": "application" if app_key else None,
        "context": {"ip_address": at(rec, "access_device", "ip"), "user_agent": auth_user_agent(rec),
                    "authentication_method": rec.get("factor")},
        "created_at": ms(rec["isotimestamp"]),
        "remote_data": rec if remote_data else None,
        "provider": "duo-auth",
    }


def auth_truth(since: str | None = SINCE, until: str | None = UNTIL, actions: Iterable[str] = (),
               actor: str | None = None, entity: str | None = None, entity_type: str | None = None) -> list[str]:
    """txids, in listing order, of the records the unified filters select (times to the millisecond)."""
    wanted = set(actions)
    out = []
    for r in AUTH_SORTED:
        t = auth_ms(r)
        if since is not None and t < -(-parse_time(since) // 1_000_000):
            continue
        if until is not None and t * 1_000_000 >= parse_time(until):
            continue
        if wanted and auth_action(r) not in wanted and r["event_type"] not in wanted:
            continue
        if actor is not None and at(r, "user", "key") != actor:
            continue
        if entity is not None and at(r, "application", "key") != entity:
            continue
        if entity_type is not None and expected_auth(r)["entity_type"] != entity_type:
            continue
        out.append(r["txid"])
    return out


def new_auth(template: dict[str, Any], txid: str, iso: str, **changes: Any) -> dict[str, Any]:
    """A copy of a fixture record at another time (isotimestamp with microseconds, +00:00)."""
    rec = copy.deepcopy(template)
    rec.update(txid=txid, isotimestamp=iso, timestamp=parse_time(iso) // SECOND_NS, **changes)
    return rec


def iso_micro(ns: int) -> str:
    """nanoseconds → Duo's isotimestamp, 2024-05-14T09:30:12.345120+00:00."""
    seconds, rest = divmod(ns, SECOND_NS)
    text = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{rest // 1000:06d}+00:00"


# =========================================================================== duo-admin oracle


ADMIN_ACTIONS = {"admin_login": "login", "admin_login_error": "login_failed", "user_create": "user_created",
                 "user_update": "user_updated", "user_delete": "user_deleted"}
# after those: the other objects' changes, by the action's suffix (the table's *_create, ...)
ADMIN_SUFFIXES = {"_create": "create", "_update": "updated", "_delete": "destroy"}
ENTITY_TYPES = {"user_": "user", "admin_": "administrator", "group_": "group", "integration_": "integration",
                "phone_": "phone", "bypass_": "bypass_code"}


def admin_action(native: str) -> str:
    """duo-admin's action table, first match wins; an action it does not name keeps its name."""
    if native in ADMIN_ACTIONS:
        return ADMIN_ACTIONS[native]
    return next((unified for suffix, unified in ADMIN_SUFFIXES.items() if native.endswith(suffix)), native)


def admin_id(rec: dict[str, Any]) -> str:
    """The derived id: SHA-256 of timestamp, action, username, object and description, each as
    compact JSON (absent: null) followed by a newline; the first 32 hex digits."""
    text = "".join(json.dumps(rec.get(k), ensure_ascii=False, separators=(",", ":")) + "\n"
                   for k in ("timestamp", "action", "username", "object", "description"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def admin_description(rec: dict[str, Any]) -> str:
    action, obj, user, desc = (rec.get(k) for k in ("action", "object", "username", "description"))
    if filled(obj, user, desc):
        return f"{action} {obj} by {user}: {desc}"
    if filled(user, desc):
        return f"{action} by {user}: {desc}"
    if filled(obj, user):
        return f"{action} {obj} by {user}"
    if filled(desc):
        return f"{action}: {desc}"
    if filled(user):
        return f"{action} by {user}"
    return action


def admin_entity_type(rec: dict[str, Any]) -> str | None:
    if not filled(rec.get("object")):  # if_present: null and "" are no object
        return None
    return next((kind for prefix, kind in ENTITY_TYPES.items() if rec["action"].startswith(prefix)), None)


def expected_admin(rec: dict[str, Any], remote_data: bool = True) -> dict[str, Any]:
    """The unified activity of an administrator log record: a failed administrator login has no
    known actor (username is empty); the rest are the administrator named."""
    return {
        "id": admin_id(rec),
        "actor": {"type": "anonymous" if rec["action"] == "admin_login_error" else "user",
                  "user": {"id": rec.get("username") or None}},
        "organization": DUO_API_HOST,
        "group": None,
        "description": admin_description(rec),
        "action": admin_action(rec["action"]),
        "entity": rec.get("object") or None,
        "entity_type": admin_entity_type(rec),
        "context": {"ip_address": None, "user_agent": None, "authentication_method": None},
        "created_at": format_ms(rec["timestamp"] * SECOND_NS),
        "remote_data": rec if remote_data else None,
        "provider": "duo-admin",
    }


def admin_sorted(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The administrator log's order: by second, then as stored."""
    return [r for _, r in sorted(enumerate(records), key=lambda p: (p[1]["timestamp"], p[0]))]


ADMIN_SORTED = admin_sorted(ADMINS)
ALL_ADMIN_IDS = [admin_id(r) for r in ADMIN_SORTED]


def admin_page(records: list[dict[str, Any]], mintime: int | None, cap: int = PAGE) -> list[dict[str, Any]]:
    """What the administrator log answers to mintime: the oldest `cap`, the last second whole."""
    ordered = admin_sorted(records)
    rest = [r for r in ordered if mintime is None or r["timestamp"] >= mintime]
    page = rest[:cap]
    while page and len(page) < len(rest) and rest[len(page)]["timestamp"] == page[-1]["timestamp"]:
        page.append(rest[len(page)])
    return page


def admin_walk(records: list[dict[str, Any]], since: int | None) -> list[int | None]:
    """The mintime of each request a client needs to read the log from `since` to its end, asking
    again from the last record's second (its records come again and are dropped); a page that
    brings nothing later than the second asked from goes on from the next second, and only an
    empty page ends the listing (its request is the last)."""
    mintimes, mintime = [since], since
    while True:
        page = admin_page(records, mintime)
        if not page:
            return mintimes
        if mintime is not None and page[-1]["timestamp"] <= mintime:
            mintime += 1  # the whole second has come: go on after it
        else:
            mintime = page[-1]["timestamp"]
        mintimes.append(mintime)


def admin_truth(since: str | None = SINCE, until: str | None = None, records: list[dict[str, Any]] | None = None,
                actions: Iterable[str] = ()) -> list[str]:
    wanted = set(actions)
    out = []
    for r in admin_sorted(records if records is not None else ADMINS):
        t = r["timestamp"] * SECOND_NS
        if since is not None and t < parse_time(since):
            continue
        if until is not None and t >= parse_time(until):
            continue
        if wanted and admin_action(r["action"]) not in wanted and r["action"] not in wanted:
            continue
        out.append(admin_id(r))
    return out


def new_admin(action: str, timestamp: int, obj: str | None, username: str = "Dana Whitfield",
              description: str | None = "{}") -> dict[str, Any]:
    iso = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return {"action": action, "description": description, "isotimestamp": iso, "object": obj,
            "timestamp": timestamp, "username": username}


# =========================================================================== signing (duo_client_python)


def canonical(date: str, method: str, host: str, path: str, params: dict[str, list[str]]) -> str:
    """Canonicalization v2 as duo_client_python writes it: names and values percent-encoded (only
    A-Z a-z 0-9 - _ . ~ left as they are), then sorted, joined by '&'."""
    pairs = sorted((urllib.parse.quote(k, safe="~"), urllib.parse.quote(v, safe="~"))
                   for k, values in params.items() for v in values)
    return "\n".join([date, method.upper(), host.lower(), path, "&".join(f"{k}={v}" for k, v in pairs)])


def expected_authorization(request: dict[str, Any], secret: str = DUO_SKEY) -> str:
    text = canonical(request["headers"]["Date"], request["method"], request["headers"]["Host"], request["path"],
                     request["params"])
    signature = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return "Basic " + base64.b64encode(f"{DUO_IKEY}:{signature}".encode()).decode()


RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d -0000$")


# =========================================================================== the test cases


class DuoCase(ProviderCase):
    emulator_args = EMULATOR_ARGS
    provider = "duo-auth"

    def settings(self, provider: str | None = None) -> list[str]:
        return ["-p", provider or self.provider, "--api-host", DUO_API_HOST, "--base-url", self.emu.url]

    def list(self, *args: str, since: str | None = SINCE, until: str | None = UNTIL, env: dict | None = None,
             provider: str | None = None) -> subprocess.CompletedProcess:
        window = (["--since", since] if since else []) + (["--until", until] if until else [])
        return run_auditfetch("list", *self.settings(provider), *window, *args, env={**ENV, **(env or {})})

    def logs(self, path: str = AUTH_LOG) -> list[dict[str, Any]]:
        return [r for r in self.emu.requests(path) if r["path"] == path]

    def ids(self, result: subprocess.CompletedProcess) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def params(self, path: str = AUTH_LOG) -> list[dict[str, list[str]]]:
        return [r["params"] for r in self.logs(path)]


def auth_params(since_ms: int, until_ms: int, *extra: tuple[str, list[str]], limit: str = "1000") -> dict[str, list[str]]:
    """The parameters every authentication log request carries, plus `extra`."""
    return {"mintime": [str(since_ms)], "maxtime": [str(until_ms)], **dict(extra), "limit": [limit],
            "sort": ["ts:asc"]}


MAY_PARAMS = auth_params(epoch_ms(SINCE), epoch_ms(UNTIL) - 1)


# --------------------------------------------------------------------------- duo-auth: mapping


class AuthMappingTest(DuoCase):
    def test_every_record_maps_to_the_unified_schema_field_by_field(self) -> None:
        activities = self.activities(self.list())
        self.assertEqual([a["id"] for a in activities], ALL_AUTH_IDS)  # ts:asc, ties by txid
        for activity in activities:
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "duo-auth")
                self.assertEqual(activity, expected_auth(AUTH_BY_ID[activity["id"]]))

    def test_each_kind_of_record_as_a_user_reads_it(self) -> None:
        got = {a["id"]: a for a in self.activities(self.list("--no-remote-data"))}
        push = got["7cd3bf64-7553-47b9-872d-088c1cb4afd4"]  # Duo Push approved
        self.assertEqual(push, {
            "id": "7cd3bf64-7553-47b9-872d-088c1cb4afd4",
            "actor": {"type": "user", "user": {"id": "DUC9R4D7LM2X8KF1S6PA"}},
            "organization": DUO_API_HOST, "group": "Microsoft Azure Active Directory",
            "description": "authentication success (user_approved) for carol.jimenez to Microsoft Azure Active Directory",
            "action": "login", "entity": "DIY231J8BR23QK4UKBY8", "entity_type": "application",
            "context": {"ip_address": "198.51.100.235", "user_agent": "Chrome/124.0.6367.119 (Windows 10)",
                        "authentication_method": "duo_push"},
            "created_at": "2024-05-02T08:24:47.640Z", "remote_data": None, "provider": "duo-auth"})
        # (txid prefix, action, description, user agent, factor): denied, fraud, error, enrollment
        cases = [
            ("4ced1367", "login_failed", "authentication denied (user_mistake) for bob.okafor to Cisco ASA VPN",
             "Firefox/125.0.3 (Linux)", "duo_push"),  # no os_version: the shorter user agent
            ("5d12a8be", "login_failed", "authentication fraud (user_marked_fraud) for dmitri.volkov to Cisco ASA VPN",
             "Safari/17.4.1 (Mac OS X 14.4.1)", "duo_push"),
            ("9aab0eff", "login_failed", "authentication error (error) for carol.jimenez to Microsoft Azure Active "
             "Directory", "Chrome/124.0.6367.119 (Windows 10)", "phone_call"),
            ("6f78209c", "enrollment", "enrollment success (user_enrolled) for bob.okafor to Cisco ASA VPN",
             "Firefox/125.0.3 (Linux)", "not_available"),
            ("fa88e84e", "login", 'authentication success (user_approved) for zoë.müller to Acme "Legacy" Portal – '
             "Zürich", "Edge/124.0.2478.80 (Windows 11)", "duo_push"),
        ]
        for prefix, action, description, agent, factor in cases:
            activity = next(a for i, a in got.items() if i.startswith(prefix))
            with self.subTest(prefix):
                self.assertEqual((activity["action"], activity["description"], activity["context"]["user_agent"],
                                  activity["context"]["authentication_method"]), (action, description, agent, factor))
        self.assertEqual(got[next(i for i in got if i.startswith("fa88e84e"))]["group"], 'Acme "Legacy" Portal – Zürich')
        # every result of an authentication is login or login_failed; enrollments keep their type
        self.assertEqual({(AUTH_BY_ID[i]["event_type"], AUTH_BY_ID[i]["result"], a["action"]) for i, a in got.items()},
                         {("authentication", "success", "login"), ("authentication", "denied", "login_failed"),
                          ("authentication", "fraud", "login_failed"), ("authentication", "error", "login_failed"),
                          ("enrollment", "success", "enrollment")})

    def test_a_record_without_user_application_or_device_details(self) -> None:
        template = AUTH_BY_ID["86a6c03b-62c6-4105-8d51-bba0da0adb83"]
        unknown = new_auth(template, "0e1d2c3b-0000-4000-8000-000000000001", "2024-05-31T10:00:00.250000+00:00",
                           user={"key": None, "name": "mallory", "groups": []}, reason="deny_unenrolled_user")
        bare = new_auth(template, "0e1d2c3b-0000-4000-8000-000000000002", "2024-05-31T10:00:01.500000+00:00",
                        user=None, application=None, reason=None, factor=None,
                        access_device={"ip": None, "browser": None, "os": None})
        self.emu.add_activities("duo-auth", [unknown, bare])
        activities = self.activities(self.list(since="2024-05-31T00:00:00Z"))
        self.assertEqual(activities, [expected_auth(unknown), expected_auth(bare)])
        self.assertEqual(activities[0]["actor"], {"type": "anonymous", "user": {"id": None}})
        self.assertEqual(activities[0]["description"],
                         "authentication denied (deny_unenrolled_user) for mallory to Salesforce")
        self.assertEqual((activities[1]["description"], activities[1]["group"], activities[1]["entity"],
                          activities[1]["entity_type"], activities[1]["context"]),
                         ("authentication denied", None, None, None,
                          {"ip_address": None, "user_agent": None, "authentication_method": None}))


# --------------------------------------------------------------------------- duo-auth: the native request


class AuthRequestTest(DuoCase):
    def test_every_page_is_signed_afresh_as_duo_documents(self) -> None:
        result = self.list("--page-size", "10")
        self.assertEqual(self.ids(result), ALL_AUTH_IDS)
        requests = self.logs()
        self.assertEqual(len(requests), 5)
        for request in requests:
            with self.subTest(query=request["query"]):
                headers = request["headers"]
                self.assertEqual(request["method"], "GET")
                self.assertRegex(headers["Date"], RFC2822)
                sent = email.utils.parsedate_to_datetime(headers["Date"]).timestamp()
                self.assertLess(abs(sent - request["time"]), 5)
                self.assertEqual(headers["Host"], self.emu.url.split("//", 1)[1])  # the host signed, with its port
                self.assertEqual(headers["Authorization"], expected_authorization(request))
                ikey, signature = base64.b64decode(headers["Authorization"][len("Basic "):]).decode().split(":")
                self.assertEqual(ikey, DUO_IKEY)
                self.assertRegex(signature, r"^[0-9a-f]{40}$")  # HMAC-SHA1 in lower-case hex
                self.assertEqual(headers["Accept"], "application/json")
        # each page's parameters differ (next_offset), so does each signature
        self.assertEqual(len({r["headers"]["Authorization"] for r in requests}), 5)
        self.assertNotIn(DUO_SKEY, result.stderr + result.stdout)

    def test_the_secret_key_never_appears_in_any_output(self) -> None:
        outputs = []
        for args, env in ((("-v", "--page-size", "20"), {}), (("-v",), {"DUO_SKEY": DUO_SKEY[::-1]}),
                          (("-v", "--param", "bogus=1"), {})):
            result = self.list(*args, env=env)
            outputs += [result.stdout, result.stderr]
        shown = run_auditfetch("config", "show", *self.settings(), env=ENV)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertRegex(shown.stdout, r"(?m)^client-credentials +\*\*\*\* +env DUO_IKEY/DUO_SKEY$")
        outputs += [shown.stdout, shown.stderr]
        for text in outputs:
            self.assertNotIn(DUO_SKEY, text)
            self.assertNotIn(DUO_SKEY[::-1], text)

    def test_window_page_size_and_order_are_sent_on_every_request(self) -> None:
        result = self.list("-v", "--page-size", "20")
        self.assertEqual(self.ids(result), ALL_AUTH_IDS)
        self.assertEqual(self.pushdown(result, "duo-auth"), ({"since", "until"}, set()))
        params = self.params()
        self.assertEqual(params[0], auth_params(1714521600000, 1717199999999, limit="20"))
        for later in params[1:]:
            self.assertEqual({k: v for k, v in later.items() if k != "next_offset"}, params[0])

    def test_page_size_is_limit_up_to_1000_and_limit_asks_for_that_many(self) -> None:
        self.assertEqual(self.ids(self.list("--page-size", "1000")), ALL_AUTH_IDS)
        self.assertEqual(self.params(), [MAY_PARAMS])
        self.emu.clear_requests()
        result = self.list("--page-size", "1001")
        self.assertOneErrorLine(result, 2, "--page-size 1001 is out of range for duo-auth (use 1 to 1000)")
        self.assertEqual(self.emu.requests(), [])
        self.assertEqual(self.ids(self.list("--limit", "3")), ALL_AUTH_IDS[:3])
        self.assertEqual(self.params(), [auth_params(1714521600000, 1717199999999, limit="3")])

    def test_filters_become_repeated_query_parameters(self) -> None:
        alice, azure = "DUA7K2P9QX4M1ZL8R3TB", "DIY231J8BR23QK4UKBY8"
        cases = [
            (("--action", "enrollment"), [("event_types", ["enrollment"])], auth_truth(actions=["enrollment"])),
            # login is an authentication with result success: the event type goes to Duo, the result is checked here
            (("--action", "login"), [("event_types", ["authentication"])], auth_truth(actions=["login"])),
            (("--action", "login_failed"), [("event_types", ["authentication"])], auth_truth(actions=["login_failed"])),
            (("--action", "login", "--action", "enrollment"), [("event_types", ["authentication", "enrollment"])],
             auth_truth(actions=["login", "enrollment"])),
            (("--actor-id", alice), [("users", [alice])], auth_truth(actor=alice)),
            (("--entity", azure), [("applications", [azure])], auth_truth(entity=azure)),
            (("--action", "login_failed", "--actor-id", alice, "--entity", azure),
             [("users", [alice]), ("applications", [azure]), ("event_types", ["authentication"])],
             auth_truth(actions=["login_failed"], actor=alice, entity=azure)),
            (("--entity-type", "application"), [], ALL_AUTH_IDS),  # every record names its application
            (("--entity-type", "user"), [], []),
        ]
        for args, extra, expected in cases:
            with self.subTest(args=args):
                self.assertTrue(expected or args[-1] == "user")
                self.emu.clear_requests()
                result = self.list(*args, "-v")
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(self.params(), [auth_params(1714521600000, 1717199999999, *extra)])
                pushed, local = self.pushdown(result, "duo-auth")
                self.assertEqual(local, {"entity_type"} if "--entity-type" in args else set())

    def test_repeated_values_of_one_parameter_are_signed_in_duo_s_order(self) -> None:
        # Duo sorts the parameters after percent-encoding them (duo_client_python's canon_params,
        # OAuth 1.0's rule): "DU%C3%AB" before "DUzz", "a%2Fb" before "a-b". Signed in another
        # order, the request is refused as a bad signature.
        for values in (("DUzz", "DUë"), ("a-b", "a/b")):
            with self.subTest(values=values):
                self.emu.clear_requests()
                result = self.list("--param", f"users={values[0]}", "--param", f"users={values[1]}")
                self.assertEqual(self.logs()[0]["params"]["users"], list(values))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(self.ids(result), [])


# --------------------------------------------------------------------------- duo-auth: paging


class AuthPagingTest(DuoCase):
    def test_next_offset_is_the_last_record_s_millisecond_and_txid_joined_by_a_comma(self) -> None:
        for size, pages in ((10, 5), (16, 3), (47, 2), (48, 1)):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                self.assertEqual(self.ids(self.list("--page-size", str(size))), ALL_AUTH_IDS)
                params = self.params()
                self.assertEqual(len(params), pages)  # the last page's next_offset is null
                self.assertNotIn("next_offset", params[0])
                for number, sent in enumerate(params[1:], 1):
                    last = AUTH_SORTED[number * size - 1]
                    self.assertEqual(sent["next_offset"], [f"{auth_ms(last)},{last['txid']}"])
                    self.assertEqual(sent, {**params[0], "next_offset": sent["next_offset"]})

    def test_records_sharing_a_millisecond_split_across_pages_come_once(self) -> None:
        tie = next(i for i in range(len(AUTH_SORTED) - 1) if auth_ms(AUTH_SORTED[i]) == auth_ms(AUTH_SORTED[i + 1]))
        self.assertEqual(tie, 20)
        first, second = AUTH_SORTED[20], AUTH_SORTED[21]
        self.assertEqual((first["txid"][:8], second["txid"][:8], auth_ms(first)),
                         ("1c5372f6", "826238e8", 1715679012345))  # .345120 and .345871
        for size in (3, 7, 21):  # a page ends with the first of the two
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                self.assertEqual(self.ids(self.list("--page-size", str(size))), ALL_AUTH_IDS)
                offsets = [p.get("next_offset") for p in self.params()]
                self.assertIn([f"1715679012345,{first['txid']}"], offsets)

    def test_records_stored_while_paging_are_served_after_the_cursor_only(self) -> None:
        template = AUTH_SORTED[5]
        ahead = new_auth(template, "0a1b2c3d-0000-4000-8000-00000000000a", "2024-05-31T12:00:00.000500+00:00")
        behind = new_auth(template, "0a1b2c3d-0000-4000-8000-00000000000b", "2024-05-01T12:00:00.000000+00:00")
        # the first page ends at record 9: one added at its millisecond with a greater txid is after it
        tenth = AUTH_SORTED[9]
        same_ms = new_auth(template, "ffffffff-0000-4000-8000-00000000000c", iso_micro(auth_ms(tenth) * 1_000_000 + 999_000))
        self.emu.faults({"path": AUTH_LOG + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        outcome: list[subprocess.CompletedProcess] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list("--page-size", "10")))
        runner.start()
        deadline = time.monotonic() + 10
        while not self.logs() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.emu.add_activities("duo-auth", [ahead, behind, same_ms])
        runner.join(30)
        self.assertFalse(runner.is_alive())
        ids = self.ids(outcome[0])
        # keyset positions: what sorts after the page read is served, what sorts before it is not
        self.assertEqual(ids, ALL_AUTH_IDS[:10] + [same_ms["txid"]] + ALL_AUTH_IDS[10:] + [ahead["txid"]])
        self.assertEqual(self.ids(self.list(since="2024-05-01T00:00:00Z", until="2024-05-02T00:00:00Z")),
                         [behind["txid"]])


# --------------------------------------------------------------------------- duo-auth: time


class AuthTimeTest(DuoCase):
    def test_mintime_is_since_and_maxtime_the_last_millisecond_before_until(self) -> None:
        since, until = "2024-05-14T09:30:12.345Z", "2024-05-20T13:20:25.812Z"  # both record times (ms)
        expected = auth_truth(since=since, until=until)
        self.assertEqual(expected[:2], [AUTH_SORTED[20]["txid"], AUTH_SORTED[21]["txid"]])
        self.assertNotIn(AUTH_SORTED[29]["txid"], expected)  # 13:20:25.812585: at until, excluded
        self.assertEqual(auth_ms(AUTH_SORTED[29]), 1716211225812)
        self.assertEqual(self.ids(self.list(since=since, until=until)), expected)
        self.assertEqual(self.params(), [auth_params(1715679012345, 1716211225811)])

    def test_a_millisecond_later_moves_the_edge_records(self) -> None:
        since, until = "2024-05-14T09:30:12.346Z", "2024-05-20T13:20:25.813Z"
        expected = auth_truth(since=since, until=until)
        self.assertEqual(expected[0], AUTH_SORTED[22]["txid"])
        self.assertEqual(expected[-1], AUTH_SORTED[29]["txid"])
        self.assertEqual(self.ids(self.list(since=since, until=until)), expected)
        self.assertEqual(self.params(), [auth_params(1715679012346, 1716211225812)])

    def test_sub_millisecond_bounds_and_offsets_round_to_whole_milliseconds(self) -> None:
        # Times have milliseconds: from .3455 (inclusive) is from .346, so the two records of .345
        # are left out (mintime .346); before .8125: maxtime .812 keeps the record of .812585.
        since, until = "2024-05-14T11:30:12.3455+02:00", "2024-05-20T08:20:25.8125-05:00"
        expected = auth_truth(since=since, until=until)
        self.assertEqual(expected[0], AUTH_SORTED[22]["txid"])
        self.assertEqual(expected[-1], AUTH_SORTED[29]["txid"])
        self.assertEqual(self.ids(self.list(since=since, until=until)), expected)
        self.assertEqual(self.params(), [auth_params(1715679012346, 1716211225812)])

    def test_a_one_millisecond_window_sends_until_itself_and_trims_here(self) -> None:
        # maxtime includes its bound: the last millisecond before --until would be the start
        # itself, so --until itself is sent and what Duo returns at it is dropped here.
        at_until = new_auth(AUTH_SORTED[0], "0f0f0f0f-0000-4000-8000-000000000001", "2024-05-14T09:30:12.346500+00:00")
        self.emu.add_activities("duo-auth", [at_until])
        since, until = "2024-05-14T09:30:12.345Z", "2024-05-14T09:30:12.346Z"
        result = self.list(since=since, until=until)
        self.assertEqual(self.ids(result), auth_truth(since=since, until=until))
        self.assertEqual(self.ids(result), [AUTH_SORTED[20]["txid"], AUTH_SORTED[21]["txid"]])
        self.assertEqual(self.params(), [auth_params(1715679012345, 1715679012346)])
        # two milliseconds: the last one before --until again, which holds the record added
        self.emu.clear_requests()
        result = self.list(since=since, until="2024-05-14T09:30:12.347Z")
        self.assertEqual(self.ids(result), [AUTH_SORTED[20]["txid"], AUTH_SORTED[21]["txid"], at_until["txid"]])
        self.assertEqual(self.params(), [auth_params(1715679012345, 1715679012346)])

    def test_without_since_the_last_seven_days_up_to_now(self) -> None:
        before = time.time_ns() // 1_000_000
        result = self.list(since=None, until=None)
        after = time.time_ns() // 1_000_000
        self.assertEqual(self.ids(result), [])  # the fixtures are older
        (sent,) = self.params()
        mintime, maxtime = int(sent["mintime"][0]), int(sent["maxtime"][0])
        self.assertTrue(before <= maxtime <= after, (before, maxtime, after))
        self.assertEqual(maxtime - mintime, 7 * 86_400_000)
        self.assertEqual(sent, auth_params(mintime, maxtime))

    def test_until_alone_reads_the_seven_days_before_it(self) -> None:
        until = "2024-05-20T00:00:00Z"
        result = self.list(since=None, until=until)
        self.assertEqual(self.ids(result), auth_truth(since="2024-05-13T00:00:00Z", until=until))
        self.assertEqual(self.params(), [auth_params(1715558400000, 1716163199999)])

    def test_created_at_keeps_the_millisecond_of_isotimestamp_never_rounding_up(self) -> None:
        late = new_auth(AUTH_SORTED[0], "0c0c0c0c-0000-4000-8000-000000000001", "2024-05-31T23:57:59.999999+00:00")
        self.emu.add_activities("duo-auth", [late])
        (activity,) = self.activities(self.list(since="2024-05-31T23:57:59.999Z"))
        self.assertEqual(activity["created_at"], "2024-05-31T23:57:59.999Z")
        self.assertEqual(self.list(since="2024-05-31T23:58:00Z").stdout, "")

    def test_the_newest_two_minutes_are_not_served_yet(self) -> None:
        # The emulator's clock is 2024-06-01T00:00:00Z: Duo holds back what is newer than 23:58.
        kept = new_auth(AUTH_SORTED[0], "0d0d0d0d-0000-4000-8000-000000000001", "2024-05-31T23:57:59.000000+00:00")
        held = new_auth(AUTH_SORTED[0], "0d0d0d0d-0000-4000-8000-000000000002", "2024-05-31T23:59:00.000000+00:00")
        self.emu.add_activities("duo-auth", [kept, held])
        self.assertEqual(self.ids(self.list(since="2024-05-31T00:00:00Z")), [kept["txid"]])


# --------------------------------------------------------------------------- errors (both logs)


class ErrorTest(DuoCase):
    def line(self, text: str, provider: str = "duo-auth") -> str:
        return f"auditfetch: error: {provider}: page 1: {text}"

    def test_a_wrong_secret_is_duo_s_40103_and_exits_3_naming_the_variables(self) -> None:
        for provider, path in (("duo-auth", AUTH_LOG), ("duo-admin", ADMIN_LOG)):
            with self.subTest(provider=provider):
                self.emu.clear_requests()
                result = self.list(env={"DUO_SKEY": "wrong-secret-key"}, provider=provider)
                self.assertOneErrorLine(result, 3, "40103")
                self.assertEqual(self.errorLine(result), self.line(
                    "authentication refused (401): 40103: Invalid signature in request credentials (the keys from "
                    "DUO_IKEY/DUO_SKEY were refused; check them)", provider))
                self.assertEqual(len(self.logs(path)), 1)  # not retried
                self.assertEqual(self.logs(path)[0]["headers"]["Authorization"],
                                 expected_authorization(self.logs(path)[0], "wrong-secret-key"))
                self.assertNotIn("wrong-secret-key", result.stderr)
                self.assertEqual(result.stdout, "")

    def test_an_unknown_integration_key_is_40102(self) -> None:
        result = self.list(env={"DUO_IKEY": "DIXXXXXXXXXXXXXXXXXX"})
        self.assertEqual(self.errorLine(result), self.line(
            "authentication refused (401): 40102: Invalid integration key in request credentials (the keys from "
            "DUO_IKEY/DUO_SKEY were refused; check them)"))
        self.assertEqual(result.returncode, 3)

    def test_missing_keys_or_api_host_exit_2_without_a_request(self) -> None:
        cases = [({"DUO_SKEY": None}, "auditfetch: error: duo-auth: DUO_IKEY is set but DUO_SKEY is not (a client id "
                                      "and its secret go together)"),
                 ({"DUO_IKEY": None}, "auditfetch: error: duo-auth: DUO_SKEY is set but DUO_IKEY is not (a client id "
                                      "and its secret go together)"),
                 ({"DUO_IKEY": None, "DUO_SKEY": None},
                  "auditfetch: error: duo-auth: no credentials (set AUDITFETCH_CLIENT_ID and AUDITFETCH_CLIENT_SECRET, "
                  "or set DUO_IKEY and DUO_SKEY, or give a config profile client-id and client-secret sources)")]
        for env, line in cases:
            with self.subTest(env=env):
                result = self.list(env=env)
                self.assertOneErrorLine(result, 2, "DUO_")
                self.assertEqual(self.errorLine(result), line)
        result = run_auditfetch("list", "-p", "duo-admin", "--base-url", self.emu.url, env=ENV)
        self.assertOneErrorLine(result, 2, "auditfetch: error: duo-admin: --api-host is required (pass --api-host or "
                                           "set DUO_API_HOST)")
        self.assertEqual(self.emu.requests(), [])

    def test_list_help_gives_each_provider_s_own_text_for_api_host(self) -> None:
        helps = {}
        for path in sorted((REPO / "providers").glob("*.json")):
            definition = json.loads(path.read_text(encoding="utf-8"))
            for setting in definition.get("settings", []):
                if setting["name"] == "api-host":
                    helps[definition["name"]] = setting["help"]
        self.assertLessEqual({"duo-auth", "duo-admin"}, set(helps))
        result = run_auditfetch("list", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        (line,) = [l for l in result.stdout.splitlines() if l.lstrip().startswith("--api-host ")]
        for name, text in helps.items():
            with self.subTest(provider=name):
                self.assertRegex(line, rf"(^|[.;] |\s){re.escape(name)}(, [a-z0-9-]+)*: {re.escape(text)}")

    def test_the_generic_pair_signs_as_well(self) -> None:
        env = {"DUO_IKEY": None, "DUO_SKEY": None, "AUDITFETCH_CLIENT_ID": DUO_IKEY, "AUDITFETCH_CLIENT_SECRET": DUO_SKEY}
        self.assertEqual(self.ids(self.list("--limit", "2", env=env)), ALL_AUTH_IDS[:2])
        self.assertEqual(self.logs()[0]["headers"]["Authorization"], expected_authorization(self.logs()[0]))

    def test_duo_s_400_body_is_shown_and_exits_2(self) -> None:
        hint = " (check --filter, --param and the filter flags; -v shows the request)"
        cases = [
            ("duo-auth", ("--param", "bogus=1"), SINCE,
             "the API rejected the request (400): 40002: Invalid request parameters: Received unexpected parameters"),
            ("duo-admin", ("--param", "bogus=1"), SINCE,
             "the API rejected the request (400): 40002: Invalid request parameters: Received unexpected parameters"),
            # Duo keeps the authentication log 180 days (of its clock, 2024-06-01)
            ("duo-auth", (), "2023-12-01T00:00:00Z", "the API rejected the request (400): 40002: Invalid request "
             "parameters: mintime must be within the past 180 days"),
        ]
        for provider, args, since, text in cases:
            with self.subTest(provider=provider, args=args):
                self.emu.clear_requests()
                result = self.list(*args, since=since, provider=provider)
                self.assertOneErrorLine(result, 2, "40002")
                self.assertEqual(self.errorLine(result), self.line(text + hint, provider))
                self.assertEqual(len(self.emu.requests()), 1)  # not retried
        self.emu.clear_requests()
        result = self.list(since="2023-12-04T00:00:01Z", until="2023-12-05T00:00:00Z")  # within 180 days: accepted
        self.assertEqual((result.returncode, result.stdout), (0, ""), result.stderr)

    def test_duo_error_statuses_exit_with_their_codes(self) -> None:
        cases = [(403, 3, "access refused (403): 40301: Access forbidden (the credentials from DUO_IKEY/DUO_SKEY work "
                          "but may not read audit activity; check the role or scopes granted to them)"),
                 (404, 2, "not found (404): 40401: Resource not found (check the provider settings and --base-url)"),
                 (500, 1, "HTTP 500: 50000: Internal server error"),
                 (503, 1, "HTTP 503: 50301: Service temporarily unavailable (the API is overloaded or down; try again "
                          "later or raise --retries)")]
        for status, code, text in cases:
            with self.subTest(status=status):
                self.emu.reset()
                self.emu.faults({"path": AUTH_LOG + "$", "kind": "status", "status": status, "times": -1})
                result = self.list("--retries", "0")
                self.assertOneErrorLine(result, code, f"HTTP {status}" if code == 1 else f"({status})")
                self.assertEqual(self.errorLine(result), self.line(text))
                self.assertEqual(result.stdout, "")

    def test_a_429_without_retry_after_is_waited_out_for_about_a_second(self) -> None:
        self.emu.faults({"path": AUTH_LOG + "$", "kind": "status", "status": 429, "skip": 1, "times": 1})
        started = time.monotonic()
        result = self.list("--page-size", "20")
        elapsed = time.monotonic() - started
        self.assertEqual(self.ids(result), ALL_AUTH_IDS)
        waited = re.findall(r"^auditfetch: warning: HTTP 429; retrying in ([0-9.]+) s \(1 of 3\)$", result.stderr, re.M)
        self.assertEqual(len(waited), 1, result.stderr)
        self.assertTrue(1.0 <= float(waited[0]) <= 1.5, waited)  # rate_limit.backoff 1s, plus jitter
        self.assertGreaterEqual(elapsed, 1.0)
        requests = self.logs()
        self.assertEqual(len(requests), 4)  # page 1, page 2 (429), page 2 again, page 3
        self.assertEqual(requests[1]["query"], requests[2]["query"])
        self.assertIn("next_offset", requests[1]["params"])
        for request in requests:
            self.assertEqual(request["headers"]["Authorization"], expected_authorization(request))

    def test_a_429_that_persists_ends_with_duo_s_body_and_exit_1(self) -> None:
        self.emu.faults({"path": ADMIN_LOG + "$", "kind": "status", "status": 429, "times": -1})
        started = time.monotonic()
        result = self.list("--retries", "1", provider="duo-admin", until=None)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertOneErrorLine(result, 1, "42901")
        self.assertEqual(self.errorLine(result), self.line(
            "HTTP 429: 42901: Too Many Requests (the API is rate limiting this account; wait, or raise --retries)",
            "duo-admin"))
        self.assertRegex(result.stderr, r"(?m)^auditfetch: warning: HTTP 429; retrying in 1(\.[0-5])? s \(1 of 1\)$")
        self.assertEqual(len(self.logs(ADMIN_LOG)), 2)

    def test_get_is_refused_without_a_request(self) -> None:
        for provider, log in (("duo-auth", "authentication"), ("duo-admin", "administrator")):
            with self.subTest(provider=provider):
                result = run_auditfetch("get", *self.settings(provider), "some-id", env=ENV)
                self.assertOneErrorLine(result, 2, "cannot fetch one activity by id")
                self.assertEqual(self.errorLine(result),
                                 f"auditfetch: error: {provider} cannot fetch one activity by id (the Duo {log} log "
                                 "has no endpoint for one event; use list with --since)")
                self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])


# --------------------------------------------------------------------------- output


class OutputTest(DuoCase):
    TIE = ("2024-05-14T09:30:12Z", "2024-05-14T09:30:13Z")  # three records in one second, two in one ms
    DAY = ("2024-05-21T00:00:00Z", "2024-05-22T00:00:00Z")  # four records, one with quotes in its application

    def test_json_is_one_array_and_fields_select_keys(self) -> None:
        result = self.list("-o", "json", "--fields", "context.user_agent,created_at,id,actor.user.id,action",
                           since=self.TIE[0], until=self.TIE[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        expected = [AUTH_BY_ID[i] for i in auth_truth(since=self.TIE[0], until=self.TIE[1])]
        self.assertEqual(len(expected), 3)
        self.assertEqual(json.loads(result.stdout), [
            {"id": r["txid"], "actor": {"user": {"id": r["user"]["key"]}}, "action": auth_action(r),
             "context": {"user_agent": auth_user_agent(r)}, "created_at": ms(r["isotimestamp"])} for r in expected])

    def test_csv_has_every_field_and_quotes_what_needs_it(self) -> None:
        fields = ["id", "actor.type", "actor.user.id", "organization", "group", "description", "action", "entity",
                  "entity_type", "context.ip_address", "context.user_agent", "context.authentication_method",
                  "created_at"]
        result = self.list("-o", "csv", "--fields", ",".join(fields), since=self.DAY[0], until=self.DAY[1])
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = csv_rows(result.stdout)
        self.assertEqual(rows[0], fields)
        expected = []
        for txid in auth_truth(since=self.DAY[0], until=self.DAY[1]):
            a = expected_auth(AUTH_BY_ID[txid])
            values = [a["id"], a["actor"]["type"], a["actor"]["user"]["id"], a["organization"], a["group"],
                      a["description"], a["action"], a["entity"], a["entity_type"], a["context"]["ip_address"],
                      a["context"]["user_agent"], a["context"]["authentication_method"], a["created_at"]]
            expected.append(["" if v is None else v for v in values])
        self.assertEqual(rows[1:], expected)
        self.assertIn('"Acme ""Legacy"" Portal – Zürich"', result.stdout)

    def test_table_rows_for_both_logs(self) -> None:
        for provider, activities in (
                ("duo-auth", [expected_auth(AUTH_BY_ID[i]) for i in auth_truth(*self.DAY)]),
                ("duo-admin", [expected_admin(r) for r in ADMIN_SORTED
                               if admin_id(r) in admin_truth(*self.DAY)])):
            with self.subTest(provider=provider):
                result = self.list("-o", "table", since=self.DAY[0], until=self.DAY[1], provider=provider)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(len(activities), 4)
                self.assertEqual(result.stdout.splitlines(), table_lines([table_cells(a) for a in activities]))
                if provider == "duo-admin":
                    self.assertIn("login_failed  anonymous", result.stdout)
                    self.assertIn("admin_login_error: {\"em", result.stdout)
                    self.assertNotIn("\u2026", result.stdout)

    def test_ndjson_without_remote_data(self) -> None:
        result = self.list("--no-remote-data", since=self.DAY[0], until=self.DAY[1], provider="duo-admin")
        self.assertEqual(self.activities(result),
                         [expected_admin(r, remote_data=False) for r in ADMIN_SORTED if admin_id(r) in admin_truth(*self.DAY)])


# --------------------------------------------------------------------------- duo-admin


class AdminTest(DuoCase):
    provider = "duo-admin"

    def test_every_record_maps_to_the_unified_schema_field_by_field(self) -> None:
        activities = self.activities(self.list(until=None))
        self.assertEqual([a["id"] for a in activities], ALL_ADMIN_IDS)
        self.assertEqual(len(set(ALL_ADMIN_IDS)), len(ADMINS))
        for activity in activities:
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "duo-admin")
                self.assertEqual(activity, expected_admin(next(r for r in ADMINS if admin_id(r) == activity["id"])))

    def test_each_kind_of_administrator_record(self) -> None:
        got = {(a["remote_data"]["timestamp"], a["remote_data"]["action"]): a
               for a in self.activities(self.list(until=None))}
        error = got[(1714727309, "admin_login_error")]
        self.assertEqual({k: error[k] for k in ("actor", "action", "description", "entity", "entity_type")}, {
            "actor": {"type": "anonymous", "user": {"id": None}}, "action": "login_failed",
            "description": 'admin_login_error: {"email": "ravi.shankar@example.com", "error": "Invalid password", '
                           '"ip_address": "203.0.113.145"}',
            "entity": None, "entity_type": None})
        created = got[(1714639356, "user_create")]
        self.assertEqual({k: created[k] for k in ("id", "actor", "action", "description", "entity", "entity_type",
                                                    "created_at")}, {
            "id": hashlib.sha256(b'1714639356\n"user_create"\n"Dana Whitfield"\n"dmitri.volkov"\n'
                                 b'"{\\"email\\": \\"dmitri.volkov@example.com\\", \\"realname\\": \\"Dmitri Volkov\\", '
                                 b'\\"status\\": \\"Active\\", \\"notes\\": \\"\\"}"\n').hexdigest()[:32],
            "actor": {"type": "user", "user": {"id": "Dana Whitfield"}}, "action": "user_created",
            "description": 'user_create dmitri.volkov by Dana Whitfield: {"email": "dmitri.volkov@example.com", '
                           '"realname": "Dmitri Volkov", "status": "Active", "notes": ""}',
            "entity": "dmitri.volkov", "entity_type": "user", "created_at": "2024-05-02T08:42:36.000Z"})
        login = got[(1714638942, "admin_login")]
        self.assertEqual((login["action"], login["actor"], login["entity"], login["entity_type"]),
                         ("login", {"type": "user", "user": {"id": "Dana Whitfield"}}, None, None))
        # every object kind the log names, by its action's prefix; a user's changes are user_*, any
        # other object's create, updated or destroy
        kinds = {(a["remote_data"]["action"], a["action"], a["entity_type"]) for a in got.values()
                 if a["remote_data"]["object"] is not None}
        self.assertEqual(kinds, {("user_create", "user_created", "user"), ("user_update", "user_updated", "user"),
                                 ("user_delete", "user_deleted", "user"), ("phone_create", "create", "phone"),
                                 ("phone_delete", "destroy", "phone"),
                                 ("integration_create", "create", "integration"),
                                 ("integration_update", "updated", "integration"),
                                 ("group_create", "create", "group"), ("group_update", "updated", "group"),
                                 ("bypass_create", "create", "bypass_code"),
                                 ("admin_create", "create", "administrator")})

    def test_ids_are_stable_across_runs_and_pages(self) -> None:
        first = self.ids(self.list(until=None))
        self.emu.clear_requests()
        second = self.ids(self.list(since="2024-05-16T00:00:00Z", until=None))
        self.assertEqual(second, first[-len(second):])
        self.assertEqual(len(second), len(admin_truth(since="2024-05-16T00:00:00Z")))
        # the three changes of one second are three activities
        triple = [admin_id(r) for r in ADMINS if r["timestamp"] == 1715857200]
        self.assertEqual(len(set(triple)), 3)
        self.assertLessEqual(set(triple), set(second))

    def test_asks_again_from_the_last_second_and_drops_its_repeats(self) -> None:
        result = self.list("-v", until=None)
        self.assertEqual(self.ids(result), ALL_ADMIN_IDS)
        self.assertEqual(self.pushdown(result, "duo-admin"), ({"since"}, set()))
        sent = [p.get("mintime", [None])[0] for p in self.params(ADMIN_LOG)]
        expected = [str(m) for m in admin_walk(ADMINS, 1714521600)]
        self.assertEqual(expected[:4], ["1714521600", "1714728184", "1715077574", "1715242996"])
        # the last second asked again brings only itself: on from the next second, whose empty
        # page (and only that) ends the listing
        self.assertEqual(sent, expected)
        self.assertEqual(expected[-3:], ["1716801476", "1717063385", "1717063386"])
        self.assertEqual([len(admin_page(ADMINS, int(m))) for m in expected[-2:]], [1, 0])
        for params in self.params(ADMIN_LOG):
            self.assertEqual(set(params), {"mintime"})  # no maxtime, no limit, no cursor

    def test_without_since_the_whole_log_is_read(self) -> None:
        result = self.list(since=None, until=None)
        self.assertEqual(self.ids(result), ALL_ADMIN_IDS)
        self.assertEqual(self.params(ADMIN_LOG)[0], {})
        self.assertEqual([p.get("mintime", [None])[0] for p in self.params(ADMIN_LOG)],
                         [None if m is None else str(m) for m in admin_walk(ADMINS, None)])

    def test_a_second_holding_more_records_than_a_page_is_read_past(self) -> None:
        # Six changes in one second (a bulk edit) with a page of five: the emulator sends the
        # whole second at once, asked again from it the page holds only that second, already read.
        # The records after it must still come.
        bulk = [new_admin("user_update", 1716000000, f"bulk.user{i}") for i in range(6)]
        self.emu.add_activities("duo-admin", bulk)
        records = ADMINS + bulk
        result = self.list(since="2024-05-16T00:00:00Z", until=None)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.ids(result), admin_truth(since="2024-05-16T00:00:00Z", records=records))
        sent = [p["mintime"][0] for p in self.params(ADMIN_LOG)]
        self.assertEqual(sent[:3], ["1715817600", "1716000000", "1716000001"])
        self.assertEqual(sent, [str(m) for m in admin_walk(records, 1715817600)])

    def test_a_page_bringing_nothing_later_goes_on_and_only_an_empty_page_ends(self) -> None:
        # The log's newest second holds more records than a page: asked from it, the page brings
        # that second alone (already read). The listing goes on from the next second and ends
        # with the empty page that answers it.
        bulk = [new_admin("user_update", 1717100000, f"bulk.user{i}") for i in range(6)]
        self.emu.add_activities("duo-admin", bulk)
        records = ADMINS + bulk
        result = self.list(since="2024-05-30T00:00:00Z", until=None)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.ids(result), admin_truth(since="2024-05-30T00:00:00Z", records=records))
        sent = [p["mintime"][0] for p in self.params(ADMIN_LOG)]
        self.assertEqual(sent, [str(m) for m in admin_walk(records, 1717027200)])
        self.assertEqual(sent, ["1717027200", "1717100000", "1717100001"])
        self.assertEqual([len(admin_page(records, int(m))) for m in sent], [7, 6, 0])

    def test_until_is_applied_here_and_the_listing_ends_at_a_page_past_it(self) -> None:
        since, until = "2024-05-10T00:00:00Z", "2024-05-16T00:00:00Z"
        result = self.list("-v", since=since, until=until)
        self.assertEqual(self.ids(result), admin_truth(since=since, until=until))
        self.assertEqual(len(self.ids(result)), 6)
        self.assertEqual(self.pushdown(result, "duo-admin"), ({"since"}, {"until"}))
        # page 2 reaches the changes of 2024-05-16T11:00:00, page 3 is wholly after --until: the end
        # (the page after it may already be on its way: pages are fetched ahead, never more than one)
        sent = self.params(ADMIN_LOG)
        self.assertEqual(sent[:3], [{"mintime": ["1715299200"]}, {"mintime": ["1715764227"]},
                                    {"mintime": ["1715857200"]}])
        self.assertIn(sent[3:], ([], [{"mintime": ["1716200025"]}]))

    def test_since_is_inclusive_to_the_second_and_rounded_down(self) -> None:
        for since, mintime in (("2024-05-16T11:00:00Z", "1715857200"), ("2024-05-16T11:00:00.999Z", "1715857200"),
                               ("2024-05-16T11:00:01Z", "1715857201")):
            with self.subTest(since=since):
                self.emu.clear_requests()
                result = self.list(since=since, until="2024-05-21T00:00:00Z")
                self.assertEqual(self.ids(result), admin_truth(since=since, until="2024-05-21T00:00:00Z"))
                self.assertEqual(self.params(ADMIN_LOG)[0], {"mintime": [mintime]})
        self.assertEqual(len(admin_truth(since="2024-05-16T11:00:00Z", until="2024-05-21T00:00:00Z")), 5)
        self.assertEqual(len(admin_truth(since="2024-05-16T11:00:00.999Z", until="2024-05-21T00:00:00Z")), 2)

    def test_filters_are_applied_here_and_nothing_is_sent_for_them(self) -> None:
        cases = [(("--action", "login"), admin_truth(actions=["login"])),
                 (("--action", "user_updated", "--action", "group_create"),
                  admin_truth(actions=["user_updated", "group_create"])),
                 # the unified actions of other objects' changes
                 (("--action", "create"), [admin_id(r) for r in ADMIN_SORTED if r["action"] in
                                           ("phone_create", "integration_create", "group_create", "bypass_create",
                                            "admin_create")]),
                 (("--action", "updated", "--action", "destroy"),
                  [admin_id(r) for r in ADMIN_SORTED if r["action"] in ("integration_update", "group_update",
                                                                         "phone_delete")]),
                 (("--actor-id", "Sofía Ortega"), [admin_id(r) for r in ADMIN_SORTED if r["username"] == "Sofía Ortega"]),
                 (("--entity", "zoë.müller"), [admin_id(r) for r in ADMIN_SORTED if r["object"] == "zoë.müller"]),
                 (("--entity-type", "integration"), [admin_id(r) for r in ADMIN_SORTED
                                                     if r["action"].startswith("integration_")])]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertTrue(expected)
                self.emu.clear_requests()
                result = self.list(*args, "-v", until=None)
                self.assertEqual(self.ids(result), expected)
                self.assertTrue(all(set(p) == {"mintime"} for p in self.params(ADMIN_LOG)))
                self.assertEqual(self.pushdown(result, "duo-admin")[0], {"since"})

    def test_records_stored_while_paging_come_on_a_later_page(self) -> None:
        late = new_admin("user_create", 1717070000, "late.user")  # after every fixture
        self.emu.faults({"path": ADMIN_LOG + "$", "kind": "slow", "skip": 1, "times": 1, "delay_ms": 700})
        outcome: list[subprocess.CompletedProcess] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list(until=None)))
        runner.start()
        deadline = time.monotonic() + 10
        while not self.logs(ADMIN_LOG) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.emu.add_activities("duo-admin", [late])
        runner.join(30)
        self.assertFalse(runner.is_alive())
        self.assertEqual(self.ids(outcome[0]), ALL_ADMIN_IDS + [admin_id(late)])

    def test_requests_are_signed_and_a_record_without_object_or_description(self) -> None:
        bare = new_admin("admin_logout", 1717120000, None, description=None)  # 2024-05-31T01:46:40Z
        # Duo writes "" for an object it has none of: no entity, and so no entity type either
        empty = new_admin("user_update", 1717120001, "", description='{"status": "Disabled"}')
        self.emu.add_activities("duo-admin", [bare, empty])
        activity, emptied = self.activities(self.list(since="2024-05-31T00:00:00Z", until=None))
        self.assertEqual(activity, expected_admin(bare))
        self.assertEqual((activity["description"], activity["actor"]),
                         ("admin_logout by Dana Whitfield", {"type": "user", "user": {"id": "Dana Whitfield"}}))
        self.assertEqual(emptied, expected_admin(empty))
        self.assertEqual((emptied["action"], emptied["entity"], emptied["entity_type"], emptied["description"]),
                         ("user_updated", None, None, 'user_update by Dana Whitfield: {"status": "Disabled"}'))
        for request in self.logs(ADMIN_LOG):
            self.assertEqual(request["headers"]["Authorization"], expected_authorization(request))


# --------------------------------------------------------------------------- --state


class StateTest(DuoCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="auditfetch-duo-state-")
        self.path = Path(self.tmp.name) / "duo.json"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def state(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def test_auth_list_with_state_starts_at_the_high_water_mark_minus_the_overlap(self) -> None:
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), ALL_AUTH_IDS)
        newest = AUTH_SORTED[-1]
        state = self.state()
        self.assertEqual((state["provider"], state["account"], state["high_water"]),
                         ("duo-auth", {"api-host": DUO_API_HOST}, ms(newest["isotimestamp"])))
        self.assertNotIn("resume", state)  # polled by time: nothing of Duo's is kept
        # a record at the newest millisecond (another txid) and one later, stored since
        tie = new_auth(newest, "ffffffff-0000-4000-8000-000000000001", iso_micro(auth_ms(newest) * 1_000_000 + 900_000))
        later = new_auth(newest, "00000000-0000-4000-8000-000000000002", "2024-05-31T08:00:00.000001+00:00")
        self.emu.add_activities("duo-auth", [tie, later])
        self.emu.clear_requests()
        result = self.list("--state", str(self.path), until=None)
        self.assertEqual(self.activities(result), [expected_auth(tie), expected_auth(later)])
        (sent,) = self.params()
        self.assertEqual(sent["mintime"], [str(auth_ms(newest) - OVERLAP_MS)])
        self.assertEqual(self.state()["high_water"], "2024-05-31T08:00:00.000Z")
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), [])
        self.assertEqual(self.params()[0]["mintime"], [str(epoch_ms("2024-05-31T08:00:00Z") - OVERLAP_MS)])

    def test_auth_late_record_within_the_overlap_is_printed_once(self) -> None:
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), ALL_AUTH_IDS)
        newest_ms = auth_ms(AUTH_SORTED[-1])
        late = new_auth(AUTH_SORTED[0], "1a1a1a1a-0000-4000-8000-000000000001",
                        iso_micro((newest_ms - 4 * 60 * 1000) * 1_000_000))  # stored late, 4 minutes older
        too_late = new_auth(AUTH_SORTED[0], "1a1a1a1a-0000-4000-8000-000000000002",
                            iso_micro((newest_ms - 6 * 60 * 1000) * 1_000_000))  # older than the overlap
        self.emu.add_activities("duo-auth", [late, too_late])
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None)), [late["txid"]])
        self.assertEqual(self.ids(self.list("--state", str(self.path), "--overlap", "10m", until=None)),
                         [too_late["txid"]])

    def test_auth_records_at_or_after_until_are_not_remembered(self) -> None:
        # A one-millisecond window sends --until itself as maxtime (the last millisecond before it
        # would be the start), so Duo returns a record at --until; it is not printed, and neither
        # kept in the state file nor moving its high-water mark: a later run prints it.
        at_until = new_auth(AUTH_SORTED[0], "0f0f0f0f-0000-4000-8000-000000000002", "2024-05-14T09:30:12.346500+00:00")
        self.emu.add_activities("duo-auth", [at_until])
        since, until = "2024-05-14T09:30:12.345Z", "2024-05-14T09:30:12.346Z"
        first = self.ids(self.list("--state", str(self.path), since=since, until=until))
        self.assertEqual(first, [AUTH_SORTED[20]["txid"], AUTH_SORTED[21]["txid"]])
        self.assertEqual(self.params()[0]["maxtime"], ["1715679012346"])
        state = self.state()
        self.assertEqual(state["high_water"], "2024-05-14T09:30:12.345Z")
        self.assertNotIn(at_until["txid"], state["seen"])
        self.assertLessEqual(set(state["seen"]), set(first))
        self.emu.clear_requests()
        second = self.ids(self.list("--state", str(self.path), since=since, until=None))
        expected = [r["txid"] for r in sorted(AUTHS + [at_until], key=auth_key)
                    if auth_ms(r) >= 1715679012345 and r["txid"] not in first]
        self.assertEqual(expected[0], at_until["txid"])
        self.assertEqual(second, expected)
        self.assertEqual(self.params()[0]["mintime"], ["1715679012345"])  # the floor: the first run's --since
        self.assertEqual(self.state()["high_water"], ms(AUTH_SORTED[-1]["isotimestamp"]))

    def test_admin_records_at_or_after_until_are_not_remembered(self) -> None:
        # --until is applied here for the administrator log: the page that reaches past it brings
        # the three changes of 2024-05-16T11:00:00, which are neither printed nor remembered, so
        # a run with a later --until prints them.
        until = "2024-05-16T11:00:00Z"
        first = self.ids(self.list("--state", str(self.path), until=until, provider="duo-admin"))
        self.assertEqual(first, admin_truth(until=until))
        at_until = [r for r in ADMINS if r["timestamp"] == 1715857200]
        self.assertEqual(len(at_until), 3)
        self.assertIn({"mintime": ["1715857200"]}, self.params(ADMIN_LOG))  # they were fetched
        newest = next(r for r in ADMINS if admin_id(r) == first[-1])
        self.assertEqual(newest["action"], "bypass_create")
        state = self.state()
        self.assertEqual(state["high_water"], format_ms(newest["timestamp"] * SECOND_NS))
        self.assertEqual(state["seen"], {admin_id(r): format_ms(r["timestamp"] * SECOND_NS) for r in ADMINS
                                         if newest["timestamp"] - OVERLAP_MS // 1000 <= r["timestamp"]
                                         and admin_id(r) in first})
        self.assertFalse({admin_id(r) for r in at_until} & set(state["seen"]))
        self.emu.clear_requests()
        later = "2024-05-21T00:00:00Z"
        second = self.ids(self.list("--state", str(self.path), until=later, provider="duo-admin"))
        self.assertEqual(second, admin_truth(since=until, until=later))
        self.assertEqual(second[:3], [admin_id(r) for r in at_until])
        self.assertEqual(self.params(ADMIN_LOG)[0], {"mintime": [str(newest["timestamp"] - OVERLAP_MS // 1000)]})

    def test_admin_state_keeps_the_derived_ids_and_asks_from_the_overlap_in_seconds(self) -> None:
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None, provider="duo-admin")),
                         ALL_ADMIN_IDS)
        newest = ADMIN_SORTED[-1]
        state = self.state()
        self.assertEqual((state["provider"], state["account"], state["high_water"], state["seen"]),
                         ("duo-admin", {"api-host": DUO_API_HOST}, format_ms(newest["timestamp"] * SECOND_NS),
                          {admin_id(newest): format_ms(newest["timestamp"] * SECOND_NS)}))
        same_second = new_admin("user_update", newest["timestamp"], "carol.jimenez", username="Ravi Shankar")
        self.emu.add_activities("duo-admin", [same_second])
        self.emu.clear_requests()
        result = self.list("--state", str(self.path), until=None, provider="duo-admin")
        self.assertEqual(self.activities(result), [expected_admin(same_second)])  # the login of that second: not again
        self.assertEqual(self.params(ADMIN_LOG)[0], {"mintime": [str(newest["timestamp"] - OVERLAP_MS // 1000)]})
        self.assertEqual(self.ids(self.list("--state", str(self.path), until=None, provider="duo-admin")), [])


# --------------------------------------------------------------------------- tail and Duo's two-minute delay


class WithheldTailTest(DuoCase):
    """An emulator on the wall clock, so that Duo's two-minute delay passes while tail runs."""

    emulator_args = ("--duo-admin-page", str(PAGE))

    def test_a_record_withheld_by_duo_is_printed_by_a_later_poll_once(self) -> None:
        now_ns = time.time_ns()
        template = AUTH_SORTED[0]
        old = new_auth(template, "2b2b2b2b-0000-4000-8000-000000000001", iso_micro(now_ns - 300 * SECOND_NS))
        fresh_ns = now_ns - 117 * SECOND_NS  # served from about 3 s from now
        fresh = new_auth(template, "2b2b2b2b-0000-4000-8000-000000000002", iso_micro(fresh_ns))
        self.emu.add_activities("duo-auth", [old, fresh])
        with tempfile.TemporaryDirectory(prefix="auditfetch-duo-tail-") as tmp:
            state = Path(tmp) / "duo.json"
            process = TailProcess(["tail", *self.settings(), "--since", "10m", "--interval", "1s", "--state", state,
                                   "-o", "ndjson"], env=ENV)
            try:
                self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 1, 8), process.describe())
                self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 2, 10), process.describe())
                printed_at = process.timed_lines()[1][0]
                # Duo ingests late too: one stored now, a minute older than the newest printed
                late = new_auth(template, "2b2b2b2b-0000-4000-8000-000000000003",
                                iso_micro(fresh_ns - 60 * SECOND_NS))
                self.emu.add_activities("duo-auth", [late])
                self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 3, 8), process.describe())
                process.wait_for(lambda: False, 1.5)  # another poll: nothing more
                process.signal(signal.SIGTERM)
                self.assertEqual(process.wait(10), 0, process.describe())
            finally:
                process.stop()
            self.assertEqual(process.activities(), [expected_auth(old), expected_auth(fresh), expected_auth(late)])
            self.assertGreaterEqual(printed_at, fresh_ns / SECOND_NS + 120 - 0.5)
            requests = self.logs()
            fresh_ms = fresh_ns // 1_000_000
            # it was asked for (maxtime past it) and held back before Duo served it
            withheld = [r for r in requests if int(r["params"]["maxtime"][0]) >= fresh_ms
                        and r["time"] < fresh_ns / SECOND_NS + 119.9]
            self.assertTrue(withheld, requests)
            for request in requests:
                self.assertEqual(request["params"]["sort"], ["ts:asc"])
                self.assertLess(abs(int(request["params"]["maxtime"][0]) / 1000 - request["time"]), 2)  # now
            after = [r for r in requests if r["time"] > printed_at + 0.2]
            self.assertTrue(after)
            for request in after:
                self.assertEqual(request["params"]["mintime"], [str(fresh_ms - OVERLAP_MS)])
            self.assertEqual(json.loads(state.read_text())["high_water"], format_ms(fresh_ms * 1_000_000))


if __name__ == "__main__":
    unittest.main()
