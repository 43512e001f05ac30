"""JSON shapes of units, rooms, sites, equipment and self-tests."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rooms.models import DeviceTest, EquipmentItem, Room, Unit
from rooms.readiness_text import caution_text, readiness_summary, shortfall_text
from rooms.selectors import SiteStatus


class UnitSerializer(serializers.ModelSerializer[Unit]):
    province: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True
    )
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    room_address = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = [
            "code",
            "kind",
            "kind_label",
            "level",
            "name",
            "abbreviation",
            "slug",
            "mailbox",
            "province",
            "parent",
            "room_address",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_room_address(self, unit: Unit) -> str | None:
        room = getattr(unit, "room", None)
        return room.address if room is not None else None


class ManagerContactSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)


class RoomSerializer(serializers.ModelSerializer[Room]):
    name = serializers.CharField(source="display_name", read_only=True)
    address = serializers.CharField(read_only=True)
    unit: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    unit_kind = serializers.CharField(source="unit.kind", read_only=True, default=None)
    official_mailbox = serializers.CharField(source="unit.mailbox", read_only=True, default="")
    manager = serializers.SerializerMethodField()

    class Meta:
        model = Room
        fields = [
            "slug",
            "name",
            "address",
            "unit",
            "unit_kind",
            "official_mailbox",
            "guest_access",
            "manager",
        ]

    @extend_schema_field(ManagerContactSerializer(allow_null=True))
    def get_manager(self, room: Room) -> dict[str, str] | None:
        if room.manager is None:
            return None
        return {
            "name": room.manager.get_full_name() or room.manager.get_username(),
            "email": room.manager.email,
        }


class EquipmentItemSerializer(serializers.ModelSerializer[EquipmentItem]):
    class Meta:
        model = EquipmentItem
        fields = ["id", "kind", "quantity", "status", "note", "checked_on"]
        read_only_fields = ["id"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        status = attrs.get("status", getattr(self.instance, "status", None))
        quantity = attrs.get("quantity", getattr(self.instance, "quantity", 1))
        if status == "working" and quantity == 0:
            raise serializers.ValidationError(
                {"quantity": "A working item needs a quantity of at least 1."}
            )
        return attrs


class DeviceTestSerializer(serializers.ModelSerializer[DeviceTest]):
    microphone_peak = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.0)
    rtt_ms = serializers.FloatField(
        min_value=0.0, max_value=600_000.0, allow_null=True, required=False
    )
    download_mbps = serializers.FloatField(
        min_value=0.0, max_value=100_000.0, allow_null=True, required=False
    )
    user_agent = serializers.CharField(max_length=400, allow_blank=True, required=False)

    class Meta:
        model = DeviceTest
        fields = [
            "id",
            "created_at",
            "camera_ok",
            "microphone_ok",
            "microphone_peak",
            "speakers_ok",
            "rtt_ms",
            "download_mbps",
            "user_agent",
        ]
        read_only_fields = ["id", "created_at"]


class ReadinessSerializer(serializers.Serializer[Any]):
    ready = serializers.BooleanField()
    summary = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField())
    cautions = serializers.ListField(child=serializers.CharField())
    last_checked = serializers.DateField(allow_null=True)
    last_selftest_at = serializers.DateTimeField(allow_null=True)


class SiteSerializer(serializers.Serializer[SiteStatus]):
    """A site with its readiness and checklist (built from a SiteStatus)."""

    unit = serializers.CharField(source="site.unit.slug")
    name = serializers.CharField(source="site.unit.name")
    province = serializers.CharField(source="site.unit.province.slug", default=None)
    location = serializers.CharField(source="site.location")
    readiness = serializers.SerializerMethodField()
    items = EquipmentItemSerializer(source="site.items.all", many=True)

    @extend_schema_field(ReadinessSerializer)
    def get_readiness(self, status: SiteStatus) -> dict[str, Any]:
        readiness = status.readiness
        test = readiness.last_selftest
        return {
            "ready": readiness.ready,
            "summary": readiness_summary(readiness),
            "missing": [shortfall_text(s) for s in readiness.shortfalls],
            "cautions": [caution_text(c) for c in readiness.cautions],
            "last_checked": readiness.last_checked,
            "last_selftest_at": test.at if test else None,
        }
