"""The GitHub audit-log emulator behaves like GitHub Enterprise Cloud's REST API: routes, auth,
phrase search, include/order, Link-header cursor paging, errors and rate-limit signals."""

from __future__ import annotations

import base64
import re
import sys
import time
import unittest
import urllib.parse
from typing import Any

import harness
from harness import (GITHUB_ENTERPRISE, GITHUB_ENTERPRISE_ID, GITHUB_ORG, GITHUB_ORG_ID, GITHUB_OTHER_ORG,
                     GITHUB_OTHER_ORG_ID, TOKEN, Emulator, Reply, fixture_records, http)

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import common  # noqa: E402
import github_phrase  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORG_LOG = f"/orgs/{GITHUB_ORG}/audit-log"
ENT_LOG = f"/enterprises/{GITHUB_ENTERPRISE}/audit-log"
MAY = "created:2024-05-01..2024-05-31"
LINK = re.compile(r'<([^>]*)>;\s*rel="([a-z]+)"')


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def key(rec: dict[str, Any]) -> tuple[int, str]:
    return rec["@timestamp"], rec["_document_id"]


def links(reply: Reply) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(reply.headers.get("Link") or "")}


def ms(text: str) -> int:
    return common.parse_time(text) // 1_000_000


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


def expected(scope: str = "org", include: str = "web", order: str = "desc",
             where: Any = lambda r: True) -> list[tuple[int, str]]:
    """Fixture keys the emulator should list for a May query."""
    out = []
    for r in fixture_records("github"):
        is_git = r["action"].startswith("git.")
        if (include == "web" and is_git) or (include == "git" and not is_git):
            continue
        if scope == "org" and r.get("org") != GITHUB_ORG:
            continue
        if scope == "labs" and r.get("org") != GITHUB_OTHER_ORG:
            continue
        if where(r):
            out.append(key(r))
    return sorted(out, reverse=order == "desc")


# =========================================================================== phrase parser


class PhraseTest(unittest.TestCase):
    def test_accepts(self) -> None:
        for text in ["", "   ", "actor:jdoe", "-action:team", 'repo:"acme-corp/widgets"', 'country:"United States"',
                     "created:2024-05-13", "created:>=2024-05-13T08:00:00Z created:<2024-05-14T00:00:00+00:00",
                     "created:2024-05-01..2024-05-31", "created:2024-05-01..*", "created:*..2024-05-01T00:00:00-07:00",
                     "action:team AND actor:x", "actor:a OR actor:b", "actor_id:5101001", "operation:create",
                     "user:jdoe org:acme-corp business:acme-ent repo_id:1 org_id:2 business_id:3 user_id:4",
                     "actor_ip:203.0.113.10 from:web note:x oauth_app_id:5 hashed_token:abc="]:
            with self.subTest(text=text):
                github_phrase.parse(text)

    def test_rejects(self) -> None:
        for text in ["jdoe", "foo:bar", "actor:", 'repo:"unterminated', "created:yesterday", "created:2024-13-01",
                     "created:2024-05-13T08:00:00.123Z", "created:2024-05-13T25:00:00Z", "AND actor:x", "actor:x OR",
                     "actor:x AND OR actor:y", "actor_id:abc", 'actor:a"b"', "created:..2024-05-01", "created:2024-05-01..",
                     "created:>=2024-05-13T08:00:00+25:00", "Actor:x", "created:=>2024-05-13", ":x", "-:x",
                     "created:2024-05-13T08:00Z", "created:2024-02-30"]:
            with self.subTest(text=text):
                with self.assertRaises(github_phrase.PhraseError):
                    github_phrase.parse(text)

    def test_created_granules(self) -> None:
        day, sec = ms("2024-05-13T00:00:00Z"), ms("2024-05-13T08:00:00Z")
        cases = {"2024-05-13": (day, day + 86_400_000), ">=2024-05-13": (day, None), ">2024-05-13": (day + 86_400_000, None),
                 "<2024-05-13": (None, day), "<=2024-05-13": (None, day + 86_400_000),
                 ">=2024-05-13T08:00:00Z": (sec, None), ">2024-05-13T08:00:00Z": (sec + 1000, None),
                 "<2024-05-13T08:00:00Z": (None, sec), "<=2024-05-13T08:00:00Z": (None, sec + 1000),
                 "2024-05-13T10:00:00+02:00": (sec, sec + 1000), "2024-05-13T08:00:00": (sec, sec + 1000),
                 "2024-05-13..2024-05-14": (day, day + 2 * 86_400_000), "*..2024-05-13T08:00:00Z": (None, sec + 1000)}
        for value, bounds in cases.items():
            with self.subTest(value=value):
                self.assertEqual(github_phrase.parse_created(value), bounds)

    def test_matching(self) -> None:
        rec = {"action": "team.create", "actor": "JDoe", "actor_id": 7, "actor_location": {"country_code": "DE"},
               "repo": "acme-corp/widgets"}

        def hit(text: str) -> bool:
            return github_phrase.matches(github_phrase.parse(text), rec, 1000)
        self.assertTrue(hit("action:team"))
        self.assertTrue(hit("action:team.create"))
        self.assertFalse(hit("action:team.add_member"))
        self.assertFalse(hit("action:tea"))
        self.assertTrue(hit("actor:jdoe actor_id:7"))
        self.assertTrue(hit("action:repo action:team"))  # same key: alternatives
        self.assertFalse(hit("action:team actor:other"))  # different keys: all apply
        self.assertTrue(hit("actor:other OR action:team"))
        self.assertFalse(hit("-action:team"))
        self.assertTrue(hit("country:de"))
        self.assertTrue(hit('country:"Germany"'))
        self.assertFalse(hit("country:us"))
        self.assertTrue(hit('repo:"ACME-CORP/widgets"'))
        self.assertFalse(hit("actor_id:8"))
        self.assertTrue(hit("created:>=1970-01-01T00:00:01Z created:<1970-01-01T00:00:02Z"))
        self.assertFalse(hit("created:>=1970-01-01T00:00:01Z created:<1970-01-01T00:00:01Z"))
        self.assertTrue(github_phrase.parse("created:2024-05-01").has_created)
        self.assertFalse(github_phrase.parse("actor:x").has_created)


