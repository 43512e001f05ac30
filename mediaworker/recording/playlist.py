"""Reading and closing the HLS media playlist ffmpeg writes (RFC 8216), in plain Python.

The finaliser trusts the playlist for which segments are complete (ffmpeg lists a
segment only once it is closed); a worker killed mid-recording leaves it without
``#EXT-X-ENDLIST``, which the finaliser adds so players stop waiting for more.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ENDLIST = "#EXT-X-ENDLIST"


@dataclass
class MediaPlaylist:
    """What a media playlist lists: segment URIs with their durations."""

    init: str = ""
    target_duration: int = 0  # EXT-X-TARGETDURATION: what players' hold-back multiplies
    segments: list[tuple[str, float]] = field(default_factory=list)
    ended: bool = False

    @property
    def duration(self) -> float:
        return sum(seconds for _, seconds in self.segments)


def parse_playlist(text: str) -> MediaPlaylist:
    """Parse a media playlist; unknown tags are ignored, a bad line never raises."""
    playlist = MediaPlaylist()
    pending: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            try:
                pending = float(line[len("#EXTINF:") :].split(",", 1)[0])
            except ValueError:
                pending = None
        elif line.startswith("#EXT-X-MAP:"):
            for part in line[len("#EXT-X-MAP:") :].split(","):
                key, _, value = part.partition("=")
                if key.strip() == "URI":
                    playlist.init = value.strip().strip('"')
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            value = line.partition(":")[2]
            playlist.target_duration = int(value) if value.isdigit() else 0
        elif line == ENDLIST:
            playlist.ended = True
        elif line and not line.startswith("#") and pending is not None:
            playlist.segments.append((line, pending))
            pending = None
    return playlist


def read_playlist(path: Path) -> MediaPlaylist:
    """The playlist at ``path`` (empty when it does not exist yet)."""
    try:
        return parse_playlist(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return MediaPlaylist()


def close_playlist(path: Path) -> bool:
    """Append ``#EXT-X-ENDLIST`` atomically if it is missing; return whether it was added."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    if parse_playlist(text).ended:
        return False
    if not text.endswith("\n"):
        text += "\n"
    fd, tmp = tempfile.mkstemp(prefix=".index-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + ENDLIST + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
