"""The agenda page (this week across a province) and private calendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rooms.models import Province
from rooms.selectors import room_managed_by
from scheduling import selectors
from scheduling.ical import calendar_for
from scheduling.services.feeds import feed_token_current, feed_token_renew
from scheduling.views import ICS_TYPE, monday_of


def agenda(request: HttpRequest) -> HttpResponse:
    """Meetings today and this week in a province (the manager's own by default)."""
    room = room_managed_by(request.user)
    default = room.unit.province.slug if room and room.unit and room.unit.province else ""
    province = request.GET.get("province", default)
    monday = monday_of(request.GET.get("week"))
    zone = timezone.get_current_timezone()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    found = selectors.occurrences_between(
        viewer=request.user, start=start, end=start + timedelta(days=7), province=province
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        meetings = [o for o in found if timezone.localtime(o.start).date() == day]
        days.append((day, meetings))
    feeds = {}
    if request.user.is_authenticated:
        base = request.build_absolute_uri("/")[:-1]
        person = feed_token_current(user=request.user)
        feeds["person"] = base + reverse("scheduling:private-feed", args=[person.token])
        if room is not None and room.unit is not None:
            unit = feed_token_current(unit=room.unit, issued_to=request.user)
            feeds["unit"] = base + reverse("scheduling:private-feed", args=[unit.token])
    context = {
        "days": days,
        "monday": monday,
        "today": timezone.localdate(),
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "provinces": Province.objects.order_by("name"),
        "province": province,
        "feeds": feeds,
        "room": room,
    }
    return render(request, "scheduling/agenda.html", context)


@login_required
@require_POST
def feed_renew(request: HttpRequest) -> HttpResponse:
    """Give a private feed a new secret address; the old one stops working at once."""
    if request.POST.get("scope") == "unit":
        room = room_managed_by(request.user)
        if room is None or room.unit is None:
            raise Http404(_("You manage no room."))
        feed_token_renew(unit=room.unit, issued_to=request.user)  # type: ignore[arg-type]
    else:
        feed_token_renew(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The feed has a new address; the old one no longer works."))
    return redirect("scheduling:agenda")


def private_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A private feed: whoever has the secret address may read it."""
    found = selectors.private_feed_sessions(token=token)
    if found is None:
        raise Http404(_("This calendar address is no longer valid."))
    name, sessions = found
    response = HttpResponse(calendar_for(sessions, name=name), content_type=ICS_TYPE)
    response["Cache-Control"] = "private, max-age=300"
    return response
