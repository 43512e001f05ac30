"""Errors of live rooms, each worded for the person who must act on it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from realtime.errors import RealtimeError
from signaling.domain.protocol import ProtocolError


class SignalingError(RealtimeError):
    """A refused action of a live room (the base, realtime/errors.py, holds the code)."""

    @staticmethod
    def wording(code: str, params: dict[str, object]) -> str:
        """The live room's sentence for ``code``."""
        return error_text(code, params)


class JoinRefused(SignalingError):
    """Somebody may not (or may no longer) be in the meeting."""


def _messages() -> dict[str, str]:
    return {
        # joining
        "token_invalid": _("Your link to this meeting is not valid. Reload the page."),
        "token_expired": _("Your link to this meeting has expired. Reload the page."),
        "wrong_session": _("Your browser session has changed. Reload the page."),
        "no_room": _("There is no room at this address."),
        "locked": _("The meeting is locked. Ask a host to unlock it."),
        "removed": _("A host removed you from this meeting."),
        "denied": _("A host did not let you in."),
        "ended": _("The meeting has ended."),
        "replaced": _("You joined this meeting from another window."),
        "members_only": _("This room is only for its members. Ask the room's manager."),
        "sign_in": _("Sign in to join this meeting."),
        "wrong_password": _("The password is not right."),
        "password_locked": _(
            "Too many password tries. Try again after %(time)s (in about %(minutes)s minutes)."
        ),
        "token_used": _("This link to the meeting was already used. Reload the page."),
        "no_longer_allowed": _("You may no longer join this meeting. Reload the page."),
        "hello_timeout": _("The page did not start the meeting in time. Reload the page."),
        # actions
        "forbidden": _("Only a host may do this."),
        "jury_only": _("Only the jurors watching the lesson write in the jury's chat."),
        "observer_silent": _(
            "You are watching as a juror: you cannot speak, vote or write to the room here."
        ),
        "forbidden_presenter": _("Only a host or the presenter may do this."),
        "not_joined": _("Join the meeting first."),
        "already_joined": _("You have already joined."),
        "no_peer": _("That person is no longer in the meeting."),
        "not_waiting": _("That person is no longer waiting in the lobby."),
        "no_poll": _("There is no such poll in this meeting."),
        "poll_closed": _("This poll is closed."),
        "bad_choice": _("Choose one of the poll's answers."),
        "one_choice": _("This poll takes one answer only."),
        "no_deck": _("There are no such slides in this meeting."),
        "bad_page": _("The slides have no page %(page)s."),
        "file_too_large": _("The file is larger than the limit of %(limit)s."),
        "file_empty": _("The file is empty."),
        "file_missing": _("Choose a file first."),
        "not_pdf": _("This is not a PDF file, or it is damaged."),
        "too_many_pages": _("The PDF has more than %(limit)s pages."),
        "rate_limited": _("You are sending too fast. Wait a moment, then try again."),
        "slow_down": _("Too many tries from your connection. Try again after %(time)s."),
        "too_many_files": _("No more files can be shared: the limit is %(limit)s."),
        "length_required": _("The upload did not say its size. Try again with another browser."),
        "slides_too_heavy": _(
            "This PDF needs too much memory to show. Save it again with smaller pictures."
        ),
        "slides_too_slow": _(
            "This PDF took too long to prepare. Try a shorter file or one with fewer pictures."
        ),
        "server_error": _("Something went wrong on the server. Try again."),
        "media_failed": _("Video and sound could not be set up. Reload the page to try again."),
        "media_unavailable": _("Video and sound are not available right now. Chat still works."),
        # protocol
        "not_text": _("Send text frames only."),
        "too_large": _("The message is too large (at most %(limit)s bytes)."),
        "bad_json": _("The message is not valid JSON."),
        "not_object": _("The message must be a JSON object."),
        "missing_type": _("The message has no type."),
        "unknown_type": _("Unknown message type “%(type)s”."),
        "missing_field": _("The field “%(field)s” is missing."),
        "bad_field": _("The field “%(field)s” has the wrong kind of value."),
        "unknown_field": _("Unknown field “%(field)s”."),
        "too_long": _("The field “%(field)s” is too long (at most %(limit)s characters)."),
        "empty": _("The field “%(field)s” must not be empty."),
        "too_many": _("The field “%(field)s” has too many items (at most %(limit)s)."),
        "too_few": _("The field “%(field)s” needs at least %(limit)s items."),
        "duplicate": _("The field “%(field)s” repeats an item."),
        "out_of_range": _("The field “%(field)s” is out of range."),
        "bad_peer": _("The field “%(field)s” is not a participant id."),
        "bad_version": _(
            "This page speaks another version of the protocol (the server speaks %(limit)s). "
            "Reload the page."
        ),
        "hello_first": _("Send hello first."),
    }


def error_text(code: str, params: dict[str, object] | None = None) -> str:
    """The user's-language sentence for an error code."""
    template = _messages().get(code, _("This request was refused (%(code)s).") % {"code": code})
    values: dict[str, object] = {
        "code": code,
        "field": "",
        "limit": "",
        "type": "",
        "page": "",
        "time": "",
        "minutes": "",
    }
    values.update(params or {})
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return template


def protocol_error_text(error: ProtocolError) -> str:
    """Word a protocol error, naming its field and limit."""
    return error_text(error.code, {"field": error.field, "limit": error.limit, "type": error.type})
