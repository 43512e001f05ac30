"""The one way watch-page events leave a service: ``notify_watch`` after the commit.

Viewers of a room share the group ``watch-<room>``; its hosts (the moderation panel)
share ``watch-<room>-hosts``. Both are channel-layer groups, so every process's viewers
hear an event, on the in-memory layer and on Redis alike.
"""

from __future__ import annotations

from typing import Any, Literal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

Audience = Literal["viewers", "hosts"]
EVENT_TYPE = "watch.event"  # the consumer's handler: ``watch_event``


def group_name(room_id: int, audience: Audience) -> str:
    """The channel-layer group of a room's viewers or hosts."""
    return f"watch-{room_id}" if audience == "viewers" else f"watch-{room_id}-hosts"


def notify_watch(room_id: int, event: dict[str, Any], *, audience: Audience) -> None:
    """Send ``event`` to a room's viewers or hosts once the transaction commits."""
    message = {"type": EVENT_TYPE, "event": event}
    group = group_name(room_id, audience)

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, message)

    transaction.on_commit(send)
