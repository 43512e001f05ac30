from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rooms.services.directory import provinces_load


class Command(BaseCommand):
    help = "Load today's 34 provinces and a department of education for each (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = provinces_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Provinces: {result.created} created, {result.updated} already present."
            )
        )
