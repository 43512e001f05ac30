"""Which published tracks fill a subscriber's slots: last-N video, top-N audio.

Plain Python. A subscriber's connection has a fixed number of slots per kind (the
browser decides how many when it offers); the router asks this module which sources
should be in them, best first, then places them with ``assign`` so that a source
already shown stays in its slot (no flicker, no needless keyframe request).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NEVER = float("-inf")


@dataclass(frozen=True)
class Candidate:
    """A published, active source another participant could receive."""

    key: str  # "<peer>/<source>"
    peer: str
    joined: int  # join order in the room: earlier first when nothing else decides
    last_active: float = NEVER  # last time the peer's microphone was above threshold
    started: float = 0.0  # when the source became active (screen shares: oldest first)


def rank_cameras(candidates: Iterable[Candidate], preferred: Sequence[str]) -> list[str]:
    """Camera order for last-N: the browser's preferred peers, recent speakers, join order."""
    pinned = {peer: i for i, peer in enumerate(preferred)}
    far = len(pinned)

    def order(c: Candidate) -> tuple[int, float, int]:
        return (pinned.get(c.peer, far), -c.last_active, c.joined)

    return [c.key for c in sorted(candidates, key=order)]


def rank_audio(candidates: Iterable[Candidate]) -> list[str]:
    """Audio order for top-N: who spoke most recently, then join order."""
    return [c.key for c in sorted(candidates, key=lambda c: (-c.last_active, c.joined))]


def rank_screens(candidates: Iterable[Candidate]) -> list[str]:
    """Screen shares: the oldest share first (a new share does not push out the presenter)."""
    return [c.key for c in sorted(candidates, key=lambda c: (c.started, c.joined))]


def assign(current: Sequence[str | None], ranked: Sequence[str]) -> list[str | None]:
    """Place the first ``len(current)`` ranked keys into slots, keeping placed ones still."""
    wanted = list(ranked[: len(current)])
    wanted_set = set(wanted)
    result: list[str | None] = [key if key in wanted_set else None for key in current]
    placed = {key for key in result if key is not None}
    newcomers = iter(key for key in wanted if key not in placed)
    for i, key in enumerate(result):
        if key is None:
            result[i] = next(newcomers, None)
    return result
