"""A real aiortc participant that talks to the media worker as a browser would.

It builds the same offer as static/js/room/media.js (publish m-lines for mic, camera
and screen, then recvonly slots), sends the same ``rtc.*`` messages wrapped in wire
messages over a channel layer, and decodes what the worker forwards. Reusable for
the through-the-consumer tests: only ``send`` and ``handle`` touch the transport.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import os
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import AudioFrame, VideoFrame

from bench.stand_in import signal_from
from mediaworker.transport_cc import URI as TRANSPORT_CC_URI
from mediaworker.wire import (
    MEDIA_WORKER_CHANNEL,
    ControlAction,
    to_worker_control,
)


class PatternTrack(VideoStreamTrack):
    """Synthetic camera or screen: ``width``×``height`` at 30 fps, a moving bar.

    ``noise``: random pictures instead, which the encoder cannot squeeze (it sends at
    its target bitrate, ~500 kbit/s in aiortc: a camera that fills a weak link)."""

    def __init__(self, width: int, height: int, *, noise: bool = False) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._count = 0
        self._noise = [os.urandom(width * height) for _ in range(8)] if noise else []

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        luma = frame.planes[0]
        if self._noise:
            luma.update(self._noise[self._count % len(self._noise)])
            for chroma in frame.planes[1:]:
                chroma.update(bytes([128]) * chroma.buffer_size)
            self._count += 1
            frame.pts, frame.time_base = pts, time_base
            return frame
        x = (self._count * 4) % self.width
        row = bytearray([90]) * luma.line_size
        row[x : x + 8] = bytes([230]) * len(row[x : x + 8])
        luma.update(bytes(row) * self.height)
        for chroma in frame.planes[1:]:
            chroma.update(bytes([128]) * chroma.buffer_size)
        self._count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


class Tone(AudioStreamTrack):
    """A 440 Hz tone at about -10 dBov (silence when ``loud`` is false)."""

    def __init__(self, *, loud: bool = True) -> None:
        super().__init__()
        self.loud = loud
        self._phase = 0

    async def recv(self) -> AudioFrame:
        frame = await super().recv()
        assert isinstance(frame, AudioFrame)
        if self.loud:
            samples, rate = frame.samples, frame.sample_rate
            wave = array.array(
                "h",
                (
                    int(10000 * math.sin(2 * math.pi * 440 * (self._phase + i) / rate))
                    for i in range(samples)
                ),
            )
            self._phase += samples
            frame = AudioFrame(format="s16", layout="mono", samples=samples)
            frame.planes[0].update(wave.tobytes())
            frame.sample_rate = rate
            frame.pts = self._timestamp
            frame.time_base = fractions.Fraction(1, rate)
        return frame


@dataclass
class Received:
    """What one slot decoded from one publisher's source."""

    frames: int = 0
    first_at: float | None = None
    sizes: list[tuple[int, int]] = field(default_factory=list)


