"""End to end: the command line forgives and guides (issue 15).

The real binary: unknown commands and flags name themselves and the nearest known one, a flag
missing its value never takes the next flag, boolean settings are switches, names match
without regard to case, numbers name their range, an unknown --action warns and still runs,
each command's --help lists its own flags, bare `auditfetch` and `auditfetch help COMMAND`
print help, and `auditfetch completion SHELL` prints the scripts of completions/, which offer
--action values, --fields paths and only the settings of the provider given with -p.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unittest
from pathlib import Path

import harness
from harness import PINGONE_ENV_ID, TE_AID, TOKEN, EmulatorTestCase, run_auditfetch
from test_completions import (BASH_COMPLETION, BASH_SCRIPT, FISH_SCRIPT, ZSH_DIR, BashCompleter,
                              FishCompleter, ZshCompleter, defined_options, shell_environment)

REPO = harness.REPO
SINCE, UNTIL = "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"
# What CLI11 says in its own words; none of it may reach the user.
RAW_PARSER_TEXT = ("The following argument", "not expected", "Could not convert", "A subcommand is required",
                   "is required", "Expected", "At least", "not in {", "Should be", "ArgumentMismatch")
OKTA_NATIVE = ("user.session.start", "user.lifecycle.create")  # exact values in okta.json's action table


def error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else ""


class UsageErrors(unittest.TestCase):
    """Usage errors: exit 2, one line of ours on stderr, nothing on stdout."""

    def assertUsage(self, args, line: str) -> None:
        result = run_auditfetch(*args)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr.strip().splitlines(), [line])

    def test_an_unknown_command_suggests_the_nearest(self) -> None:
        self.assertUsage(["lsit"], 'auditfetch: error: unknown command "lsit" (did you mean "list"?)')
        self.assertUsage(["provider"], 'auditfetch: error: unknown command "provider" (did you mean "providers"?)')
        self.assertUsage(["config", "shw"],
                         'auditfetch: error: unknown command "shw" for "auditfetch config" (did you mean "show"?)')
        # Nothing near: the commands there are.
        self.assertUsage(["config", "lst"],
                         'auditfetch: error: unknown command "lst" for "auditfetch config" '
                         "(commands: show, check, profiles; see 'auditfetch config --help')")
        self.assertUsage(["help", "lsit"], 'auditfetch: error: unknown command "lsit" (did you mean "list"?)')

    def test_an_unknown_flag_names_itself_and_the_nearest(self) -> None:
        self.assertUsage(["list", "--sinc", "1h"], "auditfetch: error: unknown flag --sinc (did you mean --since?)")
        self.assertUsage(["list", "-p", "pingone", "--environment", "E"],
                         "auditfetch: error: unknown flag --environment (did you mean --environment-id?)")
        self.assertUsage(["get", "--bogus"], "auditfetch: error: unknown flag --bogus (see 'auditfetch get --help')")

    def test_a_flag_missing_its_value_never_takes_the_next_flag(self) -> None:
        self.assertUsage(["list", "-p", "pingone", "--environment-id", "--since", "1h"],
                         "auditfetch: error: --environment-id needs a value "
                         "(a value that begins with '-' is written --environment-id=VALUE)")
        self.assertUsage(["list", "-p", "pingone", "--since"],
                         "auditfetch: error: --since needs a value (see 'auditfetch list --help')")
        self.assertUsage(["tail", "-o", "-v"], "auditfetch: error: -o needs a value "
                                               "(a value that begins with '-' is written -o=VALUE)")

    def test_numbers_name_the_accepted_range(self) -> None:
        self.assertUsage(["list", "-p", "pingone", "--limit", "-1"],
                         "auditfetch: error: --limit -1 is out of range (use a whole number, 1 or more)")
        self.assertUsage(["list", "-p", "pingone", "--page-size", "-1"],
                         "auditfetch: error: --page-size -1 is out of range (use a whole number from 1 to the "
                         "provider's maximum ('auditfetch providers NAME' says it))")
        self.assertUsage(["list", "-p", "pingone", "--limit", "ten"],
                         "auditfetch: error: --limit ten is not a whole number (use a whole number, 1 or more)")
        self.assertUsage(["tail", "-p", "pingone", "--retries", "-1"],
                         "auditfetch: error: --retries -1 is out of range (use a whole number from 0 to 1000000)")
        self.assertUsage(["list", "-p", "pingone", "--exec", "cat", "--batch", "0"],
                         "auditfetch: error: --batch 0 is out of range (use a whole number, 1 or more)")
        self.assertUsage(["verify", "-p", "pingone", "--page-size", "0"],
                         "auditfetch: error: --page-size 0 is out of range (use a whole number from 1 to the "
                         "provider's maximum ('auditfetch providers NAME' says it))")

    def test_provider_and_output_names_get_suggestions(self) -> None:
        self.assertUsage(["list", "-p", "pingon"],
                         "auditfetch: error: unknown provider 'pingon' (did you mean \"pingone\"?) "
                         "(see 'auditfetch providers')")
        self.assertUsage(["list", "-p", "pingone", "-o", "jsn"],
                         'auditfetch: error: unknown output format "jsn" (did you mean "json"?) '
                         "(use table, json, ndjson or csv)")
        result = run_auditfetch("list", "-o", "json", env={"AUDITFETCH_PROVIDER": "thousandeye"})
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown provider 'thousandeye' (did you mean \"thousandeyes\"?)", result.stderr)

    def test_a_profile_name_gets_a_suggestion(self) -> None:
        with tempfile.TemporaryDirectory() as work:
            config = Path(work) / "config.toml"
            config.write_text('[profiles.prod-ping]\nprovider = "pingone"\n', encoding="utf-8")
            config.chmod(0o600)
            result = run_auditfetch("list", "--config", config, "--profile", "prd-ping")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(f"no profile 'prd-ping' (from --profile) in {config} (did you mean \"prod-ping\"?)",
                          error_line(result))

    def test_tail_has_neither_until_nor_limit(self) -> None:
        for flag, value in (("--until", "1h"), ("--limit", "5")):
            with self.subTest(flag=flag):
                result = run_auditfetch("tail", "-p", "pingone", flag, value)
                self.assertEqual(result.returncode, 2)
                self.assertTrue(error_line(result).startswith(f"auditfetch: error: unknown flag {flag}"),
                                result.stderr)

    def test_no_raw_parser_text_reaches_the_user(self) -> None:
        lines = [
            [], ["lsit"], ["config"], ["config", "lst"], ["list", "--bogus"], ["list", "-p"], ["list", "x", "y"],
            ["list", "--limit", "many"], ["list", "--limit", "99999999999999999999999"], ["list", "-o", "xml"],
            ["get"], ["get", "-p", "pingone"], ["completion", "bash", "zsh"], ["tail", "--until", "1h"],
            ["providers", "a", "b"], ["list", "-vz"], ["list", "--verbose=maybe"], ["completion", "tcsh"],
            ["completion", "--list", "colours"], ["config", "profiles", "--profile", "x"], ["--bogus"],
            ["list", "--retries"], ["verify", "--limit", "3"],
        ]
        for args in lines:
            with self.subTest(args=args):
                result = run_auditfetch(*args)
                for text in RAW_PARSER_TEXT:
                    self.assertNotIn(text, result.stderr)
                if result.returncode != 0:
                    self.assertEqual(result.returncode, 2, result.stderr)
                    line = error_line(result)
                    self.assertRegex(line, r"^auditfetch: error: [a-z\"'-]")
                    self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)


class Help(unittest.TestCase):
    def test_bare_auditfetch_prints_a_short_usage_and_exits_0(self) -> None:
        result = run_auditfetch()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertIn("Usage: auditfetch COMMAND [OPTIONS]", result.stdout)
        for command in ("list", "get", "tail", "verify", "providers", "config", "completion", "help"):
            self.assertRegex(result.stdout, rf"(?m)^  {command} +\S")
        self.assertLess(len(result.stdout.splitlines()), 20)  # short: no flags, no exit table
        self.assertNotIn("Exit status", result.stdout)
        config = run_auditfetch("config")
        self.assertEqual(config.returncode, 0, config.stderr)
        self.assertIn("Usage: auditfetch config COMMAND [OPTIONS]", config.stdout)
        self.assertRegex(config.stdout, r"(?m)^  profiles +\S")

    def test_help_command_is_command_help(self) -> None:
        for command in (["list"], ["tail"], ["config", "show"], ["completion"], []):
            with self.subTest(command=command):
                via_help = run_auditfetch("help", *command)
                direct = run_auditfetch(*command, "--help")
                self.assertEqual(via_help.returncode, 0, via_help.stderr)
                self.assertEqual(via_help.stdout, direct.stdout)
                self.assertTrue(via_help.stdout)

    def test_each_help_lists_only_its_flags_and_the_exit_table_once(self) -> None:
        top = run_auditfetch("--help").stdout
        self.assertIn("Exit status:\n", top)
        for command in (["list"], ["get"], ["tail"], ["verify"], ["providers"], ["config"], ["config", "show"],
                        ["config", "check"], ["config", "profiles"], ["completion"]):
            with self.subTest(command=command):
                text = run_auditfetch(*command, "--help").stdout
                self.assertNotIn("Exit status:\n", text)
                self.assertNotRegex(text, r"(?m)^\s+4\s+not found")
        tail = defined_options(run_auditfetch("tail", "--help").stdout)
        self.assertNotIn("--until", tail)
        self.assertNotIn("--limit", tail)
        self.assertIn("--since", tail)
        self.assertIn("--interval", tail)
        listing = defined_options(run_auditfetch("list", "--help").stdout)
        self.assertLessEqual({"--until", "--limit"}, listing)
        self.assertIn("--use-all-permitted-aids [true|false]", run_auditfetch("list", "--help").stdout)


class Runs(EmulatorTestCase):
    """Against the emulator: what the guidance changes in a real run."""

    def pingone(self, *args: str):
        return run_auditfetch("list", "--environment-id", PINGONE_ENV_ID, "--base-url", self.emu.url + "/v1",
                              "--since", SINCE, "--until", UNTIL, *args, env={"AUDITFETCH_TOKEN": TOKEN})

    def thousandeyes(self, *args: str):
        return run_auditfetch("list", "-p", "thousandeyes", "--aid", TE_AID, "--base-url", self.emu.url + "/v7",
                              *args, "--since", SINCE, "--until", UNTIL, env={"AUDITFETCH_TOKEN": TOKEN})

    def te_flag(self) -> list[list[str]]:
        return [r["params"].get("useAllPermittedAids") for r in self.emu.requests("/v7/audit-user-events")]

    def test_provider_and_output_names_match_without_regard_to_case(self) -> None:
        lower = self.pingone("-p", "pingone", "-o", "ndjson", "--no-remote-data")
        mixed = self.pingone("-p", "PingOne", "-o", "NDJSON", "--no-remote-data")
        self.assertEqual(lower.returncode, 0, lower.stderr)
        self.assertEqual(mixed.returncode, 0, mixed.stderr)
        self.assertTrue(lower.stdout)
        self.assertEqual(mixed.stdout, lower.stdout)

    def test_a_boolean_setting_is_a_bare_switch(self) -> None:
        # Bare, and followed by another flag: true, and --since is still --since.
        result = run_auditfetch("list", "-p", "thousandeyes", "--aid", TE_AID, "--base-url", self.emu.url + "/v7",
                                "--use-all-permitted-aids", "--since", SINCE, "--until", UNTIL, "-o", "ndjson",
                                env={"AUDITFETCH_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(self.te_flag())
        self.assertTrue(all(value == ["true"] for value in self.te_flag()), self.te_flag())
        # An explicit value still works.
        for value in ("false", "true"):
            self.emu.reset()
            result = self.thousandeyes("--use-all-permitted-aids", value, "-o", "ndjson")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertTrue(all(v == [value] for v in self.te_flag()), self.te_flag())

    def test_an_unknown_action_warns_and_still_runs(self) -> None:
        result = self.pingone("-p", "pingone", "--action", "USER.CRATED", "-o", "ndjson")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.strip().splitlines(), [
            "auditfetch: warning: --action USER.CRATED: neither a unified action nor a known pingone action; "
            "sent as it is (nearest known: USER.CREATED, user_created, USER.UPDATED)"])
        self.assertEqual(result.stdout, "")  # the emulator has no such type
        # The value went to the server as given.
        self.assertIn("USER.CRATED", self.emu.requests("/activities")[0]["params"]["filter"][0])
        quiet = self.pingone("-p", "pingone", "--action", "USER.CRATED", "-o", "ndjson", "-q")
        self.assertEqual(quiet.returncode, 0, quiet.stderr)
        self.assertEqual(quiet.stderr, "")
        # Known values, unified or native, say nothing.
        known = self.pingone("-p", "pingone", "--action", "login", "--action", "USER.CREATED", "-o", "ndjson")
        self.assertEqual(known.returncode, 0, known.stderr)
        self.assertEqual(known.stderr, "")
        unified = self.pingone("-p", "pingone", "--action", "login_faild", "-o", "ndjson")
        self.assertIn("(nearest known: login_failed", unified.stderr)


class CompletionCommand(unittest.TestCase):
    def test_completion_prints_the_script_of_each_shell(self) -> None:
        for shell, path in (("bash", BASH_SCRIPT), ("zsh", ZSH_DIR / "_auditfetch"), ("fish", FISH_SCRIPT)):
            with self.subTest(shell=shell):
                result = run_auditfetch("completion", shell)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stdout, path.read_text(encoding="utf-8"))
        result = run_auditfetch("completion", "bsh")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(error_line(result),
                         'auditfetch: error: no completion for shell "bsh" (did you mean "bash"?) (use bash, zsh or fish)')

    def test_the_binary_needs_no_completion_file(self) -> None:
        with tempfile.TemporaryDirectory() as work:
            copy = Path(work) / "auditfetch"
            shutil.copy(harness.auditfetch_bin(), copy)
            result = run_auditfetch("completion", "bash", cwd=work)
            self.assertEqual(result.returncode, 0)
            import subprocess
            alone = subprocess.run([str(copy), "completion", "fish"], capture_output=True, text=True, cwd=work,
                                   env={"PATH": "/usr/bin:/bin", "HOME": work})
            self.assertEqual(alone.stdout, FISH_SCRIPT.read_text(encoding="utf-8"))

    def test_the_words_the_scripts_offer(self) -> None:
        actions = run_auditfetch("completion", "--list", "actions", "-p", "okta").stdout.split()
        self.assertEqual(actions[:3], ["login", "login_failed", "logout"])
        for native in OKTA_NATIVE:
            self.assertIn(native, actions)
        self.assertNotIn("USER.CREATED", actions)
        self.assertIn("USER.CREATED", run_auditfetch("completion", "--list", "actions", "-p", "pingone").stdout.split())
        self.assertEqual(run_auditfetch("completion", "--list", "settings", "-p", "okta").stdout.split(), ["--domain"])
        settings = run_auditfetch("completion", "--list", "settings").stdout.split()
        self.assertLessEqual({"--domain", "--environment-id", "--aid", "--use-all-permitted-aids"}, set(settings))
        fields = run_auditfetch("completion", "--list", "fields").stdout.split()
        self.assertLessEqual({"id", "actor", "actor.user.id", "context.ip_address", "created_at"}, set(fields))


class CompletionInShells:
    """What each shell offers (test_completions.py's completers): --action values, --fields
    paths, the settings of the provider of -p, the new commands."""

    completer: BashCompleter | ZshCompleter | FishCompleter

    def complete(self, line: str) -> list[str]:
        return self.completer.complete(line)

    def test_action_offers_unified_and_the_providers_native_values(self) -> None:
        offered = set(self.complete("auditfetch list -p okta --action user.session.st"))
        self.assertEqual(offered, {"user.session.start"})
        self.assertIn("login_failed", self.complete("auditfetch list -p okta --action login"))
        self.assertEqual(set(self.complete("auditfetch tail --action user_de")), {"user_deactivated", "user_deleted"})

    def test_fields_offers_field_paths(self) -> None:
        self.assertEqual(set(self.complete("auditfetch list --fields context.ip")), {"context.ip_address"})

    def test_only_the_settings_of_the_provider_on_the_line(self) -> None:
        self.assertEqual(set(self.complete("auditfetch list -p okta --do")), {"--domain"})
        self.assertEqual(self.complete("auditfetch list -p okta --environment"), [])
        self.assertEqual(set(self.complete("auditfetch list -p pingone --environment")), {"--environment-id"})
        self.assertEqual(set(self.complete("auditfetch list --environment")), {"--environment-id"})

    def test_tail_offers_neither_until_nor_limit(self) -> None:
        self.assertEqual(self.complete("auditfetch tail --unt"), [])
        self.assertEqual(self.complete("auditfetch tail --lim"), [])
        self.assertEqual(set(self.complete("auditfetch list --unt")), {"--until"})

    def test_completion_and_help_complete(self) -> None:
        self.assertIn("completion", self.complete("auditfetch comp"))
        self.assertEqual(set(self.complete("auditfetch completion ")), {"bash", "zsh", "fish"})
        self.assertIn("list", self.complete("auditfetch help l"))


class ShellCase(CompletionInShells):
    shell = ""

    @classmethod
    def setUpClass(cls) -> None:
        if shutil.which(cls.shell) is None:
            raise unittest.SkipTest(f"{cls.shell} is not installed")
        cls._tmp = tempfile.TemporaryDirectory(prefix=f"auditfetch-guidance-{cls.shell}-")
        work = Path(cls._tmp.name)
        (work / "bin").mkdir()
        os.symlink(harness.auditfetch_bin(), work / "bin" / "auditfetch")
        (work / "home").mkdir()
        cls.env = shell_environment(str(work / "bin"), str(work / "home"))
        cls.completer = cls.make_completer()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.completer.close()
        cls._tmp.cleanup()


class BashCompletion(ShellCase, unittest.TestCase):
    shell = "bash"

    @classmethod
    def make_completer(cls):
        if not BASH_COMPLETION.exists():
            raise unittest.SkipTest("bash-completion is not installed")
        return BashCompleter(cls.env, BASH_SCRIPT)

    def test_fields_completes_after_a_comma(self) -> None:
        self.assertEqual(set(self.complete("auditfetch list --fields id,created_")), {"id,created_at"})


class ZshCompletion(ShellCase, unittest.TestCase):
    shell = "zsh"

    @classmethod
    def make_completer(cls):
        return ZshCompleter(cls.env, ZSH_DIR)


class FishCompletion(ShellCase, unittest.TestCase):
    shell = "fish"

    @classmethod
    def make_completer(cls):
        return FishCompleter(cls.env, FISH_SCRIPT)

    def test_fields_completes_after_a_comma(self) -> None:
        self.assertEqual(set(self.complete("auditfetch list --fields id,created_")), {"id,created_at"})


if __name__ == "__main__":
    unittest.main()
