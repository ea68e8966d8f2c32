"""Output people can read and copy (issue 15): --fields in the user's order in every format, the
table (an ID column, only the last or the widest column shortened and only on a terminal, --wide,
COLUMNS), `get` as a detail view on a terminal and of several ids, --no-headers, --count,
--color, the CSV writer's terminal-safe text, and the window a listing that found nothing searched.

The real binary against the PingOne emulator; a terminal is a pseudo-terminal (pty) on stdout,
stderr a pipe. Expected values come from tests/fixtures/pingone.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import json
import os
import re
import struct
import subprocess
import termios
import threading
import unittest

from harness import PINGONE_ENV_ID, TOKEN, auditfetch_bin, fixture_records, run_auditfetch
from provider_case import ProviderCase, ms, parse_time

RECORDS = fixture_records("pingone")
SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"
# as the emulator serves them: by (recordedAt, id), newest first
NEWEST_FIRST = sorted(RECORDS, key=lambda r: (parse_time(r["recordedAt"]), r["id"]), reverse=True)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
ELLIPSIS = "\u2026"
DEFAULT_HEADER = ["TIME", "ID", "ACTION", "ACTOR", "ENTITY", "IP", "DESCRIPTION"]
ERROR_LINE = re.compile(r"^auditfetch: error: [^\n]+$")


def without_links(record: dict) -> dict:
    """The record without _links, whose hrefs the emulator points at itself."""
    return {k: v for k, v in record.items() if k != "_links"}


def on_terminal(args: list[str], env: dict[str, str] | None = None, columns: int = 200) -> tuple[int, str, str]:
    """Runs auditfetch with stdout on a new pty `columns` wide (stderr a pipe); returns the exit
    code, what the terminal received and stderr."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # as written: no "\n" → "\r\n"
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    received = bytearray()

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO once the slave side is closed
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
                   "LANG": "C.UTF-8", "TZ": "UTC", "TERM": "xterm", "AUDITFETCH_TOKEN": TOKEN, **(env or {})}
    environment = {k: v for k, v in environment.items() if v is not None}
    try:
        process = subprocess.run([str(auditfetch_bin()), *args], env=environment, stdin=subprocess.DEVNULL,
                                 stdout=slave, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(slave)
    reader.join(10)
    os.close(master)
    return process.returncode, received.decode("utf-8"), process.stderr.decode("utf-8")


class OutputCase(ProviderCase):
    def common(self) -> list[str]:
        return ["-p", "pingone", "--environment-id", PINGONE_ENV_ID, "--base-url", self.emu.url + "/v1"]

    def list_args(self, *args: str, window: bool = True) -> list[str]:
        return ["list", *self.common(), *(["--since", SINCE, "--until", UNTIL] if window else []), *args]

    def list(self, *args: str, env: dict | None = None, window: bool = True) -> subprocess.CompletedProcess:
        return run_auditfetch(*self.list_args(*args, window=window), env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def get(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return run_auditfetch("get", *self.common(), *args, env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def ok(self, result: subprocess.CompletedProcess) -> str:
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout


class FieldOrderTest(OutputCase):
    def test_fields_keep_the_order_given_in_every_format(self) -> None:
        fields = "action,id,created_at"
        for line in self.ok(self.list("-o", "ndjson", "--fields", fields)).splitlines():
            self.assertEqual(list(json.loads(line)), ["action", "id", "created_at"])
        array = json.loads(self.ok(self.list("-o", "json", "--fields", fields)))
        self.assertEqual([list(a) for a in array], [["action", "id", "created_at"]] * len(RECORDS))
        rows = list(csv.reader(io.StringIO(self.ok(self.list("-o", "csv", "--fields", fields)), newline="")))
        self.assertEqual(rows[0], ["action", "id", "created_at"])
        self.assertEqual([r[1:] for r in rows[1:]], [[r["id"], ms(r["recordedAt"])] for r in NEWEST_FIRST])
        table = self.ok(self.list("-o", "table", "--fields", fields)).splitlines()
        self.assertEqual(table[0].split(), ["ACTION", "ID", "CREATED_AT"])
        self.assertEqual([line.split()[1:] for line in table[1:]],
                         [[r["id"], ms(r["recordedAt"])] for r in NEWEST_FIRST])

    def test_nested_fields_stand_where_the_first_of_them_is_named(self) -> None:
        line = self.ok(self.list("-o", "ndjson", "--limit", "1",
                                 "--fields", "context.ip_address,id,actor.user.id,actor.type")).splitlines()[0]
        activity = json.loads(line)
        self.assertEqual(list(activity), ["context", "id", "actor"])
        self.assertEqual(list(activity["actor"]), ["user", "type"])
        rows = list(csv.reader(io.StringIO(self.ok(self.list("-o", "csv", "--limit", "1", "--fields",
                                                             "provider,actor,id")), newline="")))
        self.assertEqual(rows[0], ["provider", "actor.type", "actor.user.id", "id"])


class TableTest(OutputCase):
    def test_off_a_terminal_the_table_has_an_id_column_and_shortens_nothing(self) -> None:
        long_text = "a description long enough to be cut anywhere: " + "x" * 150
        record = dict(NEWEST_FIRST[0], id="long-one", recordedAt="2024-06-01T00:00:00.000Z",
                      result={"status": "SUCCESS", "description": long_text})
        self.emu.add_activities("pingone", [record])
        for env in ({}, {"COLUMNS": "60"}):
            with self.subTest(env=env):
                lines = self.ok(self.list("-o", "table", env=env)).splitlines()
                self.assertEqual(lines[0].split(), DEFAULT_HEADER)
                self.assertNotIn(ELLIPSIS, "\n".join(lines))
                self.assertTrue(lines[1].endswith(long_text), lines[1])
                # the id whole, second, on every row
                self.assertEqual([line.split()[1] for line in lines[1:]],
                                 ["long-one"] + [r["id"] for r in NEWEST_FIRST])

    def terminal_table(self, columns: int) -> list[str]:
        # the pty says 250 columns; COLUMNS wins
        code, terminal, stderr = on_terminal(self.list_args("--color", "never"), env={"COLUMNS": str(columns)},
                                             columns=250)
        self.assertEqual(code, 0, stderr)
        lines = terminal.splitlines()
        self.assertEqual(lines[0].split(), DEFAULT_HEADER)
        self.assertEqual(max(len(line) for line in lines), columns)
        # times and ids whole
        self.assertEqual([line.split()[:2] for line in lines[1:]],
                         [[ms(r["recordedAt"]), r["id"]] for r in NEWEST_FIRST])
        return lines

    def whole_widths(self) -> dict[str, int]:
        """The columns' widths when nothing is shortened (--wide), by header."""
        code, terminal, stderr = on_terminal(self.list_args("--color", "never", "--wide"), env={"COLUMNS": "100"})
        self.assertEqual(code, 0, stderr)
        header = terminal.splitlines()[0]
        starts = [header.index(name) for name in DEFAULT_HEADER]
        return {name: starts[i + 1] - starts[i] - 2 for i, name in enumerate(DEFAULT_HEADER[:-1])}

    def test_on_a_terminal_only_the_last_column_is_shortened_when_that_is_enough(self) -> None:
        whole = self.whole_widths()
        others = sum(whole.values()) + 2 * len(whole)
        lines = self.terminal_table(others + 30)
        self.assertEqual(lines[0].index("DESCRIPTION"), others)  # every other column whole
        descriptions = {line[others:] for line in lines[1:]}
        self.assertTrue(any(d.endswith(ELLIPSIS) and len(d) == 30 for d in descriptions), descriptions)
        for line in lines[1:]:  # only the description may end in "…"
            self.assertNotIn(ELLIPSIS, line[:others], line)

    def test_on_a_narrower_terminal_the_widest_other_column_gives_way_too(self) -> None:
        whole = self.whole_widths()
        widest = max((w, name) for name, w in whole.items() if name not in ("TIME", "ID"))[1]
        others = sum(whole.values()) + 2 * len(whole)
        lines = self.terminal_table(others + 16 - 10)  # the description keeps 16 columns, the widest gives 10
        header = lines[0]
        self.assertEqual(header.index("DESCRIPTION"), others - 10)
        following = DEFAULT_HEADER[DEFAULT_HEADER.index(widest) + 1]
        self.assertEqual(header.index(following) - header.index(widest) - 2, whole[widest] - 10)
        cut_start, cut_end = header.index(widest), header.index(following)
        for line in lines[1:]:
            self.assertNotIn(ELLIPSIS, line[:cut_start] + line[cut_end:header.index("DESCRIPTION")], line)

    def test_wide_shortens_nothing_even_on_a_terminal(self) -> None:
        long_text = "D" * 150
        self.emu.add_activities("pingone", [dict(NEWEST_FIRST[0], id="long-one", recordedAt="2024-06-01T00:00:00.000Z",
                                                 result={"status": "SUCCESS", "description": long_text})])
        code, terminal, stderr = on_terminal(self.list_args("--wide", "--color", "never"), env={"COLUMNS": "100"})
        self.assertEqual(code, 0, stderr)
        self.assertNotIn(ELLIPSIS, terminal)
        self.assertTrue(terminal.splitlines()[1].endswith(long_text))

    def test_no_headers_for_table_and_csv(self) -> None:
        table = self.ok(self.list("-o", "table", "--no-headers", "--fields", "id,action")).splitlines()
        self.assertEqual([line.split()[0] for line in table], [r["id"] for r in NEWEST_FIRST])
        rows = list(csv.reader(io.StringIO(self.ok(self.list("-o", "csv", "--no-headers", "--fields", "id")),
                                           newline="")))
        self.assertEqual(rows, [[r["id"]] for r in NEWEST_FIRST])


class ColorTest(OutputCase):
    def run_table(self, *args: str, env: dict | None = None) -> str:
        code, terminal, stderr = on_terminal(self.list_args("--fields", "id,action", *args), env=env)
        self.assertEqual(code, 0, stderr)
        return terminal

    def test_auto_colours_a_terminal_only(self) -> None:
        self.assertIn("\x1b[1mID\x1b[0m", self.run_table())  # a bold header
        self.assertIn("\x1b[31mlogin_failed\x1b[0m", self.run_table())  # failed logins in red
        self.assertNotIn("\x1b", self.ok(self.list("-o", "table")))

    def test_term_dumb_and_no_color_turn_auto_off(self) -> None:
        self.assertNotIn("\x1b", self.run_table(env={"TERM": "dumb"}))
        self.assertNotIn("\x1b", self.run_table(env={"NO_COLOR": "1"}))
        self.assertNotIn("\x1b", self.run_table("--color", "auto", env={"TERM": "dumb"}))

    def test_always_and_never(self) -> None:
        self.assertNotIn("\x1b", self.run_table("--color", "never"))
        piped = self.ok(self.list("-o", "table", "--fields", "id,action", "--color", "always"))
        self.assertTrue(piped.startswith("\x1b[1mID\x1b[0m"), piped[:40])
        self.assertEqual(ANSI.sub("", piped).splitlines()[0].split(), ["ID", "ACTION"])
        self.assertIn("\x1b", self.run_table("--color", "always", env={"TERM": "dumb", "NO_COLOR": "1"}))
        # colour is for the table: JSON stays JSON
        self.assertNotIn("\x1b", self.ok(self.list("-o", "ndjson", "--color", "always")))

    def test_an_unknown_value_is_a_usage_error(self) -> None:
        result = self.list("--color", "sometimes")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertRegex(result.stderr.strip(), ERROR_LINE)
        self.assertIn("--color", result.stderr)
        self.assertIn("auto, always or never", result.stderr)


class GetTest(OutputCase):
    def test_on_a_terminal_get_prints_every_field_then_remote_data_indented(self) -> None:
        record = NEWEST_FIRST[3]
        code, terminal, stderr = on_terminal(["get", *self.common(), record["id"], "--color", "never"])
        self.assertEqual(code, 0, stderr)
        head, _, rest = terminal.partition("remote_data:\n")
        names = [line.split(":", 1)[0] for line in head.splitlines()]
        self.assertEqual(names, ["id", "actor.type", "actor.user.id", "organization", "group", "description",
                                 "action", "entity", "entity_type", "context.ip_address", "context.user_agent",
                                 "context.authentication_method", "created_at", "provider"])
        values = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in head.splitlines()}
        self.assertEqual(values["id"], record["id"])
        self.assertEqual(values["created_at"], ms(record["recordedAt"]))
        self.assertEqual(values["provider"], "pingone")
        self.assertEqual(values["organization"], PINGONE_ENV_ID)
        self.assertEqual(without_links(json.loads(rest)), without_links(record))
        self.assertGreater(len(rest.splitlines()), 5)  # indented, one member a line
        self.assertTrue(rest.splitlines()[1].startswith('  "'), rest)

    def test_off_a_terminal_get_prints_one_ndjson_line_as_before(self) -> None:
        record = NEWEST_FIRST[3]
        out = self.ok(self.get(record["id"]))
        self.assertEqual(len(out.splitlines()), 1)
        self.assertEqual(json.loads(out)["id"], record["id"])

    def test_get_fetches_several_ids_in_the_order_given(self) -> None:
        ids = [NEWEST_FIRST[5]["id"], NEWEST_FIRST[1]["id"], NEWEST_FIRST[9]["id"]]
        out = self.ok(self.get(*ids, "-o", "ndjson"))
        self.assertEqual([json.loads(line)["id"] for line in out.splitlines()], ids)
        self.assertEqual([a["id"] for a in json.loads(self.ok(self.get(*ids, "-o", "json")))], ids)
        rows = list(csv.reader(io.StringIO(self.ok(self.get(*ids, "-o", "csv", "--fields", "id")), newline="")))
        self.assertEqual(rows, [["id"]] + [[i] for i in ids])
        self.assertEqual(len(self.emu.requests("/activities/")), 9)

    def test_an_unknown_id_among_several_exits_4_after_printing_the_others(self) -> None:
        ids = [NEWEST_FIRST[5]["id"], "no-such-activity", NEWEST_FIRST[1]["id"]]
        result = self.get(*ids, "-o", "ndjson")
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertEqual([json.loads(line)["id"] for line in result.stdout.splitlines()], [ids[0], ids[2]])
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertRegex(lines[0], ERROR_LINE)
        self.assertIn("get no-such-activity", lines[0])

    def test_a_failure_other_than_not_found_stops_at_once(self) -> None:
        result = self.get(NEWEST_FIRST[5]["id"], NEWEST_FIRST[1]["id"], env={"AUDITFETCH_TOKEN": "wrong"})
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)


class CountTest(OutputCase):
    def test_count_prints_only_the_number_of_matching_activities(self) -> None:
        self.assertEqual(self.ok(self.list("--count")), f"{len(RECORDS)}\n")
        self.assertEqual(self.ok(self.list("--count", "-o", "table")), f"{len(RECORDS)}\n")
        failed = [r for r in RECORDS if r["action"]["type"] == "PASSWORD.CHECK_FAILED"]
        self.assertGreater(len(failed), 1)
        self.assertEqual(self.ok(self.list("--count", "--action", "PASSWORD.CHECK_FAILED")), f"{len(failed)}\n")
        actor = NEWEST_FIRST[0]["actors"]["user"]["id"]
        by_actor = [r for r in RECORDS if r.get("actors", {}).get("user", {}).get("id") == actor]
        self.assertEqual(self.ok(self.list("--count", "--actor-id", actor)), f"{len(by_actor)}\n")
        self.assertEqual(self.ok(self.list("--count", "--limit", "3")), "3\n")
        code, terminal, stderr = on_terminal(self.list_args("--count"))
        self.assertEqual((code, terminal), (0, f"{len(RECORDS)}\n"), stderr)

    def test_count_of_nothing_is_0(self) -> None:
        result = self.list("--count", "--since", "2030-01-01T00:00:00Z", "--until", "2030-01-02T00:00:00Z",
                           window=False)
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "0\n", ""))

    def test_count_with_state_or_exec_is_a_usage_error(self) -> None:
        for extra in (["--state", "/tmp/auditfetch-count-state.json"], ["--exec", "cat"]):
            with self.subTest(extra=extra):
                result = self.list("--count", *extra)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertRegex(result.stderr.strip(), ERROR_LINE)
                self.assertIn("--count", result.stderr)
        self.assertFalse(os.path.exists("/tmp/auditfetch-count-state.json"))