class MediaClient:
    """One participant: a peer connection plus the wire messages around it."""

    def __init__(
        self,
        layer: Any,
        *,
        room: str,
        peer: str,
        camera: tuple[int, int] | None = (160, 120),
        mic: bool = True,
        loud: bool = False,
        audio_slots: int = 3,
        camera_slots: int = 9,
        screen_slots: int = 1,
        worker_channel: str = MEDIA_WORKER_CHANNEL,
        video_codec: str | None = None,
        viewer: bool = False,
        role: str = "host",
        configuration: RTCConfiguration | None = None,
        low_camera: tuple[int, int] | None = None,
        noisy_camera: bool = False,
        answer_through: Callable[[str], Awaitable[str]] | None = None,
        offer_edit: Callable[[str], str] | None = None,
    ) -> None:
        self.layer = layer
        # ICE servers and policy (e.g. relay only, through the TURN server the app gave).
        self.configuration = configuration
        self.role = role  # what the room consumer takes from the join token
        self.room, self.peer = room, peer
        self.worker_channel = worker_channel
        self.camera_size = camera
        # The camera's low layer (its own m-line, "camera-low"), as media.js publishes it.
        self.low_camera_size = low_camera
        self.noisy_camera = noisy_camera  # the camera fills ~500 kbit/s (PatternTrack noise)
        self.layer_requests: list[dict[str, bool]] = []  # rtc.layers "send" maps
        # Rewrites the worker's answer (e.g. its candidate to an impairment relay's).
        # Our offer's candidates then name a closed port: the worker reaches us only
        # through whoever forwards our checks, so no direct path bypasses the relay.
        self.answer_through = answer_through
        self.offer_edit = offer_edit  # rewrites our offer (e.g. adds what aiortc lacks)
        self.bandwidth: list[str] = []  # rtc.bandwidth states
        self.mic, self.loud = mic, loud
        self.video_codec = video_codec  # e.g. "video/H264": publish only that codec
        self.slot_counts = {"audio": audio_slots, "camera": camera_slots, "screen": screen_slots}
        # A public viewer (the watch page's offer): the program and three audio slots.
        self.viewer = viewer
        if viewer:
            self.slot_counts = {"audio": audio_slots, "program": 1}
        self.ended = False
        self.codes: list[str] = []  # rtc.error codes (a viewer refused: not_live, full)
        self.reply = ""
        self.pc: RTCPeerConnection | None = None
        self.slots: dict[str, dict[str, Any]] = {}  # mid -> latest rtc.tracks entry
        self.received: dict[tuple[str, str], Received] = defaultdict(Received)
        self.speaker: str | None = None
        self.muted: list[str] = []
        self.errors: list[str] = []
        self.error_signals: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.joined_at = 0.0
        self._publish: dict[str, RTCRtpTransceiver] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._answered = asyncio.Event()
        self._changed = asyncio.Condition()

    # -- transport ---------------------------------------------------------------

    async def send(self, signal: dict[str, Any]) -> None:
        """Send one ``rtc.*`` message to the worker, as the consumer would."""
        role = None if self.viewer else self.role
        message = signal_from(self, signal, viewer=self.viewer, role=role)
        await self.layer.send(self.worker_channel, message)

    async def control(self, action: ControlAction, target: str = "") -> None:
        """Send a consumer control action about this participant."""
        message = to_worker_control(
            room=self.room, peer=self.peer, reply=self.reply, action=action, target=target
        )
        await self.layer.send(self.worker_channel, message)

    async def _read(self) -> None:
        while True:
            message = await self.layer.receive(self.reply)
            if message["type"] == "client.stop":
                return
            if message["type"] == "media.signal":
                await self.handle(message["signal"])
            elif message["type"] == "media.event":
                self.events.append(message["event"])
            async with self._changed:
                self._changed.notify_all()

    async def handle(self, signal: dict[str, Any]) -> None:
        """Apply one message from the worker."""
        kind = signal["type"]
        if kind == "rtc.answer":
            assert self.pc is not None
            sdp = signal["sdp"]
            if self.answer_through is not None:
                sdp = await self.answer_through(sdp)
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))
            self._answered.set()
        elif kind == "rtc.tracks":
            self.slots = {t["mid"]: t for t in signal["tracks"]}
        elif kind == "rtc.speaker":
            self.speaker = signal["peer"]
        elif kind == "rtc.muted":
            self.muted.append(signal["source"])
        elif kind == "rtc.error":
            self.errors.append(signal["message"])
            self.error_signals.append(signal)
            if "code" in signal:
                self.codes.append(signal["code"])
        elif kind == "rtc.ended":
            self.ended = True
        elif kind == "rtc.layers":
            self.layer_requests.append(signal["send"])
        elif kind == "rtc.bandwidth":
            self.bandwidth.append(signal["state"])

    # -- joining -----------------------------------------------------------------

    async def join(self, timeout: float = 30.0) -> None:
        """Offer, get the worker's answer, start decoding every slot."""
        self.joined_at = time.monotonic()
        self.reply = self.reply or await self.layer.new_channel()
        if not self._tasks:
            self._tasks.append(asyncio.ensure_future(self._read()))
        self._answered.clear()
        pc = RTCPeerConnection(
            self.configuration
            or RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.pc = pc
        mic = Tone(loud=self.loud) if self.mic and not self.viewer else None
        camera = (
            PatternTrack(*self.camera_size, noise=self.noisy_camera) if self.camera_size else None
        )
        self._publish = {}
        if not self.viewer:
            self._publish = {
                "mic": pc.addTransceiver(mic or "audio", direction="sendonly"),
                "camera": pc.addTransceiver(camera or "video", direction="sendonly"),
                "screen": pc.addTransceiver("video", direction="sendonly"),
            }
            if self.low_camera_size:
                low = PatternTrack(*self.low_camera_size)
                self._publish["camera-low"] = pc.addTransceiver(low, direction="sendonly")
        if self.video_codec:
            codecs = RTCRtpSender.getCapabilities("video").codecs
            wanted = [c for c in codecs if c.mimeType.lower() == self.video_codec.lower()]
            for source in ("camera", "screen"):
                self._publish[source].setCodecPreferences(wanted)
        slots: list[tuple[RTCRtpTransceiver, str]] = []
        for slot, count in self.slot_counts.items():
            kind = "audio" if slot == "audio" else "video"
            slots += [(pc.addTransceiver(kind, direction="recvonly"), slot) for _ in range(count)]
        await pc.setLocalDescription(await pc.createOffer())
        tracks: list[dict[str, Any]] = [
            {"mid": t.mid, "kind": t.kind, "source": source, "active": t.sender.track is not None}
            for source, t in self._publish.items()
        ]
        tracks += [{"mid": t.mid, "kind": t.kind, "slot": slot} for t, slot in slots]
        sdp = pc.localDescription.sdp
        if self.offer_edit is not None:
            sdp = self.offer_edit(sdp)
        if self.answer_through is not None:
            sdp = _unreachable_candidates(sdp)
        await self.send({"type": "rtc.offer", "sdp": sdp, "tracks": tracks})
        # A viewer may be refused (rtc.error with a code), a bad offer refused, instead.
        await self.wait_for(lambda: self._answered.is_set() or bool(self.errors), timeout)
        if not self._answered.is_set():
            return
        for transceiver, _ in slots:
            self._tasks.append(asyncio.ensure_future(self._decode(transceiver)))

    async def _decode(self, transceiver: RTCRtpTransceiver) -> None:
        track = transceiver.receiver.track
        mid = transceiver.mid
        assert mid is not None
        try:
            while True:
                frame = await track.recv()
                entry = self.slots.get(mid)
                if not entry or not entry.get("peer"):
                    continue
                got = self.received[(entry["peer"], entry["source"])]
                got.frames += 1
                if got.first_at is None:
                    got.first_at = time.monotonic()
                if isinstance(frame, VideoFrame):
                    got.sizes.append((frame.width, frame.height))
        except MediaStreamError:
            pass

    # -- publishing --------------------------------------------------------------

    async def publish(self, source: str, track: MediaStreamTrack | None) -> None:
        """Start or stop a source without renegotiation (replaceTrack + rtc.tracks)."""
        transceiver = self._publish[source]
        old = transceiver.sender.track
        transceiver.sender.replaceTrack(track)
        if old is not None:
            old.stop()
        entry = {"mid": transceiver.mid, "source": source, "active": track is not None}
        await self.send({"type": "rtc.tracks", "tracks": [entry]})

    async def subscribe(
        self, peers: list[str], *, large: list[str] | None = None, video: bool | None = None
    ) -> None:
        """Tell the worker whose camera to prefer for last-N (and, like the page, whose
        tiles are large and whether to receive cameras at all)."""
        signal: dict[str, Any] = {"type": "rtc.subscribe", "peers": peers}
        if large is not None:
            signal["large"] = large
        if video is not None:
            signal["video"] = video
        await self.send(signal)

    # -- waiting -----------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds, re-checking on messages and every 50 ms."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.peer}: condition not met in {timeout} s")
            await asyncio.sleep(0.05)

    def frames_from(self, peer: str, source: str = "camera") -> int:
        """Decoded frames received from one publisher's source."""
        return self.received[(peer, source)].frames

    def receives(self, peers: list[str], frames: int = 5) -> Callable[[], bool]:
        """A condition: camera and microphone frames arrived from each of ``peers``."""
        return lambda: all(
            self.frames_from(p) >= frames and self.frames_from(p, "mic") >= frames for p in peers
        )

    def slot_of(self, peer: str, source: str) -> str | None:
        """The mid of the slot that carries ``peer``'s ``source``, if any."""
        for mid, entry in self.slots.items():
            if entry.get("peer") == peer and entry.get("source") == source:
                return mid
        return None

    async def close(self, *, leave: bool = True) -> None:
        """Leave (as the consumer would on disconnect) and close the connection."""
        if leave and self.reply:
            await self.control("leave")
        reader, decoders = self._tasks[:1], self._tasks[1:]
        if reader:
            # Cancelling a pending channels_redis receive() can hang: ask it to stop.
            await self.layer.send(self.reply, {"type": "client.stop"})
        for task in decoders:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*reader, *decoders, return_exceptions=True), 10)
        self._tasks = []
        if self.pc is not None:
            await asyncio.wait_for(self.pc.close(), 10)


