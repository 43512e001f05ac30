"""Issue 10: the abuse limits (realtime/ratelimit.py: the live rooms' and scheduling's)
hold across web processes on Redis, and in one process on the embedded default."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from realtime.ratelimit import LocalStore, Rate, RedisStore
from tests.conftest import missing_service, redis_of_layer

REDIS_URL = redis_of_layer()
RATE = Rate(every_secs=60.0, burst=2)


def redis_store(settings) -> RedisStore:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        missing_service(f"Redis ({REDIS_URL})")
    return RedisStore(REDIS_URL)


@pytest.mark.services
async def test_two_processes_share_the_buckets_and_token_claims_on_redis(settings) -> None:
    """Issue 10: a limit per process would grant every daphne process the full rate again."""
    settings.MEET_RATELIMIT_PREFIX = f"meet:test:{secrets.token_hex(4)}:"
    first, second = redis_store(settings), redis_store(settings)  # as two daphne processes
    assert first.spend("guestpw:a:1:192.0.2.7", RATE) == 0
    assert await second.aspend("guestpw:a:1:192.0.2.7", RATE) == 0
    wait = first.spend("guestpw:a:1:192.0.2.7", RATE)  # the burst is spent, in either one
    assert 59 < wait <= 60
    assert second.spend("guestpw:a:1:192.0.2.8", RATE) == 0  # another address
    assert first.claim("token:abc", 120) is True
    assert second.claim("token:abc", 120) is False  # a token opens one connection anywhere


@pytest.mark.services
async def test_a_storm_of_tries_waits_for_redis_and_is_still_limited(settings) -> None:
    """Issue 14: more tries at once than the client has connections (a join storm) wait
    for one; redis-py's default pool raised, and the store, unable to ask, let them in."""
    settings.MEET_RATELIMIT_PREFIX = f"meet:test:{secrets.token_hex(4)}:"
    store = redis_store(settings)
    burst = 150  # more than a client's 100 connections
    rate = Rate(every_secs=60.0, burst=burst)
    tries = [store.aspend("join:a:192.0.2.9", rate) for _ in range(burst * 2)]
    waits = await asyncio.gather(*tries)
    assert sum(1 for wait in waits if wait == 0) == burst
    claims = await asyncio.gather(*(store.aclaim("token:storm", 120) for _ in range(burst)))
    assert claims.count(True) == 1


def test_a_unreachable_store_allows_rather_than_refuses(settings) -> None:
    """A limit must not take the meetings down with it."""
    store = RedisStore("redis://127.0.0.1:1/0")
    assert store.spend("join:a:192.0.2.7", RATE) == 0
    assert store.claim("token:abc", 120) is True


async def test_in_one_process_the_buckets_are_local() -> None:
    store = LocalStore()
    assert store.spend("chat:u:g:x", RATE) == 0
    assert await store.aspend("chat:u:g:x", RATE) == 0
    assert 59 < store.spend("chat:u:g:x", RATE) <= 60
    assert store.claim("token:abc", 120) and not store.claim("token:abc", 120)
