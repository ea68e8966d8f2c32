"""End to end: `--exec CMD`, delivery tied to the consumer.

`list --state` and `tail --state` with --exec run CMD through /bin/sh -c once per batch (a page,
a poll for tail, or --batch N activities) with the batch's NDJSON on its stdin; the checkpoint
moves past a batch only once CMD exited 0. A failing CMD is tried again with backoff, up to
--exec-retries times, then auditfetch exits 1 naming the exit status and the next run delivers
the same batch again. CMD's output goes to stderr; stdout carries nothing.

The consumer is tests/e2e/exec_consumer.py: each batch it accepts becomes one file, written whole
(temporary file, rename), so the tests count deliveries where they happen. The kill test kills
auditfetch and its consumer together (the process group, as a crash or a power loss would) at
random moments, the consumer failing now and then, and checks across runs that nothing is lost
and that only the batch in flight when a run was killed is ever delivered twice.
"""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from collections import Counter
from pathlib import Path
from typing import Any

from harness import TOKEN, EmulatorTestCase, auditfetch_bin, run_auditfetch
from provider_case import parse_time
from test_matrix import MATRIX, SECOND, Provider
from test_state import StateCase
from test_tail import PINGONE, SINCE, WAIT, ids_of

CONSUMER = Path(__file__).resolve().with_name("exec_consumer.py")
CONSUMER_COMMAND = f"{shlex.quote(sys.executable)} {shlex.quote(str(CONSUMER))}"


class Deliveries:
    """What the consumer accepted, batch by batch: one file each, RUN-NANOSECONDS-PID.ndjson."""

    def __init__(self, directory: Path):
        self.dir = directory

    def env(self, run: str = "run", **extra: Any) -> dict[str, str]:
        """The consumer's settings, for the environment of auditfetch (CMD inherits it)."""
        return {"CONSUMER_DIR": str(self.dir), "CONSUMER_RUN": run, **{k: str(v) for k, v in extra.items()}}

    def files(self, run: str | None = None) -> list[Path]:
        """Oldest first (batches of a run are delivered one after the other)."""
        files = [f for f in self.dir.iterdir() if f.suffix == ".ndjson" and not f.name.startswith(".")]
        if run is not None:
            files = [f for f in files if f.name.split("-")[0] == run]
        return sorted(files, key=lambda f: int(f.name.split("-")[1]))

    def batches(self, run: str | None = None, key: Any = lambda a: a["id"]) -> list[list[str]]:
        out = []
        for path in self.files(run):
            lines = path.read_text(encoding="utf-8").splitlines()
            out.append([key(json.loads(line)) for line in lines])
        return out

    def ids(self, run: str | None = None, key: Any = lambda a: a["id"]) -> list[str]:
        return [i for batch in self.batches(run, key) for i in batch]


class ExecCase(StateCase):
    def setUp(self) -> None:
        super().setUp()
        directory = tempfile.TemporaryDirectory(prefix="auditfetch-deliveries-")
        self.addCleanup(directory.cleanup)
        self.deliveries = Deliveries(Path(directory.name))

    def exec_list(self, *args: Any, run: str = "run", consumer: dict[str, Any] | None = None,
                  command: str = CONSUMER_COMMAND) -> subprocess.CompletedProcess:
        return self.list("--exec", command, *args, env=self.deliveries.env(run, **(consumer or {})))

    def assertDeliveredOnce(self, got: list[str], expected: list[str]) -> None:
        self.assertEqual([i for i, n in Counter(got).items() if n > 1], [], "delivered twice")
        self.assertEqual(sorted(got), sorted(expected))


