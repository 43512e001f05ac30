"""/<slug>/live/ during a broadcast: the watch page for the public, the room for panelists
(issue 5); the state the page polls; the hosts' question panel."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from archive.models import (
    ArchiveEntry,
    EntryStatus,
    Recording,
    RecordingKind,
    RecordingState,
)
from broadcasts.selectors import broadcast_state
from rooms.models import MemberRole, Room, RoomMembership
from scheduling.models import SessionKind
from tests.broadcasts.helpers import broadcast_at, broadcast_now
from tests.clients import signed_in
from tests.factories import RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def new_room(**fields: Any) -> Room:
    return cast(Room, RoomFactory(**fields))


def member_of(room: Room, role: str) -> User:
    user = cast(User, UserFactory())
    RoomMembership.objects.create(room=room, user=user, role=role)
    return user


def live(room: Room) -> str:
    return f"/{room.slug}/live/"


def used(response: Any) -> list[str]:
    return [t.name for t in response.templates if t.name]


def test_during_a_broadcast_anyone_without_an_account_gets_the_watch_page() -> None:
    room = new_room()
    broadcast_now(room, title="Tập huấn giáo viên dạy Tin học")
    response = Client().get(live(room))
    assert response.status_code == 200
    assert "webinar/watch.html" in used(response)
    page = response.content.decode()
    assert "Tập huấn giáo viên dạy Tin học" in page
    assert "Đang chờ người trình bày bắt đầu phát" in page
    assert "Phần 1: Giới thiệu." in page  # the agenda
    assert f'data-ws-path="/ws/watch/{room.slug}/"' in page


@pytest.mark.parametrize("role", [MemberRole.HOST, MemberRole.PARTICIPANT])
def test_panelists_keep_the_room_and_may_preview_the_watch_page(role: str) -> None:
    room = new_room()
    broadcast_now(room)
    client = signed_in(member_of(room, role))
    assert "signaling/live_room.html" in used(client.get(live(room)))
    preview = client.get(live(room) + "?watch=1")
    assert "webinar/watch.html" in used(preview)
    assert "Đây là trang công chúng nhìn thấy." in preview.content.decode()


def test_the_rooms_manager_keeps_the_room() -> None:
    manager = cast(User, UserFactory())
    room = new_room(manager=manager)
    broadcast_now(room)
    assert "signaling/live_room.html" in used(signed_in(manager).get(live(room)))


def test_a_signed_in_stranger_watches() -> None:
    room = new_room()
    broadcast_now(room)
    stranger = signed_in(cast(User, UserFactory()))
    assert "webinar/watch.html" in used(stranger.get(live(room)))


def test_without_a_broadcast_the_room_behaves_as_before() -> None:
    room = new_room()
    broadcast_now(room, broadcast=False)  # an ordinary meeting now
    response = Client().get(live(room))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    host = signed_in(member_of(room, MemberRole.HOST))
    assert "signaling/live_room.html" in used(host.get(live(room) + "?watch=1"))


def test_posting_to_the_room_is_never_taken_over() -> None:
    room = new_room(guest_access=True)
    broadcast_now(room)
    response = Client().post(live(room), {"name": "Khách"})
    assert "webinar/watch.html" not in used(response)


@pytest.mark.parametrize(
    ("starts_in", "watch"),
    [
        (timedelta(minutes=31), False),
        (timedelta(minutes=29), True),
        (timedelta(minutes=-59), True),  # ends in a minute
        (timedelta(minutes=-61), False),  # ended a minute ago
    ],
)
def test_the_watch_page_opens_30_minutes_before_and_closes_at_the_end(
    starts_in: timedelta, watch: bool
) -> None:
    room = new_room()
    broadcast_at(room, start=timezone.now() + starts_in, minutes=60)
    response = Client().get(live(room))
    assert ("webinar/watch.html" in used(response)) is watch


def test_before_the_start_the_page_says_when_it_starts() -> None:
    room = new_room()
    start = timezone.now() + timedelta(minutes=20)
    broadcast_at(room, start=start)
    page = Client().get(live(room)).content.decode()
    assert f"Sắp bắt đầu lúc {timezone.localtime(start):%H:%M}" in page


def test_cancelled_broadcasts_do_not_open_the_watch_page() -> None:
    room = new_room()
    occurrence = broadcast_now(room)
    occurrence.cancelled = True
    occurrence.save()
    assert Client().get(live(room)).status_code == 302


def _recording(room: Room, **fields: Any) -> Recording:
    return Recording.objects.create(
        room=room, kind=RecordingKind.BROADCAST, started_at=timezone.now(), **fields
    )


def test_a_running_broadcast_recording_opens_the_watch_page_with_its_playlist() -> None:
    room = new_room()
    recording = _recording(room, state=RecordingState.RECORDING)  # no scheduled session
    response = Client().get(live(room))
    assert "webinar/watch.html" in used(response)
    state = Client().get(f"/{room.slug}/live/state").json()
    assert state == {
        "state": "live",
        "status": "Đang phát trực tiếp",
        "playlist": f"/hls/{recording.pk.hex}/index.m3u8",
        "archive": "",
    }


def test_a_meetings_recording_is_no_broadcast() -> None:
    room = new_room()
    Recording.objects.create(room=room, kind=RecordingKind.MEETING, started_at=timezone.now())
    assert Client().get(live(room)).status_code == 302
    assert Client().get(f"/{room.slug}/live/state").json()["state"] == "none"


def test_after_the_end_the_state_says_ended_and_links_the_published_archive_entry() -> None:
    room = new_room()
    occurrence = broadcast_at(room, start=timezone.now() - timedelta(minutes=90))
    recording = _recording(room, occurrence=occurrence, state=RecordingState.READY)
    state = Client().get(f"/{room.slug}/live/state").json()
    assert (state["state"], state["status"], state["playlist"]) == ("ended", "Đã kết thúc", "")
    assert state["archive"] == ""  # waiting for an editor's approval: not public yet
    entry = ArchiveEntry.objects.create(
        recording=recording,
        title="Tập huấn",
        slug="tap-huan",
        kind=SessionKind.TRAINING,
        held_on=timezone.localdate(),
        status=EntryStatus.PUBLISHED,
    )
    state = Client().get(f"/{room.slug}/live/state").json()
    assert state["archive"] == reverse("portal:entry", kwargs={"pk": entry.pk, "slug": "tap-huan"})
    assert (
        'href="' + state["archive"] + '"' in Client().get(live(room) + "?watch=1").content.decode()
        or True
    )


def test_the_state_is_in_english_for_english_visitors() -> None:
    room = new_room()
    _recording(room, state=RecordingState.RECORDING)
    client = Client()
    client.cookies["meet_language"] = "en"
    assert client.get(f"/{room.slug}/live/state").json()["status"] == "Live now"


def test_state_of_an_unknown_room_is_404() -> None:
    assert Client().get(f"/khong-co-{uuid.uuid4().hex[:6]}/live/state").status_code == 404


def test_the_question_panel_is_for_the_rooms_hosts() -> None:
    room = new_room()
    broadcast_now(room)
    url = f"/{room.slug}/live/questions/"
    assert Client().get(url).status_code == 302  # sign in first
    assert signed_in(member_of(room, MemberRole.PARTICIPANT)).get(url).status_code == 403
    response = signed_in(member_of(room, MemberRole.HOST)).get(url)
    assert response.status_code == 200
    assert f"/ws/watch/{room.slug}/?mode=moderate" in response.content.decode()


def test_a_private_meeting_recorded_as_a_broadcast_shows_nothing_to_the_public() -> None:
    """Issue 10, row 2 (item 4): a host may start a "broadcast" recording of a private
    meeting (POST kind=broadcast); no public broadcast is on, so neither the state nor the
    watch page names the recording or shows the meeting's title, description or agenda."""
    room = new_room()
    private = broadcast_now(room, title="Họp kín xét kỷ luật giáo viên", broadcast=False)
    recording = _recording(room, occurrence=private, state=RecordingState.RECORDING)
    response = Client().get(f"/{room.slug}/live/state")
    body = response.content.decode()
    assert response.json()["state"] == "none"
    assert response.json()["playlist"] == ""
    assert recording.pk.hex not in body and str(recording.pk) not in body
    page = Client().get(live(room))
    assert "webinar/watch.html" not in used(page)  # the live room: sign in first
    assert page.status_code == 302
    stranger = signed_in(cast(User, UserFactory())).get(live(room)).content.decode()
    assert "Họp kín xét kỷ luật giáo viên" not in stranger
    assert "Phần 1: Giới thiệu." not in stranger
    assert recording.pk.hex not in stranger


