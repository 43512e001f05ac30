"""Who may do what: the roles of C53 Art. 18 as rules over rooms and sites.

Roles: system administrator (ministry IT: a superuser or a member of the
"system-administrators" group), room manager (the room's one officer, Art. 18.2) and the
room's unit login (Art. 18.1), host and participant (room members), public viewer.
A manager manages only their own room and their unit's site.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from rooms.models import MemberRole, Room, RoomMembership, Site, Unit, UnitKind

SYSTEM_ADMIN_GROUP = "system-administrators"

AnyUser = User | AnonymousUser


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    HOST = "host"
    PARTICIPANT = "participant"
    PUBLIC = "public"


# Who hosts a room's meetings (moderates, records, answers the public): its administrators,
# manager and unit login, and host members. One tuple, so every app draws the line alike.
HOST_ROLES: tuple[Role, ...] = (Role.ADMIN, Role.MANAGER, Role.HOST)


def acting_pk(user: AnyUser) -> int | None:
    """The id of a signed-in, active person; None for anyone else.

    Permission filters compare ids: an anonymous user's ``pk`` is None, and a filter
    ``manager_id=None`` matches every room *without* a manager. Every comparison with a
    person's id goes through this, and callers treat None as "matches nothing"."""
    if not user.is_authenticated or not user.is_active:
        return None
    return int(user.pk) if user.pk is not None else None


def is_system_admin(user: AnyUser) -> bool:
    """Ministry IT: may see and change every room and site."""
    if not user.is_authenticated or acting_pk(user) is None:
        return False
    if getattr(user, "is_superuser", False):
        return True
    cached = getattr(user, "_meet_is_admin", None)
    if cached is None:
        cached = user.groups.filter(name=SYSTEM_ADMIN_GROUP).exists()
        user._meet_is_admin = cached  # type: ignore[attr-defined]
    return bool(cached)


def can_manage_room(user: AnyUser, room: Room) -> bool:
    """Administrators, the room's manager and the room's unit login."""
    pk = acting_pk(user)
    if pk is None:
        return False
    return is_system_admin(user) or pk in (room.manager_id, room.account_id)


# The offices that organise for the units under them (competitions, training courses).
ORGANISER_KINDS = (UnitKind.MINISTRY, UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.COMMUNE)


def managed_units(user: AnyUser) -> QuerySet[Unit]:
    """The units whose room the person manages or signs in as (none when signed out)."""
    pk = acting_pk(user)
    if pk is None:
        return Unit.objects.none()
    rooms = Room.objects.filter(manager_id=pk) | Room.objects.filter(account_id=pk)
    return Unit.objects.filter(room__in=rooms)


def organising_units(user: AnyUser) -> QuerySet[Unit]:
    """The offices a person may organise a competition or a course for."""
    units = Unit.objects.all() if is_system_admin(user) else managed_units(user)
    return units.filter(kind__in=ORGANISER_KINDS).order_by("name")


def can_manage_site(user: AnyUser, site: Site) -> bool:
    """Administrators, and whoever manages the room of the site's unit."""
    if is_system_admin(user):
        return True
    room = Room.objects.filter(unit_id=site.unit_id).first()
    return room is not None and can_manage_room(user, room)


def role_in_room(user: AnyUser, room: Room) -> Role:
    """The strongest role a person holds in a room."""
    if is_system_admin(user):
        return Role.ADMIN
    if can_manage_room(user, room):
        return Role.MANAGER
    if (pk := acting_pk(user)) is not None:
        membership = RoomMembership.objects.filter(room=room, user_id=pk).first()
        if membership is not None:
            return Role.HOST if membership.role == MemberRole.HOST else Role.PARTICIPANT
    return Role.PUBLIC
