"""Watched time: spans merged so a second counts once; a report's excess dropped (issue 15)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.domain.intervals import Span, admit, clip, covered, merge

seconds = st.floats(min_value=0, max_value=3600, allow_nan=False, allow_infinity=False)
spans = st.lists(st.tuples(seconds, seconds).map(lambda p: Span(min(p), max(p))), max_size=30)


def _points(items: tuple[Span, ...], step: float = 0.5) -> set[float]:
    return {
        x * step for x in range(int(3600 / step)) if any(s.start <= x * step < s.end for s in items)
    }


@pytest.mark.parametrize(
    ("given_spans", "expected"),
    [
        ([], ()),
        ([(0, 10), (5, 15)], ((0, 15),)),  # re-watching minute 5-10 counts once
        ([(0, 10), (10, 20)], ((0, 20),)),  # touching parts join
        ([(30, 40), (0, 10)], ((0, 10), (30, 40))),
        ([(5, 5), (7, 6)], ()),  # empty parts vanish
        ([(0, 60), (10, 20), (20, 30)], ((0, 60),)),
    ],
)
def test_merge_examples(given_spans: list[tuple[float, float]], expected: tuple) -> None:
    assert merge(Span(a, b) for a, b in given_spans) == tuple(Span(a, b) for a, b in expected)


@given(spans)
def test_merged_spans_are_sorted_disjoint_and_cover_the_same_time(items: list[Span]) -> None:
    merged = merge(items)
    assert all(a.end < b.start for a, b in zip(merged, merged[1:], strict=False))
    assert all(s.end > s.start for s in merged)
    assert _points(merged) == _points(tuple(items))
    assert merge(merged) == merged
    assert covered(items) <= sum(s.seconds for s in items) + 1e-6


@given(spans, spans)
def test_watching_again_never_adds_time(first: list[Span], again: list[Span]) -> None:
    """Re-watching any part already counted (here: ``again`` clipped to it) adds nothing."""
    kept = merge(first)
    inside = [part for s in kept for part in clip(again, s.start, s.end)]
    assert admit(kept, inside, 1e9) == kept
    assert covered((*kept, *inside)) == pytest.approx(covered(kept))


@given(spans, spans, st.floats(min_value=0, max_value=7200))
def test_a_report_adds_at_most_its_allowance(
    kept: list[Span], new: list[Span], allowance: float
) -> None:
    result = admit(kept, new, allowance)
    before, after = covered(kept), covered(result)
    assert after <= before + allowance + 1e-6
    assert after >= before - 1e-6
    assert after <= covered((*kept, *new)) + 1e-6
    # What was counted stays counted.
    assert covered((*result, *kept)) == pytest.approx(after)


@given(spans, spans)
def test_a_report_within_its_allowance_is_taken_whole(kept: list[Span], new: list[Span]) -> None:
    assert covered(admit(kept, new, 1e9)) == pytest.approx(covered((*kept, *new)))


def test_a_report_longer_than_the_wall_clock_is_cut() -> None:
    """A player cannot report 45 minutes 20 seconds after it started."""
    assert admit([], [Span(0, 2700)], 40) == (Span(0, 40),)
    assert admit([Span(0, 30)], [Span(0, 100)], 20) == (Span(0, 50),)
