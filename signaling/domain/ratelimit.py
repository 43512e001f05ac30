"""Per-connection rate limits: one token bucket per kind of message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """``per_sec`` messages a second on average, bursts of up to ``burst``."""

    per_sec: float
    burst: int


# Which bucket a message type draws from; anything else draws from "default".
BUCKET_OF: Mapping[str, str] = {
    "chat.send": "chat",
    "poll.vote": "vote",
    "rtc.ice": "rtc",
    "rtc.offer": "rtc",
    "rtc.tracks": "rtc",
    "rtc.subscribe": "rtc",
}

DEFAULT_RATES: Mapping[str, Rate] = {
    "default": Rate(per_sec=5.0, burst=20),
    "chat": Rate(per_sec=1.0, burst=5),
    "vote": Rate(per_sec=2.0, burst=5),
    "rtc": Rate(per_sec=30.0, burst=120),
}


@dataclass
class _Bucket:
    rate: Rate
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """Token buckets of one connection; ``allow`` costs O(1) and allocates nothing."""

    rates: Mapping[str, Rate] = field(default_factory=lambda: dict(DEFAULT_RATES))
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    strikes: int = 0  # refusals in a row

    def allow(self, message_type: str, now: float) -> bool:
        """Take one token for ``message_type`` at time ``now`` (seconds); False if empty."""
        name = BUCKET_OF.get(message_type, "default")
        bucket = self._buckets.get(name)
        if bucket is None:
            rate = self.rates.get(name) or self.rates["default"]
            bucket = self._buckets[name] = _Bucket(rate, float(rate.burst), now)
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(float(bucket.rate.burst), bucket.tokens + elapsed * bucket.rate.per_sec)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self.strikes = 0
            return True
        self.strikes += 1
        return False


def rates_from(config: Mapping[str, tuple[float, int]] | None) -> dict[str, Rate]:
    """Defaults overridden by ``{"chat": (per_sec, burst), ...}`` from settings."""
    rates = dict(DEFAULT_RATES)
    for name, (per_sec, burst) in (config or {}).items():
        rates[name] = Rate(per_sec=float(per_sec), burst=int(burst))
    return rates
