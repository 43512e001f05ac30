"""The demo's archived training webinar (meet load_demo_archive), made by the real recorder."""

from __future__ import annotations

from pathlib import Path

import av
import feedparser  # type: ignore[import-untyped]
from django.core.management import call_command
from django.test import Client

from archive.models import ArchiveEntry, EntryStatus
from archive.services.paths import recording_directory
from meet.management.commands.load_demo_archive import SECONDS, TITLE
from tests.archive.conftest import People


def test_a_fresh_install_has_a_published_training_webinar(people: People, tmp_path: Path) -> None:
    call_command("load_demo_archive")
    entry = ArchiveEntry.objects.select_related("recording").get()
    assert entry.title == TITLE and entry.status == EntryStatus.PUBLISHED
    assert "Tập huấn" in entry.title and entry.unit == people.room.unit
    assert [c["title"] for c in entry.chapters][0] == "Mở đầu" and len(entry.chapters) == 3
    mp4 = recording_directory(entry.recording.id) / "recording.mp4"
    with av.open(str(mp4)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert abs(float(container.duration or 0) / 1_000_000 - SECONDS) < 1.0

    found = Client().get("/portal/search/", {"q": "tap huan"}).content.decode()
    assert "Dạy học STEM" in found
    feed = feedparser.parse(Client().get("/portal/rss/").content)
    assert feed.entries[0].title == TITLE
    assert feed.entries[0].enclosures[0].type == "video/mp4"

    call_command("load_demo_archive")  # once is enough
    assert ArchiveEntry.objects.count() == 1
