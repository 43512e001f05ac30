"""Who sees a private session: one rule, asked the same way on every page, file and API.

The world: the Hà Nội department (manager, unit login, a host, a participant) with the
Hoàn Kiếm district office under it and the Trần Phú school under that, plus a school
room nobody manages yet (no manager, no unit login). Each room holds one private
session; Hà Nội also holds a public one. For each person the same titles must show on
every surface that lists them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from rooms.models import Level, MemberRole, Room, RoomMembership, Unit, UnitKind
from rooms.services.demo import demo_load
from scheduling.models import Occurrence, Session
from scheduling.services.sessions import SessionInput, session_schedule
from tests.conftest import module_data

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")

PUBLIC = "PUB-HANOI"
PRIVATE = {
    "c1moi-hanoi": "PRIV-ORPHAN",
    "hanoi": "PRIV-HANOI",
    "hoankiem": "PRIV-HOANKIEM",
    "c3tranphu-hanoi": "PRIV-SCHOOL",
}
EVERY = {PUBLIC, *PRIVATE.values()}
TITLE = re.compile(r"(?:PUB|PRIV)-[A-Z]+")

# Who sees what. The officers (manager, unit login) of a unit see its room's private
# sessions and those of the units below it: a department supervises its offices and
# schools (issue 10, row 8). A room's hosts and participants see their own room's.
EXPECTED: dict[str, set[str]] = {
    "anonymous": {PUBLIC},
    "stranger": {PUBLIC},
    "deactivated": {PUBLIC},
    "quanly.hanoi": {PUBLIC, "PRIV-HANOI", "PRIV-HOANKIEM", "PRIV-SCHOOL"},
    "hanoi": {PUBLIC, "PRIV-HANOI", "PRIV-HOANKIEM", "PRIV-SCHOOL"},
    "chutri": {PUBLIC, "PRIV-HANOI"},
    "giaovien1": {PUBLIC, "PRIV-HANOI"},
    "hoankiem": {PUBLIC, "PRIV-HOANKIEM", "PRIV-SCHOOL"},
    "c3tranphu-hanoi": {PUBLIC, "PRIV-SCHOOL"},
    "admin": EVERY,
}


def monday() -> datetime:
    today = timezone.localdate()
    day = today + timedelta(days=(7 - today.weekday()) or 7)
    return datetime(day.year, day.month, day.day, 8, tzinfo=HCM)


def _schedule(room: Room, title: str, *, public: bool, hour: int) -> Session:
    assert room.unit is not None
    start = monday().replace(hour=hour)
    return session_schedule(
        data=SessionInput(
            room=room,
            host_unit=room.unit,
            kind="briefing",
            title=title,
            description=f"{title} description",
            start=start,
            end=start + timedelta(hours=1),
            rule=None,
            public=public,
        )
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Session]]:
    """Built once for the module's tests (what they schedule rolls back)."""
    with module_data(django_db_blocker):
        yield _world()


def _world() -> dict[str, Session]:
    demo_load()
    hanoi = Room.objects.select_related("unit").get(slug="hanoi")
    assert hanoi.unit is not None
    orphan_unit = Unit.objects.create(
        code="HN-C1MOI",
        kind=UnitKind.SCHOOL,
        level=Level.C1,
        name="Trường Tiểu học Mới",
        slug="c1moi-hanoi",
        province=hanoi.unit.province,
    )
    Room.objects.create(slug="c1moi-hanoi", unit=orphan_unit)  # no manager, no unit login
    host = User.objects.create_user("chutri", "chutri@hanoi.edu.vn", "mat-khau-dai-123")
    RoomMembership.objects.create(room=hanoi, user=host, role=MemberRole.HOST)
    User.objects.create_user("nguoila", "nguoila@example.com", "mat-khau-dai-123")
    gone = User.objects.create_user("danghi", "danghi@hanoi.edu.vn", "mat-khau-dai-123")
    RoomMembership.objects.create(room=hanoi, user=gone, role=MemberRole.PARTICIPANT)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    sessions = {PUBLIC: _schedule(hanoi, PUBLIC, public=True, hour=7)}
    for hour, (slug, title) in enumerate(PRIVATE.items(), start=9):
        room = Room.objects.select_related("unit").get(slug=slug)
        sessions[title] = _schedule(room, title, public=False, hour=hour)
    return sessions


