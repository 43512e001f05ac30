"""What one worker accepts of another's pipe messages (mediaworker/pipe_wire.py), and the
pipe's SRTP: forged, replayed or foreign datagrams never reach a source (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.rtp import RtpPacket

from mediaworker.forwarding.pipe import (
    PIPE_PTS,
    PipedSource,
    PipeSocket,
    new_pipe_key,
    pipe_session,
)
from mediaworker.pipe_wire import (
    MAX_RESEND,
    PipedMember,
    PipedStream,
    PipeState,
    parse_address,
    parse_key,
    parse_seqs,
    parse_state,
    parse_want,
    pipe_message,
    sender,
    state_body,
)

STATE = PipeState(
    address=("10.0.0.5", 40001),
    members=(
        PipedMember(
            "a",
            "Trường A",
            "host",
            (PipedStream("camera", "video", 7, True), PipedStream("mic", "audio", 8, False)),
        ),
    ),
    levels={"a": 80.0},
    broadcasting=True,
    program="a/camera",
    presenters=frozenset({"b"}),
)


def test_a_state_survives_the_wire() -> None:
    assert parse_state(state_body(STATE)) == STATE


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"address": ["example.org", 40001]}, "a host name, not an address"),
        ({"address": ["10.0.0.5", 70000]}, "no such port"),
        ({"members": "a"}, "members not a list"),
        ({"members": [{"peer": "", "name": "", "role": "host", "streams": []}]}, "no peer"),
        (
            {"members": [{"peer": "a", "name": "", "role": "h", "streams": [{"source": "x"}]}]},
            "an unknown source",
        ),
        (
            {
                "members": [
                    {
                        "peer": "a",
                        "name": "",
                        "role": "h",
                        "streams": [{"source": "mic", "kind": "audio", "ssrc": 2**32}],
                    }
                ]
            },
            "an SSRC out of range",
        ),
    ],
)
def test_a_malformed_state_is_refused(change: dict[str, Any], why: str) -> None:
    assert parse_state({**state_body(STATE), **change}) is None, why


def test_senders_keys_and_addresses() -> None:
    message = pipe_message("open", room="r", worker="east", channel="media-worker.east")
    assert sender(message) == ("open", "r", "east", "media-worker.east")
    assert sender({**message, "action": "explode"}) is None
    assert sender({**message, "worker": ""}) is None
    assert parse_key("ab" * 30) == bytes([0xAB]) * 30
    assert parse_key("ab" * 29) is None and parse_key("zz" * 30) is None
    assert parse_address(["::1", 5]) == ("::1", 5)


def test_what_an_open_asks_for() -> None:
    """Every video when the asker says nothing (or nothing sensible): it then misses none."""
    assert parse_want([7, 9, 2**32 - 1]) == frozenset({7, 9, 2**32 - 1})
    assert parse_want([]) == frozenset()
    assert parse_want(None) is None
    assert parse_want([7, "9"]) is None
    assert parse_want([True]) is None
    assert parse_want([-1]) is None and parse_want([2**32]) is None
    assert parse_want({"7": 1}) is None
    assert parse_want(list(range(100_000))) is None


def test_what_a_resend_asks_for() -> None:
    resend = pipe_message("resend", room="r", worker="w", channel="c", ssrc=5, seqs=[1, 2])
    assert sender(resend) == ("resend", "r", "w", "c")
    assert parse_seqs([0, 65535, 7]) == (0, 65535, 7)
    assert parse_seqs([]) is None
    assert parse_seqs(list(range(MAX_RESEND + 1))) is None  # a longer gap is an outage
    assert parse_seqs([65536]) is None
    assert parse_seqs([-1]) is None
    assert parse_seqs([True]) is None
    assert parse_seqs("1,2") is None


class _Collect(PipedSource):
    def __init__(self) -> None:
        super().__init__("audio", 1234, lambda: None)
        self.got: list[int] = []

    def forward(self, packet: RtpPacket) -> None:
        self.got.append(packet.sequence_number)


def _packet(seq: int, ssrc: int = 1234) -> bytes:
    return bytes(
        RtpPacket(
            payload_type=PIPE_PTS["audio/opus"],
            sequence_number=seq,
            timestamp=seq * 960,
            ssrc=ssrc,
            payload=b"\x01\x02\x03",
        ).serialize()
    )


def test_the_pipe_socket_takes_only_its_far_workers_authentic_packets() -> None:
    key = new_pipe_key()
    sending = pipe_session(key, outbound=True)
    socket = PipeSocket()
    source = _Collect()
    far = ("127.0.0.1", 40000)
    socket.routes[(far, 1234)] = (pipe_session(key, outbound=False), source)

    first = sending.protect(_packet(1))
    socket.datagram_received(first, far)
    assert source.got == [1]
    socket.datagram_received(first, far)  # replayed
    socket.datagram_received(sending.protect(_packet(2)), ("127.0.0.1", 40009))  # elsewhere
    socket.datagram_received(pipe_session(new_pipe_key(), outbound=True).protect(_packet(3)), far)
    socket.datagram_received(sending.protect(_packet(4, ssrc=99)), far)  # an SSRC not told
    socket.datagram_received(_packet(5), far)  # plain RTP
    socket.datagram_received(b"\x80", far)
    assert source.got == [1]
    assert socket.dropped == 6
    socket.datagram_received(sending.protect(_packet(6)), far)
    assert source.got == [1, 6]
