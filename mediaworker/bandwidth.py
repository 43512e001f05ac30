"""A subscriber's downlink budget, from what its browser reports about our packets.

Plain Python. Two signals, the better one where the browser gives it:

* transport-cc feedback (mediaworker/transport_cc.py): where the browser offered
  transport-wide sequence numbers (Chromium, Firefox and Safari do), the worker numbers
  every packet it forwards and the browser says, every ~100 ms, which arrived and
  when. Loss, the one-way queue at the bottleneck and the rate that got through are
  then a tenth of a second old and about known packets; this alone judges the link.
  REMB is no use here: a browser sends it only when it has no transport-cc, and then
  from abs-send-time, which the worker would have to write into every packet anyway.
* otherwise RTCP, which every browser sends: a NACK for every packet it misses
  (within a round trip) and receiver reports, about once a second, with the loss
  fraction and, against our sender reports, the round trip. Loss counted on NACKs is
  raw (before retransmission hides it); a round trip well above the lowest seen means
  a queue is building on the path, the sign before loss on a drop-tail bottleneck.

Every ``TICK_SECS`` the router hands the estimate what media went out to the
subscriber (retransmissions apart) and what came back:

* congested: the budget becomes what got through, less a margin, and nothing is tried
  for ``HOLD_SECS``. Congested is any of: loss ≥ 10 %; with transport-cc, a one-way
  queue that grew ≥ 150 ms within a tick, or ≥ 40 ms in each of two ticks running
  (from 80 ms on), or that stood ≥ 300 ms at two ticks' ends without draining (each
  tick's queue is the lowest of a few packets at its start and end: a busy machine's
  late arrival is one packet, not a few); with receiver reports, a queue of ≥ 250 ms
  in two reports running, or past 250 ms having grown in each of the two reports
  before from 100 ms on. Nothing else: a busy machine's reports come late (a round
  trip jumps), and a link with some random loss and a long round trip is not
  congested. A queue still draining (≥ 80 ms, not growing) is neither congested nor
  clean: nothing changes;
* clean (loss ≤ 3 %, no queue): the budget follows what is being sent, and the router
  may try the next step up (``step_up``) once the link has been clean for
  ``PROBE_WAIT_SECS``. A small step is tried with the layers themselves. A big one
  (e.g. a low layer to a high one, +0.8 Mbit/s) is first probed: for ``PROBE_SECS``
  the worker sends copies of packets just sent (the browser's SRTP replay check drops
  them) at up to twice the budget; if the link stays clean the budget rises to that,
  and so on until the step fits. A probe that fails costs one second of a modest
  overload instead of a layer switch the link cannot carry. A step or probe that
  fails sets a ceiling: going up to it again waits ``CEILING_WAIT_SECS``, longer after
  each further failure but never past ``CEILING_WAIT_MAX_SECS`` (a link that comes
  back must get its layers back within seconds), and is probed with copies first even
  when the step is small (a failed probe is stopped at once and switches no layer), so
  a link that is simply narrow pays a short probe every few seconds, not a switch up
  and down; a step that works, or a receiver that gets the ceiling's rate, lifts it;
* in between (a lossy but not overloaded link): hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediaworker.transport_cc import Delivery

TICK_SECS = 0.5
CONGESTED_LOSS = 0.10
CLEAN_LOSS = 0.03
QUEUE_SECS = 0.25  # round trip above the lowest seen: a queue is building
QUEUE_RISING_SECS = 0.1  # a queue at least this deep that then passes QUEUE_SECS...
RISE_SECS = 0.05  # ...growing by this much from report to report, twice: filling
# Transport-cc feedback gives the one-way queue per packet (mediaworker/transport_cc.py):
TW_RISE_SECS = 0.04  # it grew this much within a tick (the link ~8 % overloaded)...
TW_FILLING_SECS = 0.08  # ...to at least this, two ticks running: a queue filling
TW_FAST_RISE_SECS = 0.15  # grown this much, to at least this, in one tick: at once
TW_STANDING_SECS = 0.3  # this long at two ticks' ends, not draining: a standing queue
SEVERE_LOSS = 0.25  # the link drops this much: a step down cannot wait for a keyframe
MARGIN = 0.85  # of what got through, when congested
FLOOR_BPS = 48_000.0  # never below: audio always gets through
HOLD_SECS = 2.0  # after a cut: no step up
PROBE_WAIT_SECS = 2.0  # clean for this long before stepping up
PROBE_AGAIN_SECS = 0.5  # ...or this long right after a step that worked
PROBE_SECS = 1.0  # a probe's copies go out this long
DIRECT_STEP_BPS = 250_000.0  # a step up this small (or ≤ half the budget): no probe
CEILING_WAIT_SECS = 3.0  # before trying again a step that failed; longer per failure
CEILING_WAIT_GROWTH = 1.5
# Never longer: a link back to its width gets its layers within ~10 s (issue 13: this
# wait, two probes and a trial), while a narrow one is probed for a second every ~5 s.
CEILING_WAIT_MAX_SECS = 4.0
TRIAL_SECS = 2.0  # a step up that stays clean this long has worked
# A rate the link carried cleanly (for TRIAL_SECS on end) this recently is probed for in
# one step once the link is clean again: a link that fell for a while and came back gets
# its layers in one probe, not after doubling up from the floor (issue 13: back within 10 s).
GOOD_MEMORY_SECS = 30.0
UNLIMITED_BPS = 50_000_000.0  # past this the budget limits nothing: forget it
MIN_PACKETS = 20  # fewer sent in a tick: too few to judge loss
QUALITY_MEMORY_SECS = 5.0  # a link's mark is the worst it was this long
FAIR_RTT_SECS = 0.4  # a round trip this long makes a conversation awkward


@dataclass
class Window:
    """What happened on the link during one tick."""

    sent_bits: float = 0.0  # media only: retransmissions apart
    sent_packets: int = 0
    nacked: int = 0  # distinct sequence numbers the browser said it lost
    rr_expected: int = 0  # packets the receiver reports covered (summed over slots)
    rr_lost: int = 0  # of which they say were lost
    rtt: float | None = None  # latest round trip from a receiver report, seconds
    delivered_bps: float | None = None  # what the receiver reports say got through
    delivery: Delivery | None = None  # transport-cc feedback, where the browser sends it

    def add(self, other: Window) -> None:
        """Count ``other`` (another transport of the same link) in this one."""
        self.sent_bits += other.sent_bits
        self.sent_packets += other.sent_packets
        self.nacked += other.nacked
        self.rr_expected += other.rr_expected
        self.rr_lost += other.rr_lost
        if other.rtt is not None:
            self.rtt = other.rtt if self.rtt is None else max(self.rtt, other.rtt)
        if other.delivered_bps is not None:
            self.delivered_bps = (self.delivered_bps or 0.0) + other.delivered_bps
        if other.delivery is not None:
            mine = self.delivery
            self.delivery = other.delivery if mine is None else mine.merged(other.delivery)


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
    _rtt_high: bool = False  # the last round trip was a queue's
    _queues: tuple[float, ...] = ()  # the last two round trips' excess over the lowest
    heard: Delivery | None = None  # the last tick's transport-cc figures, if any
    _tw_rising: bool = False  # the last tick's one-way queue grew (transport-cc)
    _tw_standing: bool = False  # ...or stood long and did not drain
    _queue_left: bool = False  # a queue still drains: neither congested nor clean
    probe_failed: bool = False  # the probe just failed: its copies should stop now
    _quality: str = "good"
    _poor_at: float = float("-inf")
    _fair_at: float = float("-inf")
    _probe_since: float | None = None
    _probe_to: float = 0.0
    _worked_at: float = float("-inf")
    _good_bps: float = 0.0  # the highest rate carried cleanly, GOOD_MEMORY_SECS on
    _good_at: float = float("-inf")

    def observe(self, now: float, window: Window, secs: float = TICK_SECS) -> None:
        """Take one tick's figures; update the budget."""
        self._last_sent_bps = self.sent_bps  # the loss reported now is mostly of it
        self.probe_failed = False
        self.sent_bps = window.sent_bits / secs if secs > 0 else 0.0
        if window.rtt is not None:
            self.rtt = window.rtt
            self.min_rtt = window.rtt if self.min_rtt is None else min(self.min_rtt, window.rtt)
        delivery = self.heard = window.delivery
        fed = delivery is not None and delivery.feedbacks > 0
        if fed:
            assert delivery is not None
            # Transport-cc feedback: per packet, a tenth of a second old; it alone judges.
            if delivery.packets >= MIN_PACKETS:
                self.loss = delivery.lost / delivery.packets
            elif delivery.lost == 0:
                self.loss = 0.0
            queued = self._one_way_queued(delivery)
            delivered = delivery.delivered_bps
        else:
            if window.sent_packets >= MIN_PACKETS:
                self.loss = min(window.nacked / window.sent_packets, 1.0)
            elif window.nacked == 0:
                self.loss = 0.0
            if window.rr_expected >= MIN_PACKETS:
                self.loss = max(self.loss, window.rr_lost / window.rr_expected)
            queued = self._queued(window)
            self._queue_left = False
            delivered = window.delivered_bps
        self.congested = self.loss >= CONGESTED_LOSS or queued
        self._rate_quality(now)
        if self._probe_since is not None:
            self._judge_probe(now)
            return
        if self.congested:
            # Feedback trails by a round trip: just after a cut it still tells of the
            # rate before it. Within the hold, cut again only while sending clearly
            # more than gets through (a first cut on early, partial news was too mild).
            # Transport-cc says it of the same packets: the queue still grows (this
            # tick's rate against an older tick's arrivals cut a link for a probe's
            # queue that was already draining).
            fresh = now >= self._hold_until or self._trial_since is not None
            if fed:
                overflowing = self._tw_rising
            else:
                overflowing = delivered is not None and self.sent_bps > delivered * 1.2
            if fresh or self.budget_bps is None or overflowing:
                self._cut(now, delivered)
        elif self.loss <= CLEAN_LOSS and not self._queue_left:
            if self._clean_since is None:
                self._clean_since = now
            self._remember_good(now)
            if delivered is not None and self._ceiling is not None and delivered >= self._ceiling:
                self._worked(delivered, now)  # the link carried the failed step's rate
            if self._trial_since is not None and now - self._trial_since >= TRIAL_SECS:
                self._worked((self._trial_to or 0.0), now)
                self._trial_since = self._trial_from = self._trial_to = None
            if self.budget_bps is not None:
                self.budget_bps = max(self.budget_bps, self.sent_bps * 1.05)
                if self.budget_bps >= UNLIMITED_BPS:
                    self.budget_bps = None
        else:
            self._clean_since = None

    def _remember_good(self, now: float) -> None:
        if self._clean_since is None or now - self._clean_since < TRIAL_SECS:
            return
        if self.sent_bps >= self._good_bps or now - self._good_at > GOOD_MEMORY_SECS:
            self._good_bps, self._good_at = self.sent_bps, now

    def _queued(self, window: Window) -> bool:
        """Whether the round trip shows a queue building on the path (see the top)."""
        if window.rtt is None or self.min_rtt is None:
            return False
        queue = window.rtt - self.min_rtt
        rises, self._queues = self._queues, (*self._queues[-1:], queue)
        high = queue >= QUEUE_SECS
        # Twice in a row: a queue persists, a busy machine's hiccup does not.
        twice, self._rtt_high = high and self._rtt_high, high
        # Or growing report after report, from QUEUE_RISING_SECS on: a queue filling (a
        # late report of a busy machine jumps once, it does not climb three times).
        filling = len(rises) == 2 and rises[0] >= QUEUE_RISING_SECS
        filling = filling and rises[1] - rises[0] >= RISE_SECS and queue - rises[1] >= RISE_SECS
        return twice or (high and filling)

    def _one_way_queued(self, delivery: Delivery) -> bool:
        """Whether transport-cc feedback shows a queue building (see the top)."""
        start, end = delivery.queue_start, delivery.queue_end
        was_rising, was_standing = self._tw_rising, self._tw_standing
        self._tw_rising = self._tw_standing = self._queue_left = False
        if start is None or end is None:
            return False
        rise = end - start
        self._queue_left = end >= TW_FILLING_SECS
        self._tw_rising = rise >= TW_RISE_SECS and end >= TW_FILLING_SECS
        # Not draining: a queue being emptied after a cut is no reason to cut again.
        self._tw_standing = end >= TW_STANDING_SECS and rise > -TW_RISE_SECS
        fast = rise >= TW_FAST_RISE_SECS and end >= TW_FAST_RISE_SECS
        # A busy machine delays one tick's arrivals; a filling queue lasts.
        return fast or (self._tw_rising and was_rising) or (self._tw_standing and was_standing)

    def _judge_probe(self, now: float) -> None:
        assert self._probe_since is not None
        if self.congested:  # the copies did not fit: the media did, keep its budget
            self.probe_failed = True
            self._failed(self._probe_to, now)
            self._probe_since = None
            self._clean_since = None
            self._hold_until = now + HOLD_SECS
        elif now - self._probe_since >= PROBE_SECS + TICK_SECS:
            self._probe_since = None
            if self.loss <= CLEAN_LOSS:
                self.budget_bps = max(self.budget_bps or 0.0, self._probe_to)
                self._worked(self._probe_to, now)

    def _worked(self, step_bps: float, now: float) -> None:
        self._worked_at = now
        if self._ceiling is not None and step_bps >= self._ceiling * 0.9:
            self._ceiling, self._ceiling_wait = None, CEILING_WAIT_SECS

    def _failed(self, step_bps: float, now: float) -> None:
        if step_bps >= self._good_bps * 0.9:  # the remembered rate no longer fits
            self._good_bps = 0.0
        if self._ceiling is not None and step_bps >= self._ceiling * 0.9:
            grown = self._ceiling_wait * CEILING_WAIT_GROWTH
            self._ceiling_wait = min(grown, CEILING_WAIT_MAX_SECS)
        self._ceiling = step_bps if self._ceiling is None else min(self._ceiling, step_bps)
        self._ceiling_since = now

    def _cut(self, now: float, delivered: float | None = None) -> None:
        got_through = max(self.sent_bps, self._last_sent_bps) * max(1.0 - self.loss, 0.1)
        if delivered is not None:  # measured by the receiver: better than a guess
            got_through = min(got_through, delivered)
        cut = max(got_through * MARGIN, FLOOR_BPS)
        if self._trial_since is not None:  # the step up did not fit: back, and a ceiling
            self._failed(self._trial_to or cut, now)
            if self._trial_from is not None:
                cut = min(cut, self._trial_from)
            self._trial_since = self._trial_from = self._trial_to = None
        self.budget_bps = cut if self.budget_bps is None else min(self.budget_bps, cut)
        self._clean_since = None
        self._hold_until = now + HOLD_SECS

    def step_up(self, now: float, needed_bps: float, top_bps: float | None = None) -> float | None:
        """Whether to go towards the next step up (``needed_bps`` in all) now.

        ``top_bps``: what the top step would need. A link that carried more a moment ago
        is probed for up to that in one go, not one step at a time.

        None: not now. 0.0: the budget was raised to it for a trial (allocate again).
        A rate: send that many bits/s more as copies for ``PROBE_SECS`` (``Egress.probe``).
        """
        budget = self.budget_bps
        if budget is None or needed_bps <= budget:
            return None
        busy = self._trial_since is not None or self._probe_since is not None
        if self._clean_since is None or now < self._hold_until or busy:
            return None
        recently = now - self._worked_at < PROBE_SECS + TICK_SECS + PROBE_AGAIN_SECS * 2
        wait = PROBE_AGAIN_SECS if recently else PROBE_WAIT_SECS
        if now - self._clean_since < wait:
            return None
        if needed_bps - budget <= max(DIRECT_STEP_BPS, budget * 0.5):
            target = needed_bps
        else:
            target = min(needed_bps, max(budget * 2, budget + DIRECT_STEP_BPS))
        # The link carried more a moment ago: probe for it in one step (always a probe:
        # a jump this big tried with the layers would freeze them if it did not fit).
        remembered = now - self._good_at <= GOOD_MEMORY_SECS and self._good_bps > target
        if remembered:
            target = min(needed_bps, self._good_bps)
            # Up to every step it carried, unless a failed step holds that back (issue
            # 13: a link back to its width got its layers after one probe per step).
            jump = min(max(top_bps or needed_bps, needed_bps), self._good_bps)
            if not self._held_back(jump, now):
                target = jump
        failed_before = self._ceiling is not None and target >= self._ceiling * 0.9
        if self._held_back(target, now):
            return None
        if target == needed_bps and not failed_before and not remembered:
            self._trial_from, self._trial_to, self._trial_since = budget, needed_bps, now
            self.budget_bps = needed_bps
            return 0.0
        self._probe_since, self._probe_to = now, target
        return max(target - self.sent_bps, 0.0)

    def _held_back(self, rate: float, now: float) -> bool:
        # Rates wobble: a step within 10 % of one that failed is the same step.
        if self._ceiling is None or rate < self._ceiling * 0.9:
            return False
        return now - self._ceiling_since < self._ceiling_wait

    def describe(self) -> str:
        """The estimate's state in a few words, for the log."""
        ceiling = None if self._ceiling is None else round(self._ceiling / 1000)
        budget = None if self.budget_bps is None else round(self.budget_bps / 1000)
        rtt = None if self.rtt is None else round(self.rtt, 3)
        said = f"budget {budget} kbit/s, ceiling {ceiling} kbit/s (again after "
        said += f"{self._ceiling_wait:g} s), loss {self.loss:.2f}, rtt {rtt}"
        heard = self.heard
        if heard is not None:  # transport-cc: what the feedback of the last tick said
            got = heard.delivered_bps
            said += (
                f"; feedback: {heard.packets} packets, {heard.lost} lost, queue "
                f"{_ms(heard.queue_start)} -> {_ms(heard.queue_end)} ms (max "
                f"{_ms(heard.queue_max)}), got {None if got is None else round(got / 1000)} kbit/s"
            )
        return said

    @property
    def quality(self) -> str:
        """ "good", "fair" or "poor", for the marks people see: the worst of the last
        ``QUALITY_MEMORY_SECS`` (a bad link wavers tick by tick; a mark must not)."""
        return self._quality

    def _rate_quality(self, now: float) -> None:
        if self.congested:
            self._poor_at = now
        elif self.loss > CLEAN_LOSS or (self.rtt is not None and self.rtt >= FAIR_RTT_SECS):
            self._fair_at = now
        if now - self._poor_at < QUALITY_MEMORY_SECS:
            self._quality = "poor"
        elif now - self._fair_at < QUALITY_MEMORY_SECS:
            self._quality = "fair"
        else:
            self._quality = "good"


def _ms(secs: float | None) -> int | None:
    return None if secs is None else round(secs * 1000)
