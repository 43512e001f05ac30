"""The fixture world of the access matrix, built once per module and committed.

Rooms (all under the department ``sotinh`` of one province):

* ``sotinh``: the parent unit's room; its unit login is the PARENT_UNIT role.
* ``phong``: the main room (guests allowed) with a manager, a unit login, host, participant
  and presenter members, an open meeting with a shared file and a slide deck, sessions
  public and private, a private meeting recording and four broadcast recordings whose
  archive entries are pending, published, unpublished and rejected.
* ``tran``: a room with NEITHER manager NOR unit login and a private session (where a
  ``room__manager_id=request.user.pk`` filter matched anonymous users: issue 10, row 1).
* ``khac``: another room, managed by the OTHER_MANAGER role, invited to a main session.

Markers are short words in titles that list and feed checks look for in response bodies.
"""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from archive.models import ArchiveEntry, Recording, RecordingKind, RecordingState, Tag
from archive.services import archive
from archive.services.paths import recording_directory
from archive.services.search import FTS_TABLE, entry_index
from rooms.models import (
    EquipmentItem,
    MemberRole,
    Province,
    Room,
    RoomMembership,
    Site,
    Unit,
    UnitKind,
)
from scheduling.models import Invitation, Occurrence, Session, SessionDocument, SessionKind
from scheduling.services.feeds import feed_token_current
from signaling.models import (
    LiveRole,
    Meeting,
    Participant,
    ParticipantState,
    SharedFile,
    SlideDeck,
    SlidePage,
)
from signaling.views import GUESTS_SESSION_KEY
from tests.meetings import one_meeting
from tests.security.matrix import roles as r

EDITOR_GROUP = "Biên tập viên cổng thông tin"
GUEST_KEY = "khach-matran"

# Markers (letters only: iCalendar folds long lines and escapes punctuation).
PUBLIC_MAIN = "CONGKHAIPHONG"
PRIVATE_MAIN = "RIENGPHONG"
PRIVATE_BARE = "RIENGTRAN"
PRIVATE_MANAGER_ONLY = "RIENGKHAC"  # room with a manager and no unit login
PRIVATE_LOGIN_ONLY = "RIENGSO"  # room with a unit login and no manager
# Who may see each private session: the one rule of every surface (API lists and records,
# calendars with and without scope=unit, the room page, the agenda, .ics, private feeds):
# administrators; the room's manager, unit login and members; the officers of the units
# above it (a department supervises its offices); the officers of the sites it invites.
# (docs/scheduling.md, "Who sees a private session".)
PRIVATE_SEEN_BY: dict[str, frozenset[str]] = {
    "private": r.MEMBERS | {r.PARENT_UNIT, r.OTHER_MANAGER},  # it invites khac's site
    "bare_private": frozenset({r.PARENT_UNIT, r.ADMIN}),
    "manager_only": frozenset({r.OTHER_MANAGER, r.PARENT_UNIT, r.ADMIN}),
    "login_only": frozenset({r.PARENT_UNIT, r.ADMIN}),
}
ENTRY_MARKERS = {
    "published": "LUUTRUDANG",
    "pending": "LUUTRUCHO",
    "unpublished": "LUUTRUGO",
    "rejected": "LUUTRUTUCHOI",
}
ENTRY_STATES = tuple(ENTRY_MARKERS)
VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nXin chào\n"


@dataclass
class World:
    """Everything the rows point at."""

    day: date
    rooms: dict[str, Room]
    users: dict[str, User]
    session_keys: dict[str, str]
    sessions: dict[str, Session]
    occurrences: dict[str, Occurrence]
    peers: dict[str, str]
    meeting: Meeting
    shared_file: SharedFile
    deck: SlideDeck
    document: SessionDocument
    invitation: Invitation
    feeds: dict[str, str]
    recordings: dict[str, Recording]
    entries: dict[str, ArchiveEntry]
    extra: dict[str, Any] = field(default_factory=dict)  # what a state's ``prepare`` made


def _user(name: str, **fields: Any) -> User:
    user = User.objects.create_user(username=name, password=None, first_name=name, **fields)
    return user


def _unit(code: str, kind: str, parent: Unit | None, province: Province) -> Unit:
    return Unit.objects.create(
        code=code.upper(),
        kind=kind,
        name=f"Đơn vị {code}",
        parent=parent,
        province=province,
        slug=code,
    )


