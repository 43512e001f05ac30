"""Live-room settings, read when used (never at import time); meet/settings.py sets them."""

from __future__ import annotations

from django.conf import settings

from realtime.rates import Rate
from realtime.rates import Rate as AbuseRate
from signaling.domain.ratelimit import rates_from


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


def reconnect_grace_secs() -> float:
    """How long a participant whose connection dropped keeps their seat (issue 13).

    Covers a mobile link that vanishes for 30 s; 0 makes every drop a leave."""
    return float(getattr(settings, "MEET_LIVE_RECONNECT_GRACE_SECS", 40))


def rate_limits() -> dict[str, Rate]:
    """Per-connection message rates."""
    return rates_from(getattr(settings, "MEET_LIVE_RATE_LIMITS", None))


# Abuse limits shared by every web process (realtime/ratelimit.py): (one try every N seconds,
# burst). "_address" buckets are per client address (REMOTE_ADDR), "_user" per person
# (account or guest), "_room" per room. A school behind one NAT address sends many
# people's joins from one address: the address buckets are wide.
DEFAULT_ABUSE_RATES: dict[str, tuple[float, int]] = {
    "guest_password_address": (120.0, 5),  # 5 tries, then one every 2 minutes
    "guest_password_room": (3.0, 40),  # bounds the password hashing a room can cost
    "token_address": (0.1, 600),
    "token_user": (2.0, 30),
    "join_address": (0.1, 600),
    "join_user": (2.0, 30),
    "chat_address": (0.05, 600),
    "chat_user": (1.0, 10),
    "upload_address": (6.0, 30),
    "upload_user": (20.0, 10),
}


def abuse_rate(name: str) -> AbuseRate:
    """``MEET_LIVE_ABUSE_RATES[name]`` or its default (see ``DEFAULT_ABUSE_RATES``)."""
    configured = getattr(settings, "MEET_LIVE_ABUSE_RATES", None) or {}
    every, burst = configured.get(name) or DEFAULT_ABUSE_RATES[name]
    return AbuseRate(every_secs=float(every), burst=int(burst))


def guest_password_min_chars() -> int:
    """The shortest guests' password a manager may set."""
    return int(getattr(settings, "MEET_LIVE_GUEST_PASSWORD_MIN_CHARS", 8))


def files_per_participant() -> int:
    """How many files one participant may share in a meeting."""
    return int(getattr(settings, "MEET_LIVE_FILES_PER_PARTICIPANT", 20))


def files_per_meeting() -> int:
    """How many files a meeting may hold."""
    return int(getattr(settings, "MEET_LIVE_FILES_PER_MEETING", 200))


def welcome_files() -> int:
    """How many of the most recent shared files the join message lists."""
    return int(getattr(settings, "MEET_LIVE_WELCOME_FILES", 50))


def slides_render_secs() -> float:
    """Wall time the child process rendering one PDF may take."""
    return float(getattr(settings, "MEET_LIVE_SLIDES_RENDER_SECS", 60.0))


def slides_render_bytes() -> int:
    """Address space the child process rendering one PDF may use."""
    return int(getattr(settings, "MEET_LIVE_SLIDES_RENDER_BYTES", 1024 * 1024 * 1024))


def slides_renders_at_once() -> int:
    """How many PDFs one web process renders at once (each in its own child)."""
    return int(getattr(settings, "MEET_LIVE_SLIDES_RENDERS_AT_ONCE", 2))


def removed_guests_ban_address() -> int:
    """Once this many guests from one address were removed from a meeting, no guest from
    that address may join it (0: only the removed name is kept out)."""
    return int(getattr(settings, "MEET_LIVE_REMOVED_GUESTS_BAN_ADDRESS", 2))
