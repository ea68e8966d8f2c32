"""End to end: `auditfetch tail`, the real binary following the emulator while records are added.

tail prints what exists from --since (default: now minus 10m), then polls every --interval and
prints new activities oldest first (by created_at, then id), each exactly once across polls
(an inclusive lower bound plus the ids already printed; an --overlap window for late events),
until SIGINT (exit 130) or SIGTERM (exit 0). An idle poll costs one list request; transient
errors are reported and tail keeps going; permanent ones exit with their documented code.

Records are added with POST /_emulator/activities/{provider} while the binary runs. Expected
values come from the fixtures and from the records added here, never from auditfetch itself.

TailProcess and the provider specs below are shared with test_state.py.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from harness import (PINGONE_ENV_ID, REPO, TE_AID, TOKEN, TRUTO_ACCOUNT_ID, auditfetch_bin,
                     fixture_records)
from provider_case import ProviderCase, csv_rows, format_ms, parse_time

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
SINCE = "2024-05-01T00:00:00Z"  # before every fixture record
WAIT = 12.0  # seconds to wait for something that should take an interval or two


def _newest(records: list[dict[str, Any]], key: str) -> int:
    return max(parse_time(r[key]) for r in records)


# --------------------------------------------------------------------------- providers


@dataclass(frozen=True)
class Spec:
    """How to run auditfetch against one provider of the emulator, and how to make its records."""

    name: str
    base_path: str  # appended to the emulator's URL for --base-url
    account_flag: str  # the setting that names the account (kept in a state file)
    account: str
    other_account: str  # another account the same token could be used with
    list_path: str  # the list endpoint, for emu.requests()
    time_key: str  # the record's timestamp field
    make: Callable[[dict[str, Any], str, str], dict[str, Any]] | None = None  # (template, id, time) → record
    new_id: Callable[[], str] = lambda: str(uuid.uuid4())
    records: list[dict[str, Any]] = field(default_factory=list)  # what the list serves for `account`

    def args(self, emu: Any, account: str | None = None) -> list[str]:
        return ["-p", self.name, self.account_flag, account or self.account, "--base-url", emu.url + self.base_path]

    @property
    def ids(self) -> list[str]:
        return sorted(r["id"] for r in self.records)

    @property
    def newest(self) -> int:
        """The newest fixture timestamp, in nanoseconds."""
        return _newest(self.records, self.time_key)

    def record(self, when_ns: int, record_id: str | None = None,
               template: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new record at when_ns, shaped like the fixtures (a copy of `template`, or of the first)."""
        assert self.make is not None, f"{self.name}: no record factory"
        return self.make(copy.deepcopy(template or self.records[0]), record_id or self.new_id(), format_ms(when_ns))


def _pingone(rec: dict[str, Any], record_id: str, when: str) -> dict[str, Any]:
    rec.pop("_links", None)  # the emulator renders its own
    rec["id"] = record_id
    rec["recordedAt"] = when
    rec["createdAt"] = when
    rec["correlationId"] = str(uuid.uuid4()).upper()
    return rec


def _truto(rec: dict[str, Any], record_id: str, when: str) -> dict[str, Any]:
    rec["id"] = record_id
    rec["created_at"] = when
    remote = rec.get("remote_data")
    if isinstance(remote, dict):
        if "uuid" in remote:
            remote["uuid"] = record_id
        if "published" in remote:
            remote["published"] = when
    return rec


def _sailpoint(rec: dict[str, Any], record_id: str, when: str) -> dict[str, Any]:
    rec["id"] = record_id
    rec["name"] = record_id
    for key in ("created", "modified", "completed"):
        if key in rec:
            rec[key] = when
    rec["created"] = when
    return rec


PINGONE = Spec("pingone", "/v1", "--environment-id", PINGONE_ENV_ID, "0b9d4bc4-4b3f-4a5e-9d0c-5f1f7a2c3e4d",
               "/activities", "recordedAt", _pingone, records=fixture_records("pingone"))
TRUTO = Spec("truto", "", "--integrated-account-id", TRUTO_ACCOUNT_ID, "9c1f3e22-7a55-4d0b-8f61-2b7e4c9d0a13",
             "/unified/user-directory/activities", "created_at", _truto, records=fixture_records("truto"))
