"""Silent observers: people a room seats for a while without making them its members.

A competition's jurors watch a contestant's lesson in the school's room (issue 15, item
4): in the live room they receive the meeting's media and publish nothing, and cannot
chat, raise a hand, vote or show slides (signaling's ``OBSERVER_FRAMES``). Here, beside
the rooms' other permissions, because neither side may know the other: an app that seats
people registers a source when it starts (its ``AppConfig.ready``), and the live room's
role (``signaling.selectors.live_role``) asks every source. The same people may watch
what was recorded then (``reviews``: the lesson's private recording; the archive asks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rooms.models import Room
from rooms.permissions import AnyUser

# (person, room, time) -> whether the source seats the person in the room at that time.
SeatSource = Callable[[AnyUser, Room, datetime], bool]


class Seats:
    """The sources registered for one kind of seat; any one of them may say yes."""

    def __init__(self) -> None:
        self._sources: list[SeatSource] = []

    def register(self, source: SeatSource) -> SeatSource:
        """Register ``source`` (once, however often an app starts in tests)."""
        if source not in self._sources:
            self._sources.append(source)
        return source

    def ask(self, user: AnyUser, room: Room, when: datetime) -> bool:
        if not user.is_authenticated:
            return False
        return any(source(user, room, when) for source in self._sources)


# Who observes a room's meeting at a moment (a lesson's jurors while it is taught)...
OBSERVERS = Seats()
# ...and who may watch what the room recorded at a time (they, and its organisers, after).
REVIEWERS = Seats()


def observer_source(source: SeatSource) -> SeatSource:
    """Register a source of silent observers."""
    return OBSERVERS.register(source)


def observes(user: AnyUser, room: Room, now: datetime) -> bool:
    """Whether a registered source seats ``user`` as a silent observer of ``room`` now."""
    return OBSERVERS.ask(user, room, now)


def reviewer_source(source: SeatSource) -> SeatSource:
    """Register a source of people who may watch what a room recorded at a time."""
    return REVIEWERS.register(source)


def reviews(user: AnyUser, room: Room, when: datetime) -> bool:
    """Whether a registered source lets ``user`` watch what ``room`` recorded at ``when``."""
    return REVIEWERS.ask(user, room, when)
