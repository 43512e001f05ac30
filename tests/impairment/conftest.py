"""Fixtures: a UDP sink on loopback, and impaired relays closed after each test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import pytest

from tests.impair import LOOPBACK, Address, Impairment, UdpRelay, relay_for


class Sink(asyncio.DatagramProtocol):
    """A UDP socket that records each datagram with its arrival time (monotonic)."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, float]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.arrived = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.received.append((data, time.monotonic()))
        self.arrived.set()
        assert self.transport is not None
        if data.startswith(b"echo"):
            self.transport.sendto(data, addr)

    @property
    def address(self) -> Address:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    @property
    def total_bytes(self) -> int:
        return sum(len(data) for data, _ in self.received)


async def open_sink() -> Sink:
    """A bound sink on 127.0.0.1."""
    sink = Sink()
    await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: sink, local_addr=(LOOPBACK, 0)
    )
    return sink


@pytest.fixture
async def sinks() -> AsyncIterator[Callable[[], Awaitable[Sink]]]:
    """Open sinks on demand; all closed afterwards."""
    opened: list[Sink] = []

    async def make() -> Sink:
        sink = await open_sink()
        opened.append(sink)
        return sink

    yield make
    for sink in opened:
        if sink.transport is not None:
            sink.transport.close()


RelayForAnswer = Callable[..., Awaitable[tuple[str, UdpRelay]]]


@pytest.fixture
async def impaired_answer() -> AsyncIterator[RelayForAnswer]:
    """Route a WebRTC answerer through an impairment relay: ``sdp, relay = await
    impaired_answer(answer_sdp, up=Impairment(...), down=Impairment(...))``; give the
    offerer the returned ``sdp``. Relays are closed after the test."""
    relays: list[UdpRelay] = []

    async def make(
        answer_sdp: str,
        *,
        up: Impairment | None = None,
        down: Impairment | None = None,
        seed: int = 13,
    ) -> tuple[str, UdpRelay]:
        sdp, relay = await relay_for(answer_sdp, up=up, down=down, seed=seed)
        relays.append(relay)
        return sdp, relay

    yield make
    for relay in relays:
        await relay.close()
