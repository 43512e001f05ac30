"""Dates, months and years typed into addresses (?week=, ?month=, ?year=, ?from=).

Anything can arrive there. Parsing never raises: a value that is not a real date, or
lies outside the years a calendar can show, is None and the edge decides (fall back to
today, or answer with a sentence). The bounds also keep date arithmetic (a week or a
month later) away from ``date.max``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# ASCII digits only: \d would take Arabic-Indic and other digits that int() accepts.
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Years:
    """The first and last year a calendar or a report may show."""

    first: int
    last: int

    def holds(self, year: int) -> bool:
        """Whether ``year`` lies within the bounds."""
        return self.first <= year <= self.last


def parse_day(value: str, years: Years) -> date | None:
    """A ``YYYY-MM-DD`` day within ``years``, else None."""
    match = _DAY.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not years.holds(year):
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 2026-02-31
        return None


def parse_month(value: str, years: Years) -> date | None:
    """The first day of a ``YYYY-MM`` month within ``years``, else None."""
    match = _MONTH.fullmatch(value.strip())
    if match is None:
        return None
    year, month = (int(part) for part in match.groups())
    if not years.holds(year) or not 1 <= month <= 12:
        return None
    return date(year, month, 1)


def parse_year(value: str, years: Years) -> int | None:
    """A four-digit year within ``years``, else None."""
    if _YEAR.fullmatch(value.strip()) is None:
        return None
    year = int(value)
    return year if years.holds(year) else None
