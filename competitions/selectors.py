"""Reads of competitions; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from competitions.domain.juries import conflicted
from competitions.domain.results import (
    Aggregation,
    CriterionRule,
    Ranked,
    aggregate,
    rank,
    rubric_maximum,
    sheet_total,
)
from competitions.domain.timetable import Booking, Placement, Plan
from competitions.models import (
    Competition,
    Contestant,
    Criterion,
    Juror,
    Reopening,
    ScoreSheet,
    Slot,
    Status,
    Subject,
)
from competitions.permissions import can_organise
from rooms.models import Room
from rooms.permissions import AnyUser, acting_pk, is_system_admin
from scheduling.selectors import rooms_busy_between


def competitions_visible(*, viewer: AnyUser) -> QuerySet[Competition]:
    """Published ones for everyone; every non-draft one for people signed in; drafts for
    their organisers (administrators see all)."""
    found = Competition.objects.select_related("organiser")
    if is_system_admin(viewer):
        return found
    pk = acting_pk(viewer)
    if pk is None:
        return found.filter(status=Status.PUBLISHED)
    own = Q(organiser__room__manager_id=pk) | Q(organiser__room__account_id=pk)
    return found.filter(~Q(status=Status.DRAFT) | own)


def competition_get(*, pk: int) -> Competition | None:
    """A competition with its organiser."""
    return (
        Competition.objects.select_related("organiser", "organiser__province").filter(pk=pk).first()
    )


def rubric(*, competition: Competition) -> list[Criterion]:
    """The rubric's lines in order."""
    return list(competition.criteria.order_by("position", "id"))


def rubric_rules(criteria: list[Criterion]) -> list[CriterionRule]:
    """The rubric as the domain's rules."""
    return [CriterionRule(c.pk, c.weight, c.max_points) for c in criteria]


def contestants_visible(*, viewer: AnyUser, competition: Competition) -> QuerySet[Contestant]:
    """The organiser sees every contestant; a school its own; a juror those of their panels."""
    found = competition.contestants.select_related(
        "school", "subject", "slot", "slot__room", "slot__room__unit"
    )
    if can_organise(viewer, competition):
        return found
    pk = acting_pk(viewer)
    if pk is None:
        return found.none()
    mine = Q(school__room__manager_id=pk) | Q(school__room__account_id=pk)
    judged = Q(subject__jurors__user_id=pk)
    return found.filter(mine | judged).distinct()


def timetable(*, competition: Competition) -> list[Slot]:
    """The lessons in time order, with who teaches what where."""
    return list(
        Slot.objects.filter(competition=competition)
        .select_related("room", "room__unit", "contestant__school", "contestant__subject")
        .order_by("start", "room__slug")
    )


def plan_of(competition: Competition) -> Plan:
    """Where and when the competition's lessons may go, the rooms' other meetings kept clear
    (the lessons' own bookings are the timetable's, checked as lessons)."""
    zone = timezone.get_current_timezone()
    rooms = list(competition.rooms.order_by("slug").values_list("pk", flat=True))
    days = tuple(
        competition.first_day + timedelta(days=n)
        for n in range((competition.last_day - competition.first_day).days + 1)
    )
    start = datetime.combine(competition.first_day, competition.day_start, tzinfo=zone)
    end = datetime.combine(competition.last_day, competition.day_end, tzinfo=zone)
    own = list(
        Slot.objects.filter(competition=competition, session__isnull=False).values_list(
            "session_id", flat=True
        )
    )
    busy = rooms_busy_between(
        room_ids=rooms, start=start - timedelta(hours=12), end=end, besides=own
    )
    return Plan(
        rooms=tuple(rooms),
        days=days,
        day_start=competition.day_start,
        day_end=competition.day_end,
        lesson=timedelta(minutes=competition.slot_minutes),
        buffer=timedelta(minutes=competition.buffer_minutes),
        zone=zone,
        bookings=tuple(Booking(room, s, e) for room, s, e in busy),
    )


def placements_of(slots: list[Slot]) -> list[Placement]:
    """The timetable as the domain's placements, keyed by contestant id."""
    return [Placement(s.contestant_id, s.room_id, s.start, s.end) for s in slots]


