"""End to end: the real auditfetch binary against the GitHub audit-log emulator (org and enterprise).

GitHub's audit log (PROVIDERS-DIRECT.md section 2): GET /orgs/{org}/audit-log or
/enterprises/{enterprise}/audit-log; every filter in one `phrase` search string (`created:>=…`
at second precision, `action:…`, `actor_id:…`); `include=web|git|all`; newest first by
default; Link-header cursors (`after=`) on /organizations/{id}/audit-log or /enterprises/{id}/…;
epoch-millisecond `@timestamp`; rate limits as 403 with x-ratelimit-remaining 0 (primary) or
429/403 with retry-after (secondary); 422 "Validation Failed" for what the search refuses.

Expected values come from tests/fixtures/github/activities.json through the oracles below,
written from GitHub's semantics and the definition's documented table, never from auditfetch.
"""

from __future__ import annotations

import base64
import json
import signal
import sys
import tempfile
import threading
import time
import unittest
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import harness
from harness import (GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID, GITHUB_ORG, GITHUB_ORG_ID, GITHUB_OTHER_ORG,
                     TOKEN, fixture_records, run_auditfetch)
from provider_case import (ProviderCase, csv_rows, format_ms, format_seconds, ndjson, null_context,
                           parse_time, unified_actor)
from test_tail import TailProcess

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import github_phrase  # noqa: E402  (the emulator's parser: what GitHub's search would understand)

RECORDS = fixture_records("github")
BY_ID = {r["_document_id"]: r for r in RECORDS}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"  # every fixture record is inside
WINDOW_PHRASE = "created:>=2024-05-01T00:00:00Z created:<2024-06-01T00:00:00Z"
ORG_PATH = f"/orgs/{GITHUB_ORG}/audit-log"
ORG_LINK_PATH = f"/organizations/{GITHUB_ORG_ID}/audit-log"  # where GitHub's Link headers point
ENT_PATH = f"/enterprises/{GITHUB_ENTERPRISE}/audit-log"
ENT_LINK_PATH = f"/enterprises/{GITHUB_ENTERPRISE_ID}/audit-log"
ORG = ("--org", GITHUB_ORG)
ENTERPRISE = ("--enterprise", GITHUB_ENTERPRISE)
SECOND_MS = 1000
OVERLAP_MS = 5 * 60 * 1000  # the default --overlap
ONE_OF = "(give exactly one of --org, --enterprise)"

# The definition's action table as a user reads it in `auditfetch providers github`.
EXACT_ACTIONS = {"org.invite_member": "user_invited", "org.add_member": "user_joined",
                 "org.remove_member": "user_deleted", "org.update_member": "user_updated"}


# --------------------------------------------------------------------------- oracles


def unified_action(native: str) -> str:
    if native in EXACT_ACTIONS:
        return EXACT_ACTIONS[native]
    if native.endswith(".create"):
        return "create"
    if native.endswith(".destroy") or native.endswith(".delete"):
        return "destroy"
    return native


def sort_key(r: dict[str, Any]) -> tuple[int, str]:
    """GitHub's (and the emulator's) listing order: @timestamp, then _document_id."""
    return r["@timestamp"], r["_document_id"]


def in_scope(r: dict[str, Any], scope: tuple[str, str]) -> bool:
    """The org log holds the org's events; the enterprise log every org's plus its own."""
    flag, name = scope
    if flag == "--org":
        return r.get("org") == name
    return "org" in r or r.get("business") == GITHUB_ENTERPRISE


# What an event is about, most specific first: a user, a repository, a team, an OAuth app, then
# the organization or enterprise itself (the definition's entity table, README "github").
ENTITY_KINDS = (("user", "user_id", "user"), ("repo", "repo_id", "repository"), ("team", "team", "team"),
                ("oauth_application_id", "oauth_application_id", "oauth_application"),
                ("org", "org_id", "organization"), ("business", "business_id", "enterprise"))


def entity(r: dict[str, Any]) -> str | None:
    for present, value, _ in ENTITY_KINDS:
        if present in r and value in r:
            return str(r[value])
    return None


def entity_type(r: dict[str, Any]) -> str | None:
    for present, value, kind in ENTITY_KINDS:
        if present in r and value in r:
            return kind
    return None


def actor_type(r: dict[str, Any]) -> str:
    if r.get("actor_is_bot") is True or r.get("actor_is_agent") is True:
        return "system"
    return "user" if "actor_id" in r else "system"


def description(r: dict[str, Any]) -> str:
    if "repo" in r:
        return f"{r['action']} by {r['actor']} on {r['repo']}"
    if "user" in r and "team" in r:
        return f"{r['action']} by {r['actor']} for {r['user']} in {r['team']}"
    if "user" in r:
        return f"{r['action']} by {r['actor']} for {r['user']}"
    if "team" in r:
        return f"{r['action']} by {r['actor']} on {r['team']}"
    return f"{r['action']} by {r['actor']}"


def created_at(r: dict[str, Any]) -> str:
    return format_ms(r["@timestamp"] * 1_000_000)


def ms_of(text: str) -> int:
    return parse_time(text) // 1_000_000


def truth(scope: tuple[str, str] = ORG, include: str = "web", since: str | None = SINCE, until: str | None = UNTIL,
          actions: Iterable[str] = (), actor_id: str | None = None, entity_id: str | None = None,
          entity_kind: str | None = None, records: list[dict[str, Any]] | None = None) -> list[str]:
    """Ids of the matching records in the order GitHub serves them (newest first). `actions` are
    unified or native; a record matches either."""
    wanted = set(actions)
    out = []
    for r in records if records is not None else RECORDS:
        git = r["action"].startswith("git.")
        if (include == "web" and git) or (include == "git" and not git) or not in_scope(r, scope):
            continue
        if since is not None and r["@timestamp"] < ms_of(since):
            continue
        if until is not None and r["@timestamp"] >= ms_of(until):
            continue
        if wanted and r["action"] not in wanted and unified_action(r["action"]) not in wanted:
            continue
        if actor_id is not None and str(r.get("actor_id")) != actor_id:
            continue
        if entity_id is not None and entity(r) != entity_id:
            continue
        if entity_kind is not None and entity_type(r) != entity_kind:
            continue
        out.append(r)
    return [r["_document_id"] for r in sorted(out, key=sort_key, reverse=True)]


def header(request: dict[str, Any], name: str) -> str | None:
    for key, value in request["headers"].items():
        if key.lower() == name.lower():
            return value
    return None


