"""iCalendar (RFC 5545) for sessions: feeds with VTIMEZONE, RRULE, EXDATE and overrides.

One VEVENT per session carries the rule (stable UID = the session's uid); each meeting
changed on its own is a VEVENT with the same UID and a RECURRENCE-ID; a cancelled meeting
is an EXDATE of its series. Calendar clients (Google, Outlook, Thunderbird) expand this
exactly as our materialised occurrences; the tests check it with recurring-ical-events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from scheduling.models import Occurrence, Session

PRODID = "-//meet//hop.edu.net.vn scheduling//VI"


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_zone())


def _base_event(session: Session, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{session.uid}@{settings.MEET_ROOM_HOST}")
    event.add("dtstamp", stamp)
    event.add("sequence", session.sequence)
    event.add("summary", session.title)
    if session.description:
        event.add("description", session.description)
    event.add("location", session.room.address)
    event.add("url", session.room.address)
    event.add("categories", [session.get_kind_display()])
    event.add("last-modified", session.updated_at)
    return event


def session_events(
    session: Session, occurrences: Iterable[Occurrence], stamp: datetime
) -> list[Event]:
    """The VEVENTs of one session: the series and one per changed meeting."""
    series = _base_event(session, stamp)
    series.add("dtstart", _local(session.start))
    series.add("dtend", _local(session.end))
    if session.cancelled:
        series.add("status", "CANCELLED")
    events = [series]
    exdates: list[datetime] = []
    for occurrence in occurrences:
        if occurrence.cancelled and not session.cancelled:
            exdates.append(_local(occurrence.original_start))
        elif occurrence.overridden and not occurrence.cancelled:
            override = _base_event(session, stamp)
            override.add("recurrence-id", _local(occurrence.original_start))
            override.add("dtstart", _local(occurrence.start))
            override.add("dtend", _local(occurrence.end))
            if occurrence.title:
                override["summary"] = occurrence.title
            events.append(override)
    if session.rrule:
        series.add("rrule", _rrule_dict(session.rrule))
        if exdates:
            series.add("exdate", exdates)
    return events


def _rrule_dict(rrule: str) -> dict[str, object]:
    rule: dict[str, object] = dict(vRecur.from_ical(rrule))
    until = rule.get("UNTIL")
    if isinstance(until, list) and until and type(until[0]) is date:
        # RFC 5545: with a zoned DTSTART, UNTIL is a UTC date-time; ours means "to the
        # end of that day" where the session happens.
        end_of_day = datetime.combine(until[0], time(23, 59, 59), tzinfo=_zone())
        rule["UNTIL"] = [end_of_day.astimezone(UTC)]
    return rule


def calendar_for(sessions: Iterable[Session], *, name: str) -> bytes:
    """A whole calendar (feed) for the given sessions, with its VTIMEZONE."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    for session in sessions:
        for event in session_events(session, session.occurrences.all(), stamp):
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
