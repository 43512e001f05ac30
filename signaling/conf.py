"""Live-room settings, read when used (never at import time); meet/settings.py sets them."""

from __future__ import annotations

from django.conf import settings

from signaling.domain.ratelimit import Rate, rates_from


def join_token_secs() -> int:
    """How long a join token from the room page stays valid."""
    return int(getattr(settings, "MEET_LIVE_JOIN_TOKEN_SECS", 120))


def file_max_bytes() -> int:
    """The largest file a participant may share."""
    return int(getattr(settings, "MEET_LIVE_FILE_MAX_BYTES", 25 * 1024 * 1024))


def slides_max_bytes() -> int:
    """The largest PDF a presenter may upload."""
    return int(getattr(settings, "MEET_LIVE_SLIDES_MAX_BYTES", 50 * 1024 * 1024))


def slides_max_pages() -> int:
    """The most pages of a PDF that are rendered."""
    return int(getattr(settings, "MEET_LIVE_SLIDES_MAX_PAGES", 200))


def chat_history() -> int:
    """How many chat messages a joining participant receives."""
    return int(getattr(settings, "MEET_LIVE_CHAT_HISTORY", 200))


def meeting_idle_secs() -> int:
    """An empty meeting left this long is over; the next join starts a new one."""
    return int(getattr(settings, "MEET_LIVE_MEETING_IDLE_SECS", 3600))


def rate_limits() -> dict[str, Rate]:
    """Per-connection message rates."""
    return rates_from(getattr(settings, "MEET_LIVE_RATE_LIMITS", None))
