"""Fixtures of the watch page: a room broadcasting now, its host, both channel layers."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import User

from broadcasts.consumers import reset_rate_limits
from broadcasts.events import get_watch_bus, reset_watch_bus
from broadcasts.presence import reset_counter
from rooms.models import Room
from tests.broadcasts.helpers import Watcher, broadcast_now, db, session_cookie
from tests.conftest import missing_service, redis_of_layer
from tests.factories import RoomFactory
from tests.members import host_lan

REDIS_URL = redis_of_layer()


def redis_reachable(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def layer(request: pytest.FixtureRequest, settings: Any) -> str:
    """Every consumer test runs on the in-memory layer and on Redis."""
    if request.param == "redis":
        if not redis_reachable(REDIS_URL):
            missing_service(f"Redis ({REDIS_URL})")
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.MEET_WATCH_COUNT_INTERVAL_SECS = 0.05
    # Room ids repeat from test to test: counts of an earlier test must not add up here.
    settings.MEET_WATCH_REDIS_PREFIX = f"meet:watch-test:{secrets.token_hex(4)}:"
    return str(request.param)


@pytest.fixture
async def clean(layer: str) -> AsyncIterator[None]:
    """A fresh counter, fresh rate limits, a fresh bus and an empty layer for each test."""
    reset_counter()
    reset_rate_limits()
    reset_watch_bus()
    channel_layer = get_channel_layer()
    await channel_layer.flush()
    yield
    reset_counter()
    reset_rate_limits()
    await get_watch_bus().close()
    reset_watch_bus()
    await channel_layer.flush()


@pytest.fixture
def room(transactional_db: None) -> Room:
    room = cast(Room, RoomFactory())
    broadcast_now(room)
    return room


@pytest.fixture
def host_user(room: Room) -> User:
    return host_lan(room)


@pytest.fixture
async def watch(room: Room, clean: None) -> AsyncIterator[Callable[..., Any]]:
    """``await watch(...)`` → an open ``Watcher`` of ``room`` (closed afterwards)."""
    opened: list[Watcher] = []

    async def make(*, user: User | None = None, **options: Any) -> Watcher:
        key = await db(session_cookie)(user) if user is not None else ""
        watcher = Watcher(room.slug, session_key=key, **options)
        opened.append(watcher)
        return await watcher.open()

    yield make
    for watcher in opened:
        await watcher.close()
