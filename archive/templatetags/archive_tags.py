"""Template filters of recordings: durations as a clock, progress as a percentage."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def clock(seconds: float | int | None) -> str:
    """1:02:03 for an hour and a bit, 2:03 under an hour."""
    total = int(seconds or 0)
    hours, rest = divmod(max(0, total), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def percent(value: float | None) -> int:
    """0.423 → 42."""
    return int(round((value or 0.0) * 100))
