"""Issue 14, item 2: rooms placed over two standalone media workers through Redis.

Two ``meet media`` processes register in placement, each with its own id, channel and
UDP port range; the web side's route (realtime/media_routes.py) places two rooms by load
— one on each worker — and the members of each room get each other's media from the
worker their room was placed on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from mediaworker.wire import MEDIA_WORKER_CHANNEL, worker_channel
from placement.store import Placement
from realtime import media_routes
from tests.mediaworker.client import MediaClient
from tests.mediaworker.test_redis_worker import redis_layer, redis_url  # noqa: F401 - fixtures
from tests.mediaworker.workers import start_media_process, stop_media_process

pytestmark = pytest.mark.services

# Each worker's own range (as ``meet media --workers 2`` would split one range).
PORTS = {"east": (47100, 47199), "west": (47200, 47299)}


@pytest.fixture
async def two_workers(redis_url: str) -> AsyncIterator[None]:  # noqa: F811 - the fixture
    processes = [
        await start_media_process(
            redis_url, MEET_MEDIA_WORKER_ID=name, MEET_MEDIA_UDP_PORTS=f"{low}-{high}"
        )
        for name, (low, high) in PORTS.items()
    ]
    yield
    await asyncio.gather(*(stop_media_process(p) for p in processes))


@pytest.fixture
def on_redis(settings: Any, redis_url: str) -> Iterator[None]:  # noqa: F811
    """The web side's channel layer on the test Redis: placement is on."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url}]},
        }
    }
    yield


def candidate_ports(sdp: str) -> set[int]:
    return {int(port) for port in re.findall(r"a=candidate:\S+ \d \S+ \d+ \S+ (\d+)", sdp)}


async def test_two_rooms_are_placed_on_two_workers_and_each_room_gets_its_media(
    two_workers: None,
    on_redis: None,
    redis_layer: Any,  # noqa: F811
) -> None:
    routes = {
        room: [
            await media_routes.book(room, media_routes.MEMBER_LOAD, shared=MEDIA_WORKER_CHANNEL)
            for _ in range(2)
        ]
        for room in ("north", "south")
    }
    # Both idle: north goes to the first (by name), whose load then sends south to the
    # other; north's second member joins its room's worker.
    assert [r.seat and r.seat.worker for r in routes["north"]] == ["east", "east"]
    assert [r.seat and r.seat.worker for r in routes["south"]] == ["west", "west"]
    assert routes["south"][0].channel == worker_channel("west")
    units = media_routes.MEMBER_LOAD.units
    places = Placement(redis_layer_client := _client(redis_layer))
    assert {w.id: w.booked_units for w in await places.workers()} == {
        "east": 2 * units,
        "west": 2 * units,
    }
    assert await media_routes.room_channel("south", shared=MEDIA_WORKER_CHANNEL) == (
        worker_channel("west")
    )

    clients = {
        room: [
            MediaClient(redis_layer, room=room, peer=peer, worker_channel=route.channel)
            for peer, route in zip(("a", "b"), routes[room], strict=True)
        ]
        for room in routes
    }
    everyone = [c for pair in clients.values() for c in pair]
    try:
        await asyncio.gather(*(c.join() for c in everyone))
        for room, (a, b) in clients.items():
            await a.wait_for(a.receives(["b"]))
            await b.wait_for(b.receives(["a"]))
            # Each worker offered candidates from its own UDP range only.
            low, high = PORTS[routes[room][0].seat.worker]  # type: ignore[union-attr]
            assert a.pc is not None and a.pc.remoteDescription is not None
            ports = candidate_ports(a.pc.remoteDescription.sdp)
            assert ports and all(low <= port <= high for port in ports), ports
    finally:
        await asyncio.gather(*(c.close() for c in everyone), return_exceptions=True)

    for room, pair in routes.items():
        for route in pair:
            await media_routes.give_back(room, route, media_routes.MEMBER_LOAD)
    assert {w.id: w.booked_units for w in await places.workers()} == {"east": 0, "west": 0}
    assert await places.room_hosts("north") == []
    await media_routes.close()
    await redis_layer_client.aclose()


def _client(layer: Any) -> Any:
    """A Redis client on the layer's database (placement's own view, for the asserts)."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(layer.hosts[0]["address"])
