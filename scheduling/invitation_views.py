"""Pages of invitations, replies, a meeting's sites and the yearly usage report."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rooms.models import Room
from rooms.permissions import can_manage_room
from rooms.shortcuts import room_or_404
from scheduling.errors import InvalidSchedule, ScheduleConflict, SchedulingError
from scheduling.forms import MoveForm
from scheduling.models import Invitation, Occurrence, Reply, SessionDocument, SessionKind
from scheduling.permissions import can_schedule
from scheduling.query_dates import calendar_years, year_of
from scheduling.report_charts import (
    attendance_pdf,
    minutes_figure,
    month_label,
    presence_figure,
    usage_figures,
    usage_pdf,
)
from scheduling.reports import (
    csv_text,
    occurrence_sites,
    pdf_response,
    sites_over_time,
    unit_usage,
)
from scheduling.selectors import session_mail_trouble
from scheduling.services.documents import can_download, document_add
from scheduling.services.ical_import import MAX_IMPORT_BYTES, describe, ics_import, ics_preview
from scheduling.services.invitations import invitation_reply, meeting_reply
from scheduling.services.sessions import occurrence_change


def _hosted_occurrence(request: HttpRequest, slug: str, pk: int) -> Occurrence:
    occurrence = get_object_or_404(
        Occurrence.objects.select_related("session", "room", "session__host_unit"),
        pk=pk,
        room__slug=slug,
    )
    if not can_schedule(request.user, occurrence.room):
        raise PermissionDenied(_("Only the room's manager or its hosts may see this."))
    return occurrence


@login_required
def occurrence_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The host's view of one meeting: every invited site's readiness, reply and presence."""
    occurrence = _hosted_occurrence(request, slug, pk)
    rows = occurrence_sites(occurrence)
    local = timezone.localtime(occurrence.start)
    move = MoveForm(
        initial={
            "day": local.date(),
            "start_time": local.time(),
            "end_time": timezone.localtime(occurrence.end).time(),
            "title": occurrence.title,
        }
    )
    context = {
        "move": move,
        "occurrence": occurrence,
        "room": occurrence.room,
        "rows": rows,
        "ready": sum(1 for r in rows if r.status and r.status.readiness.ready),
        "yes": sum(1 for r in rows if r.reply == Reply.YES),
        "present": sum(1 for r in rows if r.present),
        "mail": session_mail_trouble(session=occurrence.session),
        "figures": [presence_figure(sites_over_time(occurrence)), minutes_figure(rows)],
    }
    return render(request, "scheduling/occurrence_detail.html", context)


@login_required
def occurrence_attendance_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Sites expected and present at one meeting, as CSV."""
    occurrence = _hosted_occurrence(request, slug, pk)
    header = [
        _("Site"),
        _("Official mailbox"),
        _("Reply"),
        _("Reason"),
        _("Ready"),
        _("Present"),
        _("Minutes"),
    ]
    rows = [
        [
            r.invitation.unit.name,
            r.invitation.unit.mailbox,
            r.reply_label,
            r.reason,
            _("yes") if r.status and r.status.readiness.ready else _("no"),
            _("yes") if r.present else _("no"),
            r.minutes,
        ]
        for r in occurrence_sites(occurrence)
    ]
    day = timezone.localtime(occurrence.start).strftime("%Y-%m-%d")
    return _csv(csv_text(header, rows), f"diem-danh-{slug}-{day}.csv")


@login_required
def occurrence_attendance_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Sites present over time and each site's minutes at one meeting, charts and tables."""
    occurrence = _hosted_occurrence(request, slug, pk)
    data = attendance_pdf(occurrence, occurrence_sites(occurrence), sites_over_time(occurrence))
    day = timezone.localtime(occurrence.start).strftime("%Y-%m-%d")
    return pdf_response(data, f"diem-danh-{slug}-{day}.pdf")


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _managed_room(request: HttpRequest, slug: str) -> Room:
    room = room_or_404(slug)
    if not can_manage_room(request.user, room):
        raise PermissionDenied(_("Only the room's manager or an administrator may see this."))
    return room


