"""Inviting people by name: the answer never tells whether an account exists, a scheduler
may look up only so many names, and a refused name leaves nothing half-saved."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from rooms.services.demo import demo_load
from scheduling.models import PersonInvitation, Session
from tests.clients import as_user as signed_in

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def hanoi(db: None) -> None:
    demo_load()
    User.objects.create_user("nghiviec", "nghiviec@hanoi.edu.vn", "mat-khau-dai-123")
    User.objects.filter(username="nghiviec").update(is_active=False)


def day() -> str:
    today = timezone.localdate()
    return (today + timedelta(days=(7 - today.weekday()) or 7)).isoformat()


def form(people: str, title: str = "Tập huấn", hour: int = 14) -> dict[str, str]:
    return {
        "title": title,
        "kind": "training",
        "day": day(),
        "start_time": f"{hour}:00",
        "end_time": f"{hour + 1}:30",
        "repeat": "none",
        "invite_people": people,
    }


def api_body(people: list[str], hour: int = 14) -> dict[str, object]:
    start = datetime.fromisoformat(day()).replace(hour=hour, tzinfo=HCM)
    return {
        "kind": "training",
        "title": "Tập huấn qua API",
        "room": "hanoi",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "people": people,
    }


def test_the_page_answers_alike_for_unknown_and_inactive_people(hanoi: None) -> None:
    """Issue 10: ``people_invite`` told a scheduler whether a user name or e-mail exists
    (and an inactive invitee was a 500 after the session was saved). An unknown name, an
    unknown address and a deactivated account now get the same words, nothing is saved."""
    client = signed_in("quanly.hanoi")
    answers = []
    for name in ("khongco", "khongco@hanoi.edu.vn", "nghiviec", "nghiviec@hanoi.edu.vn"):
        response = client.post("/hanoi/sessions/new/", form(f"giaovien1, {name}"))
        assert response.status_code == 200, name
        answers.append(CSRF.sub("", response.content.decode()).replace(name, "NAME"))
    assert len(set(answers)) == 1
    assert "NAME" in answers[0]
    assert not Session.objects.filter(title="Tập huấn").exists()
    assert not PersonInvitation.objects.exists()


def test_an_inactive_invitee_on_edit_is_a_form_error_and_nothing_changes(hanoi: None) -> None:
    """Issue 10: inviting an inactive person when changing a session was a 500."""
    client = signed_in("quanly.hanoi")
    assert client.post("/hanoi/sessions/new/", form("giaovien1")).status_code == 302
    session = Session.objects.get(title="Tập huấn")
    edit = form("giaovien2, nghiviec", title="Tập huấn đổi tên")
    response = client.post(f"/hanoi/sessions/{session.uid}/edit/", edit)
    assert response.status_code == 200
    assert "nghiviec" in response.content.decode()
    session.refresh_from_db()
    assert session.title == "Tập huấn"
    assert set(session.people.values_list("user__username", flat=True)) == {"giaovien1"}


def test_the_api_answers_alike_for_unknown_and_inactive_people(hanoi: None) -> None:
    """Issue 10: the API refuses an unknown and a deactivated name in the same words,
    with a 400 on ``people``, and saves no session."""
    client = signed_in("quanly.hanoi")
    bodies = []
    for name in ("khongco", "nghiviec"):
        response = client.post(
            "/api/sessions/", api_body(["giaovien1", name]), content_type="application/json"
        )
        assert response.status_code == 400, response.content
        bodies.append(response.json()["people"].replace(name, "NAME"))
    assert bodies[0] == bodies[1]
    assert not Session.objects.exists()
    ok = client.post("/api/sessions/", api_body(["giaovien1"]), content_type="application/json")
    assert ok.status_code == 201


def test_looking_up_names_is_limited_per_scheduler(hanoi: None, settings: object) -> None:
    """Issue 10: guessing who has an account costs a scheduler their allowance of names
    (``MEET_INVITE_LOOKUP_RATE``); another scheduler keeps theirs."""
    settings.MEET_INVITE_LOOKUP_RATE = (3600.0, 3)  # type: ignore[attr-defined]
    client = signed_in("quanly.hanoi")
    first = client.post(
        "/api/sessions/", api_body(["giaovien1", "giaovien2"]), content_type="application/json"
    )
    assert first.status_code == 201
    more = client.post(
        "/api/sessions/", api_body(["khongco", "x@y.vn"], hour=17), content_type="application/json"
    )
    assert more.status_code == 429
    assert int(more["Retry-After"]) > 0
    page = client.post("/hanoi/sessions/new/", form("giaovien1", title="Lần nữa", hour=20))
    assert page.status_code == 200 and not Session.objects.filter(title="Lần nữa").exists()
    assert "phút" in page.content.decode()  # "try again in N minutes", in Vietnamese
    other = signed_in("hanoi")  # the unit login schedules in the same room
    assert (
        other.post(
            "/api/sessions/", api_body(["giaovien1"], hour=19), content_type="application/json"
        ).status_code
        == 201
    )
