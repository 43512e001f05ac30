"""Recordings follow status.json; a ready broadcast becomes a pending archive entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from archive.models import ArchiveEntry, EntryStatus, Recording, RecordingKind, RecordingState
from archive.services.archive import (
    EntryInput,
    archive_demo_recording,
    entry_approve,
    entry_unpublish,
    entry_update,
)
from archive.services.errors import ArchiveError, RecordingError
from archive.services.finished import refresh, refresh_unfinished
from archive.services.paths import recording_directory
from archive.services.recordings import start_recording, stop_recording
from mediaworker.wire import MEDIA_WORKER_CHANNEL
from mediaworker.wire.status import RecordingStatus, write_status
from tests.archive.conftest import (
    People,
    broadcast_session,
    finished_recording,
    make_mp4,
    ready_status,
)

pytestmark = pytest.mark.django_db


def _worker_message() -> dict:
    return async_to_sync(get_channel_layer().receive)(MEDIA_WORKER_CHANNEL)


def test_start_creates_row_directory_and_asks_the_worker(
    people: People, django_capture_on_commit_callbacks
) -> None:
    occurrence = broadcast_session(people.room)
    with django_capture_on_commit_callbacks(execute=True):
        recording = start_recording(
            people.room, kind=RecordingKind.BROADCAST, occurrence=occurrence, by=people.host
        )
    directory = recording_directory(recording.id)
    assert directory.is_dir() and directory.name == recording.id.hex
    assert recording.state == RecordingState.RECORDING and recording.started_by == people.host
    message = _worker_message()
    assert message == {
        "type": "media.recording",
        "room": "hanoi",
        "action": "start",
        "recording": recording.id.hex,
        "directory": str(directory.resolve()),
        "broadcast": True,
        "title": "",
        "text": "",
    }
    with pytest.raises(RecordingError):
        start_recording(people.room, kind=RecordingKind.MEETING)
    with django_capture_on_commit_callbacks(execute=True):
        stop_recording(recording)
    assert _worker_message()["action"] == "stop"
    recording.refresh_from_db()
    assert recording.stop_requested_at is not None


def test_refresh_follows_status_json(people: People, mp4_file: Path) -> None:
    recording = Recording.objects.create(room=people.room, kind=RecordingKind.MEETING)
    directory = recording_directory(recording.id)
    assert refresh(recording).state == RecordingState.RECORDING  # no status.json yet
    write_status(directory, RecordingStatus(state="recording", duration=12.0))
    assert refresh_unfinished() == 0
    recording.refresh_from_db()
    assert recording.duration == 12.0
    write_status(directory, RecordingStatus(state="finalising", progress=0.4, duration=30.0))
    assert refresh_unfinished() == 1
    recording.refresh_from_db()
    assert (recording.state, recording.progress) == (RecordingState.FINALISING, 0.4)
    make_mp4(directory / "recording.mp4", seconds=1)
    write_status(directory, ready_status(duration=30.5, transcoded=True))
    refresh(recording)
    recording.refresh_from_db()
    assert recording.state == RecordingState.READY and recording.progress == 1.0
    assert (
        recording.transcoded and recording.mp4_bytes == (directory / "recording.mp4").stat().st_size
    )
    assert recording.started_at is not None and recording.ended_at is not None
    # A meeting's recording is private: it never becomes an archive entry.
    assert not ArchiveEntry.objects.exists()


def test_failed_recording_keeps_its_error(people: People) -> None:
    recording = Recording.objects.create(room=people.room, kind=RecordingKind.BROADCAST)
    write_status(recording_directory(recording.id), RecordingStatus(state="failed", error="disk"))
    refresh(recording)
    assert recording.state == RecordingState.FAILED and recording.error == "disk"
    assert not ArchiveEntry.objects.exists()


def test_ready_broadcast_becomes_a_pending_entry(people: People, mp4_file: Path) -> None:
    occurrence = broadcast_session(people.room)
    recording = finished_recording(people.room, mp4_file, occurrence=occurrence)
    entry = ArchiveEntry.objects.get(recording=recording)
    assert entry.status == EntryStatus.PENDING
    assert entry.title == "Tập huấn chuyển đổi số" and entry.slug == "tap-huan-chuyen-doi-so"
    assert entry.description.startswith("Hướng dẫn giáo viên")
    assert entry.unit == people.room.unit and entry.kind == "training"
    assert entry.duration == 2.0
    assert [c["title"] for c in entry.chapters] == ["Mở đầu", "Học liệu số"]
    assert "kho hoc lieu dien tu" in entry.search_text  # slide text, folded
    refresh(recording)  # again: still one entry
    assert ArchiveEntry.objects.count() == 1


def test_only_editors_approve_and_unpublish(people: People, mp4_file: Path) -> None:
    recording = finished_recording(people.room, mp4_file, occurrence=broadcast_session(people.room))
    entry = recording.entry
    for user in (people.host, people.outsider):
        with pytest.raises(ArchiveError):
            entry_approve(entry=entry, by=user)
    entry_approve(entry=entry, by=people.editor)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED and entry.approved_by == people.editor
    assert entry.published_at is not None
    with pytest.raises(ArchiveError):
        entry_unpublish(entry=entry, by=people.participant)
    entry_unpublish(entry=entry, by=people.editor)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.UNPUBLISHED


def test_entry_update_sets_tags_and_reindexes(people: People, mp4_file: Path) -> None:
    entry = finished_recording(
        people.room, mp4_file, occurrence=broadcast_session(people.room)
    ).entry
    data = EntryInput(
        title="Hội thảo Giáo dục STEM",
        description="Chia sẻ kinh nghiệm",
        unit=people.room.unit,
        kind="elearning",
        held_on=entry.held_on,
        source="Đài Truyền hình Hà Nội",
        tags=["STEM", "Tiểu học"],
    )
    entry_update(entry=entry, data=data, by=people.editor)
    entry.refresh_from_db()
    assert entry.slug == "hoi-thao-giao-duc-stem"
    assert sorted(t.slug for t in entry.tags.all()) == ["stem", "tieu-hoc"]
    assert "tieu hoc" in entry.search_text and "dai truyen hinh" in entry.search_text
    with pytest.raises(ArchiveError):
        entry_update(entry=entry, data=data, by=people.host)


def test_demo_hook_publishes_a_finished_directory(people: People, tmp_path: Path) -> None:
    directory = tmp_path / "made-elsewhere" / "0123456789abcdef0123456789abcdef"
    directory.mkdir(parents=True)
    make_mp4(directory / "recording.mp4", seconds=1)
    write_status(directory, ready_status(duration=1.0))
    entry = archive_demo_recording(
        directory, room=people.room, title="Tập huấn giáo viên cốt cán", tags=["Tập huấn"]
    )
    assert entry.status == EntryStatus.PUBLISHED and entry.recording.kind == "broadcast"
    assert entry.recording.id.hex == directory.name
    assert recording_directory(entry.recording.id).joinpath("recording.mp4").is_file()
    again = archive_demo_recording(directory, room=people.room, title="Tập huấn giáo viên cốt cán")
    assert again.pk == entry.pk and ArchiveEntry.objects.count() == 1


def test_demo_hook_refuses_an_unfinished_directory(people: People, tmp_path: Path) -> None:
    write_status(tmp_path, RecordingStatus(state="recording"))
    with pytest.raises(RecordingError):
        archive_demo_recording(tmp_path, room=people.room, title="x")


def test_migration_creates_the_editor_group() -> None:
    """C53 Art. 16: the editorial board exists from the first start, with its right."""
    import importlib

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = importlib.import_module("archive.migrations.0002_editor_group")
    Group.objects.filter(name=migration.EDITOR_GROUP).delete()
    state = MigrationExecutor(connection).loader.project_state(("streaming", "0002_editor_group"))
    migration.create_group(state.apps, None)
    group = Group.objects.get(name="Biên tập viên cổng thông tin")
    assert set(group.permissions.values_list("codename", flat=True)) >= {
        "publish_archiveentry",
        "change_archiveentry",
    }
