"""Frames prepared once for a room's fan-out (signaling/prepared.py)."""

from __future__ import annotations

import functools

import pytest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

from signaling import prepared


def unframe(data: bytes) -> tuple[int, bytes]:
    """(opcode, payload) of one unmasked server frame (RFC 6455 §5.2)."""
    assert data[0] & 0x80, "FIN must be set"
    opcode = data[0] & 0x0F
    assert not data[1] & 0x80, "a server frame is not masked"
    length, at = data[1] & 0x7F, 2
    if length == 126:
        length, at = int.from_bytes(data[2:4], "big"), 4
    elif length == 127:
        length, at = int.from_bytes(data[2:10], "big"), 10
    payload = data[at:]
    assert len(payload) == length
    return opcode, payload


@pytest.mark.parametrize("size", [5, 125, 126, 70_000])
def test_a_prepared_frame_is_one_text_frame_of_the_text(size: int) -> None:
    text = ("Tập huấn " * size)[:size]
    opcode, payload = unframe(prepared.prepare(text).payloadHybi)
    assert opcode == 0x1 and payload.decode() == text


def test_only_daphnes_own_send_is_written_to_directly() -> None:
    protocol = WebSocketProtocol()
    server = object.__new__(Server)  # its send, as daphne makes it; not listening
    assert prepared.protocol_of(functools.partial(server.handle_reply, protocol)) is protocol

    async def other_send(message: dict[str, object]) -> None:
        return None

    assert prepared.protocol_of(other_send) is None
    assert prepared.protocol_of(functools.partial(other_send)) is None


def test_a_closed_connection_is_not_written_to() -> None:
    protocol = WebSocketProtocol()
    protocol.state = protocol.STATE_CLOSED
    assert prepared.write_prepared(protocol, prepared.prepare("x")) is False
