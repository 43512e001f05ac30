"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def product(request: HttpRequest) -> dict[str, object]:
    """Expose the room host (public room addresses) and the source link (the footer)."""
    return {"MEET_ROOM_HOST": settings.MEET_ROOM_HOST, "MEET_SOURCE_URL": settings.MEET_SOURCE_URL}
