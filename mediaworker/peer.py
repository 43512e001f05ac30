"""One participant's RTCPeerConnection on the worker: negotiation and its streams.

The browser always offers (mediaworker/wire.py, docs/media.md): its ``sendonly``
m-lines are what it publishes (a ``Source`` each), its ``recvonly`` m-lines are slots
the worker fills (an ``Outbound`` each). A session handles its participant's WebRTC
messages one at a time from its own inbox (Galène's per-client loop), and tells the
room's router what changed through ``notify`` — room state changes only in the
router's task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver, RTCSessionDescription
from aiortc.codecs import is_rtx
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtcpFeedback
from aiortc.sdp import SessionDescription, candidate_from_sdp

from mediaworker.admission import Admission, Turn, Withdrawn
from mediaworker.audio import negotiate_opus
from mediaworker.config import MediaConfig
from mediaworker.forwarding import Egress, Outbound, Source
from mediaworker.forwarding.sockets import drain_sockets
from mediaworker.ice import rtc_configuration
from mediaworker.peer_addresses import candidate_allowed, filter_sdp_candidates
from mediaworker.seats import ViewerSeats
from mediaworker.transport_cc import MAX_ONE_BYTE_ID
from mediaworker.transport_cc import URI as TRANSPORT_CC_URI
from mediaworker.wire import MAX_TRACKS, MAX_VIEWER_AUDIO, SLOTS, SOURCES, media_error

logger = logging.getLogger(__name__)

CLOSE_TIMEOUT_SECS = 5.0


@dataclass
class Published:
    """A publish m-line: what the participant sends us."""

    mid: str
    kind: str
    source: str  # "mic" | "camera" | "screen"
    stream: Source


@dataclass
class Slot:
    """A receive m-line: a place where the worker puts someone else's track."""

    mid: str
    kind: str
    slot: str  # "audio" | "camera" | "screen"; a viewer's video: "program"
    out: Outbound
    key: str | None = None  # "<peer>/<source>" it carries, set by the router
    layer: str = "off"  # which layer of it (mediaworker/layers.py)
    pending_since: float = 0.0  # when it began waiting for another layer's keyframe


@dataclass
class Negotiated:
    """Action for the router: the session's sources and slots are (re)built."""

    session: PeerSession


@dataclass
class Failed:
    """Action for the router: a viewer's offer was refused or its connection never came up."""

    session: PeerSession
    code: str


class OfferRefused(Exception):
    """An offer the worker will not answer; ``code`` is a key of ``wire.MEDIA_ERRORS``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


@dataclass
class ConnectionChanged:
    """Action for the router: the peer connection's state changed."""

    session: PeerSession
    state: str


class ConnectionRegistry:
    """Owns every live RTCPeerConnection of the worker; closes them on shutdown."""

    def __init__(self) -> None:
        self.connections: set[RTCPeerConnection] = set()

    def add(self, pc: RTCPeerConnection) -> None:
        """Remember a new connection."""
        self.connections.add(pc)

    async def close(self, pc: RTCPeerConnection) -> None:
        """Close one connection and forget it (bounded: a stuck close must not hang us)."""
        self.connections.discard(pc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pc.close(), CLOSE_TIMEOUT_SECS)

    async def close_all(self) -> None:
        """Close every connection (worker shutdown)."""
        connections, self.connections = list(self.connections), set()
        closing = [asyncio.wait_for(pc.close(), CLOSE_TIMEOUT_SECS) for pc in connections]
        await asyncio.gather(*closing, return_exceptions=True)


def _check_viewer_offer(media: list[Any]) -> None:
    """A viewer's offer: receive-only, one video m-line (the program), a few audio ones.

    Checked before the connection is touched: a viewer must not publish into a
    broadcast, nor take more of the worker than a viewer's share.
    """
    if any(m.direction != "recvonly" for m in media):
        raise OfferRefused("viewer_offer", "a viewer's offer may only receive")
    videos = sum(1 for m in media if m.kind == "video")
    audios = len(media) - videos
    if videos > 1 or audios > MAX_VIEWER_AUDIO:
        raise OfferRefused("viewer_offer", f"{videos} video and {audios} audio m-lines")


