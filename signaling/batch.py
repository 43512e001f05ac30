"""Database calls that queue up while one runs go to the database thread together.

daphne has one database thread: in a storm of joins (a hundred a second into one room)
each join and each leave waited there for the ones before it, and each paid for reading
the same room, meeting and schedule and for its own transaction. ``Batched`` sends what
queued meanwhile as one call of a service that takes a list (``participants_join``,
``participants_leave``), so the work shared by a batch is done once. A lone call goes at
once; batches only form when calls arrive faster than the database thread answers them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from channels.db import database_sync_to_async

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batched(Generic[Item, Result]):
    """``await batched(item)`` → the result of ``run_many([..., item, ...])`` for ``item``.

    ``run_many`` runs in the database thread and returns one result or exception per item,
    in order. If the whole batch fails, each item is tried alone, so one bad item costs
    only its own caller.
    """

    def __init__(
        self,
        run_many: Callable[[Sequence[Item]], Sequence[Result | Exception]],
        *,
        max_items: int,
    ) -> None:
        self.run_many = run_many
        self.max_items = max_items
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        """Queue ``item`` and wait for its result (raises its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        if self._task is not None and self._task.get_loop() is not loop:
            self._queue, self._task = [], None  # a new event loop (tests)
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self.max_items]
            del self._queue[: self.max_items]
            items = [item for item, _ in batch]
            try:
                results = await database_sync_to_async(self._run)(items)
            except Exception as problem:
                results = [problem] * len(items)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    def _run(self, items: list[Item]) -> Sequence[Result | Exception]:
        try:
            return self.run_many(items)
        except Exception:
            if len(items) == 1:
                raise
            logger.exception("a batch of %d failed; trying each alone", len(items))
        results: list[Result | Exception] = []
        for item in items:
            try:
                results.extend(self.run_many([item]))
            except Exception as problem:
                results.append(problem)
        return results
