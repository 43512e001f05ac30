"""What the event loop hands the recording thread (packets, chapters, the stop), and the
chapter rule both the recorder and the session apply. Its own module so the recorder (loop
side) and the session (thread side, PyAV) both import it and not each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from mediaworker.wire.status import Chapter, RecordingStatus

MAX_SLIDE_TEXT = 200_000  # characters kept for the archive's search


def utc_now() -> str:
    """Now, ISO 8601 in UTC, as status.json stores times."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)  # made per packet: no frozen-dataclass overhead
class VideoPacket:
    generation: int  # which program source (changes at every switch)
    mime: str
    seq: int
    ts: int
    payload: bytes
    arrival: float  # seconds since the recording started


@dataclass(slots=True)  # made per packet: no frozen-dataclass overhead
class AudioPacket:
    mic: str
    ts: int
    payload: bytes
    arrival: float


@dataclass(frozen=True)
class ChapterMark:
    title: str
    text: str
    at: float


@dataclass(frozen=True)
class Stop:
    finalise: bool


def add_chapter(status: RecordingStatus, mark: ChapterMark) -> None:
    """Record a chapter and the slide's text in ``status``."""
    title = mark.title.strip() or f"{len(status.chapters) + 1}"
    status.chapters.append(Chapter(round(max(mark.at, 0.0), 3), title))
    text = mark.text.strip()
    if text and len(status.slide_text) < MAX_SLIDE_TEXT:
        joined = f"{status.slide_text}\n{text}" if status.slide_text else text
        status.slide_text = joined[:MAX_SLIDE_TEXT]
