"""Who may do what in a competition.

Organiser: an administrator, or the manager or unit login of the organising unit's room.
School: the manager or unit login of a school's (or centre's) room registers its teachers.
Juror: a person seated on a subject's panel; the chair of that panel reopens its sheets.
"""

from __future__ import annotations

from django.db.models import QuerySet

from competitions.models import Competition, Contestant, Juror, Status
from rooms.models import Room, Unit, UnitKind
from rooms.permissions import (
    AnyUser,
    acting_pk,
    can_manage_room,
    is_system_admin,
    managed_units,
)
from rooms.permissions import organising_units as organising_units  # the views import it here

SCHOOL_KINDS = (UnitKind.SCHOOL, UnitKind.CENTRE)


def can_organise(user: AnyUser, competition: Competition) -> bool:
    """Administrators, and whoever manages the organising unit's room."""
    if is_system_admin(user):
        return True
    room = Room.objects.filter(unit_id=competition.organiser_id).first()
    return room is not None and can_manage_room(user, room)


def registering_schools(user: AnyUser, competition: Competition) -> QuerySet[Unit]:
    """The schools a person may register teachers of: their own, within the organiser's reach.

    A competition of a province's department takes that province's schools; the organiser
    registers for any of them (a school without its own login)."""
    if can_organise(user, competition):
        units = Unit.objects.all()
    else:
        units = managed_units(user)
    units = units.filter(kind__in=SCHOOL_KINDS)
    organiser = competition.organiser
    if organiser.province_id is not None:
        units = units.filter(province_id=organiser.province_id)
    return units.order_by("name")


def can_register(user: AnyUser, competition: Competition) -> bool:
    """While registration is open, for a person with a school in the competition's reach."""
    return competition.status == Status.OPEN and registering_schools(user, competition).exists()


def seats_of(user: AnyUser, competition: Competition) -> QuerySet[Juror]:
    """The panels a person sits on in this competition (none when signed out)."""
    pk = acting_pk(user)
    if pk is None:
        return Juror.objects.none()
    return Juror.objects.filter(subject__competition=competition, user_id=pk).select_related(
        "subject", "unit"
    )


def can_see(user: AnyUser, competition: Competition) -> bool:
    """Drafts: the organiser only. Later stages: anyone signed in; published: everyone."""
    if competition.status == Status.PUBLISHED:
        return True
    if competition.status == Status.DRAFT:
        return can_organise(user, competition)
    return acting_pk(user) is not None


def can_see_results(user: AnyUser, competition: Competition) -> bool:
    """Published results are public; before that, the organiser's to check and approve."""
    return competition.status == Status.PUBLISHED or can_organise(user, competition)


def chairs_panel(user: AnyUser, contestant: Contestant) -> bool:
    """Whether the person chairs the panel of this contestant's subject."""
    pk = acting_pk(user)
    return (
        pk is not None
        and Juror.objects.filter(subject_id=contestant.subject_id, user_id=pk, chair=True).exists()
    )
