"""Allowances per person (or per address) over a window of time, in Django's cache.

For HTTP views and services, which run in many processes: the count lives in the
configured cache (shared when ``CACHES`` points at Redis; per process with the default
local-memory cache, which still bounds each process). WebSocket consumers keep their own
token buckets (``signaling/domain/ratelimit.py``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Allowance:
    """At most ``limit`` units per ``window_secs``."""

    limit: int
    window_secs: int


def throttle_spend(*, scope: str, key: str, allowance: Allowance, cost: int = 1) -> int:
    """Spend ``cost`` units of ``key``'s allowance in ``scope``: 0, or the seconds to wait.

    Refused attempts count too, so hammering does not find the moment a slot frees up."""
    now = int(time.time())
    window = max(1, allowance.window_secs)
    current = now // window
    name = f"meet:throttle:{scope}:{key}:{current}"
    cache.add(name, 0, timeout=window + 1)
    try:
        used = cache.incr(name, cost)
    except ValueError:  # evicted between add and incr
        cache.set(name, cost, timeout=window + 1)
        used = cost
    if used > allowance.limit:
        return (current + 1) * window - now
    return 0
