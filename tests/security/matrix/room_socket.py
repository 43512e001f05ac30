"""Drive the live room's socket (/ws/rooms/<slug>/) as every role and judge each message.

Tokens come from the real ``/phong/live/token`` view with each role's session; frames go
through meet.routing's stack (tests/signaling/live.py). After each frame a ``ping`` with
its own ref: answers come in order, so everything the frame caused has arrived with the
``pong``. A refused frame must answer ``forbidden``/``forbidden_presenter`` and leave the
meeting's state as it was.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client
from django.utils import timezone

from signaling.models import LiveRoomSettings, Meeting, Participant, Poll, SlideDeck, SlidePage
from tests.security.matrix import roles as r
from tests.security.matrix.sockets import JOINED, REFUSED_CODES, ROOM_FRAMES, ROOM_RULES
from tests.security.matrix.world import World
from tests.signaling.live import Live

db = database_sync_to_async


class Broken(Exception):
    """A socket closed or went silent: a missed refusal usually (an ended meeting, a
    removed participant). The matrix stops there and reports what it found."""


_token_client: Client | None = None


def join_token(world: World, role: str) -> str:
    """The token the live page would get for ``role``, or "" when refused."""
    global _token_client
    _token_client = _token_client or Client()  # made once: a Client loads the middleware
    client = _token_client
    client.cookies.clear()
    key = world.session_keys.get(role, "")
    if key:
        client.cookies[settings.SESSION_COOKIE_NAME] = key
    response = client.get("/phong/live/token")
    return str(json.loads(response.content)["token"]) if response.status_code == 200 else ""


def snapshot(meeting_id: int) -> tuple[Any, ...]:
    """What a host-only message would change in a meeting."""
    meeting = Meeting.objects.get(pk=meeting_id)
    people = sorted(
        Participant.objects.filter(meeting_id=meeting_id).values_list(
            "peer", "state", "presenter", "audio_on", "video_on", "hand_raised_at"
        )
    )
    lobby = LiveRoomSettings.objects.filter(room_id=meeting.room_id).first()
    polls = sorted(Poll.objects.filter(meeting_id=meeting_id).values_list("id", "closed_at"))
    return (
        meeting.ended_at,
        meeting.locked,
        meeting.slide_deck_id,
        meeting.slide_page,
        lobby.lobby_enabled if lobby else False,
        people,
        polls,
    )


class RoomDriver:
    """The sockets of every role in the main room's meeting."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.room = world.rooms["main"]
        self.sockets: dict[str, Live] = {}
        self.context: dict[str, Any] = {"peers": {}}
        self.problems: list[str] = []

    async def join(self, role: str) -> Live | None:
        token = await db(join_token)(self.world, role)
        if not token:
            return None
        live = Live(self.room, session_key=self.world.session_keys[role], token=token)
        await live.join()
        self.sockets[role] = live
        self.context["peers"][role] = live.peer
        return live

    async def exchange(self, live: Live, frame: dict[str, Any], ref: str) -> list[dict[str, Any]]:
        """Send ``frame``; return what answered it (by ref) once its ping came back."""
        await live.send({**frame, "ref": ref})
        await live.send({"type": "ping", "ref": f"{ref}:sync"})
        answers: list[dict[str, Any]] = []
        while True:
            message = await live.next()
            if message["type"] == "pong" and message.get("ref") == f"{ref}:sync":
                return answers
            if message.get("ref") == ref:
                answers.append(message)

    async def setup(self) -> int:
        """Everyone joins; a presenter, raised hands, a poll, a deck, open media."""
        for role in r.ROLES:
            live = await self.join(role)
            if (live is None) == (role in JOINED):
                self.problems.append(f"ws join: {role}: {'refused' if live is None else 'LEAK'}")
        host = self.sockets[r.HOST]
        meeting_id = await db(self._meeting_id)()
        peers = self.context["peers"]
        for frame in (
            {"type": "mod.presenter", "peer": peers[r.PRESENTER], "on": True},
            {"type": "poll.create", "question": "Họp tiếp?", "options": ["Có", "Không"]},
            {"type": "hand.raise"},
        ):
            await self.exchange(host, frame, f"setup:{frame['type']}")
        await self.exchange(
            self.sockets[r.PARTICIPANT],
            {"type": "media.state", "audio": True, "video": True},
            "setup:media",
        )
        self.context["poll"], self.context["deck"] = await db(self._poll_and_deck)(meeting_id)
        await self.forged()
        return meeting_id

    async def forged(self) -> None:
        """A join token works only in its own room and with its own browser session."""
        token = await db(join_token)(self.world, r.GUEST)
        other_room = self.world.rooms["other"]
        attempts = {
            "another room's socket": Live(
                other_room, session_key=self.world.session_keys[r.GUEST], token=token
            ),
            "another person's session": Live(
                self.room, session_key=self.world.session_keys[r.PARTICIPANT], token=token
            ),
        }
        for what, live in attempts.items():
            await live.open()
            first = await live.hello()
            if first["type"] != "error" or await live.closed() != 4401:
                self.problems.append(f"ws hello with the guest's token, {what}: LEAK {first}")
                await live.close()

    def _meeting_id(self) -> int:
        return Meeting.objects.filter(room=self.room, ended_at__isnull=True).latest("pk").pk

    def _poll_and_deck(self, meeting_id: int) -> tuple[int, int]:
        poll = Poll.objects.filter(meeting_id=meeting_id).latest("pk").pk
        deck = SlideDeck.objects.create(
            meeting_id=meeting_id, by_name="host", title="Bài", page_count=1
        )
        SlidePage.objects.create(deck=deck, number=1, image="x.png", width=16, height=9)
        return poll, deck.pk

    async def check(self, key: str, role: str, meeting_id: int) -> None:
        """One cell: ``role`` sends the frame of ``key``."""
        allowed = role in ROOM_RULES[key]
        before = await db(snapshot)(meeting_id)
        frame = ROOM_FRAMES[key](self.context, allowed)
        try:
            answers = await self.exchange(self.sockets[role], frame, f"{key}:{role}")
        except (AssertionError, TimeoutError) as exc:
            verdict = "LEAK — not refused" if not allowed else "no answer"
            raise Broken(f"ws {key}: {role}: {verdict}; a socket closed ({exc})") from exc
        refused = any(a["type"] == "error" and a.get("code") in REFUSED_CODES for a in answers)
        if allowed and refused:
            self.problems.append(f"ws {key}: {role}: refused ({answers})")
        elif not allowed and not refused:
            self.problems.append(f"ws {key}: {role}: LEAK — not refused ({answers})")
        elif not allowed and before != await db(snapshot)(meeting_id):
            self.problems.append(f"ws {key}: {role}: LEAK — the meeting changed")

    async def end_by_each_host(self) -> None:
        """mod.end, allowed to every host: each ends a meeting (the next join opens one)."""
        await self.close_all()
        for role in sorted(r.HOSTS):
            live = await self.join(role)
            assert live is not None
            meeting_id = await db(self._meeting_id)()
            await live.send({"type": "mod.end", "ref": f"mod.end:{role}"})
            await live.closed()  # the meeting is over for everyone, its host included
            answers = [m for m in live.inbox if m.get("ref") == f"mod.end:{role}"]
            ended = await db(_ended_at)(meeting_id)
            if answers or ended is None:
                self.problems.append(f"ws mod.end: {role}: refused ({answers})")
            await self.close_all()

    async def close_all(self) -> None:
        for live in self.sockets.values():
            try:
                await live.close()
            except BaseException:  # a socket the server closed already
                pass
        self.sockets.clear()


def _ended_at(meeting_id: int) -> object:
    return Meeting.objects.get(pk=meeting_id).ended_at


def restore(world: World, ended: bool) -> None:
    """Drop the meetings the sockets made; the world's meeting ends or opens again."""
    room = world.rooms["main"]
    Meeting.objects.filter(room=room).exclude(pk=world.meeting.pk).delete()
    Meeting.objects.filter(pk=world.meeting.pk).update(ended_at=timezone.now() if ended else None)
    LiveRoomSettings.objects.filter(room=room).delete()
