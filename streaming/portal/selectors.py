"""Reads of recordings and archive entries, and who may see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from rooms.models import Room
from rooms.permissions import AnyUser, Role, role_in_room
from scheduling import selectors as scheduling_selectors
from scheduling.models import Occurrence
from streaming.models import ArchiveEntry, EntryStatus, Recording

PUBLIC = EntryStatus.PUBLISHED


def is_member(user: AnyUser, room: Room) -> bool:
    """The room's members, its manager and unit login, administrators."""
    return role_in_room(user, room) != Role.PUBLIC


def may_record(user: AnyUser, room: Room) -> bool:
    """Hosts, the room's manager and unit login, administrators."""
    return role_in_room(user, room) in (Role.ADMIN, Role.MANAGER, Role.HOST)


def occurrence_now(room: Room) -> Occurrence | None:
    """The room's scheduled meeting of this moment (a webinar first), if any."""
    return scheduling_selectors.occurrence_now(room_id=room.pk)


def recording_get(recording_id: uuid.UUID) -> Recording | None:
    """The recording with this id, with its room, or None."""
    return Recording.objects.select_related("room__unit").filter(pk=recording_id).first()


def recordings_of(room: Room) -> QuerySet[Recording]:
    """The room's recordings, newest first, with their archive entries."""
    return (
        Recording.objects.filter(room=room)
        .select_related("entry", "occurrence__session")
        .order_by("-created")
    )


def published() -> QuerySet[ArchiveEntry]:
    """Entries the public may see, newest first."""
    return (
        ArchiveEntry.objects.filter(status=PUBLIC)
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
    """A published entry, or None (pending and unpublished ones are not public)."""
    return published().filter(pk=pk).first()


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
