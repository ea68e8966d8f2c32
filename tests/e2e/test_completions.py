"""The completion scripts in the real shells: bash (with bash-completion), zsh and fish.

Each shell loads the script from completions/ and is asked what completing a command line
offers, the way pressing TAB would:
  - bash: the completion function registered with `complete -F`, called with COMP_WORDS as
    readline splits the line, after /usr/share/bash-completion/bash_completion is loaded;
  - zsh: an interactive `zsh -f -i` on a pseudo-terminal with compinit, the line typed and TAB
    pressed; `compadd` is wrapped to print what would be offered;
  - fish: `complete -C'LINE'`.
Provider names come from the binary (`auditfetch providers --names`), so a user definition in
--providers-dir or AUDITFETCH_PROVIDERS_DIR completes too. test_install.py runs the same checks
against the files a .deb installed. Standard library only.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AUDITFETCH_BIN") or REPO / "build" / "auditfetch").resolve()
COMPLETIONS = REPO / "completions"
BASH_SCRIPT = COMPLETIONS / "auditfetch.bash"
ZSH_DIR = COMPLETIONS  # holds _auditfetch, for $fpath
FISH_SCRIPT = COMPLETIONS / "auditfetch.fish"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")
COMMANDS = ("list", "get", "tail", "verify", "providers")
FORMATS = {"table", "json", "ndjson", "csv"}

# "  -p,--provider NAME   Provider ...": the options a --help defines.
OPTION_LINE = re.compile(r"^  (-\w,)?(--[a-z][a-z0-9-]*)\b", re.MULTILINE)


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)


def help_text(binary: Path, *command: str) -> str:
    result = run([str(binary), *command, "--help"])
    if result.returncode != 0:
        raise AssertionError(f"auditfetch {' '.join(command)} --help exited {result.returncode}: {result.stderr}")
    return result.stdout


def defined_options(text: str) -> set[str]:
    """The flags, short and long, that a --help text defines."""
    options = set()
    for short, long in OPTION_LINE.findall(text):
        options.add(long)
        if short:
            options.add(short.rstrip(","))
    return options


def region_choices(binary: Path, provider: str) -> set[str]:
    """The values `auditfetch providers PROVIDER` allows for --region (none without it)."""
    text = run([str(binary), "providers", provider]).stdout
    match = re.search(r"^  --region .*one of ([a-z|]+)\)$", text, re.MULTILINE)
    return set(match.group(1).split("|")) if match else set()


def shell_environment(path_first: str | None, home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: its own HOME and XDG directories (no user config or definitions),
    PATH with `path_first` (where `auditfetch` is) in front."""
    path = os.environ.get("PATH", "/usr/bin:/bin")
    env = {"PATH": f"{path_first}{os.pathsep}{path}" if path_first else path, "HOME": home,
           "XDG_CONFIG_HOME": os.path.join(home, ".config"), "XDG_DATA_HOME": os.path.join(home, ".local/share"),
           "XDG_CACHE_HOME": os.path.join(home, ".cache"), "LANG": "C.UTF-8", "TERM": "dumb"}
    env.update(extra or {})
    return env


def words_of(line: str) -> list[str]:
    """The words of a command line as readline splits them; a trailing space starts a new, empty
    word. "=" is split off as bash does (COMP_WORDBREAKS)."""
    words = []
    for word in line.split(" "):
        if "=" in word and word.startswith("--"):
            name, value = word.split("=", 1)
            words += [name, "=", value]
        else:
            words.append(word)
    return words


