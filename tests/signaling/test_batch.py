"""signaling.batch.Batched: calls that queue up while one runs go to the database together."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from signaling.batch import Batched

# The calls run through database_sync_to_async, which checks the database thread's
# connection before and after each call.
pytestmark = pytest.mark.django_db(transaction=True)


class Doubler:
    """Doubles numbers in the database thread; refuses negative ones; may break whole."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.broken = False

    def __call__(self, items: Sequence[int]) -> list[int | Exception]:
        self.gate.wait(5)
        self.batches.append(list(items))
        if self.broken and len(items) > 1:
            raise RuntimeError("the batch broke")
        return [ValueError(n) if n < 0 else 2 * n for n in items]


async def test_calls_that_queue_while_one_runs_go_together() -> None:
    """Issue 4: a storm of joins reaches the database as a few batches, not one call each."""
    doubler = Doubler()
    batched: Batched[int, int] = Batched(doubler, max_items=3)
    first = asyncio.ensure_future(batched(1))
    await asyncio.sleep(0.05)  # the first call is in the database thread, waiting
    rest = [asyncio.ensure_future(batched(n)) for n in (2, 3, 4, 5)]
    await asyncio.sleep(0.05)
    doubler.gate.set()
    assert await first == 2
    assert [await call for call in rest] == [4, 6, 8, 10]
    assert doubler.batches == [[1], [2, 3, 4], [5]]  # at most max_items at once


async def test_a_refused_item_fails_only_its_own_call() -> None:
    doubler = Doubler()
    doubler.gate.set()
    batched: Batched[int, int] = Batched(doubler, max_items=10)
    calls = [asyncio.ensure_future(batched(n)) for n in (1, -1, 2)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert results[0] == 2 and results[2] == 4
    assert isinstance(results[1], ValueError)


async def test_a_broken_batch_is_tried_item_by_item() -> None:
    doubler = Doubler()
    doubler.gate.set()
    doubler.broken = True
    batched: Batched[int, int] = Batched(doubler, max_items=10)
    first = asyncio.ensure_future(batched(1))
    await asyncio.sleep(0)  # the first goes alone; the next three queue behind it
    rest = asyncio.gather(*(batched(n) for n in (2, 3, 4)))
    assert await first == 2
    assert await rest == [4, 6, 8]
    assert [2, 3, 4] in doubler.batches and [4] in doubler.batches


@pytest.mark.parametrize("items", [[7], [7, 8]])
async def test_a_lone_failure_reaches_its_caller(items: list[int]) -> None:
    def broken(batch: Sequence[int]) -> list[int | Exception]:
        raise RuntimeError("database gone")

    batched: Batched[int, int] = Batched(broken, max_items=10)
    results = await asyncio.gather(*(batched(n) for n in items), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)
