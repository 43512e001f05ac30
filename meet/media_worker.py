"""Start the in-process media worker with the web process (the embedded default).

daphne has no ASGI lifespan, so ``with_media_worker`` wraps the ASGI application and
starts the worker on the first connection, once, on daphne's own event loop and
channel layer. With ``MEET_MEDIA_WORKER=external`` (the default when ``REDIS_URL``
is set) it does nothing and aiortc is never imported by the web process.
"""

from __future__ import annotations

from typing import Any

from mediaworker.config import worker_mode

Scope = dict[str, Any]


class with_media_worker:  # noqa: N801 - reads as a function in meet/asgi.py
    """ASGI middleware: the first scope starts the in-process media worker."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = False

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if not self.started:
            self.started = True
            if worker_mode() == "inprocess":
                from mediaworker.worker import start_in_process

                start_in_process()
        return await self.app(scope, receive, send)