def cursor_position(cursor: str) -> tuple[int, str]:
    """GitHub's `after` cursor: base64 of "<ms as 1.7e+12>|<_document_id>|…"."""
    parts = base64.b64decode(cursor).decode("utf-8").split("|")
    return int(Decimal(parts[0])), parts[1]


def new_record(template_id: str, doc_id: str, ts_ms: int, **changes: Any) -> dict[str, Any]:
    record = json.loads(json.dumps(BY_ID[template_id]))
    record.update(_document_id=doc_id, created_at=ts_ms, **changes)
    record["@timestamp"] = ts_ms
    return record


# --------------------------------------------------------------------------- test case


class GitHubCase(ProviderCase):
    def run_cmd(self, command: str, *args: str, scope: Iterable[str] = ORG, base: str | None = None,
                window: bool = True, env: dict[str, str | None] | None = None, timeout: float = 60):
        times = ["--since", SINCE, "--until", UNTIL] if window else []
        return run_auditfetch(command, "-p", "github", *scope, "--base-url", base or self.emu.url, *times, *args,
                              env={"GITHUB_TOKEN": TOKEN, **(env or {})}, timeout=timeout)

    def list(self, *args: str, **kwargs: Any):
        return self.run_cmd("list", *args, **kwargs)

    def list_requests(self) -> list[dict[str, Any]]:
        return self.emu.requests("/audit-log")

    def phrases(self) -> list[str | None]:
        return [r["params"].get("phrase", [None])[-1] for r in self.list_requests()]

    def ids(self, result) -> list[str]:
        return [a["id"] for a in self.activities(result)]

    def assertPhraseParses(self, phrase: str) -> None:
        github_phrase.parse(phrase)  # raises on anything GitHub's search would refuse


# =========================================================================== scope: --org / --enterprise


class ScopeTest(GitHubCase):
    def test_org_lists_its_log_newest_first_following_links_by_org_id(self) -> None:
        result = self.list("--page-size", "10")
        expected = truth()
        self.assertEqual(len(expected), 24)
        self.assertEqual(self.ids(result), expected)
        self.assertEqual(result.stderr, "")
        self.assertEqual([r["path"] for r in self.list_requests()], [ORG_PATH, ORG_LINK_PATH, ORG_LINK_PATH])
        self.assertEqual({a["organization"] for a in self.activities(result)}, {GITHUB_ORG})

    def test_another_org_lists_only_its_own_events(self) -> None:
        result = self.list(scope=("--org", GITHUB_OTHER_ORG))
        expected = truth(scope=("--org", GITHUB_OTHER_ORG))
        self.assertEqual(len(expected), 9)
        self.assertEqual(self.ids(result), expected)
        self.assertEqual([r["path"] for r in self.list_requests()], [f"/orgs/{GITHUB_OTHER_ORG}/audit-log"])

    def test_enterprise_lists_every_org_and_its_own_events(self) -> None:
        result = self.list("--page-size", "20", scope=ENTERPRISE)
        expected = truth(scope=ENTERPRISE)
        self.assertEqual(len(expected), 43)
        self.assertEqual(self.ids(result), expected)
        self.assertEqual([r["path"] for r in self.list_requests()], [ENT_PATH, ENT_LINK_PATH, ENT_LINK_PATH])
        organizations = {a["id"]: a["organization"] for a in self.activities(result)}
        for doc_id in expected:
            record = BY_ID[doc_id]
            self.assertEqual(organizations[doc_id], record.get("org", record.get("business")), doc_id)
        self.assertEqual(sum(1 for o in organizations.values() if o == GITHUB_ENTERPRISE), 10)

    def test_enterprise_by_numeric_id(self) -> None:
        result = self.list(scope=("--enterprise", str(GITHUB_ENTERPRISE_ID)))
        self.assertEqual(self.ids(result), truth(scope=ENTERPRISE))
        self.assertEqual([r["path"] for r in self.list_requests()], [ENT_LINK_PATH])

    def test_neither_or_both_scope_flags_exit_2_naming_both(self) -> None:
        cases = [((), f"auditfetch: error: github: one of --org, --enterprise is required {ONE_OF}"),
                 ((*ORG, *ENTERPRISE), f"auditfetch: error: github: --org and --enterprise exclude each other {ONE_OF}")]
        for command in ("list", "tail"):
            for scope, line in cases:
                with self.subTest(command=command, scope=scope):
                    result = self.run_cmd(command, scope=scope, window=False)
                    self.assertOneErrorLine(result, 2, line)
                    self.assertEqual(self.errorLine(result), line)
                    self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])

    def test_an_unknown_org_exits_2_with_githubs_404(self) -> None:
        result = self.list(scope=("--org", "no-such-org"))
        line = ("auditfetch: error: github: page 1: not found (404): Not Found "
                "(check the provider settings and --base-url)")
        self.assertOneErrorLine(result, 2, line)
        self.assertEqual(self.errorLine(result), line)
        self.assertEqual([r["path"] for r in self.list_requests()], ["/orgs/no-such-org/audit-log"])

    def test_a_ghes_base_url_keeps_its_api_v3_prefix_on_every_page(self) -> None:
        # GitHub Enterprise Server: --base-url https://HOST/api/v3; its Link headers keep /api/v3.
        result = self.list("--page-size", "10", base=self.emu.url + "/api/v3")
        self.assertEqual(self.ids(result), truth())
        self.assertEqual([r["path"] for r in self.list_requests()],
                         ["/api/v3" + ORG_PATH] + ["/api/v3" + ORG_LINK_PATH] * 2)
        result = self.list("--page-size", "30", scope=ENTERPRISE, base=self.emu.url + "/api/v3/")
        self.assertEqual(self.ids(result), truth(scope=ENTERPRISE))
        self.assertEqual([r["path"] for r in self.list_requests()][3:],
                         ["/api/v3" + ENT_PATH, "/api/v3" + ENT_LINK_PATH])

    def test_get_is_refused_without_a_request(self) -> None:
        line = ("auditfetch: error: github cannot fetch one activity by id (GitHub's audit log has no endpoint "
                "for one event, and _document_id is not a search key)")
        for scope in (ORG, ENTERPRISE):
            with self.subTest(scope=scope):
                result = self.run_cmd("get", RECORDS[0]["_document_id"], scope=scope, window=False)
                self.assertOneErrorLine(result, 2, line)
                self.assertEqual(self.errorLine(result), line)
                self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])


# =========================================================================== the request


