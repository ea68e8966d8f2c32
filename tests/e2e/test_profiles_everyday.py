"""End to end: profiles never get in the way (issue 15), with the real binary and the emulator.

- a default profile (default-profile, AUDITFETCH_PROFILE) made for another provider than the one
  -p or AUDITFETCH_PROVIDER names is passed over, with a -v line; one named with --profile is
  an error then, and its provider comes before AUDITFETCH_PROVIDER;
- --no-profile uses none, not even the default;
- a profile's credentials come before the generic AUDITFETCH_TOKEN and AUDITFETCH_CLIENT_ID/SECRET
  (the provider's own variables and --token-file still come first);
- with -v, one line says when --state takes precedence over --since;
- --token-file - reads the token from standard input, never from a terminal, and verify
  refuses it when it reads the activities from standard input too.
Secrets never reach stdout or stderr.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

from harness import (CLIENT_ID, PINGONE_ENV_ID, EmulatorTestCase, auditfetch_bin, fixture_records,
                     run_auditfetch)

# Distinctive secrets, so that a test can assert they are printed nowhere.
FILE_TOKEN = "tok-from-file-3f9a1c"
ENV_TOKEN = "tok-from-env-b7d204"
STDIN_TOKEN = "tok-from-stdin-6e15aa"
OKTA_TOKEN = "tok-okta-0c8e93"
CLIENT_SECRET = "client-secret-4d2b7f"
WRONG = "not-a-valid-token-9a0b"
SECRETS = (FILE_TOKEN, ENV_TOKEN, STDIN_TOKEN, OKTA_TOKEN, CLIENT_SECRET, WRONG)

PING_IDS = sorted(r["id"] for r in fixture_records("pingone"))
OKTA_IDS = sorted(r["uuid"] for r in fixture_records("okta"))
SINCE = "2024-01-01T00:00:00Z"
UNTIL = "2025-01-01T00:00:00Z"
OKTA_DOMAIN = "acme.okta.com"


class ProfileCase(EmulatorTestCase):
    emulator_args = ("--token", FILE_TOKEN, "--token", ENV_TOKEN, "--token", STDIN_TOKEN,
                     "--token", OKTA_TOKEN, "--client-secret", CLIENT_SECRET)

    def setUp(self) -> None:
        super().setUp()
        self._dir = tempfile.TemporaryDirectory(prefix="auditfetch-profiles-")
        self.dir = Path(self._dir.name)
        self.addCleanup(self._dir.cleanup)
        self.token_file = self.dir / "ping.token"
        self.token_file.write_text(FILE_TOKEN + "\n")
        self.token_file.chmod(0o600)

    def config(self, text: str) -> Path:
        """config.toml at the default location of XDG_CONFIG_HOME=self.dir/xdg."""
        path = self.dir / "xdg" / "auditfetch" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        path.chmod(0o600)
        return path

    def ping_profile(self, extra: str = "", name: str = "ping") -> str:
        return (f'[profiles.{name}]\n'
                f'provider = "pingone"\n'
                f'environment-id = "{PINGONE_ENV_ID}"\n'
                f'base-url = "{self.emu.url}/v1"\n'
                f'since = "{SINCE}"\n'
                f'until = "{UNTIL}"\n'
                f'retries = 0\n' + textwrap.dedent(extra))

    def default_ping_config(self) -> Path:
        return self.config('default-profile = "ping"\n' +
                           self.ping_profile(f'token = {{ file = "{self.token_file}" }}\n'))

    def af(self, *args, env: dict | None = None, **kwargs):
        return run_auditfetch(*args, env={"XDG_CONFIG_HOME": str(self.dir / "xdg"), **(env or {})}, **kwargs)

    def okta_args(self) -> list[str]:
        return ["-p", "okta", "--domain", OKTA_DOMAIN, "--base-url", self.emu.url,
                "--since", SINCE, "--until", UNTIL, "--retries", "0", "-o", "ndjson"]

    def ids(self, result) -> list[str]:
        self.assertEqual(result.returncode, 0, result.stderr)
        return sorted(json.loads(line)["id"] for line in result.stdout.splitlines())

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

    def ping_bearers(self) -> set[str]:
        return {r["headers"].get("Authorization", "") for r in self.emu.requests("/activities")}


class ForeignProfileTest(ProfileCase):
    def test_p_passes_over_a_default_profile_made_for_another_provider(self) -> None:
        config = self.default_ping_config()
        result = self.af("list", *self.okta_args(), env={"OKTA_API_TOKEN": OKTA_TOKEN})
        self.assertEqual(self.ids(result), OKTA_IDS)
        self.assertEqual(result.stderr, "")  # quiet about it without -v
        self.assertEqual(self.emu.requests("/activities"), [])  # nothing of the profile was used
        result = self.af("list", "-v", *self.okta_args(), env={"OKTA_API_TOKEN": OKTA_TOKEN})
        self.assertEqual(self.ids(result), OKTA_IDS)
        notices = [line for line in result.stderr.splitlines() if "profile 'ping'" in line]
        self.assertEqual(notices, [f"auditfetch: profile 'ping' (from default-profile, {config}:1) is for "
                                   "pingone, not okta (-p): not used"])
        self.assertNoSecrets(result)

    def test_auditfetch_profile_and_auditfetch_provider_are_defaults_too(self) -> None:
        self.config(self.ping_profile(f'token = {{ file = "{self.token_file}" }}\n'))
        okta_env = {"OKTA_API_TOKEN": OKTA_TOKEN}
        # AUDITFETCH_PROFILE names a PingOne profile; -p okta passes over it.
        result = self.af("list", *self.okta_args(), env={**okta_env, "AUDITFETCH_PROFILE": "ping"})
        self.assertEqual(self.ids(result), OKTA_IDS)
        # AUDITFETCH_PROVIDER=okta passes over a PingOne default profile.
        self.default_ping_config()
        args = [a for a in self.okta_args() if a not in ("-p", "okta")]
        result = self.af("list", *args, env={**okta_env, "AUDITFETCH_PROVIDER": "okta"})
        self.assertEqual(self.ids(result), OKTA_IDS)
        # config show says what happened to the profile.
        result = self.af("config", "show", "-p", "okta", "--domain", OKTA_DOMAIN, env=okta_env)
        self.assertEqual(result.returncode, 0, result.stderr)
        row = next(line for line in result.stdout.splitlines() if line.startswith("profile "))
        self.assertRegex(row, r"^profile +none +profile 'ping' \(default-profile, .*:1\) is for pingone: passed over$")

    def test_a_profile_for_the_same_provider_still_applies(self) -> None:
        self.default_ping_config()
        result = self.af("list", "-p", "pingone", "-o", "ndjson")
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertEqual(self.ping_bearers(), {"Bearer " + FILE_TOKEN})

    def test_profile_and_another_p_is_an_error(self) -> None:
        self.default_ping_config()
        result = self.af("list", "--profile", "ping", *self.okta_args(), env={"OKTA_API_TOKEN": OKTA_TOKEN})
        self.assertError(result, 2, "profile 'ping' (from --profile) is for pingone, but -p names okta",
                         "drop -p, or pick a profile made for okta (--no-profile uses none)")
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.emu.requests(), [])

    def test_a_named_profile_comes_before_auditfetch_provider(self) -> None:
        self.config(self.ping_profile(f'token = {{ file = "{self.token_file}" }}\n'))
        result = self.af("list", "--profile", "ping", "-o", "ndjson", env={"AUDITFETCH_PROVIDER": "okta"})
        self.assertEqual(self.ids(result), PING_IDS)
        result = self.af("config", "show", "--profile", "ping", env={"AUDITFETCH_PROVIDER": "okta"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^provider +pingone +profile ping \(.*:2\)$")


class NoProfileTest(ProfileCase):
    def ping_flags(self) -> list[str]:
        return ["-p", "pingone", "--environment-id", PINGONE_ENV_ID, "--base-url", self.emu.url + "/v1",
                "--since", SINCE, "--until", UNTIL, "-o", "ndjson"]

    def test_no_profile_uses_none_not_even_the_default(self) -> None:
        # The default profile's token would be refused, and it keeps only the id.
        self.config('default-profile = "ping"\n' +
                    self.ping_profile('token = { env = "WRONG_TOKEN" }\nfields = ["id"]\n'))
        env = {"WRONG_TOKEN": WRONG, "AUDITFETCH_TOKEN": ENV_TOKEN}
        result = self.af("list", "--no-profile", *self.ping_flags(), env=env)
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertEqual(self.ping_bearers(), {"Bearer " + ENV_TOKEN})
        # Every field, not the profile's ["id"].
        self.assertGreater(len(json.loads(result.stdout.splitlines()[0])), 1)
        # AUDITFETCH_PROFILE is passed over as well.
        result = self.af("list", "--no-profile", *self.ping_flags(), env={**env, "AUDITFETCH_PROFILE": "ping"})
        self.assertEqual(self.ids(result), PING_IDS)
        result = self.af("config", "show", "--no-profile", "-p", "pingone", "--environment-id", PINGONE_ENV_ID, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^profile +none +flag --no-profile$")
        self.assertNoSecrets(result)

    def test_no_profile_with_profile_is_an_error(self) -> None:
        self.default_ping_config()
        result = self.af("list", "--no-profile", "--profile", "ping")
        self.assertError(result, 2, "--profile and --no-profile contradict each other")

    def test_no_profile_is_in_the_help(self) -> None:
        for command in (["list"], ["get"], ["tail"], ["verify"], ["config", "show"]):
            result = self.af(*command, "--help")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("--no-profile", result.stdout, command)


class CredentialPrecedenceTest(ProfileCase):
    def file_profile(self) -> Path:
        return self.config(self.ping_profile(f'output = "ndjson"\ntoken = {{ file = "{self.token_file}" }}\n'))

    def test_a_profile_token_file_beats_generic_client_variables(self) -> None:
        """The reported case: AUDITFETCH_CLIENT_ID exported for PingOne broke a profile's token file."""
        self.file_profile()
        for env in ({"AUDITFETCH_CLIENT_ID": CLIENT_ID},  # half a pair: was "set but ... is not"
                    {"AUDITFETCH_CLIENT_ID": CLIENT_ID, "AUDITFETCH_CLIENT_SECRET": CLIENT_SECRET},
                    {"AUDITFETCH_TOKEN": WRONG}):
            with self.subTest(env=sorted(env)):
                self.emu.reset()
                result = self.af("list", "--profile", "ping", env=env)
                self.assertEqual(self.ids(result), PING_IDS)
                self.assertEqual(self.ping_bearers(), {"Bearer " + FILE_TOKEN})
                self.assertEqual(self.emu.requests("/as/token"), [])
                self.assertEqual(result.stderr, "")
                self.assertNoSecrets(result)
        # The default profile alike; -v names what was passed over.
        self.config('default-profile = "ping"\n' +
                    self.ping_profile(f'token = {{ file = "{self.token_file}" }}\n'))
        result = self.af("list", "-v", "-o", "ndjson",
                         env={"AUDITFETCH_CLIENT_ID": CLIENT_ID, "AUDITFETCH_CLIENT_SECRET": CLIENT_SECRET})
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertIn("auditfetch: pingone: AUDITFETCH_CLIENT_ID, AUDITFETCH_CLIENT_SECRET set but not used: "
                      "the credentials of profile ping come first\n", result.stderr)
        self.assertNoSecrets(result)
        # config show names the profile's source.
        result = self.af("config", "show", env={"AUDITFETCH_TOKEN": WRONG})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, rf"(?m)^token +\*\*\*\* +file {self.token_file} ")

    def test_the_providers_own_variables_and_token_file_still_beat_the_profile(self) -> None:
        self.file_profile()
        result = self.af("list", "--profile", "ping", env={"PINGONE_ACCESS_TOKEN": ENV_TOKEN})
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertEqual(self.ping_bearers(), {"Bearer " + ENV_TOKEN})
        self.emu.reset()
        other = self.dir / "other.token"
        other.write_text(ENV_TOKEN)
        other.chmod(0o600)
        result = self.af("list", "--profile", "ping", "--token-file", other, env={"AUDITFETCH_TOKEN": WRONG})
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertEqual(self.ping_bearers(), {"Bearer " + ENV_TOKEN})

    def test_generic_variables_serve_a_profile_without_credentials(self) -> None:
        self.config(self.ping_profile('output = "ndjson"\n'))
        result = self.af("list", "--profile", "ping", env={"AUDITFETCH_TOKEN": ENV_TOKEN})
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertEqual(self.ping_bearers(), {"Bearer " + ENV_TOKEN})


