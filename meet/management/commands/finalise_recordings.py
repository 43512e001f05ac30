"""``meet finalise_recordings``: finish recordings a stopped media worker left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    """Remux unfinished recordings (state recording/finalising, owner gone) into MP4."""

    help = (
        "Finalise recordings left unfinished by a media worker that stopped: all of them "
        "under MEET_RECORDINGS_DIR, or the given recording ids."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Optional recording ids and root directory."""
        parser.add_argument("recordings", nargs="*", help="recording ids (32 hex digits)")
        parser.add_argument("--root", type=Path, help="recordings directory")

    def handle(self, *args: Any, **options: Any) -> None:
        """Finalise and report each recording."""
        from mediaworker.recording.finalise import RecordingBusy, finalise, finalise_orphans
        from mediaworker.wire.layout import recording_dir

        root: Path = options["root"] or settings.MEET_RECORDINGS_ROOT
        ids: list[str] = options["recordings"]
        if not ids:
            done = finalise_orphans(root)
            self.stdout.write(f"{len(done)} recording(s) finalised in {root}")
            return
        for recording in ids:
            try:
                directory = recording_dir(root, recording)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            if not directory.is_dir():
                raise CommandError(f"no recording {recording} in {root}")
            try:
                status = finalise(directory)
            except RecordingBusy:
                self.stderr.write(f"{recording}: still being recorded or finalised; skipped")
                continue
            detail = status.error if status.state == "failed" else f"{status.duration:.1f} s"
            self.stdout.write(f"{recording}: {status.state} ({detail})")
