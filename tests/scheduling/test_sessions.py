"""Scheduling sessions and series: conflicts, overrides, cancellations, the API and pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from rooms.models import Room
from rooms.services.demo import demo_load
from scheduling.domain.recurrence import Rule
from scheduling.errors import ScheduleConflict
from scheduling.models import Occurrence, Session
from scheduling.services.sessions import (
    SessionInput,
    occurrence_cancel,
    occurrence_change,
    session_cancel,
    session_schedule,
    session_update,
    sessions_extend_horizon,
)
from tests.clients import as_user

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def next_monday(hour: int = 8) -> datetime:
    today = timezone.localdate()
    day = today + timedelta(days=(7 - today.weekday()) or 7)
    return datetime(day.year, day.month, day.day, hour, tzinfo=HCM)


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit").get(slug="hanoi")


def briefing(
    room: Room, start: datetime, *, weeks: int = 18, title: str = "Giao ban thứ Hai"
) -> SessionInput:
    until = (start + timedelta(weeks=weeks)).date()
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start.astimezone(HCM).weekday()]
    assert room.unit is not None
    return SessionInput(
        room=room,
        host_unit=room.unit,
        kind="briefing",
        title=title,
        description="",
        start=start,
        end=start + timedelta(minutes=90),
        rule=Rule("WEEKLY", weekdays=(weekday,), until=until),
    )


def manager() -> Client:
    """A client signed in as quanly.hanoi, who manages the Hanoi room's schedule."""
    return as_user("quanly.hanoi")


def briefing_form(day: date, *, weeks: int) -> dict[str, str]:
    """The page form of ``briefing``'s series: 08:00-09:30 from ``day``, ``weeks`` on."""
    return {
        "title": "Giao ban thứ Hai",
        "kind": "briefing",
        "day": day.isoformat(),
        "start_time": "08:00",
        "end_time": "09:30",
        "repeat": "weekly",
        "until": (day + timedelta(weeks=weeks)).isoformat(),
        "public": "on",
    }


def test_a_weekly_series_is_materialised_in_utc(hanoi: Room) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=18))
    starts = list(session.occurrences.values_list("start", flat=True))
    assert len(starts) == 19
    assert starts[0] == start
    assert all(s.astimezone(HCM).weekday() == 0 and s.astimezone(HCM).hour == 8 for s in starts)
    assert session.rrule.startswith("FREQ=WEEKLY;BYDAY=MO;UNTIL=")


def test_an_overlapping_series_is_refused_with_the_first_clashes(hanoi: Room) -> None:
    start = next_monday()
    session_schedule(data=briefing(hanoi, start))
    clash = briefing(hanoi, start + timedelta(weeks=3, minutes=60), title="Họp chuyên đề")
    with pytest.raises(ScheduleConflict) as caught:
        session_schedule(data=clash)
    conflicts = caught.value.conflicts
    assert 1 <= len(conflicts) <= 5
    assert conflicts[0]["existing_title"] == "Giao ban thứ Hai"
    assert (
        conflicts[0]["proposed_start"]
        == (start + timedelta(weeks=3, minutes=60)).astimezone(ZoneInfo("UTC")).isoformat()
    )
    assert Session.objects.count() == 1  # nothing written


def test_back_to_back_meetings_do_not_clash(hanoi: Room) -> None:
    start = next_monday()
    session_schedule(data=briefing(hanoi, start))
    session_schedule(data=briefing(hanoi, start + timedelta(minutes=90), title="Sau giao ban"))
    assert Session.objects.count() == 2


def test_moving_one_meeting_checks_conflicts_and_bumps_sequence(hanoi: Room) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start))
    other = session_schedule(data=briefing(hanoi, start + timedelta(days=1), title="Thứ Ba"))
    third = session.occurrences.all()[2]
    with pytest.raises(ScheduleConflict):
        occurrence_change(
            occurrence=third,
            start=third.start + timedelta(days=1),
            end=third.end + timedelta(days=1),
        )
    moved = occurrence_change(
        occurrence=third,
        start=third.start + timedelta(hours=2),
        end=third.end + timedelta(hours=2),
        title="Giao ban (dời giờ)",
    )
    session.refresh_from_db()
    assert moved.overridden and moved.original_start != moved.start
    assert session.sequence == 1
    assert other.sequence == 0


