"""Smoke test of the benchmark (bench/): the generator, nginx, every row and the report.

CI does not run the benchmark itself (its timings would be noise); this runs `bench/run --smoke`
on a few pages and checks that every row fetched what it should: each auditfetch row and each
peer (curl + jq, Python) printed one line per generated activity, the peers' NDJSON is byte for
byte auditfetch's, and the one-curl reference got every page. Needs nginx, curl, jq and GNU time
(scripts/deps installs them).
"""

import os
import re
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AUDITFETCH_BIN") or REPO / "build" / "auditfetch").resolve()
RUN = REPO / "bench" / "run"
MISSING = [t for t in ("curl", "jq") if not shutil.which(t)] + \
          [t for t in ("/usr/sbin/nginx", "/usr/bin/time") if not os.path.exists(t)]


def bench(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITFETCH_")}
    return subprocess.run([sys.executable, str(RUN), "--smoke", "--binary", str(BIN), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def table_rows(report: str, header: str) -> list[list[str]]:
    """The cells of the markdown table whose header row starts with `header`."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


@unittest.skipIf(MISSING, f"the benchmark needs {', '.join(MISSING)} (scripts/deps installs them)")
class BenchSmokeTest(unittest.TestCase):
    def test_every_row_of_every_provider_gets_every_activity(self) -> None:
        result = bench()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        rows = table_rows(result.stdout, "| provider | row |")
        by_provider: dict[str, list[list[str]]] = {}
        for row in rows:
            by_provider.setdefault(row[0], []).append(row)
        self.assertEqual(sorted(by_provider), ["pingone", "sailpoint", "thousandeyes", "truto"])
        for provider, prov_rows in by_provider.items():
            names = " / ".join(r[1] for r in prov_rows)
            self.assertIn("auditfetch -o ndjson --no-remote-data > /dev/null", names)
            self.assertIn("one curl", names)
            for row in prov_rows:
                checked = row[-1]
                self.assertNotRegex(checked, "FAILED|WRONG|DIFFERS", row)
                if "curl" in row[1] and "jq" not in row[1]:
                    self.assertRegex(checked, r"^\d+ pages", row)
                else:
                    self.assertTrue(checked.startswith("2,500 lines"), row)
                self.assertRegex(row[2], r"^\d+\.\d\d$", row)          # wall s
                self.assertRegex(row[4], r"^\d+\.\d$", row)            # peak RSS MiB
        peers = [r for r in by_provider["pingone"] if "jq" in r[1] or "Python" in r[1]]
        self.assertEqual(len(peers), 2)
        for row in peers:
            self.assertIn("identical to auditfetch's", row[-1])
        latency = table_rows(result.stdout, "| row | wall s | over pages x delay |")
        self.assertEqual(len(latency), 4)
        self.assertIn("0 ms", latency[0][0])  # the proxy's own cost, against curl straight to nginx
        self.assertRegex(latency[0][2], r"^\(direct to nginx: \d+\.\d\d s\)$")
        for row in latency:
            self.assertNotRegex(row[-1], "FAILED|WRONG")
            self.assertRegex(row[-1], r"^(2,500 lines|3 pages)")
        for row in latency[1:]:
            self.assertRegex(row[2], r"^[+-]\d+\.\d%$")
        targets = table_rows(result.stdout, "| target | measured | met |")
        self.assertGreaterEqual(len(targets), 5)
        startup = table_rows(result.stdout, "| command | ms |")
        self.assertEqual([r[0] for r in startup][:2], ["`auditfetch --help`", "`auditfetch providers`"])

    def test_sailpoint_pages_past_offset_10000_by_keyset(self) -> None:
        # 10,500 activities: 41 offset pages, then a restart at `created ge` the last time seen,
        # which nginx maps to its own set of page files; duplicates at the boundary are dropped.
        result = bench("--providers", "sailpoint", "--n", "10500", "--startup-runs", "0")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        rows = table_rows(result.stdout, "| provider | row |")
        self.assertTrue(rows)
        for row in rows:
            self.assertNotRegex(row[-1], "FAILED|WRONG", row)
            if "curl" not in row[1]:
                self.assertTrue(row[-1].startswith("10,500 lines"), row)
        curl = next(r for r in rows if "curl" in r[1])
        self.assertRegex(curl[-1], r"^4[3-9] pages")  # 42 before the restart, more after


class ParallelSmokeTest(unittest.TestCase):
    """bench/parallel --smoke: every --parallel row and every row under the emulator's rate limit
    prints the sequential run's bytes (the script exits 1 otherwise), and --rate keeps the
    emulator from refusing anything."""

    @unittest.skipIf(not os.path.exists("/usr/bin/time"), "bench/parallel needs GNU time")
    def test_parallel_rows_print_the_sequential_bytes_within_the_rate_limit(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITFETCH_")}
        result = subprocess.run([sys.executable, str(REPO / "bench" / "parallel"), "--smoke", "--binary", str(BIN)],
                                capture_output=True, text=True, timeout=300, env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        rows = table_rows(result.stdout, "| N | wall s | speed-up")
        self.assertEqual([r[0] for r in rows], ["1", "4", "8"])
        for row in rows[1:]:
            self.assertEqual(row[-1], "identical to N=1", row)
        limited = table_rows(result.stdout, "| N | wall s | pages / limit")
        self.assertTrue(limited)
        for row in limited:
            self.assertEqual(row[6], "0", f"429s sent: {row}")


class SourcesSmokeTest(unittest.TestCase):
    """bench/sources --smoke: the merged run over four providers prints exactly the four single
    runs' activities, newest first across sources (the script exits 1 otherwise)."""

    @unittest.skipIf(not os.path.exists("/usr/bin/time"), "bench/sources needs GNU time")
    def test_merged_run_prints_the_single_runs_activities_in_time_order(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITFETCH_")}
        result = subprocess.run([sys.executable, str(REPO / "bench" / "sources"), "--smoke", "--binary", str(BIN)],
                                capture_output=True, text=True, timeout=300, env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        rows = table_rows(result.stdout, "| run | wall s | activities")
        merged = next(r for r in rows if r[0] == "merged")
        total = next(r for r in rows if "(sum)" in r[0])
        self.assertEqual(merged[2], total[2])


class ProvidersSmokeTest(unittest.TestCase):
    """bench/providers --smoke: one row per built-in provider, each listing (with and without
    remote_data) printing exactly the activities the emulator generated in the window."""

    def test_every_built_in_provider_prints_every_generated_activity(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITFETCH_")}
        built_in = subprocess.run([str(BIN), "providers", "--names"], capture_output=True, text=True,
                                  env=env, check=True).stdout.split()
        self.assertGreaterEqual(len(built_in), 17)
        result = subprocess.run([sys.executable, str(REPO / "bench" / "providers"), "--smoke", "--binary", str(BIN)],
                                capture_output=True, text=True, timeout=300, env=env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        rows = table_rows(result.stdout, "| provider | activities | pages |")
        self.assertEqual(sorted(r[0] for r in rows), sorted(built_in))
        for row in rows:
            self.assertNotRegex(row[-1], "FAILED|WRONG|DIFFERS|not run", row)
            self.assertRegex(row[-1], rf"^{re.escape(row[1])} lines = generated, both rows", row)
            self.assertRegex(row[4], r"^\d+\.\d{3} / \d+\.\d{3}$", row)  # auditfetch CPU s


if __name__ == "__main__":
    unittest.main()
