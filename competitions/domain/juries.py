"""Who may sit on a jury and score whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Ids of the caller's choosing (database ids in the app, names in the tests).
Key = Any


def conflicted(juror_unit: Key, contestant_unit: Key) -> bool:
    """A juror never scores a contestant of their own school or unit.

    Only the same unit: a juror from the office the school lies under (its district
    office, its department) is not conflicted, since those offices organise and judge."""
    return juror_unit == contestant_unit


@dataclass(frozen=True)
class Member:
    """A juror of a panel: the unit they come from, and whether they chair it."""

    key: Key
    unit: Key
    chair: bool


class PanelProblem(StrEnum):
    NO_CHAIR = "no_chair"
    SEVERAL_CHAIRS = "several_chairs"
    TOO_FEW = "too_few"
    ONE_UNIT = "one_unit"


MIN_JURORS = 2


def panel_problems(members: Sequence[Member]) -> list[PanelProblem]:
    """What keeps a panel from scoring: one chair, two jurors or more, from various units."""
    found: list[PanelProblem] = []
    chairs = sum(1 for m in members if m.chair)
    if chairs == 0:
        found.append(PanelProblem.NO_CHAIR)
    elif chairs > 1:
        found.append(PanelProblem.SEVERAL_CHAIRS)
    if len(members) < MIN_JURORS:
        found.append(PanelProblem.TOO_FEW)
    elif len({m.unit for m in members}) < 2:
        found.append(PanelProblem.ONE_UNIT)
    return found


def scorers(members: Sequence[Member], contestant_unit: Key) -> list[Member]:
    """The members of the panel who score a contestant: all but the conflicted."""
    return [m for m in members if not conflicted(m.unit, contestant_unit)]
