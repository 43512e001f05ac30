"""The live viewer count: local connections counted per process, totals every few seconds.

Each process keeps its own viewers in memory and, every ``interval`` seconds, publishes
its count per room and reads the room's total:

* on the in-memory layer (one process) the total is the local count;
* on Redis each process writes ``<count>:<unix time>`` into the hash
  ``meet:watch:<room>`` under its own id. A process that died stops refreshing its
  field, and readers ignore (and delete) fields older than ``STALE_SECS``, so a crash
  never leaves phantom viewers for long.

Viewers hear the total only when it changes, at most once per interval: a join storm
costs one message per viewer per interval, not one per join.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings

from realtime.redis import async_client, redis_address

logger = logging.getLogger(__name__)

STALE_SECS = 20.0
KEY_TTL_SECS = 60
DEFAULT_INTERVAL_SECS = 5.0


class Viewer(Protocol):
    async def viewers_changed(self, total: int) -> None: ...


class CountStore(Protocol):
    async def exchange(self, counts: dict[int, int]) -> dict[int, int]:
        """Publish this process's counts; return the totals of the same rooms."""
        ...

    async def close(self) -> None: ...


class LocalStore:
    """One process: the totals are the local counts."""

    async def exchange(self, counts: dict[int, int]) -> dict[int, int]:
        return dict(counts)

    async def close(self) -> None:
        return None


class RedisStore:
    """Several processes: per-process counts in one Redis hash per room."""

    def __init__(self, client: Any, process: str, *, prefix: str = "meet:watch:") -> None:
        self.client = client
        self.process = process
        self.prefix = prefix

    async def exchange(self, counts: dict[int, int]) -> dict[int, int]:
        now = time.time()
        async with self.client.pipeline(transaction=False) as pipe:
            for room, count in counts.items():
                key = f"{self.prefix}{room}"
                pipe.hset(key, self.process, f"{count}:{now:.3f}")
                pipe.expire(key, KEY_TTL_SECS)
                pipe.hgetall(key)
            replies = await pipe.execute()
        totals: dict[int, int] = {}
        for index, room in enumerate(counts):
            fields = replies[index * 3 + 2] or {}
            totals[room], stale = _sum_fresh(fields, now)
            if stale:
                await self.client.hdel(f"{self.prefix}{room}", *stale)
        return totals

    async def close(self) -> None:
        await self.client.aclose()


def _sum_fresh(fields: dict[Any, Any], now: float) -> tuple[int, list[Any]]:
    total, stale = 0, []
    for name, value in fields.items():
        text = value.decode() if isinstance(value, bytes) else str(value)
        count, _, at = text.partition(":")
        try:
            fresh = now - float(at) <= STALE_SECS
            number = int(count)
        except ValueError:
            fresh, number = False, 0
        if fresh:
            total += number
        else:
            stale.append(name)
    return total, stale


def store_for_settings(process: str) -> CountStore:
    """The store that matches the channel layer (created inside the running loop)."""
    address = redis_address()
    if not address:
        return LocalStore()
    prefix = str(getattr(settings, "MEET_WATCH_REDIS_PREFIX", "meet:watch:"))
    return RedisStore(async_client(address, socket_timeout=10), process, prefix=prefix)


def interval_secs() -> float:
    """How often totals are exchanged and pushed (``MEET_WATCH_COUNT_INTERVAL_SECS``)."""
    return float(getattr(settings, "MEET_WATCH_COUNT_INTERVAL_SECS", DEFAULT_INTERVAL_SECS))


class ViewerCounter:
    """This process's viewers per room and the last totals heard."""

    def __init__(
        self,
        *,
        store_factory: Callable[[str], CountStore] = store_for_settings,
        interval: Callable[[], float] = interval_secs,
    ) -> None:
        self.process = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._store_factory = store_factory
        self._interval = interval
        # Per room: every connection that hears the total, and whether it is counted
        # (a host's moderation panel hears it but is not an audience member).
        self._rooms: dict[int, dict[Viewer, bool]] = {}
        self._totals: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    def join(self, room: int, viewer: Viewer, *, counted: bool = True) -> int:
        """Count ``viewer`` in ``room`` (or only tell it); returns the best total known now."""
        self._rooms.setdefault(room, {})[viewer] = counted
        self._ensure_running()
        return max(self._totals.get(room, 0), self.local(room))

    def leave(self, room: int, viewer: Viewer) -> None:
        """Stop counting ``viewer`` (the next exchange publishes the new count)."""
        viewers = self._rooms.get(room)
        if viewers is not None:
            viewers.pop(viewer, None)

    def total(self, room: int) -> int:
        """The last total heard for ``room``."""
        return self._totals.get(room, 0)

    def local(self, room: int) -> int:
        """This process's viewers in ``room``."""
        return sum(self._rooms.get(room, {}).values())

    def local_total(self) -> int:
        """This process's viewers in every room (read from any thread: /metrics)."""
        return sum(sum(list(viewers.values())) for viewers in list(self._rooms.values()))

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._task = loop.create_task(self._run(), name="watch-viewer-count")

    async def _run(self) -> None:
        store = self._store_factory(self.process)
        try:
            while True:
                await asyncio.sleep(self._interval())
                with contextlib.suppress(Exception):
                    await self.exchange(store)
                if not self._rooms:
                    # Every zero is published; the next viewer starts a new task.
                    if self._task is asyncio.current_task():
                        self._task = None
                    break
        finally:
            with contextlib.suppress(Exception):
                await store.close()

    async def exchange(self, store: CountStore) -> None:
        """Publish the local counts, read the totals, tell viewers of changes."""
        counts = {room: sum(viewers.values()) for room, viewers in self._rooms.items()}
        try:
            totals = await store.exchange(counts)
        except Exception:
            logger.warning("viewer count: the store did not answer", exc_info=True)
            raise
        pushes: list[tuple[Viewer, int]] = []
        for room, total in totals.items():
            changed = self._totals.get(room) != total
            self._totals[room] = total
            if changed and room in self._rooms:
                pushes.extend((viewer, total) for viewer in list(self._rooms[room]))
        for room in [room for room, viewers in self._rooms.items() if not viewers]:
            del self._rooms[room]  # its zero was published just now
            self._totals.pop(room, None)
        for viewer, total in pushes:
            with contextlib.suppress(Exception):
                await viewer.viewers_changed(total)


_counter: ViewerCounter | None = None


def get_counter() -> ViewerCounter:
    """The process's counter."""
    global _counter
    if _counter is None:
        _counter = ViewerCounter()
    return _counter


def reset_counter() -> None:
    """Forget every count (tests)."""
    global _counter
    _counter = None
