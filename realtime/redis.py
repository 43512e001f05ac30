"""The one way our web processes reach Redis: its address and its clients.

The address is the default channel layer's (meet/settings.py builds that layer from
``REDIS_URL``), so the fan-out bus, the abuse limits and the viewer count always use the
Redis the channel layer uses, and a test that switches the layer switches them all.
"" means no Redis: each part then keeps its state in this process.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULT_ADDRESS = "redis://127.0.0.1:6379/0"  # channels_redis's own default host
ASYNC_MAX_CONNECTIONS = 100  # redis-py's default; per client, i.e. per store and event loop
POOL_WAIT_SECS = 10.0


def redis_address() -> str:
    """The Redis of the default channel layer, or "" on the in-memory layer."""
    layers: dict[str, dict[str, Any]] = settings.CHANNEL_LAYERS
    layer = layers.get("default", {})
    if "redis" not in str(layer.get("BACKEND", "")).lower():
        return ""
    hosts = layer.get("CONFIG", {}).get("hosts") or []
    if not hosts:
        return DEFAULT_ADDRESS
    first = hosts[0]
    return str(first.get("address", "") if isinstance(first, dict) else first)


def sync_client(address: str, *, socket_timeout: float | None = 5) -> Any:
    """A blocking client (for code in threads: views, services)."""
    import redis

    return redis.Redis.from_url(address, socket_timeout=socket_timeout)


def async_client(address: str, *, socket_timeout: float | None = 5) -> Any:
    """An asyncio client; it belongs to the event loop that first uses it.

    When all ``ASYNC_MAX_CONNECTIONS`` are busy a command waits (up to
    ``POOL_WAIT_SECS``) for one: redis-py's default pool raises instead, and in a join storm
    on a busy machine (bench/signaling.py across processes, issue 14) thousands of joins'
    limit checks failed that way — each logged with its traceback, and each let through
    unlimited, since a limit store that cannot answer allows."""
    import redis.asyncio

    pool = redis.asyncio.BlockingConnectionPool.from_url(
        address,
        socket_timeout=socket_timeout,
        max_connections=ASYNC_MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECS,
    )
    return redis.asyncio.Redis.from_pool(pool)
