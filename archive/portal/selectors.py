"""Reads of recordings and archive entries, and who may see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from archive.domain.visibility import RecordingFacts, public_now
from archive.models import (
    ArchiveEntry,
    EntryStatus,
    Recording,
    RecordingKind,
    RecordingState,
    Tag,
)
from archive.services.parts import first_part
from rooms.models import Room
from rooms.permissions import HOST_ROLES, AnyUser, Role, role_in_room
from scheduling import selectors as scheduling_selectors
from scheduling.models import Occurrence
from signaling.selectors import meetings as live_meetings

PUBLIC = EntryStatus.PUBLISHED


def is_member(user: AnyUser, room: Room) -> bool:
    """The room's members, its manager and unit login, administrators."""
    return role_in_room(user, room) != Role.PUBLIC


def may_record(user: AnyUser, room: Room) -> bool:
    """Hosts, the room's manager and unit login, administrators."""
    return role_in_room(user, room) in HOST_ROLES


def occurrence_to_record(room: Room) -> Occurrence | None:
    """The scheduled meeting a recording started now belongs to.

    The open live meeting's own, when its joins recorded one: the recording is of that
    meeting, even past the clock's idea of "now". Otherwise (no meeting open, or everyone
    joined before the scheduled meeting opened, so no join recorded it) the room's
    scheduled meeting of this moment, a webinar first: the rule the live room's page uses
    to tell hosts that Record starts the public broadcast (``in_broadcast_slot``)."""
    meeting = live_meetings.open_meeting(room.pk)
    occurrence_id = live_meetings.occurrence_id_of(meeting) if meeting is not None else None
    if occurrence_id is None:
        return scheduling_selectors.occurrence_now(room_id=room.pk)
    found = Occurrence.objects.select_related("session", "session__host_unit")
    return found.filter(pk=occurrence_id, room=room).first()


def recording_get(recording_id: uuid.UUID) -> Recording | None:
    """The recording with this id, with its room, or None."""
    return Recording.objects.select_related("room__unit").filter(pk=recording_id).first()


def has_entry(recording: Recording) -> bool:
    """Whether the recording is in the archive (an entry in any status), alone or as a
    part of a recording whose first part is."""
    return ArchiveEntry.objects.filter(recording=first_part(recording)).exists()


def _entry_of(recording: Recording) -> ArchiveEntry | None:
    entry = getattr(recording, "entry", None)  # reverse one-to-one: absent until ready
    if entry is None and recording.continues_id is not None:
        # A later part (a media worker died during the broadcast) has no entry of its
        # own: once it has ended, the whole recording's entry decides. While it runs it
        # is the live program, which the public watches until the broadcast ends.
        if recording.state != RecordingState.RECORDING:
            entry = ArchiveEntry.objects.filter(recording=first_part(recording)).first()
    return entry


def _facts(recording: Recording) -> RecordingFacts:
    occurrence = recording.occurrence
    entry = _entry_of(recording)
    return RecordingFacts(
        broadcast=recording.kind == RecordingKind.BROADCAST,
        running=recording.state == RecordingState.RECORDING,
        webinar=occurrence is None or occurrence.session.broadcast,
        entry_status=entry.status if entry is not None else "",
    )


def is_public(recording: Recording) -> bool:
    """May the public see this recording's files now? (archive/domain/visibility.py)

    Load the recording with ``entry`` and ``occurrence__session`` (``public_recording``
    does) or this costs a query for each.
    """
    return public_now(_facts(recording))


def public_recording(recording_id: uuid.UUID) -> Recording | None:
    """The recording when the public may see its files now, else None (as if unknown).

    Every public route of a recording's files and pages goes through this one rule:
    the live HLS program, the archive's MP4, poster and captions, the watch page.
    """
    recording = (
        Recording.objects.select_related("entry", "occurrence__session", "room")
        .filter(pk=recording_id)
        .first()
    )
    return recording if recording is not None and is_public(recording) else None


def recordings_of(room: Room) -> QuerySet[Recording]:
    """The room's recordings, newest first, with their archive entries."""
    return (
        Recording.objects.filter(room=room)
        .select_related("entry", "occurrence__session")
        .order_by("-created")
    )


def published() -> QuerySet[ArchiveEntry]:
    """Entries the public may see, newest first: the rule of ``is_public`` for entries
    (an entry's status decides), as one filter for lists, feeds, search and sitemap."""
    return (
        ArchiveEntry.objects.filter(status=PUBLIC, recording__kind=RecordingKind.BROADCAST)
        .select_related("unit", "recording")
        .prefetch_related("tags")
        .order_by("-held_on", "-published_at", "-id")
    )


@dataclass(frozen=True)
class PortalFilters:
    unit: str = ""
    kind: str = ""
    tag: str = ""
    year: int | None = None


def published_filtered(filters: PortalFilters) -> QuerySet[ArchiveEntry]:
    """Published entries narrowed by unit slug, kind, tag slug and year."""
    entries = published()
    if filters.unit:
        entries = entries.filter(unit__slug=filters.unit)
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    if filters.tag:
        entries = entries.filter(tags__slug=filters.tag)
    if filters.year:
        entries = entries.filter(held_on__year=filters.year)
    return entries.distinct()


def entry_get_public(pk: int) -> ArchiveEntry | None:
    """A published entry whose recording is public, or None (pending, unpublished and
    rejected ones are not public: their pages and files answer 404)."""
    entry = published().select_related("recording__occurrence__session").filter(pk=pk).first()
    # select_related fills the reverse side too: entry.recording.entry costs no query.
    if entry is None or not is_public(entry.recording):
        return None
    return entry


def tag_public(slug: str) -> Tag | None:
    """The tag, when a published entry carries it: the name of a tag given only to
    unpublished or rejected entries is not public either."""
    return Tag.objects.filter(slug=slug, entries__in=published()).distinct().first()


def entries_for_review() -> QuerySet[ArchiveEntry]:
    """Every entry, pending first, for the editors' queue."""
    return (
        ArchiveEntry.objects.select_related("unit", "recording__room")
        .prefetch_related("tags")
        .order_by("status", "-created")
    )


def years() -> list[int]:
    """Years that have published entries, newest first."""
    dates = ArchiveEntry.objects.filter(status=PUBLIC).dates("held_on", "year", order="DESC")
    return [d.year for d in dates]
