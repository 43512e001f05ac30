"""RTP facts the forwarder needs, in plain Python: header layout and keyframes.

No aiortc here: the keyframe tests read payload bytes as RFC 7741 (VP8) and RFC 6184
(H.264) describe them, so they are unit-tested with hand-made payloads.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

# V=2, no padding, no extension, no CSRC; marker+PT; sequence; timestamp; SSRC.
RTP_HEADER = struct.Struct("!BBHII")
RTP_VERSION_BYTE = 0x80
# The same with one 4-byte header extension element (RFC 8285 one-byte headers): the X
# bit, the profile and length of one word, the word. The worker writes only one such
# element, a transport-wide sequence number (mediaworker/transport_cc.py).
RTP_NUMBERED_HEADER = struct.Struct("!BBHIIII")
RTP_EXTENSION_BIT = 0x10
ONE_WORD_EXTENSION = 0xBEDE0001

VP8 = "video/vp8"
H264 = "video/h264"
OPUS = "audio/opus"

_H264_KEY_NALS = frozenset({5, 7})  # IDR slice, sequence parameter set


def vp8_keyframe_start(payload: bytes) -> bool:
    """Whether this VP8 RTP payload is the first packet of a keyframe (RFC 7741 4.2-4.3)."""
    size = len(payload)
    if size < 2:
        return False
    first = payload[0]
    # S bit set and partition index 0: the packet starts a frame.
    if not first & 0x10 or first & 0x07:
        return False
    pos = 1
    if first & 0x80:  # X: extended control bits follow
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: picture ID, 7 or 15 bits
            if pos >= size:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            pos += 1
    # VP8 payload header: the P bit (bit 0 of the first byte) is 0 for a keyframe.
    return pos < size and not payload[pos] & 0x01


def h264_keyframe_start(payload: bytes) -> bool:
    """Whether this H.264 RTP payload carries an SPS or starts an IDR picture (RFC 6184)."""
    size = len(payload)
    if size < 2:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in _H264_KEY_NALS:
        return True
    if nal_type == 24:  # STAP-A: 16-bit size, then the NAL unit, repeated
        pos = 1
        while pos + 2 < size:
            nal_size = (payload[pos] << 8) | payload[pos + 1]
            if payload[pos + 2] & 0x1F in _H264_KEY_NALS:
                return True
            pos += 2 + nal_size
        return False
    if nal_type == 28:  # FU-A: the start bit and the fragmented NAL unit's type
        header = payload[1]
        return bool(header & 0x80) and header & 0x1F in _H264_KEY_NALS
    return False


def always_key(payload: bytes) -> bool:
    """Audio: every packet can start a stream."""
    return True


def keyframe_test(mime_type: str) -> Callable[[bytes], bool] | None:
    """The keyframe test for a codec, or None when the codec cannot be forwarded."""
    mime = mime_type.lower()
    if mime == VP8:
        return vp8_keyframe_start
    if mime == H264:
        return h264_keyframe_start
    if mime.startswith("audio/"):
        return always_key
    return None


def seq_newer(a: int, b: int) -> bool:
    """Whether 16-bit sequence number ``a`` comes after ``b`` (with wrap-around)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000
