"""`auditfetch verify` against the emulator, for every provider of test_matrix.py's table.

For each provider a window is listed into a file, which verify then finds complete (exit 0).
Three problems are planted, and each is found and, where the file lacks something, repaired
with --print-missing:
- a record dropped from the file: exit 5, 1 missing; --print-missing prints exactly that line,
  and the file with it appended verifies;
- a record in the file twice: exit 5, 1 duplicated, nothing missing to print;
- a record that arrived late inside the window (added to the emulator after the file was
  written): exit 5, 1 missing; --print-missing prints that record, and the repaired file is what
  a listing of the window prints now.
A provider whose paging cannot bound a window by time (the definition's checkpoint style)
refuses with exit 2 before anything is sent. Expected values come from the listing and the
fixtures, never from verify itself.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
import unittest
import uuid
from pathlib import Path
from typing import Any

from harness import PINGONE_ENV_ID, TOKEN, EmulatorTestCase, run_auditfetch
from provider_case import parse_time
from test_matrix import MATRIX, SECOND, Provider, definition

LABELS = ("served by the API now", "in the files", "missing", "duplicated", "outside the window or filters",
          "unknown to the API", "other lines")


def summary(stderr: str) -> dict[str, int]:
    """The counts of verify's summary on stderr, by label."""
    counts = {}
    for label in LABELS:
        match = re.search(rf"^auditfetch:\s+{re.escape(label)}\s+(\d+)\b", stderr, re.M)
        if match:
            counts[label] = int(match.group(1))
    return counts


def cannot_bound_a_window(provider: Provider) -> bool:
    """The definition pages by a checkpoint (by id, after a first page found by search)."""
    return definition(provider.name)["list"]["pagination"]["style"] == "checkpoint"


