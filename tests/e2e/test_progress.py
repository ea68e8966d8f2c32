"""The progress line: on stderr when it is a terminal, never on stdout, never without a terminal
or with -q, erased before any other message and at the end.

stderr is the slave side of a pseudo-terminal (os.openpty), stdout a pipe; what the terminal
received is read from the master side, escape sequences and all.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time
import unittest

from harness import PINGONE_ENV_ID, TOKEN, EmulatorTestCase, auditfetch_bin

ERASE = "\r\x1b[K"
PROGRESS = re.compile(r"pages \d+ · activities [\d,]+( of [\d,]+)?( · [\d,]+/s)?"
                      r"( · \d{4}-\d\d-\d\dT\d\d:\d\dZ( … \d{4}-\d\d-\d\dT\d\d:\d\dZ)?)?")
GENERATED = 200  # records, one a minute before 2024-07-01T00:00:00Z
PAGE_DELAY_MS = 60  # 20 pages of 10: about 1.2 s, long enough for several redraws


class Run:
    """What one run wrote: stdout (a pipe), what its terminal received, its exit code."""

    def __init__(self, stdout: str, terminal: str, returncode: int, seconds: float):
        self.stdout, self.terminal, self.returncode, self.seconds = stdout, terminal, returncode, seconds


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    home = tempfile.mkdtemp(prefix="auditfetch-home-")
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
            "TZ": "UTC", "TERM": "xterm", "AUDITFETCH_TOKEN": TOKEN, **(extra or {})}


def run_on_terminal(args: list[str], stdout_on_terminal: bool = False, stop_after: float | None = None,
                    columns: int = 200, env: dict[str, str] | None = None) -> Run:
    """Run auditfetch with stderr (and with `stdout_on_terminal` stdout too) on a new pty.
    `stop_after`: send SIGTERM after this many seconds (for tail)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # as written: no "\n" → "\r\n"
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    received = bytearray()

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO once every slave descriptor is closed
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    stdout = bytearray()
    started = time.monotonic()
    try:
        process = subprocess.Popen([str(auditfetch_bin()), *args], env=environment(env),
                                   stdin=subprocess.DEVNULL, stderr=slave,
                                   stdout=slave if stdout_on_terminal else subprocess.PIPE)
        os.close(slave)
        slave = -1
        # Drained as it comes: a full pipe nobody reads would block tail.
        drain = threading.Thread(target=lambda: stdout.extend(process.stdout.read() if process.stdout else b""),
                                 daemon=True)
        drain.start()
        if stop_after is not None:
            time.sleep(stop_after)
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        seconds = time.monotonic() - started
        drain.join(10)
        reader.join(10)
        if process.stdout:
            process.stdout.close()
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    output = stdout.decode("utf-8")
    return Run(output, received.decode("utf-8", "replace"), process.returncode, seconds)


