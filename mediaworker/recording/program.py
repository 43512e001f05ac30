"""What the recording shows: the room's program, chosen in plain Python.

The screen share when someone shares (the oldest share, kept while it lasts), else
the dominant speaker's camera, else the camera already shown, else the first camera
by join order. Keys are the router's ``"<peer>/<source>"``.
"""

from __future__ import annotations

from collections.abc import Sequence


def choose_program(
    *,
    cameras: Sequence[str],
    screens: Sequence[str],
    dominant: str | None,
    current: str | None,
) -> str | None:
    """The key of the video to record; ``cameras`` and ``screens`` in join/start order."""
    if screens:
        return current if current in screens else screens[0]
    if dominant is not None and f"{dominant}/camera" in cameras:
        return f"{dominant}/camera"
    if current in cameras:
        return current
    return cameras[0] if cameras else None
