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

A standalone worker beats from a thread of its own (``connect`` given): a loop that stalls
for a few seconds — a burst of handshakes, a long collection — would otherwise miss three
beats, and every room of the worker would move and reconnect over a pause the members
would hardly have noticed. The thread renews while the loop shows a sign of life within
``stall_limit_secs``; a loop stuck longer is a worker that no longer serves, and its
lease runs out as a killed worker's does (failover takes ``stall_limit_secs`` longer
then, a kill none).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

from placement.store import HEARTBEAT_SECS, Placement, WorkerCard

logger = logging.getLogger(__name__)

RETIRE_TIMEOUT_SECS = 2.0
# How long the worker's loop may show no sign of life before the thread stops renewing.
# Longer than any stall seen under load (a join storm at 90 %: about a second), well
# within issue 14's 10 s for a kill, which does not wait for it (the thread dies too).
STALL_LIMIT_SECS = 8.0
PULSE_SECS = 0.25  # how often the loop shows it is alive


class Registration:
    """Keeps one worker registered in placement until it retires."""

    def __init__(
        self,
        placement: Placement,
        card: WorkerCard,
        *,
        heartbeat_secs: float = HEARTBEAT_SECS,
        on_lost: Callable[[], None] | None = None,
        connect: Callable[[], Placement] | None = None,
        stall_limit_secs: float = STALL_LIMIT_SECS,
    ) -> None:
        self.placement = placement
        self.card = card
        self.heartbeat_secs = heartbeat_secs
        self.on_lost = on_lost
        # Placement on a Redis client of the beating thread's own (a client belongs to
        # the loop it first connected on); None beats on the worker's loop.
        self.connect = connect
        self.stall_limit_secs = stall_limit_secs
        self.beats = 0  # beats that reached Redis
        self.skipped = 0  # beats the thread left out while the loop was stalled
        self._alive_at = time.monotonic()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    async def beat(self) -> None:
        """Register or renew once; a renewal that had to register anew was a lost lease."""
        self._counted(await self.placement.heartbeat(self.card), self.on_lost)

    def _counted(self, registered: bool, on_lost: Callable[[], None] | None) -> None:
        if registered and self.beats:
            logger.warning(
                "media worker %s: its lease ran out and was taken anew; its rooms may have "
                "been placed elsewhere",
                self.card.id,
            )
            if on_lost is not None:
                on_lost()
        self.beats += 1

    async def run(self) -> None:
        """Beat every ``heartbeat_secs`` until cancelled; Redis going away is retried.

        With ``connect`` the beats come from a thread while this loop shows its pulse."""
        if self.connect is not None:
            await self._pulse_while_a_thread_beats()
            return
        while True:
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: the next beat registers again
                logger.warning("media worker %s: heartbeat failed: %r", self.card.id, exc)
            await asyncio.sleep(self.heartbeat_secs)

    async def _pulse_while_a_thread_beats(self) -> None:
        loop = asyncio.get_running_loop()
        self._alive_at = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._beat_from_thread(loop),),
            name=f"heartbeat-{self.card.id}",
            daemon=True,  # a killed or exiting worker's lease must run out by itself
        )
        self._thread.start()
        try:
            while True:
                self._alive_at = time.monotonic()
                await asyncio.sleep(PULSE_SECS)
        finally:
            self._stop.set()

    async def _beat_from_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.connect is not None
        placement = self.connect()
        stalled = False
        try:
            while not self._stop.is_set():
                quiet = time.monotonic() - self._alive_at
                if quiet <= self.stall_limit_secs:
                    stalled = False
                    try:
                        registered = await placement.heartbeat(self.card)
                    except Exception as exc:  # Redis restarting: the next beat registers again
                        logger.warning("media worker %s: heartbeat failed: %r", self.card.id, exc)
                    else:
                        if not self._stop.is_set():  # a retire may have come meanwhile
                            self._counted(registered, self._on_lost_in(loop))
                else:
                    self.skipped += 1
                    if not stalled:
                        stalled = True
                        logger.error(
                            "media worker %s: its loop has not run for %.1f s; the lease is "
                            "left to run out, so its rooms move to other workers",
                            self.card.id,
                            quiet,
                        )
                # Waits on the threading event in slices: a retire is seen within 0.1 s.
                deadline = time.monotonic() + self.heartbeat_secs
                while not self._stop.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(min(0.1, self.heartbeat_secs))
        finally:
            with contextlib.suppress(Exception):
                await placement.client.aclose()

    def _on_lost_in(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None] | None:
        """``on_lost`` run on the worker's loop (it closes rooms), not on the thread's."""
        on_lost = self.on_lost
        if on_lost is None:
            return None

        def on_the_loop() -> None:
            loop.call_soon_threadsafe(on_lost)

        return on_the_loop

    async def retire(self) -> None:
        """Leave placement at once (a clean stop), so no room is placed here any more.

        The beating thread is stopped first: a beat after the retire would register the
        worker again, and rooms would be placed on a worker that is going away."""
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, RETIRE_TIMEOUT_SECS)
        try:
            await asyncio.wait_for(self.placement.retire(self.card.id), RETIRE_TIMEOUT_SECS)
        except Exception as exc:  # the lease runs out by itself
            logger.warning("media worker %s: could not retire: %r", self.card.id, exc)
