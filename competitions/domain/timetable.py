"""Placing contestants' lessons into slots: rooms and panels never double-booked.

A slot is ``lesson`` long and followed by ``buffer`` (the room is reset, the jury writes
its notes), so two lessons in one room, or before one panel, are at least ``buffer``
apart. The same padding keeps a lesson clear of the room's other meetings. Overlaps are
found by the scheduling engine's sweep (``scheduling.domain.conflicts``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from scheduling.domain.conflicts import Slot, find_conflicts

# Ids of the caller's choosing (database ids in the app, names in the tests).
Key = Any


@dataclass(frozen=True)
class Entrant:
    """A contestant to place: their school, and the panel (the subject's jury) that watches."""

    key: Key
    school: Key
    panel: Key


@dataclass(frozen=True)
class Placement:
    """One lesson: who teaches, in which room, when."""

    key: Key
    room: Key
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Booking:
    """A meeting the room already holds (from the scheduler)."""

    room: Key
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Plan:
    """Where and when lessons may be held."""

    rooms: tuple[Key, ...]
    days: tuple[date, ...]
    day_start: time
    day_end: time
    lesson: timedelta
    buffer: timedelta
    zone: ZoneInfo
    bookings: tuple[Booking, ...] = ()


@dataclass(frozen=True)
class Timetable:
    """The placements in time order, and whoever did not fit."""

    placements: tuple[Placement, ...]
    unplaced: tuple[Key, ...] = field(default=())


def _padded(start: datetime, end: datetime, buffer: timedelta, key: Key = None) -> Slot:
    """A lesson with its buffer after it: two padded lessons overlap iff they are too close."""
    return Slot(start, end + buffer, key)


def _booked(plan: Plan, room: Key, start: datetime, end: datetime) -> bool:
    around = [Slot(start - plan.buffer, end + plan.buffer)]
    theirs = [Slot(b.start, b.end) for b in plan.bookings if b.room == room]
    return bool(find_conflicts(around, theirs, limit=1))


def grid(plan: Plan) -> list[tuple[datetime, Key]]:
    """Every (start, room) a lesson may take, in time order then in the rooms' order."""
    found: list[tuple[datetime, Key]] = []
    step = plan.lesson + plan.buffer
    if plan.lesson <= timedelta(0) or plan.buffer < timedelta(0):
        return found
    for day in sorted(set(plan.days)):
        start = datetime.combine(day, plan.day_start, tzinfo=plan.zone)
        closing = datetime.combine(day, plan.day_end, tzinfo=plan.zone)
        while start + plan.lesson <= closing:
            end = start + plan.lesson
            found += [(start, room) for room in plan.rooms if not _booked(plan, room, start, end)]
            start += step
    return found


def generate(entrants: Sequence[Entrant], plan: Plan) -> Timetable:
    """Fill the earliest free slots, one school's contestants not back to back where avoidable.

    Slots are taken in time order. For each, among the contestants whose panel is free by
    then, it takes one of a school other than the previous lesson's in that room, from the
    school with the most contestants left (so the largest school is spread out, the way one
    rearranges letters so no two alike touch), then the earliest registered. When only the
    previous lesson's school is ready and enough slots remain for everyone left, the slot
    stays empty: the two lessons are then no longer back to back.
    """
    left = list(entrants)
    per_school = Counter(e.school for e in left)
    panel_free: dict[Key, datetime] = {}
    previous: dict[tuple[Key, date], Key] = {}
    placed: list[Placement] = []
    positions = grid(plan)
    for index, (start, room) in enumerate(positions):
        if not left:
            break
        day = start.astimezone(plan.zone).date()
        ready = [e for e in left if panel_free.get(e.panel, start) <= start]
        before = previous.pop((room, day), _NOBODY)
        if not ready:
            continue
        order = {id(e): i for i, e in enumerate(left)}
        chosen = min(ready, key=lambda e: (e.school == before, -per_school[e.school], order[id(e)]))
        spare = len(positions) - index - 1 >= len(left)
        if chosen.school == before and spare:
            continue
        end = start + plan.lesson
        placed.append(Placement(chosen.key, room, start, end))
        panel_free[chosen.panel] = end + plan.buffer
        previous[(room, day)] = chosen.school
        per_school[chosen.school] -= 1
        left.remove(chosen)
    return Timetable(tuple(placed), tuple(e.key for e in left))


_NOBODY = object()


class MoveProblem(StrEnum):
    OUTSIDE_HOURS = "outside_hours"
    ROOM_NOT_ALLOWED = "room_not_allowed"
    ROOM_TAKEN = "room_taken"
    ROOM_BOOKED = "room_booked"
    PANEL_BUSY = "panel_busy"


@dataclass(frozen=True)
class Clash:
    """Why a move is refused, and the other lesson it clashes with (if any)."""

    problem: MoveProblem
    other: Key = None


def move_clashes(
    placements: Iterable[Placement],
    panels: Mapping[Key, Key],
    plan: Plan,
    *,
    key: Key,
    room: Key,
    start: datetime,
) -> list[Clash]:
    """Every reason the lesson ``key`` cannot move to ``room`` at ``start`` (none: it may)."""
    end = start + plan.lesson
    local_start, local_end = start.astimezone(plan.zone), end.astimezone(plan.zone)
    clashes: list[Clash] = []
    if (
        local_start.date() not in plan.days
        or local_end.date() != local_start.date()
        or local_start.time() < plan.day_start
        or local_end.time() > plan.day_end
    ):
        clashes.append(Clash(MoveProblem.OUTSIDE_HOURS))
    if room not in plan.rooms:
        clashes.append(Clash(MoveProblem.ROOM_NOT_ALLOWED))
    elif _booked(plan, room, start, end):
        clashes.append(Clash(MoveProblem.ROOM_BOOKED))
    others = [p for p in placements if p.key != key]
    moved = [_padded(start, end, plan.buffer, key)]
    same_room = [_padded(p.start, p.end, plan.buffer, p.key) for p in others if p.room == room]
    clashes += [
        Clash(MoveProblem.ROOM_TAKEN, c.existing.key) for c in find_conflicts(moved, same_room)
    ]
    panel = panels.get(key)
    same_panel = [
        _padded(p.start, p.end, plan.buffer, p.key)
        for p in others
        if panels.get(p.key) == panel and p.room != room
    ]
    clashes += [
        Clash(MoveProblem.PANEL_BUSY, c.existing.key) for c in find_conflicts(moved, same_panel)
    ]
    return clashes


def back_to_back(
    placements: Iterable[Placement], schools: Mapping[Key, Key], buffer: timedelta
) -> int:
    """How many lessons follow one of the same school in the same room with no slot between."""
    by_room: dict[Key, list[Placement]] = {}
    for p in placements:
        by_room.setdefault(p.room, []).append(p)
    count = 0
    for lessons in by_room.values():
        lessons.sort(key=lambda p: p.start)
        count += sum(
            1
            for a, b in zip(lessons, lessons[1:], strict=False)
            if b.start == a.end + buffer and schools[a.key] == schools[b.key]
        )
    return count
