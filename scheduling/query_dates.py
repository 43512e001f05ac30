"""Dates in query parameters, within the years set by ``MEET_CALENDAR_YEARS``."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone

from scheduling.domain import query_dates
from scheduling.domain.query_dates import Years

DEFAULT_YEARS = (2012, 2100)  # Circular 53 is of 2012; nothing is planned a lifetime ahead


def calendar_years() -> Years:
    """The years calendars and reports show (``MEET_CALENDAR_YEARS = (first, last)``)."""
    first, last = getattr(settings, "MEET_CALENDAR_YEARS", DEFAULT_YEARS)
    return Years(first=int(first), last=int(last))


def day_or_today(value: str | None) -> date:
    """The day a ``?week=`` or ``?day=`` names, or today when it names none we can show."""
    return query_dates.parse_day(value or "", calendar_years()) or timezone.localdate()


def month_or_this(value: str | None) -> date:
    """The first day of the ``?month=YYYY-MM``, or of this month."""
    found = query_dates.parse_month(value or "", calendar_years())
    return found or timezone.localdate().replace(day=1)


def year_of(value: str | None) -> int | None:
    """The ``?year=``: this year when absent, None when it is not a year we can show."""
    if value is None or not value.strip():
        return timezone.localdate().year
    return query_dates.parse_year(value, calendar_years())
