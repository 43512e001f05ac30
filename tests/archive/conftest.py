"""Fixtures of the recordings and archive tests: a room with its people, real MP4 files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from archive.models import ArchiveEntry, Recording, RecordingKind
from archive.services.archive import entry_approve
from archive.services.finished import refresh
from archive.services.paths import recording_directory
from mediaworker.wire.status import Chapter, RecordingStatus, write_status
from rooms.models import MemberRole, Room, RoomMembership
from scheduling.models import Occurrence
from tests.factories import RoomFactory, UnitFactory, UserFactory
from tests.meetings import one_meeting

EDITOR_GROUP = "Biên tập viên cổng thông tin"
MP4_SECONDS = 2
MP4_SIZE = (320, 240)


def make_mp4(path: Path, *, seconds: int = MP4_SECONDS, size: tuple[int, int] = MP4_SIZE) -> None:
    """A short H.264 + AAC MP4 (faststart), encoded with PyAV."""
    width, height = size
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "g": "25"}
        audio = container.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for index in range(seconds * 25):
            picture = np.full((height, width, 3), (index * 7) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 25)
            container.mux(video.encode(frame))
        samples = 1024
        for index in range(seconds * 48000 // samples):
            tone = np.sin(np.arange(samples) * 0.05).astype(np.float32).reshape(1, -1) * 0.2
            sound = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            sound.sample_rate, sound.pts = 48000, index * samples
            container.mux(audio.encode(sound))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


@pytest.fixture(scope="session")
def mp4_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "recording.mp4"
    make_mp4(path)
    return path


@pytest.fixture(autouse=True)
def recordings_root(settings, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "recordings"
    settings.MEET_RECORDINGS_ROOT = root
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings) -> None:
    """Messages to the media worker stay in this process: on a shared Redis another test's
    worker could take them, and unread ones would pile up for the next run."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@dataclass
class People:
    room: Room
    host: User
    participant: User
    outsider: User
    editor: User


@pytest.fixture
def people(db: None) -> People:
    unit = UnitFactory(name="Sở Giáo dục và Đào tạo Hà Nội", slug="hanoi", code="SGDHN")
    room = cast(Room, RoomFactory(unit=unit, slug="hanoi"))
    host, participant, outsider, editor = (
        cast(User, UserFactory(username=name))
        for name in ("chutri", "thamdu", "nguoingoai", "bientap")
    )
    RoomMembership.objects.create(room=room, user=host, role=MemberRole.HOST)
    RoomMembership.objects.create(room=room, user=participant, role=MemberRole.PARTICIPANT)
    # Migration 0002 makes the group; a transactional test elsewhere may have flushed it.
    group, _ = Group.objects.get_or_create(name=EDITOR_GROUP)
    group.permissions.add(Permission.objects.get(codename="publish_archiveentry"))
    editor.groups.add(group)
    return People(room, host, participant, outsider, editor)


def broadcast_session(room: Room, *, title: str = "Tập huấn chuyển đổi số") -> Occurrence:
    return one_meeting(
        room,
        start=timezone.now().replace(microsecond=0) - timedelta(hours=1),
        title=title,
        description="Hướng dẫn giáo viên dùng học liệu số; đổi mới phương pháp dạy học.",
        broadcast=True,
    )


def ready_status(**extra: object) -> RecordingStatus:
    values: dict[str, object] = {
        "state": "ready",
        "progress": 1.0,
        "duration": float(MP4_SECONDS),
        "started": "2026-11-30T01:00:00+00:00",
        "ended": "2026-11-30T01:00:02+00:00",
        "video_codec": "h264",
        "width": MP4_SIZE[0],
        "height": MP4_SIZE[1],
        "chapters": [Chapter(0.0, "Mở đầu"), Chapter(1.0, "Học liệu số")],
        "mp4": "recording.mp4",
        "slide_text": "Chuyển đổi số trong giáo dục phổ thông; kho học liệu điện tử",
    }
    values.update(extra)
    return RecordingStatus(**values)  # type: ignore[arg-type]


def finished_recording(
    room: Room,
    mp4_file: Path,
    *,
    kind: str = RecordingKind.BROADCAST,
    occurrence: Occurrence | None = None,
) -> Recording:
    """A recording whose directory holds a ready MP4, refreshed from its status.json."""
    recording = Recording.objects.create(room=room, kind=kind, occurrence=occurrence)
    directory = recording_directory(recording.id)
    directory.mkdir(parents=True)
    shutil.copy(mp4_file, directory / "recording.mp4")
    (directory / "hls").mkdir()
    (directory / "hls" / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    (directory / "hls" / "seg-00001.m4s").write_bytes(b"\x00" * 1000)
    write_status(directory, ready_status())
    return refresh(recording)


def published_entry(
    people: People, mp4_file: Path, *, title: str = "Tập huấn chuyển đổi số"
) -> ArchiveEntry:
    recording = finished_recording(
        people.room, mp4_file, occurrence=broadcast_session(people.room, title=title)
    )
    return entry_approve(entry=recording.entry, by=people.editor)
