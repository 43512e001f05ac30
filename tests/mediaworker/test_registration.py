"""A standalone worker's lease in placement (issue 14), on a real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio

from mediaworker.registration import Registration
from placement.costs import meeting_member
from placement.store import Placement, WorkerCard
from tests.conftest import redis_for_tests
from tests.placement.conftest import client, prefix  # noqa: F401 - fixtures

CARD = WorkerCard("w1", 100, "media-worker.w1")


async def test_beats_keep_the_worker_placed_and_retiring_removes_it(client, prefix) -> None:  # noqa: F811
    places = Placement(client, prefix=prefix)
    registration = Registration(places, CARD, heartbeat_secs=0.05)
    beats = asyncio.ensure_future(registration.run())
    try:
        while registration.beats < 3:
            await asyncio.sleep(0.05)
        seat = await places.place("r", meeting_member(4), pipe_units=0)
        assert seat is not None and seat.channel == "media-worker.w1"
    finally:
        beats.cancel()
    await registration.retire()
    assert await places.workers() == []
    assert await places.place("r", meeting_member(4), pipe_units=0) is None


async def test_a_lease_that_ran_out_between_beats_is_noticed(client, prefix) -> None:  # noqa: F811
    """The hook of worker failover (issue 14, item 5): a stalled worker's rooms may have
    been placed elsewhere; its next beat says so."""
    places = Placement(client, prefix=prefix, worker_ttl_ms=100, room_lease_ms=100)
    lost: list[str] = []
    registration = Registration(places, CARD, on_lost=lambda: lost.append("w1"))
    await registration.beat()
    await registration.beat()
    assert lost == []
    await asyncio.sleep(0.2)  # stalled past its lease
    await registration.beat()
    assert lost == ["w1"]


@contextlib.asynccontextmanager
async def beating(
    redis_client: Any, name: str, *, lease_ms: int, stall_limit_secs: float
) -> AsyncIterator[tuple[Placement, Registration, list[str]]]:
    """A registration beating from its own thread, as ``meet media`` runs it (every 0.1 s,
    on a lease of ``lease_ms``); the lost leases it noticed. Retired at the end."""
    places = Placement(redis_client, prefix=name, worker_ttl_ms=lease_ms, room_lease_ms=lease_ms)

    def connect() -> Placement:  # the same placement, on the thread's own client
        return Placement(
            redis.asyncio.Redis.from_url(redis_for_tests()),
            prefix=name,
            worker_ttl_ms=lease_ms,
            room_lease_ms=lease_ms,
        )

    lost: list[str] = []
    registration = Registration(
        places,
        CARD,
        heartbeat_secs=0.1,
        on_lost=lambda: lost.append("w1"),
        connect=connect,
        stall_limit_secs=stall_limit_secs,
    )
    await registration.beat()
    beats = asyncio.ensure_future(registration.run())
    try:
        await asyncio.sleep(0.3)
        yield places, registration, lost
    finally:
        beats.cancel()
        await registration.retire()


async def test_a_loop_stalled_past_the_lease_keeps_the_worker_placed(client, prefix) -> None:  # noqa: F811
    """A pause of the worker's loop longer than the lease (a burst of handshakes) must not
    move its rooms: the beating thread renews while the loop is only slow."""
    async with beating(client, prefix, lease_ms=500, stall_limit_secs=5) as (places, reg, lost):
        before = reg.beats
        time.sleep(1.5)  # the loop blocked three leases long
        during = reg.beats - before
        assert during >= 5, during
        assert [w.id for w in await places.workers()] == ["w1"]
        await asyncio.sleep(0.3)
        assert lost == [] and reg.skipped == 0
    assert await places.workers() == []
    await asyncio.sleep(0.3)  # the thread has stopped: no beat registers it again
    assert await places.workers() == []


async def test_a_loop_stuck_past_the_limit_lets_the_lease_run_out(client, prefix) -> None:  # noqa: F811
    """A loop that does not come back is a worker that no longer serves: its rooms must
    move, so the thread stops renewing; when the loop comes back, the lost lease is seen."""
    async with beating(client, prefix, lease_ms=300, stall_limit_secs=0.4) as (places, reg, lost):
        time.sleep(1.5)  # stuck: past the limit, then past the lease
        assert reg.skipped > 0
        assert await places.workers() == []
        for _ in range(50):  # the loop runs again: the next beat registers anew
            if lost:
                break
            await asyncio.sleep(0.05)
        assert lost == ["w1"]
        assert [w.id for w in await places.workers()] == ["w1"]
