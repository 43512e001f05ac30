"""Start the in-process media worker with the web process (the embedded default).

daphne has no ASGI lifespan, so ``with_media_worker`` wraps the ASGI application and
starts the worker on the first connection, once, on daphne's own event loop and
channel layer (the worker is handed the layer: it never reads Django's settings). With
``MEET_MEDIA_WORKER=external`` (the default when ``REDIS_URL`` is set) it does nothing
and aiortc is never imported by the web process.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from mediaworker.config import worker_mode
from meet.first_scope import StartOnFirstScope

if TYPE_CHECKING:
    from mediaworker.worker import MediaWorker


_in_process: MediaWorker | None = None
_in_process_task: asyncio.Task[None] | None = None


def start_in_process() -> MediaWorker:
    """Start the worker on this event loop and the default channel layer, once."""
    global _in_process, _in_process_task
    if _in_process is None:
        # Imported here: aiortc and PyAV load only in a web process that runs the worker.
        from channels.layers import get_channel_layer

        from mediaworker.worker import MediaWorker, patient_redis

        _in_process = MediaWorker(patient_redis(get_channel_layer()))
        _in_process_task = asyncio.get_running_loop().create_task(_in_process.run())
    return _in_process


async def stop_in_process() -> None:
    """Stop the in-process worker (tests; daphne just exits)."""
    global _in_process, _in_process_task
    worker, task = _in_process, _in_process_task
    _in_process, _in_process_task = None, None
    if worker is not None:
        worker.stop()  # not a bare cancel: one may be swallowed on Redis (MediaWorker.stop)
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)


class with_media_worker(StartOnFirstScope):  # noqa: N801 - reads as a function in meet/asgi.py
    """ASGI middleware: the first scope starts the in-process media worker."""

    def start(self) -> None:
        if worker_mode() == "inprocess":
            start_in_process()
