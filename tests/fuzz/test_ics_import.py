"""Issue 10, item 3: ICS import answers any file with items or ``InvalidSchedule``, and
an exploding RRULE never makes more than the bounded number of occurrences."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.models import Room
from rooms.services.demo import demo_load
from scheduling.domain.recurrence import MAX_OCCURRENCES, Rule, RuleError, expand, parse_rrule
from scheduling.errors import InvalidSchedule
from scheduling.services.ical_import import ImportItem, ics_preview
from tests.factories import UserFactory
from tests.fuzz.strategies import tricky_text, utf8_safe

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2027, 3, 1, 8, 0, tzinfo=ZONE)

rrule_parts = st.one_of(
    st.sampled_from(
        [
            "FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=HOURLY", "FREQ=DAILY", "FREQ=WEEKLY",
            "FREQ=MONTHLY", "FREQ=YEARLY", "FREQ=", "BYSECOND=" + ",".join(map(str, range(60))),
            "BYMINUTE=0,30", "BYHOUR=1,2", "COUNT=999999999", "COUNT=" + "9" * 5000,
            "COUNT=0", "COUNT=-3", "INTERVAL=0", "INTERVAL=-1", "INTERVAL=1000000",
            "UNTIL=19000101T000000Z", "UNTIL=99991231", "UNTIL=2027", "UNTIL=20270230",
            "BYDAY=MO,TU,WE,TH,FR,SA,SU", "BYDAY=5MO", "BYDAY=-1FR", "BYDAY=+2XX", "BYDAY=1",
            "BYSETPOS=2", "BYSETPOS=-1", "BYSETPOS=99", "WKST=SU", "BYMONTHDAY=31", "X-Y=1",
        ]
    ),
    st.builds(
        lambda k, v: f"{k}={v}",
        st.sampled_from(["FREQ", "COUNT", "INTERVAL", "UNTIL", "BYDAY", "BYSETPOS"]),
        tricky_text,
    ),
    tricky_text,
)  # fmt: skip
rrules = st.lists(rrule_parts, max_size=6).map(";".join)


def check_rule(text: str) -> Rule | None:
    """A valid Rule or RuleError; expanding it over ten years stays within the bound."""
    try:
        rule = parse_rrule(text)
    except RuleError as refused:
        assert refused.code
        return None
    starts = expand(START, rule, until=START + timedelta(days=3650))
    assert len(starts) <= MAX_OCCURRENCES
    assert starts == sorted(starts) and all(moment >= START for moment in starts)
    return rule


@given(rrules)
def test_rrule(text: str) -> None:
    """Issue 10, item 3: random and exploding RRULEs parse to a bounded rule or RuleError."""
    check_rule(text)


RULE_CORPUS = [
    "FREQ=SECONDLY",
    "FREQ=DAILY;BYSECOND=" + ",".join(map(str, range(60))),
    "FREQ=DAILY;COUNT=999999999",
    "FREQ=DAILY;COUNT=" + "9" * 5000,
    "FREQ=WEEKLY;INTERVAL=0",
    "FREQ=WEEKLY;INTERVAL=-1",
    "FREQ=DAILY;UNTIL=19000101T000000Z",
    # BYSETPOS=2 of a one-day month never matches: dateutil walked to year 9999 (~2 s).
    "FREQ=MONTHLY;BYSETPOS=2",
    "FREQ=MONTHLY;BYDAY=5MO",
]


def test_setpos_without_weekday_is_refused() -> None:
    """Issue 10, item 3: BYSETPOS without BYDAY matched nothing and cost a second per event
    (dateutil searched every month to year 9999); a file of 500 such events, minutes."""
    with pytest.raises(RuleError) as refused:
        parse_rrule("FREQ=MONTHLY;BYSETPOS=2")
    assert refused.value.code == "bad_setpos"


@pytest.mark.parametrize("text", RULE_CORPUS)
def test_rrule_corpus(text: str) -> None:
    """Issue 10, item 3: the kept corpus of exploding RRULEs."""
    check_rule(text)


def vevent(summary: str, dtstart: str, dtend: str, rrule: str, extra: str) -> str:
    lines = ["BEGIN:VEVENT", "UID:x@example.org", f"SUMMARY:{summary}", dtstart, dtend]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    return "\r\n".join([*lines, *filter(None, [extra]), "END:VEVENT"])


events = st.builds(
    vevent,
    summary=tricky_text,
    dtstart=st.sampled_from(
        [
            "DTSTART;TZID=Asia/Ho_Chi_Minh:20270301T080000", "DTSTART:20270301T010000Z",
            "DTSTART;VALUE=DATE:20270301", "DTSTART:garbage", "DTSTART:P1D",
            "DTSTART;TZID=Mars/Olympus:20270301T080000",
            "DTSTART;VALUE=PERIOD:20270301T080000Z/PT1H",
            "DTSTART:20270301T080000", "",
        ]
    ),
    dtend=st.sampled_from(["DTEND:20270301T020000Z", "DTEND:20270228T000000Z", "DTEND:x", ""]),
    rrule=rrules,
    extra=st.sampled_from(
        [
            "", "EXDATE:20270302T010000Z", "EXDATE:garbage", "EXDATE;VALUE=DATE:20270302",
            "RRULE:FREQ=DAILY;COUNT=2", "RECURRENCE-ID:20270302T010000Z", "DESCRIPTION:\x00",
            "DURATION:PT1H",
        ]
    ),
)  # fmt: skip
calendars = st.lists(events, min_size=0, max_size=3).map(
    lambda items: "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *items, "END:VCALENDAR"])
)


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit").get(slug="hanoi")


def check_import(room: Room, text: str) -> None:
    """Items or InvalidSchedule; no item books more than the bound."""
    user = cast(User, UserFactory(username="nhaplich", is_superuser=True, is_staff=True))
    try:
        items = ics_preview(room=room, text=text, by=user)
    except InvalidSchedule as refused:
        assert str(refused)
        return
    for item in items:
        assert isinstance(item, ImportItem)
        assert utf8_safe(item.title) and (item.ok or item.error or item.conflicts)
        assert 0 <= item.meetings <= MAX_OCCURRENCES


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(calendars, st.text(max_size=200)))
def test_ics_file(hanoi: Room, text: str) -> None:
    """Issue 10, item 3: random and hostile VCALENDARs (a preview, so nothing is kept)."""
    check_import(hanoi, text)


def calendar(*lines: str) -> str:
    body = ["BEGIN:VEVENT", "UID:x@example.org", "SUMMARY:Họp", *lines, "END:VEVENT"]
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *body, "END:VCALENDAR"])


START_LINE = "DTSTART:20270301T010000Z"
ICS_CORPUS: list[tuple[str, str]] = [
    # Each crashed the import with a 500 before: two RRULEs (a list has no to_ical)...
    ("two rrules", calendar(START_LINE, "RRULE:FREQ=DAILY;COUNT=2", "RRULE:FREQ=WEEKLY")),
    # ...a DTSTART that is a duration (timedelta has no utcoffset)...
    ("duration start", calendar("DTSTART:P1D")),
    ("period start", calendar("DTSTART;VALUE=PERIOD:20270301T080000Z/PT1H")),
    # ...a DTEND icalendar cannot read (BrokenCalendarProperty on .dt)...
    ("broken end", calendar(START_LINE, "DTEND:x")),
    ("broken start", calendar("DTSTART:garbage")),
    ("two starts", calendar(START_LINE, "DTSTART:20270302T010000Z")),
    ("broken exdate", calendar(START_LINE, "RRULE:FREQ=DAILY;COUNT=3", "EXDATE:garbage")),
    # ...a lone surrogate (text.encode() raised UnicodeEncodeError).
    ("surrogate", calendar(START_LINE, "DESCRIPTION:\ud800")),
    # NUL in a title or description: PostgreSQL refuses it in text.
    ("NUL title", calendar(START_LINE, "DESCRIPTION:a\x00b").replace("Họp", "H\x00p")),
    ("exploding rule", calendar(START_LINE, "RRULE:FREQ=SECONDLY")),
    ("setpos without day", calendar(START_LINE, "RRULE:FREQ=MONTHLY;BYSETPOS=2")),
    ("until before start", calendar(START_LINE, "RRULE:FREQ=DAILY;UNTIL=20200101")),
]


@pytest.mark.parametrize(("name", "text"), ICS_CORPUS, ids=[name for name, _ in ICS_CORPUS])
def test_ics_corpus(hanoi: Room, name: str, text: str) -> None:
    """Issue 10, item 3: the kept corpus of hostile .ics files."""
    check_import(hanoi, text)
