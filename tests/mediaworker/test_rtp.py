"""Keyframe detection from RTP payloads (RFC 7741 for VP8, RFC 6184 for H.264)."""

from __future__ import annotations

import pytest

from mediaworker.rtp import (
    always_key,
    h264_keyframe_start,
    keyframe_test,
    seq_newer,
    vp8_keyframe_start,
)

KEY = 0x10  # VP8 payload header byte with P=0 (keyframe)
DELTA = 0x11  # P=1


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (bytes([0x10, KEY, 0, 0]), True),  # S=1, PID=0, no extension
        (bytes([0x10, DELTA, 0, 0]), False),  # an interframe
        (bytes([0x00, KEY, 0, 0]), False),  # S=0: continuation packet
        (bytes([0x11, KEY, 0, 0]), False),  # PID=1: not the first partition
        (bytes([0x90, 0x80, 0x05, KEY]), True),  # X, I with a 7-bit picture ID
        (bytes([0x90, 0x80, 0x85, 0x12, KEY]), True),  # 15-bit picture ID (M=1)
        (bytes([0x90, 0x80, 0x85, 0x12, DELTA]), False),
        (bytes([0x90, 0xE0, 0x85, 0x12, 0x07, 0x40, KEY]), True),  # I, L, T
        (bytes([0x90, 0xE0, 0x85, 0x12, 0x07, 0x40]), False),  # truncated
        (bytes([0x10]), False),
        (b"", False),
    ],
)
def test_vp8_keyframe_start(payload: bytes, expected: bool) -> None:
    assert vp8_keyframe_start(payload) is expected


def _stap_a(*nals: bytes) -> bytes:
    body = b"".join(len(n).to_bytes(2, "big") + n for n in nals)
    return bytes([24]) + body


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (bytes([0x65, 0x88]), True),  # single NAL, IDR (type 5)
        (bytes([0x67, 0x42]), True),  # single NAL, SPS (7)
        (bytes([0x41, 0x9A]), False),  # single NAL, non-IDR slice (1)
        (_stap_a(bytes([0x67, 0x42, 0x00]), bytes([0x68, 0xCE])), True),  # SPS + PPS
        (_stap_a(bytes([0x06, 0x05]), bytes([0x41, 0x9A])), False),  # SEI + slice
        (bytes([0x7C, 0x85, 0xB8]), True),  # FU-A, start bit, IDR
        (bytes([0x7C, 0x05, 0xB8]), False),  # FU-A, IDR continuation
        (bytes([0x5C, 0x81, 0x9A]), False),  # FU-A start of a non-IDR slice
        (bytes([0x65]), False),
    ],
)
def test_h264_keyframe_start(payload: bytes, expected: bool) -> None:
    assert h264_keyframe_start(payload) is expected


def test_keyframe_test_by_codec() -> None:
    assert keyframe_test("video/VP8") is vp8_keyframe_start
    assert keyframe_test("video/H264") is h264_keyframe_start
    assert keyframe_test("audio/opus") is always_key
    assert keyframe_test("video/VP9") is None  # not forwarded


@pytest.mark.parametrize(
    ("a", "b", "newer"),
    [(2, 1, True), (1, 2, False), (1, 1, False), (0, 65535, True), (65535, 0, False)],
)
def test_seq_newer_wraps(a: int, b: int, newer: bool) -> None:
    assert seq_newer(a, b) is newer
