"""Processes of the fan-out benchmark: the publisher, the viewers and the join probe.

Each runs its own asyncio loop and channel layer (Redis, as in production) and takes
commands from bench/fanout.py over a multiprocessing pipe. Viewers do not decode: a
``HeaderCounter`` counts each viewer's frames (one per RTP timestamp) from the
clear-text RTP headers at its sockets, so a viewer costs its process a few µs a packet. The probe
decodes, to time a join up to the first decoded picture.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from channels.exceptions import ChannelFull

from bench.fanout_media import ClipTrack, encode_clip
from bench.stand_in import signal_from
from mediaworker.forwarding import FrameCounter, on_keyframe_request
from mediaworker.ice import use_host_addresses
from mediaworker.wire import to_worker_control

ANSWER_TIMEOUT_SECS = 60.0
VIEWER_NICE = 10
# Set by bench/fanout.py --numbered: viewers offer transport-wide sequence numbers, as
# Chromium does, so the worker numbers every packet it forwards to them (they send no
# feedback: the cost measured is the numbering's).
NUMBERED_ENV = "MEET_BENCH_NUMBERED"
JOIN_BATCH = 5
LEAVE_RETRY_SECS = (0.1, 0.2, 0.5, 1.0, 2.0)  # a full worker channel: tries of a leave
# One join at a time: a storm of joins shares about one keyframe a second by design
# (mediaworker/keyframes.py); the probe measures a participant joining a running room.
PROBE_SPACING_SECS = 1.0


def _layer(redis_url: str) -> Any:
    from channels_redis.core import RedisChannelLayer

    host = {"address": redis_url, "max_connections": 1000, "socket_timeout": 30}
    return RedisChannelLayer(hosts=[host])


class Peer:
    """One participant of the benchmark: a peer connection and its wire messages."""

    def __init__(self, layer: Any, room: str, peer: str, channel: str) -> None:
        self.layer, self.room, self.peer, self.channel = layer, room, peer, channel
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.reply = ""
        self.drain: asyncio.Future[None] | None = None
        self.answer_secs = 0.0  # offer sent to answer received (a queued handshake waits)

    async def negotiate(
        self, tracks: list[dict[str, Any]], *, viewer: bool = False, role: str | None = None
    ) -> None:
        """Offer, wait for the worker's answer on our own reply channel.

        ``viewer``: as a public viewer of a broadcast (the watch socket's offer). ``role``:
        the participant's role as the room consumer gives it (only a host's or presenter's
        media feeds the recording and the broadcast).
        """
        self.reply = await self.layer.new_channel()
        await self.pc.setLocalDescription(await self.pc.createOffer())
        for track in tracks:
            track["mid"] = self.pc.getTransceivers()[track.pop("index")].mid
        sdp = self.pc.localDescription.sdp
        if os.environ.get(NUMBERED_ENV):
            from tests.mediaworker.client import offer_transport_cc

            sdp = offer_transport_cc(sdp)
        signal = {"type": "rtc.offer", "sdp": sdp, "tracks": tracks}
        message = signal_from(self, signal, viewer=viewer, role=role)
        await self.layer.send(self.channel, message)
        offered = time.monotonic()
        while True:
            reply = await asyncio.wait_for(self.layer.receive(self.reply), ANSWER_TIMEOUT_SECS)
            if reply["type"] == "media.signal" and reply["signal"]["type"] == "rtc.error":
                raise RuntimeError(f"the worker refused: {reply['signal']}")
            if reply["type"] == "media.signal" and reply["signal"]["type"] == "rtc.answer":
                self.answer_secs = time.monotonic() - offered
                answer = RTCSessionDescription(reply["signal"]["sdp"], "answer")
                await self.pc.setRemoteDescription(answer)
                # Keep reading, as a browser's consumer does: with channels_redis all
                # reply channels of a process share one capacity.
                self.drain = asyncio.ensure_future(self._drain())
                return

    async def _drain(self) -> None:
        while (await self.layer.receive(self.reply))["type"] != "bench.stop":
            pass

    async def leave(self) -> None:
        """Tell the worker, stop reading, close the connection.

        After a step that saturated the worker its channel may stay full for a while
        (hundreds of viewers leaving at once): the word is tried again for a few seconds,
        then left to the connection's close (a full channel crashed the publisher's
        process at the end of a run)."""
        message = to_worker_control(
            room=self.room, peer=self.peer, reply=self.reply, action="leave"
        )
        for delay in LEAVE_RETRY_SECS:
            try:
                await self.layer.send(self.channel, message)
                break
            except ChannelFull:
                await asyncio.sleep(delay)
        with contextlib.suppress(ChannelFull):
            await self.layer.send(self.reply, {"type": "bench.stop"})
        await self.pc.close()


class HeaderCounter:
    """Counts the RTP frames reaching a viewer's sockets from their clear-text headers.

    SRTP encrypts the payload, not the header: sequence number, timestamp and SSRC are
    readable as they arrive. Counting there and dropping the packet costs a viewer a few
    microseconds instead of aiortc's queue, SRTP unprotect and RTP parsing (~25 µs), so
    the 2-core machine can hold the hundreds of viewers that the worker serves.
    Everything else (STUN consent checks, DTLS, RTCP) goes on to aiortc as before.
    Frames are counted per SSRC (one per slot: a site watching nine cameras has nine),
    a new frame being a new timestamp on that SSRC.
    """

    def __init__(self) -> None:
        self.packets = 0
        self._streams: dict[bytes, list[Any]] = {}  # SSRC -> [last timestamp, frames]

    def per_stream(self, slots: int) -> list[int]:
        """The frames of the first ``slots`` streams seen, in the order they came (0 for a
        slot not heard from yet), so two snapshots line up stream by stream."""
        counts = [frames for _, frames in self._streams.values()][:slots]
        return counts + [0] * (slots - len(counts))

    def install(self, pc: RTCPeerConnection) -> None:
        """Wrap every ICE socket of ``pc`` (after its local description is set)."""
        for transceiver in pc.getTransceivers():
            connection = transceiver.receiver.transport.transport._connection
            for protocol in connection._protocols:
                original = protocol.datagram_received

                def received(data: bytes, addr: Any, original: Any = original) -> None:
                    if len(data) > 12 and 127 < data[0] < 192 and not 191 < data[1] < 224:
                        self.packets += 1
                        stream = self._streams.setdefault(data[8:12], [b"", 0])
                        if data[4:8] != stream[0]:
                            stream[0] = data[4:8]
                            stream[1] += 1
                        return
                    original(data, addr)

                protocol.datagram_received = received  # type: ignore[method-assign,assignment]


class Viewer(Peer):
    """A subscriber with ``slots`` camera slots that counts frames without decoding."""

    def __init__(self, layer: Any, room: str, peer: str, channel: str, slots: int = 1) -> None:
        super().__init__(layer, room, peer, channel)
        self.slots = slots

    async def join(self) -> None:
        """Offer ``slots`` recvonly video slots; count what arrives."""
        for _ in range(self.slots):
            transceiver = self.pc.addTransceiver("video", direction="recvonly")
            FrameCounter(transceiver.receiver)  # no decoder thread
        self.counter = HeaderCounter()
        await self.negotiate(
            [{"index": i, "kind": "video", "slot": "camera"} for i in range(self.slots)]
        )
        self.counter.install(self.pc)

    @property
    def without_video(self) -> bool:
        """Some slot has not received a frame."""
        return 0 in self.counter.per_stream(self.slots)


def _cpu_secs() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _commands(conn: Connection) -> Any:
    loop = asyncio.get_running_loop()
    while True:
        yield await loop.run_in_executor(None, conn.recv)


async def _publish(
    layer: Any, room: str, name: str, channel: str, clip: tuple[list[bytes], list[bytes]]
) -> tuple[Peer, ClipTrack]:
    """One publishing peer playing ``clip``, once the worker answered."""
    peer = Peer(layer, room, name, channel)
    track = ClipTrack(*clip)
    transceiver = peer.pc.addTransceiver(track, direction="sendonly")
    on_keyframe_request(transceiver.sender, track.request_keyframe)
    await peer.negotiate([{"index": 0, "kind": "video", "source": "camera", "active": True}])
    return peer, track


async def _publisher(
    conn: Connection, redis_url: str, room: str, channel: str, tag: str, cameras: int
) -> None:
    """``cameras`` publishing peers (a meeting's; one for a broadcast), one clip encoded."""
    if os.environ.get("MEET_BENCH_DEBUG"):
        import logging

        logging.basicConfig(level=logging.INFO, format="publisher %(asctime)s %(name)s %(message)s")
    clip = encode_clip()
    layer = _layer(redis_url)
    names = [f"publisher{tag}"] + [f"publisher{tag}-{i}" for i in range(1, cameras)]
    published = [await _publish(layer, room, name, channel, clip) for name in names]
    conn.send({"ready": True})
    async for command in _commands(conn):
        if command[0] == "stats":
            # The first peer whose connection is not up speaks for all (all up: the first).
            peer = next((p for p, _ in published if p.pc.connectionState != "connected"), None)
            peer = peer or published[0][0]
            conn.send(
                {
                    "keyframes": sum(track.keyframes_sent for _, track in published),
                    "cpu": _cpu_secs(),
                    "state": peer.pc.connectionState,
                    "ice": peer.pc.iceConnectionState,
                }
            )
        elif command[0] == "stop":
            await asyncio.gather(*(p.leave() for p, _ in published), return_exceptions=True)
            conn.send({"stopped": True})
            return


async def _viewers(
    conn: Connection, redis_url: str, room: str, channel: str, tag: str, slots: int
) -> None:
    # Viewers stand for browsers on other machines: on this shared 2-core box they must
    # not take the worker's CPU (its own CPU time is what is measured).
    os.nice(VIEWER_NICE)
    layer = _layer(redis_url)
    viewers: list[Viewer] = []
    async for command in _commands(conn):
        if command[0] == "add":
            # ("add", count[, at_once]): a storm sends every offer of the step at once.
            new = [
                Viewer(layer, room, f"{tag}-{len(viewers) + i}", channel, slots)
                for i in range(command[1])
            ]
            at_once = command[2] if len(command) > 2 else JOIN_BATCH
            joined, failures = await _join_all(new, max(at_once, 1))
            viewers += joined
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and any(v.without_video for v in joined):
                await asyncio.sleep(0.1)
            conn.send(
                {
                    "viewers": len(viewers),
                    "without_video": sum(v.without_video for v in joined),
                    # Joins the worker did not answer (or refused): the step did not hold,
                    # and the benchmark says so instead of ending here.
                    "failed_joins": len(failures),
                    "failure": failures[0] if failures else None,
                    "answer_secs": [v.answer_secs for v in joined],
                }
            )
        elif command[0] == "snapshot":
            conn.send(
                {
                    "t": time.monotonic(),
                    # One count per slot of each viewer: fps is taken per stream.
                    "frames": [f for v in viewers for f in v.counter.per_stream(v.slots)],
                    "cpu": _cpu_secs(),
                }
            )
        elif command[0] == "stop":
            await asyncio.gather(*(v.leave() for v in viewers), return_exceptions=True)
            conn.send({"stopped": True})
            return


async def _join_all(new: list[Viewer], at_once: int = JOIN_BATCH) -> tuple[list[Viewer], list[str]]:
    """Join ``new`` ``at_once`` at a time; the ones that joined and why the others did not."""
    joined: list[Viewer] = []
    failures: list[str] = []
    for start in range(0, len(new), at_once):
        batch = new[start : start + at_once]
        results = await asyncio.gather(*(v.join() for v in batch), return_exceptions=True)
        for viewer, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(str(result) or type(result).__name__)  # a timeout says ""
                await viewer.pc.close()
            else:
                joined.append(viewer)
    return joined, failures


async def _probe(conn: Connection, redis_url: str, room: str, channel: str) -> None:
    layer = _layer(redis_url)
    async for command in _commands(conn):
        if command[0] == "stop":
            conn.send({"stopped": True})
            return
        times = []
        for i in range(command[1]):
            started = time.monotonic()
            peer = Peer(layer, room, f"probe-{i}", channel)
            transceiver = peer.pc.addTransceiver("video", direction="recvonly")
            try:
                await peer.negotiate([{"index": 0, "kind": "video", "slot": "camera"}])
                await asyncio.wait_for(transceiver.receiver.track.recv(), 10)
                times.append(time.monotonic() - started)
            except (TimeoutError, RuntimeError, MediaStreamError):  # no answer/refused/failed
                times.append(float("inf"))
            await peer.leave()
            await asyncio.sleep(PROBE_SPACING_SECS)
        conn.send({"join_secs": times})


def run(
    role: str,
    conn: Connection,
    redis_url: str,
    room: str,
    channel: str,
    tag: str = "",
    streams: int = 1,
) -> None:
    """Entry point of a benchmark process (multiprocessing target).

    ``streams``: the camera slots each viewer watches, or the cameras a publisher sends."""
    use_host_addresses(["127.0.0.1"], loopback=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")
    main = {
        "publisher": lambda: _publisher(conn, redis_url, room, channel, tag, streams),
        "viewers": lambda: _viewers(conn, redis_url, room, channel, tag, streams),
        "probe": lambda: _probe(conn, redis_url, room, channel),
    }[role]
    asyncio.run(main())
