"""Where a recording's files are: the recorder's layout, rooted at the setting.

The web side reads the directory the media worker writes (mediaworker/wire/layout.py):
``status.json``, ``hls/``, ``recording.mp4``, ``poster.jpg``.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.conf import settings

from mediaworker.wire.layout import HLS_DIR, MP4, PLAYLIST, POSTER, recording_dir

__all__ = ["HLS_DIR", "MP4", "PLAYLIST", "POSTER", "content_type", "hls_file"]

# What may be asked for inside a recording's hls/ folder: plain names, no paths.
HLS_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".ts": "video/mp2t",
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt; charset=utf-8",
}


def recordings_root() -> Path:
    """The folder holding one directory per recording (read at call time: tests change it)."""
    return Path(settings.MEET_RECORDINGS_ROOT)


def recording_directory(recording_id: uuid.UUID) -> Path:
    """``MEET_RECORDINGS_ROOT / <32 hex digits>``."""
    return recording_dir(recordings_root(), recording_id.hex)


def hls_file(recording_id: uuid.UUID, name: str) -> Path | None:
    """A file of the recording's HLS folder, or None for a name that is not a plain file name."""
    if not HLS_FILE.match(name) or ".." in name:
        return None
    return recording_directory(recording_id) / HLS_DIR / name


def content_type(path: Path) -> str:
    """The media type of a recording's file, by its suffix."""
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
