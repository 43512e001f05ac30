"""Years, months and days in addresses: out of range or malformed, never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rooms.services.demo import demo_load

pytestmark = pytest.mark.django_db

HOSTILE = [
    "9999",
    "9999-12",
    "9999-12-31",
    "0001-01-01",
    "2026-02-31",
    "2026-13-01",
    "2026-02-31T08:00",
    "-1",
    "0",
    "1" * 400,
    "٢٠٢٦-١٢-٠٧",
    "%",
]


@pytest.fixture
def manager(db: None) -> Client:
    demo_load()
    client = Client()
    client.force_login(
        User.objects.get(username="quanly.hanoi"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return client


@pytest.mark.parametrize(
    ("path", "name", "expected"),
    [
        ("/hanoi/report/", "year", {400}),
        ("/hanoi/calendar/", "week", {200}),
        ("/hanoi/calendar/month/", "month", {200}),
        ("/calendar/", "week", {200}),
        ("/api/occurrences/", "from", {400}),
        ("/api/occurrences/", "to", {400}),
        ("/api/attendance/", "occurrence", {404}),
    ],
)
def test_hostile_dates_get_a_clear_answer(
    manager: Client, path: str, name: str, expected: set[int]
) -> None:
    """Issue 10: ``/<slug>/report/?year=9999`` (and ``?week=2026-02-31``,
    ``?month=9999-12``, ``?from=9999-12-31`` …) were 500s. A report for a year it cannot
    show says so (400); a calendar shows this week; the API answers 400 on the field."""
    answers = {value: manager.get(path, {name: value}).status_code for value in HOSTILE}
    assert {value: code for value, code in answers.items() if code not in expected} == {}


def test_the_report_says_which_years_it_can_show(manager: Client) -> None:
    """Issue 10: the refused year comes with a sentence a teacher understands."""
    response = manager.get("/hanoi/report/", {"year": "9999"})
    assert response.status_code == 400
    assert "Hãy chọn một năm từ 2012 đến 2100" in response.content.decode()
    assert manager.get("/hanoi/report/", {"year": "2026"}).status_code == 200
    assert manager.get("/hanoi/report/").status_code == 200


def test_the_api_names_the_refused_field(manager: Client) -> None:
    """Issue 10: ``/api/occurrences/?from=9999-12-31`` was a 500 (a week later overflows)."""
    response = manager.get("/api/occurrences/", {"from": "9999-12-31"})
    assert response.status_code == 400
    assert "from" in response.json()
