"""Reads of training courses: who takes a course, what they did, who completed it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from archive.models import Recording, RecordingState
from courses.domain.completion import Progress, Rule, SessionTime, progress, spans_of
from courses.domain.enrolment import levels_covering, rule_levels_taking
from courses.domain.intervals import Span
from courses.models import (
    Certificate,
    Course,
    CourseSession,
    EnrolmentRule,
    Quiz,
    QuizAttempt,
    WatchRecord,
)
from identity.domain.roster import subject_key
from identity.models import Teacher
from rooms.models import Unit
from rooms.permissions import AnyUser, acting_pk, is_system_admin, managed_units
from scheduling.models import Attendance

# Teachers' units sit at most four steps under a ministry (ministry → department →
# district → commune → school), so a unit rule looks that far up.
UNIT_DEPTH = 4


def course_get(*, pk: int) -> Course | None:
    """The course with its organising unit, or None."""
    return Course.objects.select_related("organiser").filter(pk=pk).first()


def _rule_q(rule: EnrolmentRule) -> Q:
    q = Q()
    if rule.unit_id is not None:
        unit_q = Q()
        path = "teacher__unit"
        for _ in range(UNIT_DEPTH + 1):
            unit_q |= Q(**{f"{path}_id": rule.unit_id})
            path += "__parent"
        q &= unit_q
    if rule.province_id is not None:
        q &= Q(teacher__unit__province_id=rule.province_id)
    if rule.level:
        q &= Q(teacher__unit__level__in=levels_covering(rule.level))
    if rule.subject:
        q &= Q(teacher__subject_keys__contains=f"|{subject_key(rule.subject)}|")
    return q & Q(teacher__isnull=False)


def enrolled_users(course: Course) -> QuerySet[User]:
    """Everyone the course takes: invited by name, or a roster teacher a rule matches."""
    q = Q(pk__in=course.invitations.values("user_id"))
    for rule in course.rules.all():
        q |= _rule_q(rule)
    return (
        User.objects.filter(q, is_active=True)
        .select_related("teacher__unit")
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def courses_taken(user: AnyUser) -> QuerySet[Course]:
    """The courses that take this person: invited, or a roster teacher a rule matches
    (the inverse of ``enrolled_users``; a rule of a subject is checked against the
    subjects the roster gives the teacher). None when signed out."""
    pk = acting_pk(user)
    if pk is None:
        return Course.objects.none()
    q = Q(invitations__user_id=pk)
    teacher = (
        Teacher.objects.select_related("unit__parent__parent__parent__parent")
        .filter(user_id=pk)
        .first()
    )
    if teacher is not None:
        unit, ancestors = teacher.unit, list[int]()
        cursor: Unit | None = unit
        while cursor is not None and len(ancestors) <= UNIT_DEPTH:
            ancestors.append(cursor.pk)
            cursor = cursor.parent
        rules = EnrolmentRule.objects.filter(
            Q(unit__isnull=True) | Q(unit_id__in=ancestors),
            Q(province__isnull=True) | Q(province_id=unit.province_id),
            Q(level="") | Q(level__in=rule_levels_taking(unit.level)),
        )
        taught = set(filter(None, teacher.subject_keys.split("|")))
        courses = [r.course_id for r in rules if not r.subject or subject_key(r.subject) in taught]
        q |= Q(pk__in=courses)
    return Course.objects.filter(q).distinct()


def is_enrolled(user: AnyUser, course: Course) -> bool:
    """Whether the course takes this person (never when signed out)."""
    return course.pk is not None and courses_taken(user).filter(pk=course.pk).exists()


def courses_visible(*, viewer: AnyUser) -> list[Course]:
    """The courses a person organises or takes, newest first."""
    if acting_pk(viewer) is None:
        return []
    courses = Course.objects.select_related("organiser")
    if not is_system_admin(viewer):
        courses = courses.filter(
            Q(organiser__in=managed_units(viewer)) | Q(pk__in=courses_taken(viewer).values("pk"))
        )
    return list(courses)


def sessions_of(course: Course) -> list[CourseSession]:
    """The course's sessions in time order, with their meetings."""
    return list(
        course.sessions.select_related("occurrence__session", "occurrence__room").order_by(
            "occurrence__start", "id"
        )
    )


