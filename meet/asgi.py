"""ASGI entry point: HTTP goes to Django, WebSocket to the apps' consumers.

In the embedded default the media worker runs in this process too: the first
connection starts it (meet/media_worker.py; ``MEET_MEDIA_WORKER``). Every web process
listens to the worker's news of finished recordings (meet/recording_news.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# Django must be set up before the routing imports consumers and models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from meet.media_worker import with_media_worker  # noqa: E402
from meet.proxies import TrustedProxyMiddleware  # noqa: E402
from meet.recording_news import with_recording_news  # noqa: E402
from meet.routing import websocket_urlpatterns  # noqa: E402
from meet.websocket_limits import WebSocketLimitMiddleware  # noqa: E402
from signaling.upload_guard import guard_uploads  # noqa: E402

application = with_media_worker(
    # The worker's "recording finished" news becomes archive entries (meet/recording_news.py).
    with_recording_news(
        # Every layer below sees the client's address only as a trusted proxy told it.
        TrustedProxyMiddleware(
            ProtocolTypeRouter(
                {
                    # Oversized live-room uploads are refused before their bodies are read.
                    "http": guard_uploads(django_asgi_app),
                    # Each route brings its own session/auth stack (meet/routing.py).
                    "websocket": WebSocketLimitMiddleware(
                        AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))
                    ),
                }
            )
        )
    )
)

if os.environ.get("MEET_START_SCHEDULER") == "1":
    # The embedded default's one process also sends reminders and extends schedules
    # (`meet serve` sets this; production runs `meet run_scheduler` as its own process).
    from meet.jobs import start_in_process  # noqa: E402

    start_in_process()
