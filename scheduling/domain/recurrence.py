"""Recurrence rules (RFC 5545 RRULE/EXDATE) and their expansion into occurrences.

Times are aware datetimes in the session's zone (Asia/Ho_Chi_Minh, which has no DST, so
local wall-clock times and UTC offsets never disagree). Expansion uses dateutil's
RFC 5545 implementation; this module only decides what we accept and how far we expand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil import rrule as du

ALLOWED_FREQS: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "DAILY": du.DAILY,
    "WEEKLY": du.WEEKLY,
    "MONTHLY": du.MONTHLY,
    "YEARLY": du.YEARLY,
}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Parts that could produce several occurrences a day; refused (an "explosive" rule).
SUB_DAILY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
MAX_OCCURRENCES = 2_000
MAX_INTERVAL = 52


class RuleError(ValueError):
    """A rule we refuse; ``code`` names the reason for the edge to word it."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Rule:
    """The part of RFC 5545 our scheduler offers: every N days/weeks/months, until or count."""

    freq: str
    interval: int = 1
    weekdays: tuple[str, ...] = ()  # MO..SU, for WEEKLY (or MONTHLY with ``setpos``)
    setpos: int | None = None  # MONTHLY: 1..4 or -1 (last) weekday of the month
    until: date | None = None
    count: int | None = None

    def to_rrule(self) -> str:
        """The RRULE value, e.g. ``FREQ=WEEKLY;BYDAY=MO;UNTIL=20270115T165959Z``."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(self.weekdays))
        if self.setpos is not None:
            parts.append(f"BYSETPOS={self.setpos}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        return ";".join(parts)


def validate(rule: Rule) -> Rule:
    """Refuse rules that would explode or make no sense."""
    if rule.freq not in ALLOWED_FREQS:
        raise RuleError("freq_not_allowed", rule.freq)
    if not 1 <= rule.interval <= MAX_INTERVAL:
        raise RuleError("bad_interval", str(rule.interval))
    if any(day not in WEEKDAYS for day in rule.weekdays):
        raise RuleError("bad_weekday", ",".join(rule.weekdays))
    if rule.setpos is not None and (rule.freq != "MONTHLY" or rule.setpos not in (1, 2, 3, 4, -1)):
        raise RuleError("bad_setpos", str(rule.setpos))
    if rule.setpos is not None and not rule.weekdays:
        # "The 2nd of one day a month" never matches: dateutil then walks to year 9999.
        raise RuleError("bad_setpos", str(rule.setpos))
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        raise RuleError("bad_count", str(rule.count))
    if rule.count is not None and rule.until is not None:
        raise RuleError("until_and_count")
    return rule


def parse_rrule(text: str) -> Rule:
    """Read an RRULE value (from a form or an imported .ics) into a validated Rule."""
    value = text.strip().removeprefix("RRULE:")
    fields: dict[str, str] = {}
    for part in filter(None, value.split(";")):
        name, _, content = part.partition("=")
        fields[name.strip().upper()] = content.strip().upper()
    if any(part in fields for part in SUB_DAILY_PARTS):
        raise RuleError("sub_daily")
    unknown = set(fields) - {"FREQ", "INTERVAL", "BYDAY", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
    if unknown:
        raise RuleError("unsupported_part", ",".join(sorted(unknown)))
    weekdays, setpos = _weekdays(fields.get("BYDAY", ""))
    if "BYSETPOS" in fields:
        setpos = _int(fields["BYSETPOS"], "bad_setpos")
    return validate(
        Rule(
            freq=fields.get("FREQ", ""),
            interval=_int(fields.get("INTERVAL", "1"), "bad_interval"),
            weekdays=weekdays,
            setpos=setpos,
            until=_until(fields["UNTIL"]) if "UNTIL" in fields else None,
            count=_int(fields["COUNT"], "bad_count") if "COUNT" in fields else None,
        )
    )


def _int(value: str, code: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise RuleError(code, value) from exc


def _weekdays(value: str) -> tuple[tuple[str, ...], int | None]:
    """``MO,WE`` or a monthly ordinal ``2MO`` / ``-1FR``."""
    days: list[str] = []
    setpos: int | None = None
    for item in filter(None, value.split(",")):
        prefix, day = item[:-2], item[-2:]
        if prefix:
            setpos = _int(prefix.lstrip("+"), "bad_setpos")
        days.append(day)
    return tuple(days), setpos


def _until(value: str) -> date:
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise RuleError("bad_until", value) from exc


def _dateutil_rule(rule: Rule, start: datetime) -> du.rrule:
    weekdays = [getattr(du, day) for day in rule.weekdays] or None
    until = None
    if rule.until is not None:
        # An UNTIL date includes that whole day in the session's own zone.
        until = datetime.combine(rule.until, time.max, tzinfo=start.tzinfo)
    return du.rrule(
        ALLOWED_FREQS[rule.freq],
        dtstart=start,
        interval=rule.interval,
        byweekday=weekdays,
        bysetpos=rule.setpos,
        until=until,
        count=rule.count,
    )


def expand(
    start: datetime,
    rule: Rule | None,
    *,
    exdates: Iterable[datetime] = (),
    until: datetime,
) -> list[datetime]:
    """Start times of a series from ``start`` up to ``until`` (the horizon), minus EXDATEs."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    excluded = {moment.astimezone(start.tzinfo) for moment in exdates}
    if rule is None:
        starts = [start] if start <= until else []
    else:
        starts = []
        for moment in _dateutil_rule(rule, start):
            if moment > until or len(starts) >= MAX_OCCURRENCES:
                break
            starts.append(moment)
    return [moment for moment in starts if moment not in excluded]


def horizon_end(now: datetime, months: int) -> datetime:
    """How far ahead occurrences are materialised: ``months`` from now, to the day."""
    return now + timedelta(days=round(months * 30.4375))


def zone(name: str) -> ZoneInfo:
    """The zone sessions are planned in (settings.TIME_ZONE)."""
    return ZoneInfo(name)