def _accept_transport_cc(media: Any, transceiver: RTCRtpTransceiver) -> int | None:
    """Answer a receive m-line's transport-wide sequence numbers and feedback, if offered;
    the extension's id, or None.

    aiortc 1.16 knows neither (its answer drops them), but the worker writes the
    forwarded packets' headers itself (mediaworker/transport_cc.py). Only receive
    m-lines: on its own sends the browser keeps the worker's REMB (peer.py ``tap``)."""
    offered = next((e for e in media.rtp.headerExtensions if e.uri == TRANSPORT_CC_URI), None)
    if offered is None or not 1 <= offered.id <= MAX_ONE_BYTE_ID:
        return None  # an id past 14 needs two-byte headers, which the worker does not write
    if all(e.uri != TRANSPORT_CC_URI for e in transceiver._headerExtensions):
        transceiver._headerExtensions.append(offered)
    feedback = RTCRtcpFeedback(type="transport-cc")
    asked = {c.payloadType for c in media.rtp.codecs if feedback in c.rtcpFeedback}
    for codec in transceiver._codecs:
        if codec.payloadType in asked and not is_rtx(codec) and feedback not in codec.rtcpFeedback:
            codec.rtcpFeedback.append(feedback)
    return int(offered.id)


def _default_source(kind: str, videos_seen: int) -> str:
    if kind == "audio":
        return "mic"
    return "camera" if videos_seen == 0 else "screen"


