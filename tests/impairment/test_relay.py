"""The impairment relay does what it claims, on real UDP sockets on loopback (issue 13)."""

from __future__ import annotations

import asyncio
import math
import struct
import time
from collections.abc import Awaitable, Callable

from tests.impair import LOOPBACK, Impairment, UdpRelay
from tests.impairment.conftest import Sink

Sinks = Callable[[], Awaitable[Sink]]


async def _client() -> asyncio.DatagramTransport:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=(LOOPBACK, 0)
    )
    return transport


async def _settle(relay: UdpRelay) -> None:
    """Wait until nothing is in flight in the relay (bounded)."""
    for _ in range(500):
        if not relay._pending:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)


async def test_loss_stays_within_a_binomial_bound(sinks: Sinks) -> None:
    sink = await sinks()
    count, loss = 2000, 5.0
    async with UdpRelay(sink.address, up=Impairment(loss_percent=loss), seed=7) as relay:
        client = await _client()
        for number in range(count):
            client.sendto(struct.pack("!I", number), relay.address)
            if number % 100 == 0:
                await asyncio.sleep(0.005)  # let the loopback buffers drain
        await _settle(relay)
        client.close()
        counters = relay.up.counters
    # The loopback socket's own buffer may drop a few on a loaded machine: judge what arrived.
    seen = counters.packets_in
    assert seen >= count * 0.9
    mean = seen * loss / 100
    bound = 5 * math.sqrt(seen * loss / 100 * (1 - loss / 100))  # five sigma
    assert abs(counters.dropped_loss - mean) <= bound
    assert len(sink.received) == counters.packets_forwarded == seen - counters.dropped_loss


async def test_the_same_seed_loses_the_same_packets(sinks: Sinks) -> None:
    lost: list[set[int]] = []
    for _ in range(2):
        sink = await sinks()
        async with UdpRelay(sink.address, up=Impairment(loss_percent=10), seed=42) as relay:
            client = await _client()
            for number in range(300):
                client.sendto(struct.pack("!I", number), relay.address)
                await asyncio.sleep(0)
            await _settle(relay)
            client.close()
        got = {struct.unpack("!I", data)[0] for data, _ in sink.received}
        lost.append(set(range(300)) - got)
    assert lost[0] and lost[0] == lost[1]


async def test_no_packet_arrives_before_the_delay(sinks: Sinks) -> None:
    sink = await sinks()
    delay_ms = 150
    impairment = Impairment(delay_ms=delay_ms, jitter_ms=20)
    async with UdpRelay(sink.address, up=impairment) as relay:
        client = await _client()
        for _ in range(50):
            client.sendto(struct.pack("!d", time.monotonic()), relay.address)
            await asyncio.sleep(0.002)
        await _settle(relay)
        client.close()
    assert len(sink.received) == 50
    for data, arrived in sink.received:
        (sent,) = struct.unpack("!d", data)
        assert arrived - sent >= delay_ms / 1000


async def test_a_burst_over_the_rate_is_capped_and_the_excess_counted(sinks: Sinks) -> None:
    sink = await sinks()
    rate_kbps, queue_bytes, size = 200, 10_000, 1000
    async with UdpRelay(
        sink.address, up=Impairment(rate_kbps=rate_kbps, queue_bytes=queue_bytes)
    ) as relay:
        client = await _client()
        started = time.monotonic()
        for number in range(100):  # 100 kB at once: ten times the queue
            client.sendto(b"x" * size, relay.address)
            if number % 10 == 9:
                await asyncio.sleep(0.001)  # the kernel's socket buffer is smaller than a burst
        await asyncio.sleep(0.2)
        delivered_early = sink.total_bytes
        elapsed = time.monotonic() - started
        await _settle(relay)
        client.close()
        counters = relay.up.counters
    # What left the bottleneck in `elapsed` seconds: at most the rate plus what the queue held.
    assert delivered_early <= rate_kbps * 1000 / 8 * elapsed + queue_bytes
    assert counters.dropped_queue > 0
    assert counters.packets_forwarded + counters.dropped_queue == counters.packets_in
    assert sink.total_bytes == counters.bytes_forwarded <= queue_bytes + size


async def test_nothing_passes_while_cut_and_traffic_flows_after_restore(sinks: Sinks) -> None:
    sink = await sinks()
    async with UdpRelay(sink.address) as relay:
        client = await _client()
        client.sendto(b"before", relay.address)
        await asyncio.wait_for(sink.arrived.wait(), 5)
        relay.cut()
        for _ in range(20):
            client.sendto(b"during", relay.address)
        await asyncio.sleep(0.2)
        assert [data for data, _ in sink.received] == [b"before"]
        assert relay.up.counters.dropped_cut == 20
        relay.restore()
        client.sendto(b"after", relay.address)
        await _settle(relay)
        client.close()
    assert [data for data, _ in sink.received] == [b"before", b"after"]


async def test_drop_for_restores_by_itself_and_replies_come_back(sinks: Sinks) -> None:
    sink = await sinks()
    replies: list[bytes] = []

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            replies.append(data)

    async with UdpRelay(sink.address, down=Impairment(delay_ms=20)) as relay:
        client, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            Client, local_addr=(LOOPBACK, 0)
        )
        relay.drop_for(1.0)
        assert relay.is_cut
        client.sendto(b"echo lost", relay.address)
        for _ in range(100):
            if not relay.is_cut:
                break
            await asyncio.sleep(0.05)
        assert not relay.is_cut and not sink.received
        assert relay.up.counters.dropped_cut == 1
        client.sendto(b"echo kept", relay.address)
        for _ in range(100):
            if replies:
                break
            await asyncio.sleep(0.02)
        client.close()
        assert relay.down.counters.packets_forwarded == 1
    assert replies == [b"echo kept"]
