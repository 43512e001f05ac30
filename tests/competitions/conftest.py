"""A small province for competitions: a department, two district offices, three schools.

Built directly (not the demo's 34 provinces) so each test starts in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import cast

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from competitions.models import Competition, Juror, Subject
from competitions.services.setup import CompetitionInput, competition_create, juror_add
from rooms.models import Level, Province, Room, Unit, UnitKind
from tests.factories import UserFactory


@dataclass
class World:
    """Who is who in the province of the tests."""

    department: Unit
    schools: dict[str, Unit]
    rooms: dict[str, Room]
    organiser: User
    school_logins: dict[str, User]
    jurors: dict[str, User]
    stranger: User


def _unit(code: str, kind: str, name: str, slug: str, province: Province, **more: object) -> Unit:
    return Unit.objects.create(
        code=code, kind=kind, name=name, slug=slug, province=province, **more
    )


def _person(username: str, **names: str) -> User:
    return cast(User, UserFactory(username=username, **names))


def _room(unit: Unit, **people: User) -> Room:
    return Room.objects.create(unit=unit, slug=unit.slug, **people)


@pytest.fixture
def world(db: None) -> World:
    hanoi = Province.objects.create(code=1, name="Hà Nội", slug="hanoi")
    danang = Province.objects.create(code=48, name="Đà Nẵng", slug="danang")
    department = _unit("SO01", UnitKind.DEPARTMENT, "Sở Giáo dục và Đào tạo Hà Nội", "hanoi", hanoi)
    organiser = _person("quanly.hanoi", first_name="Lan", last_name="Nguyễn Thị")
    rooms = {"hanoi": _room(department, manager=organiser)}
    for code, slug, name in (
        ("HN-BADINH", "badinh", "Phòng Giáo dục và Đào tạo quận Ba Đình"),
        ("HN-HOANKIEM", "hoankiem", "Phòng Giáo dục và Đào tạo quận Hoàn Kiếm"),
    ):
        rooms[slug] = _room(_unit(code, UnitKind.DISTRICT, name, slug, hanoi, parent=department))
    schools: dict[str, Unit] = {}
    logins: dict[str, User] = {}
    for key, level, name, province in (
        ("tranphu", Level.C3, "Trường THPT Trần Phú", hanoi),
        ("giangvo", Level.C2, "Trường THCS Giảng Võ", hanoi),
        ("nghiatan", Level.C1, "Trường Tiểu học Nghĩa Tân", hanoi),
        ("lequydon", Level.C3, "Trường THPT Lê Quý Đôn", danang),
    ):
        slug = f"{level.lower()}{key}-{province.slug}"
        schools[key] = _unit(f"S-{key}", UnitKind.SCHOOL, name, slug, province, level=level)
        logins[key] = _person(slug)
        rooms[key] = _room(schools[key], account=logins[key])
    jurors = {
        "so": _person("gk.so", first_name="Hùng", last_name="Phạm"),
        "badinh": _person("gk.badinh", first_name="Mai", last_name="Đỗ"),
        "tranphu": _person("gk.tranphu", first_name="Tuấn", last_name="Vũ"),
    }
    return World(
        department=department,
        schools=schools,
        rooms=rooms,
        organiser=organiser,
        school_logins=logins,
        jurors=jurors,
        stranger=_person("nguoila"),
    )


def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=(7 - today.weekday()) or 7)


def competition_input(world: World, **changes: object) -> CompetitionInput:
    values: dict[str, object] = {
        "organiser": world.department,
        "name": "Thi giáo viên dạy giỏi cấp tỉnh 2026",
        "level": "province",
        "school_level": "",
        "rounds": "Vòng 1: thuyết trình biện pháp\nVòng 2: dạy minh họa",
        "first_day": next_monday(),
        "last_day": next_monday() + timedelta(days=1),
        "day_start": time(7, 30),
        "day_end": time(11, 30),
        "slot_minutes": 45,
        "buffer_minutes": 15,
        "aggregation": "mean",
        "subjects": ["Toán", "Ngữ văn"],
        "rooms": [world.rooms["badinh"], world.rooms["hoankiem"]],
    }
    values.update(changes)
    return CompetitionInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def competition(world: World) -> Competition:
    """A draft competition of the department, with the default rubric."""
    return competition_create(data=competition_input(world), by=world.organiser)


def seat_panel(world: World, subject: Subject) -> list[Juror]:
    """Three jurors from three units; the department's chairs."""
    return [
        juror_add(subject=subject, user=world.jurors["so"], unit=world.department, chair=True),
        juror_add(
            subject=subject,
            user=world.jurors["badinh"],
            unit=world.rooms["badinh"].unit,  # type: ignore[arg-type]
            chair=False,
        ),
        juror_add(
            subject=subject,
            user=world.jurors["tranphu"],
            unit=world.schools["tranphu"],
            chair=False,
        ),
    ]