TRANSPORT_CC_ID = 5  # aiortc's own header extensions take 1-3


def offer_transport_cc(sdp: str) -> str:
    """``sdp`` (an aiortc offer) with transport-wide sequence numbers and their feedback
    offered on every receive m-line, as Chromium offers them (aiortc knows neither)."""
    sections = re.split(r"(?m)^(?=m=)", sdp)
    out = [sections[0]]
    for section in sections[1:]:
        if "a=recvonly" in section:
            pts = re.findall(r"(?m)^a=rtpmap:(\d+) (?!rtx)", section)
            lines = [f"a=extmap:{TRANSPORT_CC_ID} {TRANSPORT_CC_URI}"]
            lines += [f"a=rtcp-fb:{pt} transport-cc" for pt in pts]
            added = "a=recvonly\r\n" + "\r\n".join(lines) + "\r\n"
            section = section.replace("a=recvonly\r\n", added)
        out.append(section)
    return "".join(out)


def _unreachable_candidates(sdp: str) -> str:
    """``sdp`` with each candidate's port replaced by the discard port (closed)."""
    lines = []
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=candidate:"):
            parts = line.split(" ")
            parts[5] = "9"  # foundation component transport priority address PORT
            line = " ".join(parts)
        lines.append(line)
    return "".join(lines)


async def gather_clients(*steps: Awaitable[Any]) -> list[Any]:
    """Run several clients' steps at once; fail on the first error."""
    return list(await asyncio.gather(*steps))
