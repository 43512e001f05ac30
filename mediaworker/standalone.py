"""The media worker as its own process: ``meet media`` and ``python -m mediaworker``.

Production shape (``REDIS_URL`` set): the worker builds its Redis channel layer and its
logging from the environment itself, so it starts without Django settings, a database
or a secret key. The web processes reach it through the same Redis (meet/settings.py):
the worker registers in placement (placement/, mediaworker/registration.py) under
``MEET_MEDIA_WORKER_ID`` and reads its own channel, ``media-worker.<id>``; the web side
asks placement which worker serves a room (realtime/media_routes.py). Several workers on
one machine: ``meet media --workers N`` (mediaworker/fleet.py) or N such processes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

from mediaworker import logs, metrics
from mediaworker.config import capacity_units, metrics_address, worker_id
from mediaworker.exposition import serve_in_thread
from mediaworker.registration import Registration
from mediaworker.wire import worker_channel
from mediaworker.worker import REDIS_SOCKET_TIMEOUT_SECS, patient_redis, run_forever
from placement.store import Placement, WorkerCard

# Equal to the web side's Redis host entry (meet/settings.py CHANNEL_LAYERS): the two
# sides share one Redis, and a worker answering a join storm opens as many connections
# as a web process does (redis-py's pool stops at 100 otherwise; shared/MEASURED.md).
REDIS_MAX_CONNECTIONS = 1000


def redis_layer(url: str) -> Any:
    """The Redis channel layer the web side configures, fitted to the worker."""
    # channels_redis's layer subclasses channels.layers.BaseChannelLayer, and that module
    # imports django.conf: the transport library's import, not ours. Nothing reads
    # Django's settings here; the layer is built from its arguments alone.
    from channels_redis.core import RedisChannelLayer

    host = {
        "address": url,
        "max_connections": REDIS_MAX_CONNECTIONS,
        # Longer than channels_redis's 5 s BZPOPMIN, as the web side sets it (worker.py).
        "socket_timeout": REDIS_SOCKET_TIMEOUT_SECS,
    }
    return patient_redis(RedisChannelLayer(hosts=[host]))


def configure_logging(environ: Mapping[str, str] = os.environ) -> None:
    """Log to stderr at ``LOG_LEVEL`` in ``LOG_FORMAT``, redacted, as the web processes do."""
    logs.configure(environ)


def serve_metrics(environ: Mapping[str, str] = os.environ) -> None:
    """Serve /metrics and /healthz on ``MEET_MEDIA_METRICS_HOST:PORT`` unless turned off."""
    address = metrics_address(environ)
    if address is not None:
        # From a thread: /healthz answers (503) even when the worker's loop is stuck.
        serve_in_thread(*address, metrics.healthy, name="media-metrics")
        logging.getLogger(__name__).info("metrics on http://%s:%d/metrics", *address)


def main(environ: Mapping[str, str] = os.environ) -> None:
    """Run the worker on ``REDIS_URL``'s channel layer until SIGINT or SIGTERM."""
    url = environ.get("REDIS_URL", "").strip()
    if not url:
        # A worker on a layer of its own would wait for messages no web process sends.
        raise SystemExit(
            "The media worker runs as its own process only with REDIS_URL set (the channel "
            "layer it shares with the web processes); without it daphne runs the worker."
        )
    name, capacity = worker_id(environ), capacity_units(environ)
    configure_logging(environ)
    serve_metrics(environ)
    asyncio.run(serve_placed(url, WorkerCard(name, capacity, worker_channel(name))))


async def serve_placed(url: str, card: WorkerCard) -> None:
    """Serve ``card.channel`` on ``url``'s layer, registered in placement meanwhile."""
    import redis.asyncio

    def connect() -> Placement:
        return Placement(
            redis.asyncio.Redis.from_url(url, socket_timeout=REDIS_SOCKET_TIMEOUT_SECS)
        )

    client = redis.asyncio.Redis.from_url(url, socket_timeout=REDIS_SOCKET_TIMEOUT_SECS)
    try:
        await run_forever(
            redis_layer(url),
            channel=card.channel,
            registration=Registration(Placement(client), card, connect=connect),
        )
    finally:
        await client.aclose()
