"""Rates and token buckets: the arithmetic of every limit, plain Python.

One ``Rate`` for everything: ``burst`` at once, then one every ``every_secs``. The
shared abuse limits (realtime/ratelimit.py) keep it as a GCRA arrival time; a connection
keeps ``Bucket``s in memory: the live room one per kind of message (``Limiter``), the
watch page one per kind plus one per client address (``AddressBuckets``). A bucket
allocates nothing per message: it is checked for every frame a browser sends.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``burst`` tries at once, then one every ``every_secs`` seconds."""

    every_secs: float
    burst: int

    @classmethod
    def per_second(cls, per_sec: float, burst: int) -> Rate:
        """The rate of ``per_sec`` a second on average (0: the burst, then never again)."""
        return cls(every_secs=1.0 / per_sec if per_sec > 0 else math.inf, burst=burst)


def gcra(tat: float, now: float, rate: Rate) -> tuple[float, float]:
    """(new TAT, seconds to wait): the wait is 0.0 when the try is allowed."""
    tat = max(tat, now)
    wait = tat - now - (rate.burst - 1) * rate.every_secs
    if wait > 0:
        return tat, wait
    return tat + rate.every_secs, 0.0


@dataclass
class Bucket:
    """One token bucket; ``take`` is O(1)."""

    rate: Rate
    tokens: float
    at: float

    @classmethod
    def full(cls, rate: Rate, now: float) -> Bucket:
        """A bucket holding its whole burst at ``now``."""
        return cls(rate, float(rate.burst), now)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.at)
        gained = elapsed / self.rate.every_secs if self.rate.every_secs > 0 else self.rate.burst
        self.tokens = min(float(self.rate.burst), self.tokens + gained)
        self.at = now

    def ready(self, now: float) -> bool:
        """True when a token is there to take."""
        self._refill(now)
        return self.tokens >= 1.0

    def take(self) -> None:
        """Spend one token (call after ``ready`` said yes)."""
        self.tokens -= 1.0

    def wait_secs(self, now: float) -> float:
        """Seconds until the next token."""
        self._refill(now)
        missing = max(0.0, 1.0 - self.tokens)
        return missing * self.rate.every_secs


def allow(buckets: list[Bucket], now: float) -> float:
    """Take a token from every bucket and return 0, or return the seconds to wait."""
    waits = [bucket.wait_secs(now) for bucket in buckets if not bucket.ready(now)]
    if waits:
        return max(waits)
    for bucket in buckets:
        bucket.take()
    return 0.0


class AddressBuckets:
    """Buckets per client address, the least recently used forgotten past ``size``."""

    def __init__(self, rate: Rate, *, size: int = 10_000) -> None:
        self.rate = rate
        self.size = size
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def get(self, address: str, now: float) -> Bucket:
        """The bucket of ``address`` (a fresh full one for a new address)."""
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = Bucket.full(self.rate, now)
            if len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(address)
        return bucket


class Limiter:
    """The token buckets of one connection, one per kind of message.

    ``bucket_of`` names the bucket a message type draws from (anything else draws from
    "default", which ``rates`` must have). ``strikes`` counts refusals in a row.
    """

    __slots__ = ("_buckets", "bucket_of", "rates", "strikes")

    def __init__(self, rates: Mapping[str, Rate], bucket_of: Mapping[str, str]) -> None:
        self.rates = rates
        self.bucket_of = bucket_of
        self._buckets: dict[str, Bucket] = {}
        self.strikes = 0

    def allow(self, message_type: str, now: float) -> bool:
        """Take one token for ``message_type`` at time ``now`` (seconds); False if empty."""
        name = self.bucket_of.get(message_type, "default")
        bucket = self._buckets.get(name)
        if bucket is None:
            rate = self.rates.get(name) or self.rates["default"]
            bucket = self._buckets[name] = Bucket.full(rate, now)
        if bucket.ready(now):
            bucket.take()
            self.strikes = 0
            return True
        self.strikes += 1
        return False