def _rooms(users: dict[str, User]) -> dict[str, Room]:
    province = Province.objects.create(code=99, name="Tỉnh Ma Trận", slug="matran")
    parent = _unit("sotinh", UnitKind.DEPARTMENT, None, province)
    rooms = {"parent": Room.objects.create(slug="sotinh", unit=parent)}
    rooms["parent"].account = users[r.PARENT_UNIT]
    rooms["parent"].save()
    for key, slug in (("main", "phong"), ("bare", "tran"), ("other", "khac")):
        unit = _unit(slug, UnitKind.DISTRICT, parent, province)
        Site.objects.create(unit=unit)
        rooms[key] = Room.objects.create(slug=slug, unit=unit)
    main = rooms["main"]
    main.manager, main.account, main.guest_access = users[r.MANAGER], users[r.UNIT], True
    main.save()
    rooms["other"].manager = users[r.OTHER_MANAGER]
    rooms["other"].save()
    for role, kind in (
        (r.HOST, MemberRole.HOST),
        (r.PARTICIPANT, MemberRole.PARTICIPANT),
        (r.PRESENTER, MemberRole.PARTICIPANT),
    ):
        RoomMembership.objects.create(room=main, user=users[role], role=kind)
    return rooms


def _session(room: Room, title: str, start: datetime, *, public: bool, **extra: Any) -> Session:
    return one_meeting(
        room,
        start=start,
        kind=SessionKind.BRIEFING,
        title=title,
        description=f"Mô tả {title}",
        public=public,
        **extra,
    ).session


def _users() -> dict[str, User]:
    users = {role: _user(f"mt_{role}") for role in r.SIGNED_IN if role != r.ADMIN}
    users[r.ADMIN] = User.objects.create_superuser("mt_admin", "admin@matran.edu.vn", None)
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    group.permissions.add(Permission.objects.get(codename="publish_archiveentry"))
    users[r.EDITOR].groups.add(group)
    return users


def _session_keys(users: dict[str, User], main: Room) -> dict[str, str]:
    keys: dict[str, str] = {}
    for role, user in users.items():
        if role not in r.SIGNED_IN:
            continue
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        keys[role] = str(client.cookies["sessionid"].value)
    for role, data in (
        (r.VIEWER, {"meet_watched": True}),
        (r.GUEST, {GUESTS_SESSION_KEY: {str(main.pk): {"key": GUEST_KEY, "name": "Khách"}}}),
    ):
        store = SessionStore()
        store.update(data)
        store.create()
        keys[role] = str(store.session_key)
    return keys


def _meeting(main: Room, users: dict[str, User]) -> tuple[Meeting, dict[str, str]]:
    meeting = Meeting.objects.create(room=main)
    now = timezone.now()
    peers: dict[str, str] = {}
    for role, live_role in (
        (r.GUEST, LiveRole.GUEST),
        (r.PARTICIPANT, LiveRole.PARTICIPANT),
        (r.PRESENTER, LiveRole.PARTICIPANT),
        (r.HOST, LiveRole.HOST),
    ):
        user = users.get(role)
        identity = f"u:{user.pk}" if user is not None else f"g:{GUEST_KEY}"
        peers[role] = f"peer{role}"
        Participant.objects.create(
            meeting=meeting,
            peer=peers[role],
            identity=identity,
            user=user,
            name=role,
            role=live_role,
            presenter=role == r.PRESENTER,
            state=ParticipantState.JOINED,
            joined_at=now,
        )
    return meeting, peers


