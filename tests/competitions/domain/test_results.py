"""Sheets, aggregation rules and ranking with ties (issue 15)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.domain.results import (
    Aggregation,
    CriterionRule,
    PointsProblem,
    aggregate,
    rank,
    rubric_maximum,
    sheet_problems,
    sheet_total,
)

RUBRIC = (
    CriterionRule("plan", D(1), D(5)),
    CriterionRule("method", D(2), D(5)),
    CriterionRule("students", D(1), D(5)),
)


def test_a_sheet_total_weighs_each_criterion() -> None:
    points = {"plan": D("4.5"), "method": D("4"), "students": D("3.25")}
    assert sheet_total(points, RUBRIC) == D("15.75")
    assert rubric_maximum(RUBRIC) == D(20)


@pytest.mark.parametrize(
    ("points", "found"),
    [
        ({"plan": D(5), "method": D(0), "students": D("2.75")}, []),
        ({"plan": D(5), "method": None, "students": D(1)}, [("method", PointsProblem.MISSING)]),
        ({"method": D(1), "students": D(1)}, [("plan", PointsProblem.MISSING)]),
        ({"plan": D(-1), "method": D(1), "students": D(1)}, [("plan", PointsProblem.NEGATIVE)]),
        (
            {"plan": D("5.25"), "method": D(1), "students": D(1)},
            [("plan", PointsProblem.ABOVE_MAX)],
        ),
        (
            {"plan": D("4.1"), "method": D(1), "students": D(1)},
            [("plan", PointsProblem.NOT_A_STEP)],
        ),
    ],
)
def test_sheet_problems(
    points: dict[str, D | None], found: list[tuple[str, PointsProblem]]
) -> None:
    assert sheet_problems(points, RUBRIC) == found


@pytest.mark.parametrize(
    ("totals", "rule", "score"),
    [
        ([], Aggregation.MEAN, None),
        ([D(17)], Aggregation.MEAN, D("17.00")),
        ([D(17), D(18)], Aggregation.TRIMMED, D("17.50")),  # fewer than three: the mean
        ([D(10), D(17), D(18)], Aggregation.MEAN, D("15.00")),
        ([D(10), D(17), D(18)], Aggregation.TRIMMED, D("17.00")),
        ([D(10), D(17), D(18), D(20)], Aggregation.TRIMMED, D("17.50")),
        ([D(10), D(10), D(11)], Aggregation.MEAN, D("10.33")),
        ([D("16.5"), D("16.75"), D("16.75")], Aggregation.MEAN, D("16.67")),
        ([D("0.005"), D(0)], Aggregation.MEAN, D("0.00")),
        ([D("0.01"), D(0)], Aggregation.MEAN, D("0.01")),  # 0.005 rounds half up
    ],
)
def test_aggregation(totals: list[D], rule: Aggregation, score: D | None) -> None:
    assert aggregate(totals, rule) == score


def test_ranking_shows_ties_and_skips_the_next_rank() -> None:
    ranked = rank(
        {"an": D("17.50"), "binh": D("18.00"), "chi": D("17.50"), "dung": D(16), "em": None}
    )
    assert [(r.key, r.rank, r.tied) for r in ranked] == [
        ("binh", 1, False),
        ("an", 2, True),
        ("chi", 2, True),
        ("dung", 4, False),
        ("em", None, False),
    ]


def test_scores_equal_once_shown_are_tied() -> None:
    # 16.666… and 16.67 both show as 16.67: the same place.
    first = aggregate([D("16.5"), D("16.75"), D("16.75")], Aggregation.MEAN)
    ranked = rank({"an": first, "binh": D("16.67")})
    assert {r.rank for r in ranked} == {1} and all(r.tied for r in ranked)


# No deadline: five other sessions share the two cores.
@settings(deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.decimals(0, 20, places=2), max_size=15))
def test_ranking_properties(scores: dict[str, D]) -> None:
    ranked = rank(scores)
    shown = [r.score for r in ranked]
    assert shown == sorted(scores.values(), reverse=True)
    for r in ranked:
        better = sum(1 for v in scores.values() if v > scores[r.key])
        same = sum(1 for v in scores.values() if v == scores[r.key])
        assert r.rank == better + 1
        assert r.tied == (same > 1)


# No deadline: five other sessions share the two cores.
@settings(deadline=None)
@given(
    st.lists(st.decimals(0, 40, places=2), min_size=1, max_size=9),
    st.sampled_from(list(Aggregation)),
)
def test_an_aggregate_lies_between_the_lowest_and_highest_total(
    totals: list[D], rule: Aggregation
) -> None:
    score = aggregate(totals, rule)
    assert score is not None and min(totals) <= score <= max(totals)
