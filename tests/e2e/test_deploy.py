"""deploy/: the examples of running auditfetch under a scheduler, checked as far as this machine can.

Every auditfetch command line in deploy/ is run with the real binary against the emulator, the
way its example runs it: the systemd unit's ExecStart with its EnvironmentFile and its
LoadCredential files in a credentials directory, the container's ENTRYPOINT and CMD, each
CronJob's ENTRYPOINT + args with its Secret mounted or in its environment, Vector's `tail`
stopped with the SIGTERM Vector sends. Only the API's address is added (AUDITFETCH_BASE_URL,
AUDITFETCH_TOKEN_URL), and absolute paths are moved into a temporary directory.

Beyond that, by tool where one is here, otherwise by structure:
- systemd: `systemd-analyze verify` (must print nothing) and `security --offline` (exposure at
  most 2.0); the syscalls and socket families a run uses, under strace, against the unit's
  SystemCallFilter and RestrictAddressFamilies;
- Kubernetes: the schema of each kind, from the npm package kubernetes-models (its JSON-schema
  validation, then the TypeScript compiler's unknown-field check over its interfaces), installed
  with `npm ci` from tests/e2e/deploy_check/ into the build directory (skipped without npm or the
  registry); then what the schema cannot say: Forbid, one volume claim per job holding --state,
  secrets from Secrets only;
- the Dockerfile (no Docker daemon here): its stages, user, what the runtime stage installs and
  copies; the Depends list it installs is derived with its own sed from dpkg-shlibdeps;
- Vector (not installable here): the TOML's components, options and wiring.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import unittest
import uuid
from pathlib import Path
from typing import Any

import harness
from harness import CLIENT_ID, CLIENT_SECRET, REPO, TOKEN, EmulatorTestCase, auditfetch_bin, fixture_records
from provider_case import format_ms
from test_tail import TailProcess

try:
    import yaml  # python3-yaml (scripts/deps)
except ImportError:  # pragma: no cover - depends on the machine
    yaml = None

DEPLOY = REPO / "deploy"
SYSTEMD = DEPLOY / "systemd"
DOCKERFILE = DEPLOY / "container" / "Dockerfile"
CRONJOBS = DEPLOY / "kubernetes" / "cronjob.yaml"
VECTOR = DEPLOY / "vector" / "vector.toml"
DEPLOY_CHECK = Path(__file__).resolve().parent / "deploy_check"
PACKAGED_BIN = "/usr/bin/auditfetch"  # where the Debian package and the image put the binary

# The secrets the examples name (LoadCredential IDs, Secret keys, files) → the emulator's values.
SECRET_VALUES = {"token": TOKEN, "client-id": CLIENT_ID, "client-secret": CLIENT_SECRET}
# The Kubernetes Secrets the CronJobs read, as `kubectl create secret generic` would make them.
K8S_SECRETS = {"auditfetch-okta-acme": {"token": TOKEN},
               "auditfetch-pingone-eu": {"client-id": CLIENT_ID, "client-secret": CLIENT_SECRET}}
# systemd jobs: instance → drop-ins (deploy/systemd/*.conf) it is run with.
SYSTEMD_JOBS = {"okta-acme": [], "pingone-eu": ["client-credentials.conf"]}
HARDENING = {"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
             "StateDirectory": "auditfetch", "ProtectHome": "yes", "PrivateTmp": "yes",
             "PrivateDevices": "yes", "CapabilityBoundingSet": "", "UMask": "0077"}
UNIFIED_KEYS = {"id", "actor", "organization", "group", "description", "action", "entity", "entity_type",
                "context", "created_at", "remote_data", "provider"}
SECRET_FLAG = re.compile(r"(?i)(secret|password|token|api-key|apikey|skey)(?!-file|-url)")


# --------------------------------------------------------------------------- the emulator's side


def emulator_env(emu: Any, provider: str) -> dict[str, str]:
    """What points auditfetch at the emulator rather than the provider's API."""
    if provider == "okta":
        return {"AUDITFETCH_BASE_URL": emu.url}
    if provider == "pingone":
        return {"AUDITFETCH_BASE_URL": emu.url + "/v1", "AUDITFETCH_TOKEN_URL": emu.url + "/as/token"}
    raise AssertionError(f"no emulator set-up for provider {provider!r} (add one to emulator_env)")


def add_recent_activities(emu: Any) -> dict[str, set[str]]:
    """Two activities of the last minutes for each provider the examples use (the examples ask
    for --since 1h; the fixtures are older). Returns provider → their ids."""
    now = time.time_ns()
    added: dict[str, set[str]] = {}
    okta = []
    for minutes in (20, 5):
        record = copy.deepcopy(fixture_records("okta")[0])
        record.update(uuid=str(uuid.uuid4()), published=format_ms(now - minutes * 60 * 1_000_000_000))
        okta.append(record)
    emu.add_activities("okta", okta)
    added["okta"] = {r["uuid"] for r in okta}
    pingone = []
    for minutes in (20, 5):
        record = copy.deepcopy(fixture_records("pingone")[0])
        record.pop("_links", None)
        when = format_ms(now - minutes * 60 * 1_000_000_000)
        record.update(id=str(uuid.uuid4()), recordedAt=when, createdAt=when,
                      correlationId=str(uuid.uuid4()).upper())
        pingone.append(record)
    emu.add_activities("pingone", pingone)
    added["pingone"] = {r["id"] for r in pingone}
    return added


def base_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "TZ": "UTC",
            **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}}


