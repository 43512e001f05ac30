"""A lesson is recorded privately for its jury (issue 15, item 4).

The minute job (meet/lessons.py) starts a meeting recording of a lesson under way once
somebody is in the room, once, and stops it when the lesson ends; the lesson's jurors and
organisers may watch it (rooms.observers.reviews, asked by the archive), nobody else but
the room's own members.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from archive.models import Recording, RecordingKind
from competitions.models import Slot
from meet.lessons import lessons_recorded
from signaling.models import Meeting, Participant, ParticipantState
from tests.competitions.conftest import World
from tests.competitions.test_observers import lesson

pytestmark = pytest.mark.django_db


def someone_in(slot: Slot) -> None:
    meeting = Meeting.objects.create(room=slot.room)
    Participant.objects.create(
        meeting=meeting,
        peer="giao-vien-01",
        identity="u:0",
        name="Nguyễn Văn An",
        role="host",
        state=ParticipantState.JOINED,
    )


def test_a_lesson_under_way_is_recorded_once_and_stopped_at_its_end(
    world: World, competition
) -> None:
    now = timezone.now()
    slot = lesson(world, competition, start=now - timedelta(minutes=5), school="giangvo")
    assert lessons_recorded(now) == 0  # nobody in the room yet: nothing to record
    assert not Recording.objects.exists()
    someone_in(slot)
    assert lessons_recorded(now) == 1
    slot.refresh_from_db()
    recording = Recording.objects.get()
    assert slot.review_recording == recording.id
    assert (recording.room, recording.kind) == (slot.room, RecordingKind.MEETING)
    assert lessons_recorded(now + timedelta(minutes=1)) == 0  # once
    assert Recording.objects.count() == 1
    after = slot.end + timedelta(minutes=1)
    assert lessons_recorded(after) == 1
    recording.refresh_from_db()
    assert recording.stop_requested_at is not None
    assert lessons_recorded(after + timedelta(minutes=1)) == 0


def test_the_jury_and_the_organiser_watch_the_recording_nobody_else(
    world: World, competition, client
) -> None:
    now = timezone.now()
    slot = lesson(world, competition, start=now - timedelta(minutes=5), school="tranphu")
    someone_in(slot)
    lessons_recorded(now)
    recording = Recording.objects.get()
    page = f"/recordings/{recording.id.hex}/"
    seen = {}
    for who, user in (
        ("chair", world.jurors["so"]),
        ("juror", world.jurors["badinh"]),
        ("own school's juror", world.jurors["tranphu"]),  # does not score this teacher
        ("organiser", world.organiser),
        ("stranger", world.stranger),
    ):
        client.force_login(user)
        seen[who] = client.get(page).status_code
    assert seen == {
        "chair": 200,
        "juror": 200,
        "own school's juror": 404,
        "organiser": 200,
        "stranger": 404,
    }
    # The jurors' page links to it.
    client.force_login(world.jurors["so"])
    jury = client.get(f"/competitions/{competition.pk}/jury/").content.decode()
    assert f'href="/recordings/{recording.id}/"' in jury
