"""The recorder's decoders and encoders (PyAV): Opus in, VP8 to H.264, frame sizes.

Nothing here runs for a presenter who sends H.264 except ``probe_h264_size``, which
decodes one keyframe to learn the picture size the MP4 header needs.
"""

from __future__ import annotations

import fractions
import logging

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.video.frame import VideoFrame

from mediaworker.recording.mixer import Samples

logger = logging.getLogger(__name__)

AUDIO_RATE = 48_000
VIDEO_CLOCK = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK)


def probe_h264_size(keyframe: bytes) -> tuple[int, int] | None:
    """Width and height of an Annex B keyframe, or None when it does not decode."""
    decoder = av.CodecContext.create("h264", "r")
    try:
        frames = decoder.decode(av.Packet(keyframe))
        frames += decoder.decode(None)
    except av.FFmpegError:
        return None
    for frame in frames:
        if isinstance(frame, VideoFrame):
            return frame.width, frame.height
    return None


class OpusDecoder:
    """One microphone: Opus packets to mono float samples at 48 kHz."""

    def __init__(self) -> None:
        # Asked for mono, ffmpeg's Opus decoder downmixes itself: no resampler needed.
        self._decoder = av.CodecContext.create("opus", "r")
        self._decoder.sample_rate = AUDIO_RATE
        self._decoder.layout = "mono"
        self._resampler: av.AudioResampler | None = None  # for a decoder that ignores it

    def decode(self, payload: bytes) -> Samples:
        """The samples of one Opus packet (empty when it does not decode)."""
        try:
            frames = self._decoder.decode(av.Packet(payload))
        except av.FFmpegError:
            return np.zeros(0, dtype=np.float32)
        chunks: list[Samples] = []
        for frame in frames:
            assert isinstance(frame, AudioFrame)
            if frame.format.name == "fltp" and frame.layout.nb_channels == 1:
                chunks.append(frame.to_ndarray().reshape(-1).astype(np.float32, copy=False))
                continue
            if self._resampler is None:
                self._resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
            for mono in self._resampler.resample(frame):
                chunks.append(mono.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


class VideoTranscoder:
    """VP8 frames to H.264 (libx264, veryfast, zerolatency): for when a copy cannot be.

    One encoder for the whole recording, made at the first frame's size; later frames
    of another size are scaled to it. A keyframe at least every ``keyframe_secs`` so
    every HLS segment can start on one.
    """

    def __init__(self, *, keyframe_secs: float) -> None:
        self._decoder = av.CodecContext.create("vp8", "r")
        self._encoder: av.VideoCodecContext | None = None
        self._keyframe_ticks = int(keyframe_secs * VIDEO_CLOCK)
        self._last_key = -(1 << 62)
        self.size: tuple[int, int] | None = None
        self.frames = 0

    def decode(self, data: bytes) -> list[VideoFrame]:
        """Decode one VP8 frame (nothing when it does not decode)."""
        try:
            return [f for f in self._decoder.decode(av.Packet(data)) if isinstance(f, VideoFrame)]
        except av.FFmpegError:
            return []

    def encode(self, frame: VideoFrame, pts: int) -> list[tuple[bytes, int, bool]]:
        """Encode a decoded frame at ``pts`` (90 kHz); Annex B packets with pts and key flag."""
        encoder = self._encoder or self._open(frame.width, frame.height)
        if (frame.width, frame.height) != self.size or frame.format.name != "yuv420p":
            frame = frame.reformat(width=encoder.width, height=encoder.height, format="yuv420p")
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        if pts - self._last_key >= self._keyframe_ticks:
            frame.pict_type = av.video.frame.PictureType.I
            self._last_key = pts
        else:
            frame.pict_type = av.video.frame.PictureType.NONE
        self.frames += 1
        return [(bytes(p), int(p.pts or 0), p.is_keyframe) for p in encoder.encode(frame)]

    def flush(self) -> list[tuple[bytes, int, bool]]:
        """What the encoder still holds."""
        if self._encoder is None:
            return []
        return [(bytes(p), int(p.pts or 0), p.is_keyframe) for p in self._encoder.encode(None)]

    def _open(self, width: int, height: int) -> av.VideoCodecContext:
        encoder = av.CodecContext.create("libx264", "w")
        assert isinstance(encoder, av.VideoCodecContext)
        # Even sizes: 4:2:0 chroma needs them.
        encoder.width, encoder.height = width - width % 2, height - height % 2
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = VIDEO_TIME_BASE
        encoder.framerate = fractions.Fraction(30, 1)
        encoder.options = {"preset": "veryfast", "tune": "zerolatency", "crf": "23"}
        encoder.thread_count = 1  # one core per worker: do not fight the event loop
        self._encoder = encoder
        self.size = (encoder.width, encoder.height)
        return encoder
