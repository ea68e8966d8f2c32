"""End to end: provider definitions written by users, read from --providers-dir DIR or from
$XDG_CONFIG_HOME/auditfetch/providers/, beside (or instead of) the built-in ones.

The definitions here are copies of the built-in providers/pingone.json, so the PingOne emulator
serves them.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any

from harness import PINGONE_ENV_ID, REPO, TOKEN, fixture_records, run_auditfetch
from provider_case import ProviderCase, format_ms

BUILTIN = json.loads((REPO / "providers" / "pingone.json").read_text(encoding="utf-8"))
PINGONE_IDS = sorted(r["id"] for r in fixture_records("pingone"))
PINGTWO_DESCRIPTION = "PingTwo: PingOne audit activities through a user definition"
OVERRIDE_DESCRIPTION = "PingOne audit activities, as overridden by a user definition"
SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"


def definition(name: str, description: str) -> dict[str, Any]:
    """The built-in PingOne definition under another name and description."""
    copy = json.loads(json.dumps(BUILTIN))
    copy["name"] = name
    copy["description"] = description
    return copy


def definition_text(name: str, description: str) -> str:
    return json.dumps(definition(name, description), indent=2, ensure_ascii=False) + "\n"


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line containing needle."""
    numbers = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(numbers) == 1, (needle, numbers)
    return numbers[0]


class UserDefinitionCase(ProviderCase):
    def setUp(self) -> None:
        super().setUp()
        self.dir = Path(tempfile.mkdtemp(prefix="auditfetch-providers-")).resolve()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, filename: str, text: str, directory: Path | None = None) -> Path:
        path = (directory or self.dir) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def providers(self, *args: str, env: dict | None = None):
        return run_auditfetch("providers", *args, "--providers-dir", self.dir, env=env)

    def list(self, provider: str, *args: str, env: dict | None = None, providers_dir: bool = True):
        where = ["--providers-dir", str(self.dir)] if providers_dir else []
        return run_auditfetch("list", "-p", provider, *where, "--environment-id", PINGONE_ENV_ID,
                              "--base-url", self.emu.url + "/v1", "--since", SINCE, "--until", UNTIL, *args,
                              env={"AUDITFETCH_TOKEN": TOKEN, **(env or {})})

    def listed(self, stdout: str) -> dict[str, str]:
        """`auditfetch providers`: name → the rest of its line."""
        out = {}
        for line in stdout.splitlines():
            name, _, rest = line.strip().partition(" ")
            if name:
                out[name] = rest.strip()
        return out


class ProvidersDirTest(UserDefinitionCase):
    def test_a_user_definition_is_listed_beside_the_built_in_ones(self) -> None:
        self.write("pingtwo.json", definition_text("pingtwo", PINGTWO_DESCRIPTION))
        result = self.providers()
        self.assertEqual(result.returncode, 0, result.stderr)
        listed = self.listed(result.stdout)
        self.assertEqual(listed.get("pingtwo"), PINGTWO_DESCRIPTION)
        self.assertEqual(listed.get("pingone"), BUILTIN["description"])
        names = self.providers("--names")
        self.assertEqual(names.returncode, 0, names.stderr)
        self.assertIn("pingtwo", names.stdout.splitlines())
        self.assertIn("pingone", names.stdout.splitlines())
        for line in names.stdout.splitlines():
            self.assertRegex(line, r"^[a-z0-9][a-z0-9_-]*$")

    def test_providers_name_describes_the_user_definition(self) -> None:
        path = self.write("pingtwo.json", definition_text("pingtwo", PINGTWO_DESCRIPTION))
        result = run_auditfetch("providers", "pingtwo", "--providers-dir", self.dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(PINGTWO_DESCRIPTION, result.stdout)
        self.assertIn(str(path), result.stdout)  # where the definition came from
        self.assertIn("--environment-id", result.stdout)

    def test_list_with_a_user_definition_reports_its_name(self) -> None:
        self.write("pingtwo.json", definition_text("pingtwo", PINGTWO_DESCRIPTION))
        result = self.list("pingtwo", "--page-size", "10")
        activities = self.activities(result)
        self.assertIdsOnce(activities, PINGONE_IDS)
        self.assertEqual({a["provider"] for a in activities}, {"pingtwo"})
        self.assertGreater(len(self.emu.requests("/activities")), 1)

    def test_without_the_directory_the_user_provider_is_unknown(self) -> None:
        self.write("pingtwo.json", definition_text("pingtwo", PINGTWO_DESCRIPTION))
        result = self.list("pingtwo", providers_dir=False)
        self.assertOneErrorLine(result, 2, "unknown provider 'pingtwo'")

    def test_a_user_definition_overrides_the_built_in_of_the_same_name(self) -> None:
        self.write("pingone.json", definition_text("pingone", OVERRIDE_DESCRIPTION))
        result = self.providers()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.listed(result.stdout).get("pingone"), OVERRIDE_DESCRIPTION)
        self.assertNotIn(BUILTIN["description"], result.stdout)
        one = run_auditfetch("providers", "pingone", "--providers-dir", self.dir)
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertIn(OVERRIDE_DESCRIPTION, one.stdout)
        self.assertNotIn(BUILTIN["description"], one.stdout)
        listing = self.list("pingone", "--page-size", "50")
        activities = self.activities(listing)
        self.assertIdsOnce(activities, PINGONE_IDS)
        self.assertEqual({a["provider"] for a in activities}, {"pingone"})
        # and without the directory the built-in is back
        builtin = run_auditfetch("providers")
        self.assertEqual(self.listed(builtin.stdout).get("pingone"), BUILTIN["description"])


