"""A competition of the demo's Hà Nội department at its scoring stage, made with ``meet
shell`` on the live server (tests/e2e/server.py): one Toán lesson by Trần Phú's teacher in
Trần Phú's room, judged by the demo teachers giaovien1 (Ba Đình office, chair) and
giaovien2 (Cầu Giấy office). The script prints the competition's and contestant's ids."""

from __future__ import annotations

ROOM = "c3tranphu-hanoi"

_SCRIPT = """
import json
from datetime import time, timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from competitions.models import Slot
from competitions.services.registration import ContestantInput, contestant_register
from competitions.services.setup import (
    CompetitionInput, competition_create, juror_add, registration_close, registration_open,
    scoring_start,
)
from competitions.services.timetable import timetable_generate
from rooms.models import Room, Unit

NAME, ROOM, LESSON_NOW = {name!r}, {room!r}, {lesson_now!r}
organiser = User.objects.get(username="quanly.hanoi")
day = timezone.localdate() + timedelta(days=7)
competition = competition_create(
    data=CompetitionInput(
        organiser=Unit.objects.get(code="SO01"), name=NAME, level="province",
        school_level="", rounds="", first_day=day, last_day=day, day_start=time(7, 30),
        day_end=time(11, 30), slot_minutes=45, buffer_minutes=15, aggregation="mean",
        subjects=["Toán"], rooms=[Room.objects.get(slug=ROOM)],
    ),
    by=organiser,
)
registration_open(competition=competition)
contestant = contestant_register(
    competition=competition,
    data=ContestantInput(
        school=Unit.objects.get(code="HN-C3TRANPHU"), subject=competition.subjects.get(),
        teacher_name="Trần Văn Minh", teacher_email="", lesson_title="Hàm số bậc hai",
        class_name="10A1", documents=[],
    ),
    by=User.objects.get(username=ROOM),
)
registration_close(competition=competition)
timetable_generate(competition=competition)
subject = competition.subjects.get()
juror_add(subject=subject, user=User.objects.get(username="giaovien1"),
          unit=Unit.objects.get(code="HN-BADINH"), chair=True)
juror_add(subject=subject, user=User.objects.get(username="giaovien2"),
          unit=Unit.objects.get(code="HN-CAUGIAY"), chair=False)
scoring_start(competition=competition)
if LESSON_NOW:  # the timetable placed it next week; it is being taught now
    now = timezone.now()
    Slot.objects.filter(contestant=contestant).update(
        start=now - timedelta(minutes=5), end=now + timedelta(minutes=40)
    )
print(json.dumps({{"pk": competition.pk, "contestant": contestant.pk}}))
"""


def competition_at_scoring(name: str, *, lesson_now: bool = False) -> str:
    """The ``meet shell`` script that makes it (``lesson_now``: its lesson is under way)."""
    return _SCRIPT.format(name=name, room=ROOM, lesson_now=lesson_now)
