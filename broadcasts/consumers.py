"""The watch socket, /ws/watch/<slug>/: viewer count, questions and the public chat.

Anyone may connect while the room broadcasts (no account needed); ``?mode=moderate``
is the hosts' moderation panel, allowed to the room's hosts signed in. The messages are
in docs/protocol.md ("Watch page"). Database work goes through services and selectors
in ``database_sync_to_async``; the count comes from ``presence`` without the database.
Events (``events.notify_watch``) do not pass through here: the realtime core's bus writes
them straight to the socket, as it does for the live room.

A viewer who watches over WebRTC sends ``rtc.offer`` and ``rtc.ice``: they are relayed to
the media worker as a receive-only viewer of the room (mediaworker/wire.py), and the
worker's answer comes back to this consumer's channel (``media_signal``). The worker
decides whether the viewer gets a seat; the page falls back to HLS when it does not.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from broadcasts import limits, selectors, services
from broadcasts.domain.protocol import (
    Ask,
    ChatSend,
    ChatToggle,
    ClientMessage,
    Moderate,
    ProtocolError,
    RtcIce,
    RtcOffer,
    encode,
    parse,
)
from broadcasts.errors import WatchError
from broadcasts.events import get_watch_bus, group_name
from broadcasts.presence import get_counter
from mediaworker import wire
from realtime import media_routes
from realtime import rates as ratelimit
from realtime.errors import CLOSE_NO_ROOM, CLOSE_REFUSED
from realtime.hub import Subscriber, direct_send
from realtime.sockets import ClosingTolerantSocket

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = CLOSE_REFUSED  # the moderation panel, for someone who is not a host
LANGUAGES = ("vi", "en")
# Each offer costs the media worker a peer connection: a reload or a network change
# needs one, a loop of them must not. Candidates: a browser gathers a handful per offer.
OFFER_RATE = ratelimit.Rate(every_secs=5.0, burst=3)
MAX_CANDIDATES_PER_OFFER = 32


def reset_rate_limits() -> None:
    """Forget every address's bucket (tests)."""
    limits.reset_limits()


def _language(scope: dict[str, Any]) -> str:
    headers = dict(scope.get("headers") or [])
    cookies = headers.get(b"cookie", b"").decode("latin-1")
    for part in cookies.split(";"):
        name, _, value = part.strip().partition("=")
        if name == settings.LANGUAGE_COOKIE_NAME and value in LANGUAGES:
            return value
    accepted = headers.get(b"accept-language", b"").decode("latin-1").lower()
    first = accepted.split(",")[0].strip()
    return "en" if first.startswith("en") else settings.LANGUAGE_CODE


