"""Rows of the training-course pages (issue 15): who organises, who takes it, who checks.

The district office ``phong`` organises (its manager, unit login and administrators:
``MANAGERS``). The course takes the ``participant`` role, invited by name (TEACHER); every
other signed-in role is a stranger to it. The course has one session, the main room's
public meeting, recorded; the teacher holds a certificate. ``/verify/<code>`` is public.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from archive.models import Recording, RecordingKind, RecordingState
from archive.services.paths import recording_directory
from courses.models import Certificate
from courses.services.certificates import new_code
from courses.services.setup import (
    CourseInput,
    course_create,
    course_invite,
    course_session_add,
    enrolment_rule_add,
    quiz_save,
)
from tests.security.matrix import roles as r
from tests.security.matrix.table import Row, UrlOf, gate, listing
from tests.security.matrix.world import World

E = r.EVERYONE
TITLE = "Khóa bồi dưỡng ma trận"
TEACHER = frozenset({r.PARTICIPANT})
ORGANISERS = r.MANAGERS
# Whoever manages a room of an office may start one (the department, both offices).
OFFICES = frozenset({r.UNIT, r.MANAGER, r.OTHER_MANAGER, r.PARENT_UNIT, r.ADMIN})


def _build(world: World) -> None:
    """The course, its recorded session, the teacher's certificate; ids in ``world.extra``."""
    office = world.rooms["main"].unit
    assert office is not None
    course = course_create(
        data=CourseInput(
            organiser=office, title=TITLE, description="", hours=Decimal(8), min_percent=80
        ),
        by=world.users[r.MANAGER],
    )
    occurrence = world.occurrences["public"]
    session = course_session_add(course=course, occurrence=occurrence)
    rule = enrolment_rule_add(course=course, unit=office, province=None, level="")
    course_invite(course=course, user=world.users[r.PARTICIPANT])
    quiz_save(course=course, text="Câu hỏi?\n* Đúng\n- Sai", pass_percent=50, required=True)
    recording = Recording.objects.create(
        room=occurrence.room,
        occurrence=occurrence,
        kind=RecordingKind.MEETING,
        state=RecordingState.READY,
        duration=60.0,
    )
    directory: Path = recording_directory(recording.id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "recording.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    certificate = Certificate.objects.create(
        course=course,
        user=world.users[r.PARTICIPANT],
        code=new_code(),
        teacher_name="Giáo viên Ma Trận",
        course_title=TITLE,
        organiser_name=office.name,
        hours=course.hours,
    )
    world.extra |= {
        "course": course.pk,
        "course_session": session.pk,
        "rule": rule.pk,
        "code": certificate.code,
    }


def page(tail: str = "") -> UrlOf:
    return lambda w: f"/courses/{w.extra['course']}/{tail}"


def session_page(tail: str) -> UrlOf:
    return lambda w: f"/courses/{w.extra['course']}/sessions/{w.extra['course_session']}/{tail}"


def _forged(w: World) -> str:
    code: str = w.extra["code"]
    return f"/verify/{code[:-1]}{'0' if code[-1] != '0' else '1'}"


ROWS: list[Row] = [
    listing(
        "courses:list",
        lambda w: "/courses/",
        TITLE,
        ORGANISERS | TEACHER,
        state="a course",
        refused=r.NOT_SIGNED_IN,
        prepare=_build,
    ),
    gate("courses:new", lambda w: "/courses/new/", OFFICES),
    gate("courses:detail", page(), ORGANISERS | TEACHER, prepare=_build),
    gate("courses:edit", page("edit/"), ORGANISERS, prepare=_build),
    gate("courses:sessions", page("sessions/"), ORGANISERS, prepare=_build),
    gate(
        "courses:session-remove",
        session_page("remove/"),
        ORGANISERS,
        method="post",
        prepare=_build,
    ),
    gate("courses:enrolment", page("enrolment/"), ORGANISERS, prepare=_build),
    gate(
        "courses:rule-remove",
        lambda w: f"/courses/{w.extra['course']}/rules/{w.extra['rule']}/remove/",
        ORGANISERS,
        method="post",
        prepare=_build,
    ),
    gate("courses:quiz-edit", page("quiz/edit/"), ORGANISERS, prepare=_build),
    gate("courses:quiz", page("quiz/"), TEACHER, prepare=_build),
    gate("courses:watch", session_page("watch/"), TEACHER, prepare=_build),
    gate("courses:video", session_page("video.mp4"), TEACHER, prepare=_build, ok=(200, 206)),
    gate(
        "courses:watched",
        session_page("watched"),
        TEACHER,
        method="post",
        prepare=_build,
        as_json=True,
        data=lambda w: {"spans": [[0, 1]]},
    ),
    gate(
        "courses:certificate-request",
        page("certificate/"),
        TEACHER,
        method="post",
        prepare=_build,
    ),
    gate("courses:certificate", page("certificate.pdf"), TEACHER, prepare=_build),
    gate("courses:completion", page("completion/"), ORGANISERS, prepare=_build),
    gate("courses:completion-csv", page("completion.csv"), ORGANISERS, prepare=_build),
    gate("courses:completion-pdf", page("completion.pdf"), ORGANISERS, prepare=_build),
    gate(
        "verify:certificate",
        lambda w: f"/verify/{w.extra['code']}",
        E,
        state="genuine",
        prepare=_build,
    ),
    gate("verify:certificate", _forged, r.NOBODY, state="forged", prepare=_build),
]
