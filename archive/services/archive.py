"""The public archive: entries made from finished broadcasts, approved by editors (C53 Art. 16).

An entry is created *pending* when its broadcast recording becomes ready; only a member
of the editorial board (the permission ``streaming.publish_archiveentry``) publishes or
unpublishes or rejects it. Every change re-indexes the entry for the search. What the
public may see follows from the status alone (archive/domain/visibility.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.domain.captions import CaptionsProblem, check_captions
from archive.domain.folding import slug
from archive.domain.parts import Merged, merge
from archive.models import ArchiveEntry, EntryStatus, Recording, Tag
from archive.services.errors import ArchiveError
from archive.services.parts import merged_parts, ready_parts
from archive.services.paths import POSTER, recording_directory
from archive.services.recordings import recording_register
from archive.services.search import entry_index
from mediaworker.wire.status import RecordingStatus, read_status
from rooms.models import Room, Unit
from rooms.permissions import AnyUser
from scheduling.models import SessionKind

PUBLISH_PERMISSION = "streaming.publish_archiveentry"
MAX_TAGS = 20
MAX_TAG_CHARS = 60


def may_publish(user: AnyUser) -> bool:
    """Editors of the portal (and superusers) approve and unpublish."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(PUBLISH_PERMISSION))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _poster(recording: Recording, status: RecordingStatus) -> str:
    name = status.poster or POSTER
    return name if (recording_directory(recording.id) / name).is_file() else ""


def entry_create_for(
    *,
    recording: Recording,
    status: RecordingStatus,
    merged: Merged | None = None,
    first_ready: Recording | None = None,
) -> ArchiveEntry:
    """A pending entry for a ready broadcast, described by its scheduled session.

    A recording of several parts passes its first part as ``recording`` and the ready
    parts laid end to end as ``merged``; ``status`` is then the first ready part's,
    ``first_ready``, whose folder holds the poster (the poster view looks there)."""
    occurrence = recording.occurrence
    session = occurrence.session if occurrence is not None else None
    started = recording.started_at or recording.created
    title = occurrence.display_title if occurrence is not None else recording.room.display_name
    merged = merged or merge([status])
    with transaction.atomic():
        entry, created = ArchiveEntry.objects.get_or_create(
            recording=recording,
            defaults={
                "title": _nfc(title)[:200],
                "slug": slug(title),
                "description": _nfc(session.description) if session else "",
                "unit": session.host_unit if session else recording.room.unit,
                "kind": session.kind if session else SessionKind.TRAINING,
                "held_on": timezone.localdate(started),
                "duration": merged.duration,
                "poster": _poster(first_ready or recording, status),
                "chapters": merged.chapters,
                "slide_text": merged.slide_text,
            },
        )
        if created:
            entry_index(entry=entry)
    return entry


