"""Importing an .ics exported from another calendar into a room's schedule.

The preview runs the very same import inside a transaction that is then rolled back, so
what it shows (created, refused with a reason, clashing) is exactly what confirming does.
"""

from __future__ import annotations

import re
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
from scheduling.models import SessionKind
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


class _Unreadable(Exception):
    """A property of an event that cannot be read (broken, repeated, of another type)."""


# Controls (NUL, which PostgreSQL refuses in text) and lone surrogates are no text.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _parse(text: str) -> list[Any]:
    try:
        if len(text.encode()) > MAX_IMPORT_BYTES:
            raise InvalidSchedule(_("The file is larger than 1 MB."))
        calendar = Calendar.from_ical(text)
    except (ValueError, UnicodeError) as exc:  # UnicodeError: a lone surrogate
        raise InvalidSchedule(_("This is not an iCalendar (.ics) file.")) from exc
    # Changed single meetings (RECURRENCE-ID) belong to their series; masters come first.
    events = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e]
    if not events:
        raise InvalidSchedule(_("The file holds no events."))
    if len(events) > MAX_EVENTS:
        raise InvalidSchedule(_("The file holds more than 500 events; split it."))
    return events


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _moment(value: Any) -> datetime | None:
    """An aware start or end; None when absent or a whole day (no time to book)."""
    if value is None:
        return None
    try:
        moment = value.dt  # a broken value raises ValueError, a repeated one is a list
    except (ValueError, AttributeError) as exc:
        raise _Unreadable from exc
    if isinstance(moment, datetime):
        return _aware(moment)
    if isinstance(moment, date):
        return None
    raise _Unreadable  # a duration, a time of day or a period


def _rule_text(event: Any) -> str | None:
    """The RRULE's text; more than one rule, or a broken one, cannot be read."""
    if "RRULE" not in event:
        return None
    try:
        return str(event["RRULE"].to_ical().decode())
    except (ValueError, AttributeError) as exc:
        raise _Unreadable from exc


def _plain(value: Any, limit: int) -> str:
    return _CONTROL_RE.sub("", str(value)).strip()[:limit]


def _import_one(event: Any, room: Room, unit: Unit, by: User) -> ImportItem:
    title = _plain(event.get("SUMMARY", ""), 200) or _("(untitled)")
    item = ImportItem(title=title, start=None)
    try:
        item.start = start = _moment(event.get("DTSTART"))
        end = _moment(event.get("DTEND"))
        rule_text = _rule_text(event)
        excluded = _exdates(event)
    except _Unreadable:
        item.error = _("The start, end or repetition of this event cannot be read.")
        return item
    if start is None:
        item.error = _("All-day events cannot be booked in a room.")
        return item
    try:
        rule = parse_rrule(rule_text) if rule_text is not None else None
    except RuleError as exc:
        item.error = rule_error_message(exc)
        return item
    data = SessionInput(
        room=room,
        host_unit=unit,
        kind=SessionKind.TRAINING,
        title=title,
        description=_plain(event.get("DESCRIPTION", ""), 5000),
        start=start,
        end=end or start + timedelta(hours=1),
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
    for occurrence in session.occurrences.filter(original_start__in=excluded):
        occurrence_cancel(occurrence=occurrence)
    item.meetings = session.occurrences.filter(cancelled=False).count()
    return item


def _exdates(event: Any) -> set[datetime]:
    """The excluded start times (whole excluded days are ignored, as before)."""
    values = event.get("EXDATE")
    excluded: set[datetime] = set()
    try:
        for value in values if isinstance(values, list) else filter(None, [values]):
            for moment in value.dts:
                if isinstance(moment.dt, datetime):
                    excluded.add(_aware(moment.dt))
    except (ValueError, AttributeError) as exc:
        raise _Unreadable from exc
    return excluded


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
