"""The load a member puts on a media worker, in forwarded streams.

One unit is one subscriber's copy of one publisher's camera (and its voice): what
``bench/fanout.py`` counts, so a worker's capacity is its measured "subscribers per core"
(682 on python-svc, 2026-12-05). A member who sees nine cameras costs nine units; a
member placed on a worker the room did not use yet also brings each published stream
there once (the pipe from the worker that receives it).
"""

from __future__ import annotations

from dataclasses import dataclass

# Measured by bench/fanout.py at >= 29 fps (docs/benchmarks.md): 652-682 subscribers per
# core in the same runs; the default keeps a margin below that for the recorder and HLS.
# That is the fan-out in Python (a worker installed without a C compiler).
DEFAULT_CAPACITY_UNITS = 600
# With the fan-out's compiled helper (mediaworker/forwarding/fanout.c): 1,634 per core
# held on python-svc (2026-12-06) with the worker at 0.61 of its core; the same margin.
COMPILED_CAPACITY_UNITS = 1200
# Admit a member only while its worker stays at or under this share of its capacity: the
# headroom keeps publishers' consent checks and RTCP ahead of a join storm (issue 14).
ADMIT_RATIO = 0.8
# The tiles a briefing shows at once (the stage's 3×3 grid), so what one member receives.
STAGE_VIDEOS = 9


@dataclass(frozen=True)
class MemberLoad:
    """What one member receives and sends, as placement counts it."""

    videos_seen: int
    publishes: bool

    @property
    def units(self) -> int:
        """Forwarded streams this member costs its worker (its own upload counts one)."""
        return max(1, self.videos_seen) + (1 if self.publishes else 0)


def meeting_member(sites: int, *, publishes: bool = True) -> MemberLoad:
    """A site of a briefing with ``sites`` sites, seeing up to a full stage of the others."""
    return MemberLoad(videos_seen=min(STAGE_VIDEOS, max(0, sites - 1)), publishes=publishes)


def viewer_member() -> MemberLoad:
    """A webinar's WebRTC viewer: the program's one picture and sound."""
    return MemberLoad(videos_seen=1, publishes=False)


def pipe_units(published_videos: int) -> int:
    """What a room's published streams cost a worker that starts serving part of it."""
    return max(0, published_videos)
