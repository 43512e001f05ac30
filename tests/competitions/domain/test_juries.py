"""Conflict of interest and the shape of a jury panel (issue 15)."""

from __future__ import annotations

import pytest

from competitions.domain.juries import Member, PanelProblem, conflicted, panel_problems, scorers


@pytest.mark.parametrize(
    ("juror_unit", "school", "expected"),
    [
        ("c3tranphu", "c3tranphu", True),  # their own school
        ("pgd-badinh", "c3tranphu", False),  # the office above judges
        ("c2giangvo", "c3tranphu", False),
    ],
)
def test_a_juror_never_scores_their_own_school(
    juror_unit: str, school: str, expected: bool
) -> None:
    assert conflicted(juror_unit, school) is expected


def test_the_panel_scores_a_contestant_without_the_conflicted_juror() -> None:
    members = [
        Member("lan", "so", True),
        Member("minh", "c3tranphu", False),
        Member("hoa", "c2", False),
    ]
    assert [m.key for m in scorers(members, "c3tranphu")] == ["lan", "hoa"]


@pytest.mark.parametrize(
    ("members", "found"),
    [
        ([Member("a", "u1", True), Member("b", "u2", False)], []),
        ([Member("a", "u1", False), Member("b", "u2", False)], [PanelProblem.NO_CHAIR]),
        ([Member("a", "u1", True), Member("b", "u2", True)], [PanelProblem.SEVERAL_CHAIRS]),
        ([Member("a", "u1", True)], [PanelProblem.TOO_FEW]),
        ([Member("a", "u1", True), Member("b", "u1", False)], [PanelProblem.ONE_UNIT]),
        ([], [PanelProblem.NO_CHAIR, PanelProblem.TOO_FEW]),
    ],
)
def test_panel_problems(members: list[Member], found: list[PanelProblem]) -> None:
    assert panel_problems(members) == found
