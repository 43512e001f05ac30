"""The adapter to scheduling's attendance: joining a scheduled occurrence records who came.

Live rooms keep their own record of every participation (``Participant`` rows: who, as
what, from when to when). Scheduling owns *occurrences* and attendance per person and per
site (``scheduling.services.attendance``). These two functions are the only place where
signaling *writes* to scheduling; the one other place that reads from it is
``signaling.selectors.meetings.in_broadcast_slot`` (scheduling may not import signaling):

* ``attendance_joined`` — in the join's transaction, when somebody enters a meeting: if the
  room has a scheduled occurrence now (``scheduling.selectors.occurrence_now``: from half an
  hour before its start to its end; ``occurrence_is_on`` first, the cheap check of the same
  rule),
  scheduling records the person (their name, their account, and their site: the unit
  whose room they manage or log in for); returns the occurrence's id, which the meeting
  keeps in ``Meeting.occurrence_ref``.
* ``attendance_left`` — in the leave's transaction: closes that attendance.

``ATTENDANCE_RECORDERS`` holds the recorders called; tests may replace it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction

if TYPE_CHECKING:
    from signaling.models import Meeting, Participant

logger = logging.getLogger(__name__)


# Look-ups of the scheduled meeting on in a room at an instant, while a batch of joins
# (one transaction, one instant) runs: see ``one_lookup_per_room``.
_lookups: ContextVar[dict[tuple[int, datetime], Any] | None] = ContextVar(
    "attendance_lookups", default=None
)


@contextmanager
def one_lookup_per_room() -> Iterator[None]:
    """Within this block, each room's scheduled meeting at an instant is looked up once.

    For joins that run together in one transaction at one instant (a storm of joins):
    the answer cannot differ between them."""
    token = _lookups.set({})
    try:
        yield
    finally:
        _lookups.reset(token)


class AttendanceRecorder(Protocol):
    """Record a join (returning an occurrence ref, or "") and a leave."""

    def joined(self, *, room_id: int, user_id: int | None, name: str, at: datetime) -> str: ...

    def left(
        self, *, room_id: int, user_id: int | None, name: str, at: datetime, ref: str
    ) -> None: ...


class SchedulingAttendance:
    """Scheduling's attendance of occurrences, per person and per site."""

    def _occurrence(self, room_id: int, at: datetime) -> Any:
        from scheduling.selectors import occurrence_is_on, occurrence_now

        looked_up = _lookups.get()
        if looked_up is not None and (room_id, at) in looked_up:
            return looked_up[(room_id, at)]
        # Most joins are into rooms with nothing scheduled: a plain EXISTS answers them
        # (py-spy: the full look-up was 13% of daphne's CPU in a storm of joins).
        found = None
        if occurrence_is_on(room_id=room_id, at=at):
            found = occurrence_now(room_id=room_id, at=at)
        if looked_up is not None:
            looked_up[(room_id, at)] = found
        return found

    def _site(self, user_id: int | None) -> Any:
        from rooms.models import Room

        if user_id is None:
            return None
        room = (
            Room.objects.select_related("unit")
            .filter(unit__isnull=False)
            .filter(account_id=user_id)
            .first()
        ) or Room.objects.select_related("unit").filter(manager_id=user_id).first()
        return room.unit if room is not None else None

    def joined(self, *, room_id: int, user_id: int | None, name: str, at: datetime) -> str:
        """Record the join against the room's occurrence now, if there is one."""
        from scheduling.services.attendance import attendance_record

        occurrence = self._occurrence(room_id, at)
        if occurrence is None:
            return ""
        attendance_record(
            occurrence=occurrence,
            joined_at=at,
            unit=self._site(user_id),
            user=_user(user_id),
            name=name,
        )
        return str(occurrence.pk)

    def left(self, *, room_id: int, user_id: int | None, name: str, at: datetime, ref: str) -> None:
        """Close the person's open attendance of the occurrence."""
        from scheduling.models import Attendance
        from scheduling.services.attendance import attendance_leave

        if not ref.isdigit():
            return
        open_rows = Attendance.objects.filter(
            occurrence_id=int(ref), name=name.strip()[:150], left_at=None
        )
        open_rows = (
            open_rows.filter(user__isnull=True)
            if user_id is None
            else open_rows.filter(user_id=user_id)
        )
        found = open_rows.order_by("-joined_at").first()
        if found is not None and at >= found.joined_at:
            attendance_leave(attendance=found, left_at=at)


def _user(user_id: int | None) -> Any:
    from django.contrib.auth.models import User

    return User.objects.filter(pk=user_id).first() if user_id is not None else None


ATTENDANCE_RECORDERS: list[AttendanceRecorder] = [SchedulingAttendance()]


def attendance_joined(*, meeting: Meeting, participant: Participant) -> str:
    """Somebody entered the meeting: record it for the scheduled occurrence, if any."""
    ref = ""
    at = participant.joined_at
    if at is None:
        return ref
    for recorder in ATTENDANCE_RECORDERS:
        try:
            with transaction.atomic():  # a savepoint: a failure leaves the join intact
                ref = (
                    recorder.joined(
                        room_id=meeting.room_id,
                        user_id=participant.user_id,
                        name=participant.name,
                        at=at,
                    )
                    or ref
                )
        except Exception:  # attendance must never keep anybody out of a meeting
            logger.exception("attendance of %s not recorded", participant.peer)
    return ref


def attendance_left(*, participant: Participant) -> None:
    """Somebody left the meeting."""
    at = participant.left_at
    ref = participant.meeting.occurrence_ref
    if at is None or not ref:  # not a scheduled occurrence: nothing was recorded
        return
    for recorder in ATTENDANCE_RECORDERS:
        try:
            with transaction.atomic():
                recorder.left(
                    room_id=participant.meeting.room_id,
                    user_id=participant.user_id,
                    name=participant.name,
                    at=at,
                    ref=ref,
                )
        except Exception:
            logger.exception("leave of %s not recorded", participant.peer)