class PeerSession:
    """The worker's side of one participant's peer connection."""

    def __init__(
        self,
        *,
        peer: str,
        config: MediaConfig,
        registry: ConnectionRegistry,
        notify: Callable[[Any], None],
        reply: Callable[[dict[str, Any]], None],
        viewer: bool = False,
        seats: ViewerSeats | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.peer = peer
        self.viewer = viewer  # a public viewer: receives the program, publishes nothing
        # A viewer takes one of the worker's seats only for an offer it accepts, and
        # gives it back when it fails, never connects in time, or is closed.
        self._seats = seats
        self.seated = False
        self._deadline: asyncio.TimerHandle | None = None
        # A new connection's handshake waits its turn (mediaworker/admission.py); the
        # turn ends when the connection is up, failed or closed.
        self._admission = admission
        self._turn: Turn | None = None
        self.pc: RTCPeerConnection | None = None
        self.published: dict[str, Published] = {}  # by source name
        self.slots: list[Slot] = []
        self.state = "new"
        self._config = config
        self._registry = registry
        self._notify = notify
        self._reply = reply
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._egresses: dict[RTCDtlsTransport, Egress] = {}
        self._remote_ufrag: str | None = None
        self._mids: set[str] = set()
        self._estimator = RemoteBitrateEstimator()
        self._transport_cc_id: int | None = None  # the browser numbers what we forward

    def post(self, signal: dict[str, Any]) -> None:
        """Queue one of the browser's WebRTC messages."""
        self._inbox.put_nowait(signal)

    async def run(self) -> None:
        """Handle the browser's messages in order until ``close``."""
        try:
            while (signal := await self._inbox.get()) is not None:
                try:
                    if signal.get("type") == "rtc.offer":
                        await self._offer(signal)
                    elif signal.get("type") == "rtc.ice":
                        await self._ice(signal.get("candidate"))
                except Withdrawn:
                    pass  # left while its handshake waited: the close follows in the inbox
                except OfferRefused as refused:
                    logger.info("peer %s: offer refused (%s): %s", self.peer, refused.code, refused)
                    await self._fail(refused.code)
                except Exception as exc:  # a bad offer must not take the worker down
                    # The detail is for our log only: it may name internals.
                    logger.warning("peer %s: %s failed: %r", self.peer, signal.get("type"), exc)
                    await self._fail("offer_failed")
        finally:
            self._release_seat()
            await self._close_pc()

    def close(self) -> None:
        """Stop after the messages already queued; the connection is closed."""
        self._release_seat()
        if self._turn is not None and self._turn.started_at is None:
            self._turn.end()  # still queued: leave the queue now, not after its turn
        self._inbox.put_nowait(None)

    async def _fail(self, code: str) -> None:
        self._reply(dict(media_error(code)))
        if self.viewer and self.state != "connected":
            # A viewer whose offer failed holds nothing: no seat, no connection.
            self._release_seat()
            await self._close_pc()
            self._notify(Failed(self, code))

    def _take_seat(self) -> None:
        if self._seats is None or self.seated:
            return
        if not self._seats.take():
            raise OfferRefused("full")
        self.seated = True

    def _release_seat(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self.seated and self._seats is not None:
            self.seated = False
            self._seats.release()

    def _connect_within(self, pc: RTCPeerConnection) -> None:
        """Give a viewer's seat back if this connection is not up in time."""
        if self._deadline is not None:
            self._deadline.cancel()

        def expired() -> None:
            self._deadline = None
            if self.pc is pc and pc.connectionState != "connected":
                logger.info("viewer %s: not connected in time; seat given back", self.peer)
                self._release_seat()
                self._notify(Failed(self, "not_connected"))

        delay = self._config.viewer_connect_secs
        self._deadline = asyncio.get_running_loop().call_later(delay, expired)

    # -- negotiation -------------------------------------------------------------

    async def _offer(self, signal: dict[str, Any]) -> None:
        sdp = signal.get("sdp")
        if not isinstance(sdp, str):
            raise OfferRefused("bad_offer", "rtc.offer needs an sdp string")
        # Candidates naming addresses the worker must not probe are cut before aiortc
        # sees them (the browser is still reached through its checks: peer-reflexive).
        sdp, refused = filter_sdp_candidates(sdp, self._config.allowed_peer_networks)
        if refused:
            logger.info("peer %s: %d candidate(s) of the offer refused", self.peer, refused)
        try:
            parsed = SessionDescription.parse(sdp)
        except Exception as exc:
            raise OfferRefused("bad_offer", repr(exc)) from None
        media = [m for m in parsed.media if m.kind in ("audio", "video")]
        if len(media) > MAX_TRACKS:
            raise OfferRefused("bad_offer", f"more than {MAX_TRACKS} media sections")
        if self.viewer:
            _check_viewer_offer(media)
        ufrag = next(
            (m.ice.usernameFragment for m in media if m.ice and m.ice.usernameFragment), None
        )
        if ufrag is None or not all(m.dtls and m.dtls.fingerprints for m in media):
            # Checked before the current connection or a seat is touched.
            raise OfferRefused("bad_offer", "no audio or video with ICE and DTLS parameters")
        if self.viewer:
            self._take_seat()
        if self.pc is None or ufrag != self._remote_ufrag:
            await self._new_pc()  # first offer, ICE restart or rejoin
        self._remote_ufrag = ufrag
        pc = self.pc
        assert pc is not None
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        described = {
            str(t.get("mid")): t for t in signal.get("tracks") or [] if isinstance(t, dict)
        }
        transceivers = {t.mid: t for t in pc.getTransceivers()}
        videos_seen = sum(1 for p in self.published.values() if p.kind == "video")
        for m in media:
            mid = m.rtp.muxId
            transceiver = transceivers.get(mid)
            if transceiver is not None and m.direction == "recvonly":
                # Every offer: aiortc rebuilds each m-line's extensions from its own list.
                accepted = _accept_transport_cc(m, transceiver)
                if accepted is not None:
                    self._transport_cc_id = accepted
            if mid in self._mids or transceiver is None:
                continue
            self._mids.add(mid)
            info = described.get(mid, {})
            if m.direction in ("sendonly", "sendrecv"):
                name = info.get("source")
                if name not in SOURCES or name in self.published:
                    name = _default_source(m.kind, videos_seen)
                videos_seen += m.kind == "video"
                transceiver.direction = "recvonly"
                stream = Source(m.kind)
                stream.tap(transceiver.receiver, self._estimator)
                self.published[name] = Published(mid, m.kind, name, stream)
            elif m.direction == "recvonly":
                slot = info.get("slot")
                if self.viewer:
                    slot = "audio" if m.kind == "audio" else "program"
                elif slot not in SLOTS or (slot == "audio") != (m.kind == "audio"):
                    slot = "audio" if m.kind == "audio" else "camera"
                transceiver.direction = "sendonly"
                out = Outbound(transceiver.sender, self._egress_for)
                self.slots.append(Slot(mid, m.kind, slot, out))
        await pc.setLocalDescription(await pc.createAnswer())
        drain_sockets(pc)  # gathering created the sockets
        self._reply({"type": "rtc.answer", "sdp": pc.localDescription.sdp})
        self._notify(Negotiated(self))

    async def _ice(self, candidate: Any) -> None:
        pc = self.pc
        if pc is None or pc.remoteDescription is None:
            return
        if not isinstance(candidate, dict) or not candidate.get("candidate"):
            return  # end of candidates: aioice needs no notice
        ufrag = candidate.get("usernameFragment")
        if ufrag and ufrag != self._remote_ufrag:
            return  # a late candidate of the connection we replaced
        text = str(candidate["candidate"]).removeprefix("candidate:")
        if not candidate_allowed(text, self._config.allowed_peer_networks):
            return  # an address the worker must not probe, or garbage: dropped quietly
        try:
            ice = candidate_from_sdp(text)
        except (ValueError, IndexError):
            return
        ice.sdpMid = candidate.get("sdpMid")
        index = candidate.get("sdpMLineIndex")
        ice.sdpMLineIndex = index if isinstance(index, int) else None
        if ice.sdpMid is None and ice.sdpMLineIndex is None:
            ice.sdpMLineIndex = 0
        await pc.addIceCandidate(ice)

    # -- connection --------------------------------------------------------------

    async def _new_pc(self) -> None:
        await self._close_pc()
        if self._admission is not None:
            # Built and answered only in its turn: until then the established
            # connections' packets and consent checks have the loop.
            self._turn = self._admission.ask()
            await self._turn.wait()
        negotiate_opus()  # idempotent: FEC and DTX in every answer (mediaworker/audio.py)
        pc = RTCPeerConnection(configuration=rtc_configuration(self._config))
        self._estimator = RemoteBitrateEstimator()  # the publisher's uplink, one for all
        self._transport_cc_id = None
        self._registry.add(pc)
        self.pc = pc
        self.state = "new"
        if self.viewer:
            self._connect_within(pc)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if self.pc is pc:
                self.state = pc.connectionState
                if self.state == "connected" and self._deadline is not None:
                    self._deadline.cancel()
                    self._deadline = None
                if self.state in ("connected", "failed", "closed"):
                    self._end_turn()  # the handshake is over: the next may start
                self._notify(ConnectionChanged(self, pc.connectionState))

    def _end_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.end()

    async def _close_pc(self) -> None:
        self._end_turn()
        pc, self.pc = self.pc, None
        for published in self.published.values():
            published.stream.close()
        for slot in self.slots:
            if slot.out.source is not None:
                slot.out.source.detach(slot.out)
        for egress in self._egresses.values():
            egress.close()
        self.published, self.slots, self._egresses, self._mids = {}, [], {}, set()
        if pc is not None:
            await self._registry.close(pc)

    def egresses(self) -> list[Egress]:
        """The connection's ways out (one with BUNDLE)."""
        return list(self._egresses.values())

    def _egress_for(self, sender: RTCRtpSender) -> Egress:
        dtls = sender.transport
        egress = self._egresses.get(dtls)
        if egress is None:
            egress = Egress(
                dtls,
                limit_bytes=self._config.egress_limit_bytes,
                batch_sends=self._config.batch_sends,
                transport_cc_id=self._transport_cc_id,
            )
            self._egresses[dtls] = egress
        return egress
