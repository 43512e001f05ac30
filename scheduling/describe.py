"""A series in words people understand: "Thứ Hai hằng tuần, 8:00–9:30, đến hết 18/01/2027"."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.domain.recurrence import Rule, RuleError, parse_rrule
from scheduling.models import Session


def _weekday_names() -> dict[str, str]:
    return {
        "MO": _("Monday"),
        "TU": _("Tuesday"),
        "WE": _("Wednesday"),
        "TH": _("Thursday"),
        "FR": _("Friday"),
        "SA": _("Saturday"),
        "SU": _("Sunday"),
    }


def _ordinal(setpos: int) -> str:
    return {1: _("first"), 2: _("second"), 3: _("third"), 4: _("fourth"), -1: _("last")}[setpos]


def _pattern(rule: Rule, weekday: str) -> str:
    names = _weekday_names()
    days = ", ".join(names[d] for d in (rule.weekdays or (weekday,)))
    if rule.freq == "MONTHLY" and rule.setpos is not None:
        return _("%(days)s, the %(nth)s of every month") % {
            "days": days,
            "nth": _ordinal(rule.setpos),
        }
    if rule.freq == "MONTHLY":
        return _("every month")
    if rule.freq == "DAILY":
        return (
            _("every day") if rule.interval == 1 else _("every %(n)d days") % {"n": rule.interval}
        )
    if rule.freq == "WEEKLY" and rule.interval == 2:
        return _("%(days)s, every two weeks") % {"days": days}
    if rule.freq == "WEEKLY" and rule.interval > 2:
        return _("%(days)s, every %(n)d weeks") % {"days": days, "n": rule.interval}
    if rule.freq == "WEEKLY":
        return _("%(days)s every week") % {"days": days}
    return _("every year")


def describe(session: Session) -> str:
    """The session's dates and times in one sentence in the user's language."""
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    times = f"{start:%H:%M}–{end:%H:%M}"
    if not session.rrule:
        return f"{start:%d/%m/%Y}, {times}"
    try:
        rule = parse_rrule(session.rrule)
    except RuleError:
        return times
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start.weekday()]
    text = f"{_pattern(rule, weekday)}, {times}"
    if rule.until is not None:
        text += ", " + _("until %(day)s") % {"day": rule.until.strftime("%d/%m/%Y")}
    elif rule.count is not None:
        text += ", " + _("%(n)d meetings") % {"n": rule.count}
    return text[0].upper() + text[1:]
