"""A scheduled meeting for tests that need one on the calendar (a webinar, a briefing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rooms.models import Room
from scheduling.models import Occurrence, Session, SessionKind


def one_meeting(
    room: Room,
    *,
    start: datetime,
    title: str,
    kind: str = SessionKind.TRAINING,
    length: timedelta = timedelta(hours=1),
    **fields: Any,
) -> Occurrence:
    """A session of ``room`` hosted by its unit, with its one meeting from ``start``.

    ``fields`` are the session's other columns (``broadcast``, ``public``, ...). Written
    to the tables directly: the tests that use it check what reads the calendar, not
    the scheduling service's rules."""
    assert room.unit is not None
    session = Session.objects.create(
        kind=kind,
        title=title,
        host_unit=room.unit,
        room=room,
        start=start,
        end=start + length,
        **fields,
    )
    return Occurrence.objects.create(
        session=session, room=room, original_start=start, start=start, end=session.end
    )
