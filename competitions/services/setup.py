"""Creating a competition, its subjects, its rubric, and moving it from stage to stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.domain.juries import Member, PanelProblem, panel_problems
from competitions.errors import CompetitionError, NotReady, WrongStage
from competitions.models import (
    Competition,
    Criterion,
    Juror,
    ScoreSheet,
    Status,
    Subject,
)
from competitions.selectors import sheets_missing
from rooms.models import Room, Unit

MAX_DAYS = 31


def default_rubric() -> list[tuple[str, str, Decimal, Decimal]]:
    """The rubric shipped for "thi giáo viên dạy giỏi": four lines of 5 points, 20 in all.

    The lines follow how a lesson is observed in schools (preparation, methods, what the
    students do, what they learn); every organiser may change them before scoring."""
    return [
        (
            _("Lesson preparation"),
            _("Objectives, content and teaching materials fit the students and the syllabus."),
            Decimal(1),
            Decimal(5),
        ),
        (
            _("Teaching methods"),
            _("Methods and techniques engage the students; time is well used."),
            Decimal(1),
            Decimal(5),
        ),
        (
            _("Student activity"),
            _("Students take part actively, work together and present their work."),
            Decimal(1),
            Decimal(5),
        ),
        (
            _("Outcome"),
            _("Students reach the lesson's objectives and can apply what they learnt."),
            Decimal(1),
            Decimal(5),
        ),
    ]


@dataclass(frozen=True)
class CompetitionInput:
    """What the competition form gives."""

    organiser: Unit
    name: str
    level: str
    school_level: str
    rounds: str
    first_day: date
    last_day: date
    day_start: time
    day_end: time
    slot_minutes: int
    buffer_minutes: int
    aggregation: str
    subjects: list[str]
    rooms: list[Room]


def _check(data: CompetitionInput) -> None:
    if data.last_day < data.first_day:
        raise CompetitionError(_("The last day must not come before the first day."))
    if (data.last_day - data.first_day).days >= MAX_DAYS:
        raise CompetitionError(_("Lessons span at most 31 days."))
    if data.day_end <= data.day_start:
        raise CompetitionError(_("Lessons must end after they start each day."))
    if not data.subjects:
        raise CompetitionError(_("Name at least one subject."))


def _fields(data: CompetitionInput) -> dict[str, object]:
    return {
        "organiser": data.organiser,
        "name": data.name,
        "level": data.level,
        "school_level": data.school_level,
        "rounds": data.rounds,
        "first_day": data.first_day,
        "last_day": data.last_day,
        "day_start": data.day_start,
        "day_end": data.day_end,
        "slot_minutes": data.slot_minutes,
        "buffer_minutes": data.buffer_minutes,
        "aggregation": data.aggregation,
    }


@transaction.atomic
def competition_create(*, data: CompetitionInput, by: User) -> Competition:
    """A draft competition with its subjects, rooms and the default rubric."""
    _check(data)
    competition = Competition.objects.create(created_by=by, **_fields(data))
    competition.rooms.set(data.rooms)
    Subject.objects.bulk_create(Subject(competition=competition, name=n) for n in data.subjects)
    Criterion.objects.bulk_create(
        Criterion(
            competition=competition,
            position=position,
            name=name,
            description=description,
            weight=weight,
            max_points=max_points,
        )
        for position, (name, description, weight, max_points) in enumerate(default_rubric())
    )
    return competition


@transaction.atomic
def competition_update(*, competition: Competition, data: CompetitionInput) -> Competition:
    """Change the settings; a subject that has contestants or jurors cannot be dropped."""
    if competition.status not in (Status.DRAFT, Status.OPEN, Status.CLOSED):
        raise WrongStage(_("Once the timetable is made, the competition's settings stay."))
    _check(data)
    for name, value in _fields(data).items():
        setattr(competition, name, value)
    competition.save()
    competition.rooms.set(data.rooms)
    dropped = competition.subjects.exclude(name__in=data.subjects)
    used = dropped.filter(contestants__isnull=False) | dropped.filter(jurors__isnull=False)
    if used.exists():
        raise CompetitionError(
            _("“%(subject)s” has contestants or jurors and cannot be removed.")
            % {"subject": used.first()}
        )
    dropped.delete()
    known = set(competition.subjects.values_list("name", flat=True))
    Subject.objects.bulk_create(
        Subject(competition=competition, name=n) for n in data.subjects if n not in known
    )
    return competition


@dataclass(frozen=True)
class CriterionInput:
    """One line of the rubric form; ``pk`` None for a new line."""

    pk: int | None
    name: str
    description: str
    weight: Decimal
    max_points: Decimal


@transaction.atomic
def rubric_save(*, competition: Competition, lines: list[CriterionInput]) -> None:
    """Replace the rubric by these lines, in this order (before any juror has scored)."""
    if ScoreSheet.objects.filter(contestant__competition=competition).exists():
        raise WrongStage(_("Jurors have started scoring: the rubric can no longer change."))
    if not lines:
        raise CompetitionError(_("The rubric needs at least one criterion."))
    kept = [line.pk for line in lines if line.pk is not None]
    competition.criteria.exclude(pk__in=kept).delete()
    existing = competition.criteria.in_bulk(kept)
    for position, line in enumerate(lines):
        criterion = existing.get(line.pk) if line.pk is not None else None
        if criterion is None:
            criterion = Criterion(competition=competition)
        criterion.position = position
        criterion.name = line.name
        criterion.description = line.description
        criterion.weight = line.weight
        criterion.max_points = line.max_points
        criterion.save()


def competition_locked(competition: Competition) -> Competition:
    """The competition as it is now, its row locked until the transaction ends (two
    organisers pressing a button at once take turns)."""
    Competition.objects.select_for_update().only("pk").get(pk=competition.pk)
    competition.refresh_from_db()
    return competition


def _move(competition: Competition, source: Status, target: Status) -> Competition:
    competition_locked(competition)
    if competition.status != source:
        raise WrongStage(
            _("This step is for a competition at the stage “%(stage)s”; this one is at “%(now)s”.")
            % {"stage": source.label, "now": competition.get_status_display()}
        )
    competition.status = target
    competition.save(update_fields=["status", "updated_at"])
    return competition


@transaction.atomic
def registration_open(*, competition: Competition) -> Competition:
    """Schools may register from now on (the rubric, subjects and rooms must be set)."""
    if not competition.rooms.exists():
        raise NotReady(_("Choose at least one room the lessons may use."))
    if not competition.criteria.exists():
        raise NotReady(_("The rubric needs at least one criterion."))
    return _move(competition, Status.DRAFT, Status.OPEN)


@transaction.atomic
def registration_close(*, competition: Competition) -> Competition:
    """No more registrations: the organiser may make the timetable."""
    if not competition.contestants.exists():
        raise NotReady(_("No teacher is registered yet."))
    return _move(competition, Status.OPEN, Status.CLOSED)


def _panel_sentence(subject: Subject, problem: PanelProblem) -> str:
    return {
        PanelProblem.NO_CHAIR: _("The %(subject)s panel has no chair."),
        PanelProblem.SEVERAL_CHAIRS: _("The %(subject)s panel has more than one chair."),
        PanelProblem.TOO_FEW: _("The %(subject)s panel needs at least two jurors."),
        PanelProblem.ONE_UNIT: _("The %(subject)s panel's jurors must come from various units."),
    }[problem] % {"subject": subject.name}


def panels_problems(*, subjects: QuerySet[Subject]) -> list[str]:
    """Sentences for every panel of a subject with contestants that cannot score yet."""
    sentences: list[str] = []
    for subject in subjects.filter(contestants__isnull=False).distinct():
        members = [Member(j.pk, j.unit_id, j.chair) for j in subject.jurors.all()]
        sentences += [_panel_sentence(subject, p) for p in panel_problems(members)]
    return sentences


@transaction.atomic
def scoring_start(*, competition: Competition) -> Competition:
    """Jurors may score: every subject with contestants has a panel that can."""
    problems = panels_problems(subjects=competition.subjects.prefetch_related("jurors"))
    unplaced = competition.contestants.filter(slot__isnull=True).count()
    if unplaced:
        problems.insert(
            0,
            _("%(count)d teacher(s) have no lesson in the timetable yet.") % {"count": unplaced},
        )
    if problems:
        raise NotReady(" ".join(problems))
    return _move(competition, Status.TIMETABLED, Status.SCORING)


@transaction.atomic
def results_publish(*, competition: Competition, by: User) -> Competition:
    """The organiser approves the ranking: it becomes public."""
    missing = sheets_missing(competition=competition)
    if missing:
        raise NotReady(
            _("%(count)d score sheet(s) are not submitted yet; results are published when all are.")
            % {"count": missing}
        )
    _move(competition, Status.SCORING, Status.PUBLISHED)
    competition.published_at = timezone.now()
    competition.published_by = by
    competition.save(update_fields=["published_at", "published_by"])
    return competition


@transaction.atomic
def juror_add(*, subject: Subject, user: User, unit: Unit, chair: bool) -> Juror:
    """Seat a person on a subject's panel; a new chair replaces the previous one."""
    if subject.competition.status == Status.PUBLISHED:
        raise WrongStage(_("The results are published: the panels stay as they were."))
    if Juror.objects.filter(subject=subject, user=user).exists():
        raise CompetitionError(
            _("%(name)s already sits on this panel.")
            % {"name": user.get_full_name() or user.username}
        )
    if chair:
        Juror.objects.filter(subject=subject, chair=True).update(chair=False)
    return Juror.objects.create(subject=subject, user=user, unit=unit, chair=chair)


@transaction.atomic
def juror_remove(*, juror: Juror) -> None:
    """Unseat a juror who has not scored anyone."""
    if juror.sheets.exists():
        raise CompetitionError(_("This juror has scored contestants and stays on the panel."))
    juror.delete()
