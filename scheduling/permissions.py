"""Who may schedule: the room's manager, its unit login, its hosts and administrators."""

from __future__ import annotations

from rooms.models import MemberRole, Room, RoomMembership
from rooms.permissions import AnyUser, can_manage_room
from scheduling.models import Session


def can_schedule(user: AnyUser, room: Room) -> bool:
    """Whoever manages the room, and the people it names as hosts."""
    if can_manage_room(user, room):
        return True
    return bool(
        user.is_authenticated
        and RoomMembership.objects.filter(room=room, user_id=user.pk, role=MemberRole.HOST).exists()
    )


def can_see_session(user: AnyUser, session: Session) -> bool:
    """Public sessions are public; the others belong to those who schedule in the room."""
    return session.public or can_schedule(user, session.room)
