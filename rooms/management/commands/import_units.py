from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rooms.domain.unit_rows import decode
from rooms.errors import UnitImportError, row_error_message
from rooms.services.directory import units_import


class Command(BaseCommand):
    help = "Import districts, communes, schools and centres from a CSV file (all or nothing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8; columns in the README")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = decode(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text; save it as 'CSV UTF-8'.") from exc
        try:
            result = units_import(text=text)
        except UnitImportError as exc:
            for error in exc.errors:
                self.stderr.write(row_error_message(error))
            raise CommandError(f"{exc} Nothing was imported.") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Units: {result.created} created, {result.updated} updated.")
        )
