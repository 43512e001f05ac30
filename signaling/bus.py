"""Room fan-out without waking one consumer per member (shared/MEASURED.md's levers).

Each process keeps one ``RoomHub`` per live room that has members connected to it. A hub
is one asyncio task: it takes each room event, already encoded as JSON text once by the
publisher, and writes it straight to every local member's socket through the ASGI
``send`` of its connection. No channel-layer message per member, no consumer woken, no
thread hop. Events that pile up while the hub is writing go out together as one
``batch`` frame, so a burst (a hundred people joining) costs one write per member.

Across processes (``REDIS_URL`` set) events travel over Redis pub/sub, one channel per
room, so each process receives a room's event once however many members it serves.
Without Redis the bus is in-process only, like the in-memory channel layer.

``publish`` may be called from any thread (services call it from the database thread
through ``signaling.events.notify_room`` after the commit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from signaling import prepared
from signaling.domain.protocol import batch

logger = logging.getLogger(__name__)

ALL = "A"  # every member
HOSTS = "H"  # hosts only (the lobby)
# Lower case: the same audiences, but the event may wait up to LAZY_SECS to be sent
# together with others (presence: a hundred joins a second into a room of 1,000 would
# otherwise be 100,000 writes a second). Anything urgent flushes the waiting ones first,
# so the order of events never changes.
LAZY = {ALL: "a", HOSTS: "h"}
LAZY_SECS = 0.25
MAX_BATCH_MESSAGES = 500
SUBSCRIBE_TIMEOUT_SECS = 5.0

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class Subscriber:
    """One local member's socket. Until ``ready`` its frames wait in ``pending``."""

    peer: str
    host: bool
    send: Send
    ready: bool = False
    pending: list[str] = field(default_factory=list)
    # daphne's protocol of this socket, written to directly (signaling/prepared.py).
    protocol: Any = None

    def __post_init__(self) -> None:
        self.protocol = prepared.protocol_of(self.send)

    async def write(self, text: str) -> None:
        """Send one text frame; a closed socket is not an error here."""
        try:
            await self.send({"type": "websocket.send", "text": text})
        except Exception:  # one broken socket must not stop the room's fan-out
            logger.debug("fan-out: write to %s failed", self.peer, exc_info=True)

    async def go_live(self) -> None:
        """Send what arrived while joining, then receive directly."""
        while self.pending:
            frames, self.pending = self.pending, []
            for frame in frames:
                await self.write(frame)
        self.ready = True


