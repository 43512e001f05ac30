from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rooms.errors import RoomsError
from rooms.models import Unit, UnitKind
from rooms.services.accounts import rooms_allocate


class Command(BaseCommand):
    help = (
        "Give every department and district office a room with a unit login; "
        "schools and centres with --unit or --schools. New passwords are printed once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--unit", action="append", default=[], help="unit code or slug")
        parser.add_argument("--schools", action="store_true", help="also every school and centre")
        # `meet setup` on a production start: the container's log is kept and read by more
        # people than the operator, so the new logins are listed without their passwords.
        parser.add_argument(
            "--no-passwords",
            action="store_true",
            help="list the new logins without passwords (set one: meet reset_room_password SLUG)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        units = None
        if options["unit"] or options["schools"]:
            wanted = options["unit"]
            units = list(
                Unit.objects.filter(code__in=wanted) | Unit.objects.filter(slug__in=wanted)
            )
            found = {u.code for u in units} | {u.slug for u in units}
            if missing := [w for w in wanted if w not in found]:
                raise CommandError(f"No unit with code or slug: {', '.join(missing)}")
            if options["schools"]:
                units += list(
                    Unit.objects.filter(
                        kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE], room__isnull=True
                    )
                )
        try:
            allocated = rooms_allocate(units=units)
        except RoomsError as exc:
            raise CommandError(str(exc)) from exc
        for c in allocated:
            if options["no_passwords"]:
                self.stdout.write(f"{c.room.address}\t{c.username}")
            else:
                self.stdout.write(f"{c.room.address}\t{c.username}\t{c.password}")
        if allocated and options["no_passwords"]:
            self.stdout.write(
                "Passwords are not shown: give a login one with `meet reset_room_password SLUG`."
            )
        self.stdout.write(self.style.SUCCESS(f"Rooms allocated: {len(allocated)}."))
