"""The TCP relay of the reconnection tests does what it claims, on loopback (issue 13)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.impair import LOOPBACK, TcpRelay

WAIT_SECS = 5.0


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def relay() -> AsyncIterator[TcpRelay]:
    """A relay in front of an echo server."""
    server = await asyncio.start_server(_echo, LOOPBACK, 0)
    upstream = server.sockets[0].getsockname()[:2]
    async with TcpRelay(upstream) as relay:
        yield relay
    server.close()
    await server.wait_closed()


async def _open(relay: TcpRelay) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(*relay.address)


async def _echoed(reader: asyncio.StreamReader, size: int) -> bytes:
    return await asyncio.wait_for(reader.readexactly(size), WAIT_SECS)


async def test_bytes_pass_both_ways(relay: TcpRelay) -> None:
    reader, writer = await _open(relay)
    writer.write(b"xin chao")
    assert await _echoed(reader, 8) == b"xin chao"
    writer.close()


async def test_a_cut_resets_open_connections_and_holds_new_ones_until_restored(
    relay: TcpRelay,
) -> None:
    reader, writer = await _open(relay)
    writer.write(b"a")
    assert await _echoed(reader, 1) == b"a"
    relay.cut()
    # The open connection dies with the link: the client sees it at once.
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(reader.readexactly(1), WAIT_SECS)
    assert relay.connections_cut == 1
    # A new one is accepted, but nothing it sends gets anywhere...
    held_reader, held_writer = await _open(relay)
    held_writer.write(b"late")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(held_reader.readexactly(4), 0.5)
    # ...until the link is back: then what it sent arrives, late.
    relay.restore()
    assert await _echoed(held_reader, 4) == b"late"
    held_writer.close()


async def test_a_silent_cut_keeps_connections_open_and_delivers_late(relay: TcpRelay) -> None:
    reader, writer = await _open(relay)
    writer.write(b"1")
    assert await _echoed(reader, 1) == b"1"
    relay.cut(reset=False)
    writer.write(b"2")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readexactly(1), 0.5)
    relay.restore()
    assert await _echoed(reader, 1) == b"2"  # nothing lost, only delayed
    writer.close()
