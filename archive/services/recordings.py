"""Starting, stopping and following recordings: the web side of the recorder's contract.

The media worker does the recording; the web process creates the row and the directory,
asks the worker over the channel layer, and mirrors the worker's ``status.json`` into the
row (``status_mirror``). Nothing here imports aiortc or PyAV, nor the archive's entries
(``archive.services.finished`` builds on both).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from archive.models import Recording, RecordingKind, RecordingState
from archive.services.errors import RecordingError
from archive.services.paths import MP4, recording_directory, recordings_root
from mediaworker.wire import MEDIA_WORKER_CHANNEL, ToWorkerRecording, to_worker_recording
from mediaworker.wire.status import RecordingStatus, read_status
from realtime import media_routes
from rooms.models import Room
from rooms.permissions import AnyUser
from scheduling.models import Occurrence

log = logging.getLogger(__name__)

Action = Literal["start", "stop"]


def _send_to_worker(message: ToWorkerRecording) -> None:
    """Hand a message to the room's media worker; a missing or full layer, or a room no
    worker serves, is logged, not raised."""
    layer = get_channel_layer()
    if layer is None:
        log.warning("no channel layer: recording message %s not sent", message["action"])
        return
    try:
        async_to_sync(_deliver)(layer, message)
    except ChannelFull:
        log.warning("media worker channel full: recording %s not sent", message["recording"])


async def _deliver(layer: Any, message: ToWorkerRecording) -> None:
    room = message["room"]
    channel = await media_routes.room_channel_once(room, shared=MEDIA_WORKER_CHANNEL)
    if channel is None:  # a recording starts in a live room: its members placed it
        log.warning(
            "room %s runs on no media worker: recording %s not sent", room, message["action"]
        )
        return
    await layer.send(channel, message)


def _notify(recording: Recording, action: Action) -> None:
    message = to_worker_recording(
        room=recording.room.slug,
        action=action,
        recording=recording.id.hex,
        directory=str(recording_directory(recording.id).resolve()),
        broadcast=recording.kind == RecordingKind.BROADCAST,
    )
    transaction.on_commit(lambda: _send_to_worker(message))


def start_recording(
    room: Room,
    *,
    kind: str,
    occurrence: Occurrence | None = None,
    by: AnyUser | None = None,
    continues: Recording | None = None,
) -> Recording:
    """Create the recording and its directory, and ask the media worker to start it.

    ``continues``: the recording a dead worker left unfinished, which this one carries
    on as its next part (archive/services/failover.py)."""
    if kind not in RecordingKind.values:
        raise RecordingError(_("Unknown kind of recording."))
    if (
        kind == RecordingKind.BROADCAST
        and occurrence is not None
        and not occurrence.session.broadcast
    ):
        # The public would watch a private meeting (its program, title and agenda).
        raise RecordingError(
            _("This meeting is not a public broadcast: record it as a meeting instead.")
        )
    with transaction.atomic():
        # Lock the room row so two hosts pressing Record at once make one recording.
        Room.objects.select_for_update().filter(pk=room.pk).first()
        if Recording.objects.filter(
            room=room, state=RecordingState.RECORDING, stop_requested_at__isnull=True
        ).exists():
            raise RecordingError(_("This room is already being recorded."))
        recording = Recording.objects.create(
            room=room,
            occurrence=occurrence,
            kind=kind,
            started_by=by if isinstance(by, User) else None,
            started_at=timezone.now(),
            continues=continues,
        )
        recording_directory(recording.id).mkdir(parents=True, exist_ok=True)
        _notify(recording, "start")
    log.info("recording %s of room %s requested (%s)", recording.id.hex, room.slug, kind)
    return recording


def stop_recording(recording: Recording) -> Recording:
    """Ask the media worker to stop and finalise; asking twice is harmless."""
    if recording.state != RecordingState.RECORDING:
        raise RecordingError(_("This recording has already stopped."))
    with transaction.atomic():
        if recording.stop_requested_at is None:
            recording.stop_requested_at = timezone.now()
            recording.save(update_fields=["stop_requested_at"])
        _notify(recording, "stop")
    return recording


def _when(text: str) -> datetime | None:
    value = parse_datetime(text) if text else None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _mirror(recording: Recording, status: RecordingStatus) -> list[str]:
    """Copy the status into the row; return the names of the fields that changed."""
    directory = recording_directory(recording.id)
    mp4 = directory / (status.mp4 or MP4)
    values: dict[str, Any] = {
        "state": status.state,
        "progress": 1.0 if status.state == "ready" else max(0.0, min(1.0, status.progress)),
        "duration": max(0.0, status.duration),
        "transcoded": status.transcoded,
        "error": status.error[:500],
        "mp4_bytes": mp4.stat().st_size if status.state == "ready" and mp4.is_file() else 0,
    }
    started, ended = _when(status.started), _when(status.ended)
    if started is not None:
        values["started_at"] = started
    if ended is not None:
        values["ended_at"] = ended
    changed = [name for name, value in values.items() if getattr(recording, name) != value]
    for name in changed:
        setattr(recording, name, values[name])
    return changed


def status_mirror(recording: Recording) -> RecordingStatus | None:
    """Bring the row in line with the worker's status.json; return the status read (None
    when the worker has written none yet). Making the archive entry of a finished
    broadcast is ``archive.services.finished``'s part."""
    status = read_status(recording_directory(recording.id))
    if status is None:
        return None
    changed = _mirror(recording, status)
    if changed:
        recording.save(update_fields=changed)
    return status


def recording_register(
    directory: Path, *, room: Room, kind: str = RecordingKind.BROADCAST
) -> Recording:
    """A row for a finished directory made elsewhere (the demo set-up); the files are copied
    under ``MEET_RECORDINGS_ROOT`` when they are not there yet."""
    status = read_status(directory)
    if status is None or status.state != "ready":
        raise RecordingError(_("This folder holds no finished recording."))
    try:
        recording_id = uuid.UUID(hex=directory.name)
    except ValueError:
        recording_id = uuid.uuid4()
    target = recording_directory(recording_id)
    if directory.resolve() != target.resolve():
        recordings_root().mkdir(parents=True, exist_ok=True)
        shutil.copytree(directory, target, dirs_exist_ok=True)
    recording, _created = Recording.objects.get_or_create(
        id=recording_id, defaults={"room": room, "kind": kind}
    )
    status_mirror(recording)
    return recording
