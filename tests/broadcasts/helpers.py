"""Builders for watch-page tests: a broadcast now, sessions of people, a watch client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timedelta
from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from broadcasts.routing import websocket_urlpatterns
from rooms.models import Room
from scheduling.models import Occurrence
from tests.meetings import one_meeting

ORIGIN = b"http://127.0.0.1"
RECEIVE_TIMEOUT_SECS = 5.0
db = database_sync_to_async


def broadcast_at(
    room: Room,
    *,
    start: datetime,
    minutes: int = 60,
    title: str = "Tập huấn giáo viên dạy Tin học",
    broadcast: bool = True,
) -> Occurrence:
    """A one-meeting session of ``room`` (a webinar unless ``broadcast=False``)."""
    return one_meeting(
        room,
        start=start,
        length=timedelta(minutes=minutes),
        title=title,
        description="Phần 1: Giới thiệu.\nPhần 2: Hỏi đáp.",
        presenters="Cô Nguyễn Thị Lan",
        broadcast=broadcast,
    )


def broadcast_now(room: Room, **fields: Any) -> Occurrence:
    """A broadcast that started ten minutes ago."""
    return broadcast_at(room, start=timezone.now() - timedelta(minutes=10), **fields)


def session_cookie(user: User) -> str:
    """A signed-in session's key for ``user``."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return str(client.cookies["sessionid"].value)


def application() -> Any:
    """The WebSocket stack of meet/asgi.py around the watch routes."""
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


class Watcher:
    """One connection to /ws/watch/<slug>/."""

    def __init__(
        self,
        slug: str,
        *,
        session_key: str = "",
        moderate: bool = False,
        address: str = "203.0.113.7",
        language: str = "vi",
    ) -> None:
        path = f"/ws/watch/{slug}/" + ("?mode=moderate" if moderate else "")
        cookie = f"meet_language={language}"
        if session_key:
            cookie += f"; sessionid={session_key}"
        self.communicator = WebsocketCommunicator(
            application(), path, headers=[(b"origin", ORIGIN), (b"cookie", cookie.encode())]
        )
        self.communicator.scope["client"] = (address, 50000)
        self.hello: dict[str, Any] = {}
        self.count = -1  # the last viewer count heard (hello or push)

    async def open(self) -> Watcher:
        connected, _ = await self.communicator.connect()
        assert connected
        first = await self.receive()
        if first["type"] == "hello":
            self.hello = first
            self.count = first["viewers"]
        else:
            self.hello = {"refused": first}
        return self

    async def send(self, message: dict[str, Any]) -> None:
        await self.communicator.send_to(text_data=json.dumps(message))

    async def send_raw(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self) -> dict[str, Any]:
        raw = await self.communicator.receive_from(timeout=RECEIVE_TIMEOUT_SECS)
        return dict(json.loads(raw))

    async def receive_type(self, kind: str) -> dict[str, Any]:
        """The next message of type ``kind``, skipping viewer counts and others."""
        while True:
            message = await self.receive()
            if message["type"] == kind:
                return message

    async def viewers_reach(self, count: int) -> None:
        """Wait until the pushed viewer count is ``count``."""
        while self.count != count:
            self.count = (await self.receive_type("viewers"))["count"]

    async def nothing_more(self) -> bool:
        """True when no message other than viewer counts is waiting."""
        await asyncio.sleep(0.2)
        while not await self.communicator.receive_nothing(timeout=0.05):
            message = await self.receive()
            if message["type"] != "viewers":
                return False
        return True

    async def closed_with(self) -> int:
        output = await self.communicator.receive_output(timeout=RECEIVE_TIMEOUT_SECS)
        assert output["type"] == "websocket.close"
        return int(output.get("code", 0))

    async def close(self) -> None:
        # A consumer that already closed (refused) or failed has nothing left to say.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self.communicator.disconnect()