class RequestTest(GitHubCase):
    def test_every_request_carries_githubs_headers_and_a_bearer_token(self) -> None:
        self.ids(self.list("--page-size", "5"))
        requests = self.list_requests()
        self.assertEqual(len(requests), 5)
        for request in requests:
            self.assertEqual(request["method"], "GET")
            self.assertEqual(header(request, "Accept"), "application/vnd.github+json")
            self.assertEqual(header(request, "X-GitHub-Api-Version"), "2022-11-28")
            self.assertEqual(header(request, "Authorization"), f"Bearer {TOKEN}")
            self.assertRegex(header(request, "User-Agent") or "", r"^auditfetch/\d")

    def test_the_token_comes_from_github_token_then_gh_token(self) -> None:
        refused = ("auditfetch: error: github: page 1: authentication refused (401): Bad credentials "
                   "(the token from {} was refused; it may be expired: set a fresh one)")
        cases = [({"GITHUB_TOKEN": None, "GH_TOKEN": TOKEN}, None),
                 ({"GITHUB_TOKEN": TOKEN, "GH_TOKEN": "wrong-gh"}, None),
                 ({"GITHUB_TOKEN": "wrong-github", "GH_TOKEN": TOKEN}, "GITHUB_TOKEN"),
                 ({"GITHUB_TOKEN": None, "GH_TOKEN": "wrong-gh"}, "GH_TOKEN"),
                 ({"GITHUB_TOKEN": "wrong-github", "GH_TOKEN": "wrong-gh", "AUDITFETCH_TOKEN": TOKEN}, None)]
        for env, refused_source in cases:
            with self.subTest(env=env):
                self.emu.clear_requests()
                result = self.list(env=env)
                if refused_source is None:
                    self.assertEqual(self.ids(result), truth())
                    self.assertEqual(header(self.list_requests()[0], "Authorization"), f"Bearer {TOKEN}")
                else:
                    self.assertOneErrorLine(result, 3, refused.format(refused_source))
                    self.assertEqual(self.errorLine(result), refused.format(refused_source))
                    self.assertNotIn("wrong-", result.stderr)
                    self.assertEqual(result.stdout, "")
                    self.assertEqual(len(self.list_requests()), 1)  # a 401 is not retried

    def test_missing_credentials_exit_2_naming_both_variables(self) -> None:
        result = self.list(env={"GITHUB_TOKEN": None})
        self.assertOneErrorLine(result, 2, "github: no credentials")
        self.assertIn("set GITHUB_TOKEN or GH_TOKEN", self.errorLine(result))
        self.assertEqual(self.emu.requests(), [])

    def test_per_page_is_100_by_default_and_at_most_100(self) -> None:
        self.ids(self.list(scope=ENTERPRISE))
        self.assertEqual([r["params"]["per_page"] for r in self.list_requests()], [["100"]])
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.list("--page-size", "7")), truth())
        self.assertEqual([r["params"]["per_page"] for r in self.list_requests()], [["7"]] * 4)
        self.emu.clear_requests()
        result = self.list("--page-size", "101")
        line = "auditfetch: error: --page-size 101 is out of range for github (use 1 to 100)"
        self.assertOneErrorLine(result, 2, line)
        self.assertEqual(self.errorLine(result), line)
        self.assertEqual(self.emu.requests(), [])

    def test_newest_first_is_githubs_default_order(self) -> None:
        result = self.list("--page-size", "6")
        self.assertEqual(self.ids(result), truth())
        for request in self.list_requests():
            self.assertEqual(request["params"].get("order", ["desc"]), ["desc"])  # absent: GitHub's desc
        times = [a["created_at"] for a in self.activities(result)]
        self.assertEqual(times, sorted(times, reverse=True))

    def test_providers_describes_github(self) -> None:
        result = run_auditfetch("providers", "github")
        self.assertEqual(result.returncode, 0, result.stderr)
        for text in ("https://api.github.com", "--org", "--enterprise", "GITHUB_TOKEN or GH_TOKEN",
                     "pushed down:     --since, --until, --action, --actor-id", "applied locally: --entity, --entity-type",
                     "per_page=100, at most 100", "newest first", "org.add_member               user_joined"):
            self.assertIn(text, result.stdout)


# =========================================================================== filters in the phrase


