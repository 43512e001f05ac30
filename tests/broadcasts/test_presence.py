"""The viewer count across processes: per-process counts in Redis, stale ones forgotten."""

from __future__ import annotations

import time

import pytest

from broadcasts.presence import LocalStore, RedisStore, ViewerCounter
from tests.broadcasts.conftest import REDIS_URL, redis_reachable
from tests.conftest import missing_service


class FakeViewer:
    """A connection that only records the totals it hears."""

    def __init__(self) -> None:
        self.heard: list[int] = []

    async def viewers_changed(self, total: int) -> None:
        self.heard.append(total)


@pytest.fixture
async def redis_client():
    if not redis_reachable(REDIS_URL):
        missing_service(f"Redis ({REDIS_URL})")
    import redis.asyncio

    client = redis.asyncio.from_url(REDIS_URL)
    yield client
    await client.aclose()


def _prefix() -> str:
    return f"meet:watch-test:{time.monotonic_ns()}:"


async def test_two_processes_add_up_on_redis(redis_client) -> None:
    prefix = _prefix()
    first = ViewerCounter(store_factory=lambda p: RedisStore(redis_client, p, prefix=prefix))
    second = ViewerCounter(store_factory=lambda p: RedisStore(redis_client, p, prefix=prefix))
    here = [FakeViewer() for _ in range(2)]
    there = [FakeViewer() for _ in range(3)]
    for viewer in here:
        first._rooms.setdefault(7, {})[viewer] = True
    for viewer in there:
        second._rooms.setdefault(7, {})[viewer] = True
    store_one = RedisStore(redis_client, first.process, prefix=prefix)
    store_two = RedisStore(redis_client, second.process, prefix=prefix)
    await first.exchange(store_one)
    await second.exchange(store_two)
    await first.exchange(store_one)
    assert (first.total(7), second.total(7)) == (5, 5)
    assert here[0].heard == [2, 5]  # told only when the total changed
    assert there[0].heard == [5]

    second._rooms[7].clear()  # everyone in the second process leaves
    await second.exchange(store_two)
    await first.exchange(store_one)
    assert first.total(7) == 2
    await redis_client.delete(f"{prefix}7")


async def test_a_dead_processes_count_expires(redis_client) -> None:
    prefix = _prefix()
    # A process that stopped refreshing a minute ago, and one that wrote garbage.
    await redis_client.hset(f"{prefix}9", "dead:1:aa", f"40:{time.time() - 60:.3f}")
    await redis_client.hset(f"{prefix}9", "odd:2:bb", "x")
    counter = ViewerCounter()
    counter._rooms[9] = {FakeViewer(): True}
    await counter.exchange(RedisStore(redis_client, counter.process, prefix=prefix))
    assert counter.total(9) == 1
    assert set(await redis_client.hkeys(f"{prefix}9")) == {counter.process.encode()}
    await redis_client.delete(f"{prefix}9")


async def test_one_process_counts_alone_in_memory() -> None:
    counter = ViewerCounter()
    viewers = [FakeViewer(), FakeViewer()]
    for viewer in viewers:
        counter._rooms.setdefault(3, {})[viewer] = True
    counter._rooms[3][FakeViewer()] = False  # a host's panel: hears, is not counted
    await counter.exchange(LocalStore())
    assert counter.total(3) == 2
    assert viewers[0].heard == [2]
