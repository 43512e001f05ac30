"""Mail that is never lost (issue 12): a real SMTP server on loopback, the task queue, retries.

The invitations of a weekly series reach a real SMTP server (aiosmtpd) as iTIP mails; with
the server down the save still succeeds, the mails wait and retry, the host sees it, and
they go out when the server is back; reminders are sent outside any transaction; units a
rule names later are mailed; no mail asks for an RSVP by mail.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY

from rooms.models import Room
from rooms.services.demo import demo_load
from rooms.services.directory import units_import
from scheduling.models import MailState, OutgoingMail, RuleKind, Session
from scheduling.services.invitations import RuleInput, invitations_resolve_all, invitations_set
from scheduling.services.outbox import mail_deliver
from scheduling.services.reminders import reminders_queue
from scheduling.services.sessions import session_schedule
from tests.clients import as_user
from tests.scheduling.mailqueue import SmtpServer, calendar_parts, run_mail_queue
from tests.scheduling.test_invitations import province
from tests.scheduling.test_sessions import briefing, briefing_form, next_monday

pytestmark = pytest.mark.django_db(transaction=True)

DISTRICTS = {
    "pgdbadinh.hanoi@moet.edu.vn",
    "pgdhoankiem.hanoi@moet.edu.vn",
    "pgdcaugiay.hanoi@moet.edu.vn",
}


@pytest.fixture
def hanoi(transactional_db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit", "unit__province").get(slug="hanoi")


def schedule_weekly_with_districts() -> Session:
    """The host saves a weekly series inviting the districts, through the page."""
    form = {**briefing_form(next_monday().date(), weeks=8), "invite_districts": "on"}
    response = as_user("quanly.hanoi").post("/hanoi/sessions/new/", form)
    assert response.status_code == 302
    return Session.objects.get(title="Giao ban thứ Hai")


def due_now() -> None:
    """Let the back-off delay pass: the retry tasks become due."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def no_rsvp_asked(messages: list[Message]) -> None:
    for message in messages:
        for _kind, _method, calendar in calendar_parts(message):
            assert b"RSVP=TRUE" not in calendar.to_ical()


def test_a_weekly_series_invitations_reach_a_real_smtp_server(
    hanoi: Room, smtp: SmtpServer
) -> None:
    smtp.start()
    session = schedule_weekly_with_districts()
    assert smtp.inbox.envelopes == []  # not sent in the request
    run_mail_queue()
    assert smtp.inbox.recipients() == sorted(DISTRICTS)
    for message in smtp.inbox.messages:
        parts = calendar_parts(message)
        alternative = [p for p in parts if p[0] == "text/calendar"]
        assert len(alternative) == 1
        _kind, method, calendar = alternative[0]
        assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        assert str(event["UID"]).startswith(str(session.uid))
        assert "FREQ=WEEKLY" in event["RRULE"].to_ical().decode()
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        payload = text.get_payload(decode=True)
        assert isinstance(payload, bytes) and b"/invitations/" in payload
    no_rsvp_asked(smtp.inbox.messages)
    assert set(OutgoingMail.objects.values_list("state", flat=True)) == {MailState.SENT}


