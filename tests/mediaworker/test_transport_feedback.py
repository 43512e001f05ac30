"""Transport-wide feedback with real peers (issue 13): the worker numbers what it forwards
to a subscriber that offers it, and the subscriber's feedback judges its link.

aiortc neither offers the extension nor sends the feedback, so the subscriber here adds
both, as Chromium does: its offer gets the extmap and ``transport-cc`` (``offer_transport_cc``), and
a reader on its DTLS transport notes each numbered packet and answers every 100 ms with
feedback written by hand (``_feedback``) — honestly, or saying half was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
import time
from typing import Any

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from mediaworker.metrics import TALLY
from mediaworker.transport_cc import URI
from tests.mediaworker.client import TRANSPORT_CC_ID as EXTENSION_ID
from tests.mediaworker.client import MediaClient, offer_transport_cc

_EXTENSIONS = HeaderExtensionsMap()
_EXTENSIONS.configure(
    RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(EXTENSION_ID, URI)])
)


def _number_of(packet: bytes) -> int | None:
    """The transport-wide number in an RTP packet, read by aiortc's own parser."""
    return RtpPacket.parse(packet, _EXTENSIONS).extensions.transport_sequence_number


def _feedback(arrivals: list[tuple[int, float | None]], count: int, ssrc: int) -> bytes:
    """A transport-cc feedback packet for consecutive numbers: two-bit status vectors,
    small or large deltas (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1)."""
    base = arrivals[0][0]
    first = next(at for _, at in arrivals if at is not None)
    reference = int(first / 0.064)
    at = reference * 0.064
    statuses, deltas = [], b""
    for _, arrival in arrivals:
        if arrival is None:
            statuses.append(0)
            continue
        delta = round((arrival - at) / 0.00025)
        at += delta * 0.00025
        if 0 <= delta <= 255:
            statuses.append(1)
            deltas += bytes([delta])
        else:
            statuses.append(2)
            deltas += struct.pack("!h", max(min(delta, 32767), -32768))
    chunks = b""
    for i in range(0, len(statuses), 7):
        group = statuses[i : i + 7] + [0] * (7 - len(statuses[i : i + 7]))
        chunk = 0xC000
        for j, status in enumerate(group):
            chunk |= status << (12 - 2 * j)
        chunks += struct.pack("!H", chunk)
    fci = struct.pack("!HH", base, len(arrivals)) + (reference & 0xFFFFFF).to_bytes(3, "big")
    fci += bytes([count & 0xFF]) + chunks + deltas
    fci += bytes(-len(fci) % 4)
    body = struct.pack("!II", 1, ssrc) + fci
    return bytes([0x80 | 15, 205]) + struct.pack("!H", len(body) // 4) + body


class Numbered:
    """A subscriber's reader of numbered packets, and its feedback every 100 ms."""

    def __init__(self, client: MediaClient, *, lose_every: int = 0) -> None:
        self.client = client
        self.lose_every = lose_every  # report every n-th packet lost (0: honest)
        self.numbers: list[int] = []
        self.unnumbered = 0
        self._pending: dict[int, float] = {}
        self._next: int | None = None
        self._ssrc = 0
        self._task: asyncio.Task[None] | None = None

    def attach(self) -> None:
        assert self.client.pc is not None
        dtls: Any = self.client.pc.getTransceivers()[0].receiver.transport
        original = dtls._handle_rtp_data

        async def handle(data: bytes, arrival_time_ms: int) -> None:
            number = _number_of(data)
            if number is None:
                self.unnumbered += 1
            else:
                self.numbers.append(number)
                self._pending[number] = time.monotonic()
                self._ssrc = int.from_bytes(data[8:12], "big")
            await original(data, arrival_time_ms)

        dtls._handle_rtp_data = handle
        self._task = asyncio.ensure_future(self._feed(dtls))

    async def _feed(self, dtls: Any) -> None:
        count = 0
        while True:
            await asyncio.sleep(0.1)
            if not self._pending:
                continue
            if self._next is None:
                self._next = min(self._pending)
            last = max(self._pending)
            arrivals: list[tuple[int, float | None]] = []
            for number in range(self._next, last + 1):
                arrival = self._pending.pop(number, None)
                if self.lose_every and number % self.lose_every == 0:
                    arrival = None
                arrivals.append((number & 0xFFFF, arrival))
            self._next = last + 1
            if all(at is None for _, at in arrivals):
                continue
            with contextlib.suppress(ConnectionError):
                await dtls._send_rtp(_feedback(arrivals, count, self._ssrc))
            count += 1

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def _numbered_subscriber(participant: Any, *, lose_every: int = 0) -> tuple[Any, Numbered]:
    a = participant("a", camera=(320, 180), loud=True)
    b = participant("b", camera=None, offer_edit=offer_transport_cc)
    await a.join()
    await b.join()
    numbered = Numbered(b, lose_every=lose_every)
    numbered.attach()
    return b, numbered


async def test_a_subscriber_that_offers_numbers_gets_every_forwarded_packet_numbered(
    participant,
) -> None:
    b, numbered = await _numbered_subscriber(participant)
    try:
        answer = b.pc.remoteDescription.sdp
        assert f"a=extmap:{EXTENSION_ID} {URI}" in answer
        assert re.search(r"(?m)^a=rtcp-fb:\d+ transport-cc", answer)
        # Its own publish m-lines are not numbered: the browser keeps the worker's REMB.
        sections = re.split(r"(?m)^(?=m=)", answer)
        for section in sections[1:]:
            if "a=recvonly" in section:  # the worker receives what b publishes
                assert URI not in section and "transport-cc" not in section
        await b.wait_for(b.receives(["a"], frames=30), 20)
        await b.wait_for(lambda: len(numbered.numbers) >= 300, 10)
        # One counter for the connection: audio and video numbered in one sequence.
        seen = sorted(set(numbered.numbers))
        assert seen == list(range(seen[0], seen[0] + len(seen)))
        assert len(seen) == len(numbered.numbers)  # each number once
    finally:
        await numbered.close()


async def test_honest_feedback_is_read_and_leaves_a_clean_link_alone(participant) -> None:
    before = TALLY.feedbacks
    b, numbered = await _numbered_subscriber(participant)
    try:
        await b.wait_for(b.receives(["a"], frames=30), 20)
        await asyncio.sleep(4)
        assert TALLY.feedbacks - before >= 20
        assert TALLY.bad_feedback == 0
        assert b.bandwidth == []
    finally:
        await numbered.close()


async def test_feedback_that_says_half_was_lost_cuts_the_link_on_its_own(participant) -> None:
    """Every packet arrives (loopback: no NACK, clean receiver reports); only the
    feedback says half was lost, and the worker takes the link down for it."""
    b, numbered = await _numbered_subscriber(participant, lose_every=2)
    try:
        await b.wait_for(lambda: bool(b.bandwidth), 15)
        assert b.bandwidth[0] != "ok"
    finally:
        await numbered.close()


async def test_an_offer_again_on_the_same_connection_keeps_the_numbers(participant) -> None:
    """aiortc rebuilds every m-line's extensions from its own list on each offer: the
    worker must add transport-cc back to the m-lines it answered before, too."""
    b, numbered = await _numbered_subscriber(participant)
    try:
        pc = b.pc
        await pc.setLocalDescription(await pc.createOffer())
        b._answered.clear()
        sdp = offer_transport_cc(pc.localDescription.sdp)
        await b.send({"type": "rtc.offer", "sdp": sdp, "tracks": []})
        await b.wait_for(b._answered.is_set, 15)
        sections = re.split(r"(?m)^(?=m=)", pc.remoteDescription.sdp)
        receiving = [s for s in sections[1:] if "a=sendonly" in s]  # the worker's sends
        assert receiving and all(f"a=extmap:{EXTENSION_ID} {URI}" in s for s in receiving)
        before = len(numbered.numbers)
        await b.wait_for(lambda: len(numbered.numbers) >= before + 100, 10)
    finally:
        await numbered.close()


async def test_an_id_past_the_one_byte_headers_is_not_answered(participant) -> None:
    """The worker writes one-byte header elements (ids 1-14): an offer of the numbers
    under id 15 is answered without them, and nothing is numbered."""
    a = participant("a", camera=(320, 180))
    b = participant(
        "b",
        camera=None,
        offer_edit=lambda sdp: offer_transport_cc(sdp).replace(
            f"a=extmap:{EXTENSION_ID} ", "a=extmap:15 "
        ),
    )
    await a.join()
    await b.join()
    numbered = Numbered(b)
    numbered.attach()
    try:
        assert URI not in b.pc.remoteDescription.sdp
        await b.wait_for(lambda: numbered.unnumbered >= 100, 20)
        assert numbered.numbers == []
    finally:
        await numbered.close()
