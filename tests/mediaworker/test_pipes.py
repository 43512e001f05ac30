"""Issue 14, items 3 and 4: rooms that span workers, and webinars served by an edge.

Two ``meet media`` processes on Redis, placed by the web side's own route
(realtime/media_routes.py). A low ``MEET_MEDIA_CAPACITY_UNITS`` on the first forces
placement to put part of a room on the second: there the others' publishers arrive
through a pipe (mediaworker/pipes.py) and are forwarded as if they published there.
Real aiortc members; the workers' /metrics say how many pipes they hold.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaworker.wire import MEDIA_WORKER_CHANNEL
from placement.store import Placement
from realtime import media_routes
from tests.e2e.conftest import _free_port
from tests.mediaworker.client import MediaClient
from tests.mediaworker.test_placed_workers import _client, on_redis  # noqa: F401 - a fixture
from tests.mediaworker.test_recording import command, new_recording, ready, wait_until
from tests.mediaworker.test_redis_worker import redis_layer, redis_url  # noqa: F401 - fixtures
from tests.mediaworker.workers import start_media_process, stop_media_process

pytestmark = pytest.mark.services

RECEIVE_SECS = 30.0


def metric(port: int, name: str) -> float:
    """One gauge of a worker's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture
def ports() -> dict[str, int]:
    return {"east": _free_port(), "west": _free_port()}


@pytest.fixture
def east_capacity() -> int:
    return 30