SAILPOINT = Spec("sailpoint", "/v3", "--tenant", "acme-sb", "other-sb", "/v3/account-activities", "created",
                 _sailpoint, new_id=lambda: uuid.uuid4().hex, records=fixture_records("sailpoint"))
# ThousandEyes events have no id (auditfetch derives one); used here only for state-file identity.
THOUSANDEYES = Spec("thousandeyes", "/v7", "--aid", TE_AID, "5678", "/v7/audit-user-events", "date",
                    records=[r for r in fixture_records("thousandeyes") if r.get("aid") == TE_AID])

# Timestamps of "new" activity: after every fixture record of every provider.
NEW = max(PINGONE.newest, TRUTO.newest, SAILPOINT.newest) + 4 * 86400 * SECOND
assert format_ms(NEW) >= "2024-05-20", format_ms(NEW)

_PINGONE_DEFINITION = json.loads((REPO / "providers" / "pingone.json").read_text(encoding="utf-8"))
LOGIN_TYPES = {a["native"] for a in _PINGONE_DEFINITION["actions"] if a["unified"] == "login"}
assert LOGIN_TYPES and not any("*" in t for t in LOGIN_TYPES), LOGIN_TYPES
PINGONE_LOGIN = next(r for r in PINGONE.records if r["action"]["type"] in LOGIN_TYPES and "user" in r["actors"])
PINGONE_OTHER = next(r for r in PINGONE.records if r["action"]["type"] == "USER.UPDATED")


def ids_of(records: Iterable[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]


# --------------------------------------------------------------------------- a running auditfetch


class TailProcess:
    """auditfetch as a subprocess that keeps running (tail): stdout and stderr are read by threads.

    The environment is minimal, as run_auditfetch builds it: PATH, a fresh HOME, LANG=C.UTF-8,
    TZ=UTC, plus `env` (a None value removes a variable)."""

    def __init__(self, args: Iterable[Any], env: dict[str, str | None] | None = None):
        self.args = [str(a) for a in args]
        self._home = tempfile.TemporaryDirectory(prefix="auditfetch-home-")
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self._home.name,
                       "LANG": "C.UTF-8", "TZ": "UTC"}
        for sanitizer in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):  # scripts/test
            if sanitizer in os.environ:
                environment[sanitizer] = os.environ[sanitizer]
        for key, value in (env or {}).items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        self._cond = threading.Condition()  # guards _out, _err, _open
        self._out = bytearray()
        self._err = bytearray()
        self._arrivals: list[tuple[int, float]] = []  # (stdout length, wall-clock time) after each read
        self._open = 2
        self.started = time.monotonic()
        self.proc = subprocess.Popen([str(auditfetch_bin()), *self.args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True)]
        for thread in self._threads:
            thread.start()
        self._stopped = False

    def _pump(self, stream: Any, buffer: bytearray) -> None:
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._open -= 1
                    self._cond.notify_all()
                    return
                buffer.extend(chunk)
                if buffer is self._out:
                    self._arrivals.append((len(buffer), time.time()))
                self._cond.notify_all()

    # ---------------------------------------------------------------- output

    def stdout_bytes(self) -> bytes:
        with self._cond:
            return bytes(self._out)

    def stderr(self) -> str:
        with self._cond:
            return self._err.decode("utf-8", "replace")

    def lines(self) -> list[str]:
        """Complete stdout lines so far (a line not yet ended by a newline is left out)."""
        return [line.decode("utf-8", "surrogateescape") for line in self.stdout_bytes().split(b"\n")[:-1]]

    def timed_lines(self) -> list[tuple[float, str]]:
        """Complete stdout lines with the wall-clock time (time.time()) each was read from the pipe."""
        with self._cond:
            data, arrivals = bytes(self._out), list(self._arrivals)
        out, end, index = [], 0, 0
        for line in data.split(b"\n")[:-1]:
            end += len(line) + 1
            while arrivals[index][0] < end:
                index += 1
            out.append((arrivals[index][1], line.decode("utf-8", "surrogateescape")))
        return out

    def activities(self) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(self.lines(), 1):
            try:
                activity = json.loads(line)
            except ValueError:
                raise AssertionError(f"stdout line {number} is not JSON: {line!r}\n{self.describe()}") from None
            if not isinstance(activity, dict) or "id" not in activity:
                raise AssertionError(f"stdout line {number} is not an activity: {line!r}")
            out.append(activity)
        return out

    def ids(self) -> list[str]:
        return [a["id"] for a in self.activities()]

    def describe(self) -> str:
        code = self.proc.poll()
        state = "still running" if code is None else f"exit status {code}"
        return (f"auditfetch {' '.join(self.args)}: {state} after {time.monotonic() - self.started:.1f} s; "
                f"stderr:\n{self.stderr()[-4000:]}")

    # ---------------------------------------------------------------- waiting

    def finished(self) -> bool:
        """Exited, and both pipes read to the end."""
        with self._cond:
            return self._open == 0 and self.proc.poll() is not None

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Waits until predicate() holds; False after `timeout` s or once the process has ended without it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if predicate():
                    return True
                if self._open == 0 and self.proc.poll() is not None:
                    return predicate()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        """The exit status (negative: killed by that signal), or None if still running after timeout."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for thread in self._threads:
            thread.join(5)
        return self.proc.returncode

    def stop(self) -> None:
        """Kills the process if it still runs; releases everything. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for thread in self._threads:
            thread.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        self._home.cleanup()

    def result(self) -> subprocess.CompletedProcess:
        """The run as a CompletedProcess (after it ended), for ProviderCase.assertOneErrorLine."""
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode,
                                           self.stdout_bytes().decode("utf-8", "surrogateescape"), self.stderr())


