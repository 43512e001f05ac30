"""A real Redis for placement, under a prefix of its own that is deleted afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio

from tests.conftest import missing_service, redis_for_tests


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    url = redis_for_tests()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        missing_service(f"Redis ({url})")
    connection = redis.asyncio.Redis.from_url(url)
    yield connection
    await connection.aclose()


@pytest.fixture
async def prefix(client: redis.asyncio.Redis) -> AsyncIterator[str]:
    name = f"test:placement:{uuid.uuid4().hex}"
    yield name
    keys = [key async for key in client.scan_iter(f"{name}:*")]
    if keys:
        await client.delete(*keys)
