"""The WebSocket consumers' base: a page that goes away under a send is not an error.

Daphne hands each send to autobahn, which raises ``Disconnected`` once the page's close
frame has arrived and before daphne has noticed the connection lost and told the
consumer (``websocket.disconnect``). Raised inside a handler — a chat line, a media
answer, a roster change on its way to that page — it ended the consumer, and its
``disconnect()`` never ran: the participant never left the room and stayed in
everyone's list until the stale-row sweep (a CI run found one; issue 10 found the same
through a close sent after an error). Such a send is dropped here: the page is gone, and
the disconnect that follows does the leaving.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

try:
    from autobahn.exception import Disconnected as Closing
except ImportError:  # pragma: no cover - another ASGI server: nothing of autobahn's raises

    class Closing(Exception):  # type: ignore[no-redef]
        """Never raised: stands for autobahn's exception."""


logger = logging.getLogger(__name__)


class ClosingTolerantSocket(AsyncJsonWebsocketConsumer):
    """``AsyncJsonWebsocketConsumer`` whose sends and close to a closing page are no-ops."""

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: Any = False
    ) -> None:
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Closing:
            logger.debug("a send to a closing socket was dropped")

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        try:
            await super().close(code=code, reason=reason)
        except Closing:
            logger.debug("a close of a closing socket was dropped")
