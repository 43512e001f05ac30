"""A long recording made quickly, for the finalise benchmark (no hour of waiting).

A 16-second clip (640×360 H.264 at ~1.5 Mbps with a keyframe every second, and
AAC; 16 s is a whole number of AAC frames) is encoded once, then its packets are
muxed again and again with advancing timestamps through the same ffmpeg ``hls``
muxer settings the recorder uses, giving a recording directory exactly like one a
live session leaves: ``status.json`` in state ``recording``, ``hls/index.m3u8``,
``init.mp4`` and one-second ``seg-NNNNN.m4s`` files.
"""

from __future__ import annotations

import fractions
import io
import math
from pathlib import Path

import av
import numpy as np

from bench.hls_media import BITRATE, FPS, HEIGHT, WIDTH
from mediaworker.recording.hls import hls_options
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import RecordingStatus, write_status

CLIP_SECS = 16
AUDIO_RATE = 48_000


def encode_clip() -> bytes:
    """A short MP4: H.264 (keyframe every second) and AAC, as bytes."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.bit_rate = BITRATE
        # No B-frames: WebRTC senders use none, so neither does a recording.
        video.options = {"preset": "veryfast", "g": str(FPS), "keyint_min": str(FPS), "bf": "0"}
        audio = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        rng = np.random.default_rng(3)
        for index in range(CLIP_SECS * FPS):
            luma = rng.integers(0, 255, (HEIGHT, WIDTH), dtype=np.uint8)
            luma[:, : (index * 4) % WIDTH] //= 2
            picture = np.concatenate([luma, np.full((HEIGHT // 2, WIDTH), 128, np.uint8)])
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts = index
            out.mux(video.encode(frame))
        samples = np.arange(CLIP_SECS * AUDIO_RATE, dtype=np.float32)
        tone = (0.2 * np.sin(2 * math.pi * 440 * samples / AUDIO_RATE)).astype(np.float32)
        for start in range(0, len(tone), 1024):
            block = tone[start : start + 1024].reshape(1, -1)
            sound = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            sound.sample_rate, sound.pts = AUDIO_RATE, start
            sound.time_base = fractions.Fraction(1, AUDIO_RATE)
            out.mux(audio.encode(sound))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return buffer.getvalue()


def build_recording(directory: Path, seconds: int, *, segment_secs: float = 1.0) -> None:
    """Write ``seconds`` of recording into ``directory`` as the recorder would."""
    paths = RecordingPaths(directory)
    paths.hls_dir.mkdir(parents=True, exist_ok=True)
    write_status(directory, RecordingStatus(state="recording", started="2026-12-01T08:00:00+00:00"))
    with av.open(io.BytesIO(encode_clip()), "r") as clip:
        streams = list(clip.streams)
        packets = [p for p in clip.demux() if p.dts is not None]
        with av.open(
            str(paths.playlist), "w", format="hls", options=hls_options(paths, segment_secs)
        ) as out:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            for loop in range(math.ceil(seconds / CLIP_SECS)):
                for packet in packets:
                    time_base = packet.time_base
                    assert time_base is not None and packet.pts is not None
                    offset = int(loop * CLIP_SECS / time_base)
                    if (packet.pts + offset) * time_base >= seconds:
                        continue
                    if loop and packet.pts < 0:  # the encoder's priming, once
                        continue
                    copy = av.Packet(bytes(packet))
                    copy.stream = mapping[packet.stream.index]
                    copy.time_base = time_base
                    copy.pts, copy.dts = packet.pts + offset, (packet.dts or 0) + offset
                    copy.duration = packet.duration
                    copy.is_keyframe = packet.is_keyframe
                    out.mux(copy)
