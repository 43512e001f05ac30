"""A real daphne (``meet serve``) with JSON logs: /metrics, who may read it, request ids.

A second server on the live server's database and folder, started as an operator would
with ``LOG_FORMAT=json`` behind a proxy on loopback (issue 12, observability).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.e2e.conftest import _free_port, _wait_healthy
from tests.e2e.server import live_var_dir, stop_process

# Always in the web's /metrics (the scheduler runs in `meet serve` unless in production).
SERIES = {
    "meet_http_requests",
    "meet_live_rooms",
    "meet_live_participants",
    "meet_signaling_join_seconds",
    "meet_recordings",
    "meet_scheduler_passes",
    "process_cpu_seconds",
}
# The embedded default runs the media worker in the web process (one registry): its series
# are in the web's /metrics. With REDIS_URL the worker is its own process, and they are not.
MEDIA_SERIES = {"meet_media_rooms", "meet_media_participants", "meet_media_received_bytes"}
WORKER_IN_PROCESS = not os.environ.get("REDIS_URL")


def get(url: str, **headers: str) -> tuple[int, Message, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture(scope="module")
def json_server(
    live_url: str, server_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """``meet serve`` with JSON logs on the live server's database; (its URL, its log)."""
    port = _free_port()
    var_dir = live_var_dir(tmp_path_factory)
    env = {
        **os.environ,
        "DATABASE_URL": server_database,
        "MEET_VAR_DIR": str(var_dir),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        "LOG_FORMAT": "json",
        "MEET_TRUSTED_PROXIES": "127.0.0.1",  # the proxy on this host
        "MEET_START_SCHEDULER": "1",
        # The console mail backend writes whole messages to stdout by design (a developer's
        # mail viewer), not log lines: this server's mail goes nowhere.
        "EMAIL_URL": "dummy:",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = tmp_path_factory.mktemp("json-server") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "meet", "serve"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, log_path)
            yield url, log_path
        finally:
            stop_process(process)


def test_metrics_name_the_series_of_the_web_the_worker_and_the_scheduler(
    json_server: tuple[str, Path],
) -> None:
    url, _ = json_server
    deadline = time.monotonic() + 30
    expected = SERIES | MEDIA_SERIES if WORKER_IN_PROCESS else SERIES
    while True:  # the first scope starts the worker; the scheduler's first pass follows
        status, headers, text = get(f"{url}/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        names = {family.name for family in text_string_to_metric_families(text)}
        if expected <= names or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert expected <= names, sorted(expected - names)
    if not WORKER_IN_PROCESS:  # the worker's own port serves them (tests/mediaworker)
        assert not MEDIA_SERIES & names


def test_metrics_through_the_proxy_is_a_404(json_server: tuple[str, Path]) -> None:
    """The proxy is on loopback, but the client it speaks for is not an operator."""
    url, _ = json_server
    status, _, body = get(f"{url}/metrics", **{"X-Forwarded-For": "203.0.113.9"})
    assert status == 404
    assert "meet_" not in body
    # Even when the proxy forwards loopback's own request: it came through the proxy.
    assert get(f"{url}/metrics", **{"X-Forwarded-For": "127.0.0.1"})[0] == 404


def test_log_lines_are_json_with_the_request_id(json_server: tuple[str, Path]) -> None:
    url, log = json_server
    status, headers, _ = get(f"{url}/no/such/page/", **{"X-Request-ID": "e2e-request-0001"})
    assert status == 404
    assert headers["X-Request-ID"] == "e2e-request-0001"
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        mine = [r for r in records if r.get("request_id") == "e2e-request-0001"]
        if len(mine) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert mine, lines[-20:]
    by_logger = {record["logger"]: record for record in mine}
    warning = by_logger["django.request"]
    assert warning["level"] == "WARNING" and "Not Found" in warning["message"]
    assert warning["timestamp"]
    # daphne's plain access lines are replaced by JSON ones that carry the id too.
    assert by_logger["meet.access"]["message"] == "GET /no/such/page/ 404"
    assert by_logger["meet.access"]["status_code"] == 404
