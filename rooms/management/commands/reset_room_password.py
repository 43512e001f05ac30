from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rooms.models import Room
from rooms.services.accounts import room_account_reset


class Command(BaseCommand):
    help = "Give a room's unit login a new password and print it once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        room = Room.objects.filter(slug=options["slug"]).first()
        if room is None:
            raise CommandError(f"No room at /{options['slug']}.")
        c = room_account_reset(room=room)
        self.stdout.write(f"{c.room.address}\t{c.username}\t{c.password}")
