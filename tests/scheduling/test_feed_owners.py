"""Private feeds live only as long as their owner: a person's while they are active, a
unit's while the officer it was handed to still manages the unit's room."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rooms.models import Room
from rooms.services.demo import demo_load
from tests.clients import as_user as signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.get(slug="hanoi")


def feed_links(client: Client) -> dict[str, str]:
    """The agenda's private feed addresses: "person" and, for a unit officer, "unit"."""
    page = client.get("/calendar/").content.decode()
    links = re.findall(r"http://testserver(/calendar/feeds/[^<\s\"]+\.ics)", page)
    return dict(zip(("person", "unit"), links, strict=False))


def test_a_deactivated_persons_feed_answers_404(hanoi: Room) -> None:
    """Issue 10, row 7: a private calendar feed kept working after its user was
    deactivated."""
    person = feed_links(signed_in("giaovien1"))["person"]
    assert Client().get(person).status_code == 200
    User.objects.filter(username="giaovien1").update(is_active=False)
    assert Client().get(person).status_code == 404
    User.objects.filter(username="giaovien1").update(is_active=True)
    assert Client().get(person).status_code == 200  # reactivated: the same address again


def test_a_replaced_managers_unit_feed_answers_404(hanoi: Room) -> None:
    """Issue 10, row 7: a unit's feed survived a change of manager. The unit feed is
    handed to the officer who asks; when they stop managing the room, their copy stops."""
    old = feed_links(signed_in("quanly.hanoi"))["unit"]
    login = feed_links(signed_in("hanoi"))["unit"]  # the unit login's own copy
    assert old != login
    assert Client().get(old).status_code == 200
    successor = User.objects.create_user("quanly2.hanoi", "quanly2@hanoi.edu.vn", "x-y-z-123")
    hanoi.manager = successor
    hanoi.save(update_fields=["manager"])
    assert Client().get(old).status_code == 404
    assert Client().get(login).status_code == 200  # the unit login still manages the room
    new = feed_links(signed_in("quanly2.hanoi"))["unit"]
    assert new not in (old, login)
    assert Client().get(new).status_code == 200
    # The former manager keeps a person's feed but is no longer offered the unit's.
    assert set(feed_links(signed_in("quanly.hanoi"))) == {"person"}


def test_a_deactivated_officers_unit_feed_answers_404(hanoi: Room) -> None:
    """Issue 10, row 7: a unit feed handed to an officer who is then deactivated stops."""
    unit = feed_links(signed_in("quanly.hanoi"))["unit"]
    User.objects.filter(username="quanly.hanoi").update(is_active=False)
    assert Client().get(unit).status_code == 404


def test_renewing_a_unit_feed_keeps_the_other_officers_copy(hanoi: Room) -> None:
    """Each officer's copy of the unit feed is revoked on its own."""
    manager = signed_in("quanly.hanoi")
    old = feed_links(manager)["unit"]
    login = feed_links(signed_in("hanoi"))["unit"]
    manager.post("/calendar/feeds/renew/", {"scope": "unit"})
    assert Client().get(old).status_code == 404
    assert Client().get(login).status_code == 200
    assert Client().get(feed_links(manager)["unit"]).status_code == 200
