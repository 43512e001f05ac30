"""Scheduling, changing and cancelling sessions and single meetings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.models import Room, Unit
from scheduling.domain.conflicts import Slot, find_conflicts
from scheduling.domain.recurrence import Rule, expand, horizon_end, parse_rrule
from scheduling.errors import InvalidSchedule, ScheduleConflict, when_text
from scheduling.models import Occurrence, Session
from scheduling.services.invitations import invitations_queue_on_commit, invitations_resolve

MAX_DURATION = timedelta(hours=12)
CONFLICTS_SHOWN = 5


def horizon(now: datetime | None = None) -> datetime:
    """How far ahead occurrences are materialised (MEET_SCHEDULE_HORIZON_MONTHS, 18)."""
    months = int(getattr(settings, "MEET_SCHEDULE_HORIZON_MONTHS", 18))
    return horizon_end(now or timezone.now(), months)


@dataclass(frozen=True)
class SessionInput:
    """What a form or the API gives to schedule a session."""

    room: Room
    host_unit: Unit
    kind: str
    title: str
    description: str
    start: datetime
    end: datetime
    rule: Rule | None
    public: bool = True
    broadcast: bool = False
    presenters: str = ""


def _check_times(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidSchedule(_("The end must come after the start."))
    if end - start > MAX_DURATION:
        raise InvalidSchedule(_("A meeting lasts at most 12 hours."))


def _starts(data: SessionInput, until: datetime) -> list[datetime]:
    local = timezone.localtime(data.start)
    return [s.astimezone(UTC) for s in expand(local, data.rule, until=until)]


def _conflicts(room: Room, slots: list[Slot], *, exclude: Session | None) -> None:
    """Raise ScheduleConflict if any slot overlaps a meeting already in the room."""
    if not slots:
        return
    first, last = min(s.start for s in slots), max(s.end for s in slots)
    # One indexed range query on (room, start): only meetings that could touch the series.
    existing = Occurrence.objects.filter(
        room=room, cancelled=False, start__lt=last, end__gt=first - MAX_DURATION
    )
    if exclude is not None:
        existing = existing.exclude(session=exclude)
    # Plain tuples: building model instances for thousands of rows costs more than the sweep.
    theirs = [Slot(start, end, pk) for start, end, pk in existing.values_list("start", "end", "pk")]
    found = find_conflicts(slots, theirs, limit=CONFLICTS_SHOWN)
    if found:
        clashing = Occurrence.objects.select_related("session").in_bulk(
            [c.existing.key for c in found if c.existing.key is not None]
        )
        raise ScheduleConflict(
            [_conflict_row(c.proposed.start, clashing.get(c.existing.key)) for c in found]
        )


def _conflict_row(proposed: datetime, existing: object) -> dict[str, object]:
    if isinstance(existing, Occurrence):
        title, start, end = existing.display_title, existing.start, existing.end
        text = _("%(when)s clashes with “%(title)s”") % {
            "when": when_text(proposed),
            "title": title,
        }
        return {
            "proposed_start": proposed.isoformat(),
            "existing_title": title,
            "existing_start": start.isoformat(),
            "existing_end": end.isoformat(),
            "text": text,
        }
    text = _("%(when)s: the series overlaps itself") % {"when": when_text(proposed)}
    return {"proposed_start": proposed.isoformat(), "text": text}


def _materialise(session: Session, starts: list[datetime], until: datetime) -> None:
    duration = session.end - session.start
    Occurrence.objects.bulk_create(
        Occurrence(
            session=session,
            room=session.room,
            original_start=start,
            start=start,
            end=start + duration,
        )
        for start in starts
    )
    session.materialised_until = until
    session.save(update_fields=["materialised_until"])


@transaction.atomic
def session_schedule(*, data: SessionInput, by: User | AnonymousUser | None = None) -> Session:
    """Schedule a session (or a series) after checking every meeting against the room."""
    _check_times(data.start, data.end)
    until = horizon()
    starts = _starts(data, until)
    if not starts:
        raise InvalidSchedule(_("The repetition gives no meeting before the horizon."))
    duration = data.end - data.start
    _extend_room(data.room, until)
    _conflicts(data.room, [Slot(s, s + duration) for s in starts], exclude=None)
    # RFC 5545 counts DTSTART as the first meeting, so it must be the rule's first one.
    first = starts[0]
    session = Session.objects.create(
        kind=data.kind,
        title=data.title,
        description=data.description,
        host_unit=data.host_unit,
        room=data.room,
        presenters=data.presenters,
        broadcast=data.broadcast,
        public=data.public,
        start=first,
        end=first + duration,
        rrule=data.rule.to_rrule() if data.rule else "",
        created_by=by if by is not None and by.is_authenticated else None,
    )
    _materialise(session, starts, until)
    return session


def _apply(session: Session, data: SessionInput, first: datetime) -> None:
    for name in (
        "kind",
        "title",
        "description",
        "host_unit",
        "room",
        "presenters",
        "broadcast",
        "public",
    ):
        setattr(session, name, getattr(data, name))
    session.start, session.end = first, first + (data.end - data.start)
    session.rrule = data.rule.to_rrule() if data.rule else ""


def _end_series_before(session: Session, now: datetime) -> None:
    """Close a series at its last past meeting, so its feed keeps the meetings held."""
    last = session.occurrences.filter(start__lt=now).order_by("-original_start").first()
    session.occurrences.filter(start__gte=now).delete()
    if last is not None and session.rrule:
        rule = replace(
            parse_rrule(session.rrule),
            until=timezone.localtime(last.original_start).date(),
            count=None,
        )
        session.rrule = rule.to_rrule()
    session.sequence += 1
    session.save()


@transaction.atomic
def session_update(*, session: Session, data: SessionInput) -> Session:
    """Change a series; SEQUENCE goes up and the sites are told.

    A series with no meeting held yet is redrawn in place, keeping the meetings changed
    or cancelled on their own. One that has held meetings is split: the old event ends
    at its last past meeting (its history and attendance stay true) and a new event,
    with the same invitations, carries the meetings to come; the new one is returned.
    """
    _check_times(data.start, data.end)
    until, now = horizon(), timezone.now()
    starts = [s for s in _starts(data, until) if s >= now]
    if not starts:
        raise InvalidSchedule(_("The repetition gives no meeting before the horizon."))
    duration = data.end - data.start
    _extend_room(data.room, until)
    _conflicts(data.room, [Slot(s, s + duration) for s in starts], exclude=session)
    if session.occurrences.filter(start__lt=now).exists():
        _end_series_before(session, now)
        successor = session_schedule(data=replace(data, start=starts[0], end=starts[0] + duration))
        for rule in session.rules.all():
            rule.pk, rule.session = None, successor
            rule.save()
        invitations_resolve(session=successor)
        invitations_queue_on_commit(session)
        invitations_queue_on_commit(successor)
        return successor
    wanted = set(starts)
    # Meetings changed or cancelled on their own keep their change if the rule still has them.
    session.occurrences.exclude(
        Q(original_start__in=wanted) & (Q(overridden=True) | Q(cancelled=True))
    ).delete()
    _apply(session, data, starts[0])
    session.sequence += 1
    session.save()
    kept = set(session.occurrences.values_list("original_start", flat=True))
    _materialise(session, [s for s in starts if s not in kept], until)
    invitations_queue_on_commit(session)
    return session


@transaction.atomic
def occurrence_change(
    *, occurrence: Occurrence, start: datetime, end: datetime, title: str = ""
) -> Occurrence:
    """Move or retitle one meeting of a series (an iCalendar override)."""
    _check_times(start, end)
    clashes = Occurrence.objects.filter(
        room=occurrence.room, cancelled=False, start__lt=end, end__gt=start
    ).exclude(pk=occurrence.pk)
    if clashes.exists():
        raise ScheduleConflict([_conflict_row(start, clash) for clash in clashes[:CONFLICTS_SHOWN]])
    occurrence.start, occurrence.end, occurrence.title = start, end, title
    occurrence.overridden = True
    occurrence.save()
    _bump(occurrence.session)
    invitations_queue_on_commit(occurrence.session)
    return occurrence


@transaction.atomic
def occurrence_cancel(*, occurrence: Occurrence) -> Occurrence:
    """Cancel one meeting; the series goes on (an EXDATE in the feeds)."""
    occurrence.cancelled = True
    occurrence.save(update_fields=["cancelled"])
    _bump(occurrence.session)
    invitations_queue_on_commit(occurrence.session)
    return occurrence


@transaction.atomic
def session_cancel(*, session: Session) -> Session:
    """Cancel a whole series: every meeting from now on is cancelled."""
    session.cancelled = True
    session.occurrences.filter(start__gte=timezone.now()).update(cancelled=True)
    session.sequence += 1
    session.save(update_fields=["cancelled", "sequence", "updated_at"])
    invitations_queue_on_commit(session)
    return session


def _bump(session: Session) -> None:
    Session.objects.filter(pk=session.pk).update(sequence=session.sequence + 1)
    session.sequence += 1


def _extend(session: Session, until: datetime) -> int:
    rule = parse_rrule(session.rrule)
    local = timezone.localtime(session.start)
    known = set(session.occurrences.values_list("original_start", flat=True))
    starts = [s.astimezone(UTC) for s in expand(local, rule, until=until)]
    _materialise(session, [s for s in starts if s not in known], until)
    return len(starts) - len(known & set(starts))


def _recurring_behind(until: datetime) -> QuerySet[Session]:
    # A day's slack: the hourly job extends each series once a day, not every hour.
    return (
        Session.objects.filter(cancelled=False)
        .exclude(rrule="")
        .filter(materialised_until__lt=until - timedelta(days=1))
    )


def _extend_room(room: Room, until: datetime) -> None:
    """Bring the room's endless series up to ``until`` before checking a new one against them."""
    for session in _recurring_behind(until).filter(room=room):
        _extend(session, until)


def sessions_extend_horizon(*, now: datetime | None = None) -> int:
    """Materialise recurring sessions up to the rolling horizon; return meetings added."""
    until = horizon(now)
    added = 0
    for session in _recurring_behind(until):
        with transaction.atomic():
            added += _extend(session, until)
    return added
