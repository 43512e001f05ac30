"""``meet run_scheduler``: the periodic jobs of meet/jobs.py and the mail task worker, as
their own process.

It serves ``/metrics`` and ``/healthz`` on ``MEET_SCHEDULER_METRICS_HOST:PORT`` (default
127.0.0.1:9311; port 0 turns them off): healthy while a pass finished within
``MEET_SCHEDULER_HEALTHY_SECS``.
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from functools import partial
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from mediaworker.exposition import serve_in_thread
from meet.jobs import healthy, run_forever, run_once, start_task_worker

log = logging.getLogger(__name__)


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
            return
        if not options["without_tasks"]:
            start_task_worker()
        port = settings.MEET_SCHEDULER_METRICS_PORT
        if port:
            host = settings.MEET_SCHEDULER_METRICS_HOST
            check = partial(healthy, max_age_secs=settings.MEET_SCHEDULER_HEALTHY_SECS)
            serve_in_thread(host, port, check, name="scheduler-metrics")
            log.info("scheduler metrics on http://%s:%d/metrics", host, port)
        run_forever()