@dataclass(frozen=True)
class Seat:
    """A lesson a juror scores, and where their sheet stands."""

    contestant: Contestant
    juror: Juror
    sheet: ScoreSheet | None


def seats_for(*, viewer: AnyUser, competition: Competition) -> list[Seat]:
    """The lessons a person scores, in time order: their panels' contestants, those of
    their own school or unit left out (conflict of interest)."""
    pk = acting_pk(viewer)
    if pk is None:
        return []
    jurors = {
        j.subject_id: j for j in Juror.objects.filter(subject__competition=competition, user_id=pk)
    }
    contestants = (
        competition.contestants.filter(subject_id__in=jurors)
        .select_related("school", "subject", "slot", "slot__room", "slot__room__unit")
        .order_by("slot__start", "id")
    )
    sheets = {
        s.contestant_id: s
        for s in ScoreSheet.objects.filter(juror__in=jurors.values(), contestant__in=contestants)
    }
    return [
        Seat(c, jurors[c.subject_id], sheets.get(c.pk))
        for c in contestants
        if not conflicted(jurors[c.subject_id].unit_id, c.school_id)
    ]


def seat_of(*, viewer: AnyUser, contestant: Contestant) -> Juror | None:
    """The viewer's seat on the panel that scores this contestant, unless conflicted."""
    pk = acting_pk(viewer)
    if pk is None:
        return None
    juror = Juror.objects.filter(subject_id=contestant.subject_id, user_id=pk).first()
    if juror is None or conflicted(juror.unit_id, contestant.school_id):
        return None
    return juror


def sheets_of(*, contestant: Contestant) -> list[ScoreSheet]:
    """Every sheet of a contestant with its scores and juror."""
    return list(
        ScoreSheet.objects.filter(contestant=contestant)
        .select_related("juror__user", "juror__unit")
        .prefetch_related("scores", Prefetch("reopenings", Reopening.objects.select_related("by")))
        .order_by("juror__id")
    )


def others_visible(*, own: ScoreSheet | None) -> bool:
    """No juror sees the others' scores before submitting their own."""
    return own is not None and own.submitted_at is not None


def scorers_of(contestant: Contestant, jurors: list[Juror]) -> list[Juror]:
    """The panel members who score this contestant (the conflicted left out)."""
    return [
        j
        for j in jurors
        if j.subject_id == contestant.subject_id and not conflicted(j.unit_id, contestant.school_id)
    ]


def sheets_missing(*, competition: Competition) -> int:
    """How many sheets the juries still owe: unsubmitted or not started."""
    jurors = list(Juror.objects.filter(subject__competition=competition))
    submitted = set(
        ScoreSheet.objects.filter(
            contestant__competition=competition, submitted_at__isnull=False
        ).values_list("contestant_id", "juror_id")
    )
    owed = 0
    for contestant in competition.contestants.all():
        owed += sum(
            1 for j in scorers_of(contestant, jurors) if (contestant.pk, j.pk) not in submitted
        )
    return owed


@dataclass(frozen=True)
class ResultRow:
    """A contestant's line of the results: each submitted total, the score, the rank."""

    contestant: Contestant
    totals: list[Decimal]
    owed: int
    place: Ranked


def results(*, competition: Competition) -> list[tuple[Subject, list[ResultRow]]]:
    """Each subject's ranking (best first, ties shown), subjects by name."""
    rules = rubric_rules(rubric(competition=competition))
    jurors = list(Juror.objects.filter(subject__competition=competition))
    contestants = list(
        competition.contestants.select_related("school", "subject").prefetch_related(
            Prefetch(
                "sheets",
                ScoreSheet.objects.filter(submitted_at__isnull=False).prefetch_related("scores"),
            )
        )
    )
    totals = {
        c.pk: [
            sheet_total({s.criterion_id: s.points for s in sheet.scores.all()}, rules)
            for sheet in c.sheets.all()
        ]
        for c in contestants
    }
    rule = Aggregation(competition.aggregation)
    by_pk = {c.pk: c for c in contestants}
    found: list[tuple[Subject, list[ResultRow]]] = []
    for subject in competition.subjects.order_by("name"):
        scores = {
            c.pk: aggregate(totals[c.pk], rule) for c in contestants if c.subject_id == subject.pk
        }
        rows = []
        for place in rank(scores):
            contestant = by_pk[int(place.key)]
            owed = len(scorers_of(contestant, jurors)) - len(totals[contestant.pk])
            rows.append(ResultRow(contestant, totals[contestant.pk], owed, place))
        if rows:
            found.append((subject, rows))
    return found


