"""The parts of a recording (``Recording.continues``, archive/domain/parts.py): a chain
from the first part, the one the archive entry and the room's list name, to the last."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archive.domain.parts import Merged, merge
from archive.models import Recording, RecordingState
from archive.services.paths import recording_directory
from mediaworker.wire.status import RecordingStatus, read_status

# A worker dying again and again in one meeting makes a few parts; this bounds a walk
# over rows that a bug or a hand edit might have linked into a loop.
MOST_PARTS = 50


@dataclass(frozen=True)
class Part:
    """A ready part: its recording and where it sits on the whole recording's timeline."""

    recording: Recording
    number: int
    start: float
    duration: float


def recording_parts(recording: Recording) -> list[Recording]:
    """Every part of the recording ``recording`` belongs to, first to last."""
    if recording.continues_id is None and not _has_next(recording):
        return [recording]  # nearly every recording: one query, no walk
    first, seen = recording, {recording.pk}
    while first.continues_id is not None and len(seen) < MOST_PARTS:
        earlier = Recording.objects.select_related("room").filter(pk=first.continues_id).first()
        if earlier is None or earlier.pk in seen:
            break
        first = earlier
        seen.add(first.pk)
    parts = [first]
    while len(parts) < MOST_PARTS:
        later = Recording.objects.select_related("room").filter(continues=parts[-1]).first()
        if later is None or later.pk in {part.pk for part in parts}:
            break
        parts.append(later)
    return parts


def first_part(recording: Recording) -> Recording:
    return recording_parts(recording)[0]


def _has_next(recording: Recording) -> bool:
    return Recording.objects.filter(continues=recording).exists()


def _status(recording: Recording) -> RecordingStatus:
    status = read_status(recording_directory(recording.id))
    return status if status is not None else RecordingStatus(duration=recording.duration)


def merged_parts(parts: list[Recording]) -> tuple[list[Part], Merged]:
    """The ready ones of ``parts`` on one timeline, and their chapters and text together."""
    ready = [part for part in parts if part.state == RecordingState.READY]
    merged = merge([_status(part) for part in ready])
    placed = [
        Part(recording=part, number=span.number, start=span.start, duration=span.duration)
        for part, span in zip(ready, merged.spans, strict=True)
    ]
    return placed, merged


def ready_recordings(recording: Recording) -> list[Recording]:
    """The ready parts' recordings, in order, without their timeline (no file is read:
    a player's byte-range requests come many times a minute)."""
    return [part for part in recording_parts(recording) if part.state == RecordingState.READY]


def ready_parts(recording: Recording) -> list[Part]:
    """The ready parts of ``recording``'s whole recording, in order."""
    return merged_parts(recording_parts(recording))[0]


def playlist(parts: list[Part], url: Callable[[Part], str]) -> list[dict[str, object]]:
    """What the page's player (static/js/portal/parts.js) needs of each ready part."""
    return [
        {"number": part.number, "start": part.start, "duration": part.duration, "url": url(part)}
        for part in parts
    ]
