"""Jurors' pages (their lessons, the score sheet), the chair's reopening, the results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.errors import CompetitionError, InvalidScores
from competitions.forms import ReopenForm, SheetForm
from competitions.models import Competition, Criterion, ScoreSheet, Status
from competitions.permissions import can_organise, can_see_results, chairs_panel, seats_of
from competitions.reports import results_pdf, subject_chart
from competitions.selectors import (
    lesson_watchable,
    others_visible,
    results,
    rubric,
    rubric_best,
    seat_of,
    seats_for,
    sheets_of,
)
from competitions.services.scoring import sheet_reopen, sheet_save
from competitions.views.common import visible_or_404
from scheduling.reports import csv_text, pdf_response


@login_required
def jury(request: HttpRequest, pk: int) -> HttpResponse:
    """The lessons a juror scores, in time order, with where each sheet stands."""
    competition = visible_or_404(request, pk)
    seats = seats_for(viewer=request.user, competition=competition)
    if not seats and not seats_of(request.user, competition).exists():
        raise PermissionDenied(_("You do not sit on a jury of this competition."))
    now = timezone.now()
    watch_now = {
        seat.contestant.pk
        for seat in seats
        if getattr(seat.contestant, "slot", None)
        and lesson_watchable(seat.contestant.slot, competition, now)
    }
    context = {"competition": competition, "seats": seats, "watch_now": watch_now}
    return render(request, "competitions/jury.html", context)


def _sheet_form(
    request: HttpRequest, criteria: list[Criterion], own: ScoreSheet | None
) -> SheetForm:
    initial: dict[str, object] = {}
    if own is not None:
        initial = {f"c{s.criterion_id}": s.points for s in own.scores.all()}
        initial["comment"] = own.comment
    return SheetForm(request.POST or None, criteria=criteria, initial=initial)


@login_required
def score(request: HttpRequest, pk: int, contestant_pk: int) -> HttpResponse:
    """A juror's sheet of one lesson; the others' sheets once theirs is submitted."""
    competition = visible_or_404(request, pk)
    contestant = get_object_or_404(
        competition.contestants.select_related("school", "subject", "slot", "slot__room"),
        pk=contestant_pk,
    )
    juror = seat_of(viewer=request.user, contestant=contestant)
    chair = chairs_panel(request.user, contestant)
    if juror is None and not chair:
        raise PermissionDenied(_("You do not score this contestant."))
    sheets = sheets_of(contestant=contestant)
    own = next((s for s in sheets if juror is not None and s.juror_id == juror.pk), None)
    criteria = rubric(competition=competition)
    form = _sheet_form(request, criteria, own)
    if request.method == "POST" and juror is not None and form.is_valid():
        submit = "submit" in request.POST
        try:
            sheet_save(
                contestant=contestant,
                by=request.user,  # type: ignore[arg-type]
                points=form.points(),
                comment=form.cleaned_data["comment"],
                submit=submit,
            )
        except InvalidScores as invalid:
            form.add_error(None, str(invalid))
            for criterion_pk, sentence in invalid.problems.items():
                form.add_error(f"c{criterion_pk}", sentence)
        except CompetitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your sheet is submitted.") if submit else _("Your draft is saved."),
            )
            return redirect("competitions:score", pk=competition.pk, contestant_pk=contestant.pk)
    # A chair sees the others' sheets to decide on a reopening once their own is in, or
    # at once when they score nobody here (a chair from the contestant's own school).
    shown = others_visible(own=own) or (chair and juror is None)
    return render(
        request,
        "competitions/score.html",
        {
            "competition": competition,
            "contestant": contestant,
            "criteria": criteria,
            "form": form,
            "own": own,
            "locked": own is not None and own.submitted_at is not None,
            "scoring": competition.status == Status.SCORING and juror is not None,
            "others": [s for s in sheets if s is not own] if shown else [],
            "hidden_count": 0 if shown else len([s for s in sheets if s is not own]),
            "chair": chair,
            "reopen_form": ReopenForm(),
            "best": rubric_best(competition=competition),
        },
    )


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int, sheet_pk: int) -> HttpResponse:
    """The chair reopens a submitted sheet, with the reason logged."""
    competition = visible_or_404(request, pk)
    sheet = get_object_or_404(
        ScoreSheet.objects.select_related("contestant"),
        pk=sheet_pk,
        contestant__competition=competition,
    )
    if not chairs_panel(request.user, sheet.contestant):
        raise PermissionDenied(_("Only the panel's chair can reopen a sheet."))
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the sheet is reopened."))
    else:
        try:
            sheet_reopen(sheet=sheet, by=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except CompetitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The sheet is reopened; the juror may change it."))
    return redirect("competitions:score", pk=competition.pk, contestant_pk=sheet.contestant_id)


def _results_or_404(request: HttpRequest, pk: int) -> Competition:
    competition = visible_or_404(request, pk)
    if not can_see_results(request.user, competition):
        raise Http404(_("The results are not published yet."))
    return competition


def results_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Each subject's ranking, ties shown; printable. The organiser approves it here."""
    competition = _results_or_404(request, pk)
    best = rubric_best(competition=competition)
    ranking = results(competition=competition)
    return render(
        request,
        "competitions/results.html",
        {
            "competition": competition,
            "ranking": [
                (subject, rows, subject_chart(subject, rows, best)) for subject, rows in ranking
            ],
            "best": best,
            "organiser": can_organise(request.user, competition),
            "Status": Status,
        },
    )


def results_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The ranking as CSV (a spreadsheet reads it as UTF-8)."""
    competition = _results_or_404(request, pk)
    header = [
        _("Subject"),
        _("Rank"),
        _("Tied"),
        _("Teacher"),
        _("School or unit"),
        _("Lesson title"),
        _("Score"),
        _("Sheets"),
    ]
    rows = [
        [
            subject.name,
            row.place.rank or "",
            _("yes") if row.place.tied else "",
            row.contestant.teacher_name,
            row.contestant.school.name,
            row.contestant.lesson_title,
            row.place.score if row.place.score is not None else "",
            len(row.totals),
        ]
        for subject, subject_rows in results(competition=competition)
        for row in subject_rows
    ]
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ket-qua-hoi-thi-{competition.pk}.csv"'
    return response


def results_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Each subject's chart and ranking as a PDF, for those who may read the results."""
    competition = _results_or_404(request, pk)
    ranking = results(competition=competition)
    data = results_pdf(competition, ranking, rubric_best(competition=competition))
    return pdf_response(data, f"ket-qua-hoi-thi-{competition.pk}.pdf")
