"""Who may schedule: the room's manager, its unit login, its hosts and administrators."""

from __future__ import annotations

from rooms.models import MemberRole, Room, RoomMembership
from rooms.permissions import AnyUser, acting_pk, can_manage_room
from scheduling.models import Session
from scheduling.selectors import session_visible


def can_schedule(user: AnyUser, room: Room) -> bool:
    """Whoever manages the room, and the people it names as hosts."""
    if can_manage_room(user, room):
        return True
    pk = acting_pk(user)
    return (
        pk is not None
        and RoomMembership.objects.filter(room=room, user_id=pk, role=MemberRole.HOST).exists()
    )


def can_see_session(user: AnyUser, session: Session) -> bool:
    """Public sessions are public; who sees the others is ``selectors.sessions_visible_q``."""
    return session_visible(viewer=user, session=session)
