"""One room's recording: taps on the event loop, muxing in a thread of its own.

Loop side (``Recorder``, called from the room's router): the program's video
``Source`` and every microphone's ``Source`` get a ``sink`` that copies each RTP
packet's sequence number, timestamp, payload and arrival time onto a queue — no
parsing, no codec, no I/O, so forwarding to subscribers never waits for the
recorder. A switch of program video happens at the new source's first keyframe
(asked for at once), and the program's publisher is asked for a keyframe at the
segment cadence, so every HLS segment starts on one.

Thread side (``_Session``): frames assembled from RTP, H.264 copied into the HLS
muxer (VP8 decoded and encoded to H.264 once, ``status.transcoded``), every
microphone decoded and mixed into one AAC track, ``status.json`` updated per
segment; on stop the muxer is closed and the recording finalised into one MP4, then
``on_finished(directory)`` is called from that thread (the worker tells the web side).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaworker.recording.items import AudioPacket, ChapterMark, Stop, VideoPacket, utc_now
from mediaworker.recording.ownership import OwnerLock
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import RecordingStatus, read_status, write_status

if TYPE_CHECKING:
    from aiortc.rtp import RtpPacket

    from mediaworker.forwarding import Source

logger = logging.getLogger(__name__)

KEYFRAME_TICK_SECS = 0.2
KEYFRAME_LEAD_SECS = 0.15  # ask this much before the segment is due (the PLI's trip)
MAX_BACKLOG = 3000  # queued packets (~10 s of 1.5 Mbps video) before video is shed


class RecordingError(Exception):
    """The recording cannot start (its directory is owned by another process...)."""


class Recorder:
    """Records one room's program into ``directory`` (loop side)."""

    def __init__(
        self,
        *,
        recording_id: str,
        directory: Path,
        broadcast: bool,
        segment_secs: float,
        room: str = "",
        on_finished: Callable[[Path], None] | None = None,
    ) -> None:
        self.recording_id = recording_id
        self.directory = Path(directory)
        self.broadcast = broadcast
        self.segment_secs = segment_secs
        self.room = room
        self.video: Source | None = None
        self.video_key: str | None = None
        self.pending: Source | None = None
        self.pending_key: str | None = None
        self.mics: dict[str, Source] = {}
        self._mic_names: dict[int, str] = {}  # id(source) -> key, for the hot path
        self.generation = 0
        self.switches = 0
        self.shed = 0
        self.done = threading.Event()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = OwnerLock(self.directory)
        self._started = 0.0
        self._last_key = 0.0
        self._ticker: asyncio.TimerHandle | None = None
        self._session: Any = None
        self._thread: threading.Thread | None = None
        self.stopped = False
        # Called from the recorder's thread once it is done (finalised, or given up).
        self._on_finished = on_finished

    # -- life --------------------------------------------------------------------

    def start(self) -> None:
        """Take the directory, write the first status and start the muxing thread."""
        if not self._lock.acquire():
            raise RecordingError(f"{self.directory} is being written by another process")
        try:
            previous = read_status(self.directory)
            if previous is not None and previous.state != "recording":
                raise RecordingError(f"{self.directory} holds a {previous.state} recording")
            if RecordingPaths(self.directory).playlist.exists():
                # A killed worker's segments: writing again would overwrite them.
                raise RecordingError(f"{self.directory} holds an unfinished recording")
            self.directory.mkdir(parents=True, exist_ok=True)
            write_status(self.directory, RecordingStatus(state="recording", started=utc_now()))
        except BaseException:
            self._lock.release()
            raise
        from mediaworker.recording.session import Session  # PyAV, numpy: only when recording

        loop = asyncio.get_running_loop()
        self._started = self._last_key = loop.time()
        self._session = Session(
            directory=self.directory,
            segment_secs=self.segment_secs,
            started=self._started,
            lock=self._lock,
            label=f"recording {self.recording_id[:8]} of room {self.room}",
        )
        self._thread = threading.Thread(target=self._run, name=f"recorder-{self.recording_id[:8]}")
        self._thread.start()
        self._ticker = loop.call_later(KEYFRAME_TICK_SECS, self._tick)

    def _run(self) -> None:
        """The thread's body: the session, then whoever waits for the recording's end."""
        self._session.run(self._queue, self.done)
        if self._on_finished is not None:
            try:
                self._on_finished(self.directory)
            except Exception:  # the recording is on disk whatever the listener does
                logger.exception("recording %s: on_finished failed", self.recording_id[:8])

    def stop(self, *, finalise: bool = True) -> None:
        """Stop taking packets; the thread closes the HLS output and finalises."""
        if self.stopped:
            return
        self.stopped = True
        if self._ticker is not None:
            self._ticker.cancel()
        for source in (self.video, self.pending, *self.mics.values()):
            if source is not None and source.sink == self._on_packet:
                source.sink = None
        self.video = self.pending = None
        self.mics, self._mic_names = {}, {}
        self._queue.put(Stop(finalise))

    def chapter(self, title: str, text: str) -> None:
        """Mark a chapter now (a slide change) and keep the slide's text."""
        if not self.stopped:
            at = asyncio.get_running_loop().time() - self._started
            self._queue.put(ChapterMark(title, text, at))

    @property
    def transcoders(self) -> int:
        """Video transcoders the thread created (0 while the program is H.264)."""
        return self._session.transcoders if self._session is not None else 0

    # -- what to record ----------------------------------------------------------

    def set_program(self, key: str | None, video: Source | None, mics: dict[str, Source]) -> None:
        """Record ``video`` (switching at its next keyframe) and these microphones."""
        if self.stopped:
            return
        for name, source in list(self.mics.items()):
            if mics.get(name) is not source and source.sink == self._on_packet:
                source.sink = None
        for source in mics.values():
            source.sink = self._on_packet
        self.mics = dict(mics)
        self._mic_names = {id(source): name for name, source in mics.items()}
        if video is self.video:
            self._drop_pending()
            return
        if video is self.pending:
            return
        self._drop_pending()
        if video is None:
            self._retire(self.video)
            self.video, self.video_key = None, None
            return
        self.pending, self.pending_key = video, key
        video.sink = self._on_packet
        video.request_keyframe()

    def _drop_pending(self) -> None:
        if self.pending is not None and self.pending is not self.video:
            self._retire(self.pending)
        self.pending, self.pending_key = None, None

    def _retire(self, source: Source | None) -> None:
        if source is not None and source.sink == self._on_packet and source.kind == "video":
            source.sink = None

    # -- the tap (hot path: called by Source.forward for every packet) ------------

    def _on_packet(self, source: Source, packet: RtpPacket, key: bool, now: float) -> None:
        if source.kind == "audio":
            name = self._mic_names.get(id(source))
            if name is not None:
                arrival = now - self._started
                self._queue.put(AudioPacket(name, packet.timestamp, packet.payload, arrival))
            return
        if source is self.pending and key:
            self._retire(self.video)
            self.video, self.video_key = source, self.pending_key
            self.pending, self.pending_key = None, None
            self.generation += 1
            self.switches += 1
        if source is not self.video:
            return
        if key:
            self._last_key = now
        if self._queue.qsize() > MAX_BACKLOG:
            # The thread is behind: shed video and start again at a keyframe.
            self.shed += 1
            self.generation += 1
            return
        mime = source.mimes.get(packet.payload_type, "")
        self._queue.put(
            VideoPacket(
                self.generation,
                mime,
                packet.sequence_number,
                packet.timestamp,
                packet.payload,
                now - self._started,
            )
        )

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.pending is not None:
            self.pending.request_keyframe()
        elif self.video is not None and now - self._last_key >= (
            self.segment_secs - KEYFRAME_LEAD_SECS
        ):
            self.video.request_keyframe()
        self._ticker = loop.call_later(KEYFRAME_TICK_SECS, self._tick)