# --------------------------------------------------------------------------- test case


class TailCase(ProviderCase):
    """One emulator per class, reset before every test; every tail started is killed at the end."""

    def tail(self, *args: Any, spec: Spec = PINGONE, interval: str | None = "1s", account: str | None = None,
             env: dict[str, str | None] | None = None) -> TailProcess:
        interval_args = ["--interval", interval] if interval is not None else []
        process = TailProcess(["tail", *spec.args(self.emu, account), *interval_args, *args],
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})
        self.addCleanup(process.stop)
        return process

    def list_requests(self, spec: Spec = PINGONE) -> list[dict[str, Any]]:
        return self.emu.requests(spec.list_path)

    def existing_ids(self, spec: Spec = PINGONE) -> list[str]:
        """Every record the emulator holds now for the provider."""
        return sorted(r["id"] for r in self.emu.control("GET", f"activities/{spec.name}"))

    # ---------------------------------------------------------------- waiting

    def wait_printed(self, process: TailProcess, ids: Iterable[str], timeout: float = WAIT, note: str = "") -> None:
        wanted = set(ids)
        if not process.wait_for(lambda: wanted <= set(process.ids()), timeout):
            missing = sorted(wanted - set(process.ids()))
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            self.fail(f"{len(missing)} of {len(wanted)} activities not printed within {timeout} s ({shown})\n"
                      f"{note + chr(10) if note else ''}{process.describe()}")

    def wait_polls(self, process: TailProcess, count: int = 2, spec: Spec = PINGONE,
                   timeout: float = WAIT) -> list[dict[str, Any]]:
        """Waits until `count` more list requests have arrived; returns the requests so far."""
        start = len(self.list_requests(spec))
        deadline = time.monotonic() + timeout
        while True:
            requests = self.list_requests(spec)
            if len(requests) >= start + count:
                return requests
            if not process.running():
                self.fail(f"auditfetch ended while waiting for {count} polls\n{process.describe()}")
            if time.monotonic() > deadline:
                self.fail(f"{len(requests) - start} of {count} polls within {timeout} s\n{process.describe()}")
            time.sleep(0.1)

    def wait_stderr(self, process: TailProcess, text: str, timeout: float = WAIT) -> None:
        if not process.wait_for(lambda: text in process.stderr(), timeout):
            self.fail(f"{text!r} not reported on stderr within {timeout} s\n{process.describe()}")

    def stop_with(self, process: TailProcess, sig: int, expected: int, timeout: float = 10, note: str = "") -> None:
        prefix = note + "\n" if note else ""
        self.assertTrue(process.running(), prefix + process.describe())
        process.signal(sig)
        code = process.wait(timeout)
        self.assertIsNotNone(code, f"{prefix}still running {timeout} s after signal {sig}\n{process.describe()}")
        self.assertEqual(code, expected, prefix + process.describe())

    # ---------------------------------------------------------------- assertions

    def assertOldestFirst(self, activities: list[dict[str, Any]]) -> None:
        keys = [(a["created_at"], a["id"]) for a in activities]
        self.assertEqual(keys, sorted(keys), "not oldest first (by created_at, then id)")

    def assertCompleteNdjson(self, process: TailProcess) -> None:
        """stdout is complete NDJSON lines, nothing else (no cut-off last line)."""
        raw = process.stdout_bytes()
        if raw:
            self.assertTrue(raw.endswith(b"\n"), f"stdout ends with an incomplete line: {raw[-200:]!r}")
        process.activities()  # every line an activity

    def assertNoNewOutput(self, process: TailProcess, count: int) -> None:
        self.assertEqual(len(process.lines()), count, f"printed more than expected\n{process.describe()}")


