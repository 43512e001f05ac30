"""Guessed or leaked recording ids (issue 10, item 3): a meeting's recording is for the
members of its room only. Every address of its files and pages refuses anonymous visitors,
signed-in strangers, the portal's editors, and the people of another room — its members,
its manager, its unit login, even the login of the room's parent unit — with a 404, as
if the recording did not exist; the room's own people get it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from archive.models import Recording, RecordingKind
from archive.services.paths import recording_directory
from rooms.models import MemberRole, Room, RoomMembership, Unit
from rooms.permissions import SYSTEM_ADMIN_GROUP
from tests.archive.conftest import People, finished_recording
from tests.factories import RoomFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@dataclass
class Cast:
    """Everyone who might ask for the recording, by the name the tables use."""

    users: dict[str, User | None]
    other_room: Room


@pytest.fixture
def cast_(people: People) -> Cast:
    room = people.room
    parent = cast(Unit, UnitFactory(name="Bộ Giáo dục và Đào tạo", slug="bo-gddt"))
    assert room.unit is not None
    room.unit.parent = parent
    room.unit.save(update_fields=["parent"])
    other = cast(Room, RoomFactory(slug="haiphong"))
    parent_room = cast(Room, RoomFactory(unit=parent, slug="bo"))

    def user(name: str) -> User:
        return cast(User, UserFactory(username=name))

    other_host, other_member = user("chutri-hp"), user("thamdu-hp")
    RoomMembership.objects.create(room=other, user=other_host, role=MemberRole.HOST)
    RoomMembership.objects.create(room=other, user=other_member, role=MemberRole.PARTICIPANT)
    other.manager, other.account = user("quanly-hp"), user("donvi-hp")
    other.save(update_fields=["manager", "account"])
    parent_room.account = user("donvi-bo")
    parent_room.save(update_fields=["account"])
    room.manager, room.account = user("quanly-hn"), user("donvi-hn")
    room.save(update_fields=["manager", "account"])
    admin = user("quantri")
    admin.groups.add(Group.objects.get_or_create(name=SYSTEM_ADMIN_GROUP)[0])
    assert other.manager is not None and other.account is not None
    assert parent_room.account is not None and room.manager is not None
    assert room.account is not None
    return Cast(
        users={
            "anonymous": None,
            "signed-in stranger": people.outsider,
            "portal editor": people.editor,
            "another room's host": other_host,
            "another room's participant": other_member,
            "another room's manager": other.manager,
            "another room's unit login": other.account,
            "the parent unit's login": parent_room.account,
            # the room's own people
            "host": people.host,
            "participant": people.participant,
            "room manager": room.manager,
            "unit login": room.account,
            "administrator": admin,
        },
        other_room=other,
    )


MEMBERS = {"host", "participant", "room manager", "unit login", "administrator"}
REFUSED = [
    "anonymous",
    "signed-in stranger",
    "portal editor",
    "another room's host",
    "another room's participant",
    "another room's manager",
    "another room's unit login",
    "the parent unit's login",
]


def client_of(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def private_recording(people: People, mp4_file: Path) -> Recording:
    recording = finished_recording(people.room, mp4_file, kind=RecordingKind.MEETING)
    directory = recording_directory(recording.id)
    (directory / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0 poster")
    (directory / "hls" / "init.mp4").write_bytes(b"\x00\x00\x00\x18ftypiso6")
    return recording


# name -> address of one of the recording's files or pages (``{id}`` / ``{hex}``)
ADDRESSES: dict[str, Callable[[Recording], str]] = {
    "player page": lambda r: f"/recordings/{r.id}/",
    "player page (folder name)": lambda r: f"/recordings/{r.id.hex}/",
    "MP4": lambda r: f"/recordings/{r.id}/recording.mp4",
    "MP4 download": lambda r: f"/recordings/{r.id}/recording.mp4?download=1",
    "poster": lambda r: f"/recordings/{r.id}/poster.jpg",
    "members' HLS playlist": lambda r: f"/recordings/{r.id}/hls/index.m3u8",
    "members' HLS init segment": lambda r: f"/recordings/{r.id}/hls/init.mp4",
    "members' HLS segment": lambda r: f"/recordings/{r.id}/hls/seg-00001.m4s",
    "public HLS playlist": lambda r: f"/hls/{r.id}/index.m3u8",
    "public HLS segment": lambda r: f"/hls/{r.id.hex}/seg-00001.m4s",
}
PUBLIC_ROUTES = {"public HLS playlist", "public HLS segment"}


@pytest.mark.parametrize("who", REFUSED)
def test_a_private_recording_is_refused_to_everyone_outside_the_room(
    people: People, mp4_file: Path, cast_: Cast, who: str
) -> None:
    """Issue 10, item 3: knowing (or guessing) a meeting recording's id gives an outsider
    nothing: every file and page of it answers 404, with or without a byte range."""
    recording = private_recording(people, mp4_file)
    client = client_of(cast_.users[who])
    for name, address in ADDRESSES.items():
        url = address(recording)
        assert client.get(url).status_code == 404, (who, name, url)
        assert client.get(url, HTTP_RANGE="bytes=0-9").status_code == 404, (who, name)
    # Nor through the room's list, nor by stopping it from another room's address.
    listing = client.get(f"/{people.room.slug}/recordings/?format=json")
    assert listing.status_code in (302, 404), who
    other = cast_.other_room.slug
    assert client.post(f"/{other}/recordings/{recording.id}/stop").status_code in (403, 404)
    assert client.post(f"/{people.room.slug}/recordings/{recording.id}/stop").status_code in (
        403,
        404,
    )


@pytest.mark.parametrize("who", sorted(MEMBERS))
def test_the_rooms_own_people_get_its_recording(
    people: People, mp4_file: Path, cast_: Cast, who: str
) -> None:
    """The same addresses work for the room's members (the refusals above are not a
    route that is simply broken); the public HLS route stays closed even to them."""
    recording = private_recording(people, mp4_file)
    client = client_of(cast_.users[who])
    for name, address in ADDRESSES.items():
        response = client.get(address(recording))
        expected = 404 if name in PUBLIC_ROUTES else 200
        assert response.status_code == expected, (who, name)
        if expected == 200 and "page" not in name:
            assert response["Cache-Control"].startswith("private"), (who, name)
            assert "Access-Control-Allow-Origin" not in response
    listing = client.get(f"/{people.room.slug}/recordings/?format=json").json()
    assert [r["id"] for r in listing["recordings"]] == [recording.id.hex]


def test_another_rooms_list_does_not_show_it(people: People, mp4_file: Path, cast_: Cast) -> None:
    """A member of another room sees their own room's list, without this recording."""
    recording = private_recording(people, mp4_file)
    client = client_of(cast_.users["another room's host"])
    listing = client.get(f"/{cast_.other_room.slug}/recordings/?format=json")
    assert listing.status_code == 200
    assert recording.id.hex not in listing.content.decode()


def test_recording_ids_are_random_not_sequential(people: People) -> None:
    """Issue 10, item 2: recording ids are random UUIDs (version 4), so an id is learnt,
    never guessed from a neighbour's (and every route checks who asks anyway)."""
    first, second = (
        Recording.objects.create(room=people.room, kind=RecordingKind.MEETING) for _ in range(2)
    )
    assert first.id.version == 4 and second.id.version == 4
    assert abs(first.id.int - second.id.int) > 2**64
    unknown = uuid.uuid4()
    assert client_of(people.host).get(f"/recordings/{unknown}/").status_code == 404
