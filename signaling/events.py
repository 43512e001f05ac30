"""The one way live-room events leave a service: ``notify_room`` after the commit.

Every broadcast of the live rooms goes through here (Zulip's ``send_event_on_commit``
rule): the event is encoded once, off the event loop, and handed to the fan-out bus when
the transaction commits, so nobody hears of a change that was rolled back.
``notify_peer`` reaches one connection (in any process) through the channel layer.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from signaling.bus import ALL, HOSTS, get_bus
from signaling.domain.protocol.serializers import encode

# Presence may reach members up to a quarter of a second late, together with other
# presence: that keeps a join storm into a big room from costing members^2 writes.
LAZY_TYPES = frozenset(
    {"participant.joined", "participant.left", "participant.updated", "poll.results"}
)


def notify_room(slug: str, event: dict[str, Any], *, hosts_only: bool = False) -> None:
    """Broadcast ``event`` to a room's members (or only its hosts) once committed."""
    text = encode(event)
    audience = HOSTS if hosts_only else ALL
    lazy = event.get("type") in LAZY_TYPES
    transaction.on_commit(lambda: get_bus().publish(slug, text, audience=audience, lazy=lazy))


def notify_peer(channel_name: str, control: dict[str, Any]) -> None:
    """Send a control message to one participant's consumer once committed.

    ``control`` becomes ``{"type": "room.control", **control}``: the consumer's
    ``room_control`` handler acts on it (admitted, denied, muted, removed, ended, role).
    """
    if not channel_name:
        return
    message = {"type": "room.control", **control}

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.send)(channel_name, message)

    transaction.on_commit(send)