def _shared(meeting: Meeting) -> tuple[SharedFile, SlideDeck]:
    shared = SharedFile(meeting=meeting, by_name="participant", name="bien-ban.txt", size=5)
    shared.file.save("bien-ban.txt", ContentFile(b"hello"), save=True)
    deck = SlideDeck.objects.create(meeting=meeting, by_name="host", title="Bài", page_count=1)
    page = SlidePage(deck=deck, number=1, width=16, height=9, text="Trang 1")
    page.image.save("1.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    return shared, deck


def _recording(room: Room, kind: str, occurrence: Occurrence | None, state: str) -> Recording:
    recording = Recording.objects.create(room=room, kind=kind, occurrence=occurrence, state=state)
    directory: Path = recording_directory(recording.id)
    (directory / "hls").mkdir(parents=True)
    (directory / "hls" / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (directory / "recording.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    (directory / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 32)
    return recording


def _entry(recording: Recording, state: str, editor: User) -> ArchiveEntry:
    assert recording.occurrence is not None
    entry = ArchiveEntry.objects.create(
        recording=recording,
        title=f"Hội thảo {ENTRY_MARKERS[state]}",
        slug=ENTRY_MARKERS[state].lower(),
        description=ENTRY_MARKERS[state],
        unit=recording.room.unit,
        kind=SessionKind.TRAINING,
        held_on=recording.occurrence.start.date(),
        poster="poster.jpg",
        captions=VTT,
    )
    entry.tags.add(Tag.objects.get_or_create(name="Ma trận", slug="matran")[0])
    entry_index(entry=entry)
    if state in ("published", "unpublished"):
        entry = archive.entry_approve(entry=entry, by=editor)
    if state == "unpublished":
        entry = archive.entry_unpublish(entry=entry, by=editor)
    if state == "rejected":  # refused while pending: never public
        reject = getattr(archive, "entry_reject", archive.entry_unpublish)
        entry = reject(entry=entry, by=editor)
    return entry


def _archive(main: Room, editor: User, day: datetime) -> tuple[dict[str, Recording], dict]:
    recordings = {
        "meeting": _recording(main, RecordingKind.MEETING, None, RecordingState.READY),
    }
    entries: dict[str, ArchiveEntry] = {}
    for offset, state in enumerate(ENTRY_STATES):
        start = day - timedelta(days=10 + offset)
        session = _session(main, ENTRY_MARKERS[state], start, public=True, broadcast=True)
        occurrence = session.occurrences.get()
        recording = _recording(main, RecordingKind.BROADCAST, occurrence, RecordingState.READY)
        recordings[state] = recording
        entries[state] = _entry(recording, state, editor)
    return recordings, entries


def build_world() -> World:
    """Create and commit the world (the caller holds the database unblocked)."""
    day = timezone.localdate() + timedelta(days=2)
    at = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    users = _users()
    users["former"] = _user("mt_former", is_active=True)
    rooms = _rooms(users)
    main, bare = rooms["main"], rooms["bare"]
    sessions = {
        "public": _session(main, PUBLIC_MAIN, at + timedelta(hours=8), public=True),
        "private": _session(main, PRIVATE_MAIN, at + timedelta(hours=10), public=False),
        "bare_private": _session(bare, PRIVATE_BARE, at + timedelta(hours=8), public=False),
        "manager_only": _session(
            rooms["other"], PRIVATE_MANAGER_ONLY, at + timedelta(hours=8), public=False
        ),
        "login_only": _session(
            rooms["parent"], PRIVATE_LOGIN_ONLY, at + timedelta(hours=8), public=False
        ),
    }
    occurrences = {key: session.occurrences.get() for key, session in sessions.items()}
    meeting, peers = _meeting(main, users)
    shared, deck = _shared(meeting)
    document = SessionDocument(session=sessions["public"], name="chuong-trinh.txt", size=4)
    document.file.save("chuong-trinh.txt", ContentFile(b"abcd"), save=True)
    assert rooms["other"].unit is not None
    invitation = Invitation.objects.create(session=sessions["private"], unit=rooms["other"].unit)
    feeds = {
        "manager": feed_token_current(user=users[r.MANAGER]).token,
        "deactivated": feed_token_current(user=users["former"]).token,
    }
    # Row 7: the person leaves; their private feed must stop with their account.
    User.objects.filter(pk=users["former"].pk).update(is_active=False)
    recordings, entries = _archive(main, users[r.EDITOR], at)
    item = EquipmentItem.objects.create(site=Site.objects.get(unit=main.unit), kind="webcam")
    return World(
        day=day,
        rooms=rooms,
        users=users,
        session_keys=_session_keys(users, main),
        sessions=sessions,
        occurrences=occurrences,
        peers=peers,
        meeting=meeting,
        shared_file=shared,
        deck=deck,
        document=document,
        invitation=invitation,
        feeds=feeds,
        recordings=recordings,
        entries=entries,
        extra={"item": item.pk},
    )


def new_id() -> str:
    """A recording id nobody has."""
    return str(uuid.uuid4())


def empty_database() -> None:
    """Remove the world as a transactional test's flush would, and put back what the flush
    cannot: the rows of the data migrations (the editors' group) and an empty search index
    (SQLite's FTS5 table is no model: a flush leaves its rows pointing at reused ids)."""
    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
    migration = importlib.import_module("archive.migrations.0002_editor_group")
    state = MigrationExecutor(connection).loader.project_state(("streaming", "0002_editor_group"))
    migration.create_group(state.apps, None)
