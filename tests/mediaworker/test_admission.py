"""Handshakes take turns on the worker's loop (issue 14, item 6: never lose a publisher).

The queue alone (mediaworker/admission.py, no aiortc), then a burst of 30 real aiortc
joins over loopback on a worker that runs three handshakes at once: the bound holds,
every queued member is answered and receives the publisher's video, and the publisher
stays connected throughout.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from channels.layers import InMemoryChannelLayer

from mediaworker.admission import Admission, Withdrawn
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient
from tests.mediaworker.conftest import LOOPBACK_ONLY
from tests.mediaworker.workers import running

BURST = 30
AT_ONCE = 3

# -- the queue alone -------------------------------------------------------------


async def test_turns_begin_in_order_and_never_more_than_the_limit() -> None:
    admission = Admission(2)
    turns = [admission.ask() for _ in range(5)]
    assert [t.begun.done() for t in turns] == [True, True, False, False, False]
    assert (admission.running, admission.waiting) == (2, 3)

    turns[1].end()  # a handshake over: the first in the queue starts at once
    assert [t.begun.done() for t in turns] == [True, True, True, False, False]
    assert admission.running == 2

    for turn in turns:  # each handshake over in turn: the queue moves, one for one
        turn.end()
        underway = [t for t in turns if t.begun.done() and not t.ended]
        assert len(underway) == min(2, admission.waiting + len(underway))
        assert admission.running == len(underway) <= 2
    assert admission.peak == 2
    assert admission.queued == 3
    assert (admission.running, admission.waiting) == (0, 0)


async def test_a_turn_ended_before_it_began_leaves_the_queue() -> None:
    admission = Admission(1)
    first, second, third = admission.ask(), admission.ask(), admission.ask()
    second.end()  # the member left while it waited
    with pytest.raises(Withdrawn):
        await second.wait()
    first.end()
    await third.wait()  # the queue went on past the one that left
    assert (admission.running, admission.waiting) == (1, 0)


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    admission = Admission(1)
    first = admission.ask()
    second = admission.ask()
    waiter = asyncio.ensure_future(second.wait())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    first.end()
    assert (admission.running, admission.waiting) == (0, 0)


async def test_a_turn_held_too_long_lets_the_next_one_start() -> None:
    admission = Admission(1, hold_secs=0.05)
    admission.ask()  # its peer got an answer and never checked
    late = admission.ask()
    await late.wait()  # no end(): the hold ran out
    assert admission.running == 1


async def test_while_the_loop_lags_a_quarter_of_the_handshakes_run() -> None:
    admission = Admission(8)
    admission.lag_secs = admission.lag_limit_secs * 2  # as the queue's sleeper measured
    turns = [admission.ask() for _ in range(4)]
    assert [t.begun.done() for t in turns] == [True, True, False, False]
    single = Admission(3)  # never none at all: the queue keeps moving
    single.lag_secs = single.lag_limit_secs * 2
    assert [single.ask().begun.done() for _ in range(2)] == [True, False]


async def test_off_runs_every_handshake_at_once_and_counts_them() -> None:
    admission = Admission(0)
    turns = [admission.ask() for _ in range(10)]
    assert all(t.begun.done() for t in turns)
    assert (admission.peak, admission.queued) == (10, 0)


# -- real peers over loopback ----------------------------------------------------------


def receives_publisher(viewer: MediaClient) -> Callable[[], bool]:
    """A condition: the viewer decoded a few of the publisher's frames."""
    return lambda: viewer.frames_from("pub") >= 3


@pytest.fixture
async def bounded_worker(layer: InMemoryChannelLayer, tmp_path: Path) -> AsyncIterator[MediaWorker]:
    """A worker that runs at most ``AT_ONCE`` handshakes at once."""
    config = dataclasses.replace(LOOPBACK_ONLY, recordings_root=tmp_path, handshakes=AT_ONCE)
    async with running(MediaWorker(layer, config=config)) as worker:
        yield worker


async def test_a_burst_of_joins_takes_turns_and_every_member_gets_video(
    layer: InMemoryChannelLayer, bounded_worker: MediaWorker
) -> None:
    """Issue 14, item 6: 30 joins at once; never more than three handshakes run, each
    queued member is answered and receives the publisher, who stays connected."""
    clients: list[MediaClient] = []
    publisher = MediaClient(layer, room="r", peer="pub", camera=(160, 120), mic=False)
    clients.append(publisher)
    states: list[str] = []
    running_seen: list[int] = []
    admission = bounded_worker.admission
    try:
        await publisher.join()
        assert publisher.pc is not None
        pc = publisher.pc
        await publisher.wait_for(lambda: pc.connectionState == "connected")
        pc.on("connectionstatechange", lambda: states.append(pc.connectionState))

        async def watch() -> None:
            while True:
                running_seen.append(admission.running)
                await asyncio.sleep(0.01)

        watcher = asyncio.ensure_future(watch())
        viewers = [
            MediaClient(
                layer,
                room="r",
                peer=f"v{i}",
                camera=None,
                mic=False,
                audio_slots=0,
                camera_slots=1,
                screen_slots=0,
            )
            for i in range(BURST)
        ]
        clients += viewers
        await asyncio.gather(*(v.join(timeout=120) for v in viewers))
        for viewer in viewers:
            await viewer.wait_for(receives_publisher(viewer), timeout=120)
        watcher.cancel()

        assert admission.peak == AT_ONCE  # the bound was reached, never passed
        assert max(running_seen) <= AT_ONCE
        assert admission.queued >= BURST // 2  # most waited their turn
        assert admission.admitted == BURST + 1
        assert all(v.errors == [] for v in viewers)
        assert states == []  # the publisher never left "connected"
        assert pc.connectionState == "connected"
        frames = viewers[0].frames_from("pub")
        await viewers[0].wait_for(lambda: viewers[0].frames_from("pub") > frames + 5)
        assert (admission.running, admission.waiting) == (0, 0)
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
