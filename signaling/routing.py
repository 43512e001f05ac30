"""WebSocket routes of live rooms."""

from __future__ import annotations

from typing import Any

from django.urls import path

from signaling.consumers import RoomConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/rooms/<slug:slug>/", RoomConsumer.as_asgi()),
]
