"""A standalone worker's place in placement: its lease, renewed while it serves (issue 14).

The worker registers its id, capacity and channel (placement/store.py ``WorkerCard``)
and renews them every ``HEARTBEAT_SECS``; the web processes then place rooms on it and
book their members' load (the worker only reports what it can take). A clean stop
retires the registration at once; a killed worker's lease runs out by itself, and
``Placement.reap`` hands its rooms to be placed again.

A beat that registers anew a worker that was registered means its lease ran out in
between (the loop stalled past ``WORKER_TTL_MS``, Redis lost the key): its rooms may
already have been placed elsewhere (the web side's reaper moved their members: worker
failover, issue 14 item 5). ``on_lost`` is where the worker acts on that: a standalone
worker closes its rooms (mediaworker/worker.py ``run_forever``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from placement.store import HEARTBEAT_SECS, Placement, WorkerCard

logger = logging.getLogger(__name__)

RETIRE_TIMEOUT_SECS = 2.0


class Registration:
    """Keeps one worker registered in placement until it retires."""

    def __init__(
        self,
        placement: Placement,
        card: WorkerCard,
        *,
        heartbeat_secs: float = HEARTBEAT_SECS,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.placement = placement
        self.card = card
        self.heartbeat_secs = heartbeat_secs
        self.on_lost = on_lost
        self.beats = 0  # beats that reached Redis

    async def beat(self) -> None:
        """Register or renew once; a renewal that had to register anew was a lost lease."""
        registered = await self.placement.heartbeat(self.card)
        if registered and self.beats:
            logger.warning(
                "media worker %s: its lease ran out and was taken anew; its rooms may have "
                "been placed elsewhere",
                self.card.id,
            )
            if self.on_lost is not None:
                self.on_lost()
        self.beats += 1

    async def run(self) -> None:
        """Beat every ``heartbeat_secs`` until cancelled; Redis going away is retried."""
        while True:
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: the next beat registers again
                logger.warning("media worker %s: heartbeat failed: %r", self.card.id, exc)
            await asyncio.sleep(self.heartbeat_secs)

    async def retire(self) -> None:
        """Leave placement at once (a clean stop), so no room is placed here any more."""
        try:
            await asyncio.wait_for(self.placement.retire(self.card.id), RETIRE_TIMEOUT_SECS)
        except Exception as exc:  # the lease runs out by itself
            logger.warning("media worker %s: could not retire: %r", self.card.id, exc)
