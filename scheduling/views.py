"""Pages: a room's week calendar, the session form, cancelling, and iCalendar feeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rooms.models import Room
from rooms.shortcuts import room_or_404
from scheduling import selectors
from scheduling.domain.recurrence import parse_rrule
from scheduling.errors import InvalidSchedule, ScheduleConflict, SchedulingError
from scheduling.forms import SessionForm
from scheduling.ical import calendar_for
from scheduling.models import Occurrence, Session
from scheduling.permissions import can_schedule, can_see_session
from scheduling.query_dates import day_or_today, month_or_this
from scheduling.services.invitations import (
    invitations_queue_on_commit,
    invitations_set,
    people_invite,
)
from scheduling.services.sessions import (
    occurrence_cancel,
    session_cancel,
    session_schedule,
    session_update,
)

ICS_TYPE = "text/calendar; charset=utf-8"


def monday_of(value: str | None) -> date:
    """The Monday of the week that holds the day given (this week's if none)."""
    day = day_or_today(value)
    return day - timedelta(days=day.weekday())


def _meetings(request: HttpRequest, room: Room, start: datetime, end: datetime) -> list[Occurrence]:
    """The room's meetings, or with ``?scope=unit`` those of its unit and the units under it,
    that the person may see (each by its own room: ``selectors.sessions_visible_q``)."""
    where = {"room": room.slug}
    if request.GET.get("scope") == "unit" and room.unit is not None:
        where = {"unit": room.unit.slug}
    return list(selectors.occurrences_between(viewer=request.user, start=start, end=end, **where))


def room_month(request: HttpRequest, slug: str) -> HttpResponse:
    """A month as a grid of weeks (a list of days on phones)."""
    room = room_or_404(slug)
    first = month_or_this(request.GET.get("month"))
    following = (first + timedelta(days=32)).replace(day=1)
    grid_start = first - timedelta(days=first.weekday())
    zone = timezone.get_current_timezone()
    start = datetime.combine(grid_start, datetime.min.time(), tzinfo=zone)
    days_shown = ((following - grid_start).days + 6) // 7 * 7
    found = _meetings(request, room, start, start + timedelta(days=days_shown))
    by_day: dict[date, list[Occurrence]] = {}
    for occurrence in found:
        by_day.setdefault(timezone.localtime(occurrence.start).date(), []).append(occurrence)
    cells = [grid_start + timedelta(days=i) for i in range(days_shown)]
    weeks = [[(d, by_day.get(d, [])) for d in cells[i : i + 7]] for i in range(0, days_shown, 7)]
    context = {
        "room": room,
        "weeks": weeks,
        "month": first,
        "previous": (first - timedelta(days=1)).replace(day=1),
        "next": following,
        "today": timezone.localdate(),
        "scope": request.GET.get("scope", ""),
    }
    return render(request, "scheduling/room_month.html", context)


def room_week(request: HttpRequest, slug: str) -> HttpResponse:
    """The room's meetings of one week, day by day (a list on phones)."""
    room = room_or_404(slug)
    monday = monday_of(request.GET.get("week"))
    zone = timezone.get_current_timezone()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    visible = _meetings(request, room, start, start + timedelta(days=7))
    days = [
        (
            monday + timedelta(days=i),
            [
                o
                for o in visible
                if timezone.localtime(o.start).date() == monday + timedelta(days=i)
            ],
        )
        for i in range(7)
    ]
    context = {
        "room": room,
        "days": days,
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "today": timezone.localdate(),
        "can_schedule": can_schedule(request.user, room),
        "scope": request.GET.get("scope", ""),
    }
    return render(request, "scheduling/room_week.html", context)


@transaction.atomic
def _schedule_with_invitations(request: HttpRequest, room: Room, form: SessionForm) -> Session:
    """The session, its sites and its people, all saved or none (a refused name undoes it)."""
    data = form.cleaned_data
    session = session_schedule(
        data=form.session_input(room=room, host_unit=room.unit),  # type: ignore[arg-type]
        by=request.user,
    )
    if room.unit is not None:
        invitations_set(session=session, rules=form.invitation_rules(room.unit))
    people_invite(session=session, names=data["people"], by=request.user)
    invitations_queue_on_commit(session)
    return session


@transaction.atomic
def _update_with_invitations(
    request: HttpRequest, room: Room, session: Session, form: SessionForm
) -> Session:
    """The changed session, its sites (if the form names any) and people: all saved or none."""
    updated = session_update(
        session=session, data=form.session_input(room=room, host_unit=session.host_unit)
    )
    rules = form.invitation_rules(room.unit) if room.unit else []
    if rules:  # the form starts with none ticked: ticking none keeps the saved rules
        invitations_set(session=updated, rules=rules)
    people_invite(session=updated, names=form.cleaned_data["people"], by=request.user)
    invitations_queue_on_commit(updated)
    return updated


def _saved(
    form: SessionForm, save: Callable[[], Session]
) -> tuple[Session | None, list[dict[str, object]]]:
    """``save()``'s session, or None with the refusal on the form (and a conflict's meetings)."""
    try:
        return save(), []
    except ScheduleConflict as exc:
        form.add_error(None, str(exc))
        return None, exc.conflicts
    except InvalidSchedule as exc:
        form.add_error(None, str(exc))
    except SchedulingError as exc:  # people refused or looked up too often
        form.add_error("invite_people", str(exc))
    return None, []


def _to_week(slug: str, moment: datetime) -> HttpResponse:
    """Back to the room's calendar, at the week of ``moment``."""
    week = timezone.localtime(moment).date().isoformat()
    return redirect(f"{reverse('scheduling:room-week', args=[slug])}?week={week}")


@login_required
def session_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Schedule a session or a series in this room."""
    room = room_or_404(slug)
    if not can_schedule(request.user, room):
        raise PermissionDenied(_("Only the room's manager or its hosts may schedule here."))
    form = SessionForm(request.POST or None)
    conflicts: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        session, conflicts = _saved(form, lambda: _schedule_with_invitations(request, room, form))
        if session is not None:
            count = session.occurrences.count()
            messages.success(
                request,
                _("Scheduled “%(title)s”: %(count)d meeting(s).")
                % {"title": session.title, "count": count},
            )
            return _to_week(room.slug, session.start)
    return render(
        request,
        "scheduling/session_form.html",
        {"room": room, "form": form, "conflicts": conflicts},
    )


@login_required
@require_POST
def occurrence_cancel_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Cancel one meeting, or with ``scope=series`` the whole series from now on."""
    occurrence = get_object_or_404(
        Occurrence.objects.select_related("session", "room"), pk=pk, room__slug=slug
    )
    if not can_schedule(request.user, occurrence.room):
        raise PermissionDenied(_("Only the room's manager or its hosts may cancel meetings."))
    if request.POST.get("scope") == "series":
        session_cancel(session=occurrence.session)
        messages.success(request, _("The whole series is cancelled."))
    else:
        occurrence_cancel(occurrence=occurrence)
        messages.success(request, _("The meeting is cancelled; the series goes on."))
    return _to_week(slug, occurrence.start)


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "max-age=300"
    return response


def room_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """The room's public sessions as a calendar to subscribe to."""
    room = room_or_404(slug)
    body = calendar_for(selectors.room_feed_sessions(room=room), name=room.display_name)
    return _ics(body, f"{room.slug}.ics")


def session_ics(request: HttpRequest, uid: str) -> HttpResponse:
    """One session (with its series and changes) as an .ics file to import."""
    session = selectors.session_get(uid=uid)
    if session is None or not can_see_session(request.user, session):
        raise Http404(_("There is no such session."))
    body = calendar_for([session], name=session.title)
    return _ics(body, f"{session.uid}.ics")


def _initial(session: Session) -> dict[str, object]:
    """The session form filled in from a session, for editing."""
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    initial: dict[str, object] = {
        "title": session.title,
        "kind": session.kind,
        "description": session.description,
        "presenters": session.presenters,
        "day": start.date(),
        "start_time": start.time(),
        "end_time": end.time(),
        "public": session.public,
        "broadcast": session.broadcast,
        "repeat": "none",
    }
    if session.rrule:
        rule = parse_rrule(session.rrule)
        initial["repeat"] = (
            "monthly" if rule.freq == "MONTHLY" else "biweekly" if rule.interval == 2 else "weekly"
        )
        initial["weekdays"] = list(rule.weekdays)
        initial["until"] = rule.until
    return initial


@login_required
def session_edit(request: HttpRequest, slug: str, uid: str) -> HttpResponse:
    """Change a session or series; the invited sites get the change with a higher SEQUENCE."""
    room = room_or_404(slug)
    session = selectors.session_get(uid=uid)
    if session is None or session.room_id != room.pk:
        raise Http404(_("There is no such session."))
    if not can_schedule(request.user, room):
        raise PermissionDenied(_("Only the room's manager or its hosts may schedule here."))
    form = SessionForm(request.POST or None, initial=_initial(session))
    conflicts: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        updated, conflicts = _saved(
            form, lambda: _update_with_invitations(request, room, session, form)
        )
        if updated is not None:
            messages.success(request, _("The changes are saved; the invited sites are told."))
            return _to_week(room.slug, updated.start)
    context = {"room": room, "form": form, "conflicts": conflicts, "session": session}
    return render(request, "scheduling/session_form.html", context)
