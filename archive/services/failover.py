"""A recording whose media worker died goes on in a new recording (issue 14, item 5).

When a web process reaps a dead worker's room (realtime/media_routes.py), this is one of
its announcers: if the room was being recorded, it waits until the room runs on a live
worker again (its members' new offers place it there), then stops the unfinished
recording — the worker that gets the stop finalises what the dead one left on disk
(fragmented MP4 segments up to the last one written) — and starts a new recording of
the same room, kind and meeting on the room's new worker, as the next part of the first
(``Recording.continues``): one recording page and one archive entry play the parts in
order (archive/services/parts.py).
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.db import transaction

from archive.models import Recording, RecordingState
from archive.services.recordings import start_recording, stop_recording
from mediaworker.wire import MEDIA_WORKER_CHANNEL
from realtime import media_routes

log = logging.getLogger(__name__)

# The members offer again as soon as they hear of the move (a few tenths of a second);
# past this the room runs nowhere (no live worker had room) and the recording just stops.
PLACED_WAIT_SECS = 20.0
PLACED_POLL_SECS = 0.25

_carrying: set[asyncio.Task[None]] = set()


def _unfinished(slug: str) -> list[Recording]:
    return list(
        Recording.objects.filter(
            room__slug=slug, state=RecordingState.RECORDING, stop_requested_at__isnull=True
        ).select_related("room", "occurrence", "started_by")
    )


def recordings_continue(*, slug: str, placed: bool) -> list[Recording]:
    """Stop each unfinished recording of the room at ``slug``; when the room runs on a
    worker again (``placed``), start a new one of the same kind and meeting there."""
    made = []
    with transaction.atomic():
        for old in _unfinished(slug):
            stop_recording(old)
            if placed:
                new = start_recording(
                    old.room,
                    kind=old.kind,
                    occurrence=old.occurrence,
                    by=old.started_by,
                    continues=old,
                )
                log.warning("room %s: recording %s goes on as %s", slug, old.id.hex, new.id.hex)
                made.append(new)
    return made


async def recordings_carry_on(room: str, worker: str) -> None:
    """The announcer: carry on ``room``'s recording, if it had one, once it is placed again."""
    if not await database_sync_to_async(_unfinished)(room):
        return
    task = asyncio.ensure_future(_when_placed(room, worker))
    _carrying.add(task)  # the loop keeps tasks only weakly
    task.add_done_callback(_carrying.discard)


async def _when_placed(room: str, worker: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PLACED_WAIT_SECS
    placed = False
    while loop.time() < deadline:
        channel = await media_routes.room_channel(room, shared=MEDIA_WORKER_CHANNEL)
        if channel is not None and channel != MEDIA_WORKER_CHANNEL:
            placed = True
            break
        await asyncio.sleep(PLACED_POLL_SECS)
    try:
        await database_sync_to_async(recordings_continue)(slug=room, placed=placed)
    except Exception:
        log.exception("room %s: the recording left on worker %s did not go on", room, worker)
