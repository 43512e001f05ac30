"""Making the timetable of lessons and moving a lesson by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from competitions.domain.timetable import Clash, Entrant, MoveProblem, generate, move_clashes
from competitions.errors import CompetitionError, NotReady, SlotClash, WrongStage
from competitions.models import Competition, ScoreSheet, Slot, Status
from competitions.selectors import placements_of, plan_of, timetable
from competitions.services.setup import competition_locked
from rooms.models import Room
from scheduling.errors import SchedulingError
from scheduling.models import Session, SessionKind
from scheduling.services.sessions import (
    SessionInput,
    session_cancel,
    session_schedule,
    session_update,
)


@dataclass(frozen=True)
class Generated:
    """How many lessons were placed, and how many teachers did not fit."""

    placed: int
    unplaced: int


@transaction.atomic
def timetable_generate(*, competition: Competition) -> Generated:
    """Place every contestant's lesson (again, replacing the previous timetable)."""
    competition_locked(competition)
    if competition.status not in (Status.CLOSED, Status.TIMETABLED):
        raise WrongStage(_("Close registration before making the timetable."))
    if ScoreSheet.objects.filter(contestant__competition=competition).exists():
        raise WrongStage(_("Jurors have started scoring: move lessons one by one instead."))
    contestants = list(competition.contestants.order_by("registered_at", "id"))
    if not contestants:
        raise NotReady(_("No teacher is registered yet."))
    _unbook(competition)
    plan = plan_of(competition)
    result = generate([Entrant(c.pk, c.school_id, c.subject_id) for c in contestants], plan)
    by_pk = {c.pk: c for c in contestants}
    rooms = Room.objects.in_bulk(plan.rooms)
    for p in result.placements:
        slot = Slot(
            competition=competition,
            contestant=by_pk[p.key],
            room=rooms[p.room],
            start=p.start,
            end=p.end,
        )
        slot.session = _booked(competition, slot)
        slot.save()
    competition.status = Status.TIMETABLED
    competition.save(update_fields=["status", "updated_at"])
    return Generated(len(result.placements), len(result.unplaced))


def _clash_text(clash: Clash, names: dict[int, str]) -> str:
    other = {"other": names.get(clash.other, "")}
    if clash.problem == MoveProblem.ROOM_TAKEN:
        return _("The room is taken by %(other)s's lesson then (breaks included).") % other
    if clash.problem == MoveProblem.PANEL_BUSY:
        return _("The jury is watching %(other)s's lesson then (breaks included).") % other
    return {
        MoveProblem.OUTSIDE_HOURS: _(
            "The lesson would fall outside the competition's days and hours."
        ),
        MoveProblem.ROOM_NOT_ALLOWED: _("This competition may not use that room."),
        MoveProblem.ROOM_BOOKED: _("The room holds another meeting then (or too close to it)."),
    }[clash.problem]


@transaction.atomic
def slot_move(*, slot: Slot, room: Room, start: datetime) -> Slot:
    """Move one lesson, refused with the reasons when it would clash."""
    competition = competition_locked(slot.competition)
    if competition.status not in (Status.TIMETABLED, Status.SCORING):
        raise WrongStage(
            _("Lessons can be moved once the timetable is made, until results are out.")
        )
    slots = timetable(competition=competition)
    panels = {s.contestant_id: s.contestant.subject_id for s in slots}
    clashes = move_clashes(
        placements_of(slots),
        panels,
        plan_of(competition),
        key=slot.contestant_id,
        room=room.pk,
        start=start,
    )
    if clashes:
        names = {s.contestant_id: s.contestant.teacher_name for s in slots}
        raise SlotClash([_clash_text(c, names) for c in clashes])
    slot.room = room
    slot.start = start
    slot.end = start + timedelta(minutes=competition.slot_minutes)
    slot.session = _booked(competition, slot)
    slot.save(update_fields=["room", "start", "end", "session"])
    return slot


def _booking(competition: Competition, slot: Slot) -> SessionInput:
    """The lesson as a private meeting of the competition kind in its room."""
    contestant = slot.contestant
    return SessionInput(
        room=slot.room,
        host_unit=competition.organiser,
        kind=SessionKind.COMPETITION,
        title=f"{competition.name}: {contestant.teacher_name} · {contestant.subject.name}"[:200],
        description=contestant.lesson_title,
        start=slot.start,
        end=slot.end,
        rule=None,
        public=False,
    )


def _booked(competition: Competition, slot: Slot) -> Session:
    """The slot's booking made or changed in the scheduler, which checks the room again
    (a meeting booked since the timetable was read is refused here, with the clash)."""
    try:
        if slot.session is not None:
            return session_update(session=slot.session, data=_booking(competition, slot))
        return session_schedule(data=_booking(competition, slot))
    except SchedulingError as error:
        raise CompetitionError(str(error)) from error


def _unbook(competition: Competition) -> None:
    """Drop the timetable, its rooms' bookings called off (their feeds say so)."""
    for slot in Slot.objects.filter(competition=competition).select_related("session"):
        if slot.session is not None and not slot.session.cancelled:
            session_cancel(session=slot.session)
    Slot.objects.filter(competition=competition).delete()


def slot_label(slot: Slot) -> str:
    """A lesson's time for messages, e.g. "Thứ Hai 23/11/2026 07:30"."""
    return date_format(localtime(slot.start), "l d/m/Y H:i")