def test_with_the_server_down_nothing_is_lost_and_it_goes_out_when_back(
    hanoi: Room, smtp: SmtpServer
) -> None:
    session = schedule_weekly_with_districts()  # port closed: still saved, no 500
    run_mail_queue()
    waiting = list(OutgoingMail.objects.filter(session=session))
    assert len(waiting) == 3
    assert all(m.state == MailState.WAITING and m.attempts == 1 for m in waiting)
    assert all(m.next_attempt_at and m.next_attempt_at > timezone.now() for m in waiting)
    assert all("ConnectionRefusedError" in m.last_error for m in waiting)
    assert REGISTRY.get_sample_value("meet_mail_retrying") == 3
    assert REGISTRY.get_sample_value("meet_mail_queue_depth") == 3
    page = (
        as_user("quanly.hanoi")
        .get(f"/hanoi/occurrences/{session.occurrences.order_by('start')[0].pk}/")
        .content.decode()
    )
    assert "3 thư chưa gửi được tới" in page and "hệ thống sẽ thử lại lúc" in page
    assert all(address in page for address in DISTRICTS)

    run_mail_queue()  # not due yet: nothing is tried again before its time
    assert OutgoingMail.objects.get(pk=waiting[0].pk).attempts == 1

    smtp.start()
    due_now()
    run_mail_queue()
    assert smtp.inbox.recipients() == sorted(DISTRICTS)
    assert REGISTRY.get_sample_value("meet_mail_queue_depth") == 0
    assert REGISTRY.get_sample_value("meet_mail_sent_total") == 3
    # A stray second task for a sent mail sends nothing twice.
    mail_deliver.enqueue(mail_id=waiting[0].pk)
    run_mail_queue()
    assert len(smtp.inbox.envelopes) == 3


def test_after_the_last_try_the_failure_is_recorded_and_shown(
    hanoi: Room, smtp: SmtpServer, settings: Any
) -> None:
    settings.MEET_MAIL_MAX_ATTEMPTS = 2
    session = schedule_weekly_with_districts()
    run_mail_queue()
    due_now()
    run_mail_queue()
    states = set(OutgoingMail.objects.filter(session=session).values_list("state", flat=True))
    assert states == {MailState.FAILED}
    assert REGISTRY.get_sample_value("meet_mail_failed_total") == 3
    occurrence = session.occurrences.order_by("start")[0]
    page = as_user("quanly.hanoi").get(f"/hanoi/occurrences/{occurrence.pk}/").content.decode()
    assert "không gửi được và hệ thống sẽ không thử lại" in page
    assert "pgdbadinh.hanoi@moet.edu.vn" in page
    smtp.start()
    due_now()
    run_mail_queue()
    assert smtp.inbox.envelopes == []  # given up: no more tries


class InAtomicRecorder(EmailBackend):
    """The SMTP backend, noting whether a database transaction is open at each send."""

    in_atomic: list[bool] = []

    def send_messages(self, email_messages: Any) -> int:
        InAtomicRecorder.in_atomic.append(connection.in_atomic_block)
        return super().send_messages(email_messages)


def test_a_reminder_pass_holds_no_transaction_while_sending(
    hanoi: Room, smtp: SmtpServer, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.InAtomicRecorder"
    InAtomicRecorder.in_atomic = []
    smtp.start()
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=1))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=province(hanoi))]
    )
    assert reminders_queue(now=start - timedelta(hours=23)) == 6
    assert smtp.inbox.envelopes == []
    run_mail_queue()
    assert len(smtp.inbox.envelopes) == 6
    assert InAtomicRecorder.in_atomic and not any(InAtomicRecorder.in_atomic)


def test_units_a_rule_names_later_are_mailed_once(hanoi: Room, smtp: SmtpServer) -> None:
    smtp.start()
    session = session_schedule(data=briefing(hanoi, next_monday()))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.SCHOOLS, province=province(hanoi), level="C3")]
    )
    invitations_resolve_all()  # the hourly job: mails the invitations never sent
    run_mail_queue()
    before = smtp.inbox.recipients()
    assert before and all("@" in a for a in before)
    units_import(
        text="code,kind,level,name,province\nHN-C3X,school,C3,Trường THPT Chu Văn An,Hà Nội\n"
    )
    invitations_resolve_all()
    run_mail_queue()
    added = smtp.inbox.recipients()
    new = [a for a in added if a not in before]
    chu_van_an = session.invitations.get(unit__slug="c3chuvanan-hanoi").unit.mailbox
    assert new == [chu_van_an]  # only the new school; the others are not mailed again
    assert len(added) == len(before) + 1
    no_rsvp_asked(smtp.inbox.messages)
