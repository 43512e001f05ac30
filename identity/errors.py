"""Errors of identity, with sentences a teacher or an administrator understands."""

from __future__ import annotations


class IdentityError(Exception):
    """Something asked of identity cannot be done; the message says why."""


class RequestAlreadyDecided(IdentityError):
    """A sign-in request was approved or refused already."""


class RosterFileError(IdentityError):
    """An uploaded roster is not a readable xlsx or csv file."""


class RosterRejected(IdentityError):
    """A roster still has problems: nothing was imported."""

    def __init__(self, problems: list[object]) -> None:
        super().__init__("roster has problems")
        self.problems = problems
