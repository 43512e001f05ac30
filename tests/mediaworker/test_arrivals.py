"""The publishers' bandwidth estimate is fed the kernel's receive times (issue 13).

A weak publisher's test (tests/e2e/test_weak_publisher.py) found the clean publishers'
uplink estimate cut from ~1.4 Mbit/s to ~100 kbit/s on loopback when a third page
joined: aiortc stamped each packet when its DTLS loop got to it, after the worker's
work on the packets before (mediaworker/forwarding/arrivals.py). Here a real aiortc
publisher runs on its own thread and event loop while the worker's loop is held busy:
its packets wait in the worker's socket, and the estimator must still see them spread
as they arrived, not bunched at the moment the loop got free.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.clock import current_ms
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcconfiguration import RTCBundlePolicy

from mediaworker import ice
from mediaworker.forwarding import Source
from mediaworker.forwarding.arrivals import ANCILLARY_BYTES, enable_stamps, stamp_ms
from mediaworker.forwarding.sockets import drain_sockets
from tests.mediaworker.client import PatternTrack

BUSY_SECS = 0.4


class SeenEstimator(RemoteBitrateEstimator):
    """aiortc's estimator, keeping each arrival time it was given and when."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[float, int]] = []  # (loop time handled, arrival_time_ms)

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int) -> Any:
        self.seen.append((time.monotonic(), arrival_time_ms))
        return super().add(
            arrival_time_ms=arrival_time_ms,
            abs_send_time=abs_send_time,
            payload_size=payload_size,
            ssrc=ssrc,
        )


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class PublisherThread:
    """An aiortc publisher on an event loop of its own (the worker's may be busy)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.pc: RTCPeerConnection | None = None

    def run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(10)

    async def offer(self) -> RTCSessionDescription:
        self.pc = _pc()
        self.pc.addTransceiver(PatternTrack(320, 180, noise=True), direction="sendonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription

    async def answer(self, description: RTCSessionDescription) -> None:
        assert self.pc is not None
        await self.pc.setRemoteDescription(description)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()

    def stop(self) -> None:
        self.run(self.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def publisher() -> Iterator[PublisherThread]:
    thread = PublisherThread()
    yield thread
    thread.stop()


@pytest.fixture
async def worker_pc() -> AsyncIterator[RTCPeerConnection]:
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    pc = _pc()
    yield pc
    await pc.close()
    ice.restore_host_addresses()


def test_the_kernel_stamps_a_datagram_when_it_arrives() -> None:
    """A datagram that waited in the socket keeps the time it arrived, in aiortc's clock."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as inbox:
        inbox.bind(("127.0.0.1", 0))
        assert enable_stamps(inbox)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outbox:
            sent_ms = current_ms()
            outbox.sendto(b"\x80" * 200, inbox.getsockname())
        time.sleep(0.2)
        _data, ancillary, _flags, _addr = inbox.recvmsg(2048, ANCILLARY_BYTES)
        read_ms = current_ms()
    stamped = stamp_ms(ancillary)
    assert stamped is not None
    assert sent_ms - 5 <= stamped <= sent_ms + 50, (sent_ms, stamped, read_ms)
    assert read_ms - stamped >= 150


async def test_a_busy_worker_does_not_look_like_a_congested_uplink(
    publisher: PublisherThread, worker_pc: RTCPeerConnection
) -> None:
    """Packets held in the socket while the worker's loop is busy reach the estimator
    with the times they arrived (spread over the busy spell), not the time they were
    handled (all at once)."""
    offer = publisher.run(publisher.offer())
    await worker_pc.setRemoteDescription(offer)
    transceiver = worker_pc.getTransceivers()[0]
    estimator = SeenEstimator()
    Source("video").tap(transceiver.receiver, estimator)
    await worker_pc.setLocalDescription(await worker_pc.createAnswer())
    drain_sockets(worker_pc)
    publisher.run(publisher.answer(worker_pc.localDescription))
    deadline = time.monotonic() + 10
    while len(estimator.seen) < 50:
        assert time.monotonic() < deadline, "no video reached the worker"
        await asyncio.sleep(0.05)

    time.sleep(BUSY_SECS)  # the worker's loop is busy: nothing is read meanwhile
    freed = time.monotonic()
    await asyncio.sleep(0.3)
    # The packets handled in the first moments after the loop got free: those that
    # waited in the socket during the busy spell.
    waited = [arrival for handled, arrival in estimator.seen if freed <= handled < freed + 0.05]
    assert len(waited) >= 10, estimator.seen[-40:]
    spread_ms = max(waited) - min(waited)
    assert spread_ms >= BUSY_SECS * 1000 / 2, (spread_ms, waited)
