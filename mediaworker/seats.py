"""The worker's seats for public WebRTC viewers (``MEET_MEDIA_MAX_VIEWERS``).

One counter for the whole worker, shared by its rooms' routers (all on one event
loop, so no lock): a viewer's session takes a seat only for an offer it parsed and
accepts (mediaworker/peer.py), and gives it back when the offer fails, when the
connection fails or is not up within ``MEET_MEDIA_VIEWER_CONNECT_SECS``, when the
viewer leaves, when the broadcast stops or when the room closes. Participants never
take a seat: a flood of viewers cannot keep a room's own members out. Viewers beyond
the limit are refused with ``full`` and watch HLS, which costs the worker nothing each.
"""

from __future__ import annotations


class ViewerSeats:
    """How many public viewers this worker forwards to, and how many it may."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    @property
    def full(self) -> bool:
        """No seat is free now."""
        return self.taken >= self.limit

    def take(self) -> bool:
        """Take a seat if one is free."""
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True

    def release(self) -> None:
        """Give a seat back."""
        self.taken = max(self.taken - 1, 0)
