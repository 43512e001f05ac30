"""The periodic jobs, run every minute by `meet run_scheduler` (or in-process), and the
task worker that sends the queued mail, a thread beside them in the same process.

The project package composes them: each app's idempotent job functions are imported and
called here, so no app registers anything and scheduling knows nothing of the archive.
Each job is idempotent, so running it twice, or from two processes, does no harm.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker
from prometheus_client import Counter, Gauge

from archive.services.finished import refresh_unfinished
from meet.lessons import lessons_recorded
from scheduling.services.invitations import invitations_resolve_all
from scheduling.services.outbox import mail_requeue_lost, mail_tasks_prune
from scheduling.services.reminders import reminders_queue
from scheduling.services.sessions import sessions_extend_horizon

log = logging.getLogger(__name__)
TICK_SECS = 60
HOURLY_TICKS = 60

PASSES = Counter("meet_scheduler_passes", "Scheduler passes finished.")
PASS_FAILURES = Counter("meet_scheduler_pass_failures", "Scheduler passes that failed.")
JOB_FAILURES = Counter("meet_scheduler_job_failures", "Minute jobs that failed.", ["job"])
LAST_PASS = Gauge(
    "meet_scheduler_last_pass_timestamp_seconds", "When the last scheduler pass finished."
)
# Queued, not sent: the mail series (scheduling/mail_metrics.py) say what went out.
REMINDERS_QUEUED = Counter("meet_scheduler_reminders_queued", "Meeting reminders queued.")
_last_pass_at = time.time()  # the start counts: /healthz is green while the first pass runs


# Jobs of other apps for every pass. The archive's sweep only recovers recordings whose
# ``recording.finished`` message was lost (a crash): the message makes the entry at once.
# Competition lessons under way are recorded for their jury (meet/lessons.py).
MINUTE_JOBS: dict[str, Callable[[], int]] = {
    "recordings_refreshed": refresh_unfinished,
    "lessons_recorded": lessons_recorded,
}


def run_once(*, now: datetime | None = None, hourly: bool = True) -> dict[str, int]:
    """One pass: reminders, lost mails and the minute jobs every minute; horizon, invitations
    and old task results hourly."""
    done = {
        "reminders": reminders_queue(now=now or timezone.now()),
        "mails_requeued": mail_requeue_lost(),
    }
    REMINDERS_QUEUED.inc(done["reminders"])
    if hourly:
        done["meetings_added"] = sessions_extend_horizon(now=now)
        done["invited"] = invitations_resolve_all()
        done["task_results_pruned"] = mail_tasks_prune()
    for name, job in MINUTE_JOBS.items():
        try:
            done[name] = job()
        except Exception:  # another app's failure must not stop reminders
            JOB_FAILURES.labels(job=name).inc()
            log.exception("scheduler job %s failed", name)
    return done


def run_pass(*, hourly: bool) -> None:
    """One pass of the loop, counted; a failing pass is logged, never raised."""
    global _last_pass_at
    try:
        run_once(hourly=hourly)
    except Exception:  # one bad pass must not end the scheduler
        PASS_FAILURES.inc()
        log.exception("scheduler pass failed")
    else:
        _last_pass_at = time.time()
        PASSES.inc()
        LAST_PASS.set(_last_pass_at)


def healthy(*, max_age_secs: float) -> tuple[bool, str]:
    """(ok, detail) for the scheduler's /healthz: a pass finished within ``max_age_secs``
    (or the process started that recently)."""
    age = time.time() - _last_pass_at
    if age < max_age_secs:
        return True, f"last pass {age:.0f} s ago"
    return False, f"no pass finished for {age:.0f} s"


def run_forever(stop: threading.Event | None = None) -> None:
    """Loop until ``stop`` is set; a failing pass is logged and the loop goes on."""
    tick = 0
    while stop is None or not stop.is_set():
        close_old_connections()
        run_pass(hourly=tick % HOURLY_TICKS == 0)
        tick += 1
        if stop is not None:
            stop.wait(TICK_SECS)
        else:
            time.sleep(TICK_SECS)


# How often an idle task worker looks for due tasks (a few cheap queries).
TASK_POLL_SECS = 2.0


def start_task_worker() -> Worker:
    """Run django-tasks' database worker in a daemon thread: it sends the queued mail.

    The worker of ``manage.py db_worker`` is used as it is, without its signal handlers
    (only a main thread may set them); set ``worker.running = False`` to stop it after
    the task at hand."""
    worker = Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=TASK_POLL_SECS,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()}-{os.getpid()}-tasks"[-64:],
        excluded_queue_names=[],
    )
    threading.Thread(target=_run_worker, args=(worker,), name="meet-tasks", daemon=True).start()
    return worker


def _run_worker(worker: Worker) -> None:
    while worker.running:
        try:
            worker.run()
        except Exception:  # a lost database connection must not end mail delivery
            log.exception("task worker failed; starting again")
            close_old_connections()
            time.sleep(TICK_SECS)


_started = threading.Lock()
_thread: threading.Thread | None = None


def start_in_process() -> None:
    """Start the loop and the task worker once in daemon threads (the embedded default)."""
    global _thread
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=run_forever, name="meet-scheduler", daemon=True)
            _thread.start()
            start_task_worker()
