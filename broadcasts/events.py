"""The one way watch-page events leave a service: ``notify_watch`` after the commit.

A room's watch sockets are one group of the realtime core's bus (realtime/bus.py): the
viewers and the hosts' moderation panels, each event for the ``viewers`` or the
``hosts``. The event is encoded once and written by this process's hub straight to each
socket; other processes hear it over Redis when the channel layer is Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from channels.db import database_sync_to_async
from django.db import transaction

from broadcasts import selectors
from broadcasts.domain.protocol import encode
from realtime.bus import HOSTS, VIEWERS, Bus, Hub
from realtime.hub import moved_event
from realtime.redis import redis_address

Audience = Literal["viewers", "hosts"]
_AUDIENCES: dict[str, str] = {"viewers": VIEWERS, "hosts": HOSTS}
CHANNEL_PREFIX = "meet:watch-room:"  # Redis pub/sub, one channel per room


def group_name(room_id: int) -> str:
    """The bus group of a room's watch sockets."""
    return str(room_id)


def notify_watch(room_id: int, event: dict[str, Any], *, audience: Audience) -> None:
    """Send ``event`` to a room's viewers or hosts once the transaction commits."""
    text = encode(event)
    group, kind = group_name(room_id), _AUDIENCES[audience]
    transaction.on_commit(lambda: get_watch_bus().publish(group, text, audience=kind))


async def announce_moved(room: str, worker: str) -> None:
    """Tell a room's WebRTC viewers, in every process, that its media worker died
    (realtime/media_routes.py reaps it): each socket drops its route, its page offers again."""
    room_id = await database_sync_to_async(selectors.room_id_of)(slug=room)
    if room_id is None:
        return
    # From a thread: a process whose bus has no group yet publishes with a blocking client.
    text = moved_event(worker)
    await asyncio.to_thread(get_watch_bus().publish, group_name(room_id), text, audience=VIEWERS)


_bus: Bus[Hub] | None = None


def get_watch_bus() -> Bus[Hub]:
    """This process's bus of watch pages (every event its own frame: no ``batch`` here)."""
    global _bus
    if _bus is None:
        _bus = Bus(redis_address(), hub=Hub, channel_prefix=CHANNEL_PREFIX)
    return _bus


def reset_watch_bus() -> None:
    """Forget the bus (tests switch event loops and settings)."""
    global _bus
    _bus = None
