"""Admission of new connections' handshakes: a few at a time, and fewer while the loop lags.

A worker is one asyncio loop. A new connection's handshake (the offer's SDP, gathering,
ICE checks, the DTLS handshake: OpenSSL's key exchange and certificate checks run on the
loop) costs the loop several milliseconds in bursts; a hundred at once near capacity
kept the loop busy long enough that the publishers' STUN consent checks went unanswered
(aioice gives each 0.5 s; six missed in a row and the peer drops the connection: the
whole room's video, issue 14 item 6). The established connections' packets, RTCP and
consent answers need the loop first, so the handshakes take turns here:

- at most ``limit`` handshakes run at once (``MEET_MEDIA_HANDSHAKES``); the others wait
  in order of arrival, never dropped: the queued member's offer is answered when its
  turn comes (the page sees a later start, nothing else);
- while the loop wakes a short sleeper late (``LAG_LIMIT_SECS``), a quarter of them (at
  least one): the queue keeps moving, more would add to the lag;
- a handshake's turn ends when its connection is up, failed or closed, or after
  ``HOLD_SECS`` (a peer that got its answer and never checks must not block the queue).

``limit`` 0 is no bound (``MEET_MEDIA_ADMISSION=off``, for ``bench/fanout.py --storm``'s
comparison); the counts are kept either way. Imports nothing of aiortc: the peer session
(mediaworker/peer.py) asks for a turn before it builds a connection and ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

# At once, per worker. A turn lasts until the peer is connected, which takes the peer's
# round trips and CPU too: 4 at once let slow peers (the benchmark's, on a busy machine)
# stretch a storm of 100 past a minute (docs/benchmarks.md, "Join storms").
HANDSHAKES = 16
LAG_LIMIT_SECS = 0.2  # under aioice's consent timeout (0.5 s), above a busy loop's usual
HOLD_SECS = 10.0  # a turn never held longer: the next one starts
PUMP_SECS = 0.02  # the queue's own sleeper: how often it looks, and how late it wakes


class Withdrawn(Exception):
    """The handshake left the queue before its turn (the member left)."""


class Admission:
    """Turns for new connections' handshakes on one worker's loop."""

    def __init__(
        self,
        limit: int = HANDSHAKES,
        *,
        lag_limit_secs: float = LAG_LIMIT_SECS,
        hold_secs: float = HOLD_SECS,
    ) -> None:
        self.limit = limit  # 0: no bound
        self.lag_limit_secs = lag_limit_secs
        self.hold_secs = hold_secs
        self.running = 0  # handshakes under way now
        self.peak = 0  # the most ever under way at once
        self.admitted = 0  # handshakes started, in all
        self.queued = 0  # of them, those that had to wait
        self.waited_secs = 0.0  # their waits, summed
        self.longest_wait_secs = 0.0
        self.lag_secs = 0.0  # how late the queue's sleeper last woke
        self._waiting: deque[Turn] = deque()
        self._pump: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Handshakes waiting for their turn now."""
        return len(self._waiting)

    def ask(self) -> Turn:
        """A turn: begun at once if there is room and nobody waits, else queued."""
        turn = Turn(self)
        if not self._waiting and self._room():
            self._begin(turn)
        else:
            turn.queued = True
            self._waiting.append(turn)
            if self._pump is None or self._pump.done():
                self._pump = asyncio.ensure_future(self._run_pump())
        return turn

    def _room(self) -> bool:
        if self.limit <= 0:
            return True
        limit = max(self.limit // 4, 1) if self.lag_secs > self.lag_limit_secs else self.limit
        return self.running < limit

    def _begin(self, turn: Turn) -> None:
        loop = asyncio.get_running_loop()
        self.running += 1
        self.admitted += 1
        self.peak = max(self.peak, self.running)
        turn.started_at = loop.time()
        wait = turn.started_at - turn.asked_at
        if turn.queued:
            self.queued += 1
            self.waited_secs += wait
            self.longest_wait_secs = max(self.longest_wait_secs, wait)
        turn.hold = loop.call_later(self.hold_secs, turn.end)
        if not turn.begun.done():
            turn.begun.set_result(None)

    def _ended(self, turn: Turn, *, had_begun: bool) -> None:
        if had_begun:
            self.running -= 1
        else:
            with contextlib.suppress(ValueError):
                self._waiting.remove(turn)

    async def _run_pump(self) -> None:
        """Begin queued turns while there is room; measure the loop's lag meanwhile.

        It runs only while someone waits: an idle worker pays nothing for it."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            while self._waiting and self._room():
                self._begin(self._waiting.popleft())
            expected = loop.time() + PUMP_SECS
            await asyncio.sleep(PUMP_SECS)
            self.lag_secs = max(loop.time() - expected, 0.0)
        self.lag_secs = 0.0  # measured only under a queue: stale once it is empty


class Turn:
    """One handshake's place: waited for with ``wait``, given back with ``end``."""

    def __init__(self, admission: Admission) -> None:
        loop = asyncio.get_running_loop()
        self._admission = admission
        self.asked_at = loop.time()
        self.started_at: float | None = None
        self.queued = False  # it had to wait for its turn
        self.begun: asyncio.Future[None] = loop.create_future()
        self.hold: asyncio.TimerHandle | None = None
        self.ended = False

    async def wait(self) -> None:
        """Until this handshake's turn; ``Withdrawn`` if it was ended before."""
        try:
            await asyncio.shield(self.begun)
        except asyncio.CancelledError:
            self.end()  # the waiter is gone: its place must not be taken later
            raise

    def end(self) -> None:
        """The handshake is over (or abandoned): the next one may start. Idempotent."""
        if self.ended:
            return
        self.ended = True
        if self.hold is not None:
            self.hold.cancel()
        had_begun = self.started_at is not None
        self._admission._ended(self, had_begun=had_begun)
        if not self.begun.done():
            self.begun.set_exception(Withdrawn())
            self.begun.exception()  # retrieved: nobody need be waiting for it
        elif had_begun:
            # A turn given back: whoever waits may start now rather than at the pump's
            # next look (a handshake that ends starts the next one at once).
            admission = self._admission
            while admission._waiting and admission._room():
                admission._begin(admission._waiting.popleft())
