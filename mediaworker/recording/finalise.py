"""Finalising a recording: its HLS segments remuxed into one faststart MP4, a poster.

A remux, not an encode: the fMP4 segments (init + media segments, read as one
stream straight from their files) are demuxed and their packets written into a
plain MP4 whose index is moved to the front (``movflags=faststart``), so the file
plays while it downloads. Then one frame a few seconds in becomes ``poster.jpg``.
``status.json`` shows ``finalising`` with ``progress`` meanwhile, then ``ready``
(or ``failed`` with ``error``). A one-hour recording takes seconds.

Used by the recorder's thread on stop, by the media worker at start for directories
a killed worker left behind (``finalise_orphans``), by the web or scheduler process
and by ``meet finalise_recordings``. The owner lock (ownership.py) makes sure only
one process finalises a directory, and never one still being recorded.
"""

from __future__ import annotations

import bisect
import io
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from av.video.frame import VideoFrame

from mediaworker.recording.ownership import OwnerLock
from mediaworker.recording.playlist import close_playlist, read_playlist
from mediaworker.wire.layout import MP4, POSTER, RecordingPaths, is_recording_id
from mediaworker.wire.status import RecordingStatus, read_status, write_status

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECS = 0.5
POSTER_AT_SECS = 3.0
POSTER_MAX_WIDTH = 1280
UNFINISHED = ("recording", "finalising")


class FinaliseError(Exception):
    """This recording cannot be finalised (nothing recorded, unreadable segments)."""


class RecordingBusy(Exception):
    """Another process holds the recording (still recording, or finalising it)."""


