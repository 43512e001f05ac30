from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rooms.errors import ProductionRefused
from scheduling.services.demo import demo_schedule_load


class Command(BaseCommand):
    help = "Schedule the demo sessions of the Hà Nội room (once); not in production."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            added = demo_schedule_load()
        except ProductionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Demo sessions scheduled: {added}."))
