"""WebSocket routes collected from the apps that own consumers, each with its auth stack.

The live room (``/ws/rooms/``) gets the session cookie only: its join token is signed,
names the user and is bound to the session key, so loading the session and user rows
(AuthMiddlewareStack: two queries and a thread hop) on each of hundreds of joins a
second buys nothing. Other sockets get the signed-in user.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.sessions import SessionMiddlewareStack
from django.urls import URLPattern

from broadcasts.routing import websocket_urlpatterns as watch_patterns
from signaling.routing import websocket_urlpatterns as signaling_patterns


def _wrapped(patterns: list[Any], stack: Any) -> list[URLPattern]:
    return [
        URLPattern(route.pattern, stack(route.callback), route.default_args, route.name)
        for route in patterns
    ]


websocket_urlpatterns: list[Any] = [
    *_wrapped(signaling_patterns, SessionMiddlewareStack),
    *_wrapped(watch_patterns, AuthMiddlewareStack),
]
