"""``meet run_scheduler``: the periodic jobs of meet/jobs.py and the mail task worker, as
their own process."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from meet.jobs import run_forever, run_once, start_task_worker


class Command(BaseCommand):
    help = (
        "Queue reminders, keep schedules materialised and recover finished recordings: "
        "every minute, forever (or --once); and send the queued mail (a task worker thread, "
        "unless --without-tasks)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--without-tasks",
            action="store_true",
            help="run no task worker here (`meet db_worker` runs one instead)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(str(run_once()))
        else:
            if not options["without_tasks"]:
                start_task_worker()
            run_forever()
