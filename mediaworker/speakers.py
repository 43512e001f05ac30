"""Dominant speaker detection from the RTP audio-level header extension.

Plain Python. Every publisher's audio packets carry their level (RFC 6464, 0 dBov down
to -127 dBov); the forwarder sums ``127 - level`` per packet for free, and every tick
the router hands this module each participant's average. A participant louder than
``threshold`` counts as active (for last-N and top-N audio); the loudest active one
becomes the dominant speaker after staying loudest for ``hold_ticks`` ticks, so a
cough does not move the highlight.
"""

from __future__ import annotations

from collections.abc import Mapping

# Average of (127 - dBov) above which a microphone counts as speech: -50 dBov.
ACTIVE_THRESHOLD = 77.0
HOLD_TICKS = 2


class SpeakerDetector:
    """Follows one room's levels and names its dominant speaker."""

    def __init__(self, *, threshold: float = ACTIVE_THRESHOLD, hold_ticks: int = HOLD_TICKS):
        self.threshold = threshold
        self.hold_ticks = hold_ticks
        self.dominant: str | None = None
        self.last_active: dict[str, float] = {}
        self._challenger: str | None = None
        self._streak = 0

    def update(self, levels: Mapping[str, float], now: float) -> bool:
        """Take one tick's average levels per peer; return whether the dominant changed."""
        loudest: str | None = None
        for peer, level in levels.items():
            if level >= self.threshold:
                self.last_active[peer] = now
                if loudest is None or level > levels[loudest]:
                    loudest = peer
        if loudest is None or loudest == self.dominant:
            self._challenger, self._streak = None, 0
            return False
        if loudest == self._challenger:
            self._streak += 1
        else:
            self._challenger, self._streak = loudest, 1
        if self._streak < self.hold_ticks and self.dominant is not None:
            return False
        self.dominant, self._challenger, self._streak = loudest, None, 0
        return True

    def forget(self, peer: str) -> bool:
        """A participant left; return whether the dominant speaker changed."""
        self.last_active.pop(peer, None)
        if self._challenger == peer:
            self._challenger, self._streak = None, 0
        if self.dominant == peer:
            self.dominant = None
            return True
        return False
