"""WebSocket routes collected from the apps that own consumers."""

from __future__ import annotations

from typing import Any

from signaling.routing import websocket_urlpatterns as signaling_patterns

websocket_urlpatterns: list[Any] = [*signaling_patterns]
