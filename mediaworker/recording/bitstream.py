"""Facts about assembled video frames, in plain Python (no codecs, no aiortc).

A depacketized H.264 frame is Annex B: NAL units each after a 00 00 01 or
00 00 00 01 start code (aiortc's depacketizer writes the four-byte form). A VP8
frame starts with its payload header, whose lowest bit is 0 on a keyframe
(RFC 6386 9.1).
"""

from __future__ import annotations

from collections.abc import Iterator

NAL_IDR, NAL_SPS, NAL_PPS = 5, 7, 8


def annexb_nal_units(data: bytes) -> Iterator[bytes]:
    """The NAL units of an Annex B byte string, without their start codes."""
    size = len(data)
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 <= size:
        begin = start + 3
        following = data.find(b"\x00\x00\x01", begin)
        end = size if following == -1 else following
        # A four-byte start code of the next unit leaves a zero byte behind.
        unit = data[begin:end]
        if following != -1 and unit.endswith(b"\x00"):
            unit = unit[:-1]
        if unit:
            yield unit
        start = following


def h264_nal_types(data: bytes) -> list[int]:
    """The NAL unit types of an Annex B frame, in order."""
    return [unit[0] & 0x1F for unit in annexb_nal_units(data)]


def h264_is_keyframe(data: bytes) -> bool:
    """Whether an Annex B frame can start a stream: it carries an IDR slice."""
    return NAL_IDR in h264_nal_types(data)


def h264_has_parameter_sets(data: bytes) -> bool:
    """Whether an Annex B frame carries both SPS and PPS (a decoder can start there)."""
    types = h264_nal_types(data)
    return NAL_SPS in types and NAL_PPS in types


def vp8_is_keyframe(data: bytes) -> bool:
    """Whether a VP8 frame (the RTP payload descriptors removed) is a keyframe."""
    return bool(data) and not data[0] & 0x01
