"""End to end: config.toml profiles and credential sources, with the real binary and the emulator.

A profile carries the provider, its settings, the base URL, defaults and where the token comes
from (a variable, a file, or a command written here as a small script). Flags beat environment
variables, which beat the profile. Secrets never reach stdout or stderr.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

from harness import CLIENT_ID, PINGONE_ENV_ID, EmulatorTestCase, fixture_records, run_auditfetch

# Distinctive secrets, so that a test can assert they are printed nowhere.
COMMAND_TOKEN = "tok-from-command-5b9e1d"
ENV_TOKEN = "tok-from-env-77a3c0"
FILE_TOKEN = "tok-from-file-c41f2a"
CLIENT_SECRET = "client-secret-e8d6b4"
SECRETS = (COMMAND_TOKEN, ENV_TOKEN, FILE_TOKEN, CLIENT_SECRET)

RECORDS = fixture_records("pingone")
ALL_IDS = sorted(r["id"] for r in RECORDS)
SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"
DEAD_URL = "http://127.0.0.1:9/v1"  # discard port: nothing listens


class ConfigCase(EmulatorTestCase):
    emulator_args = ("--token", COMMAND_TOKEN, "--token", ENV_TOKEN, "--token", FILE_TOKEN,
                     "--client-secret", CLIENT_SECRET)

    def setUp(self) -> None:
        super().setUp()
        self._dir = tempfile.TemporaryDirectory(prefix="auditfetch-config-")
        self.dir = Path(self._dir.name)
        self.addCleanup(self._dir.cleanup)

    # ---------------------------------------------------------------- helpers

    def script(self, name: str, body: str) -> Path:
        """An executable /bin/sh script in the test directory."""
        path = self.dir / name
        path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
        path.chmod(0o700)
        return path

    def token_script(self, token: str = COMMAND_TOKEN) -> Path:
        """A credential helper: logs its arguments, notes on stderr, prints the token."""
        return self.script("get-token", f"""\
            echo "$@" > "{self.dir}/args"
            echo "get-token: unlocking the vault" >&2
            echo "{token}"
            """)

    def config(self, text: str, mode: int = 0o600, name: str = "config.toml") -> Path:
        path = self.dir / name
        path.write_text(textwrap.dedent(text))
        path.chmod(mode)
        return path

    def ping_profile(self, extra: str = "", base_url: str | None = None, name: str = "ping") -> str:
        """A PingOne profile against the emulator (a TOML fragment)."""
        return (f'[profiles.{name}]\n'
                f'provider = "pingone"\n'
                f'environment-id = "{PINGONE_ENV_ID}"\n'
                f'base-url = "{base_url or self.emu.url + "/v1"}"\n'
                f'since = "{SINCE}"\n'
                f'until = "{UNTIL}"\n'
                f'retries = 0\n' + textwrap.dedent(extra))

    def af(self, *args, env: dict | None = None, **kwargs):
        return run_auditfetch(*args, env=env, **kwargs)

    def assertError(self, result, code: int, *texts: str) -> str:
        """Exit code and exactly one error line, the last on stderr, containing each text."""
        self.assertEqual(result.returncode, code, result.stderr)
        lines = result.stderr.strip().splitlines()
        errors = [line for line in lines if line.startswith("auditfetch: error: ")]
        self.assertEqual(len(errors), 1, result.stderr)
        self.assertEqual(errors[0], lines[-1])
        for text in texts:
            self.assertIn(text, errors[0])
        return errors[0]

    def assertNoSecrets(self, result) -> None:
        for secret in SECRETS:
            self.assertNotIn(secret, result.stdout + result.stderr)

    def ids(self, result) -> list[str]:
        self.assertEqual(result.returncode, 0, result.stderr)
        return sorted(json.loads(line)["id"] for line in result.stdout.splitlines())

    def bearer_tokens(self) -> set[str]:
        return {r["headers"].get("Authorization", "") for r in self.emu.requests("/activities")}


class ProfileTest(ConfigCase):
    def test_a_profile_with_a_token_from_a_command_lists_activities(self) -> None:
        helper = self.token_script()
        config = self.config(self.ping_profile(f"""\
            output = "ndjson"
            token = {{ command = ["{helper}", "--vault", "prod ping"], timeout = "10s" }}
            """))
        result = self.af("list", "--config", config, "--profile", "ping")
        self.assertEqual(self.ids(result), ALL_IDS)
        self.assertEqual(self.bearer_tokens(), {"Bearer " + COMMAND_TOKEN})
        # Its arguments arrive as written (no shell); its stderr is passed through.
        self.assertEqual((self.dir / "args").read_text(), "--vault prod ping\n")
        self.assertEqual(result.stderr, "get-token: unlocking the vault\n")
        self.assertNoSecrets(result)

    def test_the_default_profile_of_the_default_config_needs_no_flags(self) -> None:
        helper = self.token_script()
        config_home = self.dir / "xdg"
        (config_home / "auditfetch").mkdir(parents=True)
        self.config('default-profile = "ping"\n' + self.ping_profile(f"""\
            fields = ["id"]
            token = {{ command = ["{helper}"] }}
            """), name="xdg/auditfetch/config.toml")
        result = self.af("list", env={"XDG_CONFIG_HOME": str(config_home)})
        self.assertEqual(self.ids(result), ALL_IDS)
        self.assertEqual({tuple(json.loads(l)) for l in result.stdout.splitlines()}, {("id",)})

    def test_the_profile_is_chosen_by_auditfetch_profile_and_its_filters_apply(self) -> None:
        config = self.config(self.ping_profile("""\
            action = "USER.CREATED"
            token = { env = "MY_PING_TOKEN" }
            """, name="created") + "\n" + self.ping_profile('token = { env = "MY_PING_TOKEN" }\n'))
        expected = sorted(r["id"] for r in RECORDS if r.get("action", {}).get("type") == "USER.CREATED")
        self.assertTrue(expected)
        env = {"AUDITFETCH_CONFIG": str(config), "AUDITFETCH_PROFILE": "created", "MY_PING_TOKEN": ENV_TOKEN}
        self.assertEqual(self.ids(self.af("list", "-o", "ndjson", env=env)), expected)
        # --profile beats AUDITFETCH_PROFILE; --action beats the profile's action.
        self.assertEqual(self.ids(self.af("list", "-o", "ndjson", "--profile", "ping", env=env)), ALL_IDS)
        result = self.af("list", "-o", "ndjson", "--action", "USER.DELETED", env=env)
        self.assertEqual(self.ids(result),
                         sorted(r["id"] for r in RECORDS if r.get("action", {}).get("type") == "USER.DELETED"))

    def test_a_token_file_source_is_read_and_warned_about_when_others_can_read_it(self) -> None:
        token_file = self.dir / "token"
        token_file.write_text(FILE_TOKEN + "\n")
        token_file.chmod(0o644)
        config = self.config(self.ping_profile(f'token = {{ file = "{token_file}" }}\n'))
        result = self.af("list", "-o", "ndjson", "--config", config, "--profile", "ping")
        self.assertEqual(self.ids(result), ALL_IDS)
        self.assertEqual(self.bearer_tokens(), {"Bearer " + FILE_TOKEN})
        self.assertEqual(result.stderr.splitlines(),
                         [f"auditfetch: warning: token file {token_file} is readable by group or others "
                          f"(mode 0644): chmod 600 '{token_file}'"])
        token_file.chmod(0o600)
        result = self.af("list", "-o", "ndjson", "--config", config, "--profile", "ping")
        self.assertEqual(result.stderr, "")


class PrecedenceTest(ConfigCase):
    def test_environment_beats_profile_and_flag_beats_environment(self) -> None:
        marker = self.dir / "ran"
        helper = self.script("get-token", f'touch "{marker}"\necho wrong-token\n')
        config = self.config(self.ping_profile(f"""\
            output = "csv"
            token = {{ command = ["{helper}"] }}
            """, base_url=DEAD_URL))
        env = {"AUDITFETCH_CONFIG": str(config), "AUDITFETCH_PROFILE": "ping",
               "AUDITFETCH_BASE_URL": self.emu.url + "/v1", "PINGONE_ACCESS_TOKEN": ENV_TOKEN}
        # AUDITFETCH_BASE_URL and the provider's own token variable beat the profile; the helper
        # never runs. (The generic AUDITFETCH_TOKEN comes after a profile's credentials:
        # test_profiles_everyday.)
        result = self.af("list", "-o", "ndjson", env=env)
        self.assertEqual(self.ids(result), ALL_IDS)
        self.assertEqual(self.bearer_tokens(), {"Bearer " + ENV_TOKEN})
        self.assertFalse(marker.exists())
        # --base-url beats AUDITFETCH_BASE_URL.
        result = self.af("list", "-o", "ndjson", "--base-url", self.emu.url + "/v1",
                         env={**env, "AUDITFETCH_BASE_URL": DEAD_URL})
        self.assertEqual(self.ids(result), ALL_IDS)
        result = self.af("list", "--base-url", DEAD_URL, env=env)
        self.assertError(result, 1)
        # With no flag the profile's output format applies (csv, not ndjson off a terminal).
        result = self.af("list", "--limit", "1", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(result.stdout.startswith("id,"), result.stdout)

    def test_config_show_names_each_source(self) -> None:
        config = self.config(self.ping_profile("""\
            region = "eu"
            output = "csv"
            token = { env = "MY_PING_TOKEN" }
            """))
        env = {"AUDITFETCH_CONFIG": str(config), "AUDITFETCH_PROFILE": "ping", "PINGONE_REGION": "ca",
               "MY_PING_TOKEN": ENV_TOKEN}
        result = self.af("config", "show", "-o", "json", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = {line.split()[0]: line.split(None, 2)[1:] for line in result.stdout.splitlines()}
        self.assertEqual(rows["profile"], ["ping", "env AUDITFETCH_PROFILE"])
        self.assertEqual(rows["provider"], ["pingone", f"profile ping ({config}:2)"])
        self.assertEqual(rows["region"], ["ca", "env PINGONE_REGION"])
        self.assertEqual(rows["environment-id"], [PINGONE_ENV_ID, f"profile ping ({config}:3)"])
        self.assertEqual(rows["output"], ["json", "flag --output"])
        self.assertEqual(rows["timeout"], ["30s", "default"])
        self.assertEqual(rows["token"], ["****", f"env MY_PING_TOKEN (token in profile ping, {config}:10)"])
        self.assertNoSecrets(result)


class CommandFailureTest(ConfigCase):
    def list_with_helper(self, helper: Path, timeout: str = "10s"):
        config = self.config(self.ping_profile(
            f'token = {{ command = ["{helper}", "--secret-flag"], timeout = "{timeout}" }}\n'))
        return self.af("list", "--config", config, "--profile", "ping"), config

    def test_a_failing_command_is_named_its_output_never(self) -> None:
        helper = self.script("get-token", f"""\
            echo "{COMMAND_TOKEN}"
            echo "vault is locked" >&2
            exit 3
            """)
        result, config = self.list_with_helper(helper)
        error = self.assertError(result, 2, f"{config}:8: token of profile ping: command '{helper}' "
                                            "failed with exit status 3")
        self.assertIn("vault is locked\n", result.stderr)  # its own stderr, passed through
        self.assertNotIn("--secret-flag", error)
        self.assertEqual(result.stdout, "")
        self.assertNoSecrets(result)
        self.assertEqual(self.emu.requests("/activities"), [])

    def test_a_command_over_its_timeout_is_stopped(self) -> None:
        helper = self.script("get-token", "exec sleep 30\n")
        start = time.monotonic()
        result, config = self.list_with_helper(helper, timeout="300ms")
        self.assertLess(time.monotonic() - start, 10)
        self.assertError(result, 2, f"command '{helper}' did not finish within 300ms; it was stopped")

    def test_a_missing_program_is_named(self) -> None:
        result, _ = self.list_with_helper(self.dir / "no-such-helper")
        self.assertError(result, 2, "no-such-helper' could not be started: No such file or directory")

    def test_a_command_that_prints_nothing_is_an_error(self) -> None:
        result, _ = self.list_with_helper(self.script("get-token", "exit 0\n"))
        self.assertError(result, 2, "printed nothing")


class SecretsTest(ConfigCase):
    def test_verbose_output_and_config_show_never_print_a_secret(self) -> None:
        token_file = self.dir / "token"
        token_file.write_text(FILE_TOKEN)
        token_file.chmod(0o600)
        helper = self.token_script()
        config = self.config(self.ping_profile(f'token = {{ command = ["{helper}"] }}\n') + "\n" +
                             self.ping_profile(f'token = {{ file = "{token_file}" }}\n', name="file"))
        result = self.af("list", "-v", "--limit", "2", "--config", config, "--profile", "ping")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("GET ", result.stderr)
        self.assertNoSecrets(result)
        (self.dir / "args").unlink()
        for profile, source in (("ping", f"command {helper}"), ("file", f"file {token_file}")):
            result = self.af("config", "show", "--config", config, "--profile", profile)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertRegex(result.stdout, rf"(?m)^token +\*\*\*\* +{re.escape(source)} ")
            self.assertNoSecrets(result)
        self.assertFalse((self.dir / "args").exists())  # config show runs no command
        for env in ({"PINGONE_ACCESS_TOKEN": ENV_TOKEN},
                    {"PINGONE_CLIENT_ID": CLIENT_ID, "PINGONE_CLIENT_SECRET": CLIENT_SECRET}):
            result = self.af("config", "show", "--config", config, "--profile", "ping", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("env PINGONE_", result.stdout)
            self.assertNoSecrets(result)

    def test_a_config_readable_by_others_gets_one_warning_line(self) -> None:
        config = self.config(self.ping_profile('token = { env = "MY_PING_TOKEN" }\n'), mode=0o644)
        result = self.af("list", "-o", "ndjson", "--config", config, "--profile", "ping",
                         env={"MY_PING_TOKEN": ENV_TOKEN})
        self.assertEqual(self.ids(result), ALL_IDS)
        self.assertEqual(result.stderr.splitlines(),
                         [f"auditfetch: warning: config file {config} is readable by group or others "
                          f"(mode 0644): chmod 600 '{config}'"])
        config.chmod(0o600)
        result = self.af("list", "-o", "ndjson", "--config", config, "--profile", "ping",
                         env={"MY_PING_TOKEN": ENV_TOKEN})
        self.assertEqual(result.stderr, "")


class CheckTest(ConfigCase):
    def cc_profile(self, secret: str, extra: str = "", base_url: str | None = None) -> Path:
        helper = self.script("get-secret", f'echo "{secret}"\n')
        return self.config(self.ping_profile(f"""\
            token-url = "{self.emu.url}/{PINGONE_ENV_ID}/as/token"
            client-id = "{CLIENT_ID}"
            client-secret = {{ command = ["{helper}"] }}
            """ + extra, base_url=base_url))

    def test_client_credentials_that_work_exit_0(self) -> None:
        config = self.cc_profile(CLIENT_SECRET)
        result = self.af("config", "check", "--config", config, "--profile", "ping")
        self.assertEqual(result.returncode, 0, result.stderr)
        steps = {line.split()[0]: line.split(None, 1)[1] for line in result.stdout.splitlines()}
        self.assertTrue(steps["token"].startswith("ok: "), result.stdout)
        self.assertTrue(steps["list"].startswith("ok: "), result.stdout)
        self.assertIn("answered with 1 activity", steps["list"])
        self.assertEqual(len(self.emu.requests("/as/token")), 1)
        self.assertEqual(self.emu.requests("/activities")[0]["params"]["limit"], ["1"])
        self.assertNoSecrets(result)

    def test_a_bearer_token_is_tried_with_a_one_record_list(self) -> None:
        config = self.config(self.ping_profile('token = { env = "MY_PING_TOKEN" }\n'))
        result = self.af("config", "check", "--config", config, "--profile", "ping",
                         env={"MY_PING_TOKEN": ENV_TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("token from env MY_PING_TOKEN", result.stdout)
        self.assertEqual(len(self.emu.requests("/activities")), 1)

    def test_a_refused_secret_exits_3(self) -> None:
        config = self.cc_profile("wrong-secret")
        result = self.af("config", "check", "--config", config, "--profile", "ping")
        self.assertError(result, 3, "config check: pingone: token request", "refused (401)")
        self.assertNotIn("list ", result.stdout)

    def test_a_refused_token_exits_3(self) -> None:
        config = self.config(self.ping_profile('token = { env = "MY_PING_TOKEN" }\n'))
        result = self.af("config", "check", "--config", config, "--profile", "ping",
                         env={"MY_PING_TOKEN": "not-a-valid-token"})
        self.assertError(result, 3, "authentication refused (401)")

    def test_missing_credentials_exit_2(self) -> None:
        config = self.config(self.ping_profile(""))
        result = self.af("config", "check", "--config", config, "--profile", "ping")
        self.assertError(result, 2, "pingone: no credentials")

    def test_an_unreachable_api_exits_1(self) -> None:
        config = self.config(self.ping_profile('token = { env = "MY_PING_TOKEN" }\n', base_url=DEAD_URL))
        result = self.af("config", "check", "--config", config, "--profile", "ping",
                         env={"MY_PING_TOKEN": ENV_TOKEN})
        self.assertError(result, 1, "config check: pingone")


class BadConfigTest(ConfigCase):
    def test_an_unknown_key_names_file_line_and_key(self) -> None:
        config = self.config('[profiles.p]\nprovider = "pingone"\nbase_url = "https://x"\n')
        result = self.af("list", "--config", config)
        error = self.assertError(result, 2, f"{config}:3: profiles.p.base_url: unknown key")
        self.assertIn("did you mean base-url?", error)

    def test_a_wrong_type_names_file_line_and_key(self) -> None:
        config = self.config('[profiles.p]\nprovider = "pingone"\n\npage-size = "10"\n')
        result = self.af("config", "show", "--config", config, "--profile", "p")
        self.assertError(result, 2, f"{config}:4: profiles.p.page-size: must be an integer, not a string")

    def test_a_syntax_error_names_file_line_and_column(self) -> None:
        config = self.config('[profiles.p]\nprovider = pingone\n')
        self.assertError(self.af("list", "--config", config), 2, f"{config}:2:12: ")

    def test_a_setting_of_another_provider_is_refused(self) -> None:
        config = self.config('[profiles.p]\nprovider = "pingone"\ntenant = "acme"\n')
        result = self.af("list", "--config", config, "--profile", "p")
        error = self.assertError(result, 2, f"{config}:3: profiles.p.tenant: unknown key")
        self.assertIn("pingone settings: environment-id, region", error)

    def test_a_missing_named_config_exits_2_and_a_missing_default_is_fine(self) -> None:
        missing = self.dir / "nope.toml"
        self.assertError(self.af("list", "--config", missing), 2, f"cannot read config file '{missing}'")
        self.assertError(self.af("list", env={"AUDITFETCH_CONFIG": str(missing)}), 2,
                         f"cannot read config file '{missing}' (from AUDITFETCH_CONFIG)")
        # No config at the default location: the run is as without profiles.
        result = self.af("list", "--environment-id", PINGONE_ENV_ID,
                         "--base-url", self.emu.url + "/v1", "--since", SINCE, "--until", UNTIL,
                         "-o", "ndjson", env={"AUDITFETCH_TOKEN": ENV_TOKEN, "AUDITFETCH_PROVIDER": "pingone"})
        self.assertEqual(self.ids(result), ALL_IDS)

    def test_an_unknown_profile_lists_the_known_ones(self) -> None:
        config = self.config(self.ping_profile("") + "\n" + self.ping_profile("", name="other"))
        result = self.af("list", "--config", config, "--profile", "prod")
        self.assertError(result, 2, f"no profile 'prod' (from --profile) in {config}",
                         f"profiles in {config}: other, ping")

    def test_a_profile_without_a_config_file_exits_2(self) -> None:
        result = self.af("list", env={"AUDITFETCH_PROFILE": "prod"})
        self.assertError(result, 2, "profile 'prod' (from AUDITFETCH_PROFILE): there is no config file")


class ProfilesCommandTest(unittest.TestCase):
    def test_names_one_a_line(self) -> None:
        with tempfile.TemporaryDirectory() as home:
            config = Path(home) / ".config" / "auditfetch" / "config.toml"
            config.parent.mkdir(parents=True)
            config.write_text('[profiles.b]\nprovider = "pingone"\n[profiles.a]\n')
            config.chmod(0o644)  # no warning here: completion calls this
            result = run_auditfetch("config", "profiles", home=home)
            self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "a\nb\n", ""))

    def test_nothing_and_no_noise_without_a_config(self) -> None:
        result = run_auditfetch("config", "profiles")
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))


if __name__ == "__main__":
    unittest.main()
