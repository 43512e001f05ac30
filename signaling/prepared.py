"""One WebSocket frame, framed once, written to many daphne connections.

The fan-out hub (signaling/bus.py) sends the same text to every member of a room. Through
ASGI each member's copy is framed by autobahn and handed over in a coroutine of daphne's
(``Server.handle_reply``): per delivery a coroutine, a dictionary and the framing. When
the socket is daphne's own, the hub instead writes a frame prepared once for the whole
room (autobahn's ``PreparedMessage``, made for this) straight to each connection's
protocol. Any other server (or the test communicator) keeps the ASGI path.

Written for daphne 4.2 (its ASGI ``send`` is ``partial(Server.handle_reply, protocol)``)
and autobahn 26; ``protocol_of`` returns None for anything else, so a change there costs
speed, not correctness.
"""

from __future__ import annotations

import functools
from typing import Any

from autobahn.websocket.protocol import PreparedMessage


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
    """Write ``frame`` to an open connection; False when it is not open (any more)."""
    if protocol.state != protocol.STATE_OPEN:
        return False
    protocol.sendPreparedMessage(frame)
    return True
