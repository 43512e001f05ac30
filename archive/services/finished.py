"""Recordings the media worker has finished: the row mirrors status.json and a finished
broadcast becomes an archive entry at once.

Two ways in: the worker's ``recording.finished`` message (read by meet/recording_news.py)
and the minute sweep of unfinished recordings (meet/jobs.py), which only recovers what a
crash or a lost message left behind. This module builds on both ``recordings`` and
``archive``; neither of those imports it, so the services depend one way.
"""

from __future__ import annotations

import uuid

from archive.models import Recording, RecordingKind, RecordingState
from archive.services.archive import entry_create_for, entry_of_parts
from archive.services.parts import recording_parts
from archive.services.recordings import status_mirror

UNFINISHED = (RecordingState.RECORDING, RecordingState.FINALISING)


def refresh(recording: Recording) -> Recording:
    """Bring the row in line with the worker's status.json; archive a broadcast once ready."""
    status = status_mirror(recording)
    if status is None:
        return recording
    if recording.state != RecordingState.READY or recording.kind != RecordingKind.BROADCAST:
        return recording
    parts = recording_parts(recording)
    if len(parts) > 1:  # a media worker died during it: one entry for every part
        entry_of_parts(parts)
    elif not hasattr(recording, "entry"):
        entry_create_for(recording=recording, status=status)
    return recording


def refresh_unfinished() -> int:
    """Refresh every recording still recording or finishing; return how many changed state."""
    moved = 0
    for recording in Recording.objects.filter(state__in=UNFINISHED).select_related(
        "room", "occurrence__session"
    ):
        before = recording.state
        refresh(recording)
        moved += recording.state != before
    return moved


def recording_finished(*, recording_id: str) -> Recording | None:
    """The worker says this recording (its id, 32 hex digits) is finished: refresh it
    now. None when no recording has that id."""
    try:
        pk = uuid.UUID(hex=recording_id)
    except (TypeError, ValueError, AttributeError):
        return None
    found = Recording.objects.select_related("room", "occurrence__session").filter(pk=pk)
    recording = found.first()
    return refresh(recording) if recording is not None else None
