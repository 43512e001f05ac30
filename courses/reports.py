"""A course's completion per school as a chart beside its table, and as a PDF with the
teachers' table (issue 15, items 7 and 9)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from charts.pdf import Section, report_pdf
from charts.svg import Chart, hbar_chart
from courses.models import Course, CourseSession
from courses.selectors import SchoolCompletion, TeacherProgress
from scheduling.reports import chart_number


def _percent(value: float) -> str:
    return f"{chart_number(round(value))}%"


def completion_figure(schools: Sequence[SchoolCompletion]) -> Section:
    """Completion by school: a bar per school (0 to 100%) beside enrolled, completed and %."""
    title = _("Completion by school")
    chart = Chart(
        ident="completion",
        title=title,
        desc=_("Share of each school's enrolled teachers who completed the course (percent)."),
        empty_text=_("Nobody takes the course yet."),
        fmt=lambda value: f"{chart_number(value)}%",
    )
    svg = hbar_chart(
        chart, [s.school for s in schools], [round(s.percent) for s in schools], high=100
    )
    header = [_("School or unit"), _("Enrolled"), _("Completed"), "%"]
    rows: list[list[object]] = [
        [s.school, s.enrolled, s.completed, _percent(s.percent)] for s in schools
    ]
    return Section(title, header, rows, svg, frozenset({1, 2, 3}))


def _teachers(rows: Sequence[TeacherProgress], sessions: Sequence[CourseSession]) -> Section:
    header = [_("Teacher"), _("School or unit")]
    header += [
        f"{n}. {timezone.localtime(s.occurrence.start):%d/%m}"
        for n, s in enumerate(sessions, start=1)
    ]
    header += [_("Quiz"), _("Completed")]
    table: list[list[object]] = [
        [
            row.user.get_full_name() or row.user.get_username(),
            row.school.name if row.school is not None else "—",
            *[_percent(share.percent) for share in row.progress.shares],
            _("passed") if row.progress.quiz_passed else "—",
            _("yes") if row.progress.complete else _("no"),
        ]
        for row in rows
    ]
    numeric = frozenset(range(2, 2 + len(sessions)))
    return Section(_("Teachers"), header, table, numeric=numeric)


def completion_pdf(
    course: Course,
    schools: Sequence[SchoolCompletion],
    rows: Sequence[TeacherProgress],
    sessions: Sequence[CourseSession],
) -> bytes:
    """The organiser's completion report: per school (chart and table), then per teacher."""
    done = sum(1 for row in rows if row.progress.complete)
    return report_pdf(
        title=course.title,
        lines=[
            course.organiser.name,
            _("%(done)d of %(total)d enrolled teachers completed the course")
            % {"done": done, "total": len(rows)},
        ],
        sections=[completion_figure(schools), _teachers(rows, sessions)],
        landscape=True,
    )
