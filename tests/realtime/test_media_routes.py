"""Which channel serves a room (issue 14): the web side's one question, on a real Redis.

The workers here are registrations only (placement's heartbeats, no media): what the web
side does with them is under test; tests/mediaworker/test_placed_workers.py and
tests/meet/test_scale_out.py run real workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio

from placement.store import DEFAULT_PREFIX, Placement, WorkerCard
from realtime import media_routes
from tests.conftest import missing_service, redis_for_tests

SHARED = "media-worker"
MEMBER = media_routes.MEMBER_LOAD


@pytest.fixture
async def places(settings: Any) -> AsyncIterator[Placement]:
    """The web side on the tests' Redis, with no worker registered yet."""
    url = redis_for_tests()
    client: Any = redis.asyncio.Redis.from_url(url, socket_connect_timeout=1)
    try:
        await client.ping()
    except redis.RedisError:
        missing_service(f"Redis ({url})")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url}]},
        }
    }

    async def forget() -> None:
        keys = [key async for key in client.scan_iter(f"{DEFAULT_PREFIX}:*")]
        if keys:
            await client.delete(*keys)

    await forget()
    yield Placement(client)
    await forget()
    await media_routes.close()
    await client.aclose()


async def register(places: Placement, name: str, capacity: int = 100) -> None:
    await places.heartbeat(WorkerCard(name, capacity, f"media-worker.{name}"))


async def test_without_redis_every_room_is_the_embedded_workers(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    route = await media_routes.book("r", MEMBER, shared=SHARED)
    assert route == media_routes.Route(SHARED)
    assert await media_routes.room_channel("r", shared=SHARED) == SHARED
    await media_routes.give_back("r", route, MEMBER)  # nothing booked, nothing to return


async def test_on_redis_with_no_worker_registered_the_shared_channel_serves(
    places: Placement,
) -> None:
    """A worker inside the web process on Redis (MEET_MEDIA_WORKER=inprocess)."""
    assert await media_routes.book("r", MEMBER, shared=SHARED) == media_routes.Route(SHARED)
    assert await media_routes.room_channel("r", shared=SHARED) == SHARED
    assert await media_routes.room_channel_once("r", shared=SHARED) == SHARED


async def test_a_room_is_booked_on_its_worker_and_freed_by_its_last_member(
    places: Placement,
) -> None:
    await register(places, "a")
    await register(places, "b")
    first = await media_routes.book("r", MEMBER, shared=SHARED)
    second = await media_routes.book("r", MEMBER, shared=SHARED)
    assert first.channel == second.channel == "media-worker.a"
    assert await media_routes.room_channel("r", shared=SHARED) == "media-worker.a"
    assert await media_routes.room_channel_once("r", shared=SHARED) == "media-worker.a"
    # Another room goes to the worker the first one left idle; one nobody joined, nowhere.
    assert (await media_routes.book("s", MEMBER, shared=SHARED)).channel == "media-worker.b"
    assert await media_routes.room_channel("t", shared=SHARED) is None
    await media_routes.give_back("r", first, MEMBER)
    assert await places.room_units("r") == {"a": MEMBER.units}
    await media_routes.give_back("r", second, MEMBER)
    assert await places.room_units("r") == {}
    assert await media_routes.room_channel("r", shared=SHARED) is None


async def test_a_full_room_stays_on_its_worker_and_a_new_room_with_no_room_is_refused(
    places: Placement,
) -> None:
    await register(places, "a", capacity=20)  # one member fits its 80 %, the rest stay past it
    routes = [await media_routes.book("r", MEMBER, shared=SHARED) for _ in range(3)]
    assert {r.channel for r in routes} == {"media-worker.a"}
    with pytest.raises(media_routes.NoMediaWorker):
        await media_routes.book("s", MEMBER, shared=SHARED)


async def test_a_room_past_its_workers_headroom_spans_another_worker_with_its_pipe(
    places: Placement,
) -> None:
    """Issue 14, item 3: the next member goes to another worker, which books the room's
    pipe once; the member after that joins the least loaded of the room's workers."""
    await register(places, "a", capacity=20)  # one member fits its 80 %
    await register(places, "b", capacity=100)
    routes = [await media_routes.book("r", MEMBER, shared=SHARED) for _ in range(3)]
    assert [r.channel for r in routes] == ["media-worker.a"] + ["media-worker.b"] * 2
    pipe = media_routes.MEMBER_PIPE_UNITS
    assert await places.room_units("r") == {"a": MEMBER.units, "b": 2 * MEMBER.units + pipe}
    for route in routes:
        await media_routes.give_back("r", route, MEMBER)
    assert {w.id: w.booked_units for w in await places.workers()} == {"a": 0, "b": 0}


async def test_a_dead_workers_room_is_announced_once_and_booked_again_elsewhere(
    places: Placement,
) -> None:
    """Issue 14, item 5: two web processes reap at once; the room of the worker that
    stopped renewing is announced by one of them, and its members' next booking lands on
    the live worker."""
    await register(places, "a")
    route = await media_routes.book("r", MEMBER, shared=SHARED)
    await register(places, "b")
    assert route.channel == "media-worker.a"
    await media_routes.close()  # this process's own reaper (booking started it) stops
    heard: list[tuple[str, str]] = []

    async def announce(room: str, worker: str) -> None:
        heard.append((room, worker))

    media_routes.add_announcer(announce)
    try:
        await places.client.delete(f"{DEFAULT_PREFIX}:w:a")  # its lease ran out
        other = Placement(redis.asyncio.Redis.from_url(redis_for_tests()))
        try:
            counts = await asyncio.gather(
                media_routes.reap_once(places), media_routes.reap_once(other)
            )
        finally:
            await other.client.aclose()
        assert sorted(counts) == [0, 1] and heard == [("r", "a")]
        again = await media_routes.book("r", MEMBER, shared=SHARED)
        assert again.channel == "media-worker.b"
        assert await places.room_units("r") == {"b": MEMBER.units}
    finally:
        media_routes._announcers.remove(announce)


async def test_this_process_keeps_a_ledger_of_what_its_sockets_booked(places: Placement) -> None:
    """Issue 14, item 5: what a socket books is noted under this process's id (swept if
    the process dies), and struck off when it is given back or its worker died."""
    await register(places, "a")
    ledger = f"{DEFAULT_PREFIX}:web:{media_routes.process_id()}"
    first = await media_routes.book("r", MEMBER, shared=SHARED)
    second = await media_routes.book("r", MEMBER, shared=SHARED)
    assert await places.client.hgetall(ledger) == {f"r\na\n{MEMBER.units}".encode(): b"2"}
    await media_routes.give_back("r", first, MEMBER)
    media_routes.forget("r", second, MEMBER)  # its worker died: nothing to give back there
    for _ in range(50):
        if not await places.client.hgetall(ledger):
            break
        await asyncio.sleep(0.02)
    assert await places.client.hgetall(ledger) == {}
    # The reaper renews this process's lease (it started with the first booking).
    for _ in range(50):
        if await places.client.exists(f"{DEFAULT_PREFIX}:web-alive:{media_routes.process_id()}"):
            break
        await asyncio.sleep(0.02)
    assert await places.client.sismember(f"{DEFAULT_PREFIX}:webs", media_routes.process_id())
