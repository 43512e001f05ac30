"""When to ask a publisher for a keyframe.

Chromium never sends periodic keyframes, so a subscriber that joins, switches source
or falls behind sees nothing until the publisher is asked (shared/MEASURED.md). But a
keyframe is several times a normal frame and *every* viewer of the stream receives it,
so asking on every viewer's PLI or join makes the whole room pay: during a join storm
(a 60-site briefing starting at 8:00) the keyframes alone doubled each viewer's
bitrate in bench/fanout.py, which slowed the joins, which asked for more keyframes.

So requests are throttled per published stream:

* at most one per ``min_interval_secs`` (300 ms), and
* a token bucket (``burst`` tokens, one more every ``refill_secs``): an isolated join
  gets its keyframe at once; a storm gets about one a second, shared by everyone
  waiting.

A request inside the window is deferred, not dropped — otherwise the second of two
viewers joining 100 ms apart could wait forever — and while someone still waits the
request is repeated every ``retry_secs`` (a PLI can be lost too). A viewer's own PLI
(``asked``) is not a slot waiting: deferred, it still goes out unless a keyframe came in
the meantime (it used to be dropped when no slot waited, and that viewer stayed frozen
until it asked again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mediaworker.metrics import TALLY

MIN_INTERVAL_SECS = 0.3
RETRY_SECS = 1.0
BURST = 2
REFILL_SECS = 1.0


class KeyframeRequester:
    """Throttles keyframe requests for one published stream."""

    def __init__(
        self,
        send: Callable[[], None],
        waiting: Callable[[], bool],
        *,
        min_interval_secs: float = MIN_INTERVAL_SECS,
        retry_secs: float = RETRY_SECS,
        burst: int = BURST,
        refill_secs: float = REFILL_SECS,
    ) -> None:
        self._send = send  # sends one PLI to the publisher
        self._waiting = waiting  # whether any viewer still waits for a keyframe
        self._min_interval_secs = min_interval_secs
        self._retry_secs = retry_secs
        self._burst = burst
        self._refill_secs = refill_secs
        self._tokens = float(burst)
        self._counted_at = 0.0
        self._last_sent = -1e9
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._asked = False  # a viewer asked (PLI) since the last keyframe went out or came
        self.sent = 0  # for tests and stats

    def request(self, *, asked: bool = False) -> None:
        """Ask for a keyframe now, or as soon as the throttle allows. ``asked``: a
        viewer's PLI, kept until a keyframe is sent or arrives."""
        if asked:
            self._asked = True
        loop = asyncio.get_running_loop()
        allowed_at = self._allowed_at(loop.time())
        if allowed_at <= loop.time():
            self._fire()
        elif self._timer is None or self._timer_at > allowed_at:
            self._schedule(allowed_at)

    def arrived(self) -> None:
        """A keyframe came from the publisher: what viewers asked for is answered."""
        self._asked = False

    def cancel(self) -> None:
        """Forget pending requests (the stream ended)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _allowed_at(self, now: float) -> float:
        if self._counted_at:
            self._tokens = min(
                float(self._burst), self._tokens + (now - self._counted_at) / self._refill_secs
            )
        self._counted_at = now
        token_at = now if self._tokens >= 1 else now + (1 - self._tokens) * self._refill_secs
        return max(self._last_sent + self._min_interval_secs, token_at)

    def _schedule(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = asyncio.get_running_loop().call_at(when, self._deferred)

    def _deferred(self) -> None:
        self._timer = None
        if not (self._asked or self._waiting()):
            return
        allowed_at = self._allowed_at(asyncio.get_running_loop().time())
        if allowed_at <= asyncio.get_running_loop().time():
            self._fire()
        else:
            self._schedule(allowed_at)

    def _fire(self) -> None:
        loop = asyncio.get_running_loop()
        self._allowed_at(loop.time())  # bring the bucket up to date
        self._tokens = max(self._tokens - 1, 0.0)
        self._asked = False
        self._last_sent = loop.time()
        self.sent += 1
        TALLY.keyframe_requests += 1
        self._send()
        self._schedule(self._last_sent + self._retry_secs)
