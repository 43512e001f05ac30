"""The media worker's /metrics and /healthz, read over HTTP from real workers (issue 12).

Real aiortc participants publish over loopback; the series must show them: rooms,
participants, publishers, subscribers, bytes in and out, keyframe requests, loop lag.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.worker import SOLO_CHANNEL
from mediaworker import ice, metrics
from mediaworker.config import metrics_address
from mediaworker.exposition import serve_in_thread
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient
from tests.mediaworker.test_redis_worker import redis_url  # noqa: F401 - a fixture
from tests.mediaworker.workers import start_media_process, stop_media_process

MEDIA_SERIES = {
    "meet_media_rooms",
    "meet_media_participants",
    "meet_media_viewers",
    "meet_media_publishers",
    "meet_media_subscribers",
    "meet_media_received_bytes",
    "meet_media_sent_bytes",
    "meet_media_keyframe_requests",
    "meet_media_event_loop_lag_seconds",
    "meet_media_recordings_active",
    "meet_media_hls_muxers_active",
    "meet_media_broadcasts_active",
    "process_cpu_seconds",  # worker load, with the loop lag
}


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def values(text: str) -> dict[str, float]:
    """Sample name -> value (the series here carry no labels)."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def family_names(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


@pytest.fixture
def endpoint() -> Iterator[str]:
    """This process's /metrics and /healthz on a free loopback port."""
    server = serve_in_thread("127.0.0.1", 0, metrics.healthy, name="test-media-metrics")
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def scrape_until(url: str, done: Any, timeout_secs: float = 20.0) -> dict[str, float]:
    """Scrape (off the loop) until ``done(values)`` holds; the last values either way."""
    deadline = time.monotonic() + timeout_secs
    while True:
        status, text = await asyncio.to_thread(get, f"{url}/metrics")
        assert status == 200
        found = values(text)
        if done(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def publishing(found: dict[str, float]) -> bool:
    return (
        found.get("meet_media_participants", 0) >= 2
        and found.get("meet_media_publishers", 0) >= 2
        and found.get("meet_media_subscribers", 0) >= 2
        and found.get("meet_media_received_bytes_total", 0) > 0
        and found.get("meet_media_sent_bytes_total", 0) > 0
    )


async def test_an_in_process_worker_reports_its_rooms_and_media(
    worker: MediaWorker, participant, endpoint: str
) -> None:
    status, text = await asyncio.to_thread(get, f"{endpoint}/metrics")
    assert status == 200
    assert MEDIA_SERIES <= family_names(text), sorted(MEDIA_SERIES - family_names(text))
    before = values(text)

    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 5 and a.frames_from("b") >= 5)
    found = await scrape_until(endpoint, publishing)

    assert found["meet_media_rooms"] >= 1
    assert found["meet_media_participants"] >= 2
    assert found["meet_media_publishers"] >= 2
    assert found["meet_media_subscribers"] >= 2
    assert found["meet_media_received_bytes_total"] > before["meet_media_received_bytes_total"]
    assert found["meet_media_sent_bytes_total"] > before["meet_media_sent_bytes_total"]
    # Each subscriber's video slot asks its publisher for a keyframe to start on.
    assert (
        found["meet_media_keyframe_requests_total"] > before["meet_media_keyframe_requests_total"]
    )
    assert found["meet_media_recordings_active"] == 0

    status, body = await asyncio.to_thread(get, f"{endpoint}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert (await asyncio.to_thread(get, f"{endpoint}/elsewhere"))[0] == 404


async def test_healthz_says_503_when_the_loop_stops_turning(
    worker: MediaWorker, endpoint: str
) -> None:
    assert (await asyncio.to_thread(get, f"{endpoint}/healthz"))[0] == 200
    worker.pulse.beat -= metrics.STALLED_SECS + 1  # as if the loop had been stuck that long
    status, body = await asyncio.to_thread(get, f"{endpoint}/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "error", "detail": "event loop stalled"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.services
async def test_meet_media_serves_metrics_and_healthz_on_its_port(redis_url: str) -> None:  # noqa: F811
    """The production shape: ``meet media`` on Redis, scraped on MEET_MEDIA_METRICS_PORT."""
    from channels_redis.core import RedisChannelLayer

    port = _free_port()
    process = await start_media_process(redis_url, MEET_MEDIA_METRICS_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    layer = RedisChannelLayer(hosts=[{"address": redis_url, "socket_timeout": 30}])
    clients = [
        MediaClient(layer, room="scraped", peer=peer, worker_channel=SOLO_CHANNEL)
        for peer in ("a", "b")
    ]
    try:
        status, body = await asyncio.to_thread(get, f"{url}/healthz")
        assert status == 200, body
        await asyncio.gather(*(c.join() for c in clients))
        a, b = clients
        await b.wait_for(lambda: b.frames_from("a") >= 5 and a.frames_from("b") >= 5)
        found = await scrape_until(url, publishing)
        assert publishing(found), found
        assert found["meet_media_rooms"] == 1
        assert found["process_cpu_seconds_total"] > 0
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        ice.restore_host_addresses()
        await stop_media_process(process)


def test_a_taken_port_stops_the_process_with_a_sentence(endpoint: str) -> None:
    port = int(endpoint.rsplit(":", 1)[1])
    with pytest.raises(SystemExit, match="give each process its own port"):
        serve_in_thread("127.0.0.1", port, metrics.healthy, name="second")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("127.0.0.1", 9310)),
        ({"MEET_MEDIA_METRICS_PORT": "0"}, None),
        ({"MEET_MEDIA_METRICS_PORT": "9400", "MEET_MEDIA_METRICS_HOST": "::1"}, ("::1", 9400)),
    ],
)
def test_metrics_address_from_the_environment(environ: dict[str, str], expected: Any) -> None:
    assert metrics_address(environ) == expected


@pytest.mark.parametrize("port", ["http", "93.5", "70000", "-1"])
def test_a_bad_metrics_port_is_refused(port: str) -> None:
    with pytest.raises(ValueError, match="MEET_MEDIA_METRICS_PORT"):
        metrics_address({"MEET_MEDIA_METRICS_PORT": port})