class BashCompleter:
    """bash with bash-completion loaded; `script` sourced, or (None) loaded on demand from
    bash-completion's completions directory, as for an installed package."""

    SCRIPT = r'''
[[ -r $AF_BASH_COMPLETION ]] && { source "$AF_BASH_COMPLETION" || exit 90; }
if [[ -n $AF_SCRIPT ]]; then
    source "$AF_SCRIPT" || exit 91
elif ! complete -p auditfetch >/dev/null 2>&1; then
    __load_completion auditfetch || exit 92
fi
spec=$(complete -p auditfetch) || exit 93
[[ $spec =~ -F\ ([^ ]+) ]] || exit 94
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"${BASH_REMATCH[1]}" auditfetch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
(( ${#COMPREPLY[@]} )) && printf '%s\n' "${COMPREPLY[@]}"
exit 0
'''

    def __init__(self, env: dict[str, str], script: Path | None, cwd: Path = REPO):
        self.env = dict(env, AF_SCRIPT=str(script or ""), AF_BASH_COMPLETION=str(BASH_COMPLETION))
        self.cwd = cwd

    def complete(self, line: str | list[str], env: dict[str, str] | None = None) -> list[str]:
        words = line if isinstance(line, list) else words_of(line)
        result = run(["bash", "--norc", "--noprofile", "-c", self.SCRIPT, "bash", *words],
                     env={**self.env, **(env or {})}, cwd=self.cwd)
        if result.returncode != 0 or result.stderr:
            raise AssertionError(f"bash completion of {words} failed ({result.returncode}): {result.stderr}")
        return result.stdout.splitlines()

    def close(self) -> None:
        pass


class ZshCompleter:
    """An interactive zsh on a pseudo-terminal with compinit; `fpath_dir` (holding _auditfetch)
    put in front of $fpath, or (None) the default $fpath, as for an installed package."""

    SETUP = r'''
PS1='' PROMPT='' RPROMPT='' PS2=''
unset zle_bracketed_paste
[[ -n $AF_FPATH ]] && fpath=($AF_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
# What would be offered, after matching against the word typed: compadd -A collects it.
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return $?
  fi
  local -a __af_hits
  builtin compadd -A __af_hits "$@"
  local __af_hit
  for __af_hit in $__af_hits; do print -r -- "<<MATCH>>$__af_hit"; done
}
# Called after each completion; _main_complete empties comppostfuncs before calling it.
_af_done() { print -r -- '<<DONE>>'; comppostfuncs=(_af_done) }
comppostfuncs=(_af_done)
bindkey '^I' complete-word
print -r -- '<<READY>>'
'''

    def __init__(self, env: dict[str, str], fpath_dir: Path | None, timeout: float = 15):
        self.timeout = timeout
        home = Path(env["HOME"])
        setup = home / "af-setup.zsh"
        setup.write_text(self.SETUP, encoding="utf-8")
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(["zsh", "-f", "-i"], stdin=slave, stdout=slave, stderr=slave,
                                        env=dict(env, AF_FPATH=str(fpath_dir or "")), cwd=str(home),
                                        start_new_session=True)
        os.close(slave)
        self.buffer = b""
        os.write(self.master, f"source {setup}\n".encode())
        self.read_until(b"<<READY>>")

    def read_until(self, token: bytes) -> bytes:
        deadline = time.monotonic() + self.timeout
        while token not in self.buffer:
            if time.monotonic() > deadline:
                raise AssertionError(f"zsh did not print {token!r}; it printed {self.buffer[-2000:]!r}")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.buffer += os.read(self.master, 65536)
                except OSError as error:
                    raise AssertionError(f"zsh exited: {self.buffer[-2000:]!r}") from error
        before, _, self.buffer = self.buffer.partition(token)
        return before

    def complete(self, line: str, env: dict[str, str] | None = None) -> list[str]:
        if env:
            raise ValueError("set the environment when starting zsh")
        self.buffer = b""
        os.write(self.master, b"\x15" + line.encode() + b"\t")  # ^U: an empty line first
        output = self.read_until(b"<<DONE>>")
        return [match.decode() for match in re.findall(rb"<<MATCH>>([^\r\n]*)", output)]

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self.master)


class FishCompleter:
    """fish's `complete -C`; `script` sourced, or (None) found in the default
    fish_complete_path (vendor_completions.d), as for an installed package."""

    def __init__(self, env: dict[str, str], script: Path | None):
        self.env = env
        self.script = script

    def complete(self, line: str, env: dict[str, str] | None = None) -> list[str]:
        command = f"complete -C {shlex_fish(line)}"
        if self.script:
            command = f"source {shlex_fish(str(self.script))}; or exit 91; {command}"
        result = run(["fish", "--private", "-c", command], env={**self.env, **(env or {})})
        if result.returncode != 0 or result.stderr:
            raise AssertionError(f"fish completion of {line!r} failed ({result.returncode}): {result.stderr}")
        return [candidate.split("\t", 1)[0] for candidate in result.stdout.splitlines()]

    def close(self) -> None:
        pass


