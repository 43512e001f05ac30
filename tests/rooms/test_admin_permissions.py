"""The admin's own pages and actions take the model permissions, not staff status alone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms.models import Room, Unit
from rooms.services.demo import demo_load

pytestmark = pytest.mark.django_db

CSV = "code,kind,level,name,province\nX,school,C2,Trường THCS Thành Công,hanoi\n".encode()


@pytest.fixture
def demo(db: None) -> None:
    demo_load()


def staff(*perms: str) -> Client:
    """A signed-in staff member holding exactly these ``rooms`` permissions."""
    name = "staff-" + ("-".join(perms) or "none")
    user = User.objects.create_user(name, password="mat-khau-dai-123")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="rooms", codename__in=perms)
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_importing_units_needs_the_add_and_change_permissions(demo: None) -> None:
    """Issue 10: the admin unit import checked staff status, not the add/change permission
    on Unit. A staff member without them gets 403 and nothing is imported; with them the
    import works."""
    for perms in ((), ("view_unit",), ("view_unit", "add_unit"), ("view_unit", "change_unit")):
        client = staff(*perms)
        assert client.get("/admin/rooms/unit/import/").status_code == 403, perms
        upload = SimpleUploadedFile("u.csv", CSV)
        assert client.post("/admin/rooms/unit/import/", {"file": upload}).status_code == 403
        assert not Unit.objects.filter(code="X").exists()
    allowed = staff("view_unit", "add_unit", "change_unit")
    assert allowed.get("/admin/rooms/unit/import/").status_code == 200
    allowed.post("/admin/rooms/unit/import/", {"file": SimpleUploadedFile("u.csv", CSV)})
    assert Unit.objects.get(code="X").slug == "c2thanhcong-hanoi"


def test_the_import_link_shows_only_to_those_who_may_import(demo: None) -> None:
    """Issue 10: the unit list offers the import only with the add and change permissions."""
    viewer = staff("view_unit").get("/admin/rooms/unit/").content.decode()
    editor = staff("view_unit", "add_unit", "change_unit").get("/admin/rooms/unit/")
    assert "/admin/rooms/unit/import/" not in viewer
    assert "/admin/rooms/unit/import/" in editor.content.decode()


def test_allocating_rooms_needs_the_add_room_permission(demo: None) -> None:
    """Issue 10 (same fault): any staff member who could list units could allocate rooms
    and read their new unit logins' passwords; allocating takes ``rooms.add_room``."""
    school = Unit.objects.get(code="HN-C2GIANGVO")
    action = {"action": "allocate_rooms", "_selected_action": [school.pk]}
    staff("view_unit", "change_unit").post("/admin/rooms/unit/", action)
    assert not Room.objects.filter(unit=school).exists()
    page = staff("view_unit", "add_room").post("/admin/rooms/unit/", action).content.decode()
    assert Room.objects.filter(unit=school).exists()
    assert "<code>" in page  # the new login's password, shown once


def test_resetting_a_unit_login_password_needs_the_change_room_permission(demo: None) -> None:
    """Issue 10 (same fault): a staff member who may only view rooms cannot reset a unit
    login's password."""
    room = Room.objects.select_related("account").get(slug="badinh")
    assert room.account is not None
    before = room.account.password
    action = {"action": "reset_passwords", "_selected_action": [room.pk]}
    staff("view_room").post("/admin/rooms/room/", action)
    room.account.refresh_from_db()
    assert room.account.password == before
    staff("view_room", "change_room").post("/admin/rooms/room/", action)
    room.account.refresh_from_db()
    assert room.account.password != before
