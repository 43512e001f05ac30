"""Overlap detection: tables, and the sweep checked against the all-pairs oracle."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from scheduling.domain.conflicts import Slot, find_conflicts, find_conflicts_naive

T0 = datetime(2026, 11, 23, 8, 0)


def slot(start_min: int, end_min: int, key: str = "") -> Slot:
    return Slot(T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min), key)


@pytest.mark.parametrize(
    ("proposed", "existing", "pairs"),
    [
        ([slot(0, 90, "p")], [slot(90, 120, "e")], []),  # touching is fine
        ([slot(0, 90, "p")], [slot(89, 120, "e")], [("p", "e")]),
        ([slot(0, 90, "p")], [slot(-60, 1, "e")], [("p", "e")]),
        ([slot(30, 40, "p")], [slot(0, 120, "e")], [("p", "e")]),  # inside a long one
        ([slot(0, 120, "p")], [slot(30, 40, "e")], [("p", "e")]),  # around a short one
        ([slot(0, 10, "a"), slot(100, 110, "b")], [slot(-100, 200, "e")], [("a", "e"), ("b", "e")]),
        ([slot(0, 60, "a"), slot(30, 90, "b")], [], [("b", "a")]),  # a series overlapping itself
        ([], [slot(0, 10, "e")], []),
    ],
)
def test_overlaps(proposed: list[Slot], existing: list[Slot], pairs: list[tuple[str, str]]) -> None:
    found = find_conflicts(proposed, existing)
    assert [(c.proposed.key, c.existing.key) for c in found] == pairs


def test_limit_returns_the_first_in_time() -> None:
    proposed = [slot(i * 100, i * 100 + 50, f"p{i}") for i in range(20)]
    existing = [slot(i * 100 + 10, i * 100 + 20, f"e{i}") for i in range(20)]
    found = find_conflicts(proposed, existing, limit=3)
    assert [c.proposed.key for c in found] == ["p0", "p1", "p2"]


@pytest.mark.parametrize("seed", range(30))
def test_sweep_finds_every_conflicting_proposal_the_oracle_finds(seed: int) -> None:
    rng = random.Random(seed)
    proposed = [
        slot(i * 1440 + 480, i * 1440 + 570, f"p{i}") for i in range(0, 60, rng.randint(1, 3))
    ]
    existing = []
    for n in range(rng.randint(0, 80)):
        start = rng.randint(0, 60 * 1440)
        existing.append(slot(start, start + rng.randint(1, 600), f"e{n}"))
    expected = {c.proposed.key for c in find_conflicts_naive(proposed, existing)}
    found = {c.proposed.key for c in find_conflicts(proposed, existing, limit=10_000)}
    assert found == expected
