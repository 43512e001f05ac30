"""A bus's link to the other processes: Redis pub/sub, one channel per group.

Each process receives a group's event once, however many of its sockets are in the
group, and hands it to its hub (realtime/hub.py). Publishing never makes the caller wait
for Redis: events queue for one writer task that sends what has gathered as one pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from typing import TYPE_CHECKING, Any

from realtime.redis import async_client, sync_client

if TYPE_CHECKING:
    from realtime.bus import Bus

logger = logging.getLogger(__name__)


class RedisLink:
    """One pub/sub connection per bus and process, subscribed to the groups it has members in."""

    ORIGIN_CHARS = 8

    def __init__(self, bus: Bus[Any], url: str, *, prefix: str) -> None:
        self.bus = bus
        self.url = url
        self.prefix = prefix  # of the Redis channels: one per group
        # Each payload starts with its process's origin: a process has delivered its own
        # events locally already and skips their echo.
        self.origin = secrets.token_hex(self.ORIGIN_CHARS // 2)
        self._sync: Any = None
        self._async: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._outbox: list[tuple[str, bytes]] = []
        self._writer: asyncio.Task[None] | None = None

    def reset(self) -> None:
        """Forget connections made on another event loop."""
        self._async = self._pubsub = self._reader = self._lock = self._writer = None
        self._outbox = []

    def _ensure(self) -> None:
        if self._async is None:
            self._async = async_client(self.url, socket_timeout=None)
            self._pubsub = self._async.pubsub()
            self._lock = asyncio.Lock()

    async def subscribe(self, slug: str) -> None:
        self._ensure()
        assert self._lock is not None
        async with self._lock:
            await self._pubsub.subscribe(self.prefix + slug)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.ensure_future(self._read())

    async def unsubscribe(self, slug: str) -> None:
        if self._pubsub is None or self._lock is None:
            return
        async with self._lock:
            await self._pubsub.unsubscribe(self.prefix + slug)

    def publish(self, slug: str, audience: str, text: str) -> None:
        """Publish from any thread, in order. With the process's event loop running, events
        queue for one writer task that sends what has gathered as one pipeline: the
        database thread (where services announce their commits) never waits for Redis,
        and a burst of joins costs one round trip, not one each."""
        payload = (self.origin + audience + text).encode()
        channel = self.prefix + slug
        loop = self.bus.loop
        if loop is not None and not loop.is_closed():
            if threading.get_ident() == self.bus._loop_thread:
                self._queue(channel, payload)
            else:
                loop.call_soon_threadsafe(self._queue, channel, payload)
            return
        if self._sync is None:  # no live room in this process yet (a page, a job)
            self._sync = sync_client(self.url, socket_timeout=None)
        self._sync.publish(channel, payload)

    def _queue(self, channel: str, payload: bytes) -> None:
        self._ensure()
        self._outbox.append((channel, payload))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
            self._writer.add_done_callback(_log_failure)

    async def _write(self) -> None:
        while self._outbox:
            batch, self._outbox = self._outbox, []
            pipeline = self._async.pipeline(transaction=False)
            for channel, payload in batch:
                pipeline.publish(channel, payload)
            try:
                await pipeline.execute()
            except Exception:  # Redis restarting: these events are lost, later ones go
                logger.exception("fan-out: %d events not published to Redis", len(batch))

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(timeout=0.5)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("fan-out: Redis pub/sub read failed")
                await asyncio.sleep(1)
                continue
            if message is not None:
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message.get("channel", b"")
        slug = (channel.decode() if isinstance(channel, bytes) else str(channel))[
            len(self.prefix) :
        ]
        hub = self.bus.hubs.get(slug)
        if hub is None:
            return
        if message["type"] == "subscribe":
            hub.subscribed.set()
        elif message["type"] == "message":
            data = message["data"].decode()
            start = self.ORIGIN_CHARS
            if data[:start] != self.origin:
                hub.post(data[start : start + 1], data[start + 1 :])

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._async is not None:
            await self._async.aclose()
        self.reset()


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("fan-out: Redis publish failed: %r", task.exception())