class CsvSafetyTest(OutputCase):
    def test_csv_shows_bidi_and_escape_characters_as_the_table_does(self) -> None:
        text = "invoice\u202egpj.exe \x1b]0;title\x07 \u2066x\u2069"
        visible = "invoice\\u202egpj.exe \\x1b]0;title\\x07 \\u2066x\\u2069"
        self.emu.add_activities("pingone", [dict(NEWEST_FIRST[0], id="hostile", recordedAt="2024-06-01T00:00:00.000Z",
                                                 result={"status": "SUCCESS", "description": text})])
        rows = list(csv.reader(io.StringIO(self.ok(self.list("-o", "csv", "--fields", "id,description")),
                                           newline="")))
        self.assertEqual(rows[1], ["hostile", visible])
        table = self.ok(self.list("-o", "table", "--fields", "id,description")).splitlines()
        self.assertEqual(table[1].split(None, 1), ["hostile", visible])
        raw = self.ok(self.list("-o", "csv"))
        self.assertIsNone(re.search("[\u202a-\u202e\u2066-\u2069\x1b\x07]", raw))

    def test_csv_keeps_line_breaks_quoted(self) -> None:
        self.emu.add_activities("pingone", [dict(NEWEST_FIRST[0], id="two-lines", recordedAt="2024-06-01T00:00:00.000Z",
                                                 result={"status": "SUCCESS", "description": "one\ntwo"})])
        rows = list(csv.reader(io.StringIO(self.ok(self.list("-o", "csv", "--fields", "id,description")),
                                           newline="")))
        self.assertEqual(rows[1], ["two-lines", "one\ntwo"])


