"""JSON shapes of sessions and occurrences."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from rooms.models import Province, Room, Unit
from scheduling.domain.recurrence import Rule, RuleError, parse_rrule
from scheduling.errors import rule_error_message
from scheduling.models import (
    Attendance,
    Invitation,
    Occurrence,
    Reply,
    RuleKind,
    Session,
    SessionKind,
)


class InviteRuleSerializer(serializers.Serializer[Any]):
    """One invitation rule: a unit, or all district/commune offices or schools of a province."""

    kind = serializers.ChoiceField(choices=RuleKind.choices)
    unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Unit.objects.all(), required=False, allow_null=True
    )
    province: serializers.SlugRelatedField[Province] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Province.objects.all(), required=False, allow_null=True
    )
    level = serializers.CharField(max_length=4, required=False, allow_blank=True, default="")


class SessionSerializer(serializers.ModelSerializer[Session]):
    room: serializers.SlugRelatedField[Room] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Room.objects.all()
    )
    host_unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Unit.objects.all(), required=False
    )
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    rrule = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ics_url = serializers.SerializerMethodField()
    invite = InviteRuleSerializer(many=True, write_only=True, required=False)
    people = serializers.ListField(
        child=serializers.CharField(max_length=254), write_only=True, required=False
    )

    class Meta:
        model = Session
        fields = [
            "uid",
            "kind",
            "title",
            "description",
            "room",
            "host_unit",
            "presenters",
            "broadcast",
            "public",
            "start",
            "end",
            "rrule",
            "sequence",
            "cancelled",
            "ics_url",
            "invite",
            "people",
        ]
        read_only_fields = ["uid", "sequence", "cancelled"]

    def get_ics_url(self, session: Session) -> str:
        return f"/calendar/sessions/{session.uid}.ics"

    def validate_rrule(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return parse_rrule(value).to_rrule()
        except RuleError as exc:
            raise serializers.ValidationError(rule_error_message(exc)) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end": _("The end must come after the start.")})
        room = attrs.get("room") or getattr(self.instance, "room", None)
        if "host_unit" not in attrs and self.instance is None:
            if room is None or room.unit is None:
                raise serializers.ValidationError({"host_unit": _("Name the host unit.")})
            attrs["host_unit"] = room.unit
        return attrs


def rule_of(attrs: dict[str, Any]) -> Rule | None:
    """The validated recurrence of a session's data, if any."""
    text = attrs.get("rrule", "")
    return parse_rrule(text) if text else None


class OccurrenceSerializer(serializers.ModelSerializer[Occurrence]):
    session = serializers.UUIDField(source="session.uid", read_only=True)
    title = serializers.CharField(source="display_title", read_only=True)
    kind = serializers.CharField(source="session.kind", read_only=True)
    room = serializers.CharField(source="room.slug", read_only=True)
    room_address = serializers.CharField(source="room.address", read_only=True)
    broadcast = serializers.BooleanField(source="session.broadcast", read_only=True)

    class Meta:
        model = Occurrence
        fields = [
            "id",
            "session",
            "title",
            "kind",
            "room",
            "room_address",
            "start",
            "end",
            "original_start",
            "cancelled",
            "overridden",
            "broadcast",
        ]


class OccurrenceChangeSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    conflicts = serializers.ListField(child=serializers.DictField())


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    session = serializers.UUIDField(source="session.uid", read_only=True)
    title = serializers.CharField(source="session.title", read_only=True)
    unit = serializers.CharField(source="unit.slug", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "session", "title", "unit", "unit_name", "reply", "reason", "replied_at"]
        read_only_fields = ["reply", "reason", "replied_at"]


class ReplySerializer(serializers.Serializer[Any]):
    reply = serializers.ChoiceField(choices=[Reply.YES, Reply.NO])
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AttendanceSerializer(serializers.ModelSerializer[Attendance]):
    occurrence = serializers.PrimaryKeyRelatedField(queryset=Occurrence.objects.all())
    unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Unit.objects.all(), required=False, allow_null=True
    )
    minutes = serializers.IntegerField(read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "occurrence", "unit", "user", "name", "joined_at", "left_at", "minutes"]
