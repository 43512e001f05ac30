from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rooms.errors import ProductionRefused
from rooms.services.demo import demo_load


class Command(BaseCommand):
    help = "Load demo units, rooms, checklists and accounts (password 'demo'); not in production."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo_load()
        except ProductionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("Demo data loaded; accounts use the password 'demo'."))
