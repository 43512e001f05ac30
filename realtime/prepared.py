"""One WebSocket frame, framed once, written to many daphne connections.

The fan-out hub (realtime/hub.py) sends the same text to every member of a room. Through
ASGI each member's copy is framed by autobahn and handed over in a coroutine of daphne's
(``Server.handle_reply``): per delivery a coroutine, a dictionary and the framing. When
the socket is daphne's own, the hub instead writes a frame prepared once for the whole
room (autobahn's ``PreparedMessage``, made for this) straight to each connection's
protocol. Any other server (or the test communicator) keeps the ASGI path.

Written for daphne 4.2 (its ASGI ``send`` is ``partial(Server.handle_reply, protocol)``),
autobahn 26 and Twisted 26 (the direct ``send`` below reads Twisted's private buffer
state). pyproject pins autobahn and Twisted to those majors; on any other version
``protocol_of`` says so in the log once and returns None, so every socket keeps the
ordinary ASGI write: a change there costs speed, never a message. If Twisted's private
attributes are not what this module expects, it says so loudly once and writes through
Twisted's public ``write`` from then on.
"""

from __future__ import annotations

import functools
import logging
from importlib import metadata
from typing import Any

from autobahn.websocket.protocol import PreparedMessage
from twisted.internet import tcp

logger = logging.getLogger(__name__)

# The versions the direct write was written and measured for (as mediaworker/forwarding
# guards aiortc's): the major (or, for daphne, minor) release each must have.
WRITTEN_FOR = {"daphne": "4.2.", "autobahn": "26.", "twisted": "26."}


def _versions_found() -> dict[str, str]:
    found = {}
    for name in WRITTEN_FOR:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def _unsupported(found: dict[str, str]) -> list[str]:
    return [
        f"{name} {version}"
        for name, version in found.items()
        if not version.startswith(WRITTEN_FOR[name])
    ]


UNSUPPORTED = _unsupported(_versions_found())
SUPPORTED = not UNSUPPORTED
_said: set[str] = set()  # what was logged already (each problem once per process)


def _say_once(what: str, message: str, *args: object) -> None:
    if what not in _said:
        _said.add(what)
        logger.error(message, *args)


def protocol_of(send: Any) -> Any | None:
    """daphne's WebSocket protocol behind an ASGI ``send``, or None (the ASGI path)."""
    if not isinstance(send, functools.partial) or not send.args:
        return None
    if getattr(send.func, "__name__", "") != "handle_reply":
        return None
    if not SUPPORTED:
        _say_once(
            "versions",
            "fan-out: prepared frames are off, written for daphne 4.2, autobahn 26 and "
            "Twisted 26 but found %s; every socket is written through ASGI (slower)",
            ", ".join(UNSUPPORTED),
        )
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
    so the order of frames is kept. Nothing is written before Twisted's state is read,
    so a failure to read it loses no byte: the frame goes through ``write``.
    """
    if protocol.state != protocol.STATE_OPEN:
        return False
    data: bytes = frame.payloadHybi
    transport = protocol.transport
    if _direct and isinstance(transport, tcp.Connection) and _idle(transport):
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


_direct = True  # False once Twisted's private state could not be read


def _idle(transport: tcp.Connection) -> bool:
    """Connected, not closing, and nothing of Twisted's left to send (twisted 26)."""
    global _direct
    try:
        return bool(
            transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnected
            and not transport._tempDataLen
            and transport.offset == len(transport.dataBuffer)
        )
    except AttributeError:
        _direct = False
        logger.exception(
            "fan-out: Twisted's buffer state is not what realtime/prepared.py reads; "
            "frames go through Twisted's write from now on (slower, nothing lost)"
        )
        return False