def client_of(who: str) -> Client:
    client = Client()
    username = {"stranger": "nguoila", "deactivated": "danghi"}.get(who, who)
    if who != "anonymous":
        user = User.objects.get(username=username)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def titles(body: str) -> set[str]:
    return set(TITLE.findall(body))


def _week() -> str:
    return monday().date().isoformat()


def seen_in_lists(client: Client) -> dict[str, set[str]]:
    """Every list that shows sessions, by name."""
    week = _week()
    api_range = {"from": week, "to": (monday().date() + timedelta(days=7)).isoformat()}
    seen = {
        "api sessions": titles(client.get("/api/sessions/").content.decode()),
        "api occurrences": titles(client.get("/api/occurrences/", api_range).content.decode()),
        "agenda": titles(
            client.get("/calendar/", {"province": "hanoi", "week": week}).content.decode()
        ),
    }
    for slug in ("hanoi", *PRIVATE):
        week_page = client.get(f"/{slug}/calendar/", {"week": week}).content.decode()
        month_page = client.get(f"/{slug}/calendar/month/", {"month": week[:7]}).content.decode()
        room_page = client.get(f"/{slug}").content.decode()
        seen[f"{slug} week"] = titles(week_page)
        seen[f"{slug} month"] = titles(month_page)
        seen[f"{slug} room page"] = titles(room_page)
    return seen


def in_scope(surface: str, title: str, sessions: dict[str, Session]) -> bool:
    """Whether a list covers the session at all (a room's calendar shows its own room)."""
    slug = surface.split(" ")[0]
    if surface.startswith(("api", "agenda")):
        return True
    return sessions[title].room.slug == slug


@pytest.mark.parametrize("who", list(EXPECTED))
def test_every_list_shows_exactly_the_sessions_the_rule_allows(
    world: dict[str, Session], who: str
) -> None:
    """Issue 10, row 1: anonymous users read private sessions through the API (a room
    without a manager or unit login matched ``manager_id = NULL``). Every list — the API's
    sessions and occurrences, the agenda, each room's week, month and page — shows a person
    the same sessions, and anonymous people and strangers only public ones."""
    seen = seen_in_lists(client_of(who))
    for surface, found in seen.items():
        expected = {t for t in EXPECTED[who] if in_scope(surface, t, world)}
        assert found == expected, (who, surface)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_every_single_session_answers_by_the_same_rule(world: dict[str, Session], who: str) -> None:
    """Issue 10, rows 1 and 8: a session's API record, its meetings' API records and its
    .ics answer alike — 200 for those the rule allows, 404 (not 403: nothing tells that
    it exists) for everyone else."""
    client = client_of(who)
    for title, session in world.items():
        occurrence = Occurrence.objects.get(session=session)
        answers = {
            "api session": client.get(f"/api/sessions/{session.uid}/").status_code,
            "api occurrence": client.get(f"/api/occurrences/{occurrence.pk}/").status_code,
            "ics": client.get(f"/calendar/sessions/{session.uid}.ics").status_code,
        }
        expected = 200 if title in EXPECTED[who] else 404
        assert answers == dict.fromkeys(answers, expected), (who, title)


