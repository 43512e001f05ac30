"""Jurors' score sheets: saving, submitting, and the chair reopening one with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.domain.results import PointsProblem, sheet_problems
from competitions.errors import CompetitionError, InvalidScores, WrongStage
from competitions.models import (
    Competition,
    Contestant,
    Reopening,
    Score,
    ScoreSheet,
    Status,
)
from competitions.permissions import chairs_panel
from competitions.selectors import rubric, rubric_rules, seat_of


def _problem_text(problem: PointsProblem, max_points: Decimal) -> str:
    return {
        PointsProblem.MISSING: _("Give the points of this criterion."),
        PointsProblem.NEGATIVE: _("Points cannot be below zero."),
        PointsProblem.ABOVE_MAX: _("At most %(max)s points.") % {"max": max_points.normalize()},
        PointsProblem.NOT_A_STEP: _("Use steps of a quarter point (e.g. 4, 4.25, 4.5)."),
    }[problem]


@transaction.atomic
def sheet_save(
    *,
    contestant: Contestant,
    by: User,
    points: Mapping[int, Decimal | None],
    comment: str,
    submit: bool,
) -> ScoreSheet:
    """Keep a juror's points (a draft may be incomplete); submitting locks the sheet."""
    competition = Competition.objects.get(pk=contestant.competition_id)
    if competition.status != Status.SCORING:
        raise WrongStage(_("Scoring is not open for this competition."))
    juror = seat_of(viewer=by, contestant=contestant)
    if juror is None:
        raise CompetitionError(_("You do not score this contestant."))
    sheet, _created = ScoreSheet.objects.select_for_update().get_or_create(
        contestant=contestant, juror=juror
    )
    if sheet.submitted_at is not None:
        raise WrongStage(_("You submitted this sheet; only the panel's chair can reopen it."))
    criteria = rubric(competition=competition)
    found = sheet_problems(points, rubric_rules(criteria))
    # A draft may leave criteria empty; everything else is refused, submitted or not.
    blocking = [(k, p) for k, p in found if submit or p != PointsProblem.MISSING]
    if blocking:
        maximum = {c.pk: c.max_points for c in criteria}
        raise InvalidScores(
            _("Some points cannot be kept: see the marked criteria."),
            {int(k): _problem_text(p, maximum[int(k)]) for k, p in blocking},
        )
    sheet.scores.all().delete()
    given = {pk: value for pk, value in points.items() if value is not None}
    Score.objects.bulk_create(
        Score(sheet=sheet, criterion_id=c.pk, points=given[c.pk]) for c in criteria if c.pk in given
    )
    sheet.comment = comment
    sheet.submitted_at = timezone.now() if submit else None
    sheet.save(update_fields=["comment", "submitted_at", "updated_at"])
    return sheet


@transaction.atomic
def sheet_reopen(*, sheet: ScoreSheet, by: User, reason: str) -> Reopening:
    """The chair reopens a submitted sheet; the reason stays in the audit log."""
    sheet = ScoreSheet.objects.select_for_update().select_related("contestant").get(pk=sheet.pk)
    if sheet.contestant.competition.status != Status.SCORING:
        raise WrongStage(_("Sheets can be reopened only while scoring is open."))
    if not chairs_panel(by, sheet.contestant):
        raise CompetitionError(_("Only the panel's chair can reopen a sheet."))
    if sheet.submitted_at is None:
        raise CompetitionError(_("This sheet is not submitted; the juror can still change it."))
    if not reason.strip():
        raise CompetitionError(_("Say why the sheet is reopened."))
    log = Reopening.objects.create(
        sheet=sheet, by=by, reason=reason.strip(), submitted_at=sheet.submitted_at
    )
    sheet.submitted_at = None
    sheet.save(update_fields=["submitted_at", "updated_at"])
    return log
