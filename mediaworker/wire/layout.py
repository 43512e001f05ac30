"""Where a recording's files are: one directory per recording, named by its id.

Plain Python (the web process imports it): the id is a uuid4 in 32 hex digits, so a
private recording's URL cannot be guessed, and a path built from it cannot escape
the recordings root.
"""

from __future__ import annotations

import re
from pathlib import Path

from mediaworker.wire.status import STATUS_FILE

RECORDING_ID = re.compile(r"^[0-9a-f]{32}$")

HLS_DIR = "hls"
PLAYLIST = "index.m3u8"
INIT_SEGMENT = "init.mp4"
SEGMENT_PATTERN = "seg-%05d.m4s"  # ffmpeg's pattern: seg-00001.m4s, seg-00002.m4s, ...
MP4 = "recording.mp4"
POSTER = "poster.jpg"
OWNER_LOCK = "owner.lock"


def is_recording_id(value: str) -> bool:
    """Whether ``value`` is a recording id (32 lowercase hex digits)."""
    return bool(RECORDING_ID.fullmatch(value))  # match() would let "…\n" through ($)


def recording_dir(root: Path, recording_id: str) -> Path:
    """The directory of one recording under ``root``; refuses anything but an id."""
    if not is_recording_id(recording_id):
        raise ValueError(f"not a recording id: {recording_id!r}")
    return root / recording_id


class RecordingPaths:
    """The files of one recording directory (they need not exist yet)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @property
    def status(self) -> Path:
        """``status.json``."""
        return self.directory / STATUS_FILE

    @property
    def hls_dir(self) -> Path:
        """The live HLS program's directory."""
        return self.directory / HLS_DIR

    @property
    def playlist(self) -> Path:
        """The HLS media playlist."""
        return self.hls_dir / PLAYLIST

    @property
    def init_segment(self) -> Path:
        """The fMP4 initialisation segment."""
        return self.hls_dir / INIT_SEGMENT

    @property
    def segment_pattern(self) -> Path:
        """Ffmpeg's file name pattern for the media segments."""
        return self.hls_dir / SEGMENT_PATTERN

    @property
    def mp4(self) -> Path:
        """The finished single-file MP4."""
        return self.directory / MP4

    @property
    def poster(self) -> Path:
        """The poster image (JPEG)."""
        return self.directory / POSTER

    @property
    def owner_lock(self) -> Path:
        """The lock held by the process writing the recording."""
        return self.directory / OWNER_LOCK
