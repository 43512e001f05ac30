"""``meet run_scheduler``: the periodic jobs of meet/jobs.py, as their own process."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from meet.jobs import run_forever, run_once


class Command(BaseCommand):
    help = (
        "Send reminders, keep schedules materialised and recover finished recordings: "
        "every minute, forever (or --once)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(str(run_once()))
        else:
            run_forever()
