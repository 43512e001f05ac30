"""Who gets into a live meeting over the socket: one connection per join token, removed
guests kept out, and the session, user and role read again at hello (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rooms.models import MemberRole, Room, RoomMembership
from signaling import consumers
from signaling.models import Participant, ParticipantState
from tests.factories import UserFactory
from tests.signaling.live import Live, db, guest_session, member_session, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def refused(live: Live) -> tuple[str, int]:
    """Open, say hello, and return (error code, close code)."""
    await live.open()
    answer = await live.hello()
    assert answer["type"] == "error", answer
    return answer["code"], await live.closed()


async def guest(room: Room, name: str, address: str) -> Live:
    session_key, key = await db(guest_session)(room, name)
    token = token_for(room, session_key=session_key, role="guest", name=name, guest_key=key)
    return Live(room, session_key=session_key, token=token, address=address)


# -- row 5: one token, one participant -------------------------------------------------------


async def test_a_join_token_opens_one_connection_only(
    connect: Callable[..., Any], room: Room
) -> None:
    """Issue 10, row 5: three sockets with one guest token became three participants."""
    first = await connect(role="guest", name="Khách")
    copies = [
        Live(room, session_key=first.session_key, token=first.token, address="192.0.2.9")
        for _ in range(2)
    ]
    for copy in copies:
        assert await refused(copy) == ("token_used", consumers.CLOSE_TOKEN)
    assert await db(Participant.objects.count)() == 1
    await first.send({"type": "ping"})
    assert (await first.expect("pong"))["type"] == "pong"  # the first keeps its place


# -- row 5: a removed guest stays out --------------------------------------------------------


async def remove(host: Live, target: Live) -> None:
    await host.send({"type": "mod.remove", "peer": target.peer})
    await target.expect("removed")
    assert await target.closed() == consumers.CLOSE_REFUSED


async def test_a_removed_guest_cannot_come_back_with_a_fresh_session(
    connect: Callable[..., Any], room: Room
) -> None:
    """Issue 10, row 5: a removed guest came back with a fresh browser session."""
    host = await connect(role="host")
    troll = await guest(room, "Phá Rối", "203.0.113.5")
    await troll.join()
    await remove(host, troll)
    again = await guest(room, "phá  rối", "203.0.113.5")  # new session, same name and address
    assert await refused(again) == ("removed", consumers.CLOSE_REFUSED)
    ipv6 = await guest(room, "Khách IPv6", "2001:db8:5:6::1")
    await ipv6.join()
    await remove(host, ipv6)
    moved = await guest(room, "Khách IPv6", "2001:db8:5:6::abcd")  # same /64 network
    assert await refused(moved) == ("removed", consumers.CLOSE_REFUSED)
    elsewhere = await guest(room, "Phá Rối", "198.51.100.20")  # a namesake elsewhere
    await elsewhere.join()
    await elsewhere.close()


async def test_an_address_whose_guests_were_removed_twice_gets_no_more_guests(
    connect: Callable[..., Any], room: Room, settings
) -> None:
    """Issue 10, row 5: changing the name does not help once an address was removed twice."""
    settings.MEET_LIVE_REMOVED_GUESTS_BAN_ADDRESS = 2
    host = await connect(role="host")
    for name in ("Một", "Hai"):
        troll = await guest(room, name, "203.0.113.5")
        await troll.join()
        await remove(host, troll)
    third = await guest(room, "Ba", "203.0.113.5")
    assert await refused(third) == ("removed", consumers.CLOSE_REFUSED)
    member = await connect(address="203.0.113.5")  # signed-in people are not kept out
    assert member.peer


# -- the token's session, user and role are read again at hello ----------------------------


def logout(session_key: str) -> None:
    client = Client()
    client.cookies["sessionid"] = session_key
    client.post("/accounts/logout/")


async def member_token(room: Room, user: User, role: str) -> tuple[str, str]:
    session_key = await db(member_session)(user)
    return session_key, token_for(room, session_key=session_key, role=role, name="X", user=user)


async def test_a_token_is_dead_once_its_session_signed_out(fresh_bus: None, room: Room) -> None:
    """Issue 10: a join token stayed valid for 120 s after logout, role frozen."""
    user = await db(UserFactory)()
    await db(RoomMembership.objects.create)(room=room, user=user, role=MemberRole.HOST)
    session_key, token = await member_token(room, user, "host")
    await db(logout)(session_key)
    live = Live(room, session_key=session_key, token=token)
    assert await refused(live) == ("wrong_session", consumers.CLOSE_TOKEN)


async def test_a_deactivated_user_cannot_use_a_token(fresh_bus: None, room: Room) -> None:
    """Issue 10: a token outlived its user's deactivation."""
    user = await db(UserFactory)()
    session_key, token = await member_token(room, user, "participant")
    user.is_active = False
    await db(user.save)()
    live = Live(room, session_key=session_key, token=token)
    assert await refused(live) == ("wrong_session", consumers.CLOSE_TOKEN)


async def test_the_role_is_read_again_when_the_socket_joins(fresh_bus: None, room: Room) -> None:
    """Issue 10: a host demoted after the token was issued joined as a host."""
    user = await db(UserFactory)()
    membership = await db(RoomMembership.objects.create)(room=room, user=user, role=MemberRole.HOST)
    session_key, token = await member_token(room, user, "host")
    membership.role = MemberRole.PARTICIPANT
    await db(membership.save)()
    live = Live(room, session_key=session_key, token=token)
    welcome = await live.join()
    assert welcome["you"]["role"] == "participant"
    row = await db(Participant.objects.get)(peer=live.peer)
    assert row.role == "participant"
    await live.close()


async def test_a_former_manager_of_a_members_room_is_refused(fresh_bus: None, room: Room) -> None:
    """Issue 10: a room manager's token survived a change of manager."""
    manager, successor = await db(UserFactory)(), await db(UserFactory)()
    room.manager, room.guest_access = manager, False
    await db(room.save)()
    session_key, token = await member_token(room, manager, "host")
    room.manager = successor
    await db(room.save)()
    live = Live(room, session_key=session_key, token=token)
    assert await refused(live) == ("no_longer_allowed", consumers.CLOSE_REFUSED)
    assert not await db(Participant.objects.filter(state=ParticipantState.JOINED).exists)()


async def test_a_guest_token_dies_when_the_room_closes_to_guests(
    fresh_bus: None, room: Room
) -> None:
    """Issue 10: a guest's token outlived the room's closing to guests."""
    live = await guest(room, "Khách", "192.0.2.1")
    room.guest_access = False
    await db(room.save)()
    assert await refused(live) == ("no_longer_allowed", consumers.CLOSE_REFUSED)
