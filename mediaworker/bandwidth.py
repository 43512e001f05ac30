"""A subscriber's downlink budget, from what its browser reports about our packets.

Plain Python. Why this signal: the worker forwards without rewriting header
extensions (no abs-send-time, no transport-wide sequence numbers: they would cost
every packet of every subscriber), so neither REMB nor transport-cc feedback can be
trusted for our streams. What every browser does send for them is RTCP: a NACK for
every packet it misses (within a round trip) and receiver reports with the loss
fraction and, against our sender reports, the round trip. Loss counted on NACKs is
raw (before retransmission hides it); a round trip well above the lowest seen means a
queue is building on the path, the sign before loss on a drop-tail bottleneck.

Every ``TICK_SECS`` the router hands the estimate what media went out to the
subscriber (retransmissions apart) and what came back:

* congested (loss ≥ 10 %, or a queue of ≥ 250 ms): the budget becomes what got
  through, less a margin, and nothing is tried for ``HOLD_SECS``;
* clean (loss ≤ 3 %, no queue): the budget follows what is being sent, and the router
  may try the next step up (``may_probe``) once the link has been clean for
  ``PROBE_WAIT_SECS``. A step that fails sets a ceiling: steps up to it or beyond wait
  twice as long after each failure (up to ``CEILING_WAIT_MAX_SECS``), so a link that
  is simply narrow is not hit every few seconds; a step that works lifts it;
* in between (a lossy but not overloaded link): hold.
"""

from __future__ import annotations

from dataclasses import dataclass

TICK_SECS = 0.5
CONGESTED_LOSS = 0.10
CLEAN_LOSS = 0.03
QUEUE_SECS = 0.25  # round trip above the lowest seen: a queue is building
MARGIN = 0.85  # of what got through, when congested
FLOOR_BPS = 48_000.0  # never below: audio always gets through
HOLD_SECS = 2.0  # after a cut: no step up
PROBE_WAIT_SECS = 2.0  # clean for this long before stepping up
CEILING_WAIT_SECS = 6.0  # before trying again a step that failed; doubles per failure
CEILING_WAIT_MAX_SECS = 30.0
TRIAL_SECS = 2.0  # a step up that stays clean this long has worked
UNLIMITED_BPS = 50_000_000.0  # past this the budget limits nothing: forget it
MIN_PACKETS = 20  # fewer sent in a tick: too few to judge loss


@dataclass
class Window:
    """What happened on the link during one tick."""

    sent_bits: float = 0.0  # media only: retransmissions apart
    sent_packets: int = 0
    nacked: int = 0  # distinct sequence numbers the browser said it lost
    rr_loss: float | None = None  # worst loss fraction of the receiver reports
    rtt: float | None = None  # latest round trip from a receiver report, seconds


@dataclass
class LinkEstimate:
    """The budget of one subscriber's downlink."""

    budget_bps: float | None = None  # None: no limit seen yet
    loss: float = 0.0  # of the last tick that sent enough to judge
    rtt: float | None = None
    min_rtt: float | None = None
    sent_bps: float = 0.0
    congested: bool = False
    _clean_since: float | None = None
    _hold_until: float = 0.0
    _trial_since: float | None = None
    _trial_from: float | None = None
    _trial_to: float | None = None
    _ceiling: float | None = None  # the lowest step up that failed
    _ceiling_wait: float = CEILING_WAIT_SECS
    _ceiling_since: float = 0.0
    _last_sent_bps: float = 0.0

    def observe(self, now: float, window: Window, secs: float = TICK_SECS) -> None:
        """Take one tick's figures; update the budget."""
        self._last_sent_bps = self.sent_bps  # the loss reported now is mostly of it
        self.sent_bps = window.sent_bits / secs if secs > 0 else 0.0
        if window.rtt is not None:
            self.rtt = window.rtt
            self.min_rtt = window.rtt if self.min_rtt is None else min(self.min_rtt, window.rtt)
        if window.sent_packets >= MIN_PACKETS:
            self.loss = min(window.nacked / window.sent_packets, 1.0)
        elif window.nacked == 0:
            self.loss = 0.0
        if window.rr_loss is not None:
            self.loss = max(self.loss, window.rr_loss)
        queue = (
            window.rtt is not None
            and self.min_rtt is not None
            and window.rtt - self.min_rtt >= QUEUE_SECS
        )
        self.congested = self.loss >= CONGESTED_LOSS or queue
        if self.congested:
            # Feedback trails by a round trip: just after a cut it still tells of the
            # rate before it. Cut again only when sending more than was decided.
            fresh = now >= self._hold_until or self._trial_since is not None
            if fresh or self.budget_bps is None or self.sent_bps > self.budget_bps:
                self._cut(now)
        elif self.loss <= CLEAN_LOSS:
            if self._clean_since is None:
                self._clean_since = now
            if self._trial_since is not None and now - self._trial_since >= TRIAL_SECS:
                if self._ceiling is not None and (self._trial_to or 0.0) >= self._ceiling:
                    self._ceiling, self._ceiling_wait = None, CEILING_WAIT_SECS
                self._trial_since = self._trial_from = self._trial_to = None
            if self.budget_bps is not None:
                self.budget_bps = max(self.budget_bps, self.sent_bps * 1.05)
                if self.budget_bps >= UNLIMITED_BPS:
                    self.budget_bps = None
        else:
            self._clean_since = None

    def _cut(self, now: float) -> None:
        got_through = max(self.sent_bps, self._last_sent_bps) * max(1.0 - self.loss, 0.1)
        cut = max(got_through * MARGIN, FLOOR_BPS)
        if self._trial_since is not None:  # the step up did not fit: back, and a ceiling
            failed = self._trial_to or cut
            if self._ceiling is not None and failed >= self._ceiling:
                self._ceiling_wait = min(self._ceiling_wait * 2, CEILING_WAIT_MAX_SECS)
            self._ceiling = failed if self._ceiling is None else min(self._ceiling, failed)
            self._ceiling_since = now
            if self._trial_from is not None:
                cut = min(cut, self._trial_from)
            self._trial_since = self._trial_from = self._trial_to = None
        self.budget_bps = cut if self.budget_bps is None else min(self.budget_bps, cut)
        self._clean_since = None
        self._hold_until = now + HOLD_SECS

    def may_probe(self, now: float, needed_bps: float) -> bool:
        """Whether the next step up (``needed_bps`` in all) may be tried now; if so the
        budget is raised to it for a trial."""
        if self.budget_bps is None or needed_bps <= self.budget_bps:
            return False
        if self._clean_since is None or now < self._hold_until or self._trial_since is not None:
            return False
        if now - self._clean_since < PROBE_WAIT_SECS:
            return False
        if self._ceiling is not None and needed_bps >= self._ceiling:
            if now - self._ceiling_since < self._ceiling_wait:
                return False
        self._trial_from, self._trial_to, self._trial_since = self.budget_bps, needed_bps, now
        self.budget_bps = needed_bps
        return True

    @property
    def quality(self) -> str:
        """ "good", "fair" or "poor", for the marks people see."""
        if self.congested:
            return "poor"
        if self.loss > CLEAN_LOSS or (self.rtt is not None and self.rtt >= 0.4):
            return "fair"
        return "good"
