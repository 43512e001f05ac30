"""Room allocation, the unit login of each room (Art. 18.1) and its one manager (18.2)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from rooms.domain import naming
from rooms.errors import ManagerConflict, RoomsError
from rooms.models import Room, Unit, UnitKind

# Kinds that get a room without asking (Art. 18.1); schools and centres on request.
ALLOCATED_BY_DEFAULT = (UnitKind.DEPARTMENT, UnitKind.DISTRICT)
# No 0/O or 1/l/I: the password is read aloud over the phone and typed by hand.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 4
PASSWORD_GROUP_CHARS = 4


@dataclass(frozen=True)
class Credentials:
    """A room's login, with the password in clear: shown once, never stored."""

    room: Room
    username: str
    password: str


def generate_password() -> str:
    """A random password of 4 groups of 4 unambiguous characters (~80 bits)."""
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_CHARS))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def _free_username(slug: str) -> str:
    users = User.objects
    taken = set(users.filter(username__startswith=slug).values_list("username", flat=True))
    return naming.unique_slug(slug, taken, qualifier="phong")


def _create_account(room: Room, password: str | None = None, encoded: str = "") -> Credentials:
    """The unit login of ``room``; ``encoded``: ``password`` already hashed (see below)."""
    password = password or generate_password()
    user = User(
        username=User.normalize_username(_free_username(room.slug)),
        password=encoded or make_password(password),
        first_name=room.display_name[:150],
    )
    user.save()
    room.account = user
    room.save(update_fields=["account"])
    return Credentials(room=room, username=user.username, password=password)


@transaction.atomic
def room_allocate(
    *, unit: Unit, password: str | None = None, encoded: str = ""
) -> Credentials | None:
    """Give one unit its room and unit login; None when it already has a room."""
    if Room.objects.filter(unit=unit).exists():
        return None
    if Room.objects.filter(slug=unit.slug).exists():
        raise RoomsError(_("The address “%(slug)s” is already in use.") % {"slug": unit.slug})
    room = Room.objects.create(unit=unit, slug=unit.slug)
    return _create_account(room, password, encoded)


def rooms_allocate(
    *, units: Iterable[Unit] | None = None, password: str | None = None
) -> list[Credentials]:
    """Allocate rooms to the given units, or to every department and district office."""
    if units is None:
        units = Unit.objects.filter(kind__in=ALLOCATED_BY_DEFAULT, room__isnull=True)
    # One password for every login (the demo's, or an administrator's choice): hash it
    # once. Hashing is made slow on purpose (~0.3 s); forty logins took twelve seconds.
    # Equal hashes tell nothing the shared password does not already.
    encoded = make_password(password) if password else ""
    allocated = []
    for unit in units:
        credentials = room_allocate(unit=unit, password=password, encoded=encoded)
        if credentials is not None:
            allocated.append(credentials)
    return allocated


@transaction.atomic
def room_account_reset(*, room: Room) -> Credentials:
    """Give a room's unit login a new password (or create the login if it has none)."""
    if room.account is None:
        return _create_account(room)
    password = generate_password()
    room.account.set_password(password)
    room.account.save(update_fields=["password"])
    return Credentials(room=room, username=room.account.get_username(), password=password)


@transaction.atomic
def room_manager_assign(*, room: Room, user: User | None) -> Room:
    """Designate the room's one manager, replacing any previous one (Art. 18.2)."""
    if user is not None:
        elsewhere = Room.objects.filter(manager=user).exclude(pk=room.pk).first()
        if elsewhere is not None:
            raise ManagerConflict(
                _("%(user)s already manages the room “%(room)s”; a manager has one room.")
                % {"user": user.get_full_name() or user.username, "room": elsewhere.slug}
            )
    room.manager = user
    room.save(update_fields=["manager"])
    return room
