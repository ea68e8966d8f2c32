"""The Okta System Log emulator (tests/emulator/okta.py) behaves like GET /api/v1/logs."""

from __future__ import annotations

import json
import re
import sys
import time
import unittest
import urllib.parse
from typing import Any

import harness
from harness import OKTA_ADMIN_ID, OKTA_SYSTEM_ID, TOKEN, Emulator, Reply, fixture_records, http

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import okta_filter  # noqa: E402
from common import parse_time  # noqa: E402

LOGS = "/api/v1/logs"
AUTH = {"Authorization": f"SSWS {TOKEN}"}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
FIXTURES = fixture_records("okta")
UUIDS = [r["uuid"] for r in FIXTURES]  # fixture order = persistence order


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def links(reply: Reply) -> dict[str, str]:
    """rel → URL from the Link headers (Okta sends one header line per link)."""
    out: dict[str, str] = {}
    for value in reply.headers.get_all("Link") or []:
        for part in value.split(","):
            m = re.fullmatch(r'\s*<([^>]*)>\s*;\s*rel="([^"]+)"\s*', part)
            assert m, value
            out[m.group(2)] = m.group(1)
    return out


def strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    return [s for item in obj for s in strings(item)] if isinstance(obj, list) else []


def record(uuid: str, published: str, event: str = "user.session.start", actor: str = "00u9late0000000000h7") -> dict[str, Any]:
    return {"uuid": uuid, "published": published, "eventType": event, "version": "0", "severity": "INFO",
            "displayMessage": "User login to Okta", "actor": {"id": actor, "type": "User"},
            "outcome": {"result": "SUCCESS"}, "target": []}


# =========================================================================== parser


