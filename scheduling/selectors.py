"""Reads of sessions and occurrences; nothing here writes."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from rooms.models import Room
from scheduling.models import Occurrence, Session


def occurrences_between(
    *, start: datetime, end: datetime, room: str = "", unit: str = "", province: str = ""
) -> QuerySet[Occurrence]:
    """Meetings that overlap [start, end), by room, unit (and its sub-units) or province."""
    found = Occurrence.objects.filter(start__lt=end, end__gt=start).select_related(
        "session", "room", "room__unit", "session__host_unit"
    )
    if room:
        found = found.filter(room__slug=room)
    if unit:
        found = found.filter(room__unit__slug=unit) | found.filter(room__unit__parent__slug=unit)
    if province:
        found = found.filter(room__unit__province__slug=province)
    return found.order_by("start", "id")


def room_upcoming(*, room: Room, limit: int = 5) -> list[Occurrence]:
    """The room's next meetings, cancelled ones included so people see them called off."""
    return list(
        Occurrence.objects.filter(room=room, end__gte=timezone.now())
        .select_related("session")
        .order_by("start")[:limit]
    )


def room_feed_sessions(*, room: Room) -> QuerySet[Session]:
    """The public sessions of a room, with their meetings, for the room's feed."""
    return (
        Session.objects.filter(room=room, public=True)
        .select_related("room")
        .prefetch_related(
            Prefetch("occurrences", queryset=Occurrence.objects.order_by("original_start"))
        )
    )


def session_get(*, uid: str) -> Session | None:
    """A session by its iCalendar UID."""
    try:
        return (
            Session.objects.select_related("room", "room__unit", "host_unit")
            .filter(uid=uid)
            .first()
        )
    except (ValueError, ValidationError):  # a malformed UUID is simply not found
        return None
