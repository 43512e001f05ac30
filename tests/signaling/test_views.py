"""The live-room page, its join token, the guests' settings, and sharing files and slides."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from rooms.models import MemberRole, Room, RoomMembership
from signaling.models import (
    LiveRoomSettings,
    Meeting,
    Participant,
    ParticipantState,
    SharedFile,
    SlideDeck,
)
from signaling.services.settings import live_settings_save
from signaling.services.tokens import join_token_read
from tests.clients import signed_in
from tests.factories import RoomFactory, UserFactory
from tests.meetings import one_meeting
from tests.signaling.pdf import make_pdf

pytestmark = pytest.mark.django_db


def new_user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


def new_room(**fields: Any) -> Room:
    return cast(Room, RoomFactory(**fields))


@pytest.fixture
def room() -> Room:
    return new_room()


@pytest.fixture
def host(room: Room) -> User:
    user = new_user(first_name="Lan", last_name="Nguyễn")
    RoomMembership.objects.create(room=room, user=user, role=MemberRole.HOST)
    return user


@pytest.fixture
def member(room: Room) -> User:
    user = new_user(first_name="Minh", last_name="Trần")
    RoomMembership.objects.create(room=room, user=user, role=MemberRole.PARTICIPANT)
    return user


def in_meeting(
    room: Room, user: User, *, role: str = "participant", presenter: bool = False
) -> str:
    """Put a person in the room's open meeting (as the consumer would); returns their peer."""
    meeting = Meeting.objects.filter(
        room=room, ended_at__isnull=True
    ).first() or Meeting.objects.create(room=room)
    participant = Participant.objects.create(
        meeting=meeting,
        peer=f"p{user.pk}x{Participant.objects.count()}",
        identity=f"u:{user.pk}",
        user=user,
        name=user.get_full_name(),
        role=role,
        presenter=presenter,
        state=ParticipantState.JOINED,
        joined_at=timezone.now(),
    )
    return participant.peer


# -- the page and the token -------------------------------------------------------------------