class PhraseTest(GitHubCase):
    def test_a_time_window_is_one_created_range_in_the_phrase(self) -> None:
        since, until = "2024-05-14T00:00:00Z", "2024-05-16T00:00:00Z"
        result = self.list("--since", since, "--until", until, "--page-size", "4", "-v", window=False)
        expected = truth(since=since, until=until)
        self.assertEqual(len(expected), 10)
        self.assertEqual(self.ids(result), expected)
        phrase = "created:>=2024-05-14T00:00:00Z created:<2024-05-16T00:00:00Z"
        self.assertEqual(self.phrases(), [phrase] * 3)  # the window kept on every Link-followed page
        self.assertPhraseParses(phrase)
        self.assertEqual(self.pushdown(result, "github"), ({"since", "until"}, set()))

    def test_sub_second_bounds_are_widened_to_seconds_and_exact_locally(self) -> None:
        # Ties: two acme-corp events at 08:15:44.310 on the 13th, two at 08:12:34.567 on the 14th.
        cases = [("2024-05-13T08:15:44.310Z", "2024-05-14T08:12:34.567Z",
                  "created:>=2024-05-13T08:15:44Z created:<2024-05-14T08:12:35Z"),
                 ("2024-05-13T08:15:44.311Z", "2024-05-14T08:12:34.568Z",
                  "created:>=2024-05-13T08:15:44Z created:<2024-05-14T08:12:35Z"),
                 ("2024-05-13T08:15:44.999Z", "2024-05-14T08:12:35.000Z",
                  "created:>=2024-05-13T08:15:44Z created:<2024-05-14T08:12:35Z")]
        for since, until, phrase in cases:
            with self.subTest(since=since, until=until):
                self.emu.clear_requests()
                expected = truth(since=since, until=until)
                result = self.list("--since", since, "--until", until, window=False)
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(self.phrases(), [phrase])
        self.assertIn("kSR3FdFf58xHLyK8_pILwA", truth(since=cases[0][0], until=cases[0][1]))  # since: inclusive
        self.assertNotIn("kSR3FdFf58xHLyK8_pILwA", truth(since=cases[1][0], until=cases[1][1]))
        self.assertNotIn("dnuomEHU-ee3nnF0aw8JjA", truth(since=cases[0][0], until=cases[0][1]))  # until: exclusive
        self.assertIn("dnuomEHU-ee3nnF0aw8JjA", truth(since=cases[1][0], until=cases[1][1]))

    def test_a_whole_second_until_excludes_an_event_at_that_second(self) -> None:
        at = "2024-05-17T10:00:00Z"  # repo.create NYu7… at 10:00:00.000
        result = self.list("--since", "2024-05-17T00:00:00Z", "--until", at, window=False)
        self.assertEqual(self.ids(result), ["gJu6OXuUvuIJhBS-XqZTTw"])
        self.assertEqual(self.phrases(), ["created:>=2024-05-17T00:00:00Z created:<2024-05-17T10:00:00Z"])
        self.emu.clear_requests()
        result = self.list("--since", at, window=False)
        self.assertEqual(self.ids(result), ["EmcfrcLZKidVmG3OQjq-2A", "NYu7YDi6EqFziUWTmycQdw"])
        self.assertEqual(self.phrases(), ["created:>=2024-05-17T10:00:00Z"])

    def test_offsets_are_sent_in_utc(self) -> None:
        since, until = "2024-05-17T11:45:12.5+02:00", "2024-05-17T08:00:00-04:00"
        result = self.list("--since", since, "--until", until, window=False)
        # gJu6… at 09:45:12.345Z is in the second sent but before --since: left out locally
        self.assertEqual(truth(since=since, until=until), ["NYu7YDi6EqFziUWTmycQdw"])
        self.assertEqual(self.ids(result), ["NYu7YDi6EqFziUWTmycQdw"])
        self.assertEqual(self.phrases(), ["created:>=2024-05-17T09:45:12Z created:<2024-05-17T12:00:00Z"])

    def test_without_since_no_created_qualifier_is_sent(self) -> None:
        # GitHub then searches its default (the past three months), not the whole retention.
        result = self.list(window=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([sorted(r["params"]) for r in self.list_requests()], [["per_page"]])

    def test_a_native_action_and_an_actor_become_qualifiers(self) -> None:
        result = self.list("--action", "repo.create", "--actor-id", "5101003", "-v")
        expected = truth(actions=["repo.create"], actor_id="5101003")
        self.assertEqual(expected, ["NYu7YDi6EqFziUWTmycQdw"])
        self.assertEqual(self.ids(result), expected)
        phrase = f"{WINDOW_PHRASE} actor_id:5101003 action:repo.create"
        self.assertEqual(self.phrases(), [phrase])
        self.assertPhraseParses(phrase)
        self.assertEqual(self.pushdown(result, "github"), ({"since", "until", "action", "actor_id"}, set()))

    def test_an_exact_unified_action_is_sent_as_its_native_action(self) -> None:
        for native, unified in EXACT_ACTIONS.items():
            with self.subTest(action=unified):
                self.emu.clear_requests()
                result = self.list("--action", unified, "-v", scope=ENTERPRISE)
                expected = truth(scope=ENTERPRISE, actions=[unified])
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(self.phrases(), [f"{WINDOW_PHRASE} action:{native}"])
                self.assertEqual({a["action"] for a in self.activities(result)}, {unified})
                self.assertIn("action", self.pushdown(result, "github")[0])

    def test_actions_the_phrase_cannot_say_exactly_are_applied_locally(self) -> None:
        cases = [("create",), ("destroy",), ("user_invited", "user_deleted"), ("repo.create", "org.add_member"),
                 ("create", "repo.destroy"), ("user_joined", "team.add_member")]
        for actions in cases:
            with self.subTest(actions=actions):
                self.emu.clear_requests()
                args = [a for action in actions for a in ("--action", action)]
                result = self.list(*args, "-v", "--page-size", "10", scope=ENTERPRISE)
                expected = truth(scope=ENTERPRISE, actions=actions)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(set(self.phrases()), {WINDOW_PHRASE})
                pushed, local = self.pushdown(result, "github")
                self.assertEqual((pushed, local), ({"since", "until"}, {"action"}))

    def test_entity_and_entity_type_are_applied_locally(self) -> None:
        cases = [(("--entity", "700100001"), dict(entity_id="700100001")),
                 (("--entity", "5102001"), dict(entity_id="5102001")),
                 (("--entity", "acme-corp/data-eng"), dict(entity_id="acme-corp/data-eng")),
                 (("--entity-type", "team"), dict(entity_kind="team")),
                 (("--entity-type", "repository", "--actor-id", "5101001"),
                  dict(entity_kind="repository", actor_id="5101001"))]
        for args, spec in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args, "-v")
                expected = truth(**spec)
                self.assertTrue(expected)
                self.assertEqual(self.ids(result), expected)
                pushed, local = self.pushdown(result, "github")
                self.assertEqual(local, {args[0].lstrip("-").replace("-", "_")})
                actor = f" actor_id:{spec['actor_id']}" if "actor_id" in spec else ""
                self.assertEqual(self.phrases(), [WINDOW_PHRASE + actor])

    def test_include_all_brings_git_events(self) -> None:
        result = self.list("--param", "include=all")
        expected = truth(include="all")
        self.assertEqual(len(expected), 27)
        self.assertEqual(self.ids(result), expected)
        self.assertEqual(self.list_requests()[0]["params"]["include"], ["all"])
        self.emu.clear_requests()
        result = self.list("--param", "include=git", "--action", "git.clone", scope=ENTERPRISE)
        self.assertEqual(self.ids(result), truth(scope=ENTERPRISE, include="git", actions=["git.clone"]))
        self.assertEqual(len(self.ids(result)), 2)
        request = self.list_requests()[0]
        self.assertEqual((request["params"]["include"], request["params"]["phrase"]),
                         (["git"], [f"{WINDOW_PHRASE} action:git.clone"]))
        self.emu.clear_requests()
        self.assertEqual(self.ids(self.list("--action", "git.clone")), [])  # web only by default

    def test_a_native_filter_is_anded_into_the_phrase(self) -> None:
        result = self.list("--filter", "country:DE", "--action", "repo.create")
        expected = [i for i in truth(actions=["repo.create"])
                    if BY_ID[i].get("actor_location", {}).get("country_code") == "DE"]
        self.assertEqual(expected, ["Gwt7aBRuFeSWnN4cysm3Qw"])
        self.assertEqual(self.ids(result), expected)
        phrase = self.phrases()[0]
        self.assertTrue(phrase.startswith(WINDOW_PHRASE + " "), phrase)
        self.assertEqual(sorted(phrase[len(WINDOW_PHRASE) + 1:].split(" ")), ["action:repo.create", "country:DE"])

    def test_a_phrase_github_refuses_exits_2_with_its_validation_message(self) -> None:
        result = self.list("--filter", "hello")
        line = ("auditfetch: error: github: page 1: the API rejected the request (422): Validation Failed "
                "(phrase: 'hello' is not a key:value qualifier (full-text search is not supported)) "
                "(check --filter, --param and the filter flags; -v shows the request)")
        self.assertOneErrorLine(result, 2, line)
        self.assertEqual(self.errorLine(result), line)
        self.assertEqual(len(self.list_requests()), 1)  # a 422 is not retried

    def test_an_include_github_refuses_exits_2_with_its_validation_message(self) -> None:
        result = self.list("--param", "include=everything")
        self.assertOneErrorLine(result, 2, "the API rejected the request (422): Validation Failed "
                                           "(include: 'everything' is not one of web, git, all.)")
        self.assertEqual(result.stdout, "")