def shlex_fish(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class CompletionChecks:
    """What every shell must offer. Subclasses set up `self.completer` (in setUpClass, with
    `cls.binary` the auditfetch it runs) and may set `user_provider_dir`."""

    completer: BashCompleter | ZshCompleter | FishCompleter
    binary: Path
    work: Path

    @classmethod
    def make_fixtures(cls) -> None:
        """A user provider definition (pingtwo) and a config file with two profiles."""
        definitions = cls.work / "definitions"
        definitions.mkdir()
        text = (REPO / "providers" / "pingone.json").read_text(encoding="utf-8")
        (definitions / "pingtwo.json").write_text(text.replace('"name": "pingone"', '"name": "pingtwo"', 1),
                                                  encoding="utf-8")
        cls.definitions = definitions
        cls.config = cls.work / "config.toml"
        cls.config.write_text('[profiles.prod-ping]\nprovider = "pingone"\n\n'
                              '[profiles.staging-ping]\nprovider = "pingone"\n', encoding="utf-8")
        cls.config.chmod(0o600)

    def complete(self, line: str) -> list[str]:
        return self.completer.complete(line)

    def list_options(self) -> set[str]:
        return defined_options(help_text(self.binary, "list"))

    def test_a_command_prefix_completes_to_the_command(self) -> None:
        self.assertEqual(self.complete("auditfetch l"), ["list"])
        self.assertEqual(self.complete("auditfetch li"), ["list"])
        self.assertEqual(self.complete("auditfetch pro"), ["providers"])

    def test_a_flag_prefix_offers_exactly_the_flags_of_help_with_that_prefix(self) -> None:
        offered = set(self.complete("auditfetch list --pro"))
        self.assertIn("--provider", offered)
        # --providers-dir, and --profile where the binary has it: what --help defines.
        self.assertEqual(offered, {flag for flag in self.list_options() if flag.startswith("--pro")})
        self.assertEqual(set(self.complete("auditfetch tail --out")), {"--output"})

    def test_provider_names_come_from_the_binary(self) -> None:
        names = set(run([str(self.binary), "providers", "--names"]).stdout.split())
        self.assertIn("pingone", names)
        self.assertEqual(set(self.complete("auditfetch list -p ")), names)
        self.assertEqual(set(self.complete("auditfetch get --provider ")), names)
        self.assertEqual(set(self.complete("auditfetch list -p ping")), {n for n in names if n.startswith("ping")})

    def test_a_user_definition_in_providers_dir_completes(self) -> None:
        offered = self.complete(f"auditfetch list --providers-dir {self.definitions} -p ")
        self.assertIn("pingtwo", offered)
        self.assertIn("pingone", offered)

    def test_output_offers_the_four_formats(self) -> None:
        self.assertEqual(set(self.complete("auditfetch list -o ")), FORMATS)
        self.assertEqual(set(self.complete("auditfetch tail --output ")), FORMATS)
        self.assertEqual(set(self.complete("auditfetch list -o nd")), {"ndjson"})

    def test_region_offers_the_regions_of_the_provider_on_the_line(self) -> None:
        """pingone and the 1Password streams have different regions; without -p, all of them."""
        names = run([str(self.binary), "providers", "--names"]).stdout.split()
        pingone, onepassword = region_choices(self.binary, "pingone"), region_choices(self.binary, "1password-audit")
        self.assertEqual(pingone, {"na", "eu", "asia", "ca", "au", "sg"})
        self.assertEqual(onepassword, {"com", "ent", "ca", "eu"})
        self.assertEqual(set(self.complete("auditfetch list -p pingone --region ")), pingone)
        self.assertEqual(set(self.complete("auditfetch tail --provider 1password-signins --region ")), onepassword)
        self.assertEqual(set(self.complete("auditfetch get -p 1password-audit --region e")), {"ent", "eu"})
        everything = set().union(*(region_choices(self.binary, name) for name in names))
        self.assertEqual(set(self.complete("auditfetch list --region ")), everything)

    def test_profile_names_come_from_the_config_file(self) -> None:
        if "--profile" not in self.list_options():
            self.skipTest("this auditfetch has no --profile")
        offered = set(self.complete(f"auditfetch list --config {self.config} --profile "))
        self.assertEqual(offered, {"prod-ping", "staging-ping"})


class ShellTestCase(CompletionChecks, unittest.TestCase):
    shell = ""

    @classmethod
    def setUpClass(cls) -> None:
        if shutil.which(cls.shell) is None:
            raise unittest.SkipTest(f"{cls.shell} is not installed (apt-get install {cls.shell}; scripts/deps)")
        cls.binary = BIN
        cls._tmp = tempfile.TemporaryDirectory(prefix=f"auditfetch-{cls.shell}-")
        cls.work = Path(cls._tmp.name)
        # The scripts run `auditfetch`; AUDITFETCH_BIN may have another name or place.
        bin_dir = cls.work / "bin"
        bin_dir.mkdir()
        os.symlink(BIN, bin_dir / "auditfetch")
        home = cls.work / "home"
        home.mkdir()
        cls.env = shell_environment(str(bin_dir), str(home))
        cls.make_fixtures()
        cls.completer = cls.make_completer()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.completer.close()
        cls._tmp.cleanup()


class BashTest(ShellTestCase):
    shell = "bash"

    @classmethod
    def make_completer(cls):
        if not BASH_COMPLETION.exists():
            raise unittest.SkipTest("bash-completion is not installed (apt-get install bash-completion)")
        return BashCompleter(cls.env, BASH_SCRIPT)

    def test_a_user_definition_in_the_environment_completes(self) -> None:
        offered = self.completer.complete("auditfetch list -p ", env={"AUDITFETCH_PROVIDERS_DIR": str(self.definitions)})
        self.assertIn("pingtwo", offered)

    def test_no_word_offers_every_command(self) -> None:
        offered = set(self.complete("auditfetch "))
        self.assertTrue(set(COMMANDS) <= offered, offered)

    def test_a_flag_prefix_completes_to_the_flag(self) -> None:
        self.assertEqual(self.complete("auditfetch list --base"), ["--base-url"])

    def test_provider_names_complete_for_providers_too(self) -> None:
        self.assertIn("pingone", self.complete("auditfetch get --provider p"))
        self.assertIn("pingone", self.complete("auditfetch providers "))

    def test_output_after_an_equals_sign_offers_the_formats(self) -> None:
        self.assertEqual(set(self.completer.complete(["auditfetch", "list", "--output", "=", ""])), FORMATS)


    def test_file_options_complete_files(self) -> None:
        self.assertIn("CMakeLists.txt", self.complete("auditfetch list --token-file CMake"))
        self.assertIn("CMakeLists.txt", self.complete("auditfetch get --ca-file CMake"))

    def test_each_command_offers_exactly_the_flags_its_help_defines(self) -> None:
        commands = [[]] + [[command] for command in COMMANDS]
        if run([str(BIN), "config", "--help"]).returncode == 0:
            commands += [["config"], ["config", "show"], ["config", "check"], ["config", "profiles"]]
        for command in commands:
            with self.subTest(command=" ".join(["auditfetch", *command])):
                expected = defined_options(help_text(BIN, *command))
                self.assertEqual(set(self.completer.complete(["auditfetch", *command, "-"])), expected)


class ZshTest(ShellTestCase):
    shell = "zsh"

    @classmethod
    def make_completer(cls):
        return ZshCompleter(cls.env, ZSH_DIR)

    def test_a_user_definition_in_the_environment_completes(self) -> None:
        other = ZshCompleter(dict(self.env, AUDITFETCH_PROVIDERS_DIR=str(self.definitions)), ZSH_DIR)
        try:
            self.assertIn("pingtwo", other.complete("auditfetch list -p "))
        finally:
            other.close()



class FishTest(ShellTestCase):
    shell = "fish"

    @classmethod
    def make_completer(cls):
        return FishCompleter(cls.env, FISH_SCRIPT)

    def test_a_user_definition_in_the_environment_completes(self) -> None:
        offered = self.completer.complete("auditfetch list -p ", env={"AUDITFETCH_PROVIDERS_DIR": str(self.definitions)})
        self.assertIn("pingtwo", offered)



del ShellTestCase  # a base, not a test of its own

if __name__ == "__main__":
    unittest.main()