# =========================================================================== HTTP


class GitHubCase(harness.EmulatorTestCase):
    def get(self, path: str, headers: dict[str, str] | None = AUTH, **params: Any) -> Reply:
        return http(self.emu.url + path + (f"?{q(**params)}" if params else ""), headers=headers)

    def assertGitHubError(self, reply: Reply, status: int, message: str | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        self.assertTrue(reply.headers["Content-Type"].startswith("application/json"))
        body = reply.json()
        self.assertEqual(body["status"], str(status))
        self.assertTrue(body["documentation_url"].startswith("https://docs.github.com/"))
        if message is not None:
            self.assertEqual(body["message"], message)
        self.assertRateHeaders(reply)
        return body

    def assertRateHeaders(self, reply: Reply) -> None:
        limit, remaining, used = (int(reply.headers[f"x-ratelimit-{n}"]) for n in ("limit", "remaining", "used"))
        self.assertEqual(limit - used, remaining)
        self.assertGreater(int(reply.headers["x-ratelimit-reset"]), time.time() - 5)
        self.assertIn(reply.headers["x-ratelimit-resource"], ("audit_log", "core"))

    def walk(self, path: str = ORG_LOG, headers: dict[str, str] | None = AUTH, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("phrase", MAY)
        reply = self.get(path, headers, **params)
        per_page = min(int(params.get("per_page", 30)), 100)
        records: list[dict[str, Any]] = []
        while True:
            self.assertEqual(reply.status, 200, reply.body)
            page = reply.json()
            self.assertIsInstance(page, list)
            self.assertLessEqual(len(page), per_page)
            records += page
            rels = links(reply)
            if "next" not in rels:
                return records
            self.assertEqual(len(page), per_page)
            reply = http(rels["next"], headers=headers)


class GitHubListTest(GitHubCase):
    def test_paging_returns_every_org_record_once_newest_first(self) -> None:
        records = self.walk(per_page=7)
        self.assertEqual([key(r) for r in records], expected())
        self.assertTrue(all(r["org"] == GITHUB_ORG for r in records))

    def test_every_page_size_and_order_pages_the_same_records(self) -> None:
        for order in ("desc", "asc"):
            for per_page in (1, 2, 5, 30, 100):
                with self.subTest(order=order, per_page=per_page):
                    records = self.walk(ENT_LOG, per_page=per_page, order=order, include="all")
                    self.assertEqual([key(r) for r in records], expected("enterprise", "all", order))

    def test_link_header_shape(self) -> None:
        phrase = f"{MAY} -actor:nobody"
        first = self.get(ORG_LOG, phrase=phrase, per_page=5)
        self.assertEqual(first.status, 200)
        self.assertEqual(first.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(first.headers["x-github-api-version-selected"], "2022-11-28")
        self.assertEqual(set(links(first)), {"next"})
        url = urllib.parse.urlsplit(links(first)["next"])
        self.assertEqual(f"{url.scheme}://{url.netloc}", self.emu.url)
        self.assertEqual(url.path, f"/organizations/{GITHUB_ORG_ID}/audit-log")
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        self.assertEqual([k for k, _ in pairs], ["phrase", "per_page", "after", "before"])
        self.assertEqual(dict(pairs)["phrase"], phrase)
        self.assertEqual(dict(pairs)["before"], "")
        self.assertIn("%3D", url.query)  # a base64 cursor, percent-encoded as GitHub's are
        decoded = base64.b64decode(dict(pairs)["after"]).decode()
        self.assertRegex(decoded, r"^\d\.\d+e\+12\|[A-Za-z0-9_-]+\|")
        second = http(links(first)["next"], headers=AUTH)
        self.assertEqual(set(links(second)), {"next", "first", "prev"})
        self.assertEqual(http(links(second)["first"], headers=AUTH).json(), first.json())
        self.assertEqual(http(links(second)["prev"], headers=AUTH).json(), first.json())
        ent = self.get(f"/enterprises/{GITHUB_ENTERPRISE_ID}/audit-log", phrase=MAY, per_page=2)
        self.assertEqual(urllib.parse.urlsplit(links(ent)["next"]).path, f"/enterprises/{GITHUB_ENTERPRISE_ID}/audit-log")

    def test_last_page_has_no_next(self) -> None:
        reply = self.get(ORG_LOG, phrase=MAY, per_page=100)
        self.assertEqual(len(reply.json()), len(expected()))
        self.assertNotIn("Link", reply.headers)
        page = self.get(ORG_LOG, phrase=MAY, per_page=len(expected()) - 1)
        last = http(links(page)["next"], headers=AUTH)
        self.assertEqual(len(last.json()), 1)
        self.assertEqual(set(links(last)), {"first", "prev"})

    def test_default_and_clamped_page_sizes(self) -> None:
        self.assertEqual(len(self.get(ENT_LOG, phrase=MAY, include="all").json()), 30)
        for text, size in (("0", 30), ("-5", 30), ("abc", 30), ("", 30), ("7", 7), ("500", 47)):
            with self.subTest(per_page=text):
                self.assertEqual(len(self.get(ENT_LOG, phrase=MAY, include="all", per_page=text).json()), size)

    def test_page_parameter_without_cursor(self) -> None:
        whole = [key(r) for r in self.get(ORG_LOG, phrase=MAY, per_page=100).json()]
        self.assertEqual([key(r) for r in self.get(ORG_LOG, phrase=MAY, per_page=5, page=3).json()], whole[10:15])

    def test_scopes(self) -> None:
        org = {key(r) for r in self.walk(per_page=100, include="all")}
        labs = {key(r) for r in self.walk(f"/orgs/{GITHUB_OTHER_ORG}/audit-log", per_page=100, include="all")}
        self.assertEqual({key(r) for r in self.walk(f"/organizations/{GITHUB_OTHER_ORG_ID}/audit-log", per_page=100,
                                                   include="all")}, labs)
        ent = {key(r) for r in self.walk(ENT_LOG, per_page=100, include="all")}
        by_id = {key(r) for r in self.walk(f"/enterprises/{GITHUB_ENTERPRISE_ID}/audit-log", per_page=100, include="all")}
        self.assertEqual(labs, set(expected("labs", "all")))
        self.assertEqual(ent, by_id)
        self.assertTrue(org | labs < ent)
        only = ent - org - labs
        self.assertTrue(only)
        self.assertEqual(len(ent), len(fixture_records("github")))
        self.assertEqual({key(r) for r in self.walk(f"/organizations/{GITHUB_ORG_ID}/audit-log", per_page=100,
                                                   include="all")}, org)
        self.assertEqual({key(r) for r in self.walk("/orgs/ACME-CORP/audit-log", per_page=100, include="all")}, org)

    def test_include(self) -> None:
        for include in ("web", "git", "all"):
            with self.subTest(include=include):
                records = self.walk(ENT_LOG, per_page=100, include=include)
                self.assertEqual([key(r) for r in records], expected("enterprise", include))
        self.assertTrue(all(r["action"].startswith("git.") for r in self.walk(ENT_LOG, include="git")))

    def test_phrase_filters(self) -> None:
        cases = {
            "actor:jdoe": lambda r: r["actor"] == "jdoe",
            "action:team": lambda r: r["action"].startswith("team."),
            "action:team.create": lambda r: r["action"] == "team.create",
            "-action:team": lambda r: not r["action"].startswith("team."),
            "action:org.add_member action:org.invite_member": lambda r: r["action"] in ("org.add_member", "org.invite_member"),
            'repo:"acme-corp/widgets"': lambda r: r.get("repo") == "acme-corp/widgets",
            "country:gb": lambda r: r.get("actor_location", {}).get("country_code") == "GB",
            'country:"United States"': lambda r: r.get("actor_location", {}).get("country_code") == "US",
            "user:contractor-x": lambda r: r.get("user") == "contractor-x",
            f"org:{GITHUB_OTHER_ORG}": lambda r: r.get("org") == GITHUB_OTHER_ORG,
            "actor_id:5101006": lambda r: r["actor_id"] == 5101006,
            "operation:authentication": lambda r: r["action"] == "business.sso_response",
            "actor:kwong OR action:repo.destroy": lambda r: r["actor"] == "kwong" or r["action"] == "repo.destroy",
            "actor_ip:203.0.113.200": lambda r: r.get("actor_ip") == "203.0.113.200",
        }
        for phrase, where in cases.items():
            with self.subTest(phrase=phrase):
                records = self.walk(ENT_LOG, per_page=100, phrase=f"{MAY} {phrase}")
                self.assertEqual([key(r) for r in records], expected("enterprise", where=where))
                self.assertTrue(records)

    def test_created_bounds(self) -> None:
        def count(phrase: str) -> int:
            return len(self.get(ENT_LOG, phrase=phrase, per_page=100, include="all").json())
        at = "2024-05-16T08:00:00Z"  # three records share this instant (.000)
        self.assertEqual(count(f"created:>={at} created:<={at}"), 3)
        self.assertEqual(count(f"created:{at}"), 3)
        self.assertEqual(count(f"created:>{at} created:<=2024-05-16T08:00:01Z"), 0)
        self.assertEqual(count(f"created:>=2024-05-16T07:00:00Z created:<{at}"), 1)  # 07:07:07.707
        self.assertEqual(count("created:2024-05-16T10:00:00+02:00"), 3)
        last = "2024-05-14T19:59:59"  # a record at 19:59:59.999
        self.assertEqual(count(f"created:{last}Z"), 1)
        self.assertEqual(count(f"created:>2024-05-14T19:00:00Z created:<{last}Z"), 0)
        self.assertEqual(count(f"created:>2024-05-14T19:00:00Z created:<={last}Z"), 1)
        self.assertEqual(count("created:2024-05-17"), 5)
        self.assertEqual(count("created:>2024-05-16"), 5)
        self.assertEqual(count("created:<2024-05-14"), 12)
        self.assertEqual(count("created:<=2024-05-13"), 12)
        self.assertEqual(count("created:2024-05-13..2024-05-17"), len(fixture_records("github")))
        self.assertEqual(count("created:2024-05-17..*"), 5)
        self.assertEqual(count("created:>=2024-05-13T08:00:05Z created:<2024-05-13T08:00:06Z"), 1)

    def test_without_created_only_the_past_three_months(self) -> None:
        self.assertEqual(self.get(ENT_LOG, include="all").json(), [])
        now = int(time.time() * 1000)
        recent = {"@timestamp": now - 86_400_000, "created_at": now - 86_400_000, "_document_id": "recent-event-1",
                  "action": "org.add_member", "actor": "octo-admin", "org": GITHUB_ORG, "business": GITHUB_ENTERPRISE}
        old = {**recent, "@timestamp": now - 100 * 86_400_000, "created_at": now - 100 * 86_400_000,
               "_document_id": "old-event-1"}
        self.emu.add_activities("github", [recent, old])
        self.assertEqual([r["_document_id"] for r in self.get(ORG_LOG).json()], ["recent-event-1"])
        self.assertEqual(len(self.get(ORG_LOG, phrase="created:>2000-01-01").json()), len(expected()) + 2)

    def test_records_added_while_paging(self) -> None:
        first = self.get(ORG_LOG, phrase=MAY, per_page=10)
        seen = [key(r) for r in first.json()]
        boundary = seen[-1][0]
        base = {"action": "org.update_member", "actor": "octo-admin", "org": GITHUB_ORG, "business": GITHUB_ENTERPRISE}
        self.emu.add_activities("github", [
            {**base, "@timestamp": boundary + 1, "created_at": boundary + 1, "_document_id": "zz-newer-than-cursor"},
            {**base, "@timestamp": boundary - 1, "created_at": boundary - 1, "_document_id": "zz-older-than-cursor"},
            {**base, "@timestamp": boundary, "created_at": boundary, "_document_id": "00-tie-before-cursor"},
        ])
        reply = http(links(first)["next"], headers=AUTH)
        while True:
            seen += [key(r) for r in reply.json()]
            if "next" not in links(reply):
                break
            reply = http(links(reply)["next"], headers=AUTH)
        ids = [k[1] for k in seen]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn("zz-older-than-cursor", ids)
        self.assertIn("00-tie-before-cursor", ids)  # same ms, sorts below the cursor's id
        self.assertNotIn("zz-newer-than-cursor", ids)
        fresh = [r["_document_id"] for r in self.walk(per_page=100)]
        self.assertIn("zz-newer-than-cursor", fresh)
        self.assertEqual(len(fresh), len(expected()) + 3)

    def test_record_shape(self) -> None:
        records = self.walk(ENT_LOG, per_page=100, include="all")
        for r in records:
            self.assertIsInstance(r["@timestamp"], int)
            self.assertEqual(r["created_at"], r["@timestamp"])
            self.assertRegex(r["_document_id"], r"^[A-Za-z0-9_-]{22}$")
        actions = {r["action"] for r in records}
        for action in ("org.add_member", "org.remove_member", "org.update_member", "org.invite_member", "repo.create",
                       "repo.destroy", "team.create", "team.add_member", "git.clone", "oauth_application.create",
                       "business.sso_response"):
            self.assertIn(action, actions)


class GitHubErrorTest(GitHubCase):
    def test_authentication(self) -> None:
        self.assertGitHubError(self.get(ORG_LOG, None, phrase=MAY), 401, "Requires authentication")
        for value in ("Bearer nope", "token nope", "Basic dGVzdDp0ZXN0", "Bearer", f"Bearer {TOKEN} x"):
            with self.subTest(value=value):
                reply = self.get(ORG_LOG, {"Authorization": value}, phrase=MAY)
                self.assertGitHubError(reply, 401, "Bad credentials")
                self.assertEqual(reply.headers["x-ratelimit-resource"], "core")
        for value in (f"token {TOKEN}", f"bearer {TOKEN}", f"Bearer {TOKEN}"):
            with self.subTest(value=value):
                self.assertEqual(self.get(ORG_LOG, {"Authorization": value}, phrase=MAY).status, 200)
        self.assertGitHubError(self.get("/orgs/nobody/audit-log", {"Authorization": "Bearer nope"}), 401)

    def test_api_version_and_accept(self) -> None:
        for version in ("2022-11-28", "2026-03-10"):
            reply = self.get(ORG_LOG, {**AUTH, "X-GitHub-Api-Version": version}, phrase=MAY)
            self.assertEqual((reply.status, reply.headers["x-github-api-version-selected"]), (200, version))
        body = self.assertGitHubError(self.get(ORG_LOG, {**AUTH, "X-GitHub-Api-Version": "v3"}, phrase=MAY), 400)
        self.assertIn('"v3", is not a supported version', body["message"])
        for accept in ("application/vnd.github+json", "application/vnd.github.v3+json", "application/json", "*/*",
                       "text/html, application/json;q=0.9"):
            with self.subTest(accept=accept):
                self.assertEqual(self.get(ORG_LOG, {**AUTH, "Accept": accept}, phrase=MAY).status, 200)
        self.assertGitHubError(self.get(ORG_LOG, {**AUTH, "Accept": "application/xml"}, phrase=MAY), 415)

    def test_not_found(self) -> None:
        for path in ("/orgs/nobody/audit-log", "/enterprises/nobody/audit-log", "/organizations/1/audit-log",
                     f"/orgs/{GITHUB_ORG}/audit-logs", f"/orgs/{GITHUB_ORG}"):
            with self.subTest(path=path):
                self.assertGitHubError(self.get(path), 404, "Not Found")
        reply = http(self.emu.url + ORG_LOG, "POST", AUTH, b"{}")
        self.assertGitHubError(reply, 404, "Not Found")

    def test_parameter_validation(self) -> None:
        for params, field in (({"include": "everything"}, "include"), ({"order": "sideways"}, "order"),
                              ({"phrase": "foo:bar"}, "phrase"), ({"phrase": "jdoe"}, "phrase"),
                              ({"phrase": "created:2024-05-13T08:00:00.5Z"}, "phrase"),
                              ({"phrase": 'repo:"x'}, "phrase"), ({"after": "garbage"}, "after"),
                              ({"before": "Zm9v"}, "before"), ({"after": "a", "before": "b"}, "after")):
            with self.subTest(params=params):
                body = self.assertGitHubError(self.get(ORG_LOG, **params), 422, "Validation Failed")
                self.assertEqual(body["errors"][0]["field"], field)
                self.assertEqual(body["errors"][0]["code"], "invalid")
        self.assertEqual(self.get(ORG_LOG, phrase=MAY, unknown="x").status, 200)  # ignored, as GitHub does

    def test_cursor_is_bound_to_its_query(self) -> None:
        first = self.get(ORG_LOG, phrase=MAY, per_page=5)
        after = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(links(first)["next"]).query))["after"]
        self.assertEqual(self.get(ORG_LOG, phrase=MAY, per_page=9, after=after).status, 200)  # page size may change
        for path, params in ((ORG_LOG, {"phrase": f"{MAY} actor:jdoe"}), (ORG_LOG, {"phrase": MAY, "order": "asc"}),
                             (ORG_LOG, {"phrase": MAY, "include": "all"}), (ENT_LOG, {"phrase": MAY}),
                             (f"/orgs/{GITHUB_OTHER_ORG}/audit-log", {"phrase": MAY})):
            with self.subTest(path=path, params=params):
                self.assertGitHubError(self.get(path, **params, after=after), 422)
        ts, doc_id, sig = base64.b64decode(after).decode().split("|")
        for forged in (f"{ts}|AAAAAAAAAAAAAAAAAAAAAA|{sig}", f"{ts[:-4]}9e+12|{doc_id}|{sig}", f"{ts}|{doc_id}|{sig[::-1]}"):
            with self.subTest(forged=forged):
                cursor = base64.b64encode(forged.encode()).decode()
                self.assertGitHubError(self.get(ORG_LOG, phrase=MAY, after=cursor), 422)

    def test_rate_limit_headers_count_requests(self) -> None:
        first = self.get(ORG_LOG, phrase=MAY)
        second = self.get(ORG_LOG, phrase=MAY)
        self.assertRateHeaders(first)
        self.assertEqual(first.headers["x-ratelimit-limit"], "1750")
        self.assertEqual(first.headers["x-ratelimit-resource"], "audit_log")
        self.assertEqual(int(second.headers["x-ratelimit-used"]), int(first.headers["x-ratelimit-used"]) + 1)
        self.assertGitHubError(self.get(ORG_LOG, phrase="x"), 422)

    def test_secondary_limit_fault(self) -> None:
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 429})
        reply = self.get(ORG_LOG, phrase=MAY)
        body = self.assertGitHubError(reply, 429)
        self.assertTrue(body["message"].startswith("You have exceeded a secondary rate limit."))
        self.assertEqual(reply.headers["retry-after"], "1")
        self.assertNotEqual(reply.headers["x-ratelimit-remaining"], "0")
        self.assertEqual(self.get(ORG_LOG, phrase=MAY).status, 200)

    def test_primary_limit_fault(self) -> None:
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403})
        reply = self.get(ORG_LOG, phrase=MAY)
        body = self.assertGitHubError(reply, 403)
        self.assertTrue(body["message"].startswith("API rate limit exceeded for user ID 1."))
        self.assertEqual(reply.headers["x-ratelimit-remaining"], "0")
        self.assertIn(int(reply.headers["x-ratelimit-reset"]) - int(time.time()), (1, 2, 3))
        self.assertNotIn("retry-after", reply.headers)
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403, "headers": {"retry-after": "3"}})
        self.assertEqual(self.get(ORG_LOG, phrase=MAY).headers["retry-after"], "3")
        self.emu.faults({"path": "/audit-log$", "kind": "status", "status": 403, "headers": {"x-ratelimit-reset": "1"}})
        self.assertEqual(self.get(ORG_LOG, phrase=MAY).headers["x-ratelimit-reset"], "1")


