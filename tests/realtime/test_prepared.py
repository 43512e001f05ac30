"""Frames prepared once for a room's fan-out (realtime/prepared.py)."""

from __future__ import annotations

import functools

import pytest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import tcp

from realtime import prepared


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


def test_other_versions_keep_the_asgi_path_and_say_so(monkeypatch, caplog) -> None:
    """Issue 11: on a daphne, autobahn or Twisted it was not written for, the direct write
    is off (every socket keeps ASGI) and the log says why, once."""
    monkeypatch.setattr(prepared, "SUPPORTED", False)
    monkeypatch.setattr(prepared, "UNSUPPORTED", ["twisted 27.1.0"])
    monkeypatch.setattr(prepared, "_said", set())
    server = object.__new__(Server)
    send = functools.partial(server.handle_reply, WebSocketProtocol())
    with caplog.at_level("ERROR", logger="realtime.prepared"):
        assert prepared.protocol_of(send) is None
        assert prepared.protocol_of(send) is None
    said = [record for record in caplog.records if "twisted 27.1.0" in record.getMessage()]
    assert len(said) == 1


def test_the_installed_versions_are_the_ones_it_was_written_for() -> None:
    """pyproject pins autobahn and Twisted; daphne's minor is checked here too."""
    assert prepared.SUPPORTED, prepared.UNSUPPORTED


class _Socket:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> int:
        self.sent.append(data)
        return len(data)


class _Transport(tcp.Connection):
    """A TCP transport whose private buffer state is not what Twisted 26 has."""

    def __init__(self) -> None:  # no reactor, no socket of the OS
        self.socket = self.fake = _Socket()  # type: ignore[assignment]
        self.connected = True
        self.disconnecting = False
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


def test_unreadable_twisted_internals_are_loud_and_lose_nothing(monkeypatch, caplog) -> None:
    """Issue 11: a Twisted whose private attributes changed used to fail at debug level and
    the frame was lost; now the failure is logged as an error and the frame goes through
    Twisted's public write."""
    monkeypatch.setattr(prepared, "_direct", True)
    protocol = WebSocketProtocol()
    protocol.state = protocol.STATE_OPEN
    protocol.transport = transport = _Transport()
    frame = prepared.prepare("Xin chào")
    with caplog.at_level("ERROR", logger="realtime.prepared"):
        assert prepared.write_prepared(protocol, frame) is True
    assert transport.written == [frame.payloadHybi]
    assert transport.fake.sent == []
    assert any(record.levelname == "ERROR" for record in caplog.records)
    assert prepared.write_prepared(protocol, frame) is True  # Twisted's write from now on
    assert transport.written == [frame.payloadHybi] * 2