# =========================================================================== Link-header paging


class PagingTest(GitHubCase):
    def test_ties_split_across_pages_come_back_once_in_githubs_order(self) -> None:
        # Ties in the acme-corp log: three events at 2024-05-16T08:00:00.000, two at
        # 2024-05-14T08:12:34.567 and two at 2024-05-13T08:15:44.310; page sizes 2 to 5 split each
        # of them across a page boundary at least once.
        expected = truth()
        for size in (2, 3, 4, 5):
            with self.subTest(page_size=size):
                self.emu.clear_requests()
                result = self.list("--page-size", str(size))
                self.assertEqual(self.ids(result), expected)
                self.assertEqual(len(self.list_requests()), -(-len(expected) // size))

    def test_each_next_page_is_the_link_headers_cursor_url(self) -> None:
        size = 5
        result = self.list("--page-size", str(size))
        expected = truth()
        self.assertEqual(self.ids(result), expected)
        requests = self.list_requests()
        self.assertEqual(requests[0]["path"], ORG_PATH)
        self.assertNotIn("after", requests[0]["params"])
        for number, request in enumerate(requests[1:], 1):
            with self.subTest(page=number + 1):
                self.assertEqual(request["path"], ORG_LINK_PATH)
                params = request["params"]
                self.assertEqual(params["phrase"], [WINDOW_PHRASE])
                self.assertEqual(params["per_page"], [str(size)])
                self.assertEqual(params["before"], [""])
                last = BY_ID[expected[number * size - 1]]  # the cursor is the previous page's last event
                self.assertEqual(cursor_position(params["after"][0]), sort_key(last))

    def test_events_added_while_paging_appear_only_behind_the_cursor_and_once(self) -> None:
        expected = truth()
        cursor = BY_ID[expected[4]]  # page 1 (5 events) ends with pmb3… at 2024-05-16T08:00:00.000
        tie_ms = cursor["@timestamp"]
        added = {
            "newest": new_record("EmcfrcLZKidVmG3OQjq-2A", "ZnewestZnewestZnewestA", 1715990000000),
            "tie_behind": new_record("D2sa20TD5-SrF8mw8YcIsg", "AAAAtieBehindCursor000", tie_ms),
            "tie_ahead": new_record("D2sa20TD5-SrF8mw8YcIsg", "zzzzTieAheadOfCursor00", tie_ms),
            "older": new_record("Gwt7aBRuFeSWnN4cysm3Qw", "olderOlderOlderOlder00", 1715590000000),
        }
        self.assertLess("AAAAtieBehindCursor000", cursor["_document_id"])
        self.assertGreater("zzzzTieAheadOfCursor00", cursor["_document_id"])
        self.emu.faults({"path": "/audit-log$", "kind": "slow", "delay_ms": 1000, "skip": 1, "times": 1})
        outcome: list[Any] = []
        runner = threading.Thread(target=lambda: outcome.append(self.list("--page-size", "5")))
        runner.start()
        deadline = time.monotonic() + 15
        while len(self.list_requests()) < 2 and runner.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(len(self.list_requests()), 2)  # page 2 is asked for and held back for 1 s
        self.emu.add_activities("github", list(added.values()))
        runner.join(30)
        self.assertFalse(runner.is_alive())
        ids = self.ids(outcome[0])
        # Keyset cursors: what sorts behind the cursor shows up on a later page; what sorts ahead
        # (newer, or the same millisecond with a greater id) waits for the next query.
        self.assertEqual(ids, truth(records=RECORDS + [added["tie_behind"], added["older"]]))
        self.assertEqual(len(ids), len(set(ids)))
        self.assertNotIn(added["newest"]["_document_id"], ids)
        self.assertNotIn(added["tie_ahead"]["_document_id"], ids)

    def test_limit_stops_asking_once_enough_are_in_hand(self) -> None:
        result = self.list("--limit", "7", "--page-size", "5")
        self.assertEqual(self.ids(result), truth()[:7])
        self.assertEqual(len(self.list_requests()), 2)

    def test_a_next_link_to_another_origin_is_refused(self) -> None:
        page = [BY_ID[i] for i in truth()[:2]]
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 200, "body": page,
                         "headers": {"Link": '<https://evil.example/orgs/acme-corp/audit-log?after=x>; rel="next"'}})
        result = self.list()
        line = (f"auditfetch: error: github: page 1: refusing the next link to https://evil.example: "
                f"not the API's origin {self.emu.url}")
        self.assertOneErrorLine(result, 1, line)
        self.assertEqual(self.errorLine(result), line)
        self.assertEqual(len(self.emu.requests()), 1)

    def test_a_next_link_that_repeats_a_page_stops_the_loop(self) -> None:
        page = [BY_ID[i] for i in truth()[:2]]
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 200, "body": page, "times": -1,
                         "headers": {"Link": f'<{self.emu.url}{ORG_LINK_PATH}?after=same>; rel="next"'}})
        result = self.list()
        self.assertOneErrorLine(result, 1, "github: page 2: the next page would repeat an earlier one; stopping a loop")
        self.assertEqual(len(self.list_requests()), 2)
        self.assertEqual(ndjson(result.stdout)[0]["id"], page[0]["_document_id"])

    def test_a_page_without_a_next_link_ends_the_listing(self) -> None:
        page = [BY_ID[i] for i in truth()[:2]]
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 200, "body": page,
                         "headers": {"Link": f'<{self.emu.url}{ORG_PATH}?before=x>; rel="prev", '
                                             f'<{self.emu.url}{ORG_PATH}>; rel="first"'}})
        result = self.list()
        self.assertEqual(self.ids(result), [r["_document_id"] for r in page])
        self.assertEqual(len(self.list_requests()), 1)


# =========================================================================== the unified record


