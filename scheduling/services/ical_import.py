"""Importing an .ics exported from another calendar into a room's schedule.

The preview runs the very same import inside a transaction that is then rolled back, so
what it shows (created, refused with a reason, clashing) is exactly what confirming does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar

from rooms.models import Room, Unit
from scheduling.domain.recurrence import RuleError, parse_rrule
from scheduling.errors import InvalidSchedule, ScheduleConflict, rule_error_message, when_text
from scheduling.models import Session, SessionKind
from scheduling.services.sessions import SessionInput, occurrence_cancel, session_schedule

MAX_IMPORT_BYTES = 1_000_000
MAX_EVENTS = 500


@dataclass
class ImportItem:
    """One VEVENT of the file and what importing it does."""

    title: str
    start: datetime | None
    meetings: int = 0
    error: str = ""
    conflicts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and not self.conflicts


class _Rollback(Exception):
    """Raised to undo a preview."""


def _parse(text: str) -> list[Any]:
    if len(text.encode()) > MAX_IMPORT_BYTES:
        raise InvalidSchedule(_("The file is larger than 1 MB."))
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as exc:
        raise InvalidSchedule(_("This is not an iCalendar (.ics) file.")) from exc
    # Changed single meetings (RECURRENCE-ID) belong to their series; masters come first.
    events = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e]
    if not events:
        raise InvalidSchedule(_("The file holds no events."))
    if len(events) > MAX_EVENTS:
        raise InvalidSchedule(_("The file holds more than 500 events; split it."))
    return events


def _moment(value: Any) -> datetime | None:
    moment = value.dt if value is not None else None
    if moment is None or (isinstance(moment, date) and not isinstance(moment, datetime)):
        return None  # all-day events have no time to book a room for
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _import_one(event: Any, room: Room, unit: Unit, by: User) -> ImportItem:
    title = str(event.get("SUMMARY", "")).strip()[:200] or _("(untitled)")
    start = _moment(event.get("DTSTART"))
    item = ImportItem(title=title, start=start)
    if start is None:
        item.error = _("All-day events cannot be booked in a room.")
        return item
    end = _moment(event.get("DTEND")) or start + timedelta(hours=1)
    try:
        rule = parse_rrule(event["RRULE"].to_ical().decode()) if "RRULE" in event else None
    except RuleError as exc:
        item.error = rule_error_message(exc)
        return item
    data = SessionInput(
        room=room,
        host_unit=unit,
        kind=SessionKind.TRAINING,
        title=title,
        description=str(event.get("DESCRIPTION", ""))[:5000],
        start=start,
        end=end,
        rule=rule,
    )
    try:
        with transaction.atomic():
            session = session_schedule(data=data, by=by)
    except ScheduleConflict as exc:
        item.conflicts = [str(row["text"]) for row in exc.conflicts]
        return item
    except InvalidSchedule as exc:
        item.error = str(exc)
        return item
    _apply_exdates(session, event)
    item.meetings = session.occurrences.filter(cancelled=False).count()
    return item


def _apply_exdates(session: Session, event: Any) -> None:
    values = event.get("EXDATE")
    if values is None:
        return
    excluded = set()
    for value in values if isinstance(values, list) else [values]:
        for moment in value.dts:
            if isinstance(moment.dt, datetime):
                excluded.add(_moment(moment))
    for occurrence in session.occurrences.filter(original_start__in=excluded):
        occurrence_cancel(occurrence=occurrence)


def _run(room: Room, text: str, by: User) -> list[ImportItem]:
    if room.unit is None:
        raise InvalidSchedule(_("This room belongs to no unit."))
    return [_import_one(event, room, room.unit, by) for event in _parse(text)]


def ics_preview(*, room: Room, text: str, by: User) -> list[ImportItem]:
    """What importing the file would do; nothing is written."""
    items: list[ImportItem] = []
    try:
        with transaction.atomic():
            items = _run(room, text, by)
            raise _Rollback
    except _Rollback:
        pass
    return items


@transaction.atomic
def ics_import(*, room: Room, text: str, by: User) -> list[ImportItem]:
    """Import every event that can be booked; the others are reported, not written."""
    return _run(room, text, by)


def describe(item: ImportItem) -> str:
    """One line about an item for the page."""
    if item.start is None:
        return item.title
    return f"{item.title} — {when_text(item.start)}"
