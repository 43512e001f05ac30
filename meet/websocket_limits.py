"""At most ``MEET_WS_MAX_PER_ADDRESS`` open WebSockets per client address.

One address opening hundreds of sockets (the room's or the watch page's) would hold a
consumer, a channel-layer queue and perhaps a media seat for each. The count is per
process: the web tier is one daphne process in every shape of the product (``meet
serve``, the compose file), so that is the site-wide count; a shared count in Redis
would also have to forget the sockets of a process that died, for no gain today.
It sits after meet/proxies.py, so the address is the real client's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings

Scope = dict[str, Any]

# 1008 (policy violation): a refusal before accept reaches the browser as HTTP 403.
CLOSE_TOO_MANY = 1008


def max_per_address() -> int:
    """The configured limit, read at call time."""
    return int(settings.MEET_WS_MAX_PER_ADDRESS)


class WebSocketLimitMiddleware:
    """ASGI middleware for WebSocket scopes: refuse an address over its limit."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        address = str((scope.get("client") or ("",))[0] or "")
        if self.open[address] >= max_per_address():
            await self._refuse(receive, send)
            return None
        self.open[address] += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]

    @staticmethod
    async def _refuse(receive: Any, send: Any) -> None:
        """Close before accepting (the handshake is answered 403)."""
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": CLOSE_TOO_MANY})
