"""Enrolment, watched time, quizzes and certificates through the services (issue 15)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courses.errors import CourseError, InvalidQuiz, NotComplete, NotEnrolled
from courses.models import Certificate, WatchRecord
from courses.selectors import (
    completion_by_school,
    courses_taken,
    courses_visible,
    enrolled_users,
    is_enrolled,
    progress_of,
    progress_table,
)
from courses.services.certificates import certificate_issue
from courses.services.progress import TooManyReports, quiz_attempt_submit, watch_report
from courses.services.setup import (
    CourseInput,
    course_create,
    course_invite,
    enrolment_rule_add,
    quiz_save,
)
from realtime.ratelimit import reset_store
from tests.courses.conftest import World, attend, recorded

QUIZ = (
    "Năm ban hành Chương trình GDPT?\n- 2006\n* 2018\n\n"
    "Hai cách đánh giá?\n* Thường xuyên\n* Định kỳ\n- Ngẫu nhiên\n"
)


@pytest.fixture(autouse=True)
def _fresh_limits(settings) -> None:
    # Buckets of this test only: user ids repeat from one run to the next.
    settings.MEET_RATELIMIT_PREFIX = f"test-courses:{uuid.uuid4().hex}:"
    settings.MEET_COURSE_WATCH_RATE = (0.001, 1000)
    reset_store()


def _quiz(world: World) -> None:
    quiz_save(course=world.course, text=QUIZ, pass_percent=100, required=True)


def _pass_quiz(world: World, user) -> None:
    quiz = world.course.quiz
    answers = {
        q.pk: frozenset(c.pk for c in q.choices.all() if c.correct) for q in quiz.questions.all()
    }
    assert quiz_attempt_submit(quiz=quiz, user=user, answers=answers).passed


def test_a_rule_takes_the_roster_teachers_it_names(world: World) -> None:
    """ "All C2 teachers of Hà Nội": the two of Giảng Võ, not Trần Phú's C3 teacher."""
    assert {u.username for u in enrolled_users(world.course)} == {"gv.minh", "gv.hoa"}
    assert not is_enrolled(world.teachers["son"], world.course)
    course_invite(course=world.course, user=world.teachers["son"])
    assert is_enrolled(world.teachers["son"], world.course)
    assert not is_enrolled(world.stranger, world.course)


def test_a_unit_rule_takes_the_units_under_it(world: World) -> None:
    world.course.rules.all().delete()
    enrolment_rule_add(course=world.course, unit=world.department, province=None, level="")
    assert {u.username for u in enrolled_users(world.course)} == {"gv.minh", "gv.hoa", "gv.son"}


def test_a_subject_rule_takes_the_teachers_of_that_subject(world: World) -> None:
    """ "Every C2 mathematics teacher of Hà Nội": Minh (Toán, Tin học), not Hoa (Ngữ văn),
    not Sơn (Toán, but C3); typed without the marks it is the same subject."""
    world.course.rules.all().delete()
    hanoi = world.department.province
    enrolment_rule_add(course=world.course, unit=None, province=hanoi, level="C2", subject="toan")
    assert {u.username for u in enrolled_users(world.course)} == {"gv.minh"}
    assert is_enrolled(world.teachers["minh"], world.course)
    assert not is_enrolled(world.teachers["hoa"], world.course)
    assert not is_enrolled(world.teachers["son"], world.course)
    # A subject alone is a rule too: every mathematics teacher.
    world.course.rules.all().delete()
    enrolment_rule_add(course=world.course, unit=None, province=None, level="", subject="Toán")
    assert {u.username for u in enrolled_users(world.course)} == {"gv.minh", "gv.son"}


def test_an_empty_rule_is_refused(world: World) -> None:
    with pytest.raises(CourseError):
        enrolment_rule_add(course=world.course, unit=None, province=None, level="")


