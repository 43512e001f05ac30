"""Competition lessons are recorded for the jury's review (issue 15, item 4): a minute job.

Competitions know nothing of the archive or the live rooms (import-linter), so the project
package composes them, as for the other jobs in meet/jobs.py. Every minute: a lesson being
taught in a room where somebody is in the meeting and which has no recording yet starts
one (a meeting recording: private to the room's members, the lesson's jurors and its
organisers, never offered to the public portal); a lesson that ended stops its recording.
If the room is already being recorded (the teacher pressed Record), that recording is left
alone and the next pass tries again once it stops.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from archive.models import Recording, RecordingKind, RecordingState
from archive.services.errors import RecordingError
from archive.services.recordings import start_recording, stop_recording
from competitions.selectors import lessons_recorded_and_over, lessons_to_record
from competitions.services.lessons import lesson_recording_set
from scheduling.models import Occurrence
from signaling.selectors import live_count

log = logging.getLogger(__name__)


def lessons_recorded(now: datetime | None = None) -> int:
    """Start the recordings of lessons under way, stop those of lessons over; how many
    recordings were started or stopped."""
    now = now or timezone.now()
    changed = 0
    for slot in lessons_to_record(now):
        if not live_count(slot.room):
            continue  # a recording starts in a live room: nobody has come in yet
        occurrence = None
        if slot.session_id is not None:
            occurrence = Occurrence.objects.filter(session_id=slot.session_id).first()
        try:
            recording = start_recording(
                slot.room, kind=RecordingKind.MEETING, occurrence=occurrence
            )
        except RecordingError:
            continue  # the room is being recorded already
        lesson_recording_set(slot=slot, recording_id=recording.id)
        log.info("lesson %s: recording %s started for the review", slot.pk, recording.id.hex)
        changed += 1
    for slot in lessons_recorded_and_over(now):
        if slot.review_recording is None:  # the selector leaves these out; for the types
            continue
        running = Recording.objects.filter(
            pk=slot.review_recording,
            state=RecordingState.RECORDING,
            stop_requested_at__isnull=True,
        ).first()
        if running is not None:
            stop_recording(running)
            changed += 1
    return changed
