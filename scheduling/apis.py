"""The REST API of sessions and occurrences (same rules as the pages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rooms.models import Room
from rooms.permissions import can_manage_room, is_system_admin
from rooms.selectors import rooms_managed_by
from scheduling import selectors
from scheduling.errors import (
    InvalidSchedule,
    PeopleRefused,
    ScheduleConflict,
    SchedulingError,
    TooManyLookups,
)
from scheduling.models import Attendance, Invitation, Occurrence, Session
from scheduling.permissions import can_schedule
from scheduling.query_dates import calendar_years
from scheduling.serializers import (
    AttendanceSerializer,
    ConflictSerializer,
    InvitationSerializer,
    OccurrenceChangeSerializer,
    OccurrenceSerializer,
    ReplySerializer,
    SessionSerializer,
    rule_of,
)
from scheduling.services.attendance import attendance_record
from scheduling.services.invitations import (
    RuleInput,
    invitation_reply,
    invitations_queue_on_commit,
    invitations_set,
    people_invite,
)
from scheduling.services.sessions import (
    SessionInput,
    occurrence_cancel,
    occurrence_change,
    session_cancel,
    session_schedule,
    session_update,
)

MAX_RANGE = timedelta(days=62)


def _invite(session: Session, data: dict[str, Any], by: Any) -> None:
    """Apply the invitation rules and people of an API request, then tell them."""
    if "invite" in data:
        rules = [
            RuleInput(r["kind"], r.get("unit"), r.get("province"), r.get("level", ""))
            for r in data["invite"]
        ]
        invitations_set(session=session, rules=rules)
    if data.get("people"):
        people_invite(session=session, names=data["people"], by=by)
    invitations_queue_on_commit(session)


def _refused(exc: ScheduleConflict | InvalidSchedule) -> Response:
    if isinstance(exc, ScheduleConflict):
        return Response(
            {"detail": str(exc), "conflicts": exc.conflicts}, status=status.HTTP_409_CONFLICT
        )
    return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _invitation_refused(exc: SchedulingError) -> NoReturn:
    """The 4xx of a refused invitation; nothing of the request was saved (atomic)."""
    if isinstance(exc, TooManyLookups):
        raise Throttled(wait=exc.wait_secs, detail=str(exc)) from exc
    if isinstance(exc, PeopleRefused):
        raise ValidationError({"people": str(exc)}) from exc
    raise ValidationError({"invite": str(exc)}) from exc


def _input(attrs: dict[str, Any], session: Session | None = None) -> SessionInput:
    def pick(name: str, default: Any = "") -> Any:
        return attrs.get(name, getattr(session, name, default) if session else default)

    rule = (
        rule_of(attrs) if "rrule" in attrs or session is None else rule_of({"rrule": session.rrule})
    )
    return SessionInput(
        room=pick("room"),
        host_unit=pick("host_unit"),
        kind=pick("kind"),
        title=pick("title"),
        description=pick("description"),
        start=pick("start"),
        end=pick("end"),
        rule=rule,
        public=pick("public", True),
        broadcast=pick("broadcast", False),
        presenters=pick("presenters"),
    )


class SessionViewSet(viewsets.ModelViewSet[Session]):
    """Sessions and series; conflicts answer 409 with the first clashing meetings."""

    serializer_class = SessionSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    lookup_field = "uid"
    queryset = Session.objects.select_related("room", "host_unit").order_by("start")

    def get_queryset(self) -> QuerySet[Session]:
        return super().get_queryset().filter(selectors.sessions_visible_q(self.request.user))

    def _authorize(self, session_room: Any) -> None:
        if not can_schedule(self.request.user, session_room):
            raise PermissionDenied(_("Only the room's manager or its hosts may schedule here."))

    @extend_schema(responses={201: SessionSerializer, 409: ConflictSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._authorize(serializer.validated_data["room"])
        data = serializer.validated_data
        try:
            with transaction.atomic():
                session = session_schedule(data=_input(data), by=request.user)
                _invite(session, data, request.user)
        except (ScheduleConflict, InvalidSchedule) as exc:
            return _refused(exc)
        except SchedulingError as exc:
            _invitation_refused(exc)
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SessionSerializer, 409: ConflictSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.get_object()
        self._authorize(session.room)
        serializer = self.get_serializer(
            session, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        if "room" in serializer.validated_data:
            self._authorize(serializer.validated_data["room"])
        data = serializer.validated_data
        try:
            with transaction.atomic():
                session = session_update(session=session, data=_input(data, session))
                if "invite" in data or "people" in data:
                    _invite(session, data, request.user)
        except (ScheduleConflict, InvalidSchedule) as exc:
            return _refused(exc)
        except SchedulingError as exc:
            _invitation_refused(exc)
        return Response(SessionSerializer(session).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.get_object()
        self._authorize(session.room)
        session_cancel(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _moment(value: str, name: str, default: datetime) -> datetime:
    if not value:
        return default
    parsed = None
    try:
        if value.isascii():  # Python's ISO parsers also take other scripts' digits
            parsed = parse_datetime(value)
            if parsed is None and (day := parse_date(value)) is not None:
                parsed = datetime.combine(day, datetime.min.time())
    except ValueError:  # well formed but no such day or time: 2026-02-31
        parsed = None
    years = calendar_years()
    if parsed is None or not years.holds(parsed.year):
        raise ValidationError(
            {
                name: _(
                    "Give a date (YYYY-MM-DD) or a date and time between %(first)d and %(last)d."
                )
                % {"first": years.first, "last": years.last}
            }
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class OccurrenceViewSet(viewsets.ReadOnlyModelViewSet[Occurrence]):
    """Meetings in a time range, by room, unit (with its sub-units) or province."""

    serializer_class = OccurrenceSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    queryset = Occurrence.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="Start (date or ISO date-time); default now"),
            OpenApiParameter("to", str, description="End; default 7 days later; at most 62 days"),
            OpenApiParameter("room", str),
            OpenApiParameter("unit", str, description="Unit slug; includes its sub-units' rooms"),
            OpenApiParameter("province", str),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Occurrence]:
        if getattr(self, "swagger_fake_view", False):
            return Occurrence.objects.none()
        params = self.request.query_params
        start = _moment(params.get("from", ""), "from", timezone.now())
        end = _moment(params.get("to", ""), "to", start + timedelta(days=7))
        if end <= start or end - start > MAX_RANGE:
            raise ValidationError({"to": _("The range must be positive and at most 62 days.")})
        return selectors.occurrences_between(
            viewer=self.request.user,
            start=start,
            end=end,
            room=params.get("room", ""),
            unit=params.get("unit", ""),
            province=params.get("province", ""),
        )

    def _occurrence(self) -> Occurrence:
        occurrence = generics.get_object_or_404(
            Occurrence.objects.select_related("session", "room"), pk=self.kwargs["pk"]
        )
        if not can_schedule(self.request.user, occurrence.room):
            raise PermissionDenied(
                _("Only the room's manager or its hosts may change its meetings.")
            )
        return occurrence

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        occurrence = generics.get_object_or_404(
            Occurrence.objects.select_related("session", "room").filter(
                selectors.sessions_visible_q(request.user, via="session__")
            ),
            pk=kwargs["pk"],
        )
        return Response(OccurrenceSerializer(occurrence).data)

    @extend_schema(
        request=OccurrenceChangeSerializer,
        responses={200: OccurrenceSerializer, 409: ConflictSerializer},
    )
    @action(detail=True, methods=["post"])
    def change(self, request: Request, pk: str) -> Response:
        """Move or retitle this one meeting."""
        occurrence = self._occurrence()
        data = OccurrenceChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            occurrence = occurrence_change(occurrence=occurrence, **data.validated_data)
        except (ScheduleConflict, InvalidSchedule) as exc:
            return _refused(exc)
        return Response(OccurrenceSerializer(occurrence).data)

    @extend_schema(request=None, responses={200: OccurrenceSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel this one meeting."""
        occurrence = occurrence_cancel(occurrence=self._occurrence())
        return Response(OccurrenceSerializer(occurrence).data)


