"""Reads of sessions and occurrences; nothing here writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Field, Prefetch, Q, QuerySet
from django.utils import timezone

from rooms.models import Room
from scheduling.models import FeedToken, Occurrence, Session

# A scheduled meeting is "on" from this long before its start until its end: people join
# early (attendance counts them, a webinar's watch page and broadcast button open).
OPENS_BEFORE = timedelta(minutes=30)


def _on_at(room_id: int, at: datetime) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(
        room_id=room_id, cancelled=False, start__lte=at + OPENS_BEFORE, end__gte=at
    )


def occurrence_is_on(*, room_id: int, at: datetime | None = None) -> bool:
    """Whether the room has a scheduled meeting on at ``at`` (``occurrence_now`` is not None).

    Every join of a live room asks (a hundred a second in a storm of joins) and most rooms
    have nothing scheduled, so this is one indexed query in plain SQL: building and
    compiling the same query with the ORM cost ~5x more CPU than running it."""
    at = at or timezone.now()
    ops = connection.ops
    meta = Occurrence._meta
    table = ops.quote_name(meta.db_table)
    room, cancelled, start, end = (_column(name) for name in ("room", "cancelled", "start", "end"))
    sql = (
        f"SELECT 1 FROM {table} WHERE {room} = %s AND {cancelled} = %s"
        f" AND {start} <= %s AND {end} >= %s LIMIT 1"
    )
    params = [
        room_id,
        False,
        ops.adapt_datetimefield_value(at + OPENS_BEFORE),
        ops.adapt_datetimefield_value(at),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _column(name: str) -> str:
    """An Occurrence column, quoted ("end" is a reserved word)."""
    field = Occurrence._meta.get_field(name)
    assert isinstance(field, Field)
    return str(connection.ops.quote_name(field.column))


def occurrence_now(
    *, room_id: int, at: datetime | None = None, broadcast_only: bool = False
) -> Occurrence | None:
    """The room's scheduled meeting on at ``at`` (a webinar first, then the earliest)."""
    found = _on_at(room_id, at or timezone.now()).select_related("session")
    if broadcast_only:
        found = found.filter(session__broadcast=True)
    return found.order_by("-session__broadcast", "start").first()


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


def private_feed_sessions(*, token: str) -> tuple[str, QuerySet[Session]] | None:
    """The sessions of a live private feed: a unit's (hosted or invited) or a person's rooms'."""
    feed = (
        FeedToken.objects.select_related("user", "unit")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return None
    sessions = Session.objects.select_related("room").prefetch_related(
        Prefetch("occurrences", queryset=Occurrence.objects.order_by("original_start"))
    )
    if feed.unit is not None:
        found = sessions.filter(
            Q(host_unit=feed.unit) | Q(invitations__unit=feed.unit) | Q(room__unit=feed.unit)
        )
        return feed.unit.name, found.distinct()
    user = feed.user
    assert user is not None
    rooms = Q(room__manager=user) | Q(room__account=user) | Q(room__memberships__user=user)
    invited = (
        Q(invitations__unit__room__manager=user)
        | Q(invitations__unit__room__account=user)
        | Q(people__user=user)
    )
    return user.get_full_name() or user.get_username(), sessions.filter(rooms | invited).distinct()