def test_a_member_sees_the_pre_join_screen(room: Room, member: User) -> None:
    page = signed_in(member).get(f"/{room.slug}/live/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-ws-path="/ws/rooms/' in html
    assert 'id="live-messages"' in html
    assert "static/js/room/main.js" in html and "css/room.css" in html
    assert 'name="name"' not in html  # members need no name field
    assert "Minh Trần" in html


def test_in_a_webinars_time_the_hosts_button_starts_the_broadcast(
    room: Room, host: User, member: User
) -> None:
    page = f"/{room.slug}/live/"
    assert 'data-broadcast-slot="0"' in signed_in(host).get(page).content.decode()
    one_meeting(
        room, start=timezone.now() + timedelta(minutes=10), title="Tập huấn", broadcast=True
    )
    html = signed_in(host).get(page).content.decode()
    assert 'data-broadcast-slot="1"' in html and "Bắt đầu phát trực tiếp" in html
    # A participant (a panelist too) has no such button.
    assert 'data-broadcast-slot="0"' in signed_in(member).get(page).content.decode()


def test_signed_out_people_are_sent_to_sign_in_for_a_members_room(room: Room) -> None:
    answer = Client().get(f"/{room.slug}/live/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/?next=")


def test_a_stranger_is_refused_a_members_room(room: Room) -> None:
    assert signed_in(new_user()).get(f"/{room.slug}/live/").status_code == 403
    assert signed_in(new_user()).get(f"/{room.slug}/live/token").status_code == 403


def test_an_unknown_room_is_404(db: None) -> None:
    assert Client().get("/khongco/live/").status_code == 404


def test_the_token_says_who_joins_as_what(room: Room, host: User) -> None:
    client = signed_in(host)
    answer = client.get(f"/{room.slug}/live/token")
    assert answer.status_code == 200
    assert answer["Cache-Control"].startswith("max-age=0")
    body = answer.json()
    claims = join_token_read(body["token"], session_key=client.session.session_key, user_id=host.pk)
    assert (claims.role, claims.name, claims.slug) == ("host", "Lan Nguyễn", room.slug)
    assert body["expires_in"] == 120


def test_a_guest_gives_a_name_then_joins(db: None) -> None:
    room = new_room(guest_access=True)
    client = Client()
    page = client.get(f"/{room.slug}/live/")
    assert 'name="name"' in page.content.decode()
    assert client.get(f"/{room.slug}/live/token").status_code == 403
    refused = client.post(f"/{room.slug}/live/", {"name": "   "})
    assert refused.status_code == 200 and "field-error" in refused.content.decode()
    answer = client.post(f"/{room.slug}/live/", {"name": "Nguye\u0302\u0303n Văn Khách"})
    assert answer.status_code == 302 and answer["Location"].endswith("/live/?join=1")
    token = client.get(f"/{room.slug}/live/token").json()["token"]
    claims = join_token_read(token, session_key=client.session.session_key, user_id=None)
    assert (claims.role, claims.name) == ("guest", "Nguyễn Văn Khách")
    assert claims.identity.startswith("g:")
    joined = client.get(f"/{room.slug}/live/?join=1").content.decode()
    assert 'data-autojoin="1"' in joined


def test_a_guest_password_is_checked(db: None) -> None:
    room = new_room(guest_access=True)
    live_settings_save(room=room, lobby_enabled=False, guest_password="bí-mật-123")
    client = Client()
    page = client.post(f"/{room.slug}/live/", {"name": "Khách", "password": "sai"})
    assert page.status_code == 200
    assert "Mật khẩu không đúng." in page.content.decode()
    answer = client.post(f"/{room.slug}/live/", {"name": "Khách", "password": "bí-mật-123"})
    assert answer.status_code == 302


def test_signed_in_people_join_a_guest_room_as_participants(db: None) -> None:
    room = new_room(guest_access=True)
    client = signed_in(new_user())
    token = client.get(f"/{room.slug}/live/token").json()["token"]
    claims = join_token_read(
        token, session_key=client.session.session_key, user_id=int(client.session["_auth_user_id"])
    )
    assert claims.role == "participant"


def test_the_manager_sets_the_lobby_and_the_guests_password(room: Room) -> None:
    manager = new_user()
    room.manager = manager
    room.save()
    client = signed_in(manager)
    page = client.get(f"/{room.slug}/live/").content.decode()
    assert f'action="/{room.slug}/live/settings"' in page
    client.post(
        f"/{room.slug}/live/settings", {"lobby_enabled": "on", "guest_password": "mat-khau-moi"}
    )
    saved = LiveRoomSettings.objects.get(room=room)
    assert saved.lobby_enabled and saved.guest_password.startswith("md5$")  # hashed (test hasher)
    client.post(f"/{room.slug}/live/settings", {"clear_password": "on"})
    saved.refresh_from_db()
    assert not saved.lobby_enabled and saved.guest_password == ""


def test_only_the_manager_changes_the_settings(room: Room, host: User) -> None:
    assert signed_in(host).post(f"/{room.slug}/live/settings", {}).status_code == 403


def test_the_room_page_offers_the_meeting(room: Room, member: User) -> None:
    page = signed_in(member).get(f"/{room.slug}").content.decode()
    assert f'href="/{room.slug}/live/"' in page
    in_meeting(room, member)
    page = signed_in(member).get(f"/{room.slug}").content.decode()
    assert "1 người trong cuộc họp" in page


# -- files -------------------------------------------------------------------------------------


def upload(client: Client, url: str, peer: str, data: bytes, name: str) -> Any:
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, headers={"X-Meet-Peer": peer})


