"""A lean WebSocket client for load generators: one asyncio protocol, no per-frame task.

bench/signaling.py's cross-process run delivers 50,000 chat frames a second to 5,000
clients on a 2-core machine. The ``websockets`` client spends tens of microseconds per
received frame (its parser is a generator per frame, every frame goes through a queue
and a task switch), so the load generators, not daphne, would be what is measured. Here
a frame from the server (never masked) is cut out of the received bytes in place and
handed to ``on_text``; the client answers pings, and masks the few frames it sends.

RFC 6455 only as far as a test client needs: no extensions, text frames, no
fragmented sends. Loopback only.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def _mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    size = len(payload)
    keystream = (key * (size // 4 + 1))[:size]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")
    return key + masked.to_bytes(size, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final frame (what a client must send)."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    return header + _mask(payload)


class LeanSocket(asyncio.Protocol):
    """One client connection: the upgrade, then text frames to ``on_text``."""

    def __init__(self, request: bytes, on_text: Callable[[bytes], None]) -> None:
        self.request = request
        self.on_text = on_text
        self.transport: asyncio.Transport | None = None
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._open = False
        self._fragments: list[bytes] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")])
            del buffer[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(RuntimeError(status.decode(errors="replace")))
                self.transport.close()  # type: ignore[union-attr]
                return
            self._open = True
            self.upgraded.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        at, size = 0, len(buffer)
        while size - at >= 2:
            first, length = buffer[at], buffer[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                if size - at < 4:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 4], "big"), at + 4
            elif length == 127:
                if size - at < 10:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 10], "big"), at + 10
            end = start + length
            if end > size:
                break
            self._frame(first, bytes(buffer[start:end]))
            at = end
        if at:
            del buffer[:at]

    def _frame(self, first: int, payload: bytes) -> None:
        opcode = first & 0x0F
        if opcode == OP_PING:
            self.send(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            self.transport.close()  # type: ignore[union-attr]
        elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
            if not first & 0x80:  # a fragment: wait for the rest
                self._fragments.append(payload)
                return
            if self._fragments:
                payload, self._fragments = b"".join([*self._fragments, payload]), []
            self.on_text(payload)

    def send(self, opcode: int, payload: bytes) -> None:
        """Send one frame (a closed connection drops it)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload))

    def send_text(self, text: str) -> None:
        """Send one text frame."""
        self.send(OP_TEXT, text.encode())

    def close(self) -> None:
        """Say goodbye (close code 1000) and drop the connection."""
        if self.transport is not None and not self.transport.is_closing():
            self.send(OP_CLOSE, (1000).to_bytes(2, "big"))
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed during the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)


async def connect(
    url: str, headers: dict[str, str], on_text: Callable[[bytes], None], timeout: float
) -> LeanSocket:
    """Open a WebSocket to ``url`` (ws:// only) with extra request ``headers``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {parts.path or '/'} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(lambda: LeanSocket(request, on_text), host, port), timeout
    )
    await asyncio.wait_for(asyncio.shield(protocol.upgraded), timeout)
    return protocol
