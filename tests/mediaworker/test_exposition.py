"""Hostile input for the worker's and the scheduler's own endpoint (mediaworker/exposition.py):
anything but /metrics and /healthz is a 404, and a garbage request line leaves it serving."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from mediaworker.exposition import serve_in_thread


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_other_paths_are_404_and_garbage_does_not_stop_it() -> None:
    port = _free_port()
    server = serve_in_thread("127.0.0.1", port, lambda: (True, "fine"), name="test-exposition")
    base = f"http://127.0.0.1:{port}"
    try:
        for path in ("/", "/admin/", "/metrics/../etc/passwd", "/healthz%00", "/%ff%fe"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=5)
            assert refused.value.code == 404, path
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"\x00\xff GARBAGE \r\n\r\n" + b"A" * 70000 + b"\r\n\r\n")
            raw.recv(1024)
        with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:
            assert answer.status == 200 and b'"ok"' in answer.read()
        with urllib.request.urlopen(base + "/metrics", timeout=5) as answer:
            assert b"# HELP " in answer.read()  # the Prometheus text format
    finally:
        server.shutdown()
        server.server_close()