class GitHubControlTest(GitHubCase):
    def test_fixtures_are_well_formed(self) -> None:
        records = fixture_records("github")
        self.assertTrue(30 <= len(records) <= 60)
        self.assertEqual(len({r["_document_id"] for r in records}), len(records))
        times = [r["@timestamp"] for r in records]
        self.assertLess(len(set(times)), len(times))  # ties
        self.assertTrue(all(ms("2024-05-01T00:00:00Z") <= t < ms("2024-06-01T00:00:00Z") for t in times))
        self.assertGreaterEqual(len({t // 86_400_000 for t in times}), 4)
        self.assertGreaterEqual(len({r["actor"] for r in records}), 5)
        text = "\n".join(strings(records))
        for needle in ["\u001b[31m", "\u001b]0;", "\u0007", "\r", "\u202e", "=HYPERLINK(", '"']:
            self.assertIn(needle, text)
        self.assertTrue(any(ord(c) > 0x3000 for c in text), "CJK")
        self.assertTrue(any(ord(c) > 0xFFFF for c in text), "emoji")
        self.assertGreater(max(len(t) for t in strings(records)), 2000)

    def test_add_activities_validates(self) -> None:
        good = {"@timestamp": 1715600000000, "created_at": 1715600000000, "_document_id": "added-1",
                "action": "org.add_member", "org": GITHUB_ORG}
        for bad in ({**good, "_document_id": ""}, {**good, "@timestamp": "2024-05-13T00:00:00Z"},
                    {k: v for k, v in good.items() if k != "action"}, {**good, "org": None},
                    {**good, "_document_id": fixture_records("github")[0]["_document_id"]}):
            with self.subTest(bad=bad):
                with self.assertRaises(RuntimeError):
                    self.emu.add_activities("github", [bad])
        self.emu.add_activities("github", [good])
        self.assertIn("added-1", [r["_document_id"] for r in self.get(ORG_LOG, phrase="created:2024-05-13", per_page=100).json()])


class GitHubGenerateTest(GitHubCase):
    emulator_args = ("--generate", "1200")

    def test_generated_volume_pages_completely(self) -> None:
        whole = "created:2024-01-01..2024-07-01"
        records = self.walk(ENT_LOG, per_page=100, phrase=whole, include="all")
        self.assertEqual(len({r["_document_id"] for r in records}), 1200)
        self.assertEqual([key(r) for r in records], sorted((key(r) for r in records), reverse=True))
        self.assertLess(max(r["@timestamp"] for r in records), ms(harness.GENERATE_ANCHOR))
        self.assertEqual(len(self.get(ENT_LOG, phrase=whole, include="all", per_page=1000).json()), 100)
        org = self.walk(ORG_LOG, per_page=100, phrase=whole, include="all")
        self.assertTrue(0 < len(org) < 1200)
        self.assertTrue(any(r["action"].startswith("git.") for r in records))

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/github")
        with Emulator("--generate", "1200") as other:
            self.assertEqual(other.control("GET", "activities/github"), first)


if __name__ == "__main__":
    unittest.main()
