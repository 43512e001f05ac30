"""Token buckets for viewers' questions and chat: per connection and per address.

One question every 20 seconds on average, three at once at most, by default. A viewer
who opens ten tabs shares the address's bucket, so tabs do not multiply the rate.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``burst`` messages at once, then one every ``every_secs`` seconds."""

    every_secs: float
    burst: int


DEFAULT_RATE = Rate(every_secs=20.0, burst=3)


@dataclass
class Bucket:
    """One token bucket; ``take`` is O(1)."""

    rate: Rate
    tokens: float
    at: float

    @classmethod
    def full(cls, rate: Rate, now: float) -> Bucket:
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


class AddressBuckets:
    """Buckets per client address, the least recently used forgotten past ``size``."""

    def __init__(self, rate: Rate = DEFAULT_RATE, *, size: int = 10_000) -> None:
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


def allow(buckets: list[Bucket], now: float) -> float:
    """Take a token from every bucket and return 0, or return the seconds to wait."""
    waits = [bucket.wait_secs(now) for bucket in buckets if not bucket.ready(now)]
    if waits:
        return max(waits)
    for bucket in buckets:
        bucket.take()
    return 0.0
