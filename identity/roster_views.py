"""A department's roster page: upload, preview with every row's problem, import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from identity.errors import IdentityError, RosterFileError, RosterRejected
from identity.models import RosterUpload
from identity.roster_plan import roster_plan
from identity.roster_text import problem_message
from identity.services.roster import roster_commit, roster_upload_create
from identity.spreadsheets import read_table
from rooms.models import Room, Unit, UnitKind
from rooms.permissions import can_manage_room, is_system_admin


def _department(request: HttpRequest, slug: str) -> Unit:
    department = get_object_or_404(Unit, slug=slug, kind=UnitKind.DEPARTMENT)
    room = Room.objects.filter(unit=department).first()
    allowed = is_system_admin(request.user) or (
        room is not None and can_manage_room(request.user, room)
    )
    if not allowed:
        raise PermissionDenied
    return department


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a teacher roster exported from the sector database (xlsx or csv)."""
    department = _department(request, slug)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose the roster file to upload.")
        else:
            try:
                table = read_table(data=upload.read())
            except RosterFileError as failure:
                error = str(failure)
            else:
                assert isinstance(request.user, User)
                kept = roster_upload_create(
                    department=department,
                    uploaded_by=request.user,
                    filename=upload.name or "",
                    table=table,
                )
                return redirect("identity:roster-preview", slug=slug, pk=kept.pk)
    context = {"department": department, "error": error}
    return render(request, "identity/roster_upload.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def roster_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every row with what importing would do or what must be fixed; import on POST."""
    department = _department(request, slug)
    upload = get_object_or_404(RosterUpload, pk=pk, department=department)
    if request.method == "POST":
        try:
            result = roster_commit(upload=upload)
        except RosterRejected:
            pass  # shown below, from the same plan
        except IdentityError as failure:
            messages.error(request, str(failure))
            return redirect("identity:roster", slug=slug)
        else:
            messages.success(
                request,
                _(
                    "Roster imported: %(created)s new, %(linked)s existing accounts, "
                    "%(updated)s updated, %(unchanged)s unchanged."
                )
                % result.__dict__,
            )
            return redirect("identity:roster", slug=slug)
    plan = roster_plan(department=department, table=upload.table)
    header = [problem_message(p) for p in plan.problems_of(1)]
    rows = [
        (planned, [problem_message(p) for p in plan.problems_of(planned.row.line)])
        for planned in plan.rows
    ]
    context = {
        "department": department,
        "upload": upload,
        "plan": plan,
        "header_problems": header,
        "rows": rows,
    }
    return render(request, "identity/roster_preview.html", context)
