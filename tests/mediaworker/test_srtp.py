"""The fan-out's in-place SRTP writer equals pylibsrtp's protect (mediaworker/forwarding)."""

from __future__ import annotations

import os
import struct

import pytest
from pylibsrtp import Policy, Session

from mediaworker.forwarding.srtp import HEADER_BYTES, SrtpWriter
from mediaworker.rtp import RTP_VERSION_BYTE
from mediaworker.transport_cc import element_bits


def session(key: bytes, profile: int) -> Session:
    policy = Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile)
    return Session(policy=policy)


@pytest.mark.parametrize(
    ("profile", "key_bytes"),
    [
        (Policy.SRTP_PROFILE_AES128_CM_SHA1_80, 30),
        (Policy.SRTP_PROFILE_AEAD_AES_128_GCM, 28),
        (Policy.SRTP_PROFILE_AEAD_AES_256_GCM, 44),
    ],
)
def test_the_writer_makes_exactly_protects_bytes(profile: int, key_bytes: int) -> None:
    key = os.urandom(key_bytes)
    reference, ours = session(key, profile), session(key, profile)
    writer = SrtpWriter(ours)
    for index in range(300):  # across a sequence-number roll-over of the index
        seq, ts, payload = (65400 + index) & 0xFFFF, index * 3000, os.urandom(50 + index)
        header = struct.pack("!BBHII", RTP_VERSION_BYTE, 0x80 | 96, seq, ts, 0x1234)
        expected = reference.protect(header + payload)
        got = writer.protect(0x80 | 96, seq, ts, 0x1234, payload)
        assert got is not None and bytes(got) == expected
    # The session is still pylibsrtp's: aiortc's own calls go on in step (RTCP here).
    rtcp = bytes([0x80, 200, 0, 1]) + os.urandom(4)
    assert ours.protect_rtcp(rtcp) == reference.protect_rtcp(rtcp)


def test_a_packet_too_big_for_the_buffer_is_dropped() -> None:
    writer = SrtpWriter(session(os.urandom(30), Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
    assert writer.protect(96, 1, 1, 1, bytes(1500 - HEADER_BYTES)) is None
    assert writer.protect(96, 2, 1, 1, bytes(1000)) is not None


def test_a_replayed_index_is_dropped_not_raised() -> None:
    writer = SrtpWriter(session(os.urandom(30), Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
    assert writer.protect(96, 7, 1, 1, b"x") is not None
    assert writer.protect(96, 7, 1, 1, b"x") is None


def test_a_numbered_packet_carries_its_extension_word() -> None:
    """Transport-wide numbering (mediaworker/transport_cc.py): the X bit, the one-byte
    header profile of one word, and the element: id 5, length 2, the number, a pad."""
    key = os.urandom(30)
    reference = session(key, Policy.SRTP_PROFILE_AES128_CM_SHA1_80)
    writer = SrtpWriter(session(key, Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
    payload = os.urandom(100)
    word = element_bits(5) | (0xABCD << 8)
    got = writer.protect(0x80 | 96, 9, 3000, 0x1234, payload, word)
    header = struct.pack("!BBHII", RTP_VERSION_BYTE | 0x10, 0x80 | 96, 9, 3000, 0x1234)
    extension = bytes.fromhex("BEDE0001") + bytes([0x51, 0xAB, 0xCD, 0x00])
    assert got is not None and bytes(got) == reference.protect(header + extension + payload)