class InvitationViewSet(viewsets.ReadOnlyModelViewSet[Invitation]):
    """Invitations of sites: the sites' managers reply; the session's hosts see them all."""

    serializer_class = InvitationSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Invitation.objects.none()

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        user = self.request.user
        found = Invitation.objects.select_related("session", "unit").order_by(
            "session__start", "unit__name"
        )
        if not is_system_admin(user):
            managed = rooms_managed_by(user)
            found = found.filter(Q(unit__room__in=managed) | Q(session__room__in=managed))
        params = self.request.query_params
        if params.get("session"):
            found = found.filter(session__uid=params["session"])
        if params.get("unit"):
            found = found.filter(unit__slug=params["unit"])
        return found

    @extend_schema(request=ReplySerializer, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        """The invited site answers: will attend, or cannot attend with a reason."""
        invitation = generics.get_object_or_404(Invitation.objects.select_related("unit"), pk=pk)
        room = Room.objects.filter(unit=invitation.unit).first()
        if room is None or not can_manage_room(request.user, room):
            raise PermissionDenied(_("Only the invited site's manager may reply."))
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            invitation = invitation_reply(
                invitation=invitation,
                by=request.user,  # type: ignore[arg-type]  # authenticated: checked above
                **data.validated_data,
            )
        except SchedulingError as exc:
            raise ValidationError({"reason": str(exc)}) from exc
        return Response(InvitationSerializer(invitation).data)


class AttendanceViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Attendance]
):
    """Who joined a meeting and for how long; hosts record and read it."""

    serializer_class = AttendanceSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Attendance.objects.none()

    def get_queryset(self) -> QuerySet[Attendance]:
        if getattr(self, "swagger_fake_view", False):
            return Attendance.objects.none()
        occurrence = generics.get_object_or_404(
            Occurrence, pk=self.request.query_params.get("occurrence", 0)
        )
        if not can_schedule(self.request.user, occurrence.room):
            raise PermissionDenied(_("Only the room's manager or its hosts may see this."))
        return Attendance.objects.filter(occurrence=occurrence).select_related("unit")

    @extend_schema(parameters=[OpenApiParameter("occurrence", int, required=True)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can_schedule(request.user, data["occurrence"].room):
            raise PermissionDenied(_("Only the room's manager or its hosts may record attendance."))
        try:
            attendance = attendance_record(**data)
        except SchedulingError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(AttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)
