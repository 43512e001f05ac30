"""The fan-out task of one group (a live room, a watch page) in this process.

A hub takes each event, already encoded as JSON text once by the publisher, and writes it
straight to every local subscriber's socket through the ASGI ``send`` of its connection
(or, under daphne, as one frame prepared once for the whole group: realtime/prepared.py).
No channel-layer message per subscriber, no consumer woken, no thread hop. A hub given a
``batch`` function sends events that piled up while it was writing as one frame, so a
burst (a hundred people joining) costs one write per subscriber; without one, every
event is its own frame.

Each event has an audience (one letter, so it travels in a Redis payload for free):
``MEMBERS`` everyone in the group, ``HOSTS`` its hosts only (the lobby, the moderation
panel), ``VIEWERS`` everyone but its hosts. Lower case: the same audience, but the event
may wait up to ``LAZY_SECS`` to be sent together with others (presence: a hundred joins a
second into a room of 1,000 would otherwise be 100,000 writes a second). Anything urgent
flushes the waiting ones first, so the order of events never changes.

One event is also read here: ``media.moved`` (realtime/media_routes.py), published when
the media worker a group's sockets talk to died. Each subscriber's ``on_moved`` hears the
dead worker's id before its browser hears the event (without the id, which names a
machine), so the socket has dropped its route by the time the browser offers again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from realtime import prepared

logger = logging.getLogger(__name__)

MEMBERS = "A"  # everyone in the group
HOSTS = "H"  # the group's hosts only
VIEWERS = "V"  # everyone but the group's hosts
LAZY = {MEMBERS: "a", HOSTS: "h", VIEWERS: "v"}
LAZY_SECS = 0.25
MAX_BATCH_MESSAGES = 500

Send = Callable[[dict[str, Any]], Awaitable[None]]
Batch = Callable[[list[str]], str]

MOVED_PREFIX = '{"type":"media.moved"'
MOVED_FOR_BROWSERS = '{"type":"media.moved"}'


def moved_event(worker: str) -> str:
    """The encoded ``media.moved`` event: ``worker`` died, its rooms' members move."""
    return json.dumps({"type": "media.moved", "worker": worker}, separators=(",", ":"))


@dataclass(eq=False)
class Subscriber:
    """One local socket. Until ``ready`` its frames wait in ``pending``."""

    peer: str
    host: bool
    send: Send
    ready: bool = False
    pending: list[str] = field(default_factory=list)
    # daphne's protocol of this socket, written to directly (realtime/prepared.py).
    protocol: Any = None
    # Told the id of a media worker that died (``media.moved``), on the loop's thread.
    on_moved: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.protocol = prepared.protocol_of(self.send)

    async def write(self, text: str) -> None:
        """Send one text frame; a closed socket is not an error here."""
        try:
            await self.send({"type": "websocket.send", "text": text})
        except Exception:  # one broken socket must not stop the group's fan-out
            logger.debug("fan-out: write to %s failed", self.peer, exc_info=True)

    async def go_live(self) -> None:
        """Send what arrived while joining, then receive directly."""
        while self.pending:
            frames, self.pending = self.pending, []
            for frame in frames:
                await self.write(frame)
        self.ready = True


def direct_send(send: Send) -> Any:
    """The ASGI ``send`` a hub writes a consumer's frames with (its ``base_send``).

    Channels' session middleware wraps ``send`` only to save the session on HTTP
    responses; for ``websocket.send`` its wrapper does nothing but two lazy-object look-ups,
    a tenth of the cost of a delivery into a big room. The hub uses the send underneath.
    """
    wrapper = getattr(send, "__self__", None)
    real_send = getattr(wrapper, "real_send", None)
    return real_send if callable(real_send) else send


class Hub:
    """The fan-out task of one group in this process."""

    def __init__(self, slug: str, *, batch: Batch | None = None) -> None:
        self.slug = slug
        self.members: dict[Subscriber, None] = {}  # insertion-ordered set
        self._batch = batch
        self._max_items = MAX_BATCH_MESSAGES if batch is not None else 1
        self._items: deque[tuple[str, str]] = deque()
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._flushed_at = 0.0
        self._task = asyncio.ensure_future(self._run())
        self.subscribed = asyncio.Event()
        self.delivered = 0  # frames written, for tests and the benchmark

    def post(self, audience: str, text: str) -> None:
        """Queue an encoded event (on the loop's thread)."""
        if text.startswith(MOVED_PREFIX):
            text = self._moved(text)
        self._items.append((audience, text))
        if audience.isupper():
            self._urgent.set()
        self._wake.set()

    def _moved(self, text: str) -> str:
        """Tell each subscriber which worker died; the browsers get the event without it."""
        worker = str(json.loads(text).get("worker", ""))
        for member in list(self.members):
            if member.on_moved is not None:
                try:
                    member.on_moved(worker)
                except Exception:  # one socket must not keep the others on a dead worker
                    logger.exception("media.moved: %s not moved", member.peer)
        return MOVED_FOR_BROWSERS

    def stop(self) -> None:
        """End the task; queued events are dropped (nobody is left to receive them)."""
        self._task.cancel()

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
                count = min(len(self._items), self._max_items)
                items = [self._items.popleft() for _ in range(count)]
                try:
                    await self._deliver(items)
                except Exception:
                    logger.exception("fan-out of %s failed", self.slug)

    async def _deliver(self, items: list[tuple[str, str]]) -> None:
        everyone = [text for audience, text in items if audience in "Aa"]
        frame_others = self._frame(everyone)
        if len(everyone) == len(items):
            frame_hosts = frame_others
        else:
            frame_hosts = self._frame([text for audience, text in items if audience not in "Vv"])
            frame_others = self._frame([text for audience, text in items if audience not in "Hh"])
        framed: dict[str, Any] = {}  # each frame is framed once for the whole group
        for member in list(self.members):
            frame = frame_hosts if member.host else frame_others
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
                except Exception:  # loud, and the frame still goes: through ASGI
                    logger.exception("fan-out: direct write to %s failed", member.peer)
                    member.protocol = None
                    await member.write(frame)
            else:
                await member.write(frame)
            self.delivered += 1

    def _frame(self, texts: list[str]) -> str | None:
        if not texts:
            return None
        if len(texts) == 1 or self._batch is None:  # without batch, one text per delivery
            return texts[0]
        return self._batch(texts)
