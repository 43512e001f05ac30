"""Unit logins (C53 Art. 18.1) and the one room manager (Art. 18.2)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import IntegrityError
from django.test import RequestFactory

from rooms.errors import ManagerConflict
from rooms.models import Room
from rooms.services.accounts import (
    PASSWORD_ALPHABET,
    generate_password,
    room_account_reset,
    room_manager_assign,
    rooms_allocate,
)
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_room_gets_a_login_whose_password_is_stored_hashed(directory: None) -> None:
    credentials = {c.room.slug: c for c in rooms_allocate()}
    hanoi = credentials["hanoi"]
    account = Room.objects.get(slug="hanoi").account
    assert account is not None and account.username == hanoi.username == "hanoi"
    assert hanoi.password not in account.password  # only the hash is stored
    assert account.check_password(hanoi.password)
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="hanoi", password=hanoi.password) == account
    assert authenticate(request, username="hanoi", password="sai-mat-khau") is None


def test_generated_passwords_are_long_and_unambiguous() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(PASSWORD_ALPHABET)
        assert not set("0O1lI") & set(password)


def test_an_administrator_resets_the_password(directory: None) -> None:
    rooms_allocate()
    room = Room.objects.get(slug="hanoi")
    fresh = room_account_reset(room=room)
    room.refresh_from_db()
    assert room.account is not None and room.account.check_password(fresh.password)


def test_a_username_already_taken_by_a_person_is_not_stolen(directory: None) -> None:
    person = UserFactory.create(username="hanoi")
    rooms_allocate()
    account = Room.objects.get(slug="hanoi").account
    assert account is not None and account != person
    assert account.username == "hanoi-phong"


def test_a_room_has_one_manager_and_a_manager_one_room() -> None:
    first, second = (Room.objects.create(unit=UnitFactory.create(), slug=s) for s in ("a", "b"))
    lan, minh = UserFactory.create(), UserFactory.create()
    room_manager_assign(room=first, user=lan)
    room_manager_assign(room=first, user=minh)  # replaces, never adds
    first.refresh_from_db()
    assert first.manager == minh
    with pytest.raises(ManagerConflict):
        room_manager_assign(room=second, user=minh)
    with pytest.raises(IntegrityError):
        Room.objects.filter(pk=second.pk).update(manager=minh)


def test_a_production_start_lists_new_logins_without_their_passwords(directory: None) -> None:
    """Issue 12: each start printed newly allocated unit passwords into the container log."""
    out = StringIO()
    call_command("allocate_rooms", no_passwords=True, stdout=out)
    account = Room.objects.get(slug="hanoi").account
    assert account is not None and account.has_usable_password()
    lines = out.getvalue().splitlines()
    assert any(line.split("\t")[-1] == "hanoi" for line in lines)
    assert all(len(line.split("\t")) <= 2 for line in lines)
    assert "meet reset_room_password SLUG" in lines[-2]


def test_the_interactive_command_still_shows_each_new_password_once(directory: None) -> None:
    out = StringIO()
    call_command("allocate_rooms", stdout=out)
    row = next(line.split("\t") for line in out.getvalue().splitlines() if "\thanoi\t" in line)
    account = Room.objects.get(slug="hanoi").account
    assert account is not None and account.check_password(row[2])
