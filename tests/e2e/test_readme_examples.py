"""Every example in README.md runs, against the emulator, and prints what the README says.

An example is a fenced block that runs auditfetch (```sh, ```crontab, or a ```console transcript
of `$ command` and its output), named by an `<!-- example: NAME -->` line right before it. Each
name has a check below (CHECKS), or a reason it cannot run here (SKIPPED; keep that list short).
The blocks run as they are written, through bash, in a fresh HOME; `auditfetch` on PATH is the
binary under test, and the provider's API is the emulator, given through the environment
(AUDITFETCH_BASE_URL, AUDITFETCH_TOKEN_URL and the provider's own credential variables): the
README's commands are the ones a user types for a real account. `tail` runs a few seconds, then
gets SIGTERM, as a user stopping it would send. Records dated within the last hour are added to
the emulator first, so `--since 24h` finds them.

Also here: a newcomer's path (a clone of the repository, scripts/demo, then each provider's quick
start from the clone's own README and emulator).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from harness import (CLIENT_ID, CLIENT_SECRET, GITHUB_OTHER_ORG, PINGONE_ENV_ID, REPO, TOKEN, ZENDESK_EMAIL, DUO_IKEY,
                     DUO_SKEY, Emulator, EmulatorTestCase, auditfetch_bin, fixture_records, http)
from provider_case import ndjson, parse_time
from test_matrix import MATRIX, Provider, _google_events

README = REPO / "README.md"
SECOND = 1_000_000_000
TAIL_SECONDS = 4  # how long a `tail` in an example runs before it gets SIGTERM

# Examples that cannot run here, and why. Everything else in the README runs.
SKIPPED = {
    "profiles": "its profiles read a secret through the pass password manager and name a real tenant's "
                "client id (tests/e2e/test_config.py runs profiles, credential commands and config check)",
    "exec-collector": "posts to https://collector.example.com (tests/e2e/test_exec.py runs the same "
                      "--exec curl command against a local collector)",
    "exec-postgresql": "needs a PostgreSQL server (the same script was run against PostgreSQL 15 for "
                       "issue 14; tests/e2e/test_exec.py covers --exec delivery)",
    "definition-acme-list": "Acme is a made-up API (tests/e2e/test_user_definitions.py adds a provider "
                            "by a definition alone and lists it from the emulator)",
}

# The credentials each quick start names, with the values the emulator accepts.
QUICK_ENV: dict[str, dict[str, str]] = {
    "okta": {"OKTA_API_TOKEN": TOKEN},
    "github": {"GITHUB_TOKEN": TOKEN},
    "entra-audits": {"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET},
    "entra-signins": {"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET},
    "pingone": {"PINGONE_CLIENT_ID": CLIENT_ID, "PINGONE_CLIENT_SECRET": CLIENT_SECRET},
    "thousandeyes": {"TE_TOKEN": TOKEN},
    "sailpoint": {"SAIL_CLIENT_ID": CLIENT_ID, "SAIL_CLIENT_SECRET": CLIENT_SECRET},
    "truto": {"TRUTO_API_TOKEN": TOKEN},
    "google-workspace": {},  # GOOGLE_APPLICATION_CREDENTIALS: a key file for this emulator, below
    "slack": {"SLACK_TOKEN": TOKEN},
    "zendesk": {"ZENDESK_EMAIL": ZENDESK_EMAIL, "ZENDESK_API_TOKEN": TOKEN},
    "auth0": {"AUTH0_CLIENT_ID": CLIENT_ID, "AUTH0_CLIENT_SECRET": CLIENT_SECRET},
    "1password-audit": {"OP_EVENTS_TOKEN": TOKEN},
    "1password-signins": {"OP_EVENTS_TOKEN": TOKEN},
    "1password-item-usages": {"OP_EVENTS_TOKEN": TOKEN},
    "duo-auth": {"DUO_IKEY": DUO_IKEY, "DUO_SKEY": DUO_SKEY},
    "duo-admin": {"DUO_IKEY": DUO_IKEY, "DUO_SKEY": DUO_SKEY},
}
PROVIDERS = {p.name: p for p in MATRIX}

# ---------------------------------------------------------------------------- reading the README

EXAMPLE = re.compile(r"^<!-- example: ([\w-]+) -->\n```(\w+)\n(.*?)^```$", re.S | re.M)
FENCE = re.compile(r"^```(\S*)\n(.*?)^```$", re.S | re.M)
# A line that runs auditfetch: optional `$ `, variable assignments, nohup, or a crontab schedule.
RUNS = re.compile(r"^(?:\$ )?(?:(?:\S+\s+){5}\s*)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:nohup\s+)?auditfetch\s", re.M)


def readme_text(root: Path = REPO) -> str:
    return (root / "README.md").read_text(encoding="utf-8")


def examples(text: str) -> dict[str, tuple[str, str]]:
    """NAME → (language, body) of every named example."""
    found: dict[str, tuple[str, str]] = {}
    for match in EXAMPLE.finditer(text):
        name, language, body = match.groups()
        if name in found:
            raise AssertionError(f"README.md: two examples are named {name}")
        found[name] = (language, body)
    return found


def quick_start(text: str, heading: str) -> str:
    """The text of one provider's quick start, up to the next heading of its level."""
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M).group(1)
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^### |\Z)", section, re.S | re.M)
    if not match:
        raise AssertionError(f"README.md: no quick start for {heading}")
    return match.group(1)


