"""This process vouches for its connections every ``HEARTBEAT_SECS``.

A participant row whose process stopped vouching (the process crashed or was killed)
counts as gone after ``selectors.STALE_SECS``; the next join in its room sweeps it.
One small UPDATE per process per interval, whatever the number of connections.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from signaling.selectors import HEARTBEAT_SECS
from signaling.services.joins import participants_seen

logger = logging.getLogger(__name__)

_peers: set[str] = set()
_task: asyncio.Task[None] | None = None


def remember(peer: str) -> None:
    """A connection of this process joined (or waits in a lobby)."""
    global _task
    _peers.add(peer)
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _task = loop.create_task(_beat())


def forget(peer: str) -> None:
    """A connection of this process closed."""
    _peers.discard(peer)


def local_peers() -> list[str]:
    """The peers this process vouches for."""
    return sorted(_peers)


async def _beat() -> None:
    while _peers:
        await asyncio.sleep(HEARTBEAT_SECS)
        try:
            await database_sync_to_async(participants_seen)(peers=list(_peers))
        except Exception:
            logger.exception("presence heartbeat failed")
