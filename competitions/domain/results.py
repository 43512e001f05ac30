"""Score sheets, their totals, the aggregate of a contestant's sheets, and the ranking.

Points are ``Decimal`` so equal scores are equal (no float dust breaking a tie). A sheet's
total is the sum of weight × points; a contestant's score is the mean of the submitted
totals, or that mean without the highest and the lowest (which needs three sheets or
more: with fewer it is the plain mean). Scores are rounded to two places *before* ranking,
so two contestants shown with the same score share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

SHOWN = Decimal("0.01")
# Jurors score in quarter points at the finest.
STEP = Decimal("0.25")

# Ids of the caller's choosing (database ids in the app, names in the tests).
Key = Any


class Aggregation(StrEnum):
    MEAN = "mean"
    TRIMMED = "trimmed"


@dataclass(frozen=True)
class CriterionRule:
    """A line of the rubric."""

    key: Key
    weight: Decimal
    max_points: Decimal


class PointsProblem(StrEnum):
    MISSING = "missing"
    NEGATIVE = "negative"
    ABOVE_MAX = "above_max"
    NOT_A_STEP = "not_a_step"


def sheet_problems(
    points: Mapping[Key, Decimal | None], rubric: Sequence[CriterionRule]
) -> list[tuple[Key, PointsProblem]]:
    """What is wrong with a sheet's points, criterion by criterion (empty: it may be kept)."""
    found: list[tuple[Key, PointsProblem]] = []
    for rule in rubric:
        value = points.get(rule.key)
        if value is None:
            found.append((rule.key, PointsProblem.MISSING))
        elif value < 0:
            found.append((rule.key, PointsProblem.NEGATIVE))
        elif value > rule.max_points:
            found.append((rule.key, PointsProblem.ABOVE_MAX))
        elif value % STEP != 0:
            found.append((rule.key, PointsProblem.NOT_A_STEP))
    return found


def sheet_total(points: Mapping[Key, Decimal], rubric: Sequence[CriterionRule]) -> Decimal:
    """Weight × points, summed over the rubric."""
    return sum((rule.weight * points[rule.key] for rule in rubric), Decimal(0))


def rubric_maximum(rubric: Sequence[CriterionRule]) -> Decimal:
    """The best total a sheet can reach."""
    return sum((rule.weight * rule.max_points for rule in rubric), Decimal(0))


def aggregate(totals: Sequence[Decimal], rule: Aggregation) -> Decimal | None:
    """The contestant's score from the submitted totals (None when there is none)."""
    if not totals:
        return None
    kept = sorted(totals)
    if rule == Aggregation.TRIMMED and len(kept) >= 3:
        kept = kept[1:-1]
    mean = sum(kept, Decimal(0)) / len(kept)
    return mean.quantize(SHOWN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranked:
    """A contestant's place: rank None when they have no score yet; ``tied`` when shared."""

    key: Key
    score: Decimal | None
    rank: int | None
    tied: bool


def rank(scores: Mapping[Key, Decimal | None]) -> list[Ranked]:
    """Best first; equal scores share the rank and the next rank skips (1, 2, 2, 4)."""
    scored = sorted(
        ((key, score) for key, score in scores.items() if score is not None),
        key=lambda item: item[1],
        reverse=True,
    )
    counts: dict[Decimal, int] = {}
    for _key, score in scored:
        counts[score] = counts.get(score, 0) + 1
    ranked: list[Ranked] = []
    place = 0
    last: Decimal | None = None
    for position, (key, score) in enumerate(scored, start=1):
        if score != last:
            place, last = position, score
        ranked.append(Ranked(key, score, place, counts[score] > 1))
    ranked += [Ranked(key, None, None, False) for key, score in scores.items() if score is None]
    return ranked
