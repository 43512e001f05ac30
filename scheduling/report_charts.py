"""The charts, tables and PDFs of scheduling's reports: a unit's year month by month
(meetings, hours) and a meeting's sites (present over time, minutes each stayed)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from charts.pdf import Section, report_pdf
from charts.svg import Chart, Series, bar_chart, hbar_chart, line_chart
from rooms.models import Room
from scheduling.models import Occurrence
from scheduling.reports import MonthUse, Presence, SiteRow, UnitYear, chart_number


def _no_data() -> str:
    return _("No data for this period.")


def month_label(use: MonthUse) -> str:
    """``Tháng 3/2026``: the month in a table or a CSV."""
    return pgettext("month of the year", "Month %(month)d/%(year)d") % {
        "month": use.month,
        "year": use.year,
    }


def _short_month(use: MonthUse) -> str:
    return pgettext("month of the year, short", "M%(month)d") % {"month": use.month}


def usage_figures(room: Room, usage: UnitYear, year: int) -> list[Section]:
    """Meetings held per month and their hours: two bar charts, the second beside the table
    of both."""
    labels = [_short_month(m) for m in usage.months]
    header = [pgettext("month of the year", "Month"), _("Meetings held"), _("Hours")]
    rows: list[list[object]] = [
        [month_label(m), m.meetings, chart_number(m.hours)] for m in usage.months
    ]
    figures = []
    for ident, title, values in (
        (
            "meetings",
            _("Meetings held per month in %(year)d") % {"year": year},
            [float(m.meetings) for m in usage.months],
        ),
        (
            "hours",
            _("Hours of meetings per month in %(year)d") % {"year": year},
            [m.hours for m in usage.months],
        ),
    ):
        chart = Chart(
            ident=ident,
            title=title,
            desc=room.display_name,
            empty_text=_no_data(),
            fmt=chart_number,
        )
        svg = bar_chart(chart, labels, [Series(title, tuple(values))])
        figures.append(Section(title, [], [], svg))
    # One table of both numbers, beside the second chart: not the same twelve rows twice.
    figures[-1] = Section(figures[-1].heading, header, rows, figures[-1].svg, frozenset({1, 2}))
    return figures


def usage_pdf(room: Room, usage: UnitYear, year: int, kinds: Sequence[tuple[str, int]]) -> bytes:
    """The yearly report (C53 Art. 21) as a PDF: the totals, then each month's chart and table."""
    totals: list[list[object]] = [[label, count] for label, count in kinds]
    totals += [
        [_("Meetings held"), usage.meetings],
        [_("Hours"), chart_number(usage.hours)],
        [_("Sites attended"), usage.sites_attended],
        [_("Broadcasts"), usage.broadcasts],
    ]
    count = pgettext("how many", "Count")
    total = Section(_("In all"), ["", count], totals, numeric=frozenset({1}))
    sections = [total, *usage_figures(room, usage, year)]
    return report_pdf(
        title=_("Use of the room in %(year)d") % {"year": year},
        lines=[room.display_name, _("for the yearly evaluation (Circular 53, Art. 21)")],
        sections=sections,
    )


def _time(presence: Presence) -> str:
    return timezone.localtime(presence.at).strftime("%H:%M")


def presence_figure(timeline: Sequence[Presence]) -> Section:
    """Sites present over the meeting, a line beside the table of its moments."""
    title = _("Sites present over time")
    chart = Chart(
        ident="presence",
        title=title,
        desc=_("Invited sites in the meeting every few minutes."),
        empty_text=_no_data(),
        fmt=chart_number,
    )
    labels = [_time(p) for p in timeline]
    svg = line_chart(chart, labels, [Series(title, tuple(float(p.sites) for p in timeline))])
    header = [pgettext("time of day", "Time"), _("Sites present")]
    return Section(title, header, [[_time(p), p.sites] for p in timeline], svg, frozenset({1}))


def minutes_figure(rows: Sequence[SiteRow]) -> Section:
    """How long each invited site stayed, a bar per site beside the table."""
    title = _("Minutes each site was present")
    chart = Chart(
        ident="minutes",
        title=title,
        desc=_("Invited sites and the minutes each stayed in the meeting."),
        empty_text=_no_data(),
        fmt=chart_number,
    )
    names = [r.invitation.unit.name for r in rows]
    svg = hbar_chart(chart, names, [float(r.minutes) for r in rows])
    header = [_("Site"), _("Reply"), _("Minutes")]
    table: list[list[object]] = [[r.invitation.unit.name, r.reply_label, r.minutes] for r in rows]
    return Section(title, header, table, svg, frozenset({2}))


def attendance_pdf(
    occurrence: Occurrence, rows: Sequence[SiteRow], timeline: Sequence[Presence]
) -> bytes:
    """A meeting's attendance as a PDF: sites present over time, then each site's minutes."""
    start = timezone.localtime(occurrence.start)
    when = f"{start:%d/%m/%Y %H:%M}–{timezone.localtime(occurrence.end):%H:%M}"
    present = sum(1 for r in rows if r.present)
    sections = [presence_figure(timeline), minutes_figure(rows)]
    return report_pdf(
        title=occurrence.display_title,
        lines=[
            f"{occurrence.room.display_name} · {when}",
            _("%(present)d of %(total)d invited sites present")
            % {"present": present, "total": len(rows)},
        ],
        sections=sections,
    )
