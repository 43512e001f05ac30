"""Per-address limits on what viewers send, shared by every web process.

A viewer's connection has its own token bucket (in the consumer); a client address has
one per kind of message ("qa", "chat") across all its tabs. With several daphne
processes behind one address the address's bucket must be the same everywhere, or
each process would grant the full rate again:

* on the in-memory layer (one process) the buckets live in this process
  (``realtime.rates.AddressBuckets``);
* on Redis each (kind, address) is one key holding its GCRA "theoretical arrival
  time" — the token bucket's equivalent in one number — updated by a Lua script that
  reads Redis's clock, so every process shares one bucket and one clock.

If Redis cannot be reached the message is allowed (and logged): a limit must not take
questions down with it; the connection's own bucket still holds.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from django.conf import settings

from realtime import rates as ratelimit
from realtime.ratelimit import GCRA_SCRIPT, aspend_script
from realtime.redis import async_client, redis_address

# GCRA on Redis: one script for the whole site (realtime/ratelimit.py).
_SPEND = GCRA_SCRIPT


class AddressLimits(Protocol):
    async def spend(self, kind: str, address: str) -> float:
        """Take a token of ``kind`` for ``address``: 0, or the seconds to wait."""
        ...


class LocalLimits:
    """One process: the address buckets live here."""

    def __init__(self, rate: ratelimit.Rate) -> None:
        self.rate = rate
        self._buckets: dict[str, ratelimit.AddressBuckets] = {}

    async def spend(self, kind: str, address: str) -> float:
        buckets = self._buckets.get(kind)
        if buckets is None:
            buckets = self._buckets[kind] = ratelimit.AddressBuckets(self.rate)
        now = time.monotonic()
        return ratelimit.allow([buckets.get(address, now)], now)


class RedisLimits:
    """Several processes: one GCRA key per (kind, address) in Redis."""

    def __init__(self, client: Any, rate: ratelimit.Rate, *, prefix: str) -> None:
        self.rate = rate
        self.prefix = prefix
        self._script = client.register_script(_SPEND)

    async def spend(self, kind: str, address: str) -> float:
        return await aspend_script(self._script, f"{self.prefix}rate:{kind}:{address}", self.rate)


def configured_rate() -> ratelimit.Rate:
    """``MEET_WATCH_RATE = (every_secs, burst)``; one question per 20 s, 3 at once."""
    every, burst = getattr(settings, "MEET_WATCH_RATE", (20.0, 3))
    return ratelimit.Rate(every_secs=float(every), burst=int(burst))


_limits: AddressLimits | None = None


def get_limits() -> AddressLimits:
    """This process's address limits, matching the channel layer (made on first use)."""
    global _limits
    if _limits is None:
        address = redis_address()
        if address:
            prefix = str(getattr(settings, "MEET_WATCH_REDIS_PREFIX", "meet:watch:"))
            client = async_client(address)
            _limits = RedisLimits(client, configured_rate(), prefix=prefix)
        else:
            _limits = LocalLimits(configured_rate())
    return _limits


def reset_limits() -> None:
    """Forget the limits and their buckets (tests; settings changed)."""
    global _limits
    _limits = None
