"""The Debian package: what cpack builds from the build directory, and, as root, that it
installs where the system looks and is removed cleanly.

The package is built with `cpack -G DEB` from AUDITFETCH_BUILD_DIR (set by tests/CMakeLists.txt;
default: the directory of AUDITFETCH_BIN), so it holds the binary already built. Its fields and
files are checked with dpkg-deb. As root (CI runs as root), `dpkg -i` installs it; then
`man auditfetch` renders, bash (bash-completion's on-demand loading), zsh (the default $fpath)
and fish (vendor_completions.d) complete from the installed files alone, and `dpkg -r` removes
every file. A machine where auditfetch is already installed is left alone (skipped).
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from test_completions import (FORMATS, BashCompleter, FishCompleter, ZshCompleter, defined_options, help_text,
                              shell_environment)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AUDITFETCH_BIN") or REPO / "build" / "auditfetch").resolve()
BUILD_DIR = Path(os.environ.get("AUDITFETCH_BUILD_DIR") or BIN.parent).resolve()
VERSION = re.search(r"project\(auditfetch VERSION (\S+)", (REPO / "CMakeLists.txt").read_text()).group(1)

INSTALLED = {  # path in the package → the source file it comes from (None: built)
    "usr/bin/auditfetch": None,
    "usr/share/man/man1/auditfetch.1.gz": REPO / "man" / "auditfetch.1",
    "usr/share/bash-completion/completions/auditfetch": REPO / "completions" / "auditfetch.bash",
    "usr/share/zsh/vendor-completions/_auditfetch": REPO / "completions" / "_auditfetch",
    "usr/share/fish/vendor_completions.d/auditfetch.fish": REPO / "completions" / "auditfetch.fish",
    "usr/share/doc/auditfetch/copyright": REPO / "LICENSE",
}


def run(args, check=False, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def dpkg(*args: str) -> subprocess.CompletedProcess[str]:
    """dpkg, waiting (up to a minute) while another dpkg or apt holds its lock."""
    deadline = time.monotonic() + 60
    while True:
        result = run(["dpkg", *args])
        if result.returncode == 0 or "lock" not in result.stderr or time.monotonic() > deadline:
            return result
        time.sleep(2)


def package_status(name: str) -> str:
    result = run(["dpkg-query", "-W", "-f=${Status}", name])
    return result.stdout if result.returncode == 0 else "not-installed"


def linked_packages(binary: Path) -> set[str]:
    """The Debian packages that hold the shared libraries `binary` loads (by ldd)."""
    packages = set()
    for line in run(["ldd", binary], check=True).stdout.splitlines():
        match = re.search(r"=> (/\S+)", line)
        if not match:
            continue  # the vDSO, the dynamic loader
        owner = run(["dpkg", "-S", os.path.realpath(match.group(1))])
        if owner.returncode != 0:
            owner = run(["dpkg", "-S", match.group(1)])
        if owner.returncode == 0:
            packages.add(owner.stdout.split(":", 1)[0].split(",")[0].strip())
    return packages


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(f"{tool} is not installed (scripts/deps installs cmake and dpkg-dev)")
        if not (BUILD_DIR / "CPackConfig.cmake").exists():
            raise AssertionError(f"{BUILD_DIR} has no CPackConfig.cmake: set AUDITFETCH_BUILD_DIR to the build "
                                 "directory (configured with this CMakeLists.txt)")
        cls._tmp = tempfile.TemporaryDirectory(prefix="auditfetch-deb-")
        cls.work = Path(cls._tmp.name)
        started = time.monotonic()
        # -B: the staging area and the package go to a directory of this test's own.
        run(["cpack", "-G", "DEB", "--config", BUILD_DIR / "CPackConfig.cmake", "-B", cls.work / "out"],
            check=True, cwd=BUILD_DIR)
        cls.cpack_seconds = time.monotonic() - started
        debs = glob.glob(str(cls.work / "out" / "**" / "auditfetch_*.deb"), recursive=True)
        if len(debs) != 1:
            raise AssertionError(f"cpack made {debs}, not one .deb")
        cls.deb = Path(debs[0])
        cls.tree = cls.work / "tree"
        run(["dpkg-deb", "-x", cls.deb, cls.tree], check=True)

    @classmethod
    def tearDownClass(cls) -> None:
        cls._tmp.cleanup()

    def field(self, name: str) -> str:
        return run(["dpkg-deb", "-f", self.deb, name], check=True).stdout.strip()

    def test_the_control_fields_describe_the_package(self) -> None:
        arch = run(["dpkg", "--print-architecture"], check=True).stdout.strip()
        self.assertEqual(self.deb.name, f"auditfetch_{VERSION}-1_{arch}.deb")
        self.assertEqual(self.field("Package"), "auditfetch")
        self.assertEqual(self.field("Version"), f"{VERSION}-1")
        self.assertEqual(self.field("Architecture"), arch)
        self.assertEqual(self.field("Section"), "admin")
        self.assertEqual(self.field("Priority"), "optional")
        self.assertRegex(self.field("Maintainer"), r"^[^<>]+ <[^@\s]+@[^>\s]+>$")
        description = self.field("Description").splitlines()
        self.assertEqual(description[0], "Fetch audit and activity logs from SaaS and identity platforms")
        self.assertGreater(len(description), 1)  # a long description too
        self.assertTrue(all(len(line) <= 80 and line.startswith(" ") for line in description[1:]), description)
        self.assertIn("ca-certificates", self.field("Recommends"))

    def test_depends_names_every_library_the_binary_links(self) -> None:
        depends = {re.split(r"[\s(]", item.strip())[0] for item in self.field("Depends").split(",")}
        binary = self.tree / "usr/bin/auditfetch"
        needed = linked_packages(binary)
        self.assertTrue({"libssl3", "libdeflate0", "libfmt9", "libc6"} <= needed, needed)
        self.assertEqual(needed - depends, set(), f"Depends: {self.field('Depends')}")
        # Nothing that is not needed (a static header-only library, say).
        self.assertEqual(depends - needed, set(), f"Depends: {self.field('Depends')}")

    def test_the_files_are_where_the_system_looks_owned_by_root(self) -> None:
        listing = run(["dpkg-deb", "-c", self.deb], check=True).stdout.splitlines()
        files = {}
        for line in listing:
            mode, owner, _size, _date, _time, path = line.split(None, 5)
            self.assertEqual(owner, "root/root", line)
            if not mode.startswith("d"):
                files[path.removeprefix("./")] = mode
        self.assertEqual(set(files), set(INSTALLED))
        self.assertEqual(files["usr/bin/auditfetch"], "-rwxr-xr-x")
        for path in set(INSTALLED) - {"usr/bin/auditfetch"}:
            self.assertEqual(files[path], "-rw-r--r--", path)

    def test_the_files_are_the_sources_and_the_man_page_is_gzipped(self) -> None:
        for path, source in INSTALLED.items():
            if source is None:
                continue
            with self.subTest(path=path):
                data = (self.tree / path).read_bytes()
                if path.endswith(".gz"):
                    self.assertEqual(data[:2], b"\x1f\x8b")
                    self.assertEqual(data[4:8], b"\0\0\0\0", "gzip -n: no time stamp")
                    data = gzip.decompress(data)
                self.assertEqual(data, source.read_bytes())

    def test_the_binary_is_stripped_and_runs(self) -> None:
        binary = self.tree / "usr/bin/auditfetch"
        self.assertTrue(os.stat(binary).st_mode & stat.S_IXUSR)
        sections = run(["readelf", "-S", "-W", binary], check=True).stdout
        self.assertNotIn(".symtab", sections)
        self.assertNotIn(".debug_info", sections)
        self.assertLess(binary.stat().st_size, BIN.stat().st_size)
        version = run([binary, "--version"], check=True).stdout
        self.assertTrue(version.startswith(f"auditfetch {VERSION}\nbuilt with OpenSSL "), version)

    def test_cpack_takes_seconds(self) -> None:
        self.assertLess(self.cpack_seconds, 120)


class CmakeInstallTest(unittest.TestCase):
    def test_cmake_install_puts_the_files_where_a_prefix_expects_them(self) -> None:
        with tempfile.TemporaryDirectory(prefix="auditfetch-prefix-") as prefix:
            run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], check=True)
            files = {str(path.relative_to(prefix)) for path in Path(prefix).rglob("*") if not path.is_dir()}
            # GNUInstallDirs; zsh's site-functions, which zsh searches under /usr/local.
            self.assertEqual(files, {"bin/auditfetch", "share/man/man1/auditfetch.1",
                                     "share/bash-completion/completions/auditfetch",
                                     "share/zsh/site-functions/_auditfetch",
                                     "share/fish/vendor_completions.d/auditfetch.fish",
                                     "share/doc/auditfetch/copyright"})
            version = run([Path(prefix) / "bin/auditfetch", "--version"], check=True).stdout
            self.assertTrue(version.startswith(f"auditfetch {VERSION}\n"))


class InstallTest(unittest.TestCase):
    """dpkg -i, the installed files at work, dpkg -r."""

    def setUp(self) -> None:
        if shutil.which("dpkg") is None:
            self.skipTest("not a Debian system: no dpkg")
        if os.geteuid() != 0:
            self.skipTest("not root: dpkg -i needs root (CI runs as root); the package contents are "
                          "checked by PackageTest")
        if "installed" in package_status("auditfetch").split() or os.path.lexists("/usr/bin/auditfetch"):
            self.skipTest("auditfetch is already installed on this machine; not replacing or removing it")
        for tool in ("bash", "zsh", "fish", "man"):
            if shutil.which(tool) is None:
                self.skipTest(f"{tool} is not installed (scripts/deps installs it)")
        self._tmp = tempfile.TemporaryDirectory(prefix="auditfetch-install-")
        self.addCleanup(self._tmp.cleanup)
        self.work = Path(self._tmp.name)

    def test_installs_works_from_the_installed_files_and_removes_cleanly(self) -> None:
        deb = self.build_package()
        installed = dpkg("-i", str(deb))
        self.addCleanup(lambda: dpkg("--purge", "auditfetch"))  # even when a check fails
        self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)
        self.assertEqual(package_status("auditfetch"), "install ok installed")

        listed = set(run(["dpkg", "-L", "auditfetch"], check=True).stdout.split())
        for path in INSTALLED:
            with self.subTest(path=path):
                self.assertTrue(os.path.isfile("/" + path), f"/{path} is not there")
                self.assertIn("/" + path, listed)

        version = run(["auditfetch", "--version"], check=True, env=dict(os.environ, PATH="/usr/bin:/bin"))
        self.assertTrue(version.stdout.startswith(f"auditfetch {VERSION}\n"), version.stdout)

        self.check_man()
        self.check_completions()

        removed = dpkg("-r", "auditfetch")
        self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
        self.assertEqual(package_status("auditfetch"), "not-installed")  # no conffiles stay behind
        for path in INSTALLED:
            self.assertFalse(os.path.lexists("/" + path), f"/{path} is still there after dpkg -r")

    def build_package(self) -> Path:
        out = self.work / "out"
        run(["cpack", "-G", "DEB", "--config", BUILD_DIR / "CPackConfig.cmake", "-B", out], check=True, cwd=BUILD_DIR)
        debs = glob.glob(str(out / "**" / "auditfetch_*.deb"), recursive=True)
        self.assertEqual(len(debs), 1, debs)
        return Path(debs[0])

    def check_man(self) -> None:
        env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80", LANG="C.UTF-8")
        env.pop("MANPATH", None)
        where = run(["man", "-w", "auditfetch"], env=env)
        self.assertEqual(where.stdout.strip(), "/usr/share/man/man1/auditfetch.1.gz", where.stderr)
        for args in (["man", "auditfetch"], ["man", "-l", "/usr/share/man/man1/auditfetch.1.gz"]):
            with self.subTest(command=" ".join(args)):
                page = run(args, env=env)
                self.assertEqual(page.returncode, 0, page.stderr)
                self.assertEqual(page.stderr, "")
                self.assertRegex(page.stdout, r"(?m)^NAME\n\s+auditfetch - fetch audit and activity logs")
                for heading in ("SYNOPSIS", "OPTIONS", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
                    self.assertRegex(page.stdout, rf"(?m)^{heading}$")

    def check_completions(self) -> None:
        """`auditfetch li<TAB> -p <TAB>` and friends, from the installed files and nothing else."""
        home = self.work / "home"
        home.mkdir()
        env = shell_environment(None, str(home))
        self.assertEqual(shutil.which("auditfetch", path=env["PATH"]), "/usr/bin/auditfetch")
        names = set(run(["auditfetch", "providers", "--names"], check=True).stdout.split())
        pro = {flag for flag in defined_options(help_text(Path("/usr/bin/auditfetch"), "list"))
               if flag.startswith("--pro")}
        completers = {
            "bash": lambda: BashCompleter(env, None, cwd=self.work),  # bash-completion loads it on demand
            "zsh": lambda: ZshCompleter(env, None),                   # the default $fpath
            "fish": lambda: FishCompleter(env, None),                 # vendor_completions.d
        }
        for shell, make in completers.items():
            with self.subTest(shell=shell):
                completer = make()
                try:
                    self.assertEqual(completer.complete("auditfetch li"), ["list"])
                    self.assertEqual(set(completer.complete("auditfetch list --pro")), pro)
                    self.assertEqual(set(completer.complete("auditfetch list -p ")), names)
                    self.assertEqual(set(completer.complete("auditfetch list -o ")), FORMATS)
                finally:
                    completer.close()


if __name__ == "__main__":
    unittest.main()
