"""Room members for tests: people with a role in a room."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User

from rooms.models import MemberRole, Room, RoomMembership
from tests.factories import UserFactory


def host_lan(room: Room) -> User:
    """Nguyễn Thị Lan, a host of ``room`` (pages and sockets show her full name)."""
    user = cast(User, UserFactory(first_name="Lan", last_name="Nguyễn Thị"))
    RoomMembership.objects.create(room=room, user=user, role=MemberRole.HOST)
    return user
