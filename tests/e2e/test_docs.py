"""The man page and the shell completions agree with the binary's --help.

A flag added to the command line but not to man/auditfetch.1 or to a completion script fails
here. The bash completion is also run in a real bash. Standard library only.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AUDITFETCH_BIN") or REPO / "build" / "auditfetch").resolve()
MAN_PAGE = REPO / "man" / "auditfetch.1"
BASH_COMPLETION = REPO / "completions" / "auditfetch.bash"
ZSH_COMPLETION = REPO / "completions" / "_auditfetch"
FISH_COMPLETION = REPO / "completions" / "auditfetch.fish"
COMMANDS = ("list", "get", "tail", "providers")
FORMATS = {"table", "json", "ndjson", "csv"}

# "  -p,--provider NAME   Provider ..." and "  --since TIME   From ...": the options a help defines.
OPTION_LINE = re.compile(r"^  (-\w,)?(--[a-z][a-z0-9-]*)\b", re.MULTILINE)
# Any long flag the help mentions, in descriptions and examples too.
LONG_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)


def help_text(command=None):
    args = [str(BIN)] + ([command] if command else []) + ["--help"]
    result = run(args)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def defined_options(text):
    """Return the flags, short and long, that a --help text defines."""
    options = set()
    for short, long in OPTION_LINE.findall(text):
        options.add(long)
        if short:
            options.add(short.rstrip(","))
    return options


def long_options(options):
    return {option for option in options if option.startswith("--")}


def roff_flag(flag):
    """Return a pattern for a long flag as roff writes it: --a-b, \\-\\-a\\-b or a mix."""
    dash = r"(?:\\-|-)"
    parts = flag[2:].split("-")
    return re.compile(dash * 2 + dash.join(map(re.escape, parts)) + r"(?![\w-]|\\-)")


def assert_found(test, pattern, text, message):
    """Like assertRegex, without printing the whole file on failure."""
    if not re.search(pattern, text):
        test.fail(message)


def man_section(source, title):
    match = re.search(rf"^\.SH {re.escape(title)}\n(.*?)(?=^\.SH |\Z)", source, re.S | re.M)
    if not match:
        raise AssertionError(f"man page has no section {title}")
    return match.group(1)


class HelpTexts:
    """Every command's --help, read once."""

    _cache = {}

    @classmethod
    def get(cls, command=None):
        if command not in cls._cache:
            cls._cache[command] = help_text(command)
        return cls._cache[command]

    @classmethod
    def all_long_options(cls):
        options = set()
        for command in (None,) + COMMANDS:
            options |= long_options(defined_options(cls.get(command)))
        return options


class ManPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.source = MAN_PAGE.read_text(encoding="utf-8")

    def test_every_option_in_a_help_is_documented_under_options(self):
        options_section = man_section(self.source, "OPTIONS")
        for command in (None,) + COMMANDS:
            for flag in sorted(long_options(defined_options(HelpTexts.get(command)))):
                with self.subTest(command=command or "auditfetch", flag=flag):
                    assert_found(self, roff_flag(flag), options_section,
                                 f"{flag} is in --help but not in OPTIONS of {MAN_PAGE.name}")

    def test_every_flag_a_help_mentions_is_in_the_man_page(self):
        for command in (None,) + COMMANDS:
            for flag in sorted(set(LONG_FLAG.findall(HelpTexts.get(command)))):
                with self.subTest(command=command or "auditfetch", flag=flag):
                    assert_found(self, roff_flag(flag), self.source,
                                 f"{flag} is in --help but not in {MAN_PAGE.name}")

    def test_every_command_is_described(self):
        commands = man_section(self.source, "COMMANDS")
        for command in COMMANDS:
            with self.subTest(command=command):
                assert_found(self, rf"(?m)^\.(?:B|BI|BR) {command}\b", commands,
                             f"{command} has no entry in COMMANDS of {MAN_PAGE.name}")

    def test_exit_status_is_the_table_help_prints(self):
        help_table = HelpTexts.get().split("Exit status:\n", 1)[1]
        expected = re.findall(r"^\s+(\d+)  (.+)$", help_table, re.M)
        documented = re.findall(r"^\.TP \d+\n\.B (\d+)\n(.+)$",
                                man_section(self.source, "EXIT STATUS"), re.M)
        self.assertTrue(expected)
        self.assertEqual(documented, expected)

    def test_every_provider_has_a_subsection_and_its_variables_are_documented(self):
        providers = run([str(BIN), "providers", "--names"]).stdout.split()
        self.assertIn("pingone", providers)
        section = man_section(self.source, "PROVIDERS")
        environment = man_section(self.source, "ENVIRONMENT")
        for name in providers:
            with self.subTest(provider=name):
                assert_found(self, rf"(?m)^\.SS {re.escape(name)}$", section,
                             f"{name} has no subsection in PROVIDERS of {MAN_PAGE.name}")
                # Settings and credentials come first; the action table after "filters:" is not.
                description = run([str(BIN), "providers", name]).stdout.split("\nfilters:")[0]
                for variable in sorted(set(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", description))):
                    self.assertTrue(variable in environment,
                                    f"{variable} ({name}) is not in ENVIRONMENT of {MAN_PAGE.name}")

    def test_variables_named_in_help_are_documented(self):
        environment = man_section(self.source, "ENVIRONMENT")
        for command in ("list", "get", "tail"):
            for variable in sorted(set(re.findall(r"\benv ([A-Z][A-Z0-9_]+)", HelpTexts.get(command)))):
                with self.subTest(command=command, variable=variable):
                    self.assertTrue(variable in environment,
                                    f"{variable} is not in ENVIRONMENT of {MAN_PAGE.name}")

    def test_groff_reports_nothing(self):
        if shutil.which("groff") is None:
            self.skipTest("groff is not installed (apt-get install groff-base)")
        result = run(["groff", "-man", "-ww", "-z", str(MAN_PAGE)])
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.returncode, 0)

    def test_mandoc_lint_reports_no_warnings(self):
        if shutil.which("mandoc") is None:
            self.skipTest("mandoc is not installed (apt-get install mandoc)")
        result = run(["mandoc", "-Tlint", str(MAN_PAGE)])
        problems = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
                    if line.strip() and "STYLE:" not in line]
        self.assertEqual(problems, [])


