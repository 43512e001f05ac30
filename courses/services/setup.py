"""The organiser's writes: a course, its sessions, who takes it, its quiz."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from courses.domain import quiz as quiz_rules
from courses.errors import CourseError, InvalidQuiz
from courses.models import (
    Choice,
    Course,
    CourseInvitation,
    CourseSession,
    EnrolmentRule,
    Question,
    Quiz,
)
from rooms.models import Province, Unit
from scheduling.models import Occurrence


@dataclass(frozen=True)
class CourseInput:
    """What the organiser fills in for a course."""

    organiser: Unit
    title: str
    description: str
    hours: Decimal
    min_percent: int


def course_create(*, data: CourseInput, by: User) -> Course:
    """A new course of the organising unit."""
    return Course.objects.create(
        organiser=data.organiser,
        title=data.title.strip(),
        description=data.description.strip(),
        hours=data.hours,
        min_percent=data.min_percent,
        created_by=by,
    )


def course_update(*, course: Course, data: CourseInput) -> Course:
    """New settings of a course. Certificates already issued keep what they say."""
    course.organiser = data.organiser
    course.title = data.title.strip()
    course.description = data.description.strip()
    course.hours = data.hours
    course.min_percent = data.min_percent
    course.save()
    return course


def course_session_add(*, course: Course, occurrence: Occurrence) -> CourseSession:
    """A scheduled meeting becomes one of the course's sessions."""
    if occurrence.cancelled:
        raise CourseError(_("This meeting was cancelled."))
    session, _created = CourseSession.objects.get_or_create(course=course, occurrence=occurrence)
    return session


def course_session_remove(*, session: CourseSession) -> None:
    """The meeting is no longer part of the course (watched time with it)."""
    session.delete()


def enrolment_rule_add(
    *,
    course: Course,
    unit: Unit | None,
    province: Province | None,
    level: str,
    subject: str = "",
) -> EnrolmentRule:
    """Teachers of the roster matching all the given fields take the course."""
    subject = " ".join(subject.split())
    if unit is None and province is None and not level and not subject:
        raise CourseError(_("Choose a unit, a province, a school level or a subject."))
    return EnrolmentRule.objects.create(
        course=course, unit=unit, province=province, level=level, subject=subject
    )


def enrolment_rule_remove(*, rule: EnrolmentRule) -> None:
    """Remove a rule; teachers it alone took no longer take the course."""
    rule.delete()


def course_invite(*, course: Course, user: User) -> CourseInvitation:
    """A person takes the course whatever the rules say."""
    invitation, _created = CourseInvitation.objects.get_or_create(course=course, user=user)
    return invitation


@transaction.atomic
def quiz_save(*, course: Course, text: str, pass_percent: int, required: bool) -> Quiz:
    """The quiz's questions from the organiser's text, replacing the previous ones.

    Attempts already made keep their grade; questions change only for later attempts."""
    try:
        questions = quiz_rules.parse(text)
    except quiz_rules.QuizFormatError as exc:
        raise InvalidQuiz(_quiz_problem(exc)) from exc
    if not questions:
        raise InvalidQuiz(_("Write at least one question."))
    quiz, _created = Quiz.objects.select_for_update().get_or_create(course=course)
    quiz.pass_percent, quiz.required = pass_percent, required
    quiz.save()
    quiz.questions.all().delete()
    for position, item in enumerate(questions):
        question = Question.objects.create(quiz=quiz, position=position, text=item.text)
        Choice.objects.bulk_create(
            Choice(question=question, position=i, text=t, correct=i in item.correct)
            for i, t in enumerate(item.choices)
        )
    return quiz


def _quiz_problem(exc: quiz_rules.QuizFormatError) -> str:
    sentences = {
        "choices": _("Line %(line)d: a question needs at least two answers."),
        "correct": _("Line %(line)d: mark at least one right answer with *."),
        "orphan": _("Line %(line)d: an answer must follow its question."),
        "long": _("Line %(line)d is too long, or a question has too many answers."),
    }
    return sentences[exc.problem] % {"line": exc.line}
