"""The live meeting's card on a room's page."""

from __future__ import annotations

from typing import Any

from django import template

from rooms.models import Room
from rooms.permissions import Role, role_in_room
from signaling import selectors

register = template.Library()


@register.inclusion_tag("signaling/_join_card.html", takes_context=True)
def live_room_join(context: dict[str, Any], room: Room) -> dict[str, Any]:
    """Who is in the meeting now, and a way in for whoever may enter."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    role = role_in_room(user, room) if signed_in and user is not None else Role.PUBLIC
    member = role != Role.PUBLIC
    return {
        "room": room,
        "live_count": selectors.live_count(room),
        "may_join": member or room.guest_access,
        "signed_in": signed_in,
        "request": request,
    }