class XdgConfigHomeTest(UserDefinitionCase):
    def test_definitions_under_xdg_config_home_are_read(self) -> None:
        config = self.dir / "config"
        self.write("pingtwo.json", definition_text("pingtwo", PINGTWO_DESCRIPTION), config / "auditfetch" / "providers")
        env = {"XDG_CONFIG_HOME": str(config)}
        result = run_auditfetch("providers", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.listed(result.stdout).get("pingtwo"), PINGTWO_DESCRIPTION)
        listing = self.list("pingtwo", env=env, providers_dir=False)
        activities = self.activities(listing)
        self.assertIdsOnce(activities, PINGONE_IDS)
        self.assertEqual({a["provider"] for a in activities}, {"pingtwo"})


class MalformedDefinitionTest(UserDefinitionCase):
    def assertDefinitionError(self, path: Path, line: int, problem: str | re.Pattern[str]) -> None:
        """providers and list -p pingtwo both exit 2 with FILE:LINE: and the problem on one line."""
        for result in (self.providers(), self.list("pingtwo")):
            self.assertOneErrorLine(result, 2, f"{path}:{line}:")
            error = self.errorLine(result)
            if isinstance(problem, str):
                self.assertIn(problem, error)
            else:
                self.assertRegex(error, problem)
            self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])

    def test_a_json_syntax_error_names_the_file_and_line(self) -> None:
        text = definition_text("pingtwo", PINGTWO_DESCRIPTION)
        broken = text.replace(f'"description": {json.dumps(PINGTWO_DESCRIPTION)},', '"description": nope,')
        self.assertNotEqual(broken, text)
        path = self.write("pingtwo.json", broken)
        self.assertDefinitionError(path, line_of(broken, "nope"),
                                   re.compile(r"(?i)json|syntax|expect|invalid|unexpected|literal"))

    def test_an_unknown_top_level_key_names_the_file_and_line(self) -> None:
        text = definition_text("pingtwo", PINGTWO_DESCRIPTION)
        broken = text.replace('  "name": "pingtwo",\n', '  "name": "pingtwo",\n  "colour": "blue",\n')
        self.assertNotEqual(broken, text)
        path = self.write("pingtwo.json", broken)
        self.assertDefinitionError(path, line_of(broken, '"colour"'), 'unknown key "colour"')

    def test_an_unknown_nested_key_names_the_file_and_line(self) -> None:
        text = definition_text("pingtwo", PINGTWO_DESCRIPTION)
        broken = text.replace('"order": "newest_first",', '"order": "newest_first",\n    "sideways": true,')
        self.assertNotEqual(broken, text)
        path = self.write("pingtwo.json", broken)
        self.assertDefinitionError(path, line_of(broken, '"sideways"'), 'unknown key "sideways"')

    def test_a_template_naming_no_setting_fails_at_load_with_file_and_line(self) -> None:
        # A typo used to drop the parameter silently and exit 0.
        spec = definition("pingtwo", PINGTWO_DESCRIPTION)
        spec["list"]["params"] = {"organization_id": "{organisation-id}"}
        text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
        path = self.write("pingtwo.json", text)
        self.assertDefinitionError(path, line_of(text, "organisation-id"),
                                   'list.params.organization_id: template "{organisation-id}" refers to '
                                   '{organisation-id}, which is not a setting')

    def test_a_style_dialect_or_scheme_that_does_not_exist_names_the_file_and_line(self) -> None:
        for where, key, value in ((("list", "pagination"), "style", "hal_next"),
                                  (("list", "filter"), "dialect", "sql"),
                                  (("auth",), "scheme", "kerberos")):
            with self.subTest(key=key):
                spec = definition("pingtwo", PINGTWO_DESCRIPTION)
                target = spec
                for step in where:
                    target = target[step] if not isinstance(target[step], list) else target[step][0]
                target[key] = value
                text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
                path = self.write("pingtwo.json", text)
                self.assertDefinitionError(path, line_of(text, f'"{value}"'), f'unknown value "{value}"')


