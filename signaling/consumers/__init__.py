"""The live room's WebSocket consumer, split by concept (docs/protocol.md).

``room`` (connection and frames), ``joining`` (hello, lobby, welcome), ``actions`` (one
service per frame type), ``control`` (services' and the media worker's messages) and
``base`` (state, output, the worker relay). The close codes are the realtime core's.
"""

from __future__ import annotations

from realtime.errors import (
    CLOSE_ENDED,
    CLOSE_NO_ROOM,
    CLOSE_PROTOCOL,
    CLOSE_REFUSED,
    CLOSE_REPLACED,
    CLOSE_SERVER_ERROR,
    CLOSE_TIMEOUT,
    CLOSE_TOKEN,
    CLOSE_TOO_FAST,
)
from signaling.consumers.room import RoomConsumer

__all__ = [
    "CLOSE_ENDED",
    "CLOSE_NO_ROOM",
    "CLOSE_PROTOCOL",
    "CLOSE_REFUSED",
    "CLOSE_REPLACED",
    "CLOSE_SERVER_ERROR",
    "CLOSE_TIMEOUT",
    "CLOSE_TOKEN",
    "CLOSE_TOO_FAST",
    "RoomConsumer",
]
