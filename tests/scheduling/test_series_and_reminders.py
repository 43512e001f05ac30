"""Editing series with history, endless series, and reminders (sent once each)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from meet import jobs
from meet.jobs import run_once
from rooms.models import Room
from rooms.services.demo import demo_load
from scheduling.domain.recurrence import Rule
from scheduling.errors import ScheduleConflict
from scheduling.models import Occurrence, RuleKind, Session
from scheduling.services.invitations import RuleInput, invitations_set
from scheduling.services.reminders import reminders_queue
from scheduling.services.sessions import (
    occurrence_cancel,
    occurrence_change,
    session_schedule,
    session_update,
)
from tests.scheduling.mailqueue import run_mail_queue
from tests.scheduling.test_invitations import province
from tests.scheduling.test_sessions import HCM, briefing, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit", "unit__province").get(slug="hanoi")


def test_editing_keeps_single_meeting_changes(hanoi: Room) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=6))
    meetings = list(session.occurrences.order_by("start"))
    occurrence_cancel(occurrence=meetings[1])
    occurrence_change(
        occurrence=meetings[2],
        start=meetings[2].start + timedelta(hours=3),
        end=meetings[2].end + timedelta(hours=3),
    )
    updated = session_update(
        session=session, data=replace(briefing(hanoi, start, weeks=8), title="Giao ban (mới)")
    )
    assert updated.pk == session.pk
    assert updated.occurrences.filter(cancelled=True).count() == 1
    assert updated.occurrences.filter(overridden=True).count() == 1
    assert updated.occurrences.count() == 9


def test_editing_a_series_with_history_splits_it(hanoi: Room) -> None:
    past_start = next_monday() - timedelta(weeks=4)
    session = session_schedule(data=briefing(hanoi, past_start, weeks=10))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=province(hanoi))]
    )
    held = session.occurrences.filter(start__lt=timezone.now()).count()
    successor = session_update(
        session=session, data=briefing(hanoi, past_start + timedelta(hours=1), weeks=10)
    )
    session.refresh_from_db()
    assert successor.pk != session.pk
    assert session.occurrences.count() == held  # history stays as it was
    assert "UNTIL=" in session.rrule and session.sequence == 1
    assert successor.occurrences.filter(start__lt=timezone.now()).count() == 0
    assert all(o.start.astimezone(HCM).hour == 9 for o in successor.occurrences.all())
    assert successor.invitations.count() == 3


def test_an_endless_series_is_extended_before_a_new_one_is_checked(
    hanoi: Room, settings: Any
) -> None:
    settings.MEET_SCHEDULE_HORIZON_MONTHS = 1
    start = next_monday()
    endless = briefing(hanoi, start)
    session_schedule(data=replace(endless, rule=Rule("WEEKLY", weekdays=("MO",))))
    settings.MEET_SCHEDULE_HORIZON_MONTHS = 6
    later = start + timedelta(weeks=12)
    with pytest.raises(ScheduleConflict):
        session_schedule(data=replace(briefing(hanoi, later, weeks=0), title="Họp lẻ"))


@pytest.mark.django_db(transaction=True)
def test_reminders_go_out_once_per_offset(hanoi: Room, mailoutbox: list[Any]) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=2))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=province(hanoi))]
    )
    day_before = start - timedelta(hours=23)
    sent = reminders_queue(now=day_before)
    run_mail_queue()
    subjects = [m.subject for m in mailoutbox]
    # Three district sites, none of them ready in the demo: a reminder and a warning each.
    assert sum(s.startswith("Nhắc lịch") for s in subjects) == 3
    assert sum("chưa sẵn sàng" in s for s in subjects) == 3
    assert reminders_queue(now=day_before) == 0  # once
    assert reminders_queue(now=start - timedelta(minutes=10)) == 3  # the 15-minute one
    assert sent == 6
    run_mail_queue()
    assert len(mailoutbox) == 9


@pytest.mark.django_db(transaction=True)
def test_a_meeting_at_short_notice_gets_one_reminder(hanoi: Room, mailoutbox: list[Any]) -> None:
    soon = timezone.now().astimezone(HCM).replace(second=0, microsecond=0) + timedelta(minutes=10)
    session = session_schedule(data=replace(briefing(hanoi, soon, weeks=0), rule=None))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.UNIT, unit=Room.objects.get(slug="badinh").unit)]
    )
    reminders_queue()
    run_mail_queue()
    assert len([m for m in mailoutbox if m.subject.startswith("Nhắc lịch")]) == 1


def test_a_job_pass(hanoi: Room) -> None:
    session_schedule(data=briefing(hanoi, next_monday()))
    # The loop (meet/jobs.py) also runs the archive's sweep of unfinished recordings and
    # records the competition lessons under way.
    assert set(run_once()) == {
        "reminders",
        "mails_requeued",
        "meetings_added",
        "invited",
        "task_results_pruned",
        "recordings_refreshed",
        "lessons_recorded",
    }
    assert Session.objects.count() == 1 and Occurrence.objects.exists()


def test_a_failing_registered_job_does_not_stop_the_pass(
    hanoi: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> int:
        raise RuntimeError("disk gone")

    monkeypatch.setitem(jobs.MINUTE_JOBS, "broken", broken)
    monkeypatch.setitem(jobs.MINUTE_JOBS, "counted", lambda: 3)
    done = run_once(hourly=False)
    assert done["counted"] == 3 and "broken" not in done and "reminders" in done


def test_cancelled_meetings_get_no_reminder(hanoi: Room, mailoutbox: list[Any]) -> None:
    start = next_monday()
    session = session_schedule(data=briefing(hanoi, start, weeks=0))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=province(hanoi))]
    )
    occurrence_cancel(occurrence=session.occurrences.get())
    assert reminders_queue(now=start - timedelta(hours=1)) == 0
    assert isinstance(start, datetime)