class WatchConsumer(ClosingTolerantSocket):
    """One viewer's (or one host's moderation panel's) connection to a watch page."""

    target: selectors.WatchTarget | None = None
    member: Subscriber | None = None  # this socket in the room's group of the watch bus
    viewer_peer = ""  # this viewer's id on the media worker, once it offered
    media_route: media_routes.Route | None = None  # the room's worker, once offered to
    candidates = 0  # since the last offer

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        self.moderating = query.get("mode") == ["moderate"]
        self.language = _language(self.scope)
        user = self.scope.get("user") or AnonymousUser()
        target = await database_sync_to_async(selectors.watch_target)(slug=slug, user=user)
        await self.accept()
        if target is None or not (target.open or (self.moderating and target.host)):
            await self._refuse("not_live", CLOSE_NO_ROOM)
            return
        if self.moderating and not target.host:
            await self._refuse("forbidden", CLOSE_FORBIDDEN)
            return
        self.target = target
        self.slug = slug
        self.host = self.moderating
        client = self.scope.get("client") or ("", 0)
        now = time.monotonic()
        rate = limits.configured_rate()
        self.address = str(client[0] or "")
        self.buckets = {
            "qa": ratelimit.Bucket.full(rate, now),
            "chat": ratelimit.Bucket.full(rate, now),
            "rtc": ratelimit.Bucket.full(OFFER_RATE, now),
        }
        # In the group before reading the room: events meanwhile wait until after hello.
        self.member = Subscriber(
            peer=self.channel_name,
            host=self.host,
            send=direct_send(self.base_send),
            on_moved=self._media_moved,
        )
        await get_watch_bus().join(group_name(target.room_id), self.member)
        hello = await self._hello()
        # Counted only now, so the first count pushed cannot overtake the hello.
        hello["viewers"] = get_counter().join(target.room_id, self, counted=not self.host)
        await self._send(hello)
        await self.member.go_live()

    async def _hello(self) -> dict[str, Any]:
        assert self.target is not None
        room, occurrence = self.target.room_id, self.target.occurrence_id
        questions = await database_sync_to_async(selectors.questions_for)(
            room, occurrence, host=self.host
        )
        enabled = await database_sync_to_async(selectors.chat_enabled)(room)
        chat = await database_sync_to_async(selectors.chat_recent)(room, occurrence)
        return {
            "type": "hello",
            "role": "host" if self.host else "viewer",
            "viewers": 0,
            "questions": questions,
            "chat": {"enabled": enabled, "messages": chat if enabled or self.host else []},
            # For watching over WebRTC (TURN credentials when the server has TURN).
            "ice_servers": []
            if self.host
            else wire.browser_ice_servers(self.channel_name[-12:], viewer=True),
        }

    async def disconnect(self, code: int) -> None:
        if self.viewer_peer:  # the worker lets the viewer's peer connection go
            await self._to_worker(
                wire.to_worker_control(
                    room=self.slug, peer=self.viewer_peer, reply=self.channel_name, action="leave"
                )
            )
        if self.media_route is not None:
            await media_routes.give_back(self.slug, self.media_route, media_routes.VIEWER_LOAD)
            self.media_route = None
        if self.target is not None:
            get_counter().leave(self.target.room_id, self)
        if self.member is not None and self.target is not None:
            await get_watch_bus().leave(group_name(self.target.room_id), self.member)
            self.member = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.target is None:
            return
        try:
            message = parse(text_data or "")
        except ProtocolError as problem:
            await self._error(WatchError(problem.code, limit=problem.limit))
            return
        try:
            await self._handle(message)
        except WatchError as refused:
            await self._error(refused)

    async def _handle(self, message: ClientMessage) -> None:
        assert self.target is not None
        room, occurrence = self.target.room_id, self.target.occurrence_id
        if isinstance(message, Moderate | ChatToggle) and not self.host:
            raise WatchError("forbidden")
        if isinstance(message, RtcOffer | RtcIce):
            await self._rtc(message)
        elif isinstance(message, Ask):
            await self._spend("qa")
            question = await database_sync_to_async(services.question_ask)(
                room_id=room, occurrence_id=occurrence, text=message.text, name=message.name
            )
            await self._send({"type": "qa.asked", "id": question})
        elif isinstance(message, ChatSend):
            await self._spend("chat")
            await database_sync_to_async(services.chat_post)(
                room_id=room, occurrence_id=occurrence, text=message.text, name=message.name
            )
        elif isinstance(message, Moderate):
            await database_sync_to_async(services.question_moderate)(room_id=room, action=message)
        else:
            await database_sync_to_async(services.chat_toggle)(
                room_id=room, enabled=message.enabled
            )

    async def _rtc(self, message: RtcOffer | RtcIce) -> None:
        """Relay a viewer's WebRTC message to the media worker."""
        if self.host:
            raise WatchError("forbidden")  # the moderation panel does not play the video
        if isinstance(message, RtcOffer):
            wait = ratelimit.allow([self.buckets["rtc"]], time.monotonic())
            if wait > 0:
                raise WatchError("rate_limited", wait=int(wait + 0.999))
            self.viewer_peer = self.viewer_peer or "w" + secrets.token_hex(8)
            self.candidates = 0
            signal: dict[str, Any] = {"type": "rtc.offer", "sdp": message.sdp}
        else:
            if not self.viewer_peer or self.candidates >= MAX_CANDIDATES_PER_OFFER:
                return  # nothing to add it to; a flood is dropped quietly
            self.candidates += 1
            signal = {"type": "rtc.ice", "candidate": message.candidate}
        await self._to_worker(
            wire.to_worker_signal(
                room=self.slug,
                peer=self.viewer_peer,
                reply=self.channel_name,
                name="",
                signal=signal,  # type: ignore[arg-type]
                viewer=True,
            )
        )

    async def _to_worker(self, message: Any) -> None:
        try:
            if self.media_route is None:  # the broadcast's worker, the viewer's load booked
                self.media_route = await media_routes.book(
                    self.slug, media_routes.VIEWER_LOAD, shared=wire.MEDIA_WORKER_CHANNEL
                )
            await self.channel_layer.send(self.media_route.channel, message)
        except Exception:  # the page falls back to HLS when no answer comes
            logger.warning("watch %s: media worker unreachable", self.slug, exc_info=True)

    def _media_moved(self, worker: str) -> None:
        """The broadcast's media worker died (realtime/hub.py ``on_moved``): the page's
        next offer books this viewer on a live one (the dead one's books went with it)."""
        route = self.media_route
        if route is not None and route.seat is not None and route.seat.worker == worker:
            self.media_route = None
            media_routes.forget(self.slug, route, media_routes.VIEWER_LOAD)

    async def _spend(self, kind: str) -> None:
        """Take a token from this connection's and this address's buckets, or refuse.

        The address's bucket is shared by every web process (``limits``); the
        connection's is checked first so a refused tab costs the address nothing.
        """
        bucket, now = self.buckets[kind], time.monotonic()
        wait = 0.0 if bucket.ready(now) else bucket.wait_secs(now)
        if wait <= 0 and self.address:
            wait = await limits.get_limits().spend(kind, self.address)
        if wait > 0:
            raise WatchError("rate_limited", wait=int(wait + 0.999))
        bucket.take()

    # -- from the media worker and the counter (events come through the bus) ------------------

    async def media_signal(self, message: dict[str, Any]) -> None:
        """The media worker's answer to this viewer (wire.FromWorkerSignal)."""
        signal = message.get("signal")
        if (
            message.get("peer") == self.viewer_peer
            and isinstance(signal, dict)
            and signal.get("type") in wire.WORKER_RTC_TYPES
        ):
            await self._send(signal)

    async def media_event(self, message: dict[str, Any]) -> None:
        """Room events are for participants; a viewer gets none (kept for safety)."""

    async def viewers_changed(self, total: int) -> None:
        """The room's viewer total changed (presence.ViewerCounter)."""
        await self._send({"type": "viewers", "count": total})

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=encode(message))

    async def _error(self, refused: WatchError) -> None:
        with translation.override(self.language):
            text = refused.message
        await self._send({"type": "error", "code": refused.code, "message": text})

    async def _refuse(self, code: str, close_code: int) -> None:
        await self._error(WatchError(code))
        await self.close(code=close_code)
