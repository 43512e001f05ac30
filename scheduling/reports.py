"""Reports: a meeting's sites (readiness, reply, presence, over time) and a unit's year
(C53 Art. 21), month by month; the CSV, PDF and number helpers every report uses."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import get_format

from charts.svg import number_text
from rooms.models import Site, Unit
from rooms.selectors import SiteStatus, site_status
from scheduling.models import (
    Attendance,
    Invitation,
    MeetingReply,
    Occurrence,
    Reply,
    Session,
    SessionKind,
)

# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV with a BOM so spreadsheet programs read Vietnamese as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()


@dataclass(frozen=True)
class SiteRow:
    """An invited site at one meeting, with its answer for this meeting."""

    invitation: Invitation
    status: SiteStatus | None
    present: bool
    minutes: int
    reply: str
    reply_label: str
    reason: str


def occurrence_sites(occurrence: Occurrence) -> list[SiteRow]:
    """Every invited site: readiness, last self-test, reply, and whether it was there."""
    invitations = list(
        Invitation.objects.filter(session=occurrence.session).select_related(
            "unit", "unit__province"
        )
    )
    minutes: dict[int, int] = defaultdict(int)
    for attendance in Attendance.objects.filter(occurrence=occurrence, unit__isnull=False):
        minutes[attendance.unit_id] += attendance.minutes  # type: ignore[index]
    sites = {s.unit_id: s for s in Site.objects.filter(unit__in=[i.unit for i in invitations])}
    # An answer for this very meeting overrides the answer for the series.
    own = {r.invitation_id: r for r in MeetingReply.objects.filter(occurrence=occurrence)}
    rows = []
    for inv in invitations:
        answer = own.get(inv.pk)
        reply = answer.reply if answer else inv.reply
        rows.append(
            SiteRow(
                invitation=inv,
                status=site_status(site=sites[inv.unit_id]) if inv.unit_id in sites else None,
                present=inv.unit_id in minutes,
                minutes=minutes.get(inv.unit_id, 0),
                reply=reply,
                reply_label=str(Reply(reply).label),
                reason=answer.reason if answer else inv.reason,
            )
        )
    return rows


@dataclass(frozen=True)
class MonthUse:
    """Meetings held and their hours in one month of the period (its local calendar)."""

    year: int
    month: int
    meetings: int
    hours: float


@dataclass(frozen=True)
class UnitYear:
    """How a unit's rooms were used in a period (C53 Art. 21), in all and month by month."""

    unit: Unit
    sessions_by_kind: dict[str, int]
    meetings: int
    hours: float
    sites_attended: int
    broadcasts: int
    months: tuple[MonthUse, ...] = ()


def _months(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """Every (year, month) the period touches, in order."""
    first = timezone.localtime(start)
    last = timezone.localtime(end - timedelta(microseconds=1))
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def unit_usage(unit: Unit, start: datetime, end: datetime) -> UnitYear:
    """Meetings held in the unit's own room (not cancelled) between ``start`` and ``end``."""
    held = Occurrence.objects.filter(
        Q(session__host_unit=unit) | Q(room__unit=unit),
        cancelled=False,
        start__gte=start,
        start__lt=end,
    ).select_related("session")
    by_kind: dict[str, int] = {kind: 0 for kind in SessionKind.values}
    sessions: set[int] = set()
    hours = 0.0
    broadcasts = 0
    month_meetings: dict[tuple[int, int], int] = defaultdict(int)
    month_hours: dict[tuple[int, int], float] = defaultdict(float)
    for occurrence in held:
        if occurrence.session_id not in sessions:
            sessions.add(occurrence.session_id)
            by_kind[occurrence.session.kind] += 1
        length = (occurrence.end - occurrence.start).total_seconds() / 3600
        hours += length
        broadcasts += occurrence.session.broadcast
        local = timezone.localtime(occurrence.start)
        month_meetings[local.year, local.month] += 1
        month_hours[local.year, local.month] += length
    months = tuple(
        MonthUse(year, month, month_meetings[year, month], round(month_hours[year, month], 1))
        for year, month in _months(start, end)
    )
    attended = (
        Attendance.objects.filter(occurrence__in=held, unit__isnull=False)
        .values("unit")
        .distinct()
        .count()
    )
    return UnitYear(unit, by_kind, len(held), round(hours, 1), attended, broadcasts, months)


def sessions_of(unit: Unit) -> list[Session]:
    """The sessions a unit hosts, newest first."""
    return list(Session.objects.filter(host_unit=unit).order_by("-start"))


@dataclass(frozen=True)
class Presence:
    """How many invited sites were in the meeting at one moment."""

    at: datetime
    sites: int


# At most this many moments across a meeting: a chart and a table a person reads at once.
PRESENCE_POINTS = 13
PRESENCE_STEP_MINUTES = 5


def sites_over_time(occurrence: Occurrence) -> list[Presence]:
    """Sites present (distinct units) every few minutes from the meeting's start to its end;
    a site that has not left counts as present until now, never beyond."""
    spans = [
        (a.unit_id, a.joined_at, a.left_at)
        for a in Attendance.objects.filter(occurrence=occurrence, unit__isnull=False)
    ]
    length = max(0, int((occurrence.end - occurrence.start).total_seconds() // 60))
    step = max(PRESENCE_STEP_MINUTES, -(-length // (PRESENCE_POINTS - 1)))
    step = -(-step // PRESENCE_STEP_MINUTES) * PRESENCE_STEP_MINUTES
    now = timezone.now()
    points = []
    for minute in range(0, length + 1, step):
        at = occurrence.start + timedelta(minutes=minute)
        present = {
            unit
            for unit, joined, left in spans
            if joined <= at and (at < left if left is not None else at <= now)
        }
        points.append(Presence(at, len(present)))
    return points


def chart_number(value: float) -> str:
    """A chart's number in the current language (``12,5`` in Vietnamese, ``12.5`` in English)."""
    return number_text(value, decimal=str(get_format("DECIMAL_SEPARATOR")))


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A PDF the browser downloads under ``filename``."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