class ConcatReader(io.RawIOBase):
    """Several files read as one, seekable: the init segment followed by the segments."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self._paths = paths
        self._sizes = [p.stat().st_size for p in paths]
        self._starts = [sum(self._sizes[:i]) for i in range(len(paths))]
        self.size = sum(self._sizes)
        self._pos = 0
        self._index = -1
        self._file: io.BufferedReader | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self.size:
            index = self._locate(self._pos)
            file = self._open(index)
            file.seek(self._pos - self._starts[index])
            want = min(len(view) - done, self._starts[index] + self._sizes[index] - self._pos)
            got = file.readinto(view[done : done + want])
            if not got:
                break
            done += got
            self._pos += got
        return done

    def _locate(self, pos: int) -> int:
        # The last file starting at or before ``pos`` (empty files share a start).
        index = bisect.bisect_right(self._starts, pos) - 1
        while index + 1 < len(self._sizes) and pos >= self._starts[index] + self._sizes[index]:
            index += 1
        return max(index, 0)

    def _open(self, index: int) -> io.BufferedReader:
        if index != self._index or self._file is None:
            if self._file is not None:
                self._file.close()
            self._file = open(self._paths[index], "rb")  # noqa: SIM115 - closed in close()
            self._index = index
        return self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        super().close()


def recorded_files(paths: RecordingPaths) -> list[Path]:
    """The init segment and every complete media segment, in order."""
    playlist = read_playlist(paths.playlist)
    init = paths.hls_dir / (playlist.init or paths.init_segment.name)
    segments = [paths.hls_dir / uri for uri, _ in playlist.segments]
    segments = [s for s in segments if s.is_file() and s.parent == paths.hls_dir]
    if not init.is_file() or not segments:
        raise FinaliseError("nothing was recorded (no complete HLS segment)")
    return [init, *segments]


def remux(
    sources: list[Path], target: Path, *, progress: Callable[[float], None] | None = None
) -> float:
    """Copy the streams of the concatenated ``sources`` into a faststart MP4; its duration."""
    reader = ConcatReader(sources)
    tmp = target.with_name(f".{target.name}.tmp")
    last_report = time.monotonic()
    ends: dict[int, int] = {}  # stream index -> end of its last packet, in its time base
    dts_before: dict[int, int] = {}  # stream index -> its last packet's decode time
    try:
        with av.open(reader, "r", format="mp4") as inp:
            with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                mapping = {s.index: out.add_stream_from_template(s) for s in inp.streams}
                count = 0
                for packet in inp.demux():
                    pts = packet.pts
                    if packet.dts is None or pts is None:
                        continue  # the demuxer's end-of-stream marker
                    index = packet.stream.index
                    # Fragments guess their last sample's length from the one before;
                    # a frame that came early (a busy worker) then starts the next
                    # fragment at or before that guess. MP4 refuses a decode time that
                    # does not increase ("Invalid argument"): move it on by a tick
                    # rather than lose the recording.
                    if index in dts_before and packet.dts <= dts_before[index]:
                        shift = dts_before[index] + 1 - packet.dts
                        packet.dts += shift
                        packet.pts = pts = max(pts, packet.dts)
                    dts_before[index] = packet.dts
                    ends[index] = max(ends.get(index, 0), pts + (packet.duration or 0))
                    packet.stream = mapping[index]
                    out.mux(packet)
                    count += 1
                    if progress is not None and not count % 512:
                        now = time.monotonic()
                        if now - last_report > PROGRESS_EVERY_SECS:
                            last_report = now
                            progress(min(reader.tell() / max(reader.size, 1), 0.99))
                bases = {s.index: s.time_base for s in inp.streams}
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        reader.close()
    return max(
        (float(end * base) for i, end in ends.items() if (base := bases[i]) is not None),
        default=0.0,
    )


def make_poster(mp4: Path, poster: Path, *, at_secs: float = POSTER_AT_SECS) -> bool:
    """Write a JPEG of the frame ``at_secs`` in (or the last one before); False if none."""
    chosen: VideoFrame | None = None
    with av.open(str(mp4)) as container:
        if not container.streams.video:
            return False
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= at_secs:
                break
    if chosen is None:
        return False
    width, height = chosen.width, chosen.height
    if width > POSTER_MAX_WIDTH:
        width, height = POSTER_MAX_WIDTH, round(height * POSTER_MAX_WIDTH / width)
    width, height = width - width % 2, height - height % 2
    encoder = av.CodecContext.create("mjpeg", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
    encoder.time_base = chosen.time_base or av.time_base  # type: ignore[assignment]
    image = chosen.reformat(width=width, height=height, format="yuvj420p")
    image.pts = None
    data = b"".join(bytes(p) for p in [*encoder.encode(image), *encoder.encode(None)])
    tmp = poster.with_name(f".{poster.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, poster)
    return True


def finalise(directory: Path, *, lock: OwnerLock | None = None) -> RecordingStatus:
    """Make ``directory``'s recording one MP4 and a poster; return the final status.

    Pass the ``lock`` the caller already holds (the recorder); otherwise it is taken
    here, and ``RecordingBusy`` raised when another process holds it.
    """
    own = lock is None
    lock = lock or OwnerLock(directory)
    if not lock.acquire():
        raise RecordingBusy(f"{directory} is held by another process")
    try:
        return _finalise(RecordingPaths(directory))
    finally:
        if own:
            lock.release()


def _finalise(paths: RecordingPaths) -> RecordingStatus:
    status = read_status(paths.directory) or RecordingStatus()
    if status.state == "ready" and paths.mp4.is_file():
        return status
    status.state, status.progress, status.error = "finalising", 0.0, ""
    write_status(paths.directory, status)
    started = time.monotonic()

    def progress(value: float) -> None:
        status.progress = round(value, 3)
        write_status(paths.directory, status)

    try:
        close_playlist(paths.playlist)
        duration = remux(recorded_files(paths), paths.mp4, progress=progress)
        status.poster = POSTER if make_poster(paths.mp4, paths.poster) else ""
    except (FinaliseError, av.FFmpegError, OSError, ValueError) as exc:
        status.state, status.error = "failed", str(exc) or type(exc).__name__
        logger.warning("recording %s could not be finalised: %s", paths.directory.name, exc)
        write_status(paths.directory, status)
        return status
    status.state, status.progress, status.mp4 = "ready", 1.0, MP4
    status.duration = round(duration, 3)
    if not status.ended:
        status.ended = _modified_at(paths)
    write_status(paths.directory, status)
    logger.info(
        "recording %s finalised: %.1f s of video in %.1f s",
        paths.directory.name,
        duration,
        time.monotonic() - started,
    )
    return status


def _modified_at(paths: RecordingPaths) -> str:
    from datetime import UTC, datetime

    when = paths.playlist.stat().st_mtime if paths.playlist.exists() else time.time()
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


def finalise_orphans(root: Path) -> list[Path]:
    """Finalise every recording under ``root`` left unfinished by a process now gone."""
    done: list[Path] = []
    try:
        children = sorted(root.iterdir())
    except OSError:
        return done
    for directory in children:
        if not (directory.is_dir() and is_recording_id(directory.name)):
            continue
        status = read_status(directory)
        if status is None or status.state not in UNFINISHED:
            continue
        lock = OwnerLock(directory)
        if not lock.acquire():
            continue  # its recorder or another finaliser is alive
        try:
            logger.info("finalising recording %s left by a stopped worker", directory.name)
            finalise(directory, lock=lock)
            done.append(directory)
        except Exception:  # one broken directory must not stop the others
            logger.exception("recording %s: cannot finalise", directory.name)
        finally:
            lock.release()
    return done
