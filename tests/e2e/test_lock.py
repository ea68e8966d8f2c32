"""End to end: one run per state file.

A run with --state FILE holds an exclusive flock on FILE.lock, beside it, for the whole run. A
second run with the same state file exits at once with 6: "FILE is in use by another auditfetch
(pid N)"; with --wait-lock DURATION it waits up to that long instead. Reading never takes the lock:
`config show` works while a run holds it.

The cron test starts two runs together, round after round, with records added between rounds:
one delivers, the other exits 6, and nothing is ever printed twice.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import threading
import time
import unittest
from collections import Counter
from pathlib import Path
from typing import Any

from harness import TOKEN, auditfetch_bin, run_auditfetch
from provider_case import ndjson
from test_state import StateCase
from test_tail import PINGONE, SECOND, SINCE, ids_of


def start_list(*args: Any) -> subprocess.Popen:
    """`auditfetch list` in the background with run_auditfetch's minimal environment."""
    home = tempfile.mkdtemp(prefix="auditfetch-home-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8", "TZ": "UTC",
           "AUDITFETCH_TOKEN": TOKEN}
    for sanitizer in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
        if sanitizer in os.environ:
            env[sanitizer] = os.environ[sanitizer]
    return subprocess.Popen([str(auditfetch_bin()), "list", *(str(a) for a in args)], env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Holder:
    """This test process holding FILE.lock the way a run does (its pid in the file)."""

    def __init__(self, state: Path):
        self.fd = os.open(f"{state}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class LockCase(StateCase):
    emulator_args = ("--page-delay-ms", "60")  # a run of the fixtures takes half a second or more

    def hold(self) -> Holder:
        holder = Holder(self.state)
        self.addCleanup(holder.release)
        return holder


class CronTest(LockCase):
    ROUNDS = 5

    def test_two_runs_started_together_one_delivers_the_other_exits_6(self) -> None:
        printed: list[str] = []
        expected = list(PINGONE.ids)
        for round_number in range(self.ROUNDS):
            if round_number:
                added = [PINGONE.record(PINGONE.newest + (round_number * 10 + i) * SECOND) for i in range(3)]
                self.emu.add_activities("pingone", added)
                expected += ids_of(added)
            # --overlap 30d: every run reads all pages again (0.5 s or more), so the two overlap.
            args = [*PINGONE.args(self.emu), "--since", SINCE, "--state", self.state, "--page-size", "5",
                    "--overlap", "30d", "-o", "ndjson"]
            first, second = start_list(*args), start_list(*args)
            results = {}
            for process in (first, second):
                stdout, stderr = process.communicate(timeout=60)
                results[process.pid] = (process.returncode, stdout, stderr)
            note = f"round {round_number}: {results}"
            codes = sorted(code for code, _, _ in results.values())
            self.assertEqual(codes, [0, 6], note)
            winner = next(pid for pid, (code, _, _) in results.items() if code == 0)
            loser = next(pid for pid, (code, _, _) in results.items() if code == 6)
            _, loser_out, loser_err = results[loser]
            self.assertEqual(loser_out, "", note)
            self.assertEqual(loser_err.splitlines(), [
                f"auditfetch: error: {self.state} is in use by another auditfetch (pid {winner}) "
                f"(one run at a time per state file ({self.state}.lock holds the lock); "
                f"--wait-lock DURATION waits for it)"], note)
            printed += [a["id"] for a in ndjson(results[winner][1])]
        self.assertEqual([i for i, n in Counter(printed).items() if n > 1], [], "printed twice")
        self.assertEqual(sorted(printed), sorted(expected))


class HeldTest(LockCase):
    def test_a_run_exits_6_at_once_naming_the_holder_and_sends_nothing(self) -> None:
        self.hold()
        for command in ("list", "tail"):
            with self.subTest(command=command):
                self.emu.clear_requests()
                started = time.monotonic()
                result = run_auditfetch(command, *PINGONE.args(self.emu), "--since", SINCE, "--state", self.state,
                                        env={"AUDITFETCH_TOKEN": TOKEN})
                self.assertOneErrorLine(result, 6, f"{self.state} is in use by another auditfetch (pid {os.getpid()})")
                self.assertLess(time.monotonic() - started, 5)
                self.assertEqual(result.stdout, "")
                self.assertEqual(self.emu.requests(), [])
                self.assertFalse(self.state.exists())

    def test_reading_is_never_blocked(self) -> None:
        self.hold()
        result = run_auditfetch("config", "show", *PINGONE.args(self.emu), "--state", self.state,
                                env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(str(self.state), result.stdout)

    def test_wait_lock_gives_up_after_the_duration(self) -> None:
        self.hold()
        started = time.monotonic()
        result = self.list("--wait-lock", "1s")
        self.assertOneErrorLine(result, 6, f"{self.state} is still in use by another auditfetch "
                                           f"(pid {os.getpid()}) after 1s")
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertEqual(self.emu.requests(), [])

    def test_wait_lock_goes_on_once_the_holder_lets_go(self) -> None:
        holder = self.hold()
        timer = threading.Timer(0.7, holder.release)
        timer.start()
        self.addCleanup(timer.cancel)
        started = time.monotonic()
        result = self.list("--wait-lock", "30s")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 0.7)
        self.assertIdsOnce(ndjson(result.stdout), PINGONE.ids)

    def test_the_lock_is_free_again_after_a_run_and_after_an_error(self) -> None:
        self.assertEqual(self.list().returncode, 0)
        self.hold().release()  # taken without waiting: the run let go
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 500, "times": -1})
        self.assertEqual(self.list("--retries", "0").returncode, 1)
        self.hold().release()

    def test_an_invalid_wait_lock_exits_2(self) -> None:
        result = self.list("--wait-lock", "soon")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--wait-lock", result.stderr)


if __name__ == "__main__":
    unittest.main()
