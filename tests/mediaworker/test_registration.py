"""A standalone worker's lease in placement (issue 14), on a real Redis."""

from __future__ import annotations

import asyncio

from mediaworker.registration import Registration
from placement.costs import meeting_member
from placement.store import Placement, WorkerCard
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
