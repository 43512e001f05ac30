"""Publisher side: a tapped receiver fanned out to subscriber slots (aiortc 1.16)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpReceiver
from aiortc.codecs import is_rtx
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtp import RtpPacket, unwrap_rtx

from mediaworker.forwarding import native
from mediaworker.forwarding.arrivals import watched
from mediaworker.keyframes import KeyframeRequester
from mediaworker.metrics import TALLY
from mediaworker.rtp import keyframe_test, seq_newer

if TYPE_CHECKING:
    from mediaworker.forwarding.outbound import Outbound

RING_SIZE = 1024  # packets kept per source for retransmission (~6 s of 1.4 Mbps video)
RING_MASK = RING_SIZE - 1
# A publisher's backlog is fanned out in slices of about this long; between slices the
# loop reads the sockets (join storm, issue 14 item 6: below).
FANOUT_SLICE_SECS = 0.01
_slicing = [True]  # this process's choice (``slice_fanout``)


def slice_fanout(on: bool) -> None:
    """Fan a backlog out in slices (default), or in one step as aiortc does
    (``MEET_MEDIA_FANOUT_SLICES=off``, for ``bench/fanout.py --storm``'s comparison)."""
    _slicing[0] = on


# A recorder's tap: (source, packet, starts a keyframe, arrival time of its frame).
Sink = Callable[["Source", RtpPacket, bool, float], None]


class _NoJitterBuffer:
    """Stands in for the receiver's jitter buffer: frames are never assembled."""

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        return False, None


_NO_JITTER_BUFFER = _NoJitterBuffer()


class Source:
    """One published stream (a publisher's m-line), fanned out to subscriber slots."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.outs: list[Outbound] = []
        # Slots moving here from another layer of the same video: they keep the old
        # layer until this one's next keyframe (no freeze on a switch up).
        self.pending: list[Outbound] = []
        self.octets = 0  # payload bytes received: the router turns them into a bitrate
        self.octets_mark = 0
        self.bitrate = 0.0  # bits/s, kept by the router (mediaworker/adaptation.py)
        self.mimes: dict[int, str] = {}  # publisher payload type -> codec mime type
        self.media_ssrc: int | None = None
        self.rtx_ssrc: int | None = None
        self.rtx_apt: dict[int, int] = {}
        self.ring: list[RtpPacket | None] = [None] * RING_SIZE
        self.last_ts = 0
        self.frame_time = 0.0
        self.packets = 0
        self.frames = 0
        self.keyframes = 0
        self._new_ts = -1
        self._is_key: dict[int, Callable[[bytes], bool]] = {}
        self._receiver: RTCRtpReceiver | None = None
        self._level_sum = 0
        self._level_count = 0
        self._keyframes = KeyframeRequester(self._send_pli, self._anyone_waiting)
        # The room's recorder, only while it records this stream (mediaworker/recording).
        self.sink: Sink | None = None
        # A host muted this stream: its packets are dropped here, before anything
        # (subscribers, recorder, mixer, speaker levels) sees them.
        self.held = False
        self._slice_from: float | None = None  # when the backlog's current slice began
        # ``outs`` sorted for the hot path, redone after any change (``changed``): the
        # slots waiting for a keyframe, those the compiled helper serves (their C
        # pointers in ``_fast_slots``) and the rest, served here.
        self._dirty = True
        self._waiters: list[Outbound] = []
        self._fast: list[Outbound] = []
        self._slow: list[Outbound] = []
        self._fast_slots: Any = None
        self._skipped: Any = None
        self._skips: Any = native.ffi.new("int *") if native.built() else None

    def changed(self) -> None:
        """A slot's state that decides how it is served changed (waiting, ready...)."""
        self._dirty = True

    def _sort_outs(self) -> None:
        self._dirty = False
        waiters, fast, slow = [], [], []
        for out in self.outs:
            if out.waiting:
                waiters.append(out)
            elif (
                out.egress is not None
                and out.egress.native_state is not None
                and native.is_native(out._slot)
            ):
                fast.append(out)
            else:
                slow.append(out)
        self._waiters, self._fast, self._slow = waiters, fast, slow
        if not fast:
            self._fast_slots = None
            return
        ffi = native.ffi
        self._fast_slots = ffi.new("struct fan_slot *[]", len(fast))
        self._skipped = ffi.new("int[]", len(fast))
        for i, out in enumerate(fast):
            slot = out._slot
            slot.egress = out.egress.native_state  # type: ignore[union-attr]
            slot.ssrc, slot.seq_off, slot.ts_off = out.ssrc, out.seq_off, out.ts_off
            ffi.memmove(slot.pt_for, bytes([native.lib.FAN_NO_PT]) * 128, 128)
            for pt_in, mime in self.mimes.items():
                pt = out.pts.get(mime)
                if pt is not None and 0 <= pt_in < 128:
                    slot.pt_for[pt_in] = pt
            self._fast_slots[i] = slot

    # -- wiring ------------------------------------------------------------------

    def tap(
        self, receiver: RTCRtpReceiver, estimator: RemoteBitrateEstimator | None = None
    ) -> None:
        """Take this receiver's RTP packets; keep aiortc's RTCP, drop its decoding.

        ``estimator``: the publisher connection's one bandwidth estimator, shared by
        all its video receivers. aiortc gives each receiver its own, whose REMB then
        speaks for one stream only; a browser takes every REMB as its whole uplink's
        budget, so a low layer's small estimate would starve the high layer.

        Each packet reaches aiortc with the kernel's receive time where the worker's
        socket reader has it (``forwarding/arrivals.py``: aiortc's own time includes
        the worker's work on earlier packets, which its estimator took for a congested
        uplink)."""
        self._receiver = receiver
        ice = receiver.transport.transport
        if estimator is not None and self.kind == "video":
            receiver._RTCRtpReceiver__remote_bitrate_estimator = estimator  # type: ignore[attr-defined]
        original_receive = receiver.receive
        original_handle = receiver._handle_rtp_packet

        async def receive(parameters: RTCRtpReceiveParameters) -> None:
            await original_receive(parameters)
            receiver._RTCRtpReceiver__stop_decoder()  # type: ignore[attr-defined]
            self._configure(parameters)

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            self.forward(packet)
            arrivals = watched(ice)
            if arrivals is not None and arrivals.current_ms is not None:
                arrival_time_ms = arrivals.current_ms
            await original_handle(packet, arrival_time_ms)
            await self._share_loop(ice._connection._queue)

        receiver._RTCRtpReceiver__jitter_buffer = _NO_JITTER_BUFFER  # type: ignore[attr-defined]
        receiver.receive = receive  # type: ignore[method-assign]
        receiver._handle_rtp_packet = handle  # type: ignore[method-assign]

    async def _share_loop(self, backlog: asyncio.Queue[Any]) -> None:
        """Let the loop read the sockets when this publisher's backlog ran a slice long.

        aiortc's DTLS task takes the connection's queued datagrams one after another
        without yielding while the queue holds any: once the loop fell behind (a join
        storm near capacity), one step fanned out a second of a publisher's packets to
        every subscriber, and meanwhile nothing answered the publishers' STUN consent
        checks (0.5 s each, six missed and the browser drops the connection) nor renewed
        the worker's lease. A slice is a frame's fan-out or more, so a subscriber's
        batched send still carries a frame (forwarding/batch.py); with no backlog the
        task waits for the next datagram anyway and nothing is added."""
        if not backlog.qsize():
            self._slice_from = None
            return
        now = time.monotonic()
        if self._slice_from is None:
            self._slice_from = now
        elif _slicing[0] and now - self._slice_from >= FANOUT_SLICE_SECS:
            await asyncio.sleep(0)
            self._slice_from = time.monotonic()

    def _configure(self, parameters: RTCRtpReceiveParameters) -> None:
        for codec in parameters.codecs:
            pt = codec.payloadType
            if pt is None:
                continue
            if is_rtx(codec):
                apt = codec.parameters.get("apt")
                if isinstance(apt, int):
                    self.rtx_apt[pt] = apt
                continue
            test = keyframe_test(codec.mimeType)
            if test is not None:
                self.mimes[pt] = codec.mimeType.lower()
                self._is_key[pt] = test
        self.changed()
        for encoding in parameters.encodings:
            self.media_ssrc = encoding.ssrc
            if encoding.rtx is not None:
                self.rtx_ssrc = encoding.rtx.ssrc
        if self.outs:
            self.request_keyframe()

    def attach(self, out: Outbound, *, seamless: bool = False) -> None:
        """Start forwarding to a subscriber slot (from the next keyframe on).

        ``seamless``: the slot keeps receiving its current stream (another layer of the
        same video) until this one's keyframe, instead of stopping at once.
        """
        out.cancel_pending()
        if seamless and out.source is not None and not out.waiting and out.ready:
            out.pending = self
            self.pending.append(out)
            self.request_keyframe()
            return
        if out.source is not None:
            out.source.detach(out)
        out.source = self
        out.waiting = True
        out.switched = True
        self.outs.append(out)
        self.changed()
        if out.ready:  # otherwise the slot asks once its connection is up
            self.request_keyframe()

    def detach(self, out: Outbound) -> None:
        """Stop forwarding to a subscriber slot."""
        out.cancel_pending()
        if out in self.outs:
            self.outs.remove(out)
            self.changed()
        if out.source is self:
            out.source = None
            out.waiting = True

    def close(self) -> None:
        """The publisher's connection is gone."""
        for out in list(self.outs):
            self.detach(out)
        for out in list(self.pending):
            out.cancel_pending()
        self._keyframes.cancel()

    # -- keyframes and levels ----------------------------------------------------

    def request_keyframe(self, *, asked: bool = False) -> None:
        """Ask the publisher for a keyframe (throttled); audio needs none. ``asked``: a
        viewer's own PLI (mediaworker/keyframes.py)."""
        if self.kind == "video":
            self._keyframes.request(asked=asked)

    @property
    def keyframe_requests(self) -> int:
        """How many PLIs went to the publisher."""
        return self._keyframes.sent

    def _anyone_waiting(self) -> bool:
        return bool(self.pending) or any(out.waiting and out.ready for out in self.outs)

    def _take_pending(self) -> None:
        # This packet starts a keyframe: the slots waiting on it leave their old layer.
        for out in self.pending:
            out.pending = None
            old = out.source
            if old is not None and out in old.outs:
                old.outs.remove(out)
                old.changed()
            out.source = self
            out.waiting = True
            out.switched = True
            self.outs.append(out)
        self.pending.clear()
        self.changed()

    def _send_pli(self) -> None:
        receiver, ssrc = self._receiver, self.media_ssrc
        if receiver is not None and ssrc is not None:
            asyncio.ensure_future(receiver._send_rtcp_pli(ssrc))

    def take_level(self) -> float:
        """Average audio level since the last call, as 127 - dBov (0 when silent)."""
        count = self._level_count
        level = self._level_sum / count if count else 0.0
        self._level_sum = self._level_count = 0
        return level

    # -- the hot path -------------------------------------------------------------

    def forward(self, packet: RtpPacket) -> None:
        """Fan one packet from the publisher out to every attached slot."""
        if self.held:
            return
        ssrc = packet.ssrc
        if ssrc != self.media_ssrc:
            if ssrc == self.rtx_ssrc:
                apt = self.rtx_apt.get(packet.payload_type)
                if apt is None or len(packet.payload) < 2:
                    return
                self.recovered(unwrap_rtx(packet, payload_type=apt, ssrc=self.media_ssrc or 0))
                return
            if self.media_ssrc is not None or packet.payload_type not in self.mimes:
                return
            self.media_ssrc = ssrc  # the offer did not signal SSRCs: take the first
        pt_in = packet.payload_type
        mime = self.mimes.get(pt_in)
        if mime is None:
            return
        payload = packet.payload
        seq = packet.sequence_number
        ts = packet.timestamp
        self.packets += 1
        self.ring[seq & RING_MASK] = packet
        key = False
        now = self.frame_time
        new_frame = ts != self._new_ts
        if new_frame:
            self._new_ts = ts
            self.last_ts = ts
            self.frame_time = now = asyncio.get_running_loop().time()
            self.frames += 1
            key = self._is_key[pt_in](payload)
            if key:
                self.keyframes += 1
                self._keyframes.arrived()
                if self.pending:
                    self._take_pending()
        if self.kind == "audio":
            level = packet.extensions.audio_level
            if level is not None:
                self._level_sum += 127 - level[1]
                self._level_count += 1
        if self.sink is not None:
            self.sink(self, packet, key, now)
        marker_bit = packet.marker << 7
        size = len(payload)
        self.octets += size
        tally = TALLY  # one global read per packet; plain ints, no lock (one loop)
        tally.bytes_in += size
        if self._dirty:
            self._sort_outs()
        if key and self._waiters:  # those that start here join the others first
            for out in self._waiters:
                out.resume(seq, ts, now)
            if self._dirty:
                self._sort_outs()
        slots = self._fast_slots
        if slots is not None:
            lib = native.lib
            skips = self._skips
            forwarded = lib.fan_out(
                slots,
                len(self._fast),
                marker_bit,
                pt_in,
                seq,
                ts,
                payload,
                size,
                self._skipped,
                skips,
            )
            native.settle()
            tally.bytes_out += size * forwarded
            for i in range(skips[0]):  # their connection: not routed, or asyncio's buffer
                self._forward_to(
                    self._fast[self._skipped[i]], marker_bit, mime, seq, ts, payload, new_frame
                )
        for out in self._slow:
            self._forward_to(out, marker_bit, mime, seq, ts, payload, new_frame)

    def _forward_to(
        self,
        out: Outbound,
        marker_bit: int,
        mime: str,
        seq: int,
        ts: int,
        payload: bytes,
        new_frame: bool,
    ) -> None:
        """One packet to one slot that the compiled helper does not serve."""
        if new_frame and out.egress.congested():  # type: ignore[union-attr]
            out.waiting = True
            out.skips += 1
            self.request_keyframe()
            return
        pt = out.pts.get(mime)
        if pt is None:
            return
        out_seq = (seq + out.seq_off) & 0xFFFF
        out_ts = (ts + out.ts_off) & 0xFFFFFFFF
        out.egress.forward(marker_bit | pt, out_seq, out_ts, out.ssrc, payload)  # type: ignore[union-attr]
        out.last_seq = out_seq
        out.last_ts = out_ts
        out.packets += 1
        out.octets += len(payload)
        TALLY.bytes_out += len(payload)

    def recovered(self, packet: RtpPacket) -> None:
        """A packet missed earlier (a retransmission): kept, and sent to the slots past it."""
        self.ring[packet.sequence_number & RING_MASK] = packet
        self._send_recovered(packet.sequence_number)
        if self.sink is not None:  # the recorder's jitter buffer fills the gap
            self.sink(self, packet, False, self.frame_time)

    def _send_recovered(self, seq: int) -> None:
        # A retransmission from the publisher fills a gap our subscribers also have.
        for out in self.outs:
            if not out.waiting:
                out_seq = (seq + out.seq_off) & 0xFFFF
                if not seq_newer(out_seq, out.last_seq):
                    out.retransmit(out_seq)
