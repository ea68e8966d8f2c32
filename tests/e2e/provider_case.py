"""Shared pieces of the per-provider end-to-end tests (test_pingone.py, test_truto.py, ...).

ProviderCase starts one emulator per test class (with `emulator_args`) and resets it before every
test; it checks auditfetch's error lines, parses its outputs and its `-v` pushdown line. The
functions below compute expected values from fixture records, never from auditfetch itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
import unittest
from typing import Any, Iterable

import harness
from harness import EmulatorTestCase

sys.dont_write_bytecode = True  # keep tests/emulator free of __pycache__
sys.path.insert(0, str(harness.REPO / "tests" / "emulator"))
from common import parse_time  # noqa: E402  (RFC 3339 → nanoseconds, shared with the emulator)

# Every unified activity has exactly these keys, in this order (README, "The unified activity").
ACTIVITY_KEYS = ["id", "actor", "organization", "group", "description", "action", "entity", "entity_type",
                 "context", "created_at", "remote_data", "provider"]
UNIFIED_ACTIONS = {"login", "login_failed", "logout", "user_invited", "user_created", "user_joined",
                   "user_deactivated", "user_deleted", "user_updated", "create", "destroy", "exported", "updated"}
FILTER_NAMES = {"since", "until", "action", "actor_id", "entity", "entity_type"}
MS_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"

# --------------------------------------------------------------------------- times

def format_ms(ns: int) -> str:
    """nanoseconds → UTC RFC 3339 with milliseconds, as auditfetch prints created_at."""
    seconds, rest = divmod(ns, 1_000_000_000)
    text = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{rest // 1_000_000:03d}Z"


def format_seconds(ns: int) -> str:
    """nanoseconds (a whole second) → 2024-05-13T00:00:00Z."""
    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ms(text: str) -> str:
    """A provider time normalised the way auditfetch prints created_at."""
    return format_ms(parse_time(text))


def in_range(text: str, since: str | None, until: str | None) -> bool:
    """since <= text < until (either bound optional)."""
    t = parse_time(text)
    return (since is None or t >= parse_time(since)) and (until is None or t < parse_time(until))


# --------------------------------------------------------------------------- outputs


def ndjson(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def csv_rows(stdout: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(stdout, newline="")))


def record_key(record: Any) -> str:
    """A record's content as one comparable string (for records without an id)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def unified_actor(actor_type: str | None, user_id: str | None) -> dict[str, Any]:
    return {"type": actor_type, "user": {"id": user_id}}


def null_context(ip_address: str | None = None, user_agent: str | None = None,
                 authentication_method: str | None = None) -> dict[str, Any]:
    return {"ip_address": ip_address, "user_agent": user_agent, "authentication_method": authentication_method}


# --------------------------------------------------------------------------- test case


def csv_text(text: str | None) -> str | None:
    """Remote text as auditfetch writes it into CSV (README, Output): C0 controls other than tab,
    line feed and carriage return, DEL and C1 controls, U+2028/U+2029 and bidi controls shown as
    visible escapes, as in the table."""
    if text is None:
        return None
    out = []
    for c in text:
        cp = ord(c)
        if c in "\t\n\r":
            out.append(c)
        elif cp < 0x20 or cp == 0x7F:
            out.append(f"\\x{cp:02x}")
        elif 0x80 <= cp <= 0x9F or cp in (0x2028, 0x2029, 0x200E, 0x200F, 0x061C) or 0x202A <= cp <= 0x202E \
                or 0x2066 <= cp <= 0x2069:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(c)
    return "".join(out)