@pytest.fixture
async def workers(
    redis_url: str,  # noqa: F811 - the fixture
    ports: dict[str, int],
    east_capacity: int,
    tmp_path: Path,
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """east (small: a few members fill its headroom) and west (the default capacity)."""
    processes = []
    for name, capacity in (("east", east_capacity), ("west", 600)):
        processes.append(
            await start_media_process(
                redis_url,
                MEET_MEDIA_WORKER_ID=name,
                MEET_MEDIA_CAPACITY_UNITS=str(capacity),
                MEET_MEDIA_METRICS_PORT=str(ports[name]),
                MEET_RECORDINGS_DIR=str(tmp_path),
            )
        )
    yield processes
    await asyncio.gather(*(stop_media_process(p) for p in processes))


@pytest.fixture
def web_side(on_redis: None) -> Iterator[None]:  # noqa: F811 - the fixture
    yield


async def test_a_room_that_spans_two_workers_gives_everyone_everyone(
    workers: list[asyncio.subprocess.Process],
    web_side: None,
    redis_layer: Any,  # noqa: F811
    ports: dict[str, int],
) -> None:
    """Four sites of one briefing: two fill east's headroom, two are placed on west; each
    receives the three others' camera and voice, two of them through a pipe."""
    peers = ["a", "b", "c", "d"]
    routes = [
        await media_routes.book("span", media_routes.MEMBER_LOAD, shared=MEDIA_WORKER_CHANNEL)
        for _ in peers
    ]
    where = [r.seat.worker if r.seat else None for r in routes]
    assert where == ["east", "east", "west", "west"], where
    client = _client(redis_layer)
    hosts = await Placement(client).room_hosts("span")
    assert {h.worker for h in hosts} == {"east", "west"}

    clients = [
        MediaClient(
            redis_layer, room="span", peer=peer, worker_channel=route.channel, loud=peer == "c"
        )
        for peer, route in zip(peers, routes, strict=True)
    ]
    try:
        await asyncio.gather(*(c.join() for c in clients))
        for member in clients:
            others = [p for p in peers if p != member.peer]
            await member.wait_for(member.receives(others), timeout=RECEIVE_SECS)
        # The one speaker (c, on west) is the dominant speaker on east too: its level
        # crossed the pipe.
        await clients[0].wait_for(lambda: clients[0].speaker == "c", timeout=RECEIVE_SECS)
        # One pipe each way between the two workers, for this room.
        for name in ("east", "west"):
            assert metric(ports[name], "meet_media_pipes_in") == 1
            assert metric(ports[name], "meet_media_pipes_out") == 1
            assert metric(ports[name], "meet_media_participants") == 2
            # Each worker's two cameras, which the other's members watch.
            assert metric(ports[name], "meet_media_piped_videos_out") == 2

        # West's two sites turn video off (the weak-connection mode): east pipes them
        # no camera any more, only the voices, which they still hear.
        await asyncio.gather(*(c.subscribe([], video=False) for c in clients[2:]))
        await wait_until(lambda: metric(ports["east"], "meet_media_piped_videos_out") == 0)
        heard = clients[2].frames_from("a", "mic")
        await clients[2].wait_for(lambda: clients[2].frames_from("a", "mic") >= heard + 50)
        assert metric(ports["west"], "meet_media_piped_videos_out") == 2  # east still watches
        # Video on again: east pipes both cameras at once, from a keyframe.
        await asyncio.gather(*(c.subscribe([], video=True) for c in clients[2:]))
        before = clients[2].frames_from("a")
        await clients[2].wait_for(
            lambda: clients[2].frames_from("a") > before + 10, timeout=RECEIVE_SECS
        )
        assert metric(ports["east"], "meet_media_piped_videos_out") == 2

        # A site on west leaves: east's members see its stream go, the other stays.
        await clients[3].close()  # its consumer's leave, then its connection
        await clients[0].wait_for(
            lambda: all(s.get("peer") != "d" for s in clients[0].slots.values()),
            timeout=RECEIVE_SECS,
        )
        before = clients[0].frames_from("c")
        await clients[0].wait_for(lambda: clients[0].frames_from("c") > before + 10)
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for route in routes:
            await media_routes.give_back("span", route, media_routes.MEMBER_LOAD)
        await media_routes.close()
        await client.aclose()


@pytest.mark.parametrize("east_capacity", [14])
async def test_a_broadcast_on_one_worker_is_watched_through_one_pipe_on_another(
    workers: list[asyncio.subprocess.Process],
    web_side: None,
    redis_layer: Any,  # noqa: F811
    ports: dict[str, int],
    tmp_path: Path,
) -> None:
    """Origin–edge: the presenter and one viewer fill east; the next viewers are placed on
    west, which takes the program once, however many of them it serves."""
    presenter_route = await media_routes.book(
        "web", media_routes.MEMBER_LOAD, shared=MEDIA_WORKER_CHANNEL
    )
    assert presenter_route.seat is not None and presenter_route.seat.worker == "east"
    presenter = MediaClient(
        redis_layer,
        room="web",
        peer="p",
        worker_channel=presenter_route.channel,
        camera=(176, 144),
        loud=True,
    )
    viewers: list[MediaClient] = []
    viewer_routes: list[media_routes.Route] = []
    client = _client(redis_layer)
    directory = new_recording(tmp_path)
    try:
        await presenter.join()
        await command(
            redis_layer,
            "start",
            directory,
            channel=presenter_route.channel,
            room="web",
            broadcast=True,
        )
        await asyncio.sleep(1.0)  # the recorder starts (no message says so to a member)
        for n in range(5):
            route = await media_routes.book(
                "web", media_routes.VIEWER_LOAD, shared=MEDIA_WORKER_CHANNEL
            )
            viewer_routes.append(route)
            viewers.append(
                MediaClient(
                    redis_layer,
                    room="web",
                    peer=f"v{n}",
                    worker_channel=route.channel,
                    viewer=True,
                )
            )
        where = [r.seat.worker if r.seat else None for r in viewer_routes]
        assert where == ["east", "west", "west", "west", "west"], where
        await asyncio.gather(*(v.join() for v in viewers))
        for viewer in viewers:
            await viewer.wait_for(viewer.receives(["p"], frames=10), RECEIVE_SECS)
            assert viewer.codes == [], viewer.codes
            assert set(viewer.received[("p", "camera")].sizes) == {(176, 144)}
        # West serves four viewers from one upstream pipe; east sends one.
        assert metric(ports["west"], "meet_media_viewers") == 4
        assert metric(ports["west"], "meet_media_pipes_in") == 1
        assert metric(ports["east"], "meet_media_pipes_out") == 1
        assert metric(ports["east"], "meet_media_viewers") == 1

        # The broadcast stops on east: the edge's viewers hear it too.
        await command(redis_layer, "stop", directory, channel=presenter_route.channel, room="web")
        await wait_until(lambda: all(v.ended for v in viewers), timeout=RECEIVE_SECS)
        # Finalised before the workers stop (the recorder transcodes the VP8 camera).
        await wait_until(lambda: ready(directory), timeout=60)
    finally:
        await asyncio.gather(*(c.close() for c in [presenter, *viewers]), return_exceptions=True)
        await media_routes.give_back("web", presenter_route, media_routes.MEMBER_LOAD)
        for route in viewer_routes:
            await media_routes.give_back("web", route, media_routes.VIEWER_LOAD)
        await media_routes.close()
        await client.aclose()


async def test_a_pipe_whose_far_worker_died_is_closed(
    workers: list[asyncio.subprocess.Process],
    web_side: None,
    redis_layer: Any,  # noqa: F811
    ports: dict[str, int],
) -> None:
    """Issue 14, item 5 with pipes: west is SIGKILLed; east closes both pipes with it and
    its own members go on receiving each other (the web side moves west's members)."""
    routes = [
        await media_routes.book("span", media_routes.MEMBER_LOAD, shared=MEDIA_WORKER_CHANNEL)
        for _ in range(3)
    ]
    assert [r.seat.worker if r.seat else None for r in routes] == ["east", "east", "west"]
    clients = [
        MediaClient(redis_layer, room="span", peer=peer, worker_channel=route.channel)
        for peer, route in zip("abc", routes, strict=True)
    ]
    try:
        await asyncio.gather(*(c.join() for c in clients))
        a, b, c = clients
        await a.wait_for(a.receives(["b", "c"]), timeout=RECEIVE_SECS)
        assert metric(ports["east"], "meet_media_pipes_in") == 1

        workers[1].kill()  # west, mid-meeting
        await workers[1].wait()

        def closed() -> bool:
            return (
                metric(ports["east"], "meet_media_pipes_in") == 0
                and metric(ports["east"], "meet_media_pipes_out") == 0
            )

        await wait_until(closed, timeout=15)
        await a.wait_for(lambda: all(s.get("peer") != "c" for s in a.slots.values()), 10)
        before = a.frames_from("b"), b.frames_from("a")
        await a.wait_for(lambda: a.frames_from("b") > before[0] + 10, RECEIVE_SECS)
        await b.wait_for(lambda: b.frames_from("a") > before[1] + 10, RECEIVE_SECS)
    finally:
        await asyncio.gather(*(c.close() for c in clients[:2]), return_exceptions=True)
        for route in routes:
            await media_routes.give_back("span", route, media_routes.MEMBER_LOAD)
        await media_routes.close()
