"""End to end: several sources, one stream (list --profile A --profile B, --source NAME=PROFILE).

Each source is a config profile with its own provider, settings, credentials and checkpoint
(--state-dir DIR keeps DIR/SOURCE.json). The merged listing is in time order across sources,
newest first unless --order oldest, and every activity names its `source`. A failing source
does not stop the others: the run prints what the healthy ones served, names the failure, exits
1, and the healthy sources' checkpoints still advance.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tempfile
import textwrap
import unittest
from pathlib import Path
from typing import Any

from harness import GITHUB_OTHER_ORG, Emulator, EmulatorTestCase, run_auditfetch
from provider_case import format_ms, ndjson
from test_matrix import MATRIX

PROVIDERS = {p.name: p for p in MATRIX}
SOURCES = ("ping", "okta", "gh")  # profile names, and so source names
PROVIDER_OF = {"ping": "pingone", "okta": "okta", "gh": "github"}
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
SECOND = 1_000_000_000


def profile_text(name: str, provider: str, emu_url: str, extra: dict[str, str] | None = None) -> str:
    """A profile from the matrix's flags: --environment-id X becomes environment-id = "X"."""
    flags = PROVIDERS[provider].settings(emu_url)
    keys = {key[2:]: value for key, value in zip(flags[::2], flags[1::2])}
    keys.update(extra or {})
    lines = [f"[profiles.{name}]", f'provider = "{provider}"'] + [f'{k} = "{v}"' for k, v in keys.items()]
    return "\n".join(lines) + "\n"


