"""Reads for the watch page: is the room broadcasting, what it shows, its questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from archive.models import ArchiveEntry, Recording, RecordingKind, RecordingState
from archive.portal.selectors import is_public
from broadcasts.models import (
    PUBLIC_STATES,
    PublicChatMessage,
    Question,
    QuestionState,
    WatchSettings,
)
from rooms.models import Room
from rooms.permissions import HOST_ROLES, AnyUser, Role, role_in_room
from scheduling.models import Occurrence
from scheduling.selectors import occurrence_now

# The watch page opens when the scheduled meeting is "on" (scheduling.selectors:
# occurrence_now, from OPENS_BEFORE its start) ...
# ... and keeps saying "ended", with the archive's link, this long after it ends.
ENDED_GRACE = timedelta(hours=2)
HLS_PREFIX = "/hls/"
QUESTIONS_SHOWN = 200
CHAT_SHOWN = 50

State = Literal["upcoming", "waiting", "live", "ended"]
PANELIST_ROLES = (*HOST_ROLES, Role.PARTICIPANT)


@dataclass(frozen=True)
class Broadcast:
    """A room's broadcast as the public sees it at one moment."""

    state: State
    occurrence: Occurrence | None
    # uuid hex of the live (or last) broadcast recording, only while the public may see it
    recording: str = ""
    archive: str = ""  # the published archive entry's page, once an editor approved it

    @property
    def playlist(self) -> str:
        """The live HLS playlist, while live."""
        if self.state != "live" or not self.recording:
            return ""
        return f"{HLS_PREFIX}{self.recording}/index.m3u8"


def _with_facts() -> QuerySet[Recording]:
    """Recordings loaded with what ``is_public`` reads, so it costs no further query."""
    return Recording.objects.select_related("entry", "occurrence__session")


def _live_recording(room: Room) -> Recording | None:
    """The room's running broadcast the public may watch: a private meeting recorded as a
    "broadcast" is not one (its title and its recording's id must not reach the public)."""
    found = _with_facts().filter(
        room=room, kind=RecordingKind.BROADCAST, state=RecordingState.RECORDING
    )
    return next((r for r in found.order_by("-started_at", "-created")[:4] if is_public(r)), None)


def _finished_recording(occurrence: Occurrence) -> Recording | None:
    found = _with_facts().filter(occurrence=occurrence, kind=RecordingKind.BROADCAST)
    return found.order_by("-started_at", "-created").first()


def _occurrence_near(room: Room, now: datetime, *, after_end: timedelta) -> Occurrence | None:
    """The room's broadcast meeting open at ``now``: the one started last, else the next."""
    return occurrence_now(
        room_id=room.pk,
        at=now,
        broadcast_only=True,
        after_end=after_end,
        skip_cancelled_series=True,
        pick="started_last",
    )


def _occurrence_of(recording: Recording) -> Occurrence | None:
    occurrence_id = recording.occurrence_id
    if occurrence_id is None:
        return None
    return Occurrence.objects.select_related("session", "session__host_unit").get(pk=occurrence_id)


def broadcast_state(
    room: Room, *, now: datetime | None = None, grace: bool = True
) -> Broadcast | None:
    """What the room's watch page shows now, or None when it has no broadcast now.

    ``grace=False`` is the strict rule of the /<slug>/live/ dispatch: 30 minutes before
    a broadcast meeting until its end, or while a broadcast recording runs.
    """
    now = now or timezone.now()
    live = _live_recording(room)
    if live is not None:
        occurrence = _occurrence_of(live) or _occurrence_near(room, now, after_end=timedelta(0))
        return Broadcast("live", occurrence, live.pk.hex)
    occurrence = _occurrence_near(room, now, after_end=ENDED_GRACE if grace else timedelta(0))
    if occurrence is None:
        return None
    if occurrence.end <= now:
        finished = _finished_recording(occurrence)
        if finished is None or not is_public(finished):  # pending, unpublished, rejected
            return Broadcast("ended", occurrence)
        return Broadcast("ended", occurrence, finished.pk.hex, archive=_entry_url(finished.entry))
    return Broadcast("upcoming" if occurrence.start > now else "waiting", occurrence)


