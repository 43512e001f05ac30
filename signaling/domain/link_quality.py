"""The media worker's word on one member's link, as the room shows it.

The worker measures each member's connection (loss, round-trip time, bitrate) and sends
``{"kind": "quality", "level": ..., "loss": ..., "rtt_ms": ..., "kbps": ...}`` when the
level changes (mediaworker.wire). Only the level is kept and shown to the room: the
numbers are for the person's own page, and a late joiner needs none of them.
"""

from __future__ import annotations

from typing import Any

LEVELS: tuple[str, ...] = ("good", "fair", "poor")
WEAK = "poor"  # what a host's participant list marks as "weak link"


def level_of(news: dict[str, Any]) -> str | None:
    """The level of a ``quality`` event, or None when the event is not one we know."""
    level = news.get("level")
    return level if isinstance(level, str) and level in LEVELS else None


def figures_of(news: dict[str, Any]) -> dict[str, float | int | None]:
    """The event's numbers, clamped to sane ranges (None when missing or not a number)."""

    def number(name: str, low: float, high: float) -> float | None:
        value = news.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            return None
        return min(max(float(value), low), high)

    loss = number("loss", 0.0, 1.0)
    rtt = number("rtt_ms", 0.0, 60_000.0)
    kbps = number("kbps", 0.0, 1_000_000.0)
    return {
        "loss": round(loss, 4) if loss is not None else None,
        "rtt_ms": int(rtt) if rtt is not None else None,
        "kbps": int(kbps) if kbps is not None else None,
    }