class SourcesCase(EmulatorTestCase):
    def setUp(self) -> None:
        super().setUp()
        self._dir = tempfile.TemporaryDirectory(prefix="auditfetch-sources-")
        self.addCleanup(self._dir.cleanup)
        self.dir = Path(self._dir.name)
        config = "".join(profile_text(name, PROVIDER_OF[name], self.emu.url) for name in SOURCES)
        config += profile_text("gh-labs", "github", self.emu.url, {"org": GITHUB_OTHER_ORG})
        path = self.dir / "xdg" / "auditfetch" / "config.toml"
        path.parent.mkdir(parents=True)
        path.write_text(config)
        path.chmod(0o600)
        self.env: dict[str, str] = {"XDG_CONFIG_HOME": str(self.dir / "xdg")}
        for name in PROVIDER_OF.values():
            self.env.update(PROVIDERS[name].env)

    def af(self, *args: Any, **kwargs: Any):
        return run_auditfetch(*args, env=self.env, **kwargs)

    def merged(self, *args: Any):
        return self.af("list", *[a for s in SOURCES for a in ("--profile", s)], "--since", SINCE,
                       "--until", UNTIL, "--retries", "0", *args)

    def alone(self, source: str, *args: Any) -> list[dict[str, Any]]:
        result = self.af("list", "--profile", source, "--since", SINCE, "--until", UNTIL, "-o", "ndjson", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return ndjson(result.stdout)

    def assertError(self, result, code: int, *texts: str) -> str:
        self.assertEqual(result.returncode, code, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("auditfetch: error: ")]
        self.assertEqual(len(errors), 1, result.stderr)
        for text in texts:
            self.assertIn(text, errors[0])
        return errors[0]


class MergeTest(SourcesCase):
    def test_three_providers_merge_newest_first_each_naming_its_source(self) -> None:
        result = self.merged("-o", "ndjson")
        self.assertEqual(result.returncode, 0, result.stderr)
        merged = ndjson(result.stdout)
        expected: list[tuple[str, str]] = []
        for source in SOURCES:
            alone = self.alone(source)
            self.assertGreater(len(alone), 0, source)
            expected += [(source, a["id"]) for a in alone]
            for a in alone:
                self.assertNotIn("source", a)  # one source: the output it always had
        self.assertEqual(sorted((a["source"], a["id"]) for a in merged), sorted(expected))
        times = [a["created_at"] for a in merged]
        self.assertEqual(times, sorted(times, reverse=True))
        for a in merged:
            self.assertEqual(a["provider"], PROVIDER_OF[a["source"]])
            self.assertEqual(list(a)[-2:], ["provider", "source"])
        # Each source's own activities keep their own order and bytes, but for `source`.
        for source in SOURCES:
            mine = [{k: v for k, v in a.items() if k != "source"} for a in merged if a["source"] == source]
            self.assertEqual(sorted(json.dumps(a, sort_keys=True) for a in mine),
                             sorted(json.dumps(a, sort_keys=True) for a in self.alone(source)))

    def test_oldest_first_and_limit_cut_the_merged_stream(self) -> None:
        newest = ndjson(self.merged("-o", "ndjson").stdout)
        oldest = self.merged("-o", "ndjson", "--order", "oldest")
        self.assertEqual(oldest.returncode, 0, oldest.stderr)
        times = [a["created_at"] for a in ndjson(oldest.stdout)]
        self.assertEqual(times, sorted(times))
        self.assertEqual(sorted(times), sorted(a["created_at"] for a in newest))
        top = self.merged("-o", "ndjson", "--limit", "5")
        self.assertEqual(top.returncode, 0, top.stderr)
        self.assertEqual([(a["source"], a["id"]) for a in ndjson(top.stdout)],
                         [(a["source"], a["id"]) for a in newest[:5]])
        count = self.merged("--count")
        self.assertEqual(count.returncode, 0, count.stderr)
        self.assertEqual(count.stdout, f"{len(newest)}\n")

    def test_table_csv_and_fields_show_the_source(self) -> None:
        table = self.merged("-o", "table")
        self.assertEqual(table.returncode, 0, table.stderr)
        header = table.stdout.splitlines()[0].split()
        self.assertEqual(header[:3], ["TIME", "SOURCE", "ID"])
        rows = list(csv.reader(io.StringIO(self.merged("-o", "csv").stdout)))
        self.assertEqual(rows[0][-2:], ["provider", "source"])
        self.assertEqual({row[-1] for row in rows[1:]}, set(SOURCES))
        picked = self.merged("-o", "ndjson", "--fields", "source,id")
        self.assertEqual(picked.returncode, 0, picked.stderr)
        for a in ndjson(picked.stdout):
            self.assertEqual(list(a), ["source", "id"])
        # One source asked for `source` by --fields: null, its output otherwise unchanged.
        one = self.af("list", "--profile", "gh", "--since", SINCE, "--until", UNTIL, "-o", "ndjson",
                      "--fields", "id,source")
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertTrue(all(a["source"] is None for a in ndjson(one.stdout)))

    def test_source_names_one_profile_twice_with_other_settings(self) -> None:
        result = self.af("list", "--source", "corp=gh", "--source", f"labs=gh,org={GITHUB_OTHER_ORG}",
                         "--since", SINCE, "--until", UNTIL, "-o", "ndjson")
        self.assertEqual(result.returncode, 0, result.stderr)
        merged = ndjson(result.stdout)
        labs = self.alone("gh-labs")
        corp = self.alone("gh")
        self.assertGreater(len(labs), 0)
        self.assertEqual(sorted(a["id"] for a in merged if a["source"] == "labs"), sorted(a["id"] for a in labs))
        self.assertEqual(sorted(a["id"] for a in merged if a["source"] == "corp"), sorted(a["id"] for a in corp))
        requests = self.emu.requests(PROVIDERS["github"].list_path.replace("acme-corp", GITHUB_OTHER_ORG))
        self.assertTrue(requests or any(GITHUB_OTHER_ORG in r["path"] for r in self.emu.requests()))

    def test_explain_shows_each_source_and_sends_nothing(self) -> None:
        result = self.merged("--explain")
        self.assertEqual(result.returncode, 0, result.stderr)
        for source in SOURCES:
            self.assertIn(f"{source} (profile {source})", result.stdout)
        self.assertEqual(self.emu.requests(), [])


class FailingSourceTest(SourcesCase):
    def test_one_failing_source_does_not_stop_the_others(self) -> None:
        okta = PROVIDERS["okta"]
        self.emu.faults({"path": okta.list_path + "$", "kind": "status", "status": 500})
        state = self.dir / "state"
        result = self.merged("-o", "ndjson", "--state-dir", state)
        error = self.assertError(result, 1, "okta: ", "500")
        self.assertTrue(error.startswith("auditfetch: error: okta: "), error)
        merged = ndjson(result.stdout)
        self.assertEqual({a["source"] for a in merged}, {"ping", "gh"})
        self.assertEqual(len(merged), len(self.alone("ping")) + len(self.alone("gh")))
        # The healthy sources' checkpoints advanced, the failed one's did not: once okta
        # answers, the rerun prints okta's activities, and nothing of the others again.
        self.emu.clear_faults()
        again = self.merged("-o", "ndjson", "--state-dir", state)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(sorted(a["id"] for a in ndjson(again.stdout)), sorted(a["id"] for a in self.alone("okta")))
        self.assertEqual({a["source"] for a in ndjson(again.stdout)}, {"okta"})

    def test_every_source_failing_the_same_way_keeps_that_exit_code(self) -> None:
        for name in ("okta", "github"):
            self.emu.faults({"path": PROVIDERS[name].list_path + "$", "kind": "status", "status": 401})
        result = self.af("list", "--profile", "okta", "--profile", "gh", "--since", SINCE, "--until", UNTIL,
                         "--retries", "0")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(len([l for l in result.stderr.splitlines() if l.startswith("auditfetch: error: ")]), 2)


class StateDirTest(SourcesCase):
    def test_a_second_run_prints_only_what_is_new_in_each_source(self) -> None:
        state = self.dir / "state"
        first = self.merged("-o", "ndjson", "--state-dir", state)
        self.assertEqual(first.returncode, 0, first.stderr)
        seen = {(a["source"], a["id"]) for a in ndjson(first.stdout)}
        self.assertEqual(sorted(p.name for p in state.iterdir() if p.suffix == ".json"),
                         ["gh.json", "okta.json", "ping.json"])
        # New activities in two of the sources, inside the window.
        late = 1_717_000_000 * SECOND  # 2024-05-29T16:26:40Z
        added: set[tuple[str, str]] = set()
        for source, offset in (("ping", 1), ("okta", 2)):
            provider = PROVIDERS[PROVIDER_OF[source]]
            record = provider.new_record(copy.deepcopy(provider.records[0]), f"new-{source}-1", late + offset * SECOND)
            self.emu.add_activities(provider.emulator_name or provider.name, [record])
            added.add((source, provider.rec_id(record)))
        second = self.merged("-o", "ndjson", "--state-dir", state)
        self.assertEqual(second.returncode, 0, second.stderr)
        printed = [(a["source"], a["id"]) for a in ndjson(second.stdout)]
        self.assertEqual(set(printed), added)
        self.assertFalse(set(printed) & seen)
        third = self.merged("-o", "ndjson", "--state-dir", state)
        self.assertEqual(third.returncode, 0, third.stderr)
        self.assertEqual(third.stdout, "")


class TailProgressTest(SourcesCase):
    def test_the_progress_line_names_a_failing_source_while_the_others_are_followed(self) -> None:
        from test_progress import ERASE, run_on_terminal

        okta = PROVIDERS["okta"]
        self.emu.faults({"path": okta.list_path + "$", "kind": "status", "status": 503, "times": -1})
        run = run_on_terminal(["tail", "--profile", "okta", "--profile", "ping", "--since", "2024-05-15T00:00:00Z",
                               "--interval", "1s", "--retries", "0", "-o", "ndjson"], stop_after=3.0, env=self.env)
        self.assertEqual(run.returncode, 0, run.terminal)  # SIGTERM: a clean stop; okta was retried
        frames = [frame for frame in run.terminal.split(ERASE) if frame.startswith("tail · ")]
        self.assertTrue(any(frame.startswith("tail · 2 sources · activities ") and frame.endswith(" · okta failing")
                            for frame in frames), frames)
        self.assertIn("okta: okta: poll failed", run.terminal)
        printed = ndjson(run.stdout)
        self.assertGreater(len(printed), 0)
        self.assertEqual({a["source"] for a in printed}, {"ping"})
        self.assertTrue(run.terminal.endswith(ERASE), repr(run.terminal[-200:]))


class VerifyTest(SourcesCase):
    def test_verify_proves_each_source_complete_in_a_merged_file(self) -> None:
        listed = self.merged("-o", "ndjson")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        lines = listed.stdout.splitlines()
        path = self.dir / "all.ndjson"
        path.write_text(listed.stdout)
        verify = ["verify", *[a for s in SOURCES for a in ("--profile", s)], "--since", SINCE, "--until", UNTIL,
                  "--retries", "0"]
        whole = self.af(*verify, path)
        self.assertEqual(whole.returncode, 0, whole.stderr)
        for source, provider in PROVIDER_OF.items():
            self.assertIn(f"auditfetch: verify source {source}: {provider}", whole.stderr)
        # One okta line lost, one github line twice: each source says what it found.
        lost = next(line for line in lines if json.loads(line)["source"] == "okta")
        twice = next(line for line in lines if json.loads(line)["source"] == "gh")
        path.write_text("".join(line + "\n" for line in lines if line != lost) + twice + "\n")
        broken = self.af(*verify, "--print-missing", path)
        self.assertEqual(broken.returncode, 5, broken.stderr)
        errors = [l for l in broken.stderr.splitlines() if l.startswith("auditfetch: error: ")]
        self.assertEqual(len(errors), 2, broken.stderr)
        self.assertTrue(errors[0].startswith("auditfetch: error: okta: verify: okta"), errors[0])
        self.assertIn("1 missing, 0 duplicated", errors[0])
        self.assertTrue(errors[1].startswith("auditfetch: error: gh: verify: github"), errors[1])
        self.assertIn("0 missing, 1 duplicated", errors[1])
        self.assertEqual(ndjson(broken.stdout), [json.loads(lost)])  # printed as the merged run did
        self.assertError(self.af(*verify, input=listed.stdout), 2, "standard input")
        self.emu.clear_requests()
        explained = self.af(*verify, "--explain")
        self.assertEqual(explained.returncode, 0, explained.stderr)
        for source in SOURCES:
            self.assertIn(f"{source} (profile {source})", explained.stdout)
        self.assertEqual(self.emu.requests(), [])


class SharedBudgetTest(unittest.TestCase):
    def test_sources_of_one_account_share_its_rate_budget(self) -> None:
        # Two sources of the same PingOne environment, each 20 pages, under a server limit of 5
        # requests a second: --rate 5/s is one budget for both, so the server refuses nothing.
        from harness import GENERATE_ANCHOR, PINGONE_ENV_ID, TOKEN

        with Emulator("--generate", "200", "--rate-limit", "5") as emu, \
                tempfile.TemporaryDirectory(prefix="auditfetch-sources-") as work:
            config = Path(work) / "xdg" / "auditfetch" / "config.toml"
            config.parent.mkdir(parents=True)
            config.write_text(profile_text("ping", "pingone", emu.url))
            config.chmod(0o600)
            result = run_auditfetch("list", "--source", "a=ping", "--source", "b=ping", "--since",
                                    "2024-06-01T00:00:00Z", "--until", GENERATE_ANCHOR, "--page-size", "10",
                                    "--rate", "5/s", "-o", "ndjson", "-v",
                                    env={"XDG_CONFIG_HOME": str(Path(work) / "xdg"), "AUDITFETCH_TOKEN": TOKEN},
                                    timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(ndjson(result.stdout)), 400)
            stats = emu.stats()
            self.assertEqual(stats["requests"], 40, stats)  # 20 pages each
            self.assertEqual(stats["rate_limited"], 0, stats)
            self.assertLessEqual(stats["max_per_second"], 5, stats)


class UsageTest(SourcesCase):
    def test_what_several_sources_cannot_take_is_refused_before_anything_is_sent(self) -> None:
        cases = [
            (("--state", self.dir / "s.json"), "--state-dir"),
            (("--exec", "cat"), "--exec"),
            (("--parallel", "2"), "--parallel"),
            (("--limit", "3", "--state-dir", self.dir / "d"), "--limit"),
            (("--profile", "ping"), "named twice"),
            (("--source", "x"), "not NAME=VALUE"),
            (("--source", "../up=ping"), "file name"),
            (("--source", "y=nosuch"), "source y"),
            (("--order", "sideways"), "--order"),
        ]
        for extra, text in cases:
            with self.subTest(extra=extra):
                self.assertError(self.merged(*extra), 2, text)
        self.assertEqual(self.emu.requests(), [])
        self.assertError(self.af("list", "--profile", "ping", "--state-dir", self.dir / "d"), 2, "--state-dir")
        self.assertError(self.af("get", "--profile", "ping", "--profile", "gh", "x"), 2, "only list")
        tail = ("tail", "--profile", "ping", "--profile", "gh")
        self.assertError(self.af(*tail, "--state", self.dir / "s.json"), 2, "--state-dir")
        self.assertError(self.af(*tail, "--exec", "cat"), 2, "tail --exec")
        self.assertError(self.af(*tail, "--max-delay", "-1s"), 2, "--max-delay")
        self.assertError(self.af("tail", "--profile", "ping", "--max-delay", "5s"), 2, "several sources")
        explained = self.af(*tail, "--explain")
        self.assertEqual(explained.returncode, 0, explained.stderr)
        self.assertIn("ping (profile ping)", explained.stdout)
        self.assertIn("gh (profile gh)", explained.stdout)
        self.assertEqual(self.emu.requests(), [])


class TailMergeTest(SourcesCase):
    def test_merged_tail_prints_each_new_activity_once_in_time_order_within_the_delay(self) -> None:
        import random
        import signal
        import time

        from test_tail import TailProcess

        # --max-delay well above what a poll takes: an activity should come out once every
        # source polled past it (about two intervals), not when --max-delay runs out.
        max_delay, interval = 10.0, 1.0
        # Each listing answers 300 ms after it is asked, as across a network: activities created
        # meanwhile come back newer than the poll's start.
        self.emu.faults({"path": "/activities$|/api/v1/logs$|/audit-log$", "kind": "slow", "times": -1,
                         "delay_ms": 300})
        since = format_ms(int((time.time() - 60) * SECOND))
        tail = TailProcess(["tail", *[a for s in SOURCES for a in ("--profile", s)], "--since", since,
                            "--interval", "1s", "--max-delay", "10s", "-o", "ndjson", "--retries", "0"],
                           env=self.env)
        self.addCleanup(tail.stop)
        rng = random.Random(16)
        added: dict[tuple[str, str], float] = {}  # (source, id) → when it was added
        for n in range(24):
            source = rng.choice(SOURCES)
            provider = PROVIDERS[PROVIDER_OF[source]]
            now = time.time()
            record = provider.new_record(copy.deepcopy(provider.records[0]), f"tail-{source}-{n}", int(now * SECOND))
            self.emu.add_activities(provider.emulator_name or provider.name, [record])
            added[(source, provider.rec_id(record))] = now
            time.sleep(rng.uniform(0, 0.4))
        self.assertTrue(tail.wait_for(lambda: len(tail.lines()) >= len(added), max_delay + 3 * interval + 10),
                        tail.describe())
        time.sleep(2 * interval)  # nothing more comes
        tail.signal(signal.SIGTERM)
        self.assertEqual(tail.wait(15), 0, tail.describe())
        printed = tail.activities()
        keys = [(a["source"], a["id"]) for a in printed]
        self.assertEqual(sorted(keys), sorted(added), tail.describe())  # each once, none other
        times = [a["created_at"] for a in printed]
        self.assertEqual(times, sorted(times), tail.describe())
        arrival = {(json.loads(line)["source"], json.loads(line)["id"]): at for at, line in tail.timed_lines()}
        for key, when in added.items():
            # Found by the source's next poll, then held until the others polled past it: well
            # before --max-delay, since every source is answering.
            self.assertLessEqual(arrival[key] - when, 2 * interval + 3.0, (key, tail.describe()))

    def test_a_failing_source_does_not_stop_the_others_from_being_followed(self) -> None:
        import signal
        import time

        from test_tail import TailProcess

        okta = PROVIDERS["okta"]
        self.emu.faults({"path": okta.list_path + "$", "kind": "status", "status": 401})
        since = format_ms(int((time.time() - 60) * SECOND))
        tail = TailProcess(["tail", "--profile", "okta", "--profile", "gh", "--since", since, "--interval", "1s",
                            "-o", "ndjson", "--retries", "0"], env=self.env)
        self.addCleanup(tail.stop)
        self.assertTrue(tail.wait_for(lambda: "auditfetch: error: okta: " in tail.stderr(), 15), tail.describe())
        github = PROVIDERS["github"]
        record = github.new_record(copy.deepcopy(github.records[0]), "after-okta-failed", int(time.time() * SECOND))
        self.emu.add_activities(github.emulator_name or github.name, [record])
        self.assertTrue(tail.wait_for(lambda: len(tail.lines()) >= 1, 15), tail.describe())
        self.assertEqual([(a["source"], a["id"]) for a in tail.activities()], [("gh", github.rec_id(record))])
        tail.signal(signal.SIGTERM)
        self.assertEqual(tail.wait(15), 1, tail.describe())


if __name__ == "__main__":
    unittest.main()