def session_recording(session: CourseSession) -> Recording | None:
    """The finished recording of the session's meeting (the latest, when there are several)."""
    return (
        Recording.objects.filter(occurrence_id=session.occurrence_id, state=RecordingState.READY)
        .order_by("-created")
        .first()
    )


def quiz_of(course: Course) -> Quiz | None:
    """The course's quiz, or None."""
    return Quiz.objects.filter(course=course).first()


def certificate_of(course: Course, user: AnyUser) -> Certificate | None:
    """The certificate issued to this person for this course, or None."""
    pk = acting_pk(user)
    if pk is None:
        return None
    return Certificate.objects.filter(course=course, user_id=pk).first()


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate with this (normalised) code, or None."""
    return Certificate.objects.filter(code=code).first()


@dataclass(frozen=True)
class TeacherProgress:
    """One teacher's row of the completion table."""

    user: User
    school: Unit | None
    progress: Progress


def _seconds(moment: datetime, start: datetime) -> float:
    return (moment - start).total_seconds()


def progress_table(course: Course, users: list[User]) -> list[TeacherProgress]:
    """Each teacher's progress, in a fixed number of queries whatever their count."""
    sessions = sessions_of(course)
    ids = [u.pk for u in users]
    now = timezone.now()
    starts = {s.occurrence_id: s.occurrence.start for s in sessions}
    live: dict[tuple[int, int], list[Span]] = defaultdict(list)
    for a in Attendance.objects.filter(occurrence_id__in=starts, user_id__in=ids).only(
        "occurrence_id", "user_id", "joined_at", "left_at"
    ):
        start = starts[a.occurrence_id]
        span = Span(_seconds(a.joined_at, start), _seconds(a.left_at or now, start))
        live[(a.occurrence_id, a.user_id or 0)].append(span)
    watched = {
        (w.session_id, w.user_id): spans_of(w.spans)
        for w in WatchRecord.objects.filter(session__course=course, user_id__in=ids)
    }
    offsets = {s.pk: _recording_offset(s) for s in sessions}
    quiz = quiz_of(course)
    passed = set(
        QuizAttempt.objects.filter(quiz=quiz, user_id__in=ids, passed=True).values_list(
            "user_id", flat=True
        )
        if quiz is not None
        else ()
    )
    rule = Rule(min_percent=course.min_percent, quiz_required=bool(quiz and quiz.required))
    rows = []
    for user in users:
        times = [
            SessionTime(
                length_secs=_seconds(s.occurrence.end, s.occurrence.start),
                live=tuple(live.get((s.occurrence_id, user.pk), ())),
                watched=watched.get((s.pk, user.pk), ()),
                recording_offset_secs=offsets[s.pk],
            )
            for s in sessions
        ]
        teacher = getattr(user, "teacher", None)
        rows.append(
            TeacherProgress(
                user=user,
                school=teacher.unit if isinstance(teacher, Teacher) else None,
                progress=progress(rule, times, quiz_passed=user.pk in passed),
            )
        )
    return rows


def _recording_offset(session: CourseSession) -> float:
    recording = session_recording(session)
    if recording is None or recording.started_at is None:
        return 0.0
    return _seconds(recording.started_at, session.occurrence.start)


def progress_of(course: Course, user: User) -> Progress:
    """One teacher's progress in the course."""
    return progress_table(course, [user])[0].progress


@dataclass(frozen=True)
class SchoolCompletion:
    """How many of a school's enrolled teachers completed the course."""

    school: str
    enrolled: int
    completed: int

    @property
    def percent(self) -> float:
        """Completed as a share of enrolled, 0 to 100."""
        return 100.0 * self.completed / self.enrolled if self.enrolled else 0.0


def completion_by_school(rows: list[TeacherProgress]) -> list[SchoolCompletion]:
    """The completion table summed per school (people outside the roster under "—")."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = row.school.name if row.school is not None else "—"
        counts[key][0] += 1
        counts[key][1] += int(row.progress.complete)
    return [SchoolCompletion(k, v[0], v[1]) for k, v in sorted(counts.items())]
