"""A small HTTP endpoint for a process without a web server: ``/metrics`` and ``/healthz``.

prometheus_client's WSGI app behind the standard library's threading WSGI server, in a
daemon thread: it never runs on the process's event loop, so ``/healthz`` still answers
(503) when that loop is stuck. Used by the media worker (``meet media``) and the scheduler
(``meet run_scheduler``); the web serves its own ``/metrics`` (meet/metrics.py).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, make_wsgi_app

# (healthy, detail): what /healthz reports.
HealthCheck = Callable[[], tuple[bool, str]]
StartResponse = Callable[..., Any]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Scrapes every 15 s would drown the log: say nothing."""


def endpoint_app(health: HealthCheck) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app: ``/metrics`` (the default registry), ``/healthz``, 404 otherwise."""
    metrics = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)
        if path == "/healthz":
            ok, detail = health()
            body = json.dumps({"status": "ok" if ok else "error", "detail": detail}).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
            start_response(status, headers)
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app


def serve_in_thread(host: str, port: int, health: HealthCheck, *, name: str) -> WSGIServer:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port`` from a daemon thread.

    A port already taken stops the process with a sentence saying so: two processes
    of the same kind on one host each need their own port."""
    server_class = _Server6 if ":" in host else _Server
    try:
        server = make_server(
            host, port, endpoint_app(health), server_class=server_class, handler_class=_QuietHandler
        )
    except OSError as problem:
        raise SystemExit(
            f"Cannot serve metrics on {host}:{port} ({problem.strerror}): give each process "
            "its own port, or 0 to turn its metrics endpoint off."
        ) from problem
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return server
