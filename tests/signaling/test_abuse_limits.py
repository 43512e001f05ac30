"""Issue 10: abuse limits per address and per person on join tokens, joins, chat and
uploads, across connections; file quotas; upload bodies refused before they are read."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms.models import MemberRole, Room, RoomMembership
from signaling import consumers
from signaling.models import SharedFile
from tests.factories import RoomFactory, UserFactory
from tests.signaling.live import Live, db, member_session, token_for
from tests.signaling.test_views import in_meeting, signed_in, upload
from tests.signaling.uploads import CountingUploadHandler, count_uploads


@pytest.fixture
def counted_uploads(settings, tmp_path) -> type[CountingUploadHandler]:
    settings.MEDIA_ROOT = tmp_path
    return count_uploads(settings)


def member_of(room: Room) -> User:
    user = cast(User, UserFactory())
    RoomMembership.objects.create(room=room, user=user, role=MemberRole.PARTICIPANT)
    return user


# -- join tokens -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_join_tokens_are_limited_per_address(settings) -> None:
    """Issue 10: join tokens had no limit per address."""
    settings.MEET_LIVE_ABUSE_RATES = {"token_address": (600.0, 3)}
    room = cast(Room, RoomFactory())
    people = [signed_in(member_of(room)) for _ in range(4)]
    url = f"/{room.slug}/live/token"
    for client in people[:3]:
        assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200
    refused = people[3].get(url, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429 and refused.json()["code"] == "slow_down"
    assert "Hãy thử lại sau" in refused.json()["error"]
    assert people[3].get(url, REMOTE_ADDR="198.51.100.1").status_code == 200


@pytest.mark.django_db
def test_join_tokens_are_limited_per_person_across_addresses(settings) -> None:
    """Issue 10: one account could mint join tokens without limit."""
    settings.MEET_LIVE_ABUSE_RATES = {"token_user": (600.0, 2)}
    room = cast(Room, RoomFactory())
    client = signed_in(member_of(room))
    url = f"/{room.slug}/live/token"
    assert client.get(url, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get(url, REMOTE_ADDR="192.0.2.2").status_code == 200
    assert client.get(url, REMOTE_ADDR="192.0.2.3").status_code == 429
    assert signed_in(member_of(room)).get(url, REMOTE_ADDR="192.0.2.3").status_code == 200


# -- joins and chat over the socket -----------------------------------------------------------


async def test_joins_are_limited_per_address(
    connect: Callable[..., Any], room: Room, settings
) -> None:
    """Issue 10: joins had no limit per address."""
    settings.MEET_LIVE_ABUSE_RATES = {"join_address": (600.0, 2)}
    for _ in range(2):
        await connect(address="203.0.113.8")
    third = await connect(address="203.0.113.8", join=False)
    await third.open()
    answer = await third.hello()
    assert answer["code"] == "slow_down"
    assert re.search(r"Hãy thử lại sau \d\d:\d\d\.$", answer["message"])  # says when
    assert await third.closed() == consumers.CLOSE_TOO_FAST
    await connect(address="198.51.100.8")


async def two_windows(room: Room, address: str = "127.0.0.1") -> tuple[Live, Live]:
    """One person joined from two windows (two tokens, one session)."""
    user = await db(member_of)(room)
    session_key = await db(member_session)(user)
    windows = []
    for _ in range(2):
        token = token_for(room, session_key=session_key, role="participant", name="A", user=user)
        live = Live(room, session_key=session_key, token=token, address=address)
        await live.join()
        windows.append(live)
    return windows[0], windows[1]


async def test_chat_is_limited_per_person_across_windows(
    fresh_bus: None, room: Room, settings
) -> None:
    """Issue 10: chat was limited per connection only; a second window doubled the rate."""
    settings.MEET_LIVE_ABUSE_RATES = {"chat_user": (600.0, 3)}
    one, other = await two_windows(room)
    for live, text in ((one, "a"), (one, "b"), (other, "c")):
        await live.send({"type": "chat.send", "text": text})
        await live.expect("chat.message", text=text)
    await other.send({"type": "chat.send", "text": "d", "ref": "d"})
    refused = await other.expect("error", ref="d")
    assert refused["code"] == "slow_down"
    for live in (one, other):
        await live.close()


async def test_chat_is_limited_per_address(
    connect: Callable[..., Any], room: Room, settings
) -> None:
    """Issue 10: chat had no limit per address (many guests from one address)."""
    settings.MEET_LIVE_ABUSE_RATES = {"chat_address": (600.0, 2)}
    first = await connect(role="guest", name="Một", address="203.0.113.9")
    second = await connect(role="guest", name="Hai", address="203.0.113.9")
    for live, text in ((first, "a"), (second, "b")):
        await live.send({"type": "chat.send", "text": text})
        await live.expect("chat.message", text=text)
    await first.send({"type": "chat.send", "text": "c", "ref": "c"})
    assert (await first.expect("error", ref="c"))["code"] == "slow_down"


# -- uploads -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_uploads_are_limited_per_person(
    settings, counted_uploads: type[CountingUploadHandler]
) -> None:
    """Issue 10: uploads had no limit per person or address."""
    settings.MEET_LIVE_ABUSE_RATES = {"upload_user": (600.0, 2)}
    room = cast(Room, RoomFactory())
    user = member_of(room)
    peer, client = in_meeting(room, user), signed_in(user)
    url = f"/{room.slug}/live/files/"
    for name in ("a.txt", "b.txt"):
        assert upload(client, url, peer, b"x", name).status_code == 201
    refused = upload(client, url, peer, b"x", "c.txt")
    assert refused.status_code == 429 and refused.json()["code"] == "slow_down"
    assert counted_uploads.received == 2  # the refused body was not parsed


@pytest.mark.django_db
def test_files_per_participant_and_per_meeting_are_limited(
    settings, counted_uploads: type[CountingUploadHandler]
) -> None:
    """Issue 10: a participant could share files without limit."""
    settings.MEET_LIVE_FILES_PER_PARTICIPANT = 2
    settings.MEET_LIVE_FILES_PER_MEETING = 3
    room = cast(Room, RoomFactory())
    url = f"/{room.slug}/live/files/"
    first, second = member_of(room), member_of(room)
    peer = in_meeting(room, first)
    for name in ("a.txt", "b.txt"):
        assert upload(signed_in(first), url, peer, b"x", name).status_code == 201
    refused = upload(signed_in(first), url, peer, b"x", "c.txt")
    assert refused.status_code == 400 and refused.json()["code"] == "too_many_files"
    assert "giới hạn là 2 tệp" in refused.json()["error"]
    other = in_meeting(room, second)
    assert upload(signed_in(second), url, other, b"x", "d.txt").status_code == 201
    full = upload(signed_in(second), url, other, b"x", "e.txt")
    assert full.json()["code"] == "too_many_files" and "3" in full.json()["error"]
    assert SharedFile.objects.count() == 3
    assert counted_uploads.received == 3  # refused bodies were not parsed


@pytest.mark.django_db
def test_an_upload_without_a_length_or_over_the_limit_is_not_read(
    settings, counted_uploads: type[CountingUploadHandler]
) -> None:
    """Issue 10: an upload's body was parsed whole before its size was checked."""
    settings.MEET_LIVE_FILE_MAX_BYTES = 1000
    room = cast(Room, RoomFactory())
    user = member_of(room)
    peer, client = in_meeting(room, user), signed_in(user)
    url = f"/{room.slug}/live/files/"
    data = {"file": SimpleUploadedFile("a.txt", b"x")}
    unsized = client.post(url, data, headers={"X-Meet-Peer": peer}, CONTENT_LENGTH="")
    assert unsized.status_code == 411 and unsized.json()["code"] == "length_required"
    huge = client.post(url, data, headers={"X-Meet-Peer": peer}, CONTENT_LENGTH="999999999")
    assert huge.status_code == 413
    assert counted_uploads.received == 0


async def test_the_join_message_lists_only_the_latest_files(
    connect: Callable[..., Any], room: Room, settings, tmp_path
) -> None:
    """Issue 10: the join message listed every shared file of the meeting."""
    settings.MEDIA_ROOT = tmp_path
    settings.MEET_LIVE_WELCOME_FILES = 2
    sharer = await connect()
    client = Client()
    client.cookies["sessionid"] = sharer.session_key
    url = f"/{room.slug}/live/files/"
    for number in range(5):
        answer = await db(client.post)(
            url,
            {"file": SimpleUploadedFile(f"{number}.txt", b"x")},
            headers={"X-Meet-Peer": sharer.peer},
        )
        assert answer.status_code == 201
    late = await connect()
    assert [f["name"] for f in late.welcome["files"]] == ["3.txt", "4.txt"]
    assert late.welcome["files_total"] == 5