@login_required
def site_invitations(request: HttpRequest, slug: str) -> HttpResponse:
    """The invitations a site has received for meetings still to come, with reply forms."""
    room = _managed_room(request, slug)
    invitations = (
        Invitation.objects.filter(
            unit=room.unit, session__cancelled=False, session__occurrences__end__gte=timezone.now()
        )
        .select_related("session", "session__room", "session__host_unit")
        .distinct()
        .order_by("session__start")
    )
    now = timezone.now()
    listed = []
    for invitation in invitations:
        answers = {r.occurrence_id: r for r in invitation.meeting_replies.all()}
        upcoming = invitation.session.occurrences.filter(end__gte=now, cancelled=False).order_by(
            "start"
        )[:6]
        listed.append((invitation, [(o, answers.get(o.pk)) for o in upcoming]))
    return render(
        request, "scheduling/site_invitations.html", {"room": room, "invitations": listed}
    )


@login_required
@require_POST
def meeting_reply_view(
    request: HttpRequest, slug: str, pk: int, occurrence_pk: int
) -> HttpResponse:
    """A site answers for one meeting of a series."""
    room = _managed_room(request, slug)
    invitation = get_object_or_404(Invitation, pk=pk, unit=room.unit)
    occurrence = get_object_or_404(Occurrence, pk=occurrence_pk, session_id=invitation.session_id)
    try:
        meeting_reply(
            invitation=invitation,
            occurrence=occurrence,
            reply=request.POST.get("reply", ""),
            reason=request.POST.get("reason", ""),
        )
    except SchedulingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your answer for this meeting is saved."))
    return redirect("scheduling:site-invitations", slug=room.slug)


