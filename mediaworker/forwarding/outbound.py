"""Subscriber side: a slot's sender whose RTP packets are written here (aiortc 1.16)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aioice.ice import StunProtocol
from aiortc import MediaStreamTrack, RTCRtpSender
from aiortc.clock import current_ntp_time
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
)

from mediaworker.bandwidth import Window
from mediaworker.config import EGRESS_LIMIT_BYTES
from mediaworker.forwarding import batch, native
from mediaworker.forwarding.batch import SendBatch
from mediaworker.forwarding.native import NativeBatch
from mediaworker.forwarding.source import RING_MASK, RING_SIZE
from mediaworker.forwarding.srtp import SrtpWriter
from mediaworker.metrics import TALLY
from mediaworker.rtp import RTP_HEADER, RTP_VERSION_BYTE, seq_newer
from mediaworker.transport_cc import SentLog, element_bits, feedback_fcis, parse_feedback

if TYPE_CHECKING:
    from mediaworker.forwarding.source import Source

logger = logging.getLogger(__name__)

RTCP_INTERVAL_SECS = 1.0
RESEND_GAP_SECS = 0.1  # one retransmission of a packet per this, however often asked
PROBE_STEP_SECS = 0.02  # a probe's copies go out this often
MAX_REPORTS_KEPT = 128  # our sender reports remembered for round trips (~8 s of 14 slots)
MIN_REPORT_GAP_SECS = 0.2  # receiver reports closer than this: too short to rate
NACKS_REMEMBERED = 2048  # lost packets already counted (a browser asks again and again)
OVERHEAD_BYTES = 22  # a forwarded packet's bytes besides its payload: header and SRTP tag
NUMBERED_OVERHEAD_BYTES = 30  # ...with a transport-wide sequence number


class SlotTrack(MediaStreamTrack):
    """The track of a forwarding sender: it never yields, so aiortc never encodes."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._ended = asyncio.Event()

    async def recv(self) -> Any:
        await self._ended.wait()
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        self._ended.set()


class _Nominated(dict[int, Any]):
    """aioice's nominated pairs, telling the connection's Egresses when they change: the
    compiled fan-out sends on the pair it was given until told (native.py)."""

    def __init__(self, pairs: dict[int, Any]) -> None:
        super().__init__(pairs)
        self.listeners: list[Callable[[], None]] = []

    def __setitem__(self, key: int, value: Any) -> None:
        super().__setitem__(key, value)
        self._tell()

    def clear(self) -> None:
        super().clear()
        self._tell()

    def _tell(self) -> None:
        # Inside aioice's own bookkeeping (its close clears the dict, then closes the
        # sockets and wakes its readers): a listener's fault must not stop it there.
        for listener in self.listeners:
            try:
                listener()
            except Exception:
                logger.exception("a nominated pair's listener failed")


def _watch_nominations(connection: Any, listener: Callable[[], None]) -> dict[int, Any]:
    """``connection._nominated``, made a ``_Nominated`` once, with ``listener`` added."""
    pairs = connection._nominated
    if not isinstance(pairs, _Nominated):
        pairs = connection._nominated = _Nominated(pairs)
    pairs.listeners.append(listener)
    return pairs


