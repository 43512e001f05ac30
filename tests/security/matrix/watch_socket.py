"""Drive the watch page's socket (/ws/watch/<slug>/) as every role and judge each message.

The room broadcasts now (committed for the consumer's threads, removed afterwards). Every
role connects as a viewer; the room's hosts also open the moderation panel. The watch
protocol has no ping: an unknown type answers ``unknown_type`` at once, so it marks where
the answers to the frame before it end.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from broadcasts.models import PublicChatMessage, Question, WatchSettings
from scheduling.models import Session
from tests.broadcasts.helpers import Watcher, broadcast_at
from tests.security.matrix import roles as r
from tests.security.matrix.room_socket import Broken
from tests.security.matrix.sockets import MODERATING, REFUSED_CODES, WATCH_FRAMES, WATCH_RULES
from tests.security.matrix.world import World

db = database_sync_to_async
SYNC = {"type": "matrix.sync"}


def broadcast_on(world: World) -> tuple[int, int]:
    """The main room broadcasts now, with one question waiting: (question id, session id)."""
    room = world.rooms["main"]
    occurrence = broadcast_at(room, start=timezone.now() - timedelta(minutes=10))
    question = Question.objects.create(
        room=room, occurrence=occurrence, text="Bao giờ có tài liệu?", asker_name="Lan"
    )
    return question.pk, occurrence.session_id


def broadcast_off(world: World, session_id: int) -> None:
    """Remove what ``broadcast_on`` and the sockets made."""
    room = world.rooms["main"]
    Question.objects.filter(room=room).delete()
    PublicChatMessage.objects.filter(room=room).delete()
    WatchSettings.objects.filter(room=room).delete()
    Session.objects.filter(pk=session_id).delete()


def snapshot(question_id: int, room_id: int) -> tuple[Any, ...]:
    """What a host-only message would change: the question and the chat switch."""
    question = Question.objects.values_list("state", "highlighted", "answer").get(pk=question_id)
    chat = WatchSettings.objects.filter(room_id=room_id, chat_enabled=True).exists()
    return (question, chat)


class WatchDriver:
    """One watcher per role, and a moderation panel per host."""

    def __init__(self, world: World, question: int) -> None:
        self.world = world
        self.context: dict[str, Any] = {"question": question}
        self.sockets: dict[str, Watcher] = {}
        self.problems: list[str] = []

    async def open(self, role: str, *, moderate: bool, number: int) -> Watcher:
        key = self.world.session_keys.get(role, "")
        watcher = Watcher(
            "phong", session_key=key, moderate=moderate, address=f"198.51.100.{number}"
        )
        return await watcher.open()

    async def setup(self) -> None:
        """Every role watches; hosts moderate; others are refused the moderation panel."""
        for number, role in enumerate(r.ROLES, start=1):
            self.sockets[role] = await self.open(role, moderate=False, number=number)
            panel = await self.open(role, moderate=True, number=100 + number)
            name = f"{role}+moderating"
            refused = "refused" in panel.hello
            if refused != (name not in MODERATING):
                self.problems.append(f"ws watch moderate: {role}: {panel.hello}")
            if refused:
                await panel.close()
            else:
                self.sockets[name] = panel

    async def exchange(self, watcher: Watcher, frame: dict[str, Any]) -> list[dict[str, Any]]:
        """Send ``frame``; return the errors it caused (those before the sync's answer)."""
        await watcher.send(frame)
        await watcher.send(SYNC)
        errors: list[dict[str, Any]] = []
        while True:
            message = await watcher.receive()
            if message["type"] != "error":
                continue
            if message.get("code") == "unknown_type":
                return errors
            errors.append(message)

    async def check(self, key: str, name: str) -> None:
        """One cell: connection ``name`` sends the frame of ``key``."""
        allowed = name in WATCH_RULES[key]
        room_id = self.world.rooms["main"].pk
        question = self.context["question"]
        before = await db(snapshot)(question, room_id)
        frame = WATCH_FRAMES[key](self.context, allowed)
        try:
            errors = await self.exchange(self.sockets[name], frame)
        except (AssertionError, TimeoutError) as exc:
            raise Broken(f"ws watch {key}: {name}: a socket closed or hung ({exc})") from exc
        refused = any(e.get("code") in REFUSED_CODES for e in errors)
        if allowed and refused:
            self.problems.append(f"ws watch {key}: {name}: refused ({errors})")
        elif not allowed and not refused:
            self.problems.append(f"ws watch {key}: {name}: LEAK — not refused ({errors})")
        elif not allowed and before != await db(snapshot)(question, room_id):
            self.problems.append(f"ws watch {key}: {name}: LEAK — the question or chat changed")

    async def close_all(self) -> None:
        for watcher in self.sockets.values():
            await watcher.close()
