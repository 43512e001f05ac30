"""A lesson's private recording for the jury's review (issue 15, item 4).

The recording itself is the archive's (meet/lessons.py composes both apps); the lesson
only keeps its id, set once.
"""

from __future__ import annotations

import uuid

from competitions.models import Slot


def lesson_recording_set(*, slot: Slot, recording_id: uuid.UUID) -> bool:
    """Remember the lesson's recording; False when it already has one (another pass won)."""
    done = Slot.objects.filter(pk=slot.pk, review_recording__isnull=True).update(
        review_recording=recording_id
    )
    if done:
        slot.review_recording = recording_id
    return bool(done)
