"""The room page's list of next meetings."""

from __future__ import annotations

from typing import Any

from django import template

from rooms.models import Room
from rooms.permissions import can_manage_room
from scheduling.describe import describe
from scheduling.models import Session
from scheduling.permissions import can_schedule
from scheduling.selectors import room_upcoming as _room_upcoming

register = template.Library()


@register.inclusion_tag("scheduling/_room_upcoming.html", takes_context=True)
def room_upcoming(context: dict[str, Any], room: Room) -> dict[str, Any]:
    """The room's next meetings and the links to its calendar and feed."""
    request = context["request"]
    may_schedule = can_schedule(request.user, room)
    upcoming = _room_upcoming(room=room, viewer=request.user, limit=5)
    return {
        "room": room,
        "upcoming": upcoming,
        "can_schedule": may_schedule,
        "can_manage": can_manage_room(request.user, room),
        "request": request,
    }


@register.filter
def schedule_text(session: Session) -> str:
    """The session's dates and times in one sentence."""
    return describe(session)
