"""Packets lost between two workers are sent again (mediaworker/forwarding/pipe.py).

A pipe's datagram that never arrived was lost for every subscriber of the receiving
worker, and their NACKs could not be answered there. Here a real pipe (SRTP over UDP on
loopback) runs through the impairment relay, losing 8 % of its datagrams; the receiving
worker's subscriber is itself a pipe to a third socket, which records what reached it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.rtp import RtpPacket

from mediaworker.forwarding.pipe import (
    PIPE_PTS,
    PipedSource,
    PipeEgress,
    PipeOut,
    PipeSocket,
    new_pipe_key,
    pipe_session,
)
from mediaworker.metrics import TALLY
from tests.impair import LOOPBACK, Impairment, UdpRelay

PACKETS = 240
PER_FRAME = 4
KEYFRAME_EVERY = 10 * PER_FRAME  # B's subscriber starts at the first keyframe B gets
SSRC = 4321


class _Received(PipedSource):
    """The far end of the last pipe: what arrived, by sequence number."""

    def __init__(self) -> None:
        super().__init__("video", 0, lambda: None)
        self.got: set[int] = set()

    def forward(self, packet: RtpPacket) -> None:
        self.got.add(packet.sequence_number)


async def _socket(protocol: Any) -> tuple[asyncio.DatagramTransport, tuple[str, int]]:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: protocol, local_addr=(LOOPBACK, 0)
    )
    return transport, transport.get_extra_info("sockname")[:2]


def _packet(seq: int) -> RtpPacket:
    first = seq % PER_FRAME == 0
    key = seq % KEYFRAME_EVERY == 0
    payload = (b"\x10\x00" if key else b"\x10\x01" if first else b"\x00\x01") + bytes(600)
    return RtpPacket(
        payload_type=PIPE_PTS["video/vp8"],
        marker=int(seq % PER_FRAME == PER_FRAME - 1),
        sequence_number=seq,
        timestamp=(seq // PER_FRAME) * 3000,
        ssrc=SSRC,
        payload=payload,
    )


async def _until(check: Any, secs: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + secs
    while not check() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)


async def test_packets_lost_on_a_pipe_reach_the_far_workers_subscribers() -> None:
    # B, the receiving worker: its pipe socket, behind a relay that loses 8 % going in.
    inbound = PipeSocket()
    inbound_transport, b_address = await _socket(inbound)
    # C: where B's subscriber (a pipe of its own) delivers.
    delivered = PipeSocket()
    delivered_transport, c_address = await _socket(delivered)
    async with UdpRelay(b_address, up=Impairment(loss_percent=8.0), seed=7) as relay:
        # A, the far worker: a published video forwarded into a pipe towards B.
        key = new_pipe_key()
        a_transport, _ = await _socket(asyncio.DatagramProtocol())
        published = PipedSource("video", SSRC, lambda: None)  # the publisher's stream on A
        out_a = PipeOut("video", PipeEgress(a_transport, relay.address, key))
        published.attach(out_a)
        a_transport.sendto(b"open the relay's mapping", relay.address)
        await _until(lambda: relay.upstream_sockets())
        (a_seen_from,) = relay.upstream_sockets()

        # B: the piped stream asks A for what it misses (the channel layer's hop: here
        # straight to A's forward, as RoomPipes.on_resend does it).
        def ask_resend(seqs: list[int]) -> None:
            for seq in seqs:
                out_a.retransmit(seq)

        piped = PipedSource("video", out_a.ssrc, lambda: None, ask_resend)
        inbound.routes[(a_seen_from, out_a.ssrc)] = (pipe_session(key, outbound=False), piped)
        b_transport, _ = await _socket(asyncio.DatagramProtocol())
        c_key = new_pipe_key()
        out_b = PipeOut("video", PipeEgress(b_transport, c_address, c_key))
        piped.attach(out_b)
        received = _Received()
        delivered.routes[(b_transport.get_extra_info("sockname")[:2], out_b.ssrc)] = (
            pipe_session(c_key, outbound=False),
            received,
        )
        missed_before = TALLY.pipe_packets_missed
        for seq in range(PACKETS):
            published.forward(_packet(seq))
            await asyncio.sleep(0.003)
        # The last packets' gaps show only when a later one comes: a few more frames.
        for seq in range(PACKETS, PACKETS + 2 * PER_FRAME):
            published.forward(_packet(seq))
            await asyncio.sleep(0.003)

        def whole() -> bool:
            return len(received.got) >= PACKETS - KEYFRAME_EVERY and not _gaps(received.got)

        await _until(whole)
        lost_on_the_way = relay.up.counters.dropped_loss
    for transport in (inbound_transport, delivered_transport, a_transport, b_transport):
        transport.close()

    assert lost_on_the_way >= 5, "the relay lost too little to test anything"
    assert TALLY.pipe_packets_missed > missed_before
    assert len(received.got) >= PACKETS - KEYFRAME_EVERY
    assert _gaps(received.got) == 0, f"{_gaps(received.got)} packets never arrived"


def _gaps(got: set[int]) -> int:
    """How many sequence numbers between the first and the last that arrived did not.

    A pipe's sequence numbers start below 0x8000: these few hundred do not wrap."""
    return max(got) - min(got) + 1 - len(got) if got else 0