# --------------------------------------------------------------------------- tests


class FollowTest(TailCase):
    """The backlog from --since, then what is added while tail runs; each once, oldest first."""

    def follow(self, spec: Spec, stop_signal: int, expected_exit: int) -> None:
        process = self.tail("--since", SINCE, "-o", "ndjson", spec=spec)
        backlog = spec.ids  # every fixture record is after SINCE
        self.wait_printed(process, backlog)
        activities = process.activities()
        self.assertIdsOnce(activities, backlog)
        self.assertOldestFirst(activities)
        self.assertTrue(all(a["provider"] == spec.name for a in activities))

        self.wait_polls(process, 2, spec)
        self.assertNoNewOutput(process, len(backlog))
        added = [spec.record(NEW + i * SECOND) for i in range(3)]
        self.emu.add_activities(spec.name, list(reversed(added)))  # the store order does not matter
        self.wait_printed(process, ids_of(added))
        self.wait_polls(process, 2, spec)

        activities = process.activities()
        self.assertIdsOnce(activities, backlog + ids_of(added))
        self.assertOldestFirst(activities)
        self.assertEqual([a["id"] for a in activities[-len(added):]], ids_of(added))
        self.assertEqual([a["created_at"] for a in activities[-len(added):]],
                         [format_ms(NEW + i * SECOND) for i in range(3)])

        self.stop_with(process, stop_signal, expected_exit)
        self.assertCompleteNdjson(process)
        self.assertIdsOnce(process.activities(), backlog + ids_of(added))

    def test_pingone_follows_new_activity_and_sigint_exits_130(self) -> None:
        self.follow(PINGONE, signal.SIGINT, 130)

    def test_pingone_sigterm_exits_0(self) -> None:
        self.follow(PINGONE, signal.SIGTERM, 0)

    def test_truto_newest_first_is_printed_oldest_first(self) -> None:
        self.follow(TRUTO, signal.SIGTERM, 0)

    def test_sailpoint_oldest_first_is_printed_oldest_first(self) -> None:
        self.follow(SAILPOINT, signal.SIGTERM, 0)

    def test_lines_are_seen_while_tail_runs(self) -> None:
        """NDJSON is flushed after each poll: a reader of the pipe sees an added activity within a
        few intervals, without tail exiting."""
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        record = PINGONE.record(NEW)
        added_at = time.monotonic()
        self.emu.add_activities("pingone", [record])
        self.wait_printed(process, [record["id"]], timeout=6)
        self.assertLess(time.monotonic() - added_at, 6)
        self.assertTrue(process.running(), process.describe())
        self.assertCompleteNdjson(process)

    def test_default_since_is_ten_minutes_ago(self) -> None:
        process = self.tail()
        self.wait_polls(process, 2)
        self.assertNoNewOutput(process, 0)  # every fixture is long before now minus 10m
        now = time.time_ns()
        recent = PINGONE.record(now - 2 * MINUTE)
        old = PINGONE.record(now - 20 * MINUTE)
        self.emu.add_activities("pingone", [old, recent])
        self.wait_printed(process, [recent["id"]])
        self.wait_polls(process, 2)
        self.assertIdsOnce(process.activities(), [recent["id"]])
        self.stop_with(process, signal.SIGTERM, 0)

    def test_csv_prints_one_header_across_polls(self) -> None:
        process = self.tail("--since", SINCE, "-o", "csv", "--fields", "id,created_at")
        self.wait_polls(process, 2)
        added = [PINGONE.record(NEW + i * SECOND) for i in range(2)]
        self.emu.add_activities("pingone", added)
        self.wait_for_csv_rows(process, len(PINGONE.ids) + len(added))
        self.wait_polls(process, 2)
        self.stop_with(process, signal.SIGTERM, 0)
        rows = csv_rows(process.stdout_bytes().decode("utf-8"))
        self.assertEqual(rows[0], ["id", "created_at"])
        self.assertEqual(rows.count(["id", "created_at"]), 1, "the header is printed once")
        ids = [row[0] for row in rows[1:]]
        self.assertEqual(sorted(ids), sorted(PINGONE.ids + ids_of(added)))
        self.assertEqual(len(ids), len(set(ids)))

    def wait_for_csv_rows(self, process: TailProcess, count: int) -> None:
        if not process.wait_for(lambda: len(process.lines()) >= count + 1, WAIT):
            self.fail(f"{len(process.lines())} csv lines, wanted {count + 1}\n{process.describe()}")


