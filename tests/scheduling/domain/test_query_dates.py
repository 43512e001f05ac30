"""Dates typed into addresses: whatever arrives, a date we can show or None."""

from __future__ import annotations

from datetime import date

import pytest

from scheduling.domain.query_dates import Years, parse_day, parse_month, parse_year

YEARS = Years(first=2012, last=2100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-07", date(2026, 12, 7)),
        (" 2026-12-07 ", date(2026, 12, 7)),
        ("2028-02-29", date(2028, 2, 29)),
        ("2026-02-29", None),  # not a leap year
        ("2026-02-31", None),
        ("2026-13-01", None),
        ("2026-00-10", None),
        ("9999-12-31", None),  # a week later would pass date.max
        ("0001-01-01", None),
        ("2011-12-31", None),
        ("2101-01-01", None),
        ("2026-1-7", None),
        ("20261207", None),
        ("", None),
        ("٢٠٢٦-١٢-٠٧", None),  # Arabic-Indic digits match \d in Python
        ("2026-12-07T08:00", None),
        ("x" * 10_000, None),
    ],
)
def test_days(value: str, expected: date | None) -> None:
    """Issue 10: ``?week=2026-02-31`` and ``?week=9999-12-31`` were 500s."""
    assert parse_day(value, YEARS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12", date(2026, 12, 1)),
        ("2100-12", date(2100, 12, 1)),
        ("9999-12", None),  # the grid's next month would pass date.max
        ("2026-13", None),
        ("2026-00", None),
        ("2026", None),
        ("", None),
    ],
)
def test_months(value: str, expected: date | None) -> None:
    """Issue 10: ``?month=9999-12`` was a 500."""
    assert parse_month(value, YEARS) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026", 2026),
        ("2012", 2012),
        ("2100", 2100),
        ("9999", None),
        ("0", None),
        ("-1", None),
        ("0000", None),
        ("2011", None),
        ("1e3", None),
        ("20260", None),
        ("1" * 5000, None),
        ("", None),
    ],
)
def test_years(value: str, expected: int | None) -> None:
    """Issue 10: ``/<slug>/report/?year=9999`` was a 500."""
    assert parse_year(value, YEARS) == expected
