"""End to end: HTTPS_PROXY / HTTP_PROXY / NO_PROXY with a real proxy on 127.0.0.1."""

from __future__ import annotations

import json
import select
import socket
import tempfile
import threading
import unittest
from urllib.parse import urlsplit

from harness import PINGONE_ENV_ID, TOKEN, Emulator, fixture_records, make_tls_files, run_auditfetch

ALL = len(fixture_records("pingone"))


class Proxy:
    """A small HTTP proxy: CONNECT tunnels and absolute-form forwarding; records what it saw."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, target, headers
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        while True:
            ready, _, _ = select.select([a, b], [], [], 30)
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)

    def _handle(self, client: socket.socket) -> None:
        upstream = None
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            method, target, _ = lines[0].split(" ")
            headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
            self.requests.append((method, target, headers))
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                upstream = socket.create_connection((host, int(port)))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                parts = urlsplit(target)
                upstream = socket.create_connection((parts.hostname, parts.port or 80))
                path = parts.path + ("?" + parts.query if parts.query else "")
                forwarded = [f"{method} {path} HTTP/1.1"] + [l for l in lines[1:] if not l.lower().startswith("proxy-")]
                upstream.sendall("\r\n".join(forwarded).encode() + b"\r\n\r\n" + rest)
            self._pipe(client, upstream)
        except OSError:
            pass
        finally:
            if upstream is not None:
                upstream.close()
            client.close()


class ProxyTest(unittest.TestCase):
    def list(self, emu: Emulator, *args: str, env: dict):
        return run_auditfetch("list", "-p", "pingone", "--environment-id", PINGONE_ENV_ID,
                              "--base-url", emu.url + "/v1", "--since", "2024-01-01T00:00:00Z",
                              "--page-size", "10", *args, env={"AUDITFETCH_TOKEN": TOKEN, **env})

    def test_https_goes_through_one_connect_tunnel_without_leaking_the_token(self) -> None:
        proxy = Proxy()
        self.addCleanup(proxy.close)
        with tempfile.TemporaryDirectory() as tmp:
            tls = make_tls_files(tmp)
            with Emulator(tls=tls) as emu:
                result = self.list(emu, "--ca-file", tls.ca_cert, env={"HTTPS_PROXY": proxy.url})
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(len(result.stdout.splitlines()), ALL)
                connects = [r for r in proxy.requests if r[0] == "CONNECT"]
                self.assertEqual([r[1] for r in connects], [f"127.0.0.1:{emu.port}"])  # kept alive
                self.assertNotIn("authorization", connects[0][2])  # the proxy never sees the token
                self.assertEqual(len(emu.requests("/activities")), -(-ALL // 10))

    def test_no_proxy_bypasses_the_proxy(self) -> None:
        proxy = Proxy()
        self.addCleanup(proxy.close)
        with Emulator() as emu:
            result = self.list(emu, env={"HTTP_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"})
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(proxy.requests, [])

    def test_plain_http_is_sent_in_absolute_form(self) -> None:
        proxy = Proxy()
        self.addCleanup(proxy.close)
        with Emulator() as emu:
            result = self.list(emu, "--limit", "3", env={"HTTP_PROXY": proxy.url})
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(result.stdout.splitlines()), 3)
            self.assertTrue(proxy.requests[0][1].startswith(f"{emu.url}/v1/environments/"))

    def test_a_dead_proxy_exits_1_naming_it(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as placeholder:
            dead = f"http://127.0.0.1:{placeholder.getsockname()[1]}"
        with tempfile.TemporaryDirectory() as tmp:
            tls = make_tls_files(tmp)
            with Emulator(tls=tls) as emu:
                result = self.list(emu, "--ca-file", tls.ca_cert, "--retries", "0", env={"HTTPS_PROXY": dead})
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn(dead.split("//")[1], result.stderr)
                self.assertEqual(emu.requests(), [])


if __name__ == "__main__":
    unittest.main()