class BoundaryTest(TailCase):
    """The poll boundary: an inclusive lower bound plus remembered ids; the overlap for late events."""

    def test_an_activity_at_the_last_printed_time_is_printed_once(self) -> None:
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        # B sorts before A by id: a (time, id) keyset with a strict > would skip it.
        first = PINGONE.record(NEW, "f" + str(uuid.uuid4())[1:])
        self.emu.add_activities("pingone", [first])
        self.wait_printed(process, [first["id"]])
        self.wait_polls(process, 1)
        second = PINGONE.record(NEW, "0" + str(uuid.uuid4())[1:])
        self.emu.add_activities("pingone", [second])
        self.wait_printed(process, [second["id"]])
        self.wait_polls(process, 2)
        activities = process.activities()
        self.assertIdsOnce(activities, PINGONE.ids + [first["id"], second["id"]])
        self.assertEqual(activities[-2]["created_at"], activities[-1]["created_at"])
        self.stop_with(process, signal.SIGTERM, 0)

    def test_same_time_activities_already_printed_are_not_printed_again(self) -> None:
        """Several activities at the newest time: polls that re-read them print nothing."""
        process = self.tail("--since", SINCE)
        same = [PINGONE.record(NEW) for _ in range(3)]
        self.wait_printed(process, PINGONE.ids)
        self.emu.add_activities("pingone", same)
        self.wait_printed(process, ids_of(same))
        self.wait_polls(process, 3)
        self.assertIdsOnce(process.activities(), PINGONE.ids + ids_of(same))

    def test_a_late_activity_within_the_overlap_is_printed_once(self) -> None:
        process = self.tail("--since", SINCE, "--overlap", "1h")
        self.wait_printed(process, PINGONE.ids)
        newest = PINGONE.record(NEW)
        self.emu.add_activities("pingone", [newest])
        self.wait_printed(process, [newest["id"]])
        self.wait_polls(process, 1)
        late = PINGONE.record(NEW - 10 * MINUTE)  # older than what was printed last
        self.emu.add_activities("pingone", [late])
        self.wait_printed(process, [late["id"]])
        self.wait_polls(process, 2)
        activities = process.activities()
        self.assertIdsOnce(activities, PINGONE.ids + [newest["id"], late["id"]])
        self.assertEqual(activities[-1]["id"], late["id"])
        self.stop_with(process, signal.SIGTERM, 0)

    def test_a_late_activity_within_the_default_overlap_is_printed_once(self) -> None:
        """The default overlap is 5m: an activity 2 minutes older than the newest printed is seen."""
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        newest = PINGONE.record(NEW)
        self.emu.add_activities("pingone", [newest])
        self.wait_printed(process, [newest["id"]])
        late = PINGONE.record(NEW - 2 * MINUTE)
        self.emu.add_activities("pingone", [late])
        self.wait_printed(process, [late["id"]])
        self.wait_polls(process, 2)
        self.assertIdsOnce(process.activities(), PINGONE.ids + [newest["id"], late["id"]])


