"""--explain on list, tail, get and verify, for every provider of test_matrix.py's table.

For each provider:
- every command with --explain exits 0 (or 2 where the command itself is refused: `get` without
  an endpoint for one activity, `verify` for an API that cannot bound a window) and sends no
  request at all: the emulator's request log stays empty, token requests included;
- the credentials appear only as ****, never their values;
- a credentials command of a config profile never runs (it would create a file), and a token
  file that does not exist is named, not read;
- with -o json, the plan's request is the request `list` then really sends: method, path and
  query, body, and every header but the credentials' values.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import unittest
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import CLIENT_SECRET, DUO_SKEY, TOKEN, EmulatorTestCase, run_auditfetch
from test_matrix import MATRIX, Provider, definition
from test_verify import cannot_bound_a_window

SECRETS = (TOKEN, CLIENT_SECRET, DUO_SKEY)
MASKED = "****"


def token_kind(provider: Provider) -> str:
    """"token" when the definition takes a token (or an API key as a password), else "pair"."""
    auth = definition(provider.name)["auth"]
    schemes = [a["scheme"] for a in (auth if isinstance(auth, list) else [auth])]
    return "token" if {"token", "basic"} & set(schemes) else "pair"


class ExplainCase:
    provider: Provider
    emu: Any

    @property
    def p(self) -> Provider:
        return self.provider

    def window(self) -> list[str]:
        since, until = self.p.window
        return ["--since", since, "--until", until]

    def explain(self, command: str, *args: Any, env: dict[str, str | None] | None = None):
        return run_auditfetch(command, *self.p.args(self.emu.url), "--explain", *args,
                              env=self.p.env if env is None else env)

    def assertNothingSent(self) -> None:
        self.assertEqual(self.emu.requests(), [], "--explain sent a request")

    def assertNoSecret(self, result) -> None:
        for secret in SECRETS:
            self.assertNotIn(secret, result.stdout + result.stderr)

    # ---------------------------------------------------------------- the tests

    def test_every_command_explains_without_sending_anything(self) -> None:
        runs = {"list": ("list", *self.window()), "tail": ("tail", "--since", self.p.window[0]),
                "get": ("get", self.p.get_id or "some-id"), "verify": ("verify", *self.window(), "file.ndjson")}
        for name, (command, *args) in runs.items():
            with self.subTest(command=name):
                result = self.explain(command, *args)
                refused = (name == "get" and self.p.get_id is None) or \
                          (name == "verify" and cannot_bound_a_window(self.p))
                if refused:
                    self.assertEqual(result.returncode, 2, result.stderr)
                    self.assertEqual(result.stdout, "")
                else:
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assertIn(f"command      {name}\n", result.stdout)
                    self.assertIn(f"provider     {self.p.name}: ", result.stdout)
                    self.assertTrue(result.stdout.endswith("nothing was sent (--explain)\n"), result.stdout)
                    self.assertRegex(result.stdout, r"(?m)^\s+Authorization: .*\*\*\*\*$")
                    self.assertIn("(named, not read)", result.stdout)
                self.assertNoSecret(result)
                self.assertNothingSent()

    def test_the_json_plan_is_the_request_list_sends(self) -> None:
        result = self.explain("list", *self.window(), "-o", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        plan = json.loads(result.stdout)
        self.assertNothingSent()
        self.assertNoSecret(result)
        self.assertEqual(plan["command"], "list")
        self.assertEqual(plan["provider"], self.p.name)
        self.assertFalse(plan["credentials"]["read"])
        self.assertFalse(plan["sent"])
        self.assertEqual(set(plan["filters"]), {"pushed_down", "native", "local", "params"})
        self.assertEqual(set(plan["filters"]["pushed_down"]) & set(plan["filters"]["local"]), set())
        self.assertTrue(plan["window"]["since"].startswith(self.p.window[0][:10]))

        listed = run_auditfetch("list", *self.p.args(self.emu.url), *self.window(), "-o", "ndjson", env=self.p.env)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        sent = self.emu.requests(self.p.list_path)[0]
        request = plan["request"]
        url = urlsplit(request["url"])
        self.assertEqual((request["method"], url.path, url.query), (sent["method"], sent["path"], sent["query"]))
        if request["body"] is None:
            self.assertIn(sent["body"], (None, ""))
        else:
            self.assertEqual(json.loads(request["body"]), json.loads(sent["body"]))
        planned = {h["name"].lower(): h["value"] for h in request["headers"]}
        received = {name.lower(): value for name, value in sent["headers"].items()}
        self.assertEqual(set(planned), set(received), (planned, received))
        for name, value in planned.items():
            if MASKED in value:
                self.assertEqual(value.split(MASKED)[0], received[name][:len(value.split(MASKED)[0])])
            elif name != "date":  # signed requests carry the time they are sent
                self.assertEqual(value, received[name], name)
        self.assertTrue(any(MASKED in value for value in planned.values()), planned)
        # A token endpoint is named in the plan, and is the one list then asked; a key file's
        # token_uri is inside the file, which --explain does not read.
        exchange = plan["credentials"]["token_request"]
        token_requests = [r for r in self.emu.requests() if r["path"] != sent["path"]]
        if token_requests:
            self.assertIsNotNone(exchange)
            if "(the file is not read)" not in exchange:
                self.assertIn(token_requests[0]["path"], exchange)

    def test_a_credentials_command_never_runs_and_files_are_named_not_read(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            marker = Path(tmp) / "the-command-ran"
            helper = Path(tmp) / "secret-helper"
            helper.write_text(f'#!/bin/sh\ntouch "{marker}"\necho {TOKEN}\n', encoding="utf-8")
            helper.chmod(0o700)
            source = f'{{ command = ["{helper}"] }}'
            keys = f"token = {source}\n" if token_kind(self.p) == "token" else \
                f"client-id = {source}\nclient-secret = {source}\n"
            config = Path(tmp) / "config.toml"
            config.write_text(f'[profiles.p]\nprovider = "{self.p.name}"\n{keys}', encoding="utf-8")
            config.chmod(stat.S_IRUSR | stat.S_IWUSR)
            # No credentials in the environment (they would come first); Zendesk's Basic user
            # name is a setting, not a secret.
            env = {k: v for k, v in self.p.env.items() if k == "ZENDESK_EMAIL"}
            settings = self.p.settings(self.emu.url)
            if "--credentials-file" in settings:  # Google's key file: the profile's token instead
                at = settings.index("--credentials-file")
                settings = settings[:at] + settings[at + 2:]
            result = run_auditfetch("list", "--config", config, "--profile", "p", *settings, *self.window(),
                                    "--explain", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertFalse(marker.exists(), "the credentials command ran")
            self.assertIn(f"command {helper}", result.stdout)
            self.assertIn(MASKED, result.stdout)
            self.assertNoSecret(result)

            if token_kind(self.p) == "token":
                absent = Path(tmp) / "no-such-token-file"
                named = run_auditfetch("list", *self.p.args(self.emu.url), *self.window(), "--token-file", absent,
                                       "--explain", env=env)
                self.assertEqual(named.returncode, 0, named.stderr)
                self.assertIn(f"--token-file {absent} (named, not read)", named.stdout)
        self.assertNothingSent()


def _case(provider: Provider) -> type:
    title = provider.name.replace("1password", "one_password").replace("-", "_").title().replace("_", "")
    return type(f"{title}ExplainTest", (ExplainCase, EmulatorTestCase),
                {"provider": provider, "emulator_args": provider.emulator_args,
                 "__doc__": f"--explain for {provider.name}."})


for _provider in MATRIX:
    globals()[_case(_provider).__name__] = _case(_provider)
del _provider


OKTA = next(p for p in MATRIX if p.name == "okta")
GOOGLE = next(p for p in MATRIX if p.name == "google-workspace")


class ExplainStateTest(EmulatorTestCase):
    """--state: where the run would resume, read from the state file, which is left as it is."""

    def test_the_resume_point_of_a_state_file_is_shown_and_the_file_untouched(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "okta.json"
            fresh = run_auditfetch("list", *OKTA.args(self.emu.url), "--since", OKTA.window[0], "--state", state,
                                   "--explain", env=OKTA.env)
            self.assertEqual(fresh.returncode, 0, fresh.stderr)
            self.assertIn(f"state        {state} does not exist: the run starts at 2024-05-01T00:00:00.000Z", fresh.stdout)
            self.assertEqual(os.listdir(tmp), [], "--explain created a file")

            ran = run_auditfetch("list", *OKTA.args(self.emu.url), "--since", OKTA.window[0], "--state", state,
                                 "-o", "ndjson", env=OKTA.env)
            self.assertEqual(ran.returncode, 0, ran.stderr)
            saved = json.loads(state.read_text(encoding="utf-8"))
            before = {name: (os.stat(Path(tmp) / name).st_mtime_ns, (Path(tmp) / name).read_bytes())
                      for name in os.listdir(tmp)}
            self.emu.clear_requests()
            result = run_auditfetch("list", *OKTA.args(self.emu.url), "--since", OKTA.window[0], "--state", state,
                                    "--explain", "-o", "json", env=OKTA.env)
            self.assertEqual(result.returncode, 0, result.stderr)
            plan = json.loads(result.stdout)
            self.assertEqual(plan["state"]["resume_point"], saved["resume"]["url"])
            self.assertEqual(plan["request"]["url"], saved["resume"]["url"])
            self.assertEqual(plan["window"]["since_from"], "the state file's resume point")
            after = {name: (os.stat(Path(tmp) / name).st_mtime_ns, (Path(tmp) / name).read_bytes())
                     for name in os.listdir(tmp)}
            self.assertEqual(after, before, "--explain changed or added a file beside the state file")
            self.assertEqual(self.emu.requests(), [])

    def test_a_key_file_is_named_and_never_opened(self) -> None:
        args = GOOGLE.args(self.emu.url)
        key = args.index("--credentials-file") + 1
        args[key] = "/nonexistent/service-account.json"
        result = run_auditfetch("list", *args, "--since", GOOGLE.window[0], "--until", GOOGLE.window[1], "--explain",
                                env=GOOGLE.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("token_uri of the key file '/nonexistent/service-account.json' (the file is not read)",
                      result.stdout)
        self.assertEqual(self.emu.requests(), [])

    def test_an_invalid_command_line_is_the_usual_error(self) -> None:
        result = run_auditfetch("list", *OKTA.args(self.emu.url), "--since", "yesterday-ish", "--explain",
                                env=OKTA.env)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--since", result.stderr)
        self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
