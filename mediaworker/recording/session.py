"""The recorder's thread: RTP in, HLS out, finalised on stop (see recorder.py).

Everything that blocks or burns CPU — assembling frames, decoding Opus, mixing,
AAC, the rare VP8 transcode, file writes, finalising — happens here, never on the
worker's event loop.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediaworker.recording.bitstream import (
    h264_has_parameter_sets,
    h264_is_keyframe,
    vp8_is_keyframe,
)
from mediaworker.recording.codecs import (
    AUDIO_RATE,
    VIDEO_CLOCK,
    OpusDecoder,
    VideoTranscoder,
    probe_h264_size,
)
from mediaworker.recording.finalise import finalise
from mediaworker.recording.hls import HlsWriter
from mediaworker.recording.items import (
    AudioPacket,
    ChapterMark,
    Stop,
    VideoPacket,
    add_chapter,
    utc_now,
)
from mediaworker.recording.mixer import AudioMixer
from mediaworker.recording.ownership import OwnerLock
from mediaworker.recording.playlist import read_playlist
from mediaworker.recording.rtpframes import Frame, FrameAssembler
from mediaworker.recording.timeline import RtpAnchor
from mediaworker.rtp import H264, VP8
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import RecordingStatus, read_status, write_status

logger = logging.getLogger("mediaworker.recording")

RECORDABLE_VIDEO = frozenset({H264, VP8})
POLL_SECS = 0.05
AUDIO_DELAY_SECS = 0.3  # the mix trails real time so late packets still make it in
MAX_SILENT_LEAD_SECS = 1.0  # audio kept before the first video frame


@dataclass
class _Video:
    """The program video being recorded (one program source)."""

    generation: int
    mime: str
    assembler: FrameAssembler
    anchor: RtpAnchor = field(default_factory=lambda: RtpAnchor(VIDEO_CLOCK))
    started: bool = False  # a keyframe was seen


@dataclass
class _Mic:
    decoder: OpusDecoder
    anchor: RtpAnchor = field(default_factory=lambda: RtpAnchor(AUDIO_RATE))


class Session:
    """Writes one recording; ``run`` is the thread's body."""

    def __init__(
        self,
        *,
        directory: Path,
        segment_secs: float,
        started: float,
        lock: OwnerLock,
        label: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paths = RecordingPaths(directory)
        self.started = started  # time.monotonic() when the recording started
        self.lock = lock
        self.label = label
        self.clock = clock  # the loop's clock; synthetic recordings bring their own
        self.writer = HlsWriter(self.paths, segment_secs=segment_secs)
        self.status = read_status(directory) or RecordingStatus()
        self.mixer = AudioMixer()
        self.video: _Video | None = None
        self.mics: dict[str, _Mic] = {}
        self.transcoder: VideoTranscoder | None = None
        self.transcoders = 0
        self.segment_secs = segment_secs
        self.origin: float | None = None  # seconds (since start) of the first frame
        self._last_pts = -1
        self._playlist_mtime = 0.0
        self.failed = ""

    # -- the loop ----------------------------------------------------------------

    def run(self, inbox: queue.SimpleQueue[Any], done: threading.Event) -> None:
        """Take packets until ``Stop``; then close the output and finalise."""
        stop: Stop | None = None
        _name_thread(f"rec-{self.paths.directory.name[:8]}")
        try:
            while stop is None:
                # Wake on a timer and take everything queued: waking per packet would
                # hand the GIL back and forth with the event loop hundreds of times a
                # second.
                time.sleep(POLL_SECS)
                while True:
                    try:
                        item = inbox.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(item, Stop):
                        stop = item
                        break
                    if not self.failed:
                        self._guarded(self.handle, item)
                if not self.failed:
                    self._guarded(self.tick)
                if stop is None and not threading.main_thread().is_alive():
                    # The process is exiting without a stop (daphne ended with the
                    # embedded worker in it): finish, or the exit would wait forever.
                    stop = Stop(finalise=True)
            self.close()
            if stop is not None and stop.finalise:
                finalise(self.paths.directory, lock=self.lock)
        except Exception:
            logger.exception("%s: could not finish", self.label)
        finally:
            self.lock.release()
            done.set()

    def _guarded(self, step: Any, *args: Any) -> None:
        try:
            step(*args)
        except Exception as exc:  # the segments so far stay: finalise keeps them
            logger.exception("%s: recording stopped by an error", self.label)
            self.failed = f"{type(exc).__name__}: {exc}"
            self.writer.abandon()

    def handle(self, item: Any) -> None:
        """Take one message of the recorder: a packet, a chapter."""
        if isinstance(item, VideoPacket):
            self._video_packet(item)
        elif isinstance(item, AudioPacket):
            self._audio_packet(item)
        elif isinstance(item, ChapterMark):
            at = item.at - (self.origin or 0.0)
            add_chapter(self.status, ChapterMark(item.title, item.text, at))
            write_status(self.paths.directory, self.status)

    def tick(self) -> None:
        """Write the mix up to now (less a small delay) and update the status."""
        now = self.clock() - self.started
        if not self.writer.opened:
            # Nothing to put the sound under yet: keep only the last moment of it.
            self.mixer.skip_to(int((now - MAX_SILENT_LEAD_SECS) * AUDIO_RATE))
            return
        self._write_audio_until(now - AUDIO_DELAY_SECS)
        self._update_duration()

    def _write_audio_until(self, secs: float) -> None:
        origin = self._origin_samples
        for position, block in self.mixer.take(int(secs * AUDIO_RATE)):
            self.writer.write_audio(position - origin, block)

    @property
    def _origin_samples(self) -> int:
        return round((self.origin or 0.0) * AUDIO_RATE)

    @property
    def _origin_ticks(self) -> int:
        return round((self.origin or 0.0) * VIDEO_CLOCK)

    # -- video -------------------------------------------------------------------

    def _video_packet(self, packet: VideoPacket) -> None:
        if packet.mime not in RECORDABLE_VIDEO:
            return  # the forwarder only taps codecs it knows; be safe anyway
        video = self.video
        if video is None or video.generation != packet.generation:
            video = self.video = _Video(packet.generation, packet.mime, FrameAssembler(packet.mime))
        frame = video.assembler.add(packet.seq, packet.ts, packet.payload)
        if frame is not None:
            self._video_frame(video, frame, packet.arrival)

    def _video_frame(self, video: _Video, frame: Frame, arrival: float) -> None:
        h264 = video.mime == H264
        key = h264_is_keyframe(frame.data) if h264 else vp8_is_keyframe(frame.data)
        if not video.started:
            # A switch waits for a keyframe a decoder can start from.
            if not key or (h264 and not h264_has_parameter_sets(frame.data)):
                return
            video.started = True
        ticks = video.anchor.place(frame.timestamp, arrival)
        if h264:
            if not self.writer.opened and not self._open_h264(frame.data, arrival):
                return
            self._write_video(frame.data, ticks - self._origin_ticks, key)
        else:
            self._transcode(frame.data, ticks, arrival)

    def _open_h264(self, keyframe: bytes, arrival: float) -> bool:
        size = probe_h264_size(keyframe)
        if size is None:
            return False
        self._open(size, arrival, codec="h264")
        return True

    def _open(self, size: tuple[int, int], arrival: float, *, codec: str) -> None:
        self.writer.open(*size)
        self.origin = arrival
        self.mixer.skip_to(self._origin_samples)
        self.status.video_codec = codec
        self.status.width, self.status.height = size
        write_status(self.paths.directory, self.status)

    def _write_video(self, data: bytes, pts: int, key: bool) -> None:
        """Mux a frame at ``pts`` ticks from the first frame (kept increasing)."""
        pts = max(pts, self._last_pts + 1)
        self._last_pts = pts
        self.writer.write_video(data, pts, keyframe=key)

    def _transcode(self, data: bytes, ticks: int, arrival: float) -> None:
        if self.transcoder is None:
            self.transcoder = VideoTranscoder(keyframe_secs=self.segment_secs)
            self.transcoders += 1
            self.status.transcoded = True
            logger.warning(
                "%s: the program's video is VP8, not H.264: transcoding it to H.264 "
                "(costs CPU; presenters of a broadcast should send H.264)",
                self.label,
            )
        for decoded in self.transcoder.decode(data):
            if not self.writer.opened:
                size = (decoded.width - decoded.width % 2, decoded.height - decoded.height % 2)
                self._open(size, arrival, codec="vp8")
            pts = max(ticks - self._origin_ticks, self._last_pts + 1)
            for encoded, out_pts, key in self.transcoder.encode(decoded, pts):
                self._write_video(encoded, out_pts, key)

    # -- audio -------------------------------------------------------------------

    def _audio_packet(self, packet: AudioPacket) -> None:
        mic = self.mics.get(packet.mic)
        if mic is None:
            mic = self.mics[packet.mic] = _Mic(OpusDecoder())
        samples = mic.decoder.decode(packet.payload)
        if not len(samples):
            return
        position = mic.anchor.place(packet.ts, packet.arrival)
        self.mixer.add(position, samples)

    # -- status and the end ------------------------------------------------------

    def _update_duration(self) -> None:
        try:
            mtime = self.paths.playlist.stat().st_mtime
        except OSError:
            return
        if mtime == self._playlist_mtime:
            return
        self._playlist_mtime = mtime
        duration = round(read_playlist(self.paths.playlist).duration, 3)
        if duration != self.status.duration:
            self.status.duration = duration
            write_status(self.paths.directory, self.status)

    def close(self) -> None:
        """Flush everything, close the HLS output (``#EXT-X-ENDLIST``), note the end."""
        if self.writer.opened and not self.failed:
            try:
                if self.transcoder is not None:
                    for encoded, pts, key in self.transcoder.flush():
                        self._write_video(encoded, pts, key)
                self._write_audio_until(self.clock() - self.started)
                self.writer.close()
            except Exception as exc:
                logger.exception("%s: could not close the HLS output", self.label)
                self.failed = f"{type(exc).__name__}: {exc}"
                self.writer.abandon()
        self.status.ended = utc_now()
        write_status(self.paths.directory, self.status)


def _name_thread(name: str) -> None:
    """Name the OS thread (``top -H``, /proc/<pid>/task/*/comm show it); Linux only."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass
