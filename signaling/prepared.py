"""One WebSocket frame, framed once, written to many daphne connections.

The fan-out hub (signaling/bus.py) sends the same text to every member of a room. Through
ASGI each member's copy is framed by autobahn and handed over in a coroutine of daphne's
(``Server.handle_reply``): per delivery a coroutine, a dictionary and the framing. When
the socket is daphne's own, the hub instead writes a frame prepared once for the whole
room (autobahn's ``PreparedMessage``, made for this) straight to each connection's
protocol. Any other server (or the test communicator) keeps the ASGI path.

Written for daphne 4.2 (its ASGI ``send`` is ``partial(Server.handle_reply, protocol)``),
autobahn 26 and Twisted 26 (the direct ``send`` below); ``protocol_of`` returns None
for anything else, so a change there costs speed, not correctness.
"""

from __future__ import annotations

import functools
from typing import Any

from autobahn.websocket.protocol import PreparedMessage
from twisted.internet import tcp


def protocol_of(send: Any) -> Any | None:
    """daphne's WebSocket protocol behind an ASGI ``send``, or None."""
    if not isinstance(send, functools.partial) or not send.args:
        return None
    if getattr(send.func, "__name__", "") != "handle_reply":
        return None
    protocol = send.args[0]
    if not callable(getattr(protocol, "sendPreparedMessage", None)):
        return None
    return protocol


def prepare(text: str) -> PreparedMessage:
    """A server-to-client text frame (servers do not mask; never compressed)."""
    return PreparedMessage(text.encode(), isBinary=False, applyMask=False, doNotCompress=True)


def write_prepared(protocol: Any, frame: PreparedMessage) -> bool:
    """Write ``frame`` to an open connection; False when it is not open (any more).

    A plain TCP connection with nothing waiting in Twisted's buffer gets the bytes
    straight from ``send``: Twisted's own ``write`` would register the socket for
    writing and send in the next reactor turn (two ``epoll_ctl`` calls and a callback
    per frame, half of a delivery's cost in a room of 1,000). What the socket does not
    take at once, and everything while older data waits, goes through Twisted as before,
    so the order of frames is kept.
    """
    if protocol.state != protocol.STATE_OPEN:
        return False
    data: bytes = frame.payloadHybi
    transport = protocol.transport
    if isinstance(transport, tcp.Connection) and _idle(transport):
        try:
            sent = transport.socket.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:  # the connection broke: Twisted sees it on its next read
            return False
        if sent == len(data):
            return True
        data = data[sent:]
    transport.write(data)
    return True


def _idle(transport: tcp.Connection) -> bool:
    """Connected, not closing, and nothing of Twisted's left to send (twisted 26)."""
    return bool(
        transport.connected
        and not transport.disconnecting
        and not transport._writeDisconnected
        and not transport._tempDataLen
        and transport.offset == len(transport.dataBuffer)
    )