class StateOverSinceTest(ProfileCase):
    def notices(self, result) -> list[str]:
        return [line for line in result.stderr.splitlines() if "takes precedence over" in line]

    def test_list_says_when_state_replaces_since(self) -> None:
        self.config(self.ping_profile(f'token = {{ file = "{self.token_file}" }}\n'))
        state = self.dir / "ping.state"
        args = ["list", "--profile", "ping", "-o", "ndjson", "--state", state, "--until", UNTIL]
        # The first run has no checkpoint yet: --since applies, nothing to say.
        first = self.af(*args, "-v", "--since", SINCE)
        self.assertEqual(self.ids(first), PING_IDS)
        self.assertEqual(self.notices(first), [])
        # The second starts from the checkpoint: one line says so, only with -v.
        second = self.af(*args, "-v", "--since", SINCE)
        self.assertEqual(second.returncode, 0, second.stderr)
        notices = self.notices(second)
        self.assertEqual(len(notices), 1, second.stderr)
        self.assertRegex(notices[0], rf"^auditfetch: --state {state} takes precedence over --since {SINCE}: "
                                     r"starting at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                                     r"\(its newest time minus --overlap 5m\)$")
        self.assertEqual(self.notices(self.af(*args, "--since", SINCE)), [])
        # A since from the profile is named as such.
        third = self.af(*args, "-v")
        self.assertEqual(len(self.notices(third)), 1, third.stderr)
        self.assertIn(f"takes precedence over since {SINCE} of profile ping: starting at", third.stderr)

    def test_tail_says_it_too(self) -> None:
        self.config(self.ping_profile(f'token = {{ file = "{self.token_file}" }}\n'))
        state = self.dir / "tail.state"
        first = self.af("list", "--profile", "ping", "-o", "ndjson", "--state", state, "--since", SINCE,
                        "--until", UNTIL)
        self.assertEqual(first.returncode, 0, first.stderr)
        env = {"XDG_CONFIG_HOME": str(self.dir / "xdg"), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(self.dir), "LANG": "C.UTF-8", "TZ": "UTC"}
        tail = subprocess.Popen([str(auditfetch_bin()), "tail", "--profile", "ping", "-v", "-o", "ndjson",
                                 "--state", str(state), "--since", SINCE, "--interval", "1s"],
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            lines: list[str] = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                ready, _, _ = select.select([tail.stderr], [], [], 0.5)
                if ready:
                    line = tail.stderr.readline()
                    if not line:
                        break
                    lines.append(line)
                    if "GET " in line:  # the first poll is under way: the notice came before it
                        break
        finally:
            tail.send_signal(signal.SIGTERM)
            rest = tail.communicate(timeout=20)[1]
        notices = [line for line in lines + rest.splitlines(True) if "takes precedence over" in line]
        self.assertEqual(len(notices), 1, "".join(lines) + rest)
        self.assertRegex(notices[0], rf"^auditfetch: --state {state} takes precedence over --since {SINCE}: "
                                     r"starting at \S+Z \(its newest time minus --overlap 5m\)$")
        self.assertEqual(tail.returncode, 0)


class TokenFromStdinTest(ProfileCase):
    def ping_flags(self) -> list[str]:
        return ["-p", "pingone", "--environment-id", PINGONE_ENV_ID, "--base-url", self.emu.url + "/v1",
                "--since", SINCE, "--until", UNTIL, "-o", "ndjson", "--retries", "0"]

    def test_the_token_is_read_from_standard_input(self) -> None:
        result = self.af("list", "-v", *self.ping_flags(), "--token-file", "-", input=STDIN_TOKEN + "\n",
                         env={"AUDITFETCH_TOKEN": WRONG})
        self.assertEqual(self.ids(result), PING_IDS)
        self.assertEqual(self.ping_bearers(), {"Bearer " + STDIN_TOKEN})  # the newline trimmed
        self.assertNoSecrets(result)

    def test_empty_standard_input_is_an_error(self) -> None:
        result = self.af("list", *self.ping_flags(), "--token-file", "-", input="\n")
        self.assertError(result, 2, "--token-file: 'standard input' is empty")
        self.assertEqual(self.emu.requests(), [])

    def test_a_terminal_is_refused_rather_than_read(self) -> None:
        primary, secondary = pty.openpty()
        try:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.dir), "LANG": "C.UTF-8"}
            process = subprocess.run([str(auditfetch_bin()), "list", *self.ping_flags(), "--token-file", "-"],
                                     stdin=secondary, capture_output=True, text=True, env=env, timeout=20)
        finally:
            os.close(secondary)
            os.close(primary)
        self.assertError(process, 2, "--token-file -: standard input is a terminal")
        self.assertIn("pipe the token in", process.stderr)
        self.assertEqual(self.emu.requests(), [])

    def test_verify_reading_activities_from_standard_input_refuses_it(self) -> None:
        flags = [f for f in self.ping_flags() if f not in ("-o", "ndjson")]
        result = self.af("verify", *flags, "--token-file", "-", input=STDIN_TOKEN + "\n")
        self.assertError(result, 2, "--token-file -: verify reads the activities from standard input")
        result = self.af("verify", *flags, "--token-file", "-", "-", input=STDIN_TOKEN + "\n")
        self.assertError(result, 2, "--token-file -: verify reads the activities from standard input")
        self.assertEqual(self.emu.requests(), [])
        # With the files named, standard input is free for the token.
        listing = self.af("list", *self.ping_flags(), env={"AUDITFETCH_TOKEN": ENV_TOKEN})
        self.assertEqual(listing.returncode, 0, listing.stderr)
        saved = self.dir / "ping.ndjson"
        saved.write_text(listing.stdout)
        result = self.af("verify", *flags, "--token-file", "-", saved, input=STDIN_TOKEN + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNoSecrets(result)


if __name__ == "__main__":
    import unittest
    unittest.main()
