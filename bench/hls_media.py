"""Media for the HLS benchmark: a pre-encoded H.264 clip whose frames carry their number.

640×360, 30 fps, ~1.5 Mbps, constrained baseline (what browsers send over WebRTC),
encoded once, twice: the normal stream (one keyframe at the start of the loop) and an
all-intra copy that answers keyframe requests, like bench/fanout_media.py does for
VP8. Each frame's number in the loop is drawn as ``MARK_BITS`` black or white
blocks along the top, big enough to survive compression: an HLS client that decodes
a frame reads which frame it is, hence when the publisher sent it.
"""

from __future__ import annotations

import fractions
import math
import os
import random

import av
from aiortc.mediastreams import AudioStreamTrack

WIDTH, HEIGHT, FPS = 640, 360, 30
BITRATE = 1_500_000
CLIP_FRAMES = 300  # 10 s, looped
MARK_BITS = 9  # 2**9 > CLIP_FRAMES
MARK_SIZE = 32  # pixels per block
TIME_BASE = fractions.Fraction(1, 90000)
DARK, LIGHT = 16, 235


def _frame(index: int, texture: bytes) -> av.VideoFrame:
    frame = av.VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
    luma = frame.planes[0]
    stride = luma.line_size
    shift = (index * 3) % WIDTH
    image = bytearray()
    for y in range(HEIGHT):
        start = y * WIDTH + shift
        image += texture[start : start + WIDTH].ljust(stride, b"\x80")
    # Fresh noise each frame keeps the encoder at its bitrate (like real motion).
    bx, by = (index * 5) % (WIDTH - 96), MARK_SIZE + (index * 2) % (HEIGHT - 54 - MARK_SIZE)
    for y in range(by, by + 54):
        image[y * stride + bx : y * stride + bx + 96] = os.urandom(96)
    for bit in range(MARK_BITS):
        value = LIGHT if index >> bit & 1 else DARK
        for y in range(MARK_SIZE):
            row = y * stride + bit * MARK_SIZE
            image[row : row + MARK_SIZE] = bytes([value]) * MARK_SIZE
    luma.update(bytes(image))
    for chroma in frame.planes[1:]:
        chroma.update(bytes([128]) * chroma.buffer_size)
    frame.pts = index
    frame.time_base = fractions.Fraction(1, FPS)
    return frame


def read_mark(frame: av.VideoFrame) -> int:
    """The frame number drawn on a decoded frame (its position in the loop)."""
    plane = frame.reformat(format="gray").planes[0]
    data, stride = bytes(plane), plane.line_size
    number = 0
    for bit in range(MARK_BITS):
        y, x = MARK_SIZE // 2, bit * MARK_SIZE + MARK_SIZE // 2
        if data[y * stride + x] > (DARK + LIGHT) // 2:
            number |= 1 << bit
    return number


def _encoder() -> av.VideoCodecContext:
    codec = av.CodecContext.create("libx264", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.bit_rate = BITRATE
    codec.gop_size = 100_000
    codec.options = {
        "preset": "veryfast",
        "tune": "zerolatency",
        "profile": "baseline",
        "maxrate": str(BITRATE),
        "bufsize": str(BITRATE),
    }
    return codec


def encode_clip(count: int = CLIP_FRAMES) -> tuple[list[bytes], list[bytes]]:
    """The clip: (normal stream, all-intra copy), one Annex B frame each."""
    rng = random.Random(5)
    texture = bytes(rng.getrandbits(8) for _ in range(WIDTH * HEIGHT * 2))
    normal, intra = _encoder(), _encoder()
    stream, keyframes = [], []
    for index in range(count):
        frame = _frame(index, texture)
        stream.append(b"".join(bytes(p) for p in normal.encode(frame)))
        frame.pict_type = av.video.frame.PictureType.I
        keyframes.append(b"".join(bytes(p) for p in intra.encode(frame)))
    return stream, keyframes


class ToneTrack(AudioStreamTrack):
    """The presenter's microphone: a 440 Hz tone over room noise (aiortc encodes Opus).

    Noise, because a real microphone always has some and AAC encoders spend their
    time very differently on a pure sine than on real sound.
    """

    def __init__(self) -> None:
        super().__init__()
        self._phase = 0
        self._noise = random.Random(7)

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()
        assert isinstance(frame, av.AudioFrame)
        samples, rate = frame.samples, frame.sample_rate
        wave = bytearray()
        for i in range(samples):
            value = int(3000 * math.sin(2 * math.pi * 440 * (self._phase + i) / rate))
            value += int(self._noise.gauss(0, 300))
            wave += value.to_bytes(2, "little", signed=True)
        self._phase += samples
        frame.planes[0].update(bytes(wave))
        return frame
