"""Refusals of the watch page, each worded for the viewer or host who must act on it."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from realtime.errors import RealtimeError


class WatchError(RealtimeError):
    """A refused message of the watch page (the base, realtime/errors.py, holds the code)."""

    @staticmethod
    def wording(code: str, params: dict[str, object]) -> str:
        """The watch page's sentence for ``code``."""
        return error_text(code, params)


def _number(params: Mapping[str, object], name: str, default: int) -> int:
    value = params.get(name, default)
    return value if isinstance(value, int) else default


def error_text(code: str, params: Mapping[str, object]) -> str:
    """The sentence for ``code``; an unknown code gets a general one."""
    if code == "too_long":
        limit = _number(params, "limit", 0)
        return ngettext(
            "Your text is too long: at most %(limit)d character.",
            "Your text is too long: at most %(limit)d characters.",
            limit,
        ) % {"limit": limit}
    if code == "rate_limited":
        wait = max(1, _number(params, "wait", 1))
        return ngettext(
            "You are sending too fast. Try again in %(wait)d second.",
            "You are sending too fast. Try again in %(wait)d seconds.",
            wait,
        ) % {"wait": wait}
    messages = {
        "empty": _("Write something first."),
        "bad_message": _("The page sent a message the server does not understand. Reload it."),
        "unknown_type": _("The page sent a message the server does not understand. Reload it."),
        "forbidden": _("Only a host of this room may do this."),
        "no_question": _("There is no such question."),
        "chat_off": _("Chat is turned off for viewers."),
        "not_live": _("This room is not broadcasting to the public now."),
        "mixed_scripts": _(
            "This name mixes Latin letters with Cyrillic or Greek ones that look the same. "
            "Write it in one alphabet."
        ),
    }
    return messages.get(code, _("Something went wrong. Reload the page."))
