#!/usr/bin/env python3
"""A TCP proxy that adds latency to every request: bytes from the client reach the server
DELAY ms after they arrived; the server's bytes go back at once, copied by the kernel (splice).

    delay_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS     (127.0.0.1; prints "ready" when listening)

With HTTP/1.1 keep-alive and no pipelining each request is one burst of client bytes, so each
request is answered DELAY ms later than it would be, as from a server 50 ms away. Responses do
not pass through Python, so the proxy costs little (bench/run measures it with one curl).
"""

import os
import socket
import sys
import threading
import time

CHUNK = 1 << 20


def delayed(src: socket.socket, dst: socket.socket, delay: float) -> None:
    try:
        while data := src.recv(65536):
            time.sleep(delay)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def spliced(src: socket.socket, dst: socket.socket) -> None:
    r, w = os.pipe()
    try:
        while True:
            n = os.splice(src.fileno(), w, CHUNK)
            if n == 0:
                break
            while n:
                n -= os.splice(r, dst.fileno(), n)
    except OSError:
        pass
    finally:
        os.close(r)
        os.close(w)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client: socket.socket, upstream_port: int, delay: float) -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
    except OSError:
        client.close()
        return
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=spliced, args=(upstream, client), daemon=True)
    back.start()
    delayed(client, upstream, delay)
    back.join()
    client.close()
    upstream.close()


def main() -> None:
    listen_port, upstream_port, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(64)
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, upstream_port, delay_ms / 1000), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