class ExecListTest(ExecCase):
    def test_each_page_is_a_batch_on_the_commands_stdin_and_nothing_goes_to_stdout(self) -> None:
        result = self.exec_list("--page-size", "4")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "")
        batches = self.deliveries.batches()
        total = len(PINGONE.ids)
        self.assertEqual([len(b) for b in batches], [4] * (total // 4) + ([total % 4] if total % 4 else []))
        self.assertDeliveredOnce(self.deliveries.ids(), PINGONE.ids)
        # Everything was delivered and saved: the next run has nothing to hand over.
        again = self.exec_list("--page-size", "4", run="again")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(self.deliveries.files("again"), [])

    def test_batch_cuts_batches_of_n_across_pages(self) -> None:
        result = self.exec_list("--page-size", "4", "--batch", "3")
        self.assertEqual(result.returncode, 0, result.stderr)
        total = len(PINGONE.ids)
        self.assertEqual([len(b) for b in self.deliveries.batches()],
                         [3] * (total // 3) + ([total % 3] if total % 3 else []))
        self.assertDeliveredOnce(self.deliveries.ids(), PINGONE.ids)
        added = [PINGONE.record(PINGONE.newest + (i + 1) * SECOND) for i in range(2)]
        self.emu.add_activities("pingone", added)
        self.assertEqual(self.exec_list("--page-size", "4", "--batch", "3", run="later").returncode, 0)
        self.assertDeliveredOnce(self.deliveries.ids("later"), ids_of(added))

    def test_the_commands_output_goes_to_stderr_and_stdout_stays_empty(self) -> None:
        command = "echo said-on-stdout; echo said-on-stderr >&2; " + CONSUMER_COMMAND
        result = self.exec_list("--page-size", "50", command=command)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertIn("said-on-stdout", result.stderr)
        self.assertIn("said-on-stderr", result.stderr)
        self.assertDeliveredOnce(self.deliveries.ids(), PINGONE.ids)

    def test_fields_select_what_the_command_gets(self) -> None:
        result = self.exec_list("--page-size", "50", "--fields", "id,created_at")
        self.assertEqual(result.returncode, 0, result.stderr)
        line = json.loads(self.deliveries.files()[0].read_text().splitlines()[0])
        self.assertEqual(sorted(line), ["created_at", "id"])

    def test_without_a_state_file_every_batch_is_delivered(self) -> None:
        result = run_auditfetch("list", *PINGONE.args(self.emu), "--since", SINCE, "--page-size", "10",
                                "--exec", CONSUMER_COMMAND, env={"AUDITFETCH_TOKEN": TOKEN, **self.deliveries.env()})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertDeliveredOnce(self.deliveries.ids(), PINGONE.ids)

    def test_a_failing_batch_is_tried_again_then_exit_1_and_the_next_run_delivers_it(self) -> None:
        # Newest first, three a batch: the fifth newest record is in the second batch.
        refused = sorted(PINGONE.records, key=lambda r: (r["recordedAt"], r["id"]), reverse=True)[4]["id"]
        started = time.monotonic()
        result = self.exec_list("--page-size", "4", "--batch", "3", "--exec-retries", "1",
                                consumer={"CONSUMER_FAIL_ID": refused})
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stdout, "")
        error = result.stderr.strip().splitlines()[-1]
        self.assertRegex(error, r"^auditfetch: error: pingone: the --exec command exited with status 7 "
                                r"\(2 tries\); the batch of 3 activities was not delivered")
        self.assertEqual(result.stderr.count("exec_consumer: refusing the batch"), 2, result.stderr)
        self.assertIn("auditfetch: warning: the --exec command exited with status 7; trying the batch of 3 "
                      "activities again in 1 s (1 of 1)", result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 1.0, "the retry waits for the backoff")
        first = self.deliveries.ids()
        self.assertEqual(len(first), 3, "the batch before the refused one, nothing after it")
        self.assertNotIn(refused, first)
        # The next run starts with the batch that failed; nothing is skipped, nothing repeated.
        again = self.exec_list("--page-size", "4", "--batch", "3", run="again")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn(refused, self.deliveries.batches("again")[0])
        self.assertDeliveredOnce(first + self.deliveries.ids("again"), PINGONE.ids)

    def test_no_retries_means_one_try(self) -> None:
        result = self.exec_list("--exec-retries", "0", command="cat > /dev/null; exit 4")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("the --exec command exited with status 4; the batch of", result.stderr)
        self.assertNotIn("warning", result.stderr)
        self.assertFalse(self.state.exists() and json.loads(self.state.read_text())["seen"],
                         "nothing was delivered: nothing may be recorded")

    def test_a_command_killed_by_a_signal_is_named(self) -> None:
        result = self.exec_list("--exec-retries", "0", command="kill -USR1 $$")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(f"the --exec command was killed by signal {int(signal.SIGUSR1)}", result.stderr)

    def test_flags_that_do_not_apply_exit_2_before_any_request(self) -> None:
        cases = [
            (["--exec", CONSUMER_COMMAND, "-o", "json"], "--exec hands the command NDJSON: -o json does not apply"),
            (["--exec", "  "], "--exec needs a command"),
            (["--batch", "3"], "--batch applies to --exec"),
            (["--exec-retries", "2"], "--exec-retries applies to --exec"),
            (["--exec", CONSUMER_COMMAND, "--batch", "0"], "--batch 0 is out of range (use a whole number, 1 or more)"),
            (["--exec", CONSUMER_COMMAND, "--exec-retries", "-1"],
             "--exec-retries -1 is out of range (use a whole number from 0 to 1000000)"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.emu.clear_requests()
                result = self.list(*args, env=self.deliveries.env())
                self.assertOneErrorLine(result, 2, message)
                self.assertEqual(result.stdout, "")
                self.assertEqual(self.emu.requests(), [])
        without_state = run_auditfetch("list", *PINGONE.args(self.emu), "--wait-lock", "1s",
                                       env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertOneErrorLine(without_state, 2, "--wait-lock applies to --state")
        for command in ("list", "tail"):
            with self.subTest(command=command):
                help_text = run_auditfetch(command, "--help").stdout
                for flag in ("--exec CMD", "--batch N", "--exec-retries N", "--wait-lock DURATION"):
                    self.assertIn(flag, help_text)


class ExecTailTest(ExecCase):
    def test_tail_delivers_each_poll_and_saves_after_it(self) -> None:
        process = self.tail("--since", SINCE, "--state", self.state, "--exec", CONSUMER_COMMAND, "--batch", "10",
                            env=self.deliveries.env("tail"))
        expected = PINGONE.ids
        self.assertTrue(process.wait_for(lambda: len(self.deliveries.ids()) >= len(expected), WAIT),
                        process.describe())
        total = len(expected)
        self.assertEqual([len(b) for b in self.deliveries.batches()],
                         [10] * (total // 10) + ([total % 10] if total % 10 else []))
        added = [PINGONE.record(PINGONE.newest + (i + 1) * SECOND) for i in range(3)]
        self.emu.add_activities("pingone", added)
        self.assertTrue(process.wait_for(lambda: len(self.deliveries.ids()) >= total + 3, WAIT),
                        process.describe())
        self.stop_with(process, signal.SIGTERM, 0)
        self.assertEqual(process.stdout_bytes(), b"")
        self.assertEqual(self.deliveries.batches()[-1], sorted(ids_of(added), key=lambda i: next(
            (r["recordedAt"], r["id"]) for r in added if r["id"] == i)))
        self.assertDeliveredOnce(self.deliveries.ids(), expected + ids_of(added))
        # The checkpoint followed the deliveries: a list with the same state has nothing new.
        result = self.exec_list(run="after")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.deliveries.files("after"), [])

    def test_tail_exits_1_when_the_command_keeps_failing(self) -> None:
        process = self.tail("--since", SINCE, "--state", self.state, "--exec", "cat >/dev/null; exit 5",
                            "--exec-retries", "0", env=self.deliveries.env("tail"))
        self.assertIsNotNone(process.wait(WAIT), process.describe())
        self.assertEqual(process.proc.returncode, 1, process.describe())
        self.assertIn("the --exec command exited with status 5", process.stderr())
        self.assertEqual(process.stdout_bytes(), b"")


# --------------------------------------------------------------------------- every provider


class ExecMatrixCase:
    """list --state --exec --batch on every provider: every record once, in batches of N, and a
    second run with the same state file delivers nothing."""

    provider: Provider
    emu: Any
    BATCH = 3

    def test_exec_delivers_every_record_once_in_batches(self) -> None:
        p = self.provider
        since, until = p.window
        expected = sorted(p.rec_id(r) for r in p.records if parse_time(since) <= p.time(r) < parse_time(until))
        with tempfile.TemporaryDirectory(prefix="auditfetch-exec-") as tmp:
            deliveries_dir = Path(tmp) / "deliveries"
            deliveries_dir.mkdir()
            deliveries = Deliveries(deliveries_dir)
            size = ["--page-size", str(p.page_size)] if p.page_size_flag else []
            args = ["list", *p.args(self.emu.url), "--since", since, "--until", until, *size,
                    "--state", Path(tmp) / "state.json", "--exec", CONSUMER_COMMAND, "--batch", str(self.BATCH)]
            first = run_auditfetch(*args, env={**p.env, **deliveries.env("first")})
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertEqual(first.stdout, "")
            batches = deliveries.batches("first", key=p.act_id)
            self.assertTrue(all(len(b) == self.BATCH for b in batches[:-1]), [len(b) for b in batches])
            self.assertTrue(batches and 0 < len(batches[-1]) <= self.BATCH, [len(b) for b in batches])
            got = [i for b in batches for i in b]
            self.assertEqual([i for i, n in Counter(got).items() if n > 1], [], "delivered twice")
            self.assertEqual(sorted(got), expected)
            second = run_auditfetch(*args, env={**p.env, **deliveries.env("second")})
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertEqual(deliveries.files("second"), [])


for _provider in MATRIX:
    _title = _provider.name.replace("1password", "one_password").replace("-", "_").title().replace("_", "")
    globals()[f"{_title}ExecTest"] = type(f"{_title}ExecTest", (ExecMatrixCase, EmulatorTestCase),
                                          {"provider": _provider, "emulator_args": _provider.emulator_args})
del _provider, _title


# --------------------------------------------------------------------------- kill -9


class Run:
    """auditfetch in a session of its own, so that it and its --exec command die together."""

    def __init__(self, args: list[Any], env: dict[str, str]):
        self.home = tempfile.TemporaryDirectory(prefix="auditfetch-home-")
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home.name,
                       "LANG": "C.UTF-8", "TZ": "UTC", **env}
        for sanitizer in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
            if sanitizer in os.environ:
                environment[sanitizer] = os.environ[sanitizer]
        self.stderr = tempfile.TemporaryFile()
        self.started = time.monotonic()
        self.proc = subprocess.Popen([str(auditfetch_bin()), *(str(a) for a in args)], env=environment,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr,
                                     start_new_session=True)

    def kill_all(self) -> None:
        """SIGKILL to auditfetch and everything it started."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        stdout, _ = self.proc.communicate(timeout=timeout)
        self.kill_all()  # a consumer left behind by a killed run
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace")
        self.stderr.close()
        self.home.cleanup()
        return self.proc.returncode, stdout.decode("utf-8", "replace"), text


class ExecKillCase:
    """`list --state --exec` killed with its consumer at random moments, the consumer failing now and
    then; records added between and during runs. Across the runs:
    - every record is delivered at least once;
    - an id delivered by a killed run is delivered again by a later run only if it was in the last
      batch that run delivered (the batch in flight: the command had finished, the checkpoint not);
    - no run delivers an id twice; after a clean run, the next delivers exactly what was added."""

    provider: Provider
    emu: Any
    KILLED_RUNS = 6
    PAGE_SIZE = 2

    def test_kill_9_at_random_moments_loses_nothing(self) -> None:
        p = self.provider
        seed = int(os.environ.get("AUDITFETCH_TEST_SEED") or random.SystemRandom().randrange(2 ** 32))
        rng = random.Random(seed)
        notes = [f"{p.name}: random seed {seed} (rerun with AUDITFETCH_TEST_SEED={seed})"]
        why = lambda: "\n".join(notes)  # noqa: E731
        newest = [max(p.time(r) for r in p.records)]
        existing = [p.rec_id(r) for r in p.records if p.time(r) >= parse_time(p.window[0])]

        def add(count: int) -> list[str]:
            records = []
            for _ in range(count):
                newest[0] += SECOND
                records.append(p.new_record(json.loads(json.dumps(p.records[-1])), os.urandom(8).hex(), newest[0]))
            if records:
                self.emu.add_activities(p.emulator_name or p.name, records)
            return [p.rec_id(r) for r in records]

        with tempfile.TemporaryDirectory(prefix="auditfetch-kill-") as tmp:
            deliveries_dir = Path(tmp) / "deliveries"
            deliveries_dir.mkdir()
            deliveries = Deliveries(deliveries_dir)
            state = Path(tmp) / "state.json"
            size = ["--page-size", str(self.PAGE_SIZE)] if p.page_size_flag else []
            args = ["list", *p.args(self.emu.url), "--since", p.window[0], *size, "--state", state,
                    "--exec", CONSUMER_COMMAND, "--batch", "3"]

            def start(run: str, fail: float, delay: float) -> Run:
                return Run(args, {**p.env, **deliveries.env(run, CONSUMER_FAIL=fail, CONSUMER_DELAY=delay)})

            runs = []
            for number in range(self.KILLED_RUNS):
                name = f"k{number}"
                existing += add(rng.randint(0, 3))
                process = start(name, fail=0.25, delay=rng.choice([0, 0.02, 0.1]))
                kill_at, add_at = rng.uniform(0.05, 2.0), rng.uniform(0.0, 2.0)
                if add_at < kill_at:
                    time.sleep(max(0.0, process.started + add_at - time.monotonic()))
                    existing += add(rng.randint(1, 2))
                time.sleep(max(0.0, process.started + kill_at - time.monotonic()))
                ended_alone = process.proc.poll() is not None
                process.kill_all()
                code, stdout, stderr = process.finish()
                notes.append(f"run {name}: killed at {kill_at:.2f} s{' (had ended: ' + str(code) + ')' if ended_alone else ''}"
                             f", {len(deliveries.files(name))} batches delivered")
                self.assertEqual(stdout, "", why())
                if ended_alone:
                    self.assertIn(code, (0, 1), f"{why()}\n{stderr}")
                    if code == 1:
                        self.assertIn("was not delivered", stderr, why())
                runs.append(name)

            # A clean run delivers the rest; the next one exactly what was added after it.
            code, stdout, stderr = start("clean", fail=0, delay=0).finish()
            self.assertEqual(code, 0, f"{why()}\n{stderr}")
            added = add(2)
            existing += added
            code, stdout, stderr = start("final", fail=0, delay=0).finish()
            self.assertEqual(code, 0, f"{why()}\n{stderr}")
            runs += ["clean", "final"]

            per_run = {run: deliveries.batches(run, key=p.act_id) for run in runs}
            for run, batches in per_run.items():
                ids = [i for b in batches for i in b]
                self.assertEqual([i for i, n in Counter(ids).items() if n > 1], [],
                                 f"run {run} delivered an id twice\n{why()}")
            everything = Counter(i for batches in per_run.values() for b in batches for i in b)
            self.assertEqual(sorted(set(existing) - set(everything)), [], f"never delivered\n{why()}")
            self.assertEqual(sorted(set(everything) - set(existing)), [], f"delivered but never added\n{why()}")
            self.assertEqual(sorted(i for b in per_run["final"] for i in b), sorted(added), why())
            for index, run in enumerate(runs[:-1]):
                batches = per_run[run]
                mine = {i for b in batches for i in b}
                later = {i for other in runs[index + 1:] for b in per_run[other] for i in b}
                in_flight = set(batches[-1]) if batches else set()
                self.assertEqual(sorted((mine & later) - in_flight), [],
                                 f"delivered again after run {run} had saved them\n{why()}")


KILL_PROVIDERS = ("pingone", "sailpoint", "okta")  # newest first; oldest first; the API's resume point
for _provider in MATRIX:
    if _provider.name in KILL_PROVIDERS:
        _title = _provider.name.title()
        globals()[f"{_title}ExecKillTest"] = type(
            f"{_title}ExecKillTest", (ExecKillCase, EmulatorTestCase),
            {"provider": _provider, "emulator_args": (*_provider.emulator_args, "--page-delay-ms", "20")})
del _provider, _title


if __name__ == "__main__":
    unittest.main()
