"""This process vouches for its connections every ``HEARTBEAT_SECS``.

A participant row whose process stopped vouching (the process crashed or was killed)
counts as gone after ``selectors.STALE_SECS``; the next join in its room sweeps it.
One small UPDATE per process per interval, whatever the number of connections.

Each peer is vouched for on behalf of one connection (its channel name): when a page
comes back on a new socket before the old one is noticed closing, the old socket's
goodbye must not stop the vouching for the new one.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from signaling.selectors import HEARTBEAT_SECS
from signaling.services.joins import participants_seen

logger = logging.getLogger(__name__)

_peers: dict[str, str] = {}  # peer -> the channel of the connection it is vouched for
_task: asyncio.Task[None] | None = None


def remember(peer: str, channel: str) -> None:
    """A connection of this process joined (or waits in a lobby)."""
    global _task
    _peers[peer] = channel
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _task = loop.create_task(_beat())


def forget(peer: str, channel: str) -> None:
    """A connection of this process closed (or gave up its held seat)."""
    if _peers.get(peer) == channel:
        del _peers[peer]


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
