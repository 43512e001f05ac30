"""What every part of the live room's consumer shares: its state, its output, the worker.

``RoomSocket`` declares the connection's state (set in ``room.RoomConsumer.connect``) and
how it answers: one ``error`` frame per refusal in the connection's language, a close
code from the realtime core's vocabulary (realtime/errors.py), and messages to the media
worker (mediaworker.wire), which may be down without taking the room with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.utils import translation

from mediaworker import wire
from realtime import media_routes
from realtime.errors import (
    CLOSE_ENDED,
    CLOSE_NO_ROOM,
    CLOSE_TOKEN,
    CLOSE_TOO_FAST,
)
from realtime.hub import Subscriber
from realtime.rates import Limiter
from realtime.sockets import ClosingTolerantSocket
from signaling.domain import protocol as p
from signaling.errors import SignalingError, error_text, protocol_error_text
from signaling.metrics import MESSAGES

logger = logging.getLogger(__name__)

# Which close code each refusal of a join ends with (docs/protocol.md); anything else 4403.
CLOSE_FOR = {
    "token_invalid": CLOSE_TOKEN,
    "token_expired": CLOSE_TOKEN,
    "token_used": CLOSE_TOKEN,
    "slow_down": CLOSE_TOO_FAST,
    "wrong_session": CLOSE_TOKEN,
    "no_room": CLOSE_NO_ROOM,
    "ended": CLOSE_ENDED,
}


def db(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``function`` run in the database thread (Channels closes stale connections there)."""
    return database_sync_to_async(function)


class RoomSocket(ClosingTolerantSocket):
    """One browser in one live room: its state and how it answers."""

    slug: str
    state: str  # new → lobby → joined → closing
    peer: str
    name: str
    identity: str
    role: str
    member: Subscriber | None
    limiter: Limiter
    media_sources: tuple[bool, bool, bool, bool] | None
    address: str
    language: str
    hello_timer: asyncio.TimerHandle | None
    hello_at: float | None  # perf_counter() at hello, until the welcome (the join's latency)
    media_route: media_routes.Route | None  # the room's media worker, once talked to

    async def _admitted(self) -> None:
        """Let this connection in from the lobby (joining.Joining does)."""
        raise NotImplementedError

    # -- output --------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        MESSAGES.labels(direction="out", type=str(message.get("type", "other"))).inc()
        await self.send(text_data=p.encode(message))

    async def _error(
        self, code: str, text: str, *, field: str = "", for_type: str = "", ref: str = ""
    ) -> None:
        await self._send(p.error(code, text, field=field, for_type=for_type, ref=ref))

    async def _fail(self, refused: SignalingError, kind: str, ref: str) -> None:
        with translation.override(self.language):
            text = refused.message
        await self._error(refused.code, text, for_type=kind, ref=ref)

    async def _refuse(
        self, code: str, close_code: int, params: dict[str, object] | None = None
    ) -> None:
        with translation.override(self.language):
            text = error_text(code, params)
        await self._error(code, text)
        await self._close(close_code)

    async def _close(self, close_code: int) -> None:
        if self.state == "closing":
            return
        self.state = "closing"
        await self.close(code=close_code)

    async def _to_worker_control(self, action: Any, *, peer: str = "", target: str = "") -> None:
        await self._to_worker(
            wire.to_worker_control(
                room=self.slug,
                peer=peer or self.peer,
                reply=self.channel_name,
                action=action,
                target=target,
            )
        )

    async def _to_worker(self, message: Any) -> None:
        try:
            await self._send_to_worker(message)
        except Exception:  # the worker may be down; the room goes on without media
            logger.warning(
                "live room %s: %s not delivered to the media worker",
                self.slug,
                message.get("action") or message.get("type"),
            )

    async def _send_to_worker(self, message: Any) -> None:
        """Send to the room's media worker; raises when none can take it."""
        if self.media_route is None and self.state == "closing":
            # A leave after the socket closed books nothing: it finds the room's worker.
            channel = await media_routes.room_channel(self.slug, shared=wire.MEDIA_WORKER_CHANNEL)
            if channel is None:
                raise media_routes.NoMediaWorker(self.slug)
        else:
            if self.media_route is None:
                self.media_route = await media_routes.book(
                    self.slug, media_routes.MEMBER_LOAD, shared=wire.MEDIA_WORKER_CHANNEL
                )
            channel = self.media_route.channel
        await self.channel_layer.send(channel, message)

    def _media_moved(self, worker: str) -> None:
        """The room's media worker died (realtime/hub.py ``on_moved``): the next message
        to the worker (the page's new offer) books the member again on a live one. What
        this socket booked on the dead worker went with it (``Placement.reap``)."""
        route = self.media_route
        if route is not None and route.seat is not None and route.seat.worker == worker:
            self.media_route = None
            media_routes.forget(self.slug, route, media_routes.MEMBER_LOAD)

    async def _give_back_media(self) -> None:
        """The socket closed: its load leaves the worker (its channel stays, for the leave)."""
        route = self.media_route
        if route is not None and route.seat is not None:
            self.media_route = media_routes.Route(route.channel)
            await media_routes.give_back(self.slug, route, media_routes.MEMBER_LOAD)


def protocol_error_text_in(language: str, problem: p.ProtocolError) -> str:
    """Word a protocol error in the connection's language."""
    with translation.override(language):
        return protocol_error_text(problem)
