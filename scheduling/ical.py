"""iCalendar (RFC 5545) for sessions: feeds with VTIMEZONE, RRULE, EXDATE and overrides.

One VEVENT per session carries the rule (stable UID = the session's uid); each meeting
changed on its own is a VEVENT with the same UID and a RECURRENCE-ID; a cancelled meeting
is an EXDATE of its series. Calendar clients (Google, Outlook, Thunderbird) expand this
exactly as our materialised occurrences; the tests check it with recurring-ical-events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from scheduling.ical_writer import calendar_text, escape_text, local_stamp, utc_stamp
from scheduling.models import Occurrence, Session

PRODID = "-//meet//hop.edu.net.vn scheduling//VI"


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_zone())


def _common(session: Session, stamp: str, uid: str, categories: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"SEQUENCE:{session.sequence}",
        f"LOCATION:{escape_text(session.room.address)}",
        f"URL:{session.room.address}",
        f"CATEGORIES:{categories}",
        f"LAST-MODIFIED:{utc_stamp(session.updated_at)}",
    ]
    if session.description:
        lines.append(f"DESCRIPTION:{escape_text(session.description)}")
    return lines


def session_events(
    session: Session, occurrences: Iterable[Occurrence], stamp: str
) -> list[list[str]]:
    """The VEVENTs (as content lines) of one session: the series and each changed meeting."""
    tzid = settings.TIME_ZONE
    uid = f"{session.uid}@{settings.MEET_ROOM_HOST}"
    categories = escape_text(str(session.get_kind_display()))
    series = _common(session, stamp, uid, categories)
    series += [
        f"SUMMARY:{escape_text(session.title)}",
        f"DTSTART;TZID={tzid}:{local_stamp(_local(session.start))}",
        f"DTEND;TZID={tzid}:{local_stamp(_local(session.end))}",
    ]
    if session.cancelled:
        series.append("STATUS:CANCELLED")
    events = [series]
    exdates: list[str] = []
    for occurrence in occurrences:
        if occurrence.cancelled and not session.cancelled:
            exdates.append(local_stamp(_local(occurrence.original_start)))
        elif occurrence.overridden and not occurrence.cancelled:
            override = _common(session, stamp, uid, categories)
            override += [
                f"SUMMARY:{escape_text(occurrence.title or session.title)}",
                f"RECURRENCE-ID;TZID={tzid}:{local_stamp(_local(occurrence.original_start))}",
                f"DTSTART;TZID={tzid}:{local_stamp(_local(occurrence.start))}",
                f"DTEND;TZID={tzid}:{local_stamp(_local(occurrence.end))}",
                "END:VEVENT",
            ]
            events.append(override)
    if session.rrule:
        series.append(f"RRULE:{_rrule(session.rrule)}")
        if exdates:
            series.append(f"EXDATE;TZID={tzid}:{','.join(exdates)}")
    series.append("END:VEVENT")
    return events


def _rrule(rrule: str) -> str:
    """Our stored rule, with UNTIL as the UTC date-time RFC 5545 wants beside a TZID."""
    parts = []
    for part in rrule.split(";"):
        name, _, value = part.partition("=")
        if name == "UNTIL" and len(value) == 8:
            # Ours means "to the end of that day" where the session happens.
            day = datetime.strptime(value, "%Y%m%d").date()
            end_of_day = datetime.combine(day, time(23, 59, 59), tzinfo=_zone())
            value = utc_stamp(end_of_day)
        parts.append(f"{name}={value}")
    return ";".join(parts)


def calendar_for(
    sessions: Iterable[Session], *, name: str, method: str = "", attendees: Iterable[str] = ()
) -> bytes:
    """A calendar for the given sessions with its VTIMEZONE; an iTIP message with ``method``."""
    stamp = utc_stamp(timezone.now())
    people = [f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{a}" for a in attendees]
    events = []
    for session in sessions:
        for event in session_events(session, session.occurrences.all(), stamp):
            if method:
                organizer = session.host_unit.mailbox or settings.DEFAULT_FROM_EMAIL
                extra = [
                    f"ORGANIZER;CN={escape_text(session.host_unit.name)}:mailto:{organizer}",
                    *people,
                ]
                if method == "CANCEL":
                    extra.append("STATUS:CANCELLED")
                event = [*event[:-1], *extra, event[-1]]
            events.append(event)
    return calendar_text(
        prodid=PRODID, name=name, tzid=settings.TIME_ZONE, events=events, method=method
    )