def entry_of_parts(parts: list[Recording]) -> ArchiveEntry | None:
    """The one entry of a broadcast recorded in parts (a media worker died during it),
    on its first part, made when a part is first ready and brought up to date as the
    others are: its duration, chapters and slide text are the ready parts' together."""
    placed, merged = merged_parts(parts)
    if not placed:
        return None
    first_ready = placed[0].recording
    status = read_status(recording_directory(first_ready.id)) or RecordingStatus()
    entry = ArchiveEntry.objects.filter(recording=parts[0]).first()
    if entry is None:
        return entry_create_for(
            recording=parts[0], status=status, merged=merged, first_ready=first_ready
        )
    changed = {
        "duration": merged.duration,
        "chapters": merged.chapters,
        "slide_text": merged.slide_text,
    }
    if not entry.poster:
        changed["poster"] = _poster(first_ready, status)
    changed = {name: value for name, value in changed.items() if getattr(entry, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(entry, name, value)
        entry.save(update_fields=[*changed, "updated"])
        entry_index(entry=entry)
    return entry


def _require_editor(user: AnyUser) -> None:
    if not may_publish(user):
        raise ArchiveError(_("Only the portal's editors may publish or unpublish."))


def entry_approve(*, entry: ArchiveEntry, by: AnyUser) -> ArchiveEntry:
    """Publish the entry (Art. 16): it appears in the portal, its feeds, search and sitemap."""
    _require_editor(by)
    if not ready_parts(entry.recording):
        raise ArchiveError(_("The video is not ready yet."))
    entry.status = EntryStatus.PUBLISHED
    entry.approved_by = by if isinstance(by, User) else None
    entry.published_at = timezone.now()
    entry.save(update_fields=["status", "approved_by", "published_at", "updated"])
    return entry


def entry_unpublish(*, entry: ArchiveEntry, by: AnyUser) -> ArchiveEntry:
    """Take the entry off the portal; its files stay for the room's members."""
    _require_editor(by)
    entry.status = EntryStatus.UNPUBLISHED
    entry.save(update_fields=["status", "updated"])
    return entry


def entry_reject(*, entry: ArchiveEntry, by: AnyUser) -> ArchiveEntry:
    """Refuse a pending entry: it never becomes public unless an editor approves it later."""
    _require_editor(by)
    if entry.status == EntryStatus.PUBLISHED:
        raise ArchiveError(_("This recording is published: unpublish it instead."))
    entry.status = EntryStatus.REJECTED
    entry.save(update_fields=["status", "updated"])
    return entry


def tags_parse(text: str) -> list[str]:
    """Tag names from a comma-separated line, NFC, deduplicated by their slug."""
    names: list[str] = []
    seen: set[str] = set()
    for raw in text.split(","):
        name = " ".join(_nfc(raw).split())[:MAX_TAG_CHARS]
        key = slug(name)
        if name and key and key not in seen:
            seen.add(key)
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ArchiveError(_("Use at most %(count)d tags.") % {"count": MAX_TAGS})
    return names


def tags_get(names: Iterable[str]) -> list[Tag]:
    """The tags of these names, created when new; "Tập huấn" and "tap huan" are one tag."""
    tags: list[Tag] = []
    for name in names:
        tag = Tag.objects.filter(slug=slug(name)).first()
        if tag is None:
            tag = Tag.objects.create(name=name, slug=slug(name))
        tags.append(tag)
    return tags


@dataclass(frozen=True)
class EntryInput:
    """What an editor may change about an entry."""

    title: str
    description: str
    unit: Unit | None
    kind: str
    held_on: date
    source: str
    tags: list[str]


def entry_update(*, entry: ArchiveEntry, data: EntryInput, by: AnyUser) -> ArchiveEntry:
    """Change the entry's description and tags; the search follows."""
    _require_editor(by)
    if not _nfc(data.title):
        raise ArchiveError(_("Give the recording a title."))
    with transaction.atomic():
        entry.title = _nfc(data.title)[:200]
        entry.slug = slug(entry.title)
        entry.description = _nfc(data.description)
        entry.unit = data.unit
        entry.kind = data.kind
        entry.held_on = data.held_on
        entry.source = _nfc(data.source)[:300]
        entry.save()
        entry.tags.set(tags_get(data.tags))
        entry_index(entry=entry)
    return entry


def _captions_message(problem: CaptionsProblem) -> str:
    messages = {
        CaptionsProblem.EMPTY: _("The captions file is empty."),
        CaptionsProblem.TOO_LARGE: _("The captions file is too large (at most 1 MB)."),
        CaptionsProblem.NOT_TEXT: _("The captions file is not UTF-8 text."),
        CaptionsProblem.NOT_WEBVTT: _(
            "This is not a WebVTT file: its first line must be “WEBVTT”."
        ),
        CaptionsProblem.NO_CUES: _("The captions file has no cues (lines with “-->”)."),
    }
    return messages[problem]


def entry_captions_set(*, entry: ArchiveEntry, data: bytes, by: AnyUser) -> ArchiveEntry:
    """Attach WebVTT captions (Art. 17.7, accessibility), checked first."""
    _require_editor(by)
    text, problem = check_captions(data)
    if problem is not None:
        raise ArchiveError(_captions_message(problem))
    entry.captions = text
    entry.save(update_fields=["captions", "updated"])
    return entry


def archive_demo_recording(
    directory: Path,
    *,
    room: Room,
    title: str,
    description: str = "",
    kind: str = SessionKind.TRAINING,
    tags: Iterable[str] = (),
    unit: Unit | None = None,
    held_on: date | None = None,
    source: str = "",
) -> ArchiveEntry:
    """Register a finished recording directory as a published entry (the demo data).

    Idempotent: a directory registered before gives its entry back, updated.
    """
    recording = recording_register(directory, room=room)
    status = read_status(recording_directory(recording.id)) or RecordingStatus(state="ready")
    entry = entry_create_for(recording=recording, status=status)
    fields: dict[str, Any] = {
        "title": _nfc(title)[:200],
        "slug": slug(title),
        "description": _nfc(description),
        "unit": unit or room.unit,
        "kind": kind,
        "source": _nfc(source)[:300],
        "status": EntryStatus.PUBLISHED,
        "published_at": entry.published_at or timezone.now(),
    }
    if held_on is not None:
        fields["held_on"] = held_on
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.save()
    entry.tags.set(tags_get([_nfc(t) for t in tags if _nfc(t)]))
    entry_index(entry=entry)
    return entry