def test_cancel_one_then_the_series(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    first = session.occurrences.first()
    assert first is not None
    occurrence_cancel(occurrence=first)
    assert session.occurrences.filter(cancelled=True).count() == 1
    session_cancel(session=session)
    session.refresh_from_db()
    assert session.cancelled and session.sequence == 2
    assert not session.occurrences.filter(cancelled=False).exists()
    # The room is free again.
    session_schedule(data=briefing(hanoi, next_monday(), title="Giao ban mới"))


def test_editing_a_series_redraws_future_meetings(hanoi: Room) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=4))
    updated = session_update(
        session=session, data=briefing(hanoi, start + timedelta(hours=1), weeks=8)
    )
    assert updated.sequence == 1
    assert updated.occurrences.count() == 9
    assert all(o.start.astimezone(HCM).hour == 9 for o in updated.occurrences.all())


def test_the_horizon_job_extends_endless_series(hanoi: Room, settings) -> None:
    settings.MEET_SCHEDULE_HORIZON_MONTHS = 1
    data = briefing(hanoi, next_monday())
    session = session_schedule(
        data=SessionInput(**{**data.__dict__, "rule": Rule("WEEKLY", weekdays=("MO",))})
    )
    before = session.occurrences.count()
    settings.MEET_SCHEDULE_HORIZON_MONTHS = 3
    assert sessions_extend_horizon() > 0
    assert session.occurrences.count() > before
    assert sessions_extend_horizon() == 0  # idempotent


