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