class PollCostTest(TailCase):
    def test_an_idle_poll_costs_one_request(self) -> None:
        # A small page size: a poll that re-read everything from --since would take several
        # requests; one that starts at the newest printed minus the overlap (5m) takes one.
        page = 4
        in_window = [r for r in PINGONE.records if parse_time(r["recordedAt"]) >= PINGONE.newest - 5 * MINUTE]
        self.assertLess(len(in_window), page)  # the fixtures keep this test meaningful
        self.assertGreater(len(PINGONE.records), 2 * page)
        process = self.tail("--since", SINCE, "--page-size", str(page))
        self.wait_printed(process, PINGONE.ids)
        self.wait_polls(process, 1)  # the backlog's requests are over
        before = self.list_requests()
        requests = self.wait_polls(process, 4)
        idle = requests[len(before) - 1:]
        gaps = [round(b["time"] - a["time"], 3) for a, b in zip(idle, idle[1:])]
        self.assertTrue(all(gap >= 0.5 for gap in gaps), f"seconds between list requests: {gaps}")
        self.assertNoNewOutput(process, len(PINGONE.ids))
        self.assertEqual(self.emu.requests("/as/token"), [])

    def test_an_interval_below_one_second_exits_2(self) -> None:
        for interval in ("500ms", "0s", "0"):
            with self.subTest(interval=interval):
                process = self.tail("--since", SINCE, interval=interval)
                code = process.wait(10)
                self.assertEqual(code, 2, process.describe())
                self.assertOneErrorLine(process.result(), 2, "--interval")
                self.assertEqual(process.stdout_bytes(), b"")
        self.assertEqual(self.list_requests(), [])

    def test_an_invalid_overlap_exits_2(self) -> None:
        process = self.tail("--since", SINCE, "--overlap", "a while")
        self.assertEqual(process.wait(10), 2, process.describe())
        self.assertOneErrorLine(process.result(), 2, "--overlap")

    def test_sigterm_between_polls_does_not_wait_for_the_interval(self) -> None:
        process = self.tail("--since", SINCE, interval="30s")
        self.wait_printed(process, PINGONE.ids)
        time.sleep(0.5)  # now asleep until the next poll, 30 s away
        started = time.monotonic()
        self.stop_with(process, signal.SIGTERM, 0, timeout=5)
        self.assertLess(time.monotonic() - started, 5)
        self.assertIdsOnce(process.activities(), PINGONE.ids)

    def test_sigint_between_polls_does_not_wait_for_the_interval(self) -> None:
        process = self.tail("--since", SINCE, interval="30s")
        self.wait_printed(process, PINGONE.ids)
        time.sleep(0.5)
        self.stop_with(process, signal.SIGINT, 130, timeout=5)
        self.assertCompleteNdjson(process)


