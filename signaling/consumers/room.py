"""The live room's WebSocket consumer: one per browser connection (docs/protocol.md).

It validates every frame (signaling.domain.protocol), rate-limits it, calls one service
through ``database_sync_to_async`` and answers; joins and leaves that queue up go to the
database together (signaling/batch.py). Room events do not pass through here:
services announce them with ``notify_room`` and this process's fan-out hub
(signaling.bus) writes them straight to the member sockets, so a chat line into a room of
1,000 wakes no consumer at all. ``dispatch`` skips Channels' per-message thread hop
(``aclose_old_connections``): handlers reach the database only through
``database_sync_to_async``, which closes stale connections itself.

The consumer never holds a peer connection: ``rtc.*`` frames go to the media worker
(mediaworker.wire) and its answers come back to ``media_signal`` / ``media_event``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from functools import partial
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from django.conf import settings
from django.utils import timezone

from mediaworker import wire
from realtime import logcontext
from realtime.errors import CLOSE_SERVER_ERROR, CLOSE_TIMEOUT, CLOSE_TOO_FAST
from signaling import conf, presence, seats
from signaling.bus import get_bus
from signaling.consumers.actions import Actions
from signaling.consumers.base import db, protocol_error_text_in
from signaling.consumers.control import Control
from signaling.consumers.joining import Joining, leave_batch
from signaling.domain import protocol as p
from signaling.domain.ratelimit import RateLimiter
from signaling.errors import SignalingError
from signaling.metrics import INVALID, MESSAGES
from signaling.models import LiveRole
from signaling.services import reconnects
from signaling.services.joins import Leave

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_SECS = 15.0
CLOSE_NORMAL = 1000  # the page closes with it only when the person leaves
MAX_STRIKES = 50

RTC_LIMITS = p.RtcLimits(
    max_sdp_bytes=wire.MAX_SDP_BYTES,
    max_candidate_bytes=wire.MAX_CANDIDATE_BYTES,
    max_tracks=wire.MAX_TRACKS,
    max_subscribe_peers=wire.MAX_SUBSCRIBE_PEERS,
    sources=wire.SOURCES,
    slots=wire.SLOTS,
)


class RoomConsumer(Joining, Control, Actions):
    """One browser in one live room."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Route a message to its handler without Channels' per-message thread hop."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # -- connection ----------------------------------------------------------------------

    async def connect(self) -> None:
        """Accept, then wait for ``hello`` with the join token."""
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        logcontext.bind(room_slug=self.slug)  # this connection's task: its log lines name it
        self.state = "new"  # new → lobby → joined → closing
        self.peer = ""
        self.name = ""
        self.identity = ""
        self.role = ""
        self.member = None
        self.limiter = RateLimiter(rates=conf.rate_limits())
        self.media_sources = None
        self.media_route = None
        self.hello_at = None
        client = self.scope.get("client") or ("", 0)
        self.address = str(client[0] or "unknown")  # as daphne saw it (meet/ vets proxies)
        cookies = self.scope.get("cookies") or {}
        chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        self.language = chosen if chosen in supported else settings.LANGUAGE_CODE
        await self.accept()
        # A timer, not a sleeping task: nearly every socket says hello in time, and creating
        # and cancelling a task per join cost 2% of daphne's CPU in a storm of joins.
        self.hello_timer = asyncio.get_running_loop().call_later(
            HELLO_TIMEOUT_SECS, self._hello_timeout
        )

    def _hello_timeout(self) -> None:
        if self.state == "new":  # the task is kept: the loop holds tasks only weakly
            self.timed_out = asyncio.ensure_future(self._refuse("hello_timeout", CLOSE_TIMEOUT))

    async def disconnect(self, code: int) -> None:
        """Leave the room: the hub, the database and the media worker — unless the
        connection dropped: then the seat is held for a while (signaling/seats.py)."""
        # The page says goodbye with 1000 (Leave); anything else while in the meeting is
        # a link that went away and may come back (a phone on mobile data, a reload).
        dropped = self.state == "joined" and code != CLOSE_NORMAL
        vanished_at = timezone.now()
        self.state = "closing"
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        if self.member is not None:
            await get_bus().leave(self.slug, self.member)
            self.member = None
        try:
            if not self.peer:
                return
            grace_secs = conf.reconnect_grace_secs()
            if dropped and grace_secs > 0 and await self._away():
                seats.hold(self.peer, secs=grace_secs, leave=partial(self._leave, vanished_at))
                return
            await self._leave(None)
        finally:
            # Booked per socket: a page that comes back books again from its new socket.
            await self._give_back_media()

    async def _away(self) -> bool:
        """Show the participant as reconnecting; False when this connection no longer
        holds it (the page came back on another socket before this one was noticed)."""
        try:
            return bool(
                await db(reconnects.participant_away)(
                    peer=self.peer, channel_name=self.channel_name
                )
            )
        except Exception:
            logger.exception("live room %s: %s not shown as away", self.slug, self.peer)
            return True  # the seat is still held; only the others' lists miss it

    async def _leave(self, vanished_at: datetime | None) -> None:
        """Give up the participant (counted as gone from ``vanished_at``, else now)."""
        presence.forget(self.peer, self.channel_name)
        try:
            departure = await leave_batch(Leave(self.peer, self.channel_name, vanished_at))
        except Exception:
            logger.exception("live room %s: leave of %s failed", self.slug, self.peer)
            return
        if departure.media:
            await self._to_worker_control("leave", peer=self.peer)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Like Channels' but without group bookkeeping (this consumer uses no groups)."""
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    # -- frames from the browser ---------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Validate, rate-limit and handle one frame; answer problems with ``error``."""
        if self.state == "closing":
            return
        try:
            message = p.parse_client(text_data, rtc=RTC_LIMITS)
        except p.ProtocolError as problem:
            MESSAGES.labels(direction="in", type=INVALID).inc()
            if await self._strike():
                return  # closed: nothing more is said to it (its disconnect does the leave)
            await self._error(
                problem.code,
                protocol_error_text_in(self.language, problem),
                field=problem.field,
                for_type=problem.type,
                ref=problem.ref,
            )
            return
        kind = message.signal["type"] if isinstance(message, p.RtcSignal) else message.type
        MESSAGES.labels(direction="in", type=kind).inc()
        if kind != "hello" and not self.limiter.allow(kind, time.monotonic()):
            if await self._strike():
                return
            await self._fail(SignalingError("rate_limited"), kind, message.ref)
            return
        await self._handle(message, kind)

    async def _strike(self) -> bool:
        """Count a refused frame; True when it was one too many and the socket is closed."""
        self.limiter.strikes += 1
        if self.limiter.strikes >= MAX_STRIKES:
            await self._refuse("rate_limited", CLOSE_TOO_FAST)
            return True
        return False

    async def _handle(self, message: p.ClientMessage, kind: str) -> None:
        if isinstance(message, p.Ping):
            await self._send({"type": "pong", **({"ref": message.ref} if message.ref else {})})
            return
        if isinstance(message, p.Hello):
            if self.state != "new":
                await self._fail(SignalingError("already_joined"), kind, message.ref)
                return
            try:
                await self._hello(message)
            except Exception:  # the detail goes to the log, a sentence to the browser
                logger.exception("live room %s: hello failed", self.slug)
                await self._refuse("server_error", CLOSE_SERVER_ERROR)
            return
        if self.state != "joined":
            code = "hello_first" if self.state == "new" else "not_joined"
            await self._fail(SignalingError(code), kind, message.ref)
            return
        if self.role == LiveRole.OBSERVER and not p.observer_may_send(message):
            await self._fail(SignalingError("observer_silent"), kind, message.ref)
            return
        handler = self._handlers().get(type(message))
        if handler is None:  # every parsed type has a handler; this guards future ones
            await self._fail(SignalingError("unknown_type", type=kind), kind, message.ref)
            return
        try:
            await handler(message)
        except SignalingError as refused:
            await self._fail(refused, kind, message.ref)
        except Exception:
            logger.exception("live room %s: %s from %s failed", self.slug, kind, self.peer)
            await self._fail(SignalingError("server_error"), kind, message.ref)
