"""Pages of schools: register a teacher, the contestants list, documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.errors import CompetitionError
from competitions.forms import RegistrationForm
from competitions.models import ContestantDocument
from competitions.permissions import can_organise, can_register, registering_schools
from competitions.selectors import contestants_visible
from competitions.services.registration import contestant_register, contestant_withdraw
from competitions.views.common import visible_or_404


@login_required
def register(request: HttpRequest, pk: int) -> HttpResponse:
    """A school registers one of its teachers, with the lesson plan."""
    competition = visible_or_404(request, pk)
    if not can_register(request.user, competition):
        raise PermissionDenied(
            _("Registration is open to the schools of the competition's area while it lasts.")
        )
    form = RegistrationForm(
        request.POST or None,
        request.FILES or None,
        schools=registering_schools(request.user, competition),
        subjects=competition.subjects.all(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            contestant = contestant_register(
                competition=competition,
                data=form.to_input(),
                by=request.user,  # type: ignore[arg-type]
            )
        except CompetitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("%(name)s is registered.") % {"name": contestant.teacher_name}
            )
            return redirect("competitions:contestants", pk=competition.pk)
    return render(request, "competitions/register.html", {"competition": competition, "form": form})


@login_required
def contestants(request: HttpRequest, pk: int) -> HttpResponse:
    """The registered teachers: all for the organiser, a school's own for the school."""
    competition = visible_or_404(request, pk)
    found = contestants_visible(viewer=request.user, competition=competition)
    return render(
        request,
        "competitions/contestants.html",
        {
            "competition": competition,
            "contestants": found.prefetch_related("documents"),
            "may_register": can_register(request.user, competition),
            "organiser": can_organise(request.user, competition),
        },
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int, contestant_pk: int) -> HttpResponse:
    """Take a registration back while registration is open."""
    competition = visible_or_404(request, pk)
    contestant = get_object_or_404(
        contestants_visible(viewer=request.user, competition=competition), pk=contestant_pk
    )
    if not registering_schools(request.user, competition).filter(pk=contestant.school_id).exists():
        raise PermissionDenied(_("You may register teachers of your own school only."))
    try:
        contestant_withdraw(contestant=contestant, by=request.user)  # type: ignore[arg-type]
    except CompetitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The registration is withdrawn."))
    return redirect("competitions:contestants", pk=competition.pk)


@login_required
def document(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    """A contestant's document, for the organiser, the school and the subject's jury."""
    competition = visible_or_404(request, pk)
    visible = contestants_visible(viewer=request.user, competition=competition)
    found = get_object_or_404(
        ContestantDocument, pk=document_pk, contestant__in=visible.values("pk")
    )
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
