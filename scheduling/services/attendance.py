"""Attendance of sites and people at meetings (the live room feeds it; the API accepts it)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from rooms.models import Unit
from scheduling.errors import SchedulingError
from scheduling.models import Attendance, Occurrence


@transaction.atomic
def attendance_record(
    *,
    occurrence: Occurrence,
    joined_at: datetime,
    left_at: datetime | None = None,
    unit: Unit | None = None,
    user: User | None = None,
    name: str = "",
) -> Attendance:
    """Record that a site or a person joined a meeting (and when they left, if known)."""
    if unit is None and user is None and not name.strip():
        raise SchedulingError(_("Say which site or person attended."))
    if left_at is not None and left_at < joined_at:
        raise SchedulingError(_("Leaving cannot come before joining."))
    return Attendance.objects.create(
        occurrence=occurrence,
        unit=unit,
        user=user,
        name=name.strip()[:150],
        joined_at=joined_at,
        left_at=left_at,
    )


def attendance_leave(*, attendance: Attendance, left_at: datetime) -> Attendance:
    """Close an open attendance when the site or person leaves."""
    if left_at < attendance.joined_at:
        raise SchedulingError(_("Leaving cannot come before joining."))
    attendance.left_at = left_at
    attendance.save(update_fields=["left_at"])
    return attendance