def rubric_best(*, competition: Competition) -> Decimal:
    """The best total one sheet can reach."""
    return rubric_maximum(rubric_rules(rubric(competition=competition)))


# A juror may come into the lesson's room this long before it starts (to check the sound),
# and watches until the break after it ends.
OBSERVE_EARLY = timedelta(minutes=15)


def observes_lesson(user: AnyUser, room: Room, now: datetime) -> bool:
    """Whether ``user`` sits on the panel of a lesson taught in ``room`` now (issue 15,
    item 4): they watch it as a silent observer (signaling/selectors/observers.py).

    From ``OBSERVE_EARLY`` before the slot to the end of the break after it, while the
    competition is timetabled or being scored; never a lesson of the juror's own unit,
    which they do not score (``domain/juries.py: conflicted``)."""
    pk = acting_pk(user)
    if pk is None:
        return False
    slots = Slot.objects.filter(
        room=room,
        start__lte=now + OBSERVE_EARLY,
        end__gte=now - timedelta(minutes=120),  # the longest break; checked exactly below
        competition__status__in=[Status.TIMETABLED, Status.SCORING],
    ).select_related("contestant", "competition")
    for slot in slots:
        if not lesson_watchable(slot, slot.competition, now):
            continue
        seats = Juror.objects.filter(user_id=pk, subject_id=slot.contestant.subject_id)
        if any(not conflicted(seat.unit_id, slot.contestant.school_id) for seat in seats):
            return True
    return False


def lesson_watchable(slot: Slot, competition: Competition, now: datetime) -> bool:
    """Whether a lesson's jurors may watch it now (see ``observes_lesson``)."""
    if competition.status not in (Status.TIMETABLED, Status.SCORING):
        return False
    until = slot.end + timedelta(minutes=competition.buffer_minutes)
    return slot.start - OBSERVE_EARLY <= now <= until


def reviews_lesson(user: AnyUser, room: Room, when: datetime) -> bool:
    """Whether ``user`` may watch what ``room`` recorded at ``when``: the panel of the lesson
    taught then (its own unit's jurors apart) and the competition's organisers."""
    pk = acting_pk(user)
    if pk is None:
        return False
    slots = Slot.objects.filter(
        room=room, start__lte=when + OBSERVE_EARLY, end__gte=when - timedelta(minutes=120)
    ).select_related("contestant", "competition", "competition__organiser")
    for slot in slots:
        until = slot.end + timedelta(minutes=slot.competition.buffer_minutes)
        if not slot.start - OBSERVE_EARLY <= when <= until:
            continue
        if can_organise(user, slot.competition):
            return True
        seats = Juror.objects.filter(user_id=pk, subject_id=slot.contestant.subject_id)
        if any(not conflicted(seat.unit_id, slot.contestant.school_id) for seat in seats):
            return True
    return False


def lessons_to_record(now: datetime) -> list[Slot]:
    """Lessons being taught now that have no recording for the review yet."""
    return list(
        Slot.objects.filter(
            start__lte=now,
            end__gt=now,
            review_recording__isnull=True,
            competition__status__in=[Status.TIMETABLED, Status.SCORING],
        ).select_related("room", "session")
    )


def lessons_recorded_and_over(now: datetime) -> list[Slot]:
    """Lessons of the last day that ended with a recording for the review (to stop)."""
    return list(
        Slot.objects.filter(
            end__lte=now, end__gt=now - timedelta(days=1), review_recording__isnull=False
        ).select_related("room")
    )
