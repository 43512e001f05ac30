"""Certificates: a completed teacher gets one; anyone verifies one; organisers see completion."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from courses.domain.codes import normalise
from courses.errors import CourseError
from courses.models import Course
from courses.pdf import certificate_pdf
from courses.reports import completion_figure, completion_pdf
from courses.selectors import (
    SchoolCompletion,
    TeacherProgress,
    certificate_by_code,
    certificate_of,
    completion_by_school,
    enrolled_users,
    progress_table,
    sessions_of,
)
from courses.services.certificates import certificate_issue
from courses.views.common import enrolled_or_404, organised_or_404, visible_or_404
from scheduling.reports import pdf_response


@login_required
@require_POST
def certificate_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A teacher who completed the course asks for the certificate (issued once)."""
    course, user = enrolled_or_404(request, pk)
    try:
        certificate_issue(course=course, user=user)
    except CourseError as exc:
        messages.error(request, str(exc))
        return redirect("courses:detail", course.pk)
    return redirect("courses:certificate", course.pk)


@login_required
@require_GET
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The teacher's own certificate as a PDF."""
    course = visible_or_404(request, pk)
    certificate = certificate_of(course, request.user)
    if certificate is None:
        raise Http404(_("You have no certificate for this course yet."))
    url = request.build_absolute_uri(reverse("verify:certificate", args=[certificate.code]))
    response = HttpResponse(certificate_pdf(certificate, verify_url=url), "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="chung-nhan-{certificate.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Anyone checks a certificate by its code: who, what, when; or a clear 404."""
    plain = normalise(code)
    certificate = certificate_by_code(plain) if plain is not None else None
    status = 200 if certificate is not None else 404
    return render(
        request,
        "courses/verify.html",
        {"certificate": certificate, "code": code[:40]},
        status=status,
    )


def _table(
    request: HttpRequest, pk: int
) -> tuple[Course, list[TeacherProgress], list[SchoolCompletion]]:
    course = organised_or_404(request, pk)
    rows = progress_table(course, list(enrolled_users(course)))
    return course, rows, completion_by_school(rows)


@login_required
@require_GET
def completion(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's view: completion per school and per teacher."""
    course, rows, schools = _table(request, pk)
    return render(
        request,
        "courses/completion.html",
        {
            "course": course,
            "rows": rows,
            "schools": schools,
            "sessions": sessions_of(course),
            "figure": completion_figure(schools),
        },
    )


@login_required
@require_GET
def completion_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Completion per school (chart and table) and per teacher, as a PDF."""
    course, rows, schools = _table(request, pk)
    data = completion_pdf(course, schools, rows, sessions_of(course))
    return pdf_response(data, f"hoan-thanh-{course.pk}.pdf")


@login_required
@require_GET
def completion_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The completion table as CSV (UTF-8 with a BOM, so spreadsheet programs read it)."""
    course, rows, _schools = _table(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hoan-thanh-{course.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    count = len(sessions_of(course))
    writer.writerow(
        [_("Teacher"), _("User name"), _("School or unit")]
        + [_("Session %(n)d (%%)") % {"n": i + 1} for i in range(count)]
        + [_("Quiz passed"), _("Completed")]
    )
    for row in rows:
        writer.writerow(
            [
                row.user.get_full_name() or row.user.get_username(),
                row.user.get_username(),
                row.school.name if row.school is not None else "",
            ]
            + [f"{share.percent:.0f}" for share in row.progress.shares]
            + [_("yes") if row.progress.quiz_passed else _("no")]
            + [_("yes") if row.progress.complete else _("no")]
        )
    return response