class RoomHub:
    """The fan-out task of one room in this process."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.members: dict[Subscriber, None] = {}  # insertion-ordered set
        self._items: deque[tuple[str, str]] = deque()
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._flushed_at = 0.0
        self._task = asyncio.ensure_future(self._run())
        self.subscribed = asyncio.Event()
        self.delivered = 0  # frames written, for tests and the benchmark
        # The room's participants as the events it relays describe them (peer → wire
        # object), so a join in a room of 1,000 does not read 1,000 rows: see roster().
        self.meeting = 0
        self._roster: dict[str, dict[str, Any]] | None = None
        self._early: list[dict[str, Any]] = []
        # The part of a welcome that is the same for everybody, until an event changes it.
        self.shared_version = 0
        self._shared: tuple[int, dict[str, Any]] | None = None

    def post(self, audience: str, text: str) -> None:
        """Queue an encoded event (on the loop's thread)."""
        if text.startswith(_ROSTER_PREFIXES):
            self._track(json.loads(text))
        if text.startswith(_SHARED_PREFIXES):
            self.shared_version += 1
            self._shared = None
        self._items.append((audience, text))
        if audience.isupper():
            self._urgent.set()
        self._wake.set()

    def stop(self) -> None:
        """End the task; queued events are dropped (nobody is left to receive them)."""
        self._task.cancel()

    # -- roster ---------------------------------------------------------------------------

    def roster(self, meeting: int) -> list[dict[str, Any]] | None:
        """The participants of ``meeting`` now, or None until ``load_roster`` for it."""
        if self._roster is None or self.meeting != meeting:
            return None
        return list(self._roster.values())

    def shared(self, meeting: int = 0) -> tuple[int, dict[str, Any]] | None:
        """The cached shared part of a welcome (of ``meeting``, or of any) with its meeting."""
        if self._shared is None or (meeting and self._shared[0] != meeting):
            return None
        return self._shared

    def keep_shared(self, meeting: int, data: dict[str, Any], version: int) -> None:
        """Cache a shared part read from the database when no event came since ``version``."""
        if version == self.shared_version:
            self._shared = (meeting, data)

    def load_roster(self, meeting: int, rows: list[dict[str, Any]]) -> None:
        """Start the roster from the database; events seen meanwhile are applied on top."""
        self.meeting = meeting
        self._roster = {row["peer"]: row for row in rows}
        early, self._early = self._early, []
        for event in early:
            self._apply(event)

    def _track(self, event: dict[str, Any]) -> None:
        if event.get("type") == "meeting.ended":
            self._roster, self._early, self.meeting = None, [], 0
        elif self._roster is None:
            self._early.append(event)
        else:
            self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        assert self._roster is not None
        kind = event.get("type")
        if kind == "participant.joined":
            self._roster[event["participant"]["peer"]] = event["participant"]
        elif kind == "participant.updated":
            peer = event["participant"]["peer"]
            if peer in self._roster:
                self._roster[peer] = event["participant"]
        elif kind == "participant.left":
            self._roster.pop(event.get("peer", ""), None)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._urgent.is_set():
                delay = self._flushed_at + LAZY_SECS - loop.time()
                if delay > 0:
                    try:
                        await asyncio.wait_for(self._urgent.wait(), delay)
                    except TimeoutError:
                        pass
            self._urgent.clear()
            self._flushed_at = loop.time()
            while self._items:
                count = min(len(self._items), MAX_BATCH_MESSAGES)
                items = [self._items.popleft() for _ in range(count)]
                try:
                    await self._deliver(items)
                except Exception:
                    logger.exception("fan-out of room %s failed", self.slug)

    async def _deliver(self, items: list[tuple[str, str]]) -> None:
        everyone = [text for audience, text in items if audience in "Aa"]
        hosts_only = len(everyone) != len(items)
        frame_all = _frame(everyone)
        frame_hosts = _frame([text for _, text in items]) if hosts_only else frame_all
        framed: dict[str, Any] = {}  # each frame is framed once for the whole room
        for member in list(self.members):
            frame = frame_hosts if member.host else frame_all
            if frame is None:
                continue
            if not member.ready:
                member.pending.append(frame)
                continue
            if member.protocol is not None:
                ready = framed.get(frame)
                if ready is None:
                    ready = framed[frame] = prepared.prepare(frame)
                try:
                    prepared.write_prepared(member.protocol, ready)
                except Exception:  # one broken socket must not stop the room's fan-out
                    logger.debug("fan-out: write to %s failed", member.peer, exc_info=True)
            else:
                await member.write(frame)
            self.delivered += 1


_ROSTER_PREFIXES = ('{"type":"participant.', '{"type":"meeting.ended"')
_SHARED_PREFIXES = (
    '{"type":"chat.message"',
    '{"type":"poll.',
    '{"type":"file.shared"',
    '{"type":"deck.added"',
    '{"type":"slides.changed"',
    '{"type":"meeting.ended"',
)


def _frame(texts: list[str]) -> str | None:
    if not texts:
        return None
    return texts[0] if len(texts) == 1 else batch(texts)


class Bus:
    """This process's hubs, and how events reach them (in-process or Redis)."""

    def __init__(self, redis_url: str = "") -> None:
        self.redis_url = redis_url
        self.hubs: dict[str, RoomHub] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._redis: _RedisLink | None = _RedisLink(self, redis_url) if redis_url else None

    # -- members (on the loop) -----------------------------------------------------------

    async def join(self, slug: str, member: Subscriber) -> None:
        """Add a local member to a room's hub, subscribing this process when it is new."""
        self._bind()
        hub = self.hubs.get(slug)
        if hub is None:
            hub = self.hubs[slug] = RoomHub(slug)
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

    def hub(self, slug: str) -> RoomHub | None:
        """This process's hub of a room, if it has members here."""
        return self.hubs.get(slug)

    def peers(self, slug: str) -> list[str]:
        """The peers connected to this process in a room."""
        hub = self.hubs.get(slug)
        return [member.peer for member in hub.members] if hub else []

    def all_peers(self) -> list[str]:
        """Every peer connected to this process (for the presence heartbeat)."""
        return [member.peer for hub in self.hubs.values() for member in hub.members]

    # -- events (any thread) -------------------------------------------------------------

    def publish(self, slug: str, text: str, *, audience: str = ALL, lazy: bool = False) -> None:
        """Send an encoded event to every member of a room, in every process.

        ``lazy`` events may wait up to ``LAZY_SECS`` to travel with others.
        """
        if lazy:
            audience = LAZY[audience]
        # This process's members at once (and in order with what the caller does next,
        # e.g. a join reading the roster); the other processes through Redis.
        self.deliver_threadsafe(slug, audience, text)
        if self._redis is not None:
            self._redis.publish(slug, audience, text)

    def deliver_threadsafe(self, slug: str, audience: str, text: str) -> None:
        """Hand an event to this process's hub of the room, from any thread."""
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


class _RedisLink:
    """One pub/sub connection per process, subscribed to the rooms it has members in."""

    PREFIX = "meet:room:"
    ORIGIN_CHARS = 8

    def __init__(self, bus: Bus, url: str) -> None:
        self.bus = bus
        self.url = url
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
            from redis import asyncio as aioredis

            self._async = aioredis.Redis.from_url(self.url)
            self._pubsub = self._async.pubsub()
            self._lock = asyncio.Lock()

    async def subscribe(self, slug: str) -> None:
        self._ensure()
        assert self._lock is not None
        async with self._lock:
            await self._pubsub.subscribe(self.PREFIX + slug)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.ensure_future(self._read())

    async def unsubscribe(self, slug: str) -> None:
        if self._pubsub is None or self._lock is None:
            return
        async with self._lock:
            await self._pubsub.unsubscribe(self.PREFIX + slug)

    def publish(self, slug: str, audience: str, text: str) -> None:
        """Publish from any thread, in order. With the process's event loop running, events
        queue for one writer task that sends what has gathered as one pipeline: the
        database thread (where services announce their commits) never waits for Redis,
        and a burst of joins costs one round trip, not one each."""
        payload = (self.origin + audience + text).encode()
        channel = self.PREFIX + slug
        loop = self.bus.loop
        if loop is not None and not loop.is_closed():
            if threading.get_ident() == self.bus._loop_thread:
                self._queue(channel, payload)
            else:
                loop.call_soon_threadsafe(self._queue, channel, payload)
            return
        if self._sync is None:  # no live room in this process yet (a page, a job)
            import redis

            self._sync = redis.Redis.from_url(self.url)
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
            len(self.PREFIX) :
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


_bus: Bus | None = None


def get_bus() -> Bus:
    """This process's bus (Redis when ``REDIS_URL`` is set, else in-process)."""
    global _bus
    if _bus is None:
        from django.conf import settings

        _bus = Bus(getattr(settings, "REDIS_URL", ""))
    return _bus


def reset_bus() -> None:
    """Forget the bus (tests switch event loops and settings)."""
    global _bus
    _bus = None