class CompletionScriptsTest(unittest.TestCase):
    def check_script(self, path, pattern_for):
        text = path.read_text(encoding="utf-8")
        for flag in sorted(HelpTexts.all_long_options()):
            with self.subTest(script=path.name, flag=flag):
                assert_found(self, pattern_for(flag[2:]), text,
                             f"{flag} is in --help but not in {path.name}")

    def test_bash_script_has_every_long_flag(self):
        self.check_script(BASH_COMPLETION, lambda name: rf"--{re.escape(name)}(?![\w-])")

    def test_zsh_script_has_every_long_flag(self):
        self.check_script(ZSH_COMPLETION, lambda name: rf"--{re.escape(name)}(?![\w-])")

    def test_fish_script_has_every_long_flag(self):
        self.check_script(FISH_COMPLETION, lambda name: rf"(?:-l|--long) {re.escape(name)}(?![\w-])")


class BashCompletionTest(unittest.TestCase):
    """Runs _auditfetch in bash, the way readline would, and reads COMPREPLY."""

    SCRIPT = (
        'source "$1" || exit 1; shift\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
        '_auditfetch\n'
        '(( ${#COMPREPLY[@]} )) && printf "%s\\n" "${COMPREPLY[@]}"\n'
        'exit 0\n'
    )

    @classmethod
    def setUpClass(cls):
        if shutil.which("bash") is None:
            raise unittest.SkipTest("bash is not installed")
        # The script runs `auditfetch providers --names`; AUDITFETCH_BIN may have another name.
        cls.bin_dir = tempfile.TemporaryDirectory()
        os.symlink(BIN, Path(cls.bin_dir.name) / "auditfetch")
        cls.env = dict(os.environ, PATH=cls.bin_dir.name + os.pathsep + os.environ.get("PATH", ""))

    @classmethod
    def tearDownClass(cls):
        cls.bin_dir.cleanup()

    def complete(self, *words):
        """Return the completions for the command line `words`, the last being the one typed."""
        result = run(["bash", "--norc", "--noprofile", "-c", self.SCRIPT, "bash",
                      str(BASH_COMPLETION), *words], env=self.env, cwd=REPO)
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.returncode, 0)
        return result.stdout.splitlines()

    def test_a_command_prefix_completes_to_the_command(self):
        self.assertEqual(self.complete("auditfetch", "l"), ["list"])

    def test_no_word_offers_every_command(self):
        self.assertEqual(set(self.complete("auditfetch", "")), set(COMMANDS))

    def test_a_flag_prefix_completes_to_the_flag(self):
        self.assertEqual(self.complete("auditfetch", "list", "--base"), ["--base-url"])
        # "--pro" is the prefix of two flags since --providers-dir: both are offered.
        self.assertEqual(set(self.complete("auditfetch", "list", "--pro")), {"--provider", "--providers-dir"})

    def test_provider_names_come_from_the_binary(self):
        self.assertIn("pingone", self.complete("auditfetch", "list", "-p", ""))
        self.assertIn("pingone", self.complete("auditfetch", "get", "--provider", "p"))
        self.assertIn("pingone", self.complete("auditfetch", "providers", ""))

    def test_output_offers_the_four_formats(self):
        self.assertEqual(set(self.complete("auditfetch", "list", "-o", "")), FORMATS)
        self.assertEqual(set(self.complete("auditfetch", "get", "--output", "")), FORMATS)
        self.assertEqual(set(self.complete("auditfetch", "list", "--output", "=", "")), FORMATS)

    def test_region_offers_the_regions(self):
        self.assertEqual(set(self.complete("auditfetch", "list", "--region", "")),
                         {"na", "eu", "asia", "ca", "au", "sg"})

    def test_file_options_complete_files(self):
        self.assertIn("CMakeLists.txt", self.complete("auditfetch", "list", "--token-file", "CMake"))
        self.assertIn("CMakeLists.txt", self.complete("auditfetch", "get", "--ca-file", "CMake"))

    def test_each_command_offers_exactly_the_flags_its_help_defines(self):
        for command in (None,) + COMMANDS:
            words = ["auditfetch"] + ([command] if command else []) + ["-"]
            with self.subTest(command=command or "auditfetch"):
                self.assertEqual(set(self.complete(*words)), defined_options(HelpTexts.get(command)))


if __name__ == "__main__":
    unittest.main()
