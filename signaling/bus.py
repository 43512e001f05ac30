"""The live rooms' fan-out bus: realtime/bus.py with hubs that know the room's roster.

Each process keeps one ``RoomHub`` per live room that has members connected to it
(realtime/hub.py writes each event straight to every member's socket, presence in
``batch`` frames); events travel between processes over Redis pub/sub, one channel per
room, when ``REDIS_URL`` is set. What is the live room's own: the hub follows the
participants and the shared part of a welcome from the events it relays, so a join into a
room of 1,000 reads neither 1,000 rows nor the chat again.

``publish`` may be called from any thread (services call it from the database thread
through ``signaling.events.notify_room`` after the commit).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from realtime.bus import Bus
from realtime.hub import HOSTS, MEMBERS, Hub, Subscriber, moved_event
from realtime.redis import redis_address
from signaling.domain.protocol import batch, encode
from signaling.metrics import ROOM_EVENTS, event_type

__all__ = ["ALL", "HOSTS", "RoomHub", "Subscriber", "announce_moved", "get_bus", "reset_bus"]

ALL = MEMBERS  # every member of the room
CHANNEL_PREFIX = "meet:room:"

_ROSTER_PREFIXES = ('{"type":"participant.', '{"type":"meeting.ended"')
_SHARED_PREFIXES = (
    '{"type":"chat.message"',
    '{"type":"poll.',
    '{"type":"file.shared"',
    '{"type":"deck.added"',
    '{"type":"slides.changed"',
    '{"type":"meeting.ended"',
)


class RoomHub(Hub):
    """The fan-out task of one live room in this process, and the room as it hears it."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug, batch=batch)
        # The room's participants as the events it relays describe them (peer → wire
        # object), so a join in a room of 1,000 does not read 1,000 rows: see roster().
        self.meeting = 0
        self._roster: dict[str, dict[str, Any]] | None = None
        # Each participant's wire object as JSON text, made once while it is unchanged:
        # a welcome into a room of 5,000 joins texts instead of encoding 5,000 objects.
        self._encoded: dict[str, str] = {}
        self._early: list[dict[str, Any]] = []
        # The part of a welcome that is the same for everybody, until an event changes it.
        self.shared_version = 0
        self._shared: tuple[int, dict[str, Any]] | None = None

    def post(self, audience: str, text: str) -> None:
        """Queue an encoded event (on the loop's thread), noting what it changes."""
        ROOM_EVENTS.labels(type=event_type(text)).inc()
        if text.startswith(_ROSTER_PREFIXES):
            self._track(json.loads(text))
        if text.startswith(_SHARED_PREFIXES):
            self.shared_version += 1
            self._shared = None
        super().post(audience, text)

    def roster(self, meeting: int) -> list[dict[str, Any]] | None:
        """The participants of ``meeting`` now, or None until ``load_roster`` for it."""
        if self._roster is None or self.meeting != meeting:
            return None
        return list(self._roster.values())

    def in_roster(self, meeting: int, peer: str) -> bool:
        """Whether ``peer`` is in the roster of ``meeting`` as this hub knows it."""
        return self._roster is not None and self.meeting == meeting and peer in self._roster

    def roster_text(self, meeting: int) -> str | None:
        """``roster(meeting)`` as one encoded JSON array, or None until ``load_roster``."""
        if self._roster is None or self.meeting != meeting:
            return None
        encoded = self._encoded
        texts = []
        for peer, person in self._roster.items():
            text = encoded.get(peer)
            if text is None:
                text = encoded[peer] = encode(person)
            texts.append(text)
        return "[" + ",".join(texts) + "]"

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
        self._encoded = {}
        early, self._early = self._early, []
        for event in early:
            self._apply(event)

    def _track(self, event: dict[str, Any]) -> None:
        if event.get("type") == "meeting.ended":
            self._roster, self._early, self.meeting = None, [], 0
            self._encoded = {}
        elif self._roster is None:
            self._early.append(event)
        else:
            self._apply(event)

    def _apply(self, event: dict[str, Any]) -> None:
        assert self._roster is not None
        kind = event.get("type")
        if kind == "participant.joined":
            peer = event["participant"]["peer"]
            self._roster[peer] = event["participant"]
            self._encoded.pop(peer, None)
        elif kind == "participant.updated":
            peer = event["participant"]["peer"]
            if peer in self._roster:
                self._roster[peer] = event["participant"]
                self._encoded.pop(peer, None)
        elif kind == "participant.left":
            self._roster.pop(event.get("peer", ""), None)
            self._encoded.pop(event.get("peer", ""), None)


_bus: Bus[RoomHub] | None = None


def get_bus() -> Bus[RoomHub]:
    """This process's bus of live rooms (Redis when the channel layer is, else in-process)."""
    global _bus
    if _bus is None:
        _bus = Bus(redis_address(), hub=RoomHub, channel_prefix=CHANNEL_PREFIX)
    return _bus


async def announce_moved(room: str, worker: str) -> None:
    """Tell a live room's sockets, in every process, that its media worker died
    (realtime/media_routes.py reaps it): each drops its route, its page offers again."""
    # From a thread: a process whose bus has no room yet publishes with a blocking client.
    await asyncio.to_thread(get_bus().publish, room, moved_event(worker))


def reset_bus() -> None:
    """Forget the bus (tests switch event loops and settings)."""
    global _bus
    _bus = None
