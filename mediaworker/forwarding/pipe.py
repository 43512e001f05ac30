"""The RTP of a pipe between two workers: its sending end and its receiving end.

A pipe carries published streams of a room from the worker their publishers sit on
(the far end, "A") to another worker of the room ("B"), without re-encoding. On A each
piped stream is one more forward of its ``Source``: a ``PipeOut`` attached like any
subscriber's slot (it starts at a keyframe, its sequence numbers and timestamps continue
across a switch of source), written through ``PipeEgress`` as SRTP on a plain UDP socket
to B's pipe socket. On B each piped stream is a ``PipedSource``: the same ``Source`` the
router fans out to its own subscribers, fed from the pipe socket instead of a tapped
aiortc receiver; its keyframe requests go back to A (``ask_keyframe``), where they reach
the publisher through A's own throttle.

Why SRTP on plain UDP and not an aiortc connection: no ICE, DTLS or SDP between two
workers that already talk over the channel layer, one socket per worker for all pipes,
and the hot path is the forwarder's own (one protect per packet per pipe). The key
(AES-128-CM, HMAC-SHA1-80, random per pipe) travels from B to A over the channel layer;
B accepts a datagram only from the address A announced and only for an SSRC it was told,
and libsrtp authenticates it and refuses replays.

A datagram lost between the workers would be lost for every subscriber of B, and none
of their NACKs could be answered (B never held it): B sees the gap in a piped video's
sequence numbers as the next packet arrives and asks A at once (``ask_resend``, a
``resend`` message), A sends those packets again from its source's ring through the
same SRTP session (its sender allows a repeated index; B's replay window still refuses
a copy it has), and B hands each, as it would a publisher's retransmission, to the
subscribers that are past it. Audio is not asked for: browsers do not NACK it, and a
resent packet would come after its playout time.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

from aiortc.rtp import RtpPacket
from pylibsrtp import Error as SrtpError
from pylibsrtp import Policy, Session

from mediaworker.forwarding.outbound import Egress, Outbound
from mediaworker.forwarding.source import RING_MASK, Source
from mediaworker.forwarding.srtp import SrtpWriter
from mediaworker.metrics import TALLY
from mediaworker.pipe_wire import MAX_RESEND
from mediaworker.rtp import keyframe_test, seq_newer

logger = logging.getLogger(__name__)

# The payload types a pipe uses: the receiving worker maps each back to its codec. The
# publisher's own numbers would do, but they differ per browser and per offer.
PIPE_PTS: dict[str, int] = {"audio/opus": 111, "video/vp8": 96, "video/h264": 102}
PIPE_KEY_BYTES = 30  # AES-128 key (16) + salt (14): libsrtp's AES128_CM_SHA1_80
PIPE_PROFILE = Policy.SRTP_PROFILE_AES128_CM_SHA1_80
# A packet asked for again and still missing this long after is asked for once more (the
# far worker answers one request per packet per 0.1 s: RESEND_GAP_SECS), this many times
# in all; by then a subscriber that needed it has asked for a keyframe.
RESEND_AGAIN_SECS = 0.15
RESEND_TRIES = 3


def new_pipe_key() -> bytes:
    """A fresh SRTP master key and salt for one pipe."""
    return random.SystemRandom().randbytes(PIPE_KEY_BYTES)


def pipe_session(key: bytes, *, outbound: bool) -> Session:
    """The SRTP session of one end of a pipe."""
    kind = Policy.SSRC_ANY_OUTBOUND if outbound else Policy.SSRC_ANY_INBOUND
    policy = Policy(key=key, ssrc_type=kind, srtp_profile=PIPE_PROFILE)
    policy.allow_repeat_tx = outbound  # a lost packet is sent again with its own index
    policy.window_size = 1024  # ...and may arrive that far behind the newest
    return Session(policy)


class PipeEgress(Egress):
    """The sending end of one pipe: SRTP packets to the far worker's pipe socket.

    An ``Egress`` to the forwarder (the same ``forward``, ``send``, ``congested``), but no
    ICE pair, DTLS, receiver reports or probes behind it: its own session and socket.
    """

    fast = False  # sent here, one packet at a time, to its own socket

    def __init__(self, transport: asyncio.DatagramTransport, address: tuple[str, int], key: bytes):
        # Not Egress.__init__, which wants a DTLS transport: a pipe has its own session.
        self._init_counters(limit_bytes=0)
        self._pipe_transport = transport
        self._pipe_address = address
        self._session = pipe_session(key, outbound=True)
        self._pipe_writer = SrtpWriter(self._session)

    def forward(self, second_byte: int, seq: int, ts: int, ssrc: int, payload: bytes) -> None:
        """Protect and send one forwarded packet down the pipe."""
        protected = self._pipe_writer.protect(second_byte, seq, ts, ssrc, payload)
        if protected is None:
            return
        self.sent_packets += 1
        self.sent_octets += len(payload) + 22
        self._pipe_transport.sendto(bytes(protected), self._pipe_address)

    def send(self, data: bytes) -> None:
        """Protect and send one packet again (the far worker missed it)."""
        try:
            protected = self._session.protect(data)
        except SrtpError:
            return  # too large for the session's buffer
        TALLY.pipe_packets_resent += 1
        self._pipe_transport.sendto(protected, self._pipe_address)

    def congested(self) -> bool:
        """A pipe never skips frames: the far worker's own subscribers do, each for itself."""
        return False

    def close(self) -> None:
        """Nothing runs behind a pipe's egress."""


