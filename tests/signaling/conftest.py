"""Fixtures of live-room tests: a room with a host, members and guests; a clean bus."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import User

from realtime.ratelimit import reset_store
from rooms.models import MemberRole, Room, RoomMembership
from signaling.bus import get_bus, reset_bus
from tests.factories import RoomFactory, UserFactory
from tests.members import host_lan
from tests.signaling.live import Live, db, guest_session, member_session, token_for
from tests.turn import Coturn, running_coturn

if TYPE_CHECKING:
    from mediaworker.worker import MediaWorker


@pytest.fixture(autouse=True)
def _own_abuse_limits(settings) -> None:
    """Each test starts with full abuse-limit buckets (its own Redis prefix, if on Redis)."""
    settings.MEET_RATELIMIT_PREFIX = f"meet:test:{secrets.token_hex(4)}:"
    reset_store()


@pytest.fixture
async def fresh_bus() -> AsyncIterator[None]:
    """A new fan-out bus and an empty channel layer for every test."""
    reset_bus()
    layer = get_channel_layer()
    await layer.flush()
    yield
    await get_bus().close()
    reset_bus()
    await layer.flush()


@pytest.fixture
def room(transactional_db: None) -> Room:
    return cast(Room, RoomFactory(guest_access=True))


@pytest.fixture
def host_user(room: Room) -> User:
    return host_lan(room)


@pytest.fixture
async def connect(room: Room, fresh_bus: None) -> AsyncIterator[Callable[..., Any]]:
    """``await connect(role=..., name=...)`` → an open, joined ``Live`` client."""
    opened: list[Live] = []

    async def make(
        *,
        role: str = "participant",
        name: str = "",
        user: User | None = None,
        join: bool = True,
        address: str = "127.0.0.1",
    ) -> Live:
        if role == "guest":
            session_key, guest_key = await db(guest_session)(room, name or "Khách")
            token = token_for(
                room, session_key=session_key, role=role, name=name or "Khách", guest_key=guest_key
            )
        else:
            if user is None:
                user = await db(UserFactory)()
                await db(RoomMembership.objects.create)(
                    room=room,
                    user=user,
                    role=MemberRole.HOST if role == "host" else MemberRole.PARTICIPANT,
                )
            session_key = await db(member_session)(user)
            token = token_for(
                room, session_key=session_key, role=role, name=name or user.username, user=user
            )
        live = Live(room, session_key=session_key, token=token, address=address)
        opened.append(live)
        if join:
            await live.join()
        return live

    yield make
    for live in opened:
        try:
            await live.close()
        except (Exception, asyncio.CancelledError):
            pass  # a test that ended with the socket closed


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    """A real coturn from the shipped configuration (tests/turn.py)."""
    with running_coturn(tmp_path / "coturn") as server:
        yield server


@pytest.fixture
async def worker(fresh_bus: None, tmp_path: Path) -> AsyncIterator[MediaWorker]:
    """The media worker on the settings' layer (the room socket's), on loopback."""
    from mediaworker import ice
    from mediaworker.worker import MediaWorker, patient_redis
    from tests.mediaworker.conftest import LOOPBACK_ONLY

    layer = patient_redis(get_channel_layer())
    config = dataclasses.replace(LOOPBACK_ONLY, recordings_root=tmp_path)
    worker = MediaWorker(layer, config=config)
    task = asyncio.ensure_future(worker.run())
    await worker.ready.wait()
    yield worker
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    ice.restore_host_addresses()