@login_required
@require_POST
def invitation_reply_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A site's manager answers an invitation."""
    room = _managed_room(request, slug)
    invitation = get_object_or_404(
        Invitation.objects.select_related("session"), pk=pk, unit=room.unit
    )
    try:
        invitation_reply(
            invitation=invitation,
            reply=request.POST.get("reply", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except SchedulingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Your reply to “%(title)s” is saved.") % {"title": invitation.session.title}
        )
    return redirect("scheduling:site-invitations", slug=room.slug)


def _period(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def _no_such_year(request: HttpRequest, room: Room) -> HttpResponse:
    years = calendar_years()
    error = _("Choose a year from %(first)d to %(last)d.") % {
        "first": years.first,
        "last": years.last,
    }
    context = {"room": room, "year": timezone.localdate().year, "error": error, "years": years}
    return render(request, "scheduling/unit_report.html", context, status=400)


@login_required
def unit_report(request: HttpRequest, slug: str) -> HttpResponse:
    """How the unit's room was used in a year (C53 Art. 21), on screen, as CSV or as PDF."""
    room = _managed_room(request, slug)
    if room.unit is None:
        raise Http404(_("This room belongs to no unit."))
    year = year_of(request.GET.get("year"))
    if year is None:
        return _no_such_year(request, room)
    start, end = _period(year)
    usage = unit_usage(room.unit, start, end)
    if request.GET.get("format") == "csv":
        header = [_("Unit"), _("Year"), _("Kind"), _("Sessions")]
        rows: list[list[object]] = [
            [room.unit.name, year, SessionKind(kind).label, count]
            for kind, count in usage.sessions_by_kind.items()
        ]
        rows += [
            [room.unit.name, year, _("Meetings held"), usage.meetings],
            [room.unit.name, year, _("Hours"), usage.hours],
            [room.unit.name, year, _("Sites attended"), usage.sites_attended],
            [room.unit.name, year, _("Broadcasts"), usage.broadcasts],
        ]
        for month in usage.months:
            when = month_label(month)
            rows.append([room.unit.name, year, f"{_('Meetings held')} · {when}", month.meetings])
            rows.append([room.unit.name, year, f"{_('Hours')} · {when}", month.hours])
        return _csv(csv_text(header, rows), f"bao-cao-{room.slug}-{year}.csv")
    kinds = [(str(SessionKind(kind).label), n) for kind, n in usage.sessions_by_kind.items()]
    if request.GET.get("format") == "pdf":
        data = usage_pdf(room, usage, year, kinds)
        return pdf_response(data, f"bao-cao-{room.slug}-{year}.pdf")
    context = {
        "room": room,
        "usage": usage,
        "year": year,
        "kinds": kinds,
        "years": calendar_years(),
        "figures": usage_figures(room, usage, year),
    }
    return render(request, "scheduling/unit_report.html", context)


IMPORT_SESSION_KEY = "meet_ics_import"


@login_required
def ics_import_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload an .ics, see what it would create, refuse or clash; confirm to write it."""
    room = room_or_404(slug)
    if not can_schedule(request.user, room):
        raise PermissionDenied(_("Only the room's manager or its hosts may schedule here."))
    items, error = [], ""
    stored = request.session.get(IMPORT_SESSION_KEY, {})
    if (
        request.method == "POST"
        and request.POST.get("action") == "confirm"
        and stored.get("room") == slug
    ):
        try:
            done = ics_import(room=room, text=stored["text"], by=request.user)  # type: ignore[arg-type]
        except InvalidSchedule as exc:
            error = str(exc)
        else:
            request.session.pop(IMPORT_SESSION_KEY, None)
            created = sum(1 for item in done if item.ok)
            messages.success(request, _("Imported %(count)d event(s).") % {"count": created})
            return redirect("scheduling:room-week", slug=room.slug)
    elif request.method == "POST" and "file" in request.FILES:
        upload = request.FILES.get("file")
        assert upload is not None
        try:
            text = upload.read(MAX_IMPORT_BYTES + 1).decode("utf-8-sig")
            items = ics_preview(room=room, text=text, by=request.user)  # type: ignore[arg-type]
        except UnicodeDecodeError:
            error = _("The file is not UTF-8 text.")
        except InvalidSchedule as exc:
            error = str(exc)
        else:
            request.session[IMPORT_SESSION_KEY] = {"room": slug, "text": text}
    context = {
        "room": room,
        "items": [(item, describe(item)) for item in items],
        "error": error,
        "can_confirm": any(item.ok for item in items),
    }
    return render(request, "scheduling/ics_import.html", context)


@login_required
@require_POST
def occurrence_move_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move or retitle one meeting of a series from its page."""
    occurrence = _hosted_occurrence(request, slug, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("scheduling:occurrence", slug=slug, pk=pk)
    start, end = form.moments()
    try:
        occurrence_change(
            occurrence=occurrence, start=start, end=end, title=form.cleaned_data["title"]
        )
    except (ScheduleConflict, InvalidSchedule) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The meeting is moved; the invited sites are told."))
    return redirect("scheduling:occurrence", slug=slug, pk=pk)


@login_required
@require_POST
def document_upload_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Attach an agenda document to the session of this meeting."""
    occurrence = _hosted_occurrence(request, slug, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
    else:
        try:
            document_add(session=occurrence.session, upload=upload)
        except SchedulingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The document is attached for the invited sites."))
    return redirect("scheduling:occurrence", slug=slug, pk=pk)


@login_required
def document_download_view(request: HttpRequest, pk: int) -> FileResponse:
    """Download an agenda document (its invitees and hosts only)."""
    document = get_object_or_404(
        SessionDocument.objects.select_related("session", "session__room"), pk=pk
    )
    if not can_download(request.user, document):
        raise PermissionDenied(
            _("Only the invited sites and the hosts may download this document.")
        )
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)