def test_api_create_answers_409_with_the_conflicts(hanoi: Room) -> None:
    client = manager()
    start = next_monday()
    body = {
        "kind": "briefing",
        "title": "Giao ban thứ Hai",
        "room": "hanoi",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=90)).isoformat(),
        "rrule": f"FREQ=WEEKLY;BYDAY=MO;UNTIL={(start + timedelta(weeks=18)):%Y%m%d}",
    }
    created = client.post("/api/sessions/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["host_unit"] == "hanoi"
    clash = client.post(
        "/api/sessions/", {**body, "title": "Trùng"}, content_type="application/json"
    )
    assert clash.status_code == 409
    assert clash.json()["conflicts"][0]["existing_title"] == "Giao ban thứ Hai"


@pytest.mark.parametrize(
    ("rrule", "message"),
    [
        ("FREQ=HOURLY", "không"),
        ("FREQ=DAILY;BYHOUR=8,9", "nhiều lần"),
        ("FREQ=WEEKLY;COUNT=99999", "2.000"),
    ],
)
def test_api_refuses_explosive_rules_in_vietnamese(hanoi: Room, rrule: str, message: str) -> None:
    start = next_monday()
    body = {
        "kind": "training",
        "title": "X",
        "room": "hanoi",
        "rrule": rrule,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    response = manager().post("/api/sessions/", body, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["rrule"][0]


def test_only_those_who_manage_the_room_schedule(hanoi: Room) -> None:
    from django.contrib.auth.models import User

    start = next_monday()
    body = {
        "kind": "training",
        "title": "X",
        "room": "hanoi",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    teacher = Client()
    teacher.force_login(
        User.objects.get(username="giaovien1"), backend="django.contrib.auth.backends.ModelBackend"
    )
    assert teacher.post("/api/sessions/", body, content_type="application/json").status_code == 403
    assert Client().post("/api/sessions/", body, content_type="application/json").status_code == 403
    assert teacher.get("/hanoi/sessions/new/").status_code == 403


def test_occurrences_for_a_week_across_a_province(
    hanoi: Room, django_assert_max_num_queries
) -> None:
    start = next_monday()
    session_schedule(data=briefing(hanoi, start))
    badinh = Room.objects.get(slug="badinh")
    session_schedule(data=briefing(badinh, start + timedelta(days=1), title="Giao ban Ba Đình"))
    params = {
        "province": "hanoi",
        "from": start.date().isoformat(),
        "to": (start + timedelta(days=7)).date().isoformat(),
    }
    with django_assert_max_num_queries(3):
        found = Client().get("/api/occurrences/", params).json()
    assert [o["title"] for o in found["results"]] == ["Giao ban thứ Hai", "Giao ban Ba Đình"]
    by_unit = Client().get("/api/occurrences/", {**params, "province": "", "unit": "hanoi"}).json()
    assert by_unit["count"] == 2  # Hà Nội's own room and its district's
    assert (
        Client().get("/api/occurrences/", {"from": "2026-01-01", "to": "2027-01-01"}).status_code
        == 400
    )


def test_api_moves_and_cancels_one_meeting(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    occurrence = session.occurrences.all()[1]
    client = manager()
    moved = client.post(
        f"/api/occurrences/{occurrence.pk}/change/",
        {
            "start": (occurrence.start + timedelta(hours=1)).isoformat(),
            "end": (occurrence.end + timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["overridden"] is True
    assert client.post(f"/api/occurrences/{occurrence.pk}/cancel/").json()["cancelled"] is True


def test_pages_schedule_show_and_cancel(hanoi: Room) -> None:
    client = manager()
    form = briefing_form(next_monday().date(), weeks=10)
    response = client.post("/hanoi/sessions/new/", form, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Giao ban thứ Hai" in page
    assert Occurrence.objects.filter(room=hanoi).count() == 11
    clash = client.post(
        "/hanoi/sessions/new/",
        {**form, "title": "Trùng giờ", "start_time": "09:00", "end_time": "10:00"},
    )
    assert "alert-error" in clash.content.decode() and "Giao ban thứ Hai" in clash.content.decode()
    occurrence = Occurrence.objects.filter(room=hanoi).order_by("start")[1]
    client.post(f"/hanoi/occurrences/{occurrence.pk}/cancel/", {"scope": "one"})
    occurrence.refresh_from_db()
    assert occurrence.cancelled
    room_page = Client().get("/hanoi").content.decode()
    assert "Giao ban thứ Hai" in room_page and "/calendar/rooms/hanoi.ics" in room_page


def test_demo_schedule(db: None) -> None:
    from scheduling.services.demo import demo_schedule_load

    demo_load()
    assert demo_schedule_load() == 3
    assert demo_schedule_load() == 0
    assert Session.objects.filter(broadcast=True).count() == 1
    assert Occurrence.objects.filter(session__kind="briefing").count() >= 20


def test_form_refuses_an_end_before_the_start(hanoi: Room) -> None:
    form = {
        "title": "X",
        "kind": "briefing",
        "day": date.today().isoformat(),
        "start_time": "10:00",
        "end_time": "09:00",
        "repeat": "none",
    }
    page = manager().post("/hanoi/sessions/new/", form).content.decode()
    assert "errors" in page
    assert not Session.objects.exists()


def test_month_view_and_the_units_below(hanoi: Room) -> None:
    start = next_monday()
    session_schedule(data=briefing(hanoi, start, weeks=2))
    badinh = Room.objects.get(slug="badinh")
    session_schedule(data=briefing(badinh, start + timedelta(days=1), title="Giao ban Ba Đình"))
    month = start.strftime("%Y-%m")
    page = Client().get(f"/hanoi/calendar/month/?month={month}").content.decode()
    assert "Giao ban thứ Hai" in page and "Giao ban Ba Đình" not in page
    unit = Client().get(f"/hanoi/calendar/month/?month={month}&scope=unit").content.decode()
    assert "Giao ban Ba Đình" in unit
    week = Client().get(f"/hanoi/calendar/?week={start.date()}&scope=unit").content.decode()
    assert "Giao ban Ba Đình" in week and "/badinh" in week
    assert Client().get("/hanoi/calendar/month/?month=garbage").status_code == 200


@pytest.mark.parametrize(
    ("rrule", "text"),
    [
        (
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270118",
            "Thứ Hai hằng tuần, 08:00–09:30, đến hết 18/01/2027",
        ),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "Thứ Hai, Thứ Năm, hai tuần một lần, 08:00–09:30"),
        (
            "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1;COUNT=6",
            "Thứ Hai cuối cùng của mỗi tháng, 08:00–09:30, 6 buổi",
        ),
        ("", "30/11/2026, 08:00–09:30"),
    ],
)
def test_a_series_in_words(rrule: str, text: str) -> None:
    from scheduling.describe import describe

    start = datetime(2026, 11, 30, 8, tzinfo=HCM)
    session = Session(start=start, end=start + timedelta(minutes=90), rrule=rrule)
    assert describe(session) == text


def test_edit_a_series_from_its_page(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday(), weeks=4))
    client = manager()
    page = client.get(f"/hanoi/sessions/{session.uid}/edit/").content.decode()
    assert 'value="Giao ban thứ Hai"' in page and 'value="08:00"' in page
    form = {
        "title": "Giao ban thứ Hai (9 giờ)",
        "kind": "briefing",
        "day": next_monday().date().isoformat(),
        "start_time": "09:00",
        "end_time": "10:30",
        "repeat": "weekly",
        "weekdays": ["MO"],
        "until": (next_monday() + timedelta(weeks=4)).date().isoformat(),
        "public": "on",
    }
    assert client.post(f"/hanoi/sessions/{session.uid}/edit/", form).status_code == 302
    session.refresh_from_db()
    assert session.title == "Giao ban thứ Hai (9 giờ)" and session.sequence == 1
    assert all(o.start.astimezone(HCM).hour == 9 for o in session.occurrences.all())
    assert manager().get("/hanoi/sessions/not-a-uid/edit/").status_code == 404