def broadcast_now(room: Room, *, now: datetime | None = None) -> Broadcast | None:
    """The room's broadcast when /<slug>/live/ should be the public watch page."""
    return broadcast_state(room, now=now, grace=False)


def is_panelist(user: AnyUser, room: Room) -> bool:
    """Hosts, managers and members present; everyone else watches."""
    return role_in_room(user, room) in PANELIST_ROLES


def is_host(user: AnyUser, room: Room) -> bool:
    """Who moderates the questions: the room's hosts, its manager and administrators."""
    return user.is_authenticated and role_in_room(user, room) in HOST_ROLES


def _entry_url(entry: ArchiveEntry) -> str:
    """The public archive page of a finished broadcast (call it once it is public)."""
    try:
        return reverse("portal:entry", kwargs={"pk": entry.pk, "slug": entry.slug or "-"})
    except NoReverseMatch:
        return reverse("portal:index")


def chat_enabled(room_id: int) -> bool:
    """Whether viewers may chat on the room's watch page."""
    return WatchSettings.objects.filter(room_id=room_id, chat_enabled=True).exists()


def question_json(question: Question, *, host: bool) -> dict[str, Any]:
    """A question as the socket sends it (hosts also see its state)."""
    data: dict[str, Any] = {
        "id": question.pk,
        "text": question.text,
        "name": question.asker_name,
        "highlighted": question.highlighted,
        "answer": question.answer,
        "state": question.state,
        "asked": question.created_at.isoformat(),
    }
    return data if host else {k: v for k, v in data.items() if k != "state"}


def questions_for(room_id: int, occurrence_id: int | None, *, host: bool) -> list[dict[str, Any]]:
    """The questions a host moderates (all but hidden) or the public sees (approved)."""
    found = Question.objects.filter(room_id=room_id, occurrence=occurrence_id)
    if host:
        found = found.exclude(state=QuestionState.HIDDEN)
    else:
        found = found.filter(state__in=PUBLIC_STATES)
    latest = list(found.order_by("-created_at", "-id")[:QUESTIONS_SHOWN])
    return [question_json(q, host=host) for q in reversed(latest)]


def chat_json(message: PublicChatMessage) -> dict[str, Any]:
    """A chat message as the socket sends it."""
    return {
        "id": message.pk,
        "name": message.name,
        "text": message.text,
        "sent": message.created_at.isoformat(),
    }


def chat_recent(room_id: int, occurrence_id: int | None) -> list[dict[str, Any]]:
    """The last chat messages of the broadcast, oldest first."""
    found = PublicChatMessage.objects.filter(room_id=room_id, occurrence=occurrence_id)
    latest = list(found.order_by("-created_at", "-id")[:CHAT_SHOWN])
    return [chat_json(m) for m in reversed(latest)]


@dataclass(frozen=True)
class WatchTarget:
    """What a watch-socket connection is about, decided when it connects."""

    room_id: int
    occurrence_id: int | None
    host: bool
    open: bool  # the room has a broadcast to watch (or just had one)


def room_id_of(*, slug: str) -> int | None:
    """The id of the room at ``slug`` (its watch sockets' group), or None."""
    return Room.objects.filter(slug=slug).values_list("pk", flat=True).first()


def watch_target(*, slug: str, user: AnyUser) -> WatchTarget | None:
    """The room at ``slug`` for the watch socket, or None when there is none."""
    room = Room.objects.filter(slug=slug).first()
    if room is None:
        return None
    broadcast = broadcast_state(room)
    occurrence = broadcast.occurrence if broadcast is not None else None
    return WatchTarget(
        room_id=room.pk,
        occurrence_id=occurrence.pk if occurrence is not None else None,
        host=is_host(user, room),
        open=broadcast is not None,
    )
