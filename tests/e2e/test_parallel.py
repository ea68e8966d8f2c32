"""End to end: list --parallel N prints exactly what one connection prints, in the same order.

The window [--since, --until) is cut into time slices that N connections fetch at once; pages
are handed on in the order one connection would read them, each filtered by its own slice, so a
record on a boundary is printed once. A slice whose first page shows it dense is cut again. A
provider whose paging cannot be sliced by time says so and reads one page at a time. Every
request of the run draws on one rate budget: the definition's documented limit, or --rate.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
from collections import Counter
from pathlib import Path
from typing import Any

from harness import TOKEN, Emulator, EmulatorTestCase, auditfetch_bin, run_auditfetch
from provider_case import format_ms, ndjson
from test_matrix import MATRIX
from test_tail import PINGONE, SECOND

# The providers whose listing cannot be cut by time: a checkpoint cursor (auth0), no defined
# order (truto), no upper bound the server applies (duo-admin); the rest are sliced.
SEQUENTIAL = {"auth0": "checkpoint", "truto": "order", "duo-admin": "both ends"}
T = 1_718_452_800 * SECOND  # 2024-06-15T12:00:00Z, after every fixture record


def pingone_args(emu: Emulator, since_ns: int, until_ns: int, *more: Any) -> list[str]:
    return [*PINGONE.args(emu), "--since", format_ms(since_ns), "--until", format_ms(until_ns), "-o", "ndjson", *more]


class MatrixTest(unittest.TestCase):
    def test_every_provider_prints_the_same_with_parallel_connections(self) -> None:
        groups: dict[tuple[str, ...], list[Any]] = {}
        for provider in MATRIX:
            groups.setdefault(provider.emulator_args, []).append(provider)
        sequential: dict[str, str] = {}
        for emulator_args, providers in groups.items():
            with Emulator(*emulator_args) as emu:
                for provider in providers:
                    with self.subTest(provider=provider.name):
                        args = [*provider.args(emu.url), "--since", provider.window[0], "--until",
                                provider.window[1], "-o", "ndjson"]
                        if provider.page_size_flag:
                            args += ["--page-size", str(provider.page_size)]
                        one = run_auditfetch("list", *args, env=provider.env)
                        four = run_auditfetch("list", *args, "--parallel", "4", env=provider.env)
                        self.assertEqual(one.returncode, 0, one.stderr)
                        self.assertEqual(four.returncode, 0, four.stderr)
                        self.assertGreater(len(ndjson(one.stdout)), 0)
                        self.assertEqual(four.stdout, one.stdout)
                        notice = [line for line in four.stderr.splitlines() if "--parallel 4:" in line]
                        if notice:
                            self.assertEqual(len(notice), 1, four.stderr)
                            self.assertTrue(notice[0].endswith("; reading one page at a time"), notice[0])
                            sequential[provider.name] = notice[0]
        self.assertEqual(sorted(sequential), sorted(SEQUENTIAL))
        for name, word in SEQUENTIAL.items():
            self.assertIn(word, sequential[name])


class SliceCase(EmulatorTestCase):
    def add(self, *times_ns: int) -> list[str]:
        records = [PINGONE.record(t) for t in times_ns]
        self.emu.add_activities("pingone", records)
        self.added = records
        return [r["id"] for r in records]

    def assertSameAsOne(self, args: list[str], parallel: str = "4", env: dict[str, str] | None = None) -> str:
        one = run_auditfetch("list", *args, env={"AUDITFETCH_TOKEN": TOKEN})
        many = run_auditfetch("list", *args, "--parallel", parallel, env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertEqual(many.returncode, 0, many.stderr)
        self.assertNotIn("reading one page at a time", many.stderr)
        self.assertEqual(many.stdout, one.stdout)
        return many.stdout


class BoundaryTest(SliceCase):
    def test_records_sharing_a_boundary_time_are_printed_once(self) -> None:
        # 8 one-second slices; 40 records at T itself, a boundary, and more around it.
        ids = self.add(*[T] * 40, *[T - 1_000_000] * 10, *[T + 1_000_000] * 10, T - 3 * SECOND, T + 3 * SECOND)
        out = self.assertSameAsOne(pingone_args(self.emu, T - 4 * SECOND, T + 4 * SECOND, "--page-size", "7"), "2")
        printed = [a["id"] for a in ndjson(out)]
        self.assertEqual([i for i, n in Counter(printed).items() if n > 1], [])
        self.assertEqual(sorted(printed), sorted(ids))

    def test_a_dense_slice_is_cut_again_and_its_ties_kept_once(self) -> None:
        # One busy second in a two-hour window: the slice holding it is cut at its first page.
        ids = self.add(*[T] * 30, *[T + 1_000_000] * 30, *[T + i * 10_000_000 for i in range(80)])
        out = self.assertSameAsOne(pingone_args(self.emu, T - 3600 * SECOND, T + 3600 * SECOND, "--page-size", "5"),
                                   "8")
        self.assertEqual(sorted(a["id"] for a in ndjson(out)), sorted(ids))

    def test_pages_read_ahead_wait_when_the_memory_bound_is_reached(self) -> None:
        ids = self.add(*[T - i * 7 * SECOND for i in range(120)])
        out = self.assertSameAsOne(pingone_args(self.emu, T - 900 * SECOND, T + SECOND, "--page-size", "5"), "8",
                                   env={"AUDITFETCH_PARALLEL_MEMORY": "1"})
        self.assertEqual(sorted(a["id"] for a in ndjson(out)), sorted(ids))

    def test_oldest_first_is_sliced_in_its_order(self) -> None:
        self.add(*[T - i * 13 * SECOND for i in range(60)])
        out = self.assertSameAsOne(pingone_args(self.emu, T - 900 * SECOND, T + SECOND, "--page-size", "4",
                                                "--order", "oldest"), "4")
        times = [a["created_at"] for a in ndjson(out)]
        self.assertEqual(times, sorted(times))


class FaultTest(SliceCase):
    def test_a_429_slows_the_run_and_nothing_is_lost(self) -> None:
        ids = self.add(*[T - i * 11 * SECOND for i in range(50)])
        self.emu.faults({"path": "/activities", "kind": "status", "status": 429, "times": 2})
        started = time.monotonic()
        result = run_auditfetch("list", *pingone_args(self.emu, T - 600 * SECOND, T + SECOND, "--page-size", "5"),
                                "--parallel", "4", "-v", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertEqual(sorted(a["id"] for a in ndjson(result.stdout)), sorted(ids))
        self.assertIn("for the rate budget", result.stderr)
        self.assertRegex(result.stderr, r"pingone: rate budget none of its own: \d+ requests, [1-9]\d* waited")

    def test_a_failing_slice_fails_the_run_after_the_slices_before_it(self) -> None:
        self.add(*[T - i * 11 * SECOND for i in range(50)])
        self.emu.faults({"path": "/activities", "kind": "status", "status": 400, "times": -1, "skip": 3})
        result = run_auditfetch("list", *pingone_args(self.emu, T - 600 * SECOND, T + SECOND, "--page-size", "5"),
                                "--parallel", "4", "--retries", "0", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("auditfetch: error: pingone: page", result.stderr)


class KillTest(SliceCase):
    emulator_args = ("--page-delay-ms", "150")

    def test_kill_9_during_a_parallel_run_with_state_loses_nothing(self) -> None:
        ids = self.add(*[T - i * 5 * SECOND for i in range(150)])
        with tempfile.TemporaryDirectory(prefix="auditfetch-state-") as tmp:
            state = Path(tmp) / "pingone.json"
            args = [*pingone_args(self.emu, T - 1000 * SECOND, T + SECOND, "--page-size", "5"), "--parallel", "4",
                    "--state", state]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C.UTF-8", "TZ": "UTC",
                   "AUDITFETCH_TOKEN": TOKEN}
            for sanitizer in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
                if sanitizer in os.environ:
                    env[sanitizer] = os.environ[sanitizer]
            process = subprocess.Popen([str(auditfetch_bin()), "list", *(str(a) for a in args)], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            process.send_signal(signal.SIGKILL)
            first, _ = process.communicate(timeout=30)
            rerun = run_auditfetch("list", *args, env={"AUDITFETCH_TOKEN": TOKEN})
            self.assertEqual(rerun.returncode, 0, rerun.stderr)
            printed = [a["id"] for a in ndjson(first[:first.rfind("\n") + 1])]
            second = [a["id"] for a in ndjson(rerun.stdout)]
            self.assertEqual([i for i, n in Counter(second).items() if n > 1], [])
            self.assertEqual(set(printed) | set(second), set(ids))
            again = run_auditfetch("list", *args, env={"AUDITFETCH_TOKEN": TOKEN})
            self.assertEqual((again.returncode, again.stdout), (0, ""), again.stderr)

    def test_a_signal_stops_every_connection_at_once(self) -> None:
        self.add(*[T - i * 5 * SECOND for i in range(150)])
        args = [*pingone_args(self.emu, T - 1000 * SECOND, T + SECOND, "--page-size", "5"), "--parallel", "4"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": "UTC",
               "AUDITFETCH_TOKEN": TOKEN}
        process = subprocess.Popen([str(auditfetch_bin()), "list", *(str(a) for a in args)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.8)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertEqual(process.returncode, 130, err)
        self.assertIn("interrupted", err)


class BudgetTest(SliceCase):
    emulator_args = ("--rate-limit", "10")

    def test_every_connection_draws_on_one_budget_and_the_api_never_refuses(self) -> None:
        ids = self.add(*[T - i * 5 * SECOND for i in range(120)])
        args = [*pingone_args(self.emu, T - 700 * SECOND, T + SECOND, "--page-size", "4"), "--rate", "10/s"]
        one = run_auditfetch("list", *args, env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(one.returncode, 0, one.stderr)
        self.emu.reset()
        self.add_records_again(ids)
        started = time.monotonic()
        many = run_auditfetch("list", *args, "--parallel", "8", "-v", env={"AUDITFETCH_TOKEN": TOKEN})
        elapsed = time.monotonic() - started
        self.assertEqual(many.returncode, 0, many.stderr)
        self.assertEqual(many.stdout, one.stdout)
        stats = self.emu.stats()
        self.assertEqual(stats["rate_limited"], 0, many.stderr)
        self.assertLessEqual(stats["max_per_second"], 10)
        # At 10 a second, what eight connections ask for takes at least (requests - 10) / 10 s.
        self.assertGreaterEqual(elapsed, (stats["requests"] - 10) / 10)
        self.assertRegex(many.stderr, r"pingone: rate budget 10/s: \d+ requests, [1-9]\d* waited")

    def add_records_again(self, ids: list[str]) -> None:
        self.emu.add_activities("pingone", self.added)


class RefusalTest(SliceCase):
    def test_limit_reads_in_order_with_a_notice_and_q_silences_it(self) -> None:
        self.add(*[T - i * SECOND for i in range(10)])
        args = pingone_args(self.emu, T - 60 * SECOND, T + SECOND, "--limit", "3", "--parallel", "4")
        result = run_auditfetch("list", *args, env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(ndjson(result.stdout)), 3)
        self.assertEqual(result.stderr,
                         "auditfetch: warning: --parallel 4: --limit stops within the first pages, which are read "
                         "in order; reading one page at a time\n")
        quiet = run_auditfetch("list", *args, "-q", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual((quiet.returncode, quiet.stderr), (0, ""))

    def test_explain_shows_the_slices_and_every_command_its_budget(self) -> None:
        result = run_auditfetch("list", *pingone_args(self.emu, T - 86400 * SECOND, T), "--parallel", "8",
                                "--explain", "-o", "json", env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        plan = json.loads(result.stdout)
        self.assertEqual(plan["parallel"], {"connections": 8, "slices": 16, "sequential_because": None})
        self.assertNotIn("rate", plan)  # PingOne documents no budget
        self.assertEqual(self.emu.requests(), [])
        for command in (["get", "-p", "sailpoint", "--tenant", "acme", "an-id"],
                        ["list", "-p", "sailpoint", "--tenant", "acme", "--since", "1h"],
                        ["tail", "-p", "sailpoint", "--tenant", "acme"]):
            with self.subTest(command=command[0]):
                explained = run_auditfetch(*command, "--explain", env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertIn("rate         at most 100/10s to the account, every connection together (the "
                              "provider's documented limit)\n", explained.stdout)
                explained = run_auditfetch(*command, "--explain", "--rate", "2/s", env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertIn("rate         at most 2/s to the account, every connection together (--rate)\n",
                              explained.stdout)

    def test_out_of_range_values_name_the_range(self) -> None:
        for value in ("0", "65", "x"):
            with self.subTest(value=value):
                result = run_auditfetch("list", *pingone_args(self.emu, T - SECOND, T), "--parallel", value,
                                        env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertEqual(result.returncode, 2)
                self.assertIn("--parallel", result.stderr)
        for value in ("10", "0/s", "ten/s"):
            with self.subTest(rate=value):
                result = run_auditfetch("list", *pingone_args(self.emu, T - SECOND, T), "--rate", value,
                                        env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertEqual(result.returncode, 2)
                self.assertEqual(result.stderr.splitlines(), [
                    f"auditfetch: error: --rate: '{value}' is not a rate (write REQUESTS/PERIOD: 10/s, 5/10s, "
                    f"50/min, 1000/h)"])


if __name__ == "__main__":
    unittest.main()
