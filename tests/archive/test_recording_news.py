"""The worker's "recording finished" news makes the archive entry at once (issue 11).

The listener (meet/recording_news.py) reads the real in-memory channel layer; a bad
message or a failing database is logged and skipped, never the end of the loop.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.db import OperationalError

from archive.models import ArchiveEntry, Recording, RecordingKind, RecordingState
from archive.services import finished
from archive.services.paths import recording_directory
from mediaworker.wire import RECORDINGS_CHANNEL, recording_finished
from mediaworker.wire.status import write_status
from meet import recording_news
from tests.archive.conftest import People, broadcast_session, ready_status

pytestmark = pytest.mark.django_db(transaction=True)
WAIT_SECS = 5.0


def _finished_on_disk(people: People, mp4_file: Path) -> Recording:
    """A broadcast the worker has finished: ready on disk, the row still "recording"."""
    occurrence = broadcast_session(people.room)
    recording = Recording.objects.create(
        room=people.room, kind=RecordingKind.BROADCAST, occurrence=occurrence
    )
    directory = recording_directory(recording.id)
    directory.mkdir(parents=True)
    shutil.copy(mp4_file, directory / "recording.mp4")
    write_status(directory, ready_status())
    return recording


@pytest.fixture
async def layer() -> AsyncIterator[InMemoryChannelLayer]:
    """The real in-memory layer with the listener reading it; stopped after the test."""
    channel_layer = InMemoryChannelLayer()
    task = asyncio.create_task(recording_news.listen(channel_layer))
    yield channel_layer
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _until(check: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_SECS
    while not await database_sync_to_async(check)():
        assert asyncio.get_running_loop().time() < deadline, "the listener did not act"
        await asyncio.sleep(0.05)


def _entry_of(recording: Recording) -> Callable[[], bool]:
    return lambda: ArchiveEntry.objects.filter(recording_id=recording.pk).exists()


async def test_a_finished_message_makes_the_entry_at_once(
    people: People, mp4_file: Path, layer: InMemoryChannelLayer
) -> None:
    recording = await database_sync_to_async(_finished_on_disk)(people, mp4_file)
    assert not await database_sync_to_async(_entry_of(recording))()
    await layer.send(
        RECORDINGS_CHANNEL, recording_finished(recording=recording.id.hex, state="ready")
    )
    await _until(_entry_of(recording))
    row = await database_sync_to_async(Recording.objects.get)(pk=recording.pk)
    assert row.state == RecordingState.READY and row.progress == 1.0


async def test_bad_messages_do_not_stop_the_next_one(
    people: People, mp4_file: Path, layer: InMemoryChannelLayer
) -> None:
    recording = await database_sync_to_async(_finished_on_disk)(people, mp4_file)
    bad: list[dict[str, Any]] = [
        {"type": "recording.finished"},  # no recording
        {"type": "recording.finished", "recording": recording.id.hex, "state": "lost"},
        {"type": "media.recording", "recording": recording.id.hex},
        {"type": "recording.finished", "recording": "not-an-id", "state": "ready"},
        dict(recording_finished(recording="0" * 32, state="failed")),  # unknown id
    ]
    for message in bad:
        await layer.send(RECORDINGS_CHANNEL, message)
    await layer.send(
        RECORDINGS_CHANNEL, recording_finished(recording=recording.id.hex, state="ready")
    )
    await _until(_entry_of(recording))


async def test_a_database_error_does_not_end_the_listener(
    people: People,
    mp4_file: Path,
    layer: InMemoryChannelLayer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = await database_sync_to_async(_finished_on_disk)(people, mp4_file)
    real = finished.recording_finished
    calls: list[str] = []

    def flaky(*, recording_id: str) -> Recording | None:
        calls.append(recording_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(recording_id=recording_id)

    monkeypatch.setattr(finished, "recording_finished", flaky)
    message = recording_finished(recording=recording.id.hex, state="ready")
    await layer.send(RECORDINGS_CHANNEL, message)
    await layer.send(RECORDINGS_CHANNEL, message)
    await _until(_entry_of(recording))
    assert len(calls) == 2


async def test_the_asgi_wrapper_starts_the_listener_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[object] = []
    monkeypatch.setattr(recording_news, "start", lambda: started.append(1))
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    wrapped = recording_news.with_recording_news(app)
    await wrapped({"type": "http"}, None, None)
    await wrapped({"type": "websocket"}, None, None)
    assert started == [1] and seen == ["http", "websocket"]


def test_the_asgi_application_listens() -> None:
    from meet.asgi import application

    assert isinstance(application.app, recording_news.with_recording_news)
