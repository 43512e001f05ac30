"""iCalendar feeds: what calendar clients expand must equal our materialised occurrences."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from django.test import Client

from rooms.models import Room
from rooms.services.demo import demo_load
from scheduling.models import Occurrence, Session
from scheduling.services.sessions import occurrence_cancel, occurrence_change, session_schedule
from tests.scheduling.test_sessions import briefing, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit").get(slug="hanoi")


def expanded(body: bytes) -> list[tuple[datetime, datetime, str]]:
    calendar: Any = icalendar.Calendar.from_ical(body)
    events = recurring_ical_events.of(calendar).between(datetime(2020, 1, 1), datetime(2035, 1, 1))
    return sorted(
        (e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC), str(e["SUMMARY"]))
        for e in events
    )


def materialised(room: Room) -> list[tuple[datetime, datetime, str]]:
    return sorted(
        (o.start, o.end, o.display_title)
        for o in Occurrence.objects.filter(
            room=room, cancelled=False, session__public=True
        ).select_related("session")
    )


def test_room_feed_expands_to_our_occurrences(hanoi: Room) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=18))
    session_schedule(
        data=briefing(hanoi, start + timedelta(days=2, hours=6), weeks=0, title="Tập huấn")
    )
    occurrences = list(session.occurrences.order_by("start"))
    occurrence_change(
        occurrence=occurrences[3],
        start=occurrences[3].start + timedelta(hours=2),
        end=occurrences[3].end + timedelta(hours=2),
        title="Giao ban (dời sang 10 giờ)",
    )
    occurrence_cancel(occurrence=occurrences[5])
    response = Client().get("/calendar/rooms/hanoi.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert expanded(response.content) == materialised(hanoi)


def test_feed_carries_timezone_uid_sequence_location(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    occurrence_cancel(occurrence=session.occurrences.first())  # type: ignore[arg-type]
    calendar: Any = icalendar.Calendar.from_ical(Client().get("/calendar/rooms/hanoi.ics").content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{session.uid}@hop.edu.net.vn"
    assert event["SEQUENCE"] == 1
    assert str(event["LOCATION"]) == "https://hop.edu.net.vn/hanoi"
    assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert "EXDATE" in event and "RRULE" in event
    assert event["RRULE"]["UNTIL"][0].tzinfo is not None  # a UTC date-time, as RFC 5545 wants


def test_a_moved_meeting_arrives_with_a_higher_sequence(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    before: Any = icalendar.Calendar.from_ical(Client().get("/calendar/rooms/hanoi.ics").content)
    second = session.occurrences.order_by("start")[1]
    occurrence_change(
        occurrence=second,
        start=second.start + timedelta(hours=1),
        end=second.end + timedelta(hours=1),
    )
    after: Any = icalendar.Calendar.from_ical(Client().get("/calendar/rooms/hanoi.ics").content)
    assert max(e["SEQUENCE"] for e in after.walk("VEVENT")) > max(
        e["SEQUENCE"] for e in before.walk("VEVENT")
    )
    assert any("RECURRENCE-ID" in e for e in after.walk("VEVENT"))


def test_private_sessions_stay_out_of_the_public_feed(hanoi: Room) -> None:
    data = briefing(hanoi, next_monday())
    session_schedule(data=type(data)(**{**data.__dict__, "public": False}))
    calendar: Any = icalendar.Calendar.from_ical(Client().get("/calendar/rooms/hanoi.ics").content)
    assert calendar.walk("VEVENT") == []
    uid = Session.objects.get().uid
    assert Client().get(f"/calendar/sessions/{uid}.ics").status_code == 404
    assert Client().get("/calendar/sessions/not-a-uuid.ics").status_code == 404


def test_single_event_download(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday(), weeks=2))
    body = Client().get(f"/calendar/sessions/{session.uid}.ics").content
    assert len(expanded(body)) == 3


def test_private_feeds_are_secret_and_revocable(hanoi: Room) -> None:
    from django.contrib.auth.models import User

    data = briefing(hanoi, next_monday())
    session_schedule(data=type(data)(**{**data.__dict__, "public": False}))
    manager = Client()
    manager.force_login(
        User.objects.get(username="quanly.hanoi"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    page = manager.get("/calendar/").content.decode()
    links = re.findall(r"http://testserver(/calendar/feeds/[^<\s]+\.ics)", page)
    assert len(links) == 2  # the manager's own and the unit's
    meetings = Occurrence.objects.filter(room=hanoi, cancelled=False).count()
    for link in links:  # private sessions are in the private feeds, not the public one
        assert len(expanded(Client().get(link).content)) == meetings == 19
    person = links[0]
    manager.post("/calendar/feeds/renew/", {"scope": "person"})
    assert Client().get(person).status_code == 404  # the old address stops working
    assert Client().get("/calendar/feeds/guess.ics").status_code == 404


def test_agenda_this_week_in_a_province(hanoi: Room) -> None:
    session_schedule(data=briefing(hanoi, next_monday()))
    week = next_monday().date().isoformat()
    page = Client().get("/calendar/", {"province": "hanoi", "week": week}).content.decode()
    assert "Giao ban thứ Hai" in page
    elsewhere = Client().get("/calendar/", {"province": "daklak", "week": week}).content.decode()
    assert "Giao ban thứ Hai" not in elsewhere
