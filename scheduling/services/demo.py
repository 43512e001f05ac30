"""Demo schedule: a Monday briefing series, a training and a broadcast lecture in Hà Nội."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.errors import ProductionRefused
from rooms.models import Room
from scheduling.domain.recurrence import Rule
from scheduling.errors import ScheduleConflict
from scheduling.models import RuleKind, Session, SessionKind
from scheduling.services.invitations import RuleInput, invitations_set
from scheduling.services.sessions import SessionInput, session_schedule

BRIEFING_TITLE = "Giao ban thứ Hai"


def _next_weekday(weekday: int, at: time) -> datetime:
    today = timezone.localdate()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


@transaction.atomic
def demo_schedule_load() -> int:
    """Schedule the demo sessions once (idempotent); return how many were added."""
    if settings.PRODUCTION:
        raise ProductionRefused(_("Demo data is only for the embedded default, not production."))
    room = Room.objects.select_related("unit").get(slug="hanoi")
    unit = room.unit
    if unit is None or Session.objects.filter(room=room).exists():
        return 0
    monday = _next_weekday(0, time(8, 0))
    plans = [
        (
            SessionKind.BRIEFING,
            BRIEFING_TITLE,
            monday,
            timedelta(minutes=90),
            Rule("WEEKLY", weekdays=("MO",), until=(monday + timedelta(weeks=20)).date()),
            False,
        ),
        (
            SessionKind.TRAINING,
            "Tập huấn chuyên môn: Chương trình GDPT 2018 môn Tin học",
            _next_weekday(2, time(14, 0)),
            timedelta(hours=2),
            None,
            False,
        ),
        (
            SessionKind.ELEARNING,
            "Bài giảng e-Learning: An toàn thông tin trong trường học",
            _next_weekday(4, time(9, 0)),
            timedelta(hours=1),
            None,
            True,
        ),
    ]
    added = 0
    for kind, title, start, length, rule, broadcast in plans:
        try:
            session = session_schedule(
                data=SessionInput(
                    room=room,
                    host_unit=unit,
                    kind=kind,
                    title=title,
                    description="",
                    start=start,
                    end=start + length,
                    rule=rule,
                    broadcast=broadcast,
                )
            )
            # Its district offices and schools are invited (the first reply is the sites').
            invitations_set(
                session=session,
                rules=[
                    RuleInput(RuleKind.DISTRICTS, province=unit.province),
                    RuleInput(RuleKind.SCHOOLS, province=unit.province),
                ],
            )
            # Demo sites have no real mailboxes: mark them told, so the scheduler's hourly
            # pass does not queue a mail per demo school (printed by the console backend).
            session.invitations.update(sent_sequence=session.sequence)
            added += 1
        except ScheduleConflict:
            continue
    return added
