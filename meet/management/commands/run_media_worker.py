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

        from mediaworker.standalone import serve_metrics
        from mediaworker.worker import patient_redis, run_forever

        # The configured layer (settings.CHANNEL_LAYERS); ``meet media`` builds the same
        # Redis layer without Django (mediaworker/standalone.py).
        serve_metrics()
        asyncio.run(run_forever(patient_redis(get_channel_layer())))
