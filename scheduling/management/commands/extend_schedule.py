from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from scheduling.services.sessions import sessions_extend_horizon


class Command(BaseCommand):
    help = "Materialise recurring sessions up to the rolling horizon (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        added = sessions_extend_horizon()
        self.stdout.write(self.style.SUCCESS(f"Meetings added: {added}."))
