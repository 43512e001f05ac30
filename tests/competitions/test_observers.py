"""A lesson's jurors watch it in the room as silent observers (issue 15, item 4).

The live role comes from ``signaling.selectors.live_role``, which asks the sources apps
register in ``rooms.observers``: competitions' says who sits on the panel of a lesson in
the room now. Each case below would let the wrong person in, or keep a juror out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from competitions.models import Competition, Contestant, Slot, Status
from rooms.models import MemberRole, Room, RoomMembership
from signaling import selectors
from signaling.models import LiveRole
from tests.competitions.conftest import World, seat_panel

pytestmark = pytest.mark.django_db


def lesson(world: World, competition: Competition, *, start: datetime, school: str) -> Slot:
    """A Toán lesson by a teacher of ``school``, in Ba Đình's room, from ``start``."""
    subject = competition.subjects.get(name="Toán")
    seat_panel(world, subject)
    teacher = Contestant.objects.create(
        competition=competition,
        school=world.schools[school],
        subject=subject,
        teacher_name="Nguyễn Văn An",
        lesson_title="Phương trình bậc hai",
    )
    competition.status = Status.SCORING
    competition.save(update_fields=["status"])
    return Slot.objects.create(
        competition=competition,
        contestant=teacher,
        room=world.rooms["badinh"],
        start=start,
        end=start + timedelta(minutes=competition.slot_minutes),
    )


def role_at(user: User | AnonymousUser, room: Room, when: datetime, monkeypatch) -> str:
    monkeypatch.setattr(timezone, "now", lambda: when)
    return selectors.live_role(user, room)


def test_the_panel_watches_the_lesson_as_observers(world: World, competition, monkeypatch) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    slot = lesson(world, competition, start=start, school="giangvo")
    room = world.rooms["badinh"]
    during = start + timedelta(minutes=10)
    for juror in ("so", "badinh", "tranphu"):
        assert role_at(world.jurors[juror], room, during, monkeypatch) == LiveRole.OBSERVER
    # From a quarter of an hour before to the end of the break after it; not outside.
    early = start - timedelta(minutes=15)
    assert role_at(world.jurors["so"], room, early, monkeypatch) == LiveRole.OBSERVER
    too_early = early - timedelta(minutes=1)
    assert role_at(world.jurors["so"], room, too_early, monkeypatch) == ""
    last = slot.end + timedelta(minutes=competition.buffer_minutes)
    assert role_at(world.jurors["so"], room, last, monkeypatch) == LiveRole.OBSERVER
    assert role_at(world.jurors["so"], room, last + timedelta(minutes=1), monkeypatch) == ""
    # Nobody else is let in by the lesson, and another room is not the lesson's.
    assert role_at(world.stranger, room, during, monkeypatch) == ""
    assert role_at(AnonymousUser(), room, during, monkeypatch) == ""
    other = world.rooms["hoankiem"]
    assert role_at(world.jurors["so"], other, during, monkeypatch) == ""


def test_a_juror_of_the_teachers_own_school_does_not_watch(
    world: World, competition, monkeypatch
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    lesson(world, competition, start=start, school="tranphu")  # gk.tranphu's own school
    during = start + timedelta(minutes=10)
    room = world.rooms["badinh"]
    assert role_at(world.jurors["tranphu"], room, during, monkeypatch) == ""
    assert role_at(world.jurors["so"], room, during, monkeypatch) == LiveRole.OBSERVER


def test_only_while_the_competition_runs_its_lessons(
    world: World, competition, monkeypatch
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    lesson(world, competition, start=start, school="giangvo")
    during = start + timedelta(minutes=10)
    room = world.rooms["badinh"]
    competition.status = Status.PUBLISHED
    competition.save(update_fields=["status"])
    assert role_at(world.jurors["so"], room, during, monkeypatch) == ""


def test_a_member_juror_watches_silently_and_hosts_stay_hosts(
    world: World, competition, monkeypatch
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    lesson(world, competition, start=start, school="giangvo")
    room = world.rooms["badinh"]
    during = start + timedelta(minutes=10)
    # A juror who is also a member of the room: silent during the lesson, a member after.
    RoomMembership.objects.create(room=room, user=world.jurors["so"], role=MemberRole.PARTICIPANT)
    assert role_at(world.jurors["so"], room, during, monkeypatch) == LiveRole.OBSERVER
    after = during + timedelta(hours=3)
    assert role_at(world.jurors["so"], room, after, monkeypatch) == LiveRole.PARTICIPANT
    # The room's hosts run the meeting, panel or not.
    RoomMembership.objects.create(room=room, user=world.jurors["badinh"], role=MemberRole.HOST)
    assert role_at(world.jurors["badinh"], room, during, monkeypatch) == LiveRole.HOST


def test_the_jurors_page_offers_to_watch_the_lesson_while_it_runs(
    world: World, competition, client, monkeypatch
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    lesson(world, competition, start=start, school="giangvo")
    client.force_login(world.jurors["so"])
    page = f"/competitions/{competition.pk}/jury/"
    watch = 'href="/badinh/live/"'
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=5))
    assert watch in client.get(page, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    monkeypatch.setattr(timezone, "now", lambda: start - timedelta(hours=2))
    assert watch not in client.get(page, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
