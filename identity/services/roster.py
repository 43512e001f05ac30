"""Roster imports: a file is kept for its preview, then imported whole or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.domain.roster import TeacherRow
from identity.errors import IdentityError, RosterRejected
from identity.models import RosterUpload, Teacher
from identity.roster_plan import LINK, NEW, UPDATE, PlannedRow, roster_plan
from identity.services.usernames import free_username
from rooms.models import Unit


@dataclass(frozen=True)
class RosterResult:
    created: int
    linked: int
    updated: int
    unchanged: int


def roster_upload_create(
    *, department: Unit, uploaded_by: User, filename: str, table: Sequence[Sequence[object]]
) -> RosterUpload:
    """Keep an uploaded roster (as cells of text) for its preview and import."""
    cells = [["" if cell is None else str(cell) for cell in row] for row in table]
    return RosterUpload.objects.create(
        department=department, uploaded_by=uploaded_by, filename=filename[:255], table=cells
    )


@transaction.atomic
def roster_commit(*, upload: RosterUpload) -> RosterResult:
    """Import every row or none: raise RosterRejected while any row has a problem."""
    upload = RosterUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.committed_at is not None:
        raise IdentityError(_("This roster was already imported."))
    plan = roster_plan(department=upload.department, table=upload.table)
    if plan.problems:
        raise RosterRejected(list(plan.problems))
    for planned in plan.rows:
        _apply(planned)
    upload.committed_at = timezone.now()
    upload.save(update_fields=["committed_at"])
    return RosterResult(
        created=plan.count(NEW),
        linked=plan.count(LINK),
        updated=plan.count(UPDATE),
        unchanged=len(plan.rows) - plan.count(NEW) - plan.count(LINK) - plan.count(UPDATE),
    )


def _apply(planned: PlannedRow) -> None:
    row, unit = planned.row, planned.unit
    assert unit is not None  # a plan without problems resolved every unit
    if planned.action == NEW:
        user = User(username=free_username(row.email), email=row.email, first_name=row.full_name)
        user.set_unusable_password()
        user.save()
        _new_teacher(row, user, unit)
    elif planned.action == LINK:
        assert planned.user is not None
        _update_user(planned.user, row.email, row.full_name)
        _new_teacher(row, planned.user, unit)
    elif planned.action == UPDATE:
        assert planned.teacher is not None
        _update_user(planned.teacher.user, row.email, row.full_name)
        planned.teacher.unit = unit
        if row.subjects_given:  # a roster without the column keeps what was known
            planned.teacher.teaches(row.subjects)
        planned.teacher.save(update_fields=["unit", "subjects", "subject_keys", "updated_at"])


def _new_teacher(row: TeacherRow, user: User, unit: Unit) -> None:
    teacher = Teacher(national_id=row.national_id, user=user, unit=unit)
    teacher.teaches(row.subjects)
    teacher.save()


def _update_user(user: User, email: str, full_name: str) -> None:
    user.email = email
    user.first_name = full_name
    user.last_name = ""
    user.save(update_fields=["email", "first_name", "last_name"])