class MappingTest(GitHubCase):
    def test_every_event_maps_field_by_field(self) -> None:
        result = self.list("--param", "include=all", "--page-size", "100", scope=ENTERPRISE)
        activities = self.activities(result)
        self.assertEqual([a["id"] for a in activities], truth(scope=ENTERPRISE, include="all"))
        self.assertEqual(len(activities), len(RECORDS))
        for activity in activities:
            record = BY_ID[activity["id"]]
            with self.subTest(activity["id"]):
                self.assertUnifiedShape(activity, "github")
                self.assertEqual(activity["actor"], unified_actor(actor_type(record), str(record["actor_id"])))
                self.assertEqual(activity["organization"], record.get("org", record.get("business")))
                self.assertIsNone(activity["group"])
                self.assertEqual(activity["description"], description(record))
                self.assertEqual(activity["action"], unified_action(record["action"]))
                self.assertEqual(activity["entity"], entity(record))
                self.assertEqual(activity["entity_type"], entity_type(record))
                self.assertEqual(activity["context"], null_context(record.get("actor_ip"), record.get("user_agent"),
                                                                   record.get("programmatic_access_type")))
                self.assertEqual(activity["created_at"], created_at(record))
                self.assertEqual(activity["remote_data"], record)
        kinds = {(a["actor"]["type"], a["entity_type"]) for a in activities}
        self.assertLessEqual({("user", "user"), ("user", "repository"), ("user", "team"), ("system", "repository"),
                              ("user", "oauth_application"), ("user", "enterprise")}, kinds)

    def test_record_kinds_spelled_out(self) -> None:
        activities = {a["id"]: a for a in self.activities(self.list("--param", "include=all", scope=ENTERPRISE))}
        bot = activities["dnuomEHU-ee3nnF0aw8JjA"]  # a GitHub App creates a repository; no IP disclosed
        self.assertEqual(
            {k: bot[k] for k in ("actor", "organization", "description", "action", "entity", "entity_type",
                                 "context", "created_at")},
            {"actor": {"type": "system", "user": {"id": "150000001"}}, "organization": "acme-corp",
             "description": "repo.create by acme-deploy[bot] on acme-corp/infra", "action": "create",
             "entity": "700100002", "entity_type": "repository",
             "context": {"ip_address": None, "user_agent": "octokit-rest.js/20.1.1",
                         "authentication_method": "GitHub App server-to-server token"},
             "created_at": "2024-05-14T08:12:34.567Z"})
        team = activities["ONavjQYpqYN8CxktiG-iTw"]  # a team, no user or repo; no actor_ip
        self.assertEqual((team["entity"], team["entity_type"], team["action"], team["description"],
                          team["context"]["ip_address"], team["created_at"]),
                         ("acme-corp/data-eng", "team", "create", "team.create by asmith on acme-corp/data-eng", None,
                          "2024-05-13T10:11:12.500Z"))
        sso = activities["lVZijsDPWWRTZv45xOTZWw"]  # enterprise-only: organization is the enterprise
        self.assertEqual((sso["organization"], sso["action"], sso["entity"], sso["entity_type"], sso["created_at"]),
                         ("acme-ent", "business.sso_response", "5101002", "user", "2024-05-17T23:59:59.999Z"))
        member = activities["A1OCcmXPYXRX_0OaO-pG1w"]
        self.assertEqual((member["action"], member["entity"], member["description"], member["actor"]["type"]),
                         ("user_invited", "5102001", "org.invite_member by octo-admin for newhire-1", "user"))
        clone = activities["M0_t9M56J7jXA7QXABQCZA"]  # a git event (include=all), by token
        self.assertEqual((clone["action"], clone["context"]["authentication_method"], clone["context"]["user_agent"]),
                         ("git.clone", "Personal access token (classic)", "git/2.45.1"))
        app = activities["iI0r4gpPmNqHWh0DPT1fiA"]  # an OAuth app: none of user, repo, team
        self.assertEqual((app["entity"], app["entity_type"], app["action"]), ("3100001", "oauth_application", "create"))
        self.assertEqual(app["remote_data"]["oauth_application"], "Deploy 🚀 \"prod\" helper — デプロイ支援")
        for doc_id in ("FX-r2HeCJ6RwA9ENDzEhMg", "wP11uKV2savrdz93s9p8BQ"):
            self.assertEqual(activities[doc_id]["action"], "destroy")


# =========================================================================== output formats


class OutputTest(GitHubCase):
    SINCE_17 = ("--since", "2024-05-17T00:00:00Z")

    def test_json_is_one_array_with_selected_fields(self) -> None:
        result = self.list(*self.SINCE_17, "-o", "json", "--fields", "id,actor.user.id,organization,created_at",
                           scope=ENTERPRISE, window=False)
        expected = truth(scope=ENTERPRISE, since="2024-05-17T00:00:00Z", until=None)
        document = self.assertJsonOutput(result, expected)
        self.assertEqual(document, [{"id": i, "actor": {"user": {"id": str(BY_ID[i]["actor_id"])}},
                                     "organization": BY_ID[i].get("org", BY_ID[i].get("business")),
                                     "created_at": created_at(BY_ID[i])} for i in expected])

    def test_csv_has_one_row_per_event_and_guards_a_leading_minus(self) -> None:
        fields = ["id", "actor.type", "actor.user.id", "action", "entity", "entity_type", "context.ip_address",
                  "created_at"]
        result = self.list("-o", "csv", "--fields", ",".join(fields), "--page-size", "9")
        expected = truth()
        rows = csv_rows(result.stdout)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(rows[0], fields)
        # "-a6Z4EYLnppn-hY70epeHg" starts with "-": a spreadsheet would run it as a formula
        self.assertEqual([r[0] for r in rows[1:]], [("'" + i if i.startswith("-") else i) for i in expected])
        self.assertIn("'-a6Z4EYLnppn-hY70epeHg", [r[0] for r in rows])
        for row in rows[1:]:
            record = BY_ID[row[0].lstrip("'")]
            self.assertEqual(row[1:], [actor_type(record), str(record["actor_id"]), unified_action(record["action"]),
                                       entity(record) or "", entity_type(record) or "", record.get("actor_ip", ""),
                                       created_at(record)])

    def test_table_shows_time_action_actor_entity_ip(self) -> None:
        result = self.list("-o", "table", "--param", "include=all")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["TIME", "ID", "ACTION", "ACTOR", "ENTITY", "IP", "DESCRIPTION"])
        expected = truth(include="all")
        self.assertEqual(len(lines), len(expected) + 1)
        for line, doc_id in zip(lines[1:], expected):
            record = BY_ID[doc_id]
            cells = [c.strip() for c in line.split("  ") if c.strip()]
            with self.subTest(doc_id):  # off a terminal every cell is whole
                self.assertEqual(cells[0], created_at(record))
                self.assertEqual(cells[1], doc_id)
                self.assertEqual(cells[2], unified_action(record["action"]))
                self.assertEqual(cells[3], str(record["actor_id"]))
                self.assertEqual(cells[4], f"{entity_type(record)}:{entity(record)}" if entity(record) else "-")
                self.assertEqual(cells[5], record.get("actor_ip", "-"))
                self.assertEqual(cells[6], description(record))

    def test_hostile_text_in_a_description_is_escaped_in_the_table_only(self) -> None:
        actor = "mallory\x1b]0;owned\x07\x1b[31m\u202egnp.exe"
        record = new_record("NYu7YDi6EqFziUWTmycQdw", "hostileHostileHostile0", 1715950000000, actor=actor)
        self.emu.add_activities("github", [record])
        table = self.list(*self.SINCE_17, "-o", "table", window=False)
        self.assertEqual(table.returncode, 0, table.stderr)
        for raw in ("\x1b", "\x07", "\u202e"):
            self.assertNotIn(raw, table.stdout)
        self.assertEqual(len(table.stdout.splitlines()), 1 + 4)
        activity = next(a for a in self.activities(self.list(*self.SINCE_17, window=False))
                        if a["id"] == "hostileHostileHostile0")
        self.assertEqual(activity["description"], f"repo.create by {actor} on acme-corp/widgets")
        self.assertEqual(activity["remote_data"], record)

    def test_no_remote_data(self) -> None:
        result = self.list(*self.SINCE_17, "--no-remote-data", "--fields", "id,remote_data", window=False)
        self.assertEqual(self.activities(result), [{"id": i, "remote_data": None}
                                                   for i in truth(since="2024-05-17T00:00:00Z", until=None)])


