"""``meet run_scheduler`` serves /metrics and /healthz on its own port (issue 12)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from meet import jobs
from tests.conftest import ROOT
from tests.e2e.server import stop_process

SCHEDULER_SERIES = {
    "meet_scheduler_passes",
    "meet_scheduler_pass_failures",
    "meet_scheduler_job_failures",
    "meet_scheduler_last_pass_timestamp_seconds",
    "meet_scheduler_reminders_queued",
}
START_TIMEOUT_SECS = 60.0


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``meet run_scheduler`` on a migrated database of its own; (its URL, its log)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'meet.sqlite3'}",
        "MEET_VAR_DIR": str(tmp_path),
        "MEET_SCHEDULER_METRICS_PORT": str(_free_port()),
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("REDIS_URL", None)
    meet = [sys.executable, "-m", "meet"]
    migrated = subprocess.run(
        [*meet, "migrate", "-v0"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    log_path = tmp_path / "scheduler.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*meet, "run_scheduler"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            yield f"http://127.0.0.1:{env['MEET_SCHEDULER_METRICS_PORT']}", log_path
        finally:
            stop_process(process)


def scrape_until_a_pass(url: str, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        try:
            status, text = get(f"{url}/metrics")
        except OSError:
            time.sleep(0.2)
            continue
        assert status == 200
        if "meet_scheduler_passes_total 1.0" in text:
            return text
        time.sleep(0.2)
    pytest.fail(f"no scheduler pass was reported: {log.read_text()[-3000:]}")


def test_the_scheduler_reports_its_passes_and_health(scheduler: tuple[str, Path]) -> None:
    url, log = scheduler
    text = scrape_until_a_pass(url, log)
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert SCHEDULER_SERIES <= set(families), sorted(SCHEDULER_SERIES - set(families))
    last_pass = families["meet_scheduler_last_pass_timestamp_seconds"].samples[0].value
    assert abs(last_pass - time.time()) < 600
    status, body = get(f"{url}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert get(f"{url}/")[0] == 404
    # Its log is JSON lines (LOG_FORMAT=json), every one of them.
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines, "the scheduler logged nothing"
    records = [json.loads(line) for line in lines]
    assert any("scheduler metrics on" in record["message"] for record in records)


def test_healthz_fails_when_no_pass_finished_lately() -> None:
    assert jobs.healthy(max_age_secs=3600)[0] is True
    ok, detail = jobs.healthy(max_age_secs=0)
    assert ok is False and "no pass finished" in detail


@pytest.mark.django_db
def test_a_failing_job_is_counted_and_the_pass_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> int:
        raise RuntimeError("the archive's disk is gone")

    monkeypatch.setitem(jobs.MINUTE_JOBS, "broken_job", broken)
    labels = {"job": "broken_job"}
    failures = REGISTRY.get_sample_value("meet_scheduler_job_failures_total", labels) or 0
    passes = REGISTRY.get_sample_value("meet_scheduler_passes_total") or 0
    jobs.run_pass(hourly=False)
    assert REGISTRY.get_sample_value("meet_scheduler_job_failures_total", labels) == failures + 1
    assert REGISTRY.get_sample_value("meet_scheduler_passes_total") == passes + 1
