"""A recording of a synthetic presenter, made by the real recorder without a network.

For demo data and tests: a moving test picture (libx264, as a browser's H.264) and a
tone are packetized as aiortc sends them (``rtpframes.Packetizer``) and handed, in
time order, to the recorder's own thread code (``session.Session``) on a virtual
clock — assembled, muxed to HLS, mixed, finalised exactly as a live session is, only
faster than real time. Chapters are marks at given seconds with their slide text.
"""

from __future__ import annotations

import fractions
import math
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import av

from mediaworker.recording.finalise import finalise
from mediaworker.recording.items import AudioPacket, ChapterMark, VideoPacket, utc_now
from mediaworker.recording.ownership import OwnerLock
from mediaworker.recording.recorder import RecordingError
from mediaworker.recording.rtpframes import Packetizer
from mediaworker.recording.session import Session
from mediaworker.rtp import H264
from mediaworker.wire.status import RecordingStatus, write_status

FPS = 25
AUDIO_FRAME_SECS = 0.02
TICK_SECS = 0.1


def _picture(index: int, width: int, height: int) -> av.VideoFrame:
    """A calm test card: a blue gradient with a bar sweeping across."""
    frame = av.VideoFrame(width=width, height=height, format="yuv420p")
    luma = frame.planes[0]
    bar = (index * 4) % width
    row = bytearray(60 + 120 * x // width for x in range(width))
    row[bar : bar + 24] = b"\xeb" * len(row[bar : bar + 24])
    luma.update(bytes(row.ljust(luma.line_size, b"\x80")) * height)
    frame.planes[1].update(bytes([160]) * frame.planes[1].buffer_size)  # Cb: blue
    frame.planes[2].update(bytes([110]) * frame.planes[2].buffer_size)  # Cr
    return frame


def _video(seconds: float, size: tuple[int, int]) -> Iterator[tuple[float, bytes]]:
    encoder = av.CodecContext.create("libx264", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = *size, "yuv420p"
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.options = {
        "preset": "veryfast",
        "tune": "zerolatency",
        "profile": "baseline",
        "g": str(FPS),
    }
    for index in range(int(seconds * FPS)):
        picture = _picture(index, *size)
        picture.pts = index
        for packet in encoder.encode(picture):
            yield index / FPS, bytes(packet)


def _tone(seconds: float) -> Iterator[tuple[float, bytes]]:
    rate, count = 48_000, int(48_000 * AUDIO_FRAME_SECS)
    for block in range(int(seconds / AUDIO_FRAME_SECS)):
        start = block * count
        wave = [int(2500 * math.sin(2 * math.pi * 330 * (start + i) / rate)) for i in range(count)]
        yield block * AUDIO_FRAME_SECS, struct.pack(f"<{count}h", *wave)


def record_synthetic(
    directory: Path,
    *,
    seconds: float = 30.0,
    size: tuple[int, int] = (640, 360),
    chapters: Sequence[tuple[float, str, str]] = (),
) -> RecordingStatus:
    """Record ``seconds`` of a synthetic presenter into ``directory`` and finalise it.

    ``chapters``: ``(at_seconds, title, slide_text)`` marks, as slide changes make.
    """
    lock = OwnerLock(directory)
    if not lock.acquire():
        raise RecordingError(f"{directory} is being written by another process")
    try:
        write_status(directory, RecordingStatus(state="recording", started=utc_now()))
        now = [0.0]
        session = Session(
            directory=directory,
            segment_secs=1.0,
            started=0.0,
            lock=lock,
            label=f"synthetic recording {directory.name[:8]}",
            clock=lambda: now[0],
        )
        for at, item in _timeline(seconds, size, chapters):
            if at - now[0] >= TICK_SECS:
                now[0] = at
                session.tick()
            session.handle(item)
        now[0] = seconds
        session.close()
        return finalise(directory, lock=lock)
    finally:
        lock.release()


def _timeline(
    seconds: float, size: tuple[int, int], chapters: Sequence[tuple[float, str, str]]
) -> list[tuple[float, Any]]:
    """Every message the recorder would receive, with its arrival time, in order."""
    packetizer = Packetizer()
    items: list[tuple[float, Any]] = []
    seq = 0
    for at, frame in _video(seconds, size):
        timestamp = round(at * 90_000)
        for payload in packetizer.h264(frame):
            items.append((at, VideoPacket(0, H264, seq & 0xFFFF, timestamp, payload, at)))
            seq += 1
    for at, samples in _tone(seconds):
        for payload in packetizer.opus(samples):
            items.append((at, AudioPacket("presenter/mic", round(at * 48_000), payload, at)))
    items += [(at, ChapterMark(title, text, at)) for at, title, text in chapters]
    items.sort(key=lambda item: item[0])
    return items
