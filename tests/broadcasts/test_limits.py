"""Per-address limits shared by every web process: Redis (GCRA) and in-process buckets."""

from __future__ import annotations

import secrets
from typing import Any

from broadcasts.limits import LocalLimits, RedisLimits
from realtime.rates import Rate
from tests.broadcasts.conftest import REDIS_URL, redis_reachable
from tests.conftest import missing_service

RATE = Rate(every_secs=20.0, burst=3)


def redis_client() -> Any:
    import redis.asyncio

    if not redis_reachable(REDIS_URL):
        missing_service(f"Redis ({REDIS_URL})")
    return redis.asyncio.from_url(REDIS_URL)


async def test_two_processes_share_one_addresss_bucket_on_redis() -> None:
    prefix = f"meet:watch-test:{secrets.token_hex(4)}:"
    first_client, second_client = redis_client(), redis_client()
    first = RedisLimits(first_client, RATE, prefix=prefix)  # as two daphne processes
    second = RedisLimits(second_client, RATE, prefix=prefix)
    try:
        assert await first.spend("qa", "192.0.2.7") == 0
        assert await second.spend("qa", "192.0.2.7") == 0
        assert await first.spend("qa", "192.0.2.7") == 0
        wait = await second.spend("qa", "192.0.2.7")  # the burst is spent, whichever process
        assert 19 < wait <= 20
        assert await first.spend("qa", "192.0.2.8") == 0  # another address
        assert await first.spend("chat", "192.0.2.7") == 0  # another kind
        ttl = await first_client.pttl(f"{prefix}rate:qa:192.0.2.7")
        assert 0 < ttl <= 61_000  # the key goes away once the bucket would be full again
    finally:
        await first_client.aclose()
        await second_client.aclose()


async def test_a_unreachable_store_allows_rather_than_refuses() -> None:
    import redis.asyncio

    client = redis.asyncio.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limits = RedisLimits(client, RATE, prefix="meet:watch-test:")
    assert await limits.spend("qa", "192.0.2.7") == 0
    await client.aclose()


async def test_in_one_process_the_buckets_are_local() -> None:
    limits = LocalLimits(RATE)
    for _ in range(3):
        assert await limits.spend("qa", "192.0.2.7") == 0
    assert 19 < await limits.spend("qa", "192.0.2.7") <= 20
    assert await limits.spend("qa", "192.0.2.8") == 0
