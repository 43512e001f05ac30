"""The pages that list contestants read the database a fixed number of times, however many
teachers register (the style's rule: query counts pinned on list pages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions.models import Competition
from competitions.services.setup import registration_close, registration_open
from competitions.services.timetable import timetable_generate
from tests.clients import signed_in
from tests.competitions.conftest import World, seat_panel
from tests.competitions.test_services import register

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("tranphu", "Trần Văn Minh"),
    ("giangvo", "Lê Thị Hoa"),
    ("nghiatan", "Vũ Hải Yến"),
    ("tranphu", "Phạm Thu Trang"),
    ("giangvo", "Bùi Minh Đức"),
    ("nghiatan", "Đỗ Quốc Bảo"),
]


def _queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_list_pages_read_the_same_whatever_the_number_of_teachers(
    world: World, competition: Competition
) -> None:
    registration_open(competition=competition)
    for school, name in PEOPLE[:3]:
        register(world, competition, school, name)
    organiser = signed_in(world.organiser)
    pages = ["contestants", "timetable", "results", "jury"]
    juror = signed_in(world.jurors["so"])

    def visit(name: str) -> None:
        client = juror if name == "jury" else organiser
        assert client.get(reverse(f"competitions:{name}", args=[competition.pk])).status_code == 200

    def counts() -> list[int]:
        return [_queries(partial(visit, name)) for name in pages]

    registration_close(competition=competition)
    timetable_generate(competition=competition)
    seat_panel(world, competition.subjects.get(name="Toán"))
    few = counts()
    # Back to registration for three more teachers (by hand: no step goes backwards).
    Competition.objects.filter(pk=competition.pk).update(status="open")
    competition.refresh_from_db()
    for school, name in PEOPLE[3:]:
        register(world, competition, school, name)
    Competition.objects.filter(pk=competition.pk).update(status="closed")
    timetable_generate(competition=competition)
    many = counts()
    assert many == few, dict(zip(pages, zip(few, many, strict=True), strict=True))
