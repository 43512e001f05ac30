"""Importing an .ics: the preview shows what confirming does, and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms.models import Room
from rooms.services.demo import demo_load
from scheduling.models import Occurrence, Session
from scheduling.services.sessions import session_schedule
from tests.scheduling.test_sessions import briefing, manager, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit").get(slug="hanoi")


def ics(monday: str) -> bytes:
    return f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
BEGIN:VEVENT
UID:a@google.com
SUMMARY:Sinh hoạt chuyên môn
DTSTART;TZID=Asia/Ho_Chi_Minh:{monday}T140000
DTEND;TZID=Asia/Ho_Chi_Minh:{monday}T153000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Asia/Ho_Chi_Minh:{monday}T140000
END:VEVENT
BEGIN:VEVENT
UID:b@google.com
SUMMARY:Trùng giao ban
DTSTART;TZID=Asia/Ho_Chi_Minh:{monday}T083000
DTEND;TZID=Asia/Ho_Chi_Minh:{monday}T090000
END:VEVENT
BEGIN:VEVENT
UID:c@google.com
SUMMARY:Ngày nghỉ
DTSTART;VALUE=DATE:{monday}
END:VEVENT
BEGIN:VEVENT
UID:d@google.com
SUMMARY:Mỗi giờ
DTSTART:20270101T010000Z
DTEND:20270101T013000Z
RRULE:FREQ=HOURLY
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()


def test_preview_then_confirm(hanoi: Room) -> None:
    start = next_monday()
    session_schedule(data=briefing(hanoi, start))
    client = manager()
    body = ics(start.strftime("%Y%m%d"))
    page = client.post(
        "/hanoi/import/", {"file": SimpleUploadedFile("cal.ics", body)}
    ).content.decode()
    assert Session.objects.count() == 1  # nothing written by the preview
    assert "Sinh hoạt chuyên môn" in page and "Trùng giao ban" in page
    assert (
        "cả ngày" in page.lower() or "All-day" in page
    )  # the all-day event is refused with a reason
    assert (
        page.count("badge-ok") == 1
        and page.count("badge-warn") == 1
        and page.count("badge-bad") == 2
    )
    response = client.post("/hanoi/import/", {"action": "confirm"})
    assert response.status_code == 302
    imported = Session.objects.get(title="Sinh hoạt chuyên môn")
    assert imported.occurrences.count() == 4
    assert imported.occurrences.filter(cancelled=True).count() == 1  # the EXDATE
    assert not Session.objects.filter(title__in=["Trùng giao ban", "Ngày nghỉ", "Mỗi giờ"]).exists()
    assert Occurrence.objects.filter(room=hanoi, start=start + timedelta(minutes=30)).count() == 0


def test_not_a_calendar(hanoi: Room) -> None:
    page = (
        manager()
        .post("/hanoi/import/", {"file": SimpleUploadedFile("x.ics", b"hello")})
        .content.decode()
    )
    assert "alert-error" in page


def test_others_cannot_import(hanoi: Room) -> None:
    teacher = Client()
    teacher.force_login(
        User.objects.get(username="giaovien1"), backend="django.contrib.auth.backends.ModelBackend"
    )
    assert teacher.get("/hanoi/import/").status_code == 403
