"""End to end: `--state FILE` checkpoints for `list` (cron style) and `tail`.

With --state, a run starts after the last activity the previous run printed (the file takes
precedence over --since; without a file, --since applies), re-reading an --overlap window
(default 5m) and dropping ids already printed. Progress is saved only after output is written
and flushed, atomically (temp file + fsync + rename), mode 0600, with the provider and the
account; a state file of another provider or account, or a corrupt one, exits 2 naming the file
and leaves it untouched.

Guarantee (README): every activity is printed at least once across runs; a duplicate is possible
only for activities printed after the last checkpoint of a run that was killed (kill -9), never
after a clean exit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import tempfile
import time
import unittest
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from harness import TOKEN, auditfetch_bin, run_auditfetch
from provider_case import format_ms, ndjson, parse_time
from test_tail import (MINUTE, NEW, PINGONE, SAILPOINT, SECOND, SINCE, THOUSANDEYES, TRUTO, Spec,
                       TailCase, ids_of)


def json_strings(node: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from json_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from json_strings(item)


def replace_string(node: Any, old: str, new: str) -> Any:
    """The document with every string (key or value) equal to `old` replaced by `new`."""
    if isinstance(node, str):
        return new if node == old else node
    if isinstance(node, dict):
        return {(new if k == old else k): replace_string(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_string(item, old, new) for item in node]
    return node


class StateCase(TailCase):
    def setUp(self) -> None:
        super().setUp()
        directory = tempfile.TemporaryDirectory(prefix="auditfetch-state-")
        self.addCleanup(directory.cleanup)
        self.dir = Path(directory.name)
        self.state = self.dir / "auditfetch.state"

    def list(self, *args: Any, spec: Spec = PINGONE, state: Path | None = None, since: str | None = SINCE,
             account: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        times = ["--since", since] if since is not None else []
        return run_auditfetch("list", *spec.args(self.emu, account), *times, "--state", state or self.state, *args,
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def listed(self, *args: Any, **kwargs: Any) -> list[str]:
        """The ids a successful `list --state` printed."""
        result = self.list(*args, **kwargs)
        self.assertEqual(result.returncode, 0, result.stderr)
        return [a["id"] for a in ndjson(result.stdout)]

    def assertRefused(self, result: subprocess.CompletedProcess, path: Path) -> None:
        """Exit 2 with one error line naming the state file, nothing printed."""
        self.assertOneErrorLine(result, 2, str(path))
        self.assertEqual(result.stdout, "")

    def assertPrivateState(self, path: Path) -> Any:
        """A regular file, mode 0600, holding JSON; returns the document."""
        self.assertTrue(path.exists() or path.is_symlink(), f"no state file {path}")
        info = os.lstat(path)
        self.assertTrue(stat.S_ISREG(info.st_mode), f"{path} is not a regular file")
        self.assertEqual(stat.S_IMODE(info.st_mode), 0o600, oct(stat.S_IMODE(info.st_mode)))
        try:
            return json.loads(path.read_bytes())
        except ValueError:
            self.fail(f"{path} is not JSON: {path.read_bytes()[:300]!r}")


class CronTest(StateCase):
    def test_consecutive_runs_print_every_activity_exactly_once(self) -> None:
        newest = PINGONE.newest  # the last activity run 1 prints
        run1 = self.listed()
        self.assertEqual(sorted(run1), PINGONE.ids)

        # A new one, a late one inside the default 5m overlap, one at the very same time as the newest.
        batch2 = [PINGONE.record(newest + MINUTE), PINGONE.record(newest - 3 * MINUTE), PINGONE.record(newest)]
        self.emu.add_activities("pingone", batch2)
        run2 = self.listed(since=None)
        self.assertEqual(sorted(run2), sorted(ids_of(batch2)))

        # Run 3 re-reads [newest + 1m - 5m, ...]: that holds activities of run 1 and run 2, printed already.
        batch3 = [PINGONE.record(newest + 2 * MINUTE), PINGONE.record(newest + MINUTE)]
        self.emu.add_activities("pingone", batch3)
        run3 = self.listed(since=None)
        self.assertEqual(sorted(run3), sorted(ids_of(batch3)))

        run4 = self.listed(since=None)
        self.assertEqual(run4, [])

        everything = run1 + run2 + run3 + run4
        self.assertEqual(sorted(everything), self.existing_ids())
        self.assertEqual([i for i, n in Counter(everything).items() if n > 1], [])

    def test_runs_with_activities_far_apart(self) -> None:
        runs = [self.listed()]
        for step in range(1, 4):
            batch = [PINGONE.record(NEW + step * 86400 * SECOND + i * SECOND) for i in range(step)]
            self.emu.add_activities("pingone", batch)
            runs.append(self.listed(since=None))
            self.assertEqual(sorted(runs[-1]), sorted(ids_of(batch)))
        everything = [i for run in runs for i in run]
        self.assertEqual(sorted(everything), self.existing_ids())

    def test_a_late_activity_within_overlap_is_printed_by_the_next_run(self) -> None:
        self.assertEqual(sorted(self.listed("--overlap", "1h")), PINGONE.ids)
        late = PINGONE.record(PINGONE.newest - 20 * MINUTE)
        self.emu.add_activities("pingone", [late])
        self.assertEqual(self.listed("--overlap", "1h", since=None), [late["id"]])
        self.assertEqual(self.listed("--overlap", "1h", since=None), [])

    def test_the_state_file_takes_precedence_over_since(self) -> None:
        self.assertEqual(sorted(self.listed()), PINGONE.ids)
        # --since that would print every fixture again: ignored, the file exists.
        self.assertEqual(self.listed(since=SINCE), [])
        added = PINGONE.record(NEW)
        self.emu.add_activities("pingone", [added])
        # --since after the new activity: ignored too.
        self.assertEqual(self.listed(since=format_ms(NEW + 86400 * SECOND)), [added["id"]])

    def test_without_a_state_file_since_applies(self) -> None:
        since = "2024-05-15T00:00:00Z"
        expected = sorted(r["id"] for r in PINGONE.records if parse_time(r["recordedAt"]) >= parse_time(since))
        self.assertLess(len(expected), len(PINGONE.ids))
        self.assertEqual(sorted(self.listed(since=since)), expected)
        self.assertTrue(self.state.exists())

    def test_a_run_whose_output_fails_saves_no_progress(self) -> None:
        """stdout on a full disk: nothing was printed, so the next run still prints everything."""
        with open("/dev/full", "w") as full, tempfile.TemporaryDirectory() as home:
            subprocess.run([str(auditfetch_bin()), "list", *PINGONE.args(self.emu), "--since", SINCE,
                            "--state", str(self.state)], stdout=full, stderr=subprocess.PIPE, timeout=60,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
                                "TZ": "UTC", "AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(sorted(self.listed()), PINGONE.ids)


class FileTest(StateCase):
    def test_the_state_file_is_private_json_with_provider_and_account(self) -> None:
        self.listed()
        document = self.assertPrivateState(self.state)
        strings = set(json_strings(document))
        self.assertIn("pingone", strings)
        self.assertIn(PINGONE.account, strings)
        # Beside it only its lock file (one run per state file), private too.
        self.assertEqual(sorted(os.listdir(self.dir)), [self.state.name, self.state.name + ".lock"],
                         "a temporary file was left behind")
        self.assertEqual(stat.S_IMODE(os.stat(self.dir / (self.state.name + ".lock")).st_mode), 0o600)

    def test_a_rewrite_is_mode_0600_again(self) -> None:
        self.listed()
        os.chmod(self.state, 0o644)
        before = self.state.read_bytes()
        self.emu.add_activities("pingone", [PINGONE.record(NEW)])
        self.assertEqual(len(self.listed(since=None)), 1)
        self.assertNotEqual(self.state.read_bytes(), before, "progress was not saved")
        self.assertPrivateState(self.state)
        self.assertEqual(sorted(os.listdir(self.dir)), [self.state.name, self.state.name + ".lock"])

    def test_each_provider_keeps_its_account(self) -> None:
        for spec in (PINGONE, TRUTO, SAILPOINT, THOUSANDEYES):
            with self.subTest(provider=spec.name):
                path = self.dir / f"{spec.name}.state"
                result = self.list(spec=spec, state=path)
                self.assertEqual(result.returncode, 0, result.stderr)
                strings = set(json_strings(self.assertPrivateState(path)))
                self.assertIn(spec.name, strings)
                self.assertIn(spec.account, strings)

    def test_a_state_file_of_another_provider_is_refused(self) -> None:
        te_state = self.dir / "thousandeyes.state"
        result = self.list(spec=THOUSANDEYES, state=te_state)
        self.assertEqual(result.returncode, 0, result.stderr)
        before = te_state.read_bytes()
        self.assertRefused(self.list(state=te_state), te_state)
        self.assertEqual(te_state.read_bytes(), before)

        self.listed()
        before = self.state.read_bytes()
        self.assertRefused(self.list(spec=THOUSANDEYES), self.state)
        self.assertRefused(self.list(spec=TRUTO), self.state)
        self.assertEqual(self.state.read_bytes(), before)

    def test_a_state_file_whose_provider_was_edited_is_refused(self) -> None:
        self.listed()
        document = json.loads(self.state.read_bytes())
        self.assertIn("pingone", set(json_strings(document)), "the state file does not name its provider")
        edited = json.dumps(replace_string(document, "pingone", "thousandeyes")).encode()
        self.state.write_bytes(edited)
        self.assertRefused(self.list(), self.state)
        self.assertEqual(self.state.read_bytes(), edited)

    def test_a_state_file_of_another_account_is_refused(self) -> None:
        for spec in (PINGONE, TRUTO, SAILPOINT, THOUSANDEYES):
            with self.subTest(provider=spec.name):
                path = self.dir / f"{spec.name}.state"
                result = self.list(spec=spec, state=path)
                self.assertEqual(result.returncode, 0, result.stderr)
                before = path.read_bytes()
                self.assertRefused(self.list(spec=spec, state=path, account=spec.other_account), path)
                self.assertEqual(path.read_bytes(), before)

    def test_a_corrupt_state_file_is_refused_and_left_alone(self) -> None:
        self.listed(state=self.dir / "valid.state")
        valid = (self.dir / "valid.state").read_bytes()
        self.emu.clear_requests()
        contents = {
            "garbage": b"\x00\xff\xfe not a state file {{{\n",
            "truncated": valid[:len(valid) // 2],
            "an array": b"[]",
            "an empty object": b"{}",
            "null": b"null",
            "a string": b'"pingone"',
        }
        for name, content in contents.items():
            with self.subTest(content=name):
                self.state.write_bytes(content)
                result = self.list()
                self.assertRefused(result, self.state)
                self.assertEqual(self.state.read_bytes(), content)
        self.assertEqual(self.list_requests(), [], "a refused state file must stop the run before any request")

    def test_a_symlink_at_the_state_path_does_not_clobber_its_target(self) -> None:
        elsewhere = self.dir / "elsewhere"
        elsewhere.mkdir()
        self.listed(state=self.dir / "valid.state")
        self.emu.add_activities("pingone", [PINGONE.record(NEW)])  # a run would have progress to save
        targets = {"a state file": (self.dir / "valid.state").read_bytes(),
                   "another file": b"precious: not auditfetch's\n"}
        for name, content in targets.items():
            with self.subTest(target=name):
                target = elsewhere / "target"
                target.write_bytes(content)
                self.state.unlink(missing_ok=True)
                self.state.symlink_to(target)
                result = self.list(since=None)
                self.assertEqual(target.read_bytes(), content, "the symlink's target was written to")
                self.assertIn(result.returncode, (0, 2), result.stderr)
                if result.returncode == 0:  # the link was replaced by the new state file
                    self.assertPrivateState(self.state)
                else:
                    self.assertOneErrorLine(result, 2, str(self.state))
                target.unlink()

    def test_a_dangling_symlink_at_the_state_path_creates_no_file_through_it(self) -> None:
        target = self.dir / "nowhere" / "target"
        target.parent.mkdir()
        self.state.symlink_to(target)
        result = self.list()
        self.assertIn(result.returncode, (0, 2), result.stderr)
        self.assertFalse(target.exists(), "a file was created through the symlink")


class TailStateTest(StateCase):
    def test_sigterm_saves_the_checkpoint(self) -> None:
        process = self.tail("--since", SINCE, "--state", self.state)
        self.wait_printed(process, PINGONE.ids)
        added = [PINGONE.record(NEW)]
        self.emu.add_activities("pingone", added)
        self.wait_printed(process, ids_of(added))
        self.stop_with(process, signal.SIGTERM, 0)
        self.assertPrivateState(self.state)
        self.assertEqual(self.listed(since=None), [])
        later = PINGONE.record(NEW + SECOND)
        self.emu.add_activities("pingone", [later])
        self.assertEqual(self.listed(since=None), [later["id"]])

    def test_sigint_saves_the_checkpoint(self) -> None:
        process = self.tail("--since", SINCE, "--state", self.state)
        self.wait_printed(process, PINGONE.ids)
        self.stop_with(process, signal.SIGINT, 130)
        self.assertEqual(self.listed(since=None), [])

    def test_a_list_checkpoint_is_resumed_by_tail(self) -> None:
        self.assertEqual(sorted(self.listed()), PINGONE.ids)
        added = [PINGONE.record(NEW), PINGONE.record(PINGONE.newest - MINUTE)]
        self.emu.add_activities("pingone", added)
        process = self.tail("--since", SINCE, "--state", self.state)
        self.wait_printed(process, ids_of(added))
        self.wait_polls(process, 2)
        self.assertIdsOnce(process.activities(), ids_of(added))
        self.stop_with(process, signal.SIGTERM, 0)

    def test_tail_checkpoints_after_each_poll(self) -> None:
        """Killed (kill -9) a few polls after printing, nothing printed is printed again."""
        process = self.tail("--since", SINCE, "--state", self.state)
        self.wait_printed(process, PINGONE.ids)
        added = [PINGONE.record(NEW)]
        self.emu.add_activities("pingone", added)
        self.wait_printed(process, ids_of(added))
        self.wait_polls(process, 2)
        process.signal(signal.SIGKILL)
        self.assertEqual(process.wait(10), -signal.SIGKILL)
        self.assertPrivateState(self.state)
        self.assertEqual(self.listed(since=None), [])

    def test_tail_refuses_a_state_file_of_another_account(self) -> None:
        self.listed()
        before = self.state.read_bytes()
        process = self.tail("--state", self.state, account=PINGONE.other_account)
        self.assertEqual(process.wait(10), 2, process.describe())
        self.assertRefused(process.result(), self.state)
        self.assertEqual(self.state.read_bytes(), before)


class KillTest(StateCase):
    KILLED_RUNS = 5
    SLACK = 0.1  # seconds: file times come from a coarse clock; polls are a second apart

    def test_sigkill_at_random_points_loses_nothing(self) -> None:
        """tail --state killed (kill -9) at random points, activities added between and during runs,
        then a run ended by SIGTERM and a last `list --state`:
        - every activity is printed at least once, no run prints one twice;
        - what a killed run printed before its last checkpoint (lines read before the state file's
          last write) is never printed again; no id is printed more than killed runs + 1 times;
        - the run after the clean exit prints exactly what was added since."""
        seed = int(os.environ.get("AUDITFETCH_TEST_SEED") or random.SystemRandom().randrange(2 ** 32))
        rng = random.Random(seed)
        plan = [f"random seed {seed} (rerun with AUDITFETCH_TEST_SEED={seed})"]
        why = lambda: "\n".join(plan)  # noqa: E731
        newest = [NEW]

        def batch(count: int) -> list[dict[str, Any]]:
            """New activities; now and then a late one (2m older than the newest, inside the default
            5m overlap) or one at the newest time."""
            records = []
            for _ in range(count):
                roll = rng.random()
                if roll < 0.2:
                    when = newest[0] - 2 * MINUTE
                elif roll < 0.35:
                    when = newest[0]
                else:
                    newest[0] += SECOND
                    when = newest[0]
                records.append(PINGONE.record(when))
            if records:
                self.emu.add_activities("pingone", records)
            return records

        runs: list[list[str]] = []
        checkpointed: list[set[str]] = []  # per killed run: ids printed before its last checkpoint
        for run in range(self.KILLED_RUNS):
            before = batch(rng.randint(0, 3))
            process = self.tail("--since", SINCE, "--state", self.state)
            kill_at, add_at = rng.uniform(0.2, 2.5), rng.uniform(0.0, 2.5)
            during: list[dict[str, Any]] = []
            if add_at < kill_at:
                time.sleep(max(0.0, process.started + add_at - time.monotonic()))
                during = batch(rng.randint(1, 2))
            time.sleep(max(0.0, process.started + kill_at - time.monotonic()))
            self.assertTrue(process.running(), f"{why()}\n{process.describe()}")
            process.signal(signal.SIGKILL)
            self.assertEqual(process.wait(10), -signal.SIGKILL, why())
            lines = process.timed_lines()  # complete lines only: a cut-off line was not printed
            ids = [json.loads(line)["id"] for _, line in lines]
            saved = os.stat(self.state).st_mtime_ns / 1e9 if self.state.exists() else float("-inf")
            covered = {json.loads(line)["id"] for at, line in lines if at < saved - self.SLACK}
            runs.append(ids)
            checkpointed.append(covered)
            plan.append(f"killed run {run}: {len(before)} added before, {len(during)} during (at {add_at:.2f} s), "
                        f"killed at {kill_at:.2f} s; printed {len(ids)}, {len(covered)} of them checkpointed")
            self.assertEqual([i for i, n in Counter(ids).items() if n > 1], [],
                             f"one run printed an activity twice\n{why()}")
            if self.state.exists():  # a kill never leaves a half-written state file
                self.assertPrivateState(self.state)
            process.stop()

        # A clean run: catches up, follows one more activity, ends with SIGTERM.
        process = self.tail("--since", SINCE, "--state", self.state)
        missing = set(self.existing_ids()) - {i for run in runs for i in run}
        self.wait_printed(process, missing, timeout=15, note=why())
        during = batch(1)
        self.wait_printed(process, ids_of(during), note=why())
        self.stop_with(process, signal.SIGTERM, 0, note=why())
        clean = process.ids()
        plan.append(f"clean run: printed {len(clean)}")
        self.assertEqual([i for i, n in Counter(clean).items() if n > 1], [], why())
        runs.append(clean)

        after = batch(2)
        final = self.listed(since=None)
        plan.append(f"final list: printed {len(final)}")
        self.assertEqual(sorted(final), sorted(ids_of(after)),
                         f"the run after a clean exit must print exactly what was added since\n{why()}")
        runs.append(final)

        for run, covered in enumerate(checkpointed):
            again = covered & {i for later in runs[run + 1:] for i in later}
            self.assertEqual(again, set(), f"printed again after killed run {run} had saved them\n{why()}")
        everything = Counter(i for run in runs for i in run)
        self.assertEqual(sorted(set(self.existing_ids()) - set(everything)), [], f"never printed\n{why()}")
        self.assertEqual(sorted(everything), self.existing_ids(), f"printed but never added\n{why()}")
        too_often = {i: n for i, n in everything.items() if n > self.KILLED_RUNS + 1}
        self.assertEqual(too_often, {}, why())


if __name__ == "__main__":
    unittest.main()
