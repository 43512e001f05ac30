"""A competition's results as charts (each subject's scores, best first) beside the ranking,
and as a printable PDF (issue 15, items 5 and 9)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from charts.pdf import Section, report_pdf
from charts.svg import Chart, hbar_chart
from competitions.models import Competition, Status, Subject
from competitions.selectors import ResultRow
from scheduling.reports import chart_number

Ranking = Sequence[tuple[Subject, Sequence[ResultRow]]]


def _place(row: ResultRow) -> str:
    if row.place.rank is None:
        return "—"
    return f"{row.place.rank} ({_('tied')})" if row.place.tied else str(row.place.rank)


def subject_chart(subject: Subject, rows: Sequence[ResultRow], best: Decimal) -> str:
    """The scored contestants of one subject, best first, each bar on the rubric's scale."""
    scored = [row for row in rows if row.place.score is not None]
    chart = Chart(
        ident=f"subject-{subject.pk}",
        title=_("Scores in %(subject)s") % {"subject": subject.name},
        desc=_("Each contestant's score, best first; the scale ends at the best total, %(best)s.")
        % {"best": chart_number(float(best))},
        empty_text=_("No score yet."),
        fmt=chart_number,
    )
    labels = [f"{_place(row)}. {row.contestant.teacher_name}" for row in scored]
    values = [float(row.place.score or 0) for row in scored]
    return hbar_chart(chart, labels, values, high=float(best) or None)


def _subject_section(subject: Subject, rows: Sequence[ResultRow], best: Decimal) -> Section:
    header = [
        _("Rank"),
        _("Teacher"),
        _("School or unit"),
        _("Lesson title"),
        _("Score"),
        _("Sheets"),
    ]
    table: list[list[object]] = [
        [
            _place(row),
            row.contestant.teacher_name,
            row.contestant.school.name,
            row.contestant.lesson_title,
            chart_number(float(row.place.score)) if row.place.score is not None else "—",
            len(row.totals),
        ]
        for row in rows
    ]
    return Section(
        subject.name, header, table, subject_chart(subject, rows, best), frozenset({4, 5})
    )


def results_pdf(competition: Competition, ranking: Ranking, best: Decimal) -> bytes:
    """Each subject's ranking as a chart and a table, under the competition's name."""
    if competition.status == Status.PUBLISHED and competition.published_at is not None:
        when = timezone.localtime(competition.published_at).strftime("%d/%m/%Y")
        status = _("Published on %(when)s.") % {"when": when}
    else:
        status = _("Not published: only the organiser sees these results.")
    return report_pdf(
        title=f"{_('Results')} · {competition.name}",
        lines=[competition.organiser.name, competition.get_aggregation_display(), status],
        sections=[_subject_section(subject, rows, best) for subject, rows in ranking],
        landscape=True,
    )
