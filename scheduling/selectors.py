"""Reads of sessions and occurrences; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Field, Prefetch, Q, QuerySet
from django.utils import timezone

from rooms.models import Room
from rooms.permissions import AnyUser, acting_pk, is_system_admin
from rooms.selectors import rooms_belonging_to, rooms_managed_by, rooms_with_private_calendar_for
from scheduling.models import FeedToken, MailState, Occurrence, OutgoingMail, Session

# A scheduled meeting is "on" from this long before its start until its end: people join
# early (attendance counts them, a webinar's watch page and broadcast button open).
OPENS_BEFORE = timedelta(minutes=30)

# Which of the meetings on at once a caller gets: the live room's (a webinar first, then
# the earliest) or the watch page's (the one started last, else the next to start, else
# the one that ended last).
Pick = Literal["webinar_first", "started_last"]
_WATCH_CANDIDATES = 4
_SQL_OPERATORS = {"exact": "=", "lte": "<=", "gte": ">=", "gt": ">"}


def _on_conditions(
    room_id: int, at: datetime, after_end: timedelta | None
) -> list[tuple[str, str, object]]:
    """THE rule of "on", as (field, lookup, value): the ORM look-up and the plain-SQL
    check are both built from it, so they cannot drift apart.

    Without ``after_end`` a meeting is on up to and including its end instant; with it,
    until strictly less than ``after_end`` past its end (the watch page's grace)."""
    ends = ("end", "gte", at) if after_end is None else ("end", "gt", at - after_end)
    return [
        ("room", "exact", room_id),
        ("cancelled", "exact", False),
        ("start", "lte", at + OPENS_BEFORE),
        ends,
    ]


def occurrence_is_on(*, room_id: int, at: datetime | None = None) -> bool:
    """Whether the room has a scheduled meeting on at ``at`` (``occurrence_now`` is not None).

    Every join of a live room asks (a hundred a second in a storm of joins) and most rooms
    have nothing scheduled, so this is one indexed query in plain SQL: building and
    compiling the same query with the ORM cost ~5x more CPU than running it."""
    conditions = _on_conditions(room_id, at or timezone.now(), None)
    table = connection.ops.quote_name(Occurrence._meta.db_table)
    where = " AND ".join(f"{_column(name)} {_SQL_OPERATORS[op]} %s" for name, op, _ in conditions)
    params = [_sql_value(value) for _, _, value in conditions]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {where} LIMIT 1", params)
        return cursor.fetchone() is not None


def _column(name: str) -> str:
    """An Occurrence column, quoted ("end" is a reserved word)."""
    field = Occurrence._meta.get_field(name)
    assert isinstance(field, Field)
    return str(connection.ops.quote_name(field.column))


def _sql_value(value: object) -> Any:
    """A condition's value as the database driver takes it (aware datetimes adapted)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def occurrence_now(
    *,
    room_id: int,
    at: datetime | None = None,
    broadcast_only: bool = False,
    after_end: timedelta | None = None,
    skip_cancelled_series: bool = False,
    pick: Pick = "webinar_first",
) -> Occurrence | None:
    """The room's scheduled meeting on at ``at``: THE answer to "which meeting is on now".

    ``broadcast_only``: webinars only. ``after_end``: also one that ended less than this
    long ago. ``skip_cancelled_series``: not a meeting whose whole series was called off
    (cancelling a series leaves the meeting under way uncancelled). ``pick``: see ``Pick``.
    """
    at = at or timezone.now()
    rule = Q(
        **{f"{name}__{op}": value for name, op, value in _on_conditions(room_id, at, after_end)}
    )
    found = Occurrence.objects.filter(rule).select_related("session", "session__host_unit")
    if broadcast_only:
        found = found.filter(session__broadcast=True)
    if skip_cancelled_series:
        found = found.filter(session__cancelled=False)
    if pick == "webinar_first":
        return found.order_by("-session__broadcast", "start").first()
    return _started_last(list(found.order_by("start")[:_WATCH_CANDIDATES]), at)


def _started_last(candidates: list[Occurrence], at: datetime) -> Occurrence | None:
    """Of meetings in start order: the one started last, else the next, else the last."""
    started = [o for o in candidates if o.start <= at and o.end > at]
    if started:
        return started[-1]
    upcoming = [o for o in candidates if o.start > at]
    return upcoming[0] if upcoming else (candidates[-1] if candidates else None)


def _sessions_invited(pk: int, viewer: AnyUser) -> QuerySet[Session]:
    """Sessions that invite the person by name or invite a unit whose room they manage."""
    invited = Q(people__user_id=pk) | Q(invitations__unit__room__in=rooms_managed_by(viewer))
    return Session.objects.filter(invited)


def sessions_visible_q(viewer: AnyUser, *, via: str = "") -> Q:
    """Which sessions a person may see: THE rule (API, calendar pages, .ics, feeds, agenda).

    Public sessions, for everyone. Private ones: for administrators; in the rooms of
    ``rooms_with_private_calendar_for`` (the room's own people and the officers of the
    units above it); and for whoever they invite (by name, or their unit's site).
    Anonymous and deactivated people match public sessions only: no id comparison here
    ever sees a None. ``via`` prefixes the fields ("session__" from an occurrence)."""
    public = Q(**{f"{via}public": True})
    if is_system_admin(viewer):
        return Q()
    pk = acting_pk(viewer)
    if pk is None:
        return public
    rooms = Q(**{f"{via}room__in": rooms_with_private_calendar_for(viewer)})
    invited = Q(**{f"{via}pk__in": _sessions_invited(pk, viewer).values("pk")})
    return public | rooms | invited


def session_visible(*, viewer: AnyUser, session: Session) -> bool:
    """Whether the person may see this session (``sessions_visible_q`` for one)."""
    if session.public:
        return True
    return Session.objects.filter(sessions_visible_q(viewer), pk=session.pk).exists()


def occurrences_between(
    *,
    viewer: AnyUser,
    start: datetime,
    end: datetime,
    room: str = "",
    unit: str = "",
    province: str = "",
) -> QuerySet[Occurrence]:
    """Meetings the viewer may see that overlap [start, end), by room, unit (and its
    sub-units) or province."""
    found = (
        Occurrence.objects.filter(start__lt=end, end__gt=start)
        .filter(sessions_visible_q(viewer, via="session__"))
        .select_related("session", "room", "room__unit", "session__host_unit")
    )
    if room:
        found = found.filter(room__slug=room)
    if unit:
        found = found.filter(room__unit__slug=unit) | found.filter(room__unit__parent__slug=unit)
    if province:
        found = found.filter(room__unit__province__slug=province)
    return found.order_by("start", "id")


def rooms_busy_between(
    *, room_ids: list[int], start: datetime, end: datetime, besides: list[int] | None = None
) -> list[tuple[int, datetime, datetime]]:
    """(room id, start, end) of every meeting held in these rooms overlapping [start, end),
    private ones too, except those of the sessions ``besides``: what another booking of
    the rooms must keep clear of."""
    found = Occurrence.objects.filter(
        room_id__in=room_ids, cancelled=False, start__lt=end, end__gt=start
    )
    if besides:
        found = found.exclude(session_id__in=besides)
    return list(found.order_by("start").values_list("room_id", "start", "end"))


def room_upcoming(*, room: Room, viewer: AnyUser, limit: int = 5) -> list[Occurrence]:
    """The room's next meetings the viewer may see, cancelled ones included so people see
    them called off."""
    return list(
        Occurrence.objects.filter(room=room, end__gte=timezone.now())
        .filter(sessions_visible_q(viewer, via="session__"))
        .select_related("session")
        .order_by("start")[:limit]
    )


def room_feed_sessions(*, room: Room) -> QuerySet[Session]:
    """The public sessions of a room, with their meetings, for the room's feed."""
    return (
        Session.objects.filter(room=room, public=True)
        .select_related("room")
        .prefetch_related(
            Prefetch("occurrences", queryset=Occurrence.objects.order_by("original_start"))
        )
    )


def session_get(*, uid: str) -> Session | None:
    """A session by its iCalendar UID."""
    try:
        return (
            Session.objects.select_related("room", "room__unit", "host_unit")
            .filter(uid=uid)
            .first()
        )
    except (ValueError, ValidationError):  # a malformed UUID is simply not found
        return None


def _live_feed(token: str) -> FeedToken | None:
    """A feed address that still works: not revoked, its owner active, and a unit's feed
    only while the person it was issued to still manages the unit's room."""
    feed = (
        FeedToken.objects.select_related("user", "unit", "issued_to")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return None
    owner = feed.issued_to if feed.unit is not None else feed.user
    if owner is None or not owner.is_active:
        return None
    if feed.unit is not None and not rooms_managed_by(owner).filter(unit=feed.unit).exists():
        return None
    return feed


def private_feed_sessions(*, token: str) -> tuple[str, QuerySet[Session]] | None:
    """The sessions of a live private feed: a unit's (hosted or invited) or a person's rooms'."""
    feed = _live_feed(token)
    if feed is None:
        return None
    sessions = Session.objects.select_related("room").prefetch_related(
        Prefetch("occurrences", queryset=Occurrence.objects.order_by("original_start"))
    )
    if feed.unit is not None:
        assert feed.issued_to is not None
        unit = feed.unit
        found = sessions.filter(Q(host_unit=unit) | Q(invitations__unit=unit) | Q(room__unit=unit))
        # Never more than the person holding the address may see.
        return unit.name, found.filter(sessions_visible_q(feed.issued_to)).distinct()
    user = feed.user
    assert user is not None
    pk = acting_pk(user)
    assert pk is not None
    mine = Q(room__in=rooms_belonging_to(user)) | Q(pk__in=_sessions_invited(pk, user).values("pk"))
    return user.get_full_name() or user.get_username(), sessions.filter(mine).distinct()


@dataclass(frozen=True)
class MailTrouble:
    """A session's mails the server has not taken: those to be tried again, those given up."""

    retrying: list[OutgoingMail]
    failed: list[OutgoingMail]
    next_attempt_at: datetime | None

    @property
    def retrying_to(self) -> list[str]:
        """Every address still waiting, once each."""
        return sorted({a for mail in self.retrying for a in mail.to})


def session_mail_trouble(*, session: Session) -> MailTrouble:
    """The mails of a session that failed at least once and are not sent yet."""
    unsent = session.mails.filter(
        Q(state=MailState.FAILED) | Q(state=MailState.WAITING, attempts__gt=0)
    ).order_by("next_attempt_at", "pk")
    retrying = [m for m in unsent if m.state == MailState.WAITING]
    failed = [m for m in unsent if m.state == MailState.FAILED]
    upcoming = [m.next_attempt_at for m in retrying if m.next_attempt_at is not None]
    return MailTrouble(retrying, failed, min(upcoming) if upcoming else None)


def mail_counts() -> dict[str, int]:
    """How many mails are in each state (the operator's metrics)."""
    counts = dict(
        OutgoingMail.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return {state: int(counts.get(state, 0)) for state in MailState.values}


def mail_retrying_count() -> int:
    """Mails waiting for another try after a failed one."""
    return OutgoingMail.objects.filter(state=MailState.WAITING, attempts__gt=0).count()