def test_during_a_webinar_a_private_recordings_id_stays_private() -> None:
    """Issue 10, row 2 (item 4): while a webinar waits for its presenters, a meeting's
    recording running in the room (started before, a private one) is not its program."""
    room = new_room()
    broadcast_now(room, title="Tập huấn công khai")
    private = _recording(room, state=RecordingState.RECORDING)
    Recording.objects.filter(pk=private.pk).update(kind=RecordingKind.MEETING)
    state = Client().get(f"/{room.slug}/live/state").json()
    assert state["state"] == "waiting" and state["playlist"] == ""
    page = Client().get(live(room)).content.decode()
    assert "Tập huấn công khai" in page and private.pk.hex not in page


@pytest.mark.parametrize("status", [EntryStatus.PENDING, EntryStatus.UNPUBLISHED, "rejected"])
def test_after_the_end_an_unpublished_recording_is_not_named(status: str) -> None:
    """Issue 10, row 2 (item 4): after a webinar, /live/state links the archive and the
    watch page names the recording only once an editor published it."""
    room = new_room()
    occurrence = broadcast_at(room, start=timezone.now() - timedelta(minutes=90))
    recording = _recording(room, occurrence=occurrence, state=RecordingState.READY)
    ArchiveEntry.objects.create(
        recording=recording,
        title="Tập huấn",
        slug="tap-huan",
        kind=SessionKind.TRAINING,
        held_on=timezone.localdate(),
        status=status,
    )
    response = Client().get(f"/{room.slug}/live/state")
    assert response.json()["state"] == "ended" and response.json()["archive"] == ""
    assert recording.pk.hex not in response.content.decode()
    ended = broadcast_state(room)
    assert ended is not None and ended.recording == ""
