"""Issue 13, item 5: a connection that drops keeps its seat for the reconnection grace.

Real consumers on the settings' channel layer and database: a socket that closes without
the page's goodbye (1006, as daphne reports a vanished link) leaves its participant in the
meeting — hand, votes, attendance — and a page that comes back with ``hello.resume`` is the
same participant, one continuous presence; one that does not come back is counted as
leaving from the moment it vanished."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from rooms.models import Room
from scheduling.models import Attendance
from signaling import presence, seats
from signaling.models import Participant, ParticipantState
from signaling.services import reconnects
from tests.signaling.live import Live, db, fresh_token, worker_messages
from tests.signaling.services.test_joins import scheduled

pytestmark = pytest.mark.django_db(transaction=True)

LINK_LOST = 1006  # what daphne reports when the TCP connection vanished


async def drop(live: Live) -> tuple[datetime, datetime]:
    """The link vanishes under ``live``; returns the instants just before and after."""
    before = timezone.now()
    await live.communicator.disconnect(code=LINK_LOST)
    return before, timezone.now()


async def worker_leaves(peer: str) -> int:
    """How many times the consumers told the media worker that ``peer`` left."""
    sent = await worker_messages(timeout=0.2)
    return sum(
        m["type"] == "media.control" and m["action"] == "leave" and m["peer"] == peer for m in sent
    )


async def come_back(live: Live) -> Live:
    """The page reconnects: a new socket, a fresh token, ``hello.resume``."""
    back = Live(live.room, session_key=live.session_key, token=fresh_token(live.token))
    await back.open()
    welcome = await back.hello(resume=live.peer)
    assert welcome["type"] == "welcome", welcome
    return back


def attendance_rows(occurrence_id: int) -> list[tuple[str, Any, Any]]:
    return list(
        Attendance.objects.filter(occurrence_id=occurrence_id)
        .order_by("joined_at")
        .values_list("name", "joined_at", "left_at")
    )


async def test_a_dropped_link_keeps_the_seat_and_comes_back_as_one_presence(
    connect, room: Room, settings
) -> None:
    settings.MEET_LIVE_RECONNECT_GRACE_SECS = 30
    occurrence = (await db(scheduled)(room)).pk
    host = await connect(role="host", name="Cô Lan")
    member = await connect(name="Thầy Minh")
    await member.send({"type": "hand.raise"})
    await host.expect("hands", where=lambda m: [h["peer"] for h in m["queue"]] == [member.peer])
    await host.send({"type": "poll.create", "question": "Họp thứ mấy?", "options": ["Hai", "Tư"]})
    poll = (await member.expect("poll.opened"))["poll"]["id"]
    await member.send({"type": "poll.vote", "poll": poll, "choices": [1]})
    await member.expect("poll.voted")

    await drop(member)
    away = await host.expect("participant.updated")
    assert away["participant"]["peer"] == member.peer and away["participant"]["away"] is True
    assert member.peer in seats.held() and member.peer in presence.local_peers()
    state = await db(lambda: Participant.objects.get(peer=member.peer).state)()
    assert state == ParticipantState.JOINED

    back = await come_back(member)
    assert back.peer == member.peer
    assert [h["peer"] for h in back.welcome["hands"]] == [member.peer]  # the hand is up
    assert back.welcome["votes"] == {str(poll): [1]}
    assert back.welcome["polls"][0]["counts"] == [0, 1]
    again = await host.expect("participant.updated")
    assert again["participant"]["peer"] == member.peer and "away" not in again["participant"]
    assert member.peer not in seats.held()
    # Nobody saw the person leave or join again.
    rest = await host.drain()
    assert not [m for m in rest if m["type"] in {"participant.left", "participant.joined"}], rest
    rows = await db(attendance_rows)(occurrence)
    assert [(name, left) for name, _, left in rows if name == "Thầy Minh"] == [("Thầy Minh", None)]
    assert await worker_leaves(member.peer) == 0  # the worker kept its media all along

    await back.close()  # the page's own goodbye (1000): gone at once
    await host.expect("participant.left", peer=member.peer)
    rows = await db(attendance_rows)(occurrence)
    mine = [row for row in rows if row[0] == "Thầy Minh"]
    assert len(mine) == 1 and mine[0][2] is not None


async def test_a_link_that_stays_away_counts_as_leaving_when_it_vanished(
    connect, room: Room, settings
) -> None:
    settings.MEET_LIVE_RECONNECT_GRACE_SECS = 2.0
    occurrence = (await db(scheduled)(room)).pk
    host = await connect(role="host", name="Cô Lan")
    member = await connect(name="Thầy Minh")
    await member.send({"type": "hand.raise"})
    await host.expect("hands", where=lambda m: bool(m["queue"]))

    before, after = await drop(member)
    await host.expect("participant.updated", where=lambda m: m["participant"].get("away"))
    await host.nothing(timeout=0.3)  # still in the meeting for now
    left = await host.expect("participant.left", timeout=10)
    assert left["peer"] == member.peer

    row = await db(lambda: Participant.objects.get(peer=member.peer))()
    assert row.state == ParticipantState.LEFT and row.hand_raised_at is None
    assert row.left_at is not None and before <= row.left_at <= after
    rows = [r for r in await db(attendance_rows)(occurrence) if r[0] == "Thầy Minh"]
    assert len(rows) == 1 and rows[0][2] == row.left_at  # gone from when it vanished
    assert await worker_leaves(member.peer) == 1  # the worker drops its media only now
    assert member.peer not in seats.held() and member.peer not in presence.local_peers()

    # Coming back after the grace is a new presence, as after any leave.
    back = await come_back(member)
    assert back.peer == member.peer
    await host.expect("participant.joined")
    rows = [r for r in await db(attendance_rows)(occurrence) if r[0] == "Thầy Minh"]
    assert len(rows) == 2 and rows[1][2] is None
    await back.close()


async def test_a_page_that_says_goodbye_leaves_at_once(connect, settings) -> None:
    settings.MEET_LIVE_RECONNECT_GRACE_SECS = 30
    host = await connect(role="host")
    member = await connect()
    await member.close()  # code 1000: the Leave button
    await host.expect("participant.left", peer=member.peer, timeout=2)
    assert member.peer not in seats.held()


async def test_a_page_back_through_another_connection_is_not_left_by_the_old_one(
    connect, settings
) -> None:
    """The seat's leave runs for the old channel only: a page that came back meanwhile
    (through this process or another) keeps the participant."""
    settings.MEET_LIVE_RECONNECT_GRACE_SECS = 0.5
    host = await connect(role="host")
    member = await connect()
    await drop(member)
    back = await come_back(member)
    await asyncio.sleep(1.0)  # longer than the grace: any pending leave would have run
    state = await db(lambda: Participant.objects.get(peer=member.peer).state)()
    assert state == ParticipantState.JOINED
    assert not [m for m in await host.drain() if m["type"] == "participant.left"]
    await back.send({"type": "chat.send", "text": "vẫn ở đây"})
    assert (await host.expect("chat.message"))["peer"] == member.peer
    await back.close()


async def test_the_old_sockets_goodbye_does_not_stop_vouching_for_the_page_that_came_back(
    connect,
) -> None:
    """The page came back on a new socket before the old one was noticed closing: the old
    one's close (replaced, or a late drop) must neither stop this process vouching for the
    participant (the stale sweep would then take it out of the meeting) nor show it away."""
    host = await connect(role="host")
    member = await connect()
    back = await come_back(member)
    assert (await member.expect("error"))["code"] == "replaced"
    await member.closed()
    await drop(member)  # daphne then reports the old socket's end (here: as a lost link)
    assert member.peer in presence.local_peers()
    assert member.peer not in seats.held()
    shown = await db(reconnects.participant_away)(peer=member.peer, channel_name="gone.old")
    assert shown is False
    assert not [
        m
        for m in await host.drain()
        if m["type"] == "participant.updated" and m["participant"].get("away")
    ]
    await back.close()