class ErrorTest(TailCase):
    def test_a_503_during_a_poll_is_reported_and_tail_keeps_going(self) -> None:
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 503, "times": 2})
        self.wait_stderr(process, "503")
        added = [PINGONE.record(NEW + i * SECOND) for i in range(2)]
        self.emu.add_activities("pingone", added)
        self.wait_printed(process, ids_of(added))
        self.wait_polls(process, 2)
        self.assertEqual([f["fired"] for f in self.emu.control("GET", "faults")], [2])
        self.assertIdsOnce(process.activities(), PINGONE.ids + ids_of(added))
        self.assertTrue(all(line.startswith("auditfetch: ") for line in process.stderr().splitlines()),
                        process.stderr())
        self.stop_with(process, signal.SIGTERM, 0)

    def test_polls_that_fail_after_their_retries_do_not_end_tail(self) -> None:
        process = self.tail("--since", SINCE, "--retries", "0")
        self.wait_printed(process, PINGONE.ids)
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 502, "times": 2})
        deadline = time.monotonic() + WAIT
        while self.emu.control("GET", "faults")[0]["fired"] < 2:  # two polls failed
            self.assertTrue(process.running(), process.describe())
            self.assertLess(time.monotonic(), deadline, process.describe())
            time.sleep(0.1)
        self.wait_stderr(process, "502")
        added = [PINGONE.record(NEW)]
        self.emu.add_activities("pingone", added)
        self.wait_printed(process, ids_of(added))
        self.wait_polls(process, 1)
        self.assertIdsOnce(process.activities(), PINGONE.ids + ids_of(added))
        self.stop_with(process, signal.SIGTERM, 0)

    def test_a_429_during_a_poll_is_waited_for(self) -> None:
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}})
        self.wait_stderr(process, "429")
        added = [PINGONE.record(NEW)]
        self.emu.add_activities("pingone", added)
        self.wait_printed(process, ids_of(added))
        self.assertIdsOnce(process.activities(), PINGONE.ids + ids_of(added))
        self.stop_with(process, signal.SIGTERM, 0)

    def test_a_timeout_during_a_poll_is_transient(self) -> None:
        process = self.tail("--since", SINCE, "--timeout", "1s")
        self.wait_printed(process, PINGONE.ids)
        stderr_before = process.stderr()
        self.emu.faults({"path": "/activities$", "kind": "slow", "delay_ms": 2500})
        added = [PINGONE.record(NEW)]
        self.emu.add_activities("pingone", added)
        self.wait_printed(process, ids_of(added))
        self.assertEqual(self.emu.control("GET", "faults")[0]["fired"], 1)
        self.assertNotEqual(process.stderr(), stderr_before, "the timeout is reported on stderr")
        self.wait_polls(process, 1)
        self.assertIdsOnce(process.activities(), PINGONE.ids + ids_of(added))
        self.stop_with(process, signal.SIGTERM, 0)

    def test_a_refused_static_token_exits_3(self) -> None:
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 401, "times": -1})
        code = process.wait(WAIT)
        self.assertEqual(code, 3, process.describe())
        self.assertOneErrorLine(process.result(), 3, "401")
        self.assertNotIn(TOKEN, process.stderr())
        self.assertCompleteNdjson(process)
        self.assertIdsOnce(process.activities(), PINGONE.ids)

    def test_a_400_during_a_poll_exits_2(self) -> None:
        process = self.tail("--since", SINCE)
        self.wait_printed(process, PINGONE.ids)
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 400, "times": -1})
        code = process.wait(WAIT)
        self.assertEqual(code, 2, process.describe())
        self.assertOneErrorLine(process.result(), 2, "")
        self.assertCompleteNdjson(process)


class FilterTest(TailCase):
    def test_action_login_prints_only_logins(self) -> None:
        logins = [r["id"] for r in PINGONE.records if r["action"]["type"] in LOGIN_TYPES]
        self.assertTrue(logins)
        process = self.tail("--since", SINCE, "--action", "login")
        self.wait_printed(process, logins)
        # Added together, the other one older: once the login is printed, a poll has seen both.
        other = PINGONE.record(NEW, template=PINGONE_OTHER)
        login = PINGONE.record(NEW + SECOND, template=PINGONE_LOGIN)
        self.emu.add_activities("pingone", [other, login])
        self.wait_printed(process, [login["id"]])
        self.wait_polls(process, 2)
        activities = process.activities()
        self.assertIdsOnce(activities, logins + [login["id"]])
        self.assertEqual({a["action"] for a in activities}, {"login"})
        self.stop_with(process, signal.SIGTERM, 0)

    def test_actor_filter_applies_to_new_activity(self) -> None:
        actor = PINGONE_LOGIN["actors"]["user"]["id"]
        expected = [r["id"] for r in PINGONE.records if r.get("actors", {}).get("user", {}).get("id") == actor]
        process = self.tail("--since", SINCE, "--actor-id", actor)
        self.wait_printed(process, expected)
        other = PINGONE.record(NEW, template=next(r for r in PINGONE.records if "client" in r.get("actors", {})))
        mine = PINGONE.record(NEW + SECOND, template=PINGONE_LOGIN)
        self.emu.add_activities("pingone", [other, mine])
        self.wait_printed(process, [mine["id"]])
        self.wait_polls(process, 1)
        self.assertIdsOnce(process.activities(), expected + [mine["id"]])


if __name__ == "__main__":
    unittest.main()
