"""Which scheduled meeting is "on" in a room (scheduling.selectors.occurrence_now)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import pytest
from django.utils import timezone

from rooms.models import Room
from scheduling.models import Occurrence, Session
from scheduling.selectors import OPENS_BEFORE, occurrence_is_on, occurrence_now
from tests.factories import RoomFactory, UnitFactory
from tests.meetings import one_meeting

pytestmark = pytest.mark.django_db


def new_room() -> Room:
    return cast(Room, RoomFactory(unit=UnitFactory()))


def meeting(room: Room, start: datetime, *, broadcast: bool = False) -> Occurrence:
    return one_meeting(room, start=start, title="Tập huấn", broadcast=broadcast)


def test_a_meeting_is_on_from_half_an_hour_before_its_start_to_its_end() -> None:
    room = new_room()
    now = timezone.now()
    on = meeting(room, now + OPENS_BEFORE - timedelta(minutes=1))
    later = meeting(room, now + OPENS_BEFORE + timedelta(minutes=1))  # too early yet
    assert occurrence_now(room_id=room.pk, at=now) == on
    assert occurrence_now(room_id=room.pk, at=on.end + timedelta(seconds=1)) == later
    assert occurrence_now(room_id=room.pk, at=later.end + timedelta(seconds=1)) is None
    Occurrence.objects.filter(pk=on.pk).update(cancelled=True)
    assert occurrence_now(room_id=room.pk, at=now) is None
    assert occurrence_now(room_id=new_room().pk, at=now) is None


def test_a_webinar_comes_first_and_can_be_asked_for_alone() -> None:
    room = new_room()
    now = timezone.now()
    briefing = meeting(room, now - timedelta(minutes=10))
    assert occurrence_now(room_id=room.pk, at=now, broadcast_only=True) is None
    webinar = meeting(room, now + timedelta(minutes=5), broadcast=True)
    assert occurrence_now(room_id=room.pk, at=now) == webinar
    assert occurrence_now(room_id=room.pk, at=now, broadcast_only=True) == webinar
    assert briefing.start < webinar.start


def test_is_on_answers_as_occurrence_now_does() -> None:
    """Issue 4: joins ask the cheap ``occurrence_is_on``; it must agree with the full look-up."""
    room = new_room()
    now = timezone.now()
    on = meeting(room, now + OPENS_BEFORE - timedelta(minutes=1))
    meeting(room, now + OPENS_BEFORE + timedelta(minutes=1))
    moments = [
        now,
        now - timedelta(minutes=2),
        on.start - OPENS_BEFORE,
        on.start - OPENS_BEFORE - timedelta(microseconds=1),
        on.end,
        on.end + timedelta(microseconds=1),
        on.end + timedelta(hours=2),
    ]
    for at in moments:
        assert occurrence_is_on(room_id=room.pk, at=at) == (
            occurrence_now(room_id=room.pk, at=at) is not None
        ), at
    Occurrence.objects.update(cancelled=True)
    assert not occurrence_is_on(room_id=room.pk, at=now)
    assert not occurrence_is_on(room_id=new_room().pk, at=now)


def watch_page(room: Room, at: datetime, after_end: timedelta) -> Occurrence | None:
    """What broadcasts.selectors asks."""
    return occurrence_now(
        room_id=room.pk,
        at=at,
        broadcast_only=True,
        after_end=after_end,
        skip_cancelled_series=True,
        pick="started_last",
    )


def test_the_watch_page_options_keep_its_rule() -> None:
    """Issue 11: the watch page asks the same selector with its options (webinars only,
    a grace after the end that excludes the end instant, no meeting of a cancelled series,
    the meeting started last first)."""
    room = new_room()
    now = timezone.now()
    grace = timedelta(hours=2)
    ended = meeting(room, now - timedelta(hours=2), broadcast=True)  # ended an hour ago
    assert occurrence_now(room_id=room.pk, at=now, broadcast_only=True) is None
    assert watch_page(room, now, grace) == ended
    assert occurrence_now(room_id=room.pk, at=ended.end, broadcast_only=True) == ended
    assert watch_page(room, ended.end, timedelta(0)) is None
    started = meeting(room, now - timedelta(minutes=50), broadcast=True)
    later = meeting(room, now - timedelta(minutes=5), broadcast=True)
    upcoming = meeting(room, now + timedelta(minutes=20), broadcast=True)
    assert occurrence_now(room_id=room.pk, at=now, broadcast_only=True) == started
    assert watch_page(room, now, grace) == later
    Occurrence.objects.filter(pk__in=[started.pk, later.pk]).update(cancelled=True)
    assert watch_page(room, now, grace) == upcoming
    Session.objects.filter(pk=upcoming.session_id).update(cancelled=True)
    assert occurrence_now(room_id=room.pk, at=now, broadcast_only=True) == upcoming
    assert watch_page(room, now, grace) == ended