def test_two_sessions_live_and_the_third_on_its_recording_complete_the_course(
    world: World,
) -> None:
    """Issue 15's teacher: completion computed from attendance and watched minutes."""
    _quiz(world)
    minh = world.teachers["minh"]
    first, second, third = world.sessions
    attend(first.occurrence, minh, 0, 55)
    attend(second.occurrence, minh, 5, 30)
    attend(second.occurrence, minh, 28, 60)  # rejoined after a dropped link: overlap once
    recorded(third)
    record = watch_report(session=third, user=minh, spans=[(0, 30)], duration_secs=3600)
    WatchRecord.objects.filter(pk=record.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    watch_report(session=third, user=minh, spans=[(0, 1800), (1700, 3000)], duration_secs=3600)
    progress = progress_of(world.course, minh)
    assert [round(s.percent) for s in progress.shares] == [92, 92, 83]
    assert not progress.complete  # the quiz is not passed yet
    with pytest.raises(NotComplete):
        certificate_issue(course=world.course, user=minh)
    _pass_quiz(world, minh)
    assert progress_of(world.course, minh).complete
    certificate = certificate_issue(course=world.course, user=minh)
    assert certificate.teacher_name == "Trần Văn Minh"
    assert certificate.school_name == "Trường THCS Giảng Võ"
    assert certificate.hours == 12
    assert certificate_issue(course=world.course, user=minh) == certificate  # once


def test_watching_the_same_minutes_again_counts_once(world: World) -> None:
    hoa, third = world.teachers["hoa"], world.sessions[2]
    recorded(third)
    for _ in range(3):
        record = watch_report(session=third, user=hoa, spans=[(0, 20)], duration_secs=3600)
    assert record.seconds == 20
    assert record.spans == [[0.0, 20.0]]


def test_a_report_cannot_claim_more_than_the_wall_clock(world: World) -> None:
    """The whole hour reported in the first seconds: only the slack is counted."""
    hoa, third = world.teachers["hoa"], world.sessions[2]
    recorded(third)
    record = watch_report(session=third, user=hoa, spans=[(0, 3600)], duration_secs=3600)
    assert record.seconds <= 60


def test_reports_outside_the_recording_are_refused(world: World) -> None:
    hoa, third = world.teachers["hoa"], world.sessions[2]
    with pytest.raises(CourseError):
        watch_report(session=third, user=hoa, spans=[(10, 7200)], duration_secs=3600)
    with pytest.raises(CourseError):
        watch_report(session=third, user=hoa, spans=[(-5, 10)], duration_secs=3600)


def test_reports_are_rate_limited(world: World, settings) -> None:
    settings.MEET_COURSE_WATCH_RATE = (60.0, 2)
    reset_store()
    hoa, third = world.teachers["hoa"], world.sessions[2]
    watch_report(session=third, user=hoa, spans=[(0, 5)], duration_secs=3600)
    watch_report(session=third, user=hoa, spans=[(5, 10)], duration_secs=3600)
    with pytest.raises(TooManyReports):
        watch_report(session=third, user=hoa, spans=[(10, 15)], duration_secs=3600)


def test_a_recording_started_late_is_placed_on_the_sessions_timeline(world: World) -> None:
    """Live for the first 10 minutes, then the recording (started 10 min late) from its 0."""
    minh, first = world.teachers["minh"], world.sessions[0]
    attend(first.occurrence, minh, 0, 10)
    recorded(first, late_secs=600)
    record = watch_report(session=first, user=minh, spans=[(0, 30)], duration_secs=3600)
    WatchRecord.objects.filter(pk=record.pk).update(spans=[[0, 3000]], updated_at=timezone.now())
    assert round(progress_of(world.course, minh).shares[0].percent) == 100


def test_the_quiz_text_is_checked(world: World) -> None:
    with pytest.raises(InvalidQuiz, match="Dòng 1:"):
        quiz_save(course=world.course, text="Câu?\n- a\n- b", pass_percent=50, required=True)


def test_a_failed_attempt_is_kept_and_another_may_follow(world: World) -> None:
    _quiz(world)
    hoa = world.teachers["hoa"]
    wrong = quiz_attempt_submit(quiz=world.course.quiz, user=hoa, answers={})
    assert (wrong.percent, wrong.passed) == (0, False)
    _pass_quiz(world, hoa)
    assert world.course.quiz.attempts.filter(user=hoa).count() == 2
    assert progress_of(world.course, hoa).quiz_passed


def test_nobody_outside_the_course_gets_a_certificate(world: World) -> None:
    with pytest.raises(NotEnrolled):
        certificate_issue(course=world.course, user=world.stranger)
    assert not Certificate.objects.exists()


def test_completion_per_school(world: World) -> None:
    minh = world.teachers["minh"]
    for session in world.sessions:
        attend(session.occurrence, minh, 0, 60)
    course_invite(course=world.course, user=world.teachers["son"])
    rows = progress_table(world.course, list(enrolled_users(world.course)))
    schools = {s.school: (s.enrolled, s.completed) for s in completion_by_school(rows)}
    assert schools == {"Trường THCS Giảng Võ": (2, 1), "Trường THPT Trần Phú": (1, 0)}


def test_the_completion_table_takes_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:
    for session in world.sessions:
        for teacher in world.teachers.values():
            attend(session.occurrence, teacher, 0, 60)
    users = list(enrolled_users(world.course))
    with django_assert_max_num_queries(10):
        progress_table(world.course, users)


@pytest.mark.parametrize(
    "rule",
    [
        {"unit": "department"},
        {"unit": "giangvo"},
        {"unit": "tranphu", "level": "C3"},
        {"level": "C2"},
        {"level": "C3"},
        {"province": True, "level": "C23"},
        {"subject": "Toán"},
        {"subject": "Tin hoc", "level": "C2"},
        {"subject": "Ngữ văn", "unit": "tranphu"},
        {"subject": "Hóa học"},
    ],
)
def test_who_a_course_takes_and_what_a_teacher_takes_agree(world: World, rule: dict) -> None:
    """The two directions of the one rule (``enrolled_users`` and ``courses_taken``)."""
    world.course.rules.all().delete()
    units = {"department": world.department, **world.schools}
    enrolment_rule_add(
        course=world.course,
        unit=units[rule["unit"]] if "unit" in rule else None,
        province=world.department.province if rule.get("province") else None,
        level=rule.get("level", ""),
        subject=rule.get("subject", ""),
    )
    taken = {u.pk for u in enrolled_users(world.course)}
    for person in [*world.teachers.values(), world.stranger, world.organiser]:
        assert is_enrolled(person, world.course) is (person.pk in taken)
        assert (world.course in courses_taken(person)) is (person.pk in taken)


def test_the_course_list_costs_the_same_whatever_the_courses(
    world: World, django_assert_max_num_queries
) -> None:
    for n in range(5):
        course_invite(
            course=course_create(
                data=CourseInput(world.department, f"Khóa {n}", "", Decimal(2), 80),
                by=world.organiser,
            ),
            user=world.teachers["son"],
        )
    with django_assert_max_num_queries(4):
        titles = [c.title for c in courses_visible(viewer=world.teachers["son"])]
    assert len(titles) == 5
    assert len(courses_visible(viewer=world.teachers["minh"])) == 1
    assert len(courses_visible(viewer=world.organiser)) == 6
    assert courses_visible(viewer=world.stranger) == []
