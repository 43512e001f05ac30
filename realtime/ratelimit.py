"""Abuse limits shared by every web process: GCRA buckets, in Redis when it is configured.

A bucket is named by a key ("guestpw:addr:12:203.0.113.9") and has a ``Rate``: ``burst``
tries at once, then one every ``every_secs``. GCRA keeps one number per key, the
"theoretical arrival time" (TAT) — the token bucket's equivalent in one value:

* with Redis (the channel layer's), each key is one Redis key updated by a Lua script that
  reads Redis's clock, so every daphne process shares one bucket and one clock (the
  watch page's per-address limits, broadcasts/limits.py, use the same script);
* without Redis (the embedded default, one process) the TATs live in this process.

``spend`` / ``aspend`` answer 0.0 (allowed, one try spent) or the seconds to wait (nothing
spent). If Redis cannot be reached the try is allowed and logged: a limit must not take
the service down with it.

The rates and the GCRA arithmetic are plain Python in realtime/rates.py (the
per-connection token buckets of both sockets live there too); this module adds the
stores. Scheduling imports it as well, so it must stay free of Channels.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import OrderedDict
from typing import Any

from django.conf import settings

from realtime.rates import Rate, gcra
from realtime.redis import async_client, redis_address, sync_client

__all__ = [
    "GCRA_SCRIPT",
    "LocalStore",
    "Rate",
    "RedisStore",
    "Store",
    "aspend_script",
    "gcra",
    "get_store",
]

logger = logging.getLogger(__name__)

# GCRA: a try is allowed when it is no more than (burst - 1) intervals early.
# Returns "0" (allowed, TAT advanced by one interval) or the seconds to wait.
GCRA_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local every = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - (burst - 1) * every
if wait > 0 then return tostring(wait) end
tat = tat + every
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
return '0'
"""

LOCAL_MAX_KEYS = 100_000


def _prefix() -> str:
    """Where the buckets live in Redis (``MEET_RATELIMIT_PREFIX``; tests isolate with it)."""
    return str(getattr(settings, "MEET_RATELIMIT_PREFIX", "meet:limit:"))


async def aspend_script(script: Any, key: str, rate: Rate) -> float:
    """One try from the Redis bucket ``key`` through a registered ``GCRA_SCRIPT``.

    0.0 (allowed) or the seconds to wait; Redis unreachable: allowed, and logged."""
    try:
        return float(await script(keys=[key], args=[rate.every_secs, rate.burst]))
    except Exception:
        logger.warning("rate limit store unreachable; allowing %s", key, exc_info=True)
        return 0.0


class LocalStore:
    """One process: TATs in a bounded dict (the least recently used forgotten)."""

    def __init__(self) -> None:
        self._tats: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()  # views run in threads

    def spend(self, key: str, rate: Rate) -> float:
        """Take one try from ``key``'s bucket: 0.0, or the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tat, wait = gcra(self._tats.get(key, now), now, rate)
            self._tats[key] = tat
            self._tats.move_to_end(key)
            if len(self._tats) > LOCAL_MAX_KEYS:
                self._tats.popitem(last=False)
        return wait

    async def aspend(self, key: str, rate: Rate) -> float:
        """``spend`` for coroutines (no I/O here)."""
        return self.spend(key, rate)

    def claim(self, key: str, ttl_secs: float) -> bool:
        """True the first time ``key`` is claimed within ``ttl_secs``."""
        now = time.monotonic()
        with self._lock:
            expiry = self._tats.get("claim:" + key)
            if expiry is not None and expiry > now:
                return False
            self._tats["claim:" + key] = now + ttl_secs
            return True

    async def aclaim(self, key: str, ttl_secs: float) -> bool:
        """``claim`` for coroutines (no I/O here)."""
        return self.claim(key, ttl_secs)


class RedisStore:
    """Several processes: one Redis key per bucket."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._sync = sync_client(address)
        self._script = self._sync.register_script(GCRA_SCRIPT)
        # redis.asyncio clients belong to the event loop that made them.
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def spend(self, key: str, rate: Rate) -> float:
        """Take one try from ``key``'s bucket: 0.0, or the seconds to wait."""
        try:
            return float(self._script(keys=[_prefix() + key], args=[rate.every_secs, rate.burst]))
        except Exception:
            logger.warning("rate limit store unreachable; allowing %s", key, exc_info=True)
            return 0.0

    async def aspend(self, key: str, rate: Rate) -> float:
        """``spend`` without blocking the event loop."""
        return await aspend_script(self._async_script(), _prefix() + key, rate)

    def claim(self, key: str, ttl_secs: float) -> bool:
        """True the first time ``key`` is claimed within ``ttl_secs`` (SET NX)."""
        try:
            ttl_ms = max(1, int(ttl_secs * 1000))
            return bool(self._sync.set(_prefix() + "claim:" + key, b"1", nx=True, px=ttl_ms))
        except Exception:
            logger.warning("rate limit store unreachable; claim %s allowed", key, exc_info=True)
            return True

    async def aclaim(self, key: str, ttl_secs: float) -> bool:
        """``claim`` without blocking the event loop."""
        try:
            ttl_ms = max(1, int(ttl_secs * 1000))
            client = self._async_client()
            return bool(await client.set(_prefix() + "claim:" + key, b"1", nx=True, px=ttl_ms))
        except Exception:
            logger.warning("rate limit store unreachable; claim %s allowed", key, exc_info=True)
            return True

    def _async_client(self) -> Any:
        return self._async_script().registered_client

    def _async_script(self) -> Any:
        loop = asyncio.get_running_loop()
        found = self._async.get(loop)
        if found is None:
            client = async_client(self.address)
            found = self._async[loop] = client.register_script(GCRA_SCRIPT)
        return found


Store = LocalStore | RedisStore
_store: Store | None = None


def get_store() -> Store:
    """This process's store, matching the channel layer (made on first use)."""
    global _store
    if _store is None:
        address = redis_address()
        _store = RedisStore(address) if address else LocalStore()
    return _store


def reset_store() -> None:
    """Forget the store and its local buckets (tests; settings changed)."""
    global _store
    _store = None
