"""Errors of competition services, worded for the person who must act on them."""

from __future__ import annotations


class CompetitionError(Exception):
    """Base class: the message is a sentence for the user."""


class WrongStage(CompetitionError):
    """The competition is not at the stage this step belongs to."""


class NotReady(CompetitionError):
    """Something must be set up first (subjects, rooms, jurors, sheets)."""


class SlotClash(CompetitionError):
    """A manual move would clash with another lesson, the jury or the room's meetings."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(" ".join(reasons))


class InvalidScores(CompetitionError):
    """Points outside the rubric; ``problems`` maps each criterion id to its sentence."""

    def __init__(self, message: str, problems: dict[int, str]) -> None:
        self.problems = problems
        super().__init__(message)
