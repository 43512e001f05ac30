"""Each role against each page and endpoint (C53 Art. 18: a manager manages only their room)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from rooms.models import MemberRole, Room, RoomMembership
from rooms.permissions import SYSTEM_ADMIN_GROUP, Role, role_in_room
from rooms.services.accounts import rooms_allocate
from rooms.services.directory import provinces_load, units_import
from tests.conftest import module_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["public", "participant", "other_manager", "manager", "unit_login", "admin", "it_group"]


@dataclass
class World:
    users: dict[str, User | None]


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module's 155 tests (their POSTs and sessions roll back)."""
    with module_data(django_db_blocker):
        yield _world()


def _world() -> World:
    provinces_load()
    units_import(text="code,kind,name,province\nHN-BD,district,Quận Ba Đình,Hà Nội\n")
    rooms_allocate()
    hanoi, badinh = Room.objects.get(slug="hanoi"), Room.objects.get(slug="badinh")
    manager, other, teacher = UserFactory.create(), UserFactory.create(), UserFactory.create()
    hanoi.manager, badinh.manager = manager, other
    hanoi.save()
    badinh.save()
    RoomMembership.objects.create(room=hanoi, user=teacher, role=MemberRole.PARTICIPANT)
    it_person = UserFactory.create()
    it_person.groups.add(Group.objects.create(name=SYSTEM_ADMIN_GROUP))
    return World(
        users={
            "public": None,
            "participant": teacher,
            "other_manager": other,
            "manager": manager,
            "unit_login": hanoi.account,
            "admin": UserFactory.create(is_superuser=True, is_staff=True),
            "it_group": it_person,
        }
    )


def client_as(world: World, role: str) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


ANYONE = dict.fromkeys(ROLES, 200)
MANAGERS_ONLY = {
    "public": 302,
    "participant": 403,
    "other_manager": 403,
    "manager": 200,
    "unit_login": 200,
    "admin": 200,
    "it_group": 200,
}
SIGNED_IN = {**dict.fromkeys(ROLES, 200), "public": 302}
STAFF = {**dict.fromkeys(ROLES, 302), "admin": 200}

PAGES = [
    ("/", ANYONE),
    ("/hanoi", ANYONE),
    ("/badinh", ANYONE),
    ("/hanoi/equipment/", MANAGERS_ONLY),
    ("/hanoi/selftest/", MANAGERS_ONLY),
    ("/sites/", SIGNED_IN),
    ("/admin/", STAFF),
    ("/nowhere", dict.fromkeys(ROLES, 404)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "expected"), PAGES, ids=[p for p, _ in PAGES])
def test_pages(world: World, role: str, path: str, expected: dict[str, int]) -> None:
    assert client_as(world, role).get(path).status_code == expected[role]


API_ANYONE = dict.fromkeys(ROLES, 200)
API_SIGNED_IN = {**dict.fromkeys(ROLES, 200), "public": 403}
API_MANAGERS = {**MANAGERS_ONLY, "public": 403}
API_MANAGERS_CREATE = {role: 201 if code == 200 else code for role, code in API_MANAGERS.items()}

ENDPOINTS = [
    ("get", "/api/units/", None, API_ANYONE),
    ("get", "/api/units/hanoi/", None, API_ANYONE),
    ("get", "/api/rooms/", None, API_ANYONE),
    ("get", "/api/rooms/hanoi/", None, API_ANYONE),
    ("get", "/api/sites/", None, API_SIGNED_IN),
    ("get", "/api/sites/hanoi/", None, API_MANAGERS),
    ("get", "/api/sites/hanoi/equipment/", None, API_MANAGERS),
    (
        "post",
        "/api/sites/hanoi/equipment/",
        {"kind": "projector", "quantity": 1, "status": "working"},
        API_MANAGERS_CREATE,
    ),
    ("get", "/api/sites/hanoi/device-tests/", None, API_MANAGERS),
    (
        "post",
        "/api/sites/hanoi/device-tests/",
        {"camera_ok": True, "microphone_ok": True, "speakers_ok": False},
        API_MANAGERS_CREATE,
    ),
    ("get", "/api/selftest/ping", None, API_SIGNED_IN),
    ("get", "/healthz", None, API_ANYONE),
    ("get", "/api/schema/", None, API_ANYONE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    ENDPOINTS,
    ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS],
)
def test_endpoints(
    world: World, role: str, method: str, path: str, body: dict | None, expected: dict[str, int]
) -> None:
    client = client_as(world, role)
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, body, content_type="application/json")
    assert response.status_code == expected[role], response.content[:300]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("public", Role.PUBLIC),
        ("participant", Role.PARTICIPANT),
        ("other_manager", Role.PUBLIC),
        ("manager", Role.MANAGER),
        ("unit_login", Role.MANAGER),
        ("admin", Role.ADMIN),
        ("it_group", Role.ADMIN),
    ],
)
def test_role_in_room(world: World, role: str, expected: Role) -> None:
    from django.contrib.auth.models import AnonymousUser

    user = world.users[role] or AnonymousUser()
    assert role_in_room(user, Room.objects.get(slug="hanoi")) == expected


def test_sites_overview_shows_each_person_what_they_manage(world: World) -> None:
    def listed(role: str) -> int:
        return client_as(world, role).get("/api/sites/").json()["count"]

    assert listed("admin") == listed("it_group") == 35  # 34 departments + Ba Đình
    assert listed("manager") == listed("unit_login") == listed("other_manager") == 1
    assert listed("participant") == 0
    hanoi_only = client_as(world, "admin").get("/api/sites/?province=hanoi").json()["results"]
    assert sorted(site["unit"] for site in hanoi_only) == ["badinh", "hanoi"]
