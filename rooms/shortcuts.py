"""Shortcuts for pages that take a room's address: the room, or a 404 page."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from rooms.models import Room
from rooms.selectors import room_get


def room_or_404(slug: str) -> Room:
    """The room at ``slug`` (with what its page shows), or a 404 that says there is none."""
    room = room_get(slug=slug)
    if room is None:
        raise Http404(_("There is no room at this address."))
    return room
