"""``manage.py run_media_worker``: the media worker as its own process (= ``meet media``)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Run the media worker until SIGINT or SIGTERM."""

    help = "Run the media worker (aiortc SFU) on the configured channel layer."

    def handle(self, *args: Any, **options: Any) -> None:
        """Serve until stopped."""
        from channels.layers import get_channel_layer
        from django.conf import settings

        from mediaworker.standalone import main, serve_metrics
        from mediaworker.worker import patient_redis, run_forever

        if settings.REDIS_URL:
            # Registered in placement on its own channel, exactly as ``meet media``.
            main()
            return
        # The configured layer (settings.CHANNEL_LAYERS) without Redis: the shared channel.
        serve_metrics()
        asyncio.run(run_forever(patient_redis(get_channel_layer())))
