"""The man page and the shell completions agree with the binary's --help.

A flag added to the command line but not to man/auditfetch.1 or to a completion script fails
here; every --help has examples; --version names the libraries. The completion scripts are
run in the real shells by test_completions.py. Standard library only.
"""

import os
import re
import shutil
import subprocess
import unittest
from pathlib import Path

from test_completions import defined_options

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AUDITFETCH_BIN") or REPO / "build" / "auditfetch").resolve()
MAN_PAGE = REPO / "man" / "auditfetch.1"
BASH_COMPLETION = REPO / "completions" / "auditfetch.bash"
ZSH_COMPLETION = REPO / "completions" / "_auditfetch"
FISH_COMPLETION = REPO / "completions" / "auditfetch.fish"
COMMANDS = ("list", "get", "tail", "verify", "providers", "config")

# "  -p,--provider NAME   Provider ..." and "  --since TIME   From ...": the options a help defines.
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

    def test_has_the_sections_a_reader_looks_for(self):
        for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "UNIFIED ACTIVITY",
                      "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
            with self.subTest(section=title):
                self.assertTrue(man_section(self.source, title).strip())
        self.assertRegex(man_section(self.source, "NAME"), r"^auditfetch \\- ")

    def test_examples_cover_cron_jq_and_tail_into_a_file(self):
        examples = man_section(self.source, "EXAMPLES")
        assert_found(self, r"(?m)^(\*/\d+|\d+)( \S+){4} .*auditfetch list .*\\-\\-state .*>> ", examples,
                     "EXAMPLES has no crontab line appending a list with --state to a file")
        assert_found(self, r"auditfetch list .*\|\s*(\\\n\s*)?jq ", examples.replace("|\n", "| "),
                     "EXAMPLES has no list piped to jq")
        assert_found(self, r"auditfetch tail .*(\\e\n.*)?>> \S+", examples,
                     "EXAMPLES has no tail appending to a file")

    def test_man_renders_it(self):
        if shutil.which("man") is None:
            self.skipTest("man is not installed (apt-get install man-db)")
        result = run(["man", "-l", str(MAN_PAGE)], env=dict(os.environ, MANPAGER="cat", MANWIDTH="80",
                                                            LANG="C.UTF-8"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        for heading in ("NAME", "SYNOPSIS", "EXAMPLES", "SEE ALSO"):
            self.assertRegex(result.stdout, rf"(?m)^{heading}$")
        self.assertIn("auditfetch - fetch", result.stdout)

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


class HelpExamplesTest(unittest.TestCase):
    """Every command's --help ends with examples a user can copy."""

    def commands(self):
        yield None
        for command in COMMANDS:
            yield command
        if "config" in COMMANDS:
            for sub in ("show", "check", "profiles"):
                yield f"config {sub}"

    def test_every_help_has_an_examples_section_running_that_command(self):
        for command in self.commands():
            words = command.split() if command else []
            with self.subTest(command=command or "auditfetch"):
                result = run([str(BIN), *words, "--help"])
                self.assertEqual(result.returncode, 0, result.stderr)
                text = result.stdout
                self.assertIn("\nExamples:\n", text)
                examples = text.split("\nExamples:\n", 1)[1].split("\n\n", 1)[0]
                lines = [line.strip() for line in examples.splitlines() if line.strip()]
                self.assertTrue(lines, f"auditfetch {command} --help: the Examples section is empty")
                runs = re.compile(r"(?:^|\s)auditfetch" + (rf" {re.escape(command)}(?!\S)" if command else r"\s"))
                self.assertTrue(all(runs.search(line) for line in lines),
                                f"auditfetch {command} --help: an example does not run it: {lines}")


class ArchitectureTest(unittest.TestCase):
    """CONTRIBUTING.md's picture of the layers is what src/CMakeLists.txt declares
    (build/layers.txt, written at configure time), without the edges that follow from others."""

    def test_the_readme_picture_is_the_declared_layers(self):
        build = Path(os.environ.get("AUDITFETCH_BUILD_DIR") or REPO / "build")
        declared = {}
        for line in (build / "layers.txt").read_text().split():
            name, _, deps = line.partition(":")
            declared[name] = {d for d in deps.split(",") if d}

        def below(name):
            out = set()
            for dep in declared[name]:
                out |= {dep} | below(dep)
            return out

        reduced = {(name, dep) for name, deps in declared.items() for dep in deps
                   if not any(dep in below(other) for other in deps - {dep})}
        contributing = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
        block = re.search(r"```mermaid\ngraph TD\n(.*?)```", contributing, re.S)
        self.assertIsNotNone(block, "CONTRIBUTING.md has no mermaid picture of the layers")
        drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", block.group(1), re.M))
        self.assertEqual(drawn, reduced)


class VersionTest(unittest.TestCase):
    def test_version_names_auditfetch_openssl_and_boost(self):
        result = run([str(BIN), "--version"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        match = re.fullmatch(r"auditfetch (\d+\.\d+\.\d+)\nbuilt with OpenSSL (\d+\.\d+\.\d+)\S* .*, "
                             r"Boost (\d+\.\d+\.\d+)\n", result.stdout)
        self.assertIsNotNone(match, result.stdout)
        project = re.search(r"project\(auditfetch VERSION (\S+)", (REPO / "CMakeLists.txt").read_text())
        self.assertEqual(match.group(1), project.group(1))
        boost = Path("/usr/include/boost/version.hpp")
        if boost.exists():
            number = int(re.search(r"#define BOOST_VERSION (\d+)", boost.read_text()).group(1))
            self.assertEqual(match.group(3), f"{number // 100000}.{number // 100 % 1000}.{number % 100}")
        if shutil.which("openssl"):  # the same major.minor as the library on this machine
            runtime = run(["openssl", "version"]).stdout.split()[1]
            self.assertEqual(match.group(2).split(".")[:2], runtime.split(".")[:2])


if __name__ == "__main__":
    unittest.main()
