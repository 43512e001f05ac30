"""The web side of the worker's news about recordings: a finished recording is archived at once.

The media worker sends ``recording.finished`` (mediaworker/wire) to ``RECORDINGS_CHANNEL``
when a recording's files are final or never will be. Every web process runs one task that
reads that channel (each message reaches one reader) and asks
``archive.services.finished`` to mirror the recording's status.json into its row and, for
a ready broadcast, make its archive entry. The minute sweep (meet/jobs.py) stays only to
recover what a crash or a lost message left unfinished.

daphne has no ASGI lifespan, so ``with_recording_news`` starts the task on the first
connection, once, on daphne's own event loop and channel layer, as
meet/media_worker.py does for the in-process worker.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from mediaworker.wire import FINISHED_STATES, RECORDINGS_CHANNEL
from meet.first_scope import StartOnFirstScope

log = logging.getLogger(__name__)
# After the layer itself fails (Redis gone), wait before reading again: no busy loop.
RETRY_SECS = 1.0

_task: asyncio.Task[None] | None = None


def finished_recording_id(message: object) -> str | None:
    """The recording id of a well-formed ``recording.finished`` message, else None."""
    if not isinstance(message, dict) or message.get("type") != "recording.finished":
        return None
    recording, state = message.get("recording"), message.get("state")
    if not isinstance(recording, str) or not recording or state not in FINISHED_STATES:
        return None
    return recording


def _finish(recording_id: str) -> bool:
    """Refresh and archive the recording; False when there is no such recording."""
    from archive.services.finished import recording_finished

    return recording_finished(recording_id=recording_id) is not None


async def handle(message: object) -> None:
    """Act on one message from the worker; a bad one is logged and ignored."""
    recording_id = finished_recording_id(message)
    if recording_id is None:
        log.warning("malformed message on %s skipped: %.200r", RECORDINGS_CHANNEL, message)
        return
    # channels' wrapper closes a connection the database broke, so the next message
    # gets a fresh one.
    if not await database_sync_to_async(_finish)(recording_id):
        log.warning("recording.finished for unknown recording %.64r skipped", recording_id)


async def listen(layer: Any) -> None:
    """Read ``RECORDINGS_CHANNEL`` until cancelled; no message and no failure ends it."""
    while True:
        try:
            message = await layer.receive(RECORDINGS_CHANNEL)
        except Exception:
            log.exception("reading %s failed; retrying", RECORDINGS_CHANNEL)
            await asyncio.sleep(RETRY_SECS)
            continue
        try:
            await handle(message)
        except Exception:  # a database error, a bad status.json: the next message still counts
            log.exception("recording message %.200r not handled", message)


def start(layer: Any = None) -> asyncio.Task[None] | None:
    """Start the listener once in this process, on the running loop (None: no layer)."""
    global _task
    if _task is not None and not _task.done():
        return _task
    layer = layer or get_channel_layer()
    if layer is None:
        log.warning("no channel layer: finished recordings wait for the minute sweep")
        return None
    _task = asyncio.get_running_loop().create_task(listen(layer), name="meet-recording-news")
    return _task


class with_recording_news(StartOnFirstScope):  # noqa: N801 - reads as a function in meet/asgi.py
    """ASGI middleware: the first scope starts the listener of the worker's news."""

    def start(self) -> None:
        start()