def test_a_participant_shares_a_file_that_only_participants_download(
    room: Room, member: User, host: User, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    peer = in_meeting(room, member)
    client = signed_in(member)
    answer = upload(
        client, f"/{room.slug}/live/files/", peer, b"<html>hi</html>", '../bài "một"<x>.html'
    )
    assert answer.status_code == 201
    shared = SharedFile.objects.get()
    assert shared.name == "bài _một__x_.html" and shared.by_name == "Minh Trần"
    assert "/" not in shared.file.name.split("signaling/files/")[1].split("/", 1)[1]
    download: Any = client.get(f"/{room.slug}/live/files/{shared.pk}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"<html>hi</html>"
    assert signed_in(host).get(f"/{room.slug}/live/files/{shared.pk}").status_code == 404
    assert signed_in(new_user()).get(f"/{room.slug}/live/files/{shared.pk}").status_code == 404
    assert Client().get(f"/{room.slug}/live/files/{shared.pk}").status_code == 404


def test_sharing_needs_being_in_the_meeting(room: Room, member: User, host: User) -> None:
    peer = in_meeting(room, host, role="host")
    answer = upload(signed_in(member), f"/{room.slug}/live/files/", peer, b"x", "a.txt")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_joined"


def test_files_over_the_limit_are_refused(room: Room, member: User, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.MEET_LIVE_FILE_MAX_BYTES = 10
    peer = in_meeting(room, member)
    answer = upload(signed_in(member), f"/{room.slug}/live/files/", peer, b"x" * 11, "a.txt")
    assert answer.status_code == 400
    assert answer.json()["code"] == "file_too_large"
    huge = upload(signed_in(member), f"/{room.slug}/live/files/", peer, b"x" * 200_000, "b.txt")
    assert huge.status_code == 413
    empty = upload(signed_in(member), f"/{room.slug}/live/files/", peer, b"", "c.txt")
    assert empty.json()["code"] == "file_empty"
    assert not SharedFile.objects.exists()


# -- slides ------------------------------------------------------------------------------------


def test_the_host_uploads_a_pdf_and_its_pages_are_rendered_with_text(
    room: Room, host: User, member: User, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    peer = in_meeting(room, host, role="host")
    in_meeting(room, member)
    client = signed_in(host)
    pdf = make_pdf(["Bao cao tuan 1", "Ke hoach tuan 2"])
    answer = upload(client, f"/{room.slug}/live/slides/", peer, pdf, "Giao ban.pdf")
    assert answer.status_code == 201, answer.content
    assert answer.json()["pages"] == 2
    deck = SlideDeck.objects.get()
    assert deck.title == "Giao ban.pdf" and deck.page_count == 2
    pages = list(deck.pages.order_by("number"))
    assert [p.text for p in pages] == ["Bao cao tuan 1", "Ke hoach tuan 2"]
    assert pages[0].width == 1600 and pages[0].height == 900
    meeting = Meeting.objects.get()
    assert (meeting.slide_deck_id, meeting.slide_page) == (deck.pk, 1)
    image: Any = signed_in(member).get(f"/{room.slug}/live/slides/{deck.pk}/2.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert signed_in(new_user()).get(f"/{room.slug}/live/slides/{deck.pk}/2.png").status_code == 404


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"%PDF-1.4 broken", "not_pdf"), (b"MZ\x90\x00 not a pdf", "not_pdf")],
)
def test_bad_pdfs_are_refused(
    room: Room, host: User, data: bytes, code: str, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    peer = in_meeting(room, host, role="host")
    answer = upload(signed_in(host), f"/{room.slug}/live/slides/", peer, data, "x.pdf")
    assert answer.status_code == 400 and answer.json()["code"] == code
    assert re.search(r"PDF", answer.json()["error"])


def test_too_many_pages_are_refused(room: Room, host: User, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.MEET_LIVE_SLIDES_MAX_PAGES = 1
    peer = in_meeting(room, host, role="host")
    answer = upload(
        signed_in(host), f"/{room.slug}/live/slides/", peer, make_pdf(["a", "b"]), "x.pdf"
    )
    assert answer.json()["code"] == "too_many_pages"


def test_only_hosts_and_presenters_upload_slides(
    room: Room, member: User, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    peer = in_meeting(room, member)
    answer = upload(signed_in(member), f"/{room.slug}/live/slides/", peer, make_pdf(["a"]), "x.pdf")
    assert answer.status_code == 400 and answer.json()["code"] == "forbidden_presenter"
    presenter = in_meeting(room, member, presenter=True)
    answer = upload(
        signed_in(member), f"/{room.slug}/live/slides/", presenter, make_pdf(["a"]), "x.pdf"
    )
    assert answer.status_code == 201
    assert signed_in(member).get(f"/{room.slug}/live/slides/").status_code == 405
