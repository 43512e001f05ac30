"""Reports: a meeting's sites (readiness, reply, presence) and a unit's year (C53 Art. 21)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

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
class UnitYear:
    """How a unit's rooms were used in a period (C53 Art. 21)."""

    unit: Unit
    sessions_by_kind: dict[str, int]
    meetings: int
    hours: float
    sites_attended: int
    broadcasts: int


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
    for occurrence in held:
        if occurrence.session_id not in sessions:
            sessions.add(occurrence.session_id)
            by_kind[occurrence.session.kind] += 1
        hours += (occurrence.end - occurrence.start).total_seconds() / 3600
        broadcasts += occurrence.session.broadcast
    attended = (
        Attendance.objects.filter(occurrence__in=held, unit__isnull=False)
        .values("unit")
        .distinct()
        .count()
    )
    return UnitYear(unit, by_kind, len(held), round(hours, 1), attended, broadcasts)


def sessions_of(unit: Unit) -> list[Session]:
    """The sessions a unit hosts, newest first."""
    return list(Session.objects.filter(host_unit=unit).order_by("-start"))
