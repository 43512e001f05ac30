"""A recording made of parts: when the media worker making a recording dies, the next
worker carries it on as a new recording (archive/services/failover.py), and the two play
as one, in order. Pure: what the parts' status files say, laid end to end."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from mediaworker.wire.status import RecordingStatus


@dataclass(frozen=True)
class PartSpan:
    """One ready part on the whole recording's timeline."""

    number: int  # 1-based, in recording order
    start: float  # seconds on the whole timeline where this part begins
    duration: float


@dataclass(frozen=True)
class Merged:
    """What an archive entry shows of its ready parts together."""

    duration: float
    chapters: list[dict[str, float | str]]
    slide_text: str
    spans: list[PartSpan]


def merge(statuses: Sequence[RecordingStatus]) -> Merged:
    """Lay the ready parts' statuses end to end: chapters move by the parts before them,
    so a chapter's start is a point on the whole timeline (the player finds the part).
    One part is the common case: its chapters and text as they are, in NFC."""
    spans: list[PartSpan] = []
    chapters: list[dict[str, float | str]] = []
    texts: list[str] = []
    offset = 0.0
    for number, status in enumerate(statuses, start=1):
        duration = max(0.0, status.duration)
        spans.append(PartSpan(number=number, start=round(offset, 3), duration=duration))
        for chapter in status.chapters:
            title = unicodedata.normalize("NFC", chapter.title).strip()
            chapters.append({"start": round(offset + chapter.start, 3), "title": title})
        text = unicodedata.normalize("NFC", status.slide_text).strip()
        if text and text not in texts:
            texts.append(text)
        offset += duration
    return Merged(
        duration=round(offset, 3), chapters=chapters, slide_text="\n".join(texts), spans=spans
    )