class VerifyCase:
    """Mixed into one EmulatorTestCase per provider below."""

    provider: Provider
    emu: Any

    @property
    def p(self) -> Provider:
        return self.provider

    def window_args(self) -> list[str]:
        since, until = self.p.window
        return [*self.p.args(self.emu.url), "--since", since, "--until", until]

    def listed(self) -> list[str]:
        """The window as `list` prints it now, one NDJSON line an activity."""
        size = ["--page-size", str(self.p.page_size)] if self.p.page_size_flag else []
        result = run_auditfetch("list", *self.window_args(), *size, "-o", "ndjson", env=self.p.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.splitlines()

    def verify(self, path: Path, *args: str):
        return run_auditfetch("verify", *self.window_args(), *args, path, env=self.p.env)

    def assertCounts(self, result, exit_code: int, **expected: int) -> dict[str, int]:
        self.assertEqual(result.returncode, exit_code, result.stderr)
        counts = summary(result.stderr)
        self.assertEqual(set(counts), set(LABELS), result.stderr)
        for key, value in expected.items():
            self.assertEqual(counts[key.replace("_", " ")], value, result.stderr)
        return counts

    def write(self, path: Path, lines: list[str]) -> None:
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    def append(self, path: Path, text: str) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.tmp = tempfile.TemporaryDirectory()
        self.file = Path(self.tmp.name) / f"{self.p.name}.ndjson"
        self.lines = self.listed()
        self.assertGreater(len(self.lines), 3, "the fixtures fill the window")
        self.write(self.file, self.lines)

    def tearDown(self) -> None:
        self.tmp.cleanup()
        super().tearDown()  # type: ignore[misc]

    # ---------------------------------------------------------------- the tests

    def test_a_complete_file_verifies(self) -> None:
        result = self.verify(self.file)
        self.assertCounts(result, 0, served_by_the_API_now=len(self.lines), in_the_files=len(self.lines),
                          missing=0, duplicated=0, unknown_to_the_API=0, other_lines=0)
        self.assertEqual(result.stdout, "")
        self.assertNotIn("error", result.stderr)

    def test_a_dropped_record_is_found_and_repaired(self) -> None:
        dropped = self.lines[len(self.lines) // 2]
        self.write(self.file, [line for line in self.lines if line != dropped])
        result = self.verify(self.file)
        self.assertCounts(result, 5, missing=1, duplicated=0, in_the_files=len(self.lines) - 1)
        self.assertRegex(result.stderr.strip().splitlines()[-1], r"^auditfetch: error: verify: .*1 missing, 0 duplicated")
        self.assertEqual(result.stdout, "", "without --print-missing nothing goes to stdout")

        repair = self.verify(self.file, "--print-missing")
        self.assertCounts(repair, 5, missing=1)
        self.assertEqual(repair.stdout.splitlines(), [dropped], "the missing activity, as list printed it")
        self.append(self.file, repair.stdout)
        self.assertCounts(self.verify(self.file), 0, missing=0, duplicated=0, in_the_files=len(self.lines))

    def test_a_duplicated_record_is_found(self) -> None:
        twice = self.lines[1]
        self.write(self.file, self.lines + [twice])
        result = self.verify(self.file, "--print-missing")
        self.assertCounts(result, 5, missing=0, duplicated=1, in_the_files=len(self.lines) + 1)
        self.assertEqual(result.stdout, "", "nothing is missing, so nothing is printed")
        self.assertIn("0 missing, 1 duplicated", result.stderr)

    def test_a_record_that_arrived_late_inside_the_window_is_found_and_repaired(self) -> None:
        since, until = (parse_time(t) for t in self.p.window)
        times = sorted(self.p.time(r) for r in self.p.records if since <= self.p.time(r) < until)
        # Between two records of the window, on a whole second (some APIs keep no more).
        at = (times[len(times) // 2] // SECOND) * SECOND + 7 * SECOND
        self.assertTrue(since <= at < until)
        template = copy.deepcopy(self.p.records[-1])
        late = self.p.new_record(template, uuid.uuid4().hex if self.p.name != "github" else uuid.uuid4().hex[:22], at)
        self.emu.add_activities(self.p.emulator_name or self.p.name, [late])

        result = self.verify(self.file, "--print-missing")
        self.assertCounts(result, 5, served_by_the_API_now=len(self.lines) + 1, missing=1, duplicated=0)
        printed = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual([self.p.act_id(a) for a in printed], [self.p.rec_id(late)])
        self.append(self.file, result.stdout)
        self.assertCounts(self.verify(self.file), 0, missing=0, duplicated=0)
        self.assertEqual(sorted(self.file.read_text(encoding="utf-8").splitlines()), sorted(self.listed()))


class RefusedCase:
    """Providers whose API cannot list a closed window exactly."""

    provider: Provider
    emu: Any

    def test_verify_refuses_before_sending_anything(self) -> None:
        since, until = self.provider.window
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "file.ndjson"
            path.write_text("", encoding="utf-8")
            result = run_auditfetch("verify", *self.provider.args(self.emu.url), "--since", since, "--until", until,
                                    path, env=self.provider.env)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertRegex(result.stderr.strip().splitlines()[-1],
                         rf"^auditfetch: error: verify: {re.escape(self.provider.name)} cannot list a closed window "
                         r"exactly: ")
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])


def _case(provider: Provider) -> type:
    title = provider.name.replace("1password", "one_password").replace("-", "_").title().replace("_", "")
    mixin = RefusedCase if cannot_bound_a_window(provider) else VerifyCase
    return type(f"{title}VerifyTest", (mixin, EmulatorTestCase),
                {"provider": provider, "emulator_args": provider.emulator_args,
                 "__doc__": f"verify for {provider.name}."})


for _provider in MATRIX:
    globals()[_case(_provider).__name__] = _case(_provider)
del _provider


PINGONE = next(p for p in MATRIX if p.name == "pingone")


class VerifyReadingTest(EmulatorTestCase):
    """How verify reads its input and sorts the lines it does not expect (PingOne)."""

    def run_verify(self, *args: Any, since: str | None = None, input: str | None = None):
        window = ["--since", since or PINGONE.window[0], "--until", PINGONE.window[1]]
        return run_auditfetch("verify", *PINGONE.args(self.emu.url), *window, *args, env=PINGONE.env, input=input)

    def listing(self) -> list[str]:
        since, until = PINGONE.window
        result = run_auditfetch("list", *PINGONE.args(self.emu.url), "--since", since, "--until", until,
                                "-o", "ndjson", env=PINGONE.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.splitlines()

    def test_standard_input_and_several_files_are_read(self) -> None:
        lines = self.listing()
        half = len(lines) // 2
        text = "".join(line + "\n" for line in lines)
        piped = self.run_verify(input=text)
        self.assertEqual(piped.returncode, 0, piped.stderr)
        self.assertEqual(summary(piped.stderr)["in the files"], len(lines))
        with tempfile.TemporaryDirectory() as tmp:
            first, second = Path(tmp) / "a.ndjson", Path(tmp) / "b.ndjson"
            first.write_text("".join(line + "\n" for line in lines[:half]), encoding="utf-8")
            second.write_text("".join(line + "\n" for line in lines[half:]).rstrip("\n"), encoding="utf-8")
            files = self.run_verify(first, second)  # the last line without its newline
            self.assertEqual(files.returncode, 0, files.stderr)
            self.assertEqual(summary(files.stderr)["in the files"], len(lines))
            both = self.run_verify(first, second, "-", input="".join(line + "\n" for line in lines[half:]))
            self.assertEqual(both.returncode, 5, both.stderr)  # the second half twice
            self.assertEqual(summary(both.stderr)["duplicated"], len(lines) - half)
            missing = self.run_verify(Path(tmp) / "absent.ndjson")
            self.assertEqual(missing.returncode, 2, missing.stderr)
            self.assertIn("absent.ndjson", missing.stderr)

    def test_lines_of_others_out_of_the_window_and_unknown_ones_are_counted_not_failed(self) -> None:
        lines = self.listing()
        activities = [json.loads(line) for line in lines]
        oldest = min(activities, key=lambda a: a["created_at"])
        other_account = dict(oldest, id="x-1", organization="another-environment")
        other_provider = dict(oldest, id="x-2", provider="okta")
        unknown = dict(oldest, id="not-served-by-the-api")
        extra = ["not json", "{\"id\": 1}", json.dumps(other_account), json.dumps(other_provider), json.dumps(unknown), ""]
        # From the second oldest time: the oldest is now outside the window.
        since = sorted({a["created_at"] for a in activities})[1]
        result = self.run_verify(input="".join(line + "\n" for line in lines + extra), since=since)
        counts = summary(result.stderr)
        self.assertEqual(result.returncode, 0, result.stderr)
        outside = sum(1 for a in activities if a["created_at"] < since)
        self.assertGreaterEqual(outside, 1)
        # The unknown one has the oldest's time: outside too.
        self.assertEqual(counts["outside the window or filters"], outside + 1)
        self.assertEqual(counts["unknown to the API"], 0)
        self.assertEqual(counts["other lines"], 4)
        self.assertEqual(counts["served by the API now"], len(lines) - outside)
        self.assertIn("2 of another provider or account", result.stderr)

        inside = dict(activities[-1], id="not-served-by-the-api")
        result = self.run_verify(input="".join(line + "\n" for line in lines + [json.dumps(inside)]))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(summary(result.stderr)["unknown to the API"], 1)

    def test_the_filters_apply_to_both_sides(self) -> None:
        lines = self.listing()
        logins = [line for line in lines if json.loads(line)["action"] == "login"]
        self.assertTrue(0 < len(logins) < len(lines))
        result = self.run_verify("--action", "login", input="".join(line + "\n" for line in lines))
        self.assertEqual(result.returncode, 0, result.stderr)
        counts = summary(result.stderr)
        self.assertEqual(counts["served by the API now"], len(logins))
        self.assertEqual(counts["outside the window or filters"], len(lines) - len(logins))

    def test_a_window_without_an_end_and_other_formats_are_refused(self) -> None:
        no_end = run_auditfetch("verify", *PINGONE.args(self.emu.url), "--since", PINGONE.window[0],
                                env=PINGONE.env, input="")
        self.assertEqual(no_end.returncode, 2, no_end.stderr)
        self.assertIn("verify needs --since and --until", no_end.stderr)
        table = self.run_verify("-o", "table", input="")
        self.assertEqual(table.returncode, 2, table.stderr)
        self.assertIn("NDJSON", table.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_quiet_leaves_the_error_line_only(self) -> None:
        lines = self.listing()
        result = self.run_verify("-q", input="".join(line + "\n" for line in lines[1:]))
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("1 missing", result.stderr)


if __name__ == "__main__":
    unittest.main()
