"""Issue 10, row 3: the guests' password is throttled before it is hashed."""

from __future__ import annotations

from typing import Any, ClassVar, cast

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.test import Client

from rooms.models import Room
from signaling.models import LiveRoomSettings
from signaling.services.settings import live_settings_save
from tests.factories import RoomFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "bí-mật-123"


class CountingHasher(MD5PasswordHasher):
    """A real hasher that counts how many passwords it checked."""

    verified: ClassVar[int] = 0

    def verify(self, password: str, encoded: str) -> bool:
        CountingHasher.verified += 1
        return super().verify(password, encoded)


@pytest.fixture
def counted(settings) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.verified = 0
    return CountingHasher


@pytest.fixture
def locked_room(counted: type[CountingHasher]) -> Room:
    room = cast(Room, RoomFactory(guest_access=True))
    live_settings_save(room=room, lobby_enabled=False, guest_password=PASSWORD)
    return room


def try_password(room: Room, password: str, address: str = "203.0.113.9") -> Any:
    return Client().post(
        f"/{room.slug}/live/", {"name": "Khách", "password": password}, REMOTE_ADDR=address
    )


def test_tries_beyond_the_limit_are_refused_without_a_hash(
    locked_room: Room, counted: type[CountingHasher], settings
) -> None:
    """Issue 10, row 3: 12 wrong tries met no lockout, and every try cost a hash."""
    settings.MEET_LIVE_ABUSE_RATES = {"guest_password_address": (600.0, 3)}
    for _ in range(3):
        page = try_password(locked_room, "sai")
        assert page.status_code == 200 and "Mật khẩu không đúng." in page.content.decode()
    assert counted.verified == 3
    for password in ("sai", PASSWORD):  # even the right password waits out the lockout
        page = try_password(locked_room, password)
        assert page.status_code == 429
        assert "Bạn đã thử mật khẩu quá nhiều lần. Hãy thử lại sau" in page.content.decode()
        assert "khoảng 10 phút" in page.content.decode()
    assert counted.verified == 3  # the refused tries cost no hash
    assert try_password(locked_room, PASSWORD, address="198.51.100.7").status_code == 302


def test_the_room_has_a_limit_of_its_own_across_addresses(
    locked_room: Room, counted: type[CountingHasher], settings
) -> None:
    """Issue 10, row 3: spreading tries over many addresses does not buy more hashes."""
    settings.MEET_LIVE_ABUSE_RATES = {"guest_password_room": (600.0, 4)}
    for number in range(4):
        assert try_password(locked_room, "sai", address=f"192.0.2.{number}").status_code == 200
    assert try_password(locked_room, PASSWORD, address="192.0.2.200").status_code == 429
    assert counted.verified == 4
    other = cast(Room, RoomFactory(guest_access=True))
    live_settings_save(room=other, lobby_enabled=False, guest_password=PASSWORD)
    assert try_password(other, PASSWORD, address="192.0.2.200").status_code == 302


def test_a_new_guests_password_has_at_least_eight_characters(db: None) -> None:
    """Issue 10, row 3: a four-character guests' password was accepted."""
    manager = cast(User, UserFactory())
    room = cast(Room, RoomFactory(guest_access=True, manager=manager))
    client = Client()
    client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    answer = client.post(f"/{room.slug}/live/settings", {"guest_password": "1234567"}, follow=True)
    assert "cần ít nhất 8 ký tự" in answer.content.decode()
    assert not LiveRoomSettings.objects.filter(room=room).exclude(guest_password="").exists()
    client.post(f"/{room.slug}/live/settings", {"guest_password": "12345678"})
    assert LiveRoomSettings.objects.get(room=room).guest_password


def test_an_ipv6_network_shares_one_bucket(
    locked_room: Room, counted: type[CountingHasher], settings
) -> None:
    """Issue 10, row 3: the 2^64 addresses of one IPv6 network are one address for the limit."""
    settings.MEET_LIVE_ABUSE_RATES = {"guest_password_address": (600.0, 2)}
    assert try_password(locked_room, "sai", address="2001:db8:1:2::1").status_code == 200
    assert try_password(locked_room, "sai", address="2001:db8:1:2::2").status_code == 200
    assert try_password(locked_room, "sai", address="2001:db8:1:2:ffff::9").status_code == 429
    assert try_password(locked_room, "sai", address="2001:db8:1:3::1").status_code == 200
