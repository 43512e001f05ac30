"""Permission filters never compare a missing id: anonymous people, deactivated accounts
and unsaved users match no room, least of all a room with no manager and no unit login."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User

from rooms.models import Room, Site, Unit, UnitKind
from rooms.permissions import AnyUser, Role, acting_pk, can_manage_room, role_in_room
from rooms.selectors import (
    room_managed_by,
    rooms_belonging_to,
    rooms_managed_by,
    rooms_with_private_calendar_for,
    sites_visible_to,
)

pytestmark = pytest.mark.django_db


def _nobodies() -> list[AnyUser]:
    gone = User.objects.create_user("danghi", password="mat-khau-dai-123", is_active=False)
    return [AnonymousUser(), gone, User(username="chualuu")]  # the last is never saved


@pytest.fixture
def orphan(db: None) -> Room:
    """A room with neither manager nor unit login, with a meeting site."""
    unit = Unit.objects.create(code="X", kind=UnitKind.DISTRICT, name="Phòng X", slug="phongx")
    Site.objects.create(unit=unit)
    return Room.objects.create(slug="phongx", unit=unit)


def test_nobody_manages_a_room_that_has_no_manager(orphan: Room) -> None:
    """Issue 10, row 1 (audit of ``user.pk`` comparisons): ``None in (None, None)`` is
    True, so an unsaved user object "managed" every room without manager or unit login."""
    for nobody in _nobodies():
        assert acting_pk(nobody) is None
        assert not can_manage_room(nobody, orphan), nobody
        assert role_in_room(nobody, orphan) == Role.PUBLIC, nobody


def test_no_selector_gives_nobody_a_room(orphan: Room) -> None:
    """Issue 10, row 1 (audit): every selector built on a person's id gives anonymous,
    deactivated and unsaved users nothing, even with rooms that have no manager."""
    for nobody in _nobodies():
        assert room_managed_by(nobody) is None
        for rooms in (
            rooms_managed_by(nobody),
            rooms_belonging_to(nobody),
            rooms_with_private_calendar_for(nobody),
        ):
            assert list(rooms) == [], nobody
        assert list(sites_visible_to(nobody)) == [], nobody


def test_the_manager_still_manages(orphan: Room) -> None:
    """The same functions still answer yes for the room's own manager."""
    manager = User.objects.create_user("quanly", password="mat-khau-dai-123")
    orphan.manager = manager
    orphan.save(update_fields=["manager"])
    assert can_manage_room(manager, orphan)
    assert list(rooms_managed_by(manager)) == [orphan]
    assert list(rooms_with_private_calendar_for(manager)) == [orphan]
    assert [s.unit_id for s in sites_visible_to(manager)] == [orphan.unit_id]
