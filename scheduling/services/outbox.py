"""The outbox: every e-mail is a row, sent by a queued task after commit, retried with back-off.

No mail is sent inside a web request or a database transaction: a service records the mail
(``mail_queue``) in its own transaction and the task is queued when that commits, so a
rolled-back change sends nothing. The task (``mail_deliver``) claims its row before talking
to the mail server, so a second task or a retry never sends a mail already sent; a mail
server error schedules the next try (1, 2, 4 … minutes) until ``MEET_MAIL_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from scheduling.domain.backoff import gives_up, retry_delay_secs
from scheduling.models import MailState, OutgoingMail, Session

log = logging.getLogger(__name__)

# A mail whose creating transaction committed but whose task was never queued (the process
# died in between), or whose sender died mid-send, is queued again after this long.
LOST_AFTER = timedelta(minutes=15)
TASK_RESULTS_KEPT = timedelta(days=14)


@dataclass(frozen=True)
class MailDraft:
    """One e-mail as composed: who, what, and an optional iTIP calendar."""

    kind: str
    to: tuple[str, ...]
    subject: str
    body: str
    calendar: str = ""
    calendar_method: str = ""
    calendar_name: str = ""


def mail_queue(*, drafts: Iterable[MailDraft], session: Session | None = None) -> int:
    """Record the mails; their tasks are queued when the current transaction commits."""
    rows = [
        OutgoingMail(
            session=session,
            kind=d.kind,
            to=list(d.to),
            subject=d.subject[:300],
            body=d.body,
            calendar=d.calendar,
            calendar_method=d.calendar_method,
            calendar_name=d.calendar_name[:200],
        )
        for d in drafts
        if d.to
    ]
    if not rows:
        return 0
    ids = [row.pk for row in OutgoingMail.objects.bulk_create(rows)]
    transaction.on_commit(partial(_enqueue_all, ids))
    return len(ids)


def _enqueue_all(ids: list[int]) -> None:
    for pk in ids:
        _enqueue(pk, run_after=None)


def _enqueue(pk: int, *, run_after: datetime | None) -> None:
    job = mail_deliver if run_after is None else mail_deliver.using(run_after=run_after)
    result = job.enqueue(mail_id=pk)
    OutgoingMail.objects.filter(pk=pk).update(task_id=str(result.id))


def mail_message(mail: OutgoingMail) -> EmailMultiAlternatives:
    """The MIME message: text and an iTIP ``text/calendar; method=…`` part as alternatives,
    the same calendar attached as an .ics file (as calendar programs send it)."""
    message = EmailMultiAlternatives(
        mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, list(mail.to)
    )
    if mail.calendar:
        method = mail.calendar_method or "PUBLISH"
        message.attach_alternative(mail.calendar, f"text/calendar; method={method}")
        name = mail.calendar_name or "invite"
        message.attach(f"{name}.ics", mail.calendar.encode(), "application/ics")
    return message


@task()
def mail_deliver(mail_id: int) -> str:
    """Send one queued mail once; on a mail server error, queue the next try or give up."""
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(pk=mail_id, state=MailState.WAITING).update(
        state=MailState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"  # sent, given up, or being sent by another task
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        mail_message(mail).send()
    except (smtplib.SMTPException, OSError) as error:
        return _failed(mail, error)
    except Exception as error:  # a fault of ours: keep the mail, log it, try again later
        log.exception("mail %s could not be built or sent", mail_id)
        return _failed(mail, error)
    OutgoingMail.objects.filter(pk=mail_id).update(
        state=MailState.SENT, sent_at=timezone.now(), next_attempt_at=None
    )
    return "sent"


def _permanent(error: Exception) -> bool:
    """A 5xx answer for the whole mail will not change on a retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600 and error.smtp_code != 530  # 530: log in first
    return False


def _failed(mail: OutgoingMail, error: Exception) -> str:
    # The reason shown to the host: the error's class and the server's words, never settings.
    reason = f"{type(error).__name__}: {error}"[:300]
    if _permanent(error) or gives_up(
        attempts=mail.attempts, max_attempts=settings.MEET_MAIL_MAX_ATTEMPTS
    ):
        OutgoingMail.objects.filter(pk=mail.pk).update(
            state=MailState.FAILED, last_error=reason, next_attempt_at=None
        )
        log.warning("mail %s to %s failed for good: %s", mail.pk, mail.to, reason)
        return "failed"
    delay = retry_delay_secs(
        attempts=mail.attempts,
        base_secs=settings.MEET_MAIL_RETRY_BASE_SECS,
        max_secs=settings.MEET_MAIL_RETRY_MAX_SECS,
    )
    when = timezone.now() + timedelta(seconds=delay)
    OutgoingMail.objects.filter(pk=mail.pk).update(
        state=MailState.WAITING, last_error=reason, next_attempt_at=when
    )
    _enqueue(mail.pk, run_after=when)
    log.info("mail %s: try %s failed (%s); next try at %s", mail.pk, mail.attempts, reason, when)
    return "retry"


def mail_requeue_lost(*, now: datetime | None = None) -> int:
    """Queue again the mails whose task was lost: never queued, or ended without sending."""
    before = (now or timezone.now()) - LOST_AFTER
    # The sender died mid-send (after LOST_AFTER no send is still running: EMAIL_TIMEOUT).
    OutgoingMail.objects.filter(state=MailState.SENDING, claimed_at__lt=before).update(
        state=MailState.WAITING, task_id=""
    )
    waiting = OutgoingMail.objects.filter(state=MailState.WAITING, created_at__lt=before)
    never = list(waiting.filter(task_id="").values_list("pk", flat=True))
    overdue = dict(
        waiting.exclude(task_id="")
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lt=before))
        .values_list("task_id", "pk")
    )
    pending = {
        str(task_id)
        for task_id in DBTaskResult.objects.filter(
            id__in=list(overdue), status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values_list("id", flat=True)
    }
    lost = never + [pk for task_id, pk in overdue.items() if task_id not in pending]
    for pk in lost:
        _enqueue(pk, run_after=None)
    return len(lost)


def mail_tasks_prune(*, now: datetime | None = None) -> int:
    """Delete the queue's finished task results after TASK_RESULTS_KEPT (each mail keeps its
    own row, with its state and last error, for the meeting page)."""
    before = (now or timezone.now()) - TASK_RESULTS_KEPT
    deleted, _by_model = DBTaskResult.objects.filter(finished_at__lt=before).delete()
    return deleted
