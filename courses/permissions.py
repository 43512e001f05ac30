"""Who may do what in a training course.

Organiser: an administrator, or the manager or unit login of the organising unit's room.
Teacher: a person the course takes (by a rule over the roster, or invited by name).
"""

from __future__ import annotations

from courses.models import Course
from rooms.models import Room
from rooms.permissions import AnyUser, can_manage_room, is_system_admin


def can_organise(user: AnyUser, course: Course) -> bool:
    """Administrators, and whoever manages the organising unit's room."""
    if is_system_admin(user):
        return True
    room = Room.objects.filter(unit_id=course.organiser_id).first()
    return room is not None and can_manage_room(user, room)
