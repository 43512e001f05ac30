"""Media for the fan-out benchmark: a pre-encoded VP8 clip and a publisher track.

The publisher must not spend the shared 2-core machine's CPU on encoding, so the clip
(640×360, 30 fps, ~1.4 Mbps CBR, libvpx realtime settings as aiortc uses them) is
encoded once, twice: the normal stream (one keyframe at the start) and an all-intra
copy. ``ClipTrack`` plays the normal stream as ``av.Packet``s (aiortc packetizes
without re-encoding, like ``MediaPlayer(decode=False)``) and answers a keyframe
request by sending the intra copy of the next frame, as a real encoder would.
"""

from __future__ import annotations

import asyncio
import fractions
import os
import random
import time

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

WIDTH, HEIGHT, FPS = 640, 360, 30
BITRATE = 1_400_000
CLIP_FRAMES = 300  # 10 s, looped (the loop restarts on a keyframe)
TIME_BASE = fractions.Fraction(1, 90000)


def _frames(count: int) -> list[av.VideoFrame]:
    rng = random.Random(4)
    texture = bytes(rng.getrandbits(8) for _ in range(WIDTH * HEIGHT * 2))
    frames = []
    for i in range(count):
        frame = av.VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
        luma = frame.planes[0]
        shift = (i * 3) % WIDTH
        rows = []
        for y in range(HEIGHT):
            start = y * WIDTH + shift
            rows.append(texture[start : start + WIDTH].ljust(luma.line_size, b"\x80"))
        image = bytearray(b"".join(rows))
        # A block of fresh noise each frame keeps the encoder busy (like real motion).
        bx, by = (i * 5) % (WIDTH - 96), (i * 2) % (HEIGHT - 54)
        for y in range(by, by + 54):
            image[y * luma.line_size + bx : y * luma.line_size + bx + 96] = os.urandom(96)
        luma.update(bytes(image))
        for chroma in frame.planes[1:]:
            chroma.update(bytes([128]) * chroma.buffer_size)
        frame.pts = i
        frame.time_base = fractions.Fraction(1, FPS)
        frames.append(frame)
    return frames


def _encoder() -> av.VideoCodecContext:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.bit_rate = BITRATE
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.gop_size = 100_000
    codec.qmin, codec.qmax = 2, 56
    codec.options = {
        "bufsize": str(BITRATE),
        "cpu-used": "-6",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(BITRATE),
        "maxrate": str(BITRATE),
        "static-thresh": "1",
        "undershoot-pct": "100",
        "overshoot-pct": "15",
    }
    return codec


def encode_clip(count: int = CLIP_FRAMES) -> tuple[list[bytes], list[bytes]]:
    """Encode the clip: (normal stream, all-intra copy), one bytes object per frame."""
    frames = _frames(count)
    normal, intra = _encoder(), _encoder()
    stream, keyframes = [], []
    for frame in frames:
        stream.append(b"".join(bytes(p) for p in normal.encode(frame)))
        frame.pict_type = av.video.frame.PictureType.I
        keyframes.append(b"".join(bytes(p) for p in intra.encode(frame)))
        frame.pict_type = av.video.frame.PictureType.NONE
    return stream, keyframes


class ClipTrack(MediaStreamTrack):
    """Plays a pre-encoded clip in real time as packets (VP8 here, H.264 in bench/hls.py),
    a keyframe on request.

    ``started`` is the wall-clock time (``time.time()``) frame 0 was due: frame ``k``
    (counting loops) is sent at ``started + k / FPS``; ``late`` counts frames sent more
    than a frame late.
    """

    kind = "video"

    def __init__(self, stream: list[bytes], keyframes: list[bytes]) -> None:
        super().__init__()
        self._stream, self._keyframes = stream, keyframes
        self._index = 0
        self._start: float | None = None
        self.started: float | None = None
        self._keyframe_wanted = True
        self.keyframes_sent = 0
        self.late = 0

    def request_keyframe(self) -> None:
        """The next frame is sent as a keyframe."""
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start, self.started = now, time.time()
        due = self._start + self._index / FPS
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 1 / FPS:
            self.late += 1
        position = self._index % len(self._stream)
        if self._keyframe_wanted or position == 0:
            data = self._keyframes[position]
            self._keyframe_wanted = False
            self.keyframes_sent += 1
        else:
            data = self._stream[position]
        packet = av.Packet(data)
        packet.pts = self._index * (90000 // FPS)
        packet.time_base = TIME_BASE
        self._index += 1
        return packet


if __name__ == "__main__":
    started = time.monotonic()
    stream, keyframes = encode_clip()
    size = sum(len(f) for f in stream)
    print(
        f"encoded {len(stream)} frames in {time.monotonic() - started:.1f} s: "
        f"{size * 8 / (len(stream) / FPS) / 1e6:.2f} Mbps, keyframe "
        f"{sum(len(k) for k in keyframes) / len(keyframes) / 1000:.0f} KB avg"
    )
