"""``status.json``: what a recording directory holds, readable by any process.

Written atomically (temporary file + rename) so a reader never sees half a file, and
a worker killed mid-write leaves the previous status. Plain Python: the web process
reads it without importing PyAV or aiortc.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

State = Literal["recording", "finalising", "ready", "failed"]
STATES: tuple[State, ...] = ("recording", "finalising", "ready", "failed")
STATUS_FILE = "status.json"


@dataclass
class Chapter:
    """A point in the recording worth jumping to (a slide change, a new presenter)."""

    start: float  # seconds from the recording's start
    title: str


@dataclass
class RecordingStatus:
    """The recorder's account of one recording; every field has a safe default."""

    state: State = "recording"
    progress: float = 0.0  # 0..1 while finalising
    duration: float = 0.0  # seconds recorded so far (whole fragments)
    started: str = ""  # ISO 8601, UTC
    ended: str = ""
    video_codec: str = ""  # "h264", "vp8", ...
    transcoded: bool = False  # True when the video had to be re-encoded
    width: int = 0
    height: int = 0
    chapters: list[Chapter] = field(default_factory=list)
    mp4: str = ""  # file name of the finished MP4, relative to the directory
    poster: str = ""  # file name of the poster image
    slide_text: str = ""  # text of the slides shown, for the archive's search
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordingStatus:
        state = data.get("state")
        chapters = [
            Chapter(float(c.get("start", 0.0)), str(c.get("title", "")))
            for c in data.get("chapters") or []
            if isinstance(c, dict)
        ]
        return cls(
            state=state if state in STATES else "failed",
            progress=float(data.get("progress") or 0.0),
            duration=float(data.get("duration") or 0.0),
            started=str(data.get("started") or ""),
            ended=str(data.get("ended") or ""),
            video_codec=str(data.get("video_codec") or ""),
            transcoded=bool(data.get("transcoded")),
            width=int(data.get("width") or 0),
            height=int(data.get("height") or 0),
            chapters=chapters,
            mp4=str(data.get("mp4") or ""),
            poster=str(data.get("poster") or ""),
            slide_text=str(data.get("slide_text") or ""),
            error=str(data.get("error") or ""),
        )


def read_status(directory: Path) -> RecordingStatus | None:
    """The status in ``directory``, or None when there is none (yet) or it is unreadable."""
    try:
        data = json.loads((directory / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return RecordingStatus.from_json(data)
    except (TypeError, ValueError):
        return None


def write_status(directory: Path, status: RecordingStatus) -> None:
    """Replace ``directory``'s status atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(status.to_json(), ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=".status-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, directory / STATUS_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
