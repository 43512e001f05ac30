"""The timetable: making it, reading and printing it, moving a lesson."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.errors import CompetitionError, SlotClash
from competitions.forms import MoveForm
from competitions.models import Slot
from competitions.permissions import can_organise
from competitions.selectors import contestants_visible, timetable
from competitions.services.timetable import slot_move, timetable_generate
from competitions.views.common import organised_or_403, visible_or_404


@login_required
def timetable_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Lessons day by day, printable; the organiser also sees who did not fit."""
    competition = visible_or_404(request, pk)
    slots = timetable(competition=competition)
    days: dict[object, list[Slot]] = {}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    organiser = can_organise(request.user, competition)
    unplaced = (
        contestants_visible(viewer=request.user, competition=competition).filter(slot__isnull=True)
        if organiser
        else []
    )
    return render(
        request,
        "competitions/timetable.html",
        {
            "competition": competition,
            "days": sorted(days.items()),
            "organiser": organiser,
            "unplaced": unplaced,
        },
    )


@login_required
@require_POST
def timetable_make(request: HttpRequest, pk: int) -> HttpResponse:
    """Place every contestant (again)."""
    competition = organised_or_403(request, pk)
    try:
        made = timetable_generate(competition=competition)
    except CompetitionError as error:
        messages.error(request, str(error))
        return redirect("competitions:detail", pk=competition.pk)
    if made.unplaced:
        messages.warning(
            request,
            _(
                "%(placed)d lesson(s) placed; %(unplaced)d teacher(s) did not fit: add days, "
                "hours or rooms and make the timetable again."
            )
            % {"placed": made.placed, "unplaced": made.unplaced},
        )
    else:
        messages.success(request, _("%(placed)d lesson(s) placed.") % {"placed": made.placed})
    return redirect("competitions:timetable", pk=competition.pk)


@login_required
def slot_move_view(request: HttpRequest, pk: int, slot_pk: int) -> HttpResponse:
    """Move one lesson to another room or time; a clash is refused with its reasons."""
    competition = organised_or_403(request, pk)
    slot = get_object_or_404(
        Slot.objects.select_related("contestant", "room"), pk=slot_pk, competition=competition
    )
    local = timezone.localtime(slot.start)
    form = MoveForm(
        request.POST or None,
        rooms=competition.rooms.order_by("slug"),
        initial={"room": slot.room_id, "day": local.date(), "start_time": local.time()},
    )
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            slot_move(slot=slot, room=form.cleaned_data["room"], start=form.start())
        except SlotClash as clash:
            reasons = clash.reasons
            form.add_error(None, _("The lesson cannot move there."))
        except CompetitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The lesson is moved."))
            return redirect("competitions:timetable", pk=competition.pk)
    return render(
        request,
        "competitions/move.html",
        {"competition": competition, "slot": slot, "form": form, "reasons": reasons},
    )
