"""At most MEET_WS_MAX_PER_ADDRESS open WebSockets per client address (meet/asgi.py)."""

from __future__ import annotations

from typing import Any

from channels.testing import WebsocketCommunicator

ORIGIN = (b"origin", b"http://127.0.0.1")


def _socket(path: str, address: str) -> WebsocketCommunicator:
    from meet.asgi import application

    # The whole stack of meet/asgi.py, less the embedded media worker's starter.
    communicator = WebsocketCommunicator(application.app, path, headers=[ORIGIN])
    communicator.scope["client"] = [address, 50000]
    return communicator


async def test_sockets_per_address_are_capped(settings: Any) -> None:
    """Issue 10, item WebSocket connections per address: one address cannot hold more
    than the limit of room and watch sockets; the extra one is refused before accept."""
    settings.MEET_WS_MAX_PER_ADDRESS = 2
    held = [_socket("/ws/rooms/hanoi/", "203.0.113.7") for _ in range(2)]
    for communicator in held:
        connected, _ = await communicator.connect()
        assert connected
    for path in ("/ws/rooms/hanoi/", "/ws/watch/hanoi/"):
        extra = _socket(path, "203.0.113.7")
        connected, code = await extra.connect()
        assert (connected, code) == (False, 1008)
    neighbour = _socket("/ws/rooms/hanoi/", "203.0.113.8")
    assert (await neighbour.connect())[0], "another address is not affected"
    await held[0].disconnect()
    again = _socket("/ws/rooms/hanoi/", "203.0.113.7")
    assert (await again.connect())[0], "a closed socket gives its place back"
    for communicator in (held[1], neighbour, again):
        await communicator.disconnect()


async def test_a_trusted_proxys_clients_are_counted_apart(settings: Any) -> None:
    """Issue 10, item WebSocket connections per address: the address counted is the one a
    trusted proxy forwarded, so two schools behind one proxy do not share a limit."""
    settings.MEET_WS_MAX_PER_ADDRESS = 1
    settings.MEET_TRUSTED_PROXIES = ["10.0.0.2"]
    sockets = []
    for client in ("198.51.100.1", "198.51.100.2"):
        communicator = _socket("/ws/rooms/hanoi/", "10.0.0.2")
        communicator.scope["headers"] = [ORIGIN, (b"x-forwarded-for", client.encode())]
        assert (await communicator.connect())[0]
        sockets.append(communicator)
    for communicator in sockets:
        await communicator.disconnect()
