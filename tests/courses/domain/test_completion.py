"""Completion from live attendance and watched recordings (issue 15, item 6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.domain.completion import Rule, SessionTime, progress, session_share
from courses.domain.intervals import Span

HOUR = 3600.0
RULE = Rule(min_percent=80, quiz_required=True)


def live(*pairs: tuple[float, float]) -> tuple[Span, ...]:
    return tuple(Span(a, b) for a, b in pairs)


@pytest.mark.parametrize(
    ("time", "percent"),
    [
        (SessionTime(HOUR, live=live((0, HOUR))), 100),
        (SessionTime(HOUR, live=live((-600, 1800))), 50),  # before the start does not count
        (SessionTime(HOUR, live=live((1800, HOUR + 900))), 50),  # nor after the end
        (SessionTime(HOUR, live=live((0, 1800), (900, 2700))), 75),  # two tabs: counted once
        (SessionTime(HOUR, watched=live((0, 2880))), 80),
        # Live for the first half, the recording's second half afterwards.
        (SessionTime(HOUR, live=live((0, 1800)), watched=live((1800, HOUR))), 100),
        # The same minutes live and on the recording count once.
        (SessionTime(HOUR, live=live((0, 1800)), watched=live((0, 1800))), 50),
        # The recording started 10 minutes late: its second 0 is the session's 600.
        (SessionTime(HOUR, watched=live((0, 3000)), recording_offset_secs=600), 100 * 3000 / 3600),
        (SessionTime(0, live=live((0, 10))), 0),
    ],
)
def test_session_share(time: SessionTime, percent: float) -> None:
    assert session_share(time).percent == pytest.approx(percent)


def test_two_sessions_live_and_the_third_watched_complete_the_course() -> None:
    """The issue's teacher: attended two sessions live, watched the third as a recording."""
    sessions = [
        SessionTime(HOUR, live=live((60, HOUR))),
        SessionTime(HOUR, live=live((0, 3000))),
        SessionTime(HOUR, watched=live((0, 1800), (1700, 3500))),
    ]
    assert progress(RULE, sessions, quiz_passed=True).complete
    assert not progress(RULE, sessions, quiz_passed=False).complete
    assert progress(Rule(80, quiz_required=False), sessions, quiz_passed=False).complete


@pytest.mark.parametrize(
    ("shares", "complete"),
    [
        ([100, 100, 79], False),  # every session counts on its own: no averaging
        ([80, 80, 80], True),
        ([], False),  # a course without sessions is never complete
    ],
)
def test_each_session_must_reach_the_share(shares: list[int], complete: bool) -> None:
    sessions = [SessionTime(100, live=live((0, p))) for p in shares]
    assert progress(RULE, sessions, quiz_passed=True).complete is complete


secs = st.floats(min_value=-600, max_value=4200, allow_nan=False)
span_lists = st.lists(st.tuples(secs, secs).map(lambda p: Span(min(p), max(p))), max_size=10)


@given(span_lists, span_lists, st.floats(min_value=-900, max_value=900))
def test_counted_time_is_bounded_by_its_parts(
    live_spans: list[Span], watched: list[Span], offset: float
) -> None:
    share = session_share(SessionTime(HOUR, tuple(live_spans), tuple(watched), offset))
    assert 0 <= share.percent <= 100
    assert max(share.live_secs, share.watched_secs) - 1e-6 <= share.counted_secs
    assert share.counted_secs <= share.live_secs + share.watched_secs + 1e-6
    assert share.counted_secs <= HOUR + 1e-6


@given(span_lists, span_lists)
def test_watching_more_never_undoes_completion(base: list[Span], more: list[Span]) -> None:
    before = progress(RULE, [SessionTime(HOUR, watched=tuple(base))], quiz_passed=True)
    after = progress(RULE, [SessionTime(HOUR, watched=tuple(base + more))], quiz_passed=True)
    assert after.counted_secs >= before.counted_secs - 1e-6
    assert after.complete or not before.complete