class EmptyListingTest(OutputCase):
    NOTICE = re.compile(r"^auditfetch: no activities between (\S+) and (\S+) \(default --since 7d\)$")

    def test_nothing_in_the_default_window_names_the_window_on_stderr(self) -> None:
        # the fixtures are from 2024: the default last 7 days hold nothing
        result = self.list(window=False)
        self.assertEqual((result.returncode, result.stdout), (0, ""), result.stderr)
        match = self.NOTICE.match(result.stderr.strip())
        self.assertIsNotNone(match, result.stderr)
        since, until = (dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") if "." not in t
                        else dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ") for t in match.groups())
        self.assertEqual(until - since, dt.timedelta(days=7))
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self.assertLess(abs((until - now).total_seconds()), 60)
        self.assertEqual(len(result.stderr.splitlines()), 1)

    def test_every_format_and_the_table_print_nothing_else(self) -> None:
        for fmt in ("table", "ndjson"):
            with self.subTest(format=fmt):
                result = self.list("-o", fmt, window=False)
                self.assertEqual(result.stdout, "")
                self.assertRegex(result.stderr.strip(), self.NOTICE)

    def test_quiet_says_nothing(self) -> None:
        result = self.list("-q", window=False)
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))

    def test_a_window_given_says_nothing_off_a_terminal_and_plainly_on_one(self) -> None:
        args = ("--since", "2030-01-01T00:00:00Z", "--until", "2030-01-02T00:00:00Z")
        result = self.list(*args, window=False)
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))
        code, terminal, stderr = on_terminal(self.list_args(*args, window=False))
        self.assertEqual((code, terminal), (0, ""))
        self.assertEqual(stderr, "auditfetch: no activities between 2030-01-01T00:00:00Z and 2030-01-02T00:00:00Z\n")


if __name__ == "__main__":
    unittest.main()
