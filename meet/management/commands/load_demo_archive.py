"""``meet load_demo_archive``: an archived training webinar, so a fresh portal is not empty.

The recording is made the way a real one is: a synthetic presenter (a moving test
picture encoded as a browser's H.264, and a tone) pushed through the recorder's own code
(mediaworker/recording/synthetic.py), finalised into MP4 with its poster and chapters, then
registered and published as an archive entry. Idempotent: once there, it is kept.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.models import ArchiveEntry
from rooms.models import Room
from scheduling.models import SessionKind

TITLE = "Tập huấn: Dạy học STEM với học liệu số"
DESCRIPTION = (
    "Buổi tập huấn trực tuyến cho giáo viên trung học về tổ chức dạy học STEM: "
    "chọn chủ đề, thiết kế hoạt động và đánh giá sản phẩm của học sinh bằng học liệu số."
)
SECONDS = 16.0
CHAPTERS = (
    (0.0, "Mở đầu", "Tập huấn dạy học STEM\nMục tiêu của buổi tập huấn"),
    (5.0, "Thiết kế chủ đề STEM", "Quy trình thiết kế chủ đề STEM gồm năm bước"),
    (11.0, "Đánh giá sản phẩm", "Tiêu chí đánh giá sản phẩm của học sinh"),
)
TAGS = ("STEM", "Tập huấn", "Học liệu số")


class Command(BaseCommand):
    help = "Record and publish the demo training webinar of the archive (once); not in production."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is only for the embedded default, not production.")
        if ArchiveEntry.objects.filter(title=TITLE).exists():
            self.stdout.write("Demo archive entry: already there.")
            return
        room = Room.objects.select_related("unit").filter(slug="hanoi").first()
        if room is None or room.unit is None:
            raise CommandError("Load the demo rooms first (meet load_demo).")
        from archive.services.archive import archive_demo_recording
        from archive.services.paths import recording_directory
        from mediaworker.recording.synthetic import record_synthetic

        directory = recording_directory(uuid.uuid4())
        directory.mkdir(parents=True)
        status = record_synthetic(directory, seconds=SECONDS, chapters=CHAPTERS)
        if status.state != "ready":
            raise CommandError(f"The demo recording failed: {status.error}")
        entry = archive_demo_recording(
            directory,
            room=room,
            title=TITLE,
            description=DESCRIPTION,
            kind=SessionKind.TRAINING,
            tags=TAGS,
            held_on=datetime.date.today() - datetime.timedelta(days=7),
            source="Sở Giáo dục và Đào tạo Hà Nội",
        )
        self.stdout.write(self.style.SUCCESS(f"Demo archive entry: {entry.title}."))
