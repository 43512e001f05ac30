"""Errors of scheduling services, worded for the person who must act on them."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from scheduling.domain.recurrence import RuleError


class SchedulingError(Exception):
    """Base class: the message is a sentence for the user."""


class ScheduleConflict(SchedulingError):
    """The room already holds a meeting at some of the proposed times."""

    def __init__(self, conflicts: list[dict[str, object]]) -> None:
        self.conflicts = conflicts
        super().__init__(
            _("The room is already booked at some of these times. First clash: %(first)s.")
            % {"first": conflicts[0]["text"] if conflicts else ""}
        )


class InvalidSchedule(SchedulingError):
    """Times or a recurrence that cannot be scheduled."""


class PeopleRefused(SchedulingError):
    """Some names cannot be invited; the same words whether or not an account exists."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            _(
                "These people cannot be invited: %(names)s. Check each user name or e-mail "
                "address; only people with an active account can be invited by name."
            )
            % {"names": ", ".join(names)}
        )


class TooManyLookups(SchedulingError):
    """A person looked up more names than ``MEET_INVITE_LOOKUP_RATE`` allows."""

    def __init__(self, wait_secs: int) -> None:
        self.wait_secs = wait_secs
        super().__init__(
            _("You have looked up many people in a short time. Try again in %(minutes)d minute(s).")
            % {"minutes": max(1, (wait_secs + 59) // 60)}
        )


def rule_error_message(error: RuleError) -> str:
    """The user's-language sentence for a refused recurrence rule."""
    return {
        "freq_not_allowed": _(
            "A session can repeat daily, weekly, monthly or yearly, no more often."
        ),
        "sub_daily": _("A session cannot repeat several times a day."),
        "bad_interval": _("The interval must be a whole number from 1 to 52."),
        "bad_weekday": _("Unknown weekday in the rule."),
        "bad_setpos": _("A monthly rule takes the 1st to 4th or the last weekday of the month."),
        "bad_count": _("A series holds at most 2,000 meetings."),
        "until_and_count": _("Give an end date or a number of meetings, not both."),
        "unsupported_part": _("This repetition cannot be scheduled here: %(detail)s.")
        % {"detail": error.detail},
        "bad_until": _("The end date of the repetition is not a date."),
    }.get(error.code, _("This repetition cannot be scheduled."))


def when_text(start: object) -> str:
    """A meeting's start in the user's language, e.g. "Thứ Hai 23/11/2026 08:00"."""
    return date_format(localtime(start), "l d/m/Y H:i")  # type: ignore[arg-type]
