"""A silent observer in the live room (issue 15, item 4: a competition's juror).

They are seated by a source registered in ``rooms.observers`` (competitions registers one;
here the test registers its own for one person). The consumer lets them receive the
meeting and nothing else: every other frame is refused with a sentence, their media state
stays "sending nothing", the worker hears their role, and the file upload refuses them.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rooms import observers
from rooms.models import Room
from tests.factories import UserFactory
from tests.signaling.live import worker_messages

pytestmark = pytest.mark.django_db(transaction=True)


def seated(room: Room, monkeypatch, username: str) -> User:
    """A person who is no member of the room, seated to watch it."""
    person = cast(User, UserFactory(username=username))

    def seats(user: Any, seated_room: Room, now: Any) -> bool:
        return user.pk == person.pk and seated_room.pk == room.pk

    monkeypatch.setattr(observers.OBSERVERS, "_sources", [*observers.OBSERVERS._sources, seats])
    return person


@pytest.fixture
def juror(room: Room, monkeypatch) -> User:
    return seated(room, monkeypatch, "giamkhao")


@pytest.fixture
def other_juror(room: Room, monkeypatch) -> User:
    return seated(room, monkeypatch, "giamkhao2")


async def test_an_observer_receives_the_meeting_and_may_do_nothing_else(
    connect, juror, other_juror
) -> None:
    host = await connect(role="host")
    watcher = await connect(role="observer", user=juror)
    assert watcher.welcome["you"]["role"] == "observer"
    seen = await host.expect(
        "participant.joined", where=lambda m: m["participant"]["peer"] == watcher.peer
    )
    assert seen["participant"]["role"] == "observer"
    refused: list[str] = []
    for frame in (
        {"type": "chat.send", "text": "Cô dạy hay quá"},  # to the room: refused
        {"type": "hand.raise"},
        {"type": "poll.create", "question": "Đồng ý?", "options": ["Có", "Không"]},
        {"type": "slides.stop"},
        {"type": "mod.mute_all"},
    ):
        await watcher.send(frame)
        error = await watcher.expect("error")
        refused.append(error["code"])
        assert "giám khảo" in error["message"]
    assert refused == ["observer_silent"] * 5
    await host.nothing()  # no chat message, no hand reached the room
    # Whatever the page reports, an observer sends nothing.
    await watcher.send({"type": "media.state", "audio": True, "video": True, "screen": True})
    await host.nothing()
    # Its chat goes to the jury: the other juror reads it, the teacher (host) does not.
    second = await connect(role="observer", user=other_juror)
    await host.expect("participant.joined", where=lambda m: m["participant"]["peer"] == second.peer)
    await watcher.send({"type": "chat.send", "text": "Phần mở bài tốt", "jury": True})
    line = await second.expect("chat.message")
    assert (line["text"], line["jury"], line["peer"]) == ("Phần mở bài tốt", True, watcher.peer)
    await watcher.expect("chat.message", where=lambda m: m.get("jury") is True)
    await host.nothing()
    # Nobody else writes there; a juror who comes back finds it, the room's history not.
    await host.send({"type": "chat.send", "text": "Tôi cũng muốn xem", "jury": True})
    assert (await host.expect("error"))["code"] == "jury_only"
    late = await connect()
    assert late.welcome["chat"] == [] and "jury_chat" not in late.welcome
    again = await connect(role="observer", user=other_juror)
    assert [m["text"] for m in again.welcome["jury_chat"]] == ["Phần mở bài tốt"]
    # Its media connection is let through, with its role for the worker.
    await worker_messages(timeout=0.1)
    await watcher.send({"type": "rtc.offer", "sdp": "v=0\r\n", "tracks": []})
    sent = [m for m in await worker_messages() if m["type"] == "media.signal"]
    assert [(m["peer"], m["role"]) for m in sent] == [(watcher.peer, "observer")]


def test_an_observer_cannot_share_a_file(room: Room, juror: User) -> None:
    from signaling.models import Meeting, Participant, ParticipantState

    meeting = Meeting.objects.create(room=room)
    Participant.objects.create(
        meeting=meeting,
        peer="quan-sat-01",
        identity=f"u:{juror.pk}",
        user=juror,
        name="Giám khảo",
        role="observer",
        state=ParticipantState.JOINED,
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(juror)
    response = client.post(
        f"/{room.slug}/live/files/",
        {"file": ("bai.txt", b"noi dung")},
        headers={"X-Meet-Peer": "quan-sat-01"},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "observer_silent"
