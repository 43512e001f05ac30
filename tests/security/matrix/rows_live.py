"""Rows of the live room's pages, files and slides, the watch page and its Q&A panel."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from archive.models import RecordingKind, RecordingState
from rooms.models import Room
from tests.meetings import one_meeting
from tests.security.matrix import roles as r
from tests.security.matrix.table import Row, gate
from tests.security.matrix.world import World, _recording
from tests.signaling.pdf import make_pdf

E = r.EVERYONE
GUEST_ROOM = "room admits guests"
MEMBERS_ONLY = "room for members only"
LIVE = "broadcast live"


def members_only(world: World) -> None:
    """The main room stops admitting guests (undone with the row's transaction)."""
    Room.objects.filter(pk=world.rooms["main"].pk).update(guest_access=False)


def broadcast_live(world: World) -> None:
    """The main room broadcasts now: a webinar on since ten minutes, its recording running."""
    room = world.rooms["main"]
    start = timezone.now() - timedelta(minutes=10)
    occurrence = one_meeting(room, start=start, title="Trực tiếp", broadcast=True)
    world.extra["live"] = _recording(
        room, RecordingKind.BROADCAST, occurrence, RecordingState.RECORDING
    )


def _peer(world: World, role: str) -> dict[str, str]:
    peer = world.peers.get(role, "")
    return {"X-Meet-Peer": peer} if peer else {}


def _file(world: World) -> dict[str, object]:
    return {"file": SimpleUploadedFile("ghi-chu.txt", b"ghi chu", content_type="text/plain")}


def _pdf(world: World) -> dict[str, object]:
    data = make_pdf(["Trang 1"])
    return {"file": SimpleUploadedFile("bai.pdf", data, content_type="application/pdf")}


def _live_rows(route: str) -> list[Row]:
    return [
        gate(route, lambda w: "/phong/live/", E, state=GUEST_ROOM),
        gate(route, lambda w: "/phong/live/", r.MEMBERS, state=MEMBERS_ONLY, prepare=members_only),
        gate(route, lambda w: "/phong/live/", E, state=LIVE, prepare=broadcast_live),
    ]


ROWS: list[Row] = [
    *_live_rows("live-or-watch"),
    # The same address: meet/urls.py routes /<slug>/live/ to live-or-watch first.
    *_live_rows("signaling:live"),
    gate(
        "signaling:token", lambda w: "/phong/live/token", r.SIGNED_IN | {r.GUEST}, state=GUEST_ROOM
    ),
    gate(
        "signaling:token",
        lambda w: "/phong/live/token",
        r.MEMBERS,
        state=MEMBERS_ONLY,
        prepare=members_only,
    ),
    gate(
        "signaling:settings",
        lambda w: "/phong/live/settings",
        r.MANAGERS,
        method="post",
        data=lambda w: {"lobby_enabled": "on"},
    ),
    gate(
        "signaling:files",
        lambda w: "/phong/live/files/",
        r.IN_MEETING,
        method="post",
        data=_file,
        headers=_peer,
        ok=(201,),
        state="each role sends its own peer id",
    ),
    gate(
        "signaling:file",
        lambda w: f"/phong/live/files/{w.shared_file.pk}",
        r.IN_MEETING | r.MANAGERS,
    ),
    gate(
        "signaling:slides",
        lambda w: "/phong/live/slides/",
        {r.PRESENTER, r.HOST},
        method="post",
        data=_pdf,
        headers=_peer,
        ok=(201,),
        state="each role sends its own peer id",
        issue="row 4",
    ),
    gate(
        "signaling:slide",
        lambda w: f"/phong/live/slides/{w.deck.pk}/1.png",
        r.IN_MEETING | r.MANAGERS,
    ),
    gate("webinar:state", lambda w: "/phong/live/state", E, state="no broadcast"),
    gate("webinar:state", lambda w: "/phong/live/state", E, state=LIVE, prepare=broadcast_live),
    gate(
        "webinar:questions",
        lambda w: "/phong/live/questions/",
        r.HOSTS,
        state=LIVE,
        prepare=broadcast_live,
    ),
]
