"""The production shape: Redis channel layer, ``meet media`` as its own process."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from bench.worker import SOLO_CHANNEL, SOLO_WORKER_ID, worker_env
from mediaworker import ice
from placement.store import DEFAULT_PREFIX, Placement
from tests.conftest import ROOT, missing_service, redis_for_tests
from tests.mediaworker.client import MediaClient, PatternTrack
from tests.mediaworker.workers import START_TIMEOUT_SECS, start_media_process, stop_media_process

TEST_REDIS_URL = redis_for_tests()

pytestmark = pytest.mark.services


@pytest.fixture
def redis_url() -> str:
    try:
        client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError:
        missing_service(f"Redis at {TEST_REDIS_URL}")
    for key in client.scan_iter("asgi*"):  # stale messages of an earlier run
        client.delete(key)
    for key in client.scan_iter(f"{DEFAULT_PREFIX}:*"):  # workers an earlier run killed
        client.delete(key)
    return TEST_REDIS_URL


@pytest.fixture
async def media_process(redis_url: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """``meet media`` on the test Redis database, offering loopback candidates."""
    process = await start_media_process(redis_url)
    yield process
    await stop_media_process(process)


@pytest.fixture
def redis_layer(redis_url: str) -> Iterator[Any]:
    """The test's own layer; its participants offer loopback candidates like the worker."""
    from channels_redis.core import RedisChannelLayer

    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    yield RedisChannelLayer(hosts=[{"address": redis_url, "socket_timeout": 30}])
    ice.restore_host_addresses()


async def test_three_participants_and_a_late_joiner_through_a_separate_worker(
    media_process: asyncio.subprocess.Process, redis_layer: Any
) -> None:
    sizes = {"a": (160, 120), "b": (176, 144), "c": (128, 96)}
    clients = [
        MediaClient(redis_layer, room="redis", peer=p, camera=s, worker_channel=SOLO_CHANNEL)
        for p, s in sizes.items()
    ]
    late = MediaClient(
        redis_layer, room="redis", peer="late", camera=None, worker_channel=SOLO_CHANNEL
    )
    try:
        await asyncio.gather(*(c.join() for c in clients))
        for client in clients:
            others = [p for p in sizes if p != client.peer]
            await client.wait_for(client.receives(others))
            for peer in others:
                assert set(client.received[(peer, "camera")].sizes) == {sizes[peer]}

        await clients[0].publish("screen", PatternTrack(320, 180))
        b = clients[1]
        await b.wait_for(lambda: b.frames_from("a", "screen") >= 3)
        await clients[0].publish("screen", None)
        await b.wait_for(lambda: b.slot_of("a", "screen") is None)

        await asyncio.sleep(0.5)
        await late.join()
        await late.wait_for(lambda: all(late.frames_from(p) for p in sizes), timeout=3)
        for peer in sizes:
            first = late.received[(peer, "camera")].first_at
            assert first is not None and first - late.joined_at < 1.0
    finally:
        await asyncio.gather(*(c.close() for c in [*clients, late]), return_exceptions=True)


async def test_the_worker_process_stops_cleanly_on_sigterm(
    media_process: asyncio.subprocess.Process, redis_layer: Any
) -> None:
    client = MediaClient(redis_layer, room="stop", peer="a", worker_channel=SOLO_CHANNEL)
    places = Placement(redis.asyncio.Redis.from_url(TEST_REDIS_URL))
    # Registered (issue 14) from the moment it said it reads its channel...
    assert [w.id for w in await places.workers()] == [SOLO_WORKER_ID]
    await client.join()
    await client.wait_for(lambda: {"kind": "connection", "state": "connected"} in client.events)
    media_process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(media_process.wait(), 15) == 0
    # ... and retired by a clean stop, not left to time out: nothing is placed on it.
    assert await places.workers() == []
    await places.client.aclose()
    await client.wait_for(
        lambda: client.pc is not None and client.pc.connectionState != "connected"
    )
    await client.close(leave=False)


async def test_python_m_mediaworker_serves_without_django_settings(
    redis_url: str, redis_layer: Any
) -> None:
    """Issue 11: the worker starts from its package alone, with no settings module."""
    # The workers' own environment (loopback candidates, no metrics port), less Django's.
    env = worker_env(redis_url)
    env.pop("DJANGO_SETTINGS_MODULE")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mediaworker", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    client = MediaClient(redis_layer, room="bare", peer="a", worker_channel=SOLO_CHANNEL)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_SECS)
        assert b"media worker" in line, line
        await client.join()
        await client.wait_for(lambda: {"kind": "connection", "state": "connected"} in client.events)
    finally:
        await client.close()
        await stop_media_process(process)
    assert process.returncode == 0
