"""The watch socket, /ws/watch/<slug>/: viewer count, questions and the public chat.

Anyone may connect while the room broadcasts (no account needed); ``?mode=moderate``
is the hosts' moderation panel, allowed to the room's hosts signed in. The messages are
in docs/protocol.md ("Watch page"). Database work goes through services and selectors
in ``database_sync_to_async``; the count comes from ``presence`` without the database.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from streaming.webinar import selectors, services
from streaming.webinar.domain import ratelimit
from streaming.webinar.domain.protocol import (
    Ask,
    ChatSend,
    ChatToggle,
    ClientMessage,
    Moderate,
    ProtocolError,
    encode,
    parse,
)
from streaming.webinar.errors import WatchError
from streaming.webinar.events import Audience, group_name
from streaming.webinar.presence import get_counter

CLOSE_NO_ROOM = 4404
CLOSE_FORBIDDEN = 4403
LANGUAGES = ("vi", "en")

# Per client address and per kind of message ("qa", "chat"), in this process.
_address_buckets: dict[str, ratelimit.AddressBuckets] = {}


def configured_rate() -> ratelimit.Rate:
    """``MEET_WATCH_RATE = (every_secs, burst)``; one question per 20 s, 3 at once."""
    every, burst = getattr(settings, "MEET_WATCH_RATE", (20.0, 3))
    return ratelimit.Rate(every_secs=float(every), burst=int(burst))


def address_buckets(kind: str) -> ratelimit.AddressBuckets:
    """The process's per-address buckets for ``kind``."""
    found = _address_buckets.get(kind)
    if found is None:
        found = _address_buckets[kind] = ratelimit.AddressBuckets(configured_rate())
    return found


def reset_rate_limits() -> None:
    """Forget every address's bucket (tests)."""
    _address_buckets.clear()


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


class WatchConsumer(AsyncJsonWebsocketConsumer):
    """One viewer's (or one host's moderation panel's) connection to a watch page."""

    target: selectors.WatchTarget | None = None
    groups_joined: tuple[str, ...] = ()

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
        self.host = self.moderating
        client = self.scope.get("client") or ("", 0)
        now = time.monotonic()
        rate = configured_rate()
        self.address = str(client[0] or "")
        self.buckets = {
            "qa": ratelimit.Bucket.full(rate, now),
            "chat": ratelimit.Bucket.full(rate, now),
        }
        audience: Audience = "hosts" if self.host else "viewers"
        self.groups_joined = (group_name(target.room_id, audience),)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        hello = await self._hello()
        # Counted only now, so the first count pushed cannot overtake the hello.
        hello["viewers"] = get_counter().join(target.room_id, self, counted=not self.host)
        await self._send(hello)

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
        }

    async def disconnect(self, code: int) -> None:
        if self.target is not None:
            get_counter().leave(self.target.room_id, self)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

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
        if isinstance(message, Ask):
            self._spend("qa")
            question = await database_sync_to_async(services.question_ask)(
                room_id=room, occurrence_id=occurrence, text=message.text, name=message.name
            )
            await self._send({"type": "qa.asked", "id": question})
        elif isinstance(message, ChatSend):
            self._spend("chat")
            await database_sync_to_async(services.chat_post)(
                room_id=room, occurrence_id=occurrence, text=message.text, name=message.name
            )
        elif isinstance(message, Moderate):
            await database_sync_to_async(services.question_moderate)(room_id=room, action=message)
        else:
            await database_sync_to_async(services.chat_toggle)(
                room_id=room, enabled=message.enabled
            )

    def _spend(self, kind: str) -> None:
        """Take a token from this connection's and this address's buckets, or refuse."""
        now = time.monotonic()
        buckets = [self.buckets[kind]]
        if self.address:
            buckets.append(address_buckets(kind).get(self.address, now))
        wait = ratelimit.allow(buckets, now)
        if wait > 0:
            raise WatchError("rate_limited", wait=int(wait + 0.999))

    # -- from the channel layer and the counter ----------------------------------------------

    async def watch_event(self, message: dict[str, Any]) -> None:
        """An event for this room's viewers or hosts (events.notify_watch)."""
        await self._send(message["event"])

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
