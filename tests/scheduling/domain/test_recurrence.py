"""Recurrence rules: what we accept, what we refuse, and how series expand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.recurrence import Rule, RuleError, expand, parse_rrule

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y: int, m: int, d: int, h: int = 8, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=HCM)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", Rule("WEEKLY", weekdays=("MO",))),
        ("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", Rule("WEEKLY", 2, ("MO", "TH"))),
        ("FREQ=MONTHLY;BYDAY=2MO", Rule("MONTHLY", weekdays=("MO",), setpos=2)),
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", Rule("MONTHLY", weekdays=("FR",), setpos=-1)),
        ("FREQ=WEEKLY;UNTIL=20270115T165959Z", Rule("WEEKLY", until=date(2027, 1, 15))),
        ("FREQ=DAILY;COUNT=5", Rule("DAILY", count=5)),
        ("freq=weekly;byday=tu", Rule("WEEKLY", weekdays=("TU",))),
    ],
)
def test_parse(text: str, rule: Rule) -> None:
    assert parse_rrule(text) == rule


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("FREQ=HOURLY", "freq_not_allowed"),
        ("FREQ=MINUTELY;INTERVAL=5", "freq_not_allowed"),
        ("FREQ=DAILY;BYHOUR=8,9,10", "sub_daily"),
        ("FREQ=WEEKLY;COUNT=100000", "bad_count"),
        ("FREQ=WEEKLY;INTERVAL=0", "bad_interval"),
        ("FREQ=WEEKLY;BYDAY=XX", "bad_weekday"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "until_and_count"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "unsupported_part"),
        ("FREQ=WEEKLY;INTERVAL=abc", "bad_interval"),
        ("", "freq_not_allowed"),
    ],
)
def test_explosive_or_broken_rules_are_refused(text: str, code: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rrule(text)
    assert caught.value.code == code


def test_round_trip() -> None:
    for text in (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270115",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=2;COUNT=6",
    ):
        assert parse_rrule(text).to_rrule() == text


def test_weekly_monday_briefing_for_a_semester() -> None:
    rule = Rule("WEEKLY", weekdays=("MO",), until=date(2027, 1, 18))
    starts = expand(at(2026, 11, 23), rule, until=at(2028, 1, 1))
    assert starts[0] == at(2026, 11, 23)
    assert starts[-1] == at(2027, 1, 18)  # UNTIL includes its day
    assert len(starts) == 9
    assert all(s.weekday() == 0 and s.hour == 8 for s in starts)


def test_across_the_year_boundary_and_exdates() -> None:
    rule = Rule("WEEKLY", weekdays=("MO",), count=4)
    starts = expand(at(2026, 12, 21), rule, exdates=[at(2026, 12, 28)], until=at(2027, 6, 1))
    assert starts == [at(2026, 12, 21), at(2027, 1, 4), at(2027, 1, 11)]


def test_monthly_by_weekday() -> None:
    rule = Rule("MONTHLY", weekdays=("FR",), setpos=-1, count=3)
    assert expand(at(2026, 11, 27, 14), rule, until=at(2027, 6, 1)) == [
        at(2026, 11, 27, 14),
        at(2026, 12, 25, 14),
        at(2027, 1, 29, 14),
    ]


def test_the_horizon_bounds_an_endless_rule() -> None:
    starts = expand(at(2026, 1, 1), Rule("DAILY"), until=at(2026, 1, 1) + timedelta(days=9))
    assert len(starts) == 10


def test_a_single_session() -> None:
    assert expand(at(2026, 12, 1), None, until=at(2027, 1, 1)) == [at(2026, 12, 1)]
    assert expand(at(2028, 12, 1), None, until=at(2027, 1, 1)) == []


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError):
        expand(datetime(2026, 1, 1), None, until=at(2027, 1, 1))
