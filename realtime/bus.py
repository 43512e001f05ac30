"""Group fan-out without waking one consumer per member (shared/MEASURED.md's levers).

A ``Bus`` keeps one hub (realtime/hub.py) per group that has sockets connected to this
process: a live room's members, a watch page's viewers and its hosts' panels. ``publish``
takes an event encoded once and an audience (``MEMBERS``, ``HOSTS``, ``VIEWERS``), hands
it to this process's hub at once, and, across processes (Redis configured), to the other
processes over Redis pub/sub (realtime/redis_link.py), one channel per group. Without
Redis the bus is in-process only, like the in-memory channel layer.

``publish`` may be called from any thread (services call it from the database thread,
after the commit). Each socket's app makes its own bus: the live room's is
signaling/bus.py (its hubs track the roster), the watch page's is broadcasts/events.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from realtime.hub import HOSTS, LAZY, MEMBERS, VIEWERS, Hub, Subscriber
from realtime.redis_link import RedisLink

__all__ = ["HOSTS", "MEMBERS", "VIEWERS", "Bus", "Hub", "Subscriber"]

SUBSCRIBE_TIMEOUT_SECS = 5.0

H = TypeVar("H", bound=Hub)


class Bus(Generic[H]):
    """This process's hubs of one kind of group, and how events reach them."""

    def __init__(self, redis_url: str, *, hub: Callable[[str], H], channel_prefix: str) -> None:
        self.redis_url = redis_url
        self.hubs: dict[str, H] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._make_hub = hub
        self._redis: RedisLink | None = (
            RedisLink(self, redis_url, prefix=channel_prefix) if redis_url else None
        )

    # -- members (on the loop) -----------------------------------------------------------

    async def join(self, slug: str, member: Subscriber) -> None:
        """Add a local member to a group's hub, subscribing this process when it is new."""
        self._bind()
        hub = self.hubs.get(slug)
        if hub is None:
            hub = self.hubs[slug] = self._make_hub(slug)
            if self._redis is None:
                hub.subscribed.set()
            else:
                await self._redis.subscribe(slug)
        hub.members[member] = None
        await asyncio.wait_for(hub.subscribed.wait(), SUBSCRIBE_TIMEOUT_SECS)

    async def leave(self, slug: str, member: Subscriber) -> None:
        """Remove a member; the last one out stops the hub and the subscription."""
        hub = self.hubs.get(slug)
        if hub is None or member not in hub.members:
            return
        del hub.members[member]
        if not hub.members:
            del self.hubs[slug]
            hub.stop()
            if self._redis is not None:
                await self._redis.unsubscribe(slug)

    def hub(self, slug: str) -> H | None:
        """This process's hub of a group, if it has members here."""
        return self.hubs.get(slug)

    def peers(self, slug: str) -> list[str]:
        """The peers connected to this process in a group."""
        hub = self.hubs.get(slug)
        return [member.peer for member in hub.members] if hub else []

    def all_peers(self) -> list[str]:
        """Every peer connected to this process (for the presence heartbeat)."""
        return [member.peer for hub in self.hubs.values() for member in hub.members]

    # -- events (any thread) -------------------------------------------------------------

    def publish(self, slug: str, text: str, *, audience: str = MEMBERS, lazy: bool = False) -> None:
        """Send an encoded event to a group's audience, in every process.

        ``lazy`` events may wait up to ``hub.LAZY_SECS`` to travel with others.
        """
        if lazy:
            audience = LAZY[audience]
        # This process's members at once (and in order with what the caller does next,
        # e.g. a join reading the roster); the other processes through Redis.
        self.deliver_threadsafe(slug, audience, text)
        if self._redis is not None:
            self._redis.publish(slug, audience, text)

    def deliver_threadsafe(self, slug: str, audience: str, text: str) -> None:
        """Hand an event to this process's hub of the group, from any thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._deliver(slug, audience, text)
        else:
            loop.call_soon_threadsafe(self._deliver, slug, audience, text)

    def _deliver(self, slug: str, audience: str, text: str) -> None:
        hub = self.hubs.get(slug)
        if hub is not None:
            hub.post(audience, text)

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self._loop_thread = loop, threading.get_ident()
            self.hubs = {}
            if self._redis is not None:
                self._redis.reset()

    async def close(self) -> None:
        """Stop every hub and the Redis link (tests, shutdown)."""
        for hub in self.hubs.values():
            hub.stop()
        self.hubs = {}
        if self._redis is not None:
            await self._redis.close()
