"""Placing RTP media on the recording's timeline, in plain Python.

Each published stream has its own RTP clock with a random origin. A stream is
anchored when its first packet arrives: program time = arrival time of that packet
(seconds since the recording started) + RTP ticks since then / clock rate. So the
streams of different participants line up by when they reached the worker, and the
RTP timestamps keep each stream's own spacing free of network jitter.

A sender that pauses (camera off, a muted microphone that stops sending) resumes
with an RTP timestamp that no longer matches the anchor; when the two disagree by
more than ``REANCHOR_SECS`` the stream is anchored again at the packet's arrival.
"""

from __future__ import annotations

REANCHOR_SECS = 0.5
_TS_MODULO = 1 << 32
_TS_HALF = 1 << 31


class RtpAnchor:
    """Maps one stream's RTP timestamps to ticks of the program timeline."""

    def __init__(self, clock_rate: int, *, reanchor_secs: float = REANCHOR_SECS) -> None:
        self.clock_rate = clock_rate
        self._limit = int(reanchor_secs * clock_rate)
        self._origin_ts: int | None = None
        self._origin_ticks = 0
        self.reanchors = 0

    def place(self, timestamp: int, arrival_secs: float) -> int:
        """Program ticks (at ``clock_rate``) of an RTP timestamp that arrived then."""
        arrived = round(arrival_secs * self.clock_rate)
        if self._origin_ts is None:
            self._origin_ts, self._origin_ticks = timestamp, arrived
            return arrived
        delta = (timestamp - self._origin_ts) % _TS_MODULO
        if delta >= _TS_HALF:  # an older timestamp (reordered): negative offset
            delta -= _TS_MODULO
        ticks = self._origin_ticks + delta
        # Network jitter moves arrivals by far less than the limit; more than that
        # means the sender paused or its clock jumped: start again from this packet.
        if abs(ticks - arrived) > self._limit:
            self._origin_ts, self._origin_ticks = timestamp, arrived
            self.reanchors += 1
            return arrived
        return ticks
