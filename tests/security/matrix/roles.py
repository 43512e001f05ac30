"""The twelve roles of the access matrix (issue 10, item 1) and the groups rows name.

Every role is relative to the world's main room ``phong`` (a district office's room under
the department ``sotinh``): its members, its manager and unit login, and outsiders.
"""

from __future__ import annotations

ANONYMOUS = "anonymous"
VIEWER = "viewer"  # anonymous, with a session that opened the public watch page
GUEST = "guest"  # anonymous, with a guest name for the main room and a seat in its meeting
PARTICIPANT = "participant"  # participant member of the main room, in its meeting
PRESENTER = "presenter"  # participant member made presenter in the meeting
HOST = "host"  # host member of the main room
UNIT = "unit"  # the main room's unit login (C53 Art. 18.1)
MANAGER = "manager"  # the main room's manager (C53 Art. 18.2)
OTHER_MANAGER = "other_manager"  # manager of another room (``khac``, a sibling)
PARENT_UNIT = "parent_unit"  # unit login of the parent unit's room (``sotinh``)
EDITOR = "editor"  # portal editor (group "Biên tập viên cổng thông tin")
ADMIN = "admin"  # system administrator (superuser)

ROLES: tuple[str, ...] = (
    ANONYMOUS,
    VIEWER,
    GUEST,
    PARTICIPANT,
    PRESENTER,
    HOST,
    UNIT,
    MANAGER,
    OTHER_MANAGER,
    PARENT_UNIT,
    EDITOR,
    ADMIN,
)

NOBODY: frozenset[str] = frozenset()
EVERYONE: frozenset[str] = frozenset(ROLES)
NOT_SIGNED_IN: frozenset[str] = frozenset({ANONYMOUS, VIEWER, GUEST})
SIGNED_IN: frozenset[str] = EVERYONE - NOT_SIGNED_IN
# can_manage_room: administrators, the room's manager and its unit login.
MANAGERS: frozenset[str] = frozenset({UNIT, MANAGER, ADMIN})
# can_schedule / live hosts: whoever manages the room and its host members.
HOSTS: frozenset[str] = MANAGERS | {HOST}
# Members of the room (rooms.permissions.role_in_room is not PUBLIC).
MEMBERS: frozenset[str] = HOSTS | {PARTICIPANT, PRESENTER}
# Took part in the main room's meeting (its Participant rows), or manage the room.
IN_MEETING: frozenset[str] = frozenset({GUEST, PARTICIPANT, PRESENTER, HOST})
EDITORS: frozenset[str] = frozenset({EDITOR, ADMIN})
ADMINS: frozenset[str] = frozenset({ADMIN})