# =========================================================================== errors and rate limits


class ErrorTest(GitHubCase):
    def run_timed(self, *args: str, **kwargs: Any):
        started = time.monotonic()
        result = self.list(*args, **kwargs)
        return result, time.monotonic() - started

    def assertWaited(self, result, status: int, low: float, high: float) -> None:
        """One retry warning for `status`, with a wait in [low, high] seconds."""
        warnings = [l for l in result.stderr.splitlines() if l.startswith("auditfetch: warning: ")]
        self.assertEqual(len(warnings), 1, result.stderr)
        prefix = f"auditfetch: warning: HTTP {status}; retrying in "
        self.assertTrue(warnings[0].startswith(prefix) and warnings[0].endswith(" (1 of 3)"), warnings[0])
        amount, unit = warnings[0][len(prefix):].split(" ")[:2]
        seconds = float(amount) * (1 if unit == "s" else 0.001)
        self.assertTrue(low <= seconds <= high, warnings[0])

    def test_a_plain_403_exits_3_with_githubs_message(self) -> None:
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403,
                         "body": {"message": "Resource not accessible by personal access token",
                                  "documentation_url": "https://docs.github.com/rest/orgs/orgs", "status": "403"},
                         "headers": {"x-ratelimit-remaining": "1712"}})
        result = self.list()
        line = ("auditfetch: error: github: page 1: access refused (403): Resource not accessible by personal access "
                "token (the credentials from GITHUB_TOKEN work but may not read audit activity; check the role or "
                "scopes granted to them)")
        self.assertOneErrorLine(result, 3, line)
        self.assertEqual(self.errorLine(result), line)
        self.assertEqual(len(self.list_requests()), 1)
        self.assertEqual(result.stdout, "")

    def test_the_primary_limit_on_page_2_is_waited_out_until_its_reset(self) -> None:
        # 403, x-ratelimit-remaining: 0, x-ratelimit-reset two seconds ahead (epoch seconds)
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403, "skip": 1})
        result, elapsed = self.run_timed("--page-size", "10")
        self.assertEqual(self.ids(result), truth())
        self.assertWaited(result, 403, 0.9, 2.1)  # until the reset, not the backoff's first 0.5 s
        self.assertGreaterEqual(elapsed, 0.9)
        first, second, again, third = self.list_requests()
        self.assertEqual((second["path"], second["query"]), (again["path"], again["query"]))  # the same cursor
        self.assertEqual(second["path"], ORG_LINK_PATH)

    def test_a_primary_limit_resetting_beyond_five_minutes_exits_1_at_once(self) -> None:
        reset = int(time.time()) + 3600
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403,
                         "headers": {"x-ratelimit-reset": str(reset)}})
        result, elapsed = self.run_timed()
        self.assertOneErrorLine(result, 1, "github: page 1: HTTP 403 (rate limited): API rate limit exceeded for "
                                           "user ID 1.")
        self.assertLess(elapsed, 5)
        self.assertEqual(len(self.list_requests()), 1)

    def test_a_persistent_primary_limit_exits_1_after_the_retries(self) -> None:
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403, "times": -1})
        result = self.list("--retries", "1")
        self.assertOneErrorLine(result, 1, "github: page 1: HTTP 403 (rate limited): API rate limit exceeded")
        self.assertEqual(len(self.list_requests()), 2)

    def test_the_secondary_limit_429_with_retry_after_is_waited_for(self) -> None:
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 429})  # retry-after: 1
        result, elapsed = self.run_timed()
        self.assertEqual(self.ids(result), truth())
        self.assertWaited(result, 429, 1.0, 1.0)
        self.assertGreaterEqual(elapsed, 1.0)

    def test_the_secondary_limit_as_403_with_retry_after_is_waited_for(self) -> None:
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403,
                         "body": {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                                             "before you try again.",
                                  "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-"
                                                       "for-the-rest-api#about-secondary-rate-limits",
                                  "status": "403"},
                         "headers": {"x-ratelimit-remaining": "1700", "retry-after": "1"}})
        result, elapsed = self.run_timed()
        self.assertEqual(self.ids(result), truth())
        self.assertWaited(result, 403, 1.0, 1.0)
        self.assertGreaterEqual(elapsed, 1.0)

    def test_a_secondary_limit_without_retry_after_is_retried(self) -> None:
        # GitHub's 429 carries the primary window's x-ratelimit-reset (up to an hour ahead) with
        # x-ratelimit-remaining > 0: that reset says nothing about this limit and must not make
        # auditfetch give up (GitHub: without retry-after, wait and back off).
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 429, "headers": {"retry-after": None}})
        result = self.list()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.ids(result), truth())
        self.assertEqual(len(self.list_requests()), 2)

    def test_a_503_is_retried_although_github_sends_its_rate_limit_reset(self) -> None:
        # Every GitHub response carries x-ratelimit-reset (the hourly window's end); a 503 is
        # still a transient failure to back off from, as 502 and 504 are.
        for status in (502, 503, 504):
            with self.subTest(status=status):
                self.emu.reset()
                self.emu.faults({"path": "/audit-log$", "kind": "status", "status": status})
                result = self.list()
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(self.ids(result), truth())
                self.assertEqual(len(self.list_requests()), 2)
                self.assertWaited(result, status, 0.0, 1.0)


