"""Spans of time in seconds on one session's timeline, merged so no second counts twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """[start, end) in seconds from the session's start; empty when end <= start."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        """How long the span lasts (0 when empty)."""
        return max(0.0, self.end - self.start)


def merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    """The union of ``spans`` as sorted, disjoint, non-empty spans (touching ones joined)."""
    result: list[Span] = []
    for span in sorted(s for s in spans if s.end > s.start):
        if result and span.start <= result[-1].end:
            last = result[-1]
            result[-1] = Span(last.start, max(last.end, span.end))
        else:
            result.append(span)
    return tuple(result)


def clip(spans: Iterable[Span], low: float, high: float) -> tuple[Span, ...]:
    """The parts of ``spans`` inside [low, high), merged."""
    return merge(Span(max(s.start, low), min(s.end, high)) for s in spans)


def shift(spans: Iterable[Span], by: float) -> tuple[Span, ...]:
    """``spans`` moved ``by`` seconds later (earlier when negative)."""
    return tuple(Span(s.start + by, s.end + by) for s in spans)


def covered(spans: Iterable[Span]) -> float:
    """Seconds covered by at least one span."""
    return sum(s.seconds for s in merge(spans))


def admit(kept: Iterable[Span], new: Iterable[Span], allowance_secs: float) -> tuple[Span, ...]:
    """``kept`` with at most ``allowance_secs`` of ``new`` time added, earliest first.

    A player reports what it played; it cannot have played more than the wall-clock time
    since its last report allows, so the excess of a report is dropped."""
    base = merge(kept)
    left = max(0.0, allowance_secs)
    added: list[Span] = []
    for span in merge(new):
        for part in _minus(span, base):
            if left <= 0:
                break
            take = min(part.seconds, left)
            added.append(Span(part.start, part.start + take))
            left -= take
    return merge((*base, *added))


def _minus(span: Span, spans: tuple[Span, ...]) -> list[Span]:
    """The parts of ``span`` outside the merged ``spans``."""
    parts: list[Span] = []
    cursor = span.start
    for other in spans:
        if other.end <= cursor or other.start >= span.end:
            continue
        if other.start > cursor:
            parts.append(Span(cursor, other.start))
        cursor = max(cursor, other.end)
    if cursor < span.end:
        parts.append(Span(cursor, span.end))
    return parts
