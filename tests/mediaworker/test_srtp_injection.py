"""Issue 10 (ASVS 5.0 V17.2.3): SRTP authentication is checked at the media worker.

An attacker who learns a publisher's SSRC (it is in the clear in every RTP header) and
the worker's UDP port sends plain RTP with that SSRC and sequence numbers just ahead of
the real ones. Were it accepted, its payload would be forwarded to every subscriber and
recorded. The worker must count none of it: what it received from the publisher can
never exceed what the publisher sent.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender

from mediaworker.worker import MediaWorker
from tests.mediaworker.test_fuzz_worker import worker_ports

INJECTED_PACKETS = 2000


async def _packets(endpoint: RTCRtpSender | RTCRtpReceiver, kind: str) -> int:
    """packetsSent of an outbound-rtp or packetsReceived of an inbound-rtp report."""
    report = await endpoint.getStats()
    for stats in report.values():
        if stats.type == kind:
            return int(stats.packetsSent if kind == "outbound-rtp" else stats.packetsReceived)
    return 0


def _video(pc: Any, side: str) -> Any:
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "video":
            return getattr(transceiver, side)
    raise AssertionError("no video transceiver")


def _forged_rtp(ssrc: int, sequence: int, payload_type: int) -> bytes:
    """A plain (unprotected) RTP packet that claims to be the publisher's."""
    header = struct.pack("!BBHII", 0x80, 0x80 | payload_type, sequence & 0xFFFF, 90_000, ssrc)
    return header + b"\x90\xe0" + b"INJECTED" * 100


async def test_unauthenticated_rtp_with_a_publishers_ssrc_is_dropped(
    participant, worker: MediaWorker
) -> None:
    """Issue 10 (V17.2.3): forged RTP never reaches the router, subscribers or recorder."""
    publisher, subscriber = participant("p"), participant("s", camera=None)
    await asyncio.gather(publisher.join(), subscriber.join())
    await subscriber.wait_for(subscriber.receives(["p"], frames=5))
    session = worker.routers["r"].members["p"].session
    sender = _video(publisher.pc, "sender")
    ssrc, payload_type = sender._ssrc, 96
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker.bind(("127.0.0.1", 0))
    try:
        targets = worker_ports(session)
        # Every sequence number, so some land just ahead of the publisher's own.
        for number in range(INJECTED_PACKETS):
            packet = _forged_rtp(ssrc, number * 33, payload_type)
            attacker.sendto(packet, targets[number % len(targets)])
            if number % 100 == 0:
                await asyncio.sleep(0.005)
    finally:
        attacker.close()
    await asyncio.sleep(0.5)  # let the worker read them all
    received = await _packets(_video(session.pc, "receiver"), "inbound-rtp")
    sent = await _packets(sender, "outbound-rtp")
    print(f"\nforged {INJECTED_PACKETS} RTP packets; received {received}, sent {sent}")
    assert 0 < received <= sent, f"the worker received {received} packets, {sent} were sent"
    frames = subscriber.frames_from("p")
    await subscriber.wait_for(lambda: subscriber.frames_from("p") >= frames + 5)
