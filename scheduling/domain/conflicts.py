"""Finding overlapping occurrences in one room by a sort-and-sweep, never all pairs.

Intervals are half-open: [start, end). Meetings that touch (one ends at 9:30, the next
starts at 9:30) do not conflict.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, order=True)
class Slot:
    """A time interval and whatever identifies it to the caller."""

    start: datetime
    end: datetime
    key: Hashable = None


@dataclass(frozen=True)
class Conflict:
    """A proposed slot and an existing (or another proposed) slot it overlaps."""

    proposed: Slot
    existing: Slot


def _overlaps(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


def find_conflicts(
    proposed: Iterable[Slot], existing: Iterable[Slot], *, limit: int = 10
) -> list[Conflict]:
    """The first ``limit`` overlaps, in time order: proposed × existing, and within proposed.

    Both lists are sorted once (n log n) and swept together; the sweep keeps the existing
    slot that reaches furthest so far, which is enough to see any overlap with a later slot.
    """
    mine = sorted(proposed, key=lambda s: (s.start, s.end))
    theirs = sorted(existing, key=lambda s: (s.start, s.end))
    conflicts: list[Conflict] = _self_overlaps(mine, limit)
    seen = {(c.proposed, c.existing) for c in conflicts}
    j = 0
    reach: Slot | None = None  # the existing slot with the latest end among those started
    for slot in mine:
        while j < len(theirs) and theirs[j].start < slot.end:
            if reach is None or theirs[j].end > reach.end:
                reach = theirs[j]
            if _overlaps(slot, theirs[j]):
                seen.add((slot, theirs[j]))
                conflicts.append(Conflict(slot, theirs[j]))
                if len(conflicts) >= limit:
                    return _ordered(conflicts, limit)
            j += 1
        if reach is not None and (slot, reach) not in seen and _overlaps(slot, reach):
            # A long existing slot that started before this one still covers it.
            seen.add((slot, reach))
            conflicts.append(Conflict(slot, reach))
        if len(conflicts) >= limit:
            break
    return _ordered(conflicts, limit)


def _self_overlaps(mine: Sequence[Slot], limit: int) -> list[Conflict]:
    found: list[Conflict] = []
    latest: Slot | None = None
    for slot in mine:
        if latest is not None and latest.end > slot.start:
            found.append(Conflict(slot, latest))
            if len(found) >= limit:
                break
        if latest is None or slot.end > latest.end:
            latest = slot
    return found


def _ordered(conflicts: list[Conflict], limit: int) -> list[Conflict]:
    return sorted(conflicts, key=lambda c: (c.proposed.start, c.existing.start))[:limit]


def find_conflicts_naive(proposed: Sequence[Slot], existing: Sequence[Slot]) -> list[Conflict]:
    """All pairs, O(n·m): only the benchmark's baseline and the tests' oracle."""
    return [Conflict(p, e) for p in proposed for e in existing if _overlaps(p, e)]