def display_width(text: str) -> int:
    """Terminal columns: two for East Asian wide and fullwidth characters."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table_cells(a: dict[str, Any]) -> list[str | None]:
    """The default table columns of a unified activity: TIME, ID, ACTION, ACTOR (the user's id,
    else the actor type), ENTITY (type:id), IP, DESCRIPTION."""
    actor = a["actor"]["user"]["id"] or a["actor"]["type"]
    if a["entity_type"] and a["entity"]:
        entity = f"{a['entity_type']}:{a['entity']}"
    else:
        entity = a["entity"] or a["entity_type"]
    return [a["created_at"], a["id"], a["action"], actor, entity, a["context"]["ip_address"], a["description"]]


def table_lines(rows: list[list[str | None]],
                header: tuple[str, ...] = ("TIME", "ID", "ACTION", "ACTOR", "ENTITY", "IP", "DESCRIPTION")) -> list[str]:
    """A table as auditfetch prints it off a terminal (README, Output): each column as wide as its
    widest cell or header, two spaces between columns, null as "-", nothing shortened, no trailing
    spaces. One page of rows."""
    cells = [["-" if c is None else c for c in row] for row in rows]
    widths = [max(display_width(r[i]) for r in [list(header)] + cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c + " " * (widths[i] - display_width(c)) if i + 1 < len(row) else c
                         for i, c in enumerate(row)).rstrip(" ")

    return [line(list(header))] + [line(r) for r in cells]


class ProviderCase(EmulatorTestCase):
    """One emulator per class (started with `emulator_args`), reset before every test."""

    # ---------------------------------------------------------------- assertions

    def assertOneErrorLine(self, result: subprocess.CompletedProcess, exit_code: int, text: str) -> None:
        """Exit code, and exactly one error line, the last on stderr, containing text."""
        self.assertEqual(result.returncode, exit_code, result.stderr)
        lines = result.stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("auditfetch: error: ")]
        self.assertEqual(len(errors), 1, result.stderr)
        self.assertEqual(errors[0], lines[-1])
        self.assertIn(text, errors[0])
        self.assertTrue(all(l.startswith("auditfetch: ") for l in lines), result.stderr)

    def errorLine(self, result: subprocess.CompletedProcess) -> str:
        """The one error line (after assertOneErrorLine)."""
        return result.stderr.strip().splitlines()[-1]

    def activities(self, result: subprocess.CompletedProcess) -> list[dict[str, Any]]:
        """The NDJSON activities of a successful run."""
        self.assertEqual(result.returncode, 0, result.stderr)
        return ndjson(result.stdout)

    def assertIdsOnce(self, activities: Iterable[dict[str, Any]], expected_ids: Iterable[str]) -> None:
        """Every expected id exactly once, nothing else."""
        ids = [a["id"] for a in activities]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(duplicates, [], "ids printed more than once")
        self.assertEqual(sorted(ids), sorted(expected_ids))

    def assertUnifiedShape(self, activity: dict[str, Any], provider: str) -> None:
        self.assertEqual(list(activity), ACTIVITY_KEYS)
        self.assertEqual(activity["provider"], provider)
        self.assertEqual(set(activity["actor"]), {"type", "user"})
        self.assertIn(activity["actor"]["type"], ("user", "system", "anonymous"))
        self.assertEqual(set(activity["context"]), {"ip_address", "user_agent", "authentication_method"})
        self.assertRegex(activity["created_at"], MS_TIME)

    def pushdown(self, result: subprocess.CompletedProcess, provider: str) -> tuple[set[str], set[str]]:
        """The filters `-v` says were pushed down and applied locally."""
        m = re.search(rf"^auditfetch: {re.escape(provider)}: filters pushed down: (.*); applied locally: (.*)$",
                      result.stderr, re.M)
        self.assertIsNotNone(m, result.stderr)
        def names(text: str) -> set[str]:
            return set() if text.strip() == "none" else {n.strip() for n in text.split(",")}
        pushed, local = names(m.group(1)), names(m.group(2))
        self.assertLessEqual(pushed | local, FILTER_NAMES, result.stderr)
        return pushed, local

    def assertJsonOutput(self, result: subprocess.CompletedProcess, expected_ids: Iterable[str]) -> list[dict[str, Any]]:
        self.assertEqual(result.returncode, 0, result.stderr)
        document = json.loads(result.stdout)
        self.assertIsInstance(document, list)
        self.assertIdsOnce(document, expected_ids)
        return document

    def assertCsvOutput(self, result: subprocess.CompletedProcess, fields: list[str],
                        expected_ids: Iterable[str]) -> list[list[str]]:
        """A header with exactly `fields` (the first being id; auditfetch prints them in the order
        given) and one row per activity."""
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = csv_rows(result.stdout)
        self.assertEqual(rows[0], fields)
        self.assertTrue(all(len(row) == len(fields) for row in rows), rows)
        self.assertEqual(sorted(r[0] for r in rows[1:]), sorted(expected_ids))
        return rows
