"""WebSocket routes of live rooms (the consumer arrives with the live-rooms issue)."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
