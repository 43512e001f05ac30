"""A department that runs a course of three one-hour sessions, and the teachers it takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from archive.models import Recording, RecordingKind, RecordingState
from courses.models import Course, CourseSession
from courses.services.setup import (
    CourseInput,
    course_create,
    course_session_add,
    enrolment_rule_add,
)
from identity.models import Teacher
from rooms.models import Level, Province, Room, Unit, UnitKind
from scheduling.models import Attendance, Occurrence
from tests.factories import UserFactory
from tests.meetings import one_meeting

HOUR = timedelta(hours=1)


@dataclass
class World:
    """Who is who, and the course."""

    department: Unit
    schools: dict[str, Unit]
    room: Room
    organiser: User
    teachers: dict[str, User]
    stranger: User
    course: Course
    sessions: list[CourseSession]
    start: datetime


def _person(username: str, full_name: str) -> User:
    """As the roster import writes people: the whole name in ``first_name``."""
    return cast(User, UserFactory(username=username, first_name=full_name, last_name=""))


def _unit(code: str, kind: str, name: str, province: Province, **more: object) -> Unit:
    return Unit.objects.create(
        code=code, kind=kind, name=name, slug=code.lower(), province=province, **more
    )


@pytest.fixture
def world(db: None) -> World:
    hanoi = Province.objects.create(code=1, name="Hà Nội", slug="hanoi")
    department = _unit("SO01", UnitKind.DEPARTMENT, "Sở Giáo dục và Đào tạo Hà Nội", hanoi)
    district = _unit(
        "HN-BADINH", UnitKind.DISTRICT, "Phòng GD&ĐT Ba Đình", hanoi, parent=department
    )
    schools = {
        "giangvo": _unit(
            "HN-C2GIANGVO",
            UnitKind.SCHOOL,
            "Trường THCS Giảng Võ",
            hanoi,
            parent=district,
            level=Level.C2,
        ),
        "tranphu": _unit(
            "HN-C3TRANPHU",
            UnitKind.SCHOOL,
            "Trường THPT Trần Phú",
            hanoi,
            parent=department,
            level=Level.C3,
        ),
    }
    organiser = _person("quanly.hanoi", "Nguyễn Thị Lan")
    room = Room.objects.create(unit=department, slug="hanoi", manager=organiser)
    teachers = {
        "minh": _person("gv.minh", "Trần Văn Minh"),
        "hoa": _person("gv.hoa", "Lê Thị Hoa"),
        "son": _person("gv.son", "Phạm Sơn"),  # a C3 teacher: the C2 rule does not take him
    }
    for n, (key, school, subjects) in enumerate(
        (
            ("minh", "giangvo", "Toán, Tin học"),
            ("hoa", "giangvo", "Ngữ văn"),
            ("son", "tranphu", "Toán"),
        )
    ):
        teacher = Teacher(national_id=f"00120000000{n}", user=teachers[key], unit=schools[school])
        teacher.teaches(subjects)
        teacher.save()
    course = course_create(
        data=CourseInput(
            organiser=department,
            title="Bồi dưỡng Chương trình GDPT 2018 môn Toán",
            description="",
            hours=Decimal("12"),
            min_percent=80,
        ),
        by=organiser,
    )
    enrolment_rule_add(course=course, unit=None, province=hanoi, level=Level.C2)
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    sessions = [
        course_session_add(
            course=course,
            occurrence=one_meeting(room, start=start + timedelta(days=i), title=f"Buổi {i + 1}"),
        )
        for i in range(3)
    ]
    return World(
        department=department,
        schools=schools,
        room=room,
        organiser=organiser,
        teachers=teachers,
        stranger=_person("nguoila", "Người Lạ"),
        course=course,
        sessions=sessions,
        start=start,
    )


def attend(occurrence: Occurrence, user: User, minutes_from: int, minutes_to: int) -> Attendance:
    """``user`` was in the meeting from ``minutes_from`` to ``minutes_to`` after its start."""
    return Attendance.objects.create(
        occurrence=occurrence,
        user=user,
        name=user.get_full_name(),
        joined_at=occurrence.start + timedelta(minutes=minutes_from),
        left_at=occurrence.start + timedelta(minutes=minutes_to),
    )


def recorded(session: CourseSession, *, late_secs: int = 0) -> Recording:
    """A finished one-hour recording of the session's meeting."""
    occurrence = session.occurrence
    return Recording.objects.create(
        room=occurrence.room,
        occurrence=occurrence,
        kind=RecordingKind.MEETING,
        state=RecordingState.READY,
        duration=3600.0,
        started_at=occurrence.start + timedelta(seconds=late_secs),
        ended_at=occurrence.end,
    )
