"""The Duo emulator (tests/emulator/duo.py) behaves like the Admin API's authentication log (v2)
and administrator log (v1): HMAC request signing, Duo's error bodies, parameters, next_offset
keyset paging, the mintime-paged administrator log and its cap."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import sys
import time
import unittest
import urllib.parse
from typing import Any

import harness
from harness import DUO_API_HOST, DUO_IKEY, DUO_SKEY, TOKEN, Emulator, Reply, fixture_records, http

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
import duo  # noqa: E402

AUTH_LOG = "/admin/v2/logs/authentication"
ADMIN_LOG = "/admin/v1/logs/administrator"
NOW = "2024-06-01T00:00:00Z"  # the emulator's clock: the fixtures are within 180 days of it
NOW_MS = 1717200000000
MAY = [("mintime", "1714521600000"), ("maxtime", "1717199999999")]  # all of May 2024, inclusive
AUTHS = fixture_records("duo-auth")
ADMINS = fixture_records("duo-admin")


def ms_of(rec: dict[str, Any]) -> int:
    """The millisecond of isotimestamp (the first half of next_offset)."""
    when = dt.datetime.fromisoformat(rec["isotimestamp"])
    return int(when.timestamp()) * 1000 + when.microsecond // 1000


def key(rec: dict[str, Any]) -> tuple[int, str]:
    return ms_of(rec), rec["txid"]


def canon(date: str, method: str, host: str, path: str, params: list[tuple[str, str]]) -> str:
    """Canonicalization v2, written from duo_client_python (independent of duo.py)."""
    args = sorted((urllib.parse.quote(k, "~"), urllib.parse.quote(v, "~")) for k, v in params)
    return "\n".join([date, method.upper(), host.lower(), path, "&".join(f"{k}={v}" for k, v in args)])


def basic(ikey: str, sig: str) -> str:
    return "Basic " + base64.b64encode(f"{ikey}:{sig}".encode()).decode()


def auth_record(txid: str, iso: str, user: str = "DUA7K2P9QX4M1ZL8R3TB", **extra: Any) -> dict[str, Any]:
    when = dt.datetime.fromisoformat(iso)
    rec = {"txid": txid, "isotimestamp": iso, "timestamp": int(when.timestamp()), "event_type": "authentication",
           "result": "success", "reason": "user_approved", "factor": "duo_push",
           "user": {"key": user, "name": "late.user", "groups": []},
           "application": {"key": "DIY231J8BR23QK4UKBY8", "name": "Microsoft Azure Active Directory"},
           "access_device": {"ip": "198.51.100.9"}}
    rec.update(extra)
    return rec


# =========================================================================== canonicalization


class DuoCanonicalTest(unittest.TestCase):
    def test_documented_signing_example(self) -> None:
        """The example of Duo's API reference (its keys are the emulator's): signature 2d97d616…"""
        text = duo.canonical(2, "Tue, 21 Aug 2012 17:29:18 -0000", "post", "API-xxxxxxxx.duosecurity.com",
                             "/accounts/v1/account/list", [("username", "root"), ("realname", "First Last")])
        self.assertEqual(text, "Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n"
                               "/accounts/v1/account/list\nrealname=First%20Last&username=root")
        self.assertEqual(duo.signature(DUO_SKEY, text), "2d97d6166319781b5a3a07af39d366f491234edc")
        self.assertEqual(basic(DUO_IKEY, duo.signature(DUO_SKEY, text)),
                         "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MmQ5N2Q2MTY2MzE5NzgxYjVhM2EwN2FmMzlkMzY2ZjQ5MTIzNGVkYw==")

    def test_parameter_encoding_and_order(self) -> None:
        self.assertEqual(duo.canon_params([("next_offset", "1715679012345,5bea-1c1e"), ("b", "x y"), ("a", "~-_./@")]),
                         "a=~-_.%2F%40&b=x%20y&next_offset=1715679012345%2C5bea-1c1e")
        # sorted by name, then value; repeated names keep every value
        self.assertEqual(duo.canon_params([("users", "DUB"), ("users", "DUA"), ("limit", "5")]),
                         "limit=5&users=DUA&users=DUB")
        self.assertEqual(duo.canon_params([("q", "zoë")]), "q=zo%C3%AB")
        self.assertEqual(duo.canon_params([]), "")


# =========================================================================== helpers


class DuoCase(harness.EmulatorTestCase):
    emulator_args: tuple[str, ...] = ("--now", NOW)

    def signed(self, path: str, params: list[tuple[str, str]] | None = None, *, method: str = "GET",
               digest: str = "sha1", version: int = 2, ikey: str = DUO_IKEY, skey: str = DUO_SKEY,
               date: str | None = None, sign_host: str | None = None, send_host: str | None = None,
               sign_params: list[tuple[str, str]] | None = None, date_header: str = "Date",
               extra: dict[str, str] | None = None) -> Reply:
        params = list(params or [])
        date = date if date is not None else email.utils.formatdate()
        host = f"127.0.0.1:{self.emu.port}"
        text = canon(date, method, sign_host or send_host or host, path, params if sign_params is None else sign_params)
        if version == 5:
            text += "\n" + hashlib.sha512(b"").hexdigest() + "\n" + hashlib.sha512(b"").hexdigest()
        sig = hmac.new(skey.encode(), text.encode(), digest).hexdigest()
        headers = {"Authorization": basic(ikey, sig), date_header: date, **(extra or {})}
        if send_host:
            headers["Host"] = send_host
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return http(self.emu.url + path + (f"?{query}" if query else ""), method, headers)

    def auth_log(self, *params: tuple[str, str], rng: list[tuple[str, str]] = MAY) -> Reply:
        return self.signed(AUTH_LOG, rng + list(params))

    def ok(self, reply: Reply) -> Any:
        self.assertEqual(reply.status, 200, reply.body[:300])
        self.assertEqual(reply.headers.get("Content-Type"), "application/json")
        body = reply.json()
        self.assertEqual(body["stat"], "OK")
        return body["response"]

    def assertDuoError(self, reply: Reply, status: int, code: int, message: str, detail: str | None = None) -> None:
        self.assertEqual(reply.status, status, reply.body[:300])
        self.assertEqual(reply.headers.get("Content-Type"), "application/json")
        expected: dict[str, Any] = {"code": code, "message": message, "stat": "FAIL"}
        if detail is not None:
            expected["message_detail"] = detail
        self.assertEqual(reply.json(), expected)

    def assertBadParam(self, reply: Reply, detail: str) -> None:
        self.assertDuoError(reply, 400, 40002, "Invalid request parameters", detail)

    def walk(self, *params: tuple[str, str], limit: int = 7, rng: list[tuple[str, str]] = MAY,
             joined: bool = True) -> list[dict[str, Any]]:
        """Every page of a query, following metadata.next_offset."""
        out: list[dict[str, Any]] = []
        offset: list[str] | None = None
        totals = set()
        while True:
            extra = [] if offset is None else ([("next_offset", ",".join(offset))] if joined else
                                               [("next_offset", offset[0]), ("next_offset", offset[1])])
            page = self.ok(self.auth_log(("limit", str(limit)), *params, *extra, rng=rng))
            self.assertLessEqual(len(page["authlogs"]), limit)
            totals.add(page["metadata"]["total_objects"])
            out += page["authlogs"]
            offset = page["metadata"]["next_offset"]
            if offset is None:
                break
            self.assertEqual(len(page["authlogs"]), limit)
            self.assertEqual(offset, [str(ms_of(page["authlogs"][-1])), page["authlogs"][-1]["txid"]])
        self.assertEqual(totals, {len(out)})
        return out


# =========================================================================== signing


class DuoAuthenticationTest(DuoCase):
    def test_signed_requests_are_accepted(self) -> None:
        self.ok(self.auth_log())
        self.ok(self.signed(AUTH_LOG, MAY, digest="sha512"))
        self.ok(self.signed(AUTH_LOG, MAY, digest="sha512", version=5))  # duo_client_python's default
        self.ok(self.signed(AUTH_LOG, MAY, date_header="X-Duo-Date"))
        self.ok(self.signed(AUTH_LOG, MAY, date=email.utils.formatdate(time.time() - 240)))
        self.ok(self.signed(AUTH_LOG, MAY, date=email.utils.formatdate(time.time() + 240)))
        self.ok(self.signed(AUTH_LOG, MAY, date=time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())))
        self.ok(self.signed(AUTH_LOG, MAY, date=email.utils.formatdate(usegmt=True)))
        self.ok(self.signed(AUTH_LOG, MAY, send_host=DUO_API_HOST))  # the Host sent is the host signed
        self.ok(self.signed(AUTH_LOG, MAY, send_host=DUO_API_HOST.upper()))
        self.ok(self.signed(ADMIN_LOG))
        # the URL's own encoding does not matter: the canonical form is rebuilt from the values
        date = email.utils.formatdate()
        params = MAY + [("users", "DUA7K2P9QX4M1ZL8R3TB"), ("next_offset", "x y")]
        sig = hmac.new(DUO_SKEY.encode(), canon(date, "GET", f"127.0.0.1:{self.emu.port}", AUTH_LOG, params).encode(),
                       "sha1").hexdigest()
        query = "mintime=1714521600000&maxtime=1717199999999&users=DUA7K2P9QX4M1ZL8R3TB&next_offset=x+y"
        reply = http(f"{self.emu.url}{AUTH_LOG}?{query}", headers={"Date": date, "Authorization": basic(DUO_IKEY, sig)})
        self.assertBadParam(reply, "next_offset")  # past authentication

    def test_refusals(self) -> None:
        missing = ("Missing request credentials", 40101)
        for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Basic !!!"},
                        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}):
            reply = http(f"{self.emu.url}{AUTH_LOG}?mintime=1714521600000&maxtime=1717199999999",
                         headers={"Date": email.utils.formatdate(), **headers})
            self.assertDuoError(reply, 401, missing[1], missing[0])
        self.assertDuoError(self.signed(AUTH_LOG, MAY, ikey="DIXXXXXXXXXXXXXXXXXX"), 401, 40102,
                            "Invalid integration key in request credentials")
        localized = time.strftime("Mi, %d %b %Y %H:%M:%S -0000", time.gmtime())  # a German day name
        for date in ("", "yesterday", localized, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())):
            self.assertDuoError(self.signed(AUTH_LOG, MAY, date=date), 401, 40104, "Missing request timestamp")
        for skew in (-400, 400, -86400):
            self.assertDuoError(self.signed(AUTH_LOG, MAY, date=email.utils.formatdate(time.time() + skew)), 401,
                                40105, "Bad request timestamp")
        invalid = (401, 40103, "Invalid signature in request credentials")
        self.assertDuoError(self.signed(AUTH_LOG, MAY, skey="wrong-secret"), *invalid)
        self.assertDuoError(self.signed(AUTH_LOG, MAY, sign_host=DUO_API_HOST), *invalid)  # sent to 127.0.0.1
        self.assertDuoError(self.signed(AUTH_LOG, MAY, sign_host="127.0.0.1"), *invalid)  # the port is signed
        self.assertDuoError(self.signed(AUTH_LOG, MAY + [("limit", "6")], sign_params=MAY + [("limit", "5")]), *invalid)
        self.assertDuoError(self.signed(AUTH_LOG, MAY + [("limit", "5")], sign_params=MAY), *invalid)
        self.assertDuoError(self.signed(AUTH_LOG, MAY, digest="sha256"), *invalid)
        self.assertDuoError(self.signed(AUTH_LOG, MAY, digest="sha1", version=5), *invalid)
        date = email.utils.formatdate()
        stale = self.signed(AUTH_LOG, MAY, date=date, date_header="X-Duo-Date", extra={"Date": "Mon, 01 Jan 2024 00:00:00 -0000"})
        self.assertEqual(stale.status, 200)  # X-Duo-Date is the one signed and checked
        # an upper-case hex signature is not Duo's form
        text = canon(date, "GET", f"127.0.0.1:{self.emu.port}", AUTH_LOG, MAY)
        sig = hmac.new(DUO_SKEY.encode(), text.encode(), "sha1").hexdigest().upper()
        reply = http(f"{self.emu.url}{AUTH_LOG}?{urllib.parse.urlencode(MAY)}",
                     headers={"Date": date, "Authorization": basic(DUO_IKEY, sig)})
        self.assertDuoError(reply, *invalid)
        # the administrator log and unknown paths are signed the same way
        self.assertDuoError(http(self.emu.url + ADMIN_LOG), 401, 40101, "Missing request credentials")
        self.assertDuoError(self.signed(ADMIN_LOG, [("mintime", "0")], sign_params=[("mintime", "1")]), *invalid)

    def test_paths_methods_and_faults(self) -> None:
        self.assertDuoError(self.signed("/admin/v1/users"), 404, 40401, "Resource not found")
        self.assertDuoError(http(self.emu.url + "/admin/v1/users"), 401, 40101, "Missing request credentials")
        reply = self.signed(AUTH_LOG, MAY, method="POST")
        self.assertDuoError(reply, 405, 40501, "Method not allowed")
        self.assertEqual(reply.headers.get("Allow"), "GET")
        self.emu.faults({"path": "/admin/v2/logs/authentication$", "kind": "status", "status": 429},
                        {"path": "/admin/v1/logs/administrator$", "kind": "status", "status": 503})
        reply = self.auth_log()
        self.assertDuoError(reply, 429, 42901, "Too Many Requests")
        self.assertIsNone(reply.headers.get("Retry-After"))  # Duo sends no rate-limit headers
        self.assertDuoError(self.signed(ADMIN_LOG), 503, 50301, "Service temporarily unavailable")
        self.ok(self.auth_log())
        self.assertEqual(duo.default_error(401).status, 401)
        self.assertEqual(json.loads(duo.default_error(400).body)["code"], 40002)


# =========================================================================== authentication log


class DuoAuthLogTest(DuoCase):
    def test_every_fixture_once_newest_first_for_every_limit(self) -> None:
        expected = sorted(AUTHS, key=key, reverse=True)
        for limit in (1, 2, 5, 7, 47, 48, 100):
            with self.subTest(limit=limit):
                self.assertEqual(self.walk(limit=limit), expected)
        page = self.ok(self.auth_log())  # default limit 100: everything, and no next_offset
        self.assertEqual(page["authlogs"], expected)
        self.assertEqual(page["metadata"], {"next_offset": None, "total_objects": len(AUTHS)})

    def test_ascending(self) -> None:
        expected = sorted(AUTHS, key=key)
        self.assertEqual(self.walk(("sort", "ts:asc"), limit=5), expected)
        self.assertEqual(self.walk(("sort", "ts:asc"), limit=5, joined=False), expected)
        self.assertEqual(self.walk(("sort", "ts:desc"), limit=5, joined=False), expected[::-1])

    def test_ties_share_a_millisecond_and_split_across_pages(self) -> None:
        tied = [r for r in AUTHS if ms_of(r) == 1715679012345]
        self.assertEqual(len(tied), 2)
        rng = [("mintime", "1715679012000"), ("maxtime", "1715679012999")]  # the tied second: three records
        for sort in ("ts:asc", "ts:desc"):
            got = self.walk(("sort", sort), limit=1, rng=rng)
            self.assertEqual(len(got), 3)
            self.assertEqual(got, sorted(got, key=key, reverse=sort == "ts:desc"))
            self.assertEqual({r["txid"] for r in got} >= {r["txid"] for r in tied}, True)

    def test_time_bounds_are_inclusive_milliseconds(self) -> None:
        rec = sorted(AUTHS, key=key)[10]
        at = ms_of(rec)
        page = self.ok(self.auth_log(rng=[("mintime", str(at)), ("maxtime", str(at + 1))]))
        self.assertIn(rec["txid"], [r["txid"] for r in page["authlogs"]])
        page = self.ok(self.auth_log(rng=[("mintime", str(at - 1)), ("maxtime", str(at))]))
        self.assertIn(rec["txid"], [r["txid"] for r in page["authlogs"]])
        page = self.ok(self.auth_log(rng=[("mintime", str(at + 1)), ("maxtime", str(at + 2))]))
        self.assertNotIn(rec["txid"], [r["txid"] for r in page["authlogs"]])
        # record.timestamp is in seconds: the range works on the millisecond of isotimestamp
        self.assertEqual(rec["timestamp"], at // 1000)

    def test_filters(self) -> None:
        def txids(*params: tuple[str, str]) -> set[str]:
            return {r["txid"] for r in self.walk(*params, limit=10)}

        def where(pred: Any) -> set[str]:
            return {r["txid"] for r in AUTHS if pred(r)}

        alice, bob = "DUA7K2P9QX4M1ZL8R3TB", "DUB3N8W1HC6Y0TJ5V2QE"
        self.assertEqual(txids(("users", alice)), where(lambda r: r["user"]["key"] == alice))
        self.assertEqual(txids(("users", alice), ("users", bob)), where(lambda r: r["user"]["key"] in (alice, bob)))
        self.assertEqual(txids(("applications", "DIQ7W2E5R8T1Y4U6I9O3")),
                         where(lambda r: r["application"]["key"] == "DIQ7W2E5R8T1Y4U6I9O3"))
        failed = where(lambda r: r["result"] in ("denied", "fraud"))
        self.assertEqual(txids(("results", "denied"), ("results", "fraud")), failed)
        self.assertTrue(failed)
        self.assertEqual(txids(("event_types", "enrollment")), where(lambda r: r["event_type"] == "enrollment"))
        self.assertEqual(txids(("factors", "duo_push"), ("reasons", "user_approved")),
                         where(lambda r: r["factor"] == "duo_push" and r["reason"] == "user_approved"))
        self.assertEqual(txids(("groups", "DGVPN9H3J6K0L2Z5X8CQ")), where(lambda r: "VPN Users" in r["user"]["groups"]))
        self.assertEqual(txids(("users", alice), ("results", "success")),
                         where(lambda r: r["user"]["key"] == alice and r["result"] == "success"))
        self.assertEqual(txids(("users", "DUNOBODY000000000000")), set())
        self.assertEqual(txids(("assessment", "deny")), set())  # the fixtures carry no risk data
        page = self.ok(self.auth_log(("results", "success")))
        self.assertEqual(page["metadata"]["total_objects"], len(where(lambda r: r["result"] == "success")))

    def test_parameter_errors(self) -> None:
        start, end = MAY[0][1], MAY[1][1]
        self.assertDuoError(self.signed(AUTH_LOG, [("maxtime", end)]), 400, 40001, "Missing required request parameters",
                            "mintime")
        self.assertDuoError(self.signed(AUTH_LOG, [("mintime", start)]), 400, 40001,
                            "Missing required request parameters", "maxtime")
        for bad in ("1714521600", "17145216000000", "", "17145216000x0", "-714521600000"):
            self.assertBadParam(self.signed(AUTH_LOG, [("mintime", bad), ("maxtime", end)]),
                                "'mintime' must be a timestamp in milliseconds")
            self.assertBadParam(self.signed(AUTH_LOG, [("mintime", start), ("maxtime", bad)]),
                                "'maxtime' must be a timestamp in milliseconds")
        self.assertBadParam(self.signed(AUTH_LOG, [("mintime", end), ("maxtime", end)]), "mintime")
        self.assertBadParam(self.signed(AUTH_LOG, [("mintime", end), ("maxtime", start)]), "mintime")
        old = str(NOW_MS - 180 * 86_400_000 - 1)
        self.assertBadParam(self.signed(AUTH_LOG, [("mintime", old), ("maxtime", end)]),
                            "mintime must be within the past 180 days")
        self.ok(self.signed(AUTH_LOG, [("mintime", str(NOW_MS - 180 * 86_400_000 + 1000)), ("maxtime", end)]))
        for limit in ("0", "1001", "-1", "ten", "", "99999"):
            self.assertBadParam(self.auth_log(("limit", limit)), "limit")
        self.ok(self.auth_log(("limit", "1000")))
        self.ok(self.auth_log(("limit", "1")))
        for sort in ("desc", "timestamp:asc", "TS:ASC", ""):
            self.assertBadParam(self.auth_log(("sort", sort)), "sort")
        self.assertBadParam(self.auth_log(("limit", "5"), ("limit", "5")), "limit")
        self.assertBadParam(self.signed(AUTH_LOG, MAY + [("mintime", start)]), "mintime")
        self.assertBadParam(self.auth_log(("offset", "0")), "Received unexpected parameters")
        self.assertBadParam(self.auth_log(("api_version", "2")), "Received unexpected parameters")
        self.assertBadParam(self.auth_log(("results", "failure")), "results")
        self.assertBadParam(self.auth_log(("event_types", "login")), "event_types")
        self.assertBadParam(self.auth_log(("users", "")), "users")
        for offset in ("1715679012345", "abc,def", "1715679012345,", ",x", "1,2,3", "171567901234,x"):
            self.assertBadParam(self.auth_log(("next_offset", offset)), "next_offset")

    def test_next_offset_is_bound_to_its_query(self) -> None:
        alice = "DUA7K2P9QX4M1ZL8R3TB"
        page = self.ok(self.auth_log(("users", alice), ("limit", "2")))
        offset = ",".join(page["metadata"]["next_offset"])
        self.ok(self.auth_log(("users", alice), ("limit", "2"), ("next_offset", offset)))
        self.ok(self.auth_log(("users", alice), ("limit", "2"), ("sort", "ts:asc"), ("next_offset", offset)))
        self.ok(self.auth_log(("limit", "2"), ("next_offset", offset)))  # a superset of the query still holds it
        self.assertBadParam(self.auth_log(("users", "DUB3N8W1HC6Y0TJ5V2QE"), ("next_offset", offset)), "next_offset")
        self.assertBadParam(self.auth_log(("results", "fraud"), ("users", alice), ("next_offset", offset)),
                            "next_offset")
        ms = int(page["metadata"]["next_offset"][0])
        self.assertBadParam(self.auth_log(("users", alice), ("next_offset", offset),
                                          rng=[("mintime", str(ms + 1)), ("maxtime", MAY[1][1])]), "next_offset")
        txid = page["metadata"]["next_offset"][1]
        self.assertBadParam(self.auth_log(("next_offset", f"{ms + 1},{txid}")), "next_offset")
        self.assertBadParam(self.auth_log(("next_offset", f"{ms},5bea1c1e-612c-4f1d-b310-75fd31385b15")), "next_offset")

    def test_newest_two_minutes_are_withheld(self) -> None:
        fresh = auth_record("a0000000-0000-4000-8000-000000000001", "2024-05-31T23:59:00.000001+00:00")
        settled = auth_record("a0000000-0000-4000-8000-000000000002", "2024-05-31T23:57:59.999000+00:00")
        self.emu.add_activities("duo-auth", [fresh, settled])
        rng = [("mintime", "1717199000000"), ("maxtime", str(NOW_MS))]
        page = self.ok(self.auth_log(rng=rng))
        self.assertEqual([r["txid"] for r in page["authlogs"]], [settled["txid"]])
        self.assertEqual(page["metadata"]["total_objects"], 1)

    def test_records_added_while_paging(self) -> None:
        before = sorted(AUTHS, key=key)
        page = self.ok(self.auth_log(("limit", "5"), ("sort", "ts:asc")))
        served = page["authlogs"]
        later = auth_record("b0000000-0000-4000-8000-000000000001", "2024-05-25T12:00:00.000001+00:00")
        earlier = auth_record("b0000000-0000-4000-8000-000000000002", "2024-05-01T00:00:00.500000+00:00")
        self.emu.add_activities("duo-auth", [later, earlier])
        offset = page["metadata"]["next_offset"]
        rest = self.walk(("sort", "ts:asc"), limit=5)  # a fresh walk sees both
        self.assertEqual(len(rest), len(before) + 2)
        got = list(served)
        while offset is not None:
            page = self.ok(self.auth_log(("limit", "5"), ("sort", "ts:asc"), ("next_offset", ",".join(offset))))
            got += page["authlogs"]
            offset = page["metadata"]["next_offset"]
        ids = [r["txid"] for r in got]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn(later["txid"], ids)  # after the cursor: served on a later page
        self.assertNotIn(earlier["txid"], ids)  # before the cursor: left for the next poll
        self.assertEqual(got, sorted(before + [later], key=key))

    def test_control_api_validates_records(self) -> None:
        good = auth_record("c0000000-0000-4000-8000-000000000001", "2024-05-26T08:00:00.250000+00:00")
        for bad in ({**good, "txid": ""}, {k: v for k, v in good.items() if k != "txid"},
                    {**good, "timestamp": good["timestamp"] + 1}, {**good, "timestamp": "1716710400"},
                    {**good, "isotimestamp": "2024-05-26 08:00:00"}, {**good, "txid": AUTHS[0]["txid"]}):
            reply = http(self.emu.url + "/_emulator/activities/duo-auth", "POST", {"Content-Type": "application/json"},
                         json.dumps([bad]).encode())
            self.assertEqual(reply.status, 400, bad)
        self.emu.add_activities("duo-auth", [good])
        with self.assertRaises(RuntimeError):
            self.emu.add_activities("duo-auth", [good])

    def test_fixture_content(self) -> None:
        self.assertTrue(30 <= len(AUTHS) <= 60)
        for rec in AUTHS:
            self.assertTrue(rec["isotimestamp"].startswith("2024-05-") and rec["isotimestamp"].endswith("+00:00"))
            self.assertEqual(rec["timestamp"], ms_of(rec) // 1000)
            self.assertRegex(rec["user"]["key"], r"^DU[0-9A-Z]{18}$")
            self.assertRegex(rec["application"]["key"], r"^DI[0-9A-Z]{18}$")
        self.assertGreaterEqual(len({r["user"]["key"] for r in AUTHS}), 4)
        self.assertGreaterEqual(len({r["isotimestamp"][:10] for r in AUTHS}), 10)
        self.assertEqual({r["result"] for r in AUTHS}, {"success", "denied", "fraud", "error"})
        self.assertEqual({r["event_type"] for r in AUTHS}, {"authentication", "enrollment"})
        odd = [r for r in AUTHS if "\t" in (r["auth_device"]["name"] or "")]
        self.assertEqual(len(odd), 1)
        self.assertIn('"', odd[0]["application"]["name"])
        self.assertIn("ü", odd[0]["application"]["name"])
        self.assertIn("ë", odd[0]["user"]["name"])
        served = self.auth_log(("applications", odd[0]["application"]["key"])).decoded()
        self.assertIn(b'\\t(+49', served)  # the tab travels escaped
        self.assertEqual(json.loads(served)["response"]["authlogs"], [odd[0]])


# =========================================================================== administrator log


class DuoAdminLogTest(DuoCase):
    def admin_log(self, *params: tuple[str, str]) -> list[dict[str, Any]]:
        return self.ok(self.signed(ADMIN_LOG, list(params)))

    def test_oldest_first_with_inclusive_mintime_in_seconds(self) -> None:
        self.assertEqual(self.admin_log(), ADMINS)
        self.assertEqual(self.admin_log(("mintime", "0")), ADMINS)
        rec = ADMINS[10]
        self.assertEqual(self.admin_log(("mintime", str(rec["timestamp"]))), ADMINS[10:])
        self.assertEqual(self.admin_log(("mintime", str(rec["timestamp"] + 1))), ADMINS[11:])
        self.assertEqual(self.admin_log(("mintime", str(ADMINS[-1]["timestamp"] + 1))), [])
        self.assertEqual(self.admin_log(("mintime", "1715860000000")), [])  # milliseconds: far in the future

    def test_errors(self) -> None:
        for bad in ("", "abc", "-5", "1.5"):
            self.assertBadParam(self.signed(ADMIN_LOG, [("mintime", bad)]), "mintime")
        self.assertBadParam(self.signed(ADMIN_LOG, [("mintime", "1"), ("mintime", "2")]), "mintime")
        for name in ("limit", "maxtime", "next_offset", "offset"):
            self.assertBadParam(self.signed(ADMIN_LOG, [("mintime", "0"), (name, "1")]), "Received unexpected parameters")
        reply = self.signed(ADMIN_LOG, method="DELETE")
        self.assertDuoError(reply, 405, 40501, "Method not allowed")

    def test_records_added_appear_on_the_next_call(self) -> None:
        last = ADMINS[-1]["timestamp"]
        late = {"action": "user_delete", "description": '{"email": "late@example.com"}',
                "isotimestamp": "2024-05-31T12:00:00+00:00", "object": "late", "timestamp": 1717156800,
                "username": "Dana Whitfield"}
        self.emu.add_activities("duo-admin", [late])
        self.assertEqual(self.admin_log(("mintime", str(last + 1))), [late])
        for bad in ({**late, "action": ""}, {**late, "timestamp": 1.5}, {**late, "timestamp": 1717156801},
                    {k: v for k, v in late.items() if k != "timestamp"}):
            reply = http(self.emu.url + "/_emulator/activities/duo-admin", "POST", {"Content-Type": "application/json"},
                         json.dumps([bad]).encode())
            self.assertEqual(reply.status, 400, bad)
        self.emu.add_activities("duo-admin", [late])  # no id: the same record may come twice

    def test_fixture_content(self) -> None:
        self.assertTrue(30 <= len(ADMINS) <= 60)
        self.assertEqual([r["timestamp"] for r in ADMINS], sorted(r["timestamp"] for r in ADMINS))
        actions = {r["action"] for r in ADMINS}
        self.assertTrue({"admin_login", "admin_login_error", "user_create", "user_update", "user_delete"} <= actions)
        stamps = [r["timestamp"] for r in ADMINS]
        self.assertTrue(any(stamps.count(t) >= 3 for t in stamps))
        for rec in ADMINS:
            self.assertNotIn("txid", rec)
            self.assertEqual(rec["isotimestamp"], dt.datetime.fromtimestamp(rec["timestamp"], dt.timezone.utc).isoformat())
            self.assertIsInstance(json.loads(rec["description"]), dict)
        odd = [r for r in ADMINS if "\\u0007" in r["description"]]
        self.assertEqual(len(odd), 1)
        self.assertIn("ë", odd[0]["object"])
        self.assertIn('"Zo\u00eb"', json.loads(odd[0]["description"])["notes"])


class DuoAdminCapTest(DuoCase):
    emulator_args = ("--now", NOW, "--duo-admin-page", "5")

    def test_cap_oldest_first_and_seconds_never_split(self) -> None:
        stamps = [r["timestamp"] for r in ADMINS]
        tie = next(t for t in stamps if stamps.count(t) >= 3)
        first = stamps.index(tie)
        start = ADMINS[first - 3]["timestamp"]  # five from here would end inside the tied second
        page = self.ok(self.signed(ADMIN_LOG, [("mintime", str(start))]))
        self.assertEqual(page, ADMINS[first - 3:first + stamps.count(tie)])
        self.assertEqual(len(page), 3 + stamps.count(tie))
        # the mintime = last + 1 walk gets every record once
        got: list[dict[str, Any]] = []
        mintime = 0
        while True:
            page = self.ok(self.signed(ADMIN_LOG, [("mintime", str(mintime))]))
            if not page:
                break
            self.assertGreaterEqual(len(page), min(5, len(ADMINS) - len(got)))
            got += page
            mintime = page[-1]["timestamp"] + 1
        self.assertEqual(got, ADMINS)

    def test_flag_is_validated(self) -> None:
        emu = Emulator("--duo-admin-page", "0")
        with self.assertRaises(RuntimeError):
            emu.start()


# =========================================================================== volume


class DuoGeneratedTest(DuoCase):
    emulator_args = ("--generate", "2500", "--now", "2024-07-01T00:05:00Z")  # past the 2-minute delay

    def test_generated_volume_pages_completely(self) -> None:
        rng = [("mintime", "1719640800000"), ("maxtime", "1719791999999")]  # the generated window, and more
        got = self.walk(("sort", "ts:asc"), limit=1000, rng=rng)
        self.assertEqual(len(got), 2500)
        self.assertEqual(len({r["txid"] for r in got}), 2500)
        self.assertEqual(got, sorted(got, key=key))
        self.assertBadParam(self.auth_log(("limit", "1001"), rng=rng), "limit")
        admins: list[dict[str, Any]] = []
        mintime = 0
        while True:
            page = self.ok(self.signed(ADMIN_LOG, [("mintime", str(mintime))]))
            if not page:
                break
            self.assertGreaterEqual(len(page), min(1000, 2500 - len(admins)))
            admins += page
            mintime = page[-1]["timestamp"] + 1
        self.assertEqual(len(admins), 2500)
        self.assertEqual([r["timestamp"] for r in admins], sorted(r["timestamp"] for r in admins))


if __name__ == "__main__":
    unittest.main()
