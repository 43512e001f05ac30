"""When a teacher has completed a course: the organiser's share of every session, the quiz.

A session's timeline runs from its scheduled start (0) to its scheduled end. Live
attendance is placed on it by the clock; a recording's watched seconds are placed by the
recording's own start, so a minute seen live and again on the recording counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from courses.domain.intervals import Span, clip, covered, merge, shift


@dataclass(frozen=True)
class SessionTime:
    """What one teacher did in one session, in seconds on the session's timeline."""

    length_secs: float
    live: tuple[Span, ...] = ()
    # Offsets into the recording, and where the recording starts on the session's timeline.
    watched: tuple[Span, ...] = ()
    recording_offset_secs: float = 0.0


@dataclass(frozen=True)
class SessionShare:
    """How much of a session counted, live, watched and together."""

    live_secs: float
    watched_secs: float
    counted_secs: float
    length_secs: float

    @property
    def percent(self) -> float:
        """The share of the session that counted, 0 to 100."""
        if self.length_secs <= 0:
            return 0.0
        return min(100.0, 100.0 * self.counted_secs / self.length_secs)


@dataclass(frozen=True)
class Rule:
    """The organiser's rule: at least ``min_percent`` of each session; the quiz if any."""

    min_percent: int
    quiz_required: bool


@dataclass(frozen=True)
class Progress:
    """A teacher's standing in a course."""

    shares: tuple[SessionShare, ...]
    quiz_passed: bool
    complete: bool
    counted_secs: float


def session_share(time: SessionTime) -> SessionShare:
    """Live and watched time of one session, merged on its timeline and clipped to it."""
    live = clip(time.live, 0.0, time.length_secs)
    watched = clip(shift(time.watched, time.recording_offset_secs), 0.0, time.length_secs)
    return SessionShare(
        live_secs=covered(live),
        watched_secs=covered(watched),
        counted_secs=covered(merge((*live, *watched))),
        length_secs=time.length_secs,
    )


def progress(rule: Rule, sessions: Sequence[SessionTime], *, quiz_passed: bool) -> Progress:
    """Whether the rule is met: every session at its share (a course without sessions is
    never complete) and, when the course has a required quiz, a passed attempt."""
    shares = tuple(session_share(s) for s in sessions)
    enough = bool(shares) and all(s.percent + 1e-9 >= rule.min_percent for s in shares)
    complete = enough and (quiz_passed or not rule.quiz_required)
    return Progress(
        shares=shares,
        quiz_passed=quiz_passed,
        complete=complete,
        counted_secs=sum(s.counted_secs for s in shares),
    )


def spans_of(pairs: Iterable[tuple[float, float]]) -> tuple[Span, ...]:
    """Spans from (start, end) pairs (a beacon's or a stored list)."""
    return tuple(Span(float(a), float(b)) for a, b in pairs)