class OktaFilterTest(unittest.TestCase):
    def test_precedence_and_grouping(self) -> None:
        node = okta_filter.parse('eventType eq "a" or eventType eq "b" and severity eq "c"')
        self.assertIsInstance(node, okta_filter.Or)
        self.assertIsInstance(node.right, okta_filter.And)
        node = okta_filter.parse('(eventType eq "a" or eventType eq "b") and severity eq "c"')
        self.assertIsInstance(node, okta_filter.And)
        node = okta_filter.parse('not (eventType eq "a") AND actor.id PR')
        self.assertEqual(node, okta_filter.And(okta_filter.Not(okta_filter.Comparison(("eventType",), "eq", "a")),
                                               okta_filter.Comparison(("actor", "id"), "pr")))

    def test_values(self) -> None:
        self.assertEqual(okta_filter.parse(r'displayMessage eq "a \"b\" \\ c"').value, 'a "b" \\ c')
        self.assertEqual(okta_filter.parse('securityContext.asNumber ge 64496').value, 64496)
        self.assertIs(okta_filter.parse('securityContext.isProxy eq false').value, False)
        self.assertIsNone(okta_filter.parse('outcome.reason eq null').value)

    def test_accepts_schema_paths_and_maps(self) -> None:
        for text in ['transaction.detail.requestApiTokenId eq "00T1"', 'debugContext.debugData.anything.deeper eq "x"',
                     'target.changeDetails.to.title pr', 'request.ipChain.geographicalContext.city eq "Berlin"',
                     'client.userAgent.rawUserAgent co "curl"', 'authenticationContext.issuer.id eq "x"',
                     'debugContext.debugData.url sw "/oauth2"', 'actor pr', 'uuid eq "x"']:
            with self.subTest(text=text):
                okta_filter.parse(text)

    def test_rejections(self) -> None:
        cases = {'': "E0000053", 'eventType': "E0000053", 'eventType eq': "E0000053", 'eventType eq x': "E0000053",
                 'eventType eqq "x"': "E0000053", 'eventType eq "x" and': "E0000053", '(eventType eq "x"': "E0000053",
                 'eventType eq "x")': "E0000053", 'eventType eq "open': "E0000053", 'target[type eq "User"]': "E0000053",
                 'not eventType eq "x"': "E0000053", 'EventType eq "x"': "E0000053", 'event_type eq "x"': "E0000053",
                 'actor.idd eq "x"': "E0000053", 'published gt "2024-05-01T00:00:00Z"': "E0000053",
                 'eventType co 5': "E0000053", 'eventType gt true': "E0000053", '"x" eq eventType': "E0000053",
                 'eventType eq "x" xor severity eq "y"': "E0000053",
                 'debugContext.debugData.url co "/oauth"': "E0000031",
                 'debugContext.debugData.requestUri co "/api"': "E0000031", 'actor eq "x"': "E0000031"}
        for text, code in cases.items():
            with self.subTest(text=text):
                with self.assertRaises(okta_filter.FilterError) as caught:
                    okta_filter.parse(text)
                self.assertEqual(caught.exception.code, code)

    def test_messages(self) -> None:
        with self.assertRaises(okta_filter.FilterError) as caught:
            okta_filter.parse('displayMessage eqq "Create Okta user"')
        self.assertEqual(caught.exception.summary, "Invalid filter 'displayMessage eqq \"Create Okta user\"': Unrecognized "
                         "attribute operator 'eqq' at position 15. Expected: eq,ne,co,sw,ew,pr,gt,ge,lt,le")
        with self.assertRaises(okta_filter.FilterError) as caught:
            okta_filter.parse('some_invalid_field eq "x"')
        self.assertEqual(caught.exception.summary, "field is not valid: some_invalid_field")
        with self.assertRaises(okta_filter.FilterError) as caught:
            okta_filter.parse('debugContext.debugData.url co "/oauth/"')
        self.assertEqual(caught.exception.summary, "The supplied combination of operator and field is not currently "
                                                   "supported. Operator: co, Field: debugContext.debugData.url")

    def test_evaluation(self) -> None:
        rec = {"eventType": "user.session.start", "outcome": {"result": "FAILURE", "reason": None},
               "target": [{"id": "A", "type": "User"}, {"id": "B", "type": "AppInstance"}],
               "securityContext": {"asNumber": 10, "isProxy": False}, "actor": {"id": "u1", "displayName": ""}}

        def ok(text: str) -> bool:
            return okta_filter.matches(okta_filter.parse(text), rec)
        self.assertTrue(ok('eventType eq "user.session.start" and outcome.result eq "FAILURE"'))
        self.assertFalse(ok('eventType eq "USER.SESSION.START"'))  # values compare exactly
        self.assertTrue(ok('target.id eq "A" and target.id eq "B"'))  # any element of the array
        self.assertTrue(ok('target.id ne "C"'))
        self.assertFalse(ok('target.id ne "A"'))
        self.assertTrue(ok('eventType sw "user." and eventType ew ".start" and eventType co "session"'))
        self.assertTrue(ok('securityContext.asNumber gt 9 and securityContext.asNumber le 10'))
        self.assertFalse(ok('securityContext.asNumber gt "9"'))  # a string never orders against a number
        self.assertTrue(ok('securityContext.isProxy eq false and outcome.reason eq null'))
        self.assertTrue(ok('actor.id pr and not (actor.displayName pr) and not (client.ipAddress pr)'))
        self.assertTrue(ok('eventType gt "user.session.end" and eventType lt "user.session.zzz"'))
        self.assertTrue(ok('client.ipAddress ne "1.2.3.4"'))  # missing attribute: ne matches
        self.assertFalse(ok('client.ipAddress eq "1.2.3.4" or client.ipAddress co "1"'))


# =========================================================================== HTTP


class OktaCase(harness.EmulatorTestCase):
    def get(self, query: str = "", headers: dict[str, str] | None = AUTH, path: str = LOGS) -> Reply:
        return http(self.emu.url + path + (f"?{query}" if query else ""), headers=headers)

    def follow(self, url: str) -> Reply:
        return http(url, headers=AUTH)

    def assertOktaError(self, reply: Reply, status: int, code: str, summary: str | None = None) -> dict[str, Any]:
        self.assertEqual(reply.status, status, reply.body)
        self.assertEqual(reply.headers["Content-Type"], "application/json")
        body = reply.json()
        self.assertEqual(list(body), ["errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"])
        self.assertEqual((body["errorCode"], body["errorLink"]), (code, code))
        self.assertRegex(body["errorId"], r"^oae[A-Za-z0-9]{22}$")
        self.assertIsInstance(body["errorCauses"], list)
        if summary is not None:
            self.assertEqual(body["errorSummary"], summary)
        return body

    def walk(self, query: str, bounded: bool) -> tuple[list[dict[str, Any]], list[Reply]]:
        """Follows next links; a polling walk stops at the first empty page (whose next is self)."""
        replies = [self.get(query)]
        records: list[dict[str, Any]] = []
        while True:
            reply = replies[-1]
            self.assertEqual(reply.status, 200, reply.body)
            page, rels = reply.json(), links(reply)
            self.assertIn("self", rels)
            records += page
            if bounded and "next" not in rels:
                return records, replies
            self.assertIn("next", rels)
            if not page:
                self.assertFalse(bounded, "a bounded walk never ends on an empty page with a next link")
                self.assertEqual(rels["next"], rels["self"])
                return records, replies
            self.assertNotEqual(rels["next"], rels["self"])
            self.assertLess(len(replies), 200)
            replies.append(self.follow(rels["next"]))


