"""A room's live settings: the lobby and the guests' password."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction

from rooms.models import Room
from signaling.models import LiveRoomSettings


@transaction.atomic
def live_settings_save(
    *, room: Room, lobby_enabled: bool, guest_password: str = "", clear_password: bool = False
) -> LiveRoomSettings:
    """Store the lobby choice; set, keep or clear the guests' password."""
    live, _ = LiveRoomSettings.objects.get_or_create(room=room)
    live.lobby_enabled = lobby_enabled
    if clear_password:
        live.guest_password = ""
    elif guest_password:
        live.guest_password = make_password(guest_password)
    live.save()
    return live