class ProgressTest(EmulatorTestCase):
    emulator_args = ("--generate", str(GENERATED), "--page-delay-ms", str(PAGE_DELAY_MS))

    def list_args(self, *args: str) -> list[str]:
        return ["list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                "--base-url", self.emu.url + "/v1", "--since", "2024-06-01T00:00:00Z",
                "--until", "2024-07-02T00:00:00Z", "--page-size", "10", "-o", "ndjson", *args]

    def assert_all_activities(self, stdout: str) -> None:
        lines = stdout.splitlines()
        self.assertEqual(len(lines), GENERATED)
        for line in lines:
            json.loads(line)  # data only: every line is an activity

    def test_a_terminal_gets_a_progress_line_redrawn_in_place_and_erased_at_the_end(self) -> None:
        run = run_on_terminal(self.list_args())
        self.assertEqual(run.returncode, 0, run.terminal)
        self.assert_all_activities(run.stdout)
        self.assertNotIn("pages", run.stdout)
        self.assertNotIn("\x1b", run.stdout)
        frames = [frame for frame in run.terminal.split(ERASE) if frame]
        self.assertGreaterEqual(len(frames), 2, repr(run.terminal))  # redrawn, not printed once
        for frame in frames:
            self.assertRegex(frame, rf"^{PROGRESS.pattern}$")
            self.assertNotIn("\n", frame)  # in place: never a new line
        self.assertTrue(run.terminal.endswith(ERASE), repr(run.terminal[-200:]))  # nothing left
        # The counts grow and the window is that of the generated records.
        pages = [int(re.match(r"pages (\d+)", frame).group(1)) for frame in frames]
        self.assertEqual(pages, sorted(pages))
        self.assertRegex(frames[-1], r"2024-06-30T\d\d:\d\dZ$")
        # At most ten a second, the first after a quarter of a second: fewer frames than pages.
        self.assertLessEqual(len(frames), max(1.0, run.seconds - 0.25) * 10 + 1)

    def test_a_narrow_terminal_gets_a_line_that_fits(self) -> None:
        run = run_on_terminal(self.list_args(), columns=30)
        self.assertEqual(run.returncode, 0, run.terminal)
        frames = [frame for frame in run.terminal.split(ERASE) if frame]
        self.assertTrue(frames)
        for frame in frames:
            self.assertLessEqual(len(frame), 29, frame)  # one column spare: no wrap
            self.assertTrue(frame.endswith("…"), frame)

    def test_quiet_prints_nothing_on_the_terminal(self) -> None:
        run = run_on_terminal(self.list_args("-q"))
        self.assertEqual(run.returncode, 0)
        self.assert_all_activities(run.stdout)
        self.assertEqual(run.terminal, "")

    def test_nothing_when_stderr_is_not_a_terminal(self) -> None:
        result = subprocess.run([str(auditfetch_bin()), *self.list_args()], env=environment(),
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_all_activities(result.stdout)
        self.assertEqual(result.stderr, "")

    def test_nothing_when_stdout_is_the_terminal_too(self) -> None:
        run = run_on_terminal(self.list_args("--limit", "30"), stdout_on_terminal=True)
        self.assertEqual(run.returncode, 0, run.terminal)
        self.assertNotIn("pages ", run.terminal)
        self.assertNotIn(ERASE, run.terminal)

    def test_a_warning_erases_the_progress_line_first(self) -> None:
        # The 12th page fails once with 503 and is retried: a warning in the middle of the run.
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 503, "skip": 11, "times": 1})
        run = run_on_terminal(self.list_args())
        self.assertEqual(run.returncode, 0, run.terminal)
        self.assert_all_activities(run.stdout)
        warning = re.search(r"auditfetch: warning: [^\n]*HTTP 503[^\n]*\n", run.terminal)
        self.assertIsNotNone(warning, repr(run.terminal))
        before = run.terminal[:warning.start()]
        self.assertIn("pages ", before)  # a progress line was shown ...
        self.assertTrue(before.endswith(ERASE), repr(before[-120:]))  # ... and erased first

    def test_quiet_also_silences_warnings_but_not_errors(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 503, "skip": 2, "times": 1})
        result = subprocess.run([str(auditfetch_bin()), *self.list_args("-q")], env=environment(),
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 400, "skip": 2})
        result = subprocess.run([str(auditfetch_bin()), *self.list_args("-q")], env=environment(),
                                capture_output=True, text=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertRegex(result.stderr, r"^auditfetch: error: ")

    def test_an_error_erases_the_progress_line_first(self) -> None:
        self.emu.faults({"path": "/activities$", "kind": "status", "status": 400, "skip": 12})
        run = run_on_terminal(self.list_args())
        self.assertNotEqual(run.returncode, 0)
        error = run.terminal.find("auditfetch: error:")
        self.assertGreater(error, 0, repr(run.terminal))
        self.assertIn("pages ", run.terminal[:error])
        self.assertTrue(run.terminal[:error].endswith(ERASE), repr(run.terminal[:error][-120:]))
        self.assertTrue(run.terminal.endswith("\n"))  # the error line is the last thing

    def test_tail_shows_its_status_between_polls_and_erases_it_on_sigterm(self) -> None:
        run = run_on_terminal(["tail", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                               "--base-url", self.emu.url + "/v1", "--since", "2024-06-30T23:00:00Z",
                               "--page-size", "100", "--interval", "1s", "-o", "ndjson"],
                              stop_after=3.5)
        self.assertEqual(run.returncode, 0, run.terminal)  # SIGTERM: a clean stop
        self.assertEqual(len(run.stdout.splitlines()), 60)  # the last hour of the generated minutes
        frames = [frame for frame in run.terminal.split(ERASE) if frame]
        self.assertIn("tail · polls 1 · activities 60 · newest 2024-06-30T23:59Z · next poll in 1s", frames)
        self.assertTrue(any(frame.startswith("tail · polls 2 · activities 60") for frame in frames), frames)
        self.assertTrue(run.terminal.endswith(ERASE), repr(run.terminal[-200:]))
        self.assertNotIn("tail ·", run.stdout)


if __name__ == "__main__":
    unittest.main()
