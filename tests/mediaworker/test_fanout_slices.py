"""A publisher's backlog is fanned out in slices, the loop turning between them.

Issue 14, item 6: in a join storm near capacity the worker's loop fell behind, and
aiortc's DTLS task then handled a publisher's whole backlog in one step (it takes queued
datagrams without yielding), fanning a second of packets out to every subscriber while
no socket was read: the publishers' STUN consent checks went unanswered and the worker's
lease ran out. A real aiortc publisher runs on its own thread while the worker's loop is
held busy; once free, the packets that waited must be handled over several loop turns.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from aiortc import RTCPeerConnection

from mediaworker.forwarding import source as source_module
from mediaworker.forwarding.sockets import drain_sockets
from mediaworker.forwarding.source import Source
from tests.mediaworker.test_arrivals import (  # noqa: F401 (fixtures, used here)
    BUSY_SECS,
    PublisherThread,
    publisher,
    worker_pc,
)


async def test_a_publishers_backlog_is_handled_over_several_loop_turns(
    publisher: PublisherThread,  # noqa: F811
    worker_pc: RTCPeerConnection,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A slice of no time: every packet of a backlog but the first lets the loop turn
    # (the worker's 10 ms slice holds more than a test publisher's whole backlog).
    monkeypatch.setattr(source_module, "FANOUT_SLICE_SECS", 0.0)
    offer = publisher.run(publisher.offer())
    await worker_pc.setRemoteDescription(offer)
    stream = Source("video")
    stream.tap(worker_pc.getTransceivers()[0].receiver)
    await worker_pc.setLocalDescription(await worker_pc.createAnswer())
    drain_sockets(worker_pc)
    publisher.run(publisher.answer(worker_pc.localDescription))

    loop = asyncio.get_running_loop()
    turn = [0]
    forwarded: list[int] = []  # the loop turn each packet was fanned out in
    fan_out = stream.forward

    def forward(packet: object) -> None:
        forwarded.append(turn[0])
        fan_out(packet)  # type: ignore[arg-type]

    stream.forward = forward  # type: ignore[method-assign]
    deadline = time.monotonic() + 10
    while len(forwarded) < 20:
        assert time.monotonic() < deadline, "no video reached the worker"
        await asyncio.sleep(0.05)

    ticking = [True]

    def tick() -> None:  # runs once in every turn of the loop
        turn[0] += 1
        if ticking[0]:
            loop.call_soon(tick)

    before = len(forwarded)
    loop.call_soon(tick)
    time.sleep(BUSY_SECS)  # the worker's loop is busy: the publisher's packets wait
    await asyncio.sleep(0.3)
    ticking[0] = False
    after = forwarded[before:]
    assert len(after) >= 10, after  # a backlog built up and was handled
    per_turn = Counter(after)
    assert max(per_turn.values()) <= 2, per_turn  # never the whole backlog in one step