# The eighth provider: an API no built-in definition speaks (tests/emulator/keyed.py), added
# from a file alone. It combines what no built-in combines: a bare JSON array with Link-header
# paging, an API key in a header of its own, epoch-second times in requests and records.
KEYED = {
    "name": "keyed",
    "description": "Keyed: events behind an API key, paged by Link headers",
    "base_url": "https://audit.keyed.example",
    "auth": {"scheme": "token", "header": "X-Api-Key", "env": ["KEYED_API_KEY"]},
    "list": {
        "path": "/keyed/v1/events",
        "order": "oldest_first",
        "page_size": {"param": "limit", "default": 10, "max": 100},
        "pagination": {"style": "link_header"},
        "window": {"since": "start", "until": "end", "format": "epoch_seconds"},
        "filter": {"dialect": "query_params", "fields": {"action": "kind", "actor_id": "user"}},
    },
    "get": {"unsupported": "the keyed API lists events only"},
    "mapping": {
        "id": "/event_id",
        "created_at": {"pointer": "/ts", "time_format": "epoch_seconds"},
        "native_action": "/kind",
        "actor_user_id": "/user",
        "actor_type": {"const": "user", "if_present": "/user"},
        "ip_address": "/source_ip",
    },
    "actions": [{"native": "signin", "unified": "login"}, {"native": "signin_failed", "unified": "login_failed"},
                {"native": "signout", "unified": "logout"}, {"native": "user.add", "unified": "user_created"}],
}
KEYED_RECORDS = fixture_records("keyed")


class EighthProviderTest(UserDefinitionCase):
    def keyed(self, *args: str, env: dict | None = None):
        self.write("keyed.json", json.dumps(KEYED, indent=2) + "\n")
        return run_auditfetch("list", "-p", "keyed", "--providers-dir", self.dir, "--base-url", self.emu.url,
                              "-o", "ndjson", *args, env={"KEYED_API_KEY": TOKEN, **(env or {})})

    def test_every_page_once_with_the_key_in_its_header(self) -> None:
        result = self.keyed("--since", "2024-05-01T00:00:00Z", "--page-size", "5")
        activities = self.activities(result)
        self.assertEqual([a["id"] for a in activities],
                         [r["event_id"] for r in sorted(KEYED_RECORDS, key=lambda r: (r["ts"], r["event_id"]))])
        requests = self.emu.requests("/keyed/v1/events")
        self.assertEqual(len(requests), -(-len(KEYED_RECORDS) // 5))
        self.assertTrue(all(r["headers"].get("X-Api-Key") == TOKEN and "Authorization" not in r["headers"]
                            for r in requests))
        self.assertEqual(requests[0]["params"]["start"], ["1714521600"])  # epoch seconds
        first = next(r for r in KEYED_RECORDS if r["kind"] == "signin")
        mapped = next(a for a in activities if a["id"] == first["event_id"])
        self.assertEqual(mapped["created_at"], format_ms(first["ts"] * 1_000_000_000))
        self.assertEqual(mapped["action"], "login")
        self.assertEqual(mapped["actor"], {"type": "user", "user": {"id": first["user"]}})
        self.assertEqual(mapped["context"]["ip_address"], first["source_ip"])
        self.assertEqual(mapped["provider"], "keyed")

    def test_filters_and_an_exclusive_end_in_epoch_seconds(self) -> None:
        until = KEYED_RECORDS[10]["ts"]
        result = self.keyed("--since", "2024-05-01T00:00:00Z", "--until", format_ms(until * 1_000_000_000),
                            "--action", "login", "--actor-id", "u1", "-v")
        expected = [r["event_id"] for r in KEYED_RECORDS
                    if r["ts"] < until and r["kind"] == "signin" and r["user"] == "u1"]
        self.assertTrue(expected)
        self.assertEqual(sorted(a["id"] for a in self.activities(result)), sorted(expected))
        params = self.emu.requests("/keyed/v1/events")[0]["params"]
        self.assertEqual((params["end"], params["kind"], params["user"]), ([str(until)], ["signin"], ["u1"]))
        self.assertIn("filters pushed down: since, until, action, actor_id; applied locally: none", result.stderr)

    def test_a_wrong_key_exits_3_naming_its_variable(self) -> None:
        result = self.keyed("--since", "2024-05-01T00:00:00Z", env={"KEYED_API_KEY": "not-the-key"})
        self.assertOneErrorLine(result, 3, "KEYED_API_KEY")


if __name__ == "__main__":
    unittest.main()