def script_of(language: str, body: str) -> str:
    """What bash runs for a block: a crontab line loses its schedule, as cron's shell gets it."""
    if language == "crontab":
        lines = []
        for line in body.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                line = line.split(None, 5)[5]
            lines.append(line)
        body = "\n".join(lines) + "\n"
    return body


# ---------------------------------------------------------------------------- running a block


class Sandbox:
    """A fresh HOME (also the working directory) with `auditfetch` on PATH."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="auditfetch-readme-")
        self.home = Path(self._dir.name)
        (self.home / ".local" / "state" / "auditfetch").mkdir(parents=True)
        (self.home / "audit").mkdir()
        bindir = self.home / ".bin"
        bindir.mkdir()
        wrapper = bindir / "auditfetch"
        wrapper.write_text(
            "#!/bin/sh\n"
            "# tail runs until it is stopped: stop it, as a user would, with SIGTERM\n"
            f'if [ "$1" = tail ]; then exec timeout --preserve-status -s TERM {TAIL_SECONDS} "{auditfetch_bin()}" "$@"; fi\n'
            f'exec "{auditfetch_bin()}" "$@"\n')
        wrapper.chmod(0o755)
        self.path = f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"

    def close(self) -> None:
        self._dir.cleanup()

    def run(self, script: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        environment = {"PATH": self.path, "HOME": str(self.home), "LANG": "C.UTF-8", "TZ": "UTC", **env}
        for sanitizer in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
            if sanitizer in os.environ:
                environment[sanitizer] = os.environ[sanitizer]
        # `wait`: a block that starts auditfetch in the background is done when that run is.
        return subprocess.run(["bash", "-c", "set -eo pipefail\n" + script + "\nwait\n"], cwd=self.home,
                              env=environment, capture_output=True, text=True, timeout=timeout)


def emulator_env(emu_url: str, name: str) -> dict[str, str]:
    """The environment that points a provider's README command at the emulator."""
    provider = PROVIDERS[name]
    settings = provider.settings(emu_url)
    env = dict(QUICK_ENV[name])
    for flag, variable in (("--base-url", "AUDITFETCH_BASE_URL"), ("--token-url", "AUDITFETCH_TOKEN_URL"),
                           ("--credentials-file", "GOOGLE_APPLICATION_CREDENTIALS")):
        if flag in settings:
            env[variable] = settings[settings.index(flag) + 1]
    if name == "pingone":
        env["AUDITFETCH_TOKEN_URL"] = f"{emu_url}/{PINGONE_ENV_ID}/as/token"
    return env


def pingone_env(emu_url: str) -> dict[str, str]:
    """PingOne as the README's examples take it: the environment and client credentials set."""
    return {**emulator_env(emu_url, "pingone"), "PINGONE_ENVIRONMENT_ID": PINGONE_ENV_ID}


def templates(name: str) -> list[dict[str, Any]]:
    """Records of the account a quick start lists, one for each native action first."""
    provider = PROVIDERS[name]
    records = provider.records
    if name == "google-workspace":  # the quick start lists the default application, login
        records = _google_events([r for r in fixture_records(name) if r["id"]["applicationName"] == "login"])
    seen: dict[Any, dict[str, Any]] = {}
    for record in records:
        seen.setdefault(provider.native_action(record), record)
    return list(seen.values())[:5]