class OktaFixtureTest(unittest.TestCase):
    def test_fixtures_are_well_formed(self) -> None:
        self.assertTrue(30 <= len(FIXTURES) <= 60)
        self.assertEqual(len(set(UUIDS)), len(UUIDS))
        text = "\n".join(strings(FIXTURES))
        for needle in ["\u001b[31m", "\u001b]0;", "\u0007", "\r", "\u202e", "=HYPERLINK(", "'", '"']:
            self.assertIn(needle, text)
        self.assertTrue(any(0x3000 < ord(c) <= 0xFFFF for c in text), "CJK")
        self.assertTrue(any(ord(c) > 0xFFFF for c in text), "emoji")
        self.assertGreater(max(len(t) for t in strings(FIXTURES)), 2000)
        published = [r["published"] for r in FIXTURES]
        self.assertTrue(all(re.fullmatch(r"2024-05-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p) for p in published))
        self.assertGreaterEqual(len({p[:10] for p in published}), 5)
        self.assertLess(len(set(published)), len(published), "ties")
        self.assertEqual(published, sorted(published), "the fixture file is in persistence order = published order")
        kinds = {(r["eventType"], r["outcome"]["result"]) for r in FIXTURES}
        for kind in [("user.session.start", "SUCCESS"), ("user.session.start", "FAILURE"), ("user.session.end", "SUCCESS"),
                     ("user.lifecycle.create", "SUCCESS"), ("user.lifecycle.delete.initiated", "SUCCESS"),
                     ("user.account.update_profile", "SUCCESS"), ("group.user_membership.add", "SUCCESS"),
                     ("app.oauth2.token.grant.access_token", "SUCCESS")]:
            self.assertIn(kind, kinds)
        self.assertEqual({r["actor"]["type"] for r in FIXTURES}, {"User", "SystemPrincipal", "PublicClientApp"})
        self.assertIn(OKTA_ADMIN_ID, {r["actor"]["id"] for r in FIXTURES})
        self.assertIn(OKTA_SYSTEM_ID, {r["actor"]["id"] for r in FIXTURES})
        for r in FIXTURES:
            self.assertLessEqual({"uuid", "published", "eventType", "version", "severity", "displayMessage", "actor",
                                  "client", "outcome", "target", "transaction", "debugContext", "authenticationContext",
                                  "legacyEventType"}, set(r))


class OktaPagingTest(OktaCase):
    def test_polling_walk_serves_every_fixture_once_in_persistence_order(self) -> None:
        records, replies = self.walk(q(since=SINCE, limit=7), bounded=False)
        self.assertEqual([r["uuid"] for r in records], UUIDS)
        self.assertEqual(len(replies), -(-len(UUIDS) // 7) + 1)  # full pages, then one empty page

    def test_bounded_walk_ascending_and_descending(self) -> None:
        records, replies = self.walk(q(since=SINCE, until=UNTIL, limit=7), bounded=True)
        self.assertEqual([r["uuid"] for r in records], UUIDS)
        self.assertEqual(len(replies), -(-len(UUIDS) // 7))  # no empty last page
        records, _ = self.walk(q(since=SINCE, until=UNTIL, limit=7, sortOrder="DESCENDING"), bounded=True)
        self.assertEqual([r["uuid"] for r in records], list(reversed(UUIDS)))
        records, _ = self.walk(q(since=SINCE, limit=5, sortOrder="DESCENDING"), bounded=True)  # until defaults to now
        self.assertEqual([r["uuid"] for r in records], list(reversed(UUIDS)))

    def test_every_limit_pages_the_same_records(self) -> None:
        for limit in (1, 2, 3, 43, 44, 45, 1000):
            with self.subTest(limit=limit):
                records, _ = self.walk(q(since=SINCE, until=UNTIL, limit=limit), bounded=True)
                self.assertEqual([r["uuid"] for r in records], UUIDS)
                records, _ = self.walk(q(since=SINCE, limit=limit), bounded=False)
                self.assertEqual([r["uuid"] for r in records], UUIDS)

    def test_link_headers(self) -> None:
        query = q(since=SINCE, limit=5, filter='eventType sw "user."', q="okta")
        reply = self.get(query, {**AUTH, "Host": f"localhost:{self.emu.port}"})
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.headers["Content-Type"], "application/json")
        self.assertEqual(len(reply.headers.get_all("Link")), 2)  # one header line per link, self first
        self.assertIn('rel="self"', reply.headers.get_all("Link")[0])
        rels = links(reply)
        self.assertEqual(rels["self"], f"http://localhost:{self.emu.port}{LOGS}?{query}")
        nxt = urllib.parse.urlsplit(rels["next"])
        self.assertEqual((nxt.scheme, nxt.netloc, nxt.path), ("http", f"localhost:{self.emu.port}", LOGS))
        params = urllib.parse.parse_qs(nxt.query)
        self.assertEqual(sorted(params), ["after", "filter", "limit", "q"])  # since is dropped
        self.assertEqual((params["filter"], params["limit"], params["q"]), (['eventType sw "user."'], ["5"], ["okta"]))
        self.assertRegex(params["after"][0], r"^[A-Za-z0-9_-]+$")
        self.assertRegex(reply.headers["X-Okta-Request-Id"], r"^req[A-Za-z0-9]{22}$")
        bounded = self.get(q(since=SINCE, until=UNTIL, limit=5))
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(links(bounded)["next"]).query)
        self.assertEqual(sorted(params), ["after", "limit", "until"])
        self.assertEqual(params["until"], [UNTIL])

    def test_default_limit_zero_and_max(self) -> None:
        self.emu.add_activities("okta", [record(f"00000000-0000-4000-8000-{i:012d}", "2024-05-22T00:00:00.000Z")
                                         for i in range(80)])
        self.assertEqual(len(self.get(q(since=SINCE)).json()), 100)
        self.assertEqual(len(self.get(q(since=SINCE, until=UNTIL)).json()), 100)
        self.assertEqual(len(self.get(q(since=SINCE, limit=1000)).json()), 124)
        empty = self.get(q(since=SINCE, limit=0))
        self.assertEqual((empty.json(), links(empty)["next"]), ([], links(empty)["self"]))
        self.assertEqual(self.get(q(since=SINCE, until=UNTIL, limit=0)).json(), [])

    def test_bounded_range_since_inclusive_until_exclusive(self) -> None:
        def uuids(since: str, until: str, **extra: Any) -> list[str]:
            reply = self.get(q(since=since, until=until, limit=1000, **extra))
            self.assertEqual(reply.status, 200, reply.body)
            self.assertNotIn("next", links(reply))
            return [r["uuid"] for r in reply.json()]
        midnight = [r["uuid"] for r in FIXTURES if r["published"] == "2024-05-16T00:00:00.000Z"]
        self.assertEqual(len(midnight), 1)
        self.assertEqual(uuids("2024-05-16T00:00:00Z", "2024-05-16T00:00:00.001Z"), midnight)
        self.assertEqual(uuids("2024-05-16T00:00:00Z", "2024-05-16T00:00:00Z"), [])
        self.assertNotIn(midnight[0], uuids("2024-05-15T00:00:00Z", "2024-05-16T00:00:00Z"))
        self.assertEqual(uuids("2024-05-16T02:00:00+02:00", "2024-05-16T00:00:00.001Z"), midnight)  # offsets
        expected = [r["uuid"] for r in FIXTURES if "2024-05-14" <= r["published"] < "2024-05-16"]
        self.assertEqual(uuids("2024-05-14T00:00:00Z", "2024-05-16T00:00:00Z"), expected)
        self.assertEqual(uuids("2024-05-14T00:00:00Z", "2024-05-16T00:00:00Z", sortOrder="DESCENDING"), expected[::-1])

    def test_ties_split_across_pages(self) -> None:
        tie = [r["uuid"] for r in FIXTURES if r["published"] == "2024-05-13T08:05:42.300Z"]
        self.assertEqual(len(tie), 2)
        records, replies = self.walk(q(since="2024-05-13T08:05:42.300Z", until="2024-05-13T08:05:42.301Z", limit=1), True)
        self.assertEqual(([r["uuid"] for r in records], len(replies)), (tie, 2))
        records, _ = self.walk(q(since="2024-05-13T08:05:42.300Z", until="2024-05-13T08:05:42.301Z", limit=1,
                                 sortOrder="DESCENDING"), True)
        self.assertEqual([r["uuid"] for r in records], tie[::-1])

    def test_polling_sees_late_records_once_even_with_an_older_published(self) -> None:
        records, replies = self.walk(q(since=SINCE, limit=10), bounded=False)
        tail = links(replies[-1])["next"]
        late = record("11111111-1111-4111-8111-111111111111", "2024-05-10T00:00:00.000Z")  # before every fixture
        newer = record("22222222-2222-4222-8222-222222222222", "2024-05-30T00:00:00.000Z")
        self.emu.add_activities("okta", [late, newer])
        reply = self.follow(tail)
        self.assertEqual([r["uuid"] for r in reply.json()], [late["uuid"], newer["uuid"]])
        again = self.follow(links(reply)["next"])
        self.assertEqual(again.json(), [])
        self.assertEqual(links(again)["next"], links(again)["self"])
        self.assertEqual(self.follow(tail).json(), reply.json())  # a next link can be replayed
        # A fresh poll from the newest fixture's time still finds the late record: it was persisted
        # after that fixture, so its persistence time is at least that fixture's published time.
        fresh = self.get(q(since=FIXTURES[-1]["published"])).json()
        self.assertEqual([r["uuid"] for r in fresh], [UUIDS[-1], late["uuid"], newer["uuid"]])
        # A bounded query puts it where its published time is.
        bounded = self.get(q(since=SINCE, until=UNTIL, limit=1000)).json()
        self.assertEqual(bounded[0]["uuid"], late["uuid"])
        self.assertEqual(bounded[-1]["uuid"], newer["uuid"])

    def test_bounded_walk_while_records_are_added(self) -> None:
        first = self.get(q(since=SINCE, until=UNTIL, limit=10))
        seen = [r["uuid"] for r in first.json()]
        behind = record("33333333-3333-4333-8333-333333333333", "2024-05-13T00:00:00.000Z")  # before the position
        ahead = record("44444444-4444-4444-8444-444444444444", "2024-05-25T00:00:00.000Z")
        self.emu.add_activities("okta", [behind, ahead])
        reply = self.follow(links(first)["next"])
        while True:
            seen += [r["uuid"] for r in reply.json()]
            if "next" not in links(reply):
                break
            reply = self.follow(links(reply)["next"])
        self.assertEqual(seen, UUIDS + [ahead["uuid"]])

    def test_polling_default_since_is_seven_days_before_now(self) -> None:
        reply = self.get(q(limit=10))  # every fixture is older than seven days
        self.assertEqual(reply.json(), [])
        self.assertEqual(links(reply)["next"], links(reply)["self"])
        recent = record("55555555-5555-4555-8555-555555555555",
                        time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 3600)))
        self.emu.add_activities("okta", [recent])
        self.assertEqual([r["uuid"] for r in self.follow(links(reply)["next"]).json()], [recent["uuid"]])
        self.assertEqual(self.get(q(until="")).json()[0]["uuid"], recent["uuid"])  # an empty until is absent


class OktaNowTest(OktaCase):
    emulator_args = ("--now", "2024-05-22T00:00:00Z")

    def test_defaults_follow_now(self) -> None:
        week = [r["uuid"] for r in FIXTURES if r["published"] >= "2024-05-15"]
        self.assertEqual([r["uuid"] for r in self.get(q(limit=1000)).json()], week)
        self.assertEqual([r["uuid"] for r in self.get(q(until="2024-05-22T00:00:00Z", limit=1000)).json()], week)
        self.assertEqual([r["uuid"] for r in self.get(q(sortOrder="DESCENDING", limit=1000)).json()], week[::-1])


class OktaFilterHttpTest(OktaCase):
    def uuids(self, **params: Any) -> list[str]:
        reply = self.get(q(since=SINCE, until=UNTIL, limit=1000, **params))
        self.assertEqual(reply.status, 200, reply.body)
        return [r["uuid"] for r in reply.json()]

    def expect(self, pred: Any) -> list[str]:
        return [r["uuid"] for r in FIXTURES if pred(r)]

    def test_filters(self) -> None:
        def targets(r: dict[str, Any]) -> set[str]:
            return {t["id"] for t in r["target"]}
        cases = {
            'eventType eq "user.session.start" and outcome.result eq "FAILURE"':
                lambda r: r["eventType"] == "user.session.start" and r["outcome"]["result"] == "FAILURE",
            f'actor.id eq "{OKTA_ADMIN_ID}"': lambda r: r["actor"]["id"] == OKTA_ADMIN_ID,
            f'actor.id ne "{OKTA_ADMIN_ID}"': lambda r: r["actor"]["id"] != OKTA_ADMIN_ID,
            'actor.type eq "SystemPrincipal"': lambda r: r["actor"]["type"] == "SystemPrincipal",
            'target.id eq "00u5em1r4oB8uX6zH0h7"': lambda r: "00u5em1r4oB8uX6zH0h7" in targets(r),
            'target.id eq "00u5em1r4oB8uX6zH0h7" and target.id eq "0oa3s1ackApp00000h7x"':
                lambda r: {"00u5em1r4oB8uX6zH0h7", "0oa3s1ackApp00000h7x"} <= targets(r),
            'client.ipAddress eq "2001:db8::7"': lambda r: r["client"]["ipAddress"] == "2001:db8::7",
            f'uuid eq "{UUIDS[5]}"': lambda r: r["uuid"] == UUIDS[5],
            'eventType sw "user.lifecycle"': lambda r: r["eventType"].startswith("user.lifecycle"),
            'eventType co "session"': lambda r: "session" in r["eventType"],
            'eventType ew "token"': lambda r: r["eventType"].endswith("token"),
            'outcome.reason pr': lambda r: bool(r["outcome"]["reason"]),
            'not (eventType sw "user.") Or severity EQ "WARN"':
                lambda r: not r["eventType"].startswith("user.") or r["severity"] == "WARN",
            '(eventType eq "user.session.end" or eventType eq "user.session.start") and actor.id eq "00u2bj4n8wQ5rT1yE0h7"':
                lambda r: r["eventType"] in ("user.session.end", "user.session.start") and r["actor"]["id"] == "00u2bj4n8wQ5rT1yE0h7",
            'transaction.type eq "JOB"': lambda r: r["transaction"]["type"] == "JOB",
            'client.geographicalContext.city eq "北京"': lambda r: r["client"]["geographicalContext"]["city"] == "北京",
            'debugContext.debugData.grantType eq "client_credentials"':
                lambda r: r["debugContext"]["debugData"].get("grantType") == "client_credentials",
            'authenticationContext.credentialType eq "OTP"': lambda r: r["authenticationContext"]["credentialType"] == "OTP",
        }
        for text, pred in cases.items():
            with self.subTest(filter=text):
                expected = self.expect(pred)
                self.assertTrue(expected)
                self.assertEqual(self.uuids(filter=text), expected)
                records, _ = self.walk(q(since=SINCE, limit=2, filter=text), bounded=False)
                self.assertEqual([r["uuid"] for r in records], expected)

    def test_keywords(self) -> None:
        self.assertEqual(self.uuids(q="björn"), self.expect(lambda r: "Björn" in json.dumps(r, ensure_ascii=False)))
        self.assertEqual(self.uuids(q="BERLIN user.session.start"),
                         self.expect(lambda r: r["eventType"] == "user.session.start" and r["client"]["geographicalContext"]["city"] == "Berlin"))
        self.assertEqual(self.uuids(q="dana.obrien@example.com"), self.expect(lambda r: "dana.obrien@example.com" in json.dumps(r)))
        self.assertEqual(self.uuids(q="evie"), self.expect(lambda r: "Evie" in json.dumps(r)))
        self.assertEqual(self.uuids(q="sess"), [])  # keywords match whole words only
        self.assertEqual(self.uuids(q=""), UUIDS)
        hyphen = self.expect(lambda r: "okta-sdk-python/2.9.2" in r["client"]["userAgent"]["rawUserAgent"])
        self.assertEqual(self.uuids(q="sdk"), hyphen)  # hyphenated values also match their parts
        self.assertEqual(self.uuids(q="okta-sdk-python"), hyphen)
        self.assertEqual(self.uuids(q="Francisco", filter='actor.type eq "User"'),
                         self.expect(lambda r: r["actor"]["type"] == "User" and r["client"]["geographicalContext"]["city"] == "San Francisco"))

    def test_filter_errors(self) -> None:
        def check(text: str, code: str, summary: str | None = None) -> None:
            self.assertOktaError(self.get(q(since=SINCE, filter=text)), 400, code, summary)
        check('displayMessage eqq "Create Okta user"', "E0000053",
              "Invalid filter 'displayMessage eqq \"Create Okta user\"': Unrecognized attribute operator 'eqq' "
              "at position 15. Expected: eq,ne,co,sw,ew,pr,gt,ge,lt,le")
        check('published gt "2024-05-01T00:00:00Z"', "E0000053")
        check('some_invalid_field eq "x"', "E0000053", "field is not valid: some_invalid_field")
        check('debugContext.debugData.url co "/oauth/"', "E0000031", "The supplied combination of operator and field is "
              "not currently supported. Operator: co, Field: debugContext.debugData.url")
        check('target[type eq "User"]', "E0000053")
        check('eventType eq "x" and', "E0000053")

    def test_parameter_errors(self) -> None:
        date_summary = ("Api validation failed: 'until': The date format in your query is not recognized. Please enter "
                        "dates using ISO8601 string format.. 'until': must be a valid date-time or empty.")
        body = self.assertOktaError(self.get(q(since=SINCE, until="yesterday")), 400, "E0000001", date_summary)
        self.assertEqual(body["errorCauses"], [
            {"errorSummary": "until: The date format in your query is not recognized. Please enter dates using ISO8601 string format."},
            {"errorSummary": "until: must be a valid date-time or empty."}])
        for since in ("2024-05-01", "2024-05-01T00:00:00", "2024-13-01T00:00:00Z", "1714521600"):
            with self.subTest(since=since):
                self.assertOktaError(self.get(q(since=since)), 400, "E0000001")
        for limit in ("-1", "1001", "abc", "1.5", "99999999999"):
            with self.subTest(limit=limit):
                body = self.assertOktaError(self.get(q(since=SINCE, limit=limit)), 400, "E0000001")
                self.assertTrue(body["errorSummary"].startswith("Api validation failed: 'limit':"))
                self.assertTrue(body["errorCauses"][0]["errorSummary"].startswith("limit: "))
        for order in ("asc", "ascending", "DESC", "random"):
            with self.subTest(sortOrder=order):
                self.assertOktaError(self.get(q(since=SINCE, sortOrder=order)), 400, "E0000001")
        self.assertOktaError(self.get(q(since=UNTIL, until=SINCE)), 400, "E0000001")
        self.assertOktaError(self.get(q(since=SINCE) + "&limit=5&limit=6"), 400, "E0000001")
        self.assertOktaError(self.get(q(q="a" * 41)), 400, "E0000001",
                             "Api validation failed: 'q': Freeform search cannot contain items longer than 40 characters. "
                             "Please shorten the items in your search or use an advanced filter to query by specific fields.")
        self.assertOktaError(self.get(q(q=" ".join(["w"] * 11))), 400, "E0000001")
        self.assertEqual(self.get(q(since=SINCE, q="a" * 40, unknown="ignored")).status, 200)

    def test_after_rules(self) -> None:
        first = self.get(q(since=SINCE, limit=5, filter='severity eq "INFO"'))
        nxt = links(first)["next"]
        after = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)["after"][0]
        self.assertEqual(self.follow(nxt).status, 200)
        self.assertOktaError(self.follow(nxt + "&since=2024-05-01T00:00:00Z"), 400, "E0000001")
        for query in [q(after=after, limit=5),  # without its filter
                      q(after=after, limit=5, filter='severity eq "WARN"'),
                      q(after=after, limit=5, filter='severity eq "INFO"', sortOrder="DESCENDING"),
                      q(after=after, limit=5, filter='severity eq "INFO"', until=UNTIL),
                      q(after=after[:-2], limit=5, filter='severity eq "INFO"'),
                      q(after="1715587331120_1", limit=5), q(after="not base64!")]:
            with self.subTest(query=query):
                self.assertOktaError(self.get(query), 400, "E0000029",
                                     "Invalid paging request. Ensure the pagination cursor has not been altered")
        self.assertEqual(self.get(q(after=after, limit=50, filter='severity eq "INFO"')).status, 200)  # limit may change
        bounded = links(self.get(q(since=SINCE, until=UNTIL, limit=5)))["next"]
        b_after = urllib.parse.parse_qs(urllib.parse.urlsplit(bounded).query)["after"][0]
        self.assertOktaError(self.get(q(after=b_after, limit=5)), 400, "E0000029")  # a bounded token while polling
        self.assertOktaError(self.get(q(after=b_after, limit=5, until="2024-05-31T00:00:00Z")), 400, "E0000029")


class OktaProtocolTest(OktaCase):
    def test_authentication(self) -> None:
        for headers in [None, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "SSWS wrong-token"},
                        {"Authorization": "SSWS"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}]:
            with self.subTest(headers=headers):
                body = self.assertOktaError(self.get(q(since=SINCE), headers), 401, "E0000011", "Invalid token provided")
                self.assertEqual(body["errorCauses"], [])
        self.assertEqual(self.get(q(since=SINCE), {"Authorization": f"ssws {TOKEN}"}).status, 200)

    def test_rate_limit_headers(self) -> None:
        reply = self.get(q(since=SINCE))
        now = int(time.time())
        self.assertEqual(reply.headers["X-Rate-Limit-Limit"], "120")
        self.assertLess(int(reply.headers["X-Rate-Limit-Remaining"]), 120)
        self.assertTrue(now <= int(reply.headers["X-Rate-Limit-Reset"]) <= now + 2)
        self.assertIn("X-Rate-Limit-Remaining", self.get(q(since=SINCE), None).headers)  # errors carry them too
        self.emu.faults({"path": "/api/v1/logs$", "kind": "status", "status": 429})
        reply = self.get(q(since=SINCE))
        now = int(time.time())
        self.assertOktaError(reply, 429, "E0000047", "API call exceeded rate limit due to too many requests.")
        self.assertEqual((reply.headers["X-Rate-Limit-Limit"], reply.headers["X-Rate-Limit-Remaining"]), ("120", "0"))
        self.assertTrue(now < int(reply.headers["X-Rate-Limit-Reset"]) <= now + 2)
        self.assertIsNone(reply.headers["Retry-After"])
        self.assertEqual(self.get(q(since=SINCE)).status, 200)

    def test_other_statuses_and_routes(self) -> None:
        self.emu.faults({"path": "/api/v1/logs$", "kind": "status", "status": 500})
        self.assertOktaError(self.get(q(since=SINCE)), 500, "E0000009", "Internal Server Error")
        self.assertOktaError(self.get(path="/api/v1/users"), 404, "E0000007")
        reply = http(self.emu.url + LOGS, "POST", AUTH, b"{}")
        self.assertOktaError(reply, 405, "E0000022")
        self.assertEqual(reply.headers["Allow"], "GET")

    def test_control_api_validates_okta_records(self) -> None:
        for bad in [[{"published": "2024-05-01T00:00:00Z", "eventType": "x"}],
                    [{"uuid": "x", "published": "yesterday", "eventType": "x"}],
                    [{"uuid": "x", "published": "2024-05-01T00:00:00Z"}],
                    [FIXTURES[0]],
                    [record("66666666-6666-4666-8666-666666666666", "2024-05-01T00:00:00Z")] * 2]:
            with self.subTest(bad=bad), self.assertRaises(RuntimeError):
                self.emu.add_activities("okta", bad)
        self.assertEqual(len(self.emu.control("GET", "activities/okta")), len(FIXTURES))

    def test_gzip(self) -> None:
        reply = self.get(q(since=SINCE, limit=3), {**AUTH, "Accept-Encoding": "gzip"})
        self.assertEqual(reply.headers["Content-Encoding"], "gzip")
        self.assertEqual(len(reply.json()), 3)


class OktaGenerateTest(OktaCase):
    emulator_args = ("--generate", "1200")

    def test_generated_records_poll_and_page_completely(self) -> None:
        records, replies = self.walk(q(since="2024-01-01T00:00:00Z", limit=500), bounded=False)
        self.assertEqual(len({r["uuid"] for r in records}), 1200)
        self.assertEqual(len(replies), 4)
        published = [parse_time(r["published"]) for r in records]
        self.assertEqual(published, sorted(published))
        self.assertLess(max(r["published"] for r in records), harness.GENERATE_ANCHOR)
        bounded, _ = self.walk(q(since="2024-01-01T00:00:00Z", until=harness.GENERATE_ANCHOR, limit=1000), bounded=True)
        self.assertEqual([r["uuid"] for r in bounded], [r["uuid"] for r in records])
        failed = self.get(q(since="2024-01-01T00:00:00Z", until=harness.GENERATE_ANCHOR, limit=1000,
                            filter='eventType eq "user.session.start" and outcome.result eq "FAILURE"')).json()
        self.assertTrue(failed)
        self.assertTrue(all(r["outcome"]["result"] == "FAILURE" for r in failed))

    def test_generation_is_deterministic(self) -> None:
        first = self.emu.control("GET", "activities/okta")
        with Emulator("--generate", "1200") as other:
            self.assertEqual(other.control("GET", "activities/okta"), first)


if __name__ == "__main__":
    unittest.main()
