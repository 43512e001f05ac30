"""The live HLS program: ffmpeg's ``hls`` muxer writing fMP4 segments (PyAV).

Video is muxed as it comes (H.264 Annex B packets, copied; PyAV's
``add_mux_stream`` makes a stream without an encoder, and the muxer builds the
``avcC`` from the first keyframe's SPS/PPS). Audio is the room's mix, encoded to
AAC here. ffmpeg cuts a segment at the first video keyframe after ``hls_time``
seconds, writes it to ``seg-NNNNN.m4s.tmp`` and renames it when complete, then
rewrites ``index.m3u8`` the same way (``temp_file``): a reader — a player, the
finaliser after a crash — only ever sees whole segments and whole playlists.
"""

from __future__ import annotations

import fractions

import av
import numpy as np
from av.audio.frame import AudioFrame

from mediaworker.recording.codecs import AUDIO_RATE, VIDEO_TIME_BASE
from mediaworker.recording.mixer import Samples
from mediaworker.wire.layout import INIT_SEGMENT, RecordingPaths

AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)
# Speech in mono: 64 kb/s AAC-LC is plenty. The "fast" coder costs half the CPU of
# ffmpeg's default (twoloop): ~1% of a core instead of ~2% (bench/hls.py).
AUDIO_BITRATE = 64_000
AAC_OPTIONS = {"aac_coder": "fast"}


# ffmpeg cuts at the first keyframe at least ``hls_time`` after the last cut. The
# recorder asks for a keyframe about every ``segment_secs``; one that comes a little
# early must still cut, or that segment doubles (and EXT-X-TARGETDURATION with it,
# which players multiply into their latency).
HLS_TIME_FACTOR = 0.8


def hls_options(paths: RecordingPaths, segment_secs: float) -> dict[str, str]:
    """ffmpeg ``hls`` muxer options for an event playlist of fMP4 segments."""
    return {
        "hls_time": f"{segment_secs * HLS_TIME_FACTOR:g}",
        "hls_segment_type": "fmp4",
        "hls_playlist_type": "event",
        "hls_list_size": "0",
        "hls_fmp4_init_filename": INIT_SEGMENT,
        "hls_segment_filename": str(paths.segment_pattern),
        "start_number": "1",
        "hls_flags": "independent_segments+temp_file",
    }


class HlsWriter:
    """One recording's HLS output: open at the first keyframe, closed on stop."""

    def __init__(self, paths: RecordingPaths, *, segment_secs: float) -> None:
        self.paths = paths
        self.segment_secs = segment_secs
        self._out: av.container.OutputContainer | None = None
        self._video: av.stream.Stream | None = None
        self._audio: av.audio.stream.AudioStream | None = None
        self._last_dts = -1
        self.video_packets = 0
        self.audio_frames = 0

    @property
    def opened(self) -> bool:
        """Whether the muxer has its streams (after the first video keyframe)."""
        return self._out is not None

    def open(self, width: int, height: int) -> None:
        """Create the playlist's streams for a picture of this size."""
        self.paths.hls_dir.mkdir(parents=True, exist_ok=True)
        out = av.open(
            str(self.paths.playlist),
            "w",
            format="hls",
            options=hls_options(self.paths, self.segment_secs),
        )
        self._video = out.add_mux_stream(
            "h264", width=width, height=height, time_base=VIDEO_TIME_BASE
        )
        audio = out.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        audio.bit_rate = AUDIO_BITRATE
        audio.options = dict(AAC_OPTIONS)
        self._audio = audio
        self._out = out

    def write_video(self, data: bytes, pts: int, *, keyframe: bool) -> None:
        """Mux one H.264 frame (Annex B) at ``pts`` ticks of 90 kHz; pts must increase."""
        assert self._out is not None and self._video is not None
        pts = max(pts, self._last_dts + 1)
        packet = av.Packet(data)
        packet.stream = self._video
        packet.pts = packet.dts = pts
        packet.time_base = VIDEO_TIME_BASE
        packet.is_keyframe = keyframe
        self._last_dts = pts
        self._out.mux(packet)
        self.video_packets += 1

    def write_audio(self, position: int, samples: Samples) -> None:
        """Encode and mux one block of the mix, ``position`` in samples from the start."""
        assert self._out is not None and self._audio is not None
        frame = AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1),
            format="fltp",
            layout="mono",
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts, frame.time_base = position, AUDIO_TIME_BASE
        self._out.mux(self._audio.encode(frame))
        self.audio_frames += 1

    def close(self) -> None:
        """Flush the encoder, write the last segment and ``#EXT-X-ENDLIST``."""
        out, self._out = self._out, None
        if out is None:
            return
        try:
            if self._audio is not None:
                out.mux(self._audio.encode(None))
        finally:
            out.close()

    def abandon(self) -> None:
        """Close after an error without caring whether the trailer can be written."""
        try:
            self.close()
        except (av.FFmpegError, OSError, ValueError):
            pass
