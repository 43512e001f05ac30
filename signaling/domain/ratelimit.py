"""The live room's per-connection rate limits: which bucket each message draws from.

The buckets themselves are the realtime core's (realtime/rates.py); this module keeps
only what is the live room's: its message types and their default rates.
"""

from __future__ import annotations

from collections.abc import Mapping

from realtime.rates import Limiter, Rate

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
    "default": Rate.per_second(5.0, 20),
    "chat": Rate.per_second(1.0, 5),
    "vote": Rate.per_second(2.0, 5),
    "rtc": Rate.per_second(30.0, 120),
}


class RateLimiter(Limiter):
    """Token buckets of one live-room connection; ``allow`` is O(1) and allocates nothing."""

    __slots__ = ()

    def __init__(self, rates: Mapping[str, Rate] | None = None) -> None:
        super().__init__(dict(DEFAULT_RATES) if rates is None else rates, BUCKET_OF)


def rates_from(config: Mapping[str, tuple[float, int]] | None) -> dict[str, Rate]:
    """Defaults overridden by ``{"chat": (per_sec, burst), ...}`` from settings."""
    rates = dict(DEFAULT_RATES)
    for name, (per_sec, burst) in (config or {}).items():
        rates[name] = Rate.per_second(float(per_sec), int(burst))
    return rates
