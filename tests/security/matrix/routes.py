"""What the access matrix must cover, read from the code rather than typed by hand.

* HTTP routes: Django's resolver, walked through every include (DRF routers included).
* WebSocket routes: ``meet.routing.websocket_urlpatterns``.
* Room-socket message types: ``signaling.domain.protocol.parser.CLIENT_TYPES``.
* Watch-socket message types: the string literals ``parse`` in
  ``broadcasts/domain/protocol.py`` compares the message's type with (read with
  ``ast``: that module keeps no list of them).
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    """One URL pattern: its key in the matrix and its full pattern text."""

    key: str  # "namespace:name", or "path:<pattern>" for an unnamed pattern
    pattern: str
    params: tuple[str, ...] = ()  # the names of its URL parameters


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> list[Route]:
    found: list[Route] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(_walk(entry, prefix + str(entry.pattern), inner))
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            key = f"{namespace}{entry.name}" if entry.name else f"path:{pattern}"
            found.append(Route(key, pattern, tuple(entry.pattern.regex.groupindex)))
    return found


def http_routes() -> list[Route]:
    """Every HTTP URL pattern of the site."""
    return _walk(get_resolver(), "", "")


def http_route_keys() -> set[str]:
    """The matrix keys of every HTTP route (DRF's format-suffix twins share a name)."""
    return {route.key for route in http_routes()}


def websocket_route_keys() -> set[str]:
    """``ws:<pattern>`` for every WebSocket route of meet/routing.py."""
    from meet.routing import websocket_urlpatterns

    return {f"ws:{pattern.pattern}" for pattern in websocket_urlpatterns}


def room_message_types() -> set[str]:
    """Every message type a browser may send on the live room's socket."""
    from signaling.domain.protocol.parser import CLIENT_TYPES

    return set(CLIENT_TYPES)


def watch_message_types() -> set[str]:
    """Every message type ``parse`` of the watch socket understands."""
    from broadcasts.domain import protocol

    tree = ast.parse(inspect.getsource(protocol.parse))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        if not (isinstance(node.left, ast.Name) and node.left.id == "kind"):
            continue
        for operand in node.comparators:
            for constant in ast.walk(operand):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    found.add(constant.value)
    found.update(getattr(protocol, "HOST_TYPES", ()))
    return found
