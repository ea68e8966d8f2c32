"""Times people type and read, and one printing order on every provider (issue 15, "Times" and
--order).

- --since/--until take a date (midnight), a date and time without an offset (read in --tz, UTC
  by default), compound ages (1h30m) and today/yesterday; --explain -o json shows the window
  they became.
- --tz local|UTC|Area/City shows the table's times in that zone with its offset; JSON, NDJSON
  and CSV stay UTC; an unknown zone is exit 2.
- list --order newest|oldest prints in that order on every provider whose order is known: asked
  of the API where the definition says how, else reversed here (in memory, past
  AUDITFETCH_ORDER_MEMORY activities in a temporary file: the same bytes); -v and --explain say
  which.

Expected orders come from the printed created_at values and from the fixtures, never from
auditfetch's own account of what it did.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import unittest
from pathlib import Path
from typing import Any

from harness import EmulatorTestCase, run_auditfetch
from provider_case import ndjson, parse_time
from test_matrix import MATRIX, Provider, definition

WINDOW = ("2024-05-01", "2024-06-01")  # dates: midnight UTC, the matrix's window
# Providers whose definitions name a value that asks the API for each order (no reversal).
SORTS_SERVER_SIDE = {"okta", "github", "entra-audits", "entra-signins", "zendesk", "duo-auth"}
UNSPECIFIED = {"truto"}
# The order an API keeps, where it is not created_at: Auth0 pages by log_id, which can put an
# event a second out of step with its date (README, auth0). --order keeps that order.
ORDER_KEY = {"auth0": lambda a: a["remote_data"]["log_id"]}


def expected_keeping(provider: str, order: str) -> str:
    """How --order ORDER is kept, from the definition: asked, served as is, or reversed here."""
    spec = definition(provider)["list"]["order"]
    if isinstance(spec, dict) and f"{order}_first" in spec:
        return "asked of the API"
    default = spec["default"] if isinstance(spec, dict) else spec
    return "as served" if default == f"{order}_first" else "reversed here"
OKTA = next(p for p in MATRIX if p.name == "okta")
PINGONE = next(p for p in MATRIX if p.name == "pingone")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def explain_window(emu_url: str, provider: Provider, *args: str, env: dict[str, str | None] | None = None):
    result = run_auditfetch("list", *provider.args(emu_url), *args, "--explain", "-o", "json",
                            env={**provider.env, **(env or {})})
    return result, (json.loads(result.stdout)["window"] if result.returncode == 0 else None)


class TimeArgumentsTest(EmulatorTestCase):
    """The window --explain reports for each form of --since/--until (Okta: both are parameters)."""

    def window(self, *args: str, env: dict[str, str | None] | None = None) -> tuple[str, str]:
        result, window = explain_window(self.emu.url, OKTA, *args, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return window["since"], window["until"]

    def test_a_date_is_midnight_and_a_time_without_offset_is_utc(self) -> None:
        self.assertEqual(self.window("--since", "2024-05-01", "--until", "2024-05-02T10:00"),
                         ("2024-05-01T00:00:00.000Z", "2024-05-02T10:00:00.000Z"))
        self.assertEqual(self.window("--since", "2024-05-01 10:00:00", "--until", "2024-05-01 10:00:30.250"),
                         ("2024-05-01T10:00:00.000Z", "2024-05-01T10:00:30.250Z"))
        # The same as RFC 3339 with Z, and an offset written out still counts.
        self.assertEqual(self.window("--since", "2024-05-01T00:00:00Z", "--until", "2024-05-02T12:00:00+02:00"),
                         ("2024-05-01T00:00:00.000Z", "2024-05-02T10:00:00.000Z"))

    def test_tz_reads_zone_less_times_in_that_zone(self) -> None:
        self.assertEqual(self.window("--tz", "Europe/Paris", "--since", "2024-05-01", "--until", "2024-05-02T10:00"),
                         ("2024-04-30T22:00:00.000Z", "2024-05-02T08:00:00.000Z"))
        self.assertEqual(self.window("--tz", "Europe/Paris", "--since", "2024-01-15"),
                         ("2024-01-14T23:00:00.000Z", None))  # winter: +01:00
        # local: TZ, as the C library reads it
        self.assertEqual(self.window("--tz", "local", "--since", "2024-05-01", env={"TZ": "America/New_York"}),
                         ("2024-05-01T04:00:00.000Z", None))
        self.assertEqual(self.window("--tz", "local", "--since", "2024-05-01", env={"TZ": ":Asia/Tokyo"}),
                         ("2024-04-30T15:00:00.000Z", None))
        self.assertEqual(self.window("--tz", "UTC", "--since", "2024-05-01", env={"TZ": "Asia/Tokyo"}),
                         ("2024-05-01T00:00:00.000Z", None))
        # Without --tz, TZ does not matter: zone-less times are UTC.
        self.assertEqual(self.window("--since", "2024-05-01", env={"TZ": "Asia/Tokyo"}),
                         ("2024-05-01T00:00:00.000Z", None))

    def test_compound_ages_and_today_yesterday(self) -> None:
        since, until = self.window("--since", "1h30m", "--until", "now")
        self.assertEqual(utc(until) - utc(since), dt.timedelta(minutes=90))
        since, until = self.window("--since", "2d12h", "--until", "now")
        self.assertEqual(utc(until) - utc(since), dt.timedelta(days=2, hours=12))
        since, until = self.window("--since", "yesterday", "--until", "today")
        self.assertEqual(utc(until) - utc(since), dt.timedelta(days=1))
        self.assertEqual(utc(until).time(), dt.time(0, 0))
        self.assertLessEqual(utc(until), dt.datetime.now(dt.timezone.utc))
        # Midnight in --tz: Tokyo is 9 hours ahead, so its midnight is 15:00 UTC.
        since, until = self.window("--tz", "Asia/Tokyo", "--since", "yesterday", "--until", "today")
        self.assertEqual((utc(since).time(), utc(until) - utc(since)), (dt.time(15, 0), dt.timedelta(days=1)))

    def test_bad_times_and_zones_are_usage_errors(self) -> None:
        for args, needle in [(("--since", "30m1h"), "--since: '30m1h' is not a time"),
                             (("--since", "2024-05-32"), "--since: '2024-05-32' is not a time"),
                             (("--until", "2024-05-01T10"), "--until: '2024-05-01T10' is not a time"),
                             (("--tz", "Mars/Olympus", "--since", "1h"), "unknown time zone 'Mars/Olympus'"),
                             (("--tz", "local", "--since", "1h"), "TZ=Nowhere/Land is not a zone")]:
            with self.subTest(args=args):
                result = run_auditfetch("list", *OKTA.args(self.emu.url), *args, "-o", "ndjson",
                                        env={**OKTA.env, "TZ": "Nowhere/Land"})
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(needle, result.stderr)
                self.assertTrue(result.stderr.startswith("auditfetch: error: "), result.stderr)
                self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests("/api/v1/logs"), [], "nothing is sent for a usage error")


class TableZoneTest(EmulatorTestCase):
    """--tz changes the table's times only."""

    def list(self, *args: str, env: dict[str, str | None] | None = None):
        result = run_auditfetch("list", *PINGONE.args(self.emu.url), "--since", WINDOW[0], "--until", WINDOW[1],
                                *args, env={**PINGONE.env, "COLUMNS": "200", **(env or {})})
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def table_times(self, stdout: str) -> list[str]:
        """The TIME cell of each row (the first time on the line, wherever the column is)."""
        lines = stdout.splitlines()
        self.assertIn("TIME", lines[0].split())
        times = [re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(?:Z|[+-]\d\d:\d\d)", line) for line in lines[1:]]
        self.assertTrue(all(times), stdout)
        return [t.group(0) for t in times]

    def test_table_shows_the_zone_with_its_offset_and_the_data_formats_stay_utc(self) -> None:
        utc_times = [a["created_at"] for a in ndjson(self.list("-o", "ndjson"))]
        self.assertTrue(utc_times)
        self.assertEqual(self.table_times(self.list("-o", "table")), utc_times)
        paris = self.table_times(self.list("-o", "table", "--tz", "Europe/Paris"))
        self.assertEqual(len(paris), len(utc_times))
        for shown, original in zip(paris, utc_times):
            self.assertRegex(shown, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00$")
            # the same instant, written as Paris wrote it then
            self.assertEqual(dt.datetime.fromisoformat(shown), utc(original))
        tokyo = self.table_times(self.list("-o", "table", "--tz", "local", env={"TZ": "Asia/Tokyo"}))
        self.assertTrue(all(t.endswith("+09:00") for t in tokyo), tokyo)
        self.assertEqual([dt.datetime.fromisoformat(t) for t in tokyo], [utc(t) for t in utc_times])
        # JSON, NDJSON and CSV do not move.
        for fmt in ("ndjson", "json", "csv"):
            with self.subTest(fmt=fmt):
                self.assertEqual(self.list("-o", fmt, "--tz", "Europe/Paris"), self.list("-o", fmt))


class OrderCase:
    """--order on one provider (mixed into one EmulatorTestCase per provider below)."""

    provider: Provider
    emu: Any

    def list(self, *args: str, env: dict[str, str] | None = None):
        size = ["--page-size", "4"] if self.provider.page_size_flag else []
        return run_auditfetch("list", *self.provider.args(self.emu.url), "--since", WINDOW[0], "--until", WINDOW[1],
                              *size, *args, env={**self.provider.env, **(env or {})})

    def ok(self, result) -> str:
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def ids(self, stdout: str) -> list[str]:
        return [self.provider.act_id(a) for a in ndjson(stdout)]

    def times(self, stdout: str) -> list[Any]:
        """The key the order follows: created_at, or the API's own (ORDER_KEY)."""
        key = ORDER_KEY.get(self.provider.name, lambda a: parse_time(a["created_at"]))
        return [key(a) for a in ndjson(stdout)]

    def expected_ids(self) -> list[str]:
        since, until = (parse_time(t + "T00:00:00Z") for t in WINDOW)
        return sorted(self.provider.rec_id(r) for r in self.provider.records if since <= self.provider.time(r) < until)


class KnownOrderCase(OrderCase):
    def test_both_orders_print_every_activity_sorted_and_mirrored(self) -> None:
        newest = self.list("-o", "ndjson", "--order", "newest", "-v")
        oldest = self.list("-o", "ndjson", "--order", "oldest", "-v")
        newest_out, oldest_out = self.ok(newest), self.ok(oldest)
        self.assertEqual(sorted(self.ids(newest_out)), self.expected_ids())
        self.assertGreater(len(self.expected_ids()), 4, "several pages")
        self.assertEqual(self.times(newest_out), sorted(self.times(newest_out), reverse=True))
        self.assertEqual(self.times(oldest_out), sorted(self.times(oldest_out)))
        # One is the other backwards, to the byte (a reversed listing prints what the API sent).
        self.assertEqual(oldest_out.splitlines(), newest_out.splitlines()[::-1])
        for order, result in (("newest", newest), ("oldest", oldest)):
            line = next(l for l in result.stderr.splitlines() if ": order: " in l)
            self.assertIn({"asked of the API": "asked of the API with ", "as served": "as the API serves it",
                           "reversed here": "reversed here"}[expected_keeping(self.provider.name, order)], line)
        if self.provider.name in SORTS_SERVER_SIDE:
            # Both orders were asked of the API: no listing was reversed here.
            self.assertNotIn("reversed here", newest.stderr + oldest.stderr)
        else:
            self.assertIn("reversed here", newest.stderr + oldest.stderr)

    def test_limit_takes_the_first_in_the_order_asked(self) -> None:
        full = self.ids(self.ok(self.list("-o", "ndjson", "--order", "oldest")))
        self.assertEqual(self.ids(self.ok(self.list("-o", "ndjson", "--order", "oldest", "--limit", "3"))), full[:3])
        self.assertEqual(self.ids(self.ok(self.list("-o", "ndjson", "--order", "newest", "--limit", "3"))),
                         full[::-1][:3])

    def test_explain_says_how_the_order_is_kept(self) -> None:
        for order in ("newest", "oldest"):
            result = self.list("--order", order, "--explain", "-o", "json")
            printed = json.loads(self.ok(result))["printed"]
            self.assertEqual(printed["order"], f"{order}_first")
            self.assertEqual(printed["by"], expected_keeping(self.provider.name, order))
            if self.provider.name in SORTS_SERVER_SIDE:
                self.assertEqual(printed["by"], "asked of the API")
            human = self.ok(self.list("--order", order, "--explain"))
            self.assertRegex(human, rf"(?m)^printed +{order} first \(--order\): ")


class UnknownOrderCase(OrderCase):
    def test_order_is_refused_where_the_api_order_is_unspecified(self) -> None:
        result = self.list("-o", "ndjson", "--order", "oldest")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"--order: {self.provider.name} serves its activities in no documented order", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(self.provider.list_path), [])
        # Without --order, as before.
        self.assertEqual(sorted(self.ids(self.ok(self.list("-o", "ndjson")))), self.expected_ids())


def _case(provider: Provider) -> type:
    title = provider.name.replace("1password", "one_password").replace("-", "_").title().replace("_", "")
    base = UnknownOrderCase if provider.name in UNSPECIFIED else KnownOrderCase
    return type(f"{title}OrderTest", (base, EmulatorTestCase),
                {"provider": provider, "emulator_args": provider.emulator_args,
                 "__doc__": f"--order on {provider.name}."})


for _provider in MATRIX:
    globals()[_case(_provider).__name__] = _case(_provider)
del _provider


class ReverseSpillTest(EmulatorTestCase):
    """A reversed listing held in memory and one spilled to a temporary file print the same bytes."""

    def list(self, *args: str, env: dict[str, str] | None = None):
        return run_auditfetch("list", *PINGONE.args(self.emu.url), "--since", WINDOW[0], "--until", WINDOW[1],
                              "--page-size", "3", "--order", "oldest", "-v", *args,
                              env={**PINGONE.env, **(env or {})})

    def test_spilled_and_in_memory_reversal_give_the_same_bytes(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("ndjson", "json", "csv", "table"):
                with self.subTest(fmt=fmt):
                    memory = self.list("-o", fmt)
                    self.assertEqual(memory.returncode, 0, memory.stderr)
                    self.assertIn("reversed here", memory.stderr)
                    self.assertNotIn("temporary file;", memory.stderr)
                    self.assertNotIn("keeping them in a temporary file", memory.stderr)
                    for threshold in ("0", "2"):
                        spilled = self.list("-o", fmt, env={"AUDITFETCH_ORDER_MEMORY": threshold, "TMPDIR": tmp})
                        self.assertEqual(spilled.returncode, 0, spilled.stderr)
                        self.assertIn(f"more than {threshold} activities to reverse; keeping them in a temporary file",
                                      spilled.stderr)
                        self.assertEqual(spilled.stdout, memory.stdout)
            self.assertEqual(list(Path(tmp).iterdir()), [], "the temporary file does not outlive the run")
        times = [a["created_at"] for a in ndjson(self.list("-o", "ndjson", env={"AUDITFETCH_ORDER_MEMORY": "1"}).stdout)]
        self.assertGreater(len(times), 3)
        self.assertEqual(times, sorted(times))

    def test_a_spill_directory_that_cannot_hold_it_is_a_clear_error(self) -> None:
        result = self.list("-o", "ndjson", env={"AUDITFETCH_ORDER_MEMORY": "0", "TMPDIR": "/nonexistent/dir"})
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("--order: cannot create the temporary file in /nonexistent/dir", result.stderr)
        self.assertEqual(result.stdout, "")
        bad = self.list("-o", "ndjson", env={"AUDITFETCH_ORDER_MEMORY": "lots"})
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("AUDITFETCH_ORDER_MEMORY: 'lots' is not a number", bad.stderr)


class OrderUsageTest(EmulatorTestCase):
    def test_bad_values_and_checkpointed_runs_are_refused(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for args, needle in [(("--order", "up"), "--order: 'up' is not an order"),
                                 (("--order", "oldest", "--state", str(Path(tmp) / "s.json")),
                                  "--order cannot be combined with --state"),
                                 (("--order", "oldest", "--exec", "cat"), "--order cannot be combined with --exec")]:
                with self.subTest(args=args):
                    result = run_auditfetch("list", *PINGONE.args(self.emu.url), *args, env=PINGONE.env)
                    self.assertEqual(result.returncode, 2, result.stderr)
                    self.assertIn(needle, result.stderr)
            self.assertEqual(list(Path(tmp).iterdir()), [])
        self.assertEqual(self.emu.requests("/activities"), [])

    def test_without_order_the_api_order_is_kept(self) -> None:
        plain = run_auditfetch("list", *PINGONE.args(self.emu.url), "--since", WINDOW[0], "--until", WINDOW[1],
                               "-o", "ndjson", "-v", env=PINGONE.env)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertNotIn(": order: ", plain.stderr)
        times = [a["created_at"] for a in ndjson(plain.stdout)]
        self.assertEqual(times, sorted(times, reverse=True), "PingOne serves newest first")


if __name__ == "__main__":
    unittest.main()
