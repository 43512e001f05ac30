"""Frames from RTP payloads with aiortc's depacketizers and jitter buffer (aiortc 1.16).

The recorder's one reach into aiortc: ``aiortc.codecs.h264``/``vpx`` payload
descriptors (``*_depayload``: RFC 6184 STAP-A/FU-A to Annex B, RFC 7741 descriptors
off) and ``aiortc.jitterbuffer.JitterBuffer``, which puts packets back in sequence
order and hands out a frame once every packet of it is there. Pinned like
``mediaworker.forwarding``: another aiortc version refuses to import.

Runs in the recorder's thread on plain values copied from the forwarder's packets,
so nothing here touches an object the event loop also uses.
"""

from __future__ import annotations

import fractions
from dataclasses import dataclass

import aiortc
from aiortc.codecs.h264 import h264_depayload
from aiortc.codecs.vpx import vp8_depayload
from aiortc.jitterbuffer import JitterBuffer

from mediaworker.rtp import H264, VP8

if not aiortc.__version__.startswith("1.16."):  # pragma: no cover - guarded by pyproject
    raise ImportError(f"mediaworker.recording needs aiortc 1.16.x, found {aiortc.__version__}")

JITTER_CAPACITY = 512  # packets (a keyframe of 1080p video fits), a power of two


@dataclass
class _Piece:
    """The three fields ``JitterBuffer`` reads from a packet."""

    sequence_number: int
    timestamp: int
    _data: bytes


@dataclass(frozen=True)
class Frame:
    """One assembled video frame: Annex B (H.264) or a VP8 frame, with its RTP time."""

    data: bytes
    timestamp: int


class FrameAssembler:
    """Turns one video stream's RTP payloads into frames."""

    def __init__(self, mime: str) -> None:
        if mime == H264:
            self._depayload = h264_depayload
        elif mime == VP8:
            self._depayload = vp8_depayload
        else:
            raise ValueError(f"cannot record video in {mime}")
        self.mime = mime
        self._buffer = JitterBuffer(capacity=JITTER_CAPACITY, is_video=True)
        self.lost = 0  # times the buffer gave up on missing packets

    def add(self, sequence_number: int, timestamp: int, payload: bytes) -> Frame | None:
        """Add one packet; the frame before it when that frame is complete."""
        try:
            data = self._depayload(payload)
        except ValueError:  # a malformed payload is dropped like a lost packet
            return None
        missing, frame = self._buffer.add(_Piece(sequence_number, timestamp, data))  # type: ignore[arg-type]
        if missing:
            self.lost += 1
        if frame is None or not frame.data:
            return None
        return Frame(frame.data, frame.timestamp)


class Packetizer:
    """RTP payloads as aiortc's sender makes them, for synthetic presenters.

    ``mediaworker.recording.synthetic`` feeds the recorder packets in the same
    packetization (H.264 STAP-A/FU-A, Opus) a real publisher's arrive in.
    """

    def __init__(self) -> None:
        from aiortc.codecs.h264 import H264Encoder
        from aiortc.codecs.opus import OpusEncoder

        self._h264 = H264Encoder()
        self._opus = OpusEncoder()
        self._samples = 0

    def h264(self, frame: bytes) -> list[bytes]:
        """The payloads of one Annex B frame."""
        import av

        packet = av.Packet(frame)
        packet.pts, packet.time_base = 0, fractions.Fraction(1, 90_000)  # timestamps are ours
        payloads, _ = self._h264.pack(packet)
        return payloads

    def opus(self, samples: bytes, *, rate: int = 48_000) -> list[bytes]:
        """The payloads of 20 ms of mono s16 sound."""
        from av.audio.frame import AudioFrame

        frame = AudioFrame(format="s16", layout="mono", samples=len(samples) // 2)
        frame.planes[0].update(samples)
        frame.sample_rate = rate
        frame.pts, frame.time_base = self._samples, fractions.Fraction(1, rate)
        self._samples += frame.samples
        payloads, _ = self._opus.encode(frame)
        return payloads