# =========================================================================== tail and --state


class TailTest(GitHubCase):
    def tail(self, *args: str) -> TailProcess:
        process = TailProcess(["tail", "-p", "github", *ORG, "--base-url", self.emu.url, "--interval", "1s", *args],
                              env={"GITHUB_TOKEN": TOKEN})
        self.addCleanup(process.stop)
        return process

    def wait_requests(self, process: TailProcess, count: int, timeout: float = 12) -> None:
        deadline = time.monotonic() + timeout
        while len(self.list_requests()) < count:
            self.assertTrue(process.running(), process.describe())
            self.assertLess(time.monotonic(), deadline, process.describe())
            time.sleep(0.05)

    def test_newest_first_polls_start_at_the_newest_minus_the_overlap(self) -> None:
        since = "2024-05-17T00:00:00Z"
        process = self.tail("--since", since, "--page-size", "2", "-o", "ndjson")
        backlog = list(reversed(truth(since=since, until=None)))  # printed oldest first
        self.assertEqual(len(backlog), 3)
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= 3, 12), process.describe())
        self.wait_requests(process, 3)  # the backlog's two pages, then an idle poll
        newest = BY_ID[backlog[-1]]["@timestamp"]

        base = newest + 3600 * SECOND_MS
        added = [new_record("NYu7YDi6EqFziUWTmycQdw", f"tailNew{i}tailNew{i}tailNew", base + i * SECOND_MS)
                 for i in range(5)]  # more than two pages of 2
        other_org = new_record("ZUqlKxH_e4L3390tv9rxFg", "otherOrgOtherOrgOther0", base + 500)
        git = new_record("QQijClBTEhN-nmlnlmyCWw", "gitPushGitPushGitPush0", base + 700)
        self.emu.add_activities("github", list(reversed(added)) + [other_org, git])
        want = backlog + [r["_document_id"] for r in added]
        self.assertTrue(process.wait_for(lambda: len(process.lines()) >= len(want), 12), process.describe())
        polls_before = len([r for r in self.list_requests() if r["path"] == ORG_PATH])
        deadline = time.monotonic() + 12
        while len([r for r in self.list_requests() if r["path"] == ORG_PATH]) < polls_before + 2:
            self.assertLess(time.monotonic(), deadline, process.describe())
            time.sleep(0.05)
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(10), 0, process.describe())

        activities = process.activities()
        self.assertEqual([a["id"] for a in activities], want)  # each once, oldest first
        self.assertEqual([a["created_at"] for a in activities[3:]], [created_at(r) for r in added])

        requests = self.list_requests()
        for request in requests:
            self.assertEqual(request["params"].get("order", ["desc"]), ["desc"])
            self.assertNotIn("created:<", request["params"]["phrase"][0])
            self.assertEqual(request["params"]["per_page"], ["2"])
        starts = [r["params"]["phrase"][0] for r in requests if r["path"] == ORG_PATH]
        first_poll = "created:>=" + format_seconds((newest - OVERLAP_MS) * 1_000_000)
        after_new = "created:>=" + format_seconds((added[-1]["@timestamp"] - OVERLAP_MS) * 1_000_000)
        self.assertEqual(starts[0], f"created:>={since}")
        self.assertEqual(first_poll, "created:>=2024-05-17T12:29:56Z")
        self.assertEqual(set(starts[1:]), {first_poll, after_new})
        self.assertEqual(starts[-1], after_new)
        # The poll that found the five new events read them over three pages, by Link cursor.
        found = next(i for i, r in enumerate(requests) if r["path"] == ORG_PATH
                     and r["params"]["phrase"][0] == first_poll and i > 2 and
                     i + 1 < len(requests) and requests[i + 1]["path"] == ORG_LINK_PATH)
        self.assertEqual([r["path"] for r in requests[found:found + 4]],
                         [ORG_PATH, ORG_LINK_PATH, ORG_LINK_PATH, ORG_PATH])

    def test_list_state_resumes_at_the_newest_minus_the_overlap_for_this_org_only(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "github.json"
            first = self.list("--state", str(state), "--since", SINCE, window=False)
            self.assertEqual(self.ids(first), truth(until=None))
            saved = json.loads(state.read_text())
            newest = BY_ID[truth()[0]]
            self.assertEqual((saved["provider"], saved["account"], saved["high_water"]),
                             ("github", {"org": GITHUB_ORG}, created_at(newest)))

            tie = new_record("NYu7YDi6EqFziUWTmycQdw", "sameMillisecondAsMark0", newest["@timestamp"])
            later = new_record("NYu7YDi6EqFziUWTmycQdw", "laterThanTheMarkLater0", newest["@timestamp"] + 60_000)
            self.emu.add_activities("github", [tie, later])
            self.emu.clear_requests()
            second = self.list("--state", str(state), "--since", SINCE, window=False)
            self.assertEqual(sorted(self.ids(second)), sorted([tie["_document_id"], later["_document_id"]]))
            self.assertEqual(self.phrases(), ["created:>=" + format_seconds((newest["@timestamp"] - OVERLAP_MS)
                                                                              * 1_000_000)])
            self.assertEqual(self.phrases(), ["created:>=2024-05-17T12:29:56Z"])

            before = state.read_bytes()
            for scope in (ENTERPRISE, ("--org", GITHUB_OTHER_ORG)):
                with self.subTest(scope=scope):
                    result = self.list("--state", str(state), scope=scope, window=False)
                    line = (f"auditfetch: error: state file '{state}' belongs to another github account "
                            f"(org={GITHUB_ORG}) (use one state file per provider and account)")
                    self.assertOneErrorLine(result, 2, line)
                    self.assertEqual(self.errorLine(result), line)
            self.assertEqual(state.read_bytes(), before)


if __name__ == "__main__":
    unittest.main()
