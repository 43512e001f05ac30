"""Joins and leaves that run together (signaling.services.joins.participants_join and
participants_leave): each keeps its own outcome, attendance is still recorded per person,
and what a batch shares is read once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rooms.models import Room
from scheduling.models import Attendance, Occurrence, Session, SessionKind
from signaling.errors import JoinRefused
from signaling.models import Meeting, Participant, ParticipantState
from signaling.services.joins import (
    JoinOutcome,
    JoinRequest,
    participants_join,
    participants_leave,
)
from signaling.services.tokens import JoinClaims
from tests.factories import RoomFactory, UnitFactory

pytestmark = pytest.mark.django_db


def request(room: Room, who: str, *, channel: str = "") -> JoinRequest:
    claims = JoinClaims(
        room=room.pk,
        slug=room.slug,
        identity=f"g:{who}",
        user_id=None,
        name=who,
        role="guest",
        session="s",
    )
    return JoinRequest(
        claims=claims, channel_name=channel or f"c-{who}", ice_servers=[], claims_current=True
    )


def scheduled(room: Room) -> Occurrence:
    assert room.unit is not None
    now = timezone.now()
    session = Session.objects.create(
        kind=SessionKind.TRAINING,
        title="Tập huấn",
        host_unit=room.unit,
        room=room,
        start=now - timedelta(minutes=5),
        end=now + timedelta(hours=1),
    )
    return Occurrence.objects.create(
        session=session,
        room=room,
        original_start=session.start,
        start=session.start,
        end=session.end,
    )


def test_a_batch_of_joins_reads_the_room_and_the_schedule_once_and_records_everyone() -> None:
    """Issue 4: five joins in one batch; attendance per person, one look-up of each shared row."""
    room = cast(Room, RoomFactory(unit=UnitFactory(), guest_access=True))
    occurrence = scheduled(room)
    with CaptureQueriesContext(connection) as queries:
        outcomes = participants_join(requests=[request(room, f"P{n}") for n in range(5)])
    assert all(isinstance(o, JoinOutcome) and o.state == "joined" for o in outcomes)
    names = set(Attendance.objects.filter(occurrence=occurrence).values_list("name", flat=True))
    assert names == {f"P{n}" for n in range(5)}
    assert Meeting.objects.get().occurrence_ref == str(occurrence.pk)
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum('FROM "rooms_room"' in s and "signaling_meeting" not in s for s in sql) == 1
    assert sum('FROM "signaling_meeting"' in s for s in sql) == 1
    assert sum(s.startswith("SELECT 1 FROM") and "scheduling_occurrence" in s for s in sql) == 1


def test_a_refused_join_leaves_the_others_of_its_batch_in() -> None:
    room = cast(Room, RoomFactory(guest_access=True))
    first = cast(JoinOutcome, participants_join(requests=[request(room, "A")])[0])
    Participant.objects.filter(peer=first.peer).update(state=ParticipantState.REMOVED)
    outcomes = participants_join(
        requests=[request(room, "B"), request(room, "A"), request(room, "C")]
    )
    assert isinstance(outcomes[1], JoinRefused) and outcomes[1].code == "removed"
    assert [o.name for o in outcomes if isinstance(o, JoinOutcome)] == ["B", "C"]
    assert set(
        Participant.objects.filter(state=ParticipantState.JOINED).values_list("name", flat=True)
    ) == {"B", "C"}
    again = participants_join(requests=[request(room, "A")])[0]
    assert isinstance(again, JoinRefused) and again.code == "removed"


def test_a_batch_of_leaves_keeps_each_outcome() -> None:
    room = cast(Room, RoomFactory(guest_access=True))
    joined = participants_join(requests=[request(room, who) for who in ("A", "B", "C")])
    a, b, c = (cast(JoinOutcome, o).peer for o in joined)
    departures = participants_leave(
        leaves=[(a, "c-A"), (b, "another window"), (c, "c-C"), ("nobody", "c-X"), (a, "c-A")]
    )
    assert [(d.peer, d.media) for d in departures] == [
        (a, True),
        (b, False),  # another window took B over: B stays
        (c, True),
        ("nobody", False),
        (a, False),  # already gone
    ]
    states = dict(Participant.objects.values_list("peer", "state"))
    assert states == {
        a: ParticipantState.LEFT,
        b: ParticipantState.JOINED,
        c: ParticipantState.LEFT,
    }
    assert Participant.objects.get(peer=a).left_at is not None


def test_a_guests_attendance_names_no_site_even_where_rooms_have_no_manager() -> None:
    """Issue 10, item on attendance.py: ``filter(manager_id=user_id)`` must never run with
    ``None`` (it would match every room without a manager and credit a guest to its unit).
    The look-up returns early for people without an account: this pins it."""
    RoomFactory(unit=UnitFactory(), manager=None, account=None)  # an unmanaged room elsewhere
    room = cast(Room, RoomFactory(unit=UnitFactory(), manager=None, guest_access=True))
    occurrence = scheduled(room)
    outcome = participants_join(requests=[request(room, "Khách")])[0]
    assert isinstance(outcome, JoinOutcome)
    attendance = Attendance.objects.get(occurrence=occurrence)
    assert attendance.user_id is None and attendance.unit_id is None


def _locks(queries: CaptureQueriesContext) -> list[str]:
    """The tables whose rows each locking query of a batch locked, in order."""
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    return [sql.split(" FROM ", 1)[1].split()[0].strip('"') for sql in locking]


def test_joins_and_leaves_lock_rooms_first_in_one_order() -> None:
    """Two web processes deadlocked on PostgreSQL (bench/signaling.py --processes): a
    leave locked participant, meeting and room rows together in its scan's order while
    a join held the room and waited for the meeting. Both now lock the rooms first, in
    their id order, then the participants alone."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite takes no row locks (one writer at a time): PostgreSQL's pass checks")
    first, second = (cast(Room, RoomFactory(unit=UnitFactory(), guest_access=True)) for _ in "ab")
    with CaptureQueriesContext(connection) as joins:
        outcomes = participants_join(requests=[request(second, "B"), request(first, "A")])
    assert _locks(joins)[:2] == ["rooms_room", "rooms_room"]
    locking = [q["sql"] for q in joins.captured_queries if "FOR UPDATE" in q["sql"]]
    ids = [int(re.search(r'"rooms_room"\."id" = (\d+)', sql)[1]) for sql in locking[:2]]  # type: ignore[index]
    assert ids == [first.pk, second.pk]
    joined = [o for o in outcomes if isinstance(o, JoinOutcome)]
    peers = [(o.peer, f"c-{who}") for o, who in zip(joined, "BA", strict=True)]
    with CaptureQueriesContext(connection) as leaves:
        participants_leave(leaves=peers)
    locked = [q["sql"] for q in leaves.captured_queries if "FOR UPDATE" in q["sql"]]
    assert _locks(leaves) == ["rooms_room", "signaling_participant"], locked
    assert 'FOR UPDATE OF "signaling_participant"' in locked[1]  # not its meeting nor room
    assert set(Participant.objects.values_list("state", flat=True)) == {ParticipantState.LEFT}