def test_anonymous_reads_nothing_private_of_a_room_nobody_manages(
    world: dict[str, Session],
) -> None:
    """Issue 10, row 1: the exact reproduction — neither the title nor the description of
    a private session in a room without manager or unit login reaches an anonymous user."""
    client = Client()
    session = world["PRIV-ORPHAN"]
    listed = client.get("/api/sessions/").content.decode()
    week = {"from": _week(), "to": (monday().date() + timedelta(days=7)).isoformat()}
    occurrences = client.get("/api/occurrences/", {**week, "room": "c1moi-hanoi"}).json()
    assert "PRIV-ORPHAN" not in listed
    assert occurrences["count"] == 0
    assert client.get(f"/api/sessions/{session.uid}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("hanoi", {PUBLIC, "PRIV-HANOI", "PRIV-HOANKIEM"}),
        ("quanly.hanoi", {PUBLIC, "PRIV-HANOI", "PRIV-HOANKIEM"}),
        ("hoankiem", {PUBLIC, "PRIV-HOANKIEM"}),
        ("chutri", {PUBLIC, "PRIV-HANOI"}),
        ("stranger", {PUBLIC}),
        ("anonymous", {PUBLIC}),
    ],
)
def test_the_unit_calendar_and_the_ics_agree(
    world: dict[str, Session], who: str, shown: set[str]
) -> None:
    """Issue 10, row 8: ``/hanoi/calendar/?scope=unit`` showed the Hoàn Kiếm office's
    private session to Hà Nội's unit login while its .ics answered 404. The department
    supervises the units under it, so both now answer yes for its officers, and both no
    for everyone else (a host of the department's room, the office's own login for its
    parent's sessions, strangers)."""
    client = client_of(who)
    for scope in ("unit", "room"):
        page = client.get("/hanoi/calendar/", {"scope": scope, "week": _week()}).content.decode()
        month = client.get(
            "/hanoi/calendar/month/", {"scope": scope, "month": _week()[:7]}
        ).content.decode()
        expected = shown if scope == "unit" else {t for t in shown if t in {PUBLIC, "PRIV-HANOI"}}
        assert titles(page) == titles(month) == expected, (who, scope)
    for title in titles(
        client.get("/hanoi/calendar/", {"scope": "unit", "week": _week()}).content.decode()
    ):
        assert client.get(f"/calendar/sessions/{world[title].uid}.ics").status_code == 200
    for title in {PUBLIC, "PRIV-HANOI", "PRIV-HOANKIEM"} - shown:
        assert client.get(f"/calendar/sessions/{world[title].uid}.ics").status_code == 404


def test_a_room_api_query_by_unit_follows_the_rule(world: dict[str, Session]) -> None:
    """Issue 10, rows 1 and 8: ``/api/occurrences/?unit=hanoi`` (the unit and its
    sub-units) answers like the unit calendar: the department's login sees its office's
    private meeting, a stranger sees only the public one."""
    week = {"from": _week(), "to": (monday().date() + timedelta(days=7)).isoformat()}
    for who, expected in (
        ("hanoi", {PUBLIC, "PRIV-HANOI", "PRIV-HOANKIEM"}),
        ("stranger", {PUBLIC}),
        ("anonymous", {PUBLIC}),
    ):
        body: Any = client_of(who).get("/api/occurrences/", {**week, "unit": "hanoi"}).json()
        assert {row["title"] for row in body["results"]} == expected, who


@pytest.mark.parametrize("who", ["anonymous", "stranger", "quanly.hanoi", "admin"])
def test_the_rule_costs_no_query_per_row(world: dict[str, Session], who: str) -> None:
    """The rule is subqueries inside the list's own query: the number of queries of the
    API lists and the unit calendar does not grow with the sessions listed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_of(who)
    week = {"from": _week(), "to": (monday().date() + timedelta(days=7)).isoformat()}
    paths = [
        ("/api/sessions/", {}),
        ("/api/occurrences/", week),
        ("/hanoi/calendar/", {"scope": "unit", "week": _week()}),
    ]

    def counts() -> list[int]:
        found = []
        for path, params in paths:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path, params).status_code == 200
            found.append(len(queries))
        return found

    before = counts()
    hoankiem = Room.objects.select_related("unit").get(slug="hoankiem")
    for hour in range(13, 18):
        _schedule(hoankiem, f"PRIV-MORE{hour}", public=False, hour=hour)
    assert counts() == before
    assert max(before[:2]) <= 6  # session, user, groups, count, rows