def flag_value(argv: list[str], *names: str) -> str | None:
    """The value of the last of --name VALUE / --name=VALUE / -x VALUE in argv."""
    found = None
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                found = argv[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                found = arg[len(name) + 1:]
    return found


def provider_of(argv: list[str], env: dict[str, str]) -> str:
    provider = flag_value(argv, "--provider", "-p") or env.get("AUDITFETCH_PROVIDER")
    config = flag_value(argv, "--config")
    if provider is None and config is not None:
        profiles = tomllib.loads(Path(config).read_text(encoding="utf-8")).get("profiles", {})
        profile = flag_value(argv, "--profile") or env.get("AUDITFETCH_PROFILE")
        provider = profiles.get(profile, {}).get("provider")
    if provider is None:
        raise AssertionError(f"no provider found for {argv}")
    return provider


def assert_no_secret_in_argv(test: unittest.TestCase, argv: list[str], where: str) -> None:
    for arg in argv:
        test.assertNotIn(TOKEN, arg, f"{where}: a secret on the command line")
        test.assertNotIn(CLIENT_SECRET, arg, f"{where}: a secret on the command line")
        flag = arg.split("=", 1)[0]
        if flag.startswith("-"):
            test.assertIsNone(SECRET_FLAG.search(flag), f"{where}: {flag} looks like a secret passed as a flag value")


class Run:
    """One auditfetch run's outcome, with its NDJSON read back."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str):
        self.argv, self.returncode, self.stdout, self.stderr = argv, returncode, stdout, stderr

    def activities(self) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(self.stdout.splitlines(), 1):
            try:
                activity = json.loads(line)
            except ValueError:
                raise AssertionError(f"{self.argv}: stdout line {number} is not JSON: {line[:200]!r}") from None
            if not isinstance(activity, dict) or set(activity) != UNIFIED_KEYS:
                raise AssertionError(f"{self.argv}: stdout line {number} is not a unified activity: {line[:200]!r}")
            out.append(activity)
        return out


def assert_job_output(test: unittest.TestCase, run: Run, provider: str, expected_ids: set[str]) -> None:
    test.assertEqual(run.returncode, 0, f"{run.argv} exited {run.returncode}: {run.stderr}")
    test.assertEqual(run.stderr, "", f"{run.argv}: --quiet should leave stderr empty")
    activities = run.activities()
    test.assertEqual({a["id"] for a in activities}, expected_ids, run.argv)
    test.assertLessEqual({a["provider"] for a in activities}, {provider})


# --------------------------------------------------------------------------- systemd units


def read_unit(path: Path, sections: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, list[tuple[str, str]]]:
    """An INI-style unit file (or drop-in) laid over `sections`: every assignment in order; an
    empty assignment of a list setting stays in the list, as the reset it is."""
    sections = sections if sections is not None else {}
    current = None
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections.setdefault(current, [])
            continue
        if current is None or "=" not in line:
            raise AssertionError(f"{path}:{number}: not a unit file line: {raw!r}")
        key, value = line.split("=", 1)
        sections[current].append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    """The effective values of a list setting: an empty assignment drops the ones before it."""
    out: list[str] = []
    for k, v in unit.get(section, []):
        if k == key:
            out = [] if v == "" else out + [v]
    return out


def value(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str | None:
    found = [v for k, v in unit.get(section, []) if k == key]
    return found[-1] if found else None


def expand_unit_text(text: str, instance: str, env: dict[str, str], credentials: Path) -> str:
    """%-specifiers and ${VAR}/$VAR references, as systemd expands them in ExecStart."""
    def specifier(match: re.Match[str]) -> str:
        char = match.group(1)
        table = {"i": instance, "I": instance, "d": str(credentials), "%": "%",
                 "S": str(Path(env["STATE_DIRECTORY"]).parent)}
        if char not in table:
            raise AssertionError(f"specifier %{char} is not handled by this test")
        return table[char]

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise AssertionError(f"${name} is not set for the service")
        return env[name]

    text = re.sub(r"%(.)", specifier, text)
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", variable, text)


def parse_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, val = line.partition("=")
            env[key.strip()] = val.strip().strip('"')
    return env


def systemd_job(instance: str) -> dict[str, list[tuple[str, str]]]:
    unit = read_unit(SYSTEMD / "auditfetch@.service")
    for dropin in SYSTEMD_JOBS[instance]:
        read_unit(SYSTEMD / dropin, unit)
    return unit


def example_file(path: str) -> Path:
    """deploy/systemd's example of /etc/auditfetch/NAME."""
    return SYSTEMD / Path(path).name


class SystemdJob:
    """One instance of auditfetch@.service, set up as systemd would start it, in a temporary root."""

    def __init__(self, test: unittest.TestCase, instance: str, root: Path, emu: Any):
        self.unit = systemd_job(instance)
        self.instance = instance
        self.credentials = root / "run" / "credentials" / f"auditfetch@{instance}.service"
        self.state = root / "var" / "lib" / "auditfetch"
        self.logs = root / "var" / "log" / "auditfetch"
        for directory in (self.credentials, self.state, self.logs, root / "home"):
            directory.mkdir(parents=True, exist_ok=True)
        self.env = base_env(root / "home")
        self.env.update(STATE_DIRECTORY=str(self.state), CREDENTIALS_DIRECTORY=str(self.credentials))
        for spec in values(self.unit, "Service", "EnvironmentFile"):
            path = expand_unit_text(spec.lstrip("-"), instance, self.env, self.credentials)
            test.assertTrue(path.startswith("/etc/auditfetch/"), spec)
            self.env.update(parse_env_file(example_file(path)))
        for spec in values(self.unit, "Service", "LoadCredential"):
            ident, _, source = spec.partition(":")
            source = expand_unit_text(source, instance, self.env, self.credentials)
            test.assertTrue(source.startswith("/etc/auditfetch/"), f"LoadCredential={spec}: reads {source}")
            target = self.credentials / ident
            if example_file(source).exists():
                shutil.copyfile(example_file(source), target)
            elif ident in SECRET_VALUES:
                target.write_text(SECRET_VALUES[ident] + "\n", encoding="utf-8")
            else:
                test.fail(f"LoadCredential={spec}: neither an example file nor a secret this test knows")
            target.chmod(0o400)
        commands = values(self.unit, "Service", "ExecStart")
        test.assertEqual(len(commands), 1, f"{instance}: one ExecStart")
        command = commands[0]
        test.assertFalse(command[:1] in ("+", "!", ":"), f"ExecStart={command}: a prefix that lifts the sandbox")
        self.argv = shlex.split(expand_unit_text(command.lstrip("-@"), instance, self.env, self.credentials))
        test.assertEqual(self.argv[0], PACKAGED_BIN, "ExecStart runs the packaged binary")
        self.argv[0] = str(auditfetch_bin())
        self.provider = provider_of(self.argv, self.env)
        self.env.update(emulator_env(emu, self.provider))
        output = value(self.unit, "Service", "StandardOutput") or ""
        test.assertTrue(output.startswith("append:/var/log/auditfetch/"), f"StandardOutput={output}")
        self.output = self.logs / Path(expand_unit_text(output, instance, self.env, self.credentials)).name

    def run(self, timeout: float = 60) -> Run:
        with open(self.output, "ab") as out:
            start = out.tell()
            result = subprocess.run(self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.PIPE, timeout=timeout)
        with open(self.output, "rb") as out:
            out.seek(start)
            appended = out.read().decode("utf-8")
        return Run(self.argv, result.returncode, appended, result.stderr.decode("utf-8", "replace"))


class SystemdTest(EmulatorTestCase):
    maxDiff = None

    def setUp(self) -> None:
        super().setUp()
        self.recent = add_recent_activities(self.emu)
        self.root = Path(tempfile.mkdtemp(prefix="auditfetch-systemd-"))
        self.addCleanup(shutil.rmtree, self.root, True)

    def test_the_service_is_hardened_and_takes_its_secret_through_load_credential(self) -> None:
        unit = read_unit(SYSTEMD / "auditfetch@.service")
        for key, expected in HARDENING.items():
            self.assertEqual(value(unit, "Service", key), expected, f"{key}=")
        self.assertEqual(value(unit, "Service", "Type"), "oneshot")
        self.assertIn("@system-service", values(unit, "Service", "SystemCallFilter"))
        for job in SYSTEMD_JOBS:
            unit = systemd_job(job)
            command = values(unit, "Service", "ExecStart")[0]
            self.assertRegex(command, r"--state (\$\{STATE_DIRECTORY\}|%S/auditfetch)/%i\.json( |$)",
                             f"{job}: the checkpoint in the state directory, one file per job")
            credentials = values(unit, "Service", "LoadCredential")
            self.assertTrue(credentials, f"{job}: LoadCredential")
            self.assertRegex(command, r"--(token-file|config) (\$\{CREDENTIALS_DIRECTORY\}|%d)/",
                             f"{job}: credentials read from the credentials directory")
            for key, val in unit["Service"]:
                if key == "Environment":
                    self.assertIsNone(SECRET_FLAG.search(val), f"{job}: Environment={val} looks like a secret")
            for path in values(unit, "Service", "EnvironmentFile"):
                env = parse_env_file(example_file(path.replace("%i", job)))
                for name in env:
                    self.assertIsNone(re.search(r"(?i)token|secret|password|skey", name),
                                      f"{path}: {name} is a secret; it belongs in a credential")

    def test_the_timer_starts_its_service_every_quarter_hour_and_catches_up(self) -> None:
        timer = read_unit(SYSTEMD / "auditfetch@.timer")
        self.assertEqual(value(timer, "Timer", "OnCalendar"), "*:0/15")
        self.assertEqual(value(timer, "Timer", "Persistent"), "true")
        self.assertIsNone(value(timer, "Timer", "Unit"), "the timer starts the service of its own instance")
        self.assertEqual(value(timer, "Install", "WantedBy"), "timers.target")

    def test_the_log_directory_the_output_is_appended_to_is_created_by_tmpfiles(self) -> None:
        lines = [line.split() for line in (SYSTEMD / "auditfetch.tmpfiles").read_text().splitlines()
                 if line.strip() and not line.startswith("#")]
        self.assertIn(["d", "/var/log/auditfetch", "0750", "root", "adm", "-"], lines)
        output = value(read_unit(SYSTEMD / "auditfetch@.service"), "Service", "StandardOutput")
        self.assertEqual(output, "append:/var/log/auditfetch/%i.ndjson")

    def test_each_job_runs_as_the_unit_runs_it_and_goes_on_from_its_checkpoint(self) -> None:
        for instance in SYSTEMD_JOBS:
            with self.subTest(instance=instance):
                job = SystemdJob(self, instance, self.root / instance, self.emu)
                assert_no_secret_in_argv(self, job.argv, f"auditfetch@{instance}.service")
                first = job.run()
                assert_job_output(self, first, job.provider, self.recent[job.provider])
                self.assertTrue((job.state / f"{instance}.json").is_file(), "the checkpoint is saved")
                second = job.run()
                assert_job_output(self, second, job.provider, set())

    def units_for_systemd_analyze(self) -> Path:
        """The units with the packaged binary's path replaced by the binary under test, and the
        example jobs' drop-ins, in a directory of their own."""
        work = self.root / "units"
        work.mkdir()
        for name in ("auditfetch@.service", "auditfetch@.timer"):
            text = (SYSTEMD / name).read_text(encoding="utf-8").replace(PACKAGED_BIN, str(auditfetch_bin()))
            (work / name).write_text(text, encoding="utf-8")
        for instance, dropins in SYSTEMD_JOBS.items():
            for dropin in dropins:
                directory = work / f"auditfetch@{instance}.service.d"
                directory.mkdir(exist_ok=True)
                text = (SYSTEMD / dropin).read_text(encoding="utf-8").replace(PACKAGED_BIN, str(auditfetch_bin()))
                (directory / dropin).write_text(text, encoding="utf-8")
        return work

    def systemd_analyze(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (Debian package systemd)")
        return subprocess.run(["systemd-analyze", *args], cwd=cwd, capture_output=True, text=True, timeout=120)

    def test_systemd_analyze_verify_finds_nothing_to_say(self) -> None:
        work = self.units_for_systemd_analyze()
        units = [f"./auditfetch@{instance}.service" for instance in SYSTEMD_JOBS]
        result = self.systemd_analyze("verify", "--man=no", *units, f"./auditfetch@{next(iter(SYSTEMD_JOBS))}.timer",
                                      cwd=work)
        self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))
        # The control: the same check does speak up about a broken unit here.
        broken = work / "auditfetch@.service"
        broken.write_text(broken.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
        result = self.systemd_analyze("verify", "--man=no", units[0], cwd=work)
        self.assertIn("Unknown key 'ProtectSytem'", result.stdout + result.stderr)

    def test_systemd_analyze_security_rates_the_exposure_at_most_2(self) -> None:
        work = self.units_for_systemd_analyze()
        for instance in SYSTEMD_JOBS:
            result = self.systemd_analyze("security", "--offline=yes", "--threshold=20", "--no-pager",
                                          f"./auditfetch@{instance}.service", cwd=work)
            summary = (result.stdout + result.stderr).strip().splitlines()[-1:]
            self.assertEqual(result.returncode, 0, f"auditfetch@{instance}.service: {summary}")

    def test_a_run_stays_within_the_system_call_filter_and_address_families(self) -> None:
        if shutil.which("strace") is None:
            self.skipTest("strace is not installed")
        if sanitizer_build():
            self.skipTest("a sanitizer build: its runtime traces itself and makes calls of its own (setrlimit, ...)")
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (Debian package systemd)")
        job = SystemdJob(self, "okta-acme", self.root / "okta-acme", self.emu)
        trace = self.root / "trace"
        probe = subprocess.run(["strace", "-o", os.devnull, "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest(f"strace cannot trace here: {probe.stderr.strip()}")
        job.argv = ["strace", "-f", "-qq", "-o", str(trace), *job.argv]
        assert_job_output(self, job.run(), "okta", self.recent["okta"])
        used: set[str] = set()
        families: set[str] = set()
        writable_exec = []
        for line in trace.read_text(errors="replace").splitlines():
            match = re.match(r"\d+\s+(?:<\.\.\. )?(\w+)[( ]", line)
            if not match:
                continue
            used.add(match.group(1))
            # With -f, a call another thread interrupts is split: "socket(AF_INET, ... <unfinished ...>"
            # and later "<... socket resumed>) = 3". The family is on the first part only.
            if match.group(1) == "socket" and "resumed>" not in line:
                families.add(re.search(r"socket\((\w+)", line).group(1))
            if match.group(1) in ("mmap", "mprotect", "pkey_mprotect") and "PROT_WRITE" in line and "PROT_EXEC" in line:
                writable_exec.append(line)
        used.discard("execve")  # the exec of auditfetch itself, before the filter would apply
        groups = syscall_groups()
        unit = read_unit(SYSTEMD / "auditfetch@.service")
        allowed: set[str] = set()
        denied: set[str] = set()
        for spec in values(unit, "Service", "SystemCallFilter"):
            names = spec.lstrip("~").split()
            expanded = set().union(*(expand_group(groups, n) for n in names))
            (denied if spec.startswith("~") else allowed).update(expanded)
        self.assertEqual(sorted(used - (allowed - denied)), [], "system calls the unit's filter refuses")
        permitted = set(value(unit, "Service", "RestrictAddressFamilies").split())
        self.assertLessEqual(families, permitted)
        self.assertEqual(writable_exec, [], "MemoryDenyWriteExecute=yes refuses these")


def sanitizer_build() -> bool:
    """Whether the binary under test carries AddressSanitizer's or UBSan's runtime."""
    if any(os.environ.get(name) for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")):
        return True
    tail = b""
    with open(auditfetch_bin(), "rb") as binary:
        while chunk := binary.read(1 << 20):
            if b"__asan_init" in tail + chunk or b"__ubsan_handle_" in tail + chunk:
                return True
            tail = chunk[-32:]
    return False


def syscall_groups() -> dict[str, list[str]]:
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"], capture_output=True, text=True).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.split()[0]
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.split()[0])
    return groups


def expand_group(groups: dict[str, list[str]], name: str) -> set[str]:
    if not name.startswith("@"):
        return {name}
    return set().union(*(expand_group(groups, member) for member in groups[name]))


# --------------------------------------------------------------------------- the container image


def dockerfile_stages(path: Path = DOCKERFILE) -> list[list[tuple[str, str]]]:
    """Instructions (upper-case name, arguments) per stage; line continuations joined."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        instruction, _, args = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        if not stages:
            raise AssertionError(f"{path}: {instruction} before FROM")
        stages[-1].append((instruction, " ".join(args.split())))
    return stages


def instruction_args(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [args for instruction, args in stage if instruction == name]


def exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), args
    return parsed


def image_entrypoint() -> list[str]:
    return exec_form(instruction_args(dockerfile_stages()[-1], "ENTRYPOINT")[-1])


def image_user() -> str:
    return instruction_args(dockerfile_stages()[-1], "USER")[-1]


def deps_packages() -> set[str]:
    text = (REPO / "scripts" / "deps").read_text(encoding="utf-8")
    block = re.search(r"packages=\((.*?)\n\)", text, re.S).group(1)
    return {word for line in block.splitlines() for word in line.split("#")[0].split()}


class ContainerImageTest(unittest.TestCase):
    maxDiff = None

    def test_the_runtime_stage_is_debian_12_slim_with_a_non_root_user(self) -> None:
        stages = dockerfile_stages()
        self.assertGreaterEqual(len(stages), 2, "a build stage and a runtime stage")
        runtime = stages[-1]
        self.assertEqual(runtime[0], ("FROM", "debian:12-slim"))
        user = image_user()
        self.assertRegex(user, r"^[0-9]+(:[0-9]+)?$", "a numeric user, which runAsNonRoot can check")
        self.assertNotIn("0", user.split(":"), "not root")

    def test_the_runtime_stage_holds_the_binary_and_ca_certificates_only(self) -> None:
        runtime = dockerfile_stages()[-1]
        copies = [args.split() for args in instruction_args(runtime, "COPY")]
        self.assertEqual(instruction_args(runtime, "ADD"), [])
        binaries = [c for c in copies if c[-1] == PACKAGED_BIN]
        self.assertEqual(len(binaries), 1, copies)
        self.assertEqual(binaries[0][0], "--from=build")
        others = [c for c in copies if c[-1] != PACKAGED_BIN]
        self.assertEqual([c[-1] for c in others], ["/tmp/runtime-packages"], "nothing else is copied in")
        runs = instruction_args(runtime, "RUN")
        self.assertEqual(len(runs), 1)
        self.assertIn("rm -rf /var/lib/apt/lists/*", runs[0])
        self.assertIn("/tmp/runtime-packages", runs[0].split("rm -rf", 1)[1], "the list is removed again")
        install = re.search(r"apt-get install (.*?)(&&|$)", runs[0]).group(1).split()
        named = [word for word in install if not word.startswith("-")]
        self.assertEqual(named, ["ca-certificates"], "ca-certificates, and the binary's Depends from the list")
        self.assertIn("--no-install-recommends", install)
        self.assertIn("xargs --arg-file=/tmp/runtime-packages", runs[0])
        self.assertEqual(image_entrypoint(), [PACKAGED_BIN])

    def test_the_build_stage_installs_only_packages_the_project_builds_with(self) -> None:
        build = dockerfile_stages()[0]
        self.assertEqual(build[0], ("FROM", "debian:12 AS build"))
        run = instruction_args(build, "RUN")[0]
        install = re.search(r"apt-get install (.*?)&&", run).group(1).split()
        packages = {word for word in install if not word.startswith("-")}
        self.assertLessEqual(packages, deps_packages(), "packages scripts/deps does not install")
        self.assertIn("-DAUDITFETCH_TESTS=OFF", instruction_args(build, "RUN")[1])

    def test_what_the_build_copies_exists_and_passes_the_dockerignore(self) -> None:
        build = dockerfile_stages()[0]
        ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        admitted = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
        self.assertIn("*", ignore)
        for args in instruction_args(build, "COPY"):
            for source in args.split()[:-1]:
                self.assertTrue((REPO / source).exists(), f"COPY {source}: no such path")
                self.assertIn(source.rstrip("/"), admitted, f"COPY {source}: excluded by Dockerfile.dockerignore")
        # everything the CMake build reads is copied
        for needed in ("CMakeLists.txt", "cmake", "src", "include", "providers", "man", "completions", "LICENSE"):
            self.assertIn(needed, admitted)

    def test_the_runtime_packages_are_the_binarys_depends_as_the_dockerfile_derives_them(self) -> None:
        if shutil.which("dpkg-shlibdeps") is None:
            self.skipTest("dpkg-shlibdeps is not installed (Debian package dpkg-dev)")
        run = instruction_args(dockerfile_stages()[0], "RUN")[1]
        sed = re.search(r"\| (sed -E '[^']*')", run).group(1)
        with tempfile.TemporaryDirectory() as work:
            (Path(work) / "debian").mkdir()
            (Path(work) / "debian" / "control").write_text("Source: x\n\nPackage: x\nArchitecture: any\n")
            result = subprocess.run(["dpkg-shlibdeps", "-O", str(auditfetch_bin())], cwd=work,
                                    capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        depends = re.search(r"^shlibs:Depends=(.*)$", result.stdout, re.M).group(1)
        derived = subprocess.run(["sh", "-c", sed], input=depends, capture_output=True, text=True, check=True)
        packages = derived.stdout.split()
        self.assertIn("libssl3", packages)
        self.assertTrue(all(re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", p) for p in packages), packages)
        installed = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\n", *packages], capture_output=True,
                                   text=True)
        self.assertEqual(sorted(installed.stdout.split()), sorted(packages), installed.stderr)

    def test_entrypoint_and_cmd_run(self) -> None:
        runtime = dockerfile_stages()[-1]
        argv = image_entrypoint() + exec_form(instruction_args(runtime, "CMD")[-1])
        argv[0] = str(auditfetch_bin())
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                env=base_env(Path(tempfile.gettempdir())), stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^okta ")


# --------------------------------------------------------------------------- Kubernetes


def k8s_documents() -> list[dict[str, Any]]:
    if yaml is None:
        raise unittest.SkipTest("PyYAML is not installed (Debian package python3-yaml)")
    return [d for d in yaml.safe_load_all(CRONJOBS.read_text(encoding="utf-8")) if d is not None]


def pod_spec(cronjob: dict[str, Any]) -> dict[str, Any]:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def deploy_check_dir() -> Path:
    """tests/e2e/deploy_check installed with `npm ci` (once per lock file) into the build
    directory, or a cache directory without one."""
    lock = (DEPLOY_CHECK / "package-lock.json").read_bytes()
    key = hashlib.sha256(lock + (DEPLOY_CHECK / "validate.mjs").read_bytes()).hexdigest()[:12]
    base = Path(os.environ.get("AUDITFETCH_BUILD_DIR") or Path(os.environ.get("XDG_CACHE_HOME")
                                                               or Path.home() / ".cache") / "auditfetch")
    target = base / f"deploy-check-{key}"
    if (target / "node_modules" / ".package-lock.json").exists():
        return target
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise unittest.SkipTest("node and npm are not installed: the Kubernetes schema check needs them")
    staging = Path(tempfile.mkdtemp(prefix="deploy-check-", dir=base if base.exists() else None))
    try:
        for name in ("package.json", "package-lock.json", "validate.mjs"):
            shutil.copyfile(DEPLOY_CHECK / name, staging / name)
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                                cwd=staging, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise unittest.SkipTest(f"npm ci failed (no registry?): {result.stderr.strip()[-500:]}")
        base.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def run_validator(*files: Path) -> subprocess.CompletedProcess[str]:
    tool = deploy_check_dir()
    return subprocess.run(["node", str(tool / "validate.mjs"), *map(str, files)], cwd=tool, capture_output=True,
                          text=True, timeout=300)


class KubernetesTest(EmulatorTestCase):
    maxDiff = None

    def setUp(self) -> None:
        super().setUp()
        self.docs = k8s_documents()
        self.cronjobs = [d for d in self.docs if d["kind"] == "CronJob"]
        self.claims = {d["metadata"]["name"]: d for d in self.docs if d["kind"] == "PersistentVolumeClaim"}
        self.assertGreaterEqual(len(self.cronjobs), 2)

    def test_the_manifests_match_the_kubernetes_schema(self) -> None:
        result = run_validator(CRONJOBS)
        self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-2000:])
        self.assertEqual(result.stdout.splitlines()[-1], "ok")
        # YAML 1.2 (the validator's parser) reads what YAML 1.1 (PyYAML, like Kubernetes' own
        # parser) reads: no octal modes, yes/no or other values that the two read differently.
        parsed = [json.loads(line)["document"] for line in result.stdout.splitlines() if line.startswith("{")]
        self.assertEqual(parsed, self.docs)

    def test_the_schema_check_rejects_broken_manifests(self) -> None:
        # The control: an unknown field, a wrong enum value and a missing required field each fail.
        text = CRONJOBS.read_text(encoding="utf-8")
        broken = {"unknown field": text.replace("  concurrencyPolicy: Forbid", "  concurencyPolicy: Forbid", 1),
                  "enum": text.replace("  restartPolicy: Never", "  restartPolicy: Sometimes", 1),
                  "required": text.replace("- name: auditfetch\n", "- \n", 1)}
        with tempfile.TemporaryDirectory() as work:
            for what, content in broken.items():
                self.assertNotEqual(content, text, what)
                path = Path(work) / f"{what.replace(' ', '-')}.yaml"
                path.write_text(content, encoding="utf-8")
                result = run_validator(path)
                self.assertEqual(result.returncode, 1, f"{what}: {result.stdout[-1000:]}")
                self.assertIn("error: ", result.stdout, what)

    def test_each_cronjob_runs_alone_with_its_own_claim_and_secrets_from_a_secret(self) -> None:
        names, claims_used = set(), []
        for cronjob in self.cronjobs:
            name = cronjob["metadata"]["name"]
            with self.subTest(cronjob=name):
                spec = cronjob["spec"]
                self.assertEqual(spec["concurrencyPolicy"], "Forbid")
                pod = pod_spec(cronjob)
                self.assertEqual(pod["restartPolicy"], "Never")
                self.assertIs(pod.get("automountServiceAccountToken"), False)
                self.assertIs(pod["securityContext"]["runAsNonRoot"], True)
                self.assertEqual(str(pod["securityContext"]["runAsUser"]), image_user().split(":")[0],
                                 "the image's user")
                self.assertEqual(len(pod["containers"]), 1)
                container = pod["containers"][0]
                self.assertNotIn("command", container, "the image's ENTRYPOINT runs auditfetch")
                self.assertIs(container["securityContext"]["readOnlyRootFilesystem"], True)
                self.assertIs(container["securityContext"]["allowPrivilegeEscalation"], False)
                volumes = {v["name"]: v for v in pod["volumes"]}
                mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
                state = flag_value(container["args"], "--state")
                self.assertIsNotNone(state)
                names.add(state)
                volume = mounts.get(str(Path(state).parent))
                self.assertIsNotNone(volume, f"--state {state}: no volume mounted at its directory")
                claim = volume["persistentVolumeClaim"]["claimName"]
                self.assertIn(claim, self.claims, "a claim in the same file")
                self.assertEqual(self.claims[claim]["spec"]["accessModes"], ["ReadWriteOnce"])
                claims_used.append(claim)
                assert_no_secret_in_argv(self, container["args"], name)
                for variable in container.get("env", []):
                    if SECRET_FLAG.search(variable["name"]) or variable["name"].endswith("_CLIENT_ID"):
                        self.assertNotIn("value", variable, f"{variable['name']}: a literal credential")
                        self.assertIn("secretKeyRef", variable["valueFrom"])
                token_file = flag_value(container["args"], "--token-file")
                if token_file is not None:
                    self.assertIn("secret", mounts.get(str(Path(token_file).parent), {}),
                                  f"--token-file {token_file}: not in a mounted Secret")
                self.assertTrue(token_file or any("secretKeyRef" in v.get("valueFrom", {})
                                                  for v in container.get("env", [])), "credentials from a Secret")
        self.assertEqual(len(claims_used), len(set(claims_used)), "each job has a claim of its own")
        self.assertEqual(len(names), len(self.cronjobs), "each job has a state file of its own")

    def test_each_cronjob_runs_as_its_pod_would_and_goes_on_from_its_checkpoint(self) -> None:
        recent = add_recent_activities(self.emu)
        for cronjob in self.cronjobs:
            name = cronjob["metadata"]["name"]
            with self.subTest(cronjob=name), tempfile.TemporaryDirectory(prefix="auditfetch-pod-") as work:
                pod = pod_spec(cronjob)
                container = pod["containers"][0]
                volumes = {v["name"]: v for v in pod["volumes"]}
                moved: dict[str, str] = {}  # mountPath → its directory here
                for number, mount in enumerate(container["volumeMounts"]):
                    here = Path(work) / f"volume{number}"
                    here.mkdir()
                    volume = volumes[mount["name"]]
                    if "secret" in volume:
                        for key, val in K8S_SECRETS[volume["secret"]["secretName"]].items():
                            (here / key).write_text(val + "\n", encoding="utf-8")
                            (here / key).chmod(volume["secret"].get("defaultMode", 0o644))
                    moved[mount["mountPath"]] = str(here)
                env = base_env(Path(work))
                for variable in container.get("env", []):
                    if "value" in variable:
                        env[variable["name"]] = variable["value"]
                    else:
                        ref = variable["valueFrom"]["secretKeyRef"]
                        env[variable["name"]] = K8S_SECRETS[ref["name"]][ref["key"]]
                argv = image_entrypoint() + container["args"]
                for mount_path, here in moved.items():
                    argv = [re.sub(rf"(^|=){re.escape(mount_path)}/", rf"\g<1>{here}/", a) for a in argv]
                argv[0] = str(auditfetch_bin())
                provider = provider_of(argv, env)
                env.update(emulator_env(self.emu, provider))
                for attempt, expected in (("first", recent[provider]), ("second", set())):
                    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60,
                                            stdin=subprocess.DEVNULL)
                    assert_job_output(self, Run(argv, result.returncode, result.stdout, result.stderr), provider,
                                      expected)
                self.assertTrue(Path(flag_value(argv, "--state")).is_file())


# --------------------------------------------------------------------------- Vector

# The options of each component type this config uses, from Vector's configuration reference.
VECTOR_OPTIONS = {
    ("sources", "exec"): {"type", "mode", "command", "include_stderr", "maximum_buffer_size_bytes", "framing",
                          "decoding", "streaming", "scheduled", "environment", "clear_environment",
                          "working_directory"},
    ("transforms", "route"): {"type", "inputs", "route", "reroute_unmatched"},
    ("transforms", "remap"): {"type", "inputs", "source", "file", "drop_on_error", "drop_on_abort",
                              "reroute_dropped", "timezone", "metric_tag_values"},
    ("sinks", "http"): {"type", "inputs", "uri", "method", "compression", "encoding", "framing", "auth", "buffer",
                        "batch", "request", "tls", "acknowledgements", "healthcheck", "headers", "payload_prefix",
                        "payload_suffix"},
    ("sinks", "file"): {"type", "inputs", "path", "encoding", "framing", "compression", "buffer",
                        "acknowledgements", "idle_timeout_secs"},
    ("sinks", "console"): {"type", "inputs", "target", "encoding", "framing", "buffer", "acknowledgements"},
}


class VectorTest(EmulatorTestCase):
    maxDiff = None

    def setUp(self) -> None:
        super().setUp()
        self.config = tomllib.loads(VECTOR.read_text(encoding="utf-8"))
        self.components = {(kind, name): body for kind in ("sources", "transforms", "sinks")
                           for name, body in self.config.get(kind, {}).items()}
        self.sources = {name: body for (kind, name), body in self.components.items() if kind == "sources"}

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Every name an `inputs` entry may use → the component it comes from."""
        out = {}
        for (kind, name), body in self.components.items():
            if kind == "sinks":
                continue
            out[name] = (kind, name)
            if body["type"] == "route":
                for route in list(body["route"]) + ["_unmatched"]:
                    out[f"{name}.{route}"] = (kind, name)
            if body["type"] == "remap" and body.get("reroute_dropped"):
                out[f"{name}.dropped"] = (kind, name)
        return out

    def upstream(self, kind: str, name: str) -> set[tuple[str, str]]:
        """Components whose events reach (kind, name), following inputs (wildcards included)."""
        outputs, seen, todo = self.outputs(), set(), [(kind, name)]
        while todo:
            component = todo.pop()
            for pattern in self.components[component].get("inputs", []):
                matched = [c for out, c in outputs.items() if re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), out)]
                self.assertTrue(matched, f"{component[1]}: input {pattern!r} matches no component")
                for c in matched:
                    self.assertNotEqual(c, (kind, name), f"{name}: a cycle through {pattern!r}")
                    if c not in seen:
                        seen.add(c)
                        todo.append(c)
        return seen

    def test_components_use_options_vector_has(self) -> None:
        self.assertTrue(self.sources)
        for (kind, name), body in self.components.items():
            allowed = VECTOR_OPTIONS.get((kind, body.get("type")))
            self.assertIsNotNone(allowed, f"{kind}.{name}: type {body.get('type')!r} is not one this test knows")
            self.assertLessEqual(set(body), allowed, f"{kind}.{name}: unknown options")

    def test_exec_sources_stream_auditfetch_tail_as_ndjson(self) -> None:
        for name, source in self.sources.items():
            with self.subTest(source=name):
                self.assertEqual(source["type"], "exec")
                self.assertEqual(source["mode"], "streaming")
                self.assertIs(source["streaming"]["respawn_on_exit"], True)
                command = source["command"]
                self.assertEqual(command[:2], [PACKAGED_BIN, "tail"])
                self.assertEqual(flag_value(command, "--output", "-o"), "ndjson")
                self.assertIsNotNone(flag_value(command, "--state"), "a checkpoint, so a respawn goes on")
                assert_no_secret_in_argv(self, command, f"sources.{name}")
                self.assertEqual(source["framing"]["method"], "newline_delimited")
                self.assertIs(source["include_stderr"], True, "else Vector sends auditfetch's errors to /dev/null")

    def test_every_activity_is_json_decoded_and_reaches_a_sink(self) -> None:
        sinks = {name: body for (kind, name), body in self.components.items() if kind == "sinks"}
        shipping = [name for name, body in sinks.items() if body["type"] in ("http", "file")]
        self.assertTrue(shipping, "an http or file sink")
        for name in shipping:
            sink = sinks[name]
            chain = self.upstream("sinks", name)
            self.assertLessEqual({("sources", s) for s in self.sources}, chain, f"{name}: every source reaches it")
            decoders = [c for c in chain if self.components[c]["type"] == "remap"
                        and "parse_json" in self.components[c]["source"]]
            decoded_at_source = all(self.sources[s].get("decoding", {}).get("codec") == "json" for s in self.sources)
            self.assertTrue(decoders or decoded_at_source, f"{name}: no JSON decoding on the way")
            routes = [c for c in chain if self.components[c]["type"] == "route"]
            self.assertTrue(routes, f"{name}: stderr lines must be kept away from the activities")
            for route in routes:
                used = [p for c in chain | {("sinks", name)} for p in self.components[c].get("inputs", [])
                        if p.startswith(route[1] + ".")]
                for pattern in used:
                    self.assertEqual(self.components[route]["route"][pattern.split(".", 1)[1]], '.stream == "stdout"')
            self.assertEqual(sink["encoding"]["codec"], "json")
            if sink["type"] == "http":
                self.assertEqual(sink.get("framing", {}).get("method"), "newline_delimited")
                token = sink.get("auth", {}).get("token")
                if token is not None:
                    self.assertRegex(token, r"^\$\{\w+\}$", "the sink's secret comes from the environment")
                self.assertEqual(sink["buffer"]["type"], "disk", "the exec source cannot acknowledge")

    def test_the_tail_command_runs_and_stops_cleanly_on_vectors_sigterm(self) -> None:
        recent = add_recent_activities(self.emu)
        for name, source in self.sources.items():
            with self.subTest(source=name), tempfile.TemporaryDirectory(prefix="auditfetch-vector-") as work:
                argv = list(source["command"])
                argv[0] = str(auditfetch_bin())
                token_file = flag_value(argv, "--token-file")
                if token_file is not None:
                    here = Path(work) / "token"
                    here.write_text(TOKEN + "\n", encoding="utf-8")
                    here.chmod(0o600)
                    argv[argv.index(token_file)] = str(here)
                state = Path(work) / Path(flag_value(argv, "--state")).name
                argv[argv.index(flag_value(argv, "--state"))] = str(state)
                env = base_env(Path(work))
                env.update(source.get("environment", {}))
                provider = provider_of(argv, env)
                env.update(emulator_env(self.emu, provider))
                for attempt, expected in (("first", recent[provider]), ("respawned", set())):
                    lines = self.tail_until_sigterm(argv, {k: v for k, v in env.items() if k not in ("PATH", "HOME")},
                                                    len(expected))
                    # The route and remap: stdout lines, each parsed as JSON, are the events.
                    self.assertEqual({json.loads(line)["id"] for line in lines["stdout"]}, expected, attempt)
                    self.assertEqual(lines["stderr"], [], attempt)
                    self.assertTrue(state.is_file(), attempt)

    def tail_until_sigterm(self, argv: list[str], env: dict[str, str], count: int) -> dict[str, list[str]]:
        """Runs tail as Vector's exec source does (stdin /dev/null, stdout and stderr piped) until
        `count` activities are printed (with none expected: its first listing was served, and a
        little more), then sends SIGTERM as Vector does at shutdown; exit status 0 expected."""
        self.emu.clear_requests()
        process = TailProcess(argv[1:], env=env)
        try:
            if count:
                printed = process.wait_for(lambda: len(process.lines()) >= count, 30)
                self.assertTrue(printed, process.describe())
            else:
                served = process.wait_for(lambda: bool(self.emu.requests()), 30)
                self.assertTrue(served, process.describe())
                process.wait_for(lambda: bool(process.lines()), 1.5)
            self.assertTrue(process.running(), process.describe())
            process.signal(signal.SIGTERM)
            self.assertEqual(process.wait(30), 0, process.describe())
            return {"stdout": process.lines(), "stderr": process.stderr().splitlines()}
        finally:
            process.stop()


# --------------------------------------------------------------------------- README


class ReadmeTest(unittest.TestCase):
    def test_the_deployment_section_names_every_example(self) -> None:
        readme = (REPO / "README.md").read_text(encoding="utf-8")
        match = re.search(r"^## Deployment\n(.*?)(?=^## )", readme, re.S | re.M)
        self.assertIsNotNone(match, "README.md has no section Deployment")
        section = match.group(1)
        for path in sorted(DEPLOY.rglob("*")):
            if path.is_file():
                relative = path.relative_to(REPO).as_posix()
                self.assertTrue(relative in section or path.name in section,
                                f"README's Deployment section does not mention {relative}")
        headings = re.findall(r"^## (.+)$", readme, re.M)
        self.assertGreater(headings.index("Deployment"), headings.index("Usage"))
        # How auditfetch is developed (Architecture among it) is in CONTRIBUTING.md, not here.
        self.assertNotIn("Architecture", headings)


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    unittest.main()