class PipeOut(Outbound):
    """One piped stream on the sending worker: a forward of a ``Source`` into a pipe."""

    def __init__(self, kind: str, egress: PipeEgress) -> None:
        # Not Outbound.__init__, which adopts an RTCRtpSender: a pipe has none.
        self._init_forwarding(kind, random.getrandbits(32))
        self.egress = egress
        self.pts = dict(PIPE_PTS)
        self.ready = True
        egress.outbounds.append(self)

    def stop(self) -> None:
        """Stop forwarding into the pipe."""
        if self.source is not None:
            self.source.detach(self)


class PipedSource(Source):
    """A stream piped in from another worker, fanned out here like a local publisher's."""

    def __init__(
        self,
        kind: str,
        ssrc: int,
        ask_keyframe: Callable[[], None],
        ask_resend: Callable[[list[int]], None] | None = None,
    ) -> None:
        self._ask_keyframe = ask_keyframe
        self._ask_resend = ask_resend if kind == "video" else None
        self._newest: int | None = None  # the newest sequence number the pipe brought
        self._asked: dict[int, tuple[float, int]] = {}  # missing: (when last asked, times)
        super().__init__(kind)
        self.media_ssrc = ssrc
        for mime, pt in PIPE_PTS.items():
            test = keyframe_test(mime)
            if test is not None and mime.startswith(kind):
                self.mimes[pt] = mime
                self._is_key[pt] = test

    def _send_pli(self) -> None:
        # The publisher is on the far worker: it asks, throttled there too.
        self._ask_keyframe()

    def forward(self, packet: RtpPacket) -> None:
        """Fan a piped packet out; ask the far worker again for any packets it skipped."""
        if self._ask_resend is None:
            super().forward(packet)
            return
        seq, newest = packet.sequence_number, self._newest
        if newest is not None:
            if not seq_newer(seq, newest):  # sent again as asked (or reordered on the way)
                self._asked.pop(seq, None)
                held = self.ring[seq & RING_MASK]
                if not self.held and (held is None or held.sequence_number != seq):
                    self.recovered(packet)
                return
            missing = (seq - newest - 1) & 0xFFFF
            if 0 < missing <= MAX_RESEND:
                TALLY.pipe_packets_missed += missing
                now = asyncio.get_running_loop().time()
                seqs = [(newest + 1 + i) & 0xFFFF for i in range(missing)]
                for lost in seqs:
                    self._asked[lost] = (now, 1)
                self._ask_resend(seqs)
        self._newest = seq
        if self._asked:
            self._ask_again()
        super().forward(packet)

    def _ask_again(self) -> None:
        # A packet sent again can be lost too: asked for again while it can still help.
        now = asyncio.get_running_loop().time()
        again: list[int] = []
        for seq, (when, tries) in list(self._asked.items()):
            if tries >= RESEND_TRIES:
                del self._asked[seq]
            elif now - when >= RESEND_AGAIN_SECS:
                self._asked[seq] = (now, tries + 1)
                again.append(seq)
        if again and self._ask_resend is not None:
            self._ask_resend(again[:MAX_RESEND])


class PipeSocket(asyncio.DatagramProtocol):
    """A worker's one pipe socket: every pipe to this worker ends here.

    ``routes`` maps (far worker's address, SSRC) to the pipe's session and the source it
    feeds; anything else is dropped before it is unprotected."""

    def __init__(self) -> None:
        self.routes: dict[tuple[tuple[str, int], int], tuple[Session, Source]] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.dropped = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if len(data) < 12:
            self.dropped += 1
            return
        route = self.routes.get(((addr[0], addr[1]), int.from_bytes(data[8:12], "big")))
        if route is None:
            self.dropped += 1
            return
        session, source = route
        try:
            packet = RtpPacket.parse(session.unprotect(data))
        except (SrtpError, ValueError):
            self.dropped += 1  # forged, damaged or replayed
            return
        source.forward(packet)

    def error_received(self, exc: Exception) -> None:
        logger.debug("pipe socket: %r", exc)
