"""Roster problems as sentences a department's administrator understands."""

from __future__ import annotations

from django.utils.translation import gettext as _

from identity.domain.roster import Problem


def problem_message(problem: Problem) -> str:
    """One problem of a roster row (or of its header), in the user's language."""
    params = problem.params
    messages = {
        "empty": lambda: _("The file is empty."),
        "missing_column": lambda: _("The column “%(column)s” is missing.") % params,
        "unknown_column": lambda: _("The column “%(column)s” is not a roster column.") % params,
        "repeated_column": lambda: _("The column “%(column)s” appears twice.") % params,
        "too_many_rows": lambda: _("The file has more than %(max)s rows.") % params,
        "required": lambda: _("“%(column)s” is empty.") % params,
        "bad_national_id": lambda: (
            _("The national identification code “%(value)s” is not 12 digits.") % params
        ),
        "bad_email": lambda: _("“%(value)s” is not an e-mail address.") % params,
        "long_name": lambda: _("The name is longer than %(max)s characters.") % params,
        "long_subjects": lambda: _("The subjects are longer than %(max)s characters.") % params,
        "duplicate_national_id": lambda: (
            _("The code %(value)s is already on line %(first)s of this file.") % params
        ),
        "duplicate_email": lambda: (
            _("The address %(value)s is already on line %(first)s of this file.") % params
        ),
        "unknown_unit": lambda: _("No unit has the code “%(value)s”.") % params,
        "unit_elsewhere": lambda: _("The unit “%(value)s” is not in your department.") % params,
        "email_taken": lambda: (
            _("The address %(value)s belongs to another person's account.") % params
        ),
    }
    return messages[problem.code]()
