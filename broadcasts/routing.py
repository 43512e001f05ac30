"""WebSocket route of the public watch page."""

from __future__ import annotations

from typing import Any

from django.urls import path

from broadcasts.consumers import WatchConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/watch/<slug:slug>/", WatchConsumer.as_asgi()),
]