class Egress:
    """One subscriber connection's way out: its SRTP session and nominated ICE pair."""

    fast = True  # the compiled fan-out may send for it (a pipe's may not)
    # Counted in the compiled fan-out's state of the connection where it is used.
    sent_packets = native.Field("_state")
    sent_octets = native.Field("_state")

    def __init__(
        self,
        dtls: RTCDtlsTransport,
        *,
        limit_bytes: int = EGRESS_LIMIT_BYTES,
        batch_sends: bool = True,
        transport_cc_id: int | None = None,
    ):
        self._init_counters(limit_bytes)
        self._dtls = dtls
        # The browser negotiated transport-wide sequence numbers under this extension id:
        # every forwarded packet is numbered, and its feedback judges the link
        # (mediaworker/transport_cc.py). None: receiver reports alone.
        self.sent_log: SentLog | None = None
        self._word_id = 0
        self._overhead = OVERHEAD_BYTES
        if transport_cc_id is not None:
            self.sent_log = SentLog()
            self._word_id = element_bits(transport_cc_id)
            self._overhead = NUMBERED_OVERHEAD_BYTES
            self._take_feedback(dtls)
        # Packets of an event-loop turn go out in one sendmmsg (forwarding/batch.py).
        self._batch_sends = batch_sends and batch.available()
        self._batch: SendBatch | NativeBatch | None = None
        connection = dtls.transport._connection
        self._nominated: dict[int, Any] = connection._nominated
        if native.is_native(self._state):
            self._nominated = _watch_nominations(connection, self._renominated)
        self._rtcp_task: asyncio.Task[None] | None = None
        # Resolved once per nominated pair, not per packet (see _route); typed Any
        # because they are aioice/asyncio/pylibsrtp objects used on the hot path.
        self._pair: Any = None
        self._addr: Any = None
        self._transport: Any = None
        self._sendto: Any = None
        self._protect: Any = None
        self._writer: SrtpWriter | None = None
        # What went out and what the browser said of it, since the router last looked
        # (mediaworker/bandwidth.py). Octets count payload + 12-byte header + SRTP tag.
        self.window = Window()
        self._probe: asyncio.TimerHandle | None = None
        self._reports: dict[int, float] = {}  # our sender reports: NTP middle 32 bits -> time
        self._nacked: set[tuple[int, int]] = set()
        # Every lost packet counted once, in the tick it was first asked for: browsers ask
        # again each round trip, and after a switch down for packets of the old layer
        # (never resent): counted each time, they made a relieved link look lossy.
        self._nacks_counted: dict[tuple[int, int], None] = {}
        # Per slot SSRC: (when its latest receiver report came, the highest sequence
        # number and the cumulative loss it gave, bit/s that arrived between its last two
        # reports or -1 until there are two).
        self._received: dict[int, tuple[float, int, int, float]] = {}
        self._packets_mark = 0
        self._octets_mark = 0

    def _init_counters(self, limit_bytes: int) -> None:
        """What the forwarder and the router read of any way out (a pipe's too)."""
        self.limit_bytes = limit_bytes
        self.outbounds: list[Outbound] = []
        # Packets and octets sent, and whether asyncio's buffer holds packets: in the
        # compiled fan-out's state where it is used (native.py), which counts its own.
        self._state: Any = native.new_egress()
        self.rtt = 0.0  # the latest round trip a receiver report gave, seconds

    @property
    def _buffered(self) -> bool:
        """The socket said EAGAIN: asyncio's buffer keeps the order until it drains."""
        return bool(self._state.buffered)

    @_buffered.setter
    def _buffered(self, value: bool) -> None:
        self._state.buffered = int(value)

    @property
    def native_state(self) -> Any:
        """The compiled fan-out's state of this connection, or None (native.py)."""
        return self._state if self.fast and native.is_native(self._state) else None

    def _renominated(self) -> None:
        """aioice nominated another pair (or none): resolve the route again."""
        self._pair = None
        if isinstance(self._batch, NativeBatch):
            self._batch.close()
            self._batch = None

    def _take_feedback(self, dtls: RTCDtlsTransport) -> None:
        """Read transport-cc feedback before aiortc does: aiortc 1.16 parses any RTPFB
        as a NACK, and routes it by an SSRC the feedback need not name."""
        original = dtls._handle_rtcp_data
        log = self.sent_log
        assert log is not None

        async def handle(data: bytes) -> None:
            fcis, rest = feedback_fcis(data)
            for fci in fcis:
                try:
                    log.on_feedback(parse_feedback(fci))
                    TALLY.feedbacks += 1
                except ValueError:
                    TALLY.bad_feedback += 1
            if rest:
                await original(rest)

        dtls._handle_rtcp_data = handle  # type: ignore[method-assign]

    def _route(self) -> bool:
        pair = self._nominated.get(1)
        dtls = self._dtls
        if pair is None or dtls._state is not State.CONNECTED:
            return False
        self._pair = pair
        self._addr = pair.remote_addr
        self._transport = pair.protocol.transport
        self._protect = dtls._tx_srtp.protect
        self._writer = SrtpWriter(dtls._tx_srtp)
        sock = getattr(self._transport, "_sock", None)
        if isinstance(self._batch, NativeBatch):
            self._batch.close()
        self._batch = None
        if type(pair.protocol) is StunProtocol and sock is not None:
            self._sendto = sock.sendto  # the datagram transport's own socket
            name = batch.sockaddr(sock.family, self._addr) if self._batch_sends else None
            if name is not None:
                # The compiled helper's batch numbers and counts in the connection's state.
                extra: dict[str, Any] = {}
                kind: Any = SendBatch
                if native.is_native(self._state):
                    kind = NativeBatch
                    extra = {
                        "state": self._state,
                        "log": self.sent_log,
                        "word_id": self._word_id,
                        "overhead": self._overhead,
                    }
                self._batch = kind(
                    dtls._tx_srtp,
                    sock,
                    self._transport,
                    self._addr,
                    name,
                    on_backlog=self._on_backlog,
                    on_gone=self._on_gone,
                    **extra,
                )
        else:  # a TURN allocation: aioice wraps each datagram itself
            protocol = pair.protocol
            self._sendto = lambda data, addr: asyncio.ensure_future(protocol.send_data(data, addr))
        return True

    def _on_backlog(self) -> None:
        self._buffered = True

    def _on_gone(self) -> None:
        self._pair = None  # the socket closed under us: resolve again next time

    def send(self, data: bytes) -> None:
        """Protect and send one RTP packet now (a retransmission); drop it if the
        connection is not up. Not counted as media: the estimate weighs media only."""
        if self._pair is not self._nominated.get(1) and not self._route():
            return
        if self._batch is not None:
            self._batch.flush()  # what this turn forwarded goes first
        protected = self._protect(data)
        if self._buffered:
            self._transport.sendto(protected, self._addr)
            return
        try:
            self._sendto(protected, self._addr)
        except BlockingIOError:
            self._buffered = True
            self._transport.sendto(protected, self._addr)
        except OSError:
            self._pair = None  # the socket closed under us: resolve again next time

    def forward(self, second_byte: int, seq: int, ts: int, ssrc: int, payload: bytes) -> None:
        """``send`` for the fan-out's hot path: the header is written and the packet
        protected in the SRTP session's own buffer, and sent from there (no copies)."""
        if self._pair is not self._nominated.get(1) and not self._route():
            return
        held = self._batch
        if isinstance(held, NativeBatch):  # numbered, counted and buffered there
            held.add(second_byte, seq, ts, ssrc, payload)
            return
        log = self.sent_log
        word = 0
        if log is not None:  # numbered: when it went out and how big, for the feedback
            word = self._word_id | (log.stamp(len(payload) + NUMBERED_OVERHEAD_BYTES) << 8)
        # A path that cannot segment goes back to sendto: separate messages in one
        # sendmmsg cost as much per packet from Python (bench/sends.py).
        if held is not None and held.segments and not self._buffered:
            if held.add(second_byte, seq, ts, ssrc, payload, word):
                self.sent_packets += 1
                self.sent_octets += len(payload) + self._overhead
            return
        protected = self._writer.protect(second_byte, seq, ts, ssrc, payload, word)  # type: ignore[union-attr]
        if protected is None:
            return
        self.sent_packets += 1
        self.sent_octets += len(payload) + self._overhead  # no len() of a view
        if self._buffered:
            self._transport.sendto(bytes(protected), self._addr)
            return
        try:
            self._sendto(protected, self._addr)
        except BlockingIOError:
            self._buffered = True
            self._transport.sendto(bytes(protected), self._addr)
        except OSError:
            self._pair = None

    def congested(self) -> bool:
        """Whether more than ``limit_bytes`` wait in this connection's socket buffer."""
        transport = self._transport
        if not self._buffered or transport is None:
            return False
        backlog = transport.get_write_buffer_size()
        if backlog == 0:
            self._buffered = False
        return backlog > self.limit_bytes

    def take_window(self) -> Window:
        """What happened since the last call (the sent figures are filled in here)."""
        window, self.window = self.window, Window()
        window.sent_bits = (self.sent_octets - self._octets_mark) * 8.0
        window.sent_packets = self.sent_packets - self._packets_mark
        window.nacked = len(self._nacked)
        window.delivered_bps = self.delivered_bps(asyncio.get_running_loop().time())
        if self.sent_log is not None:
            window.delivery = self.sent_log.take()
        self._packets_mark, self._octets_mark = self.sent_packets, self.sent_octets
        self._nacked.clear()
        return window

    def probe(self, rate_bps: float, secs: float) -> None:
        """Send ``rate_bps`` more for ``secs``, as copies of packets just sent: the
        browser's SRTP replay check drops them, but they cross the link like media, so
        the receiver reports show whether it has room for that much more."""
        if self._probe is not None:
            self._probe.cancel()
        loop = asyncio.get_running_loop()
        budget = [0.0]
        end = loop.time() + secs

        def step() -> None:
            budget[0] += rate_bps * PROBE_STEP_SECS / 8
            outs = [o for o in self.outbounds if o.packets and not o.waiting]
            if outs:
                out = max(outs, key=lambda o: o.octets / max(o.packets, 1))
                back = 0
                while budget[0] > 0 and back < 64:
                    size = out.resend((out.last_seq - back) & 0xFFFF)
                    if size == 0:
                        break
                    budget[0] -= size
                    back += 1
            if loop.time() < end:
                self._probe = loop.call_later(PROBE_STEP_SECS, step)
            else:
                self._probe = None

        step()

    def stop_probe(self) -> None:
        """Stop a probe's copies now (the link showed it had no room for them)."""
        if self._probe is not None:
            self._probe.cancel()
            self._probe = None

    def on_nack(self, ssrc: int, lost: list[int]) -> None:
        """A browser's NACK: counted once per packet however often it is asked for."""
        counted = self._nacks_counted
        for seq in lost:
            key = (ssrc, seq)
            if key in counted:
                continue
            counted[key] = None
            self._nacked.add(key)
        while len(counted) > NACKS_REMEMBERED:
            del counted[next(iter(counted))]

    def on_report(self, out: Outbound, report: RtcpReceiverInfo, now: float) -> None:
        """A receiver report block about one of our slots (``out``)."""
        window = self.window
        sent = self._reports.get(report.lsr)
        if report.lsr and sent is not None:
            window.rtt = self.rtt = max(now - sent - report.dlsr / 65536.0, 0.0)
        # What reached the browser since its last report on this slot: the packets it
        # got (highest sequence number minus cumulative loss) at this slot's mean size.
        # Loss counts packets, summed over the slots: one packet lost of the two a quiet
        # stream sent is a loss fraction of 50 % in its report, not a congested link.
        got = report.highest_sequence - report.packets_lost
        last = self._received.get(report.ssrc)
        rate = -1.0 if last is None else last[3]
        if last is not None:
            expected = max(report.highest_sequence - last[1], 0)
            window.rr_expected += expected
            window.rr_lost += min(max(report.packets_lost - last[2], 0), expected)
            if now - last[0] >= MIN_REPORT_GAP_SECS and out.packets:
                bits = max(got - (last[1] - last[2]), 0) * out.octets * 8.0 / out.packets
                rate = bits / (now - last[0])
        self._received[report.ssrc] = (
            now,
            report.highest_sequence,
            report.packets_lost,
            rate,
        )

    def delivered_bps(self, now: float) -> float | None:
        """The sum over our slots of what their latest receiver reports say arrived."""
        rates = [r for at, _, _, r in self._received.values() if now - at < 3.0 and r >= 0]
        return sum(rates) if rates else None

    def start(self, cname: str) -> None:
        """Start the sender-report loop (once the DTLS transport is up)."""
        if self._rtcp_task is None:
            self._rtcp_task = asyncio.ensure_future(self._run_rtcp(cname))

    def close(self) -> None:
        """Stop the sender-report loop (and a probe)."""
        self.stop_probe()
        if isinstance(self._batch, NativeBatch):
            self._batch.close()
            self._batch = None
        if self._rtcp_task is not None:
            self._rtcp_task.cancel()
            self._rtcp_task = None

    async def _run_rtcp(self, cname: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(RTCP_INTERVAL_SECS * (0.5 + random.random()))
                now = loop.time()
                reports: list[AnyRtcpPacket] = [
                    out.sender_report(now) for out in self.outbounds if out.packets
                ]
                if not reports:
                    continue
                chunks = [
                    RtcpSourceInfo(ssrc=out.ssrc, items=[(1, cname.encode())])
                    for out in self.outbounds
                    if out.packets
                ]
                reports.append(RtcpSdesPacket(chunks=chunks))
                # Receiver reports name our report by its NTP time's middle 32 bits
                # (each slot's report has its own time).
                for report in reports:
                    if isinstance(report, RtcpSrPacket):
                        ntp = report.sender_info.ntp_timestamp
                        self._reports[(ntp >> 16) & 0xFFFFFFFF] = now
                while len(self._reports) > MAX_REPORTS_KEPT:
                    del self._reports[next(iter(self._reports))]
                try:
                    await self._dtls._send_rtp(b"".join(bytes(p) for p in reports))
                except ConnectionError:
                    pass
        except asyncio.CancelledError:
            pass


class Outbound:
    """One slot of one subscriber: an RTCRtpSender whose packets are written here."""

    # Kept in the compiled fan-out's state of the slot where it is used.
    last_seq = native.Field("_slot")
    last_ts = native.Field("_slot")
    packets = native.Field("_slot")
    octets = native.Field("_slot")

    def __init__(self, sender: RTCRtpSender, egress_for: Callable[[RTCRtpSender], Egress]):
        self._init_forwarding(sender.kind, sender._ssrc)
        self._egress_for = egress_for
        self._adopt(sender)

    def _init_forwarding(self, kind: str, ssrc: int) -> None:
        """The state of a forward, whatever it writes to (a pipe's ``PipeOut`` too)."""
        self.kind = kind
        self.ssrc = ssrc
        self.egress: Egress | None = None
        self.source: Source | None = None
        self.pts: dict[str, int] = {}  # codec mime type (lower case) -> our payload type
        self.clock_rate = 90000 if self.kind == "video" else 48000
        self.ready = False
        # What the compiled fan-out keeps of this slot where it is used (native.py):
        # the counters below are read from it.
        self._slot: Any = native.new_slot()
        self._waiting = True  # for a keyframe: nothing is sent until one starts
        self.seq_off = 0
        self.ts_off = 0
        self.last_seq = random.randrange(0x8000)
        self.last_ts = random.randrange(0x1_0000_0000)
        self.base_seq = self.last_seq
        self.switched = True  # the next keyframe comes from a new source
        self.packets = 0
        self.octets = 0
        self.skips = 0  # times this slot fell behind and skipped to a keyframe
        self.pending: Source | None = None  # the layer it moves to at its next keyframe
        # When each of our sequence numbers was last resent: a receiver asking again
        # within RESEND_GAP_SECS is not answered twice (aiortc asks on every packet).
        self._resent: dict[int, float] = {}

    @property
    def waiting(self) -> bool:
        """Waiting for a keyframe: nothing is sent until one starts."""
        return self._waiting

    @waiting.setter
    def waiting(self, value: bool) -> None:
        self._waiting = value
        if self.source is not None:
            self.source.changed()  # its compiled slot list is out of date

    def _adopt(self, sender: RTCRtpSender) -> None:
        original_send = sender.send

        async def send(parameters: RTCRtpSendParameters) -> None:
            await original_send(parameters)
            for codec in parameters.codecs:
                if not is_rtx(codec) and codec.payloadType is not None:
                    self.pts.setdefault(codec.mimeType.lower(), codec.payloadType)
            self.egress = self._egress_for(sender)
            self.egress.outbounds.append(self)
            self.egress.start(parameters.rtcp.cname or "meet")
            self.ready = True
            if self.source is not None:
                self.source.changed()
                self.source.request_keyframe()

        async def idle_rtcp() -> None:
            # Sender reports come from Egress, one compound packet per connection.
            sender._RTCRtpSender__rtcp_started.set()  # type: ignore[attr-defined]
            try:
                await asyncio.Future()
            except asyncio.CancelledError:
                pass
            sender._RTCRtpSender__rtcp_exited.set()  # type: ignore[attr-defined]

        sender.send = send  # type: ignore[method-assign]
        sender._run_rtcp = idle_rtcp  # type: ignore[method-assign]
        sender._handle_rtcp_packet = self._handle_rtcp  # type: ignore[method-assign]
        sender.replaceTrack(SlotTrack(self.kind))

    def cancel_pending(self) -> None:
        """Forget a switch to another layer that has not happened yet."""
        pending, self.pending = self.pending, None
        if pending is not None and self in pending.pending:
            pending.pending.remove(self)

    def resume(self, seq: int, ts: int, now: float) -> bool:
        """Start (again) at a keyframe: continue our sequence and timestamps without a gap."""
        if not self.ready:
            return False
        self.seq_off = (self.last_seq + 1 - seq) & 0xFFFF
        if self.switched:
            assert self.source is not None
            elapsed = max(now - self.source.frame_time, 0.0) + 0.02
            self.ts_off = (self.last_ts + int(elapsed * self.clock_rate) - ts) & 0xFFFFFFFF
            self.switched = False
        self.base_seq = (seq + self.seq_off) & 0xFFFF
        self.waiting = False
        return True

    def sender_report(self, now: float) -> RtcpSrPacket:
        """An RTCP sender report mapping our RTP clock to wall-clock time now."""
        rtp_ts = self.last_ts
        source = self.source
        if source is not None and not self.waiting:
            ahead = int((now - source.frame_time) * self.clock_rate)
            rtp_ts = (source.last_ts + self.ts_off + ahead) & 0xFFFFFFFF
        info = RtcpSenderInfo(
            ntp_timestamp=current_ntp_time(),
            rtp_timestamp=rtp_ts,
            packet_count=self.packets & 0xFFFFFFFF,
            octet_count=self.octets & 0xFFFFFFFF,
        )
        return RtcpSrPacket(ssrc=self.ssrc, sender_info=info)

    def retransmit(self, out_seq: int) -> None:
        """Resend one packet a subscriber reported lost (RTCP NACK), if we still hold it."""
        source, egress = self.source, self.egress
        if source is None or egress is None or self.waiting:
            return
        if seq_newer(self.base_seq, out_seq):
            return  # before our last cut: another stream's packet
        now = asyncio.get_running_loop().time()
        gap = max(RESEND_GAP_SECS, egress.rtt * 1.2)  # the answer is still on its way
        if now - self._resent.get(out_seq, -gap) < gap:
            return
        if len(self._resent) >= RING_SIZE:
            self._resent = {s: t for s, t in self._resent.items() if now - t < gap}
        self._resent[out_seq] = now
        self.resend(out_seq)

    def resend(self, out_seq: int) -> int:
        """Send our packet ``out_seq`` again if we still hold it; its size, or 0."""
        source, egress = self.source, self.egress
        if source is None or egress is None or self.waiting:
            return 0
        src_seq = (out_seq - self.seq_off) & 0xFFFF
        packet = source.ring[src_seq & RING_MASK]
        if packet is None or packet.sequence_number != src_seq:
            return 0
        pt = self.pts.get(source.mimes.get(packet.payload_type, ""))
        if pt is None:
            return 0
        header = RTP_HEADER.pack(
            RTP_VERSION_BYTE,
            (packet.marker << 7) | pt,
            out_seq,
            (packet.timestamp + self.ts_off) & 0xFFFFFFFF,
            self.ssrc,
        )
        egress.send(header + packet.payload)
        return len(packet.payload) + 22

    async def _handle_rtcp(self, packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket):
            if packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR) and self.source is not None:
                self.source.request_keyframe(asked=True)
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            if self.egress is not None:
                self.egress.on_nack(self.ssrc, packet.lost)
            for seq in packet.lost:
                self.retransmit(seq)
        elif isinstance(packet, (RtcpRrPacket, RtcpSrPacket)) and self.egress is not None:
            now = asyncio.get_running_loop().time()
            for report in packet.reports:
                if report.ssrc == self.ssrc:
                    self.egress.on_report(self, report, now)