def new_records(emu: Any, name: str, chosen: list[dict[str, Any]], minutes_ago: float = 3,
                ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Copies of `chosen` dated a few minutes ago, with new ids, added to the emulator."""
    provider = PROVIDERS[name]
    start = time.time_ns() - int(minutes_ago * 60 * SECOND)
    out = []
    for i, template in enumerate(chosen):
        record_id = (ids[i] if ids and i < len(ids) else
                     uuid.uuid4().hex[:22] if name == "github" else uuid.uuid4().hex)
        out.append(provider.new_record(copy.deepcopy(template), record_id, start - i * 20 * SECOND))
    emu.add_activities(provider.emulator_name or name, out)
    return out


def json_values(text: str) -> tuple[list[Any], str]:
    """The JSON values at the start of `text` (pretty or not), and what follows them."""
    decoder = json.JSONDecoder()
    values, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text) or text[position] not in "{[":
            return values, text[position:]
        value, position = decoder.raw_decode(text, position)
        values.append(value)


# ---------------------------------------------------------------------------- the tests


class ReadmeStructureTest(unittest.TestCase):
    def test_every_block_that_runs_auditfetch_is_a_named_example(self) -> None:
        text = readme_text()
        named = {body for _, body in examples(text).values()}
        for match in FENCE.finditer(text):
            language, body = match.groups()
            with self.subTest(block=body.splitlines()[0] if body.strip() else ""):
                self.assertTrue(language, "every code block says its language (```sh, ```text, ...)")
                if language in ("sh", "console", "crontab") and RUNS.search(body):
                    self.assertIn(body, named, "a block that runs auditfetch has no <!-- example: NAME --> line")

    def test_every_example_has_a_check_or_a_reason(self) -> None:
        names = set(examples(readme_text()))
        self.assertEqual(sorted(names - set(CHECKS) - set(SKIPPED)), [], "examples without a check")
        self.assertEqual(sorted((set(CHECKS) | set(SKIPPED)) - names), [], "checks of examples that are gone")
        self.assertEqual(set(CHECKS) & set(SKIPPED), set())
        self.assertLessEqual(len(SKIPPED), 5, "keep the examples that cannot run here few")

    def test_the_readme_starts_with_what_install_quick_start_then_usage(self) -> None:
        headings = re.findall(r"^## (.+)$", readme_text(), re.M)
        self.assertEqual(headings[:4], ["Install", "Quick start", "Usage", "Deployment"])
        for moved in ("Architecture", "Performance", "Dependencies"):
            self.assertNotIn(moved, headings)
        contributing = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
        for heading in ("## Architecture", "## Performance", "## Dependencies", "### Fuzzing"):
            self.assertIn(f"\n{heading}\n", contributing)

    def test_the_two_set_up_commands_stay_in_the_readme(self) -> None:
        install = re.search(r"^## Install\n(.*?)(?=^## )", readme_text(), re.S | re.M).group(1)
        self.assertRegex(install, r"(?m)^scripts/demo +# build, then run list and get against the local PingOne emulator$")
        self.assertRegex(install, r"(?m)^scripts/test +# build, then run the unit and end-to-end tests")

    def test_every_provider_has_a_quick_start_naming_what_it_needs(self) -> None:
        text = readme_text()
        found = examples(text)
        for name in sorted(QUICK_ENV):
            with self.subTest(provider=name):
                self.assertIn(f"quick-{name}", found)
                language, body = found[f"quick-{name}"]
                self.assertEqual(language, "sh")
                self.assertRegex(body, rf"^auditfetch list -p {re.escape(name)}\b.*--since 24h\n$")
        headings = {"okta": "Okta", "github": "GitHub", "entra": "Microsoft Entra ID", "pingone": "PingOne",
                    "thousandeyes": "ThousandEyes", "sailpoint": "SailPoint", "truto": "Truto",
                    "google-workspace": "Google Workspace", "slack": "Slack", "zendesk": "Zendesk",
                    "auth0": "Auth0", "1password": "1Password", "duo": "Duo"}
        for name in sorted(QUICK_ENV):
            heading = next(h for prefix, h in headings.items() if name.startswith(prefix))
            section = quick_start(text, heading)
            with self.subTest(provider=name):
                self.assertIn(f"<!-- example: quick-{name} -->", section)
                self.assertIn("#### Get credentials\n", section)
                for variable in QUICK_ENV[name]:
                    self.assertIn(f"`{variable}`", section, f"the quick start of {name} does not name {variable}")
                if name == "google-workspace":
                    self.assertIn("`GOOGLE_APPLICATION_CREDENTIALS`", section)

    def test_the_man_page_points_to_get_credentials(self) -> None:
        man = (REPO / "man" / "auditfetch.1").read_text(encoding="utf-8")
        self.assertIn("Quick start", man)
        self.assertIn("Get credentials", man)


Check = Callable[["ReadmeExamplesTest", str, str], None]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS[name] = function
        return function
    return register


class ReadmeExamplesTest(EmulatorTestCase):
    """Each named example, as the README writes it."""

    def setUp(self) -> None:
        super().setUp()
        self.sandbox = Sandbox()
        self.addCleanup(self.sandbox.close)
        self.found = examples(readme_text())

    def run_example(self, name: str, env: dict[str, str], expect_status: int = 0) -> subprocess.CompletedProcess[str]:
        language, body = self.found[name]
        if "| jq" in body and shutil.which("jq") is None:
            self.skipTest("jq is not installed (scripts/deps installs it)")
        result = self.sandbox.run(script_of(language, body), env)
        self.assertEqual(result.returncode, expect_status, f"example {name}:\n{body}\nstderr:\n{result.stderr}")
        return result

    def file(self, relative: str) -> str:
        return (self.sandbox.home / relative).read_text(encoding="utf-8")

    def assert_ids_once(self, name: str, activities: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
        provider = PROVIDERS[name]
        got = [provider.act_id(a) for a in activities]
        self.assertEqual(sorted(got), sorted(provider.rec_id(r) for r in expected))
        self.assertEqual(len(set(got)), len(got), "an activity was printed twice")
        self.assertEqual({a["provider"] for a in activities}, {name})


def _quick(name: str) -> Check:
    def run(self: ReadmeExamplesTest, example: str, _: str) -> None:
        added = new_records(self.emu, name, templates(name))
        result = self.run_example(example, emulator_env(self.emu.url, name))
        self.assertEqual(result.stderr, "")
        self.assert_ids_once(name, ndjson(result.stdout), added)
    return run


for _name in QUICK_ENV:
    CHECKS[f"quick-{_name}"] = _quick(_name)


@check("intro")
def _intro(self: ReadmeExamplesTest, example: str, _: str) -> None:
    chosen = templates("pingone")
    login = next(r for r in PROVIDERS["pingone"].records if r["action"]["type"] == "USER.ACCESS_ALLOWED")
    added = new_records(self.emu, "pingone", [login, *chosen],
                        ids=[uuid.uuid4().hex, "a4a0a8c0-2d47-4efe-a8a5-463684f79f1c"])
    result = self.run_example(example, pingone_env(self.emu.url))
    values, rest = json_values(result.stdout)
    logins = [r["id"] for r in added if r["action"]["type"] == "USER.ACCESS_ALLOWED"]
    self.assertEqual(sorted(v["id"] for v in values[:-1]), sorted(logins), "list ... --action login | jq .")
    self.assertEqual({v["action"] for v in values[:-1]}, {"login"})
    self.assertEqual(values[-1]["id"], "a4a0a8c0-2d47-4efe-a8a5-463684f79f1c", "get")
    self.assertEqual(values[-1]["remote_data"]["id"], "a4a0a8c0-2d47-4efe-a8a5-463684f79f1c")
    self.assertTrue(rest.startswith("pingone: PingOne audit activities"), rest[:200])
    self.assertIn("PINGONE_ENVIRONMENT_ID", rest)
    # tail, stopped after a few seconds: what exists from 10 minutes ago, once, and a checkpoint.
    self.assert_ids_once("pingone", ndjson(self.file("pingone.ndjson")), added)
    self.assertEqual(json.loads(self.file("pingone.json"))["provider"], "pingone")


@check("verify-repair")
def _verify_repair(self: ReadmeExamplesTest, example: str, _: str) -> None:
    day = sorted(r["id"] for r in PROVIDERS["pingone"].records
                 if parse_time("2024-05-14T00:00:00Z") <= parse_time(r["recordedAt"]) < parse_time("2024-05-15T00:00:00Z"))
    self.assertGreater(len(day), 3)
    listing = self.sandbox.run("auditfetch list -p pingone --since 2024-05-14T00:00:00Z --until 2024-05-15T00:00:00Z",
                               pingone_env(self.emu.url))
    lines = listing.stdout.splitlines()
    dropped = json.loads(lines[2])["id"]
    (self.sandbox.home / "audit" / "pingone.ndjson").write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    result = self.run_example(example, pingone_env(self.emu.url), expect_status=5)
    self.assertIn("1 missing", result.stderr)
    repaired = [a["id"] for a in ndjson(self.file("audit/pingone.ndjson"))]
    self.assertEqual(sorted(repaired), day)
    self.assertEqual(repaired[-1], dropped)
    again = self.run_example(example, pingone_env(self.emu.url))  # now complete: exit 0, nothing added
    self.assertEqual(again.stdout, "")
    self.assertEqual(sorted(a["id"] for a in ndjson(self.file("audit/pingone.ndjson"))), day)


def _transcript(self: ReadmeExamplesTest, example: str, body: str) -> None:
    """A ```console block: the command after `$ ` prints exactly the lines that follow it."""
    if "| jq" in body and shutil.which("jq") is None:
        self.skipTest("jq is not installed")
    lines = body.splitlines()
    command = [lines.pop(0)[2:]]
    while command[-1].endswith("\\"):
        command.append(lines.pop(0))
    # --explain sends nothing: no emulator, and no variable that would point it elsewhere.
    result = self.sandbox.run("\n".join(command), {})
    self.assertEqual(result.returncode, 0, result.stderr)
    self.assertEqual(result.stdout.splitlines(), lines)
    self.assertEqual(self.emu.requests(), [])


for _name in ("explain-okta", "explain-entra-signins", "explain-github-json"):
    CHECKS[_name] = _transcript


@check("exec-append")
def _exec_append(self: ReadmeExamplesTest, example: str, _: str) -> None:
    added = new_records(self.emu, "pingone", templates("pingone"))
    result = self.run_example(example, pingone_env(self.emu.url))
    self.assertEqual(result.stdout, "")
    self.assert_ids_once("pingone", ndjson(self.file("audit/pingone.ndjson")), added)
    self.assertTrue((self.sandbox.home / ".local/state/auditfetch/pingone.json").exists())


@check("cron")
def _cron(self: ReadmeExamplesTest, example: str, _: str) -> None:
    added = new_records(self.emu, "pingone", templates("pingone"))
    self.run_example(example, pingone_env(self.emu.url))
    later = new_records(self.emu, "pingone", templates("pingone")[:2], minutes_ago=1)
    self.run_example(example, pingone_env(self.emu.url))  # the next quarter hour: only what is new
    self.assert_ids_once("pingone", ndjson(self.file("audit/pingone.ndjson")), added + later)


@check("tail-file")
def _tail_file(self: ReadmeExamplesTest, example: str, _: str) -> None:
    added = new_records(self.emu, "thousandeyes", templates("thousandeyes"))
    self.run_example(example, emulator_env(self.emu.url, "thousandeyes"))
    # The foreground run prints them; the background one, from the checkpoint, nothing again. (It
    # gets its SIGTERM at once here; test_tail.py checks a tail stopped later saves and exits 0.)
    self.assert_ids_once("thousandeyes", ndjson(self.file("te.ndjson")), added)
    self.assertTrue((self.sandbox.home / ".local/state/auditfetch/te.json").exists())


@check("failed-logins")
def _failed_logins(self: ReadmeExamplesTest, example: str, _: str) -> None:
    records = PROVIDERS["pingone"].records
    failed = [r for r in records if r["action"]["type"] == "PASSWORD.CHECK_FAILED"]
    denied = [r for r in records if r["action"]["type"] == "USER.ACCESS_DENIED"]
    allowed = [r for r in records if r["action"]["type"] == "USER.ACCESS_ALLOWED"]
    self.assertTrue(failed and denied and allowed)
    added = new_records(self.emu, "pingone", failed + denied + allowed[:1])
    result = self.run_example(example, pingone_env(self.emu.url))
    # The user who tried to log in: PingOne has no actor on a failed password check, and names the
    # user whose password it checked as its resource.
    expected = Counter((r.get("actors", {}).get("user") or r["resources"][0])["id"]
                       for r in added if r["action"]["type"] != "USER.ACCESS_ALLOWED")
    counted = Counter()
    for line in result.stdout.splitlines():
        count, user = line.split()
        counted[user] = int(count)
    self.assertNotIn("null", counted, result.stdout)
    self.assertEqual(counted, expected)


@check("csv-month")
def _csv_month(self: ReadmeExamplesTest, example: str, _: str) -> None:
    new_records(self.emu, "pingone", templates("pingone"))  # recent: not in May 2024
    self.run_example(example, pingone_env(self.emu.url))
    import csv
    rows = list(csv.DictReader(self.file("may.csv").splitlines()))
    may = [r["id"] for r in PROVIDERS["pingone"].records if r["recordedAt"].startswith("2024-05")]
    self.assertEqual(sorted(row["id"] for row in rows), sorted(may))


@check("verbose")
def _verbose(self: ReadmeExamplesTest, example: str, _: str) -> None:
    result = self.run_example(example, pingone_env(self.emu.url))
    self.assertEqual(result.stdout, "")
    request = next(line for line in result.stderr.splitlines() if "/activities?" in line)
    self.assertIn("action.type%20eq%20%22USER.CREATED%22", request)
    pushed = next(line for line in result.stderr.splitlines() if "filters pushed down" in line)
    self.assertIn("action", pushed.split("filters pushed down: ")[1].split(";")[0])
    self.assertNotIn(CLIENT_SECRET, result.stderr)


@check("sources")
def _sources(self: ReadmeExamplesTest, example: str, _: str) -> None:
    """The README's two profiles, three sources (okta, and gh twice: corp and labs) merged newest
    first, a checkpoint per source: a second run adds only what is new."""
    profiles = re.search(r"^```toml\n(\[profiles\.okta\]\n.*?)^```$", readme_text(), re.S | re.M).group(1)
    config = self.sandbox.home / ".config" / "auditfetch" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(profiles)
    config.chmod(0o600)
    env = {**emulator_env(self.emu.url, "okta"), **emulator_env(self.emu.url, "github")}
    okta, github = PROVIDERS["okta"], PROVIDERS["github"]

    def labs_templates() -> list[dict[str, Any]]:
        return [dict(r, org=GITHUB_OTHER_ORG) for r in templates("github")]

    # Okta's polling mode serves the order events were stored in: store them oldest first.
    expected = {("okta", okta.rec_id(new_records(self.emu, "okta", [template], minutes_ago=4 - k / 2)[0]))
                for k, template in enumerate(templates("okta"))}
    expected |= {("corp", github.rec_id(r)) for r in new_records(self.emu, "github", templates("github"))}
    expected |= {("labs", github.rec_id(r)) for r in new_records(self.emu, "github", labs_templates())}
    result = self.run_example(example, env)
    self.assertEqual(result.stdout, "")
    self.assertEqual(result.stderr, "")
    printed = ndjson(self.file("audit/all.ndjson"))
    provider_of = {"okta": okta, "corp": github, "labs": github}
    got = [(a["source"], provider_of[a["source"]].act_id(a)) for a in printed]
    self.assertEqual(sorted(got), sorted(expected))
    self.assertEqual(len(set(got)), len(got), "an activity was printed twice")
    times = [a["created_at"] for a in printed]
    self.assertEqual(times, sorted(times, reverse=True), "newest first across the sources")
    for a in printed:
        self.assertEqual(a["provider"], provider_of[a["source"]].name)
        self.assertEqual(list(a)[-2:], ["provider", "source"])
    state = self.sandbox.home / ".local/state/auditfetch/sources"
    self.assertEqual(sorted(f.name for f in state.iterdir() if f.suffix == ".json"),
                     ["corp.json", "labs.json", "okta.json"])
    # The next run, from the checkpoints: only what is new, here in labs.
    later = new_records(self.emu, "github", labs_templates()[:1], minutes_ago=1)
    self.run_example(example, env)
    again = ndjson(self.file("audit/all.ndjson"))[len(printed):]
    self.assertEqual([(a["source"], github.act_id(a)) for a in again], [("labs", github.rec_id(later[0]))])


@check("sources-tail")
def _sources_tail(self: ReadmeExamplesTest, example: str, _: str) -> None:
    """The README's two profiles followed by one tail, stopped with SIGTERM after a few seconds:
    what both sources hold from 10 minutes ago, each once, oldest first across them, each naming
    its source, a checkpoint per source; the next run, from the checkpoints, only what is new."""
    profiles = re.search(r"^```toml\n(\[profiles\.okta\]\n.*?)^```$", readme_text(), re.S | re.M).group(1)
    config = self.sandbox.home / ".config" / "auditfetch" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(profiles)
    config.chmod(0o600)
    env = {**emulator_env(self.emu.url, "okta"), **emulator_env(self.emu.url, "github")}
    okta, github = PROVIDERS["okta"], PROVIDERS["github"]
    provider_of = {"okta": okta, "gh": github}
    output = "audit/okta-gh.ndjson"

    # Okta's polling mode serves the order events were stored in: store them oldest first. The
    # two sources' times interleave, so only a merge prints them in time order.
    expected = {("okta", okta.rec_id(new_records(self.emu, "okta", [template], minutes_ago=4 - k / 2)[0]))
                for k, template in enumerate(templates("okta"))}
    expected |= {("gh", github.rec_id(r)) for r in new_records(self.emu, "github", templates("github"))}
    result = self.run_example(example, env)  # SIGTERM: exit 0
    self.assertEqual(result.stdout, "")
    self.assertEqual(result.stderr, "")
    printed = ndjson(self.file(output))
    got = [(a["source"], provider_of[a["source"]].act_id(a)) for a in printed]
    self.assertEqual(sorted(got), sorted(expected))
    self.assertEqual(len(set(got)), len(got), "an activity was printed twice")
    self.assertEqual({source for source, _ in got}, {"okta", "gh"})
    times = [parse_time(a["created_at"]) for a in printed]
    self.assertEqual(times, sorted(times), "oldest first across the sources")
    for a in printed:
        self.assertEqual(a["provider"], provider_of[a["source"]].name)
        self.assertEqual(list(a)[-2:], ["provider", "source"])
    state = self.sandbox.home / ".local/state/auditfetch/tail"
    self.assertEqual(sorted(f.name for f in state.iterdir() if f.suffix == ".json"), ["gh.json", "okta.json"])
    # The next run starts from the checkpoints: only what is new, here in gh.
    later = new_records(self.emu, "github", templates("github")[:1], minutes_ago=1)
    self.run_example(example, env)
    again = ndjson(self.file(output))[len(printed):]
    self.assertEqual([(a["source"], github.act_id(a)) for a in again], [("gh", github.rec_id(later[0]))])


@check("sources-verify")
def _sources_verify(self: ReadmeExamplesTest, example: str, _: str) -> None:
    """The README's two profiles: a merged file of May 14 (what a merged run printed) that lost
    an okta line and a gh line. verify proves each source in turn, names both, exits 5 and
    appends each lost line as the merged run printed it, with its `source`; run again, every
    source is complete: exit 0, nothing added."""
    profiles = re.search(r"^```toml\n(\[profiles\.okta\]\n.*?)^```$", readme_text(), re.S | re.M).group(1)
    config = self.sandbox.home / ".config" / "auditfetch" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(profiles)
    config.chmod(0o600)
    env = {**emulator_env(self.emu.url, "okta"), **emulator_env(self.emu.url, "github")}
    okta, github = PROVIDERS["okta"], PROVIDERS["github"]
    provider_of = {"okta": okta, "gh": github}
    since, until = "2024-05-14T00:00:00Z", "2024-05-15T00:00:00Z"
    output = "audit/okta-gh.ndjson"

    listing = self.sandbox.run(f"auditfetch list --profile okta --profile gh --since {since} --until {until} "
                               "-o ndjson", env)
    self.assertEqual(listing.returncode, 0, listing.stderr)
    lines = listing.stdout.splitlines()
    day = {(source, provider.rec_id(r)) for source, provider in provider_of.items() for r in provider.records
           if parse_time(since) <= provider.time(r) < parse_time(until)}
    self.assertEqual(sorted((json.loads(l)["source"], provider_of[json.loads(l)["source"]].act_id(json.loads(l)))
                            for l in lines), sorted(day))
    lost = [next(l for l in lines if json.loads(l)["source"] == source) for source in ("okta", "gh")]
    (self.sandbox.home / output).write_text("".join(l + "\n" for l in lines if l not in lost))

    result = self.run_example(example, env, expect_status=5)
    self.assertEqual(result.stdout, "")
    self.assertIn("auditfetch: verify source okta: okta domain=acme.okta.com, ", result.stderr)
    self.assertIn("auditfetch: verify source gh: github org=acme-corp, ", result.stderr)
    errors = [l for l in result.stderr.splitlines() if l.startswith("auditfetch: error: ")]
    self.assertEqual(len(errors), 2, result.stderr)
    self.assertTrue(errors[0].startswith("auditfetch: error: okta: verify: okta domain=acme.okta.com"), errors[0])
    self.assertTrue(errors[1].startswith("auditfetch: error: gh: verify: github org=acme-corp"), errors[1])
    for error in errors:
        self.assertIn("1 missing, 0 duplicated", error)
    repaired = ndjson(self.file(output))
    self.assertEqual(len(repaired), len(lines))
    self.assertEqual(repaired[-2:], [json.loads(l) for l in lost], "appended as the merged run printed them")
    self.assertEqual(sorted(json.dumps(a, sort_keys=True) for a in repaired),
                     sorted(json.dumps(json.loads(l), sort_keys=True) for l in lines))

    again = self.run_example(example, env)  # now complete: exit 0, nothing added
    self.assertNotIn("auditfetch: error:", again.stderr)
    self.assertEqual(again.stderr.count("auditfetch: verify "), 2, again.stderr)
    self.assertEqual(len(ndjson(self.file(output))), len(lines))


@check("definition-acme")
def _definition(self: ReadmeExamplesTest, example: str, _: str) -> None:
    definition = re.search(r"^```json\n(\{\n  \"name\": \"acme\".*?)^```$", readme_text(), re.S | re.M).group(1)
    (self.sandbox.home / "my-providers").mkdir()
    (self.sandbox.home / "my-providers" / "acme.json").write_text(definition)
    result = self.run_example(example, {})
    self.assertTrue(result.stdout.startswith("acme: Acme audit events (Link-header paging)"), result.stdout)
    self.assertIn("ACME_API_KEY", result.stdout)
    self.assertIn("my-providers/acme.json", result.stdout)


def _example_test(name: str) -> Callable[[ReadmeExamplesTest], None]:
    def test(self: ReadmeExamplesTest) -> None:
        if name not in self.found:
            self.fail(f"README.md has no example {name}")
        CHECKS[name](self, name, self.found[name][1])
    test.__doc__ = f"README example {name}"
    return test


for _name in CHECKS:
    setattr(ReadmeExamplesTest, "test_" + _name.replace("-", "_"), _example_test(_name))


# ---------------------------------------------------------------------------- a newcomer


class _ControlApi:
    """The control API of an emulator this test started itself (the clone's)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def add_activities(self, provider: str, records: list[dict[str, Any]]) -> None:
        reply = http(f"{self.url}/_emulator/activities/{provider}", "POST", {"Content-Type": "application/json"},
                     json.dumps(records).encode())
        if reply.status != 200:
            raise RuntimeError(f"emulator: {reply.status} {reply.body!r}")


class NewcomerTest(unittest.TestCase):
    """Clone, scripts/demo, then every provider's quick start, from the clone alone.

    scripts/demo builds before it runs; here AUDITFETCH_BIN hands it the binary under test, which
    is the build of this very tree (building a second copy would take minutes, not test more)."""

    def test_clone_demo_and_quick_starts(self) -> None:
        if shutil.which("git") is None or not (REPO / ".git").exists():
            self.skipTest("not a git checkout")
        with tempfile.TemporaryDirectory(prefix="auditfetch-newcomer-") as work:
            clone = Path(work) / "auditfetch"
            cloned = subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], capture_output=True, text=True)
            self.assertEqual(cloned.returncode, 0, cloned.stderr)
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "LANG": "C.UTF-8", "TZ": "UTC",
                   "AUDITFETCH_BIN": str(auditfetch_bin())}
            demo = subprocess.run(["scripts/demo"], cwd=clone, env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(demo.returncode, 0, demo.stderr)
            out = demo.stdout.splitlines()
            records = fixture_records("pingone")
            # a table of 12, the failed logins as NDJSON, the count of all, then one activity as JSON
            self.assertIn("ACTION", out[0].split())
            self.assertTrue(all("login_failed" not in line or "ACTION" in line for line in out[:1]))
            values = [json.loads(line) for line in out if line.startswith("{")]
            failed = [v for v in values if set(v) == {"created_at", "action", "actor", "description"}]
            self.assertEqual(len(failed), sum(r["action"]["type"] in ("PASSWORD.CHECK_FAILED", "USER.ACCESS_DENIED")
                                              for r in records))
            self.assertTrue(all(f["action"] == "login_failed" and f["actor"]["user"]["id"] for f in failed), failed)
            self.assertIn(str(len(records)), [line.strip() for line in out])
            self.assertEqual(json.loads(out[-1])["provider"], "pingone")

            # the quick start of each provider, from the clone's README, against the clone's emulator
            emulator = subprocess.Popen([sys.executable, str(clone / "tests/emulator/emulator.py"), "--port", "0"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                url = emulator.stdout.readline().strip().removeprefix("listening on ")
                emu = _ControlApi(url)
                found = examples(readme_text(clone))
                sandbox = Sandbox()
                self.addCleanup(sandbox.close)
                for name in sorted(QUICK_ENV):
                    with self.subTest(provider=name):
                        added = new_records(emu, name, templates(name))
                        result = sandbox.run(found[f"quick-{name}"][1], emulator_env(url, name))
                        self.assertEqual(result.returncode, 0, result.stderr)
                        provider = PROVIDERS[name]
                        self.assertEqual(sorted(provider.act_id(a) for a in ndjson(result.stdout)),
                                         sorted(provider.rec_id(r) for r in added))
            finally:
                emulator.terminate()
                emulator.wait(10)
                emulator.stdout.close()


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    unittest.main()
