"""Pages of the organiser: the list, a new competition, its settings, rubric, stages, panels."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from competitions.errors import CompetitionError
from competitions.forms import CompetitionForm, JurorForm, rubric_formset, rubric_initial
from competitions.models import Competition, Juror, Status
from competitions.permissions import (
    can_organise,
    can_register,
    can_see_results,
    organising_units,
    seats_of,
)
from competitions.selectors import competitions_visible, rubric, rubric_best
from competitions.services.setup import (
    competition_create,
    competition_update,
    juror_add,
    juror_remove,
    panels_problems,
    registration_close,
    registration_open,
    results_publish,
    rubric_save,
    scoring_start,
)
from competitions.views.common import organised_or_403, visible_or_404
from rooms.models import Room, Unit


def competition_list(request: HttpRequest) -> HttpResponse:
    """The competitions a person may see, with a button to start one for organisers."""
    return render(
        request,
        "competitions/list.html",
        {
            "competitions": competitions_visible(viewer=request.user),
            "may_create": organising_units(request.user).exists(),
        },
    )


def _rooms_for(units: QuerySet[Unit]) -> QuerySet[Room]:
    """Rooms an organiser may choose: those of units in their provinces (every room when
    an organiser has no province, i.e. the ministry)."""
    provinces = units.exclude(province__isnull=True).values("province")
    if units.filter(province__isnull=True).exists():
        return Room.objects.select_related("unit").order_by("slug")
    return (
        Room.objects.select_related("unit")
        .filter(Q(unit__province__in=provinces))
        .order_by("unit__kind", "slug")
    )


@login_required
def competition_new(request: HttpRequest) -> HttpResponse:
    """An organising unit starts a competition (a draft with the default rubric)."""
    units = organising_units(request.user)
    if not units.exists():
        raise PermissionDenied(
            _("Only the manager of a department's or an office's room may organise a competition.")
        )
    form = CompetitionForm(
        request.POST or None,
        units=units,
        rooms=_rooms_for(units),
        initial={
            "level": "province",
            "day_start": "07:30",
            "day_end": "11:30",
            "slot_minutes": 45,
            "buffer_minutes": 15,
            "aggregation": "mean",
            "organiser": units.first(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            competition = competition_create(data=form.to_input(), by=request.user)  # type: ignore[arg-type]
        except CompetitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The competition is created with the default rubric."))
            return redirect("competitions:detail", pk=competition.pk)
    return render(request, "competitions/form.html", {"form": form, "competition": None})


@login_required
def competition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the settings while registration is not yet closed for good."""
    competition = organised_or_403(request, pk)
    units = organising_units(request.user)
    form = CompetitionForm(
        request.POST or None,
        units=units,
        rooms=_rooms_for(units),
        initial=CompetitionForm.initial_of(competition),
    )
    if request.method == "POST" and form.is_valid():
        try:
            competition_update(competition=competition, data=form.to_input())
        except CompetitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("competitions:detail", pk=competition.pk)
    return render(request, "competitions/form.html", {"form": form, "competition": competition})


def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A competition's overview, and the next steps the person may take."""
    competition = visible_or_404(request, pk)
    organiser = can_organise(request.user, competition)
    subjects = competition.subjects.prefetch_related("jurors__user", "jurors__unit")
    context = {
        "competition": competition,
        "organiser": organiser,
        "may_register": can_register(request.user, competition),
        "may_see_results": can_see_results(request.user, competition),
        "seats": list(seats_of(request.user, competition)),
        "criteria": rubric(competition=competition),
        "best": rubric_best(competition=competition),
        "subjects": subjects,
        "rooms": competition.rooms.select_related("unit"),
        "contestant_count": competition.contestants.count(),
        "panel_problems": panels_problems(subjects=subjects) if organiser else [],
        "Status": Status,
    }
    return render(request, "competitions/detail.html", context)


@login_required
def rubric_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The rubric: criteria with weights and maximum points, until scoring starts."""
    competition = organised_or_403(request, pk)
    formset = rubric_formset(request.POST or None, rubric_initial(rubric(competition=competition)))
    if request.method == "POST" and formset.is_valid():
        try:
            rubric_save(competition=competition, lines=formset.lines())
        except CompetitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The rubric is saved."))
            return redirect("competitions:detail", pk=competition.pk)
    return render(
        request, "competitions/rubric.html", {"competition": competition, "formset": formset}
    )


STEPS = {
    "open": (
        registration_open,
        gettext_lazy("Registration is open: schools may register their teachers."),
    ),
    "close": (
        registration_close,
        gettext_lazy("Registration is closed: you may make the timetable."),
    ),
    "scoring": (scoring_start, gettext_lazy("Scoring is open: jurors may score the lessons.")),
}


@login_required
@require_POST
def stage_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Move the competition to its next stage (each step checks it may)."""
    competition = organised_or_403(request, pk)
    try:
        if step == "publish":
            results_publish(competition=competition, by=request.user)  # type: ignore[arg-type]
            done: object = _("The results are published.")
        elif step in STEPS:
            service, done = STEPS[step]
            service(competition=competition)
        else:
            raise CompetitionError(_("Unknown step."))
    except CompetitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(done))
    return redirect("competitions:detail", pk=competition.pk)


@login_required
def panels(request: HttpRequest, pk: int) -> HttpResponse:
    """The jury panels per subject; seat a juror by user name."""
    competition = organised_or_403(request, pk)
    organiser = competition.organiser
    units = Unit.objects.order_by("kind", "name")
    if organiser.province_id is not None:
        # Jurors come from the province's units, or from above it (the ministry).
        units = units.filter(Q(province_id=organiser.province_id) | Q(province__isnull=True))
    form = JurorForm(request.POST or None, subjects=competition.subjects.all(), units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user: User = data["username"]
        try:
            juror_add(subject=data["subject"], user=user, unit=data["unit"], chair=data["chair"])
        except CompetitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s now sits on the %(subject)s panel.")
                % {"name": user.get_full_name() or user.username, "subject": data["subject"]},
            )
            return redirect("competitions:panels", pk=competition.pk)
    subjects = competition.subjects.prefetch_related("jurors__user", "jurors__unit")
    return render(
        request,
        "competitions/panels.html",
        {
            "competition": competition,
            "form": form,
            "subjects": subjects,
            "problems": panels_problems(subjects=subjects),
        },
    )


@login_required
@require_POST
def juror_remove_view(request: HttpRequest, pk: int, juror_pk: int) -> HttpResponse:
    """Unseat a juror who has scored nobody."""
    competition: Competition = organised_or_403(request, pk)
    juror = get_object_or_404(Juror, pk=juror_pk, subject__competition=competition)
    try:
        juror_remove(juror=juror)
    except CompetitionError as error:
        messages.error(request, str(error))
    return redirect("competitions:panels", pk=competition.pk)
