"""Errors raised by rooms services, each worded for the person who must act on it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from rooms.domain.unit_rows import RowError


class RoomsError(Exception):
    """Base class: the message is a sentence for the user."""


class UnitImportError(RoomsError):
    """A units file has bad rows; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(_("%(count)d row(s) cannot be imported.") % {"count": len(errors)})


class ProductionRefused(RoomsError):
    """An action meant only for the embedded default was asked of a production site."""


class ManagerConflict(RoomsError):
    """The person already manages another room."""


def _messages() -> dict[str, str]:
    return {
        "bad_header": _(
            "The first line must name the columns. Missing: %(missing)s. Unknown: %(unknown)s."
        ),
        "empty_file": _("The file holds no units."),
        "too_many_rows": _("The file has more than %(limit)s rows; split it."),
        "extra_cells": _("This line has more cells than the header has columns."),
        "required": _("The column “%(column)s” must not be empty."),
        "bad_code": _(
            "The code “%(value)s” may only hold letters, digits, '.', '_' and '-' (at most 40)."
        ),
        "bad_kind": _("Unknown kind “%(value)s”: use district, commune, school or centre."),
        "bad_school_level": _(
            "A school needs a level code C0, C1, C2, C3, C12, C23 or C123; got “%(value)s”."
        ),
        "bad_centre_level": _(
            "A centre needs a level code TX, TH, TN, TNT, TC or TK; got “%(value)s”."
        ),
        "level_not_allowed": _("Only schools and centres have a level code; got “%(value)s”."),
        "name_too_long": _("The name is longer than %(limit)s characters."),
        "bad_abbreviation": _(
            "The abbreviation “%(value)s” may only hold letters and digits without accents."
        ),
        "bad_mailbox": _("“%(value)s” is not an e-mail address."),
        "duplicate_code": _("This code was already used on line %(first)s."),
        "unknown_province": _("No province is called or numbered “%(value)s”."),
        "unknown_parent": _("No unit has the code “%(value)s”, in the file or the directory."),
        "parent_other_province": _("The parent unit “%(value)s” is in another province."),
        "parent_wrong_kind": _("A %(kind)s cannot belong to “%(value)s”."),
        "no_department": _("The province has no department yet; run load_provinces first."),
        "kind_changed": _(
            "The code “%(value)s” already names a unit of another kind; use a new code."
        ),
        "bad_name": _("No address can be made from this name."),
        "unreadable": _(
            "This line cannot be read: a cell is far too long or a quote is never closed."
        ),
    }


def row_error_message(error: RowError) -> str:
    """The user's-language sentence for one bad row, with its line number."""
    template = _messages().get(error.code, error.code)
    return _("Line %(line)d: %(reason)s") % {
        "line": error.line,
        "reason": template % error.params if error.params else template,
    }
