"""The outbox's edges: a refused address, lost tasks, the worker thread, EMAIL_URL, metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY

from meet.jobs import start_task_worker
from scheduling.models import MailState, OutgoingMail
from scheduling.services.outbox import MailDraft, mail_queue, mail_requeue_lost, mail_tasks_prune
from tests.scheduling.mailqueue import Inbox, SmtpServer, run_mail_queue

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def draft(to: str = "truong@hanoi.edu.vn") -> MailDraft:
    return MailDraft(kind="reminder", to=(to,), subject="Nhắc lịch", body="Họp lúc 8 giờ.")


class RefusingInbox(Inbox):
    """A server that knows no such mailbox: a permanent 5xx answer."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 No such mailbox"


def test_a_rolled_back_change_queues_nothing(smtp: SmtpServer) -> None:
    smtp.start()
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_queue(drafts=[draft()])
        raise RuntimeError("the save failed")
    run_mail_queue()
    assert not OutgoingMail.objects.exists() and not DBTaskResult.objects.exists()
    assert smtp.inbox.envelopes == []


def test_an_address_the_server_refuses_fails_at_once(smtp: SmtpServer) -> None:
    smtp.inbox = RefusingInbox()
    smtp.start()
    with transaction.atomic():
        mail_queue(drafts=[draft("khongco@hanoi.edu.vn")])
    run_mail_queue()
    mail = OutgoingMail.objects.get()
    assert (mail.state, mail.attempts) == (MailState.FAILED, 1)
    assert "550" in mail.last_error


def test_lost_tasks_are_queued_again(smtp: SmtpServer) -> None:
    smtp.start()
    never = OutgoingMail.objects.create(kind="reminder", to=["a@hanoi.edu.vn"], subject="a")
    stuck = OutgoingMail.objects.create(
        kind="reminder",
        to=["b@hanoi.edu.vn"],
        subject="b",
        body="",
        state=MailState.SENDING,
        task_id="00000000-0000-0000-0000-000000000000",
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    fresh = OutgoingMail.objects.create(kind="reminder", to=["c@hanoi.edu.vn"], subject="c")
    OutgoingMail.objects.filter(pk__in=[never.pk, stuck.pk]).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    assert mail_requeue_lost() == 2
    assert mail_requeue_lost() == 0  # their tasks are pending now
    run_mail_queue()
    assert smtp.inbox.recipients() == ["a@hanoi.edu.vn", "b@hanoi.edu.vn"]
    assert OutgoingMail.objects.get(pk=fresh.pk).state == MailState.WAITING


def test_the_scheduler_task_worker_thread_sends_the_queue(smtp: SmtpServer) -> None:
    smtp.start()
    with transaction.atomic():
        mail_queue(drafts=[draft()])
    worker = start_task_worker()
    try:
        deadline = time.monotonic() + 60
        while not smtp.inbox.envelopes and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.running = False
    assert smtp.inbox.recipients() == ["truong@hanoi.edu.vn"]
    assert OutgoingMail.objects.get().state == MailState.SENT


def test_the_mail_series_are_registered() -> None:
    names = {metric.name for metric in REGISTRY.collect()}
    expected = {"meet_mail_queue_depth", "meet_mail_retrying", "meet_mail_sent", "meet_mail_failed"}
    assert expected <= names


def test_email_url_sets_every_mail_setting() -> None:
    """One EMAIL_URL gives host, port, user, password, TLS and timeout (issue 12)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "meet.settings",
        "PYTHONPATH": str(ROOT),
        "EMAIL_URL": "smtp://so-gd%40hanoi.edu.vn:m%E1%BA%ADt%2Fkh%E1%BA%A9u@mail.hanoi.edu.vn:587/"
        "?tls=True&timeout=20",
    }
    env.pop("EMAIL_BACKEND", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.hanoi.edu.vn",
        587,
        "so-gd@hanoi.edu.vn",
        "mật/khẩu",
        True,
        False,
        20,
    ]


def test_old_task_results_are_pruned_but_the_mails_stay(smtp: SmtpServer) -> None:
    smtp.start()
    with transaction.atomic():
        mail_queue(drafts=[draft()])
    run_mail_queue()
    assert mail_tasks_prune() == 0  # finished just now: kept
    assert mail_tasks_prune(now=timezone.now() + timedelta(days=15)) == 1
    assert not DBTaskResult.objects.exists()
    assert OutgoingMail.objects.get().state == MailState.SENT
