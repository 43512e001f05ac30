"""Helpers for live-room tests: sessions, join tokens and a protocol-speaking client."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from mediaworker.wire import MEDIA_WORKER_CHANNEL
from rooms.models import Room
from signaling.domain.protocol.messages import PROTOCOL_VERSION
from signaling.services.tokens import JoinClaims, join_token_issue, session_fingerprint
from signaling.views import GUESTS_SESSION_KEY

ORIGIN = b"http://127.0.0.1"
RECEIVE_TIMEOUT_SECS = 5.0


def application() -> Any:
    """The WebSocket stack of meet/asgi.py, without the media worker."""
    from meet.routing import websocket_urlpatterns

    return AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))


def member_session(user: User) -> str:
    """A signed-in session for ``user``; returns its key."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return str(client.cookies["sessionid"].value)


def guest_session(room: Room, name: str) -> tuple[str, str]:
    """A guest's session for ``room``; returns (session key, guest key)."""
    key = secrets.token_urlsafe(8)
    store = SessionStore()
    store[GUESTS_SESSION_KEY] = {str(room.pk): {"key": key, "name": name}}
    store.create()
    return str(store.session_key), key


def token_for(
    room: Room,
    *,
    session_key: str,
    role: str,
    name: str,
    user: User | None = None,
    guest_key: str = "",
) -> str:
    """A join token as the room page would issue it."""
    identity = f"u:{user.pk}" if user is not None else f"g:{guest_key}"
    return join_token_issue(
        JoinClaims(
            room=room.pk,
            slug=room.slug,
            identity=identity,
            user_id=user.pk if user is not None else None,
            name=name,
            role=role,
            session=session_fingerprint(session_key),
        )
    )


def fresh_token(token: str) -> str:
    """A new token with the same claims (a token opens one connection only)."""
    from dataclasses import replace

    from django.core import signing

    from signaling.services.tokens import SALT

    claims = JoinClaims(**signing.loads(token, salt=SALT))
    return join_token_issue(replace(claims, nonce=""))


class Live:
    """One browser's connection, speaking the protocol."""

    def __init__(
        self,
        room: Room,
        *,
        session_key: str,
        token: str,
        origin: bytes = ORIGIN,
        address: str = "127.0.0.1",
    ):
        self.room = room
        self.token = token
        self.session_key = session_key
        self.communicator = WebsocketCommunicator(
            application(),
            f"/ws/rooms/{room.slug}/",
            headers=[(b"origin", origin), (b"cookie", f"sessionid={session_key}".encode())],
        )
        self.communicator.scope["client"] = (address, 50000)  # as daphne would set it
        self.inbox: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}
        self.peer = ""

    async def open(self) -> None:
        connected, _ = await self.communicator.connect()
        assert connected

    async def send(self, message: dict[str, Any]) -> None:
        await self.communicator.send_json_to(message)

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def hello(self, *, resume: str = "") -> dict[str, Any]:
        """Send hello; return the first answer (welcome, lobby.waiting or error)."""
        message: dict[str, Any] = {"type": "hello", "v": PROTOCOL_VERSION, "token": self.token}
        if resume:
            message["resume"] = resume
        await self.send(message)
        first = await self.next()
        if first["type"] == "welcome":
            self.welcome = first
            self.peer = first["you"]["peer"]
        elif first["type"] == "lobby.waiting":
            self.peer = first["peer"]
        return first

    async def join(self) -> dict[str, Any]:
        await self.open()
        answer = await self.hello()
        assert answer["type"] == "welcome", answer
        return answer

    async def next(self, timeout: float = RECEIVE_TIMEOUT_SECS) -> dict[str, Any]:
        """The next message (batches unpacked)."""
        while not self.inbox:
            frame = await self.communicator.receive_from(timeout=timeout)
            data = json.loads(frame)
            if data.get("type") == "batch":
                self.inbox.extend(data["messages"])
            else:
                self.inbox.append(data)
        return self.inbox.pop(0)

    async def expect(
        self,
        type_: str,
        timeout: float = RECEIVE_TIMEOUT_SECS,
        where: Callable[[dict[str, Any]], bool] | None = None,
        **match: Any,
    ) -> dict[str, Any]:
        """Skip messages until one of ``type_`` (matching ``match`` and ``where``) arrives."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {type_} {match} arrived")
            message = await self.next(timeout=left)
            if (
                message["type"] == type_
                and all(message.get(k) == v for k, v in match.items())
                and (where is None or where(message))
            ):
                return message

    async def closed(self, timeout: float = RECEIVE_TIMEOUT_SECS) -> int:
        """Wait for the server to close; return the close code."""
        while True:
            output = await self.communicator.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return int(output.get("code", 1000))
            if output["type"] == "websocket.send":
                data = json.loads(output["text"])
                self.inbox.extend(data["messages"] if data.get("type") == "batch" else [data])

    async def drain(self, timeout: float = 0.3) -> list[dict[str, Any]]:
        """Every message that arrives within ``timeout``."""
        got = []
        while self.inbox or not await self.communicator.receive_nothing(timeout=timeout):
            got.append(await self.next())
        return got

    async def nothing(self, timeout: float = 0.2) -> None:
        assert not self.inbox, self.inbox
        assert await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


async def worker_messages(timeout: float = 0.5) -> list[dict[str, Any]]:
    """What the consumers sent to the media worker so far."""
    layer = get_channel_layer()
    found = []
    while True:
        try:
            found.append(await asyncio.wait_for(layer.receive(MEDIA_WORKER_CHANNEL), timeout))
        except TimeoutError:
            return found


db = database_sync_to_async
