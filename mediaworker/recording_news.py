"""Telling the web side that a recording is finished (``wire.recording_finished``).

The worker finalises recordings off its event loop: the recorder's thread after a stop
(or when the room closes), and a thread for the recordings a killed worker left behind
(``finalise_orphans``, at start or for a stop no live room took). Such a thread calls
``RecordingNews.finished(directory)`` when it is done; if status.json then says
``ready`` or ``failed``, the message is sent on the loop to ``RECORDINGS_CHANNEL``.

A full channel or a closed layer is logged and forgotten, never raised: the web side's
minute sweep of unfinished recordings is the path that recovers from a lost message.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from mediaworker.wire import (
    FINISHED_STATES,
    RECORDINGS_CHANNEL,
    FinishedState,
    recording_finished,
)
from mediaworker.wire.status import read_status

logger = logging.getLogger(__name__)


class RecordingNews:
    """Sends ``recording.finished`` messages from the worker's loop, whoever finalised."""

    def __init__(self, layer: Any) -> None:
        self._layer = layer
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send on ``loop`` (the worker's, once it runs)."""
        self._loop = loop

    def finished(self, directory: Path) -> None:
        """From any thread: tell the web side if ``directory``'s recording is final now."""
        status = read_status(directory)
        if status is None or status.state not in FINISHED_STATES:
            return  # not finalised (a stop without finalising, a crash): the sweep sees it
        state: FinishedState = "ready" if status.state == "ready" else "failed"
        loop = self._loop
        try:
            if loop is None:
                raise RuntimeError("the worker is not running")
            loop.call_soon_threadsafe(self._send_soon, directory.name, state)
        except RuntimeError as exc:  # the loop is closed: the worker is exiting
            logger.warning(
                "media worker: recording %s is %s, but the web side cannot be told (%s)",
                directory.name,
                state,
                exc,
            )

    def _send_soon(self, recording: str, state: FinishedState) -> None:
        task = asyncio.ensure_future(self._send(recording, state))
        self._sending.add(task)  # a task nobody holds may be collected before it runs
        task.add_done_callback(self._sending.discard)

    async def _send(self, recording: str, state: FinishedState) -> None:
        message = recording_finished(recording=recording, state=state)
        try:
            await self._layer.send(RECORDINGS_CHANNEL, dict(message))
        except Exception as exc:  # a full channel, a gone Redis: the sweep recovers
            logger.warning(
                "media worker: could not tell the web side recording %s is %s: %r",
                recording,
                state,
                exc,
            )
