"""The build refuses a folder that includes a folder above it (cmake/check_layers.cmake, run by
the check_layers target before any library compiles): shown on the real tree and on a copy with
one include planted upwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import REPO

BUILD = Path(os.environ.get("AUDITFETCH_BUILD_DIR") or REPO / "build")


def check(source: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["cmake", f"-DSOURCE_DIR={source}", f"-DTABLE={BUILD / 'layers.txt'}", "-P",
                           str(REPO / "cmake" / "check_layers.cmake")], capture_output=True, text=True)


class LayeringTest(unittest.TestCase):
    def setUp(self) -> None:
        self.assertTrue((BUILD / "layers.txt").exists(), "configure the build first")

    def test_the_tree_as_it_is_passes(self) -> None:
        result = check(REPO)
        self.assertEqual(result.returncode, 0, result.stderr)

    def planted(self, relative: str, include: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp)
            shutil.copytree(REPO / "src", copy / "src")
            shutil.copytree(REPO / "include", copy / "include")
            path = copy / relative
            path.write_text(f'#include "{include}"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
            return check(copy)

    def test_mapping_may_not_include_http_or_commands(self) -> None:
        for include, above in (("auditfetch/commands/list.hpp", "commands"),
                               ("auditfetch/http/beast_transport.hpp", "http")):
            with self.subTest(include=include):
                result = self.planted("src/mapping/mapping.cpp", include)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(f"src/mapping/mapping.cpp: mapping includes {include}, but {above} is not below "
                              "mapping", result.stderr)

    def test_a_public_header_may_not_reach_up_either(self) -> None:
        result = self.planted("include/auditfetch/util/text.hpp", "auditfetch/time/time.hpp")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("util includes auditfetch/time/time.hpp, but time is not below util", result.stderr)

    def test_private_headers_stay_in_their_folder(self) -> None:
        result = self.planted("src/commands/list.cpp", "pipeline/page_stream.hpp")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("commands includes pipeline/page_stream.hpp, a private header of pipeline", result.stderr)


if __name__ == "__main__":
    unittest.main()


def code_only(text: str) -> str:
    """C++ source without comments and string literals: what decides behaviour."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif text.startswith('R"(', i):
            end = text.find(')"', i + 3)
            i = n if end < 0 else end + 2
        elif text[i] in "\"'":
            quote, i = text[i], i + 1
            while i < n and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
            i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


class NoProviderInEngineTest(unittest.TestCase):
    """Providers are definitions: no built-in provider's name decides anything in src/ or
    include/ (it may appear in comments, help examples and messages only)."""

    def names(self) -> list[str]:
        import json
        words = set()
        for path in (REPO / "providers").glob("*.json"):
            name = json.loads(path.read_text(encoding="utf-8"))["name"]
            words.update({name, name.split("-")[0]})  # google-workspace and google, duo-auth and duo
        return sorted(words | {"onepassword"})

    def test_no_built_in_provider_is_named_in_engine_code(self) -> None:
        import re
        pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in self.names()) + r")\b", re.IGNORECASE)
        found = []
        for path in sorted([*(REPO / "src").rglob("*.[ch]pp"), *(REPO / "include").rglob("*.hpp")]):
            code = code_only(path.read_text(encoding="utf-8"))
            for number, line in enumerate(code.splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
        self.assertEqual(found, [])

    def test_the_check_sees_a_name_in_code(self) -> None:
        # The stripping keeps code: a provider named in a condition is found.
        code = code_only('if (spec.name == "okta") { /* okta */ } // okta\nbool okta_mode = true;\n')
        self.assertNotIn('"okta"', code)
        self.assertIn("okta_mode", code)
